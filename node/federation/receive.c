/* receive.c - POST /v1/federation/inbox: the one door a peer's message comes
 * through. Checks run in a fixed order and each refusal is a specific problem
 * with nothing changed: the envelope's structure, the sender's key (found by
 * kid among known peers), the signature over the exact bytes received, only
 * then the payload (from, key window, to, ts, type, right), then the inbox
 * row: a repeated id with the same body gets the stored answer, a reused id
 * with another body is refused. The effect, the inbox row and the signed
 * answer commit in one transaction. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/sign/cbor.h"
#include "accord/sign/envelope.h"
#include "accord/store/inbox.h"
#include "accord/store/peer.h"
#include "federation.h"
#include "internal.h"

/* What a message type needs and does. |apply| runs inside the transaction
 * that will hold the inbox row; it writes the answer's body into |answer| (one
 * CBOR item) or returns an error with |why| filled. */
struct msg_type {
    const char *type;
    unsigned right; /* 0: any known peer */
    int (*apply)(struct ac__federation *f, struct ac__fed_peer *from, const struct ac_envelope *e,
                 struct ac_buf *answer, struct ac_reason *why);
};

/* Encodes {"re": id, <key>: <uint>} as the answer body. */
static int answer_uint(const char *id, const char *key, uint64_t v, struct ac_buf *out)
{
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    ac_cbor_put_map(&w, 2);
    ac_cbor_put_str(&w, "re");
    ac_cbor_put_str(&w, id);
    ac_cbor_put_str(&w, key);
    ac_cbor_put_uint(&w, v);
    int rc = ac_cbor_writer_finish(&w, out);
    ac_cbor_writer_release(&w);
    return rc;
}

/* ping: no effect but the count of messages applied from the peer, so a
 * repeated id is seen to apply once. */
static int apply_ping(struct ac__federation *f, struct ac__fed_peer *from,
                      const struct ac_envelope *e, struct ac_buf *answer, struct ac_reason *why)
{
    (void)why;
    int err = ac_store_peer_state_received(f->node->store, from->node_id);
    return err ? err : answer_uint(e->id, "pong", (uint64_t)ac_clock_now_ms(), answer);
}

/* consortium.offer: a member passes on the newest file it holds; adopted
 * when it verifies with our pinned key and is newer. */
static int apply_consortium_offer(struct ac__federation *f, struct ac__fed_peer *from,
                                  const struct ac_envelope *e, struct ac_buf *answer,
                                  struct ac_reason *why)
{
    struct ac_cbor_reader r;
    const uint8_t *file;
    size_t len;
    if (ac_cbor_reader_init(&r, e->body, e->body_len) || ac_cbor_get_bytes(&r, &file, &len))
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_BAD_ENVELOPE, "body",
                              "a consortium.offer body is the signed file as a byte string");
    uint64_t serial = 0;
    struct ac_reason inner = AC_REASON_INIT;
    int err = ac__fed_consortium_adopt(f, file, len, &serial, &inner);
    if (err && err != AC_ECONFLICT) {
        *why = inner;
        return err;
    }
    ac_reason_release(&inner);
    if (!err)
        ac_log_info("federation", "consortium serial %llu offered by %s adopted",
                    (unsigned long long)serial, from->node_id);
    err = ac_store_peer_state_received(f->node->store, from->node_id);
    return err ? err : answer_uint(e->id, "serial", serial, answer);
}

/* catalog.offer: an issuer peer's catalog of active credential definitions
 * (a CBOR map), cached as the bytes its signed envelope carried, so a
 * recognizer's policies can name the peer's credentials. */
static int apply_catalog_offer(struct ac__federation *f, struct ac__fed_peer *from,
                               const struct ac_envelope *e, struct ac_buf *answer,
                               struct ac_reason *why)
{
    struct ac_cbor_reader r;
    uint64_t npairs;
    if (ac_cbor_reader_init(&r, e->body, e->body_len) || ac_cbor_get_map(&r, &npairs))
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_BAD_ENVELOPE, "body",
                              "a catalog.offer body is a map");
    int err = ac_store_peer_doc_put(f->node->store, from->node_id, "catalog", e->body,
                                    e->body_len, ac_clock_now_ms());
    if (!err)
        err = ac_store_peer_state_received(f->node->store, from->node_id);
    return err ? err : answer_uint(e->id, "cached", e->body_len, answer);
}

/* witness.cosignature: a witness vouches for one of our checkpoints. */
static int apply_cosignature(struct ac__federation *f, struct ac__fed_peer *from,
                             const struct ac_envelope *e, struct ac_buf *answer,
                             struct ac_reason *why)
{
    uint64_t size = 0;
    int err = ac__fed_take_cosignature(f, from, e->body, e->body_len, &size, why);
    if (!err)
        err = ac_store_peer_state_received(f->node->store, from->node_id);
    return err ? err : answer_uint(e->id, "size", size, answer);
}

