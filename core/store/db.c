/* db.c - the storage seam's front door (db.h): picks the engine's function
 * table on open and dispatches every later call through the table the
 * connection or statement carries (db_engine.h). No SQL and no engine
 * knowledge lives here. */
#include <stddef.h>

#include "accord/base/error.h"
#include "db.h"
#include "db_engine.h"

/* The engines this build links, by enum ac_db_engine. */
static const struct ac__db_ops *const engines[] = {
    [AC_DB_SQLITE] = &ac__db_sqlite_ops,
    [AC_DB_POSTGRESQL] = &ac__db_pg_ops,
};

static const struct ac__db_ops *ops_of(const void *head)
{
    return ((const struct ac__db_head *)head)->ops;
}

int ac_db_open(enum ac_db_engine engine, const char *target, struct ac_db **out)
{
    if ((size_t)engine >= sizeof engines / sizeof engines[0] || !engines[engine] || !target)
        return AC_EINVAL;
    return engines[engine]->open(target, out);
}

void ac_db_close(struct ac_db *db)
{
    if (db)
        ops_of(db)->close(db);
}

enum ac_db_engine ac_db_engine(const struct ac_db *db)
{
    return ops_of(db)->engine;
}

const char *ac_db_errmsg(const struct ac_db *db)
{
    return ops_of(db)->errmsg(db);
}

/* Passes |rc| through, noting on the connection of |head| when it says a
 * race was lost, so a caller that swallowed the error still cannot commit
 * the transaction as if it had won (ac_db_raced()). */
static int note(void *head, int rc)
{
    if (rc == AC_EAGAIN)
        ((struct ac__db_head *)head)->conn->raced = 1;
    return rc;
}

int ac_db_raced(const struct ac_db *db)
{
    return ((const struct ac__db_head *)db)->raced;
}

void ac_db_raced_clear(struct ac_db *db)
{
    ((struct ac__db_head *)db)->raced = 0;
}

int ac_db_exec(struct ac_db *db, const char *sql)
{
    return note(db, ops_of(db)->exec(db, sql));
}

int ac_db_begin(struct ac_db *db, enum ac_db_tx kind)
{
    return note(db, ops_of(db)->begin(db, kind));
}

int ac_db_commit(struct ac_db *db)
{
    return note(db, ops_of(db)->commit(db));
}

void ac_db_rollback(struct ac_db *db)
{
    ops_of(db)->rollback(db);
}

int ac_db_in_tx(const struct ac_db *db)
{
    return ops_of(db)->in_tx(db);
}

int ac_db_prepare(struct ac_db *db, const char *sql, struct ac_db_stmt **out)
{
    return ops_of(db)->prepare(db, sql, out);
}

int ac_db_bind_int64(struct ac_db_stmt *s, int n, int64_t v)
{
    return ops_of(s)->bind_int64(s, n, v);
}

int ac_db_bind_text(struct ac_db_stmt *s, int n, const char *text, int len)
{
    return ops_of(s)->bind_text(s, n, text, len);
}

int ac_db_bind_blob(struct ac_db_stmt *s, int n, const void *data, size_t len)
{
    return ops_of(s)->bind_blob(s, n, data, len);
}

int ac_db_bind_null(struct ac_db_stmt *s, int n)
{
    return ops_of(s)->bind_null(s, n);
}

int ac_db_step(struct ac_db_stmt *s)
{
    return note(s, ops_of(s)->step(s));
}

int ac_db_col_count(struct ac_db_stmt *s)
{
    return ops_of(s)->col_count(s);
}

int ac_db_col_is_null(struct ac_db_stmt *s, int col)
{
    return ops_of(s)->col_is_null(s, col);
}

int64_t ac_db_col_int64(struct ac_db_stmt *s, int col)
{
    return ops_of(s)->col_int64(s, col);
}

double ac_db_col_double(struct ac_db_stmt *s, int col)
{
    return ops_of(s)->col_double(s, col);
}

const char *ac_db_col_text(struct ac_db_stmt *s, int col)
{
    return ops_of(s)->col_text(s, col);
}

const void *ac_db_col_blob(struct ac_db_stmt *s, int col)
{
    return ops_of(s)->col_blob(s, col);
}

size_t ac_db_col_bytes(struct ac_db_stmt *s, int col)
{
    return ops_of(s)->col_bytes(s, col);
}

void ac_db_reset(struct ac_db_stmt *s)
{
    ops_of(s)->reset(s);
}

int64_t ac_db_changes(const struct ac_db *db)
{
    return ops_of(db)->changes(db);
}
