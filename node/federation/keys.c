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

/* A verified description, kept as a task of the request groups
 * (ac__fed_task()): a copy of its bytes. */
struct keep {
    struct ac__fed_peer *p; /* peers live until the federation is freed */
    uint8_t *doc;           /* owned */
    size_t len;
    int64_t at_ms;
};

static int keep_run(void *arg)
{
    struct keep *k = arg;
    return ac_store_peer_doc_put(k->p->fed->node->store, k->p->node_id, "node", k->doc, k->len,
                                 k->at_ms);
}

static void keep_done(void *arg, int err)
{
    struct keep *k = arg;
    if (err && err != AC_ECANCELED)
        ac_log_error("federation", "%s: cannot keep its description: %s", k->p->node_id,
                     ac_strerror(err));
    free(k->doc);
    free(k);
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
    /* A consortium settle reading the peer table's inputs meanwhile would
     * apply what it read over these keys: it reads again (adopt.c). */
    p->fed->peers_gen++;
    /* Learnt in memory already; kept for the next start. */
    struct keep *k = calloc(1, sizeof *k);
    if (k && (k->doc = malloc(resp->body_len ? resp->body_len : 1))) {
        memcpy(k->doc, resp->body, resp->body_len);
        k->len = resp->body_len;
        k->p = p;
        k->at_ms = ac_clock_now_ms();
        ac__fed_task(p->fed, "peer description", keep_run, keep_done, k);
    } else {
        free(k);
        ac_log_error("federation", "%s: cannot keep its description: %s", p->node_id,
                     ac_strerror(AC_ENOMEM));
    }
    ac_log_info("federation", "%s: description fetched, %zu new key(s)", p->node_id,
                p->nkeys - before);
}

void ac__fed_fetch_description(struct ac__fed_peer *p)
{
    uint64_t now = uv_now(p->fed->node->loop);
    if (p->fed->stopping || (p->description_fetched && now - p->description_fetched < REFETCH_MS))
        return;
    p->description_fetched = now ? now : 1;
    struct ac_h2_client *client = NULL;
    int err = ac__fed_client(p, &client);
    if (!err)
        err = ac_h2_client_request(client, "GET", DESCRIPTION_PATH, NULL, 0, NULL, 0,
                                   on_fetched, p);
    if (err)
        ac_log_warn("federation", "%s: cannot ask for its description: %s", p->node_id,
                    ac_strerror(err));
}

void ac__fed_keys_register(struct ac_node *n)
{
    ac__route(n, "GET", DESCRIPTION_PATH, on_description);
}
