/* db_sqlite.h - the one way past the seam to SQLite itself, for the parts of
 * core/store that only make sense on SQLite: pragmas, the WAL hook and
 * checkpoints (store.c) and the storage thread (store_sync.c). */
#ifndef AC_CORE_STORE_DB_SQLITE_H
#define AC_CORE_STORE_DB_SQLITE_H

#include <sqlite3.h>

#include "db.h"

/* Returns |db|'s SQLite handle (borrowed; valid until ac_db_close()), or NULL
 * when |db| runs on another engine. */
sqlite3 *ac__db_sqlite_handle(struct ac_db *db);

/* Returns 1 when |db| is an SQLite connection whose database file takes
 * reads that do not wait (accord/store/nowait.h: opened through the
 * "accord" VFS, its file system answers RWF_NOWAIT), else 0. */
int ac__db_sqlite_nowait_ready(struct ac_db *db);

#endif
