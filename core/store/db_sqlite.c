/* db_sqlite.c - the SQLite engine behind the storage seam (db.h): one
 * connection, its prepared statements cached by SQL text, $n parameters, and
 * SQLite's result codes translated once into the seam's AC_E* meanings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "accord/base/error.h"
#include "accord/base/log.h"
#include "db_engine.h"
#include "db_sqlite.h"

struct sqlite_stmt {
    struct ac__db_head head;
    sqlite3_stmt *h; /* owned */
    struct sqlite_db *db;
    /* SQLite numbers named parameters by first appearance, so "$2 ... $1"
     * makes $2 index 1; map[n] is the index of $n (0: not in the text). */
    int *map;
    int nmap; /* entries in map: the highest n plus one */
};

struct stmt_slot {
    const char *sql; /* borrowed: statement texts are string literals */
    uint64_t hash;
    struct sqlite_stmt *stmt; /* owned */
};

struct sqlite_db {
    struct ac__db_head head;
    sqlite3 *h;
    struct stmt_slot *slots; /* open addressing; cap is a power of two */
    size_t nslots, cap;
};

static struct sqlite_db *db_of(const struct ac_db *db)
{
    return (struct sqlite_db *)db;
}

static struct sqlite_stmt *stmt_of(struct ac_db_stmt *s)
{
    return (struct sqlite_stmt *)s;
}

sqlite3 *ac__db_sqlite_handle(struct ac_db *db)
{
    return db && db_of(db)->head.ops == &ac__db_sqlite_ops ? db_of(db)->h : NULL;
}

/* Translates an SQLite result code (extended codes on) into db.h's meanings. */
static int map_rc(struct sqlite_db *d, int rc)
{
    const char *msg = d && d->h ? sqlite3_errmsg(d->h) : sqlite3_errstr(rc);
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return 0;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return AC_EAGAIN;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
        ac_log_error("store", "I/O error: %s", msg);
        return AC_EIO;
    case SQLITE_NOMEM:
        return AC_ENOMEM;
    case SQLITE_RANGE:
        return AC_ERANGE;
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
            return AC_EEXIST;
        if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
            return AC_ENOENT;
        break;
    default:
        break;
    }
    ac_log_error("store", "database error %d: %s", rc, msg);
    return AC_EDB;
}

static void stmt_free(struct sqlite_stmt *s)
{
    if (!s)
        return;
    sqlite3_finalize(s->h);
    free(s->map);
    free(s);
}

static void db_close(struct ac_db *db)
{
    struct sqlite_db *d = db_of(db);
    for (size_t i = 0; i < d->cap; i++)
        stmt_free(d->slots[i].stmt);
    free(d->slots);
    if (d->h && sqlite3_close(d->h) != SQLITE_OK)
        ac_log_error("store", "close: %s", sqlite3_errmsg(d->h));
    free(d);
}

static int db_open(const char *target, struct ac_db **out)
{
    struct sqlite_db *d = calloc(1, sizeof *d);
    if (!d)
        return AC_ENOMEM;
    d->head.ops = &ac__db_sqlite_ops;
    d->head.conn = &d->head;
    int rc = sqlite3_open_v2(
        target, &d->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        ac_log_error("store", "%s: cannot open: %s", target,
                     d->h ? sqlite3_errmsg(d->h) : sqlite3_errstr(rc));
        db_close((struct ac_db *)d);
        return rc == SQLITE_NOMEM ? AC_ENOMEM : AC_EIO;
    }
    sqlite3_extended_result_codes(d->h, 1);
    /* db.h promises AC_ENOENT for a foreign-key refusal: SQLite checks
     * foreign keys only when asked. */
    rc = sqlite3_exec(d->h, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        int err = map_rc(d, rc);
        db_close((struct ac_db *)d);
        return err ? err : AC_EDB;
    }
    *out = (struct ac_db *)d;
    return 0;
}

static const char *db_errmsg(const struct ac_db *db)
{
    return sqlite3_errmsg(db_of(db)->h);
}

