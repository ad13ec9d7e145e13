/* readers.c - the reader threads of readers.h: a queue of read jobs guarded
 * by one mutex, a few threads each draining it with its own read-only store,
 * and a uv_async that hands finished jobs back to the loop. Our own threads,
 * not libuv's shared pool: artifact file work runs there, and a burst of
 * slow reads must not queue behind uploads (nor uploads behind reads). */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "accord/base/buf.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/store/nowait.h"
#include "accord/store/store.h"
#include "internal.h"
#include "problem.h"
#include "readers.h"

struct reader {
    pthread_t thread;
    struct ac_store *store; /* owned; used by this thread alone while it runs */
    struct ac__readers *pool;
};

struct ac__readers {
    uv_async_t async; /* first: the memory goes when both handles are closed */
    uv_idle_t flush;  /* active while |batch| holds jobs */
    /* The loop's alone: the jobs submitted since the last flush (FIFO).
     * Handing jobs to the threads once per loop iteration, not once per
     * job, is what makes a read cheap: one lock and at most one wake-up per
     * thread for all the requests one read from the socket carried, where a
     * wake-up per job made the threads and the loop preempt each other on
     * every request (docs/record-reads.md, "Fewer hand-offs"). */
    struct ac__read_job *batch, *batch_tail;
    size_t nbatch;
    /* Guarded by mu: the jobs waiting for a thread (FIFO: head and tail),
     * how many, and how many threads wait on cv for them. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct ac__read_job *queue, *queue_tail;
    size_t nqueue;
    unsigned idle;
    int stopping; /* written by the loop alone, under mu */
    /* Guarded by done_mu, a lock of its own so that threads handing back
     * jobs and the loop queueing new ones do not wait for each other: the
     * finished jobs waiting for the loop. */
    pthread_mutex_t done_mu;
    struct ac__read_job *finished, *finished_tail;
    /* The loop's alone (threads never read them). */
    size_t pending; /* submitted, done not yet called */
    struct reader *readers;
    unsigned nreaders; /* threads running; 0: work runs on the loop */
    /* How many threads may run jobs at once: the threads, but no more than
     * the CPUs the node may run on. Read under mu. */
    unsigned lanes;
    struct ac_store *fallback;
    int open_handles; /* of async, flush, loop_end and loop_end_poll; freed at 0 */
    /* The loop's alone: its own read-only connection for the reads it may
     * answer from pages in memory (ac__readers_try_loop(); SQLite with
     * RWF_NOWAIT only, else NULL), and how those attempts went. */
    struct ac_store *loop_store;
    uint64_t loop_reads, loop_refused;
    /* A read transaction on loop_store shared by the reads of one loop
     * iteration (ac__readers_try_loop() with |shared|), ended by loop_end
     * after the poll phase: one snapshot, one WAL read lock (two fcntl) and
     * one fstat for all of them instead of per read, which profiled at 16%
     * of a cold read's CPU (docs/record-reads.md). */
    uv_check_t loop_end;
    /* ... and before the poll phase too: a read dispatched before it (an
     * idle flush, a timer) must not keep its snapshot and WAL read mark
     * across a poll that may block for as long as the node is idle. */
    uv_prepare_t loop_end_poll;
    int loop_tx;
    /* Set before jobs are submitted, read-only after. */
    long test_delay_ms;
    unsigned burst_jobs; /* at most this many jobs share a read transaction */
    int64_t burst_ns;    /* and none starts in one older than this */
};

/* At most this many jobs go to one thread at a time: enough to spare the
 * lock and the hand-back per job, few enough that the other threads share
 * a burst. */
#define TAKE_MAX 32

/* A thread is woken for every this many jobs handed over, and takes at
 * least this many when they wait: a wake-up costs two context switches
 * when the threads share a CPU with the loop, more than a few record reads
 * (docs/record-reads.md, "One read transaction per burst"). */
#define SHARE_MIN 8

