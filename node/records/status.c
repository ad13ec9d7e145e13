/* status.c - the status service: revoking, suspending and reinstating a
 * record (the store's status entry and its audit row in one transaction;
 * the in-memory status list follows the commit), and publishing the status
 * list as a Token Status List token and a W3C Bitstring Status List. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/sign/keyring.h"
#include "accord/records/status.h"
#include "accord/store/store.h"
#include "accord/store/status.h"
#include "accounts/accounts.h"
#include "audit.h"
#include "records/records.h"

/* The verb a person uses for a change to |to|. */
static const char *verb_of(enum ac_status to)
{
    switch (to) {
    case AC_STATUS_INVALID:
        return "revoke";
    case AC_STATUS_SUSPENDED:
        return "suspend";
    default:
        return "reinstate";
    }
}

/* The in-memory status list's part of a change, run once the change is
 * committed (an after-commit hook: inside a request transaction that is the
 * request's commit, and a rolled-back or re-run request leaves memory as
 * it was). Memory refuses it only when it lags the store (another process
 * issued that record or changed its status): then it is loaded again. */
struct status_change {
    struct ac_node *n;
    uint64_t idx;
    enum ac_status to;
    int64_t before, after; /* the stored list's version around the change */
};

static void status_follow(void *arg)
{
    struct status_change *c = arg;
    struct ac__records *r = c->n->records;
    if (r->status_version != c->before || ac_status_list_set(r->status, c->idx, c->to) != 0)
        ac__status_reload(c->n);
    else
        r->status_version = c->after;
    r->token.stale = r->bitstring.stale = 1;
}

/* Whether a record in state |from| may move to |to|; if not, says why. */
static int transition_allowed(enum ac_status from, enum ac_status to, const char **why)
{
    if (from == AC_STATUS_INVALID) {
        *why = "the credential is revoked; revocation is final";
        return 0;
    }
    if (to == AC_STATUS_SUSPENDED && from == AC_STATUS_SUSPENDED) {
        *why = "the credential is already suspended";
        return 0;
    }
    if (to == AC_STATUS_VALID && from != AC_STATUS_SUSPENDED) {
        *why = "the credential is not suspended; only a suspension is lifted";
        return 0;
    }
    return 1;
}

int ac__records_set_status(struct ac_node *n, const struct ac_user *by, int64_t record_id,
                           enum ac_status to, const char *reason, struct ac_store_status *out,
                           struct ac_reason *why)
{
    int err = ac__need_role(by, AC_ROLE_ADMIN, why);
    if (err)
        return err;
    err = ac_store_tx_begin(n->store);
    if (err)
        return err;
    struct ac_store_status e;
    enum ac_status from = AC_STATUS_VALID;
    /* The stored state, not memory's: another process of this node may have
     * changed it (revocation is final whoever revoked). */
    int64_t before = 0, after = 0;
    err = ac_store_status_version(n->store, &before);
    if (!err)
        err = ac_store_status_get(n->store, record_id, &e);
    if (!err)
        from = (enum ac_status)e.state;
    const char *rule;
    if (!err && !transition_allowed(from, to, &rule))
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_STATUS_CONFLICT, NULL,
                             "cannot %s credential %lld: %s", verb_of(to), (long long)record_id,
                             rule);
    if (!err)
        err = ac_store_status_set(n->store, e.idx, (int)to, reason, by->id, ac_clock_now_ms());
    if (!err) {
        json_t *d =
            json_pack("{s:s, s:s, s:s, s:I}", "from", ac_status_name(from), "to",
                      ac_status_name(to), "reason", reason, "status_index", (json_int_t)e.idx);
        err = d ? ac_audit_id(n, "record", record_id, by->id, verb_of(to), d) : AC_ENOMEM;
        json_decref(d);
    }
    if (!err && out)
        err = ac_store_status_get(n->store, record_id, out);
    if (!err)
        err = ac_store_status_version(n->store, &after);
    if (!err) {
        struct status_change *c = malloc(sizeof *c);
        if (c) {
            *c = (struct status_change){n, e.idx, to, before, after};
            err = ac_store_after_commit(n->store, status_follow, free, c);
        } else {
            err = AC_ENOMEM;
        }
    }
    if (err) {
        ac_store_tx_rollback(n->store);
        return err;
    }
    /* Memory follows only a committed change: status_follow() runs then. */
    err = ac_store_tx_commit(n->store);
    if (err)
        return err;
    ac_log_info("records", "record %lld: %s -> %s (%s) by %s", (long long)record_id,
                ac_status_name(from), ac_status_name(to), reason, by->name);
    return 0;
}

