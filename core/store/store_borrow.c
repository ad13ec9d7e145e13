/* store_borrow.c - borrowed review as each side stores it (borrow.h): the
 * issuer's lent-out batches, their pseudonymous items and cited artifacts,
 * its per-peer counters; the lender's offered batches and their items. */
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/borrow.h"
#include "internal.h"

static const char *const borrow_names[] = {"offered", "accepted", "declined", "reclaimed", "done"};
static const char *const lent_names[] = {"invited", "accepted", "declined", "reclaimed", "done"};
static const char *const litem_names[] = {"open", "scored", "accepted", "refused", "closed"};

const char *ac_borrow_state_name(enum ac_borrow_state s)
{
    return (unsigned)s < 5 ? borrow_names[s] : "unknown";
}

const char *ac_lent_state_name(enum ac_lent_state s)
{
    return (unsigned)s < 5 ? lent_names[s] : "unknown";
}

const char *ac_lent_item_state_name(enum ac_lent_item_state s)
{
    return (unsigned)s < 5 ? litem_names[s] : "unknown";
}

/* The index of |name| in |names| (|n| of them); 0 for a name the schema's
 * CHECK would never have let in. */
static int state_of(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; name && i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (int)i;
    return 0;
}

static int in_tx(struct ac_store *st)
{
    return ac_db_in_tx(ac__store_db(st));
}

/* Runs the UPDATE |s|; AC_ENOENT when it touched no row. */
static int done_one(struct ac_store *st, struct ac_db_stmt *s)
{
    int err = ac__store_done(st, s);
    if (!err && ac_db_changes(ac__store_db(st)) == 0)
        err = AC_ENOENT;
    return err;
}

/* Moves a batch to state |name| with the UPDATE |sql|, whose parameters are
 * $1 the batch, $2 the state, $3 the reason (NULL keeps the old one) and $4
 * now, for the times the state change stamps. */
static int set_batch_state(struct ac_store *st, const char *sql, int64_t id, const char *name,
                           const char *reason, int64_t now_ms)
{
    if (!in_tx(st))
        return AC_EBUG;
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, sql, &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    ac_db_bind_text(s, 2, name, -1);
    if (reason)
        ac_db_bind_text(s, 3, reason, -1);
    ac_db_bind_int64(s, 4, now_ms);
    return done_one(st, s);
}

/* ---- issuer side ---- */

#define BORROW_COLS "batch_id, peer, stand_in, state, reason, created_ms, ended_ms"

static int read_borrow(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    (void)st;
    struct ac_borrow_batch *b = elem;
    b->batch_id = ac_db_col_int64(s, 0);
    ac__col_copy(b->peer, sizeof b->peer, s, 1);
    b->stand_in = ac_db_col_int64(s, 2);
    b->state = state_of(borrow_names, 5, ac_db_col_text(s, 3));
    ac__col_copy(b->reason, sizeof b->reason, s, 4);
    b->created_ms = ac_db_col_int64(s, 5);
    b->ended_ms = ac_db_col_int64(s, 6);
    return 0;
}

static const struct ac__row_type borrow_rows = {sizeof(struct ac_borrow_batch), read_borrow, NULL};

int ac_store_borrow_batch_add(struct ac_store *st, int64_t batch_id, const char *peer,
                              int64_t stand_in, int64_t now_ms)
{
    if (!in_tx(st))
        return AC_EBUG;
    if (!peer || !*peer || strlen(peer) > AC_BORROW_PEER_MAX)
        return AC_EINVAL;
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "INSERT INTO borrow_batches(batch_id, peer, stand_in, state, "
                             "created_ms) VALUES ($1, $2, $3, 'offered', $4)",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, batch_id);
    ac_db_bind_text(s, 2, peer, -1);
    ac_db_bind_int64(s, 3, stand_in);
    ac_db_bind_int64(s, 4, now_ms);
    return ac__store_done(st, s);
}

