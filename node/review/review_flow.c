/* review_flow.c - the review lifecycle from a submitted piece of work to a
 * decided, notified outcome: screening, assignment, batching with blind
 * benchmark seeding, invitations, responses, scores, decisions, escalation,
 * and monitoring; the stored jobs that drive the deadlines between them are
 * in review_jobs.c.
 *
 * Every event is one transaction holding its state change, its audit row, the
 * notifications it causes and the jobs it schedules. Job handlers re-read the
 * state they act on, so a job fired twice (e.g. after a crash between its
 * effects and the scheduler noticing) does nothing the second time. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/review/assign.h"
#include "accord/base/buf.h"
#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/review/monitor.h"
#include "accord/review/neardup.h"
#include "accord/review/scoring.h"
#include "review/review.h"

#define HOUR_MS (3600LL * 1000)
#define DAY_MS (24 * HOUR_MS)
/* Similarity at which two submissions are reported to the issuer. */
#define NEARDUP_MIN_SIMILARITY 0.5

int ac__flow_definition(struct ac_node *n, const char *def_id, int64_t version, int64_t *row,
                        enum ac_def_state *state, struct ac_definition **out)
{
    struct ac_credential c;
    int err = ac_store_credential_find(n->store, def_id, version, &c);
    if (err)
        return err;
    struct ac_def_problems pr = {0};
    struct ac_definition *d = NULL;
    err = ac_def_from_json(c.definition, strlen(c.definition), &d, &pr);
    ac_def_problems_release(&pr);
    if (!err) {
        if (row)
            *row = c.id;
        if (state)
            *state = c.state;
        *out = d;
    } else if (err != AC_ENOMEM) {
        err = AC_EPARSE;
    }
    ac_credential_release(&c);
    return err;
}

int ac__flow_definition_by_row(struct ac_node *n, int64_t row, struct ac_definition **out,
                               struct ac_credential *c)
{
    int err = ac_store_credential_get(n->store, row, c);
    if (err)
        return err;
    struct ac_def_problems pr = {0};
    err = ac_def_from_json(c->definition, strlen(c->definition), out, &pr);
    ac_def_problems_release(&pr);
    if (err) {
        ac_credential_release(c);
        return err == AC_ENOMEM ? err : AC_EPARSE;
    }
    return 0;
}

int ac__flow_audit(struct ac_node *n, const char *kind, int64_t subject, int64_t actor,
                   const char *action, const char *fmt, ...)
{
    char id[24], detail[512];
    snprintf(id, sizeof id, "%" PRId64, subject);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return ac_store_audit_add(n->store, kind, id, actor, n->cfg->node_id, action, detail,
                              ac_clock_now_ms());
}

int ac__flow_notify_admins(struct ac_node *n, const char *kind, int64_t submission_id,
                           const char *subject, const char *body)
{
    struct ac_user page[64];
    int64_t after = 0;
    size_t got;
    int err;
    do {
        err = ac_store_user_list(n->store, after, page, 64, &got);
        for (size_t i = 0; !err && i < got; i++) {
            after = page[i].id;
            if ((page[i].roles & AC_ROLE_ADMIN) && !page[i].disabled_ms)
                err = ac_store_notify_add(n->store, page[i].id, kind, submission_id, subject, body,
                                          ac_clock_now_ms(), NULL);
        }
    } while (!err && got == 64);
    return err;
}

