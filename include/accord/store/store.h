/* store.h - the node's durable storage on one database connection, on
 * SQLite (embedded, the default) or PostgreSQL (for high availability;
 * docs/ha.md): opening with migrations, and transactions. Each stored object
 * has its own header (user.h, credential.h, ...) beside its
 * core/store/store_<object>.c.
 *
 * A write is durable (SQLite: WAL, synchronous=FULL; PostgreSQL: the server's
 * COMMIT) when its transaction commits, so a caller may acknowledge it then,
 * unless a storage thread was started on SQLite (sync.h): then a commit is
 * durable once ac_store_durable() reaches its number (ac_store_commits()
 * right after it). Most writes run in their own BEGIN
 * IMMEDIATE transaction; ac_store_tx_begin() groups several into one, and the
 * review-lifecycle steps (submission.h, artifact.h, assignment.h, job.h,
 * notify.h, flag.h) refuse to run outside one. Not thread-safe: use from the
 * loop thread. */
#ifndef AC_STORE_H
#define AC_STORE_H

#include <stdint.h>

struct ac_store;

/* The database engine a store runs on ([store] engine in the node's config). */
enum ac_store_engine {
    AC_STORE_SQLITE,     /* a file (created 0600 when missing), or ":memory:" */
    AC_STORE_POSTGRESQL, /* a server, through libpq */
};

/* Opens the database |target| on |engine|, applying pending migrations (the
 * engine's text of the same numbered list), each in its own transaction with
 * its version recorded. |target| is a file path for SQLite, a libpq
 * connection string or URL for PostgreSQL (several hosts and
 * target_session_attrs=read-write allowed, so a reconnect finds the new
 * primary after a failover). On PostgreSQL the SQLite-only setup (pragmas,
 * the WAL hook) does not run. Sets |*out| to a store the caller closes with
 * ac_store_close(). Returns 0, AC_EINVAL (unknown engine), AC_ENOMEM, AC_EIO
 * (cannot open, write or reach the database), AC_EDB (a migration failed) or
 * AC_ESCHEMA (the database was written by a newer accord-node; the reason is
 * logged). */
int ac_store_open_engine(enum ac_store_engine engine, const char *target,
                         struct ac_store **out);

/* ac_store_open_engine(AC_STORE_SQLITE, path, out). */
int ac_store_open(const char *path, struct ac_store **out);

/* Returns the engine |st| runs on. */
enum ac_store_engine ac_store_engine_of(const struct ac_store *st);

/* Opens a second connection to the database at |path|, which a store opened
 * with ac_store_open() has created and migrated, for reads only (query_only:
 * every write fails): no migrations, no WAL hook, no checkpoint on close. The
 * read functions of the object headers work on it unchanged. Unlike the
 * writer's store it may be used from any one thread at a time (a reader
 * thread, node/readers.h); each read sees every commit made before it began.
 * Sets |*out| to a store the caller closes with ac_store_close(). Returns 0,
 * AC_EINVAL (":memory:"), AC_ENOMEM, AC_EIO (cannot open; logged) or
 * AC_ESCHEMA (the schema is not this build's latest; logged). */
int ac_store_open_readonly(const char *path, struct ac_store **out);

/* Opens a read-only connection to the database of the store |writer|
 * (opened by ac_store_open() or ac_store_open_engine()), on its engine: on
 * SQLite ac_store_open_readonly() of its file; on PostgreSQL a new
 * connection to its URL whose transactions are read-only (the server
 * refuses every write), checked to be at this build's latest schema. For
 * reader threads (node/readers.h), one thread at a time each. Returns 0,
 * AC_EINVAL (|writer| is NULL, in memory or itself a reader), AC_ENOMEM,
 * AC_EIO (cannot open or connect; logged) or AC_ESCHEMA (logged). */
int ac_store_open_reader(const struct ac_store *writer, struct ac_store **out);

/* Closes |st|, finalising cached statements and (SQLite) checkpointing the
 * WAL. NULL is a no-op. */
void ac_store_close(struct ac_store *st);

/* Sets |*version| to the highest migration applied. Returns 0 or AC_EDB. */
int ac_store_schema_version(struct ac_store *st, int *version);

/* Returns the highest migration this build knows. */
int ac_store_schema_latest(void);

/* Sets |*bytes| to the database size (SQLite: pages in use times page size,
 * without the WAL; PostgreSQL: pg_database_size()). Returns 0 or AC_EDB. */
int ac_store_size(struct ac_store *st, int64_t *bytes);

/* ---- transactions ---- */

/* Opens a transaction around several store calls so their effects (e.g. a
 * state change and its audit row) commit together or not at all. Transactions
 * nest: every store write opens its own, which inside an outer one is a
 * savepoint. Each begin that returned 0 is matched by exactly one commit or
 * rollback. Returns 0, AC_EIO or AC_EDB. */
int ac_store_tx_begin(struct ac_store *st);

/* Commits the innermost transaction (durable when it was the outermost); on
 * failure it is rolled back. The outermost commit refuses, rolling back
 * with AC_EAGAIN, when any statement of the transaction lost a race (even
 * one whose error a caller handled by rolling back to a savepoint): the
 * whole transaction must run again. Returns 0, AC_EAGAIN, AC_EUNKNOWN (the
 * connection was lost during COMMIT: see ac_store_tx_resolve()), AC_EIO,
 * AC_EDB or AC_EBUG (none open). */
int ac_store_tx_commit(struct ac_store *st);

