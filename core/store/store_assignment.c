/* store_assignment.c - review assignments, the batches they are sent in, and
 * the benchmark items seeded blind among them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/assignment.h"
#include "review_internal.h"

int ac__review_in_tx(struct ac_store *st)
{
    return !ac_db_in_tx(ac__store_db(st)) ? AC_EBUG : 0;
}

int ac__review_step_changed(struct ac_store *st, struct ac_db_stmt *s)
{
    int err = ac__store_done(st, s);
    if (!err && ac_db_changes(ac__store_db(st)) == 0)
        err = AC_ENOENT;
    return err;
}

/* ---- assignments ---- */

static const char *const asg_names[] = {"pending", "invited", "accepted", "declined",
                                        "expired", "done",    "cancelled"};

const char *ac_asg_state_name(enum ac_asg_state s)
{
    return (unsigned)s < sizeof asg_names / sizeof asg_names[0] ? asg_names[s] : NULL;
}

void ac_assignment_release(struct ac_assignment_row *a)
{
    if (!a)
        return;
    free(a->feedback);
    a->feedback = NULL;
}

/* Levels are stored as a comma-separated list of level indexes. */
static void levels_text(const int *levels, size_t n, char *out, size_t size)
{
    size_t used = 0;
    out[0] = 0;
    for (size_t i = 0; i < n && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, i ? ",%d" : "%d", levels[i]);
}

static void levels_parse(const char *text, struct ac_assignment_row *a)
{
    a->n_levels = 0;
    const char *p = text;
    while (p && *p && a->n_levels < AC_ASG_LEVELS_MAX) {
        char *end;
        a->levels[a->n_levels++] = (int)strtol(p, &end, 10);
        p = *end == ',' ? end + 1 : NULL;
    }
}

#define ASG_COLUMNS                                                                                \
    "id, COALESCE(submission_id, 0), benchmark_id, benchmark_level, credential_id, reviewer_id,"   \
    " COALESCE(batch_id, 0), state, levels, level, feedback, created_ms, scored_ms,"               \
    " credential_row, second_master"

static int read_asg(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    (void)st;
    struct ac_assignment_row *a = elem;
    memset(a, 0, sizeof *a);
    a->id = ac_db_col_int64(s, 0);
    a->submission_id = ac_db_col_int64(s, 1);
    ac__col_copy(a->benchmark_id, sizeof a->benchmark_id, s, 2);
    a->benchmark_level = (int)ac_db_col_int64(s, 3);
    ac__col_copy(a->credential_id, sizeof a->credential_id, s, 4);
    a->reviewer_id = ac_db_col_int64(s, 5);
    a->batch_id = ac_db_col_int64(s, 6);
    a->state = (enum ac_asg_state)ac_db_col_int64(s, 7);
    levels_parse(ac_db_col_text(s, 8), a);
    a->level = (int)ac_db_col_int64(s, 9);
    if (!ac_db_col_is_null(s, 10)) {
        a->feedback = ac__col_dup(s, 10);
        if (!a->feedback)
            return AC_ENOMEM;
    }
    a->created_ms = ac_db_col_int64(s, 11);
    a->scored_ms = ac_db_col_int64(s, 12);
    a->credential_row = ac_db_col_int64(s, 13);
    a->second_master = (int)ac_db_col_int64(s, 14);
    return 0;
}

static void release_asg(void *elem)
{
    ac_assignment_release(elem);
}

static const struct ac__row_type asg_rows = {sizeof(struct ac_assignment_row), read_asg,
                                             release_asg};