int ac_store_borrow_batch_get(struct ac_store *st, int64_t batch_id, struct ac_borrow_batch *out)
{
    struct ac_db_stmt *s;
    int err =
        ac__store_stmt(st, "SELECT " BORROW_COLS " FROM borrow_batches WHERE batch_id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, batch_id);
    return ac__store_one(st, s, &borrow_rows, out);
}

int ac_store_borrow_batch_set(struct ac_store *st, int64_t batch_id, enum ac_borrow_state state,
                              const char *reason, int64_t now_ms)
{
    return set_batch_state(st,
                           "UPDATE borrow_batches SET state = $2, reason = COALESCE($3, reason),"
                           " ended_ms = CASE WHEN $2 IN ('declined', 'reclaimed', 'done')"
                           " THEN $4 ELSE ended_ms END WHERE batch_id = $1",
                           batch_id, ac_borrow_state_name(state), reason, now_ms);
}

int ac_store_borrow_batch_list(struct ac_store *st, const char *peer, int state, int64_t after,
                               struct ac_borrow_batch *out, size_t max, size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st,
        "SELECT " BORROW_COLS " FROM borrow_batches WHERE batch_id > $1"
        " AND (CAST($2 AS TEXT) IS NULL OR peer = $2) AND (CAST($3 AS TEXT) IS NULL OR state = $3)"
        " ORDER BY batch_id LIMIT $4",
        &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, after);
    if (peer)
        ac_db_bind_text(s, 2, peer, -1);
    if (state >= 0)
        ac_db_bind_text(s, 3, ac_borrow_state_name(state), -1);
    ac_db_bind_int64(s, 4, (int64_t)max);
    return ac__store_fill(st, s, &borrow_rows, out, max, n);
}

static int read_item(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    (void)st;
    struct ac_borrow_item *it = elem;
    it->assignment_id = ac_db_col_int64(s, 0);
    it->batch_id = ac_db_col_int64(s, 1);
    ac__col_copy(it->pseudonym, sizeof it->pseudonym, s, 2);
    ac__col_copy(it->result_id, sizeof it->result_id, s, 3);
    it->applied_ms = ac_db_col_int64(s, 4);
    return 0;
}

static const struct ac__row_type item_rows = {sizeof(struct ac_borrow_item), read_item, NULL};

int ac_store_borrow_item_add(struct ac_store *st, int64_t assignment_id, int64_t batch_id,
                             const char *pseudonym)
{
    if (!in_tx(st))
        return AC_EBUG;
    if (!pseudonym || !*pseudonym || strlen(pseudonym) > AC_BORROW_PSEUDONYM_MAX)
        return AC_EINVAL;
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "INSERT INTO borrow_items(assignment_id, batch_id, pseudonym)"
                             " VALUES ($1, $2, $3)",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, assignment_id);
    ac_db_bind_int64(s, 2, batch_id);
    ac_db_bind_text(s, 3, pseudonym, -1);
    return ac__store_done(st, s);
}

int ac_store_borrow_item_find(struct ac_store *st, int64_t batch_id, const char *pseudonym,
                              struct ac_borrow_item *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT assignment_id, batch_id, pseudonym, result_id, applied_ms"
                             " FROM borrow_items WHERE batch_id = $1 AND pseudonym = $2",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, batch_id);
    ac_db_bind_text(s, 2, pseudonym, -1);
    return ac__store_one(st, s, &item_rows, out);
}

int ac_store_borrow_item_list(struct ac_store *st, int64_t batch_id, struct ac_borrow_item **out,
                              size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT assignment_id, batch_id, pseudonym, result_id, applied_ms"
                             " FROM borrow_items WHERE batch_id = $1 ORDER BY pseudonym",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, batch_id);
    return ac__store_collect(st, s, &item_rows, (void **)out, n);
}

int ac_store_borrow_item_applied(struct ac_store *st, int64_t assignment_id, const char *result_id,
                                 int64_t now_ms)
{
    if (!in_tx(st))
        return AC_EBUG;
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "UPDATE borrow_items SET result_id = $2, applied_ms = $3"
                             " WHERE assignment_id = $1",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, assignment_id);
    ac_db_bind_text(s, 2, result_id, -1);
    ac_db_bind_int64(s, 3, now_ms);
    return done_one(st, s);
}

