/* store_ledger.c - the reciprocity ledger (ledger.h): a receipt per accepted
 * borrowed review, its sums per peer, credential and month, and the debt cap
 * per peer. */
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/ledger.h"
#include "internal.h"

const char *ac_ledger_direction_name(enum ac_ledger_direction d)
{
    return d == AC_LEDGER_LENT ? "lent" : "borrowed";
}

void ac_ledger_entry_release(struct ac_ledger_entry *e)
{
    if (!e)
        return;
    free(e->receipt);
    e->receipt = NULL;
    e->receipt_len = 0;
}

static int fits(const char *s, size_t max)
{
    return s && *s && strlen(s) <= max;
}

int ac_store_ledger_add(struct ac_store *st, const struct ac_ledger_entry *e, int64_t now_ms,
                        int *added)
{
    if (!ac_db_in_tx(ac__store_db(st)))
        return AC_EBUG;
    if (!fits(e->peer, 64) || !fits(e->credential_id, 64) || !fits(e->month, 7) ||
        !fits(e->result_id, 64) || !e->receipt || !e->receipt_len)
        return AC_EINVAL;
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "INSERT INTO ledger(peer, direction, credential_id, month,"
                             " result_id, receipt, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                             " ON CONFLICT DO NOTHING",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, e->peer, -1);
    ac_db_bind_text(s, 2, ac_ledger_direction_name(e->direction), -1);
    ac_db_bind_text(s, 3, e->credential_id, -1);
    ac_db_bind_text(s, 4, e->month, -1);
    ac_db_bind_text(s, 5, e->result_id, -1);
    ac_db_bind_blob(s, 6, e->receipt, e->receipt_len);
    ac_db_bind_int64(s, 7, now_ms);
    err = ac__store_done(st, s);
    if (!err && added)
        *added = ac_db_changes(ac__store_db(st)) > 0;
    return err;
}

static int read_entry(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    (void)st;
    struct ac_ledger_entry *e = elem;
    memset(e, 0, sizeof *e);
    e->id = ac_db_col_int64(s, 0);
    ac__col_copy(e->peer, sizeof e->peer, s, 1);
    const char *d = ac_db_col_text(s, 2);
    e->direction = d && strcmp(d, "lent") == 0 ? AC_LEDGER_LENT : AC_LEDGER_BORROWED;
    ac__col_copy(e->credential_id, sizeof e->credential_id, s, 3);
    ac__col_copy(e->month, sizeof e->month, s, 4);
    ac__col_copy(e->result_id, sizeof e->result_id, s, 5);
    size_t n = (size_t)ac_db_col_bytes(s, 6);
    e->receipt = malloc(n ? n : 1);
    if (!e->receipt)
        return AC_ENOMEM;
    if (n)
        memcpy(e->receipt, ac_db_col_blob(s, 6), n);
    e->receipt_len = n;
    e->created_ms = ac_db_col_int64(s, 7);
    return 0;
}

static void release_entry(void *elem)
{
    ac_ledger_entry_release(elem);
}

static const struct ac__row_type entry_rows = {sizeof(struct ac_ledger_entry), read_entry,
                                               release_entry};

int ac_store_ledger_list(struct ac_store *st, const char *peer, int64_t after, size_t max,
                         struct ac_ledger_entry **out, size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT id, peer, direction, credential_id, month, result_id,"
                             " receipt, created_ms FROM ledger WHERE id > $1"
                             " AND (CAST($2 AS TEXT) IS NULL OR peer = $2) ORDER BY id LIMIT $3",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, after);
    if (peer)
        ac_db_bind_text(s, 2, peer, -1);
    ac_db_bind_int64(s, 3, (int64_t)max);
    return ac__store_collect(st, s, &entry_rows, (void **)out, n);
}

static int read_line(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    (void)st;
    struct ac_ledger_line *l = elem;
    ac__col_copy(l->peer, sizeof l->peer, s, 0);
    ac__col_copy(l->credential_id, sizeof l->credential_id, s, 1);
    ac__col_copy(l->month, sizeof l->month, s, 2);
    l->lent = ac_db_col_int64(s, 3);
    l->borrowed = ac_db_col_int64(s, 4);
    return 0;
}

static const struct ac__row_type line_rows = {sizeof(struct ac_ledger_line), read_line, NULL};

int ac_store_ledger_summary(struct ac_store *st, const char *peer, struct ac_ledger_line **out,
                            size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT peer, credential_id, month,"
                             " SUM(CASE WHEN direction = 'lent' THEN 1 ELSE 0 END), SUM(CASE WHEN "
                             "direction = 'borrowed' THEN 1 ELSE 0 END)"
                             " FROM ledger WHERE CAST($1 AS TEXT) IS NULL OR peer = $1"
                             " GROUP BY peer, credential_id, month"
                             " ORDER BY peer, credential_id, month",
                             &s);
    if (err)
        return err;
    if (peer)
        ac_db_bind_text(s, 1, peer, -1);
    return ac__store_collect(st, s, &line_rows, (void **)out, n);
}

int ac_store_ledger_totals(struct ac_store *st, const char *peer, int64_t *lent, int64_t *borrowed)
{
    struct ac_db_stmt *s;
    int err =
        ac__store_stmt(st,
                       "SELECT COALESCE(SUM(CASE WHEN direction = 'lent' THEN 1 ELSE 0 END), 0),"
                       " COALESCE(SUM(CASE WHEN direction = 'borrowed' THEN 1 ELSE 0 END), 0) FROM "
                       "ledger WHERE peer = $1",
                       &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, peer, -1);
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW) {
        *lent = ac_db_col_int64(s, 0);
        *borrowed = ac_db_col_int64(s, 1);
    }
    ac_db_reset(s);
    return rc == AC_DB_ROW ? 0 : ac__store_error(st, rc);
}

int ac_store_ledger_policy_get(struct ac_store *st, const char *peer, int64_t *max_debt, int *set)
{
    struct ac_db_stmt *s;
    /* The peer's own row sorts before "*" (the default) by the CASE. */
    int err = ac__store_stmt(st,
                             "SELECT max_debt FROM ledger_policy WHERE peer = $1 OR peer = '*'"
                             " ORDER BY CASE peer WHEN '*' THEN 1 ELSE 0 END LIMIT 1",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, peer, -1);
    int rc = ac_db_step(s);
    *set = rc == AC_DB_ROW;
    *max_debt = rc == AC_DB_ROW ? ac_db_col_int64(s, 0) : 0;
    ac_db_reset(s);
    return rc == AC_DB_ROW || rc == AC_DB_DONE ? 0 : ac__store_error(st, rc);
}

int ac_store_ledger_policy_put(struct ac_store *st, const char *peer, int64_t max_debt)
{
    if (!ac_db_in_tx(ac__store_db(st)))
        return AC_EBUG;
    if (!fits(peer, 64))
        return AC_EINVAL;
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             max_debt < 0
                                 ? "DELETE FROM ledger_policy WHERE peer = $1"
                                 : "INSERT INTO ledger_policy(peer, max_debt) VALUES ($1, $2)"
                                   " ON CONFLICT (peer) DO UPDATE SET max_debt = excluded.max_debt",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, peer, -1);
    if (max_debt >= 0)
        ac_db_bind_int64(s, 2, max_debt);
    return ac__store_done(st, s);
}
