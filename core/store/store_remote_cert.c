/* store_remote_cert.c - a local reviewer's certifications by other nodes
 * (remote_cert.h), one row per reviewer, issuer and credential. */
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/remote_cert.h"
#include "internal.h"

#define COLUMNS                                                                                    \
    "id, user_id, issuer, credential, version, state, pending, detail, record, expires_ms,"        \
    " created_ms, updated_ms"

void ac_remote_cert_release(struct ac_remote_cert *c)
{
    if (!c)
        return;
    free(c->detail);
    free(c->record);
    c->detail = NULL;
    c->record = NULL;
    c->record_len = 0;
}

/* Reads the row under |s| into |out|: all or nothing. */
static int read_row(struct ac_db_stmt *s, struct ac_remote_cert *out)
{
    struct ac_remote_cert c;
    memset(&c, 0, sizeof c);
    c.id = ac_db_col_int64(s, 0);
    c.user_id = ac_db_col_int64(s, 1);
    ac__col_copy(c.issuer, sizeof c.issuer, s, 2);
    ac__col_copy(c.credential, sizeof c.credential, s, 3);
    c.version = ac_db_col_int64(s, 4);
    ac__col_copy(c.state, sizeof c.state, s, 5);
    ac__col_copy(c.pending, sizeof c.pending, s, 6);
    c.detail = ac__col_dup(s, 7);
    int n = ac_db_col_bytes(s, 8);
    const void *blob = ac_db_col_blob(s, 8);
    if (blob && n > 0) {
        c.record = malloc((size_t)n);
        if (c.record) {
            memcpy(c.record, blob, (size_t)n);
            c.record_len = (size_t)n;
        }
    }
    c.expires_ms = ac_db_col_int64(s, 9);
    c.created_ms = ac_db_col_int64(s, 10);
    c.updated_ms = ac_db_col_int64(s, 11);
    if (!c.detail || (blob && n > 0 && !c.record)) {
        ac_remote_cert_release(&c);
        return AC_ENOMEM;
    }
    *out = c;
    return 0;
}

/* Steps |s| for one row into |out|. */
static int one(struct ac_db_stmt *s, struct ac_remote_cert *out)
{
    int rc = ac_db_step(s);
    int err = rc == AC_DB_ROW ? read_row(s, out) : rc == AC_DB_DONE ? AC_ENOENT : AC_EDB;
    ac_db_reset(s);
    return err;
}

int ac_store_remote_cert_create(struct ac_store *st, int64_t user_id, const char *issuer,
                                const char *credential, const char *pending, int64_t now_ms,
                                int64_t *id)
{
    if (!issuer[0] || strlen(issuer) > AC_REMOTE_CERT_NODE_MAX || !credential[0] ||
        strlen(credential) > AC_REMOTE_CERT_CRED_MAX)
        return AC_EINVAL;
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "INSERT INTO remote_certs(user_id, issuer, credential, state,"
                             " pending, created_ms, updated_ms)"
                             " VALUES ($1, $2, $3, 'sent', $4, $5, $5) RETURNING id",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, user_id);
    ac_db_bind_text(s, 2, issuer, -1);
    ac_db_bind_text(s, 3, credential, -1);
    ac_db_bind_text(s, 4, pending, -1);
    ac_db_bind_int64(s, 5, now_ms);
    err = ac__store_insert_id(st, s, id);
    return err;
}

int ac_store_remote_cert_get(struct ac_store *st, int64_t id, struct ac_remote_cert *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT " COLUMNS " FROM remote_certs WHERE id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    return one(s, out);
}

int ac_store_remote_cert_find(struct ac_store *st, int64_t user_id, const char *issuer,
                              const char *credential, struct ac_remote_cert *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT " COLUMNS " FROM remote_certs WHERE user_id = $1"
                             " AND issuer = $2 AND credential = $3",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, user_id);
    ac_db_bind_text(s, 2, issuer, -1);
    ac_db_bind_text(s, 3, credential, -1);
    return one(s, out);
}

