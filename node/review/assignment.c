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
#include "accord/store/flag.h"
#include "accord/store/job.h"
#include "accord/store/notify.h"
#include "accord/store/remote.h"
#include "accord/store/reviewer.h"
#include "accord/store/submission.h"
#include "audit.h"
#include "federation/borrow.h"
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

/* Flags read per store query while looking for a submission's open flag. */
#define FLAG_PAGE 256

/* Sets |*id| to the open "no_reviewer" flag of submission |sub_id| (0 when
 * there is none) and, when |detail| is not NULL, |*detail| to a copy of its
 * detail text (the caller frees it). */
static int waiting_flag(struct ac_store *st, int64_t sub_id, int64_t *id, char **detail)
{
    *id = 0;
    int64_t after = 0;
    for (;;) {
        struct ac_flag *fs = NULL;
        size_t k = 0;
        int err = ac_store_flag_list(st, 1, after, FLAG_PAGE, &fs, &k);
        if (err)
            return err;
        for (size_t i = 0; i < k; i++) {
            after = fs[i].id;
            if (!*id && fs[i].submission_id == sub_id && strcmp(fs[i].kind, "no_reviewer") == 0) {
                *id = fs[i].id;
                if (detail && !(*detail = strdup(fs[i].detail ? fs[i].detail : "{}")))
                    err = AC_ENOMEM;
            }
            ac_flag_release(&fs[i]);
        }
        free(fs);
        if (err || *id || k < FLAG_PAGE)
            return err;
    }
}

json_t *ac__assignment_waiting(struct ac_node *n, const struct ac_submission *s)
{
    if (s->state != AC_SUB_QUEUED && s->state != AC_SUB_IN_REVIEW)
        return NULL;
    int64_t id;
    char *detail = NULL;
    if (waiting_flag(n->store, s->id, &id, &detail) || !id) {
        free(detail);
        return NULL;
    }
    json_t *d = json_loads(detail, 0, NULL);
    free(detail);
    json_t *j = d ? json_pack("{s:O, s:O}", "reason", json_object_get(d, "reason"), "missing",
                              json_object_get(d, "missing"))
                  : NULL;
    json_decref(d);
    return j;
}

/* Submission |sub_id| of |earner| still lacks |missing| reviews after a pass
 * for |why| (no qualified reviewer free of conflicts): the issuer gets a flag
 * and a notification, the earner a notification and the reason in their
 * submission's status, once while the flag is open. */
static int no_reviewer(struct ac_node *n, const struct ac_definition *def, int64_t sub_id,
                       int64_t earner, unsigned missing, enum ac_assign_reason why)
{
    int64_t open;
    int err = waiting_flag(n->store, sub_id, &open, NULL);
    if (err || open)
        return err;
    char reason[400];
    snprintf(reason, sizeof reason,
             "%u review%s missing: %s for \"%s\" right now (it is assigned as soon as one is)",
             missing, missing == 1 ? "" : "s",
             why == AC_ASSIGN_NO_QUALIFIED
                 ? "too few certified reviewers are available"
                 : "every available certified reviewer has a conflict of interest",
             def->title);
    json_t *j = json_pack("{s:s, s:I, s:s}", "reason", reason, "missing", (json_int_t)missing,
                          "cause", ac_assign_reason_name(why));
    char *detail = j ? json_dumps(j, JSON_COMPACT) : NULL;
    int64_t now = ac_clock_now_ms();
    char subject[200], body[600];
    snprintf(subject, sizeof subject, "Submission %" PRId64 " has no reviewer (%s)", sub_id,
             def->id);
    snprintf(body, sizeof body,
             "Submission %" PRId64 " waits: %s.\nCertify or free more reviewers of %s.\n", sub_id,
             reason, def->id);
    err = detail ? ac_store_flag_add(n->store, "no_reviewer", def->id, sub_id, 0, detail, now, NULL)
                 : AC_ENOMEM;
    if (!err)
        err = ac__notify_admins(n, "flag", sub_id, subject, body);
    snprintf(subject, sizeof subject, "Your submission %" PRId64 " is waiting for reviewers",
             sub_id);
    snprintf(body, sizeof body, "Your submission %" PRId64 " is waiting: %s.\n", sub_id, reason);
    if (!err)
        err = ac_store_notify_add(n->store, earner, "waiting", sub_id, subject, body, now, NULL);
    if (!err)
        err = audit(n, "submission", sub_id, "no_reviewer", j ? json_incref(j) : NULL);
    json_decref(j);
    free(detail);
    return err;
}

