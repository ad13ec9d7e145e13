/* store_outbox.c - the federation outbox, read in pages after each peer's
 * durable cursor, and its dead letters; rows behind the cursor are pruned
 * after a while. */
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/outbox.h"
#include "internal.h"

void ac_outbox_msgs_free(struct ac_outbox_msg *msgs, size_t n)
{
    for (size_t i = 0; msgs && i < n; i++)
        free(msgs[i].body);
    free(msgs);
}

/* A peer's delivery cursor, moved forward only: a write that commits after
 * a newer one (delivery-state writes may commit out of order) never takes
 * it back. */
static const char CURSOR_FORWARD[] =
    "INSERT INTO fed_peer_state(node_id, cursor) VALUES ($1, $2) ON "
    "CONFLICT(node_id) DO UPDATE SET cursor = CASE WHEN excluded.cursor > "
    "fed_peer_state.cursor THEN excluded.cursor ELSE fed_peer_state.cursor END";

int ac_store_outbox_add(struct ac_store *st, const char *peer, const char *type, const char *msg_id,
                        const uint8_t *body, size_t len, int64_t now_ms, int64_t *id)
{
    if (!ac_db_in_tx(ac__store_db(st)))
        return AC_EBUG;
    if (!peer[0] || !type[0] || !msg_id[0] || !len)
        return AC_EINVAL;
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "INSERT INTO fed_outbox(peer, type, msg_id, body, created_ms) VALUES "
                             "($1, $2, $3, $4, $5) RETURNING id",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, peer, -1);
    ac_db_bind_text(s, 2, type, -1);
    ac_db_bind_text(s, 3, msg_id, -1);
    ac_db_bind_blob(s, 4, body, len);
    ac_db_bind_int64(s, 5, now_ms);
    int64_t row = 0;
    err = ac__store_insert_id(st, s, &row);
    if (!err && id)
        *id = row;
    return err;
}

static int read_msg(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    (void)st;
    struct ac_outbox_msg *m = elem;
    memset(m, 0, sizeof *m);
    m->id = ac_db_col_int64(s, 0);
    ac__col_copy(m->peer, sizeof m->peer, s, 1);
    ac__col_copy(m->type, sizeof m->type, s, 2);
    ac__col_copy(m->msg_id, sizeof m->msg_id, s, 3);
    size_t n = (size_t)ac_db_col_bytes(s, 4);
    m->body = malloc(n ? n : 1);
    if (!m->body)
        return AC_ENOMEM;
    if (n)
        memcpy(m->body, ac_db_col_blob(s, 4), n);
    m->body_len = n;
    m->created_ms = ac_db_col_int64(s, 5);
    m->status = (int)ac_db_col_int64(s, 6);
    ac__col_copy(m->problem, sizeof m->problem, s, 7);
    return 0;
}

static void release_msg(void *elem)
{
    free(((struct ac_outbox_msg *)elem)->body);
}

static const struct ac__row_type msg_rows = {sizeof(struct ac_outbox_msg), read_msg, release_msg};

int ac_store_outbox_page(struct ac_store *st, const char *peer, int64_t after, size_t limit,
                         struct ac_outbox_msg **out, size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT id, peer, type, msg_id, body, created_ms, 0, '' FROM "
                             "fed_outbox WHERE peer = $1 AND id > $2 ORDER BY id LIMIT $3",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, peer, -1);
    ac_db_bind_int64(s, 2, after);
    ac_db_bind_int64(s, 3, (int64_t)limit);
    return ac__store_collect(st, s, &msg_rows, (void **)out, n);
}

int ac_store_outbox_depth(struct ac_store *st, const char *peer, int64_t after, int64_t *depth,
                          int64_t *oldest_ms)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT COUNT(*), COALESCE(MIN(created_ms), 0) FROM fed_outbox WHERE "
                             "peer = $1 AND id > $2",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, peer, -1);
    ac_db_bind_int64(s, 2, after);
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW) {
        *depth = ac_db_col_int64(s, 0);
        *oldest_ms = ac_db_col_int64(s, 1);
    }
    ac_db_reset(s);
    return rc == AC_DB_ROW ? 0 : ac__store_error(st, rc);
}

/* Idempotent: the sender writes it again when a COMMIT's outcome was
 * unknown (it may have committed), so a dead letter already there is no
 * error; the cursor upsert only ever moves the cursor forward. */
