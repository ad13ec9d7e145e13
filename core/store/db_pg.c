/* db_pg.c - the PostgreSQL engine behind the storage seam (db.h), through
 * libpq: named prepared statements cached per connection by SQL text, $n
 * parameters in text format (int8 for integers, binary bytea for blobs),
 * results decoded by column type, SQLSTATEs translated once into the seam's
 * AC_E* meanings, and a lost connection re-established on the next call
 * outside a transaction (a multi-host URL with target_session_attrs=
 * read-write then finds the new primary). Every wait on libpq is
 * db_pg_wait.c's: a statement's answer (ac__pg_await(), which on a fiber
 * yields to the loop during the round trip), COMMIT's bounded one
 * (ac__pg_commit_bounded()) and the connect (ac__pg_connect()). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>

#include "accord/base/error.h"
#include "accord/base/hex.h"
#include "accord/base/log.h"
#include "db_engine.h"
#include "db_pg.h"
#include "db_pg_wait.h"

/* Type OIDs from PostgreSQL's pg_type.dat: stable across versions, and not
 * exported by libpq-fe.h (catalog/pg_type_d.h is a server header). */
enum {
    OID_BOOL = 16,
    OID_BYTEA = 17,
    OID_INT8 = 20,
    OID_INT2 = 21,
    OID_INT4 = 23,
};

/* One decoded value of the current row (bytea unescaped), made on first read
 * and freed when the row changes. */
struct pg_cell {
    unsigned char *p; /* owned; NUL-terminated so it also reads as text */
    size_t n;
    int done;
};

struct pg_stmt {
    struct ac__db_head head;
    struct pg_db *db;       /* borrowed: the connection owns its statements */
    const char *sql;        /* borrowed: statement texts are string literals */
    uint64_t hash;          /* of the text, the cache key */
    struct pg_stmt *next;   /* the cache bucket's chain */
    char name[24];          /* the server-side name, unique per connection */
    uint64_t prepared_gen;  /* the connection generation it was prepared on; 0: none */
    int nparams;            /* the highest $n in the text */
    char **vals;            /* owned copies, one per parameter; NULL binds null */
    int *lens;              /* bytes of each value (binary ones only) */
    int *fmts;              /* 0 text, 1 binary */
    Oid *types;             /* sent when it is prepared: int8, bytea or 0 */
    PGresult *res;          /* owned: every row of the run, buffered by libpq */
    int row;                /* the current row of res */
    int ran;                /* 1 once step sent the statement */
    int guarded;            /* a write: runs under the ac_stmt savepoint in a transaction */
    struct pg_cell *cells;  /* owned, one per column of res; NULL until a decode */
};

struct pg_db {
    struct ac__db_head head;
    PGconn *conn;           /* owned; NULL or bad after a lost connection */
    char *target;           /* owned copy of the connection string */
    uint64_t gen;           /* bumped on every new connection */
    int read_only;          /* every session read-only (ac__db_pg_read_only()) */
    int in_tx;
    int stmt_sp;            /* 1 while the savepoint ac_stmt guards the last write */
    int64_t changes;
    unsigned names;         /* statements named so far */
    struct pg_stmt **buckets; /* chained hash of statements by text */
    size_t nbuckets, nstmts;
    char err[512];
};

static struct pg_db *db_of(const struct ac_db *db)
{
    return (struct pg_db *)db;
}

static struct pg_stmt *stmt_of(struct ac_db_stmt *s)
{
    return (struct pg_stmt *)s;
}

static void set_err(struct pg_db *d, const char *msg)
{
    snprintf(d->err, sizeof d->err, "%s", msg ? msg : "unknown error");
    size_t n = strlen(d->err);
    while (n > 0 && (d->err[n - 1] == '\n' || d->err[n - 1] == ' '))
        d->err[--n] = '\0';
}

static int conn_ok(const struct pg_db *d)
{
    return d->conn && PQstatus(d->conn) == CONNECTION_OK;
}

/* Translates a failed call into db.h's meanings and records the server's
 * message. |committing| says COMMIT was in flight: if the connection went
 * then, the transaction may or may not have committed. */
