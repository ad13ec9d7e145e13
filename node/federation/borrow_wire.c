/* borrow_wire.c - what both sides of borrowed review need on the wire
 * (bodies go through json_cbor.c): queuing a message in the caller's
 * transaction, and the inbox's envelope checks for the one borrowed-review
 * request that does not go through the inbox (an artifact fetch, whose bytes
 * must not be kept as a dedup answer). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/sign/cbor.h"
#include "borrow.h"
#include "federation.h"
#include "internal.h"

int ac__borrow_queue(struct ac_node *n, const char *peer, const char *type, const char *msg_id,
                     const json_t *body)
{
    struct ac_buf b = AC_BUF_INIT;
    int err = ac__json_to_cbor(body, &b);
    if (!err && !n->federation)
        err = AC_EIO;
    if (!err)
        err = ac__fed_queue(n->federation, peer, type, msg_id, b.data, b.len);
    ac_buf_release(&b);
    return err;
}

int ac__borrow_verify(struct ac_node *n, const uint8_t *raw, size_t len, const char *type,
                      struct ac_envelope *e, struct ac__fed_peer **peer, struct ac_reason *why)
{
    struct ac__federation *f = n->federation;
    if (!f)
        return ac_reason_fail(why, AC_EIO, AC_PROBLEM_STORAGE_UNAVAILABLE, NULL,
                              "federation is not running on this node");
    char w[AC_ENVELOPE_WHY_LEN];
    struct ac_cose_sign1 m;
    if (ac_envelope_parse(raw, len, &m, w, sizeof w))
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_BAD_ENVELOPE, NULL, "%s", w);
    const struct ac__fed_key *key = NULL;
    struct ac__fed_peer *p = ac__fed_peer_by_kid(f, m.kid, m.kid_len, &key);
    if (!p)
        return ac_reason_fail(why, AC_EACCES, AC_PROBLEM_UNKNOWN_SENDER, "kid",
                              "the key belongs to no peer of this node");
    if (ac_envelope_verify(&m, key->public_key))
        return ac_reason_fail(why, AC_EACCES, AC_PROBLEM_BAD_SIGNATURE, NULL,
                              "the signature does not verify with %s's key", p->node_id);
    if (ac_envelope_decode(&m, e, w, sizeof w))
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_BAD_ENVELOPE, NULL, "%s", w);
    if (strcmp(e->from, p->node_id) != 0)
        return ac_reason_fail(why, AC_EACCES, AC_PROBLEM_WRONG_KEY, "from",
                              "from \"%s\" but signed with a key of %s", e->from, p->node_id);
    if (!ac_member_key_valid_at(&(struct ac_member_key){.not_before_ms = key->not_before_ms,
                                                        .not_after_ms = key->not_after_ms},
                                e->ts_ms))
        return ac_reason_fail(why, AC_EACCES, AC_PROBLEM_RETIRED_KEY, "ts",
                              "the key of %s was not valid at ts", p->node_id);
    if (strcmp(e->to, n->cfg->node_id) != 0)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_WRONG_RECIPIENT, "to",
                              "to \"%s\"; this node is \"%s\"", e->to, n->cfg->node_id);
    int64_t now = ac_clock_now_ms();
    if (e->ts_ms < now - AC__FED_SKEW_MS || e->ts_ms > now + AC__FED_SKEW_MS)
        return ac_reason_fail(why, AC_EACCES, AC_PROBLEM_CLOCK_SKEW, "ts",
                              "ts is %lld s from this node's clock; at most %d s is allowed",
                              (long long)((e->ts_ms - now) / 1000), AC__FED_SKEW_MS / 1000);
    if (strcmp(e->type, type) != 0)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_UNKNOWN_MESSAGE_TYPE, "type",
                              "this endpoint takes \"%s\", not \"%s\"", type, e->type);
    *peer = p;
    return 0;
}

void ac__borrow_month(int64_t ms, char out[8])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    unsigned y = (unsigned)(tm.tm_year + 1900) % 10000, m = (unsigned)(tm.tm_mon + 1) % 100;
    snprintf(out, 8, "%04u-%02u", y, m);
}

void ac__borrow_random_hex(char *out, size_t nbytes)
{
    uint8_t r[32];
    if (nbytes > sizeof r)
        nbytes = sizeof r;
    randombytes_buf(r, nbytes);
    sodium_bin2hex(out, 2 * nbytes + 1, r, nbytes);
}
