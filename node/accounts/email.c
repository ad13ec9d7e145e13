/* email.c - the e-mail address service: a user's address, proved by a
 * one-time link mailed to it or vouched for by an admin, which records then
 * name as its salted hash (core/records/subject.h). A newly verified address
 * releases the records that waited for one. docs/records.md ("Subject")
 * describes the whole. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/records/subject.h"
#include "accord/store/job.h"
#include "accord/store/notify.h"
#include "accord/store/submission.h"
#include "accord/store/user.h"
#include "accounts/accounts.h"
#include "audit.h"
#include "internal.h"
#include "review/review.h"
#include "review/scheduler.h"

/* Passed submissions released per verification; an earner with more waiting
 * gets the rest when the jobs of these ran (each issue is cheap, but one
 * request should not queue an unbounded number). */
#define RELEASE_MAX 256

/* The stored form of link |text|: a BLAKE2b hash keyed with the node
 * secret under its own label, so the database alone gives no working link
 * and these hashes never collide with token or session hashes. */
static void link_hash(const struct ac_node *n, const char *text,
                      uint8_t hash[AC_EMAIL_LINK_HASH_BYTES])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, n->secret, AC_NODE_SECRET_BYTES, AC_EMAIL_LINK_HASH_BYTES);
    crypto_generichash_update(&st, (const uint8_t *)"accord email link\n", 18);
    crypto_generichash_update(&st, (const uint8_t *)text, strlen(text));
    crypto_generichash_final(&st, hash, AC_EMAIL_LINK_HASH_BYTES);
}

static int finish(struct ac_node *n, int err)
{
    if (err) {
        ac_store_tx_rollback(n->store);
        return err;
    }
    return ac_store_tx_commit(n->store);
}

/* Queues the issue job again for every passed submission of |user_id| that
 * has no record: they waited for this address. Inside the caller's
 * transaction. Sets |*released| to how many. */
static int release_waiting(struct ac_node *n, int64_t user_id, int64_t now, size_t *released)
{
    int64_t ids[RELEASE_MAX];
    size_t got = 0;
    int err = ac_store_submissions_awaiting_record(n->store, user_id, ids, RELEASE_MAX, &got);
    for (size_t i = 0; !err && i < got; i++)
        err = ac_store_job_add(n->store, "issue", ids[i], now);
    *released = err ? 0 : got;
    return err;
}

/* Audits |action| on user |user_id| by |actor| with the number of records
 * released. */
static int audit_email(struct ac_node *n, int64_t user_id, int64_t actor, const char *action,
                       size_t released)
{
    json_t *d = json_pack("{s:I}", "records_released", (json_int_t)released);
    int err = d ? ac_audit_id(n, "user", user_id, actor, action, d) : AC_ENOMEM;
    json_decref(d);
    return err;
}

/* Makes the link and queues the mail carrying it, inside the caller's
 * transaction. The token is never stored or logged. */
