/* catalog.c - signed catalogs: GET /v1/federation/catalog answers an
 * envelope (to "*") over {node, issuer, definitions: [{id, hash, title,
 * version, definition}]} listing this node's active credential versions, each
 * with its definition's canonical bytes and their SHA-256 (the content hash
 * records bind to). An admin has the node fetch a peer's catalog, which is
 * kept only when it verifies with a key of that peer, the peer holds the
 * issuer right here, every hash is the SHA-256 of the definition it carries,
 * and no version the peer listed before changed its hash (a published
 * definition never changes); it is kept as the raw signed bytes and read back
 * (verified again) for recognizers' policies, pages and the earner's
 * catalog (ac__fed_catalog_each()). The reads of this node's catalog and of
 * the kept ones run on the reader threads (node/readers.h): what they need
 * of the peer table, which lives in loop memory, is copied into a struct
 * ac__fed_catalog_peers on the loop first, and the signature over this
 * node's catalog is made on the loop afterwards (the keyring is the loop's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/review/definition.h"
#include "accord/store/credential.h"
#include "accord/net/h2_client.h"
#include "accord/sign/cbor.h"
#include "accord/sign/envelope.h"
#include "accord/store/peer.h"
#include "accord/store/store_recognition.h"
#include "federation.h"
#include "internal.h"
#include "readers.h"
#include "records/records.h"

#define CATALOG_PATH "/v1/federation/catalog"
#define CATALOG_MAX 4096 /* credential versions in one signed catalog */

