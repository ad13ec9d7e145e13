/* store_analytics.c - read-only analytics queries over the submissions,
 * assignments, credentials and reviewer certification tables other files
 * write (see store_analytics.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/review/submission.h"
#include "accord/store/assignment.h"
#include "accord/store/store_analytics.h"
#include "internal.h"

/* Binds |def_id| to $1 and the |n| values of |states| to $2, $3, ... in
 * order: states are the enum values of review/submission.h and
 * store/assignment.h, bound rather than written out in the SQL. */
static void bind_def_states(struct ac_db_stmt *s, const char *def_id, const int64_t *states,
                            size_t n)
{
    ac_db_bind_text(s, 1, def_id, -1);
    for (size_t i = 0; i < n; i++)
        ac_db_bind_int64(s, (int)i + 2, states[i]);
}

#define N_STATES(a) (sizeof(a) / sizeof((a)[0]))

int ac_store_analytics_volume(struct ac_store *st, const char *def_id,
                              struct ac_analytics_volume *out)
{
    struct ac_analytics_volume v;
    memset(&v, 0, sizeof v);
    struct ac_db_stmt *s;
    /* States are the enum values of review/submission.h and store/assignment.h,
     * bound rather than written out. */
    int err = ac__store_stmt(
        st,
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN state IN ($2, $3) THEN 1 ELSE 0 END), 0),"
        " COALESCE(SUM(CASE WHEN state IN ($2, $3) AND passed <> 0 THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN state = $4 THEN 1 ELSE 0 END), 0),"
        " COALESCE(SUM(CASE WHEN state = $5 THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN state "
        "IN ($5, $6, $7, $8, $4) THEN 1 ELSE 0 END), 0),"
        " COALESCE(AVG(CASE WHEN state IN ($2, $3) THEN decided_ms - created_ms END), 0)"
        " FROM submissions WHERE credential_id = $1",
        &s);
    if (err)
        return err;
    const int64_t counted[] = {AC_SUB_DECIDED,  AC_SUB_NOTIFIED, AC_SUB_ESCALATED, AC_SUB_FLAGGED,
                               AC_SUB_RECEIVED, AC_SUB_QUEUED,   AC_SUB_IN_REVIEW};
    bind_def_states(s, def_id, counted, N_STATES(counted));
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW) {
        v.submissions = ac_db_col_int64(s, 0);
        v.decided = ac_db_col_int64(s, 1);
        v.passed = ac_db_col_int64(s, 2);
        v.escalated = ac_db_col_int64(s, 3);
        v.flagged = ac_db_col_int64(s, 4);
        v.backlog = ac_db_col_int64(s, 5);
        v.mean_decision_ms = ac_db_col_double(s, 6);
    }
    ac_db_reset(s);
    if (rc != AC_DB_ROW)
        return ac__store_error(st, rc);
    if (v.decided > 0) {
        /* The median: the middle value, or the mean of the two middle values
         * when the count is even (so 2, 2, 4, 4 days give 3, not 2). */
        err = ac__store_stmt(st,
                             "SELECT AVG(d) FROM (SELECT decided_ms - created_ms AS d"
                             " FROM submissions WHERE credential_id = $1 AND state IN ($2, $3)"
                             " ORDER BY 1 LIMIT 2 - $4 % 2 OFFSET ($4 - 1) / 2) AS middle",
                             &s);
        if (err)
            return err;
        const int64_t decided[] = {AC_SUB_DECIDED, AC_SUB_NOTIFIED};
        bind_def_states(s, def_id, decided, N_STATES(decided));
        ac_db_bind_int64(s, 4, v.decided);
        rc = ac_db_step(s);
        if (rc == AC_DB_ROW)
            v.median_decision_ms = (int64_t)llround(ac_db_col_double(s, 0));
        ac_db_reset(s);
        if (rc != AC_DB_ROW)
            return ac__store_error(st, rc);
    }
    err = ac__store_stmt(st,
                         "SELECT COUNT(DISTINCT r.user_id) FROM reviewer_certs r"
                         " JOIN credentials c ON c.id = r.credential_id"
                         " WHERE c.def_id = $1 AND r.state = 'certified'",
                         &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, def_id, -1);
    if ((err = ac__store_int64(st, s, &v.certified_reviewers)) != 0)
        return err;
    err = ac__store_stmt(st,
                         "SELECT COUNT(DISTINCT r.user_id) FROM reviewer_certs r"
                         " JOIN credentials c ON c.id = r.credential_id"
                         " JOIN remote_reviewers rr ON rr.user_id = r.user_id"
                         " WHERE c.def_id = $1 AND r.state = 'certified'",
                         &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, def_id, -1);
    if ((err = ac__store_int64(st, s, &v.borrowed_reviewers)) != 0)
        return err;
    err = ac__store_stmt(st,
                         "SELECT COUNT(*) FROM assignments WHERE credential_id = $1"
                         " AND state IN ($2, $3, $4)",
                         &s);
    if (err)
        return err;
    const int64_t open_asg[] = {AC_ASG_PENDING, AC_ASG_INVITED, AC_ASG_ACCEPTED};
    bind_def_states(s, def_id, open_asg, N_STATES(open_asg));
    if ((err = ac__store_int64(st, s, &v.open_assignments)) != 0)
        return err;
    *out = v;
    return 0;
}

