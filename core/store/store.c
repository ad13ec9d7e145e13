/* store.c - opening the database through the storage seam (db.h) on SQLite
 * or PostgreSQL, the SQLite-only setup (pragmas, the WAL hook and
 * checkpoints, the storage thread of sync.h), migrations (the engine's text
 * of the one numbered list), the nested transactions every core/store_*.c
 * file builds on, and the hand-over of COMMITs to the writer thread of
 * writer.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/fiber.h"
#include "accord/base/log.h"
#include "accord/store/store.h"
#include "accord/store/sync.h"
#include "accord/store/writer.h"
#include "db_pg.h"
#include "db_sqlite.h"
#include "internal.h"
#include "migrations_pg.h"

struct ac_store {
    struct ac_db *db; /* owned; its statement cache serves ac__store_stmt() */
    int depth;        /* open transactions: 1 = a write transaction, more = savepoints inside it */
    /* Commits of this connection: on SQLite those that reached the WAL,
     * counted by on_wal() on the loop thread; on PostgreSQL each outermost
     * COMMIT that returned success (ac__store_commit). Atomic because the
     * storage thread reads it. */
    _Atomic uint64_t commits;
    struct ac__store_sync *sync; /* owned; NULL while writes are made durable inline */
    int readonly; /* opened by ac_store_open_readonly(): never checkpoints */
    char *target; /* owned: the file path or libpq URL opened, for ac_store_open_reader() */
    /* After-commit hooks of the open transaction, in the order registered;
     * each remembers the depth it belongs to, so a savepoint's rollback
     * drops those registered inside it and its release hands them to the
     * enclosing level. */
    struct hook *hooks;
    size_t nhooks, caphooks;
    /* Hooks of a transaction whose COMMIT had an unknown outcome, until
     * ac_store_tx_resolve() (or the next outermost begin) settles them. */
    struct hook *unknown;
    size_t nunknown;
    /* The writer thread (writer.h); NULL while COMMITs run inline. While
     * |inflight| the connection is the writer's: every call here that would
     * touch it settles the COMMIT first (gate()). */
    struct ac__store_writer *writer;
    int inflight; /* a COMMIT handed over and not yet settled */
    int settled;  /* settled; |result| not yet collected */
    int result;
    /* Hooks of the COMMIT in flight, run or dropped when it settles. */
    struct hook *pending;
    size_t npending;
    unsigned long long waits; /* gate() had to wait for a COMMIT in flight */
    /* A read-only connection of the loop's (owned; NULL when it could not
     * open): a SELECT made while a COMMIT is in flight runs on it instead of
     * waiting for the write connection. */
    struct ac_store *side;
    unsigned long long side_reads;
    /* A parked transaction (writer.h): open, one begin deep, but its
     * owner's only while it runs a step of it; any other call that needs
     * the connection asks the owner to close it first (gate()), and a
     * SELECT runs on |side|. */
    int parked;
    ac_store_park_close_cb park_close;
    void *park_arg;
    unsigned long long park_closes;
    /* Statements (and BEGIN, SAVEPOINT, inline COMMIT) the thread that owns
     * this writable store ran itself, off a fiber: on the node's loop, on
     * PostgreSQL, each a round trip the loop waited on (loop_statement()). */
    unsigned long long loop_stmts;
};

struct hook {
    ac_store_hook_fn run, release;
    void *arg;
    int level; /* the transaction depth that holds it */
};

/* SQLite's own auto-checkpoint threshold (frames), kept for the inline mode
 * since installing a WAL hook replaces the built-in one. */
#define INLINE_CHECKPOINT_FRAMES 1000

/* How long a writer waits for another process holding the lock (e.g. an
 * operator's sqlite3 shell) before giving up with SQLITE_BUSY. */
#define BUSY_TIMEOUT_MS 5000

static void gate(struct ac_store *st);

/* Counts a statement about to run on |st| when the caller waits for it in
 * place: not on a fiber (whose waits yield), not on a read-only store (the
 * reader threads' and the loop's record-read connection have counters of
 * their own). */
static void loop_statement(struct ac_store *st)
{
    if (!st->readonly && !ac_fiber_on())
        st->loop_stmts++;
}

struct ac_db *ac__store_db(struct ac_store *st)
{
    gate(st);
    return st->db;
}

const char *ac__store_sql(struct ac_store *st, const char *sqlite, const char *postgresql)
{
    return ac_db_engine(st->db) == AC_DB_POSTGRESQL ? postgresql : sqlite;
}

