/* store_team.c - teams of earners with each member's confirmation, and
 * appeals of decided submissions (team.h). */
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/team.h"
#include "review_internal.h"

int ac_store_team_create(struct ac_store *st, const char *credential_id, const char *name,
                         int64_t created_by, const int64_t *members, size_t n, int64_t now_ms,
                         int64_t *id)
{
    if (n + 1 > AC_TEAM_MAX_MEMBERS)
        return AC_EINVAL;
    int err = ac__review_in_tx(st);
    struct ac_db_stmt *s;
    int64_t team = 0;
    if (!err)
        err = ac__store_stmt(st,
                             "INSERT INTO teams(credential_id, name, created_by, created_ms)"
                             " VALUES ($1, $2, $3, $4) RETURNING id",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, credential_id, -1);
    ac_db_bind_text(s, 2, name, -1);
    ac_db_bind_int64(s, 3, created_by);
    ac_db_bind_int64(s, 4, now_ms);
    err = ac__store_insert_id(st, s, &team);
    for (size_t i = 0; !err && i <= n; i++) {
        err = ac__store_stmt(st,
                             "INSERT INTO team_members(team_id, user_id, confirmed_ms)"
                             " VALUES ($1, $2, $3)",
                             &s);
        if (err)
            break;
        /* The declaring member confirms by declaring. */
        ac_db_bind_int64(s, 1, team);
        ac_db_bind_int64(s, 2, i == n ? created_by : members[i]);
        ac_db_bind_int64(s, 3, i == n ? now_ms : 0);
        err = ac__store_done(st, s);
    }
    if (!err)
        *id = team;
    return err;
}

int ac_store_team_confirm(struct ac_store *st, int64_t team_id, int64_t user_id, int64_t now_ms)
{
    int err = ac__review_in_tx(st);
    struct ac_db_stmt *s;
    if (!err)
        err = ac__store_stmt(st,
                             "UPDATE team_members SET confirmed_ms = CASE confirmed_ms WHEN 0"
                             " THEN $3 ELSE confirmed_ms END WHERE team_id = $1 AND user_id = $2",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, team_id);
    ac_db_bind_int64(s, 2, user_id);
    ac_db_bind_int64(s, 3, now_ms);
    return ac__review_step_changed(st, s);
}

static int read_team(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    struct ac_team *t = elem;
    memset(t, 0, sizeof *t);
    t->id = ac_db_col_int64(s, 0);
    ac__col_copy(t->credential_id, sizeof t->credential_id, s, 1);
    ac__col_copy(t->name, sizeof t->name, s, 2);
    t->created_by = ac_db_col_int64(s, 3);
    t->created_ms = ac_db_col_int64(s, 4);
    struct ac_db_stmt *m;
    int err = ac__store_stmt(st,
                             "SELECT user_id, confirmed_ms FROM team_members WHERE team_id = $1"
                             " ORDER BY user_id",
                             &m);
    if (err)
        return err;
    ac_db_bind_int64(m, 1, t->id);
    int rc;
    while ((rc = ac_db_step(m)) == AC_DB_ROW && t->n_members < AC_TEAM_MAX_MEMBERS) {
        t->members[t->n_members].user_id = ac_db_col_int64(m, 0);
        t->members[t->n_members].confirmed_ms = ac_db_col_int64(m, 1);
        t->n_members++;
    }
    err = rc == AC_DB_ROW || rc == AC_DB_DONE ? 0 : ac__store_error(st, rc);
    ac_db_reset(m);
    return err;
}

static const struct ac__row_type team_rows = {sizeof(struct ac_team), read_team, NULL};

#define TEAM_COLUMNS "id, credential_id, name, created_by, created_ms"

int ac_store_team_get(struct ac_store *st, int64_t id, struct ac_team *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT " TEAM_COLUMNS " FROM teams WHERE id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    return ac__store_one(st, s, &team_rows, out);
}

int ac_store_team_find(struct ac_store *st, const char *credential_id, const char *name,
                       struct ac_team *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st, "SELECT " TEAM_COLUMNS " FROM teams WHERE credential_id = $1 AND name = $2", &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, credential_id, -1);
    ac_db_bind_text(s, 2, name, -1);
    return ac__store_one(st, s, &team_rows, out);
}

/* ---- appeals ---- */

static const char *const appeal_states[] = {"open", "assigned", "upheld", "overturned", NULL};

const char *ac_appeal_state_name(enum ac_appeal_state s)
{
    return (unsigned)s < 4 ? appeal_states[s] : NULL;
}

