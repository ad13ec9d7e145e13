/* store_idempotency.c - rows of idempotency_keys (migration 27): the
 * answers of keyed write requests, read back for a repeat and pruned when
 * they expire. */
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/idempotency.h"
#include "accord/store/store.h"
#include "internal.h"

void ac_store_idem_release(struct ac_store_idem *r)
{
    free(r->method);
    free(r->path);
    free(r->headers);
    free(r->body);
    memset(r, 0, sizeof *r);
}

int ac_store_idem_get(struct ac_store *st, const char *principal, const char *key,
                      struct ac_store_idem *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT method, path, body_hash, status, headers, body, created_ms"
                             " FROM idempotency_keys WHERE principal = $1 AND idem_key = $2",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, principal, -1);
    ac_db_bind_text(s, 2, key, -1);
    int rc = ac_db_step(s);
    struct ac_store_idem r = {0};
    if (rc == AC_DB_ROW) {
        rc = 0;
        r.method = ac__col_dup(s, 0);
        r.path = ac__col_dup(s, 1);
        r.headers = ac__col_dup(s, 4);
        if (!r.method || !r.path || !r.headers)
            rc = AC_ENOMEM;
        if (ac_db_col_bytes(s, 2) != AC_IDEM_HASH_BYTES)
            rc = AC_EDB; /* the CHECK constraint makes this unreachable */
        else
            memcpy(r.body_hash, ac_db_col_blob(s, 2), AC_IDEM_HASH_BYTES);
        r.status = (int)ac_db_col_int64(s, 3);
        r.body_len = ac_db_col_bytes(s, 5);
        if (!rc && r.body_len) {
            r.body = malloc(r.body_len);
            if (r.body)
                memcpy(r.body, ac_db_col_blob(s, 5), r.body_len);
            else
                rc = AC_ENOMEM;
        }
        r.created_ms = ac_db_col_int64(s, 6);
    } else if (rc == AC_DB_DONE) {
        rc = AC_ENOENT;
    } else {
        rc = ac__store_error(st, rc);
    }
    ac_db_reset(s);
    if (rc) {
        ac_store_idem_release(&r);
        return rc;
    }
    *out = r;
    return 0;
}

int ac_store_idem_put(struct ac_store *st, const char *principal, const char *key,
                      const struct ac_store_idem *in)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "INSERT INTO idempotency_keys (principal, idem_key, method, path,"
                             " body_hash, status, headers, body, created_ms)"
                             " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, principal, -1);
    ac_db_bind_text(s, 2, key, -1);
    ac_db_bind_text(s, 3, in->method, -1);
    ac_db_bind_text(s, 4, in->path, -1);
    ac_db_bind_blob(s, 5, in->body_hash, AC_IDEM_HASH_BYTES);
    ac_db_bind_int64(s, 6, in->status);
    ac_db_bind_text(s, 7, in->headers ? in->headers : "", -1);
    /* An empty body is stored as zero bytes, not null (NOT NULL). */
    ac_db_bind_blob(s, 8, in->body_len ? (const void *)in->body : (const void *)"", in->body_len);
    ac_db_bind_int64(s, 9, in->created_ms);
    return ac__store_done(st, s);
}

int ac_store_idem_delete(struct ac_store *st, const char *principal, const char *key)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st, "DELETE FROM idempotency_keys WHERE principal = $1 AND idem_key = $2", &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, principal, -1);
    ac_db_bind_text(s, 2, key, -1);
    return ac__store_done(st, s);
}

int ac_store_idem_confirm(struct ac_store *st, const char *principal, const char *key)
{
    int err = ac_store_tx_begin(st);
    if (err)
        return err;
    struct ac_db_stmt *s;
    /* An UPDATE writes a new row version even when nothing changes, so
     * the COMMIT has something to wait for the standbys with. */
    err = ac__store_stmt(st,
                         "UPDATE idempotency_keys SET created_ms = created_ms"
                         " WHERE principal = $1 AND idem_key = $2",
                         &s);
    if (!err) {
        ac_db_bind_text(s, 1, principal, -1);
        ac_db_bind_text(s, 2, key, -1);
        err = ac__store_done(st, s);
    }
    if (!err && ac_db_changes(ac__store_db(st)) == 0)
        err = AC_ENOENT;
    if (err) {
        ac_store_tx_rollback(st);
        return err;
    }
    return ac_store_tx_commit(st);
}

int ac_store_idem_prune(struct ac_store *st, int64_t before_ms, int64_t *removed)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "DELETE FROM idempotency_keys WHERE created_ms < $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, before_ms);
    err = ac__store_done(st, s);
    if (!err && removed)
        *removed = ac_db_changes(ac__store_db(st));
    return err;
}