int ac_store_borrow_artifact_add(struct ac_store *st, int64_t assignment_id, const char *hash)
{
    if (!in_tx(st))
        return AC_EBUG;
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "INSERT INTO borrow_artifacts(assignment_id, hash)"
                             " VALUES ($1, $2)"
                             " ON CONFLICT DO NOTHING",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, assignment_id);
    ac_db_bind_text(s, 2, hash, -1);
    return ac__store_done(st, s);
}

int ac_store_borrow_artifact_grant(struct ac_store *st, const char *peer, int64_t batch_id,
                                   const char *pseudonym, const char *hash, int *live, int *known)
{
    /* Live: the batch is lent to |peer| and accepted, and the assignment is
     * accepted and not yet scored (assignments.state 2 is AC_ASG_ACCEPTED;
     * the store writes the enum's value). */
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT b.state = 'accepted' AND a.state = 2"
                             " FROM borrow_items i JOIN borrow_batches b ON b.batch_id = i.batch_id"
                             " JOIN borrow_artifacts f ON f.assignment_id = i.assignment_id"
                             " JOIN assignments a ON a.id = i.assignment_id"
                             " WHERE b.peer = $1 AND i.batch_id = $2 AND i.pseudonym = $3"
                             " AND f.hash = $4",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, peer, -1);
    ac_db_bind_int64(s, 2, batch_id);
    ac_db_bind_text(s, 3, pseudonym, -1);
    ac_db_bind_text(s, 4, hash, -1);
    int rc = ac_db_step(s);
    *live = *known = 0;
    if (rc == AC_DB_ROW) {
        *known = 1;
        *live = (int)ac_db_col_int64(s, 0) == 1;
    }
    ac_db_reset(s);
    return rc == AC_DB_ROW || rc == AC_DB_DONE ? 0 : ac__store_error(st, rc);
}

int ac_store_borrow_count_add(struct ac_store *st, const char *peer, const char *what, int64_t by)
{
    if (!in_tx(st))
        return AC_EBUG;
    struct ac_db_stmt *s;
    int err =
        ac__store_stmt(st,
                       "INSERT INTO borrow_counts(peer, what, n) VALUES ($1, $2, $3)"
                       " ON CONFLICT (peer, what) DO UPDATE SET n = borrow_counts.n + excluded.n",
                       &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, peer, -1);
    ac_db_bind_text(s, 2, what, -1);
    ac_db_bind_int64(s, 3, by);
    return ac__store_done(st, s);
}

int ac_store_borrow_count_get(struct ac_store *st, const char *peer, const char *what, int64_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st, "SELECT COALESCE(SUM(n), 0) FROM borrow_counts WHERE peer = $1 AND what = $2", &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, peer, -1);
    ac_db_bind_text(s, 2, what, -1);
    return ac__store_int64(st, s, n);
}

/* ---- lender side ---- */

void ac_lent_batch_release(struct ac_lent_batch *b)
{
    if (!b)
        return;
    free(b->rubric);
    b->rubric = NULL;
}

void ac_lent_item_release(struct ac_lent_item *it)
{
    if (!it)
        return;
    free(it->elements);
    free(it->levels);
    free(it->feedback);
    it->elements = it->levels = it->feedback = NULL;
}

#define LENT_COLS                                                                                  \
    "id, issuer, remote_batch, reviewer, credential_id, version, title, rubric, deadline_ms,"      \
    " state, reason, created_ms, responded_ms, ended_ms"

static int read_lent(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    (void)st;
    struct ac_lent_batch *b = elem;
    memset(b, 0, sizeof *b);
    b->id = ac_db_col_int64(s, 0);
    ac__col_copy(b->issuer, sizeof b->issuer, s, 1);
    b->remote_batch = ac_db_col_int64(s, 2);
    b->reviewer = ac_db_col_int64(s, 3);
    ac__col_copy(b->credential_id, sizeof b->credential_id, s, 4);
    b->version = ac_db_col_int64(s, 5);
    ac__col_copy(b->title, sizeof b->title, s, 6);
    if (!(b->rubric = ac__col_dup(s, 7)))
        return AC_ENOMEM;
    b->deadline_ms = ac_db_col_int64(s, 8);
    b->state = state_of(lent_names, 5, ac_db_col_text(s, 9));
    ac__col_copy(b->reason, sizeof b->reason, s, 10);
    b->created_ms = ac_db_col_int64(s, 11);
    b->responded_ms = ac_db_col_int64(s, 12);
    b->ended_ms = ac_db_col_int64(s, 13);
    return 0;
}

