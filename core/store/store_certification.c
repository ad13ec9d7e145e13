/* store_certification.c - certification attempts, the benchmark items each reviewer
 * has seen, and credentials held outside this node's records. */
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/certification.h"
#include "accord/store/credential.h"
#include "internal.h"

int ac_store_reviewer_cert_attempted(struct ac_store *st, int64_t credential_id, int64_t user_id,
                                     int64_t attempts, int64_t next_attempt_ms, int64_t now_ms)
{
    int err = ac__store_begin(st);
    if (err)
        return err;
    struct ac_db_stmt *s;
    err = ac__store_stmt(st,
                         "UPDATE reviewer_certs SET attempts = $3, next_attempt_ms = $4,"
                         " updated_ms = $5 WHERE credential_id = $1 AND user_id = $2",
                         &s);
    if (!err) {
        ac_db_bind_int64(s, 1, credential_id);
        ac_db_bind_int64(s, 2, user_id);
        ac_db_bind_int64(s, 3, attempts);
        ac_db_bind_int64(s, 4, next_attempt_ms);
        ac_db_bind_int64(s, 5, now_ms);
        err = ac__store_done(st, s);
        if (!err && ac_db_changes(ac__store_db(st)) == 0)
            err = AC_ENOENT;
    }
    return ac__store_end(st, err);
}

void ac_cert_attempt_row_release(struct ac_cert_attempt_row *a)
{
    if (!a)
        return;
    free(a->items);
    free(a->answers);
    free(a->result);
    memset(a, 0, sizeof *a);
}

#define ATTEMPT_COLUMNS                                                                            \
    "id, credential_id, user_id, items, answers, result, passed, started_ms, finished_ms"

static int read_attempt(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    (void)st;
    struct ac_cert_attempt_row *a = elem;
    memset(a, 0, sizeof *a);
    a->id = ac_db_col_int64(s, 0);
    a->credential_id = ac_db_col_int64(s, 1);
    a->user_id = ac_db_col_int64(s, 2);
    a->items = ac__col_dup(s, 3);
    a->answers = ac__col_dup(s, 4);
    a->result = ac__col_dup(s, 5);
    a->passed = ac_db_col_is_null(s, 6) ? -1 : (int)ac_db_col_int64(s, 6);
    a->started_ms = ac_db_col_int64(s, 7);
    a->finished_ms = ac_db_col_int64(s, 8);
    if (!a->items || !a->answers || !a->result) {
        ac_cert_attempt_row_release(a);
        return AC_ENOMEM;
    }
    return 0;
}

static void release_attempt(void *elem)
{
    ac_cert_attempt_row_release(elem);
}

static const struct ac__row_type attempt_rows = {sizeof(struct ac_cert_attempt_row), read_attempt,
                                                 release_attempt};

int ac_store_seen_add(struct ac_store *st, int64_t user_id, int64_t item_id, int64_t now_ms)
{
    struct ac_db_stmt *s;
    int err = ac__store_begin(st);
    if (err)
        return err;
    err = ac__store_stmt(st,
                         "INSERT INTO reviewer_seen_items(user_id, item_id, seen_ms)"
                         " VALUES ($1, $2, $3)"
                         " ON CONFLICT DO NOTHING",
                         &s);
    if (!err) {
        ac_db_bind_int64(s, 1, user_id);
        ac_db_bind_int64(s, 2, item_id);
        ac_db_bind_int64(s, 3, now_ms);
        err = ac__store_done(st, s);
    }
    return ac__store_end(st, err);
}

int ac_store_cert_attempt_open(struct ac_store *st, int64_t credential_id, int64_t user_id,
                               const char *items, const int64_t *item_ids, size_t n, int64_t now_ms,
                               int64_t *id)
{
    int err = ac__store_begin(st);
    if (err)
        return err;
    struct ac_db_stmt *s;
    int64_t row = 0;
    err = ac__store_stmt(st,
                         "INSERT INTO cert_attempts(credential_id, user_id, items, started_ms)"
                         " VALUES ($1, $2, $3, $4) RETURNING id",
                         &s);
    if (!err) {
        ac_db_bind_int64(s, 1, credential_id);
        ac_db_bind_int64(s, 2, user_id);
        ac_db_bind_text(s, 3, items, -1);
        ac_db_bind_int64(s, 4, now_ms);
        err = ac__store_insert_id(st, s, &row);
    }
    for (size_t i = 0; !err && i < n; i++) {
        err = ac_store_seen_add(st, user_id, item_ids[i], now_ms);
        if (!err)
            err = ac__store_stmt(
                st, "UPDATE bench_items SET exposures = exposures + 1 WHERE id = $1", &s);
        if (!err) {
            ac_db_bind_int64(s, 1, item_ids[i]);
            err = ac__store_done(st, s);
        }
    }
    err = ac__store_end(st, err);
    if (!err)
        *id = row;
    return err;
}

