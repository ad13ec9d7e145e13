/* store_nowait.c - the store-level half of accord/store/nowait.h: whether a
 * store's connection can read without waiting, and the size of its page
 * cache. The reads themselves (the VFS, ac_store_nowait_begin() and _end())
 * are in db_sqlite.c, below store.c; these two need the store's connection
 * (store.c), so they live above both. */
#include <stdio.h>

#include "accord/base/error.h"
#include "accord/store/nowait.h"
#include "db_sqlite.h"
#include "internal.h"

int ac_store_nowait_ready(struct ac_store *st)
{
    return st ? ac__db_sqlite_nowait_ready(ac__store_db(st)) : 0;
}

int ac_store_nowait_cache_kib(struct ac_store *st, unsigned kib)
{
    struct ac_db *db = st ? ac__store_db(st) : NULL;
    if (!ac__db_sqlite_handle(db) || kib > 1u << 30)
        return AC_EINVAL;
    char sql[48];
    snprintf(sql, sizeof sql, "PRAGMA cache_size = -%u", kib);
    return ac_db_exec(db, sql);
}