int ac_store_remote_cert_list(struct ac_store *st, int64_t user_id, int64_t after,
                              struct ac_remote_cert *out, size_t max, size_t *n)
{
    *n = 0;
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT " COLUMNS " FROM remote_certs WHERE ($1 = 0 OR user_id = $1)"
                             " AND id > $2 ORDER BY id LIMIT $3",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, user_id);
    ac_db_bind_int64(s, 2, after);
    ac_db_bind_int64(s, 3, (int64_t)max);
    int rc = AC_DB_DONE;
    while (!err && *n < max && (rc = ac_db_step(s)) == AC_DB_ROW)
        if (!(err = read_row(s, &out[*n])))
            (*n)++;
    if (!err && *n < max && rc != AC_DB_DONE)
        err = AC_EDB;
    ac_db_reset(s);
    if (err) {
        for (size_t i = 0; i < *n; i++)
            ac_remote_cert_release(&out[i]);
        *n = 0;
    }
    return err;
}

/* AC_ENOENT when the last write changed no row. */
static int changed_one(struct ac_store *st, int err)
{
    return !err && ac_db_changes(ac__store_db(st)) == 0 ? AC_ENOENT : err;
}

int ac_store_remote_cert_pending(struct ac_store *st, int64_t id, const char *pending,
                                 int64_t now_ms)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st, "UPDATE remote_certs SET pending = $2, updated_ms = $3 WHERE id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    ac_db_bind_text(s, 2, pending, -1);
    ac_db_bind_int64(s, 3, now_ms);
    return changed_one(st, ac__store_done(st, s));
}

int ac_store_remote_cert_update(struct ac_store *st, int64_t id, int64_t version, const char *state,
                                const char *detail, const uint8_t *record, size_t len,
                                int64_t expires_ms, int drop_record, int64_t now_ms)
{
    struct ac_db_stmt *s;
    /* PostgreSQL must be told $5 is bytes (when it is bound null nothing
     * else says so); SQLite has no BYTEA, and CAST to it would read a blob
     * as a number. */
    int err = ac__store_stmt(
        st,
        ac__store_sql(
            st,
            "UPDATE remote_certs SET version = $2, state = $3, detail = $4, pending = '',"
            " record = CASE WHEN $5 IS NOT NULL THEN $5 WHEN $6 <> 0 THEN NULL ELSE record END,"
            " expires_ms = CASE WHEN $5 IS NOT NULL THEN $7 WHEN $6 <> 0 THEN 0"
            " ELSE expires_ms END,"
            " updated_ms = $8 WHERE id = $1",
            "UPDATE remote_certs SET version = $2, state = $3, detail = $4, pending = '',"
            " record = CASE WHEN CAST($5 AS BYTEA) IS NOT NULL THEN CAST($5 AS BYTEA)"
            " WHEN $6 <> 0 THEN NULL ELSE record END,"
            " expires_ms = CASE WHEN CAST($5 AS BYTEA) IS NOT NULL THEN $7 WHEN $6 <> 0 THEN 0"
            " ELSE expires_ms END,"
            " updated_ms = $8 WHERE id = $1"),
        &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    ac_db_bind_int64(s, 2, version);
    ac_db_bind_text(s, 3, state, -1);
    ac_db_bind_text(s, 4, detail, -1);
    if (record)
        ac_db_bind_blob(s, 5, record, len);
    else
        ac_db_bind_null(s, 5);
    ac_db_bind_int64(s, 6, drop_record ? 1 : 0);
    ac_db_bind_int64(s, 7, expires_ms);
    ac_db_bind_int64(s, 8, now_ms);
    return changed_one(st, ac__store_done(st, s));
}

int ac_store_remote_cert_record_check(struct ac_store *st, int64_t record_id, const char *def_id,
                                      const char *tag, int64_t user_id, int *ok)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st,
        "SELECT (SELECT COUNT(*) FROM records r JOIN status_entries e ON e.record_id = r.id"
        " WHERE r.id = $1 AND r.definition_id = $2 AND e.state = 0),"
        " (SELECT COUNT(*) FROM held_credentials WHERE issuer = $3 AND user_id != $4)",
        &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, record_id);
    ac_db_bind_text(s, 2, def_id, -1);
    ac_db_bind_text(s, 3, tag, -1);
    ac_db_bind_int64(s, 4, user_id);
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW)
        *ok = ac_db_col_int64(s, 0) == 1 && ac_db_col_int64(s, 1) == 0;
    ac_db_reset(s);
    return rc == AC_DB_ROW ? 0 : AC_EDB;
}
