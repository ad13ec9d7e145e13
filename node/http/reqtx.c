/* reqtx.c - request transactions, committed in groups off the loop: every
 * write route (POST, PUT, PATCH, DELETE registered through ac__route()) runs
 * its handler inside a savepoint of ONE store transaction opened here, so
 * the services' own begins and commits nest inside it and the request
 * commits whole or not at all. The handler's answer is kept back (http.h,
 * ac_http_keep_begin()) until the commit.
 *
 * Group commit (docs/architecture.md, "Storage threads"): the requests that
 * arrive while a COMMIT is in flight queue here without running; when it
 * ends, one transaction (a group) opens, and runs them ONE handler per turn
 * of the loop (on_turn(), a uv_idle handle), each in a savepoint of its
 * own; requests that arrive while the group is open join it. Between two
 * turns libuv polls for I/O, so a read (or anything else on the loop)
 * waits behind one write handler at most, never behind a whole group. The
 * group's COMMIT goes to the store's writer thread (store/writer.h) when
 * nothing joined during a turn, or when the group is full (GROUP_MAX
 * requests, or open GROUP_OPEN_NS), so the loop waits neither on the disk
 * nor on a round trip to PostgreSQL for it and goes on serving reads and
 * queueing writes. When the COMMIT ends (a uv_async from the writer
 * thread), the group's after-commit hooks run (store.h), every kept answer
 * of the group goes out, and the next group starts with what queued
 * meanwhile.
 *
 * Between two turns the group's transaction is open but parked on the
 * store (ac_store_park(), store/writer.h): the connection is the group's,
 * and nothing else on the loop may write through it. A SELECT made then
 * from outside a handler (a read route, a timer) runs on the store's side
 * connection and sees only committed rows; any other store call (a timer's
 * or a handler's later work's BEGIN, a write in autocommit) calls back
 * on_park_close(), which hands the group's COMMIT to the writer at once
 * with what ran so far (the rest waits for the next group), and then waits
 * for that COMMIT as any store call waits for one in flight; so it never
 * nests inside the group, nor commits or rolls back with it.
 *
 * A step (the group's BEGIN when it opens with it, then one handler) runs
 * on a fiber (base/fiber.h) with a stack of its own. On PostgreSQL every
 * statement is a round trip; the engine waits for its answer through
 * ac_fiber_wait_fd(), which on the fiber hands the loop back here
 * (step_wait()): the transaction is parked meanwhile as between two turns
 * (ac_store_park_waiting()), a uv_poll watches the connection's socket,
 * and the fiber goes on when the answer is there (on_ready()). So the loop
 * waits neither on a handler's round trips nor on its COMMIT's, only on
 * the handler's own computing. A store call of the loop's own that needs
 * the connection meanwhile cannot wait for a later turn: the close
 * callback finishes the step in place (the fiber resumed to its end, its
 * waits then poll()ing), answering its failures on the next turn, and
 * closes the group. On SQLite nothing yields: each step runs through in
 * one go, on the fiber.

 * A request whose handler fails outright is rolled back to its savepoint
 * alone and answered at once: nothing of it commits. A lost race (AC_EAGAIN,
 * also one a service turned into an error of its own) spoils the whole
 * transaction: it is rolled back, the kept answers thrown away and every
 * request of the group queued again, behind a short jittered back-off on a
 * uv timer (nothing sleeps on the loop), a bounded number of times; nothing
 * had been sent, and the after-commit hooks of the losing runs were dropped
 * with them. Until a group commits again, groups then hold one request
 * each, so that under contention a request is charged only its own runs.
 * A COMMIT that fails fails every request of the group.
 *
 * An Idempotency-Key on the request (docs/api.md; idem_keys.c) is looked
 * up inside the same transaction and the answer stored with the write, so
 * a repeat gets the stored answer and an unknown COMMIT outcome (the
 * connection to PostgreSQL lost during COMMIT) is settled by looking a key
 * of the group up again on a new connection: the group committed or not
 * as a whole, so one key answers for all of it. Found, every request of it
 * committed; not found, none did and all run again. A group without a key
 * is answered 503 outcome-unknown.
 *
 * Outside: a handler that does not answer within its call (it handed the
 * exchange to a reader thread, a password-hashing worker or a peer's
 * answer) has its synchronous writes committed with its group, but cannot be
 * run again, a key is not stored for it, and its answer may go out before
 * its group's COMMIT ended. So such a handler must write nothing before the
 * hand-off that its answer or its later work depends on: that part may
 * commit after the answer, or never (a lost race or a failed COMMIT only
 * logs here), and a reader thread does not see it before the COMMIT. It
 * checks before the hand-off and writes after the later work, in a
 * transaction of its own (POST /v1/password; docs/architecture.md,
 * "Request transactions"). And the hand-off is the last thing it does: a
 * store call after it could wait on the database (a fiber's yield, below),
 * the later work answer meanwhile, and the answer be taken for one given
 * within the call (stored under the key, run again after a lost race). Streamed uploads
 * (ac_router_add_stream(), POST /v1/artifacts) never come here, nor the
 * few routes of |outside| below. The node's own writes after such a
 * hand-off (a session started once the password checked out) come back as
 * tasks (ac__reqtx_task()): queued like requests, run like handlers, their
 * callback told once their group's COMMIT ended. Without a writer thread
 * (before ac__reqtx_start(), in tools) each group runs in one go and
 * commits inline. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/error.h"
#include "accord/base/fiber.h"
#include "accord/base/log.h"
#include "accord/store/writer.h"
#include "idem_keys.h"
#include "internal.h"

/* How many times a request that keeps losing races runs: twice
 * ac_store_tx_run()'s attempts, one more for the run after an unknown
 * outcome. A request's COMMIT now ends on the writer thread, later than an
 * inline one, so two processes on one database racing for the log head
 * overlap longer and lose to each other more often (test_tlog_shared_db
 * under ASan saw six losses in a row); the back-off stays at most 8 ms. */