static int fail(struct pg_db *d, const PGresult *res, int committing)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorMessage(res) : NULL;
    if (!msg || !*msg)
        msg = d->conn ? PQerrorMessage(d->conn) : "no connection";
    set_err(d, msg);
    /* Errors libpq makes itself carry no SQLSTATE; bar a failed allocation
     * they all mean the link broke. libpq may not mark the connection bad
     * yet (a failed write waits for a read to confirm it), so drop it here:
     * the next call outside a transaction connects afresh. */
    if (res && (!state || !*state) && d->conn) {
        PQfinish(d->conn);
        d->conn = NULL;
    }
    if (!conn_ok(d)) {
        if (committing) {
            ac_log_error("store", "postgresql: connection lost during COMMIT, outcome unknown: %s",
                         d->err);
            return AC_EUNKNOWN;
        }
        ac_log_warn("store", "postgresql: connection lost: %s", d->err);
        return AC_EIO;
    }
    if (!res)
        return AC_ENOMEM; /* libpq could not allocate the result */
    if (!state)
        state = "";
    if (!strcmp(state, "23505"))
        return AC_EEXIST;
    if (!strcmp(state, "23503"))
        return AC_ENOENT;
    /* Serialization failure, deadlock, and a lock wait cut by lock_timeout:
     * each means the transaction lost a race and may simply run again. */
    if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03"))
        return AC_EAGAIN;
    /* A read-only standby, a broken link, a server shutting down or out of
     * disk: the database cannot be written or reached just now. */
    if (!strcmp(state, "25006") || !strncmp(state, "08", 2) || !strncmp(state, "57P", 3) ||
        !strncmp(state, "53", 2) || !strcmp(state, "57014")) {
        ac_log_warn("store", "postgresql: unavailable (SQLSTATE %s): %s", state, d->err);
        return AC_EIO;
    }
    ac_log_error("store", "postgresql: error (SQLSTATE %s): %s", state, d->err);
    return AC_EDB;
}

/* libpq prints NOTICEs ("table does not exist, skipping") on stderr unless
 * told otherwise; they are not failures. */
static void on_notice(void *arg, const char *message)
{
    (void)arg;
    ac_log_debug("store", "postgresql: %s", message);
}

static PGresult *exec_text(struct pg_db *d, const char *sql);

/* What every session of a read-only connection runs first. Not an
 * "options=-c default_transaction_read_only=on" in the connection
 * parameters: the server would report the setting at once, and libpq's
 * target_session_attrs=read-write (a multi-host URL) would then refuse
 * the primary itself as read-only. Set after the connection is made, it
 * is past that check. */
static int setup_session(struct pg_db *d)
{
    if (!d->read_only)
        return 0;
    PGresult *res = exec_text(d, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) {
        set_err(d, res ? PQresultErrorMessage(res) : PQerrorMessage(d->conn));
        ac_log_error("store", "postgresql: cannot make the session read-only: %s", d->err);
    }
    PQclear(res);
    if (ok)
        return 0;
    PQfinish(d->conn);
    d->conn = NULL;
    return AC_EIO;
}


/* Connects (again), without blocking the thread on a fiber
 * (ac__pg_connect()). */
static int connect_db(struct pg_db *d)
{
    if (d->conn)
        PQfinish(d->conn);
    d->conn = NULL;
    char why[sizeof d->err];
    int err = ac__pg_connect(d->target, &d->conn, why, sizeof why);
    if (err) {
        set_err(d, why);
        if (err == AC_EIO)
            ac_log_error("store", "postgresql: cannot connect: %s", d->err);
        return err;
    }
    PQsetNoticeProcessor(d->conn, on_notice, NULL);
    d->gen++; /* every statement is prepared again on this connection */
    return setup_session(d);
}

int ac__db_pg_read_only(struct ac_db *db)
{
    if (!db || ((struct ac__db_head *)db)->ops != &ac__db_pg_ops)
        return AC_EINVAL;
    struct pg_db *d = db_of(db);
    d->read_only = 1;
    return conn_ok(d) ? setup_session(d) : 0;
}

/* A lost connection is re-established only between transactions: inside
 * one, the work done so far died with the old session, and the caller must
 * roll back and run the transaction again. */
static int ensure_conn(struct pg_db *d)
{
    if (conn_ok(d))
        return 0;
    if (d->in_tx) {
        set_err(d, "connection lost inside a transaction; roll back and run it again");
        return AC_EIO;
    }
    return connect_db(d);
}

/* ---- statements ---- */