static void set_why(char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_why(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
}

int ac__flow_end_tx(struct ac_node *n, int err)
{
    if (err) {
        ac_store_tx_rollback(n->store);
        return err;
    }
    err = ac_store_tx_commit(n->store);
    if (!err)
        ac__scheduler_kick(n);
    return err;
}

/* ---- screening ---- */

/* The text the near-duplicate index sees: every element's text, in order. */
static char *submission_text(const char *elements)
{
    json_t *arr = json_loads(elements, 0, NULL);
    struct ac_buf b;
    ac_buf_init(&b);
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
    {
        const char *t = json_string_value(json_object_get(e, "text"));
        if (t && (ac_buf_append(&b, t, strlen(t)) || ac_buf_append(&b, "\n", 1)))
            break;
    }
    json_decref(arr);
    char *out = calloc(1, b.len + 1);
    if (out && b.len)
        memcpy(out, b.data, b.len);
    ac_buf_release(&b);
    return out;
}

/* Team names are interned per check: 0 means "no team". */
static uint64_t team_key(const char *team, char (*teams)[AC_SUB_NAME_MAX + 1], size_t *nteams)
{
    if (!team[0])
        return 0;
    for (size_t i = 0; i < *nteams; i++)
        if (strcmp(teams[i], team) == 0)
            return i + 1;
    strcpy(teams[*nteams], team);
    return ++*nteams;
}

int ac__flow_screen(struct ac_node *n, int64_t sub_id, int *flagged)
{
    struct ac_submission sub;
    int err = ac_store_submission_get(n->store, sub_id, &sub);
    if (err)
        return err;
    /* Screened already (the request screened it and its "screen" job fires
     * after, or the job fires twice): nothing to do again. */
    if (sub.state != AC_SUB_RECEIVED) {
        *flagged = sub.state == AC_SUB_FLAGGED;
        ac_submission_release(&sub);
        return 0;
    }
    struct ac_submission *prior = NULL;
    size_t nprior = 0;
    err = ac_store_submission_list(n->store, 0, sub.credential_id, -1, 0, 100000, &prior, &nprior);
    struct ac_neardup_params params = AC_NEARDUP_DEFAULTS;
    params.min_similarity = NEARDUP_MIN_SIMILARITY;
    struct ac_neardup_index *ix = NULL;
    struct ac_neardup_result *res = NULL;
    char(*teams)[AC_SUB_NAME_MAX + 1] = calloc(nprior + 1, sizeof *teams);
    size_t nteams = 0;
    char *text = submission_text(sub.elements);
    if (!err && (!teams || !text))
        err = AC_ENOMEM;
    if (!err)
        err = ac_neardup_index_new(&params, &ix);
    /* The definition's prompts are shared by everyone: never evidence. */
    struct ac_definition *def = NULL;
    if (!err &&
        ac__flow_definition(n, sub.credential_id, sub.credential_version, NULL, NULL, &def) == 0)
        for (size_t i = 0; i < def->n_elements && !err; i++)
            err = ac_neardup_ignore_text(ix, def->elements[i].prompt,
                                         strlen(def->elements[i].prompt));
    ac_def_free(def);
    for (size_t i = 0; !err && i < nprior; i++) {
        /* An earlier attempt of the same earner is not plagiarism either. */
        if (prior[i].id == sub.id || prior[i].earner_id == sub.earner_id ||
            prior[i].state == AC_SUB_REJECTED)
            continue;
        char *t = submission_text(prior[i].elements);
        if (!t)
            err = AC_ENOMEM;
        else
            err = ac_neardup_add(ix, (uint64_t)prior[i].id, team_key(prior[i].team, teams, &nteams),
                                 t, strlen(t));
        free(t);
    }
    if (!err)
        err = ac_neardup_check(ix, (uint64_t)sub.id, team_key(sub.team, teams, &nteams), text,
                               strlen(text), &res);
    *flagged = !err && res->n_matches > 0;
    if (!err)
        err = ac_store_tx_begin(n->store);
    if (!err && *flagged) {
        json_t *matches = json_array();
        for (size_t i = 0; i < res->n_matches && i < 5; i++)
            json_array_append_new(
                matches, json_pack("{s:I, s:f, s:I}", "submission", (json_int_t)res->matches[i].doc,
                                   "similarity", res->matches[i].similarity, "shared_fingerprints",
                                   (json_int_t)res->matches[i].shared));
        json_t *d = json_pack("{s:I, s:o}", "submission", (json_int_t)sub.id, "matches", matches);
        char *detail = json_dumps(d, JSON_COMPACT);
        json_decref(d);
        char body[256];
        snprintf(body, sizeof body,
                 "Submission %" PRId64 " for %s is %.0f%% similar to submission %" PRIu64
                 ".\nIt waits in the flags inbox until you dismiss or uphold the flag.\n",
                 sub.id, sub.credential_id, res->matches[0].similarity * 100, res->matches[0].doc);
        err = detail ? 0 : AC_ENOMEM;
        if (!err)
            err = ac_store_flag_add(n->store, "near_duplicate", sub.credential_id, sub.id, 0,
                                    detail, ac_clock_now_ms(), NULL);
        if (!err)
            err = ac_store_submission_set_state(n->store, sub.id, AC_SUB_FLAGGED);
        if (!err)
            err = ac__flow_notify_admins(n, "flag", sub.id, "Near-duplicate submission flagged",
                                         body);
        if (!err)
            err = ac__flow_audit(n, "submission", sub.id, 0, "flagged", "%s", detail);
        free(detail);
    } else if (!err) {
        int64_t row = 0;
        struct ac_definition *d = NULL;
        err = ac__flow_definition(n, sub.credential_id, sub.credential_version, &row, NULL, &d);
        if (!err)
            err = ac_store_submission_set_need(n->store, sub.id, d->per_submission);
        ac_def_free(d);
        if (!err)
            err = ac_store_submission_set_state(n->store, sub.id, AC_SUB_QUEUED);
        if (!err)
            err = ac_store_job_add(n->store, "assign", row, ac_clock_now_ms());
        if (!err)
            err = ac__flow_audit(n, "submission", sub.id, 0, "queued", "{\"screen\":\"clear\"}");
    }
    err = ac__flow_end_tx(n, err);
    ac_neardup_result_free(res);
    ac_neardup_index_free(ix);
    free(text);
    free(teams);
    for (size_t i = 0; i < nprior; i++)
        ac_submission_release(&prior[i]);
    free(prior);
    ac_submission_release(&sub);
    return err;
}

/* ---- assignment and batching ---- */

/* Small string interning for the assignment problem's integer names. */
struct names {
    char (*v)[AC_REVIEWER_DOMAINS_MAX + 1];
    size_t n, cap;
};

static uint32_t intern(struct names *t, const char *s)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i], s) == 0)
            return (uint32_t)i + 1;
    if (t->n == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 16;
        void *p = realloc(t->v, ncap * sizeof *t->v);
        if (!p)
            return 0;
        t->v = p;
        t->cap = ncap;
    }
    snprintf(t->v[t->n], sizeof t->v[0], "%s", s);
    return (uint32_t)++t->n;
}

static int open_state(enum ac_asg_state s)
{
    return s == AC_ASG_PENDING || s == AC_ASG_INVITED || s == AC_ASG_ACCEPTED;
}

/* Sends the reviewer's pending assignments of |def_id| as batches: all of
 * them when |force| (the batch timer fired), else only full batches. Blind
 * benchmark items are seeded at the issuer's rate. Runs inside the caller's
 * transaction. */
