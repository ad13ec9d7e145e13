/* store_credential.c - credential definition versions and their lifecycle
 * state: one row per (definition id, version), JSON frozen outside draft. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/credential.h"
#include "internal.h"

#define CRED_COLUMNS                                                                               \
    "id, def_id, version, content_hash, state, title, definition, created_by, created_ms,"         \
    " updated_ms, activated_ms, activation_override, pilot_round, pilot_statistic,"                \
    " pilot_threshold"

void ac_credential_release(struct ac_credential *c)
{
    if (!c)
        return;
    free(c->title);
    free(c->definition);
    memset(c, 0, sizeof *c);
}

static int read_cred(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    (void)st;
    struct ac_credential *c = elem;
    memset(c, 0, sizeof *c);
    c->id = ac_db_col_int64(s, 0);
    ac__col_copy(c->def_id, sizeof c->def_id, s, 1);
    c->version = ac_db_col_int64(s, 2);
    ac__col_copy(c->content_hash, sizeof c->content_hash, s, 3);
    enum ac_def_state state = AC_DEF_DRAFT;
    if (ac_def_state_parse(ac_db_col_text(s, 4), &state) != 0)
        return AC_EDB; /* the CHECK constraint makes this unreachable */
    c->state = state;
    c->title = ac__col_dup(s, 5);
    c->definition = ac__col_dup(s, 6);
    c->created_by = ac_db_col_int64(s, 7);
    c->created_ms = ac_db_col_int64(s, 8);
    c->updated_ms = ac_db_col_int64(s, 9);
    c->activated_ms = ac_db_col_int64(s, 10);
    c->activation_override = (int)ac_db_col_int64(s, 11) != 0;
    c->pilot_round = ac_db_col_int64(s, 12);
    ac__col_copy(c->pilot_statistic, sizeof c->pilot_statistic, s, 13);
    c->pilot_threshold = ac_db_col_double(s, 14);
    if (!c->title || !c->definition) {
        ac_credential_release(c);
        return AC_ENOMEM;
    }
    return 0;
}

static void release_cred(void *elem)
{
    ac_credential_release(elem);
}

static const struct ac__row_type cred_rows = {sizeof(struct ac_credential), read_cred,
                                              release_cred};

int ac_store_credential_create(struct ac_store *st, const char *def_id, int64_t version,
                               const char *title, const char *definition, const char *content_hash,
                               int64_t created_by, int64_t now_ms, int64_t *id)
{
    size_t idlen = strlen(def_id);
    if (idlen == 0 || idlen > AC_CREDENTIAL_ID_MAX || version < 1 ||
        strlen(content_hash) > AC_DEF_HASH_HEX_LEN)
        return AC_EINVAL;
    int err = ac__store_begin(st);
    if (err)
        return err;
    struct ac_db_stmt *s;
    int64_t row = 0;
    err = ac__store_stmt(st,
                         "INSERT INTO credentials(def_id, version, title, definition,"
                         " content_hash, state, created_by, created_ms, updated_ms)"
                         " VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $7) RETURNING id",
                         &s);
    if (!err) {
        ac_db_bind_text(s, 1, def_id, -1);
        ac_db_bind_int64(s, 2, version);
        ac_db_bind_text(s, 3, title, -1);
        ac_db_bind_text(s, 4, definition, -1);
        ac_db_bind_text(s, 5, content_hash, -1);
        ac_db_bind_int64(s, 6, created_by);
        ac_db_bind_int64(s, 7, now_ms);
        err = ac__store_insert_id(st, s, &row);
    }
    err = ac__store_end(st, err);
    if (!err)
        *id = row;
    return err;
}

int ac_store_credential_get(struct ac_store *st, int64_t id, struct ac_credential *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT " CRED_COLUMNS " FROM credentials WHERE id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    return ac__store_one(st, s, &cred_rows, out);
}

int ac_store_credential_find(struct ac_store *st, const char *def_id, int64_t version,
                             struct ac_credential *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT " CRED_COLUMNS " FROM credentials WHERE def_id = $1"
                             " AND ($2 = 0 OR version = $2) ORDER BY version DESC LIMIT 1",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, def_id, -1);
    ac_db_bind_int64(s, 2, version);
    return ac__store_one(st, s, &cred_rows, out);
}

int ac_store_credential_list(struct ac_store *st, int64_t after_id, const char *def_id,
                             struct ac_credential *out, size_t max, size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT " CRED_COLUMNS " FROM credentials WHERE id > $1"
                             " AND (CAST($2 AS TEXT) IS NULL OR def_id = $2) ORDER BY id LIMIT $3",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, after_id);
    if (def_id)
        ac_db_bind_text(s, 2, def_id, -1);
    ac_db_bind_int64(s, 3, (int64_t)max);
    return ac__store_fill(st, s, &cred_rows, out, max, n);
}