#define REQUEST_RUNS (2 * AC_STORE_TX_ATTEMPTS + 1)

/* A group takes no more requests past GROUP_MAX of them or once open for
 * GROUP_OPEN_NS (group_full()). Its handlers now run one per loop turn, so
 * these no longer bound how long a read waits (one handler does); they
 * bound how long a group's first write waits for its COMMIT, and how much
 * one COMMIT (and one lost race, which runs all of it again) carries.
 * 4 ms is twice the loop time the handlers of one group were allowed when
 * they ran back to back: the turns in between now serve reads too. 64 is
 * more than the writes in flight of the benchmark's heaviest storm on two
 * cores fit into 4 ms, so in practice the clock closes a busy group. */
#define GROUP_MAX 64
#define GROUP_OPEN_NS (4 * 1000 * 1000)

/* The stack of the fiber write handlers run on: what a thread gets by
 * default. It is mapped lazily, so it costs what the deepest handler
 * touched, not this. */
#define FIBER_STACK (8u << 20)

struct write_route {
    struct ac_node *n;
    ac_http_handler_cb cb;
    struct write_route *next;
};

/* A write request from its arrival until it is answered, or a task
 * (ac__reqtx_task(): |x| NULL, |task_run| set) until it is done. */
struct pending {
    struct ac__reqtx *t;
    struct write_route *w;
    struct ac_http_exchange *x; /* held: answered here (or by its handler, |later|) */
    int (*task_run)(void *arg);
    void (*task_done)(void *arg, int err);
    void *task_arg;
    struct ac__keyed k;             /* k.key NULL: no Idempotency-Key */
    int runs;                   /* how many times its handler has run */
    int later;                  /* its handler answers it itself */
    /* "METHOD path", or the task's name, for the log (a |later| request's
     * handler answers |x|, which frees it, possibly before the group ends). */
    char what[128];
    int err; /* a failure whose answer waits for the next turn (fail()) */
    struct pending *next;
};

/* How one request's run inside the group transaction ended. */
enum one {
    ONE_KEPT,   /* it stays in the group; its answer waits for the COMMIT */
    ONE_DONE,   /* it was answered (a failure: nothing of it is in the group) */
    ONE_AGAIN,  /* it alone runs again in the next group (savepoint rolled back) */
    ONE_RACED,  /* a race was lost: the whole transaction is spoiled */
};

struct ac__reqtx {
    struct ac_node *n;
    struct write_route *routes; /* owned */
    int64_t pruned_ms;          /* when expired keys were last pruned */
    /* Requests waiting for the next group, or to join the open one, in
     * arrival order (owned). */
    struct pending *queue, **queue_tail;
    /* The open group (|open|: its transaction is open on the store, parked
     * between two turns): the requests that ran and wait for its COMMIT,
     * and those that lost a race alone and run in the next group (owned). */
    int open;
    struct pending *kept, **kept_tail;
    struct pending *again, **again_tail;
    int nrun;           /* handlers run in the open group */
    uint64_t opened_ns; /* when it opened (uv_hrtime()) */
    /* The group whose COMMIT is with the writer thread (owned). */
    struct pending *group;
    int committing;  /* |group| waits for its COMMIT */
    int ended;       /* ... which could not be handed over: it ended with |ended_err| */
    int ended_err;
    int backing_off; /* |timer| runs: a lost race's back-off before the next group */
    int held;        /* ac__reqtx_hold()s not yet released: no group starts */
    int lost;        /* groups in a row that lost a race (the back-off grows) */
    int started, stopping;
    uv_async_t async; /* the writer thread's "COMMIT ended" */
    uv_timer_t timer;
    uv_idle_t idle;       /* a group's turns: one handler each (on_turn()) */
    uv_prepare_t prepare; /* just before each poll: counts the turn's handlers */
    unsigned turn_handlers; /* write handlers run since the last poll */
    /* A step of the group (its BEGIN when it opens with it, then one
     * request's handler) runs on |fiber|; |stepping| while it has not
     * ended: it waits on the database, |watch| (owned, closed when the
     * wait ends) watching the connection's socket for it, and the wait's
     * deadline, when it has one (a connect). */
    struct ac_fiber *fiber;
    int stepping;
    struct pending *running; /* the step's request (owned) */
    int opening;             /* the step opens the group first */
    int open_err;            /* ... and its BEGIN failed so */
    enum one result;         /* how the request's run ended */
    struct watch *watch;
    /* Inside someone else's store call (on_park_close()) nobody is answered:
     * failures wait in |failed| (owned) for the next turn. */
    int deferring;
    struct pending *failed, **failed_tail;
    struct ac__write_stats stats;
};

int ac__is_write_method(const char *method)
{
    return !strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "PATCH") ||
           !strcmp(method, "DELETE");
}