int ac__flow_send_batches(struct ac_node *n, int64_t reviewer, int64_t row,
                          const struct ac_definition *def, int force)
{
    struct ac_assignment_row *pend = NULL;
    size_t npend = 0;
    int err = ac_store_assignment_list(n->store, 0, reviewer, 0, AC_ASG_PENDING, &pend, &npend);
    struct ac_seed_item *seeds = NULL;
    size_t nseeds = 0;
    if (!err)
        err = ac_store_seed_items(n->store, row, &seeds, &nseeds);
    struct ac_batch_item *items = calloc(npend + 1, sizeof *items);
    uint64_t *seed_ids = calloc(nseeds + 1, sizeof *seed_ids);
    if (!err && (!items || !seed_ids))
        err = AC_ENOMEM;
    size_t nitems = 0;
    for (size_t i = 0; !err && i < npend; i++)
        if (strcmp(pend[i].credential_id, def->id) == 0)
            items[nitems++] =
                (struct ac_batch_item){(uint64_t)reviewer, 1, (uint64_t)pend[i].id, false};
    for (size_t i = 0; i < nseeds && seed_ids; i++)
        seed_ids[i] = (uint64_t)i;
    struct ac_batch_rule rule = {1, def->review.batch_size ? def->review.batch_size : 1,
                                 nseeds ? def->maintenance.benchmark_seed_rate : 0, seed_ids,
                                 nseeds};
    struct ac_assign_rng rng;
    struct ac_batch_set *set = NULL;
    if (!err && nitems)
        err = ac_assign_rng_sodium(&rng);
    if (!err && nitems)
        err = ac_batch_build(items, nitems, &rule, 1, rule.benchmark_rate > 0 ? &rng : NULL, &set);
    int64_t now = ac_clock_now_ms();
    for (size_t b = 0; !err && set && b < set->n_batches; b++) {
        const struct ac_batch *bt = &set->batches[b];
        if (!bt->full && !force)
            continue;
        int64_t deadline = now + (int64_t)def->review.deadline_days * DAY_MS;
        int64_t bid;
        err = ac_store_batch_insert(n->store, reviewer, def->id, now, deadline, &bid);
        for (size_t i = 0; !err && i < bt->n_items; i++) {
            const struct ac_batch_item *it = &bt->items[i];
            if (!it->benchmark) {
                err = ac_store_assignment_set_state(n->store, (int64_t)it->submission,
                                                    AC_ASG_INVITED, bid);
                continue;
            }
            struct ac_assignment_row a = {
                .reviewer_id = reviewer, .batch_id = bid, .state = AC_ASG_INVITED, .level = -1};
            snprintf(a.benchmark_id, sizeof a.benchmark_id, "%" PRId64, seeds[it->submission].id);
            a.benchmark_level = seeds[it->submission].level;
            snprintf(a.credential_id, sizeof a.credential_id, "%s", def->id);
            int64_t aid;
            err = ac_store_assignment_insert(n->store, &a, now, &aid);
        }
        if (!err)
            err = ac_store_job_add(n->store, "deadline", bid, deadline);
        for (size_t r = 0; !err && r < def->review.n_reminders; r++)
            err = ac_store_job_add(n->store, "reminder", bid,
                                   deadline -
                                       (int64_t)def->review.reminders_hours_before[r] * HOUR_MS);
        char subject[160], body[512], when[21];
        snprintf(subject, sizeof subject, "Invitation: %zu reviews for %s", bt->n_items, def->id);
        snprintf(body, sizeof body,
                 "You are invited to review batch %" PRId64 " of %zu submissions for \"%s\".\n"
                 "Accept or decline before %s:\n  accordctl review accept %" PRId64
                 "\n  accordctl review decline %" PRId64 "\n",
                 bid, bt->n_items, def->title, ac_clock_format(deadline, when), bid, bid);
        if (!err)
            err =
                ac_store_notify_add(n->store, reviewer, "invitation", 0, subject, body, now, NULL);
        if (!err)
            err = ac__flow_audit(n, "batch", bid, 0, "invited",
                                 "{\"reviewer\":%" PRId64 ",\"items\":%zu,\"credential\":\"%s\"}",
                                 reviewer, bt->n_items, def->id);
    }
    /* What is still pending waits for the batch timer from its oldest item. */
    if (!err && !force && set) {
        for (size_t b = 0; !err && b < set->n_batches; b++) {
            const struct ac_batch *bt = &set->batches[b];
            if (bt->full)
                continue;
            for (size_t i = 0; i < bt->n_items; i++) {
                if (bt->items[i].benchmark)
                    continue;
                int64_t created = 0;
                for (size_t k = 0; k < npend; k++)
                    if (pend[k].id == (int64_t)bt->items[i].submission)
                        created = pend[k].created_ms;
                err = ac_store_job_add(n->store, "batch_timer", (int64_t)bt->items[i].submission,
                                       created + (int64_t)def->review.batch_timer_hours * HOUR_MS);
                break;
            }
        }
    }
    ac_batch_set_free(set);
    for (size_t i = 0; i < npend; i++)
        ac_assignment_release(&pend[i]);
    free(pend);
    free(items);
    free(seed_ids);
    free(seeds);
    return err;
}

/* Reviewers read per store query while loading a credential's pool. */
#define CERT_PAGE 256

