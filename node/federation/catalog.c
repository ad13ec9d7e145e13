/* catalog.c - signed catalogs: GET /v1/federation/catalog answers an
 * envelope (to "*") over {node, definitions: [{id, version, title}]} listing
 * this node's active credential versions; an admin has the node fetch a
 * peer's catalog, which is kept only when it verifies with a key of that
 * peer and the peer holds the issuer right here, as the raw signed bytes, and
 * is read back (verified again) for recognizers' policies and pages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/net/h2_client.h"
#include "accord/sign/cbor.h"
#include "accord/sign/envelope.h"
#include "accord/store/peer.h"
#include "accord/store/store_recognition.h"
#include "federation.h"
#include "internal.h"

#define CATALOG_PATH "/v1/federation/catalog"
#define CATALOG_MAX 4096 /* credential versions in one signed catalog */

/* Reads every active credential version into |*out| (caller releases). */
static int active_list(struct ac_node *n, struct ac_catalog_entry **out, size_t *count)
{
    struct ac_catalog_filter f = {0};
    struct ac_catalog_entry *all = calloc(CATALOG_MAX, sizeof *all);
    size_t total = 0;
    int err = all ? 0 : AC_ENOMEM;
    int64_t after = 0;
    while (!err && total < CATALOG_MAX) {
        size_t got = 0;
        err = ac_store_catalog_list(n->store, &f, after, all + total, CATALOG_MAX - total, &got);
        if (err || got == 0)
            break;
        total += got;
        after = all[total - 1].id;
    }
    if (err) {
        for (size_t i = 0; i < total; i++)
            ac_catalog_entry_release(&all[i]);
        free(all);
        return err;
    }
    *out = all;
    *count = total;
    return 0;
}

static void on_catalog(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac_catalog_entry *list = NULL;
    size_t count = 0;
    int err = n->federation ? active_list(n, &list, &count) : AC_EAGAIN;
    struct ac_buf body = AC_BUF_INIT, out = AC_BUF_INIT;
    if (!err) {
        struct ac_cbor_writer w;
        ac_cbor_writer_init(&w);
        ac_cbor_put_map(&w, 2);
        ac_cbor_put_str(&w, "node");
        ac_cbor_put_str(&w, n->cfg->node_id);
        ac_cbor_put_str(&w, "definitions");
        ac_cbor_put_array(&w, count);
        for (size_t i = 0; i < count; i++) {
            ac_cbor_put_map(&w, 3);
            ac_cbor_put_str(&w, "id");
            ac_cbor_put_str(&w, list[i].def_id);
            ac_cbor_put_str(&w, "version");
            ac_cbor_put_int(&w, list[i].version);
            ac_cbor_put_str(&w, "title");
            ac_cbor_put_str(&w, list[i].title ? list[i].title : "");
        }
        err = ac_cbor_writer_finish(&w, &body);
        ac_cbor_writer_release(&w);
    }
    char id[40];
    snprintf(id, sizeof id, "catalog-%lld", (long long)ac_clock_now_ms());
    if (!err)
        err = ac__fed_sign(n->federation, "catalog", id, AC_ENVELOPE_TO_ANYONE, body.data,
                           body.len, &out);
    if (err) {
        ac__respond_error(x, err, "the catalog");
    } else {
        const struct ac_http_header h[] = {{"content-type", AC_ENVELOPE_CONTENT_TYPE}};
        ac_http_respond(x, 200, h, 1, out.data, out.len);
    }
    for (size_t i = 0; i < count; i++)
        ac_catalog_entry_release(&list[i]);
    free(list);
    ac_buf_release(&body);
    ac_buf_release(&out);
}

/* Verifies |doc| as |p|'s catalog; on 0 fills |*e| (borrowing |doc|). */
static int verify_catalog(struct ac__fed_peer *p, const uint8_t *doc, size_t len,
                          struct ac_envelope *e, char *why, size_t whylen)
{
    struct ac_cose_sign1 m;
    const struct ac__fed_key *key = NULL;
    if (ac_envelope_parse(doc, len, &m, why, whylen))
        return AC_EPARSE;
    if (ac__fed_peer_by_kid(p->fed, m.kid, m.kid_len, &key) != p) {
        snprintf(why, whylen, "not signed by a key of %s", p->node_id);
        return AC_ECRYPTO;
    }
    if (ac_envelope_verify(&m, key->public_key)) {
        snprintf(why, whylen, "bad signature");
        return AC_ECRYPTO;
    }
    if (ac_envelope_decode(&m, e, why, whylen))
        return AC_EPARSE;
    if (strcmp(e->from, p->node_id) != 0 || strcmp(e->type, "catalog") != 0) {
        snprintf(why, whylen, "a \"%.40s\" from %.40s, not %.40s's catalog", e->type, e->from,
                 p->node_id);
        return AC_EPARSE;
    }
    return 0;
}

