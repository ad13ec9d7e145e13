/* store_tlog_subtree.c - the hashes of complete subtrees of the transparency
 * log, so inclusion and consistency proofs read O(log n) rows. */
#include <string.h>

#include <sqlite3.h>

#include "accord/base/error.h"
#include "accord/store/tlog.h"
#include "internal.h"

int ac__store_subtrees_insert(struct ac_store *st, const struct ac_store_subtree *v, size_t n,
                              int keep_existing)
{
    if (n == 0)
        return 0;
    sqlite3_stmt *s;
    int err = ac__store_stmt(st,
                             keep_existing ? "INSERT OR IGNORE INTO log_subtrees (level, idx, hash)"
                                             " VALUES (?, ?, ?)"
                                           : "INSERT INTO log_subtrees (level, idx, hash)"
                                             " VALUES (?, ?, ?)",
                             &s);
    for (size_t i = 0; !err && i < n; i++) {
        if (v[i].level < 1 || v[i].level > 63 || v[i].index > INT64_MAX)
            return AC_EINVAL;
        sqlite3_bind_int64(s, 1, v[i].level);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)v[i].index);
        sqlite3_bind_blob(s, 3, v[i].hash, AC_STORE_HASH_BYTES, SQLITE_STATIC);
        err = ac__store_done(st, s);
    }
    return err;
}

int ac_store_tlog_subtree_get(struct ac_store *st, unsigned level, uint64_t index,
                              uint8_t out[AC_STORE_HASH_BYTES])
{
    if (level < 1 || level > 63 || index > INT64_MAX)
        return AC_ENOENT;
    sqlite3_stmt *s;
    int err = ac__store_stmt(st, "SELECT hash FROM log_subtrees WHERE level = ? AND idx = ?", &s);
    if (err)
        return err;
    sqlite3_bind_int64(s, 1, level);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)index);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 0) == AC_STORE_HASH_BYTES)
        memcpy(out, sqlite3_column_blob(s, 0), AC_STORE_HASH_BYTES);
    else if (rc == SQLITE_ROW)
        rc = SQLITE_CORRUPT;
    sqlite3_reset(s);
    if (rc == SQLITE_ROW)
        return 0;
    return rc == SQLITE_DONE ? AC_ENOENT : ac__store_error(st, rc);
}

int ac_store_tlog_subtree_count(struct ac_store *st, uint64_t *n)
{
    sqlite3_stmt *s;
    int err = ac__store_stmt(st, "SELECT count(*) FROM log_subtrees", &s);
    if (err)
        return err;
    int64_t count;
    err = ac__store_int64(st, s, &count);
    if (!err)
        *n = (uint64_t)count;
    return err;
}

int ac_store_tlog_subtrees_add(struct ac_store *st, const struct ac_store_subtree *v, size_t n)
{
    int err = ac__store_begin(st);
    if (err)
        return err;
    return ac__store_end(st, ac__store_subtrees_insert(st, v, n, 1));
}