/* Write routes that stay outside request transactions, and why. */
static const struct {
    const char *method, *pattern;
} outside[] = {
    /* The keyring is files, rotated before the rotation's rows are written:
     * a re-run would rotate twice, and a request rolled back could not
     * take the rotation back. Its handler writes nothing itself: the
     * rotation runs as tasks of the groups (node/records/keys.c), and the
     * last one's done callback answers. */
    {"POST", "/v1/keys/rotate"},
    /* A peer's envelope writes nothing before its signature is checked on
     * the thread pool, and its effect commits in the federation's own
     * ingest batch (node/federation/receive.c), which waits for the
     * envelopes verified together and deduplicates them by message id.
     * Run one per loop turn inside a group, a burst's checks would start
     * one turn apart and its batches shrink to single messages. */
    {"POST", "/v1/federation/inbox"},
};

void ac__route_write(struct ac_node *n, const char *method, const char *pattern,
                     ac_http_handler_cb cb)
{
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
        if (!strcmp(method, outside[i].method) && !strcmp(pattern, outside[i].pattern)) {
            if (ac_router_add(n->router, method, pattern, cb, n) != 0)
                AC_BUG("route registration failed");
            return;
        }
    }
    if (!n->reqtx) {
        n->reqtx = calloc(1, sizeof *n->reqtx);
        if (!n->reqtx)
            AC_BUG("route registration failed: out of memory");
        n->reqtx->n = n;
        n->reqtx->queue_tail = &n->reqtx->queue;
        n->reqtx->kept_tail = &n->reqtx->kept;
        n->reqtx->again_tail = &n->reqtx->again;
        n->reqtx->failed_tail = &n->reqtx->failed;
    }
    struct write_route *w = calloc(1, sizeof *w);
    if (!w)
        AC_BUG("route registration failed: out of memory");
    w->n = n;
    w->cb = cb;
    w->next = n->reqtx->routes;
    n->reqtx->routes = w;
    if (ac_router_add(n->router, method, pattern, ac__request_tx, w) != 0)
        AC_BUG("route registration failed");
}

void ac__reqtx_free(struct ac_node *n)
{
    if (!n->reqtx)
        return;
    while (n->reqtx->routes) {
        struct write_route *w = n->reqtx->routes;
        n->reqtx->routes = w->next;
        free(w);
    }
    free(n->reqtx);
    n->reqtx = NULL;
}

/* Stops keeping and answers the failure |err| of the request itself. */
static void answer_failure(struct ac_http_exchange *x, int err, const struct ac__keyed *k)
{
    ac_http_keep_discard(x);
    ac_http_keep_end(x);
    if (err == AC_EUNKNOWN) {
        if (k)
            ac__problem(x, AC_PROBLEM_OUTCOME_UNKNOWN, NULL, NULL,
                        "the database did not confirm this write's commit (the connection was "
                        "lost, or no synchronous standby confirmed it in time), and cannot be "
                        "asked yet whether it committed; retry with the same Idempotency-Key: "
                        "a repeat is answered once, never applied twice");
        else
            ac__problem(x, AC_PROBLEM_OUTCOME_UNKNOWN, NULL, NULL,
                        "the database did not confirm this write's commit (the connection was "
                        "lost, or no synchronous standby confirmed it in time): it may or may "
                        "not have been applied; check before trying again, or send writes with "
                        "an Idempotency-Key header so a retry is answered once");
        return;
    }
    if (err == AC_EAGAIN) {
        ac__problem(x, AC_PROBLEM_BUSY, NULL, NULL,
                    "the write lost a race with concurrent writes %d times; try again",
                    REQUEST_RUNS);
        return;
    }
    ac__respond_error(x, err, "the request");
}

static const struct ac__keyed *key_of(const struct pending *p)
{
    return p->k.key ? &p->k : NULL;
}

static void pending_free(struct pending *p)
{
    free(p->k.target);
    free(p);
}

/* Puts the list |head| .. |*tail| at the front of the queue. */
static void requeue_front(struct ac__reqtx *t, struct pending *head, struct pending **tail)
{
    if (!head)
        return;
    *tail = t->queue;
    if (!t->queue)
        t->queue_tail = tail;
    t->queue = head;
}

static struct pending *take_queue(struct ac__reqtx *t)
{
    struct pending *q = t->queue;
    t->queue = NULL;
    t->queue_tail = &t->queue;
    return q;
}

static void run_groups(struct ac__reqtx *t);
static void on_turn(uv_idle_t *h);
static void fail(struct pending *p, int err);

/* Answers the failures fail() kept for a turn of their own. */
static void answer_failed(struct ac__reqtx *t)
{
    struct pending *p = t->failed;
    t->failed = NULL;
    t->failed_tail = &t->failed;
    for (struct pending *next; p; p = next) {
        next = p->next;
        fail(p, p->err);
    }
}

static void on_back_off(uv_timer_t *h)
{
    struct ac__reqtx *t = h->data;
    t->backing_off = 0;
    run_groups(t);
}

/* A jittered pause before the next group after a lost race, on the loop's
 * timer: a random wait in [base/2, base] ms with base doubling from 1 ms to
 * at most 8 ms, so that writers that lost to each other (another process on
 * the same database) do not collide again in step. Without a timer (not
 * started) the next group runs at once. */
static void back_off(struct ac__reqtx *t)
{
    t->lost++;
    if (!t->started || t->stopping) {
        run_groups(t);
        return;
    }
    uint32_t base = 1u << (t->lost - 1 < 3 ? t->lost - 1 : 3);
    uint64_t ms = base / 2 + randombytes_uniform(base / 2 + 1);
    t->backing_off = 1;
    uv_timer_start(&t->timer, on_back_off, ms ? ms : 1, 0);
}

/* Answers |p| (not run again) with the failure |err| of its group or its
 * own run, and frees it; inside someone else's store call, on the next
 * turn of the loop instead. */