static uint64_t hash_text(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* The highest $n in |sql|, skipping quoted strings, quoted names and
 * comments, where a '$' is not a parameter. */
static int count_params(const char *sql)
{
    int max = 0;
    for (const char *p = sql; *p; p++) {
        if (*p == '\'' || *p == '"') {
            char q = *p;
            while (p[1] && p[1] != q)
                p++;
            if (p[1])
                p++;
        } else if (p[0] == '-' && p[1] == '-') {
            while (p[1] && p[1] != '\n')
                p++;
        } else if (*p == '$' && p[1] >= '0' && p[1] <= '9') {
            int n = 0;
            while (p[1] >= '0' && p[1] <= '9' && n < 100000)
                n = n * 10 + (*++p - '0');
            if (n > max)
                max = n;
        }
    }
    return max;
}

static void clear_cells(struct pg_stmt *s)
{
    if (!s->cells)
        return;
    int n = s->res ? PQnfields(s->res) : 0;
    for (int i = 0; i < n; i++)
        free(s->cells[i].p);
    free(s->cells);
    s->cells = NULL;
}

static void clear_bindings(struct pg_stmt *s)
{
    if (!s->vals || !s->lens || !s->fmts || !s->types)
        return; /* a statement whose making failed half-way */
    for (int i = 0; i < s->nparams; i++) {
        free(s->vals[i]);
        s->vals[i] = NULL;
        s->lens[i] = 0;
        s->fmts[i] = 0;
        s->types[i] = 0;
    }
}

static void pg_reset(struct ac_db_stmt *ss)
{
    struct pg_stmt *s = stmt_of(ss);
    clear_cells(s);
    PQclear(s->res);
    s->res = NULL;
    s->row = 0;
    s->ran = 0;
    clear_bindings(s);
}

static void stmt_free(struct pg_stmt *s)
{
    pg_reset((struct ac_db_stmt *)s);
    free(s->vals);
    free(s->lens);
    free(s->fmts);
    free(s->types);
    free(s);
}

static int stmt_new(struct pg_db *d, const char *sql, uint64_t hash, struct pg_stmt **out)
{
    struct pg_stmt *s = calloc(1, sizeof *s);
    if (!s)
        return AC_ENOMEM;
    s->head.ops = &ac__db_pg_ops;
    s->head.conn = &d->head;
    s->db = d;
    s->sql = sql;
    s->hash = hash;
    s->nparams = count_params(sql);
    const char *w = sql;
    while (*w == ' ' || *w == '\n' || *w == '\t' || *w == '(')
        w++;
    s->guarded = strncasecmp(w, "SELECT", 6) != 0;
    size_t n = s->nparams ? (size_t)s->nparams : 1;
    s->vals = calloc(n, sizeof *s->vals);
    s->lens = calloc(n, sizeof *s->lens);
    s->fmts = calloc(n, sizeof *s->fmts);
    s->types = calloc(n, sizeof *s->types);
    if (!s->vals || !s->lens || !s->fmts || !s->types) {
        stmt_free(s);
        return AC_ENOMEM;
    }
    snprintf(s->name, sizeof s->name, "ac_%u", ++d->names);
    *out = s;
    return 0;
}

static int grow_buckets(struct pg_db *d)
{
    size_t cap = d->nbuckets ? d->nbuckets * 2 : 64;
    struct pg_stmt **b = calloc(cap, sizeof *b);
    if (!b)
        return AC_ENOMEM;
    for (size_t i = 0; i < d->nbuckets; i++) {
        for (struct pg_stmt *s = d->buckets[i], *next; s; s = next) {
            next = s->next;
            s->next = b[s->hash & (cap - 1)];
            b[s->hash & (cap - 1)] = s;
        }
    }
    free(d->buckets);
    d->buckets = b;
    d->nbuckets = cap;
    return 0;
}

/* Finds or makes the statement for |sql|. The server prepares it on the
 * first step (pg_step), when the kinds of its bindings are known: an int64
 * parameter must be declared int8 there, or PostgreSQL would infer int4
 * for "$1 + 1" and refuse values past 2^31. */
static int pg_prepare(struct ac_db *db, const char *sql, struct ac_db_stmt **out)
{
    struct pg_db *d = db_of(db);
    uint64_t h = hash_text(sql);
    struct pg_stmt *s = NULL;
    if (d->nbuckets) {
        for (s = d->buckets[h & (d->nbuckets - 1)]; s; s = s->next)
            if (s->hash == h && (s->sql == sql || !strcmp(s->sql, sql)))
                break;
    }
    if (!s) {
        if (d->nstmts + 1 > d->nbuckets && grow_buckets(d) != 0)
            return AC_ENOMEM;
        int err = stmt_new(d, sql, h, &s);
        if (err)
            return err;
        size_t b = h & (d->nbuckets - 1);
        s->next = d->buckets[b];
        d->buckets[b] = s;
        d->nstmts++;
    }
    pg_reset((struct ac_db_stmt *)s);
    *out = (struct ac_db_stmt *)s;
    return 0;
}

static int bind_value(struct pg_stmt *s, int n, char *val, int len, int fmt, Oid type)
{
    free(s->vals[n - 1]);
    s->vals[n - 1] = val;
    s->lens[n - 1] = len;
    s->fmts[n - 1] = fmt;
    s->types[n - 1] = type;
    return 0;
}

static int pg_bind_null(struct ac_db_stmt *ss, int n)
{
    struct pg_stmt *s = stmt_of(ss);
    if (n < 1 || n > s->nparams)
        return AC_ERANGE;
    return bind_value(s, n, NULL, 0, 0, 0);
}

static int pg_bind_int64(struct ac_db_stmt *ss, int n, int64_t v)
{
    struct pg_stmt *s = stmt_of(ss);
    if (n < 1 || n > s->nparams)
        return AC_ERANGE;
    char *t = malloc(24);
    if (!t)
        return AC_ENOMEM;
    snprintf(t, 24, "%lld", (long long)v);
    return bind_value(s, n, t, 0, 0, OID_INT8);
}

static int pg_bind_text(struct ac_db_stmt *ss, int n, const char *text, int len)
{
    struct pg_stmt *s = stmt_of(ss);
    if (n < 1 || n > s->nparams)
        return AC_ERANGE;
    if (!text)
        return bind_value(s, n, NULL, 0, 0, 0);
    size_t l = len < 0 ? strlen(text) : (size_t)len;
    char *t = malloc(l + 1);
    if (!t)
        return AC_ENOMEM;
    memcpy(t, text, l);
    t[l] = '\0';
    return bind_value(s, n, t, 0, 0, 0);
}

static int pg_bind_blob(struct ac_db_stmt *ss, int n, const void *data, size_t len)
{
    struct pg_stmt *s = stmt_of(ss);
    if (n < 1 || n > s->nparams)
        return AC_ERANGE;
    if (!data)
        return bind_value(s, n, NULL, 0, 0, 0);
    if (len > INT32_MAX)
        return AC_E2BIG;
    char *t = malloc(len ? len : 1);
    if (!t)
        return AC_ENOMEM;
    memcpy(t, data, len);
    return bind_value(s, n, t, (int)len, 1, OID_BYTEA);
}

static int is_change(const char *status)
{
    return !strncmp(status, "INSERT", 6) || !strncmp(status, "UPDATE", 6) ||
           !strncmp(status, "DELETE", 6) || !strncmp(status, "MERGE", 5);
}


static PGresult *exec_text(struct pg_db *d, const char *sql)
{
    return ac__pg_await(d->conn, PQsendQuery(d->conn, sql));
}

/* Prepares |s| on the current connection if it is not yet there. */
static int ensure_prepared(struct pg_stmt *s)
{
    struct pg_db *d = s->db;
    if (s->prepared_gen == d->gen)
        return 0;
    PGresult *res =
        ac__pg_await(d->conn, PQsendPrepare(d->conn, s->name, s->sql, s->nparams, s->types));
    int err = 0;
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        err = fail(d, res, 0);
        ac_log_error("store", "postgresql: cannot prepare \"%.60s\"", s->sql);
    } else {
        s->prepared_gen = d->gen;
    }
    PQclear(res);
    return err;
}