int ac_store_assignment_insert(struct ac_store *st, const struct ac_assignment_row *in,
                               int64_t now_ms, int64_t *id)
{
    int err = ac__review_in_tx(st);
    struct ac_db_stmt *s;
    if (!err)
        err = ac__store_stmt(st,
                             "INSERT INTO assignments(submission_id, benchmark_id, benchmark_level,"
                             " credential_id, reviewer_id, batch_id, state, created_ms,"
                             " credential_row, second_master)"
                             " VALUES (NULLIF($1, 0), $2, $3, $4, $5, NULLIF($6, 0), $7, $8, $9,"
                             " $10) RETURNING id",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, in->submission_id);
    ac_db_bind_text(s, 2, in->benchmark_id, -1);
    ac_db_bind_int64(s, 3, in->benchmark_level);
    ac_db_bind_text(s, 4, in->credential_id, -1);
    ac_db_bind_int64(s, 5, in->reviewer_id);
    ac_db_bind_int64(s, 6, in->batch_id);
    ac_db_bind_int64(s, 7, (int)in->state);
    ac_db_bind_int64(s, 8, now_ms);
    ac_db_bind_int64(s, 9, in->credential_row);
    ac_db_bind_int64(s, 10, in->second_master != 0);
    err = ac__store_insert_id(st, s, id);
    return err;
}

int ac_store_assignment_get(struct ac_store *st, int64_t id, struct ac_assignment_row *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT " ASG_COLUMNS " FROM assignments WHERE id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    return ac__store_one(st, s, &asg_rows, out);
}

int ac_store_assignment_list(struct ac_store *st, int64_t submission_id, int64_t reviewer_id,
                             int64_t batch_id, int state, struct ac_assignment_row **out, size_t *n)
{
    struct ac_db_stmt *s;
    int err =
        ac__store_stmt(st,
                       "SELECT " ASG_COLUMNS " FROM assignments"
                       " WHERE ($1 = 0 OR submission_id = $1) AND ($2 = 0 OR reviewer_id = $2)"
                       " AND ($3 = 0 OR batch_id = $3) AND ($4 < 0 OR state = $4) ORDER BY id",
                       &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, submission_id);
    ac_db_bind_int64(s, 2, reviewer_id);
    ac_db_bind_int64(s, 3, batch_id);
    ac_db_bind_int64(s, 4, state);
    void *arr;
    err = ac__store_collect(st, s, &asg_rows, &arr, n);
    if (!err)
        *out = arr;
    return err;
}

int ac_store_assignment_set_state(struct ac_store *st, int64_t id, enum ac_asg_state state,
                                  int64_t batch_id)
{
    int err = ac__review_in_tx(st);
    struct ac_db_stmt *s;
    if (!err)
        err = ac__store_stmt(st,
                             "UPDATE assignments SET state = $2,"
                             " batch_id = CASE WHEN $3 = 0 THEN batch_id ELSE $3 END WHERE id = $1",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    ac_db_bind_int64(s, 2, (int)state);
    ac_db_bind_int64(s, 3, batch_id);
    return ac__review_step_changed(st, s);
}

int ac_store_assignment_score(struct ac_store *st, int64_t id, const int *levels, size_t n,
                              int level, const char *feedback, int64_t now_ms)
{
    if (n > AC_ASG_LEVELS_MAX)
        return AC_EINVAL;
    int err = ac__review_in_tx(st);
    struct ac_db_stmt *s;
    if (!err)
        err = ac__store_stmt(st,
                             "UPDATE assignments SET state = $2, levels = $3, level = $4,"
                             " feedback = $5, scored_ms = $6 WHERE id = $1 AND state = $7",
                             &s);
    if (err)
        return err;
    char text[AC_ASG_LEVELS_MAX * 12];
    levels_text(levels, n, text, sizeof text);
    ac_db_bind_int64(s, 1, id);
    ac_db_bind_int64(s, 2, AC_ASG_DONE);
    ac_db_bind_text(s, 3, text, -1);
    ac_db_bind_int64(s, 4, level);
    if (feedback)
        ac_db_bind_text(s, 5, feedback, -1);
    ac_db_bind_int64(s, 6, now_ms);
    ac_db_bind_int64(s, 7, AC_ASG_ACCEPTED);
    err = ac__review_step_changed(st, s);
    return err == AC_ENOENT ? AC_ECONFLICT : err;
}

int ac_store_reviewer_load(struct ac_store *st, int64_t reviewer_id, int64_t cool_off_ms,
                           uint32_t *load, int *busy, int64_t *cool_until_ms)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st,
        "SELECT (SELECT COUNT(*) FROM assignments WHERE reviewer_id = $1 AND state IN ($2, $3, "
        "$4)),"
        " EXISTS (SELECT 1 FROM batches WHERE reviewer_id = $1 AND state IN ($5, $6)),"
        " (SELECT COALESCE(MAX(completed_ms), 0) FROM batches WHERE reviewer_id = $1 AND state IN "
        "($7, $8))",
        &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, reviewer_id);
    ac_db_bind_int64(s, 2, AC_ASG_PENDING);
    ac_db_bind_int64(s, 3, AC_ASG_INVITED);
    ac_db_bind_int64(s, 4, AC_ASG_ACCEPTED);
    ac_db_bind_int64(s, 5, AC_BATCH_INVITED);
    ac_db_bind_int64(s, 6, AC_BATCH_ACCEPTED);
    ac_db_bind_int64(s, 7, AC_BATCH_DONE);
    ac_db_bind_int64(s, 8, AC_BATCH_EXPIRED);
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW) {
        *load = (uint32_t)ac_db_col_int64(s, 0);
        *busy = (int)ac_db_col_int64(s, 1);
        int64_t last = ac_db_col_int64(s, 2);
        *cool_until_ms = last ? last + cool_off_ms : 0;
    }
    ac_db_reset(s);
    return rc == AC_DB_ROW ? 0 : ac__store_error(st, rc);
}