static void fail(struct pending *p, int err)
{
    struct ac__reqtx *t = p->t;
    if (t->deferring) {
        p->err = err;
        p->next = NULL;
        *t->failed_tail = p;
        t->failed_tail = &p->next;
        uv_idle_start(&t->idle, on_turn);
        return;
    }
    if (err == AC_EAGAIN)
        ac_log_warn("api", "%s lost a race %d times; answered busy", p->what, p->runs);
    if (p->task_run) {
        p->task_done(p->task_arg, err);
    } else if (p->later) {
        /* The handler holds |x| and answers it itself: it may have done so
         * already, which freed |x|. */
        ac_log_error("api", "%s: a write answered later could not commit its first part: %s",
                     p->what, ac_strerror(err));
    } else {
        answer_failure(p->x, err, key_of(p));
    }
    pending_free(p);
}

/* The requests of |list| lost a race (or the group they were in did): each
 * that may run again goes back to the front of the queue, in order, its
 * kept answer thrown away; the others are answered busy. */
static void retry(struct ac__reqtx *t, struct pending *list)
{
    struct pending *head = NULL, **tail = &head;
    for (struct pending *p = list, *next; p; p = next) {
        next = p->next;
        p->next = NULL;
        if (p->later || p->runs >= REQUEST_RUNS) {
            fail(p, AC_EAGAIN);
            continue;
        }
        if (p->x)
            ac_http_keep_discard(p->x);
        *tail = p;
        tail = &p->next;
    }
    requeue_front(t, head, tail);
}

/* Runs |p|'s handler (or task) in a savepoint of the open group
 * transaction. */
static enum one run_one(struct ac__reqtx *t, struct pending *p)
{
    struct ac_node *n = t->n;
    struct ac_store *st = n->store;
    struct ac_http_exchange *x = p->x;
    const struct ac__keyed *k = key_of(p);
    p->runs++;
    if (x) {
        ac_http_keep_begin(x);
        ac_http_keep_discard(x);
    }
    int err = ac_store_tx_begin(st);
    if (!err) {
        enum ac__idem_state state = AC__IDEM_NEW;
        if (k)
            err = ac__idem_check(n, x, k, &t->pruned_ms, &state);
        if (!err && p->task_run) {
            err = p->task_run(p->task_arg);
        } else if (!err && state == AC__IDEM_NEW) {
            p->w->cb(x, n);
            struct ac_http_kept a;
            p->later = !ac_http_kept(x, &a);
            /* Failures of the server's own (5xx) are not final: a repeat
             * runs again. */
            if (!p->later && k && a.status < 500)
                err = ac__idem_store(n, x, k, &a);
        }
        /* A handler must match its begins; one left open would make every
         * later request a savepoint of this one. */
        if (!err && ac_store_tx_open(st) && ac_store_tx_depth(st) != 2) {
            ac_log_error("api", "%s left a transaction open; rolled back", p->what);
            err = AC_EBUG;
        }
        if (err) {
            while (ac_store_tx_depth(st) > 1)
                ac_store_tx_rollback(st);
        } else {
            err = ac_store_tx_commit(st);
        }
    }
    if (p->later)
        ac_http_keep_end(x);
    if (ac_store_tx_raced(st) || (err == AC_EAGAIN && !ac_store_tx_open(st)))
        return ONE_RACED;
    if (!ac_store_tx_open(st))
        return ONE_RACED; /* the savepoint's failure took the transaction with it */
    /* AC_EEXIST here is the key's row: a concurrent repeat (another
     * process) committed first, and the next run replays its answer. */
    if ((err == AC_EAGAIN || (err == AC_EEXIST && k)) && !p->later) {
        ac_log_debug("api", "%s lost a race (run %d of %d); running it again", p->what, p->runs,
                     REQUEST_RUNS);
        return ONE_AGAIN;
    }
    if (err) {
        if (x)
            ac_http_keep_discard(x);
        fail(p, err);
        return ONE_DONE;
    }
    return ONE_KEPT;
}

/* After an unknown COMMIT outcome of |group|: asks a key of it whether the
 * group committed. Returns 0 (it did), AC_EAGAIN (it did not: all of it
 * runs again) or AC_EUNKNOWN (nobody can tell yet). */
static int settle_unknown(struct ac__reqtx *t, const struct pending *group)
{
    for (const struct pending *p = group; p; p = p->next) {
        if (!key_of(p))
            continue;
        int committed = ac__idem_committed(t->n, key_of(p));
        if (committed == 1) {
            ac_log_warn("api", "an unknown COMMIT outcome was settled by an Idempotency-Key "
                        "of its group: it committed");
            return 0;
        }
        if (committed == 0) {
            ac_log_warn("api", "an unknown COMMIT outcome was settled by an Idempotency-Key "
                        "of its group: it did not commit; running the group again");
            return AC_EAGAIN;
        }
        return AC_EUNKNOWN;
    }
    /* Nobody can tell: what waited on the commit is dropped (caches refill
     * from the store, the log republishes from it). */
    ac_store_tx_resolve(t->n->store, 0);
    return AC_EUNKNOWN;
}

/* The COMMIT of |group| ended with |err|: answer, or queue to run again. */
static void complete(struct ac__reqtx *t, struct pending *group, int err)
{
    if (err == AC_EUNKNOWN)
        err = settle_unknown(t, group);
    if (err == AC_EAGAIN) {
        retry(t, group);
        back_off(t);
        return;
    }
    t->lost = 0;
    for (struct pending *p = group, *next; p; p = next) {
        next = p->next;
        if (err) {
            fail(p, err);
            continue;
        }
        if (p->task_run) {
            t->stats.tasks++;
            p->task_done(p->task_arg, 0);
        }
        else if (!p->later)
            ac_http_keep_end(p->x);
        pending_free(p);
    }
}

