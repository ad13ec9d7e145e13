/* internal.h - what core/store files share and nothing outside may use: the
 * connection behind struct ac_store (the storage seam, db.h), cached
 * statements, transactions, and the numbered migration list.
 *
 * How to add storage for a new entity:
 *   1. Append a migration to core/store/migrations.c (next number; never edit
 *      one that has shipped).
 *   2. Declare the entity's functions in include/accord/store/<entity>.h and
 *      write them in core/store/store_<entity>.c, getting statements with
 *      ac__store_stmt() and wrapping writes in ac__store_begin()/
 *      ac__store_commit() (or ac__store_rollback() on any failure).
 * No SQL anywhere else. */
#ifndef AC_CORE_INTERNAL_H
#define AC_CORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "accord/store/sync.h"
#include "accord/store/writer.h"
#include "db.h"

struct ac_store;

struct ac__migration {
    int version;             /* 1, 2, 3, ... with no gaps */
    const char *description; /* recorded beside the version */
    const char *sql;         /* one or more statements, run in one transaction */
};

/* The list, in version order; defined in core/store/migrations.c. */
extern const struct ac__migration ac__migrations[];
extern const size_t ac__nmigrations;

/* Returns the connection (borrowed; valid until ac_store_close()). */
struct ac_db *ac__store_db(struct ac_store *st);

/* ---- durability off the loop (store_sync.c) ---- */
struct ac__store_sync;

/* WAL frames at which the storage thread checkpoints; at twice as many the
 * loop checkpoints itself, whatever the storage thread is doing (store.c). */
#define AC__STORE_CHECKPOINT_FRAMES 1000

/* The storage thread, below store.c (which calls these; nothing here calls
 * store.c). ac__store_sync_open() starts it for the loop's connection |db|
 * whose commits up to |committed| are durable, and returns 0, AC_EINVAL,
 * AC_EIO, AC_EDB or AC_ENOMEM; ac__store_sync_close() makes every noted
 * commit durable, joins and frees it and returns |db| to synchronous=FULL. */
int ac__store_sync_open(struct ac_db *db, uint64_t committed, ac_store_durable_cb cb, void *arg,
                        struct ac__store_sync **out);
void ac__store_sync_close(struct ac__store_sync *s, struct ac_db *db);
int ac__store_sync_error(const struct ac__store_sync *s);
uint64_t ac__store_sync_fsyncs(const struct ac__store_sync *s);
uint64_t ac__store_sync_checkpoints(const struct ac__store_sync *s);

/* Hands commit number |n|, leaving |frames| frames in the WAL, to the storage
 * thread. Loop thread, from the WAL hook. */
void ac__store_sync_note(struct ac__store_sync *s, uint64_t n, int frames);

/* Returns 1 (once) when the storage thread's last checkpoint copied every
 * frame the WAL held when it began: the loop should checkpoint the tail its
 * own commits added since, so the WAL can start over. */
int ac__store_sync_take_tail(struct ac__store_sync *s);

/* Returns the highest commit number the storage thread has fsynced. */
uint64_t ac__store_sync_durable(const struct ac__store_sync *s);

/* ---- the writer thread (store_writer.c; writer.h) ----
 * Below store.c, which calls these. ac__store_writer_open() starts the
 * thread (0, AC_EINVAL or AC_ENOMEM); ac__store_writer_submit() hands it
 * the COMMIT of |db| (one at a time); ac__store_writer_take() returns 1 and
 * sets |*result| once that COMMIT ended (|wait|: blocks until it has), else
 * 0; ac__store_writer_close() runs a COMMIT still handed over, joins and
 * frees the thread. */
struct ac__store_writer;
int ac__store_writer_open(ac_store_committed_cb cb, void *arg, struct ac__store_writer **out);
void ac__store_writer_submit(struct ac__store_writer *w, struct ac_db *db);
int ac__store_writer_take(struct ac__store_writer *w, int wait, int *result);
void ac__store_writer_close(struct ac__store_writer *w);

/* Sets |*out| to the prepared statement for |sql| (parameters $1..$n),
 * preparing it on first use and caching it for the life of the store
 * (ac_db_prepare). The statement comes back reset with its bindings cleared;
 * the caller steps it and must not finalise it. Returns 0, AC_EDB (bad SQL;
 * logged), AC_EIO or AC_ENOMEM. */
int ac__store_stmt(struct ac_store *st, const char *sql, struct ac_db_stmt **out);

/* Returns |sqlite| or |postgresql|, whichever the store's engine runs: for
 * the few statements the two dialects cannot share, written side by side. */
const char *ac__store_sql(struct ac_store *st, const char *sqlite, const char *postgresql);

/* Begins a write transaction (ac_db_begin(AC_DB_TX_WRITE): the write lock
 * is taken up front), or a savepoint inside an open one. Returns 0, AC_EAGAIN,
 * AC_EIO or AC_EDB. */
int ac__store_begin(struct ac_store *st);

/* COMMIT; on failure the transaction is rolled back. Returns 0, AC_EAGAIN,
 * AC_EUNKNOWN, AC_EIO or AC_EDB. */
int ac__store_commit(struct ac_store *st);

/* ROLLBACK; safe to call when no transaction is open. */
void ac__store_rollback(struct ac_store *st);

/* Ends the transaction a write opened with ac__store_begin(): commits when
 * |err| is 0, else rolls back (core/store_util.c). Returns |err| when it is
 * non-zero, else the commit's result (0, AC_EIO or AC_EDB). */
int ac__store_end(struct ac_store *st, int err);

/* The error in a result |rc| of ac_db_step(): 0 for a row or done, else
 * |rc| (already one of db.h's AC_E* codes, logged by the engine). */