/* Submission |sub_id| was given a reviewer: its "no reviewer" flag, if any,
 * is resolved by the node, so neither the inbox nor the earner's status
 * says it waits any more. */
static int reviewer_found(struct ac_node *n, int64_t sub_id)
{
    int64_t open;
    int err = waiting_flag(n->store, sub_id, &open, NULL);
    if (!err && open)
        err = ac_store_flag_resolve(n->store, open, 0, "reviewers found: assigned",
                                    ac_clock_now_ms());
    return err;
}

json_t *ac__assignment_seed_elements(const struct ac_definition *def, const char *content)
{
    json_t *given = json_loads(content, 0, NULL);
    json_t *out = json_array();
    int fits = out != NULL;
    if (!json_is_array(given)) {
        /* Plain text reads as the one element of a one-element credential;
         * shown as one of several it would give the benchmark away. */
        fits = fits && def->n_elements == 1;
        if (fits)
            fits = !json_array_append_new(
                out, json_pack("{s:s, s:s}", "id", def->elements[0].id, "text", content));
    } else {
        size_t used = 0;
        for (size_t i = 0; fits && i < def->n_elements; i++) {
            const char *text = NULL;
            size_t k;
            json_t *e;
            json_array_foreach(given, k, e)
            {
                const char *id = json_string_value(json_object_get(e, "id"));
                if (id && strcmp(id, def->elements[i].id) == 0)
                    text = json_string_value(json_object_get(e, "text"));
            }
            if (!text) {
                fits = !def->elements[i].required;
                continue;
            }
            used++;
            fits = !json_array_append_new(
                out, json_pack("{s:s, s:s}", "id", def->elements[i].id, "text", text));
        }
        /* Every element it gives must be one of the definition's, once. */
        fits = fits && used == json_array_size(given);
    }
    json_decref(given);
    if (!fits) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* Keeps in |seeds| (|*n| of them) only the benchmark items that can be shown
 * exactly as a real submission of |def| is (ac__assignment_seed_elements()):
 * the others would not be blind. */
static int seeds_that_fit(struct ac_node *n, const struct ac_definition *def,
                          struct ac_seed_item *seeds, size_t *nseeds)
{
    size_t k = 0;
    for (size_t i = 0; i < *nseeds; i++) {
        char *content = NULL;
        int err = ac_store_seed_content(n->store, seeds[i].id, &content);
        if (err) {
            free(content);
            return err;
        }
        json_t *shown = ac__assignment_seed_elements(def, content);
        free(content);
        if (shown)
            seeds[k++] = seeds[i];
        json_decref(shown);
    }
    *nseeds = k;
    return 0;
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
    if (!err && nseeds && def->maintenance.benchmark_seed_rate > 0)
        err = seeds_that_fit(n, def, seeds, &nseeds);
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
        /* A stand-in is invited by its home node: the batch is offered
         * there (federation/borrow_issuer.c, by a job stored with it)
         * instead of notified here. */
        struct ac_remote_reviewer home;
        int remote = err ? AC_ENOENT : ac_store_remote_reviewer_get(n->store, reviewer, &home);
        if (!err && remote != AC_ENOENT)
            err = remote ? remote : ac_store_job_add(n->store, "borrow_offer", bid, now);
        else if (!err)
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
    bool *away_of = NULL;       /* per reviewer: away (profile unavailable), not just busy */
    unsigned *active_of = NULL; /* per submission: reviews it had before this pass */
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
    away_of = calloc(ncerts + 1, sizeof *away_of);
    active_of = calloc(nsubs + 1, sizeof *active_of);
    /* One pool for every id list the problem borrows: assigned and previous
     * reviewers per submission (at most 64 each), and the single credential. */
    ids_pool = calloc((nsubs + 1) * 128, sizeof *ids_pool);
    dom_pool = calloc((ncerts + 1) * 32, sizeof *dom_pool);
    if (!err && (!ps || !pr || !away_of || !active_of || !ids_pool || !dom_pool))
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
            /* Work withdrawn before its reviewer saw it bars them from nothing. */
            if (as[k].state != AC_ASG_CANCELLED)
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
        active_of[np] = active;
        np++;
    }
    size_t nr = 0;
    int64_t cool_ms = (int64_t)def->review.cool_off_hours * HOUR_MS;
    int64_t period_ms = (int64_t)def->pool.period_days * DAY_MS, next_free = 0;
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
        away_of[nr - 1] = away;
        /* Two caps: what a reviewer holds open at once, and what they are
         * given per period (pool.assignments_per_reviewer, "per month" in
         * the seed); the tighter one bounds this pass. */
        uint32_t given = 0;
        int64_t oldest = 0;
        err = ac_store_assignment_period(n->store, certs[i].user_id, def->id, now - period_ms,
                                         &given, &oldest);
        if (err)
            break;
        r->cap = def->pool.open_assignments_max ? def->pool.open_assignments_max
                 : def->review.batch_size       ? def->review.batch_size
                                                : 1;
        r->load = load > r->cap ? r->cap : load;
        uint32_t left = given >= def->pool.assignments_per_reviewer
                            ? 0
                            : def->pool.assignments_per_reviewer - given;
        if (left < r->cap - r->load)
            r->cap = r->load + left;
        /* At the quota, a pass is due when the oldest counted assignment
         * leaves the period. */
        if (left == 0 && oldest && (next_free == 0 || oldest + period_ms < next_free))
            next_free = oldest + period_ms;
    }
    /* Master mode: at the issuer's rate a submission also goes, blind, to a
     * second master (a disagreement is escalated; decisions.c). */
    struct ac_assign_credential crule = {
        1, true, def->mode == AC_MODE_MASTER ? def->maintenance.second_master_rate : 0};
    struct ac_assign_problem p = {ps, np, pr, nr, &crule, 1};
    /* Borrowed reviewers wait behind own ones unless own reviewers cannot
     * take the backlog or the credential borrows always (pool_borrowed.c). */
    if (!err && np)
        err = ac__borrow_gate(n, def->id, &p, pr, away_of);
    if (!err && np)
        err = ac_assign_run(&p, &res);
    struct ac_assign_rng rng;
    if (!err && res && crule.second_master_rate > 0)
        err = ac_assign_rng_sodium(&rng);
    if (!err && res && crule.second_master_rate > 0)
        err = ac_assign_second_master(&p, res, &rng);
    /* The draw is made once, when a submission gets its first master: one
     * that had reviews before this pass keeps the draw it had then. */
    if (!err && res && res->second_master_drawn) {
        size_t k = 0;
        for (size_t i = 0; i < res->n_assignments; i++) {
            const struct ac_assignment *a = &res->assignments[i];
            if (a->second_master && active_of[a->submission] > 0)
                res->added[a->reviewer]--;
            else
                res->assignments[k++] = *a;
        }
        res->n_assignments = k;
    }
    for (size_t q = 0; !err && res && res->second_master_drawn && q < np; q++)
        res->second_master_drawn[q] &= active_of[q] == 0;
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
        struct ac_assignment_row row_in = {
            .submission_id = (int64_t)ps[a->submission].id,
            .benchmark_level = -1,
            .reviewer_id = (int64_t)pr[a->reviewer].id,
            .state = AC_ASG_PENDING,
            .level = -1,
            .credential_row = row,
            .second_master =
                a->second_master || (def->mode == AC_MODE_MASTER && active_of[a->submission] > 0)};
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
    /* A submission drawn for a second-master check wants one more review,
     * whether a second master was free now or comes in a later pass (any
     * master beyond the first is marked as the check). */
    for (size_t q = 0; !err && res && res->second_master_drawn && q < np; q++) {
        struct ac_submission cur;
        if (!res->second_master_drawn[q] ||
            (err = ac_store_submission_get(n->store, (int64_t)ps[q].id, &cur)))
            continue;
        err = ac_store_submission_set_need(n->store, cur.id, cur.need + 1);
        ac_submission_release(&cur);
    }
    /* Work that got every reviewer it lacked no longer waits. */
    for (size_t i = 0; !err && res && i < res->n_assignments; i++) {
        size_t q = res->assignments[i].submission;
        int short_still = 0;
        for (size_t k = 0; k < res->n_unassigned; k++)
            short_still |= res->unassigned[k].submission == q;
        if (!short_still && (i == 0 || res->assignments[i - 1].submission != q))
            err = reviewer_found(n, (int64_t)ps[q].id);
    }
    for (size_t r = 0; !err && res && r < nr; r++)
        if (res->added[r])
            err = ac__assignment_send_batches(n, (int64_t)pr[r].id, row, def, 0);
    if (!err && res && res->n_unassigned)
        ac_log_info("review", "%s: %zu submissions still short of reviewers", def->id,
                    res->n_unassigned);
    int short_of_capacity = 0;
    for (size_t i = 0; res && i < res->n_unassigned; i++)
        short_of_capacity |= res->unassigned[i].reason == AC_ASSIGN_CAPACITY;
    if (!err && short_of_capacity && next_free)
        err = ac_store_job_add(n->store, "assign", row, next_free);
    /* Work no reviewer can take is shown to the issuer and the earner. Work
     * that only waits for reviewers busy, cooling off or at their caps gets
     * them in a later pass (each one freed wakes one): it waits quietly. So
     * the reviewers who could take it are counted as if none were busy,
     * those given it in this pass aside. */
    for (size_t r = 0; r < nr; r++)
        pr[r].available = !away_of[r];
    for (size_t i = 0; !err && res && i < res->n_unassigned; i++) {
        const struct ac_assign_unassigned *u = &res->unassigned[i];
        if (u->reason == AC_ASSIGN_CAPACITY)
            continue;
        uint32_t could = 0;
        for (size_t r = 0; r < nr; r++) {
            int given = 0;
            for (size_t k = 0; k < res->n_assignments; k++)
                given |= res->assignments[k].submission == u->submission &&
                         res->assignments[k].reviewer == r;
            could += !given && ac_assign_allowed(&p, u->submission, r);
        }
        if (could < u->missing)
            err = no_reviewer(n, def, (int64_t)ps[u->submission].id,
                              (int64_t)ps[u->submission].earner, u->missing, u->reason);
    }
    if (in_tx)
        err = ac__scheduler_commit(n, err);
    ac_assign_result_free(res);
    free(ps);
    free(pr);
    free(away_of);
    free(active_of);
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

