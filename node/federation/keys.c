/* keys.c - node self-descriptions: GET /.well-known/accord-node answers an
 * envelope (to "*") signed by the node's current key over {node, url,
 * software, keys}, listing every key with its window, retired ones kept with
 * their end time. A peer that sees an unknown kid from a known node fetches
 * that node's description once (rate-limited), keeps the raw bytes that
 * verified, and merges the keys listed, so a rotation is picked up without
 * an admin and messages signed before it keep verifying.
 *
 * Trust: a description signed by a key we already trust for the peer is
 * taken as is. After a rotation it is signed by the new key, which we do not
 * know yet (retired secrets leave the keyring's memory, so the old key cannot
 * sign it); it is then taken on the authority of the peer's pinned base URL,
 * as did:web and JWKS keys are: only over https with certificate
 * verification (or h2c to a loopback address, for tests), and only when the
 * key that signs it is one it lists. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/net/h2_client.h"
#include "accord/sign/cbor.h"
#include "accord/sign/envelope.h"
#include "accord/sign/keyring.h"
#include "accord/store/peer.h"
#include "federation.h"
#include "internal.h"
#include "records/records.h"

#define DESCRIPTION_PATH "/.well-known/accord-node"
/* At most one fetch per peer per this long, whatever the traffic. */
#define REFETCH_MS (60 * 1000)

static int description_body(struct ac_node *n, struct ac_buf *out)
{
    size_t nk = ac_keyring_count(n->keyring);
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    ac_cbor_put_map(&w, 4);
    ac_cbor_put_str(&w, "node");
    ac_cbor_put_str(&w, n->cfg->node_id);
    ac_cbor_put_str(&w, "url");
    ac_cbor_put_str(&w, n->records ? n->records->issuer : "");
    ac_cbor_put_str(&w, "software");
    ac_cbor_put_str(&w, ACCORD_VERSION);
    ac_cbor_put_str(&w, "keys");
    ac_cbor_put_array(&w, nk);
    for (size_t i = 0; i < nk; i++) {
        const struct ac_key_info *k = ac_keyring_key(n->keyring, i);
        ac_cbor_put_map(&w, 3);
        ac_cbor_put_str(&w, "key");
        ac_cbor_put_bytes(&w, k->public_key, 32);
        ac_cbor_put_str(&w, "nbf");
        ac_cbor_put_int(&w, k->not_before_ms);
        ac_cbor_put_str(&w, "exp");
        ac_cbor_put_int(&w, k->not_after_ms);
    }
    int rc = ac_cbor_writer_finish(&w, out);
    ac_cbor_writer_release(&w);
    return rc;
}

static void on_description(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac_buf body = AC_BUF_INIT, out = AC_BUF_INIT;
    char id[40];
    snprintf(id, sizeof id, "keys-%zu", ac_keyring_count(n->keyring));
    int err = description_body(n, &body);
    if (!err)
        err = ac__fed_sign(n->federation, "node.description", id, AC_ENVELOPE_TO_ANYONE,
                           body.data, body.len, &out);
    if (err) {
        ac__respond_error(x, err, "the node description");
    } else {
        const struct ac_http_header h[] = {{"content-type", AC_ENVELOPE_CONTENT_TYPE}};
        ac_http_respond(x, 200, h, 1, out.data, out.len);
    }
    ac_buf_release(&body);
    ac_buf_release(&out);
}

/* Returns the key of |p| with |kid| that is trusted without the description
 * (pinned or from the consortium file: the first |ntrusted| keys). */
static const struct ac__fed_key *trusted(const struct ac__fed_peer *p, size_t ntrusted,
                                         const uint8_t *kid, size_t kid_len)
{
    for (size_t i = 0; kid_len == 8 && i < ntrusted; i++)
        if (memcmp(p->keys[i].kid, kid, 8) == 0)
            return &p->keys[i];
    return NULL;
}

/* Adds the keys listed in |body| to |p|. */
static void merge_keys(struct ac__fed_peer *p, const uint8_t *body, size_t len)
{
    struct ac_cbor_reader r;
    uint64_t npairs, nk;
    if (ac_cbor_reader_init(&r, body, len) || ac_cbor_get_map(&r, &npairs))
        return;
    for (uint64_t i = 0; i < npairs; i++) {
        const char *k;
        size_t kl;
        if (ac_cbor_get_text(&r, &k, &kl))
            return;
        if (kl != 4 || memcmp(k, "keys", 4) != 0 || ac_cbor_get_array(&r, &nk)) {
            ac_cbor_skip(&r, NULL, NULL);
            continue;
        }
        for (uint64_t j = 0; j < nk; j++) {
            /* {key, exp, nbf} in deterministic order */
            struct ac__fed_key key;
            const uint8_t *pk;
            size_t pklen;
            uint64_t nf;
            if (ac_cbor_get_map(&r, &nf) || nf != 3 || ac_cbor_get_text(&r, &k, &kl) ||
                ac_cbor_get_int(&r, &key.not_after_ms) || ac_cbor_get_text(&r, &k, &kl) ||
                ac_cbor_get_bytes(&r, &pk, &pklen) || pklen != 32 ||
                ac_cbor_get_text(&r, &k, &kl) || ac_cbor_get_int(&r, &key.not_before_ms))
                return;
            memcpy(key.public_key, pk, 32);
            ac_key_id(key.public_key, key.kid);
            int have = 0;
            for (size_t m = 0; m < p->nkeys; m++)
                have |= memcmp(p->keys[m].kid, key.kid, 8) == 0;
            if (!have && p->nkeys < AC__FED_PEER_KEYS)
                p->keys[p->nkeys++] = key;
        }
        return;
    }
}