int ac_store_outbox_dead(struct ac_store *st, const struct ac_outbox_msg *m, int status,
                         const char *problem, int64_t now_ms, int *added)
{
    struct ac_db_stmt *s, *c;
    int err = ac__store_stmt(st,
                             "INSERT INTO fed_dead_letters(id, peer, type, msg_id, body, "
                             "created_ms, status, problem, dead_ms) VALUES ($1, $2, $3, $4, $5, "
                             "$6, $7, substr($8, 1, 199), $9) ON CONFLICT(id) DO NOTHING",
                             &s);
    if (!err)
        err = ac__store_stmt(st, CURSOR_FORWARD, &c);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, m->id);
    ac_db_bind_text(s, 2, m->peer, -1);
    ac_db_bind_text(s, 3, m->type, -1);
    ac_db_bind_text(s, 4, m->msg_id, -1);
    ac_db_bind_blob(s, 5, m->body, m->body_len);
    ac_db_bind_int64(s, 6, m->created_ms);
    ac_db_bind_int64(s, 7, status);
    ac_db_bind_text(s, 8, problem, -1);
    ac_db_bind_int64(s, 9, now_ms);
    ac_db_bind_text(c, 1, m->peer, -1);
    ac_db_bind_int64(c, 2, m->id);
    err = ac__store_begin(st);
    if (err) {
        ac_db_reset(s);
        ac_db_reset(c);
        return err;
    }
    err = ac__store_done(st, s);
    if (!err && added)
        *added = ac_db_changes(ac__store_db(st)) > 0;
    if (!err)
        err = ac__store_done(st, c);
    else
        ac_db_reset(c);
    return ac__store_end(st, err);
}

int ac_store_outbox_cursor(struct ac_store *st, const char *peer, int64_t cursor)
{
    struct ac_db_stmt *c;
    int err = ac__store_stmt(st, CURSOR_FORWARD, &c);
    if (err)
        return err;
    ac_db_bind_text(c, 1, peer, -1);
    ac_db_bind_int64(c, 2, cursor);
    err = ac__store_begin(st);
    if (err) {
        ac_db_reset(c);
        return err;
    }
    return ac__store_end(st, ac__store_done(st, c));
}

int ac_store_dead_list(struct ac_store *st, const char *peer, struct ac_outbox_msg **out, size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st,
        "SELECT id, peer, type, msg_id, body, created_ms, status, problem "
        "FROM fed_dead_letters WHERE CAST($1 AS TEXT) IS NULL OR peer = $1 ORDER BY id",
        &s);
    if (err)
        return err;
    if (peer)
        ac_db_bind_text(s, 1, peer, -1);
    return ac__store_collect(st, s, &msg_rows, (void **)out, n);
}

int ac_store_dead_retry(struct ac_store *st, int64_t id, int64_t now_ms, char *peer)
{
    struct ac_db_stmt *g, *ins, *del;
    int err = ac__store_stmt(st, "SELECT peer FROM fed_dead_letters WHERE id = $1", &g);
    if (!err)
        err = ac__store_stmt(st,
                             "INSERT INTO fed_outbox(peer, type, msg_id, body, created_ms) SELECT "
                             "peer, type, msg_id, body, $2 FROM fed_dead_letters WHERE id = $1",
                             &ins);
    if (!err)
        err = ac__store_stmt(st, "DELETE FROM fed_dead_letters WHERE id = $1", &del);
    if (err)
        return err;
    ac_db_bind_int64(g, 1, id);
    int rc = ac_db_step(g);
    if (rc == AC_DB_ROW)
        ac__col_copy(peer, 65, g, 0);
    ac_db_reset(g);
    if (rc != AC_DB_ROW)
        return rc == AC_DB_DONE ? AC_ENOENT : ac__store_error(st, rc);
    ac_db_bind_int64(ins, 1, id);
    ac_db_bind_int64(ins, 2, now_ms);
    ac_db_bind_int64(del, 1, id);
    err = ac__store_begin(st);
    if (err) {
        ac_db_reset(ins);
        ac_db_reset(del);
        return err;
    }
    err = ac__store_done(st, ins);
    if (!err)
        err = ac__store_done(st, del);
    else
        ac_db_reset(del);
    return ac__store_end(st, err);
}

int ac_store_dead_drop(struct ac_store *st, int64_t id)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "DELETE FROM fed_dead_letters WHERE id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    err = ac__store_begin(st);
    if (err) {
        ac_db_reset(s);
        return err;
    }
    err = ac__store_done(st, s);
    if (!err && ac_db_changes(ac__store_db(st)) == 0)
        err = AC_ENOENT;
    return ac__store_end(st, err);
}

/* The newest row is always kept: ids are rowids, and with the table emptied
 * SQLite would hand out an id again that a cursor has already passed, so the
 * next message would never be sent. */
int ac_store_outbox_prune(struct ac_store *st, int64_t before_ms, int64_t *deleted)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "DELETE FROM fed_outbox WHERE created_ms < $1 AND id <= "
                             "COALESCE((SELECT cursor FROM fed_peer_state WHERE node_id = "
                             "fed_outbox.peer), 0) AND id < (SELECT MAX(id) FROM fed_outbox)",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, before_ms);
    err = ac__store_done(st, s);
    *deleted = err ? 0 : ac_db_changes(ac__store_db(st));
    return err;
}

int ac_store_outbox_count(struct ac_store *st, const char *peer, int64_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT COUNT(*) FROM fed_outbox WHERE peer = $1", &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, peer, -1);
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW)
        *n = ac_db_col_int64(s, 0);
    ac_db_reset(s);
    return rc == AC_DB_ROW ? 0 : ac__store_error(st, rc);
}
