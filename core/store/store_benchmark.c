/* store_benchmark.c - the benchmark database: items, their independent expert
 * scores, the conference-resolved final level with annotations, exposures. */
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/benchmark.h"
#include "internal.h"

void ac_bench_row_release(struct ac_bench_row *b)
{
    if (!b)
        return;
    free(b->content);
    free(b->key_characteristics);
    free(b->common_errors);
    b->content = b->key_characteristics = b->common_errors = NULL;
}

#define ITEM_COLUMNS                                                                               \
    "i.id, i.credential_id, i.label, i.content, i.final_level, i.key_characteristics,"             \
    " i.common_errors, i.resolved_by, i.exposures"

/* Reads the item columns and then its expert scores with a second statement. */
static int read_item(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    struct ac_bench_row *b = elem;
    memset(b, 0, sizeof *b);
    b->id = ac_db_col_int64(s, 0);
    b->credential_id = ac_db_col_int64(s, 1);
    ac__col_copy(b->label, sizeof b->label, s, 2);
    b->content = ac__col_dup(s, 3);
    b->final_level = ac_db_col_is_null(s, 4) ? -1 : (int)ac_db_col_int64(s, 4);
    b->key_characteristics = ac__col_dup(s, 5);
    b->common_errors = ac__col_dup(s, 6);
    b->resolved_by = ac_db_col_int64(s, 7);
    b->exposures = ac_db_col_int64(s, 8);
    if (!b->content || !b->key_characteristics || !b->common_errors) {
        ac_bench_row_release(b);
        return AC_ENOMEM;
    }
    struct ac_db_stmt *q;
    int err = ac__store_stmt(
        st, "SELECT expert_id, level FROM bench_scores WHERE item_id = $1 ORDER BY expert_id", &q);
    if (err) {
        ac_bench_row_release(b);
        return err;
    }
    ac_db_bind_int64(q, 1, b->id);
    int rc;
    while ((rc = ac_db_step(q)) == AC_DB_ROW && b->n_experts < AC_STORE_BENCH_EXPERTS) {
        b->experts[b->n_experts] = ac_db_col_int64(q, 0);
        b->levels[b->n_experts] = ac_db_col_is_null(q, 1) ? -1 : (int)ac_db_col_int64(q, 1);
        b->n_experts++;
    }
    if (rc != AC_DB_DONE && rc != AC_DB_ROW)
        err = ac__store_error(st, rc);
    ac_db_reset(q);
    if (err)
        ac_bench_row_release(b);
    return err;
}

static void release_item(void *elem)
{
    ac_bench_row_release(elem);
}

static const struct ac__row_type item_rows = {sizeof(struct ac_bench_row), read_item, release_item};

int ac_store_bench_add(struct ac_store *st, int64_t credential_id, const char *label,
                       const char *content, const int64_t *experts, size_t n, int64_t now_ms,
                       int64_t *id)
{
    size_t len = strlen(label);
    if (len == 0 || len > AC_ITEM_LABEL_MAX || n < 2 || n > AC_STORE_BENCH_EXPERTS)
        return AC_EINVAL;
    int err = ac__store_begin(st);
    if (err)
        return err;
    struct ac_db_stmt *s;
    int64_t row = 0;
    err = ac__store_stmt(st,
                         "INSERT INTO bench_items(credential_id, label, content, created_ms)"
                         " VALUES ($1, $2, $3, $4) RETURNING id",
                         &s);
    if (!err) {
        ac_db_bind_int64(s, 1, credential_id);
        ac_db_bind_text(s, 2, label, -1);
        ac_db_bind_text(s, 3, content, -1);
        ac_db_bind_int64(s, 4, now_ms);
        err = ac__store_insert_id(st, s, &row);
    }
    if (!err)
        err = ac__store_each_pair(
            st, "INSERT INTO bench_scores(item_id, expert_id) VALUES ($1, $2)", row, experts, n);
    err = ac__store_end(st, err);
    if (!err)
        *id = row;
    return err;
}

int ac_store_bench_get(struct ac_store *st, int64_t item_id, struct ac_bench_row *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT " ITEM_COLUMNS " FROM bench_items i WHERE i.id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, item_id);
    return ac__store_one(st, s, &item_rows, out);
}