/* Reads every active credential version into |*out| (caller releases). */
static int active_list(struct ac_store *st, struct ac_catalog_entry **out, size_t *count)
{
    struct ac_catalog_filter f = {0};
    struct ac_catalog_entry *all = calloc(CATALOG_MAX, sizeof *all);
    size_t total = 0;
    int err = all ? 0 : AC_ENOMEM;
    int64_t after = 0;
    while (!err && total < CATALOG_MAX) {
        size_t got = 0;
        err = ac_store_catalog_list(st, &f, after, all + total, CATALOG_MAX - total, &got);
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

/* Writes one catalog entry: {id, hash, title, version, definition}
 * (deterministic key order) with the definition's canonical JSON bytes, the
 * ones its content hash is taken over. */
static int put_entry(struct ac_store *st, struct ac_cbor_writer *w,
                     const struct ac_catalog_entry *c)
{
    struct ac_credential row = {0};
    struct ac_definition *d = NULL;
    struct ac_def_problems pr = {0};
    char *canon = NULL;
    uint8_t hash[AC_DEF_HASH_LEN];
    int err = ac_store_credential_get(st, c->id, &row);
    if (!err)
        err = ac_def_from_json(row.definition, strlen(row.definition), &d, &pr);
    if (!err)
        err = ac_def_to_json(d, true, &canon);
    if (!err) {
        crypto_hash_sha256(hash, (const uint8_t *)canon, strlen(canon));
        char hex[AC_DEF_HASH_HEX_LEN + 1] = "sha256:";
        sodium_bin2hex(hex + 7, sizeof hex - 7, hash, sizeof hash);
        /* What records of this version bind to: served as stored, so a
         * disagreement shows up at the peer instead of being papered over. */
        if (strcmp(hex, row.content_hash) != 0)
            ac_log_error("federation", "%s@%lld: stored content hash %s is not the hash of its "
                         "canonical definition", row.def_id, (long long)row.version,
                         row.content_hash);
        if (strncmp(row.content_hash, "sha256:", 7) != 0 ||
            sodium_hex2bin(hash, sizeof hash, row.content_hash + 7, strlen(row.content_hash) - 7,
                           NULL, NULL, NULL))
            err = AC_EDB;
    }
    if (!err) {
        ac_cbor_put_map(w, 5);
        ac_cbor_put_str(w, "id");
        ac_cbor_put_str(w, c->def_id);
        ac_cbor_put_str(w, "hash");
        ac_cbor_put_bytes(w, hash, sizeof hash);
        ac_cbor_put_str(w, "title");
        ac_cbor_put_str(w, c->title ? c->title : "");
        ac_cbor_put_str(w, "version");
        ac_cbor_put_int(w, c->version);
        ac_cbor_put_str(w, "definition");
        ac_cbor_put_bytes(w, canon, strlen(canon));
    } else if (err == AC_EPARSE || err == AC_EINVAL) {
        ac_log_error("federation", "credential row %lld: stored definition no longer parses",
                     (long long)c->id);
        err = AC_EDB;
    }
    free(canon);
    ac_def_free(d);
    ac_def_problems_release(&pr);
    ac_credential_release(&row);
    return err;
}

/* GET /v1/federation/catalog: the body is read and written on a reader
 * thread, signed and answered on the loop. */
struct signed_read {
    struct ac__read_job job; /* first */
    struct ac_node *n;       /* outlives the reader pool */
    struct ac_http_exchange *x;
    char node_id[65];
    char *issuer; /* owned: the iss of this node's records */
    struct ac_buf body;
    int err;
};

static void signed_read_work(struct ac__read_job *job, struct ac_store *st)
{
    struct signed_read *r = (struct signed_read *)job;
    struct ac_catalog_entry *list = NULL;
    size_t count = 0;
    r->err = active_list(st, &list, &count);
    if (r->err)
        return;
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    ac_cbor_put_map(&w, 3);
    ac_cbor_put_str(&w, "node");
    ac_cbor_put_str(&w, r->node_id);
    /* The iss of this node's records, so a recognizer's policy naming a
     * credential of this catalog matches the records it presents. */
    ac_cbor_put_str(&w, "issuer");
    ac_cbor_put_str(&w, r->issuer);
    ac_cbor_put_str(&w, "definitions");
    ac_cbor_put_array(&w, count);
    for (size_t i = 0; !r->err && i < count; i++)
        r->err = put_entry(st, &w, &list[i]);
    if (!r->err)
        r->err = ac_cbor_writer_finish(&w, &r->body);
    ac_cbor_writer_release(&w);
    for (size_t i = 0; i < count; i++)
        ac_catalog_entry_release(&list[i]);
    free(list);
}

static void signed_read_done(struct ac__read_job *job, int status)
{
    struct signed_read *r = (struct signed_read *)job;
    struct ac_buf out = AC_BUF_INIT;
    /* The pool stopped before the read ran: storage, as for every read. */
    int err = status ? AC_EIO : r->err;
    char id[40];
    snprintf(id, sizeof id, "catalog-%lld", (long long)ac_clock_now_ms());
    /* Federation may have stopped while the body was read. */
    if (!err)
        err = r->n->federation ? ac__fed_sign(r->n->federation, "catalog", id,
                                              AC_ENVELOPE_TO_ANYONE, r->body.data, r->body.len,
                                              &out)
                               : AC_EAGAIN;
    if (err) {
        ac__respond_error(r->x, err, "the catalog");
    } else {
        const struct ac_http_header h[] = {{"content-type", AC_ENVELOPE_CONTENT_TYPE}};
        ac_http_respond(r->x, 200, h, 1, out.data, out.len);
    }
    ac_buf_release(&out);
    ac_buf_release(&r->body);
    free(r->issuer);
    free(r);
}

static void on_catalog(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    if (!n->federation) {
        ac__respond_error(x, AC_EAGAIN, "the catalog");
        return;
    }
    struct signed_read *r = calloc(1, sizeof *r);
    char *issuer = strdup(n->records ? n->records->issuer : "");
    if (!r || !issuer) {
        free(r);
        free(issuer);
        ac__respond_error(x, AC_ENOMEM, "the catalog");
        return;
    }
    r->job = (struct ac__read_job){signed_read_work, signed_read_done, NULL};
    r->n = n;
    r->x = x;
    snprintf(r->node_id, sizeof r->node_id, "%s", n->cfg->node_id);
    r->issuer = issuer;
    r->body = (struct ac_buf)AC_BUF_INIT;
    ac__read_submit(n, &r->job);
}

/* ---- the peer table, copied for a reader thread ---- */

/* One active peer, as verifying and listing kept catalogs needs it. */
struct snap_peer {
    char node_id[65];
    struct ac__fed_key keys[AC__FED_PEER_KEYS];
    size_t nkeys;
    int listed; /* holds the issuer right and passed the filter */
};

struct ac__fed_catalog_peers {
    struct snap_peer *peers; /* every active peer, in the peer table's order */
    size_t count;
};

static int snap_new(const struct ac__federation *f, const char *peer,
                    struct ac__fed_catalog_peers **out)
{
    size_t cap = f ? f->npeers : 0;
    struct ac__fed_catalog_peers *s = calloc(1, sizeof *s);
    if (s && cap)
        s->peers = calloc(cap, sizeof *s->peers);
    if (!s || (cap && !s->peers)) {
        free(s);
        return AC_ENOMEM;
    }
    for (size_t i = 0; i < cap; i++) {
        const struct ac__fed_peer *p = f->peers[i];
        if (!p->active)
            continue;
        struct snap_peer *c = &s->peers[s->count++];
        memcpy(c->node_id, p->node_id, sizeof c->node_id);
        memcpy(c->keys, p->keys, p->nkeys * sizeof *p->keys);
        c->nkeys = p->nkeys;
        c->listed =
            (p->rights & AC_RIGHT_ISSUER) && (!peer || strcmp(peer, p->node_id) == 0);
    }
    *out = s;
    return 0;
}

int ac__fed_catalog_peers_new(struct ac_node *n, const char *peer,
                              struct ac__fed_catalog_peers **out)
{
    return snap_new(n->federation, peer, out);
}

void ac__fed_catalog_peers_free(struct ac__fed_catalog_peers *s)
{
    if (!s)
        return;
    free(s->peers);
    free(s);
}

/* The active peer holding the key |kid| names, and that key, the way
 * ac__fed_peer_by_kid() finds them in the peer table; NULL when none. */
static const struct snap_peer *snap_by_kid(const struct ac__fed_catalog_peers *s,
                                           const uint8_t *kid, size_t kid_len,
                                           const struct ac__fed_key **key)
{
    if (kid_len != 8)
        return NULL;
    for (size_t i = 0; i < s->count; i++)
        for (size_t k = 0; k < s->peers[i].nkeys; k++)
            if (memcmp(s->peers[i].keys[k].kid, kid, 8) == 0) {
                *key = &s->peers[i].keys[k];
                return &s->peers[i];
            }
    return NULL;
}

/* Verifies |doc| as the catalog of peer |node| with the keys of |s|; on 0
 * fills |*e| (borrowing |doc|). */
static int verify_catalog(const struct ac__fed_catalog_peers *s, const char *node,
                          const uint8_t *doc, size_t len, struct ac_envelope *e, char *why,
                          size_t whylen)
{
    struct ac_cose_sign1 m;
    const struct ac__fed_key *key = NULL;
    if (ac_envelope_parse(doc, len, &m, why, whylen))
        return AC_EPARSE;
    const struct snap_peer *signer = snap_by_kid(s, m.kid, m.kid_len, &key);
    if (!signer || strcmp(signer->node_id, node) != 0) {
        snprintf(why, whylen, "not signed by a key of %s", node);
        return AC_ECRYPTO;
    }
    if (ac_envelope_verify(&m, key->public_key)) {
        snprintf(why, whylen, "bad signature");
        return AC_ECRYPTO;
    }
    if (ac_envelope_decode(&m, e, why, whylen))
        return AC_EPARSE;
    if (strcmp(e->from, node) != 0 || strcmp(e->type, "catalog") != 0) {
        snprintf(why, whylen, "a \"%.40s\" from %.40s, not %.40s's catalog", e->type, e->from,
                 node);
        return AC_EPARSE;
    }
    return 0;
}

/* One entry of a catalog body, borrowing the body's bytes. */
struct entry {
    const char *id, *title;
    size_t id_len, title_len;
    int64_t version;
    const uint8_t *hash, *def; /* NULL when absent */
    size_t hash_len, def_len;
};

typedef int (*entry_cb)(void *ctx, size_t i, const struct entry *e);

static int text_is(const char *k, size_t kl, const char *want)
{
    return kl == strlen(want) && memcmp(k, want, kl) == 0;
}

/* Walks the entries of catalog |body|, calling |cb| for each (a non-zero
 * return stops the walk and is returned); sets |*issuer| when it is there.
 * Returns 0, AC_EPARSE or what |cb| returned. */
static int walk(const uint8_t *body, size_t len, entry_cb cb, void *ctx, const char **issuer,
                size_t *issuer_len)
{
    struct ac_cbor_reader r;
    uint64_t npairs, nd, nf;
    if (ac_cbor_reader_init(&r, body, len) || ac_cbor_get_map(&r, &npairs))
        return AC_EPARSE;
    for (uint64_t i = 0; i < npairs; i++) {
        const char *k;
        size_t kl;
        if (ac_cbor_get_text(&r, &k, &kl))
            return AC_EPARSE;
        if (issuer && text_is(k, kl, "issuer")) {
            if (ac_cbor_get_text(&r, issuer, issuer_len))
                return AC_EPARSE;
            continue;
        }
        if (!text_is(k, kl, "definitions")) {
            if (ac_cbor_skip(&r, NULL, NULL))
                return AC_EPARSE;
            continue;
        }
        if (ac_cbor_get_array(&r, &nd))
            return AC_EPARSE;
        for (uint64_t j = 0; j < nd; j++) {
            struct entry e = {0};
            if (ac_cbor_get_map(&r, &nf))
                return AC_EPARSE;
            for (uint64_t f = 0; f < nf; f++) {
                if (ac_cbor_get_text(&r, &k, &kl))
                    return AC_EPARSE;
                int bad;
                if (text_is(k, kl, "id"))
                    bad = ac_cbor_get_text(&r, &e.id, &e.id_len);
                else if (text_is(k, kl, "title"))
                    bad = ac_cbor_get_text(&r, &e.title, &e.title_len);
                else if (text_is(k, kl, "version"))
                    bad = ac_cbor_get_int(&r, &e.version);
                else if (text_is(k, kl, "hash"))
                    bad = ac_cbor_get_bytes(&r, &e.hash, &e.hash_len);
                else if (text_is(k, kl, "definition"))
                    bad = ac_cbor_get_bytes(&r, &e.def, &e.def_len);
                else
                    bad = ac_cbor_skip(&r, NULL, NULL);
                if (bad)
                    return AC_EPARSE;
            }
            if (!e.id)
                return AC_EPARSE;
            int rc = cb ? cb(ctx, (size_t)j, &e) : 0;
            if (rc)
                return rc;
        }
    }
    return 0;
}

static void hash_hex(const uint8_t h[32], char out[AC_DEF_HASH_HEX_LEN + 1])
{
    memcpy(out, "sha256:", 7);
    sodium_bin2hex(out + 7, AC_DEF_HASH_HEX_LEN + 1 - 7, h, 32);
}

/* The catalog body as JSON: {"node", "issuer", "definitions": [{"id",
 * "version", "title", "hash"}]}. */
static int add_json(void *ctx, size_t i, const struct entry *e)
{
    (void)i;
    char hex[AC_DEF_HASH_HEX_LEN + 1] = "";
    if (e->hash && e->hash_len == 32)
        hash_hex(e->hash, hex);
    return json_array_append_new(ctx, json_pack("{s:s%, s:I, s:s%, s:s}", "id", e->id, e->id_len,
                                                "version", (json_int_t)e->version, "title",
                                                e->title ? e->title : "", e->title_len, "hash",
                                                hex))
               ? AC_ENOMEM
               : 0;
}

static json_t *catalog_json(const char *node, const uint8_t *body, size_t len, int64_t fetched_ms)
{
    json_t *defs = json_array();
    const char *issuer = NULL;
    size_t issuer_len = 0;
    if (!defs || walk(body, len, add_json, defs, &issuer, &issuer_len)) {
        json_decref(defs);
        return NULL;
    }
    json_t *j = json_pack("{s:s, s:s%, s:o}", "node", node, "issuer", issuer ? issuer : "",
                          issuer_len, "definitions", defs);
    if (j)
        ac__json_time(j, "fetched", fetched_ms);
    return j;
}

/* The body of the catalog kept for peer |node| into |*out| (caller
 * releases), read with |st| and verified with the keys of |s|, or AC_ENOENT.
 * A fetched catalog is kept as its signed envelope and verified again; one
 * offered in a catalog.offer message is kept as the body its envelope
 * carried, verified when it came. Any thread, with its own store. */
static int kept_body(struct ac_store *st, const struct ac__fed_catalog_peers *s,
                     const char *node, struct ac_buf *out, int64_t *at, char *why,
                     size_t whylen)
{
    uint8_t *doc = NULL;
    size_t len = 0;
    int err = ac_store_peer_doc_get(st, node, "catalog", &doc, &len, at);
    if (err)
        return err;
    struct ac_cose_sign1 m;
    struct ac_envelope e;
    if (ac_envelope_parse(doc, len, &m, NULL, 0) == 0) {
        err = verify_catalog(s, node, doc, len, &e, why, whylen);
        if (!err)
            err = ac_buf_append(out, e.body, e.body_len);
    } else {
        err = ac_buf_append(out, doc, len);
    }
    free(doc);
    return err;
}

/* kept_body() on the loop, with the peer table as it is now. */
static int kept_body_now(struct ac__fed_peer *p, struct ac_buf *out, int64_t *at, char *why,
                         size_t whylen)
{
    struct ac__fed_catalog_peers *s;
    int err = snap_new(p->fed, p->node_id, &s);
    if (!err)
        err = kept_body(p->fed->node->store, s, p->node_id, out, at, why, whylen);
    ac__fed_catalog_peers_free(s);
    return err;
}

struct check {
    struct ac__fed_peer *p;
    struct ac_reason *why;
    const struct ac_buf *kept; /* the body kept before, or empty */
    const struct entry *want;  /* the new entry looked up in |kept| */
    int found_other;
    const uint8_t *other;
};

/* In the kept catalog: the entry with |want|'s id and version. */
static int find_same(void *ctx, size_t i, const struct entry *e)
{
    (void)i;
    struct check *c = ctx;
    if (e->id_len == c->want->id_len && memcmp(e->id, c->want->id, e->id_len) == 0 &&
        e->version == c->want->version && e->hash && e->hash_len == 32 &&
        sodium_memcmp(e->hash, c->want->hash, 32) != 0) {
        c->found_other = 1;
        c->other = e->hash;
        return 1;
    }
    return 0;
}

static int check_entry(void *ctx, size_t i, const struct entry *e)
{
    struct check *c = ctx;
    uint8_t h[32];
    char got[AC_DEF_HASH_HEX_LEN + 1], said[AC_DEF_HASH_HEX_LEN + 1];
    if (!e->hash || e->hash_len != 32 || !e->def)
        return ac_reason_fail(c->why, AC_EINVAL, AC_PROBLEM_BAD_ENVELOPE, "definitions",
                              "definitions[%zu] (%.*s@%lld) carries no 32-byte hash and "
                              "definition; a catalog entry names its definition's content hash",
                              i, (int)e->id_len, e->id, (long long)e->version);
    crypto_hash_sha256(h, e->def, e->def_len);
    if (sodium_memcmp(h, e->hash, 32) != 0) {
        hash_hex(h, got);
        hash_hex(e->hash, said);
        return ac_reason_fail(c->why, AC_EINVAL, AC_PROBLEM_HASH_MISMATCH, "definitions",
                              "definitions[%zu] (%.*s@%lld): hash %s is not the SHA-256 of the "
                              "definition it carries (%s)",
                              i, (int)e->id_len, e->id, (long long)e->version, said, got);
    }
    if (c->kept->len) {
        struct check inner = {.want = e};
        if (walk(c->kept->data, c->kept->len, find_same, &inner, NULL, NULL) == 1 &&
            inner.found_other) {
            hash_hex(inner.other, got);
            hash_hex(e->hash, said);
            return ac_reason_fail(c->why, AC_ECONFLICT, AC_PROBLEM_CONFLICT, "definitions",
                                  "%.*s@%lld of %s was listed with hash %s and now with %s; a "
                                  "published definition never changes, so the catalog is refused",
                                  (int)e->id_len, e->id, (long long)e->version, c->p->node_id, got,
                                  said);
        }
    }
    return 0;
}

int ac__fed_catalog_check(struct ac__fed_peer *p, const uint8_t *body, size_t len,
                          struct ac_reason *why)
{
    struct ac_buf kept = AC_BUF_INIT;
    char text[AC_ENVELOPE_WHY_LEN];
    int64_t at = 0;
    int err = kept_body_now(p, &kept, &at, text, sizeof text);
    if (err == AC_ENOENT || err == AC_EPARSE || err == AC_ECRYPTO) {
        /* None kept, or one that no longer verifies: nothing to compare. */
        kept.len = 0;
        err = 0;
    }
    struct check c = {.p = p, .why = why, .kept = &kept};
    if (!err) {
        err = walk(body, len, check_entry, &c, NULL, NULL);
        if (err == AC_EPARSE)
            err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_BAD_ENVELOPE, "body",
                                 "a catalog body is {node, issuer, definitions: [{id, hash, "
                                 "title, version, definition}]}");
    }
    ac_buf_release(&kept);
    return err;
}

struct find {
    const char *id;
    const uint8_t *hash;
    int64_t version;
    int found;
};

static int find_hash(void *ctx, size_t i, const struct entry *e)
{
    (void)i;
    struct find *q = ctx;
    if (e->id_len == strlen(q->id) && memcmp(e->id, q->id, e->id_len) == 0 && e->hash &&
        e->hash_len == 32 && sodium_memcmp(e->hash, q->hash, 32) == 0) {
        q->version = e->version;
        q->found = 1;
        return 1;
    }
    return 0;
}

int ac__fed_catalog_find(struct ac_node *n, const char *peer, const char *credential_id,
                         const char *content_hash, char *issuer, size_t issuer_size,
                         int64_t *version, struct ac_reason *why)
{
    uint8_t want[32];
    size_t got = 0;
    if (strncmp(content_hash, "sha256:", 7) != 0 || strlen(content_hash) != 71 ||
        sodium_hex2bin(want, sizeof want, content_hash + 7, 64, NULL, &got, NULL) || got != 32)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "content_hash",
                              "content_hash: \"%s\" must be \"sha256:\" and 64 hex digits",
                              content_hash);
    struct ac__fed_peer *p = n->federation ? ac__fed_peer_find(n->federation, peer) : NULL;
    if (!p)
        return ac_reason_fail(why, AC_ENOENT, AC_PROBLEM_NOT_FOUND, "peer",
                              "peer: %s is not a federation peer of this node", peer);
    if (!(p->rights & AC_RIGHT_ISSUER))
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_UNACCEPTABLE_VALUE, "peer",
                              "peer: %s is not recognised as an issuer here (no issuer right)",
                              peer);
    struct ac_buf body = AC_BUF_INIT;
    int64_t at = 0;
    char text[AC_ENVELOPE_WHY_LEN];
    int err = kept_body_now(p, &body, &at, text, sizeof text);
    if (err == AC_ENOENT || err == AC_EPARSE || err == AC_ECRYPTO) {
        ac_buf_release(&body);
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_UNACCEPTABLE_VALUE, "peer",
                              "no verified catalog of %s is kept here (%s); fetch it first "
                              "(POST /v1/federation/peers/%s/catalog)",
                              peer, err == AC_ENOENT ? "none fetched" : text, peer);
    }
    struct find q = {.id = credential_id, .hash = want};
    const char *iss = NULL;
    size_t iss_len = 0;
    if (!err && walk(body.data, body.len, find_hash, &q, &iss, &iss_len) < 0)
        err = AC_EDB; /* it was checked when it was kept */
    if (!err && !q.found)
        err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_UNACCEPTABLE_VALUE, "content_hash",
                             "%s's catalog lists no %s whose definition has content hash %s",
                             peer, credential_id, content_hash);
    if (!err && (!iss || iss_len == 0 || iss_len >= issuer_size))
        err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_UNACCEPTABLE_VALUE, "peer",
                             "%s's catalog names no issuer URL its records carry", peer);
    if (!err) {
        memcpy(issuer, iss, iss_len);
        issuer[iss_len] = 0;
        *version = q.version;
    }
    ac_buf_release(&body);
    return err;
}