/* Ends the open group's transaction, which the caller has resumed: what
 * lost a race alone goes back to the queue's front for the next group, and
 * the group's COMMIT goes to the writer thread (or commits inline without
 * one). With the writer thread it answers nobody, so the store's close
 * callback may run it from inside someone else's store call: a COMMIT that
 * cannot be handed over is completed on the loop's next turn instead,
 * through |async| as a COMMIT that ended would be. */
static void group_close(struct ac__reqtx *t)
{
    struct ac_store *st = t->n->store;
    struct pending *group = t->kept;
    t->open = 0;
    t->kept = NULL;
    t->kept_tail = &t->kept;
    requeue_front(t, t->again, t->again_tail);
    t->again = NULL;
    t->again_tail = &t->again;
    if (!group) {
        /* Every request failed alone and was rolled back: nothing to keep. */
        ac_store_tx_rollback(st);
        return;
    }
    t->stats.groups++;
    if (t->started) {
        t->group = group;
        t->committing = 1;
        int err = ac_store_commit_start(st);
        if (err) {
            /* AC_EAGAIN rolled back already; a refusal (AC_EBUG) leaves the
             * transaction open, and nothing of it may commit now. */
            while (ac_store_tx_open(st))
                ac_store_tx_rollback(st);
            t->ended = 1;
            t->ended_err = err;
            uv_async_send(&t->async);
        }
        return;
    }
    complete(t, group, ac_store_tx_commit(st));
}

/* A group's BEGIN failed with |err|: the queue is answered, or queued
 * again (SQLite's busy lock, another process writing, is a lost race at
 * BEGIN, run again like any other). */
static void open_failed(struct ac__reqtx *t, int err)
{
    struct pending *q = take_queue(t);
    if (err == AC_EAGAIN) {
        for (struct pending *p = q; p; p = p->next)
            p->runs++;
        retry(t, q);
        back_off(t);
        return;
    }
    for (struct pending *p = q, *next; p; p = next) {
        next = p->next;
        fail(p, err);
    }
}

static void opened(struct ac__reqtx *t)
{
    t->open = 1;
    t->nrun = 0;
    t->opened_ns = uv_hrtime();
}

/* Opens a group: its BEGIN. Returns 0, or an error after open_failed(). */
static int group_open(struct ac__reqtx *t)
{
    int err = ac_store_tx_begin(t->n->store);
    if (err) {
        open_failed(t, err);
        return err;
    }
    opened(t);
    return 0;
}

/* Takes the first queued request off the queue. */
static struct pending *take_first(struct ac__reqtx *t)
{
    struct pending *p = t->queue;
    t->queue = p->next;
    if (!t->queue)
        t->queue_tail = &t->queue;
    p->next = NULL;
    return p;
}

/* |p| ran in the open group and ended as |one|: keeps it in the group,
 * or out of it. Returns 0 while the group stays open, 1 when a lost race
 * took its transaction with it (every request of it is queued again). */
static int step_end(struct ac__reqtx *t, struct pending *p, enum one one)
{
    struct ac_store *st = t->n->store;
    t->nrun++;
    switch (one) {
    case ONE_KEPT:
        *t->kept_tail = p;
        t->kept_tail = &p->next;
        return 0;
    case ONE_AGAIN:
        if (p->runs >= REQUEST_RUNS) {
            fail(p, AC_EAGAIN);
        } else {
            if (p->x)
                ac_http_keep_discard(p->x);
            *t->again_tail = p;
            t->again_tail = &p->next;
        }
        return 0;
    case ONE_DONE:
        return 0;
    case ONE_RACED:
        break;
    }
    /* Everything of the transaction goes. In the queue's front, in order:
     * what ran (counted) and runs again, then what did not run yet. */
    ac_log_debug("api", "%s lost a race (run %d of %d); running its group again", p->what,
                 p->runs, REQUEST_RUNS);
    while (ac_store_tx_open(st))
        ac_store_tx_rollback(st);
    *t->kept_tail = p;
    p->next = t->again;
    struct pending *group = t->kept;
    t->open = 0;
    t->kept = t->again = NULL;
    t->kept_tail = &t->kept;
    t->again_tail = &t->again;
    retry(t, group);
    back_off(t);
    return 1;
}

/* The open group takes no more requests: past GROUP_MAX of them, or open
 * for GROUP_OPEN_NS (its first write's answer waits for its COMMIT), or
 * after a lost race, when groups hold one request each until one commits:
 * a request then loses only its own races (another process on the same
 * database racing for the log head), not a whole group's. */
static int group_full(const struct ac__reqtx *t)
{
    return t->nrun >= GROUP_MAX || (t->lost && t->nrun >= 1) ||
           uv_hrtime() - t->opened_ns >= GROUP_OPEN_NS;
}

/* Without a writer thread (tools, before ac__reqtx_start()): the queued
 * requests run as one group in one go, on the caller's stack, and it
 * commits inline. */
static void run_group_inline(struct ac__reqtx *t)
{
    if (group_open(t))
        return;
    while (t->queue && !group_full(t)) {
        struct pending *p = take_first(t);
        if (step_end(t, p, run_one(t, p)))
            return;
    }
    group_close(t);
}

/* What the fiber runs for a step: the group's BEGIN when the step opens
 * it, then the handler of |t->running|. */