static void release_lent(void *elem)
{
    ac_lent_batch_release(elem);
}

static const struct ac__row_type lent_rows = {sizeof(struct ac_lent_batch), read_lent,
                                              release_lent};

int ac_store_lent_batch_add(struct ac_store *st, const struct ac_lent_batch *in, int64_t *id)
{
    if (!in_tx(st))
        return AC_EBUG;
    if (!in->issuer[0] || !in->credential_id[0] || !in->rubric)
        return AC_EINVAL;
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "INSERT INTO lent_batches(issuer, remote_batch, reviewer,"
                             " credential_id, version, title, rubric, deadline_ms, state, reason,"
                             " created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'invited', $9,"
                             " $10) RETURNING id",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, in->issuer, -1);
    ac_db_bind_int64(s, 2, in->remote_batch);
    ac_db_bind_int64(s, 3, in->reviewer);
    ac_db_bind_text(s, 4, in->credential_id, -1);
    ac_db_bind_int64(s, 5, in->version);
    ac_db_bind_text(s, 6, in->title, -1);
    ac_db_bind_text(s, 7, in->rubric, -1);
    ac_db_bind_int64(s, 8, in->deadline_ms);
    ac_db_bind_text(s, 9, in->reason, -1);
    ac_db_bind_int64(s, 10, in->created_ms);
    err = ac__store_insert_id(st, s, id);
    return err;
}

int ac_store_lent_batch_get(struct ac_store *st, int64_t id, struct ac_lent_batch *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT " LENT_COLS " FROM lent_batches WHERE id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    return ac__store_one(st, s, &lent_rows, out);
}

int ac_store_lent_batch_find(struct ac_store *st, const char *issuer, int64_t remote_batch,
                             struct ac_lent_batch *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st, "SELECT " LENT_COLS " FROM lent_batches WHERE issuer = $1 AND remote_batch = $2", &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, issuer, -1);
    ac_db_bind_int64(s, 2, remote_batch);
    return ac__store_one(st, s, &lent_rows, out);
}

int ac_store_lent_batch_list(struct ac_store *st, int64_t reviewer, int64_t after, size_t max,
                             struct ac_lent_batch **out, size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT " LENT_COLS " FROM lent_batches WHERE id > $1"
                             " AND ($2 = 0 OR reviewer = $2) ORDER BY id LIMIT $3",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, after);
    ac_db_bind_int64(s, 2, reviewer);
    ac_db_bind_int64(s, 3, (int64_t)max);
    return ac__store_collect(st, s, &lent_rows, (void **)out, n);
}

int ac_store_lent_batch_set(struct ac_store *st, int64_t id, enum ac_lent_state state,
                            const char *reason, int64_t now_ms)
{
    return set_batch_state(
        st,
        "UPDATE lent_batches SET state = $2, reason = COALESCE($3, reason),"
        " responded_ms = CASE WHEN $2 IN ('accepted', 'declined') THEN $4 ELSE responded_ms END,"
        " ended_ms = CASE WHEN $2 IN ('declined', 'reclaimed', 'done') THEN $4 ELSE ended_ms END"
        " WHERE id = $1",
        id, ac_lent_state_name(state), reason, now_ms);
}

int ac_store_lent_count(struct ac_store *st, const char *issuer, int64_t reviewer, int64_t since_ms,
                        int64_t *n)
{
    struct ac_db_stmt *s;
    int err =
        ac__store_stmt(st,
                       "SELECT COUNT(*) FROM lent_items i JOIN lent_batches b"
                       " ON b.id = i.batch_id WHERE b.issuer = $1 AND b.reviewer = $2"
                       " AND b.created_ms >= $3 AND b.state IN ('invited', 'accepted', 'done')"
                       " AND i.state <> 'closed'",
                       &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, issuer, -1);
    ac_db_bind_int64(s, 2, reviewer);
    ac_db_bind_int64(s, 3, since_ms);
    return ac__store_int64(st, s, n);
}

