/* scheduler.c - fires stored due jobs from a libuv timer through the table
 * of registered job kinds, and drives notification delivery.
 *
 * The timer polls once a second (jobs are minutes to days apart, and the test
 * clock can jump forward at any moment, so a poll is simpler and as prompt as
 * re-arming to the next due time); a change that schedules a job due now
 * kicks it to run at once. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/store/job.h"
#include "audit.h"
#include "review/review.h"

#define POLL_MS 1000
#define JOBS_PER_TICK 64

#define RETRY_FIRST_MS (30LL * 1000)
#define RETRY_MAX_MS (3600LL * 1000)
#define RETRY_MAX_ATTEMPTS 20

static void on_timer(uv_timer_t *t)
{
    struct ac_node *n = t->data;
    struct ac_job jobs[JOBS_PER_TICK];
    size_t got = 0;
    int err = ac_store_job_due(n->store, ac_clock_now_ms(), jobs, JOBS_PER_TICK, &got);
    if (err)
        ac_log_error("scheduler", "cannot read due jobs: %s", ac_strerror(err));
    for (size_t i = 0; i < got && !n->stopping; i++)
        ac__scheduler_run(n, &jobs[i]);
    ac__notify_pump(n);
    /* A full page means more are due: come back at once. */
    uv_timer_start(&n->scheduler->timer, on_timer, got == JOBS_PER_TICK ? 0 : POLL_MS, 0);
}

int ac__scheduler_start(struct ac_node *n)
{
    struct ac__scheduler *s = calloc(1, sizeof *s);
    if (!s)
        return AC_ENOMEM;
    int err = uv_timer_init(n->loop, &s->timer);
    if (err) {
        free(s);
        return err;
    }
    s->timer.data = n;
    s->node = n;
    n->scheduler = s;
    return uv_timer_start(&s->timer, on_timer, 0, 0);
}

const struct ac_job_kind *ac__scheduler_kind(const struct ac_node *n, const char *name)
{
    for (size_t i = 0; n->scheduler && i < n->scheduler->n_kinds; i++)
        if (strcmp(n->scheduler->kinds[i]->name, name) == 0)
            return n->scheduler->kinds[i];
    return NULL;
}

int ac__scheduler_add_kinds(struct ac_node *n, const struct ac_job_kind *kinds, size_t count)
{
    struct ac__scheduler *s = n->scheduler;
    if (!s)
        return AC_EBUG;
    for (size_t i = 0; i < count; i++) {
        size_t len = kinds[i].name ? strlen(kinds[i].name) : 0;
        if (len == 0 || len > AC_JOB_KIND_MAX || !kinds[i].run) {
            ac_log_error("scheduler",
                         "job kind %zu: \"%s\" needs a name of 1 to %d bytes and a "
                         "runner",
                         i, kinds[i].name ? kinds[i].name : "", AC_JOB_KIND_MAX);
            return AC_EBUG;
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(kinds[k].name, kinds[i].name) == 0)
                return AC_EEXIST;
        if (ac__scheduler_kind(n, kinds[i].name))
            return AC_EEXIST;
    }
    const struct ac_job_kind **grown = realloc(s->kinds, (s->n_kinds + count + 1) * sizeof *grown);
    if (!grown)
        return AC_ENOMEM;
    s->kinds = grown;
    for (size_t i = 0; i < count; i++)
        s->kinds[s->n_kinds++] = &kinds[i];
    return 0;
}

int ac__scheduler_commit(struct ac_node *n, int err)
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

/* Marks |job| done in a transaction of its own. */
static int mark_done(struct ac_node *n, const struct ac_job *job)
{
    int err = ac_store_tx_begin(n->store);
    if (err)
        return err;
    return ac__scheduler_commit(n, ac_store_job_done(n->store, job->id, ac_clock_now_ms()));
}

static int run_kind(struct ac_node *n, const struct ac_job_kind *k, const struct ac_job *job)
{
    int err;
    switch (k->tx) {
    case AC_JOB_TX_RUNNER_MARKS_DONE:
        return k->run(n, job);
    case AC_JOB_TX_RUNNER:
        err = k->run(n, job);
        if (err && err != k->done_on)
            return err;
        return mark_done(n, job);
    case AC_JOB_TX_SCHEDULER:
    default:
        err = ac_store_tx_begin(n->store);
        if (err)
            return err;
        err = k->run(n, job);
        if (err == k->done_on)
            err = 0;
        if (!err)
            err = ac_store_job_done(n->store, job->id, ac_clock_now_ms());
        return ac__scheduler_commit(n, err);
    }
}

/* The wait before retry |attempt| (1 = the first retry) under |r|: its first
 * delay doubling up to its maximum. */