static int is_pg(const struct ac_store *st)
{
    return ac_db_engine(st->db) == AC_DB_POSTGRESQL;
}

enum ac_store_engine ac_store_engine_of(const struct ac_store *st)
{
    return is_pg(st) ? AC_STORE_POSTGRESQL : AC_STORE_SQLITE;
}

int ac_store_sync_start(struct ac_store *st, ac_store_durable_cb cb, void *arg)
{
    /* The server made the commit durable before COMMIT returned: there is
     * nothing for a storage thread to do. */
    if (is_pg(st))
        return 0;
    if (st->sync)
        return AC_EINVAL;
    gate(st);
    return ac__store_sync_open(st->db, ac_store_commits(st), cb, arg, &st->sync);
}

void ac_store_sync_stop(struct ac_store *st)
{
    if (!st->sync)
        return;
    gate(st);
    ac__store_sync_close(st->sync, st->db);
    st->sync = NULL;
}

int ac_store_sync_error(const struct ac_store *st)
{
    return st->sync ? ac__store_sync_error(st->sync) : 0;
}

uint64_t ac_store_sync_fsyncs(const struct ac_store *st)
{
    return st->sync ? ac__store_sync_fsyncs(st->sync) : 0;
}

uint64_t ac_store_sync_checkpoints(const struct ac_store *st)
{
    return st->sync ? ac__store_sync_checkpoints(st->sync) : 0;
}

uint64_t ac_store_commits(const struct ac_store *st)
{
    return atomic_load(&((struct ac_store *)st)->commits);
}

uint64_t ac_store_durable(const struct ac_store *st)
{
    if (st->sync)
        return ac__store_sync_durable(st->sync);
    /* Inline: each commit was fsynced before it returned. */
    return ac_store_commits(st);
}

/* Runs on the loop thread after every commit of this connection reached the
 * WAL (an explicit COMMIT or a statement in autocommit), with the frames now
 * in the WAL. It numbers the commit; with the storage thread running it hands
 * the number over for the next fsync, else it checkpoints as SQLite's default
 * hook would.
 *
 * The WAL can start over only when a write transaction begins with every
 * frame checkpointed; under a steady stream of commits the storage thread's
 * checkpoints never quite catch up, and the WAL would grow without bound
 * (measured: 233 MB over 20,000 commits). So once the storage thread has
 * caught up with everything but the last few commits, the loop checkpoints
 * that tail itself, while no commit can land: a few pages and two small
 * fsyncs (the WAL, then the database file, as synchronous=NORMAL does for a
 * checkpoint) once per WAL cycle, after which its next commit starts the WAL
 * over (one more fsync, of the new WAL header). Those are the only fsyncs
 * the loop makes. Should the storage thread fall behind, the loop does the
 * same once the WAL holds twice the checkpoint threshold, so the WAL stays
 * bounded whatever the disk does. A checkpoint of the storage thread still
 * running makes the loop's return SQLITE_BUSY at once, never wait; the next
 * commit tries again. */
static int on_wal(void *arg, sqlite3 *db, const char *name, int frames)
{
    struct ac_store *st = arg;
    uint64_t n = atomic_fetch_add(&st->commits, 1) + 1;
    if (st->sync) {
        ac__store_sync_note(st->sync, n, frames);
        if (ac__store_sync_take_tail(st->sync) || frames >= 2 * AC__STORE_CHECKPOINT_FRAMES)
            sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    } else if (frames >= INLINE_CHECKPOINT_FRAMES)
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
}

/* 1 when |sql| is a plain read (SELECT), which the side connection may run. */
static int is_read(const char *sql)
{
    while (*sql == ' ' || *sql == '\n' || *sql == '\t' || *sql == '(')
        sql++;
    return strncasecmp(sql, "SELECT", 6) == 0;
}

int ac__store_stmt(struct ac_store *st, const char *sql, struct ac_db_stmt **out)
{
    /* Outside any transaction (the one open went to the writer) a read
     * sees every commit made before it began, on either connection; the
     * COMMIT in flight is not one yet, and nobody has been told of it. */
    /* So does a read made while a transaction is parked: the parked one's
     * rows are not committed, and may never be. */
    loop_statement(st);
    if ((st->inflight || st->parked) && st->side && is_read(sql)) {
        st->side_reads++;
        return ac__store_stmt(st->side, sql, out);
    }
    gate(st);
    return ac_db_prepare(st->db, sql, out);
}

/* Releases hooks[from..n) without running them, newest first, and forgets
 * them. */