/* True when |url| is an origin whose answers are authenticated by the
 * transport: https (certificates verified by the client), or loopback h2c. */
static int origin_authenticated(const char *url)
{
    return strncmp(url, "https://", 8) == 0 || strncmp(url, "http://127.0.0.1:", 17) == 0 ||
           strncmp(url, "http://[::1]:", 13) == 0;
}

/* Finds, in the keys |body| lists, the one whose kid is |kid|. */
static int listed_key(const uint8_t *body, size_t len, const uint8_t *kid, size_t kid_len,
                      uint8_t out[32])
{
    struct ac__fed_peer tmp;
    memset(&tmp, 0, sizeof tmp);
    merge_keys(&tmp, body, len);
    for (size_t i = 0; kid_len == 8 && i < tmp.nkeys; i++)
        if (memcmp(tmp.keys[i].kid, kid, 8) == 0) {
            memcpy(out, tmp.keys[i].public_key, 32);
            return 0;
        }
    return -1;
}

int ac__fed_learn_description(struct ac__fed_peer *p, const uint8_t *doc, size_t len,
                              int from_origin)
{
    struct ac_cose_sign1 m;
    struct ac_envelope e;
    if (ac_envelope_parse(doc, len, &m, NULL, 0))
        return AC_EPARSE;
    const struct ac__fed_key *k = trusted(p, p->nkeys, m.kid, m.kid_len);
    uint8_t listed[32];
    const uint8_t *pk = k ? k->public_key : NULL;
    if (!pk && from_origin && origin_authenticated(p->url)) {
        /* Read before verifying only to find the signer among the keys it
         * lists; nothing is taken from it unless that signature verifies. */
        if (ac_envelope_decode(&m, &e, NULL, 0) ||
            listed_key(e.body, e.body_len, m.kid, m.kid_len, listed))
            return AC_ECRYPTO;
        pk = listed;
    }
    if (!pk)
        return AC_ECRYPTO;
    if (ac_envelope_verify(&m, pk) || ac_envelope_decode(&m, &e, NULL, 0) ||
        strcmp(e.from, p->node_id) != 0 || strcmp(e.type, "node.description") != 0 ||
        strcmp(e.to, AC_ENVELOPE_TO_ANYONE) != 0)
        return AC_ECRYPTO;
    merge_keys(p, e.body, e.body_len);
    return 0;
}

static void on_fetched(void *arg, int err, const struct ac_h2_response *resp)
{
    struct ac__fed_peer *p = arg;
    if (p->fed->stopping)
        return;
    if (err || resp->status != 200) {
        ac_log_warn("federation", "%s: cannot fetch its description: %s (HTTP %d)", p->node_id,
                    err ? ac_strerror(err) : "answered", err ? 0 : resp->status);
        return;
    }
    size_t before = p->nkeys;
    err = ac__fed_learn_description(p, resp->body, resp->body_len, 1);
    if (err) {
        ac_log_warn("federation", "%s: its description does not verify with a key we trust: %s",
                    p->node_id, ac_strerror(err));
        return;
    }
    err = ac_store_peer_doc_put(p->fed->node->store, p->node_id, "node", resp->body,
                                resp->body_len, ac_clock_now_ms());
    if (err)
        ac_log_error("federation", "%s: cannot keep its description: %s", p->node_id,
                     ac_strerror(err));
    ac_log_info("federation", "%s: description fetched, %zu new key(s)", p->node_id,
                p->nkeys - before);
}

void ac__fed_fetch_description(struct ac__fed_peer *p)
{
    uint64_t now = uv_now(p->fed->node->loop);
    if (p->fed->stopping || (p->description_fetched && now - p->description_fetched < REFETCH_MS))
        return;
    p->description_fetched = now ? now : 1;
    int err = 0;
    if (!p->client) {
        struct ac_h2_client_config cfg = {.connect_timeout_ms = 5000,
                                          .request_timeout_ms = 15000,
                                          .max_response_bytes = 1 << 20};
        err = ac_h2_client_new(p->fed->node->loop, p->url, &cfg, &p->client);
    }
    if (!err)
        err = ac_h2_client_request(p->client, "GET", DESCRIPTION_PATH, NULL, 0, NULL, 0,
                                   on_fetched, p);
    if (err)
        ac_log_warn("federation", "%s: cannot ask for its description: %s", p->node_id,
                    ac_strerror(err));
}

void ac__fed_keys_register(struct ac_node *n)
{
    ac__route(n, "GET", DESCRIPTION_PATH, on_description);
}
