/* store_inbox.c - the federation inbox's dedup rows with their stored answers,
 * pruned once they outlive every sender's retry horizon. */
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/inbox.h"
#include "internal.h"

int ac_store_inbox_get(struct ac_store *st, const char *sender, const char *msg_id,
                       struct ac_inbox_entry *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT type, body_hash, status, answer, received_ms FROM fed_inbox "
                             "WHERE sender = $1 AND msg_id = $2",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, sender, -1);
    ac_db_bind_text(s, 2, msg_id, -1);
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW) {
        memset(out, 0, sizeof *out);
        ac__col_copy(out->type, sizeof out->type, s, 0);
        if (ac_db_col_bytes(s, 1) == 32)
            memcpy(out->body_hash, ac_db_col_blob(s, 1), 32);
        out->status = (int)ac_db_col_int64(s, 2);
        size_t n = (size_t)ac_db_col_bytes(s, 3);
        out->answer = malloc(n ? n : 1);
        if (out->answer) {
            if (n)
                memcpy(out->answer, ac_db_col_blob(s, 3), n);
            out->answer_len = n;
        } else {
            err = AC_ENOMEM;
        }
        out->received_ms = ac_db_col_int64(s, 4);
    } else {
        err = rc == AC_DB_DONE ? AC_ENOENT : ac__store_error(st, rc);
    }
    ac_db_reset(s);
    return err;
}

int ac_store_inbox_put(struct ac_store *st, const char *sender, const char *msg_id,
                       const struct ac_inbox_entry *e)
{
    if (!ac_db_in_tx(ac__store_db(st)))
        return AC_EBUG;
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "INSERT INTO fed_inbox(sender, msg_id, type, body_hash, status, "
                             "answer, received_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, sender, -1);
    ac_db_bind_text(s, 2, msg_id, -1);
    ac_db_bind_text(s, 3, e->type, -1);
    ac_db_bind_blob(s, 4, e->body_hash, 32);
    ac_db_bind_int64(s, 5, e->status);
    ac_db_bind_blob(s, 6, e->answer, e->answer_len);
    ac_db_bind_int64(s, 7, e->received_ms);
    return ac__store_done(st, s);
}

int ac_store_inbox_prune(struct ac_store *st, int64_t before_ms, int64_t *deleted)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "DELETE FROM fed_inbox WHERE received_ms < $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, before_ms);
    err = ac__store_done(st, s);
    *deleted = err ? 0 : ac_db_changes(ac__store_db(st));
    return err;
}

int ac_store_inbox_count(struct ac_store *st, const char *sender, int64_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT COUNT(*) FROM fed_inbox WHERE sender = $1", &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, sender, -1);
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW)
        *n = ac_db_col_int64(s, 0);
    ac_db_reset(s);
    return rc == AC_DB_ROW ? 0 : ac__store_error(st, rc);
}
