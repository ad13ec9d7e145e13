/* store_util.c - small helpers the core/store_*.c files share for stepping
 * statements (one or one per id) and reading text columns. */
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "internal.h"

int ac__store_end(struct ac_store *st, int err)
{
    if (!err)
        return ac__store_commit(st);
    ac__store_rollback(st);
    return err;
}

int ac__store_done(struct ac_store *st, struct ac_db_stmt *s)
{
    (void)st;
    int rc = ac_db_step(s);
    ac_db_reset(s);
    return rc == AC_DB_DONE ? 0 : ac__store_error(st, rc);
}

int ac__store_insert_id(struct ac_store *st, struct ac_db_stmt *s, int64_t *id)
{
    (void)st;
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW)
        *id = ac_db_col_int64(s, 0);
    ac_db_reset(s);
    return rc == AC_DB_ROW ? 0 : rc == AC_DB_DONE ? AC_ENOENT : rc;
}

int ac__store_each_pair(struct ac_store *st, const char *sql, int64_t id, const int64_t *ids,
                        size_t n)
{
    int err = 0;
    for (size_t i = 0; !err && i < n; i++) {
        struct ac_db_stmt *s;
        err = ac__store_stmt(st, sql, &s);
        if (!err) {
            ac_db_bind_int64(s, 1, id);
            ac_db_bind_int64(s, 2, ids[i]);
            err = ac__store_done(st, s);
        }
    }
    return err;
}

void ac__text_copy(char *dst, size_t size, const char *src)
{
    if (!src)
        src = "";
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

char *ac__text_dup(const char *src)
{
    return strdup(src ? src : "");
}

void ac__col_copy(char *dst, size_t size, struct ac_db_stmt *s, int col)
{
    ac__text_copy(dst, size, ac_db_col_text(s, col));
}

char *ac__col_dup(struct ac_db_stmt *s, int col)
{
    return ac__text_dup(ac_db_col_text(s, col));
}