/* Statement-level atomicity, as SQLite has it: there a failed statement
 * undoes only itself and the transaction goes on (the store relies on it,
 * e.g. an INSERT refused as a duplicate inside a caller's transaction),
 * while PostgreSQL aborts the whole transaction. So inside a transaction
 * each write runs under the savepoint ac_stmt, set (or moved forward: the
 * release and the new savepoint in one round trip) just before it and rolled
 * back to when it fails. Reads (SELECT) run unguarded: their failures are
 * bugs or lost connections, not outcomes the store goes on from. */
static int run_simple(struct pg_db *d, const char *sql);

static int stmt_savepoint(struct pg_db *d)
{
    int err = run_simple(d, d->stmt_sp ? "RELEASE SAVEPOINT ac_stmt; SAVEPOINT ac_stmt"
                                       : "SAVEPOINT ac_stmt");
    d->stmt_sp = !err;
    return err;
}

/* Undoes the failed write under ac_stmt, keeping the transaction usable. */
static void stmt_undo(struct pg_db *d)
{
    if (!conn_ok(d))
        return;
    PGresult *res = exec_text(d, "ROLLBACK TO SAVEPOINT ac_stmt");
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        ac_log_warn("store", "postgresql: cannot undo a failed statement: %s",
                    PQresultErrorMessage(res));
    PQclear(res);
}