static void step_on_fiber(void *arg)
{
    struct ac__reqtx *t = arg;
    if (t->opening) {
        t->open_err = ac_store_tx_begin(t->n->store);
        if (t->open_err)
            return;
    }
    t->result = run_one(t, t->running);
}

static void on_ready(uv_poll_t *h, int status, int events);
static void on_deadline(uv_timer_t *h);

/* One wait of the step: the socket's poll handle and, for a wait with a
 * deadline (ac_fiber_deadline()), a timer that resumes the fiber then even
 * if the socket never becomes ready. Freed once both handles closed. */
struct watch {
    uv_poll_t poll;
    uv_timer_t timer;
    struct ac__reqtx *t;
    int handles; /* initialised, not yet closed */
};

static void on_watch_closed(uv_handle_t *h)
{
    struct watch *w = h->data;
    if (--w->handles == 0)
        free(w);
}

/* Stops watching: the handles are closed before the fiber goes on. Closing
 * a poll handle drops its descriptor NUMBER from the loop's epoll set, so
 * it must be closed while that number is still the connection's socket:
 * once resumed, libpq may close the socket (a lost connection, the next
 * host of a connect), and the number then goes to whatever opens next, a
 * client's connection, say, which a late close would silence. */
static void unwatch(struct ac__reqtx *t)
{
    struct watch *w = t->watch;
    if (!w)
        return;
    t->watch = NULL;
    uv_close((uv_handle_t *)&w->poll, on_watch_closed);
    if (w->handles == 2)
        uv_close((uv_handle_t *)&w->timer, on_watch_closed);
}

/* Watches |fd| for |events| (poll(2)'s) for the waiting step until
 * |deadline| (ac_fiber_now_ms(); -1: none), with handles of its own for
 * this one wait (unwatch() says why). Returns 0 or a libuv error. */
static int watch(struct ac__reqtx *t, int fd, short events, int64_t deadline)
{
    struct watch *w = calloc(1, sizeof *w);
    if (!w)
        return UV_ENOMEM;
    int err = uv_poll_init(t->n->loop, &w->poll, fd);
    if (err) {
        free(w);
        return err;
    }
    w->t = t;
    w->poll.data = w;
    w->handles = 1;
    t->watch = w;
    if (deadline >= 0) {
        err = uv_timer_init(t->n->loop, &w->timer);
        if (err) {
            unwatch(t);
            return err;
        }
        w->timer.data = w;
        w->handles = 2;
        int64_t left = deadline - ac_fiber_now_ms();
        err = uv_timer_start(&w->timer, on_deadline, left > 0 ? (uint64_t)left : 0, 0);
    }
    int want = ((events & POLLIN) ? UV_READABLE : 0) | ((events & POLLOUT) ? UV_WRITABLE : 0);
    if (!err)
        err = uv_poll_start(&w->poll, want, on_ready);
    if (err)
        unwatch(t);
    return err;
}

/* The step on the fiber ended: the group opens with it (or could not),
 * its request stays in the group or leaves it, and then the group waits,
 * parked, for the next turn, or its COMMIT goes. Inside someone else's
 * store call (|deferring|) the caller closes the group itself. */
static void step_finished(struct ac__reqtx *t)
{
    struct ac_store *st = t->n->store;
    struct pending *p = t->running;
    t->running = NULL;
    t->stepping = 0;
    uv_idle_start(&t->idle, on_turn);
    if (t->opening) {
        t->opening = 0;
        if (t->open_err) {
            /* Back at the queue's front: the failure is the whole queue's. */
            requeue_front(t, p, &p->next);
            open_failed(t, t->open_err);
            return;
        }
        opened(t);
    }
    if (step_end(t, p, t->result) || t->deferring)
        return;
    if (group_full(t)) {
        group_close(t);
        return;
    }
    /* The connection is the group's until the next turn: reads meanwhile
     * go to the side connection, anything else closes the group first
     * (on_park_close()). */
    if (ac_store_park(st) != 0)
        group_close(t);
}

/* The step waits on the database (a round trip to PostgreSQL): the loop
 * goes on, the transaction parked as between two steps (reads on the side
 * connection; any other store call finishes the step in place first,
 * on_park_close()), and the fiber is resumed when the descriptor is
 * ready. A wait that cannot be watched is waited for in place. */
static void step_wait(struct ac__reqtx *t)
{
    struct ac_store *st = t->n->store;
    short events = 0;
    int fd = ac_fiber_waiting(t->fiber, &events);
    uv_idle_stop(&t->idle);
    if (fd >= 0 && ac_store_park_waiting(st) == 0) {
        int err = watch(t, fd, events, ac_fiber_deadline(t->fiber));
        if (!err) {
            t->stats.yields++;
            return;
        }
        ac_log_warn("api", "cannot watch the database connection (%s): a write handler "
                    "waits on it in place", uv_strerror(err));
        ac_store_resume(st);
    }
    if (ac_fiber_resume(t->fiber, 1) != 1)
        AC_BUG("a fiber resumed to its end did not end");
    step_finished(t);
}

/* Runs the next step: takes the first queued request and runs it on the
 * fiber, opening the group first when it is not open. */
static void step_start(struct ac__reqtx *t)
{
    t->running = take_first(t);
    t->opening = !t->open;
    t->open_err = 0;
    t->stepping = 1;
    t->turn_handlers++;
    int ended = ac_fiber_run(t->fiber, step_on_fiber, t);
    if (ended == 1)
        step_finished(t);
    else if (ended == 0)
        step_wait(t);
    else
        AC_BUG("the write handlers' fiber is busy");
}

