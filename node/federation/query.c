/* query.c - status and log queries between nodes, through the same signed
 * envelopes as every other federation message. The asking side sends a
 * query straight to the peer's inbox (not through the outbox: someone is
 * waiting for the answer) and takes the answer only when it is an envelope
 * the peer signed to us, answering exactly that query. The answering side
 * (the message types "status.query", "log.checkpoint", "log.consistency"
 * and "log.inclusion") answers from the node's published state: the signed
 * status token, the signed checkpoint note and Merkle proofs, so what the
 * asker keeps is verifiable on its own. The answer is made before the
 * transaction that stores it (receive.c): from memory on the loop, the
 * proofs on a reader thread, so the loop reads nothing for it. Also the
 * admin API that asks a peer for statuses: POST
 * /v1/federation/peers/{node}/status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/net/h2_client.h"
#include "accord/records/merkle.h"
#include "accord/records/status.h"
#include "accord/sign/cbor.h"
#include "accord/sign/envelope.h"
#include "accord/store/tlog.h"
#include "accounts/accounts.h"
#include "federation.h"
#include "internal.h"
#include "records/records.h"

/* Indexes one status query may ask for: the token answers for the whole
 * list anyway; this only bounds the echo. */
#define STATUS_QUERY_MAX 64

void ac__fed_answer_id(const char *from, const char *id, char out[33])
{
    uint8_t h[crypto_generichash_BYTES];
    crypto_generichash_state s;
    crypto_generichash_init(&s, NULL, 0, sizeof h);
    crypto_generichash_update(&s, (const uint8_t *)from, strlen(from) + 1);
    crypto_generichash_update(&s, (const uint8_t *)id, strlen(id));
    crypto_generichash_final(&s, h, sizeof h);
    sodium_bin2hex(out, 33, h, 16);
}

/* ---- answering ---- */

/* Reads a body map of unsigned fields named in |names| (deterministic key
 * order is not required of a query); a field absent keeps its value. */
static int read_uints(const struct ac_envelope *e, const char *const *names, uint64_t *vals,
                      size_t n)
{
    struct ac_cbor_reader r;
    uint64_t npairs;
    if (ac_cbor_reader_init(&r, e->body, e->body_len) || ac_cbor_get_map(&r, &npairs))
        return AC_EINVAL;
    for (uint64_t i = 0; i < npairs; i++) {
        const char *k;
        size_t kl;
        if (ac_cbor_get_text(&r, &k, &kl))
            return AC_EINVAL;
        size_t j = 0;
        while (j < n && (strlen(names[j]) != kl || memcmp(names[j], k, kl) != 0))
            j++;
        if (j == n) {
            if (ac_cbor_skip(&r, NULL, NULL))
                return AC_EINVAL;
        } else if (ac_cbor_get_uint(&r, &vals[j])) {
            return AC_EINVAL;
        }
    }
    return 0;
}

static void put_proof(struct ac_cbor_writer *w, const struct ac_merkle_proof *p)
{
    ac_cbor_put_array(w, p->count);
    for (size_t i = 0; i < p->count; i++)
        ac_cbor_put_bytes(w, p->hash[i], AC_MERKLE_HASH_BYTES);
}

static int finish(struct ac_cbor_writer *w, struct ac_buf *answer)
{
    int rc = ac_cbor_writer_finish(w, answer);
    ac_cbor_writer_release(w);
    return rc;
}

/* A proof query's numbers: |names|' first required, the second defaulting
 * to the log's |size|; |shape| is the refusal's text. */
static int read_log_query(const struct ac_envelope *e, const char *const names[2], uint64_t v[2],
                          uint64_t size, const char *shape, struct ac_reason *why)
{
    v[0] = UINT64_MAX;
    v[1] = size;
    if (read_uints(e, names, v, 2) || v[0] == UINT64_MAX)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_BAD_ENVELOPE, "body", "%s", shape);
    return 0;
}

/* Starts a |fields|-key answer {re, names[1], names[0], hashes}: deterministic
 * key order, as both queries put the shorter name second in |names|. */