int ac_store_assignment_period(struct ac_store *st, int64_t reviewer_id, const char *credential_id,
                               int64_t since_ms, uint32_t *count, int64_t *oldest_ms)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT COUNT(*), COALESCE(MIN(created_ms), 0) FROM assignments"
                             " WHERE reviewer_id = $1 AND credential_id = $2 AND created_ms >= $3"
                             " AND submission_id IS NOT NULL AND state IN ($4, $5, $6, $7)",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, reviewer_id);
    ac_db_bind_text(s, 2, credential_id, -1);
    ac_db_bind_int64(s, 3, since_ms);
    ac_db_bind_int64(s, 4, AC_ASG_PENDING);
    ac_db_bind_int64(s, 5, AC_ASG_INVITED);
    ac_db_bind_int64(s, 6, AC_ASG_ACCEPTED);
    ac_db_bind_int64(s, 7, AC_ASG_DONE);
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW) {
        *count = (uint32_t)ac_db_col_int64(s, 0);
        *oldest_ms = ac_db_col_int64(s, 1);
    }
    ac_db_reset(s);
    return rc == AC_DB_ROW ? 0 : ac__store_error(st, rc);
}

int ac_store_submission_reviewers(struct ac_store *st, int64_t submission_id, int64_t **out,
                                  size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT DISTINCT reviewer_id FROM assignments"
                             " WHERE submission_id = $1 AND state = $2 ORDER BY reviewer_id",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, submission_id);
    ac_db_bind_int64(s, 2, AC_ASG_DONE);
    void *arr;
    err = ac__store_collect(st, s, &ac__int64_rows, &arr, n);
    if (!err)
        *out = arr;
    return err;
}

/* ---- batches ---- */

static const char *const batch_names[] = {"invited", "accepted", "declined", "expired", "done"};

const char *ac_batch_state_name(enum ac_batch_state s)
{
    return (unsigned)s < sizeof batch_names / sizeof batch_names[0] ? batch_names[s] : NULL;
}

#define BATCH_COLUMNS                                                                              \
    "id, reviewer_id, credential_id, state, created_ms, deadline_ms, responded_ms, completed_ms,"  \
    " credential_row"

static int read_batch(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    (void)st;
    struct ac_batch_row *b = elem;
    b->id = ac_db_col_int64(s, 0);
    b->reviewer_id = ac_db_col_int64(s, 1);
    ac__col_copy(b->credential_id, sizeof b->credential_id, s, 2);
    b->state = (enum ac_batch_state)ac_db_col_int64(s, 3);
    b->created_ms = ac_db_col_int64(s, 4);
    b->deadline_ms = ac_db_col_int64(s, 5);
    b->responded_ms = ac_db_col_int64(s, 6);
    b->completed_ms = ac_db_col_int64(s, 7);
    b->credential_row = ac_db_col_int64(s, 8);
    return 0;
}