void ac_appeal_release(struct ac_appeal *a)
{
    if (!a)
        return;
    free(a->reason);
    free(a->note);
    a->reason = a->note = NULL;
}

static int read_appeal(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    (void)st;
    struct ac_appeal *a = elem;
    memset(a, 0, sizeof *a);
    a->id = ac_db_col_int64(s, 0);
    a->submission_id = ac_db_col_int64(s, 1);
    a->earner_id = ac_db_col_int64(s, 2);
    const char *state = ac_db_col_text(s, 4);
    for (int i = 0; state && appeal_states[i]; i++)
        if (strcmp(appeal_states[i], state) == 0)
            a->state = (enum ac_appeal_state)i;
    a->master_id = ac_db_col_int64(s, 5);
    a->level = (int)ac_db_col_int64(s, 6);
    a->decided_by = ac_db_col_int64(s, 8);
    a->created_ms = ac_db_col_int64(s, 9);
    a->decided_ms = ac_db_col_int64(s, 10);
    a->reason = ac__col_dup(s, 3);
    a->note = ac__col_dup(s, 7);
    if (!a->reason || !a->note) {
        ac_appeal_release(a);
        return AC_ENOMEM;
    }
    return 0;
}

static void release_appeal(void *elem)
{
    ac_appeal_release(elem);
}

static const struct ac__row_type appeal_rows = {sizeof(struct ac_appeal), read_appeal,
                                                release_appeal};

#define APPEAL_COLUMNS                                                                             \
    "id, submission_id, earner_id, reason, state, master_id, level, note, decided_by,"             \
    " created_ms, decided_ms"

int ac_store_appeal_create(struct ac_store *st, int64_t submission_id, int64_t earner_id,
                           const char *reason, int64_t now_ms, int64_t *id)
{
    int err = ac__review_in_tx(st);
    struct ac_db_stmt *s;
    if (!err)
        err = ac__store_stmt(st,
                             "INSERT INTO appeals(submission_id, earner_id, reason, state,"
                             " created_ms) VALUES ($1, $2, $3, 'open', $4) RETURNING id",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, submission_id);
    ac_db_bind_int64(s, 2, earner_id);
    ac_db_bind_text(s, 3, reason, -1);
    ac_db_bind_int64(s, 4, now_ms);
    err = ac__store_insert_id(st, s, id);
    return err;
}

int ac_store_appeal_get(struct ac_store *st, int64_t id, struct ac_appeal *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT " APPEAL_COLUMNS " FROM appeals WHERE id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    return ac__store_one(st, s, &appeal_rows, out);
}

int ac_store_appeal_assign(struct ac_store *st, int64_t id, int64_t master_id)
{
    int err = ac__review_in_tx(st);
    struct ac_db_stmt *s;
    if (!err)
        err = ac__store_stmt(st,
                             "UPDATE appeals SET state = 'assigned', master_id = $2"
                             " WHERE id = $1 AND state = 'open'",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    ac_db_bind_int64(s, 2, master_id);
    return ac__review_step_changed(st, s);
}

int ac_store_appeal_decide(struct ac_store *st, int64_t id, enum ac_appeal_state state, int level,
                           const char *note, int64_t by, int64_t now_ms)
{
    const char *name = ac_appeal_state_name(state);
    if (state != AC_APPEAL_UPHELD && state != AC_APPEAL_OVERTURNED)
        return AC_EINVAL;
    int err = ac__review_in_tx(st);
    struct ac_db_stmt *s;
    if (!err)
        err =
            ac__store_stmt(st,
                           "UPDATE appeals SET state = $2, level = $3, note = $4, decided_by = $5,"
                           " decided_ms = $6 WHERE id = $1 AND state IN ('open', 'assigned')",
                           &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    ac_db_bind_text(s, 2, name, -1);
    ac_db_bind_int64(s, 3, level);
    ac_db_bind_text(s, 4, note ? note : "", -1);
    ac_db_bind_int64(s, 5, by);
    ac_db_bind_int64(s, 6, now_ms);
    return ac__review_step_changed(st, s);
}

int ac_store_appeal_list(struct ac_store *st, int64_t earner_id, struct ac_appeal **out, size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT " APPEAL_COLUMNS " FROM appeals WHERE $1 = 0 OR earner_id = $1"
                             " ORDER BY id",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, earner_id);
    return ac__store_collect(st, s, &appeal_rows, (void **)out, n);
}