/* Releases ac_stmt before a savepoint of the caller's is set, released or
 * rolled back to: releasing ac_stmt later would release the caller's too. */
static int stmt_release(struct pg_db *d)
{
    if (!d->stmt_sp)
        return 0;
    d->stmt_sp = 0;
    return run_simple(d, "RELEASE SAVEPOINT ac_stmt");
}

/* The first call sends the statement and buffers every row of its answer;
 * later calls walk them. Statements here return small result sets, and a
 * buffered answer leaves the connection free for the next statement, as
 * SQLite's interleaved steps expect. */
static int pg_step(struct ac_db_stmt *ss)
{
    struct pg_stmt *s = stmt_of(ss);
    struct pg_db *d = s->db;
    clear_cells(s);
    if (s->ran) {
        if (s->res && s->row + 1 < PQntuples(s->res)) {
            s->row++;
            return AC_DB_ROW;
        }
        if (s->res)
            s->row = PQntuples(s->res);
        return AC_DB_DONE;
    }
    PGresult *res = NULL;
    for (int attempt = 1;; attempt++) {
        int err = ensure_conn(d);
        if (!err) {
            err = ensure_prepared(s);
            /* A statement not yet prepared on a connection that died while
             * idle fails at PREPARE, before anything of it ran: one more
             * try on a new connection, as below (a failover's first read
             * of a query on the side or a reader connection). */
            if (err == AC_EIO && attempt == 1 && !d->in_tx && !conn_ok(d))
                continue;
        }
        int guard = d->in_tx && s->guarded;
        if (!err && guard)
            err = stmt_savepoint(d);
        if (err)
            return err;
        res = ac__pg_await(d->conn,
                           PQsendQueryPrepared(d->conn, s->name, s->nparams,
                                               (const char *const *)s->vals, s->lens, s->fmts, 0));
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
            break;
        err = fail(d, res, 0);
        PQclear(res);
        if (guard)
            stmt_undo(d);
        /* A read outside a transaction on a connection that died while
         * idle (a failover, a server restart; a connection used only now
         * and then, as a writer's side connection is) is noticed only now;
         * nothing was applied, so one more try on a new connection is safe,
         * as for BEGIN. A write's outcome would be unknown: not retried. */
        if (err != AC_EIO || attempt > 1 || d->in_tx || s->guarded || conn_ok(d))
            return err;
    }
    if (is_change(PQcmdStatus(res)))
        d->changes = strtoll(PQcmdTuples(res), NULL, 10);
    s->res = res;
    s->ran = 1;
    s->row = 0;
    return PQntuples(res) > 0 ? AC_DB_ROW : AC_DB_DONE;
}

/* ---- reading the current row ---- */

static int has_cell(struct pg_stmt *s, int col)
{
    return s->res && s->row < PQntuples(s->res) && col >= 0 && col < PQnfields(s->res);
}

static int pg_col_count(struct ac_db_stmt *ss)
{
    struct pg_stmt *s = stmt_of(ss);
    return s->res ? PQnfields(s->res) : 0;
}

static int pg_col_is_null(struct ac_db_stmt *ss, int col)
{
    struct pg_stmt *s = stmt_of(ss);
    return !has_cell(s, col) || PQgetisnull(s->res, s->row, col);
}

/* The value's text as the server sent it; NULL for a null. */
static const char *raw(struct pg_stmt *s, int col)
{
    if (pg_col_is_null((struct ac_db_stmt *)s, col))
        return NULL;
    return PQgetvalue(s->res, s->row, col);
}

/* Decodes a bytea column of the current row from its hex text ("\x0a1b";
 * the session sets bytea_output=hex). NULL for a null, a malformed value
 * or no memory. */