static void hooks_drop(struct hook *h, size_t from, size_t *n)
{
    while (*n > from) {
        struct hook *k = &h[--*n];
        if (k->release)
            k->release(k->arg);
    }
}

/* Runs and releases every hook of |h| in the order registered; |h| was
 * taken off the store first, so a hook may itself open transactions. */
static void hooks_run(struct hook *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h[i].run(h[i].arg);
        if (h[i].release)
            h[i].release(h[i].arg);
    }
    free(h);
}

/* The outermost transaction ended: its hooks run when it committed, else
 * they are dropped. */
static void hooks_end(struct ac_store *st, int committed)
{
    struct hook *h = st->hooks;
    size_t n = st->nhooks;
    st->hooks = NULL;
    st->nhooks = st->caphooks = 0;
    if (committed) {
        hooks_run(h, n);
        return;
    }
    hooks_drop(h, 0, &n);
    free(h);
}

int ac_store_after_commit(struct ac_store *st, ac_store_hook_fn run, ac_store_hook_fn release,
                          void *arg)
{
    /* A parked transaction is nobody's to add to (writer.h). */
    if (!run || st->depth == 0 || st->parked) {
        if (release)
            release(arg);
        return AC_EBUG;
    }
    if (st->nhooks == st->caphooks) {
        size_t cap = st->caphooks ? 2 * st->caphooks : 8;
        struct hook *grown = realloc(st->hooks, cap * sizeof *grown);
        if (!grown) {
            if (release)
                release(arg);
            return AC_ENOMEM;
        }
        st->hooks = grown;
        st->caphooks = cap;
    }
    st->hooks[st->nhooks++] = (struct hook){run, release, arg, st->depth};
    return 0;
}

void ac_store_tx_resolve(struct ac_store *st, int committed)
{
    struct hook *h = st->unknown;
    size_t n = st->nunknown;
    st->unknown = NULL;
    st->nunknown = 0;
    if (committed) {
        hooks_run(h, n);
        return;
    }
    hooks_drop(h, 0, &n);
    free(h);
}

/* Transactions nest: the outermost is a real BEGIN IMMEDIATE, inner ones are
 * savepoints, so a store function that opens its own transaction can also run
 * inside a caller's (e.g. a state change plus its audit row, committed once). */
int ac__store_begin(struct ac_store *st)
{
    int err;
    gate(st);
    loop_statement(st);
    if (st->depth == 0) {
        /* Not while the COMMIT they belong to is settled but not collected
         * yet: its owner resolves them (a begin that closed a parked
         * transaction waited for that COMMIT, and comes here first). */
        if (st->nunknown && !st->settled) {
            ac_log_warn("store", "%zu after-commit hook(s) of a COMMIT with an unknown outcome "
                        "were never resolved; dropped", st->nunknown);
            ac_store_tx_resolve(st, 0);
        }
        /* A race lost by an earlier transaction is that transaction's. */
        ac_db_raced_clear(st->db);
        err = ac_db_begin(st->db, AC_DB_TX_WRITE);
    } else {
        char sql[32];
        snprintf(sql, sizeof sql, "SAVEPOINT ac_%d", st->depth);
        err = ac_db_exec(st->db, sql);
    }
    if (!err)
        st->depth++;
    return err;
}

int ac__store_commit(struct ac_store *st)
{
    /* Parked, the open transaction is not the caller's to commit. */
    if (st->depth <= 0 || st->parked)
        return AC_EBUG;
    int err;
    if (st->depth == 1) {
        /* A statement of this transaction lost a race that a caller handled
         * (say, by rolling back to its savepoint): what is left is not what
         * would have run had it won, so it must not commit. */
        if (ac_db_raced(st->db)) {
            ac__store_rollback(st);
            return AC_EAGAIN;
        }
        /* ac_db_commit rolls back itself when it fails. */
        loop_statement(st);
        err = ac_db_commit(st->db);
        if (err) {
            st->depth = 0;
            if (err == AC_EUNKNOWN && st->settled && st->nunknown) {
                /* The hooks of a COMMIT settled unknown before this began
                 * wait for their owner (ac__store_begin()), who resolves
                 * them by its own request's key: this transaction's have
                 * nobody to resolve them, and are dropped. */
                hooks_end(st, 0);
            } else if (err == AC_EUNKNOWN) {
                /* It may have committed: the caller finds out and says
                 * (ac_store_tx_resolve()). */
                ac_store_tx_resolve(st, 0);
                st->unknown = st->hooks;
                st->nunknown = st->nhooks;
                st->hooks = NULL;
                st->nhooks = st->caphooks = 0;
            } else {
                hooks_end(st, 0);
            }
            return err;
        }
        /* SQLite numbers its commits in the WAL hook; PostgreSQL has none. */
        if (is_pg(st))
            atomic_fetch_add(&st->commits, 1);
        st->depth = 0;
        hooks_end(st, 1);
        return 0;
    } else {
        char sql[32];
        snprintf(sql, sizeof sql, "RELEASE ac_%d", st->depth - 1);
        err = ac_db_exec(st->db, sql);
        if (err) {
            ac__store_rollback(st);
            return err;
        }
    }
    st->depth--;
    /* The savepoint's hooks now belong to the transaction around it. */
    for (size_t i = 0; i < st->nhooks; i++)
        if (st->hooks[i].level > st->depth)
            st->hooks[i].level = st->depth;
    return 0;
}