/* A thread runs the jobs it took inside one read transaction of its store
 * (ac_store_read_begin()): one snapshot, one WAL read lock and one SHARED
 * lock for the lot instead of a set of fcntl locks, an fstat and the WAL
 * header check per read. Bounded, because the WAL cannot be checkpointed
 * past an open snapshot: at most BURST_JOBS jobs, and no job starts in a
 * transaction older than BURST_NS (a slow job ends it); none stays open
 * while the thread hands jobs back or waits. Every job of a burst was
 * submitted before the thread took it, so a snapshot taken at the burst's
 * first read still sees every commit made before each job was submitted. */
#define BURST_JOBS TAKE_MAX
#define BURST_NS 1000000L

static void push(struct ac__read_job **head, struct ac__read_job **tail, struct ac__read_job *job)
{
    job->next = NULL;
    if (*tail)
        (*tail)->next = job;
    else
        *head = job;
    *tail = job;
}

static void test_delay(const struct ac__readers *p)
{
    if (p->test_delay_ms > 0)
        nanosleep(&(struct timespec){p->test_delay_ms / 1000, (p->test_delay_ms % 1000) * 1000000L},
                  NULL);
}

/* Hands the chain |head|..|tail| of finished jobs back to the loop. */
static void finish(struct ac__readers *p, struct ac__read_job *head, struct ac__read_job *tail)
{
    pthread_mutex_lock(&p->done_mu);
    if (p->finished_tail)
        p->finished_tail->next = head;
    else
        p->finished = head;
    p->finished_tail = tail;
    pthread_mutex_unlock(&p->done_mu);
    /* Thread-safe, and coalesced: one wake-up may carry many jobs. */
    uv_async_send(&p->async);
}

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Reader thread: runs the chain |head| in bursts (BURST_JOBS above). A
 * store that has no read transactions (PostgreSQL) runs each job alone. */
static void run_jobs(struct reader *r, struct ac__read_job *head)
{
    struct ac__readers *p = r->pool;
    int in_tx = 0;
    unsigned jobs = 0;
    int64_t began = 0;
    for (struct ac__read_job *j = head; j; j = j->next) {
        if (in_tx && (jobs >= p->burst_jobs || now_ns() - began > p->burst_ns)) {
            ac_store_read_end(r->store);
            in_tx = 0;
        }
        /* One job alone gains nothing from BEGIN and COMMIT around it. */
        if (!in_tx && j->next && ac_store_read_begin(r->store) == 0) {
            in_tx = 1;
            jobs = 0;
            began = now_ns();
        }
        test_delay(p);
        j->work(j, r->store);
        jobs++;
    }
    if (in_tx)
        ac_store_read_end(r->store);
}

static void *run(void *arg)
{
    struct reader *r = arg;
    struct ac__readers *p = r->pool;
    /* A woken reader does not preempt the loop (SCHED_BATCH): when they
     * share a CPU the loop finishes its iteration (answers, writes, more
     * jobs queued) before the reader runs, instead of being switched out
     * mid-way and back once per hand-off. The reader still gets its fair
     * share of the CPU. Best effort: without it, reads are only slower. */
    pthread_setschedparam(pthread_self(), SCHED_BATCH, &(struct sched_param){0});
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stopping && !p->queue) {
            p->idle++;
            pthread_cond_wait(&p->cv, &p->mu);
            p->idle--;
        }
        /* Jobs still queued at a stop are the loop's to cancel. */
        if (p->stopping)
            break;
        /* This thread's share of what waits, so that a burst spreads over
         * the threads and each takes the lock once for its part. */
        size_t take = (p->nqueue + p->lanes - 1) / p->lanes;
        take = take < SHARE_MIN ? SHARE_MIN : take > TAKE_MAX ? TAKE_MAX : take;
        struct ac__read_job *head = p->queue, *tail = head;
        for (size_t i = 1; i < take && tail->next; i++)
            tail = tail->next;
        p->queue = tail->next;
        if (!p->queue)
            p->queue_tail = NULL;
        tail->next = NULL;
        for (const struct ac__read_job *j = head; j; j = j->next)
            p->nqueue--;
        pthread_mutex_unlock(&p->mu);
        run_jobs(r, head);
        finish(p, head, tail);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Loop, once per iteration with jobs submitted: queues them for the
 * threads in one go and wakes as many waiting threads as there are jobs. */