struct each {
    ac__fed_catalog_cb cb;
    void *ctx;
    const char *node, *issuer;
    int64_t fetched_ms;
};

/* Copies a borrowed CBOR text into a NUL-terminated heap string. */
static char *dup_n(const void *p, size_t len)
{
    char *s = malloc(len + 1);
    if (s) {
        memcpy(s, p, len);
        s[len] = 0;
    }
    return s;
}

static int each_entry(void *ctx, size_t i, const struct entry *e)
{
    (void)i;
    struct each *q = ctx;
    /* Every entry was checked when the catalog was kept (hash present and
     * the SHA-256 of the definition); one without them is skipped all the
     * same rather than shown without its content hash. */
    if (!e->hash || e->hash_len != 32 || !e->def)
        return 0;
    char hex[AC_DEF_HASH_HEX_LEN + 1];
    hash_hex(e->hash, hex);
    char *id = dup_n(e->id, e->id_len);
    char *title = dup_n(e->title ? e->title : "", e->title ? e->title_len : 0);
    char *def = dup_n(e->def, e->def_len);
    int rc = id && title && def ? 0 : AC_ENOMEM;
    if (!rc) {
        struct ac__fed_catalog_entry out = {q->node,    q->issuer, id,  title,
                                            e->version, hex,       def, q->fetched_ms};
        rc = q->cb(q->ctx, &out);
    }
    free(id);
    free(title);
    free(def);
    return rc;
}