static const struct msg_type types[] = {
    {"witness.cosignature", AC_RIGHT_WITNESS, apply_cosignature},
    {"ping", 0, apply_ping},
    {"catalog.offer", AC_RIGHT_ISSUER, apply_catalog_offer},
    {"consortium.offer", 0, apply_consortium_offer},
};

static const struct msg_type *find_type(const char *type)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i].type, type) == 0)
            return &types[i];
    return NULL;
}

static void respond_envelope(struct ac_http_exchange *x, int status, const uint8_t *p, size_t n)
{
    const struct ac_http_header h[] = {{"content-type", AC_ENVELOPE_CONTENT_TYPE}};
    ac_http_respond(x, status, h, 1, p, n);
}

/* The answer's id: derived from the request's sender and id, so the same
 * request always has the same answer id. */
static void answer_id(const struct ac_envelope *e, char out[33])
{
    uint8_t h[crypto_generichash_BYTES];
    crypto_generichash_state s;
    crypto_generichash_init(&s, NULL, 0, sizeof h);
    crypto_generichash_update(&s, (const uint8_t *)e->from, strlen(e->from) + 1);
    crypto_generichash_update(&s, (const uint8_t *)e->id, strlen(e->id));
    crypto_generichash_final(&s, h, sizeof h);
    sodium_bin2hex(out, 33, h, 16);
}

