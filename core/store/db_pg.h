/* db_pg.h - the one way past the seam to the PostgreSQL engine itself, for
 * the part of core/store that only makes sense there: a reader's
 * connection (store.c, open_pg_reader()). */
#ifndef AC_CORE_STORE_DB_PG_H
#define AC_CORE_STORE_DB_PG_H

#include "db.h"

/* Makes every session of |db| (a PostgreSQL connection) read-only: the
 * current one now, and each one a reconnect opens later (after a server
 * restart or a failover) as it opens, before any statement runs on it.
 * Returns 0, AC_EINVAL (|db| runs on another engine) or AC_EIO (the
 * connection failed; the next call reconnects, read-only). */
int ac__db_pg_read_only(struct ac_db *db);

#endif
