/* store_notify.c - the notification outbox: rows written in the unit of work
 * of the event they announce, then delivered (and retried) by node/notify.c. */
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/review/submission.h"
#include "accord/store/notify.h"
#include "review_internal.h"

void ac_notification_release(struct ac_notification *m)
{
    if (!m)
        return;
    free(m->subject);
    free(m->body);
    free(m->last_error);
    m->subject = m->body = m->last_error = NULL;
}

int ac_store_notify_add(struct ac_store *st, int64_t user_id, const char *kind,
                        int64_t submission_id, const char *subject, const char *body,
                        int64_t now_ms, int64_t *id)
{
    int err = ac__review_in_tx(st);
    struct ac_db_stmt *s;
    if (!err)
        err =
            ac__store_stmt(st,
                           "INSERT INTO notifications(user_id, kind, submission_id, subject, body,"
                           " created_ms, next_ms) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
                           &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, user_id);
    ac_db_bind_text(s, 2, kind, -1);
    ac_db_bind_int64(s, 3, submission_id);
    ac_db_bind_text(s, 4, subject, -1);
    ac_db_bind_text(s, 5, body, -1);
    ac_db_bind_int64(s, 6, now_ms);
    int64_t row = 0;
    err = ac__store_insert_id(st, s, &row);
    if (!err && id)
        *id = row;
    return err;
}

#define NOTE_COLUMNS                                                                               \
    "id, user_id, kind, submission_id, subject, body, created_ms, next_ms, delivered_ms,"          \
    " attempts, last_error"

static int read_note(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    (void)st;
    struct ac_notification *m = elem;
    memset(m, 0, sizeof *m);
    m->id = ac_db_col_int64(s, 0);
    m->user_id = ac_db_col_int64(s, 1);
    ac__col_copy(m->kind, sizeof m->kind, s, 2);
    m->submission_id = ac_db_col_int64(s, 3);
    m->subject = ac__col_dup(s, 4);
    m->body = ac__col_dup(s, 5);
    m->created_ms = ac_db_col_int64(s, 6);
    m->next_ms = ac_db_col_int64(s, 7);
    m->delivered_ms = ac_db_col_int64(s, 8);
    m->attempts = (int)ac_db_col_int64(s, 9);
    if (!ac_db_col_is_null(s, 10))
        m->last_error = ac__col_dup(s, 10);
    if (!m->subject || !m->body) {
        ac_notification_release(m);
        return AC_ENOMEM;
    }
    return 0;
}

static void release_note(void *elem)
{
    ac_notification_release(elem);
}

static const struct ac__row_type note_rows = {sizeof(struct ac_notification), read_note,
                                              release_note};

static int list(struct ac_store *st, struct ac_db_stmt *s, struct ac_notification **out, size_t *n)
{
    void *arr;
    int err = ac__store_collect(st, s, &note_rows, &arr, n);
    if (!err)
        *out = arr;
    return err;
}

int ac_store_notify_due(struct ac_store *st, int64_t now_ms, size_t max,
                        struct ac_notification **out, size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT " NOTE_COLUMNS " FROM notifications WHERE delivered_ms = 0"
                             " AND next_ms <= $1 ORDER BY next_ms, id LIMIT $2",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, now_ms);
    ac_db_bind_int64(s, 2, (int64_t)max);
    return list(st, s, out, n);
}

int ac_store_notify_list(struct ac_store *st, int64_t user_id, size_t max,
                         struct ac_notification **out, size_t *n)
{
    struct ac_db_stmt *s;
    int err =
        ac__store_stmt(st,
                       "SELECT " NOTE_COLUMNS " FROM notifications WHERE ($1 = 0 OR user_id = $1)"
                       " ORDER BY id DESC LIMIT $2",
                       &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, user_id);
    ac_db_bind_int64(s, 2, (int64_t)max);
    return list(st, s, out, n);
}

int ac_store_notify_delivered(struct ac_store *st, int64_t id, int64_t now_ms)
{
    int err = ac__store_begin(st);
    if (err)
        return err;
    struct ac_db_stmt *s;
    err = ac__store_stmt(st,
                         "UPDATE notifications SET delivered_ms = $2, attempts = attempts + 1,"
                         " last_error = NULL WHERE id = $1 AND delivered_ms = 0",
                         &s);
    if (!err) {
        ac_db_bind_int64(s, 1, id);
        ac_db_bind_int64(s, 2, now_ms);
        err = ac__store_done(st, s);
    }
    /* An outcome reaching the earner moves its submission to "notified". */
    if (!err)
        err = ac__store_stmt(st,
                             "UPDATE submissions SET state = $3, notified_ms = $2 WHERE id ="
                             " (SELECT submission_id FROM notifications WHERE id = $1"
                             "  AND kind = 'outcome') AND state = $4",
                             &s);
    if (!err) {
        ac_db_bind_int64(s, 1, id);
        ac_db_bind_int64(s, 2, now_ms);
        ac_db_bind_int64(s, 3, AC_SUB_NOTIFIED);
        ac_db_bind_int64(s, 4, AC_SUB_DECIDED);
        err = ac__store_done(st, s);
    }
    return ac__store_end(st, err);
}

int ac_store_notify_failed(struct ac_store *st, int64_t id, const char *error, int64_t next_ms)
{
    int err = ac__store_begin(st);
    if (err)
        return err;
    struct ac_db_stmt *s;
    err = ac__store_stmt(st,
                         "UPDATE notifications SET attempts = attempts + 1, last_error = $2,"
                         " next_ms = $3 WHERE id = $1",
                         &s);
    if (!err) {
        ac_db_bind_int64(s, 1, id);
        ac_db_bind_text(s, 2, error, -1);
        ac_db_bind_int64(s, 3, next_ms);
        err = ac__store_done(st, s);
    }
    return ac__store_end(st, err);
}
