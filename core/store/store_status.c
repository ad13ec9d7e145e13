/* store_status.c - the credential status entries (one per allocated index)
 * and the history of every change with its reason. */
#include <stdio.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/status.h"
#include "internal.h"

#define STATUS_COLUMNS "idx, record_id, state, reason, changed_ms"

static void read_status(struct ac_db_stmt *s, struct ac_store_status *e)
{
    e->idx = (uint64_t)ac_db_col_int64(s, 0);
    e->record_id = ac_db_col_int64(s, 1);
    e->state = (int)ac_db_col_int64(s, 2);
    const char *reason = ac_db_col_text(s, 3);
    snprintf(e->reason, sizeof e->reason, "%s", reason ? reason : "");
    e->changed_ms = ac_db_col_int64(s, 4);
}

int ac_store_status_get(struct ac_store *st, int64_t record_id, struct ac_store_status *out)
{
    struct ac_db_stmt *s;
    int err =
        ac__store_stmt(st, "SELECT " STATUS_COLUMNS " FROM status_entries WHERE record_id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, record_id);
    int rc = ac_db_step(s);
    if (rc != AC_DB_ROW) {
        ac_db_reset(s);
        return rc == AC_DB_DONE ? AC_ENOENT : ac__store_error(st, rc);
    }
    read_status(s, out);
    ac_db_reset(s);
    return 0;
}

int ac_store_status_each(struct ac_store *st, int (*cb)(void *ctx, const struct ac_store_status *e),
                         void *ctx)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT " STATUS_COLUMNS " FROM status_entries ORDER BY idx", &s);
    if (err)
        return err;
    int rc;
    while ((rc = ac_db_step(s)) == AC_DB_ROW) {
        struct ac_store_status e;
        read_status(s, &e);
        err = cb(ctx, &e);
        if (err) {
            ac_db_reset(s);
            return err;
        }
    }
    ac_db_reset(s);
    return rc == AC_DB_DONE ? 0 : ac__store_error(st, rc);
}

int ac_store_status_set(struct ac_store *st, uint64_t idx, int state, const char *reason,
                        int64_t by_user, int64_t now_ms)
{
    size_t rlen = reason ? strlen(reason) : 0;
    if (rlen == 0 || rlen > AC_STORE_REASON_MAX || state < 0 || state > 2)
        return AC_EINVAL;
    int err = ac__store_begin(st);
    if (err)
        return err;
    struct ac_db_stmt *s;
    err = ac__store_stmt(st,
                         "UPDATE status_entries SET state = $1, reason = $2, changed_ms = $3"
                         " WHERE idx = $4",
                         &s);
    if (!err) {
        ac_db_bind_int64(s, 1, state);
        ac_db_bind_text(s, 2, reason, -1);
        ac_db_bind_int64(s, 3, now_ms);
        ac_db_bind_int64(s, 4, (int64_t)idx);
        err = ac__store_done(st, s);
        if (!err && ac_db_changes(ac__store_db(st)) == 0)
            err = AC_ENOENT;
    }
    if (!err)
        err = ac__store_stmt(st,
                             "INSERT INTO status_changes (idx, state, reason, by_user, at_ms)"
                             " VALUES ($1, $2, $3, $4, $5)",
                             &s);
    if (!err) {
        ac_db_bind_int64(s, 1, (int64_t)idx);
        ac_db_bind_int64(s, 2, state);
        ac_db_bind_text(s, 3, reason, -1);
        ac_db_bind_int64(s, 4, by_user);
        ac_db_bind_int64(s, 5, now_ms);
        err = ac__store_done(st, s);
    }
    if (err) {
        ac__store_rollback(st);
        return err;
    }
    return ac__store_commit(st);
}

int ac_store_status_version(struct ac_store *st, int64_t *version)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT coalesce(max(id), 0) FROM status_changes", &s);
    if (err)
        return err;
    return ac__store_int64(st, s, version);
}