static int db_exec(struct ac_db *db, const char *sql)
{
    struct sqlite_db *d = db_of(db);
    int rc = sqlite3_exec(d->h, sql, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        return 0;
    int err = map_rc(d, rc);
    if (err == AC_EDB || err == AC_EIO)
        ac_log_error("store", "\"%.60s\" failed", sql);
    return err ? err : AC_EDB;
}

static int db_in_tx(const struct ac_db *db)
{
    return !sqlite3_get_autocommit(db_of(db)->h);
}

/* READ is a deferred BEGIN: the snapshot starts at the first read. WRITE
 * takes the write lock up front, so a writer never fails half-way on a lock
 * upgrade (which no busy timeout can wait out). */
static int db_begin(struct ac_db *db, enum ac_db_tx kind)
{
    return db_exec(db, kind == AC_DB_TX_WRITE ? "BEGIN IMMEDIATE" : "BEGIN");
}

static void db_rollback(struct ac_db *db)
{
    if (db_in_tx(db))
        sqlite3_exec(db_of(db)->h, "ROLLBACK", NULL, NULL, NULL);
}

static int db_commit(struct ac_db *db)
{
    int err = db_exec(db, "COMMIT");
    if (err)
        db_rollback(db);
    return err;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static int cache_grow(struct sqlite_db *d)
{
    size_t cap = d->cap ? d->cap * 2 : 64;
    struct stmt_slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return AC_ENOMEM;
    for (size_t i = 0; i < d->cap; i++) {
        if (!d->slots[i].sql)
            continue;
        size_t j = d->slots[i].hash & (cap - 1);
        while (slots[j].sql)
            j = (j + 1) & (cap - 1);
        slots[j] = d->slots[i];
    }
    free(d->slots);
    d->slots = slots;
    d->cap = cap;
    return 0;
}

/* Reads "$<digits>" into |*n|; returns 0 for any other parameter name. */
static int param_number(const char *name, int *n)
{
    if (!name || name[0] != '$' || name[1] < '1' || name[1] > '9')
        return 0;
    long v = 0;
    for (const char *p = name + 1; *p; p++) {
        if (*p < '0' || *p > '9' || v > 32766)
            return 0;
        v = v * 10 + (*p - '0');
    }
    *n = (int)v;
    return 1;
}

/* Builds the $n -> index map of |s|. Any parameter that is not $n ("?",
 * "?2", ":x") is refused, so SQL that could not run on PostgreSQL fails on
 * SQLite too. */
static int build_map(struct sqlite_stmt *s, const char *sql)
{
    int count = sqlite3_bind_parameter_count(s->h);
    int top = 0;
    for (int i = 1; i <= count; i++) {
        int n;
        if (!param_number(sqlite3_bind_parameter_name(s->h, i), &n)) {
            ac_log_error("store", "\"%.60s\": parameter %d is not written $n", sql, i);
            return AC_EDB;
        }
        if (n > top)
            top = n;
    }
    if (top == 0)
        return 0;
    s->map = calloc((size_t)top + 1, sizeof *s->map);
    if (!s->map)
        return AC_ENOMEM;
    s->nmap = top + 1;
    for (int i = 1; i <= count; i++) {
        int n = 0;
        param_number(sqlite3_bind_parameter_name(s->h, i), &n);
        s->map[n] = i;
    }
    return 0;
}

static void stmt_reset(struct ac_db_stmt *st)
{
    struct sqlite_stmt *s = stmt_of(st);
    sqlite3_reset(s->h);
    sqlite3_clear_bindings(s->h);
}

static int db_prepare(struct ac_db *db, const char *sql, struct ac_db_stmt **out)
{
    struct sqlite_db *d = db_of(db);
    /* Keep the load factor under one half so probe chains stay short. */
    if ((d->nslots + 1) * 2 > d->cap) {
        int err = cache_grow(d);
        if (err)
            return err;
    }
    uint64_t h = fnv1a(sql);
    size_t j = h & (d->cap - 1);
    while (d->slots[j].sql) {
        if (d->slots[j].hash == h && strcmp(d->slots[j].sql, sql) == 0) {
            stmt_reset((struct ac_db_stmt *)d->slots[j].stmt);
            *out = (struct ac_db_stmt *)d->slots[j].stmt;
            return 0;
        }
        j = (j + 1) & (d->cap - 1);
    }
    struct sqlite_stmt *s = calloc(1, sizeof *s);
    if (!s)
        return AC_ENOMEM;
    s->head.ops = &ac__db_sqlite_ops;
    s->head.conn = &d->head;
    s->db = d;
    int rc = sqlite3_prepare_v3(d->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->h, NULL);
    int err = rc == SQLITE_OK ? build_map(s, sql) : map_rc(d, rc);
    if (rc != SQLITE_OK && !err)
        err = AC_EDB;
    if (err) {
        stmt_free(s);
        return err;
    }
    d->slots[j] = (struct stmt_slot){sql, h, s};
    d->nslots++;
    *out = (struct ac_db_stmt *)s;
    return 0;
}

/* The SQLite index of $|n| in |s|, or 0 when the text has no $|n|. */
static int index_of(const struct sqlite_stmt *s, int n)
{
    return n > 0 && n < s->nmap ? s->map[n] : 0;
}

static int bind_rc(struct sqlite_stmt *s, int rc)
{
    if (rc == SQLITE_OK)
        return 0;
    if (rc == SQLITE_TOOBIG)
        return AC_ERANGE;
    int err = map_rc(s->db, rc);
    return err ? err : AC_EDB;
}

static int bind_int64(struct ac_db_stmt *st, int n, int64_t v)
{
    struct sqlite_stmt *s = stmt_of(st);
    int i = index_of(s, n);
    return i ? bind_rc(s, sqlite3_bind_int64(s->h, i, v)) : AC_ERANGE;
}

static int bind_null(struct ac_db_stmt *st, int n)
{
    struct sqlite_stmt *s = stmt_of(st);
    int i = index_of(s, n);
    return i ? bind_rc(s, sqlite3_bind_null(s->h, i)) : AC_ERANGE;
}

static int bind_text(struct ac_db_stmt *st, int n, const char *text, int len)
{
    struct sqlite_stmt *s = stmt_of(st);
    int i = index_of(s, n);
    if (!i)
        return AC_ERANGE;
    if (!text)
        return bind_rc(s, sqlite3_bind_null(s->h, i));
    return bind_rc(s, sqlite3_bind_text(s->h, i, text, len, SQLITE_TRANSIENT));
}

static int bind_blob(struct ac_db_stmt *st, int n, const void *data, size_t len)
{
    struct sqlite_stmt *s = stmt_of(st);
    int i = index_of(s, n);
    if (!i)
        return AC_ERANGE;
    if (!data)
        return bind_rc(s, sqlite3_bind_null(s->h, i));
    return bind_rc(s, sqlite3_bind_blob64(s->h, i, data, len, SQLITE_TRANSIENT));
}

static int stmt_step(struct ac_db_stmt *st)
{
    struct sqlite_stmt *s = stmt_of(st);
    int rc = sqlite3_step(s->h);
    if (rc == SQLITE_ROW)
        return AC_DB_ROW;
    if (rc == SQLITE_DONE)
        return AC_DB_DONE;
    int err = map_rc(s->db, rc);
    return err ? err : AC_EDB;
}

static int col_count(struct ac_db_stmt *st)
{
    return sqlite3_column_count(stmt_of(st)->h);
}

static int col_is_null(struct ac_db_stmt *st, int col)
{
    return sqlite3_column_type(stmt_of(st)->h, col) == SQLITE_NULL;
}

static int64_t col_int64(struct ac_db_stmt *st, int col)
{
    return sqlite3_column_int64(stmt_of(st)->h, col);
}

static double col_double(struct ac_db_stmt *st, int col)
{
    return sqlite3_column_double(stmt_of(st)->h, col);
}

static const char *col_text(struct ac_db_stmt *st, int col)
{
    return (const char *)sqlite3_column_text(stmt_of(st)->h, col);
}

static const void *col_blob(struct ac_db_stmt *st, int col)
{
    return sqlite3_column_blob(stmt_of(st)->h, col);
}

static size_t col_bytes(struct ac_db_stmt *st, int col)
{
    return (size_t)sqlite3_column_bytes(stmt_of(st)->h, col);
}

static int64_t db_changes(const struct ac_db *db)
{
    return sqlite3_changes64(db_of(db)->h);
}

const struct ac__db_ops ac__db_sqlite_ops = {
    .engine = AC_DB_SQLITE,
    .open = db_open,
    .close = db_close,
    .errmsg = db_errmsg,
    .exec = db_exec,
    .begin = db_begin,
    .commit = db_commit,
    .rollback = db_rollback,
    .in_tx = db_in_tx,
    .prepare = db_prepare,
    .bind_int64 = bind_int64,
    .bind_text = bind_text,
    .bind_blob = bind_blob,
    .bind_null = bind_null,
    .step = stmt_step,
    .col_count = col_count,
    .col_is_null = col_is_null,
    .col_int64 = col_int64,
    .col_double = col_double,
    .col_text = col_text,
    .col_blob = col_blob,
    .col_bytes = col_bytes,
    .reset = stmt_reset,
    .changes = db_changes,
};
