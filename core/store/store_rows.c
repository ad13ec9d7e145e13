/* store_rows.c - the row-reading loops shared by core/store_*.c: one row or
 * none (ac__store_one), every row into a growing array (ac__store_collect),
 * or up to a caller-sized buffer (ac__store_fill). Keeping them here means the
 * "release what was read on error" rule is written once. */
#include <stdint.h>
#include <stdlib.h>

#include "accord/base/array.h"
#include "accord/base/error.h"
#include "internal.h"

/* Element |i| of an array whose elements are |size| bytes. */
static void *elem_at(void *arr, size_t size, size_t i)
{
    return (char *)arr + i * size;
}

static void release_first(const struct ac__row_type *type, void *arr, size_t k)
{
    if (!type->release)
        return;
    for (size_t i = 0; i < k; i++)
        type->release(elem_at(arr, type->size, i));
}

static int read_int64(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    (void)st;
    *(int64_t *)elem = ac_db_col_int64(s, 0);
    return 0;
}

const struct ac__row_type ac__int64_rows = {sizeof(int64_t), read_int64, NULL};

int ac__store_one(struct ac_store *st, struct ac_db_stmt *s, const struct ac__row_type *type,
                  void *out)
{
    int err;
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW)
        err = type->read(st, s, out);
    else
        err = rc == AC_DB_DONE ? AC_ENOENT : ac__store_error(st, rc);
    ac_db_reset(s);
    return err;
}

int ac__store_int64(struct ac_store *st, struct ac_db_stmt *s, int64_t *out)
{
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW)
        *out = ac_db_col_int64(s, 0);
    ac_db_reset(s);
    return rc == AC_DB_ROW ? 0 : ac__store_error(st, rc);
}

int ac__store_collect(struct ac_store *st, struct ac_db_stmt *s, const struct ac__row_type *type,
                      void **out, size_t *n)
{
    void *arr = NULL;
    size_t cap = 0, k = 0;
    int err = 0;
    int rc;
    while (!err && (rc = ac_db_step(s)) == AC_DB_ROW) {
        err = ac_array_grow(&arr, &cap, k + 1, type->size);
        if (!err)
            err = type->read(st, s, elem_at(arr, type->size, k));
        if (!err)
            k++;
    }
    if (!err && rc != AC_DB_DONE)
        err = ac__store_error(st, rc);
    ac_db_reset(s);
    if (err) {
        release_first(type, arr, k);
        free(arr);
        return err;
    }
    *out = arr;
    *n = k;
    return 0;
}

int ac__store_fill(struct ac_store *st, struct ac_db_stmt *s, const struct ac__row_type *type,
                   void *out, size_t max, size_t *n)
{
    size_t k = 0;
    int err = 0;
    int rc = AC_DB_DONE;
    while (k < max && (rc = ac_db_step(s)) == AC_DB_ROW) {
        err = type->read(st, s, elem_at(out, type->size, k));
        if (err)
            break;
        k++;
    }
    if (!err && k < max && rc != AC_DB_DONE)
        err = ac__store_error(st, rc);
    ac_db_reset(s);
    if (err) {
        release_first(type, out, k);
        return err;
    }
    *n = k;
    return 0;
}
