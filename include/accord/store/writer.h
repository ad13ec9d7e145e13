/* writer.h - the storage writer thread: COMMITs run off the loop.
 *
 * The loop still runs each write transaction's statements on the store's one
 * write connection, but hands its outermost COMMIT to a thread of its own
 * (never libuv's shared pool), so the loop does not wait on the disk
 * (SQLite: the WAL writes, the restart of the WAL and the checkpoints its WAL
 * hook runs; with durability = inline also the fsync) or on the round trip to
 * PostgreSQL (the server's fsync and its synchronous standbys). The caller
 * groups the writes of many requests into that one transaction (node/http/
 * reqtx.c: group commit), so one COMMIT serves them all.
 *
 * While a COMMIT is in flight the connection is the writer thread's. A read
 * (a SELECT) made meanwhile on the loop runs on a read-only connection the
 * writer keeps beside it (it sees every commit before it, as it would have
 * on the write connection; the COMMIT in flight is not one yet). Every other
 * store call (a write, a begin, ...) first waits for that COMMIT to end and
 * settles it (below): correct, but it waits on the disk, so the loop's write
 * paths queue behind the commit instead (node/http/reqtx.c).
 *
 * Settling a COMMIT happens on the loop, once, at the first of
 * ac_store_commit_poll(), ac_store_commit_wait() or any other store call:
 * committed, its after-commit hooks run there (store.h), in order with the
 * hooks of every later transaction; with an unknown outcome they wait for
 * ac_store_tx_resolve(); otherwise they are dropped.
 *
 * A parked transaction: the caller may keep its write transaction open
 * across loop turns and run it in steps (node/http/reqtx.c runs one
 * request's handler per turn, so a read waits behind one handler at most,
 * not a whole group's). Between two steps it parks the transaction
 * (ac_store_park()), and resumes it before the next (ac_store_resume()).
 * While it is parked the connection is held for a transaction that nobody
 * on the loop is running, so the rule is as during a COMMIT in flight:
 * - a SELECT made meanwhile (a read route, a timer) runs on the side
 *   connection and sees only what is committed, never the parked rows;
 * - every other store call (a begin, a write in autocommit, a non-SELECT
 *   statement, ac_store_tx_run(), a SELECT when there is no side
 *   connection) must neither nest inside the parked transaction nor commit
 *   or roll back with it: the store first calls the owner's close callback
 *   (ac_store_set_park()), which ends the parked transaction, normally by
 *   handing its COMMIT to the writer thread (what ran so far commits; the
 *   rest waits for the owner's next transaction), and then waits for that
 *   COMMIT as above before it runs.
 * To everyone but the owner the store is outside any transaction while
 * parked: ac_store_tx_open() says 0, ac_store_after_commit() and
 * ac_store_tx_commit() refuse (AC_EBUG). */
#ifndef AC_STORE_WRITER_H
#define AC_STORE_WRITER_H

struct ac_store;

/* Called on the writer thread when a COMMIT handed over has ended. It may
 * only do what is safe from another thread (e.g. uv_async_send()). */
typedef void (*ac_store_committed_cb)(void *arg);

/* Starts the writer thread of |st| (its write connection, SQLite or
 * PostgreSQL; one per store), which calls |cb| with |arg| (borrowed until
 * ac_store_writer_stop()), and opens the side read connection (when it
 * cannot, logged, reads wait instead). Returns 0, AC_EINVAL (already
 * started, or |st| is a reader) or AC_ENOMEM. */
int ac_store_writer_start(struct ac_store *st, ac_store_committed_cb cb, void *arg);

/* Settles a COMMIT in flight (waiting for it), then stops and joins the
 * thread; later commits run inline again. A no-op when not started. */
void ac_store_writer_stop(struct ac_store *st);

/* Returns 1 while the writer thread runs. */
int ac_store_writer_running(const struct ac_store *st);

/* Hands the COMMIT of the outermost transaction (one begin deep) to the
 * writer thread and returns at once; the transaction's hooks go with it. The
 * store is then outside any transaction. Returns 0 (in flight: |cb| fires
 * once it ends; collect the result with ac_store_commit_poll()), AC_EAGAIN
 * (a statement of the transaction lost a race: rolled back, nothing handed
 * over) or AC_EBUG (no writer thread, a COMMIT already in flight or not
 * settled, or not exactly one begin deep; nothing changed). */
