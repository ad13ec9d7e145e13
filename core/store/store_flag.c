/* store_flag.c - the issuer's flags inbox: near-duplicates, escalations and
 * reviewer-monitoring findings, each resolved once by an admin. */
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/flag.h"
#include "review_internal.h"

void ac_flag_release(struct ac_flag *f)
{
    if (!f)
        return;
    free(f->detail);
    free(f->resolution);
    f->detail = f->resolution = NULL;
}

int ac_store_flag_add(struct ac_store *st, const char *kind, const char *credential_id,
                      int64_t submission_id, int64_t reviewer_id, const char *detail,
                      int64_t now_ms, int64_t *id)
{
    int err = ac__review_in_tx(st);
    struct ac_db_stmt *s;
    if (!err)
        err = ac__store_stmt(st,
                             "INSERT INTO flags(kind, credential_id, submission_id, reviewer_id,"
                             " detail, created_ms) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, kind, -1);
    ac_db_bind_text(s, 2, credential_id, -1);
    ac_db_bind_int64(s, 3, submission_id);
    ac_db_bind_int64(s, 4, reviewer_id);
    ac_db_bind_text(s, 5, detail, -1);
    ac_db_bind_int64(s, 6, now_ms);
    int64_t row = 0;
    err = ac__store_insert_id(st, s, &row);
    if (!err && id)
        *id = row;
    return err;
}

#define FLAG_COLUMNS                                                                               \
    "id, kind, credential_id, submission_id, reviewer_id, detail, resolved, resolution,"           \
    " resolved_by, created_ms, resolved_ms"

static int read_flag(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    (void)st;
    struct ac_flag *f = elem;
    memset(f, 0, sizeof *f);
    f->id = ac_db_col_int64(s, 0);
    ac__col_copy(f->kind, sizeof f->kind, s, 1);
    ac__col_copy(f->credential_id, sizeof f->credential_id, s, 2);
    f->submission_id = ac_db_col_int64(s, 3);
    f->reviewer_id = ac_db_col_int64(s, 4);
    f->detail = ac__col_dup(s, 5);
    f->resolved = (int)ac_db_col_int64(s, 6);
    f->resolution = ac__col_dup(s, 7);
    f->resolved_by = ac_db_col_int64(s, 8);
    f->created_ms = ac_db_col_int64(s, 9);
    f->resolved_ms = ac_db_col_int64(s, 10);
    if (!f->detail || !f->resolution) {
        ac_flag_release(f);
        return AC_ENOMEM;
    }
    return 0;
}

static void release_flag(void *elem)
{
    ac_flag_release(elem);
}

static const struct ac__row_type flag_rows = {sizeof(struct ac_flag), read_flag, release_flag};

int ac_store_flag_get(struct ac_store *st, int64_t id, struct ac_flag *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT " FLAG_COLUMNS " FROM flags WHERE id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    return ac__store_one(st, s, &flag_rows, out);
}

int ac_store_flag_list(struct ac_store *st, int open_only, int64_t after_id, size_t max,
                       struct ac_flag **out, size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT " FLAG_COLUMNS " FROM flags WHERE id > $1"
                             " AND ($2 = 0 OR resolved = 0) ORDER BY id LIMIT $3",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, after_id);
    ac_db_bind_int64(s, 2, open_only);
    ac_db_bind_int64(s, 3, (int64_t)max);
    void *arr;
    err = ac__store_collect(st, s, &flag_rows, &arr, n);
    if (!err)
        *out = arr;
    return err;
}

int ac_store_flag_resolve(struct ac_store *st, int64_t id, int64_t user_id, const char *resolution,
                          int64_t now_ms)
{
    int err = ac__review_in_tx(st);
    struct ac_db_stmt *s;
    if (!err)
        err = ac__store_stmt(st,
                             "UPDATE flags SET resolved = 1, resolution = $2, resolved_by = $3,"
                             " resolved_ms = $4 WHERE id = $1 AND resolved = 0",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    ac_db_bind_text(s, 2, resolution, -1);
    ac_db_bind_int64(s, 3, user_id);
    ac_db_bind_int64(s, 4, now_ms);
    err = ac__review_step_changed(st, s);
    if (err == AC_ENOENT) {
        struct ac_flag f;
        if (ac_store_flag_get(st, id, &f) == 0) {
            ac_flag_release(&f);
            return AC_ECONFLICT;
        }
    }
    return err;
}