static int by_node_id(const void *a, const void *b)
{
    const struct snap_peer *const *x = a, *const *y = b;
    return strcmp((*x)->node_id, (*y)->node_id);
}

/* Reads one peer's kept catalog, verified again, and hands over its entries. */
static int each_of_peer(struct ac_store *st, const struct ac__fed_catalog_peers *s,
                        const struct snap_peer *p, ac__fed_catalog_cb cb, void *ctx)
{
    struct ac_buf body = AC_BUF_INIT;
    int64_t at = 0;
    char why[AC_ENVELOPE_WHY_LEN] = "";
    int err = kept_body(st, s, p->node_id, &body, &at, why, sizeof why);
    if (err == AC_EPARSE || err == AC_ECRYPTO)
        ac_log(AC_LOG_WARN, "federation",
               "the catalog kept for %s no longer verifies (%s); none of its entries is listed",
               p->node_id, why);
    if (err == AC_ENOENT || err == AC_EPARSE || err == AC_ECRYPTO) {
        ac_buf_release(&body);
        return 0;
    }
    const char *iss = NULL;
    size_t iss_len = 0;
    char *issuer = NULL;
    /* The issuer URL comes first in a catalog body; read it before the walk
     * that hands entries over, so each entry carries it. */
    if (!err && walk(body.data, body.len, NULL, NULL, &iss, &iss_len) != 0)
        err = AC_EDB; /* it was checked when it was kept */
    if (!err && !(issuer = dup_n(iss ? iss : "", iss ? iss_len : 0)))
        err = AC_ENOMEM;
    if (!err) {
        struct each q = {cb, ctx, p->node_id, issuer, at};
        err = walk(body.data, body.len, each_entry, &q, NULL, NULL);
    }
    free(issuer);
    ac_buf_release(&body);
    return err;
}