#define LITEM_COLS                                                                                 \
    "id, batch_id, pseudonym, school, district, elements, state, levels, feedback, reason,"        \
    " scored_ms"

static int read_litem(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    (void)st;
    struct ac_lent_item *it = elem;
    memset(it, 0, sizeof *it);
    it->id = ac_db_col_int64(s, 0);
    it->batch_id = ac_db_col_int64(s, 1);
    ac__col_copy(it->pseudonym, sizeof it->pseudonym, s, 2);
    ac__col_copy(it->school, sizeof it->school, s, 3);
    ac__col_copy(it->district, sizeof it->district, s, 4);
    it->elements = ac__col_dup(s, 5);
    it->state = state_of(litem_names, 5, ac_db_col_text(s, 6));
    it->levels = ac__col_dup(s, 7);
    it->feedback = ac__col_dup(s, 8);
    ac__col_copy(it->reason, sizeof it->reason, s, 9);
    it->scored_ms = ac_db_col_int64(s, 10);
    if (!it->elements || !it->levels || !it->feedback) {
        ac_lent_item_release(it);
        return AC_ENOMEM;
    }
    return 0;
}

static void release_litem(void *elem)
{
    ac_lent_item_release(elem);
}

static const struct ac__row_type litem_rows = {sizeof(struct ac_lent_item), read_litem,
                                               release_litem};

int ac_store_lent_item_add(struct ac_store *st, const struct ac_lent_item *in, int64_t *id)
{
    if (!in_tx(st))
        return AC_EBUG;
    if (!in->pseudonym[0] || !in->elements)
        return AC_EINVAL;
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "INSERT INTO lent_items(batch_id, pseudonym, school, district,"
                             " elements, state) VALUES ($1, $2, $3, $4, $5, 'open') RETURNING id",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, in->batch_id);
    ac_db_bind_text(s, 2, in->pseudonym, -1);
    ac_db_bind_text(s, 3, in->school, -1);
    ac_db_bind_text(s, 4, in->district, -1);
    ac_db_bind_text(s, 5, in->elements, -1);
    err = ac__store_insert_id(st, s, id);
    return err;
}

int ac_store_lent_item_get(struct ac_store *st, int64_t id, struct ac_lent_item *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT " LITEM_COLS " FROM lent_items WHERE id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    return ac__store_one(st, s, &litem_rows, out);
}

int ac_store_lent_item_find(struct ac_store *st, int64_t batch_id, const char *pseudonym,
                            struct ac_lent_item *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st, "SELECT " LITEM_COLS " FROM lent_items WHERE batch_id = $1 AND pseudonym = $2", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, batch_id);
    ac_db_bind_text(s, 2, pseudonym, -1);
    return ac__store_one(st, s, &litem_rows, out);
}

int ac_store_lent_item_list(struct ac_store *st, int64_t batch_id, struct ac_lent_item **out,
                            size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st, "SELECT " LITEM_COLS " FROM lent_items WHERE batch_id = $1 ORDER BY id", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, batch_id);
    return ac__store_collect(st, s, &litem_rows, (void **)out, n);
}

int ac_store_lent_item_set(struct ac_store *st, int64_t id, enum ac_lent_item_state state,
                           const char *levels, const char *feedback, const char *reason,
                           int64_t now_ms)
{
    if (!in_tx(st))
        return AC_EBUG;
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "UPDATE lent_items SET state = $2, levels = COALESCE($3, levels),"
                             " feedback = COALESCE($4, feedback), reason = COALESCE($5, reason),"
                             " scored_ms = CASE WHEN $2 = 'scored' THEN $6 ELSE scored_ms END"
                             " WHERE id = $1",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    ac_db_bind_text(s, 2, ac_lent_item_state_name(state), -1);
    if (levels)
        ac_db_bind_text(s, 3, levels, -1);
    if (feedback)
        ac_db_bind_text(s, 4, feedback, -1);
    if (reason)
        ac_db_bind_text(s, 5, reason, -1);
    ac_db_bind_int64(s, 6, now_ms);
    return done_one(st, s);
}