void ac__store_rollback(struct ac_store *st)
{
    gate(st);
    if (st->depth > 1) {
        char sql[64];
        snprintf(sql, sizeof sql, "ROLLBACK TO ac_%d; RELEASE ac_%d", st->depth - 1, st->depth - 1);
        ac_db_exec(st->db, sql);
        /* Hooks registered inside the savepoint sit at the end of the list. */
        size_t keep = st->nhooks;
        while (keep > 0 && st->hooks[keep - 1].level >= st->depth)
            keep--;
        hooks_drop(st->hooks, keep, &st->nhooks);
        st->depth--;
        return;
    }
    st->depth = 0;
    ac_db_rollback(st->db);
    hooks_end(st, 0);
}

/* ---- the writer thread (writer.h) ---- */

/* Ends the COMMIT in flight on the loop's side once the writer has finished
 * it (waiting for that when |wait|): the connection is the loop's again, and
 * the commit's hooks run (committed), wait for ac_store_tx_resolve()
 * (unknown) or are dropped. The result stays for ac_store_commit_poll(). */
static void settle(struct ac_store *st, int wait)
{
    int result = 0;
    if (!st->inflight || !ac__store_writer_take(st->writer, wait, &result))
        return;
    st->inflight = 0;
    st->settled = 1;
    st->result = result;
    struct hook *h = st->pending;
    size_t n = st->npending;
    st->pending = NULL;
    st->npending = 0;
    if (result == 0) {
        if (is_pg(st))
            atomic_fetch_add(&st->commits, 1);
        hooks_run(h, n);
    } else if (result == AC_EUNKNOWN) {
        ac_store_tx_resolve(st, 0);
        st->unknown = h;
        st->nunknown = n;
    } else {
        hooks_drop(h, 0, &n);
        free(h);
    }
}

/* A call that needs the connection found a transaction parked: its owner
 * ends it now (hands its COMMIT over, or rolls it back), so that the call
 * neither nests inside it nor commits or rolls back with it. An owner that
 * left it open is a bug: rolled back here, so the call runs alone. */
static void close_parked(struct ac_store *st)
{
    st->parked = 0;
    st->park_closes++;
    ac_log_debug("store", "a store call closed the parked transaction");
    st->park_close(st->park_arg);
    if (st->depth > 0) {
        ac_log_error("store", "the owner of a parked transaction left it open when asked to "
                     "close it; rolled back");
        while (st->depth > 0)
            ac__store_rollback(st);
    }
}

/* Every call that touches the connection passes here first: a parked
 * transaction is closed, and while the writer thread holds the connection
 * the loop waits for the COMMIT (writer.h says why the hot paths do not
 * come here then). */
static void gate(struct ac_store *st)
{
    if (st->parked)
        close_parked(st);
    if (!st->inflight)
        return;
    st->waits++;
    ac_log_debug("store", "a store call waited for the COMMIT in flight");
    settle(st, 1);
}

int ac_store_writer_start(struct ac_store *st, ac_store_committed_cb cb, void *arg)
{
    if (st->writer || st->readonly)
        return AC_EINVAL;
    /* Without the side connection reads made during a COMMIT wait for it:
     * slower, still correct. */
    if (st->target && strcmp(st->target, ":memory:") != 0 &&
        ac_store_open_reader(st, &st->side) != 0) {
        ac_log_warn("store", "no read connection beside the writer: reads on the loop wait "
                    "for the COMMIT in flight");
        st->side = NULL;
    }
    int err = ac__store_writer_open(cb, arg, &st->writer);
    if (err) {
        ac_store_close(st->side);
        st->side = NULL;
    }
    return err;
}