static void on_inbox(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__federation *f = n->federation;
    const struct ac_http_req *req = ac_http_exchange_req(x);
    if (!f) {
        ac__problem(x, AC_PROBLEM_STORAGE_UNAVAILABLE, NULL, NULL,
                    "federation is not running on this node");
        return;
    }
    const char *ct = ac_http_header(req, "content-type");
    if (!ct || strcmp(ct, AC_ENVELOPE_CONTENT_TYPE) != 0) {
        ac__problem(x, AC_PROBLEM_UNSUPPORTED_MEDIA_TYPE, "content-type", NULL,
                    "the body must be %s, not %s", AC_ENVELOPE_CONTENT_TYPE, ct ? ct : "(none)");
        return;
    }
    char why[AC_ENVELOPE_WHY_LEN];
    struct ac_cose_sign1 m;
    if (ac_envelope_parse(req->body, req->body_len, &m, why, sizeof why)) {
        ac__problem(x, AC_PROBLEM_BAD_ENVELOPE, NULL, NULL, "%s", why);
        return;
    }
    char kid_hex[2 * AC_COSE_KID_MAX + 1];
    sodium_bin2hex(kid_hex, sizeof kid_hex, m.kid, m.kid_len);
    const struct ac__fed_key *key = NULL;
    struct ac__fed_peer *peer = ac__fed_peer_by_kid(f, m.kid, m.kid_len, &key);
    if (!peer) {
        /* The sender hint is unsigned and used only to tell a known peer's
         * unknown key from a stranger. */
        const char *hint = ac_http_header(req, "accord-sender");
        struct ac__fed_peer *known = hint ? ac__fed_peer_find(f, hint) : NULL;
        if (known) {
            ac__fed_fetch_description(known);
            ac__problem(x, AC_PROBLEM_UNKNOWN_KEY, "kid", NULL,
                        "kid %s is not a key of %s that this node knows; its description is "
                        "being fetched, try again shortly",
                        kid_hex, hint);
        } else
            ac__problem(x, AC_PROBLEM_UNKNOWN_SENDER, "kid", NULL,
                        "kid %s belongs to no peer of this node", kid_hex);
        return;
    }
    if (ac_envelope_verify(&m, key->public_key)) {
        ac__problem(x, AC_PROBLEM_BAD_SIGNATURE, NULL, NULL,
                    "the signature does not verify with %s's key %s", peer->node_id, kid_hex);
        return;
    }
    struct ac_envelope e;
    if (ac_envelope_decode(&m, &e, why, sizeof why)) {
        ac__problem(x, AC_PROBLEM_BAD_ENVELOPE, NULL, NULL, "%s", why);
        return;
    }
    if (strcmp(e.from, peer->node_id) != 0) {
        ac__problem(x, AC_PROBLEM_WRONG_KEY, "from", NULL,
                    "from \"%s\" but signed with key %s of %s", e.from, kid_hex, peer->node_id);
        return;
    }
    if (!ac_member_key_valid_at(&(struct ac_member_key){.not_before_ms = key->not_before_ms,
                                                        .not_after_ms = key->not_after_ms},
                                e.ts_ms)) {
        char t[21];
        ac__problem(x, AC_PROBLEM_RETIRED_KEY, "ts", NULL,
                    "key %s of %s was not valid at ts %s", kid_hex, peer->node_id,
                    ac_clock_format(e.ts_ms, t));
        return;
    }
    if (strcmp(e.to, n->cfg->node_id) != 0) {
        ac__problem(x, AC_PROBLEM_WRONG_RECIPIENT, "to", NULL,
                    "to \"%s\"; this node is \"%s\"", e.to, n->cfg->node_id);
        return;
    }
    int64_t now = ac_clock_now_ms();
    if (e.ts_ms < now - AC__FED_SKEW_MS || e.ts_ms > now + AC__FED_SKEW_MS) {
        char t[21];
        ac__problem(x, AC_PROBLEM_CLOCK_SKEW, "ts", NULL,
                    "ts %s is %lld s from this node's clock; at most %d s is allowed",
                    ac_clock_format(e.ts_ms, t), (long long)((e.ts_ms - now) / 1000),
                    AC__FED_SKEW_MS / 1000);
        return;
    }
    /* The sender is who it says: a peer we back off from is up again. */
    ac__fed_peer_reached_us(peer);
    const struct msg_type *mt = find_type(e.type);
    if (!mt) {
        ac__problem(x, AC_PROBLEM_UNKNOWN_MESSAGE_TYPE, "type", NULL,
                    "\"%s\" is not a message type this node handles", e.type);
        return;
    }
    if (mt->right && !(peer->rights & mt->right)) {
        char have[64];
        ac__problem(x, AC_PROBLEM_MISSING_RIGHT, "type", NULL,
                    "%s needs the right \"%s\"; %s holds %s here", e.type,
                    ac_right_name(mt->right), peer->node_id,
                    ac_rights_format(peer->rights, have, sizeof have));
        return;
    }
    struct ac_inbox_entry row = {.status = 200, .received_ms = now};
    snprintf(row.type, sizeof row.type, "%s", e.type);
    crypto_hash_sha256(row.body_hash, e.body, e.body_len);
    struct ac_inbox_entry seen;
    int err = ac_store_inbox_get(n->store, peer->node_id, e.id, &seen);
    if (err == 0) {
        int same = strcmp(seen.type, row.type) == 0 &&
                   sodium_memcmp(seen.body_hash, row.body_hash, 32) == 0;
        if (same)
            respond_envelope(x, seen.status, seen.answer, seen.answer_len);
        else
            ac__problem(x, AC_PROBLEM_REPLAYED_ID, "id", NULL,
                        "%s already sent message \"%s\" with another type or body; a message "
                        "id names one message",
                        peer->node_id, e.id);
        free(seen.answer);
        return;
    }
    if (err != AC_ENOENT) {
        ac__respond_error(x, err, "the inbox");
        return;
    }
    struct ac_buf body = AC_BUF_INIT, answer = AC_BUF_INIT;
    struct ac_reason reason = AC_REASON_INIT;
    err = ac_store_tx_begin(n->store);
    if (err) {
        ac__respond_error(x, err, "the inbox");
        return;
    }
    err = mt->apply(f, peer, &e, &body, &reason);
    char aid[33];
    answer_id(&e, aid);
    if (!err)
        err = ac__fed_sign(f, "answer", aid, peer->node_id, body.data, body.len, &answer);
    row.answer = answer.data;
    row.answer_len = answer.len;
    if (!err)
        err = ac_store_inbox_put(n->store, peer->node_id, e.id, &row);
    if (!err)
        err = ac_store_tx_commit(n->store);
    else
        ac_store_tx_rollback(n->store);
    if (err)
        ac__respond_failure(x, err, &reason, "the message");
    else
        respond_envelope(x, 200, answer.data, answer.len);
    ac_reason_release(&reason);
    ac_buf_release(&body);
    ac_buf_release(&answer);
    if (!err)
        ac__fed_kick_all(f); /* effects may have queued messages */
}

/* GET /v1/federation/consortium: the newest verified file held, as its
 * signed bytes, so members can pass it on. */
static void on_consortium_get(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    uint8_t *file = NULL;
    size_t len = 0;
    uint64_t serial = 0;
    int err = ac_store_consortium_get(n->store, &file, &len, &serial);
    if (err) {
        ac__respond_error(x, err, "the consortium file");
        return;
    }
    const struct ac_http_header h[] = {{"content-type", AC_CONSORTIUM_CONTENT_TYPE}};
    ac_http_respond(x, 200, h, 1, file, len);
    free(file);
}

void ac__fed_receive_register(struct ac_node *n)
{
    ac__route(n, "POST", "/v1/federation/inbox", on_inbox);
    ac__route(n, "GET", "/v1/federation/consortium", on_consortium_get);
}