/* Reads the state of row |id| inside the caller's transaction. */
static int state_of(struct ac_store *st, int64_t id, enum ac_def_state *state)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT state FROM credentials WHERE id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW)
        err = ac_def_state_parse(ac_db_col_text(s, 0), state) ? AC_EDB : 0;
    else
        err = rc == AC_DB_DONE ? AC_ENOENT : ac__store_error(st, rc);
    ac_db_reset(s);
    return err;
}

int ac_store_credential_update(struct ac_store *st, int64_t id, const char *title,
                               const char *definition, const char *content_hash, int64_t now_ms)
{
    int err = ac__store_begin(st);
    if (err)
        return err;
    enum ac_def_state state;
    err = state_of(st, id, &state);
    if (!err && state != AC_DEF_DRAFT)
        err = AC_ECONFLICT;
    struct ac_db_stmt *s;
    if (!err)
        err = ac__store_stmt(st,
                             "UPDATE credentials SET title = $2, definition = $3,"
                             " content_hash = $4, updated_ms = $5 WHERE id = $1",
                             &s);
    if (!err) {
        ac_db_bind_int64(s, 1, id);
        ac_db_bind_text(s, 2, title, -1);
        ac_db_bind_text(s, 3, definition, -1);
        ac_db_bind_text(s, 4, content_hash, -1);
        ac_db_bind_int64(s, 5, now_ms);
        err = ac__store_done(st, s);
    }
    return ac__store_end(st, err);
}

int ac_store_credential_transition(struct ac_store *st, int64_t id, enum ac_def_state from,
                                   enum ac_def_state to, bool override, int64_t now_ms)
{
    const char *to_name = ac_def_state_name(to);
    if (!to_name || !ac_def_state_name(from))
        return AC_EINVAL;
    int err = ac__store_begin(st);
    if (err)
        return err;
    enum ac_def_state state;
    err = state_of(st, id, &state);
    if (!err && state != from)
        err = AC_ECONFLICT;
    struct ac_db_stmt *s;
    if (!err)
        err = ac__store_stmt(
            st,
            "UPDATE credentials SET state = $2, updated_ms = $3,"
            " activated_ms = CASE WHEN $2 = 'active' AND activated_ms = 0 THEN $3"
            " ELSE activated_ms END,"
            " activation_override = CASE WHEN $2 = 'active' THEN $4 ELSE activation_override END"
            " WHERE id = $1",
            &s);
    if (!err) {
        ac_db_bind_int64(s, 1, id);
        ac_db_bind_text(s, 2, to_name, -1);
        ac_db_bind_int64(s, 3, now_ms);
        ac_db_bind_int64(s, 4, override ? 1 : 0);
        err = ac__store_done(st, s);
    }
    return ac__store_end(st, err);
}

int ac_store_credential_pilot_round(struct ac_store *st, int64_t id, const char *statistic,
                                    double threshold, int64_t now_ms, int64_t *round)
{
    if (strlen(statistic) > AC_PILOT_STATISTIC_MAX)
        return AC_EINVAL;
    int err = ac__store_begin(st);
    if (err)
        return err;
    struct ac_db_stmt *s;
    err = ac__store_stmt(st,
                         "UPDATE credentials SET pilot_round = pilot_round + 1,"
                         " pilot_statistic = $2, pilot_threshold = CAST($3 AS DOUBLE PRECISION),"
                         " updated_ms = $4"
                         " WHERE id = $1 RETURNING pilot_round",
                         &s);
    int64_t r = 0;
    if (!err) {
        ac_db_bind_int64(s, 1, id);
        ac_db_bind_text(s, 2, statistic, -1);
        /* The seam binds no doubles: %.17g text converts back exactly. */
        char num[32];
        snprintf(num, sizeof num, "%.17g", threshold);
        ac_db_bind_text(s, 3, num, -1);
        ac_db_bind_int64(s, 4, now_ms);
        int rc = ac_db_step(s);
        if (rc == AC_DB_ROW) {
            r = ac_db_col_int64(s, 0);
            rc = ac_db_step(s);
        } else if (rc == AC_DB_DONE) {
            err = AC_ENOENT;
        }
        if (!err && rc != AC_DB_DONE)
            err = ac__store_error(st, rc);
        ac_db_reset(s);
    }
    err = ac__store_end(st, err);
    if (!err)
        *round = r;
    return err;
}