void ac_store_writer_stop(struct ac_store *st)
{
    if (!st->writer)
        return;
    if (st->parked)
        close_parked(st);
    settle(st, 1);
    ac__store_writer_close(st->writer);
    st->writer = NULL;
    ac_store_close(st->side);
    st->side = NULL;
}

unsigned long long ac_store_commit_side_reads(const struct ac_store *st)
{
    return st->side_reads;
}

int ac_store_writer_running(const struct ac_store *st)
{
    return st->writer != NULL;
}

int ac_store_commit_start(struct ac_store *st)
{
    if (!st->writer || st->inflight || st->settled || st->depth != 1 || st->parked)
        return AC_EBUG;
    /* As ac__store_commit(): what is left of a transaction that lost a race
     * must not commit. */
    if (ac_db_raced(st->db)) {
        ac__store_rollback(st);
        return AC_EAGAIN;
    }
    st->pending = st->hooks;
    st->npending = st->nhooks;
    st->hooks = NULL;
    st->nhooks = st->caphooks = 0;
    st->depth = 0;
    st->inflight = 1;
    ac__store_writer_submit(st->writer, st->db);
    return 0;
}

int ac_store_commit_busy(const struct ac_store *st)
{
    return st->inflight || st->settled;
}

static int collect(struct ac_store *st, int wait, int *result)
{
    settle(st, wait);
    if (st->settled) {
        st->settled = 0;
        *result = st->result;
        return 1;
    }
    return st->inflight ? 0 : AC_ENOENT;
}

int ac_store_commit_poll(struct ac_store *st, int *result)
{
    return collect(st, 0, result);
}

int ac_store_commit_wait(struct ac_store *st, int *result)
{
    return collect(st, 1, result);
}

unsigned long long ac_store_commit_waits(const struct ac_store *st)
{
    return st->waits;
}

void ac_store_set_park(struct ac_store *st, ac_store_park_close_cb close, void *arg)
{
    if (st->parked)
        close_parked(st);
    st->park_close = close;
    st->park_arg = arg;
}

void ac_store_quiesce(struct ac_store *st)
{
    gate(st);
}

int ac_store_others_pending(const struct ac_store *st)
{
    return st->parked || st->inflight;
}

int ac_store_park(struct ac_store *st)
{
    if (!st->park_close || st->parked || st->inflight || st->depth != 1)
        return AC_EBUG;
    st->parked = 1;
    return 0;
}

int ac_store_park_waiting(struct ac_store *st)
{
    if (!st->park_close || st->parked || st->inflight)
        return AC_EBUG;
    st->parked = 1;
    return 0;
}

int ac_store_resume(struct ac_store *st)
{
    if (!st->parked)
        return AC_ENOENT;
    st->parked = 0;
    return 0;
}

int ac_store_parked(const struct ac_store *st)
{
    return st->parked;
}

unsigned long long ac_store_park_closes(const struct ac_store *st)
{
    return st->park_closes;
}

unsigned long long ac_store_loop_statements(const struct ac_store *st)
{
    return st->loop_stmts;
}

int ac_store_tx_begin(struct ac_store *st)
{
    return ac__store_begin(st);
}

int ac_store_tx_commit(struct ac_store *st)
{
    return ac__store_commit(st);
}

void ac_store_tx_rollback(struct ac_store *st)
{
    ac__store_rollback(st);
}

/* A parked transaction is not the caller's (writer.h): to it the store is
 * outside any transaction, and its own begin closes the parked one. */
int ac_store_tx_open(const struct ac_store *st)
{
    return st->depth > 0 && !st->parked;
}

int ac_store_tx_depth(const struct ac_store *st)
{
    return st->parked ? 0 : st->depth;
}

int ac_store_tx_raced(const struct ac_store *st)
{
    return st->depth > 0 && !st->parked && ac_db_raced(st->db);
}

/* A reader's burst (store.h): a deferred BEGIN, so the snapshot and the WAL
 * read lock are taken once for several reads. Not on PostgreSQL, where one
 * failed statement would abort the reads after it. */
int ac_store_read_begin(struct ac_store *st)
{
    if (!st->readonly || is_pg(st) || st->depth || ac_db_in_tx(st->db))
        return AC_EINVAL;
    return ac_db_begin(st->db, AC_DB_TX_READ);
}