static void on_flush(uv_idle_t *h)
{
    struct ac__readers *p = h->data;
    uv_idle_stop(&p->flush);
    if (!p->batch)
        return;
    pthread_mutex_lock(&p->mu);
    if (p->queue_tail)
        p->queue_tail->next = p->batch;
    else
        p->queue = p->batch;
    p->queue_tail = p->batch_tail;
    p->nqueue += p->nbatch;
    size_t wake = (p->nbatch + SHARE_MIN - 1) / SHARE_MIN;
    wake = wake < p->idle ? wake : p->idle;
    /* No more threads running than CPUs to run them: on one CPU a second
     * thread only takes turns with the first (and the loop), two context
     * switches per turn, where the first takes what waits when its burst
     * ends anyway: no thread sleeps while jobs wait (run() looks at the
     * queue before it waits), so no job is left without a thread. */
    unsigned busy = p->nreaders - p->idle;
    unsigned room = p->lanes > busy ? p->lanes - busy : 0;
    wake = wake < room ? wake : room;
    int all = wake == p->idle;
    pthread_mutex_unlock(&p->mu);
    /* After the unlock, so that a woken thread finds the lock free instead
     * of sleeping again on it. A thread that went idle meanwhile sees the
     * queue before it waits, so no job is left without a thread. */
    if (wake && all)
        pthread_cond_broadcast(&p->cv);
    else
        for (size_t i = 0; i < wake; i++)
            pthread_cond_signal(&p->cv);
    p->batch = p->batch_tail = NULL;
    p->nbatch = 0;
}

/* Loop: calls done for every finished job, in the order they finished. */
static void drain(struct ac__readers *p)
{
    pthread_mutex_lock(&p->done_mu);
    struct ac__read_job *job = p->finished;
    p->finished = p->finished_tail = NULL;
    pthread_mutex_unlock(&p->done_mu);
    while (job) {
        struct ac__read_job *next = job->next;
        p->pending--;
        job->done(job, 0);
        job = next;
    }
}

static void on_async(uv_async_t *h)
{
    drain((struct ac__readers *)h);
}

static void on_closed(uv_handle_t *h)
{
    struct ac__readers *p = h->data;
    if (--p->open_handles > 0)
        return;
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    pthread_mutex_destroy(&p->done_mu);
    free(p->readers);
    free(p);
}

/* The CPUs this process may run on (taskset, cgroup cpusets), at least 1. */
static unsigned cpus_allowed(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 1;
    int n = CPU_COUNT(&set);
    return n > 0 ? (unsigned)n : 1;
}

/* The page cache of the loop's read connection, in KiB. */
#define LOOP_CACHE_KIB 8192

/* Opens the loop's own connection (ac__readers_try_loop()) when the data
 * directory's file system can say "not in memory" instead of waiting; else
 * says once why every read goes to a thread. Best effort: without it reads
 * are only slower. */
static void open_loop_store(struct ac__readers *p, const char *path)
{
    int err = ac_store_open_readonly(path, &p->loop_store);
    if (err) {
        ac_log_warn("node", "no read connection for the loop (%s): every read goes to a "
                    "reader thread",
                    ac_strerror(err));
        p->loop_store = NULL;
        return;
    }
    /* Room for the interior pages of the records table at several million
     * records beside the leaves read meanwhile: with SQLite's default 2,000
     * KiB they pushed each other out at 1M records, 1.5 page reads per
     * record read instead of 1 (docs/record-reads.md). */
    if (ac_store_nowait_cache_kib(p->loop_store, LOOP_CACHE_KIB))
        ac_log_warn("node", "the loop's read connection keeps SQLite's default page cache");
    if (!ac_store_nowait_ready(p->loop_store)) {
        ac_log_info("node", "%s: its file system does not take reads that never wait "
                    "(RWF_NOWAIT): every read goes to a reader thread",
                    path);
        ac_store_close(p->loop_store);
        p->loop_store = NULL;
    }
}

