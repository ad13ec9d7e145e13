/* api_wellknown.c - the node's keys: the public /.well-known/did.json (did:web)
 * and /.well-known/jwks.json listing the current and every retired key with
 * its validity window, and the admin key list and rotation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/sign/did.h"
#include "accord/base/error.h"
#include "accord/sign/keyring.h"
#include "accord/base/log.h"
#include "records/records.h"

/* Copies the keyring's keys (oldest first) into a new array. */
static struct ac_key_info *keys_copy(const struct ac_keyring *kr, size_t *n)
{
    *n = ac_keyring_count(kr);
    struct ac_key_info *k = calloc(*n ? *n : 1, sizeof *k);
    for (size_t i = 0; k && i < *n; i++)
        k[i] = *ac_keyring_key(kr, i);
    return k;
}

static void respond_doc(struct ac_http_exchange *x, const struct ac_buf *b, const char *type)
{
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, b->data, b->len);
    char hex[33], etag[AC__ETAG_MAX];
    sodium_bin2hex(hex, sizeof hex, h, 16);
    snprintf(etag, sizeof etag, "\"%s\"", hex);
    ac__respond_public(x, etag, type, b->data, b->len);
}

static void on_did(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    char did[AC__URL_MAX + 32];
    int err = ac_did_web_from_url(n->records->issuer, did, sizeof did);
    size_t nk = 0;
    struct ac_key_info *keys = err ? NULL : keys_copy(n->keyring, &nk);
    struct ac_buf b = AC_BUF_INIT;
    if (!err)
        err = keys ? ac_did_web_document(did, keys, nk, &b) : AC_ENOMEM;
    free(keys);
    if (err)
        ac__respond_error(x, err, "did document");
    else
        respond_doc(x, &b, "application/did+json");
    ac_buf_release(&b);
}

static void on_jwks(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    size_t nk = 0;
    struct ac_key_info *keys = keys_copy(n->keyring, &nk);
    struct ac_buf b = AC_BUF_INIT;
    int err = keys ? ac_did_jwks(keys, nk, &b) : AC_ENOMEM;
    free(keys);
    if (err)
        ac__respond_error(x, err, "jwks");
    else
        respond_doc(x, &b, "application/jwk-set+json");
    ac_buf_release(&b);
}

static json_t *key_json(const struct ac_key_info *k)
{
    char dk[AC_DID_KEY_MAX];
    ac_did_key(k->public_key, dk);
    json_t *j = json_pack("{s:s, s:s, s:b}", "kid", k->kid_hex, "did_key", dk, "current",
                          k->not_after_ms == 0);
    if (j) {
        ac__json_time(j, "valid_from", k->not_before_ms);
        ac__json_time(j, "valid_until", k->not_after_ms);
    }
    return j;
}

static void respond_keys(struct ac_http_exchange *x, struct ac_node *n, int status)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < ac_keyring_count(n->keyring); i++)
        if (json_array_append_new(arr, key_json(ac_keyring_key(n->keyring, i))) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    json_t *j = arr ? json_pack("{s:o}", "keys", arr) : NULL;
    if (!j) {
        ac__respond_error(x, AC_ENOMEM, "keys");
        return;
    }
    ac_http_respond_json(x, status, j);
    json_decref(j);
}

static void on_keys(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN))
        return;
    respond_keys(x, n, 200);
}

/* The rotation's rows committed (or it failed): the answer. */
static void rotated(struct ac_node *n, void *arg, int err, const struct ac_reason *why)
{
    struct ac_http_exchange *x = arg;
    if (err)
        ac__respond_failure(x, err, why, "key rotation");
    else
        respond_keys(x, n, 200);
}

/* Answers later, from the rotation's done callback: the route stays outside
 * request groups (node/http/reqtx.c), and its writes are tasks of them. */
static void on_rotate(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN))
        return;
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__records_rotate_key(n, &a.user, &why, rotated, x);
    if (err)
        ac__respond_failure(x, err, &why, "key rotation");
    ac_reason_release(&why);
}

void ac__api_wellknown_register(struct ac_node *n)
{
    ac__route(n, "GET", "/.well-known/did.json", on_did);
    ac__route(n, "GET", "/.well-known/jwks.json", on_jwks);
    ac__route(n, "GET", "/v1/keys", on_keys);
    ac__route(n, "POST", "/v1/keys/rotate", on_rotate);
}