int ac__flow_certified_reviewers(struct ac_store *st, int64_t row, struct ac_reviewer_cert **out,
                                 size_t *n)
{
    struct ac_reviewer_cert *all = NULL;
    size_t have = 0, cap = 0;
    int64_t after = 0;
    int err = 0;
    for (;;) {
        if (cap - have < CERT_PAGE) {
            size_t ncap = cap ? cap * 2 : CERT_PAGE;
            struct ac_reviewer_cert *g = realloc(all, ncap * sizeof *g);
            if (!g) {
                err = AC_ENOMEM;
                break;
            }
            all = g;
            cap = ncap;
        }
        size_t got = 0;
        err = ac_store_reviewer_cert_list(st, row, AC_RCERT_CERTIFIED, after, &all[have], CERT_PAGE,
                                          &got);
        if (err)
            break;
        have += got;
        if (got < CERT_PAGE)
            break;
        after = all[have - 1].user_id;
    }
    if (err) {
        for (size_t i = 0; i < have; i++)
            ac_reviewer_cert_release(&all[i]);
        free(all);
        return err;
    }
    *out = all;
    *n = have;
    return 0;
}

/* The assignment pass of credential row |row|: every queued or in-review
 * submission short of reviews gets reviewers meeting every constraint. */
int ac__flow_assign_pass(struct ac_node *n, int64_t row)
{
    struct ac_credential cred;
    struct ac_definition *def = NULL;
    int err = ac__flow_definition_by_row(n, row, &def, &cred);
    if (err)
        return err;
    struct ac_submission *subs = NULL;
    size_t nsubs = 0;
    struct ac_reviewer_cert *certs = NULL;
    size_t ncerts = 0;
    struct names domains = {0}, places = {0};
    struct ac_assign_submission *ps = NULL;
    struct ac_assign_reviewer *pr = NULL;
    uint64_t *ids_pool = NULL;
    uint32_t *dom_pool = NULL;
    size_t ids_used = 0, dom_used = 0;
    struct ac_assign_result *res = NULL;
    int64_t now = ac_clock_now_ms();

    err = ac_store_submission_list(n->store, 0, def->id, -1, 0, 1000000, &subs, &nsubs);
    if (!err)
        err = ac__flow_certified_reviewers(n->store, row, &certs, &ncerts);
    ps = calloc(nsubs + 1, sizeof *ps);
    pr = calloc(ncerts + 1, sizeof *pr);
    /* One pool for every id list the problem borrows: assigned and previous
     * reviewers per submission (at most 64 each), and the single credential. */
    ids_pool = calloc((nsubs + 1) * 128, sizeof *ids_pool);
    dom_pool = calloc((ncerts + 1) * 32, sizeof *dom_pool);
    if (!err && (!ps || !pr || !ids_pool || !dom_pool))
        err = AC_ENOMEM;
    static const uint32_t cred_one = 1;
    size_t np = 0;
    for (size_t i = 0; !err && i < nsubs; i++) {
        struct ac_submission *s = &subs[i];
        if ((s->state != AC_SUB_QUEUED && s->state != AC_SUB_IN_REVIEW) ||
            s->credential_version != cred.version)
            continue;
        struct ac_assignment_row *as = NULL;
        size_t nas = 0;
        err = ac_store_assignment_list(n->store, s->id, 0, 0, -1, &as, &nas);
        if (err)
            break;
        unsigned active = 0;
        struct ac_assign_submission *q = &ps[np];
        q->assigned_reviewers = &ids_pool[ids_used];
        for (size_t k = 0; k < nas && k < 64; k++) {
            if (open_state(as[k].state) || as[k].state == AC_ASG_DONE)
                active++;
            ids_pool[ids_used + q->n_assigned_reviewers++] = (uint64_t)as[k].reviewer_id;
        }
        ids_used += q->n_assigned_reviewers;
        for (size_t k = 0; k < nas; k++)
            ac_assignment_release(&as[k]);
        free(as);
        if (active >= s->need)
            continue;
        if (s->previous_id) {
            int64_t *prev = NULL;
            size_t nprev = 0;
            err = ac_store_submission_reviewers(n->store, s->previous_id, &prev, &nprev);
            q->previous_reviewers = &ids_pool[ids_used];
            for (size_t k = 0; !err && k < nprev && k < 64; k++)
                ids_pool[ids_used + q->n_previous_reviewers++] = (uint64_t)prev[k];
            ids_used += q->n_previous_reviewers;
            free(prev);
        }
        q->id = (uint64_t)s->id;
        q->credential = 1;
        q->domain = s->domain[0] ? intern(&domains, s->domain) : AC_ASSIGN_ANY_DOMAIN;
        q->school = intern(&places, s->school[0] ? s->school : "(no school)");
        q->district = intern(&places, s->district[0] ? s->district : "(no district)");
        q->earner = (uint64_t)s->earner_id;
        q->need = s->need - active;
        np++;
    }
    size_t nr = 0;
    int64_t cool_ms = (int64_t)def->review.cool_off_hours * HOUR_MS;
    for (size_t i = 0; !err && i < ncerts; i++) {
        struct ac_reviewer_profile prof;
        if (ac_store_reviewer_get(n->store, certs[i].user_id, &prof) != 0)
            continue;
        uint32_t load;
        int busy;
        int64_t cool_until;
        err =
            ac_store_reviewer_load(n->store, certs[i].user_id, cool_ms, &load, &busy, &cool_until);
        if (err)
            break;
        struct ac_assign_reviewer *r = &pr[nr++];
        r->id = (uint64_t)certs[i].user_id;
        r->credentials = &cred_one;
        r->n_credentials = 1;
        r->domains = &dom_pool[dom_used];
        json_t *doms = json_loads(prof.domains, 0, NULL);
        size_t k;
        json_t *d;
        json_array_foreach(doms, k, d)
        {
            if (json_is_string(d) && r->n_domains < 32)
                dom_pool[dom_used + r->n_domains++] = intern(&domains, json_string_value(d));
        }
        json_decref(doms);
        dom_used += r->n_domains;
        r->school = intern(&places, prof.school[0] ? prof.school : "(no school)");
        r->district = intern(&places, prof.district[0] ? prof.district : "(no district)");
        int away =
            !prof.available && (prof.unavailable_until_ms == 0 || prof.unavailable_until_ms > now);
        r->available = !away && !busy && cool_until <= now;
        r->cap = def->pool.assignments_per_reviewer ? def->pool.assignments_per_reviewer
                                                    : def->review.batch_size;
        r->load = load > r->cap ? r->cap : load;
    }
    struct ac_assign_credential crule = {1, true, 0};
    struct ac_assign_problem p = {ps, np, pr, nr, &crule, 1};
    if (!err && np)
        err = ac_assign_run(&p, &res);
    if (!err && np)
        err = ac_store_tx_begin(n->store);
    for (size_t i = 0; !err && res && i < res->n_assignments; i++) {
        const struct ac_assignment *a = &res->assignments[i];
        struct ac_assignment_row row_in = {.submission_id = (int64_t)ps[a->submission].id,
                                           .benchmark_level = -1,
                                           .reviewer_id = (int64_t)pr[a->reviewer].id,
                                           .state = AC_ASG_PENDING,
                                           .level = -1};
        snprintf(row_in.credential_id, sizeof row_in.credential_id, "%s", def->id);
        int64_t aid;
        err = ac_store_assignment_insert(n->store, &row_in, now, &aid);
        if (!err)
            err = ac_store_submission_set_state(n->store, row_in.submission_id, AC_SUB_IN_REVIEW);
        if (!err)
            err = ac__flow_audit(n, "submission", row_in.submission_id, 0, "assigned",
                                 "{\"reviewer\":%" PRId64 ",\"assignment\":%" PRId64 "}",
                                 row_in.reviewer_id, aid);
    }
    for (size_t r = 0; !err && res && r < nr; r++)
        if (res->added[r])
            err = ac__flow_send_batches(n, (int64_t)pr[r].id, row, def, 0);
    if (!err && res && res->n_unassigned)
        ac_log_info("review", "%s: %zu submissions still short of reviewers", def->id,
                    res->n_unassigned);
    if (np)
        err = ac__flow_end_tx(n, err);
    ac_assign_result_free(res);
    free(ps);
    free(pr);
    free(ids_pool);
    free(dom_pool);
    free(domains.v);
    free(places.v);
    for (size_t i = 0; i < ncerts; i++)
        ac_reviewer_cert_release(&certs[i]);
    free(certs);
    for (size_t i = 0; i < nsubs; i++)
        ac_submission_release(&subs[i]);
    free(subs);
    ac_def_free(def);
    ac_credential_release(&cred);
    return err;
}

