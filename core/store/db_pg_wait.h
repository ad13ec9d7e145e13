/* db_pg_wait.h - how the PostgreSQL engine (db_pg.c) waits on libpq: for a
 * statement's answer, for a COMMIT's within a bound, and for a connect
 * within its deadline (db_pg_wait.c). Calls go one way, db_pg.c to
 * db_pg_wait.c; nothing but db_pg.c includes this. */
#ifndef AC_CORE_STORE_DB_PG_WAIT_H
#define AC_CORE_STORE_DB_PG_WAIT_H

#include <stddef.h>

#include <libpq-fe.h>

/* Connects to |target| (a libpq connection string or URL) with the
 * engine's defaults beneath its own settings, without blocking the thread
 * on a fiber, and makes the connection non-blocking for ac__pg_await().
 * Sets |*out| to the new connection, which the caller closes with
 * PQfinish(). Returns 0, or AC_ENOMEM or AC_EIO with the reason written
 * into |why| (|size| bytes) and |*out| left NULL. */
int ac__pg_connect(const char *target, PGconn **out, char *why, size_t size);

/* Collects the answer to what was just sent on |conn| (borrowed; |sent|:
 * the PQsend* call's result), waiting through ac_fiber_wait_fd() before
 * each result: on a fiber the wait yields to the loop. Returns the last
 * result, as PQexec() does, which the caller frees with PQclear(); NULL
 * when nothing could be sent. */
PGresult *ac__pg_await(PGconn *conn, int sent);

/* Sends COMMIT on |*conn| and waits for its answer in place, for a bounded
 * time, cancelling it past the bound; sets |*unconfirmed| to 1 when it was
 * cancelled. Should the cancel go unanswered too, closes |*conn| and sets
 * it to NULL. Returns the last result (the caller frees it with
 * PQclear()), NULL when there was none. */
PGresult *ac__pg_commit_bounded(PGconn **conn, int *unconfirmed);

#endif