int ac__fed_catalog_each(struct ac_store *st, const struct ac__fed_catalog_peers *s,
                         ac__fed_catalog_cb cb, void *ctx)
{
    if (!s || s->count == 0)
        return 0;
    const struct snap_peer **order = malloc(s->count * sizeof *order);
    if (!order)
        return AC_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < s->count; i++)
        if (s->peers[i].listed)
            order[k++] = &s->peers[i];
    qsort(order, k, sizeof *order, by_node_id);
    int err = 0;
    for (size_t i = 0; !err && i < k; i++)
        err = each_of_peer(st, s, order[i], cb, ctx);
    free(order);
    return err;
}

struct fetch {
    struct ac_http_exchange *x;
    struct ac__fed_peer *p;
};

/* A fetched catalog being checked against the one kept and cached, as a
 * task of the request groups (the handler handed the exchange to the fetch:
 * its read and write come back as a task, on the write handlers' fiber, so
 * the loop waits on no round trip for them); answers |x| once committed. */
struct cache {
    struct ac_http_exchange *x;
    struct ac__fed_peer *p; /* peers live until the federation is freed */
    uint8_t *doc;           /* owned: the envelope's bytes */
    size_t len;
    const uint8_t *body; /* the catalog body inside |doc| */
    size_t body_len;
    int64_t at_ms;
    json_t *answer;       /* owned; NULL: out of memory (answered 500) */
    struct ac_reason why; /* a refusal of the check */
};

