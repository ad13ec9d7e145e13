/* db_engine.h - how the engines plug in behind db.h: each engine (db_sqlite.c,
 * db_pg.c) fills one table of functions, and db.c dispatches every ac_db_*
 * call through the table its connection or statement points at. Each engine's
 * connection and statement structs begin with struct ac__db_head, so db.c can
 * find the table without knowing the engine. Nothing but db.c and the engines
 * includes this. */
#ifndef AC_CORE_STORE_DB_ENGINE_H
#define AC_CORE_STORE_DB_ENGINE_H

#include "db.h"

struct ac__db_ops {
    enum ac_db_engine engine;
    int (*open)(const char *target, struct ac_db **out);
    void (*close)(struct ac_db *db);
    const char *(*errmsg)(const struct ac_db *db);
    int (*exec)(struct ac_db *db, const char *sql);
    int (*begin)(struct ac_db *db, enum ac_db_tx kind);
    int (*commit)(struct ac_db *db);
    void (*rollback)(struct ac_db *db);
    int (*in_tx)(const struct ac_db *db);
    int (*prepare)(struct ac_db *db, const char *sql, struct ac_db_stmt **out);
    int (*bind_int64)(struct ac_db_stmt *s, int n, int64_t v);
    int (*bind_text)(struct ac_db_stmt *s, int n, const char *text, int len);
    int (*bind_blob)(struct ac_db_stmt *s, int n, const void *data, size_t len);
    int (*bind_null)(struct ac_db_stmt *s, int n);
    int (*step)(struct ac_db_stmt *s);
    int (*col_count)(struct ac_db_stmt *s);
    int (*col_is_null)(struct ac_db_stmt *s, int col);
    int64_t (*col_int64)(struct ac_db_stmt *s, int col);
    double (*col_double)(struct ac_db_stmt *s, int col);
    const char *(*col_text)(struct ac_db_stmt *s, int col);
    const void *(*col_blob)(struct ac_db_stmt *s, int col);
    size_t (*col_bytes)(struct ac_db_stmt *s, int col);
    void (*reset)(struct ac_db_stmt *s);
    int64_t (*changes)(const struct ac_db *db);
};

/* The first member of every engine's connection and statement struct.
 * |conn| is the connection's own head (a connection points at itself, a
 * statement at its connection's), so db.c can note on the connection that a
 * call lost a race (|raced|, db.h ac_db_raced()) whichever object it came
 * through. */
struct ac__db_head {
    const struct ac__db_ops *ops;
    struct ac__db_head *conn;
    int raced;
};

extern const struct ac__db_ops ac__db_sqlite_ops; /* db_sqlite.c */
extern const struct ac__db_ops ac__db_pg_ops;     /* db_pg.c */

#endif
