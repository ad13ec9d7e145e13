/* store_record.c - issued credential records, and the one transaction that
 * stores a record together with its log leaf, status entry and checkpoint. */
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/record.h"
#include "accord/store/tlog.h"
#include "internal.h"

static int insert_record(struct ac_store *st, const struct ac_store_issue *in, int64_t *id)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st,
        "INSERT INTO records (cti, subject, definition_id,"
        " definition_version, achieved_level, kid, iat, log_index,"
        " status_idx, cose, created_ms, earner_id, subject_email)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
        &s);
    if (err)
        return err;
    ac_db_bind_blob(s, 1, in->cti, 16);
    ac_db_bind_text(s, 2, in->subject, -1);
    ac_db_bind_text(s, 3, in->definition_id, -1);
    ac_db_bind_int64(s, 4, (int64_t)in->definition_version);
    ac_db_bind_text(s, 5, in->achieved_level, -1);
    ac_db_bind_text(s, 6, in->kid, -1);
    ac_db_bind_int64(s, 7, in->iat);
    ac_db_bind_int64(s, 8, (int64_t)in->log_index);
    ac_db_bind_int64(s, 9, (int64_t)in->status_idx);
    ac_db_bind_blob(s, 10, in->cose, in->cose_len);
    ac_db_bind_int64(s, 11, in->now_ms);
    ac_db_bind_int64(s, 12, in->earner_id);
    ac_db_bind_text(s, 13, in->subject_email ? in->subject_email : "", -1);
    err = ac__store_insert_id(st, s, id);
    return err;
}

static int insert_leaf(struct ac_store *st, const struct ac_store_issue *in, int64_t record_id)
{
    struct ac_db_stmt *s;
    int err =
        ac__store_stmt(st, "INSERT INTO log_leaves (idx, hash, record_id) VALUES ($1, $2, $3)", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, (int64_t)in->log_index);
    ac_db_bind_blob(s, 2, in->leaf_hash, AC_STORE_HASH_BYTES);
    ac_db_bind_int64(s, 3, record_id);
    return ac__store_done(st, s);
}

static int insert_status(struct ac_store *st, const struct ac_store_issue *in, int64_t record_id)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "INSERT INTO status_entries (idx, record_id, state, reason,"
                             " changed_ms) VALUES ($1, $2, 0, '', $3)",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, (int64_t)in->status_idx);
    ac_db_bind_int64(s, 2, record_id);
    ac_db_bind_int64(s, 3, in->now_ms);
    return ac__store_done(st, s);
}

int ac_store_record_issue(struct ac_store *st, const struct ac_store_issue *in, int64_t *record_id)
{
    int err = ac__store_begin(st);
    if (err)
        return err;
    int64_t id = 0;
    struct ac_store_tlog_head head;
    err = ac_store_tlog_head_lock(st, &head);
    if (!err && head.size != in->log_index)
        err = AC_ECONFLICT; /* a second writer, or a stale tree head: never sign over it */
    if (!err)
        err = insert_record(st, in, &id);
    if (!err)
        err = insert_leaf(st, in, id);
    if (!err)
        err = insert_status(st, in, id);
    if (!err)
        err = ac__store_subtrees_insert(st, in->subtrees, in->nsubtrees, 0);
    if (!err)
        err = ac__store_checkpoint_insert(st, in->log_index + 1, in->new_root, in->kid,
                                          in->checkpoint_note, in->now_ms);
    if (err) {
        ac__store_rollback(st);
        return err;
    }
    err = ac__store_commit(st);
    if (err)
        return err;
    *record_id = id;
    return 0;
}

#define RECORD_COLUMNS "id, log_index, status_idx, kid, created_ms, cose, cti"

