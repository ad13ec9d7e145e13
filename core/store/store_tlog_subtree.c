/* store_tlog_subtree.c - the hashes of complete subtrees of the transparency
 * log, so inclusion and consistency proofs read O(log n) rows. */
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/tlog.h"
#include "internal.h"

int ac__store_subtrees_insert(struct ac_store *st, const struct ac_store_subtree *v, size_t n,
                              int keep_existing)
{
    if (n == 0)
        return 0;
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             keep_existing ? "INSERT INTO log_subtrees (level, idx, hash)"
                                             " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
                                           : "INSERT INTO log_subtrees (level, idx, hash)"
                                             " VALUES ($1, $2, $3)",
                             &s);
    for (size_t i = 0; !err && i < n; i++) {
        if (v[i].level < 1 || v[i].level > 63 || v[i].index > INT64_MAX)
            return AC_EINVAL;
        ac_db_bind_int64(s, 1, v[i].level);
        ac_db_bind_int64(s, 2, (int64_t)v[i].index);
        ac_db_bind_blob(s, 3, v[i].hash, AC_STORE_HASH_BYTES);
        err = ac__store_done(st, s);
    }
    return err;
}

int ac_store_tlog_subtree_get(struct ac_store *st, unsigned level, uint64_t index,
                              uint8_t out[AC_STORE_HASH_BYTES])
{
    if (level < 1 || level > 63 || index > INT64_MAX)
        return AC_ENOENT;
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT hash FROM log_subtrees WHERE level = $1 AND idx = $2", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, level);
    ac_db_bind_int64(s, 2, (int64_t)index);
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW && ac_db_col_bytes(s, 0) == AC_STORE_HASH_BYTES)
        memcpy(out, ac_db_col_blob(s, 0), AC_STORE_HASH_BYTES);
    else if (rc == AC_DB_ROW)
        rc = AC_EDB; /* a hash of the wrong size: the row is damaged */
    ac_db_reset(s);
    if (rc == AC_DB_ROW)
        return 0;
    return rc == AC_DB_DONE ? AC_ENOENT : ac__store_error(st, rc);
}

int ac_store_tlog_subtree_count(struct ac_store *st, uint64_t *n)
{
    struct ac_db_stmt *s;
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