int ac_store_commit_start(struct ac_store *st);

/* Returns 1 from ac_store_commit_start() until the result was collected. */
int ac_store_commit_busy(const struct ac_store *st);

/* Collects the result of the COMMIT handed over, without waiting: returns 1
 * and sets |*result| (0, AC_EAGAIN, AC_EUNKNOWN, AC_EIO or AC_EDB, as
 * ac_store_tx_commit()) when it has ended (settling it, see above), 0 while
 * it runs, AC_ENOENT when none was handed over or it was already collected. */
int ac_store_commit_poll(struct ac_store *st, int *result);

/* As ac_store_commit_poll(), waiting for the COMMIT to end (for shutdown and
 * tests): returns 1 with |*result|, or AC_ENOENT. */
int ac_store_commit_wait(struct ac_store *st, int *result);

/* Return how many times a store call on the loop had to wait for a COMMIT
 * in flight (each is a path that waited on the disk), and how many reads
 * ran on the side connection instead (for logs and tests). */
unsigned long long ac_store_commit_waits(const struct ac_store *st);
unsigned long long ac_store_commit_side_reads(const struct ac_store *st);

/* The owner's "close your parked transaction now" (see above): called on
 * the loop from inside the store call that needs the connection, with the
 * transaction resumed already. It must end it, by ac_store_commit_start()
 * or ac_store_tx_rollback(), and make no other store call and answer
 * nobody (it runs inside someone else's code); the store rolls back what
 * it leaves open (logged: a bug). */
typedef void (*ac_store_park_close_cb)(void *arg);

/* Registers the one owner of parked transactions of |st| (|arg| borrowed);
 * NULL unregisters (closing a transaction parked now first). */
void ac_store_set_park(struct ac_store *st, ac_store_park_close_cb close, void *arg);

/* Parks the open transaction (exactly one begin deep, no COMMIT in flight,
 * an owner registered) between two of its steps. Returns 0 or AC_EBUG. */
int ac_store_park(struct ac_store *st);

/* As ac_store_park(), for a step that waits on the database in the middle
 * of a call (its statement, or the transaction's BEGIN, is in flight on the
 * connection: the owner runs its steps on a fiber, base/fiber.h, and the
 * engine yielded): any depth, 0 while the BEGIN is in flight. The close
 * callback must then finish the step first (resume the fiber to its end),
 * since nothing else can use the connection meanwhile. Returns 0 or
 * AC_EBUG (no owner, parked already, or a COMMIT in flight). */
int ac_store_park_waiting(struct ac_store *st);

/* Ends what others have pending on the connection before the caller
 * acts on memory that their transactions may have moved ahead of the
 * store: a parked transaction is closed (above), and a COMMIT in flight
 * waited for and settled. (A key rotation re-signs the in-memory log head:
 * a group's leaves must have committed first.) */
void ac_store_quiesce(struct ac_store *st);

/* Returns 1 while a transaction is parked or its COMMIT in flight: rows
 * written on the loop that a read now (on the side connection) does not
 * see, and that may still commit or not. */
int ac_store_others_pending(const struct ac_store *st);

/* Takes the parked transaction back for the owner's next step (or its
 * COMMIT): returns 0, or AC_ENOENT when nothing is parked (it was closed
 * meanwhile through the callback). */
int ac_store_resume(struct ac_store *st);

/* Returns 1 while a transaction is parked. */
int ac_store_parked(const struct ac_store *st);

/* Returns how many times a store call closed a parked transaction (for
 * /metrics and tests). */
unsigned long long ac_store_park_closes(const struct ac_store *st);

/* Returns how many statements (BEGIN, SAVEPOINT and an inline COMMIT
 * included) callers of |st| ran off a fiber, waiting for each in place: on
 * the node's event loop on PostgreSQL, every one a round trip the loop
 * waited on. A writable store's count; for /metrics and tests. */
unsigned long long ac_store_loop_statements(const struct ac_store *st);

#endif