static void put_proof_answer(struct ac_cbor_writer *w, size_t fields, const struct ac_envelope *e,
                             const char *const names[2], const uint64_t v[2],
                             const struct ac_merkle_proof *proof)
{
    ac_cbor_writer_init(w);
    ac_cbor_put_map(w, fields);
    ac_cbor_put_str(w, "re");
    ac_cbor_put_str(w, e->id);
    ac_cbor_put_str(w, names[1]);
    ac_cbor_put_uint(w, v[1]);
    ac_cbor_put_str(w, names[0]);
    ac_cbor_put_uint(w, v[0]);
    ac_cbor_put_str(w, "hashes");
    put_proof(w, proof);
}

static const char *const consistency_names[] = {"from", "to"};
static const char *const inclusion_names[] = {"index", "size"};

enum ac__fed_query_kind ac__fed_query_kind(const char *type)
{
    static const char *const types[] = {
        [AC__FED_QUERY_STATUS] = "status.query",
        [AC__FED_QUERY_CHECKPOINT] = "log.checkpoint",
        [AC__FED_QUERY_CONSISTENCY] = "log.consistency",
        [AC__FED_QUERY_INCLUSION] = "log.inclusion",
    };
    for (size_t k = AC__FED_QUERY_STATUS; k < sizeof types / sizeof types[0]; k++)
        if (strcmp(types[k], type) == 0)
            return (enum ac__fed_query_kind)k;
    return AC__FED_QUERY_NONE;
}

static int status_answer(struct ac_node *n, const struct ac_envelope *e, struct ac_buf *answer,
                         struct ac_reason *why)
{
    uint64_t idx[STATUS_QUERY_MAX];
    size_t count = 0;
    struct ac_cbor_reader r;
    uint64_t npairs, nidx = 0;
    int bad = ac_cbor_reader_init(&r, e->body, e->body_len) || ac_cbor_get_map(&r, &npairs);
    for (uint64_t i = 0; !bad && i < npairs; i++) {
        const char *k;
        size_t kl;
        bad = ac_cbor_get_text(&r, &k, &kl);
        if (bad)
            break;
        if (kl != 7 || memcmp(k, "indexes", 7) != 0) {
            bad = ac_cbor_skip(&r, NULL, NULL);
            continue;
        }
        bad = ac_cbor_get_array(&r, &nidx) || nidx == 0 || nidx > STATUS_QUERY_MAX;
        for (uint64_t j = 0; !bad && j < nidx; j++)
            bad = ac_cbor_get_uint(&r, &idx[count++]);
    }
    if (bad || count == 0)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_BAD_ENVELOPE, "body",
                              "a status.query body is {indexes: [1 to %d status list indexes]}",
                              STATUS_QUERY_MAX);
    int err = ac__status_publish(n);
    if (err)
        return err;
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    /* {re, token, status}: deterministic key order. */
    ac_cbor_put_map(&w, 3);
    ac_cbor_put_str(&w, "re");
    ac_cbor_put_str(&w, e->id);
    ac_cbor_put_str(&w, "token");
    ac_cbor_put_bytes(&w, n->records->token.body.data, n->records->token.body.len);
    ac_cbor_put_str(&w, "status");
    ac_cbor_put_array(&w, count);
    for (size_t i = 0; i < count; i++) {
        enum ac_status s;
        if (ac_status_list_get(n->records->status, idx[i], &s)) {
            ac_cbor_writer_release(&w);
            return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "indexes",
                                  "index %llu is past the end of this node's status list",
                                  (unsigned long long)idx[i]);
        }
        ac_cbor_put_uint(&w, (uint64_t)s);
    }
    return finish(&w, answer);
}

static int checkpoint_answer(struct ac_node *n, const struct ac_envelope *e, struct ac_buf *answer)
{
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    ac_cbor_put_map(&w, 2);
    ac_cbor_put_str(&w, "re");
    ac_cbor_put_str(&w, e->id);
    ac_cbor_put_str(&w, "note");
    ac_cbor_put_bytes(&w, n->records->checkpoint.body.data, n->records->checkpoint.body.len);
    return finish(&w, answer);
}