static inline int ac__store_error(struct ac_store *store, int rc)
{
    (void)store;
    return rc < 0 ? rc : 0;
}

/* ---- helpers for core/store_*.c (core/store_util.c) ---- */

/* Steps the write statement |s| to completion and resets it.
 * Returns 0 or the error of ac_db_step(). */
int ac__store_done(struct ac_store *st, struct ac_db_stmt *s);

/* Steps the INSERT ... RETURNING id statement |s| for its one row, sets
 * |*id| to column 0 and resets |s|. Returns 0, AC_ENOENT when no row came
 * back (ON CONFLICT DO NOTHING skipped it) or the error of ac_db_step(). */
int ac__store_insert_id(struct ac_store *st, struct ac_db_stmt *s, int64_t *id);

/* Runs the two-parameter write |sql| once for each of |ids| ($1 = |id|,
 * $2 = ids[i]), as when a new row's owned rows are added in its transaction.
 * Stops at and returns the first error, else 0. */
int ac__store_each_pair(struct ac_store *st, const char *sql, int64_t id, const int64_t *ids,
                        size_t n);

/* Copies |src| (NULL reads as "") into |dst| of |size| bytes, truncated to
 * fit and always NUL-terminated; |size| must be at least 1. */
void ac__text_copy(char *dst, size_t size, const char *src);

/* Returns a malloc'd copy of |src| ("" for NULL), or NULL when out of memory. */
char *ac__text_dup(const char *src);

/* Copies text column |col| of |s| into |dst| of |size| bytes, truncated;
 * NULL reads as "". */
void ac__col_copy(char *dst, size_t size, struct ac_db_stmt *s, int col);

/* Reads a user from the six columns id, name, display_name, roles,
 * created_ms, disabled_ms of |s| starting at |col| (store_user.c), for any
 * query that joins users. */
struct ac_user;
void ac__store_read_user(struct ac_db_stmt *s, int col, struct ac_user *u);

/* Returns a malloc'd copy of text column |col| of |s| ("" for NULL), or NULL
 * when out of memory. */
char *ac__col_dup(struct ac_db_stmt *s, int col);

/* ---- reading result rows (core/store_rows.c) ----
 * The loops every store_*.c list and lookup would otherwise repeat: step the
 * statement, read each row into the caller's element type, and on any error
 * release what was read so the caller's out-params stay untouched. */

/* How to read one kind of row. |read| fills |elem| (|size| bytes, zeroed or
 * uninitialised) from the current row of |s| and returns 0 or a negative AC_E*
 * code; when it fails, |elem| must own nothing (it is not released). |st| is
 * passed through for readers that run further statements. |release| frees what
 * a successfully read element owns; NULL when elements own nothing. */
struct ac__row_type {
    size_t size;
    int (*read)(struct ac_store *st, struct ac_db_stmt *s, void *elem);
    void (*release)(void *elem);
};

/* Rows of one integer column (column 0) read into int64_t elements. */
extern const struct ac__row_type ac__int64_rows;

/* Steps the bound statement |s| once and reads the row into |out|, then
 * resets |s|. Returns 0, AC_ENOENT when there is no row, the reader's error,
 * or the error of ac_db_step() . On error |out| owns
 * nothing. */
int ac__store_one(struct ac_store *st, struct ac_db_stmt *s, const struct ac__row_type *type,
                  void *out);

/* Steps the bound statement |s| to the end, reading every row into a new
 * malloc'd array, then resets |s|. On success sets |*out| (caller frees each
 * element with type->release, then the array with free(); NULL when there are
 * no rows) and |*n|. Returns 0, AC_ENOMEM, the reader's error or the
 * error of ac_db_step(); on error every row read so far is released and
 * |*out|, |*n| are untouched. */
int ac__store_collect(struct ac_store *st, struct ac_db_stmt *s, const struct ac__row_type *type,
                      void **out, size_t *n);

/* Steps the bound statement |s| for the one row an aggregate query (COUNT,
 * EXISTS) always yields, sets |*out| to column 0 as an integer, and resets |s|.
 * Returns 0 or the error of ac_db_step() (no row at all is AC_EDB, as for
 * any step that is neither a row nor done); |*out| is set only on success. */
int ac__store_int64(struct ac_store *st, struct ac_db_stmt *s, int64_t *out);

/* Like ac__store_collect, into the caller's array |out| of |max| elements:
 * reads at most |max| rows (the statement is not stepped past the |max|th, so
 * a LIMIT is the caller's business) and sets |*n| on success. Returns 0, the
 * reader's error or the error of ac_db_step(); on error the rows read so
 * far are released and |*n| is untouched. */
int ac__store_fill(struct ac_store *st, struct ac_db_stmt *s, const struct ac__row_type *type,
                   void *out, size_t max, size_t *n);

/* Inserts one signed checkpoint row and moves the log head to its size and
 * root, inside the caller's open transaction, which holds the head lock
 * (store_tlog.c; used by the issuing transaction in store_record.c).
 * Returns 0, AC_EEXIST (one of that size and key is stored), AC_EIO or
 * AC_EDB. */
int ac__store_checkpoint_insert(struct ac_store *st, uint64_t size, const uint8_t *root,
                                const char *kid, const char *note, int64_t now_ms);

/* Inserts the log subtrees v[0..n) inside the caller's transaction; with
 * |keep_existing| a row already stored is kept, else it is a conflict
 * (AC_EEXIST). Returns 0, AC_EEXIST or a store error. */
struct ac_store_subtree;
int ac__store_subtrees_insert(struct ac_store *st, const struct ac_store_subtree *v, size_t n,
                              int keep_existing);

#endif