void ac_store_read_end(struct ac_store *st)
{
    if (st->readonly && !is_pg(st) && !st->depth && ac_db_in_tx(st->db) && ac_db_commit(st->db))
        ac_db_rollback(st->db);
}

/* A jittered back-off before attempt |attempt| + 1: a random wait in
 * [base/2, base) with base doubling from 1 ms, so that two writers that lost
 * to each other do not collide again in step. Short enough to sleep on the
 * calling thread (8 ms at most). */
static void back_off(int attempt)
{
    static _Thread_local uint64_t seed;
    if (!seed) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        seed = ((uint64_t)now.tv_nsec << 20) ^ (uint64_t)now.tv_sec ^ (uint64_t)(uintptr_t)&now;
        seed |= 1;
    }
    seed ^= seed << 13; /* xorshift64: jitter, not secrecy */
    seed ^= seed >> 7;
    seed ^= seed << 17;
    long base_ns = 1000000L << (attempt - 1 < 3 ? attempt - 1 : 3);
    long ns = base_ns / 2 + (long)(seed % (uint64_t)(base_ns / 2));
    nanosleep(&(struct timespec){0, ns}, NULL);
}

int ac_store_tx_run(struct ac_store *st, ac_store_tx_fn fn, void *arg)
{
    /* A parked transaction is closed first: the caller is outside it. */
    if (st->parked)
        close_parked(st);
    if (st->depth != 0)
        return AC_EBUG;
    int err = AC_EAGAIN;
    for (int attempt = 1; attempt <= AC_STORE_TX_ATTEMPTS; attempt++) {
        if (attempt > 1)
            back_off(attempt - 1);
        err = ac__store_begin(st);
        if (!err) {
            err = fn(st, arg);
            /* A race lost inside the body, even one it answered with an
             * error of its own, means the whole body runs again. */
            if (ac_db_raced(st->db))
                err = AC_EAGAIN;
            if (!err && st->depth != 1) {
                ac_log_error("store", "a transaction body ended %d transaction level(s) "
                             "from where it began; match each begin with one commit or "
                             "rollback", st->depth - 1);
                err = AC_EBUG;
            }
            if (err) {
                while (st->depth > 0)
                    ac__store_rollback(st);
            } else {
                err = ac__store_commit(st);
            }
        }
        if (err != AC_EAGAIN)
            return err;
        ac_log_debug("store", "transaction lost a race (attempt %d of %d)", attempt,
                     AC_STORE_TX_ATTEMPTS);
    }
    ac_log_warn("store", "transaction lost a race %d times; giving up", AC_STORE_TX_ATTEMPTS);
    return err;
}

int ac_store_schema_latest(void)
{
    return ac__migrations[ac__nmigrations - 1].version;
}

/* The engine's text of the numbered migrations. */
static const struct ac__migration *migrations_of(const struct ac_store *st, size_t *n)
{
    if (is_pg(st)) {
        *n = ac__nmigrations_pg;
        return ac__migrations_pg;
    }
    *n = ac__nmigrations;
    return ac__migrations;
}

int ac_store_schema_version(struct ac_store *st, int *version)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &s);
    if (err)
        return err;
    int64_t v = 0;
    err = ac__store_int64(st, s, &v);
    if (!err)
        *version = (int)v;
    return err;
}

int ac_store_size(struct ac_store *st, int64_t *bytes)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st,
        ac__store_sql(st,
                      "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
                      "SELECT pg_database_size(current_database())"),
        &s);
    if (err)
        return err;
    return ac__store_int64(st, s, bytes);
}

static int apply_one(struct ac_store *st, const struct ac__migration *m)
{
    int err = ac__store_begin(st);
    if (err)
        return err;
    err = ac_db_exec(st->db, m->sql);
    struct ac_db_stmt *s = NULL;
    if (!err)
        err = ac__store_stmt(st,
                             "INSERT INTO schema_migrations(version, description, applied_ms)"
                             " VALUES ($1, $2, $3)",
                             &s);
    if (!err) {
        ac_db_bind_int64(s, 1, m->version);
        ac_db_bind_text(s, 2, m->description, -1);
        ac_db_bind_int64(s, 3, ac_clock_now_ms());
        int rc = ac_db_step(s);
        ac_db_reset(s);
        err = ac__store_error(st, rc);
    }
    /* user_version mirrors the schema for operators inspecting the file. */
    if (!err && ac_db_engine(st->db) == AC_DB_SQLITE) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", m->version);
        err = ac_db_exec(st->db, sql);
    }
    if (!err)
        err = ac__store_commit(st);
    else
        ac__store_rollback(st);
    if (err)
        ac_log_error("store", "migration %d (%s) failed: %s", m->version, m->description,
                     ac_strerror(err));
    return err;
}

