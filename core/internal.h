/* internal.h - what core/ files share and nothing outside core/ may use: the
 * SQLite handle behind struct ac_store, cached statements, transactions, and the
 * numbered migration list.
 *
 * How to add storage for a new entity:
 *   1. Append a migration to core/migrations.c (next number; never edit one
 *      that has shipped).
 *   2. Declare the entity's functions in include/accord/store.h and write them
 *      in core/store_<entity>.c, getting statements with ac__store_stmt() and
 *      wrapping writes in ac__store_begin()/ac__store_commit() (or
 *      ac__store_rollback() on any failure).
 * No SQL anywhere else. */
#ifndef AC_CORE_INTERNAL_H
#define AC_CORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

struct ac_store;

struct ac__migration {
    int version;             /* 1, 2, 3, ... with no gaps */
    const char *description; /* recorded beside the version */
    const char *sql;         /* one or more statements, run in one transaction */
};

/* The list, in version order; defined in core/migrations.c. */
extern const struct ac__migration ac__migrations[];
extern const size_t ac__nmigrations;

/* Returns the connection (borrowed; valid until ac_store_close()). */
sqlite3 *ac__store_db(struct ac_store *st);

/* Sets |*out| to the prepared statement for |sql|, preparing it on first use
 * and caching it for the life of the store. The statement comes back reset
 * with its bindings cleared; the caller steps it and must not finalise it.
 * Returns 0 or AC_EDB (bad SQL; logged). */
int ac__store_stmt(struct ac_store *st, const char *sql, sqlite3_stmt **out);

/* BEGIN IMMEDIATE, so a writer takes the write lock up front and never fails
 * half-way on a lock upgrade. Returns 0, AC_EIO or AC_EDB. */
int ac__store_begin(struct ac_store *st);

/* COMMIT; on failure the transaction is rolled back. Returns 0, AC_EIO or AC_EDB. */
int ac__store_commit(struct ac_store *st);

/* ROLLBACK; safe to call when no transaction is open. */
void ac__store_rollback(struct ac_store *st);

/* Translates an SQLite result code: SQLITE_IOERR*, SQLITE_FULL, SQLITE_CANTOPEN
 * -> AC_EIO; SQLITE_CONSTRAINT_UNIQUE/PRIMARYKEY -> AC_EEXIST;
 * SQLITE_CONSTRAINT_FOREIGNKEY -> AC_ENOENT; SQLITE_NOMEM -> AC_ENOMEM;
 * anything else -> AC_EDB (logged with SQLite's message). */
int ac__store_error(struct ac_store *st, int rc);

/* ---- helpers for core/store_*.c (core/store_util.c) ---- */

/* Steps the write statement |s| to completion and resets it.
 * Returns 0 or the translated error (see ac__store_error). */
int ac__store_done(struct ac_store *st, sqlite3_stmt *s);

/* Copies text column |col| of |s| into |dst| of |size| bytes, truncated;
 * NULL reads as "". */
void ac__col_copy(char *dst, size_t size, sqlite3_stmt *s, int col);

/* Returns a malloc'd copy of text column |col| of |s| ("" for NULL), or NULL
 * when out of memory. */
char *ac__col_dup(sqlite3_stmt *s, int col);

/* Inserts one signed checkpoint row inside the caller's open transaction
 * (store_log.c; used by the issuing transaction in store_record.c).
 * Returns 0, AC_EIO or AC_EDB. */
int ac__store_checkpoint_insert(struct ac_store *st, uint64_t size, const uint8_t *root,
                                const char *kid, const char *note, int64_t now_ms);

#endif
