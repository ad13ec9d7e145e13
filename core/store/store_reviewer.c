/* store_reviewer.c - reviewer profiles (school, district, domains,
 * availability, general module) and per-credential certification state. */
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/reviewer.h"
#include "internal.h"

/* ---- profiles ---- */

#define PROFILE_COLUMNS                                                                            \
    "user_id, school, district, domains, available, unavailable_until_ms,"                         \
    " general_module_ms, created_ms, updated_ms"

int ac_store_reviewer_put(struct ac_store *st, const struct ac_reviewer_profile *p, int64_t now_ms)
{
    if (strlen(p->school) > AC_REVIEWER_TEXT_MAX || strlen(p->district) > AC_REVIEWER_TEXT_MAX ||
        strlen(p->domains) > AC_REVIEWER_DOMAINS_MAX)
        return AC_EINVAL;
    int err = ac__store_begin(st);
    if (err)
        return err;
    struct ac_db_stmt *s;
    err = ac__store_stmt(st,
                         "INSERT INTO reviewer_profiles(user_id, school, district, domains,"
                         " available, unavailable_until_ms, created_ms, updated_ms)"
                         " VALUES ($1, $2, $3, $4, $5, $6, $7, $7)"
                         " ON CONFLICT (user_id) DO UPDATE SET school = excluded.school,"
                         " district = excluded.district, domains = excluded.domains,"
                         " available = excluded.available,"
                         " unavailable_until_ms = excluded.unavailable_until_ms,"
                         " updated_ms = excluded.updated_ms",
                         &s);
    if (!err) {
        ac_db_bind_int64(s, 1, p->user_id);
        ac_db_bind_text(s, 2, p->school, -1);
        ac_db_bind_text(s, 3, p->district, -1);
        ac_db_bind_text(s, 4, p->domains[0] ? p->domains : "[]", -1);
        ac_db_bind_int64(s, 5, p->available ? 1 : 0);
        ac_db_bind_int64(s, 6, p->unavailable_until_ms);
        ac_db_bind_int64(s, 7, now_ms);
        err = ac__store_done(st, s);
    }
    return ac__store_end(st, err);
}

int ac_store_reviewer_get(struct ac_store *st, int64_t user_id, struct ac_reviewer_profile *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st, "SELECT " PROFILE_COLUMNS " FROM reviewer_profiles WHERE user_id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, user_id);
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW) {
        memset(out, 0, sizeof *out);
        out->user_id = ac_db_col_int64(s, 0);
        ac__col_copy(out->school, sizeof out->school, s, 1);
        ac__col_copy(out->district, sizeof out->district, s, 2);
        ac__col_copy(out->domains, sizeof out->domains, s, 3);
        out->available = (int)ac_db_col_int64(s, 4) != 0;
        out->unavailable_until_ms = ac_db_col_int64(s, 5);
        out->general_module_ms = ac_db_col_int64(s, 6);
        out->created_ms = ac_db_col_int64(s, 7);
        out->updated_ms = ac_db_col_int64(s, 8);
    }
    ac_db_reset(s);
    return rc == AC_DB_ROW ? 0 : rc == AC_DB_DONE ? AC_ENOENT : ac__store_error(st, rc);
}

int ac_store_reviewer_general_done(struct ac_store *st, int64_t user_id, int64_t now_ms)
{
    int err = ac__store_begin(st);
    if (err)
        return err;
    struct ac_db_stmt *s;
    err = ac__store_stmt(st,
                         "UPDATE reviewer_profiles SET general_module_ms = CASE"
                         " WHEN general_module_ms = 0 THEN $2 ELSE general_module_ms END,"
                         " updated_ms = $2 WHERE user_id = $1",
                         &s);
    if (!err) {
        ac_db_bind_int64(s, 1, user_id);
        ac_db_bind_int64(s, 2, now_ms);
        err = ac__store_done(st, s);
        if (!err && ac_db_changes(ac__store_db(st)) == 0)
            err = AC_ENOENT;
    }
    return ac__store_end(st, err);
}