static const struct ac__row_type batch_rows = {sizeof(struct ac_batch_row), read_batch, NULL};

int ac_store_batch_insert(struct ac_store *st, int64_t reviewer_id, const char *credential_id,
                          int64_t credential_row, int64_t now_ms, int64_t deadline_ms, int64_t *id)
{
    int err = ac__review_in_tx(st);
    struct ac_db_stmt *s;
    if (!err)
        err = ac__store_stmt(
            st,
            "INSERT INTO batches(reviewer_id, credential_id, state, created_ms,"
            " deadline_ms, credential_row) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, reviewer_id);
    ac_db_bind_text(s, 2, credential_id, -1);
    ac_db_bind_int64(s, 3, AC_BATCH_INVITED);
    ac_db_bind_int64(s, 4, now_ms);
    ac_db_bind_int64(s, 5, deadline_ms);
    ac_db_bind_int64(s, 6, credential_row);
    err = ac__store_insert_id(st, s, id);
    return err;
}

int ac_store_batch_get(struct ac_store *st, int64_t id, struct ac_batch_row *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT " BATCH_COLUMNS " FROM batches WHERE id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    return ac__store_one(st, s, &batch_rows, out);
}

int ac_store_batch_list(struct ac_store *st, int64_t reviewer_id, int state,
                        struct ac_batch_row **out, size_t *n)
{
    struct ac_db_stmt *s;
    int err =
        ac__store_stmt(st,
                       "SELECT " BATCH_COLUMNS " FROM batches WHERE ($1 = 0 OR reviewer_id = $1)"
                       " AND ($2 < 0 OR state = $2) ORDER BY id",
                       &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, reviewer_id);
    ac_db_bind_int64(s, 2, state);
    void *arr;
    err = ac__store_collect(st, s, &batch_rows, &arr, n);
    if (!err)
        *out = arr;
    return err;
}

int ac_store_batch_set_state(struct ac_store *st, int64_t id, enum ac_batch_state state,
                             int64_t now_ms)
{
    int err = ac__review_in_tx(st);
    struct ac_db_stmt *s;
    if (!err)
        err = ac__store_stmt(
            st,
            "UPDATE batches SET state = $2,"
            " responded_ms = CASE WHEN $2 IN ($4, $5) THEN $3 ELSE responded_ms END,"
            " completed_ms = CASE WHEN $2 IN ($6, $7) THEN $3 ELSE completed_ms END WHERE id = $1",
            &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    ac_db_bind_int64(s, 2, (int)state);
    ac_db_bind_int64(s, 3, now_ms);
    ac_db_bind_int64(s, 4, AC_BATCH_ACCEPTED);
    ac_db_bind_int64(s, 5, AC_BATCH_DECLINED);
    ac_db_bind_int64(s, 6, AC_BATCH_DONE);
    ac_db_bind_int64(s, 7, AC_BATCH_EXPIRED);
    return ac__review_step_changed(st, s);
}

/* ---- benchmark items (rows of the benchmark database, read for seeding) ---- */

static int read_seed(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    (void)st;
    struct ac_seed_item *it = elem;
    it->id = ac_db_col_int64(s, 0);
    it->level = (int)ac_db_col_int64(s, 1);
    return 0;
}

static const struct ac__row_type seed_rows = {sizeof(struct ac_seed_item), read_seed, NULL};

int ac_store_seed_items(struct ac_store *st, int64_t credential_row, struct ac_seed_item **out,
                        size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT id, final_level FROM bench_items WHERE credential_id = $1"
                             " AND final_level IS NOT NULL ORDER BY id",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, credential_row);
    void *arr;
    err = ac__store_collect(st, s, &seed_rows, &arr, n);
    if (!err)
        *out = arr;
    return err;
}

int ac_store_seed_content(struct ac_store *st, int64_t id, char **content)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT content FROM bench_items WHERE id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW) {
        *content = ac__col_dup(s, 0);
        err = *content ? 0 : AC_ENOMEM;
    } else {
        err = rc == AC_DB_DONE ? AC_ENOENT : ac__store_error(st, rc);
    }
    ac_db_reset(s);
    return err;
}
