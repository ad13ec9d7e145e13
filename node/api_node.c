/* api_node.c - the public node endpoints: /healthz, /v1/node and /metrics. */
#include <sodium.h>

#include "accord/buf.h"
#include "accord/did.h"
#include "accord/error.h"
#include "accord/h2_server.h"
#include "accord/keyring.h"
#include "internal.h"

static void on_healthz(struct ac_http_exchange *x, void *arg)
{
    (void)arg;
    static const struct ac_http_header ct = {"content-type", "text/plain; charset=utf-8"};
    ac_http_respond(x, 200, &ct, 1, "ok\n", 3);
}

static void on_node(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    const struct ac_key_info *k = ac_keyring_current(n->keyring);
    char pub[sodium_base64_ENCODED_LEN(AC_KEY_PUBLIC_BYTES,
                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64(pub, sizeof pub, k->public_key, AC_KEY_PUBLIC_BYTES,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    json_t *key = json_pack("{s:s, s:s, s:s, s:s}", "kid", k->kid_hex, "alg", "EdDSA", "crv",
                            "Ed25519", "x", pub);
    ac__json_time(key, "not_before", k->not_before_ms);
    char did_key[AC_DID_KEY_MAX];
    ac_did_key(k->public_key, did_key);
    json_object_set_new(key, "did_key", json_string(did_key));
    json_t *j = json_pack("{s:s, s:s, s:i, s:o}", "node_id", n->cfg->node_id, "version",
                          ACCORD_VERSION, "schema_version", n->schema_version, "public_key", key);
    if (!j) {
        ac__respond_error(x, AC_ENOMEM, "node info");
        return;
    }
    ac_http_respond_json(x, 200, j);
    json_decref(j);
}

static void on_metrics(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    int64_t db_bytes = 0;
    ac_store_size(n->store, &db_bytes);
    struct ac_buf b = AC_BUF_INIT;
    size_t conns = n->server ? ac_h2_server_connections(n->server) : 0;
    int err = ac__metrics_render(n->metrics, conns, db_bytes, &b);
    if (err) {
        ac_buf_release(&b);
        ac__respond_error(x, err, "metrics");
        return;
    }
    static const struct ac_http_header ct = {"content-type", "text/plain; version=0.0.4"};
    ac_http_respond(x, 200, &ct, 1, b.data, b.len);
    ac_buf_release(&b);
}

void ac__api_node_register(struct ac_node *n)
{
    ac__route(n, "GET", "/healthz", on_healthz);
    ac__route(n, "GET", "/v1/node", on_node);
    ac__route(n, "GET", "/metrics", on_metrics);
}
