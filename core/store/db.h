/* db.h - the storage seam: one SQL interface over the two engines a node can
 * run on, SQLite (embedded, the default; core/store/db_sqlite.c) and
 * PostgreSQL (through libpq, for high availability; core/store/db_pg.c).
 * Everything in core/store above this line (store.c, store_<entity>.c) talks
 * to a database only through these calls; nothing outside core/store sees
 * them.
 *
 * SQL text is written once for both engines where the dialects agree
 * (parameters are $1..$n, ON CONFLICT, RETURNING, COALESCE, CAST); where they
 * differ, ac_db_engine() picks between two texts kept side by side.
 *
 * Values cross the seam as four kinds: int64, text (UTF-8, NUL-terminated on
 * the way out), blob (bytes) and null. Booleans read as int64 0/1; PostgreSQL
 * numeric results (e.g. SUM over bigint) read as int64 when integral.
 *
 * Errors are negative AC_E* codes (accord/base/error.h) with these meanings,
 * the same on both engines:
 *   AC_EEXIST   a unique or primary-key constraint refused the row
 *   AC_ENOENT   a foreign-key constraint refused the row
 *   AC_EAGAIN   the transaction lost a race (SQLITE_BUSY, SQLSTATE 40001
 *               serialization failure, 40P01 deadlock): roll back and re-run
 *               the whole transaction
 *   AC_EUNKNOWN the connection was lost during COMMIT: the transaction may or
 *               may not have committed; the caller resolves it (e.g. through
 *               the request's idempotency key), never by re-running blindly
 *   AC_EIO      the database cannot be reached or written (disk full, server
 *               down, read-only standby)
 *   AC_ENOMEM   out of memory
 *   AC_EDB      anything else (bad SQL, a CHECK constraint, ...), logged with
 *               the engine's message
 *
 * A connection is used by one thread at a time. */
#ifndef AC_CORE_STORE_DB_H
#define AC_CORE_STORE_DB_H

#include <stddef.h>
#include <stdint.h>

enum ac_db_engine {
    AC_DB_SQLITE,
    AC_DB_POSTGRESQL,
};

struct ac_db;      /* one connection */
struct ac_db_stmt; /* a prepared statement, owned and cached by its connection */

/* ---- connections ---- */

/* Opens a connection. |target| is a file path for SQLite (created when
 * missing; ":memory:" for a private in-memory database) or a libpq connection
 * string or URL for PostgreSQL (several hosts and target_session_attrs=
 * read-write allowed, so a reconnect finds the new primary after a
 * failover). Returns 0, AC_EINVAL (unknown engine or bad target), AC_EIO
 * (cannot open or connect; logged) or AC_ENOMEM. */
int ac_db_open(enum ac_db_engine engine, const char *target, struct ac_db **out);

/* Finalises cached statements and closes. NULL is a no-op. */
void ac_db_close(struct ac_db *db);

enum ac_db_engine ac_db_engine(const struct ac_db *db);

/* The engine's message for the last failure on |db| (borrowed; valid until
 * the next call on |db|). */
const char *ac_db_errmsg(const struct ac_db *db);

/* Runs |sql|, one or more statements without parameters or result rows
 * (schema changes, SAVEPOINT, ...). Returns 0 or an error as above. */
int ac_db_exec(struct ac_db *db, const char *sql);

/* ---- transactions ---- */

enum ac_db_tx {
    AC_DB_TX_READ,  /* a consistent snapshot; no writes */
    AC_DB_TX_WRITE, /* takes the write lock up front (SQLite BEGIN IMMEDIATE;
                     * PostgreSQL BEGIN ISOLATION LEVEL SERIALIZABLE) */
};

/* Begins, commits or rolls back the outermost transaction. ac_db_commit
 * rolls back when it fails and may return AC_EAGAIN or AC_EUNKNOWN; rollback
 * is a no-op when no transaction is open. Nesting is the caller's (SAVEPOINT
 * through ac_db_exec works on both engines). */
int ac_db_begin(struct ac_db *db, enum ac_db_tx kind);
int ac_db_commit(struct ac_db *db);
void ac_db_rollback(struct ac_db *db);

/* Returns 1 while a transaction is open on |db|. */
int ac_db_in_tx(const struct ac_db *db);

/* Returns 1 when a call on |db| or one of its statements (exec, begin,
 * step, commit) returned AC_EAGAIN since ac_db_raced_clear(): the
 * transaction lost a race even if its caller handled that error (say, by
 * rolling back to a savepoint and answering a failure), so the whole
 * transaction must run again rather than commit what is left of it. */
int ac_db_raced(const struct ac_db *db);
void ac_db_raced_clear(struct ac_db *db);

/* ---- statements ---- */

/* Sets |*out| to the statement for |sql| (parameters $1..$n), preparing it
 * on first use and caching it for the life of the connection (PostgreSQL
 * prepares it again on a new connection after a reconnect). |sql| must stay
 * valid as long as |db| (a string literal). The statement comes back reset,
 * with no bindings; the caller binds, steps, and never frees it. Returns 0,
 * AC_EDB (bad SQL; logged), AC_EIO or AC_ENOMEM. PostgreSQL prepares on the
 * server only at the first step, when the kinds bound are known (an int64 is
 * declared int8), so there bad SQL is reported by that step; bind each
 * parameter as the same kind every time, and CAST a parameter whose type the
 * server cannot infer (one only tested with IS NULL). */
int ac_db_prepare(struct ac_db *db, const char *sql, struct ac_db_stmt **out);

/* Binds parameter $|n| (1-based). Text is copied (|len| -1: up to the NUL);
 * a NULL text or blob pointer binds null. Returns 0, AC_ERANGE (no such
 * parameter) or AC_ENOMEM. A parameter left unbound is null. */
int ac_db_bind_int64(struct ac_db_stmt *s, int n, int64_t v);
int ac_db_bind_text(struct ac_db_stmt *s, int n, const char *text, int len);
int ac_db_bind_blob(struct ac_db_stmt *s, int n, const void *data, size_t len);
int ac_db_bind_null(struct ac_db_stmt *s, int n);

enum {
    AC_DB_DONE = 0, /* no (more) rows: the statement ran to the end */
    AC_DB_ROW = 1,  /* a row is ready to read */
};

/* Runs the statement on its first call after binding and returns the first
 * row; later calls return the next. Returns AC_DB_ROW, AC_DB_DONE or an error
 * as above. */
int ac_db_step(struct ac_db_stmt *s);

/* Reading the current row; |col| is 0-based. A column read as the wrong kind
 * converts as SQLite does (text of an integer is its decimal digits). Text
 * and blob pointers stay valid until the next step or reset of |s|; text of
 * a null is NULL, its int64 0 and its blob NULL with 0 bytes. */
int ac_db_col_count(struct ac_db_stmt *s);
int ac_db_col_is_null(struct ac_db_stmt *s, int col);
int64_t ac_db_col_int64(struct ac_db_stmt *s, int col);
double ac_db_col_double(struct ac_db_stmt *s, int col);
const char *ac_db_col_text(struct ac_db_stmt *s, int col);
const void *ac_db_col_blob(struct ac_db_stmt *s, int col);
size_t ac_db_col_bytes(struct ac_db_stmt *s, int col);

/* Ends the current run of |s| (its result rows are released) and clears its
 * bindings, ready for the next use. */
void ac_db_reset(struct ac_db_stmt *s);

/* Rows inserted, updated or deleted by the last statement run on |db|. */
int64_t ac_db_changes(const struct ac_db *db);

#endif