/* ---- invitations ---- */

static int credential_row_of(struct ac_node *n, const char *def_id, int64_t version, int64_t *row)
{
    struct ac_credential c;
    int err = ac_store_credential_find(n->store, def_id, version, &c);
    if (!err) {
        *row = c.id;
        ac_credential_release(&c);
    }
    return err;
}

/* The credential row a batch's work belongs to (its first real submission's
 * version, else the highest version). */
int ac__flow_batch_row(struct ac_node *n, int64_t batch_id, const char *def_id, int64_t *row)
{
    struct ac_assignment_row *as = NULL;
    size_t nas = 0;
    int64_t version = 0;
    int err = ac_store_assignment_list(n->store, 0, 0, batch_id, -1, &as, &nas);
    for (size_t i = 0; !err && i < nas && !version; i++) {
        struct ac_submission s;
        if (as[i].submission_id &&
            ac_store_submission_get(n->store, as[i].submission_id, &s) == 0) {
            version = s.credential_version;
            ac_submission_release(&s);
        }
    }
    for (size_t i = 0; i < nas; i++)
        ac_assignment_release(&as[i]);
    free(as);
    return err ? err : credential_row_of(n, def_id, version, row);
}

/* Moves every open assignment of |batch_id| to |to| and asks for a new pass. */
int ac__flow_hand_back(struct ac_node *n, int64_t batch_id, enum ac_asg_state to, int64_t row)
{
    struct ac_assignment_row *as = NULL;
    size_t nas = 0;
    int err = ac_store_assignment_list(n->store, 0, 0, batch_id, -1, &as, &nas);
    for (size_t i = 0; !err && i < nas; i++)
        if (open_state(as[i].state))
            err = ac_store_assignment_set_state(n->store, as[i].id, to, 0);
    for (size_t i = 0; i < nas; i++)
        ac_assignment_release(&as[i]);
    free(as);
    if (!err)
        err = ac_store_job_add(n->store, "assign", row, ac_clock_now_ms());
    return err;
}

