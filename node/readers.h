/* readers.h - the node's reader threads: a few threads, each with its own
 * read-only connection to the database (ac_store_open_readonly()), that run
 * the reads a client can make expensive or that touch the disk at scale
 * (records, proofs, log entries), so the loop never waits on the disk for
 * them. Their answers come back to the loop through one uv_async.
 *
 * A job is a struct the caller embeds (first member) in its own, with two
 * callbacks:
 *   work  runs on a reader thread with that thread's store. It may touch only
 *         the job itself, the store it is given and what is immutable while
 *         the node runs (the config); everything it needs from node memory
 *         (the token cache, the record cache, the log size, the status list)
 *         is read on the loop before the job is submitted, and what it
 *         produces goes back into node memory in done.
 *   done  runs on the loop afterwards, exactly once, with 0 or AC_ECANCELED
 *         (the pool stopped before work ran); it answers and frees the job.
 *
 * Jobs submitted during one loop iteration are handed to the threads
 * together when the iteration ends (a uv_idle handle), with one lock and
 * one wake-up per 8 jobs at most (never more than the threads waiting, nor
 * more threads running than the CPUs the node may run on); each
 * thread takes its share of what waits (at least 8, at most 32 jobs), runs
 * them inside one read transaction of its store (bounded: at most 32 jobs
 * and 1 ms; never open while it waits) and hands them back together. The
 * threads run as SCHED_BATCH, so a woken one does not preempt the loop. Jobs
 * start in submission order per pool, one per thread at a time.
 * When no reader could be opened (or [node] readers = 0) work runs on the
 * loop with the writer's store and done still comes later from the loop, so a
 * caller never sees the difference. Everything here is called on the loop
 * thread. */
#ifndef AC_NODE_READERS_H
#define AC_NODE_READERS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

struct ac_store;
struct ac__readers;
struct ac__read_job;
struct ac_http_exchange;

/* Reader thread (or the loop, without readers): the read itself. */
typedef void (*ac__read_work_cb)(struct ac__read_job *job, struct ac_store *st);

/* Loop thread: |status| is 0 after work ran, AC_ECANCELED when it never will. */
typedef void (*ac__read_done_cb)(struct ac__read_job *job, int status);

struct ac__read_job {
    ac__read_work_cb work;
    ac__read_done_cb done;
    struct ac__read_job *next; /* the pool's queue link */
};

/* Starts |count| reader threads on the database at |path| (which
 * |fallback|, the writer's store, has opened and migrated). A reader that
 * cannot open its connection is logged and left out; with none left (or
 * |count| 0) jobs run on the loop with |fallback| (borrowed until
 * ac__readers_stop()). Sets |*out| to a pool the caller stops with
 * ac__readers_stop(). Returns 0, AC_ENOMEM or a libuv error of the async
 * handle (nothing started then). */
int ac__readers_start(uv_loop_t *loop, const char *path, unsigned count,
                      struct ac_store *fallback, struct ac__readers **out);

/* Queues |job| (borrowed until its done callback; job->work and job->done
 * set). Returns 0: done will be called later from the loop, never from inside
 * this call. Returns AC_ECANCELED when the pool is stopping (done is never
 * called; the caller answers itself). */
int ac__readers_submit(struct ac__readers *p, struct ac__read_job *job);

/* Loop: runs job->work at once on the loop, with the pool's own read-only
 * connection, where no read may wait for the disk (accord/store/nowait.h):
 * returns 0 when every page it needed was in memory (its results are
 * final; done is NOT called: the caller answers), or AC_EAGAIN when a page
 * was not (its results are to be discarded; the caller resets them and
 * submits the job as usual) or when the pool has no such connection
 * (PostgreSQL, no reader threads, a file system without RWF_NOWAIT: work did
 * not run). For reads that cost about as much as their pages, never for
 * ones whose CPU grows with the data.
 *
 * |how| AC__LOOP_SHARED: the read may run in one read transaction with
 * the other shared reads of this loop iteration (ended when the iteration's
 * poll phase ends), whose snapshot may have begun a few microseconds before
 * this request arrived. Only for reads of rows that never change once
 * written, and whose "not found" the caller asks again with AC__LOOP_AGAIN.
 * AC__LOOP_FRESH and AC__LOOP_AGAIN see every commit made before the call;
 * AGAIN is the same read asked again (counted once in /metrics). */
