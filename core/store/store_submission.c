/* store_submission.c - earners' submissions: insert, read, list, state
 * changes, decisions and the artifacts each cites. */
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/submission.h"
#include "review_internal.h"

void ac_submission_release(struct ac_submission *s)
{
    if (!s)
        return;
    free(s->elements);
    free(s->reason);
    s->elements = s->reason = NULL;
}

#define SUB_COLUMNS                                                                                \
    "id, earner_id, credential_id, credential_version, domain, school, district, team,"            \
    " elements, COALESCE(previous_id, 0), state, need, level, passed, reason, created_ms,"         \
    " decided_ms, notified_ms, resubmit_after_ms"

static int read_sub(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    (void)st;
    struct ac_submission *o = elem;
    memset(o, 0, sizeof *o);
    o->id = ac_db_col_int64(s, 0);
    o->earner_id = ac_db_col_int64(s, 1);
    ac__col_copy(o->credential_id, sizeof o->credential_id, s, 2);
    o->credential_version = ac_db_col_int64(s, 3);
    ac__col_copy(o->domain, sizeof o->domain, s, 4);
    ac__col_copy(o->school, sizeof o->school, s, 5);
    ac__col_copy(o->district, sizeof o->district, s, 6);
    ac__col_copy(o->team, sizeof o->team, s, 7);
    o->elements = ac__col_dup(s, 8);
    o->previous_id = ac_db_col_int64(s, 9);
    o->state = (enum ac_sub_state)ac_db_col_int64(s, 10);
    o->need = (unsigned)ac_db_col_int64(s, 11);
    o->level = (int)ac_db_col_int64(s, 12);
    o->passed = (int)ac_db_col_int64(s, 13);
    o->reason = ac__col_dup(s, 14);
    o->created_ms = ac_db_col_int64(s, 15);
    o->decided_ms = ac_db_col_int64(s, 16);
    o->notified_ms = ac_db_col_int64(s, 17);
    o->resubmit_after_ms = ac_db_col_int64(s, 18);
    if (!o->elements || !o->reason) {
        ac_submission_release(o);
        return AC_ENOMEM;
    }
    return 0;
}

static void release_sub(void *elem)
{
    ac_submission_release(elem);
}

static const struct ac__row_type sub_rows = {sizeof(struct ac_submission), read_sub, release_sub};

int ac_store_submission_insert(struct ac_store *st, const struct ac_submission *in, int64_t *id)
{
    int err = ac__review_in_tx(st);
    struct ac_db_stmt *s;
    if (!err)
        err = ac__store_stmt(st,
                             "INSERT INTO submissions(earner_id, credential_id, credential_version,"
                             " domain, school, district, team, elements, previous_id, state, need,"
                             " created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULLIF($9, 0),"
                             " $10, $11, $12) RETURNING id",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, in->earner_id);
    ac_db_bind_text(s, 2, in->credential_id, -1);
    ac_db_bind_int64(s, 3, in->credential_version);
    ac_db_bind_text(s, 4, in->domain, -1);
    ac_db_bind_text(s, 5, in->school, -1);
    ac_db_bind_text(s, 6, in->district, -1);
    ac_db_bind_text(s, 7, in->team, -1);
    ac_db_bind_text(s, 8, in->elements ? in->elements : "[]", -1);
    ac_db_bind_int64(s, 9, in->previous_id);
    ac_db_bind_int64(s, 10, (int)in->state);
    ac_db_bind_int64(s, 11, (int)in->need);
    ac_db_bind_int64(s, 12, in->created_ms);
    err = ac__store_insert_id(st, s, id);
    return err;
}

int ac_store_submission_get(struct ac_store *st, int64_t id, struct ac_submission *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT " SUB_COLUMNS " FROM submissions WHERE id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    return ac__store_one(st, s, &sub_rows, out);
}

int ac_store_submission_list(struct ac_store *st, int64_t earner_id, const char *credential_id,
                             int state, int64_t after_id, size_t max, struct ac_submission **out,
                             size_t *n)
{
    struct ac_db_stmt *s;
    int err =
        ac__store_stmt(st,
                       "SELECT " SUB_COLUMNS " FROM submissions WHERE id > $1"
                       " AND ($2 = 0 OR earner_id = $2) AND (CAST($3 AS TEXT) IS NULL OR credential_id = $3)"
                       " AND ($4 < 0 OR state = $4) ORDER BY id LIMIT $5",
                       &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, after_id);
    ac_db_bind_int64(s, 2, earner_id);
    if (credential_id)
        ac_db_bind_text(s, 3, credential_id, -1);
    ac_db_bind_int64(s, 4, state);
    ac_db_bind_int64(s, 5, (int64_t)max);
    void *arr;
    err = ac__store_collect(st, s, &sub_rows, &arr, n);
    if (!err)
        *out = arr;
    return err;
}