static const struct pg_cell *bytea_cell(struct pg_stmt *s, int col)
{
    const char *v = raw(s, col);
    if (!v)
        return NULL;
    if (!s->cells) {
        s->cells = calloc((size_t)PQnfields(s->res), sizeof *s->cells);
        if (!s->cells)
            return NULL;
    }
    struct pg_cell *c = &s->cells[col];
    if (c->done)
        return c;
    if (v[0] != '\\' || v[1] != 'x')
        return NULL;
    v += 2;
    size_t n = strlen(v) / 2;
    unsigned char *p = malloc(n + 1);
    if (!p)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        int hi = ac_hex_digit((unsigned char)v[2 * i]);
        int lo = ac_hex_digit((unsigned char)v[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(p);
            return NULL;
        }
        p[i] = (unsigned char)(hi << 4 | lo);
    }
    p[n] = '\0';
    c->p = p;
    c->n = n;
    c->done = 1;
    return c;
}

static Oid col_type(struct pg_stmt *s, int col)
{
    return PQftype(s->res, col);
}

static const char *pg_col_text(struct ac_db_stmt *ss, int col)
{
    struct pg_stmt *s = stmt_of(ss);
    const char *v = raw(s, col);
    if (!v)
        return NULL;
    switch (col_type(s, col)) {
    case OID_BOOL:
        return v[0] == 't' ? "1" : "0";
    case OID_BYTEA: {
        const struct pg_cell *c = bytea_cell(s, col);
        return c ? (const char *)c->p : NULL;
    }
    default:
        return v;
    }
}

static const void *pg_col_blob(struct ac_db_stmt *ss, int col)
{
    struct pg_stmt *s = stmt_of(ss);
    if (has_cell(s, col) && col_type(s, col) == OID_BYTEA) {
        const struct pg_cell *c = bytea_cell(s, col);
        return c ? c->p : NULL;
    }
    return pg_col_text(ss, col);
}

static size_t pg_col_bytes(struct ac_db_stmt *ss, int col)
{
    struct pg_stmt *s = stmt_of(ss);
    if (has_cell(s, col) && col_type(s, col) == OID_BYTEA) {
        const struct pg_cell *c = bytea_cell(s, col);
        return c ? c->n : 0;
    }
    const char *t = pg_col_text(ss, col);
    return t ? strlen(t) : 0;
}

/* Integers read as themselves, booleans as 0/1, numeric and floating values
 * as their integral part (an integral SUM reads exactly), text as SQLite
 * reads it: its leading integer, else 0. */
static int64_t pg_col_int64(struct ac_db_stmt *ss, int col)
{
    const char *v = pg_col_text(ss, col);
    if (!v)
        return 0;
    char *end;
    long long n = strtoll(v, &end, 10);
    if (*end == '.' || *end == 'e' || *end == 'E') {
        double f = strtod(v, NULL);
        if (f >= -9223372036854775808.0 && f < 9223372036854775808.0)
            return (int64_t)f;
    }
    return (int64_t)n;
}

static double pg_col_double(struct ac_db_stmt *ss, int col)
{
    const char *v = pg_col_text(ss, col);
    return v ? strtod(v, NULL) : 0.0;
}

/* ---- connections and transactions ---- */

static void pg_close(struct ac_db *db)
{
    struct pg_db *d = db_of(db);
    for (size_t i = 0; i < d->nbuckets; i++) {
        for (struct pg_stmt *s = d->buckets[i], *next; s; s = next) {
            next = s->next;
            stmt_free(s);
        }
    }
    free(d->buckets);
    if (d->conn)
        PQfinish(d->conn);
    free(d->target);
    free(d);
}

static int pg_open(const char *target, struct ac_db **out)
{
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(target, &perr);
    if (!opts) {
        ac_log_error("store", "postgresql: bad connection string: %s",
                     perr ? perr : "out of memory");
        int err = perr ? AC_EINVAL : AC_ENOMEM;
        PQfreemem(perr);
        return err;
    }
    PQconninfoFree(opts);
    struct pg_db *d = calloc(1, sizeof *d);
    if (!d)
        return AC_ENOMEM;
    d->head.ops = &ac__db_pg_ops;
    d->head.conn = &d->head;
    d->target = strdup(target);
    if (!d->target) {
        free(d);
        return AC_ENOMEM;
    }
    int err = connect_db(d);
    if (err) {
        pg_close((struct ac_db *)d);
        return err;
    }
    *out = (struct ac_db *)d;
    return 0;
}

static const char *pg_errmsg(const struct ac_db *db)
{
    return db_of(db)->err;
}