int ac_store_bench_list(struct ac_store *st, int64_t credential_id, int64_t expert_id,
                        int64_t after, struct ac_bench_row *out, size_t max, size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT " ITEM_COLUMNS " FROM bench_items i WHERE i.id > $1"
                             " AND ($3 = 0 OR i.credential_id = $3)"
                             " AND ($2 = 0 OR EXISTS (SELECT 1 FROM bench_scores b"
                             " WHERE b.item_id = i.id AND b.expert_id = $2))"
                             " AND ($2 != 0 OR $3 != 0) ORDER BY i.id LIMIT $4",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, after);
    ac_db_bind_int64(s, 2, expert_id);
    ac_db_bind_int64(s, 3, credential_id);
    ac_db_bind_int64(s, 4, (int64_t)max);
    return ac__store_fill(st, s, &item_rows, out, max, n);
}

int ac_store_bench_score(struct ac_store *st, int64_t item_id, int64_t expert_id, int level,
                         int64_t now_ms)
{
    int err = ac__store_begin(st);
    if (err)
        return err;
    struct ac_bench_row b = {0};
    err = ac_store_bench_get(st, item_id, &b);
    size_t me = AC_STORE_BENCH_EXPERTS;
    if (!err) {
        for (size_t i = 0; i < b.n_experts; i++)
            if (b.experts[i] == expert_id)
                me = i;
        if (me == AC_STORE_BENCH_EXPERTS)
            err = AC_ENOENT;
        else if (b.levels[me] >= 0)
            err = AC_ECONFLICT;
    }
    struct ac_db_stmt *s;
    if (!err)
        err = ac__store_stmt(st,
                             "UPDATE bench_scores SET level = $3, scored_ms = $4"
                             " WHERE item_id = $1 AND expert_id = $2",
                             &s);
    if (!err) {
        ac_db_bind_int64(s, 1, item_id);
        ac_db_bind_int64(s, 2, expert_id);
        ac_db_bind_int64(s, 3, level);
        ac_db_bind_int64(s, 4, now_ms);
        err = ac__store_done(st, s);
    }
    /* The last score in settles an item whose experts all agree; a split
     * waits for the conference. */
    if (!err && b.final_level < 0 && me < AC_STORE_BENCH_EXPERTS) {
        b.levels[me] = level;
        int agreed = 1;
        for (size_t i = 0; i < b.n_experts; i++)
            agreed &= b.levels[i] == level;
        if (agreed) {
            err = ac__store_stmt(st,
                                 "UPDATE bench_items SET final_level = $2, resolved_ms = $3"
                                 " WHERE id = $1",
                                 &s);
            if (!err) {
                ac_db_bind_int64(s, 1, item_id);
                ac_db_bind_int64(s, 2, level);
                ac_db_bind_int64(s, 3, now_ms);
                err = ac__store_done(st, s);
            }
        }
    }
    ac_bench_row_release(&b);
    return ac__store_end(st, err);
}

int ac_store_bench_resolve(struct ac_store *st, int64_t item_id, int level,
                           const char *key_characteristics, const char *common_errors, int64_t by,
                           int64_t now_ms)
{
    int err = ac__store_begin(st);
    if (err)
        return err;
    struct ac_db_stmt *s;
    err = ac__store_stmt(st,
                         "UPDATE bench_items SET final_level = $2,"
                         " key_characteristics = COALESCE($3, key_characteristics),"
                         " common_errors = COALESCE($4, common_errors),"
                         " resolved_by = $5, resolved_ms = $6 WHERE id = $1",
                         &s);
    if (!err) {
        ac_db_bind_int64(s, 1, item_id);
        ac_db_bind_int64(s, 2, level);
        if (key_characteristics)
            ac_db_bind_text(s, 3, key_characteristics, -1);
        if (common_errors)
            ac_db_bind_text(s, 4, common_errors, -1);
        ac_db_bind_int64(s, 5, by);
        ac_db_bind_int64(s, 6, now_ms);
        err = ac__store_done(st, s);
        if (!err && ac_db_changes(ac__store_db(st)) == 0)
            err = AC_ENOENT;
    }
    return ac__store_end(st, err);
}