/* A proof query's range against the log's |size|, read into q->v. */
static int proof_range(const struct ac_envelope *e, struct ac__fed_query *q, uint64_t size)
{
    uint64_t *v = q->v;
    int err;
    if (q->kind == AC__FED_QUERY_CONSISTENCY) {
        err = read_log_query(e, consistency_names, v, size,
                             "a log.consistency body is {from: size, to?: size}", &q->why);
        if (!err && (v[0] > v[1] || v[1] > size))
            err = ac_reason_fail(&q->why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD,
                                 v[0] > v[1] ? "from" : "to",
                                 "from %llu, to %llu: need from <= to <= %llu (the log size)",
                                 (unsigned long long)v[0], (unsigned long long)v[1],
                                 (unsigned long long)size);
        return err;
    }
    err = read_log_query(e, inclusion_names, v, size,
                         "a log.inclusion body is {index: n, size?: size}", &q->why);
    if (!err && (v[1] > size || v[0] >= v[1]))
        err = ac_reason_fail(&q->why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD,
                             v[1] > size ? "size" : "index",
                             "index %llu, size %llu: need index < size <= %llu (the log size)",
                             (unsigned long long)v[0], (unsigned long long)v[1],
                             (unsigned long long)size);
    return err;
}

int ac__fed_query_prepare(struct ac_node *n, const struct ac_envelope *e, struct ac__fed_query *q)
{
    int err;
    switch (q->kind) {
    case AC__FED_QUERY_STATUS:
        err = status_answer(n, e, &q->body, &q->why);
        break;
    case AC__FED_QUERY_CHECKPOINT:
        err = checkpoint_answer(n, e, &q->body);
        break;
    case AC__FED_QUERY_CONSISTENCY:
    case AC__FED_QUERY_INCLUSION:
        err = proof_range(e, q, n->records->tree.size);
        if (!err)
            return 1;
        break;
    default:
        err = AC_EBUG;
    }
    ac__fed_query_made(q, err);
    return 0;
}

void ac__fed_query_prove(struct ac_store *st, const struct ac_envelope *e, struct ac__fed_query *q)
{
    struct ac_merkle_source src;
    ac__tlog_source_of(st, &src);
    struct ac_merkle_proof proof;
    struct ac_cbor_writer w;
    int err;
    if (q->kind == AC__FED_QUERY_CONSISTENCY) {
        err = ac_merkle_consistency_proof(&src, q->v[0], q->v[1], &proof);
        if (!err) {
            put_proof_answer(&w, 4, e, consistency_names, q->v, &proof); /* {re, to, from, hashes} */
            err = finish(&w, &q->body);
        }
    } else {
        uint8_t leaf[AC_MERKLE_HASH_BYTES];
        err = ac_merkle_inclusion_proof(&src, q->v[0], q->v[1], &proof);
        if (!err)
            err = ac_store_log_leaf(st, q->v[0], leaf);
        if (!err) {
            /* {re, size, index, hashes, leaf_hash} */
            put_proof_answer(&w, 5, e, inclusion_names, q->v, &proof);
            ac_cbor_put_str(&w, "leaf_hash");
            ac_cbor_put_bytes(&w, leaf, sizeof leaf);
            err = finish(&w, &q->body);
        }
    }
    ac__fed_query_made(q, err);
}

void ac__fed_query_made(struct ac__fed_query *q, int err)
{
    q->made = 1;
    q->err = err;
    if (!err)
        ac_reason_release(&q->why);
}

void ac__fed_query_release(struct ac__fed_query *q)
{
    ac_buf_release(&q->body);
    ac_reason_release(&q->why);
    q->made = q->err = 0;
}

/* ---- asking ---- */

struct ask {
    struct ac__fed_peer *p;
    char answer_id[33];
    ac__fed_answer_cb cb;
    void *arg;
};

static void on_answer(void *arg, int err, const struct ac_h2_response *resp)
{
    struct ask *a = arg;
    struct ac__fed_peer *p = a->p;
    char why[300] = "";
    struct ac_envelope e = {0};
    if (p->fed->stopping) {
        err = AC_ECANCELED;
        snprintf(why, sizeof why, "the node is stopping");
    } else if (err) {
        snprintf(why, sizeof why, "%s did not answer: %s", p->node_id, ac_strerror(err));
    } else if (resp->status != 200) {
        err = AC_EPROTO;
        ac__fed_problem_text(resp, why, sizeof why);
    } else {
        struct ac_cose_sign1 m;
        const struct ac__fed_key *key = NULL;
        err = AC_ECRYPTO;
        if (ac_envelope_parse(resp->body, resp->body_len, &m, why, sizeof why))
            ;
        else if (ac__fed_peer_by_kid(p->fed, m.kid, m.kid_len, &key) != p)
            snprintf(why, sizeof why, "the answer is not signed by a key of %s", p->node_id);
        else if (ac_envelope_verify(&m, key->public_key))
            snprintf(why, sizeof why, "the answer's signature does not verify");
        else if (ac_envelope_decode(&m, &e, why, sizeof why))
            ;
        else if (strcmp(e.from, p->node_id) != 0 ||
                 strcmp(e.to, p->fed->node->cfg->node_id) != 0 || strcmp(e.type, "answer") != 0 ||
                 strcmp(e.id, a->answer_id) != 0)
            snprintf(why, sizeof why, "the envelope is not %s's answer to this query", p->node_id);
        else
            err = 0;
    }
    if (err)
        ac_log_warn("federation", "%s: query failed: %s", p->node_id, why);
    a->cb(a->arg, err, err ? NULL : e.body, err ? 0 : e.body_len, why);
    free(a);
}