static int mail_link(struct ac_node *n, const struct ac_user *u, const char *address, int64_t now)
{
    char text[AC_EMAIL_TOKEN_TEXT_BYTES], body[1024];
    uint8_t raw[32], hash[AC_EMAIL_LINK_HASH_BYTES];
    randombytes_buf(raw, sizeof raw);
    memcpy(text, "ace_", 4);
    sodium_bin2base64(text + 4, sizeof text - 4, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    link_hash(n, text, hash);
    snprintf(body, sizeof body,
             "Someone (we hope you) gave %s as the e-mail address of the Accord account %s "
             "at %s.\n\nThe credentials you earn name you by this address (as a salted hash, "
             "never the address itself). To confirm it is yours, within 24 hours, run\n\n"
             "  accordctl user verify-email %s\n\n"
             "or send {\"token\": \"%s\"} to POST /v1/email/verify while signed in.\n"
             "If you did not ask, ignore this message.\n",
             address, u->name, n->cfg->node_id, text, text);
    sodium_memzero(text, sizeof text);
    int err = ac_store_email_link_add(n->store, hash, u->id, address, now, now + AC_EMAIL_LINK_MS);
    if (!err)
        err = ac_store_notify_add(n->store, u->id, "email_verify", 0,
                                  "Confirm your e-mail address for Accord", body, now, NULL);
    sodium_memzero(body, sizeof body);
    return err;
}

int ac__users_set_email(struct ac_node *n, const struct ac_user *by, int64_t user_id,
                        const char *address, int vouch, struct ac_user_email *out,
                        struct ac_reason *why)
{
    int err = 0;
    if (vouch)
        err = ac__need_role(by, AC_ROLE_ADMIN, why);
    else if (by->id != user_id)
        err = ac__need_role(by, AC_ROLE_ADMIN, why);
    if (err)
        return err;
    char addr[AC_EMAIL_MAX + 1], rule[320];
    if (ac_email_normalize(address, addr, rule, sizeof rule))
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "email", "%s", rule);
    struct ac_user u;
    struct ac_user_email cur;
    int64_t now = ac_clock_now_ms();
    err = ac_store_tx_begin(n->store);
    if (err)
        return err;
    err = ac_store_user_get(n->store, user_id, &u);
    if (!err)
        err = ac_store_user_email_get(n->store, user_id, &cur);
    if (err == AC_ENOENT)
        ac_reason_fail(why, err, AC_PROBLEM_NOT_FOUND, "id", "id: no user %" PRId64, user_id);
    size_t released = 0;
    int sent = 0;
    if (!err && strcmp(cur.address, addr) == 0 && cur.verified_ms) {
        *out = cur; /* nothing to prove again */
    } else if (!err && vouch) {
        err = ac_store_user_email_set(n->store, user_id, addr, now);
        if (!err)
            err = release_waiting(n, user_id, now, &released);
        if (!err)
            err = audit_email(n, user_id, by->id, "email.vouch", released);
    } else if (!err) {
        /* Changing the address unverifies the account until the new one is
         * proved: records must not name an address nobody confirmed. */
        err = ac_store_user_email_set(n->store, user_id, addr, 0);
        if (!err)
            err = mail_link(n, &u, addr, now);
        if (!err)
            err = audit_email(n, user_id, by->id, "email.set", 0);
        sent = 1;
    }
    if (!err)
        err = ac_store_user_email_get(n->store, user_id, out);
    err = finish(n, err);
    if (err)
        return err;
    if (sent)
        ac__notify_pump(n);
    if (released)
        ac__scheduler_kick(n);
    ac_log_info("accounts", "user %" PRId64 " e-mail %s by %s%s", user_id,
                vouch  ? "vouched for"
                : sent ? "set, link mailed"
                       : "unchanged",
                by->name, released ? "; waiting records released" : "");
    return 0;
}

int ac__users_verify_email(struct ac_node *n, const struct ac_user *by, const char *token,
                           struct ac_user_email *out, struct ac_reason *why)
{
    uint8_t hash[AC_EMAIL_LINK_HASH_BYTES];
    link_hash(n, token ? token : "", hash);
    int64_t now = ac_clock_now_ms(), uid = 0;
    char proved[AC_USER_EMAIL_MAX + 1];
    struct ac_user_email cur;
    int err = ac_store_tx_begin(n->store);
    if (err)
        return err;
    err = ac_store_email_link_use(n->store, hash, now, &uid, proved, sizeof proved);
    /* Another user's link is refused like an unknown one, and the rollback
     * leaves it unspent for its owner. */
    if (!err && uid != by->id)
        err = AC_ENOENT;
    if (err == AC_ENOENT)
        ac_reason_fail(why, err, AC_PROBLEM_NOT_FOUND, "token",
                       "token: no such link for you; it may have expired (links work for 24 "
                       "hours) or been used; ask for a new one by setting your address again");
    if (!err)
        err = ac_store_user_email_get(n->store, by->id, &cur);
    if (!err && strcmp(cur.address, proved) != 0)
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_CONFLICT, "token",
                             "token: this link proves an address you have replaced since; use "
                             "the link mailed to your current address");
    size_t released = 0;
    if (!err && !cur.verified_ms)
        err = ac_store_user_email_set(n->store, by->id, proved, now);
    if (!err)
        err = release_waiting(n, by->id, now, &released);
    if (!err)
        err = audit_email(n, by->id, by->id, "email.verify", released);
    if (!err)
        err = ac_store_user_email_get(n->store, by->id, out);
    err = finish(n, err);
    if (err)
        return err;
    if (released)
        ac__scheduler_kick(n);
    ac_log_info("accounts", "user %s verified their e-mail address", by->name);
    return 0;
}

int ac__users_verified_email(struct ac_node *n, int64_t user_id,
                             char address[AC_USER_EMAIL_MAX + 1], struct ac_reason *why)
{
    struct ac_user_email e;
    int err = ac_store_user_email_get(n->store, user_id, &e);
    if (err)
        return err;
    if (!e.address[0] || !e.verified_ms)
        return ac_reason_fail(
            why, AC_ECONFLICT, AC_PROBLEM_EMAIL_UNVERIFIED, "email",
            "email: user %" PRId64 " has %s; records name their earner by a "
            "verified address (accordctl user email)",
            user_id, e.address[0] ? "not yet verified their e-mail address" : "no e-mail address");
    memcpy(address, e.address, sizeof e.address);
    return 0;
}
