/* store_peer.c - federation peers: pinned peers, the adopted consortium file,
 * per-peer delivery state and raw signed documents fetched from peers. */
#include <stdlib.h>
#include <string.h>

#include "accord/base/buf.h"
#include "accord/base/error.h"
#include "accord/store/peer.h"
#include "internal.h"

/* Runs one write statement in its own (possibly nested) transaction. */
static int write_one(struct ac_store *st, struct ac_db_stmt *s)
{
    int err = ac__store_begin(st);
    if (err) {
        ac_db_reset(s);
        return err;
    }
    return ac__store_end(st, ac__store_done(st, s));
}

int ac_store_peer_put(struct ac_store *st, const struct ac_peer_row *p)
{
    if (p->rights > 31 || (strcmp(p->source, "config") && strcmp(p->source, "admin")))
        return AC_EINVAL;
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "INSERT INTO fed_peers(node_id, base_url, rights, keys, source, "
                             "added_ms) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT(node_id) DO "
                             "UPDATE SET base_url = excluded.base_url, rights = excluded.rights, "
                             "keys = excluded.keys, source = excluded.source",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, p->node_id, -1);
    ac_db_bind_text(s, 2, p->base_url, -1);
    ac_db_bind_int64(s, 3, p->rights);
    ac_db_bind_text(s, 4, p->keys, -1);
    ac_db_bind_text(s, 5, p->source, -1);
    ac_db_bind_int64(s, 6, p->added_ms);
    return write_one(st, s);
}

int ac_store_peer_delete(struct ac_store *st, const char *node_id)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "DELETE FROM fed_peers WHERE node_id = $1", &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, node_id, -1);
    err = write_one(st, s);
    if (!err && ac_db_changes(ac__store_db(st)) == 0)
        return AC_ENOENT;
    return err;
}

static int read_peer(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    (void)st;
    struct ac_peer_row *p = elem;
    memset(p, 0, sizeof *p);
    ac__col_copy(p->node_id, sizeof p->node_id, s, 0);
    ac__col_copy(p->base_url, sizeof p->base_url, s, 1);
    p->rights = (unsigned)ac_db_col_int64(s, 2);
    ac__col_copy(p->keys, sizeof p->keys, s, 3);
    ac__col_copy(p->source, sizeof p->source, s, 4);
    p->added_ms = ac_db_col_int64(s, 5);
    return 0;
}

static const struct ac__row_type peer_rows = {sizeof(struct ac_peer_row), read_peer, NULL};

int ac_store_peer_list(struct ac_store *st, struct ac_peer_row **out, size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT node_id, base_url, rights, keys, source, added_ms FROM "
                             "fed_peers ORDER BY node_id",
                             &s);
    if (err)
        return err;
    return ac__store_collect(st, s, &peer_rows, (void **)out, n);
}

/* Copies blob column |col| of the current row into a new buffer. */
static int blob_dup(struct ac_db_stmt *s, int col, uint8_t **out, size_t *len)
{
    size_t n = (size_t)ac_db_col_bytes(s, col);
    const void *p = ac_db_col_blob(s, col);
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy)
        return AC_ENOMEM;
    if (n)
        memcpy(copy, p, n);
    *out = copy;
    *len = n;
    return 0;
}

int ac_store_consortium_get(struct ac_store *st, uint8_t **file, size_t *len, uint64_t *serial)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT serial, file FROM fed_consortium WHERE id = 1", &s);
    if (err)
        return err;
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW) {
        *serial = (uint64_t)ac_db_col_int64(s, 0);
        err = blob_dup(s, 1, file, len);
    } else {
        err = rc == AC_DB_DONE ? AC_ENOENT : ac__store_error(st, rc);
    }
    ac_db_reset(s);
    return err;
}

int ac_store_consortium_put(struct ac_store *st, uint64_t serial, const uint8_t *file, size_t len,
                            int64_t now_ms)
{
    struct ac_db_stmt *s;
    /* The WHERE makes "never go back" the database's rule, not only ours. */
    int err = ac__store_stmt(st,
                             "INSERT INTO fed_consortium(id, serial, file, adopted_ms) VALUES "
                             "(1, $1, $2, $3) ON CONFLICT(id) DO UPDATE SET serial = "
                             "excluded.serial, file = excluded.file, adopted_ms = "
                             "excluded.adopted_ms WHERE excluded.serial > fed_consortium.serial",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, (int64_t)serial);
    ac_db_bind_blob(s, 2, file, len);
    ac_db_bind_int64(s, 3, now_ms);
    err = ac__store_begin(st);
    if (err) {
        ac_db_reset(s);
        return err;
    }
    err = ac__store_done(st, s);
    if (!err && ac_db_changes(ac__store_db(st)) == 0)
        err = AC_ECONFLICT;
    return ac__store_end(st, err);
}

int ac_store_peer_state_get(struct ac_store *st, const char *node_id, struct ac_peer_state *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT cursor, attempts, next_attempt_ms, last_success_ms, "
                             "last_error, received FROM fed_peer_state WHERE node_id = $1",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, node_id, -1);
    memset(out, 0, sizeof *out);
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW) {
        out->cursor = ac_db_col_int64(s, 0);
        out->attempts = ac_db_col_int64(s, 1);
        out->next_attempt_ms = ac_db_col_int64(s, 2);
        out->last_success_ms = ac_db_col_int64(s, 3);
        ac__col_copy(out->last_error, sizeof out->last_error, s, 4);
        out->received = ac_db_col_int64(s, 5);
        rc = AC_DB_DONE;
    }
    ac_db_reset(s);
    return rc == AC_DB_DONE ? 0 : ac__store_error(st, rc);
}