int ac__fed_ask(struct ac__fed_peer *p, const char *type, const uint8_t *body, size_t len,
                ac__fed_answer_cb cb, void *arg)
{
    struct ac__federation *f = p->fed;
    struct ask *a = calloc(1, sizeof *a);
    if (!a)
        return AC_ENOMEM;
    /* A fresh id per query: the answer is bound to it, and the peer's dedup
     * row for it answers a retry of this very query the same way. */
    uint8_t rnd[12];
    char id[40], hex[25];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
    snprintf(id, sizeof id, "q-%s", hex);
    ac__fed_answer_id(f->node->cfg->node_id, id, a->answer_id);
    a->p = p;
    a->cb = cb;
    a->arg = arg;
    struct ac_buf env = AC_BUF_INIT;
    struct ac_h2_client *client = NULL;
    int err = ac__fed_sign(f, type, id, p->node_id, body, len, &env);
    if (!err)
        err = ac__fed_client(p, &client);
    const struct ac_http_header headers[] = {
        {"content-type", AC_ENVELOPE_CONTENT_TYPE},
        {"accord-sender", f->node->cfg->node_id},
    };
    if (!err)
        err = ac_h2_client_request(client, "POST", "/v1/federation/inbox", headers, 2, env.data,
                                   env.len, on_answer, a);
    ac_buf_release(&env);
    if (err)
        free(a);
    return err;
}

/* ---- POST /v1/federation/peers/{node}/status ---- */

struct status_req {
    struct ac_http_exchange *x;
    struct ac__fed_peer *p;
    size_t count;
    uint64_t idx[STATUS_QUERY_MAX];
};

/* Reads {re, token, status: [...]} from an answer. */
static int read_status_answer(const uint8_t *body, size_t len, const uint8_t **token,
                              size_t *token_len, uint64_t *status, size_t count)
{
    struct ac_cbor_reader r;
    uint64_t n;
    *token = NULL;
    if (ac_cbor_map_find(body, len, "token", &r) || ac_cbor_get_bytes(&r, token, token_len) ||
        ac_cbor_map_find(body, len, "status", &r) || ac_cbor_get_array(&r, &n) || n != count)
        return AC_EPARSE;
    for (uint64_t j = 0; j < n; j++)
        if (ac_cbor_get_uint(&r, &status[j]))
            return AC_EPARSE;
    return 0;
}