/* The task's body: no version the peer listed before may have changed its
 * hash (read in the same transaction as the write, so a catalog.offer
 * applied meanwhile is compared too), then the envelope is kept. Runs again
 * whole after a lost race. */
static int cache_run(void *arg)
{
    struct cache *c = arg;
    ac_reason_release(&c->why);
    int err = ac__fed_catalog_check(c->p, c->body, c->body_len, &c->why);
    if (!err)
        err = ac_store_peer_doc_put(c->p->fed->node->store, c->p->node_id, "catalog", c->doc,
                                    c->len, c->at_ms);
    return err;
}

static void cache_done(void *arg, int err)
{
    struct cache *c = arg;
    if (err == AC_ECANCELED)
        ac__problem(c->x, AC_PROBLEM_STORAGE_UNAVAILABLE, NULL, NULL, "the node is stopping");
    else if (err)
        ac__respond_failure(c->x, err, &c->why, "the catalog");
    else
        ac__respond_owned(c->x, 200, c->answer);
    if (err)
        json_decref(c->answer);
    ac_reason_release(&c->why);
    free(c->doc);
    free(c);
}

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
    struct ac__fed_catalog_peers *s;
    err = snap_new(p->fed, p->node_id, &s);
    if (err) {
        ac__respond_error(x, err, "the catalog");
        return;
    }
    err = verify_catalog(s, p->node_id, resp->body, resp->body_len, &e, why, sizeof why);
    ac__fed_catalog_peers_free(s);
    if (err) {
        ac__problem(x, AC_PROBLEM_BAD_ENVELOPE, "node", NULL, "%s's catalog: %s", p->node_id,
                    why);
        return;
    }
    /* The envelope's body borrows its bytes (ac_envelope_decode()): the
     * same place in the copy kept below. */
    if (e.body < resp->body || e.body_len > resp->body_len ||
        (size_t)(e.body - resp->body) > resp->body_len - e.body_len) {
        ac__respond_error(x, AC_EBUG, "the catalog");
        return;
    }
    struct cache *c = calloc(1, sizeof *c);
    if (!c || !(c->doc = malloc(resp->body_len ? resp->body_len : 1))) {
        free(c);
        ac__respond_error(x, AC_ENOMEM, "the catalog");
        return;
    }
    memcpy(c->doc, resp->body, resp->body_len);
    c->len = resp->body_len;
    c->body = c->doc + (e.body - resp->body);
    c->body_len = e.body_len;
    c->x = x;
    c->p = p;
    c->why = (struct ac_reason)AC_REASON_INIT;
    c->at_ms = ac_clock_now_ms();
    c->answer = catalog_json(p->node_id, e.body, e.body_len, c->at_ms);
    ac__fed_task(p->fed, "peer catalog", cache_run, cache_done, c);
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