int ac__readers_start(uv_loop_t *loop, const char *path, unsigned count,
                      struct ac_store *fallback, struct ac__readers **out)
{
    struct ac__readers *p = calloc(1, sizeof *p);
    if (!p)
        return AC_ENOMEM;
    if (count && !(p->readers = calloc(count, sizeof *p->readers))) {
        free(p);
        return AC_ENOMEM;
    }
    int err = uv_async_init(loop, &p->async, on_async);
    if (err) {
        free(p->readers);
        free(p);
        return err;
    }
    /* Never fail (they only fill the handle). */
    uv_idle_init(loop, &p->flush);
    uv_check_init(loop, &p->loop_end);
    uv_prepare_init(loop, &p->loop_end_poll);
    p->async.data = p->flush.data = p->loop_end.data = p->loop_end_poll.data = p;
    p->open_handles = 4;
    pthread_mutex_init(&p->mu, NULL);
    pthread_mutex_init(&p->done_mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->fallback = fallback;
    p->burst_jobs = BURST_JOBS;
    p->burst_ns = BURST_NS;
#ifdef ACCORD_TEST_CLOCK
    /* Lets an integration test stand a slow disk in for a fast one, to show
     * that the loop answers while reads wait (test_reader_threads.py). */
    const char *delay = getenv("ACCORD_TEST_READ_DELAY_MS");
    if (delay)
        p->test_delay_ms = atol(delay);
#endif
    for (unsigned i = 0; i < count; i++) {
        struct reader *r = &p->readers[p->nreaders];
        r->pool = p;
        /* On PostgreSQL the writer's URL, not a file, names the database. */
        err = fallback && ac_store_engine_of(fallback) == AC_STORE_POSTGRESQL
                  ? ac_store_open_reader(fallback, &r->store)
                  : ac_store_open_readonly(path, &r->store);
        if (!err && pthread_create(&r->thread, NULL, run, r) != 0) {
            ac_store_close(r->store);
            err = AC_ENOMEM;
        }
        if (err) {
            ac_log_warn("node", "reader %u of %u cannot start (%s); running with %u",
                        i + 1, count, ac_strerror(err), p->nreaders);
            continue;
        }
        p->nreaders++;
    }
    if (p->nreaders && !(fallback && ac_store_engine_of(fallback) == AC_STORE_POSTGRESQL))
        open_loop_store(p, path);
    unsigned cpus = cpus_allowed();
    pthread_mutex_lock(&p->mu);
    p->lanes = cpus < p->nreaders ? cpus : p->nreaders ? p->nreaders : 1;
    pthread_mutex_unlock(&p->mu);
    if (count && !p->nreaders)
        ac_log_warn("node", "no reader thread could start: reads run on the loop thread and "
                    "wait on the disk there");
    *out = p;
    return 0;
}

int ac__readers_submit(struct ac__readers *p, struct ac__read_job *job)
{
    /* Only the loop writes |stopping|, so it reads it without the lock. */
    if (p->stopping)
        return AC_ECANCELED;
    p->pending++;
    if (!p->nreaders) {
        /* No reader: the read waits on the disk here, as before the pool;
         * done still comes from the loop later, as the contract says. */
        test_delay(p);
        job->work(job, p->fallback);
        job->next = NULL;
        finish(p, job, job);
        return 0;
    }
    push(&p->batch, &p->batch_tail, job);
    if (p->nbatch++ == 0)
        uv_idle_start(&p->flush, on_flush);
    return 0;
}

/* Loop: ends the shared read transaction, so no snapshot outlives the
 * iteration's phase that began it. */
static void loop_tx_end(struct ac__readers *p)
{
    uv_check_stop(&p->loop_end);
    uv_prepare_stop(&p->loop_end_poll);
    if (p->loop_tx)
        ac_store_read_end(p->loop_store);
    p->loop_tx = 0;
}

static void on_loop_end(uv_check_t *h)
{
    loop_tx_end(h->data);
}

static void on_loop_end_poll(uv_prepare_t *h)
{
    loop_tx_end(h->data);
}

int ac__readers_try_loop(struct ac__readers *p, struct ac__read_job *job, enum ac__loop_read how)
{
    int shared = how == AC__LOOP_SHARED;
    /* The test's slow disk stands for pages that are never in memory. */
    if (!p || !p->loop_store || p->stopping || p->test_delay_ms > 0)
        return AC_EAGAIN;
    if (p->loop_tx && !shared) {
        /* This read must see every commit made before now. */
        ac_store_read_end(p->loop_store);
        p->loop_tx = 0;
    } else if (!p->loop_tx && shared && ac_store_read_begin(p->loop_store) == 0) {
        /* A deferred BEGIN: the snapshot starts at this job's first read,
         * after the request arrived. */
        p->loop_tx = 1;
        uv_check_start(&p->loop_end, on_loop_end);
        uv_prepare_start(&p->loop_end_poll, on_loop_end_poll);
    }
    ac_store_nowait_begin();
    job->work(job, p->loop_store);
    if (ac_store_nowait_end()) {
        /* SQLite rolled the transaction back with the refused read. */
        if (p->loop_tx)
            ac_store_read_end(p->loop_store);
        p->loop_tx = 0;
        p->loop_refused++;
        if (how == AC__LOOP_AGAIN)
            p->loop_reads--; /* counted once: handed off after all */
        return AC_EAGAIN;
    }
    if (how != AC__LOOP_AGAIN)
        p->loop_reads++;
    return 0;
}

int ac__readers_metrics(const struct ac__readers *p, struct ac_buf *out)
{
    return ac_buf_printf(
        out,
        "# HELP accord_reads_on_loop_total Reads the event loop answered itself because "
        "every page they needed was in memory (docs/record-reads.md).\n"
        "# TYPE accord_reads_on_loop_total counter\n"
        "accord_reads_on_loop_total %llu\n"
        "# HELP accord_reads_handed_off_total Reads tried on the event loop that needed a "
        "page not in memory, then read on a reader thread.\n"
        "# TYPE accord_reads_handed_off_total counter\n"
        "accord_reads_handed_off_total %llu\n",
        (unsigned long long)(p ? p->loop_reads : 0), (unsigned long long)(p ? p->loop_refused : 0));
}

void ac__readers_set_burst(struct ac__readers *p, unsigned jobs, int64_t ns)
{
    pthread_mutex_lock(&p->mu);
    p->burst_jobs = jobs ? jobs : 1;
    p->burst_ns = ns;
    pthread_mutex_unlock(&p->mu);
}

void ac__readers_set_lanes(struct ac__readers *p, unsigned lanes)
{
    pthread_mutex_lock(&p->mu);
    if (lanes == 0)
        lanes = 1;
    if (p->nreaders && lanes > p->nreaders)
        lanes = p->nreaders;
    p->lanes = lanes;
    pthread_mutex_unlock(&p->mu);
}

unsigned ac__readers_threads(const struct ac__readers *p)
{
    return p->nreaders;
}

size_t ac__readers_pending(const struct ac__readers *p)
{
    return p->pending;
}

size_t ac__readers_queued(struct ac__readers *p)
{
    pthread_mutex_lock(&p->mu);
    size_t count = p->nqueue;
    pthread_mutex_unlock(&p->mu);
    return count;
}

unsigned ac__readers_idle(struct ac__readers *p)
{
    pthread_mutex_lock(&p->mu);
    unsigned count = p->idle;
    pthread_mutex_unlock(&p->mu);
    return count;
}

/* Calls done(AC_ECANCELED) for every job of the chain |job|. */
static void cancel(struct ac__readers *p, struct ac__read_job *job)
{
    while (job) {
        struct ac__read_job *next = job->next;
        p->pending--;
        job->done(job, AC_ECANCELED);
        job = next;
    }
}

void ac__readers_stop(struct ac__readers *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    struct ac__read_job *cancelled = p->queue;
    p->queue = p->queue_tail = NULL;
    p->nqueue = 0;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    /* A running job finishes (a read is short and cannot be interrupted
     * safely); its thread then sees the stop. */
    for (unsigned i = 0; i < p->nreaders; i++) {
        pthread_join(p->readers[i].thread, NULL);
        ac_store_close(p->readers[i].store);
    }
    p->nreaders = 0;
    loop_tx_end(p);
    ac_store_close(p->loop_store);
    p->loop_store = NULL;
    drain(p);
    /* Queued first, then those never handed over: submission order. */
    cancel(p, cancelled);
    struct ac__read_job *unflushed = p->batch;
    p->batch = p->batch_tail = NULL;
    p->nbatch = 0;
    cancel(p, unflushed);
    uv_close((uv_handle_t *)&p->flush, on_closed);
    uv_close((uv_handle_t *)&p->loop_end, on_closed);
    uv_close((uv_handle_t *)&p->loop_end_poll, on_closed);
    uv_close((uv_handle_t *)&p->async, on_closed);
}

/* ---- the node's pool (internal.h) ---- */

void ac__read_submit(struct ac_node *n, struct ac__read_job *job)
{
    if (!n->readers) {
        job->work(job, n->store);
        job->done(job, 0);
        return;
    }
    if (ac__readers_submit(n->readers, job))
        job->done(job, AC_ECANCELED);
}

int ac__readers_open(struct ac_node *n)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/accord.db", n->cfg->data_dir) >= (int)sizeof path) {
        ac_log_error("node", "%s: data directory path too long", n->cfg->data_dir);
        return AC_EINVAL;
    }
    int err = ac__readers_start(n->loop, path, n->cfg->readers, n->store, &n->readers);
    if (err) {
        ac_log_error("node", "cannot start the reader threads: %s", ac_strerror(err));
        return err;
    }
    if (ac__readers_threads(n->readers))
        ac_log_info("node", "%u reader threads answer record reads, proofs and log entries",
                    ac__readers_threads(n->readers));
    return 0;
}