static int update_int(struct ac_store *st, const char *sql, int64_t id, int64_t value)
{
    int err = ac__review_in_tx(st);
    struct ac_db_stmt *s;
    if (!err)
        err = ac__store_stmt(st, sql, &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    ac_db_bind_int64(s, 2, value);
    return ac__review_step_changed(st, s);
}

int ac_store_submission_set_state(struct ac_store *st, int64_t id, enum ac_sub_state state)
{
    return update_int(st, "UPDATE submissions SET state = $2 WHERE id = $1", id, state);
}

int ac_store_submission_set_need(struct ac_store *st, int64_t id, unsigned need)
{
    return update_int(st, "UPDATE submissions SET need = $2 WHERE id = $1", id, need);
}

int ac_store_submission_decide(struct ac_store *st, int64_t id, int level, int passed,
                               const char *reason, int64_t now_ms, int64_t resubmit_after_ms)
{
    int err = ac__review_in_tx(st);
    struct ac_db_stmt *s;
    if (!err)
        err = ac__store_stmt(st,
                             "UPDATE submissions SET state = $2, level = $3, passed = $4,"
                             " reason = $5, decided_ms = $6, resubmit_after_ms = $7 WHERE id = $1",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    ac_db_bind_int64(s, 2, AC_SUB_DECIDED);
    ac_db_bind_int64(s, 3, level);
    ac_db_bind_int64(s, 4, passed);
    ac_db_bind_text(s, 5, reason, -1);
    ac_db_bind_int64(s, 6, now_ms);
    ac_db_bind_int64(s, 7, resubmit_after_ms);
    return ac__review_step_changed(st, s);
}

int ac_store_submission_mark_notified(struct ac_store *st, int64_t id, int64_t now_ms)
{
    int err = ac__review_in_tx(st);
    struct ac_db_stmt *s;
    if (!err)
        err = ac__store_stmt(st,
                             "UPDATE submissions SET state = $3, notified_ms = $2"
                             " WHERE id = $1 AND state = $4",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    ac_db_bind_int64(s, 2, now_ms);
    ac_db_bind_int64(s, 3, AC_SUB_NOTIFIED);
    ac_db_bind_int64(s, 4, AC_SUB_DECIDED);
    return ac__store_done(st, s);
}

int ac_store_submission_cite(struct ac_store *st, int64_t id, const char *hash)
{
    int err = ac__review_in_tx(st);
    struct ac_db_stmt *s;
    if (!err)
        err = ac__store_stmt(st,
                             "INSERT INTO submission_artifacts(submission_id, hash)"
                             " VALUES ($1, $2)"
                             " ON CONFLICT DO NOTHING",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    ac_db_bind_text(s, 2, hash, -1);
    return ac__store_done(st, s);
}

int ac_store_submission_passes(struct ac_store *st, int64_t earner_id, const char *credential_id,
                               int64_t *count)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT COUNT(*) FROM submissions WHERE earner_id = $1"
                             " AND credential_id = $2 AND passed = 1 AND state IN ($3, $4)",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, earner_id);
    ac_db_bind_text(s, 2, credential_id, -1);
    ac_db_bind_int64(s, 3, AC_SUB_DECIDED);
    ac_db_bind_int64(s, 4, AC_SUB_NOTIFIED);
    return ac__store_int64(st, s, count);
}

int ac_store_submission_record_set(struct ac_store *st, int64_t id, int64_t record_id,
                                   int64_t now_ms)
{
    int err = ac__review_in_tx(st);
    struct ac_db_stmt *s;
    if (!err)
        err = ac__store_stmt(st,
                             "INSERT INTO submission_records(submission_id, record_id, issued_ms)"
                             " VALUES ($1, $2, $3)",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    ac_db_bind_int64(s, 2, record_id);
    ac_db_bind_int64(s, 3, now_ms);
    int rc = ac_db_step(s);
    ac_db_reset(s);
    if (rc == AC_DB_DONE)
        return 0;
    /* The seam tells a second record for one submission (what the table
     * exists to refuse: AC_EEXIST) from a missing row (AC_ENOENT). */
    return rc == AC_DB_ROW ? AC_EDB : ac__store_error(st, rc);
}

int ac_store_submission_record_get(struct ac_store *st, int64_t id, int64_t *record_id)
{
    struct ac_db_stmt *s;
    int err =
        ac__store_stmt(st, "SELECT record_id FROM submission_records WHERE submission_id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    int rc = ac_db_step(s);
    int64_t rec = rc == AC_DB_ROW ? ac_db_col_int64(s, 0) : 0;
    ac_db_reset(s);
    if (rc == AC_DB_DONE)
        return AC_ENOENT;
    if (rc != AC_DB_ROW)
        return ac__store_error(st, rc);
    *record_id = rec;
    return 0;
}

int ac_store_submissions_awaiting_record(struct ac_store *st, int64_t earner_id, int64_t *ids,
                                         size_t max, size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT id FROM submissions su WHERE earner_id = $1 AND passed = 1"
                             " AND NOT EXISTS (SELECT 1 FROM submission_records sr"
                             " WHERE sr.submission_id = su.id) ORDER BY id LIMIT $2",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, earner_id);
    ac_db_bind_int64(s, 2, (int64_t)max);
    size_t got = 0;
    int rc;
    while ((rc = ac_db_step(s)) == AC_DB_ROW && got < max)
        ids[got++] = ac_db_col_int64(s, 0);
    ac_db_reset(s);
    if (rc != AC_DB_ROW && rc != AC_DB_DONE)
        return ac__store_error(st, rc);
    *n = got;
    return 0;
}
