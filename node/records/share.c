/* share.c - who may read a record, and the links an earner shares. A record
 * names who earned what, so reading one by its row id (a counter anyone could
 * walk) is for an admin or its earner only; the public reaches a record only
 * through a share token the earner made (128 random bits, stored as their
 * SHA-256) and may withdraw. */
#include <string.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/store/record.h"
#include "accord/store/store.h"
#include "audit.h"
#include "records/records.h"

#define TOKEN_BYTES 16

int ac__records_may_read(struct ac_node *n, const struct ac_user *by, int64_t record_id,
                         struct ac_reason *why)
{
    return ac__records_may_read_in(n->store, by, record_id, why);
}

int ac__records_may_read_in(struct ac_store *st, const struct ac_user *by, int64_t record_id,
                            struct ac_reason *why)
{
    int64_t earner = 0;
    int err = ac_store_record_earner(st, record_id, &earner);
    if (!err && !(by->roles & AC_ROLE_ADMIN) && earner != by->id)
        err = AC_ENOENT;
    if (err == AC_ENOENT)
        ac_reason_fail(why, err, AC_PROBLEM_NOT_FOUND, NULL,
                       "credential %lld: no such credential of yours (a credential is read by "
                       "its earner or an admin; others use the link its earner shares)",
                       (long long)record_id);
    return err;
}

static void copy_bytes(void *ctx, const uint8_t *p, size_t len)
{
    struct ac_buf *b = ctx;
    if (ac_buf_append(b, p, len))
        b->len = 0; /* read as "nothing": the caller answers AC_ENOMEM */
}

int ac__records_opening(struct ac_node *n, const struct ac_user *by, int64_t record_id,
                        struct ac__opening *out, struct ac_reason *why)
{
    int64_t earner = 0;
    int err = ac_store_record_earner(n->store, record_id, &earner);
    if (!err && (earner == 0 || earner != by->id))
        err = AC_ENOENT;
    if (err == AC_ENOENT)
        return ac_reason_fail(why, err, AC_PROBLEM_NOT_FOUND, NULL,
                              "credential %lld: no such credential of yours (only its earner "
                              "is shown which address its subject hashes)",
                              (long long)record_id);
    struct ac_buf cose = AC_BUF_INIT;
    if (!err)
        err = ac_store_record_get(n->store, record_id, NULL, copy_bytes, &cose);
    if (!err && cose.len == 0)
        err = AC_ENOMEM;
    struct ac_record rec;
    struct ac_cose_sign1 msg;
    if (!err && ac_record_decode(cose.data, cose.len, &rec, &msg, NULL, 0))
        err = AC_EPARSE;
    if (!err)
        err = ac_store_record_subject_email(n->store, record_id, out->email, sizeof out->email);
    if (!err) {
        memcpy(out->subject, rec.sub, sizeof out->subject);
        memcpy(out->salt, rec.subject_salt, sizeof out->salt);
        sodium_bin2hex(out->cti_hex, sizeof out->cti_hex, rec.cti, sizeof rec.cti);
    }
    ac_buf_release(&cose);
    return err;
}

/* The token's SHA-256: what the store keeps and looks up. */
static int token_hash(const char *token, uint8_t h[crypto_hash_sha256_BYTES])
{
    if (!token || strlen(token) != AC__SHARE_TOKEN_LEN)
        return AC_ENOENT;
    for (const char *c = token; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '_'))
            return AC_ENOENT;
    crypto_hash_sha256(h, (const uint8_t *)token, AC__SHARE_TOKEN_LEN);
    return 0;
}

int ac__records_share(struct ac_node *n, const struct ac_user *by, int64_t record_id,
                      char token[AC__SHARE_TOKEN_LEN + 1], struct ac_reason *why)
{
    int err = ac__records_may_read(n, by, record_id, why);
    if (err)
        return err;
    uint8_t raw[TOKEN_BYTES], h[crypto_hash_sha256_BYTES];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(token, AC__SHARE_TOKEN_LEN + 1, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    crypto_hash_sha256(h, (const uint8_t *)token, AC__SHARE_TOKEN_LEN);
    err = ac_store_tx_begin(n->store);
    if (err)
        return err;
    err = ac_store_share_create(n->store, record_id, h, by->id, ac_clock_now_ms());
    if (!err) {
        /* The audit keeps a short prefix of the hash to tell links apart,
         * never the token: the audit log is not a list of working links. */
        char tag[17];
        sodium_bin2hex(tag, sizeof tag, h, 8);
        json_t *d = json_pack("{s:s}", "link", tag);
        err = d ? ac_audit_id(n, "record", record_id, by->id, "share", d) : AC_ENOMEM;
        json_decref(d);
    }
    if (err) {
        ac_store_tx_rollback(n->store);
        return err;
    }
    err = ac_store_tx_commit(n->store);
    if (!err)
        ac_log_info("records", "record %lld shared by %s", (long long)record_id, by->name);
    return err;
}

int ac__records_unshare(struct ac_node *n, const struct ac_user *by, int64_t record_id,
                        const char *token, struct ac_reason *why)
{
    int err = ac__records_may_read(n, by, record_id, why);
    if (err)
        return err;
    uint8_t h[crypto_hash_sha256_BYTES];
    if (token_hash(token, h)) {
        ac_reason_fail(why, AC_ENOENT, AC_PROBLEM_NOT_FOUND, "token",
                       "token: no live share link of credential %lld has this token",
                       (long long)record_id);
        return AC_ENOENT;
    }
    err = ac_store_tx_begin(n->store);
    if (err)
        return err;
    err = ac_store_share_withdraw(n->store, record_id, h, ac_clock_now_ms());
    if (err == AC_ENOENT)
        ac_reason_fail(why, err, AC_PROBLEM_NOT_FOUND, "token",
                       "token: no live share link of credential %lld has this token",
                       (long long)record_id);
    if (!err) {
        char tag[17];
        sodium_bin2hex(tag, sizeof tag, h, 8);
        json_t *d = json_pack("{s:s}", "link", tag);
        err = d ? ac_audit_id(n, "record", record_id, by->id, "unshare", d) : AC_ENOMEM;
        json_decref(d);
    }
    if (err) {
        ac_store_tx_rollback(n->store);
        return err;
    }
    err = ac_store_tx_commit(n->store);
    if (!err)
        ac_log_info("records", "record %lld: a share link withdrawn by %s", (long long)record_id,
                    by->name);
    return err;
}

int ac__records_shared(struct ac_node *n, const char *token, int64_t *record_id)
{
    return ac__records_shared_in(n->store, token, record_id);
}

int ac__records_shared_in(struct ac_store *st, const char *token, int64_t *record_id)
{
    uint8_t h[crypto_hash_sha256_BYTES];
    int err = token_hash(token, h);
    return err ? err : ac_store_share_find(st, h, record_id);
}