/* Rolls back the innermost transaction; a no-op when none is open. */
void ac_store_tx_rollback(struct ac_store *st);

/* Returns 1 while a transaction is open (so a begin now would nest: its
 * commit is not yet the one that makes its writes visible), else 0. */
int ac_store_tx_open(const struct ac_store *st);

/* Returns how many begins deep the open transaction is (0: none; 1: the
 * outermost; more: savepoints inside it). */
int ac_store_tx_depth(const struct ac_store *st);

/* Returns 1 when a statement of the open transaction lost a race (even one
 * whose error a caller handled): its outermost commit will refuse with
 * AC_EAGAIN, so the whole transaction must run again. */
int ac_store_tx_raced(const struct ac_store *st);

/* On a reader store (ac_store_open_readonly()) outside any transaction:
 * opens a read transaction, so the reads that follow until
 * ac_store_read_end() share one snapshot (taken at the first of them) and
 * one set of WAL locks; the WAL cannot be checkpointed past it while it is
 * open, so keep it short. Returns 0, AC_EINVAL (not a SQLite reader, or a
 * transaction is open) or AC_EDB. */
int ac_store_read_begin(struct ac_store *st);

/* Ends the read transaction ac_store_read_begin() opened; a no-op when none
 * is open. */
void ac_store_read_end(struct ac_store *st);

/* ---- after-commit hooks ---- */

/* Work outside the database that must follow a commit, never precede it:
 * memory that mirrors what was written (a cache entry, a published
 * checkpoint), a wake-up that announces it. */
typedef void (*ac_store_hook_fn)(void *arg);

/* Registers |run|(|arg|) to run once the transaction now open is part of a
 * commit: after the OUTERMOST commit succeeds (a savepoint's release only
 * hands its hooks to the transaction around it), in the order registered,
 * on the calling thread, before that commit returns. A rollback drops the
 * hooks registered inside what it rolls back (a savepoint's rollback only
 * those registered since its begin), so a transaction rolled back or run
 * again (ac_store_tx_run(), a request re-run on a lost race) leaves no
 * trace in memory. |release|(|arg|) (may be NULL) is called exactly once
 * for every call, after |run| or instead of it, also when this call fails.
 * A hook may open transactions of its own. Returns 0, AC_ENOMEM or AC_EBUG
 * (no transaction is open: do the work directly, the write has committed). */
int ac_store_after_commit(struct ac_store *st, ac_store_hook_fn run, ac_store_hook_fn release,
                          void *arg);

/* Settles the hooks of a transaction whose outermost commit returned
 * AC_EUNKNOWN: runs them when the caller found that it committed (e.g. its
 * idempotency key is stored), else drops them. Unsettled hooks are dropped
 * at the next outermost begin (logged). */
void ac_store_tx_resolve(struct ac_store *st, int committed);
/* ---- transactions the engine may re-run ---- */

/* The body of a transaction for ac_store_tx_run(): store calls on |st|
 * (already inside the transaction), returning 0 to commit or a negative
 * AC_E* code to roll back. It may run more than once, each time from the
 * start on a rolled-back database, so everything it does outside the
 * database (an answer sent, memory kept in |arg|, a counter) must be
 * repeatable or reset at its start; send answers after ac_store_tx_run()
 * returns. */
typedef int (*ac_store_tx_fn)(struct ac_store *st, void *arg);

/* How many times ac_store_tx_run() runs a body that keeps losing races. */
#define AC_STORE_TX_ATTEMPTS 5

/* Runs |fn|(st, arg) in a write transaction of its own and commits. When the
 * engine says the transaction lost a race (AC_EAGAIN: PostgreSQL's
 * serialization failure or deadlock, SQLite's busy lock, from BEGIN, any
 * statement the body runs, or COMMIT), it rolls back, waits a short
 * jittered back-off (about 1, 2, 4, 8 ms, so racing writers spread out) and
 * runs the whole body again (also when the body turned the lost race into
 * an error of its own, or swallowed it by rolling back a savepoint), at most AC_STORE_TX_ATTEMPTS times in all. It
 * never runs it again after AC_EUNKNOWN (the connection was lost during
 * COMMIT: it may have committed; the caller resolves it, e.g. through the
 * request's idempotency key; its after-commit hooks wait for
 * ac_store_tx_resolve()) nor after any other error. Must be called
 * outside any transaction (the whole transaction is what runs again).
 * Returns 0 (committed), the body's error, AC_EAGAIN (every attempt lost),
 * AC_EUNKNOWN, AC_EIO, AC_EDB or AC_EBUG (called inside a transaction, or
 * the body left its own begins unmatched). */
int ac_store_tx_run(struct ac_store *st, ac_store_tx_fn fn, void *arg);

/* ---- commit numbers ---- */

/* Returns how many transactions of |st| have committed since it opened: each
 * outermost commit (and on SQLite each write made outside a transaction)
 * counts one; savepoints and rollbacks count none. Commit n is the nth.
 * SQLite counts in the WAL hook, so an in-memory store (no WAL) counts none;
 * PostgreSQL counts each successful outermost COMMIT. */
uint64_t ac_store_commits(const struct ac_store *st);

/* Returns the highest commit number known to be on disk: every commit up to
 * it survives power loss. Equals ac_store_commits() unless a storage thread
 * (sync.h) is running; then it trails it by the fsync in progress. Always
 * equal on PostgreSQL, where a commit is durable when COMMIT returns. */
uint64_t ac_store_durable(const struct ac_store *st);

#endif