/* |name| names the database in the log: the file, or for PostgreSQL the
 * database the server reports (never the URL, which may carry a password). */
static int migrate(struct ac_store *st, const char *name)
{
    int err = ac_db_exec(st->db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                 " version INTEGER PRIMARY KEY,"
                                 " description TEXT NOT NULL,"
                                 " applied_ms BIGINT NOT NULL)");
    if (err)
        return err;
    int have = 0;
    err = ac_store_schema_version(st, &have);
    if (err)
        return err;
    int latest = ac_store_schema_latest();
    if (have > latest) {
        ac_log_error("store",
                     "%s: database schema version %d is newer than this accord-node %s "
                     "understands (%d); run a newer accord-node or restore a backup",
                     name, have, ACCORD_VERSION, latest);
        return AC_ESCHEMA;
    }
    size_t n;
    const struct ac__migration *list = migrations_of(st, &n);
    for (size_t i = 0; i < n; i++) {
        if (list[i].version <= have)
            continue;
        err = apply_one(st, &list[i]);
        if (err)
            return err;
        ac_log_info("store", "applied migration %d: %s", list[i].version, list[i].description);
    }
    return 0;
}

/* An arbitrary key for the session advisory lock held while migrating. */
#define MIGRATION_LOCK_SQL "SELECT pg_advisory_lock(7243590012)"
#define MIGRATION_UNLOCK_SQL "SELECT pg_advisory_unlock(7243590012)"

/* The PostgreSQL side of ac_store_open_engine(): no pragmas, no WAL hook.
 * Several node processes may share one database, so the migrations run
 * under a session advisory lock: the second process to start waits, then
 * finds every version recorded. */
static int open_pg(const char *url, struct ac_store **out)
{
    struct ac_store *st = calloc(1, sizeof *st);
    if (!st)
        return AC_ENOMEM;
    st->target = strdup(url);
    int err = st->target ? ac_db_open(AC_DB_POSTGRESQL, url, &st->db) : AC_ENOMEM;
    char name[160] = "postgresql";
    struct ac_db_stmt *s = NULL;
    if (!err)
        err = ac_db_prepare(st->db, "SELECT current_database()", &s);
    if (!err) {
        int rc = ac_db_step(s);
        if (rc == AC_DB_ROW)
            snprintf(name, sizeof name, "postgresql database %s", ac_db_col_text(s, 0));
        ac_db_reset(s);
        err = rc < 0 ? rc : 0;
    }
    if (!err)
        err = ac_db_exec(st->db, MIGRATION_LOCK_SQL);
    if (!err) {
        err = migrate(st, name);
        int unlock = ac_db_exec(st->db, MIGRATION_UNLOCK_SQL);
        if (!err)
            err = unlock;
    }
    if (err) {
        ac_store_close(st);
        return err;
    }
    *out = st;
    return 0;
}

int ac_store_open_engine(enum ac_store_engine engine, const char *target, struct ac_store **out)
{
    if (!target)
        return AC_EINVAL;
    switch (engine) {
    case AC_STORE_SQLITE:
        return ac_store_open(target, out);
    case AC_STORE_POSTGRESQL:
        return open_pg(target, out);
    }
    return AC_EINVAL;
}

int ac_store_open(const char *path, struct ac_store **out)
{
    /* The database holds token hashes and personal data: create it 0600 before
     * SQLite does (SQLite gives its -wal and -shm files the database's mode). */
    if (strcmp(path, ":memory:") != 0) {
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) {
            ac_log_error("store", "%s: cannot open: %s", path, strerror(errno));
            return AC_EIO;
        }
        close(fd);
    }
    struct ac_store *st = calloc(1, sizeof *st);
    if (!st)
        return AC_ENOMEM;
    st->target = strdup(path);
    int err = st->target ? ac_db_open(AC_DB_SQLITE, path, &st->db) : AC_ENOMEM;
    if (err) {
        ac_store_close(st);
        return err;
    }
    sqlite3 *h = ac__db_sqlite_handle(st->db);
    sqlite3_busy_timeout(h, BUSY_TIMEOUT_MS);
    /* WAL with synchronous=FULL: a commit is on disk before it returns, so an
     * acknowledged write survives kill -9 and power loss. ac_store_sync_start()
     * (store_sync.c) moves the fsync to a storage thread instead. */
    err = ac_db_exec(st->db, "PRAGMA journal_mode = WAL");
    if (!err)
        err = ac_db_exec(st->db, "PRAGMA synchronous = FULL");
    if (!err)
        sqlite3_wal_hook(h, on_wal, st);
    if (!err)
        err = migrate(st, path);
    if (err) {
        ac_store_close(st);
        return err;
    }
    *out = st;
    return 0;
}