int ac__flow_respond(struct ac_node *n, int64_t reviewer_id, int64_t batch_id, int accept,
                     char *why, size_t why_len)
{
    struct ac_batch_row b;
    int err = ac_store_batch_get(n->store, batch_id, &b);
    if (err || b.reviewer_id != reviewer_id)
        return AC_ENOENT;
    int64_t now = ac_clock_now_ms();
    if (b.state != AC_BATCH_INVITED) {
        set_why(why, why_len, "batch %" PRId64 " is %s; only an invited batch can be %s", batch_id,
                ac_batch_state_name(b.state), accept ? "accepted" : "declined");
        return AC_ECONFLICT;
    }
    if (now >= b.deadline_ms) {
        char when[21];
        set_why(why, why_len, "the invitation to batch %" PRId64 " expired at %s", batch_id,
                ac_clock_format(b.deadline_ms, when));
        return AC_ECONFLICT;
    }
    int64_t row;
    err = ac__flow_batch_row(n, batch_id, b.credential_id, &row);
    if (!err)
        err = ac_store_tx_begin(n->store);
    if (err)
        return err;
    err = ac_store_batch_set_state(n->store, batch_id,
                                   accept ? AC_BATCH_ACCEPTED : AC_BATCH_DECLINED, now);
    if (!err && accept) {
        struct ac_assignment_row *as = NULL;
        size_t nas = 0;
        err = ac_store_assignment_list(n->store, 0, 0, batch_id, AC_ASG_INVITED, &as, &nas);
        for (size_t i = 0; !err && i < nas; i++)
            err = ac_store_assignment_set_state(n->store, as[i].id, AC_ASG_ACCEPTED, 0);
        for (size_t i = 0; i < nas; i++)
            ac_assignment_release(&as[i]);
        free(as);
    } else if (!err) {
        err = ac__flow_hand_back(n, batch_id, AC_ASG_DECLINED, row);
    }
    if (!err)
        err = ac__flow_audit(n, "batch", batch_id, reviewer_id, accept ? "accepted" : "declined",
                             "{}");
    return ac__flow_end_tx(n, err);
}

/* ---- scores and decisions ---- */

/* One level: a name of the scale, or null (an unscored element). AC_EINVAL
 * with a sentence naming |where|, the value and the scale otherwise. */
static int parse_level(const struct ac_definition *def, const json_t *v, const char *where,
                       int *out, char *why, size_t why_len)
{
    if (!v || json_is_null(v)) {
        *out = AC_LEVEL_UNSCORED;
        return 0;
    }
    long idx = json_is_string(v) ? ac_def_level_index(def, json_string_value(v)) : -1;
    if (idx >= 0) {
        *out = (int)idx;
        return 0;
    }
    struct ac_buf b;
    ac_buf_init(&b);
    for (size_t k = 0; k < def->n_levels; k++)
        ac_buf_printf(&b, "%s\"%s\"", k ? ", " : "", def->levels[k]);
    ac_buf_terminate(&b);
    set_why(why, why_len, "%s: \"%s\" is not a level of the scale; use one of %s", where,
            json_is_string(v) ? json_string_value(v) : "(not a string)",
            b.data ? (const char *)b.data : "");
    ac_buf_release(&b);
    return AC_EINVAL;
}

static int parse_levels(const struct ac_definition *def, const json_t *levels, int *out,
                        size_t *nout, char *why, size_t why_len)
{
    size_t want = def->grain == AC_GRAIN_HOLISTIC ? 1 : def->n_elements;
    char where[96];
    int err = 0;
    if (json_is_string(levels) && want == 1) {
        err = parse_level(def, levels, "level", &out[0], why, why_len);
    } else if (json_is_array(levels) && json_array_size(levels) == want) {
        for (size_t i = 0; i < want && !err; i++) {
            snprintf(where, sizeof where, "levels[%zu]", i);
            err = parse_level(def, json_array_get(levels, i), where, &out[i], why, why_len);
        }
    } else if (json_is_object(levels) && def->grain == AC_GRAIN_PER_ELEMENT) {
        for (size_t i = 0; i < want && !err; i++) {
            snprintf(where, sizeof where, "levels.%s", def->elements[i].id);
            err = parse_level(def, json_object_get(levels, def->elements[i].id), where, &out[i],
                              why, why_len);
        }
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)levels, key, v)
        {
            int known = 0;
            for (size_t i = 0; i < def->n_elements; i++)
                known |= strcmp(def->elements[i].id, key) == 0;
            if (!err && !known) {
                set_why(why, why_len, "levels.%s: not an element of %s", key, def->id);
                err = AC_EINVAL;
            }
        }
    } else {
        set_why(why, why_len, "levels: %s grain needs %zu level name%s",
                def->grain == AC_GRAIN_HOLISTIC ? "holistic" : "per-element", want,
                want == 1 ? "" : "s, one per element");
        return AC_EINVAL;
    }
    if (!err)
        *nout = want;
    return err;
}

static int notify_outcome(struct ac_node *n, const struct ac_submission *s,
                          const struct ac_definition *def, int level, int passed,
                          int64_t resubmit_after)
{
    char subject[160], body[768], when[21];
    snprintf(subject, sizeof subject, "Outcome of your submission for %s: %s", def->title,
             def->levels[level]);
    int k = snprintf(body, sizeof body,
                     "Your submission %" PRId64 " for \"%s\" was reviewed.\nOutcome: %s (%s).\n",
                     s->id, def->title, def->levels[level], passed ? "passed" : "not yet passed");
    if (passed)
        snprintf(body + k, sizeof body - (size_t)k,
                 "Your credential record is being issued. See what to earn next:\n"
                 "  accordctl submission recommendations %" PRId64 "\n",
                 s->id);
    else
        snprintf(body + k, sizeof body - (size_t)k,
                 "You may resubmit from %s:\n  accordctl submission resubmit %" PRId64 " ...\n",
                 ac_clock_format(resubmit_after, when), s->id);
    return ac_store_notify_add(n->store, s->earner_id, "outcome", s->id, subject, body,
                               ac_clock_now_ms(), NULL);
}