/* ---- certification ---- */

#define CERT_COLUMNS                                                                               \
    "credential_id, user_id, state, answers, screening, applied_ms, screened_ms,"                  \
    " trained_ms, certified_ms, failed_ms, updated_ms, attempts, next_attempt_ms"

void ac_reviewer_cert_release(struct ac_reviewer_cert *c)
{
    if (!c)
        return;
    free(c->answers);
    free(c->screening);
    memset(c, 0, sizeof *c);
}

static int read_cert(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    (void)st;
    struct ac_reviewer_cert *c = elem;
    memset(c, 0, sizeof *c);
    c->credential_id = ac_db_col_int64(s, 0);
    c->user_id = ac_db_col_int64(s, 1);
    enum ac_rcert_state state;
    if (ac_rcert_state_parse(ac_db_col_text(s, 2), &state))
        return AC_EDB; /* the CHECK constraint makes this unreachable */
    c->state = state;
    c->answers = ac__col_dup(s, 3);
    c->screening = ac__col_dup(s, 4);
    c->applied_ms = ac_db_col_int64(s, 5);
    c->screened_ms = ac_db_col_int64(s, 6);
    c->trained_ms = ac_db_col_int64(s, 7);
    c->certified_ms = ac_db_col_int64(s, 8);
    c->failed_ms = ac_db_col_int64(s, 9);
    c->updated_ms = ac_db_col_int64(s, 10);
    c->attempts = ac_db_col_int64(s, 11);
    c->next_attempt_ms = ac_db_col_int64(s, 12);
    if (!c->answers || !c->screening) {
        ac_reviewer_cert_release(c);
        return AC_ENOMEM;
    }
    return 0;
}

static void release_cert(void *elem)
{
    ac_reviewer_cert_release(elem);
}

static const struct ac__row_type cert_rows = {sizeof(struct ac_reviewer_cert), read_cert,
                                              release_cert};

int ac_store_reviewer_cert_create(struct ac_store *st, int64_t credential_id, int64_t user_id,
                                  enum ac_rcert_state state, const char *answers,
                                  const char *screening, int64_t now_ms)
{
    if (state != AC_RCERT_APPLIED && state != AC_RCERT_REJECTED && state != AC_RCERT_SCREENED)
        return AC_EINVAL;
    int err = ac__store_begin(st);
    if (err)
        return err;
    struct ac_db_stmt *s;
    err = ac__store_stmt(st,
                         "INSERT INTO reviewer_certs(credential_id, user_id, state, answers,"
                         " screening, applied_ms, screened_ms, failed_ms, updated_ms)"
                         " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $6)",
                         &s);
    if (!err) {
        ac_db_bind_int64(s, 1, credential_id);
        ac_db_bind_int64(s, 2, user_id);
        ac_db_bind_text(s, 3, ac_rcert_state_name(state), -1);
        ac_db_bind_text(s, 4, answers ? answers : "{}", -1);
        ac_db_bind_text(s, 5, screening ? screening : "[]", -1);
        ac_db_bind_int64(s, 6, now_ms);
        ac_db_bind_int64(s, 7, state == AC_RCERT_SCREENED ? now_ms : 0);
        ac_db_bind_int64(s, 8, state == AC_RCERT_REJECTED ? now_ms : 0);
        err = ac__store_done(st, s);
    }
    return ac__store_end(st, err);
}

int ac_store_reviewer_cert_get(struct ac_store *st, int64_t credential_id, int64_t user_id,
                               struct ac_reviewer_cert *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT " CERT_COLUMNS " FROM reviewer_certs"
                             " WHERE credential_id = $1 AND user_id = $2",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, credential_id);
    ac_db_bind_int64(s, 2, user_id);
    return ac__store_one(st, s, &cert_rows, out);
}