static int build_token(struct ac_node *n, int64_t now_ms)
{
    struct ac__records *r = n->records;
    const struct ac_key_info *k = ac_keyring_current(n->keyring);
    int64_t iat = now_ms / 1000;
    struct ac_status_token_claims c = {
        .sub = r->status_uri,
        .iat = iat,
        .exp = iat + AC__TOKEN_LIFETIME_S,
        .ttl = AC__STATUS_TTL_S,
    };
    struct ac_buf tok = AC_BUF_INIT;
    int err = ac_status_token_sign(r->status, &c, k->kid, AC_KEY_ID_BYTES, ac__keyring_sign_cb,
                                   n->keyring, &tok);
    if (err)
        return err;
    ac_buf_release(&r->token.body);
    r->token.body = tok;
    ac__published_seal(&r->token, now_ms);
    return 0;
}

static int build_bitstring(struct ac_node *n, int64_t now_ms)
{
    struct ac__records *r = n->records;
    struct ac_buf rev = AC_BUF_INIT, sus = AC_BUF_INIT;
    int err = ac_status_w3c_encode(r->status, AC_STATUS_PURPOSE_REVOCATION, &rev);
    if (!err)
        err = ac_buf_terminate(&rev);
    if (!err)
        err = ac_status_w3c_encode(r->status, AC_STATUS_PURPOSE_SUSPENSION, &sus);
    if (!err)
        err = ac_buf_terminate(&sus);
    json_t *j = NULL;
    if (!err) {
        j = json_pack("{s:s, s:I, s:[{s:s, s:s}, {s:s, s:s}]}", "id", r->status_uri, "entries",
                      (json_int_t)ac_status_list_entries(r->status), "lists", "statusPurpose",
                      "revocation", "encodedList", (const char *)rev.data, "statusPurpose",
                      "suspension", "encodedList", (const char *)sus.data);
        err = j ? 0 : AC_ENOMEM;
    }
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (j && !text)
        err = AC_ENOMEM;
    if (!err) {
        r->bitstring.body.len = 0;
        err = ac_buf_append_str(&r->bitstring.body, text);
    }
    if (!err)
        ac__published_seal(&r->bitstring, now_ms);
    free(text);
    json_decref(j);
    ac_buf_release(&rev);
    ac_buf_release(&sus);
    return err;
}

int ac__status_publish_bitstring(struct ac_node *n)
{
    struct ac__records *r = n->records;
    /* Another process of this node may have issued (the log head moved: the
     * refresh follows it, status list included) or changed a status. */
    int err = ac__checkpoint_refresh(n);
    int64_t version = 0;
    /* Read a moment ago on a reader thread (ac__checkpoint_fresh()) when it
     * is the one memory reflects; any other is read again here. */
    if (!err && r->head_fresh && r->fresh_status_version == r->status_version)
        version = r->status_version;
    else if (!err)
        err = ac_store_status_version(n->store, &version);
    if (!err && version != r->status_version)
        err = ac__status_reload(n);
    if (!err && (r->bitstring.stale || r->bitstring.body.len == 0))
        err = build_bitstring(n, ac_clock_now_ms());
    return err;
}

int ac__status_publish(struct ac_node *n)
{
    struct ac__records *r = n->records;
    /* The bitstring first: it needs no signature, so it is up to date even
     * while the keyring is sealed. */
    int err = ac__status_publish_bitstring(n);
    if (err)
        return err;
    int64_t now_ms = ac_clock_now_ms();
    if (r->token.stale || r->token.body.len == 0 ||
        now_ms - r->token.made_ms >= AC__TOKEN_REFRESH_MS || now_ms < r->token.made_ms) {
        err = build_token(n, now_ms);
        /* The keyring signs nothing while a rotation's key files are
         * fsynced (node/records/keys.c): a token that is only due for its
         * refresh, not stale, and younger than its ttl is still what a
         * verifier may hold, and is served; otherwise AC_EBUSY (503). */
        if (err == AC_EBUSY && !r->token.stale && r->token.body.len &&
            now_ms >= r->token.made_ms && now_ms - r->token.made_ms < AC__STATUS_TTL_S * 1000)
            err = 0;
    }
    return err;
}