int ac__assignment_wake(struct ac_node *n, int64_t reviewer, int64_t due_ms)
{
    int64_t *rows = NULL;
    size_t k = 0;
    int err = ac_store_reviewer_certified_rows(n->store, reviewer, &rows, &k);
    for (size_t i = 0; !err && i < k; i++)
        err = ac_store_job_add(n->store, "assign", rows[i], due_ms);
    free(rows);
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
    /* After downtime a reminder may come due with its deadline already past:
     * the expiry notice that follows says it all, so none is sent. */
    if (ac_clock_now_ms() >= b.deadline_ms)
        return 0;
    /* A stand-in's home node reminds its reviewer itself. */
    struct ac_remote_reviewer home;
    if (ac_store_remote_reviewer_get(n->store, b.reviewer_id, &home) == 0)
        return 0;
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
    int64_t now = ac_clock_now_ms();
    err = ac_store_batch_set_state(n->store, b.id, AC_BATCH_EXPIRED, now);
    /* The work goes to others now; the reviewer who let it lapse waits out a
     * cool-off (ac_store_reviewer_load()) and is considered again after it. */
    if (!err)
        err = ac__assignment_hand_back(n, b.id, AC_ASG_EXPIRED, b.credential_row);
    /* Lent out: the lender is told (and tells its reviewer), and a result
     * that still comes is refused (federation/borrow_issuer.c). */
    struct ac_remote_reviewer home;
    int lent = !err && ac_store_remote_reviewer_get(n->store, b.reviewer_id, &home) == 0;
    if (lent)
        err = ac__borrow_reclaim(n, b.id, "the review deadline passed");
    struct ac_credential cred;
    struct ac_definition *def = NULL;
    if (!err && ac__review_definition_at(n, b.credential_row, &def, &cred) == 0) {
        err = ac_store_job_add(n->store, "assign", b.credential_row,
                               now + (int64_t)def->review.cool_off_hours * HOUR_MS);
        ac_def_free(def);
        ac_credential_release(&cred);
    }
    if (!err && !lent)
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