/* Runs |sql| by the simple query protocol, which allows several statements
 * in one text (migrations). */
static int run_simple(struct pg_db *d, const char *sql)
{
    PGresult *res = exec_text(d, sql);
    ExecStatusType st = PQresultStatus(res);
    int err = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        err = fail(d, res, 0);
    else if (is_change(PQcmdStatus(res)))
        d->changes = strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return err;
}

static int pg_exec(struct ac_db *db, const char *sql)
{
    struct pg_db *d = db_of(db);
    int err = ensure_conn(d);
    if (!err && d->in_tx)
        err = stmt_release(d);
    return err ? err : run_simple(d, sql);
}

static int pg_begin(struct ac_db *db, enum ac_db_tx kind)
{
    struct pg_db *d = db_of(db);
    if (d->in_tx) {
        set_err(d, "a transaction is already open");
        return AC_EDB;
    }
    const char *sql = kind == AC_DB_TX_WRITE ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
                                             : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
    int err = ensure_conn(d);
    if (!err)
        err = run_simple(d, sql);
    /* A connection that died while idle (the server restarted, a failover)
     * is noticed only when BEGIN fails on it; nothing had started, so one
     * new connection and one more try are safe. */
    if (err == AC_EIO && !conn_ok(d)) {
        err = connect_db(d);
        if (!err)
            err = run_simple(d, sql);
    }
    if (!err) {
        d->in_tx = 1;
        d->stmt_sp = 0;
    }
    return err;
}

static int pg_commit(struct ac_db *db)
{
    struct pg_db *d = db_of(db);
    if (!d->in_tx) {
        set_err(d, "COMMIT without a transaction");
        return AC_EDB;
    }
    d->in_tx = 0;
    if (!conn_ok(d)) {
        /* Lost before COMMIT was sent: the server rolled it back. */
        set_err(d, "connection lost before COMMIT; the transaction did not commit");
        return AC_EIO;
    }
    int unconfirmed = 0;
    PGresult *res = ac__pg_commit_bounded(&d->conn, &unconfirmed);
    int err = 0;
    if (!res && !d->conn) {
        set_err(d, "the database answered neither the COMMIT nor its cancel within 15 s: the "
                   "connection was dropped and the outcome is unknown");
        ac_log_error("store", "postgresql: %s", d->err);
        err = AC_EUNKNOWN;
    } else if (unconfirmed && PQresultStatus(res) == PGRES_COMMAND_OK) {
        set_err(d, "the database did not confirm the COMMIT within 10 s (no synchronous "
                   "standby acknowledged it): it committed on the primary alone and may be "
                   "lost in a failover");
        ac_log_error("store", "postgresql: %s", d->err);
        err = AC_EUNKNOWN;
    } else if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        err = fail(d, res, 1);
    } else if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
        /* PostgreSQL answers COMMIT of a transaction an earlier error
         * aborted with ROLLBACK. */
        set_err(d, "the transaction had failed and was rolled back");
        ac_log_error("store", "postgresql: %s", d->err);
        err = AC_EDB;
    }
    PQclear(res);
    return err;
}

static void pg_rollback(struct ac_db *db)
{
    struct pg_db *d = db_of(db);
    if (!d->in_tx)
        return;
    d->in_tx = 0;
    if (conn_ok(d))
        PQclear(exec_text(d, "ROLLBACK"));
}

static int pg_in_tx(const struct ac_db *db)
{
    return db_of(db)->in_tx;
}

static int64_t pg_changes(const struct ac_db *db)
{
    return db_of(db)->changes;
}

const struct ac__db_ops ac__db_pg_ops = {
    .engine = AC_DB_POSTGRESQL,
    .open = pg_open,
    .close = pg_close,
    .errmsg = pg_errmsg,
    .exec = pg_exec,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .in_tx = pg_in_tx,
    .prepare = pg_prepare,
    .bind_int64 = pg_bind_int64,
    .bind_text = pg_bind_text,
    .bind_blob = pg_bind_blob,
    .bind_null = pg_bind_null,
    .step = pg_step,
    .col_count = pg_col_count,
    .col_is_null = pg_col_is_null,
    .col_int64 = pg_col_int64,
    .col_double = pg_col_double,
    .col_text = pg_col_text,
    .col_blob = pg_col_blob,
    .col_bytes = pg_col_bytes,
    .reset = pg_reset,
    .changes = pg_changes,
};