/* Records the outcome of |s| in the caller's transaction. */
static int conclude(struct ac_node *n, const struct ac_submission *s,
                    const struct ac_definition *def, int64_t row, int level, int passed,
                    const char *reason, int64_t actor)
{
    int64_t now = ac_clock_now_ms();
    int64_t after = passed ? 0 : now + (int64_t)def->review.resubmission_wait_days * DAY_MS;
    int err = ac_store_submission_decide(n->store, s->id, level, passed, reason, now, after);
    if (!err)
        err = notify_outcome(n, s, def, level, passed, after);
    if (!err && !passed)
        err = ac_store_job_add(n->store, "resubmit_open", s->id, after);
    if (!err && passed)
        err = ac_store_job_add(n->store, "issue", s->id, now);
    if (!err)
        err = ac_store_job_add(n->store, "monitor", row, now);
    if (!err)
        err = ac__flow_audit(n, "submission", s->id, actor, "decided",
                             "{\"level\":\"%s\",\"passed\":%s}", def->levels[level],
                             passed ? "true" : "false");
    return err;
}

/* Decides |sub_id| when all its reviews are in (inside the caller's transaction). */
static int maybe_decide(struct ac_node *n, int64_t sub_id)
{
    struct ac_submission s;
    int err = ac_store_submission_get(n->store, sub_id, &s);
    if (err)
        return err;
    struct ac_definition *def = NULL;
    int64_t row = 0;
    struct ac_assignment_row *as = NULL;
    size_t nas = 0, ndone = 0, nopen = 0;
    err = ac__flow_definition(n, s.credential_id, s.credential_version, &row, NULL, &def);
    if (!err)
        err = ac_store_assignment_list(n->store, sub_id, 0, 0, -1, &as, &nas);
    struct ac_review *reviews = calloc(nas + 1, sizeof *reviews);
    if (!err && !reviews)
        err = AC_ENOMEM;
    for (size_t i = 0; !err && i < nas; i++) {
        if (open_state(as[i].state))
            nopen++;
        if (as[i].state == AC_ASG_DONE)
            reviews[ndone++] = (struct ac_review){as[i].levels, as[i].n_levels};
    }
    if (!err && s.state == AC_SUB_IN_REVIEW && nopen == 0 && ndone >= s.need) {
        struct ac_decision d;
        err = ac_scoring_decide(def, reviews, ndone, &d);
        if (!err && d.kind == AC_NEED_MORE) {
            err = ac_store_submission_set_need(n->store, sub_id, (unsigned)ndone + d.more);
            if (!err)
                err = ac_store_job_add(n->store, "assign", row, ac_clock_now_ms());
            if (!err)
                err = ac__flow_audit(n, "submission", sub_id, 0, "more_reviewers",
                                     "{\"more\":%u,\"reason\":\"disagreement\"}", d.more);
        } else if (!err && d.kind == AC_ESCALATE) {
            char detail[400], body[400];
            json_t *j =
                json_pack("{s:I, s:s}", "submission", (json_int_t)sub_id, "reason", d.reason);
            char *text = json_dumps(j, JSON_COMPACT);
            json_decref(j);
            snprintf(detail, sizeof detail, "%s", text ? text : "{}");
            free(text);
            snprintf(body, sizeof body,
                     "Submission %" PRId64 " for %s needs your decision: %s\n"
                     "  accordctl flag list\n",
                     sub_id, s.credential_id, d.reason);
            err = ac_store_submission_set_state(n->store, sub_id, AC_SUB_ESCALATED);
            if (!err)
                err = ac_store_flag_add(n->store, "escalation", s.credential_id, sub_id, 0, detail,
                                        ac_clock_now_ms(), NULL);
            if (!err)
                err = ac__flow_notify_admins(n, "flag", sub_id, "Submission escalated", body);
            if (!err)
                err = ac__flow_audit(n, "submission", sub_id, 0, "escalated", "%s", detail);
        } else if (!err) {
            err = conclude(n, &s, def, row, (int)d.level, d.pass, d.reason, 0);
        }
    }
    for (size_t i = 0; i < nas; i++)
        ac_assignment_release(&as[i]);
    free(as);
    free(reviews);
    ac_def_free(def);
    ac_submission_release(&s);
    return err;
}