/* GET /v1/federation/peers/{node}/catalog: the kept catalog, read and
 * verified again on a reader thread (the peer's keys may have changed since
 * it was fetched). */
struct cached_read {
    struct ac__json_read r; /* first */
    struct ac__fed_catalog_peers *peers; /* owned */
    char node_id[65];
};

static int cached_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                       struct ac_reason *why)
{
    struct cached_read *c = (struct cached_read *)r;
    struct ac_buf body = AC_BUF_INIT;
    int64_t at = 0;
    char text[AC_ENVELOPE_WHY_LEN];
    int err = kept_body(view->store, c->peers, c->node_id, &body, &at, text, sizeof text);
    if (err == AC_EPARSE || err == AC_ECRYPTO)
        err = ac_reason_fail(why, err, AC_PROBLEM_BAD_ENVELOPE, "node", "the cached catalog: %s",
                             text);
    if (!err)
        *out = catalog_json(c->node_id, body.data, body.len, at);
    ac_buf_release(&body);
    return err;
}

static void cached_release(struct ac__json_read *r)
{
    ac__fed_catalog_peers_free(((struct cached_read *)r)->peers);
}

static void on_cached(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__fed_peer *p = issuer_param(n, x);
    if (!p)
        return;
    struct cached_read *c = calloc(1, sizeof *c);
    int err = c ? snap_new(p->fed, p->node_id, &c->peers) : AC_ENOMEM;
    if (err) {
        free(c);
        ac__respond_error(x, err, "the peer's catalog");
        return;
    }
    memcpy(c->node_id, p->node_id, sizeof c->node_id);
    ac__json_read_submit(n, x, &c->r, cached_read, cached_release, "the peer's catalog");
}

void ac__fed_catalog_register(struct ac_node *n)
{
    ac__route(n, "GET", CATALOG_PATH, on_catalog);
    ac__route(n, "POST", "/v1/federation/peers/{node}/catalog", on_fetch);
    ac__route(n, "GET", "/v1/federation/peers/{node}/catalog", on_cached);
}