int ac_store_reviewer_cert_list(struct ac_store *st, int64_t credential_id, int state,
                                int64_t after_user, struct ac_reviewer_cert *out, size_t max,
                                size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT " CERT_COLUMNS " FROM reviewer_certs"
                             " WHERE credential_id = $1 AND user_id > $2"
                             " AND (CAST($3 AS TEXT) IS NULL OR state = $3) ORDER BY user_id LIMIT $4",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, credential_id);
    ac_db_bind_int64(s, 2, after_user);
    if (state >= 0) {
        const char *name = ac_rcert_state_name((enum ac_rcert_state)state);
        if (!name)
            return AC_EINVAL;
        ac_db_bind_text(s, 3, name, -1);
    }
    ac_db_bind_int64(s, 4, (int64_t)max);
    return ac__store_fill(st, s, &cert_rows, out, max, n);
}

int ac_store_reviewer_cert_count(struct ac_store *st, int64_t credential_id,
                                 enum ac_rcert_state state, int64_t *n)
{
    const char *name = ac_rcert_state_name(state);
    if (!name)
        return AC_EINVAL;
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st, "SELECT COUNT(*) FROM reviewer_certs WHERE credential_id = $1 AND state = $2", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, credential_id);
    ac_db_bind_text(s, 2, name, -1);
    return ac__store_int64(st, s, n);
}

int ac_store_reviewer_certified_rows(struct ac_store *st, int64_t user_id, int64_t **out, size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT credential_id FROM reviewer_certs WHERE user_id = $1 AND"
                             " state = $2 ORDER BY credential_id",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, user_id);
    ac_db_bind_text(s, 2, ac_rcert_state_name(AC_RCERT_CERTIFIED), -1);
    void *arr;
    err = ac__store_collect(st, s, &ac__int64_rows, &arr, n);
    if (!err)
        *out = arr;
    return err;
}

int ac_store_reviewer_cert_transition(struct ac_store *st, int64_t credential_id, int64_t user_id,
                                      enum ac_rcert_state from, enum ac_rcert_state to,
                                      const char *screening, int64_t now_ms)
{
    const char *from_name = ac_rcert_state_name(from);
    const char *to_name = ac_rcert_state_name(to);
    if (!from_name || !to_name)
        return AC_EINVAL;
    int err = ac__store_begin(st);
    if (err)
        return err;
    struct ac_db_stmt *s;
    /* The time column stamped is the one named for the new state. */
    err = ac__store_stmt(
        st,
        "UPDATE reviewer_certs SET state = $3, updated_ms = $4,"
        " screening = COALESCE($5, screening),"
        " screened_ms = CASE WHEN $3 = 'screened' THEN $4 ELSE screened_ms END,"
        " trained_ms = CASE WHEN $3 = 'trained' THEN $4 ELSE trained_ms END,"
        " certified_ms = CASE WHEN $3 = 'certified' THEN $4 ELSE certified_ms END,"
        " failed_ms = CASE WHEN $3 IN ('failed', 'rejected') THEN $4 ELSE failed_ms END"
        " WHERE credential_id = $1 AND user_id = $2 AND state = $6",
        &s);
    if (!err) {
        ac_db_bind_int64(s, 1, credential_id);
        ac_db_bind_int64(s, 2, user_id);
        ac_db_bind_text(s, 3, to_name, -1);
        ac_db_bind_int64(s, 4, now_ms);
        if (screening)
            ac_db_bind_text(s, 5, screening, -1);
        ac_db_bind_text(s, 6, from_name, -1);
        err = ac__store_done(st, s);
    }
    if (!err && ac_db_changes(ac__store_db(st)) == 0) {
        struct ac_reviewer_cert c;
        err = ac_store_reviewer_cert_get(st, credential_id, user_id, &c);
        if (!err) {
            ac_reviewer_cert_release(&c);
            err = AC_ECONFLICT;
        }
    }
    return ac__store_end(st, err);
}