int ac__flow_score(struct ac_node *n, int64_t reviewer_id, int64_t asg_id, const json_t *levels,
                   const char *feedback, char *why, size_t why_len)
{
    struct ac_assignment_row a;
    int err = ac_store_assignment_get(n->store, asg_id, &a);
    if (err)
        return err;
    if (a.reviewer_id != reviewer_id) {
        ac_assignment_release(&a);
        return AC_ENOENT;
    }
    struct ac_batch_row b = {0};
    if (a.state != AC_ASG_ACCEPTED) {
        set_why(why, why_len,
                "assignment %" PRId64 " is %s; only an accepted assignment can be scored", asg_id,
                ac_asg_state_name(a.state));
        ac_assignment_release(&a);
        return AC_ECONFLICT;
    }
    err = ac_store_batch_get(n->store, a.batch_id, &b);
    int64_t now = ac_clock_now_ms();
    if (!err && now >= b.deadline_ms) {
        char when[21];
        set_why(why, why_len, "the review deadline of batch %" PRId64 " passed at %s", a.batch_id,
                ac_clock_format(b.deadline_ms, when));
        err = AC_ECONFLICT;
    }
    int64_t row = 0;
    if (!err)
        err = ac__flow_batch_row(n, a.batch_id, a.credential_id, &row);
    struct ac_definition *def = NULL;
    struct ac_credential cred = {0};
    if (!err)
        err = ac__flow_definition_by_row(n, row, &def, &cred);
    int lv[AC_ASG_LEVELS_MAX];
    size_t nlv = 0;
    if (!err && def->n_elements > AC_ASG_LEVELS_MAX)
        err = AC_EINVAL;
    if (!err)
        err = parse_levels(def, levels, lv, &nlv, why, why_len);
    size_t level = 0;
    bool pass = false;
    if (!err) {
        struct ac_review r = {lv, nlv};
        if (ac_scoring_combine(def, &r, &level, &pass) != 0) {
            set_why(why, why_len,
                    "levels: a required element is unscored or a level is off the scale");
            err = AC_EINVAL;
        }
    }
    if (!err)
        err = ac_store_tx_begin(n->store);
    if (err) {
        ac_def_free(def);
        ac_credential_release(&cred);
        ac_assignment_release(&a);
        return err;
    }
    err = ac_store_assignment_score(n->store, asg_id, lv, nlv, (int)level, feedback, now);
    if (!err)
        err = ac__flow_audit(n, a.submission_id ? "submission" : "benchmark",
                             a.submission_id ? a.submission_id : asg_id, reviewer_id, "scored",
                             "{\"assignment\":%" PRId64 ",\"level\":\"%s\"}", asg_id,
                             def->levels[level]);
    /* The batch ends when nothing in it is open; the cool-off starts then. */
    struct ac_assignment_row *rest = NULL;
    size_t nrest = 0, open = 0;
    if (!err)
        err = ac_store_assignment_list(n->store, 0, 0, a.batch_id, AC_ASG_ACCEPTED, &rest, &nrest);
    open = nrest;
    for (size_t i = 0; i < nrest; i++)
        ac_assignment_release(&rest[i]);
    free(rest);
    if (!err && open == 0) {
        err = ac_store_batch_set_state(n->store, a.batch_id, AC_BATCH_DONE, now);
        if (!err)
            err = ac_store_job_add(n->store, "assign", row,
                                   now + (int64_t)def->review.cool_off_hours * HOUR_MS);
        if (!err)
            err = ac__flow_audit(n, "batch", a.batch_id, reviewer_id, "completed", "{}");
    }
    if (!err && a.submission_id)
        err = maybe_decide(n, a.submission_id);
    ac_def_free(def);
    ac_credential_release(&cred);
    ac_assignment_release(&a);
    return ac__flow_end_tx(n, err);
}

/* ---- flags ---- */

int ac__flow_resolve_flag(struct ac_node *n, int64_t admin_id, int64_t flag_id, const char *action,
                          const char *level, char *why, size_t why_len)
{
    struct ac_flag f;
    int err = ac_store_flag_get(n->store, flag_id, &f);
    if (err)
        return err;
    struct ac_submission s = {0};
    struct ac_definition *def = NULL;
    int64_t row = 0;
    if (f.resolved) {
        set_why(why, why_len, "flag %" PRId64 " was already resolved: %s", flag_id, f.resolution);
        err = AC_ECONFLICT;
    }
    int escalation = strcmp(f.kind, "escalation") == 0;
    int neardup = strcmp(f.kind, "near_duplicate") == 0;
    if (!err && ((escalation && strcmp(action, "decide") != 0) ||
                 (neardup && strcmp(action, "dismiss") != 0 && strcmp(action, "reject") != 0) ||
                 (!escalation && !neardup && strcmp(action, "acknowledge") != 0))) {
        set_why(why, why_len, "action: \"%s\" does not resolve a %s flag; use %s", action, f.kind,
                escalation ? "\"decide\" with a level"
                : neardup  ? "\"dismiss\" or \"reject\""
                           : "\"acknowledge\"");
        err = AC_EINVAL;
    }
    if (!err && f.submission_id)
        err = ac_store_submission_get(n->store, f.submission_id, &s);
    if (!err && f.submission_id)
        err = ac__flow_definition(n, s.credential_id, s.credential_version, &row, NULL, &def);
    long lv = -1;
    if (!err && escalation) {
        lv = level ? ac_def_level_index(def, level) : -1;
        if (lv < 0) {
            set_why(why, why_len, "level: \"%s\" is not a level of %s", level ? level : "",
                    def->id);
            err = AC_EINVAL;
        }
    }
    if (!err)
        err = ac_store_tx_begin(n->store);
    if (err) {
        ac_def_free(def);
        ac_submission_release(&s);
        ac_flag_release(&f);
        return err;
    }
    char resolution[160];
    snprintf(resolution, sizeof resolution, "%s%s%s", action, lv >= 0 ? ": " : "",
             lv >= 0 ? def->levels[lv] : "");
    err = ac_store_flag_resolve(n->store, flag_id, admin_id, resolution, ac_clock_now_ms());
    if (!err && escalation)
        err = conclude(n, &s, def, row, (int)lv, (size_t)lv >= def->passing_level,
                       "decided by the issuer after escalation", admin_id);
    if (!err && neardup && strcmp(action, "dismiss") == 0) {
        err = ac_store_submission_set_need(n->store, s.id, def->per_submission);
        if (!err)
            err = ac_store_submission_set_state(n->store, s.id, AC_SUB_QUEUED);
        if (!err)
            err = ac_store_job_add(n->store, "assign", row, ac_clock_now_ms());
    } else if (!err && neardup) {
        err = ac_store_submission_set_state(n->store, s.id, AC_SUB_REJECTED);
    }
    if (!err)
        err =
            ac__flow_audit(n, "flag", flag_id, admin_id, "resolved", "{\"action\":\"%s\"}", action);
    ac_def_free(def);
    ac_submission_release(&s);
    ac_flag_release(&f);
    return ac__flow_end_tx(n, err);
}