int ac_store_cert_attempt_get(struct ac_store *st, int64_t id, struct ac_cert_attempt_row *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT " ATTEMPT_COLUMNS " FROM cert_attempts WHERE id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    return ac__store_one(st, s, &attempt_rows, out);
}

int ac_store_cert_attempt_close(struct ac_store *st, int64_t id, bool passed, const char *answers,
                                const char *result, int64_t now_ms)
{
    int err = ac__store_begin(st);
    if (err)
        return err;
    struct ac_db_stmt *s;
    err = ac__store_stmt(st,
                         "UPDATE cert_attempts SET passed = $2, answers = $3, result = $4,"
                         " finished_ms = $5 WHERE id = $1 AND passed IS NULL",
                         &s);
    if (!err) {
        ac_db_bind_int64(s, 1, id);
        ac_db_bind_int64(s, 2, passed ? 1 : 0);
        ac_db_bind_text(s, 3, answers, -1);
        ac_db_bind_text(s, 4, result, -1);
        ac_db_bind_int64(s, 5, now_ms);
        err = ac__store_done(st, s);
    }
    if (!err && ac_db_changes(ac__store_db(st)) == 0) {
        struct ac_cert_attempt_row a;
        err = ac_store_cert_attempt_get(st, id, &a);
        if (!err) {
            ac_cert_attempt_row_release(&a);
            err = AC_ECONFLICT;
        }
    }
    return ac__store_end(st, err);
}

int ac_store_cert_attempt_list(struct ac_store *st, int64_t credential_id, int64_t user_id,
                               struct ac_cert_attempt_row *out, size_t max, size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT " ATTEMPT_COLUMNS " FROM cert_attempts"
                             " WHERE credential_id = $1 AND user_id = $2 ORDER BY id LIMIT $3",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, credential_id);
    ac_db_bind_int64(s, 2, user_id);
    ac_db_bind_int64(s, 3, (int64_t)max);
    return ac__store_fill(st, s, &attempt_rows, out, max, n);
}

int ac_store_seen_list(struct ac_store *st, int64_t user_id, int64_t credential_id, int64_t **ids,
                       size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT v.item_id FROM reviewer_seen_items v"
                             " JOIN bench_items b ON b.id = v.item_id"
                             " WHERE v.user_id = $1 AND b.credential_id = $2 ORDER BY v.item_id",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, user_id);
    ac_db_bind_int64(s, 2, credential_id);
    void *arr;
    err = ac__store_collect(st, s, &ac__int64_rows, &arr, n);
    if (!err)
        *ids = arr;
    return err;
}

int ac_store_held_add(struct ac_store *st, int64_t user_id, const char *def_id, const char *issuer,
                      int64_t registered_by, int64_t now_ms)
{
    size_t len = strlen(def_id);
    if (len == 0 || len > AC_CREDENTIAL_ID_MAX || (issuer && strlen(issuer) > 256))
        return AC_EINVAL;
    int err = ac__store_begin(st);
    if (err)
        return err;
    struct ac_db_stmt *s;
    err = ac__store_stmt(st,
                         "INSERT INTO held_credentials(user_id, def_id, issuer, registered_by,"
                         " created_ms) VALUES ($1, $2, $3, $4, $5)",
                         &s);
    if (!err) {
        ac_db_bind_int64(s, 1, user_id);
        ac_db_bind_text(s, 2, def_id, -1);
        ac_db_bind_text(s, 3, issuer ? issuer : "", -1);
        ac_db_bind_int64(s, 4, registered_by);
        ac_db_bind_int64(s, 5, now_ms);
        err = ac__store_done(st, s);
    }
    return ac__store_end(st, err);
}

int ac_store_held_check(struct ac_store *st, int64_t user_id, const char *def_id, bool *holds)
{
    struct ac_db_stmt *s;
    /* A revoked or suspended record (status not 0, "valid") does not count.
     * The earner beside the record says whose it is: its subject is a salted
     * hash that names no account. */
    int err = ac__store_stmt(
        st,
        "SELECT (SELECT COUNT(*) FROM held_credentials WHERE user_id = $1 AND def_id = $2)"
        " + (SELECT COUNT(*) FROM records r JOIN status_entries e ON e.record_id = r.id"
        " WHERE r.earner_id = $1 AND r.definition_id = $2 AND e.state = 0)",
        &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, user_id);
    ac_db_bind_text(s, 2, def_id, -1);
    int64_t count;
    err = ac__store_int64(st, s, &count);
    if (!err)
        *holds = count > 0;
    return err;
}