void ac_store_close(struct ac_store *st)
{
    if (!st)
        return;
    /* The COMMIT in flight ends (its hooks settled) before anything else. */
    ac_store_writer_stop(st);
    /* Every commit made durable (and reported) before the WAL is folded back. */
    ac_store_sync_stop(st);
    sqlite3 *h = ac__db_sqlite_handle(st->db);
    /* Fold the WAL back so the database file alone is complete; a reader's
     * connection leaves the WAL to the writer. */
    if (h && !st->readonly)
        sqlite3_wal_checkpoint_v2(h, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    /* A store closed inside a transaction (an error path) rolls it back,
     * dropping its hooks. */
    while (st->depth > 0)
        ac__store_rollback(st);
    ac_store_tx_resolve(st, 0);
    ac_db_close(st->db);
    free(st->target);
    free(st);
}

/* A PostgreSQL reader: a connection of its own whose transactions default to
 * read-only, so the server refuses any write (as query_only does on SQLite),
 * at the schema its writer migrated. Outside a transaction each statement
 * sees every commit made before it began. */
static int open_pg_reader(const char *url, struct ac_store **out)
{
    struct ac_store *st = calloc(1, sizeof *st);
    if (!st)
        return AC_ENOMEM;
    st->readonly = 1;
    int err = ac_db_open(AC_DB_POSTGRESQL, url, &st->db);
    /* Read-only on every session, also on one a reconnect opens after a
     * server restart or a failover. */
    if (!err)
        err = ac__db_pg_read_only(st->db);
    int have = 0;
    if (!err)
        err = ac_store_schema_version(st, &have);
    if (!err && have != ac_store_schema_latest()) {
        ac_log_error("store", "postgresql: schema version %d, this accord-node reads %d; a "
                     "reader opens only a database its writer has migrated",
                     have, ac_store_schema_latest());
        err = AC_ESCHEMA;
    }
    if (err) {
        ac_store_close(st);
        return err;
    }
    *out = st;
    return 0;
}

int ac_store_open_reader(const struct ac_store *writer, struct ac_store **out)
{
    if (!writer || !writer->target || writer->readonly)
        return AC_EINVAL;
    if (is_pg(writer))
        return open_pg_reader(writer->target, out);
    return ac_store_open_readonly(writer->target, out);
}

int ac_store_open_readonly(const char *path, struct ac_store **out)
{
    if (strcmp(path, ":memory:") == 0)
        return AC_EINVAL;
    /* ac_db_open() creates a missing file: a reader must find its writer's. */
    if (access(path, R_OK | W_OK) != 0) {
        ac_log_error("store", "%s: cannot open for reading: %s", path, strerror(errno));
        return AC_EIO;
    }
    struct ac_store *st = calloc(1, sizeof *st);
    if (!st)
        return AC_ENOMEM;
    st->readonly = 1;
    int err = ac_db_open(AC_DB_SQLITE, path, &st->db);
    if (err) {
        ac_store_close(st);
        return err;
    }
    sqlite3 *h = ac__db_sqlite_handle(st->db);
    sqlite3_busy_timeout(h, BUSY_TIMEOUT_MS);
    /* Closing must not checkpoint: the writer's connection and its storage
     * thread own the WAL (sync.h). */
    sqlite3_db_config(h, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    /* Read-write without a WAL hook, then query_only: a connection opened
     * with SQLITE_OPEN_READONLY fails in WAL mode whenever it would have to
     * build the -shm index itself, while query_only refuses every statement
     * that writes all the same. */
    err = ac_db_exec(st->db, "PRAGMA query_only = ON");
    int have = 0;
    if (!err)
        err = ac_store_schema_version(st, &have);
    if (!err && have != ac_store_schema_latest()) {
        ac_log_error("store", "%s: schema version %d, this accord-node reads %d; a reader "
                     "opens only a database its writer has migrated",
                     path, have, ac_store_schema_latest());
        err = AC_ESCHEMA;
    }
    if (err) {
        ac_store_close(st);
        return err;
    }
    *out = st;
    return 0;
}