int ac_store_peer_state_success(struct ac_store *st, const char *node_id, int64_t cursor,
                                int64_t now_ms)
{
    struct ac_db_stmt *s;
    int err =
        ac__store_stmt(st,
                       "INSERT INTO fed_peer_state(node_id, cursor, last_success_ms) VALUES "
                       "($1, $2, $3) ON CONFLICT(node_id) DO UPDATE SET cursor = "
                       "CASE WHEN excluded.cursor > fed_peer_state.cursor THEN excluded.cursor"
                       " ELSE fed_peer_state.cursor END, attempts = 0, next_attempt_ms = 0, "
                       "last_success_ms = excluded.last_success_ms, last_error = ''",
                       &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, node_id, -1);
    ac_db_bind_int64(s, 2, cursor);
    ac_db_bind_int64(s, 3, now_ms);
    return write_one(st, s);
}

int ac_store_peer_state_failure(struct ac_store *st, const char *node_id, int64_t attempts,
                                int64_t next_attempt_ms, const char *error)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "INSERT INTO fed_peer_state(node_id, attempts, next_attempt_ms, "
                             "last_error) VALUES ($1, $2, $3, substr($4, 1, 199)) ON "
                             "CONFLICT(node_id) DO UPDATE SET attempts = excluded.attempts, "
                             "next_attempt_ms = excluded.next_attempt_ms, last_error = "
                             "excluded.last_error",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, node_id, -1);
    ac_db_bind_int64(s, 2, attempts);
    ac_db_bind_int64(s, 3, next_attempt_ms);
    ac_db_bind_text(s, 4, error, -1);
    return write_one(st, s);
}

int ac_store_peer_state_probe(struct ac_store *st, const char *node_id, int64_t when_ms)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "UPDATE fed_peer_state SET next_attempt_ms = $2 WHERE node_id = $1 "
                             "AND next_attempt_ms > $2",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, node_id, -1);
    ac_db_bind_int64(s, 2, when_ms);
    return write_one(st, s);
}

int ac_store_peer_state_received(struct ac_store *st, const char *node_id)
{
    if (!ac_db_in_tx(ac__store_db(st)))
        return AC_EBUG;
    struct ac_db_stmt *s;
    int err =
        ac__store_stmt(st,
                       "INSERT INTO fed_peer_state(node_id, received) VALUES ($1, 1) ON "
                       "CONFLICT(node_id) DO UPDATE SET received = fed_peer_state.received + 1",
                       &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, node_id, -1);
    return ac__store_done(st, s);
}

int ac_store_peer_doc_put(struct ac_store *st, const char *node_id, const char *kind,
                          const uint8_t *doc, size_t len, int64_t now_ms)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "INSERT INTO fed_peer_docs(node_id, kind, doc, fetched_ms) "
                             "VALUES ($1, $2, $3, $4)"
                             " ON CONFLICT (node_id, kind) DO UPDATE SET doc = excluded.doc,"
                             " fetched_ms = excluded.fetched_ms",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, node_id, -1);
    ac_db_bind_text(s, 2, kind, -1);
    ac_db_bind_blob(s, 3, doc, len);
    ac_db_bind_int64(s, 4, now_ms);
    return write_one(st, s);
}

int ac_store_peer_doc_get(struct ac_store *st, const char *node_id, const char *kind, uint8_t **doc,
                          size_t *len, int64_t *fetched_ms)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st, "SELECT doc, fetched_ms FROM fed_peer_docs WHERE node_id = $1 AND kind = $2", &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, node_id, -1);
    ac_db_bind_text(s, 2, kind, -1);
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW) {
        *fetched_ms = ac_db_col_int64(s, 1);
        err = blob_dup(s, 0, doc, len);
    } else {
        err = rc == AC_DB_DONE ? AC_ENOENT : ac__store_error(st, rc);
    }
    ac_db_reset(s);
    return err;
}

int ac_store_cosignature_put(struct ac_store *st, uint64_t size, const char *witness,
                             const char *line, int64_t now_ms)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "INSERT INTO fed_cosignatures(size, witness, line, "
                             "received_ms) VALUES ($1, $2, $3, $4)"
                             " ON CONFLICT (size, witness) DO UPDATE SET line = excluded.line,"
                             " received_ms = excluded.received_ms",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, (int64_t)size);
    ac_db_bind_text(s, 2, witness, -1);
    ac_db_bind_text(s, 3, line, -1);
    ac_db_bind_int64(s, 4, now_ms);
    return write_one(st, s);
}

int ac_store_cosignature_lines(struct ac_store *st, uint64_t size, struct ac_buf *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st, "SELECT line FROM fed_cosignatures WHERE size = $1 ORDER BY witness", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, (int64_t)size);
    int rc;
    while (!err && (rc = ac_db_step(s)) == AC_DB_ROW)
        err = ac_buf_append_str(out, ac_db_col_text(s, 0));
    if (!err && rc != AC_DB_DONE)
        err = ac__store_error(st, rc);
    ac_db_reset(s);
    return err;
}
