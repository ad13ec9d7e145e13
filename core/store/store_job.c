/* store_job.c - every due time of the lifecycle as a stored job, so that a
 * restarted node still fires what was scheduled before it stopped. */
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/job.h"
#include "review_internal.h"

int ac_store_job_add(struct ac_store *st, const char *kind, int64_t ref, int64_t due_ms)
{
    if (!kind[0] || strlen(kind) > AC_JOB_KIND_MAX)
        return AC_EINVAL;
    int err = ac__review_in_tx(st);
    struct ac_db_stmt *s;
    /* The (kind, ref, due) triple is unique: asking twice schedules once. */
    if (!err)
        err = ac__store_stmt(st,
                             "INSERT INTO jobs(kind, ref, due_ms) VALUES ($1, $2, $3)"
                             " ON CONFLICT DO NOTHING",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, kind, -1);
    ac_db_bind_int64(s, 2, ref);
    ac_db_bind_int64(s, 3, due_ms);
    return ac__store_done(st, s);
}

static int read_job(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    (void)st;
    struct ac_job *j = elem;
    j->id = ac_db_col_int64(s, 0);
    ac__col_copy(j->kind, sizeof j->kind, s, 1);
    j->ref = ac_db_col_int64(s, 2);
    j->due_ms = ac_db_col_int64(s, 3);
    j->done_ms = 0;
    j->attempts = ac_db_col_int64(s, 4);
    j->retry_ms = ac_db_col_int64(s, 5);
    return 0;
}

static const struct ac__row_type job_rows = {sizeof(struct ac_job), read_job, NULL};

int ac_store_job_due(struct ac_store *st, int64_t now_ms, struct ac_job *out, size_t max, size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st,
        "SELECT id, kind, ref, due_ms, attempts, retry_ms FROM jobs"
        " WHERE done_ms = 0 AND due_ms <= $1 AND retry_ms <= $1"
        " ORDER BY CASE WHEN due_ms > retry_ms THEN due_ms ELSE retry_ms END, id LIMIT $2",
        &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, now_ms);
    ac_db_bind_int64(s, 2, (int64_t)max);
    return ac__store_fill(st, s, &job_rows, out, max, n);
}

int ac_store_job_next(struct ac_store *st, int64_t *due_ms)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT MIN(CASE WHEN due_ms > retry_ms THEN due_ms ELSE retry_ms END)"
                             " FROM jobs WHERE done_ms = 0",
                             &s);
    if (err)
        return err;
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW)
        *due_ms = ac_db_col_is_null(s, 0) ? INT64_MAX : ac_db_col_int64(s, 0);
    ac_db_reset(s);
    return rc == AC_DB_ROW ? 0 : ac__store_error(st, rc);
}

int ac_store_job_done(struct ac_store *st, int64_t id, int64_t now_ms)
{
    int err = ac__review_in_tx(st);
    struct ac_db_stmt *s;
    if (!err)
        err = ac__store_stmt(st, "UPDATE jobs SET done_ms = $2 WHERE id = $1 AND done_ms = 0", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    ac_db_bind_int64(s, 2, now_ms);
    err = ac__store_done(st, s);
    /* Done already: a COMMIT whose outcome was unknown went through. */
    if (!err && ac_db_changes(ac__store_db(st)) == 0)
        err = AC_ENOENT;
    return err;
}

int ac_store_job_retry(struct ac_store *st, int64_t id, int64_t attempts, int64_t retry_ms)
{
    int err = ac__review_in_tx(st);
    struct ac_db_stmt *s;
    if (!err)
        err = ac__store_stmt(st,
                             "UPDATE jobs SET attempts = $2, retry_ms = $3"
                             " WHERE id = $1 AND done_ms = 0",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    ac_db_bind_int64(s, 2, attempts);
    ac_db_bind_int64(s, 3, retry_ms);
    err = ac__store_done(st, s);
    if (!err && ac_db_changes(ac__store_db(st)) == 0)
        err = AC_ENOENT;
    return err;
}