static void on_status_answer(void *arg, int err, const uint8_t *body, size_t len, const char *why)
{
    struct status_req *q = arg;
    struct ac_http_exchange *x = q->x;
    struct ac__fed_peer *p = q->p;
    if (err) {
        if (err == AC_EPROTO)
            ac__problem(x, AC_PROBLEM_CONFLICT, "node", NULL, "%s refused the query: %s",
                        p->node_id, why);
        else if (err == AC_ECRYPTO || err == AC_EPARSE)
            ac__problem(x, AC_PROBLEM_BAD_ENVELOPE, "node", NULL, "%s", why);
        else
            ac__problem(x, AC_PROBLEM_STORAGE_UNAVAILABLE, "node", NULL, "%s", why);
        free(q);
        return;
    }
    const uint8_t *token = NULL;
    size_t token_len = 0;
    uint64_t echoed[STATUS_QUERY_MAX];
    struct ac_status_token t = {0};
    char twhy[160] = "";
    uint8_t kid[AC_STATUS_TOKEN_KID_MAX];
    size_t kid_len = 0;
    const struct ac__fed_key *key = NULL;
    if (read_status_answer(body, len, &token, &token_len, echoed, q->count)) {
        ac__problem(x, AC_PROBLEM_BAD_ENVELOPE, "node", NULL,
                    "%s's answer is not {re, token, status: [%zu values]}", p->node_id,
                    q->count);
        goto out;
    }
    /* The token is what counts: verified with a key of the peer, and every
     * status read from it, which must agree with what the answer says. */
    if (ac_status_token_kid(token, token_len, kid, &kid_len) ||
        ac__fed_peer_by_kid(p->fed, kid, kid_len, &key) != p ||
        ac_status_token_open(token, token_len, key->public_key, &t, twhy, sizeof twhy)) {
        ac__problem(x, AC_PROBLEM_BAD_ENVELOPE, "node", NULL,
                    "%s's status token does not verify with its keys%s%s", p->node_id,
                    twhy[0] ? ": " : "", twhy);
        goto out;
    }
    json_t *items = json_array();
    for (size_t i = 0; items && i < q->count; i++) {
        unsigned s;
        if (ac_status_token_get(&t, q->idx[i], &s) || s != echoed[i]) {
            json_decref(items);
            ac__problem(x, AC_PROBLEM_BAD_ENVELOPE, "node", NULL,
                        "%s's answer for index %llu disagrees with its signed token", p->node_id,
                        (unsigned long long)q->idx[i]);
            goto out;
        }
        json_array_append_new(items, json_pack("{s:I, s:s}", "index", (json_int_t)q->idx[i],
                                               "status", ac_status_name((int)s)));
    }
    size_t cap = sodium_base64_ENCODED_LEN(token_len, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = malloc(cap);
    if (b64)
        sodium_bin2base64(b64, cap, token, token_len, sodium_base64_VARIANT_ORIGINAL);
    json_t *j = items && b64 ? json_pack("{s:s, s:s, s:o, s:s}", "node", p->node_id, "sub",
                                         t.sub ? t.sub : "", "statuses", items, "token", b64)
                             : NULL;
    if (!j)
        json_decref(items);
    else
        ac__json_time(j, "token_iat", t.iat * 1000);
    free(b64);
    ac__respond_owned(x, 200, j);
out:
    ac_status_token_release(&t);
    free(q);
}

static void on_status(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a) ||
        ac__require_role(x, &a, AC_ROLE_ADMIN | AC_ROLE_RECOGNIZER))
        return;
    const char *id = ac_http_param(x, "node");
    struct ac__fed_peer *p = n->federation ? ac__fed_peer_find(n->federation, id) : NULL;
    if (!p) {
        ac__problem(x, AC_PROBLEM_NOT_FOUND, "node", NULL, "%s is not a peer of this node", id);
        return;
    }
    json_t *body;
    if (ac__json_body(x, 0, &body))
        return;
    json_t *list = json_object_get(body, "indexes");
    struct status_req *q = calloc(1, sizeof *q);
    if (!q) {
        json_decref(body);
        ac__respond_error(x, AC_ENOMEM, "the query");
        return;
    }
    int bad = !json_is_array(list) || json_array_size(list) == 0 ||
              json_array_size(list) > STATUS_QUERY_MAX;
    for (size_t i = 0; !bad && i < json_array_size(list); i++) {
        json_t *v = json_array_get(list, i);
        bad = !json_is_integer(v) || json_integer_value(v) < 0;
        if (!bad)
            q->idx[q->count++] = (uint64_t)json_integer_value(v);
    }
    json_decref(body);
    if (bad) {
        free(q);
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "indexes", NULL,
                    "indexes: must be a list of 1 to %d status list indexes (whole numbers "
                    ">= 0)",
                    STATUS_QUERY_MAX);
        return;
    }
    struct ac_cbor_writer w;
    struct ac_buf cbor = AC_BUF_INIT;
    ac_cbor_writer_init(&w);
    ac_cbor_put_map(&w, 1);
    ac_cbor_put_str(&w, "indexes");
    ac_cbor_put_array(&w, q->count);
    for (size_t i = 0; i < q->count; i++)
        ac_cbor_put_uint(&w, q->idx[i]);
    int err = finish(&w, &cbor);
    q->x = x;
    q->p = p;
    if (!err)
        err = ac__fed_ask(p, "status.query", cbor.data, cbor.len, on_status_answer, q);
    ac_buf_release(&cbor);
    if (err) {
        free(q);
        ac__respond_error(x, err, "the status query");
    }
}

void ac__fed_query_register(struct ac_node *n)
{
    ac__route(n, "POST", "/v1/federation/peers/{node}/status", on_status);
}
