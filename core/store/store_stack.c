/* store_stack.c - stacks of credentials and the stack credentials issued
 * (stack.h). */
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/stack.h"
#include "review_internal.h"

void ac_stack_release(struct ac_stack *s)
{
    if (!s)
        return;
    free(s->title);
    free(s->members);
    s->title = s->members = NULL;
}

int ac_store_stack_create(struct ac_store *st, const char *id, const char *title,
                          const char *members, int64_t ceu_hundredths, int64_t by, int64_t now_ms)
{
    int err = ac__review_in_tx(st);
    struct ac_db_stmt *s;
    if (!err)
        err = ac__store_stmt(st,
                             "INSERT INTO stacks(id, title, members, ceu_hundredths, created_by,"
                             " created_ms) VALUES ($1, $2, $3, $4, $5, $6)",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, id, -1);
    ac_db_bind_text(s, 2, title, -1);
    ac_db_bind_text(s, 3, members, -1);
    ac_db_bind_int64(s, 4, ceu_hundredths);
    ac_db_bind_int64(s, 5, by);
    ac_db_bind_int64(s, 6, now_ms);
    return ac__store_done(st, s);
}

static int read_stack(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    (void)st;
    struct ac_stack *k = elem;
    memset(k, 0, sizeof *k);
    ac__col_copy(k->id, sizeof k->id, s, 0);
    k->ceu_hundredths = ac_db_col_int64(s, 3);
    k->created_by = ac_db_col_int64(s, 4);
    k->created_ms = ac_db_col_int64(s, 5);
    k->title = ac__col_dup(s, 1);
    k->members = ac__col_dup(s, 2);
    if (!k->title || !k->members) {
        ac_stack_release(k);
        return AC_ENOMEM;
    }
    return 0;
}

static void release_stack(void *elem)
{
    ac_stack_release(elem);
}

static const struct ac__row_type stack_rows = {sizeof(struct ac_stack), read_stack, release_stack};

#define STACK_COLUMNS "id, title, members, ceu_hundredths, created_by, created_ms"

int ac_store_stack_get(struct ac_store *st, const char *id, struct ac_stack *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT " STACK_COLUMNS " FROM stacks WHERE id = $1", &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, id, -1);
    return ac__store_one(st, s, &stack_rows, out);
}

int ac_store_stack_list(struct ac_store *st, struct ac_stack **out, size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT " STACK_COLUMNS " FROM stacks ORDER BY id", &s);
    if (err)
        return err;
    return ac__store_collect(st, s, &stack_rows, (void **)out, n);
}

int ac_store_stack_record_get(struct ac_store *st, const char *stack_id, int64_t earner_id,
                              int64_t *record_id)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT record_id FROM stack_records WHERE stack_id = $1"
                             " AND earner_id = $2",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, stack_id, -1);
    ac_db_bind_int64(s, 2, earner_id);
    return ac__store_one(st, s, &ac__int64_rows, record_id);
}

int ac_store_stack_record_set(struct ac_store *st, const char *stack_id, int64_t earner_id,
                              int64_t record_id, int64_t now_ms)
{
    int err = ac__review_in_tx(st);
    struct ac_db_stmt *s;
    if (!err)
        err = ac__store_stmt(st,
                             "INSERT INTO stack_records(stack_id, earner_id, record_id, issued_ms)"
                             " VALUES ($1, $2, $3, $4)",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, stack_id, -1);
    ac_db_bind_int64(s, 2, earner_id);
    ac_db_bind_int64(s, 3, record_id);
    ac_db_bind_int64(s, 4, now_ms);
    return ac__store_done(st, s);
}