static int64_t retry_delay(const struct ac_job_retry *r, int64_t attempt)
{
    int64_t first = r->first_ms ? r->first_ms : RETRY_FIRST_MS;
    int64_t max = r->max_ms ? r->max_ms : RETRY_MAX_MS;
    int64_t d = first;
    for (int64_t i = 1; i < attempt && d < max; i++)
        d *= 2;
    return d < max ? d : max;
}

/* Records the failed run of |job| (its effects already rolled back) in a
 * transaction of its own: the next attempt waits its back-off, and the last
 * one permitted marks the job done and tells the admins instead. */
static void job_failed(struct ac_node *n, const struct ac_job_kind *k, const struct ac_job *job,
                       int why)
{
    static const struct ac_job_retry defaults = {0, 0, 0};
    const struct ac_job_retry *r = k ? &k->retry : &defaults;
    int64_t max_attempts = r->max_attempts ? r->max_attempts : RETRY_MAX_ATTEMPTS;
    int64_t attempts = job->attempts + 1;
    int64_t now = ac_clock_now_ms();
    int dead = attempts >= max_attempts;
    if (dead)
        ac_log_error("scheduler",
                     "job %" PRId64 " (%s %" PRId64 ") failed: %s; giving up after %" PRId64
                     " attempts",
                     job->id, job->kind, job->ref, ac_strerror(why), attempts);
    else
        ac_log_error("scheduler",
                     "job %" PRId64 " (%s %" PRId64 ") failed: %s; attempt %" PRId64 " of %" PRId64
                     ", next in %" PRId64 " s",
                     job->id, job->kind, job->ref, ac_strerror(why), attempts, max_attempts,
                     retry_delay(r, attempts) / 1000);
    int err = ac_store_tx_begin(n->store);
    if (err) {
        ac_log_error("scheduler", "job %" PRId64 ": cannot record its failure: %s", job->id,
                     ac_strerror(err));
        return;
    }
    err =
        ac_store_job_retry(n->store, job->id, attempts, dead ? 0 : now + retry_delay(r, attempts));
    if (!err && dead) {
        char body[256];
        snprintf(body, sizeof body,
                 "Job %" PRId64 " (%s about %" PRId64 ") failed %" PRId64
                 " times (last: %s) and will not be retried.\n",
                 job->id, job->kind, job->ref, attempts, ac_strerror(why));
        err = ac_store_job_done(n->store, job->id, now);
        if (!err)
            err = ac__notify_admins(n, "flag", 0, "Scheduled job abandoned", body);
        json_t *d = json_pack("{s:s, s:I, s:I}", "kind", job->kind, "ref", (json_int_t)job->ref,
                              "attempts", (json_int_t)attempts);
        if (!err)
            err = d ? ac_audit_id(n, "job", job->id, 0, "abandoned", d) : AC_ENOMEM;
        json_decref(d);
    }
    err = ac__scheduler_commit(n, err);
    if (err)
        ac_log_error("scheduler", "job %" PRId64 ": cannot record its failure: %s", job->id,
                     ac_strerror(err));
}

int ac__scheduler_run(struct ac_node *n, const struct ac_job *job)
{
    const struct ac_job_kind *k = ac__scheduler_kind(n, job->kind);
    int err;
    if (k) {
        err = run_kind(n, k, job);
    } else {
        /* Nothing on this node runs it, and nothing ever will until a kind
         * is registered: mark it done rather than poll it forever. */
        ac_log_warn("scheduler", "job %" PRId64 ": no job kind \"%s\" is registered; marked done",
                    job->id, job->kind);
        err = mark_done(n, job);
    }
    if (err)
        job_failed(n, k, job, err);
    return err;
}

static void kick_after_commit(void *arg)
{
    ac__scheduler_kick(arg);
}

void ac__scheduler_kick(struct ac_node *n)
{
    /* Inside a transaction (a request's, whose COMMIT runs later on the
     * writer thread) the jobs it queued are visible once it commits: wake
     * then, or a tick in between would read without them. */
    if (ac_store_tx_open(n->store) &&
        ac_store_after_commit(n->store, kick_after_commit, NULL, n) == 0)
        return;
    if (n->scheduler && !n->scheduler->closing)
        uv_timer_start(&n->scheduler->timer, on_timer, 0, 0);
}

/* The scheduler is freed by whoever is last: the timer's close or the
 * delivery in flight (notify.c). */
static void on_closed(uv_handle_t *h)
{
    struct ac__scheduler *s = ((struct ac_node *)h->data)->scheduler;
    s->closed = 1;
    if (!s->busy) {
        s->node->scheduler = NULL;
        free(s->kinds);
        free(s);
    }
}

void ac__scheduler_stop(struct ac_node *n)
{
    if (!n->scheduler || n->scheduler->closing)
        return;
    n->scheduler->closing = 1;
    uv_close((uv_handle_t *)&n->scheduler->timer, on_closed);
}