/* The step's wait ended: the descriptor is ready (or failed: the step
 * finds out), or its deadline came (the step finds that out too): it goes
 * on. */
static void wait_ended(struct ac__reqtx *t)
{
    unwatch(t);
    if (!t->stepping)
        return;
    ac_store_resume(t->n->store);
    int ended = ac_fiber_resume(t->fiber, 0);
    if (ended == 1)
        step_finished(t);
    else
        step_wait(t);
}

static void on_ready(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    struct watch *w = h->data;
    wait_ended(w->t);
}

static void on_deadline(uv_timer_t *h)
{
    struct watch *w = h->data;
    wait_ended(w->t);
}

/* Ends a waiting step now, the loop waiting for it: for a store call that
 * needs the connection, and at shutdown. */
static void step_finish_in_place(struct ac__reqtx *t)
{
    unwatch(t);
    ac_store_resume(t->n->store);
    t->stats.finished++;
    if (ac_fiber_resume(t->fiber, 1) != 1)
        AC_BUG("a fiber resumed to its end did not end");
    step_finished(t);
}

/* One turn of the loop with the writer thread (|idle|): opens a group,
 * runs ONE handler of it, or hands its COMMIT over. A uv_idle handle,
 * because while one is active libuv polls for I/O without blocking and
 * then comes back: every turn in between serves what arrived (reads,
 * more writes, which join the open group), so a read waits behind one
 * handler at most. (A uv_check handle alone would let the poll block with
 * a group open; an async to self wakes the poll but runs in the poll
 * phase, behind the I/O callbacks of its own turn only by chance; a zero
 * timer would run in the timer phase as well, but rearming it each turn
 * costs more and reads the same.) */
static void on_turn(uv_idle_t *h)
{
    struct ac__reqtx *t = h->data;
    struct ac_store *st = t->n->store;
    answer_failed(t);
    /* A step waiting on the database goes on from on_ready(). */
    if (t->stepping || t->committing || t->backing_off || t->stopping) {
        uv_idle_stop(h);
        return;
    }
    if (!t->open) {
        if (!t->queue || t->held) { /* ac__reqtx_release() starts it again */
            uv_idle_stop(h);
            return;
        }
    } else {
        ac_store_resume(st);
        /* Nothing joined since the last turn (it had one poll to come), or
         * the group is full: its COMMIT goes now. */
        if (!t->queue || group_full(t)) {
            group_close(t);
            return;
        }
    }
    step_start(t);
}

/* The store's close callback (store/writer.h): another store call, made
 * outside the group (a timer, a handler's later work, a read without the
 * side connection), needs the connection while the group is parked: its
 * COMMIT goes now with what ran so far; the rest waits for the next group.
 * It answers nobody here (group_close()). */
static void on_park_close(void *arg)
{
    struct ac__reqtx *t = arg;
    /* A step in the middle of its statement: nothing else can use the
     * connection until it ends, so it ends here, its failures answered on
     * the next turn. */
    if (t->stepping) {
        t->deferring = 1;
        step_finish_in_place(t);
        t->deferring = 0;
    }
    if (!t->open)
        return;
    t->stats.closes++;
    group_close(t);
}

/* Keeps the largest number of write handlers run between two polls of the
 * loop for /metrics: a prepare handle runs just before each poll. */
static void on_poll_next(uv_prepare_t *h)
{
    struct ac__reqtx *t = h->data;
    if (t->turn_handlers > t->stats.turn_max) {
        t->stats.turn_max = t->turn_handlers;
        ac__metrics_write_stats(t->n->metrics, &t->stats);
    }
    t->turn_handlers = 0;
}

/* Starts groups while requests wait and nothing holds them back: on the
 * loop's turns with the writer thread, inline without. */
static void run_groups(struct ac__reqtx *t)
{
    if (!t->queue || t->committing || t->backing_off || t->stopping || t->open || t->stepping ||
        t->held)
        return;
    if (t->started) {
        uv_idle_start(&t->idle, on_turn);
        return;
    }
    while (t->queue && !t->committing && !t->backing_off && !t->stopping && !t->held)
        run_group_inline(t);
}

void ac__reqtx_hold(struct ac_node *n)
{
    if (n->reqtx)
        n->reqtx->held++;
}

void ac__reqtx_release(struct ac_node *n)
{
    struct ac__reqtx *t = n->reqtx;
    if (!t || t->held == 0)
        return;
    if (--t->held == 0)
        run_groups(t);
}

/* Collects the end of the group's COMMIT (waiting for it when |wait|):
 * 1 with |*err|, or 0 while it runs. */
static int commit_ended(struct ac__reqtx *t, int wait, int *err)
{
    if (t->ended) {
        t->ended = 0;
        *err = t->ended_err;
        return 1;
    }
    struct ac_store *st = t->n->store;
    return (wait ? ac_store_commit_wait(st, err) : ac_store_commit_poll(st, err)) == 1;
}

/* The writer thread ended the COMMIT of |t->group| (or it could not be
 * handed over, group_close()). */
static void on_committed(uv_async_t *h)
{
    struct ac__reqtx *t = h->data;
    int err = 0;
    if (!t->committing || !commit_ended(t, 0, &err))
        return;
    struct pending *group = t->group;
    t->group = NULL;
    t->committing = 0;
    complete(t, group, err);
    t->stats.side_reads = ac_store_commit_side_reads(t->n->store);
    t->stats.waits = ac_store_commit_waits(t->n->store);
    ac__metrics_write_stats(t->n->metrics, &t->stats);
    run_groups(t);
}