static int read_review(struct ac_store *st, struct ac_db_stmt *s, void *out)
{
    (void)st;
    struct ac_analytics_review *r = out;
    r->assignment_id = ac_db_col_int64(s, 0);
    r->reviewer_id = ac_db_col_int64(s, 1);
    r->submission_id = ac_db_col_int64(s, 2);
    r->level = (int)ac_db_col_int64(s, 3);
    r->consensus = (int)ac_db_col_int64(s, 4);
    r->benchmark = (int)ac_db_col_int64(s, 5);
    r->scored_ms = ac_db_col_int64(s, 6);
    r->decided_ms = ac_db_col_int64(s, 7);
    return 0;
}

static const struct ac__row_type review_rows = {sizeof(struct ac_analytics_review), read_review,
                                                NULL};

int ac_store_analytics_reviews(struct ac_store *st, const char *def_id,
                               struct ac_analytics_review **out, size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st,
        "SELECT a.id, a.reviewer_id, COALESCE(a.submission_id, 0), a.level,"
        " CASE WHEN s.state IN ($3, $4) THEN s.level ELSE -1 END,"
        " CASE WHEN a.submission_id IS NULL THEN a.benchmark_level ELSE -1 END, a.scored_ms,"
        " CASE WHEN s.state IN ($3, $4) THEN s.decided_ms ELSE 0 END"
        " FROM assignments a LEFT JOIN submissions s ON s.id = a.submission_id"
        " WHERE a.credential_id = $1 AND a.state = $2 AND a.level >= 0"
        " ORDER BY a.scored_ms, a.id",
        &s);
    if (err)
        return err;
    const int64_t done_decided[] = {AC_ASG_DONE, AC_SUB_DECIDED, AC_SUB_NOTIFIED};
    bind_def_states(s, def_id, done_decided, N_STATES(done_decided));
    void *arr = NULL;
    err = ac__store_collect(st, s, &review_rows, &arr, n);
    if (!err)
        *out = arr;
    return err;
}

static int read_load(struct ac_store *st, struct ac_db_stmt *s, void *out)
{
    (void)st;
    struct ac_analytics_load *l = out;
    l->reviewer_id = ac_db_col_int64(s, 0);
    l->open = ac_db_col_int64(s, 1);
    l->done = ac_db_col_int64(s, 2);
    l->declined = ac_db_col_int64(s, 3);
    return 0;
}

static const struct ac__row_type load_rows = {sizeof(struct ac_analytics_load), read_load, NULL};

int ac_store_analytics_load(struct ac_store *st, const char *def_id, struct ac_analytics_load **out,
                            size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT reviewer_id, SUM(CASE WHEN state IN ($2, $3, $4) THEN 1 ELSE "
                             "0 END), SUM(CASE WHEN state = $5 THEN 1 ELSE 0 END),"
                             " SUM(CASE WHEN state IN ($6, $7) THEN 1 ELSE 0 END) FROM assignments "
                             "WHERE credential_id = $1"
                             " GROUP BY reviewer_id ORDER BY reviewer_id",
                             &s);
    if (err)
        return err;
    const int64_t by_load[] = {AC_ASG_PENDING, AC_ASG_INVITED,  AC_ASG_ACCEPTED,
                               AC_ASG_DONE,    AC_ASG_DECLINED, AC_ASG_EXPIRED};
    bind_def_states(s, def_id, by_load, N_STATES(by_load));
    void *arr = NULL;
    err = ac__store_collect(st, s, &load_rows, &arr, n);
    if (!err)
        *out = arr;
    return err;
}
