/* tokens.c - the tokens service: bearer tokens are random, shown once and
 * stored as a hash keyed with the node secret; creating and revoking them
 * is audited. */
#include <inttypes.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/store/remote.h"
#include "accord/store/user.h"
#include "accounts/accounts.h"
#include "accounts/token_cache.h"
#include "audit.h"
#include "internal.h"

#define TOKEN_RANDOM_BYTES 32

void ac__token_hash(const struct ac_node *n, const char *text, size_t len,
                    uint8_t hash[AC_TOKEN_HASH_BYTES])
{
    crypto_generichash(hash, AC_TOKEN_HASH_BYTES, (const uint8_t *)text, len, n->secret,
                       AC_NODE_SECRET_BYTES);
}

int ac__token_issue(struct ac_node *n, int64_t user_id, const char *label, struct ac_token *tok,
                    char text[AC_TOKEN_TEXT_BYTES])
{
    uint8_t raw[TOKEN_RANDOM_BYTES];
    randombytes_buf(raw, sizeof raw);
    memcpy(text, AC_TOKEN_PREFIX, strlen(AC_TOKEN_PREFIX));
    char *b64 = text + strlen(AC_TOKEN_PREFIX);
    sodium_bin2base64(b64, AC_TOKEN_TEXT_BYTES - strlen(AC_TOKEN_PREFIX), raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    uint8_t hash[AC_TOKEN_HASH_BYTES];
    ac__token_hash(n, text, strlen(text), hash);
    int err = ac_store_token_create(n->store, user_id, label, hash, ac_clock_now_ms(), tok);
    if (err)
        sodium_memzero(text, AC_TOKEN_TEXT_BYTES);
    return err;
}

/* Ends the transaction of a service: commits when |err| is 0, else rolls
 * back. Returns |err| or the commit's error. */
static int finish(struct ac_node *n, int err)
{
    if (err) {
        ac_store_tx_rollback(n->store);
        return err;
    }
    return ac_store_tx_commit(n->store);
}

int ac__tokens_create(struct ac_node *n, const struct ac_user *by, int64_t user_id,
                      const char *label, struct ac_token *out, char text[AC_TOKEN_TEXT_BYTES],
                      struct ac_reason *why)
{
    int err = ac__need_role(by, AC_ROLE_ADMIN, why);
    if (err)
        return err;
    err = ac_store_tx_begin(n->store);
    if (err)
        return err;
    struct ac_user u;
    err = ac_store_user_get(n->store, user_id, &u);
    if (!err && u.disabled_ms)
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_CONFLICT, "id",
                             "user %s is disabled; it cannot get tokens", u.name);
    struct ac_remote_reviewer home;
    int remote = err ? AC_ENOENT : ac_store_remote_reviewer_get(n->store, user_id, &home);
    if (remote == 0)
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_CONFLICT, "id",
                             "user %s stands in for a reviewer of node %s, who signs in there;"
                             " it cannot get tokens here",
                             u.name, home.home_node);
    else if (remote != AC_ENOENT)
        err = remote;
    int issued = 0;
    if (!err) {
        err = ac__token_issue(n, u.id, label, out, text);
        issued = !err;
    }
    if (!err) {
        json_t *d = json_pack("{s:I, s:s}", "user_id", (json_int_t)u.id, "label", out->label);
        err = d ? ac_audit_id(n, "token", out->id, by->id, "create", d) : AC_ENOMEM;
        json_decref(d);
    }
    err = finish(n, err);
    if (err) {
        if (issued)
            sodium_memzero(text, AC_TOKEN_TEXT_BYTES); /* never shown: it was not kept */
        return err;
    }
    ac_log_info("accounts", "token %lld for %s created by %s", (long long)out->id, u.name,
                by->name);
    return 0;
}

int ac__tokens_revoke(struct ac_node *n, const struct ac_user *by, int64_t token_id,
                      struct ac_token *out, struct ac_reason *why)
{
    (void)why; /* every refusal here is told by its code alone */
    int err = ac_store_tx_begin(n->store);
    if (err)
        return err;
    struct ac_token t;
    err = ac_store_token_get(n->store, token_id, &t);
    /* A non-admin learns nothing about other users' token ids: the same
     * answer as for a token that does not exist. */
    if (!err && t.user_id != by->id && !(by->roles & AC_ROLE_ADMIN))
        err = AC_ENOENT;
    int was_revoked = !err && t.revoked_ms != 0;
    if (!err)
        err = ac_store_token_revoke(n->store, token_id, ac_clock_now_ms());
    if (!err) {
        json_t *d = json_pack("{s:I, s:b}", "user_id", (json_int_t)t.user_id, "already_revoked",
                              was_revoked);
        err = d ? ac_audit_id(n, "token", token_id, by->id, "revoke", d) : AC_ENOMEM;
        json_decref(d);
    }
    if (!err)
        err = ac_store_token_get(n->store, token_id, out);
    if (!err)
        err = ac__token_cache_forget_at_commit(n->token_cache, n->store, t.user_id);
    err = finish(n, err);
    if (err)
        return err;
    ac__token_cache_forget_user(n->token_cache, t.user_id);
    ac_log_info("accounts", "token %lld revoked by %s", (long long)token_id, by->name);
    return 0;
}
