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
    sqlite3_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT type, body_hash, status, answer, received_ms FROM fed_inbox "
                             "WHERE sender = ?1 AND msg_id = ?2",
                             &s);
    if (err)
        return err;
    sqlite3_bind_text(s, 1, sender, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, msg_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof *out);
        ac__col_copy(out->type, sizeof out->type, s, 0);
        if (sqlite3_column_bytes(s, 1) == 32)
            memcpy(out->body_hash, sqlite3_column_blob(s, 1), 32);
        out->status = sqlite3_column_int(s, 2);
        size_t n = (size_t)sqlite3_column_bytes(s, 3);
        out->answer = malloc(n ? n : 1);
        if (out->answer) {
            if (n)
                memcpy(out->answer, sqlite3_column_blob(s, 3), n);
            out->answer_len = n;
        } else {
            err = AC_ENOMEM;
        }
        out->received_ms = sqlite3_column_int64(s, 4);
    } else {
        err = rc == SQLITE_DONE ? AC_ENOENT : ac__store_error(st, rc);
    }
    sqlite3_reset(s);
    return err;
}

int ac_store_inbox_put(struct ac_store *st, const char *sender, const char *msg_id,
                       const struct ac_inbox_entry *e)
{
    if (sqlite3_get_autocommit(ac__store_db(st)))
        return AC_EBUG;
    sqlite3_stmt *s;
    int err = ac__store_stmt(st,
                             "INSERT INTO fed_inbox(sender, msg_id, type, body_hash, status, "
                             "answer, received_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                             &s);
    if (err)
        return err;
    sqlite3_bind_text(s, 1, sender, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, msg_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, e->type, -1, SQLITE_STATIC);
    sqlite3_bind_blob(s, 4, e->body_hash, 32, SQLITE_STATIC);
    sqlite3_bind_int(s, 5, e->status);
    sqlite3_bind_blob(s, 6, e->answer, (int)e->answer_len, SQLITE_STATIC);
    sqlite3_bind_int64(s, 7, e->received_ms);
    return ac__store_done(st, s);
}

int ac_store_inbox_prune(struct ac_store *st, int64_t before_ms, int64_t *deleted)
{
    sqlite3_stmt *s;
    int err = ac__store_stmt(st, "DELETE FROM fed_inbox WHERE received_ms < ?1", &s);
    if (err)
        return err;
    sqlite3_bind_int64(s, 1, before_ms);
    err = ac__store_done(st, s);
    *deleted = err ? 0 : sqlite3_changes(ac__store_db(st));
    return err;
}

int ac_store_inbox_count(struct ac_store *st, const char *sender, int64_t *n)
{
    sqlite3_stmt *s;
    int err = ac__store_stmt(st, "SELECT COUNT(*) FROM fed_inbox WHERE sender = ?1", &s);
    if (err)
        return err;
    sqlite3_bind_text(s, 1, sender, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 0 : ac__store_error(st, rc);
}
