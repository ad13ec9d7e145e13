/* store_pilot.c - pilot validation: submissions of a pilot round, each
 * assigned to experts who score it independently. */
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/pilot.h"
#include "internal.h"

void ac_pilot_score_release(struct ac_pilot_score *p)
{
    if (!p)
        return;
    free(p->content);
    p->content = NULL;
}

#define PILOT_COLUMNS                                                                              \
    "p.id, p.credential_id, p.round, p.label, p.content, s.expert_id, s.level, s.scored_ms"

static int read_pilot(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    (void)st;
    struct ac_pilot_score *p = elem;
    memset(p, 0, sizeof *p);
    p->submission_id = ac_db_col_int64(s, 0);
    p->credential_id = ac_db_col_int64(s, 1);
    p->round = ac_db_col_int64(s, 2);
    ac__col_copy(p->label, sizeof p->label, s, 3);
    p->content = ac__col_dup(s, 4);
    p->expert_id = ac_db_col_int64(s, 5);
    p->level = ac_db_col_is_null(s, 6) ? -1 : (int)ac_db_col_int64(s, 6);
    p->scored_ms = ac_db_col_int64(s, 7);
    return p->content ? 0 : AC_ENOMEM;
}

static void release_pilot(void *elem)
{
    ac_pilot_score_release(elem);
}

static const struct ac__row_type pilot_rows = {sizeof(struct ac_pilot_score), read_pilot,
                                               release_pilot};

int ac_store_pilot_add(struct ac_store *st, int64_t credential_id, int64_t round, const char *label,
                       const char *content, const int64_t *experts, size_t n, int64_t now_ms,
                       int64_t *id)
{
    size_t len = strlen(label);
    if (len == 0 || len > AC_ITEM_LABEL_MAX || n == 0)
        return AC_EINVAL;
    int err = ac__store_begin(st);
    if (err)
        return err;
    struct ac_db_stmt *s;
    int64_t row = 0;
    err = ac__store_stmt(st,
                         "INSERT INTO pilot_submissions(credential_id, round, label, content,"
                         " created_ms) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                         &s);
    if (!err) {
        ac_db_bind_int64(s, 1, credential_id);
        ac_db_bind_int64(s, 2, round);
        ac_db_bind_text(s, 3, label, -1);
        ac_db_bind_text(s, 4, content, -1);
        ac_db_bind_int64(s, 5, now_ms);
        err = ac__store_insert_id(st, s, &row);
    }
    if (!err)
        err = ac__store_each_pair(
            st, "INSERT INTO pilot_scores(submission_id, expert_id) VALUES ($1, $2)", row, experts,
            n);
    err = ac__store_end(st, err);
    if (!err)
        *id = row;
    return err;
}

int ac_store_pilot_get(struct ac_store *st, int64_t submission_id, int64_t expert_id,
                       struct ac_pilot_score *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT " PILOT_COLUMNS " FROM pilot_submissions p"
                             " JOIN pilot_scores s ON s.submission_id = p.id"
                             " WHERE p.id = $1 AND s.expert_id = $2",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, submission_id);
    ac_db_bind_int64(s, 2, expert_id);
    return ac__store_one(st, s, &pilot_rows, out);
}

int ac_store_pilot_list(struct ac_store *st, int64_t expert_id, int64_t credential_id,
                        int64_t round, int64_t after, struct ac_pilot_score *out, size_t max,
                        size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT " PILOT_COLUMNS " FROM pilot_submissions p"
                             " JOIN pilot_scores s ON s.submission_id = p.id"
                             " WHERE p.id > $1 AND (CASE WHEN $2 != 0 THEN s.expert_id = $2"
                             " ELSE p.credential_id = $3 AND p.round = $4 END)"
                             " ORDER BY p.id, s.expert_id LIMIT $5",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, after);
    ac_db_bind_int64(s, 2, expert_id);
    ac_db_bind_int64(s, 3, credential_id);
    ac_db_bind_int64(s, 4, round);
    ac_db_bind_int64(s, 5, (int64_t)max);
    return ac__store_fill(st, s, &pilot_rows, out, max, n);
}

int ac_store_pilot_score(struct ac_store *st, int64_t submission_id, int64_t expert_id, int level,
                         int64_t now_ms)
{
    int err = ac__store_begin(st);
    if (err)
        return err;
    struct ac_pilot_score cur;
    err = ac_store_pilot_get(st, submission_id, expert_id, &cur);
    if (!err) {
        if (cur.level >= 0)
            err = AC_ECONFLICT;
        ac_pilot_score_release(&cur);
    }
    struct ac_db_stmt *s;
    if (!err)
        err = ac__store_stmt(st,
                             "UPDATE pilot_scores SET level = $3, scored_ms = $4"
                             " WHERE submission_id = $1 AND expert_id = $2",
                             &s);
    if (!err) {
        ac_db_bind_int64(s, 1, submission_id);
        ac_db_bind_int64(s, 2, expert_id);
        ac_db_bind_int64(s, 3, level);
        ac_db_bind_int64(s, 4, now_ms);
        err = ac__store_done(st, s);
    }
    return ac__store_end(st, err);
}
