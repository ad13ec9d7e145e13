/* scheduler.c - fires stored due jobs from a libuv timer through the table
 * of registered job kinds, and drives notification delivery.
 *
 * The timer wakes once a second (jobs are minutes to days apart), but a
 * wake reads the database only when something may have come due: the
 * earliest due job or notification the last read saw has come, this node
 * committed something since (a commit may have scheduled a job; the count
 * is in memory, ac_store_commits()), the test clock moved, or 30 s passed
 * (another node process on the same PostgreSQL database may add jobs). An
 * idle node so opens no transaction each second. A change that schedules
 * a job due now kicks a tick at once.
 *
 * On a node serving requests a tick runs as tasks of the request group
 * commit (ac__reqtx_task(), node/http/reqtx.c), never on the loop itself:
 * on PostgreSQL each statement is a round trip, which a task waits for on
 * the write handlers' fiber while the loop goes on, and a task joins the
 * open group where a transaction of the loop's own would close it first.
 * A tick is a chain of tasks: one reads the due jobs (and whether a
 * notification is due, and when the next job or notification is); once
 * its group committed, each job's run and its done mark go as one task; a
 * run that failed is rolled back alone (its savepoint) and its failure
 * recorded by another task. Only when every task of the tick is done does
 * the next tick get armed, so a job whose task has not finished is never
 * read as due and queued twice; a kick meanwhile starts the next tick as
 * soon as this one ends, and a full page of due jobs still comes back at
 * once. At stop the tasks that never ran end with AC_ECANCELED: nothing of
 * them was written, their jobs stay due for the next start. A runner's own
 * AC_ECANCELED is a failure like any other (AC_EIO): only the stop cancels. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/store/job.h"
#include "accord/store/notify.h"
#include "audit.h"
#include "review/review.h"

#define POLL_MS 1000
#define IDLE_POLL_MS (30LL * 1000) /* reads anyway: other processes may add jobs */
#define JOBS_PER_TICK AC__SCHEDULER_PAGE

#define RETRY_FIRST_MS (30LL * 1000)
#define RETRY_MAX_MS (3600LL * 1000)
#define RETRY_MAX_ATTEMPTS 20

static void on_timer(uv_timer_t *t);

/* Arms the next wake: at once (a full page: more are due; a kick that came
 * while the last tick ran; |now|), else after the poll interval. Never
 * while the node stops: its grace must not become a loop of ticks. */
static void arm(struct ac__scheduler *s, int now)
{
    if (s->closing || s->node->stopping)
        return;
    s->force = now;
    uv_timer_start(&s->timer, on_timer, now ? 0 : POLL_MS, 0);
}

/* Whether a wake may find work: otherwise it reads nothing (an idle node
 * opens no transaction each second). */
static int may_be_due(const struct ac__scheduler *s)
{
    struct ac_node *n = s->node;
    return s->force || !s->read || ac_store_commits(n->store) != s->seen_commits ||
           ac_clock_offset() != s->seen_offset || ac_clock_now_ms() >= s->next_ms ||
           (int64_t)(uv_now(n->loop) - s->read_at) >= IDLE_POLL_MS;
}

/* A due read happened: what it learned decides the wakes until the next. */
static void learned(struct ac__scheduler *s)
{
    struct ac_node *n = s->node;
    s->read = 1;
    s->read_ok = 0;
    s->seen_commits = ac_store_commits(n->store);
    s->seen_offset = ac_clock_offset();
    s->read_at = uv_now(n->loop);
}

/* Without request groups (unit tests, tools): the tick inline, each job
 * in a transaction of the loop's own. */
static void tick_inline(struct ac_node *n)
{
    struct ac__scheduler *s = n->scheduler;
    size_t got = 0;
    int err = ac_store_job_due(n->store, ac_clock_now_ms(), s->due, JOBS_PER_TICK, &got);
    if (err)
        ac_log_error("scheduler", "cannot read due jobs: %s", ac_strerror(err));
    for (size_t i = 0; i < got && !n->stopping; i++)
        ac__scheduler_run(n, &s->due[i]);
    ac__notify_pump(n);
    /* Inline ticks are for tools and tests: they poll every wake. */
    s->read = 0;
    arm(s, got == JOBS_PER_TICK);
}

