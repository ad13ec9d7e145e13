/* assignment.c - the assignment service: passes that give queued work to
 * certified reviewers meeting every constraint (core/review/assign.h),
 * batching of a reviewer's work with blind benchmark seeding
 * (core/review/batch), and the stored jobs of a batch's life: the batch
 * timer, reminders and the deadline that hands unscored work back.
 *
 * Every batch and assignment carries the credentials row it is reviewed
 * under, so the definition is found by key. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/review/assign.h"
#include "accord/store/assignment.h"
#include "accord/store/credential.h"
#include "accord/store/job.h"
#include "accord/store/notify.h"
#include "accord/store/reviewer.h"
#include "accord/store/submission.h"
#include "audit.h"
#include "review/review.h"

#define HOUR_MS (3600LL * 1000)
#define DAY_MS (24 * HOUR_MS)

/* Writes an audit row by the node about |kind| |subject| with |detail|
 * (takes ownership; NULL means jansson ran out of memory). */
static int audit(struct ac_node *n, const char *kind, int64_t subject, const char *action,
                 json_t *detail)
{
    int err = detail ? ac_audit_id(n, kind, subject, 0, action, detail) : AC_ENOMEM;
    json_decref(detail);
    return err;
}

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

int ac__assignment_open(enum ac_asg_state s)
{
    return s == AC_ASG_PENDING || s == AC_ASG_INVITED || s == AC_ASG_ACCEPTED;
}