/* Writer thread: only wakes the loop. */
static void on_committed_thread(void *arg)
{
    struct ac__reqtx *t = arg;
    uv_async_send(&t->async);
}

int ac__reqtx_start(struct ac_node *n)
{
    struct ac__reqtx *t = n->reqtx;
    if (!t || t->started)
        return 0;
    int err = ac_fiber_new(FIBER_STACK, &t->fiber);
    if (err)
        return err;
    err = uv_async_init(n->loop, &t->async, on_committed);
    if (err) {
        ac_fiber_free(t->fiber);
        t->fiber = NULL;
        return err;
    }
    t->async.data = t;
    /* These only fill their handles in: libuv defines no failure for them. */
    uv_timer_init(n->loop, &t->timer);
    uv_idle_init(n->loop, &t->idle);
    uv_prepare_init(n->loop, &t->prepare);
    t->timer.data = t->idle.data = t->prepare.data = t;
    /* Counting turns must not keep the loop running. */
    uv_prepare_start(&t->prepare, on_poll_next);
    uv_unref((uv_handle_t *)&t->prepare);
    t->started = 1;
    err = ac_store_writer_start(n->store, on_committed_thread, t);
    if (err) {
        ac_log_error("node", "cannot start the storage writer thread: %s", ac_strerror(err));
        ac__reqtx_stop(n);
        return err;
    }
    ac_store_set_park(n->store, on_park_close, t);
    ac_log_info("node", "storage writer thread: write requests commit in groups off the loop, "
                "one handler per loop turn");
    return 0;
}

void ac__reqtx_stop(struct ac_node *n)
{
    struct ac__reqtx *t = n->reqtx;
    if (!t || !t->started)
        return;
    t->stopping = 1;
    /* A step waiting on the database ends; the open group commits what
     * ran; then the COMMIT in flight ends: its answers go (or are dropped
     * with their closed streams) as at any other time. */
    if (t->stepping)
        step_finish_in_place(t);
    answer_failed(t);
    if (t->open) {
        ac_store_resume(n->store);
        group_close(t);
    }
    ac_store_set_park(n->store, NULL, NULL);
    int err = 0;
    if (t->committing && commit_ended(t, 1, &err)) {
        struct pending *group = t->group;
        t->group = NULL;
        t->committing = 0;
        complete(t, group, err);
    }
    unsigned long long waits = ac_store_commit_waits(n->store);
    if (waits)
        ac_log_info("node", "storage writer thread: %llu store call(s) on the loop waited for a "
                    "COMMIT in flight", waits);
    ac_store_writer_stop(n->store);
    /* What still waits never ran: nothing of it was written. */
    for (struct pending *p = take_queue(t), *next; p; p = next) {
        next = p->next;
        if (p->task_run) {
            p->task_done(p->task_arg, AC_ECANCELED);
        } else {
            ac_http_keep_discard(p->x);
            ac_http_keep_end(p->x);
            ac__problem(p->x, AC_PROBLEM_STORAGE_UNAVAILABLE, NULL, NULL,
                        "the node is stopping; this write was not applied: send it again");
        }
        pending_free(p);
    }
    uv_timer_stop(&t->timer);
    uv_close((uv_handle_t *)&t->timer, NULL);
    uv_close((uv_handle_t *)&t->idle, NULL);
    uv_close((uv_handle_t *)&t->prepare, NULL);
    uv_close((uv_handle_t *)&t->async, NULL);
    unwatch(t);
    ac_fiber_free(t->fiber);
    t->fiber = NULL;
    t->started = 0;
    t->backing_off = 0;
}

void ac__request_tx(struct ac_http_exchange *x, void *arg)
{
    struct write_route *w = arg;
    struct ac__reqtx *t = w->n->reqtx;
    const struct ac_http_req *req = ac_http_exchange_req(x);
    const char *key = ac_http_header(req, "idempotency-key");
    if (key && !ac__idem_key_ok(key)) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "Idempotency-Key", NULL,
                    "Idempotency-Key: %zu bytes; must be 1-%d visible ASCII characters "
                    "(0x21-0x7e, no spaces)",
                    strlen(key), AC__IDEM_KEY_MAX);
        return;
    }
    if (t->stopping) {
        ac__problem(x, AC_PROBLEM_STORAGE_UNAVAILABLE, NULL, NULL,
                    "the node is stopping; this write was not applied: send it again");
        return;
    }
    struct pending *p = calloc(1, sizeof *p);
    if (!p || (key && ac__idem_keyed_fill(req, key, &p->k))) {
        free(p);
        ac__respond_error(x, AC_ENOMEM, "the request");
        return;
    }
    p->t = t;
    p->w = w;
    p->x = x;
    snprintf(p->what, sizeof p->what, "%s %s", req->method, req->path);
    *t->queue_tail = p;
    t->queue_tail = &p->next;
    run_groups(t);
}

int ac__reqtx_task(struct ac_node *n, const char *what, int (*run)(void *arg),
                   void (*done)(void *arg, int err), void *arg)
{
    struct ac__reqtx *t = n->reqtx;
    if (!t || t->stopping)
        return AC_ECANCELED;
    struct pending *p = calloc(1, sizeof *p);
    if (!p)
        return AC_ENOMEM;
    p->t = t;
    p->task_run = run;
    p->task_done = done;
    p->task_arg = arg;
    snprintf(p->what, sizeof p->what, "%s", what);
    *t->queue_tail = p;
    t->queue_tail = &p->next;
    run_groups(t);
    return 0;
}