/* The catalog body as JSON: {"node", "definitions": [{"id", "version", "title"}]}. */
static json_t *catalog_json(const struct ac_envelope *e, int64_t fetched_ms)
{
    struct ac_cbor_reader r;
    uint64_t npairs, nd, nf;
    json_t *defs = json_array();
    if (!defs || ac_cbor_reader_init(&r, e->body, e->body_len) || ac_cbor_get_map(&r, &npairs))
        goto bad;
    for (uint64_t i = 0; i < npairs; i++) {
        const char *k;
        size_t kl;
        if (ac_cbor_get_text(&r, &k, &kl))
            goto bad;
        if (kl != 11 || memcmp(k, "definitions", 11) != 0) {
            ac_cbor_skip(&r, NULL, NULL);
            continue;
        }
        if (ac_cbor_get_array(&r, &nd))
            goto bad;
        for (uint64_t j = 0; j < nd; j++) {
            const char *id = NULL, *title = NULL;
            size_t idl = 0, tl = 0;
            int64_t version = 0;
            if (ac_cbor_get_map(&r, &nf))
                goto bad;
            for (uint64_t f = 0; f < nf; f++) {
                if (ac_cbor_get_text(&r, &k, &kl))
                    goto bad;
                if (kl == 2 && memcmp(k, "id", 2) == 0) {
                    if (ac_cbor_get_text(&r, &id, &idl))
                        goto bad;
                } else if (kl == 5 && memcmp(k, "title", 5) == 0) {
                    if (ac_cbor_get_text(&r, &title, &tl))
                        goto bad;
                } else if (kl == 7 && memcmp(k, "version", 7) == 0) {
                    if (ac_cbor_get_int(&r, &version))
                        goto bad;
                } else {
                    ac_cbor_skip(&r, NULL, NULL);
                }
            }
            json_array_append_new(defs, json_pack("{s:s%, s:I, s:s%}", "id", id ? id : "", idl,
                                                  "version", (json_int_t)version, "title",
                                                  title ? title : "", tl));
        }
    }
    json_t *j = json_pack("{s:s, s:o}", "node", e->from, "definitions", defs);
    if (j)
        ac__json_time(j, "fetched", fetched_ms);
    return j;
bad:
    json_decref(defs);
    return NULL;
}

struct fetch {
    struct ac_http_exchange *x;
    struct ac__fed_peer *p;
};

static void on_fetched(void *arg, int err, const struct ac_h2_response *resp)
{
    struct fetch *fx = arg;
    struct ac__fed_peer *p = fx->p;
    struct ac_http_exchange *x = fx->x;
    free(fx);
    if (p->fed->stopping) {
        ac__problem(x, AC_PROBLEM_STORAGE_UNAVAILABLE, NULL, NULL, "the node is stopping");
        return;
    }
    if (err || resp->status != 200) {
        ac__problem(x, AC_PROBLEM_STORAGE_UNAVAILABLE, "node", NULL,
                    "%s did not give its catalog: %s", p->node_id,
                    err ? ac_strerror(err) : "it answered with an error");
        return;
    }
    struct ac_envelope e;
    char why[AC_ENVELOPE_WHY_LEN];
    if (verify_catalog(p, resp->body, resp->body_len, &e, why, sizeof why)) {
        ac__problem(x, AC_PROBLEM_BAD_ENVELOPE, "node", NULL, "%s's catalog: %s", p->node_id,
                    why);
        return;
    }
    int64_t now = ac_clock_now_ms();
    err = ac_store_peer_doc_put(p->fed->node->store, p->node_id, "catalog", resp->body,
                                resp->body_len, now);
    if (err) {
        ac__respond_error(x, err, "the catalog");
        return;
    }
    ac__respond_owned(x, 200, catalog_json(&e, now));
}

static struct ac__fed_peer *issuer_param(struct ac_node *n, struct ac_http_exchange *x)
{
    struct ac__auth a;
    if (ac__authenticate(n, x, &a))
        return NULL;
    const char *id = ac_http_param(x, "node");
    struct ac__fed_peer *p = n->federation ? ac__fed_peer_find(n->federation, id) : NULL;
    if (!p) {
        ac__problem(x, AC_PROBLEM_NOT_FOUND, "node", NULL, "%s is not a peer of this node", id);
        return NULL;
    }
    if (!(p->rights & AC_RIGHT_ISSUER)) {
        ac__problem(x, AC_PROBLEM_MISSING_RIGHT, "node", NULL,
                    "%s is not recognised as an issuer here (no issuer right)", p->node_id);
        return NULL;
    }
    return p;
}

static void on_fetch(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN))
        return;
    struct ac__fed_peer *p = issuer_param(n, x);
    if (!p)
        return;
    struct fetch *fx = malloc(sizeof *fx);
    int err = fx ? 0 : AC_ENOMEM;
    struct ac_h2_client *client = NULL;
    if (!err)
        err = ac__fed_client(p, &client);
    if (!err) {
        fx->x = x;
        fx->p = p;
        err = ac_h2_client_request(client, "GET", CATALOG_PATH, NULL, 0, NULL, 0, on_fetched,
                                   fx);
    }
    if (err) {
        free(fx);
        ac__respond_error(x, err, "the catalog fetch");
    }
}

static void on_cached(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__fed_peer *p = issuer_param(n, x);
    if (!p)
        return;
    uint8_t *doc = NULL;
    size_t len = 0;
    int64_t at = 0;
    int err = ac_store_peer_doc_get(n->store, p->node_id, "catalog", &doc, &len, &at);
    if (err) {
        ac__respond_error(x, err, "the peer's catalog");
        return;
    }
    struct ac_envelope e;
    char why[AC_ENVELOPE_WHY_LEN];
    /* Verified again: the peer's keys may have changed since it was fetched. */
    if (verify_catalog(p, doc, len, &e, why, sizeof why))
        ac__problem(x, AC_PROBLEM_BAD_ENVELOPE, "node", NULL, "the cached catalog: %s", why);
    else
        ac__respond_owned(x, 200, catalog_json(&e, at));
    free(doc);
}

void ac__fed_catalog_register(struct ac_node *n)
{
    ac__route(n, "GET", CATALOG_PATH, on_catalog);
    ac__route(n, "POST", "/v1/federation/peers/{node}/catalog", on_fetch);
    ac__route(n, "GET", "/v1/federation/peers/{node}/catalog", on_cached);
}