int ac__assignment_send_batches(struct ac_node *n, int64_t reviewer, int64_t row,
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
        err = ac_store_batch_insert(n->store, reviewer, def->id, row, now, deadline, &bid);
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
            a.credential_row = row;
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
            err = audit(n, "batch", bid, "invited",
                        json_pack("{s:I, s:I, s:s}", "reviewer", (json_int_t)reviewer, "items",
                                  (json_int_t)bt->n_items, "credential", def->id));
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

int ac__assignment_pool(struct ac_store *st, int64_t row, struct ac_reviewer_cert **out, size_t *n)
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

int ac__assignment_pass(struct ac_node *n, int64_t row)
{
    struct ac_credential cred;
    struct ac_definition *def = NULL;
    int err = ac__review_definition_at(n, row, &def, &cred);
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
        err = ac__assignment_pool(n->store, row, &certs, &ncerts);
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
            if (ac__assignment_open(as[k].state) || as[k].state == AC_ASG_DONE)
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
    /* The transaction is opened only when there is work to assign, and only
     * the one opened here is ended here: a failed run before it (a store
     * read, the assignment solver) has nothing to roll back. */
    int in_tx = 0;
    if (!err && np) {
        err = ac_store_tx_begin(n->store);
        in_tx = !err;
    }
    for (size_t i = 0; !err && res && i < res->n_assignments; i++) {
        const struct ac_assignment *a = &res->assignments[i];
        struct ac_assignment_row row_in = {.submission_id = (int64_t)ps[a->submission].id,
                                           .benchmark_level = -1,
                                           .reviewer_id = (int64_t)pr[a->reviewer].id,
                                           .state = AC_ASG_PENDING,
                                           .level = -1,
                                           .credential_row = row};
        snprintf(row_in.credential_id, sizeof row_in.credential_id, "%s", def->id);
        int64_t aid;
        err = ac_store_assignment_insert(n->store, &row_in, now, &aid);
        if (!err)
            err = ac_store_submission_set_state(n->store, row_in.submission_id, AC_SUB_IN_REVIEW);
        if (!err)
            err = audit(n, "submission", row_in.submission_id, "assigned",
                        json_pack("{s:I, s:I}", "reviewer", (json_int_t)row_in.reviewer_id,
                                  "assignment", (json_int_t)aid));
    }
    for (size_t r = 0; !err && res && r < nr; r++)
        if (res->added[r])
            err = ac__assignment_send_batches(n, (int64_t)pr[r].id, row, def, 0);
    if (!err && res && res->n_unassigned)
        ac_log_info("review", "%s: %zu submissions still short of reviewers", def->id,
                    res->n_unassigned);
    if (in_tx)
        err = ac__scheduler_commit(n, err);
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

int ac__assignment_hand_back(struct ac_node *n, int64_t batch_id, enum ac_asg_state to, int64_t row)
{
    struct ac_assignment_row *as = NULL;
    size_t nas = 0;
    int err = ac_store_assignment_list(n->store, 0, 0, batch_id, -1, &as, &nas);
    for (size_t i = 0; !err && i < nas; i++)
        if (ac__assignment_open(as[i].state))
            err = ac_store_assignment_set_state(n->store, as[i].id, to, 0);
    for (size_t i = 0; i < nas; i++)
        ac_assignment_release(&as[i]);
    free(as);
    if (!err)
        err = ac_store_job_add(n->store, "assign", row, ac_clock_now_ms());
    return err;
}

/* ---- jobs ---- */

int ac__assignment_job_pass(struct ac_node *n, const struct ac_job *job)
{
    return ac__assignment_pass(n, job->ref);
}

int ac__assignment_job_reminder(struct ac_node *n, const struct ac_job *job)
{
    struct ac_batch_row b;
    int err = ac_store_batch_get(n->store, job->ref, &b);
    if (err || (b.state != AC_BATCH_INVITED && b.state != AC_BATCH_ACCEPTED))
        return err == AC_ENOENT ? 0 : err;
    char subject[128], body[256], when[21];
    snprintf(subject, sizeof subject, "Reminder: batch %" PRId64 " is due", b.id);
    snprintf(body, sizeof body, "Batch %" PRId64 " for %s is due at %s (%s).\n", b.id,
             b.credential_id, ac_clock_format(b.deadline_ms, when),
             b.state == AC_BATCH_INVITED ? "not yet accepted" : "accepted, scores missing");
    return ac_store_notify_add(n->store, b.reviewer_id, "reminder", 0, subject, body,
                               ac_clock_now_ms(), NULL);
}

/* The deadline passed: the unscored work goes to replacements. */
int ac__assignment_job_deadline(struct ac_node *n, const struct ac_job *job)
{
    struct ac_batch_row b;
    int err = ac_store_batch_get(n->store, job->ref, &b);
    if (err || (b.state != AC_BATCH_INVITED && b.state != AC_BATCH_ACCEPTED))
        return err == AC_ENOENT ? 0 : err;
    err = ac_store_batch_set_state(n->store, b.id, AC_BATCH_EXPIRED, ac_clock_now_ms());
    if (!err)
        err = ac__assignment_hand_back(n, b.id, AC_ASG_EXPIRED, b.credential_row);
    if (!err)
        err =
            ac_store_notify_add(n->store, b.reviewer_id, "expired", 0, "Your review batch expired",
                                "The deadline passed; the unscored work went to other "
                                "reviewers.\n",
                                ac_clock_now_ms(), NULL);
    if (!err)
        err = audit(n, "batch", b.id, "expired", json_object());
    return err;
}

/* The batch timer: send whatever the reviewer has pending, partial or not. */
int ac__assignment_job_batch_timer(struct ac_node *n, const struct ac_job *job)
{
    struct ac_assignment_row a;
    int err = ac_store_assignment_get(n->store, job->ref, &a);
    if (err || a.state != AC_ASG_PENDING) {
        if (!err)
            ac_assignment_release(&a);
        return err == AC_ENOENT ? 0 : err;
    }
    struct ac_credential cred;
    struct ac_definition *def = NULL;
    err = ac__review_definition_at(n, a.credential_row, &def, &cred);
    if (!err) {
        err = ac__assignment_send_batches(n, a.reviewer_id, a.credential_row, def, 1);
        ac_def_free(def);
        ac_credential_release(&cred);
    }
    ac_assignment_release(&a);
    return err;
}
