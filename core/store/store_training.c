/* store_training.c - the generated training module of each credential and
 * the node's one general module. */
#include <stdlib.h>

#include "accord/base/error.h"
#include "accord/store/training.h"
#include "internal.h"

static int put(struct ac_store *st, const char *sql, int64_t key, const char *content, int64_t by,
               int64_t now_ms)
{
    int err = ac__store_begin(st);
    if (err)
        return err;
    struct ac_db_stmt *s;
    err = ac__store_stmt(st, sql, &s);
    if (!err) {
        ac_db_bind_int64(s, 1, key);
        ac_db_bind_text(s, 2, content, -1);
        ac_db_bind_int64(s, 3, by);
        ac_db_bind_int64(s, 4, now_ms);
        err = ac__store_done(st, s);
    }
    return ac__store_end(st, err);
}

static int get(struct ac_store *st, const char *sql, int64_t key, char **content, int64_t *ms)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, sql, &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, key);
    int rc = ac_db_step(s);
    char *c = NULL;
    int64_t at = 0;
    if (rc == AC_DB_ROW) {
        c = ac__col_dup(s, 0);
        at = ac_db_col_int64(s, 1);
        err = c ? 0 : AC_ENOMEM;
    } else {
        err = rc == AC_DB_DONE ? AC_ENOENT : ac__store_error(st, rc);
    }
    ac_db_reset(s);
    if (err)
        return err;
    *content = c;
    *ms = at;
    return 0;
}

int ac_store_training_put(struct ac_store *st, int64_t credential_id, const char *content,
                          int64_t by, int64_t now_ms)
{
    return put(st,
               "INSERT INTO training_modules(credential_id, content, generated_by, generated_ms)"
               " VALUES ($1, $2, $3, $4) ON CONFLICT (credential_id) DO UPDATE SET"
               " content = excluded.content, generated_by = excluded.generated_by,"
               " generated_ms = excluded.generated_ms",
               credential_id, content, by, now_ms);
}

int ac_store_training_get(struct ac_store *st, int64_t credential_id, char **content,
                          int64_t *generated_ms)
{
    return get(st, "SELECT content, generated_ms FROM training_modules WHERE credential_id = $1",
               credential_id, content, generated_ms);
}

int ac_store_general_put(struct ac_store *st, const char *content, int64_t by, int64_t now_ms)
{
    return put(st,
               "INSERT INTO general_module(id, content, updated_by, updated_ms)"
               " VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET"
               " content = excluded.content, updated_by = excluded.updated_by,"
               " updated_ms = excluded.updated_ms",
               1, content, by, now_ms);
}

int ac_store_general_get(struct ac_store *st, char **content, int64_t *updated_ms)
{
    return get(st, "SELECT content, updated_ms FROM general_module WHERE id = $1", 1, content,
               updated_ms);
}