/* ---- reads answered with JSON (readers.h) ---- */

static void json_read_work(struct ac__read_job *job, struct ac_store *st)
{
    struct ac__json_read *r = (struct ac__json_read *)job;
    /* Only the store and the config: see readers.h. */
    struct ac_node view = {.cfg = r->cfg, .store = st};
    r->out = NULL;
    r->err = r->read(r, &view, &r->out, r->why);
    if (!r->err && !r->out)
        r->err = AC_ENOMEM;
    if (r->err) {
        json_decref(r->out);
        r->out = NULL;
    }
}

static void json_read_done(struct ac__read_job *job, int status)
{
    struct ac__json_read *r = (struct ac__json_read *)job;
    if (status)
        ac__respond_error(r->x, AC_EIO, r->what); /* the pool stopped first */
    else if (r->err)
        ac__respond_failure(r->x, r->err, r->why, r->what);
    else
        ac__respond_owned(r->x, 200, r->out);
    if (r->release)
        r->release(r);
    ac_reason_release(r->why);
    free(r->why);
    free(r);
}

void ac__json_read_submit(struct ac_node *n, struct ac_http_exchange *x, struct ac__json_read *r,
                          ac__json_read_cb read, ac__json_release_cb release, const char *what)
{
    r->job = (struct ac__read_job){json_read_work, json_read_done, NULL};
    r->read = read;
    r->release = release;
    r->x = x;
    r->cfg = n->cfg;
    snprintf(r->what, sizeof r->what, "%s", what);
    r->err = 0;
    r->out = NULL;
    r->why = malloc(sizeof *r->why);
    if (!r->why) {
        ac__respond_error(x, AC_ENOMEM, what);
        if (release)
            release(r);
        free(r);
        return;
    }
    *r->why = (struct ac_reason)AC_REASON_INIT;
    ac__read_submit(n, &r->job);
}