static void free_scheduler(struct ac__scheduler *s)
{
    s->node->scheduler = NULL;
    free(s->kinds);
    free(s);
}

/* Every task of the tick is done: the notifications it found due go out,
 * and the next tick is armed. */
static void tick_end(struct ac__scheduler *s)
{
    s->ticking = 0;
    if (s->closed) {
        if (!s->busy)
            free_scheduler(s);
        return;
    }
    if (s->cancelled || s->closing)
        return;
    /* The notifications found due, and those the job tasks just committed
     * (their after-commit pumps ran inside the group, before its outcome
     * was known, and may have found the delivery busy), go now rather than
     * at the next read. */
    if (s->notes || s->ran)
        ac__notify_pump(s->node);
    /* What this tick's read learned holds from here: commits from now on
     * may have scheduled jobs it did not see. (Those of requests that
     * shared a group with the tick after its read are missed until the
     * next due time or the 30 s poll; a job they scheduled due now kicked
     * through ac__scheduler_commit().) After jobs ran, the next wake reads
     * again: a failed run's retry time is learned then. */
    if (s->read_ok)
        learned(s);
    if (s->ran)
        s->next_ms = 0;
    arm(s, s->again || s->got == JOBS_PER_TICK);
    s->again = 0;
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

/* The body of |job|'s run (|k| NULL: nobody registered its kind), inside
 * a transaction the caller opened: the runner, then the done mark, which
 * commit together. May run again whole after a lost race. */
static int job_body(struct ac_node *n, const struct ac_job_kind *k, const struct ac_job *job)
{
    int err = 0;
    if (k) {
        err = k->run(n, job);
        if (err == k->done_on)
            err = 0;
        if (err || k->tx == AC_JOB_TX_RUNNER_MARKS_DONE)
            return err;
    }
    return ac_store_job_done(n->store, job->id, ac_clock_now_ms());
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

static const struct ac_job_retry *retry_of(const struct ac_job_kind *k)
{
    static const struct ac_job_retry defaults = {0, 0, 0};
    return k ? &k->retry : &defaults;
}

static int64_t max_attempts_of(const struct ac_job_kind *k)
{
    return retry_of(k)->max_attempts ? retry_of(k)->max_attempts : RETRY_MAX_ATTEMPTS;
}

/* Logs the failed run of |job| with |why|, once, where it is decided. */
static void log_failure(const struct ac_job_kind *k, const struct ac_job *job, int why)
{
    int64_t attempts = job->attempts + 1;
    int64_t max_attempts = max_attempts_of(k);
    if (attempts >= max_attempts)
        ac_log_error("scheduler",
                     "job %" PRId64 " (%s %" PRId64 ") failed: %s; giving up after %" PRId64
                     " attempts",
                     job->id, job->kind, job->ref, ac_strerror(why), attempts);
    else
        ac_log_error("scheduler",
                     "job %" PRId64 " (%s %" PRId64 ") failed: %s; attempt %" PRId64 " of %" PRId64
                     ", next in %" PRId64 " s",
                     job->id, job->kind, job->ref, ac_strerror(why), attempts, max_attempts,
                     retry_delay(retry_of(k), attempts) / 1000);
}

/* The body that records the failed run of |job| (its effects already
 * rolled back), inside a transaction the caller opened: the next attempt
 * waits its back-off, and the last one permitted marks the job done and
 * tells the admins instead. */
static int failure_body(struct ac_node *n, const struct ac_job_kind *k, const struct ac_job *job,
                        int why)
{
    int64_t attempts = job->attempts + 1;
    int64_t now = ac_clock_now_ms();
    int dead = attempts >= max_attempts_of(k);
    int err = ac_store_job_retry(n->store, job->id, attempts,
                                 dead ? 0 : now + retry_delay(retry_of(k), attempts));
    if (err == AC_ENOENT) {
        /* Done already (a COMMIT whose outcome was unknown went through):
         * nothing to retry, nobody to tell. */
        ac_log_info("scheduler", "job %" PRId64 " is done already; its failure is not recorded",
                    job->id);
        return 0;
    }
    if (err || !dead)
        return err;
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
    return err;
}

int ac__scheduler_run(struct ac_node *n, const struct ac_job *job)
{
    const struct ac_job_kind *k = ac__scheduler_kind(n, job->kind);
    if (!k)
        /* Nothing on this node runs it, and nothing ever will until a kind
         * is registered: mark it done rather than poll it forever. */
        ac_log_warn("scheduler", "job %" PRId64 ": no job kind \"%s\" is registered; marked done",
                    job->id, job->kind);
    int err = ac_store_tx_begin(n->store);
    if (!err)
        err = ac__scheduler_commit(n, job_body(n, k, job));
    if (!err)
        return 0;
    log_failure(k, job, err);
    int e = ac_store_tx_begin(n->store);
    if (!e)
        e = ac__scheduler_commit(n, failure_body(n, k, job, err));
    if (e)
        ac_log_error("scheduler", "job %" PRId64 ": cannot record its failure: %s", job->id,
                     ac_strerror(e));
    return err;
}

/* ---- a tick as tasks of the request group commit ---- */

/* Task: a job's run with its done mark, or (|why| set) its failure's
 * record. */
static int job_task_run(void *arg)
{
    struct ac__job_task *jt = arg;
    struct ac_node *n = jt->s->node;
    int err = jt->why ? failure_body(n, jt->k, &jt->job, jt->why) : job_body(n, jt->k, &jt->job);
    /* AC_ECANCELED in the done callback means the stop cancelled the task:
     * a runner's own is a failure (recorded, retried) like any other. */
    return err == AC_ECANCELED ? AC_EIO : err;
}

/* A job's task ended with |err| (after its group's COMMIT when 0): a
 * failed run has its failure recorded by a task of its own; the tick ends
 * with its last task. May be called on the write handlers' fiber (a run
 * that failed alone is told at once): it only queues and counts. */
static void job_task_done(void *arg, int err)
{
    struct ac__job_task *jt = arg;
    struct ac__scheduler *s = jt->s;
    if (err == AC_ECANCELED) {
        /* The node stops: nothing of it was written, the job stays due. */
        s->cancelled = 1;
    } else if (!err && !jt->why) {
        s->ran = 1;
    } else if (err && !jt->why) {
        log_failure(jt->k, &jt->job, err);
        jt->why = err;
        int e =
            ac__reqtx_task(s->node, "scheduler: a job's failure", job_task_run, job_task_done, jt);
        if (!e)
            return;
        if (e == AC_ECANCELED)
            s->cancelled = 1;
        else
            ac_log_error("scheduler", "job %" PRId64 ": cannot record its failure: %s", jt->job.id,
                         ac_strerror(e));
    } else if (err) {
        ac_log_error("scheduler", "job %" PRId64 ": cannot record its failure: %s", jt->job.id,
                     ac_strerror(err));
    }
    if (--s->pending == 0 && !s->queuing)
        tick_end(s);
}

/* Task: reads the due jobs (and whether a notification is due) inside the
 * group's transaction; a re-run after a lost race reads them again. */
static int due_read(void *arg)
{
    struct ac__scheduler *s = arg;
    struct ac_store *st = s->node->store;
    int64_t now = ac_clock_now_ms();
    s->got = 0;
    s->notes = 0;
    s->next_ms = 0;
    int64_t next_job = INT64_MAX, next_note = INT64_MAX;
    int err = ac_store_job_due(st, now, s->due, JOBS_PER_TICK, &s->got);
    if (!err)
        err = ac_store_job_next(st, &next_job);
    /* The earliest undelivered notification, due or not (its next try).
     * While a delivery is in flight the wakes poll each second: the one
     * after it is learned once it is done. */
    struct ac_notification *note = NULL;
    size_t notes = 0;
    if (!err && !ac__notify_busy(s->node))
        err = ac_store_notify_due(st, INT64_MAX, 1, &note, &notes);
    if (notes > 0)
        next_note = note[0].next_ms;
    else if (ac__notify_busy(s->node))
        next_note = 0;
    for (size_t i = 0; i < notes; i++)
        ac_notification_release(&note[i]);
    free(note);
    s->notes = notes > 0 && next_note <= now;
    s->next_ms = next_job < next_note ? next_job : next_note;
    if (err) {
        s->got = 0;
        s->next_ms = 0;
    }
    /* Only the stop cancels a tick: an AC_ECANCELED of the store is a
     * failure. */
    return err == AC_ECANCELED ? AC_EIO : err;
}

/* The due jobs were read, and that read's group committed: each job goes
 * as a task of its own. */
static void due_read_done(void *arg, int err)
{
    struct ac__scheduler *s = arg;
    struct ac_node *n = s->node;
    if (err) {
        if (err == AC_ECANCELED)
            s->cancelled = 1;
        else
            ac_log_error("scheduler", "cannot read due jobs: %s", ac_strerror(err));
        s->got = 0;
        tick_end(s);
        return;
    }
    s->read_ok = 1;
    /* A task's done may come from inside ac__reqtx_task() (without a writer
     * thread its group runs at once): the tick ends after the last queue. */
    s->queuing = 1;
    for (size_t i = 0; i < s->got && !n->stopping && !s->cancelled; i++) {
        struct ac__job_task *jt = &s->tasks[i];
        jt->s = s;
        jt->job = s->due[i];
        jt->k = ac__scheduler_kind(n, jt->job.kind);
        jt->why = 0;
        if (!jt->k)
            /* Nothing on this node runs it, and nothing ever will until a
             * kind is registered: mark it done rather than poll it forever. */
            ac_log_warn("scheduler",
                        "job %" PRId64 ": no job kind \"%s\" is registered; marked done",
                        jt->job.id, jt->job.kind);
        s->pending++;
        int e = ac__reqtx_task(n, jt->job.kind, job_task_run, job_task_done, jt);
        if (e) {
            s->pending--;
            if (e == AC_ECANCELED)
                s->cancelled = 1;
            else
                ac_log_error("scheduler", "job %" PRId64 ": cannot queue its run: %s", jt->job.id,
                             ac_strerror(e));
        }
    }
    s->queuing = 0;
    if (s->pending == 0)
        tick_end(s);
}

static void on_timer(uv_timer_t *t)
{
    struct ac_node *n = t->data;
    struct ac__scheduler *s = n->scheduler;
    if (!n->reqtx) {
        tick_inline(n);
        return;
    }
    if (s->ticking) {
        s->again = 1;
        return;
    }
    if (!may_be_due(s)) {
        arm(s, 0);
        return;
    }
    s->ticking = 1;
    s->again = 0;
    s->force = 0;
    s->cancelled = 0;
    s->read_ok = 0;
    s->ran = 0;
    s->got = 0;
    s->pending = 0;
    int err = ac__reqtx_task(n, "scheduler: due jobs", due_read, due_read_done, s);
    if (err) {
        if (err == AC_ECANCELED)
            s->cancelled = 1;
        else
            ac_log_error("scheduler", "cannot queue the read of due jobs: %s", ac_strerror(err));
        tick_end(s);
    }
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
    struct ac__scheduler *s = n->scheduler;
    if (!s || s->closing)
        return;
    /* A tick in flight may have read before this change: another one
     * follows it at once. */
    if (s->ticking)
        s->again = 1;
    else
        arm(s, 1);
}

/* The scheduler is freed by whoever is last: the timer's close, the tick
 * in flight or the delivery in flight (notify.c). */
static void on_closed(uv_handle_t *h)
{
    struct ac__scheduler *s = ((struct ac_node *)h->data)->scheduler;
    s->closed = 1;
    if (!s->busy && !s->ticking)
        free_scheduler(s);
}

void ac__scheduler_stop(struct ac_node *n)
{
    if (!n->scheduler || n->scheduler->closing)
        return;
    n->scheduler->closing = 1;
    uv_close((uv_handle_t *)&n->scheduler->timer, on_closed);
}