static int read_record(struct ac_store *st, struct ac_db_stmt *s, struct ac_store_record *rec,
                       ac_store_bytes_cb cb, void *ctx)
{
    int rc = ac_db_step(s);
    if (rc != AC_DB_ROW) {
        ac_db_reset(s);
        return rc == AC_DB_DONE ? AC_ENOENT : ac__store_error(st, rc);
    }
    if (rec) {
        rec->id = ac_db_col_int64(s, 0);
        rec->log_index = (uint64_t)ac_db_col_int64(s, 1);
        rec->status_idx = (uint64_t)ac_db_col_int64(s, 2);
        /* Copied by hand, cut to fit as snprintf would: once per record read. */
        const char *kid = ac_db_col_text(s, 3);
        size_t n = kid ? strnlen(kid, sizeof rec->kid - 1) : 0;
        if (n)
            memcpy(rec->kid, kid, n);
        rec->kid[n] = '\0';
        rec->created_ms = ac_db_col_int64(s, 4);
        memset(rec->cti, 0, sizeof rec->cti);
        if (ac_db_col_bytes(s, 6) == (int)sizeof rec->cti)
            memcpy(rec->cti, ac_db_col_blob(s, 6), sizeof rec->cti);
    }
    /* The blob is valid until the statement is reset, so |cb| sees it
     * without a copy; resetting right after ends the read transaction. */
    if (cb)
        cb(ctx, ac_db_col_blob(s, 5), (size_t)ac_db_col_bytes(s, 5));
    ac_db_reset(s);
    return 0;
}

int ac_store_record_get(struct ac_store *st, int64_t id, struct ac_store_record *rec,
                        ac_store_bytes_cb cb, void *ctx)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT " RECORD_COLUMNS " FROM records WHERE id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    return read_record(st, s, rec, cb, ctx);
}

int ac_store_record_at(struct ac_store *st, uint64_t index, struct ac_store_record *rec,
                       ac_store_bytes_cb cb, void *ctx)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT " RECORD_COLUMNS " FROM records WHERE log_index = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, (int64_t)index);
    return read_record(st, s, rec, cb, ctx);
}

int ac_store_record_count(struct ac_store *st, int64_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT count(*) FROM records", &s);
    if (err)
        return err;
    return ac__store_int64(st, s, n);
}

int ac_store_record_earner(struct ac_store *st, int64_t id, int64_t *earner_id)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT earner_id FROM records WHERE id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW)
        *earner_id = ac_db_col_int64(s, 0);
    ac_db_reset(s);
    return rc == AC_DB_ROW ? 0 : rc == AC_DB_DONE ? AC_ENOENT : ac__store_error(st, rc);
}

int ac_store_record_subject_email(struct ac_store *st, int64_t id, char *email, size_t size)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT subject_email FROM records WHERE id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW)
        ac__col_copy(email, size, s, 0);
    ac_db_reset(s);
    return rc == AC_DB_ROW ? 0 : rc == AC_DB_DONE ? AC_ENOENT : ac__store_error(st, rc);
}

int ac_store_share_create(struct ac_store *st, int64_t record_id, const uint8_t token_hash[32],
                          int64_t by, int64_t now_ms)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "INSERT INTO record_shares(token_hash, record_id, created_by,"
                             " created_ms) VALUES ($1, $2, $3, $4)",
                             &s);
    if (err)
        return err;
    ac_db_bind_blob(s, 1, token_hash, 32);
    ac_db_bind_int64(s, 2, record_id);
    ac_db_bind_int64(s, 3, by);
    ac_db_bind_int64(s, 4, now_ms);
    return ac__store_done(st, s);
}

int ac_store_share_find(struct ac_store *st, const uint8_t token_hash[32], int64_t *record_id)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT record_id FROM record_shares WHERE token_hash = $1"
                             " AND withdrawn_ms = 0",
                             &s);
    if (err)
        return err;
    ac_db_bind_blob(s, 1, token_hash, 32);
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW)
        *record_id = ac_db_col_int64(s, 0);
    ac_db_reset(s);
    return rc == AC_DB_ROW ? 0 : rc == AC_DB_DONE ? AC_ENOENT : ac__store_error(st, rc);
}

int ac_store_share_withdraw(struct ac_store *st, int64_t record_id, const uint8_t token_hash[32],
                            int64_t now_ms)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "UPDATE record_shares SET withdrawn_ms = $3 WHERE token_hash = $1"
                             " AND record_id = $2 AND withdrawn_ms = 0",
                             &s);
    if (err)
        return err;
    ac_db_bind_blob(s, 1, token_hash, 32);
    ac_db_bind_int64(s, 2, record_id);
    ac_db_bind_int64(s, 3, now_ms);
    err = ac__store_done(st, s);
    if (!err && ac_db_changes(ac__store_db(st)) == 0)
        err = AC_ENOENT;
    return err;
}
