/* store_tlog.c - the transparency log's stored leaf hashes, its head row
 * and its signed checkpoints (the leaves themselves are the records' COSE
 * bytes). Several node processes may write one database: every append and
 * every checkpoint first locks the head row (ac_store_tlog_head_lock), so
 * each reads the head the last commit left and no two sign one size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/tlog.h"
#include "internal.h"

int ac_store_log_leaf(struct ac_store *st, uint64_t index, uint8_t out[AC_STORE_HASH_BYTES])
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT hash FROM log_leaves WHERE idx = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, (int64_t)index);
    int rc = ac_db_step(s);
    if (rc != AC_DB_ROW) {
        ac_db_reset(s);
        return rc == AC_DB_DONE ? AC_ENOENT : ac__store_error(st, rc);
    }
    if (ac_db_col_bytes(s, 0) != AC_STORE_HASH_BYTES) {
        ac_db_reset(s);
        return AC_EDB; /* the CHECK constraint makes this unreachable */
    }
    memcpy(out, ac_db_col_blob(s, 0), AC_STORE_HASH_BYTES);
    ac_db_reset(s);
    return 0;
}

int ac_store_log_each_leaf(struct ac_store *st,
                           int (*cb)(void *ctx, uint64_t index,
                                     const uint8_t hash[AC_STORE_HASH_BYTES]),
                           void *ctx, uint64_t *count)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT idx, hash FROM log_leaves ORDER BY idx", &s);
    if (err)
        return err;
    uint64_t n = 0;
    int rc;
    while ((rc = ac_db_step(s)) == AC_DB_ROW) {
        /* Leaves are inserted only at the current size, so the indexes are
         * 0..n-1 without gaps; anything else is a corrupt log. */
        if ((uint64_t)ac_db_col_int64(s, 0) != n || ac_db_col_bytes(s, 1) != AC_STORE_HASH_BYTES) {
            ac_db_reset(s);
            return AC_EDB;
        }
        err = cb(ctx, n, ac_db_col_blob(s, 1));
        if (err) {
            ac_db_reset(s);
            return err;
        }
        n++;
    }
    ac_db_reset(s);
    if (rc != AC_DB_DONE)
        return ac__store_error(st, rc);
    *count = n;
    return 0;
}

/* Reads the head row with |sql|: the locking or the plain read. */
static int head_read(struct ac_store *st, const char *sql, struct ac_store_tlog_head *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, sql, &s);
    if (err)
        return err;
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW &&
        (ac_db_col_int64(s, 0) < 0 || ac_db_col_bytes(s, 1) != AC_STORE_HASH_BYTES))
        rc = AC_EDB; /* the CHECK constraints make this unreachable */
    if (rc == AC_DB_ROW) {
        out->size = (uint64_t)ac_db_col_int64(s, 0);
        memcpy(out->root, ac_db_col_blob(s, 1), AC_STORE_HASH_BYTES);
    }
    ac_db_reset(s);
    if (rc == AC_DB_ROW)
        return 0;
    /* Migration 25 inserts the one row and nothing deletes it. */
    return rc == AC_DB_DONE ? AC_EDB : ac__store_error(st, rc);
}

int ac_store_tlog_head(struct ac_store *st, struct ac_store_tlog_head *out)
{
    return head_read(st, "SELECT size, root FROM log_head WHERE id = 1", out);
}

int ac_store_tlog_head_lock(struct ac_store *st, struct ac_store_tlog_head *out)
{
    if (!ac_db_in_tx(ac__store_db(st)))
        return AC_EBUG;
    /* SQLite's BEGIN IMMEDIATE already holds the database's one write lock;
     * PostgreSQL locks the row, so a second writer waits here and then
     * (SERIALIZABLE) fails with a serialization error and re-runs. */
    return head_read(st,
                     ac__store_sql(st, "SELECT size, root FROM log_head WHERE id = 1",
                                   "SELECT size, root FROM log_head WHERE id = 1 FOR UPDATE"),
                     out);
}

int ac__store_checkpoint_insert(struct ac_store *st, uint64_t size, const uint8_t *root,
                                const char *kid, const char *note, int64_t now_ms)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "INSERT INTO log_checkpoints (size, root, kid, note, created_ms)"
                             " VALUES ($1, $2, $3, $4, $5)",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, (int64_t)size);
    ac_db_bind_blob(s, 2, root, AC_STORE_HASH_BYTES);
    ac_db_bind_text(s, 3, kid, -1);
    ac_db_bind_text(s, 4, note, -1);
    ac_db_bind_int64(s, 5, now_ms);
    err = ac__store_done(st, s);
    if (err)
        return err;
    err = ac__store_stmt(st, "UPDATE log_head SET size = $1, root = $2 WHERE id = 1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, (int64_t)size);
    ac_db_bind_blob(s, 2, root, AC_STORE_HASH_BYTES);
    return ac__store_done(st, s);
}

int ac_store_log_checkpoint_latest(struct ac_store *st, struct ac_store_checkpoint *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st, "SELECT size, root, kid, note FROM log_checkpoints ORDER BY id DESC LIMIT 1", &s);
    if (err)
        return err;
    int rc = ac_db_step(s);
    if (rc != AC_DB_ROW) {
        ac_db_reset(s);
        return rc == AC_DB_DONE ? AC_ENOENT : ac__store_error(st, rc);
    }
    const char *note = ac_db_col_text(s, 3);
    char *copy = strdup(note ? note : "");
    if (!copy || ac_db_col_bytes(s, 1) != AC_STORE_HASH_BYTES) {
        ac_db_reset(s);
        free(copy);
        return copy ? AC_EDB : AC_ENOMEM;
    }
    out->size = (uint64_t)ac_db_col_int64(s, 0);
    memcpy(out->root, ac_db_col_blob(s, 1), AC_STORE_HASH_BYTES);
    const char *kid = ac_db_col_text(s, 2);
    snprintf(out->kid, sizeof out->kid, "%s", kid ? kid : "");
    out->note = copy;
    ac_db_reset(s);
    return 0;
}

int ac_store_log_checkpoint_add(struct ac_store *st, uint64_t size,
                                const uint8_t root[AC_STORE_HASH_BYTES], const char *kid,
                                const char *note, int64_t now_ms)
{
    int err = ac__store_begin(st);
    if (err)
        return err;
    /* Only the stored head may be signed again: another size or another
     * root at this size would be a checkpoint no leaves back (a fork). */
    struct ac_store_tlog_head head = {0}; /* GCC 12 -O3 cannot see head_read() set it */
    err = ac_store_tlog_head_lock(st, &head);
    if (!err && (head.size != size || memcmp(head.root, root, AC_STORE_HASH_BYTES) != 0))
        err = AC_ECONFLICT;
    if (!err)
        err = ac__store_checkpoint_insert(st, size, root, kid, note, now_ms);
    if (err) {
        ac__store_rollback(st);
        return err;
    }
    return ac__store_commit(st);
}

/* Leaves are numbered 0..n-1
 * without gaps (each issue appends at the current size), so the size is the
 * largest index plus one: one step down the primary key, not a count of
 * every leaf. */
int ac_store_log_size(struct ac_store *st, uint64_t *size)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT coalesce(max(idx) + 1, 0) FROM log_leaves", &s);
    if (err)
        return err;
    int64_t count;
    err = ac__store_int64(st, s, &count);
    if (!err)
        *size = (uint64_t)count;
    return err;
}
