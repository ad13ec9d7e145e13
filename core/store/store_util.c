/* store_util.c - small helpers the core/store_*.c files share for stepping
 * statements and reading text columns. */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "internal.h"

int ac__store_end(struct ac_store *st, int err)
{
    if (!err)
        return ac__store_commit(st);
    ac__store_rollback(st);
    return err;
}

int ac__store_done(struct ac_store *st, sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : ac__store_error(st, rc);
}

void ac__text_copy(char *dst, size_t size, const unsigned char *src)
{
    if (!src)
        src = (const unsigned char *)"";
    size_t n = strlen((const char *)src);
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

char *ac__text_dup(const unsigned char *src)
{
    return strdup(src ? (const char *)src : "");
}

void ac__col_copy(char *dst, size_t size, sqlite3_stmt *s, int col)
{
    ac__text_copy(dst, size, sqlite3_column_text(s, col));
}

char *ac__col_dup(sqlite3_stmt *s, int col)
{
    return ac__text_dup(sqlite3_column_text(s, col));
}