enum ac__loop_read { AC__LOOP_FRESH, AC__LOOP_SHARED, AC__LOOP_AGAIN };
int ac__readers_try_loop(struct ac__readers *p, struct ac__read_job *job, enum ac__loop_read how);

/* Appends the loop's read counters (read there, handed off) to |out| in
 * the Prometheus text format. |p| may be NULL (counted as none). */
struct ac_buf;
int ac__readers_metrics(const struct ac__readers *p, struct ac_buf *out);

/* Bounds the read transaction a thread runs the jobs it took in (a burst,
 * readers.c): at most |jobs| jobs (0 counts as 1) and none started in a
 * transaction older than |ns| nanoseconds; 32 and 1 ms unless set. For
 * tests: call before submitting. */
void ac__readers_set_burst(struct ac__readers *p, unsigned jobs, int64_t ns);

/* Sets how many threads may run jobs at once (0 counts as 1; at most the
 * threads): the CPUs the node may run on unless set. For tests: call
 * before submitting. */
void ac__readers_set_lanes(struct ac__readers *p, unsigned lanes);

/* Returns how many reader threads run (0: jobs run on the loop). */
unsigned ac__readers_threads(const struct ac__readers *p);

/* Returns how many jobs are submitted and not yet done (queued, running or
 * finished and waiting for the loop). */
size_t ac__readers_pending(const struct ac__readers *p);

/* Returns how many jobs were handed to the threads and wait for one to take
 * them (those submitted during the current loop iteration are handed over
 * when it ends). Unlike the rest, safe to call from any thread while the
 * pool is not freed (for tests). */
size_t ac__readers_queued(struct ac__readers *p);

/* Returns how many threads wait for jobs (for tests, like
 * ac__readers_queued()). */
unsigned ac__readers_idle(struct ac__readers *p);

/* ---- reads answered with JSON (the node's pool, internal.h) ----
 *
 * Most moved GET handlers share one shape: authenticate and parse on the
 * loop, then read rows and render them as JSON, then answer. A JSON read
 * does the middle part on a reader thread through |read|, which receives a
 * view of the node: a struct ac_node holding only that thread's store and
 * the immutable config, every other member NULL. So the lifecycle services
 * that take a node only for its store (ac__cred_find, ac__bench_report,
 * ac__pool_status, ...) run unchanged off the loop, and one that reached for
 * node memory (caches, the keyring, the loop) would fail at once in a test
 * instead of racing the loop. done answers on the loop: 200 with the JSON,
 * the failure through ac__respond_failure(), or 503 when the pool stopped
 * before the read ran. */

struct ac_node;
struct ac_reason;
struct ac__json_read;

/* Reader thread: reads with |view| and sets |*out| to a new JSON answer, or
 * returns an AC_E* code, filling |why| when a problem type says more than
 * the code (the way services report). */
typedef int (*ac__json_read_cb)(struct ac__json_read *r, struct ac_node *view, json_t **out,
                                struct ac_reason *why);

/* Loop, may be NULL: frees what the embedding struct owns (not |r| itself). */
typedef void (*ac__json_release_cb)(struct ac__json_read *r);

struct ac__json_read {
    struct ac__read_job job; /* first */
    ac__json_read_cb read;
    ac__json_release_cb release;
    struct ac_http_exchange *x;
    const void *cfg; /* the node's config: immutable while it runs */
    char what[64];   /* names the thing read in an error ("benchmarks") */
    int err;
    json_t *out;
    struct ac_reason *why; /* owned; allocated on submit */
};

/* Runs |r| (the first member of a malloc'd struct, freed with free() after
 * |release|) on n's reader threads and answers |x| with its result. The
 * caller has authenticated and parsed on the loop and filled its own
 * members; it submits last and never touches |x| or |r| afterwards. */
void ac__json_read_submit(struct ac_node *n, struct ac_http_exchange *x, struct ac__json_read *r,
                          ac__json_read_cb read, ac__json_release_cb release, const char *what);

/* Stops the pool: jobs still queued (or not yet handed over) get
 * done(AC_ECANCELED), the running ones
 * finish and get done(0), the threads are joined and their connections
 * closed, all before this returns; the memory goes when the loop has closed
 * the async handle. NULL is a no-op. */
void ac__readers_stop(struct ac__readers *p);

#endif
