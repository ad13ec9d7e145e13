/* cert_state.c - the issuer's word to a stand-in's home node: the
 * cert.state message with the whole picture of one certification (state,
 * screening, modules, the open draw without expert scores, the last grading
 * without rates, a refusal) and, once certified, the signed
 * reviewer-certification record; queued whenever it changes, whether at the
 * lender's request or by this node's own hand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/error.h"
#include "accord/records/reviewer_cert.h"
#include "accord/sign/keyring.h"
#include "accord/store/benchmark.h"
#include "accord/store/certification.h"
#include "accord/store/remote.h"
#include "accord/store/reviewer.h"
#include "accord/store/training.h"
#include "cert.h"
#include "internal.h"
#include "lifecycle/lifecycle.h"

#define MAX_ATTEMPT_ROWS 64

static int keyring_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64])
{
    return ac_keyring_sign(ctx, msg, len, sig);
}

/* The signed record of |user|'s certification |rc| of |c|, base64 into
 * |*b64| (caller frees). */
static int sign_record(struct ac_node *n, const struct ac__cred *c,
                       const struct ac_remote_reviewer *who, const struct ac_reviewer_cert *rc,
                       char **b64, int64_t *expires)
{
    struct ac_rcert_record r = {.home_user = who->home_user,
                                .version = c->row.version,
                                .issued_ms = rc->certified_ms,
                                .expires_ms = rc->certified_ms + AC__CERT_VALID_MS};
    snprintf(r.issuer, sizeof r.issuer, "%s", n->cfg->node_id);
    snprintf(r.home_node, sizeof r.home_node, "%s", who->home_node);
    snprintf(r.credential, sizeof r.credential, "%s", c->row.def_id);
    snprintf(r.content_hash, sizeof r.content_hash, "%s", c->row.content_hash);
    const struct ac_key_info *k = ac_keyring_current(n->keyring);
    struct ac_buf out = AC_BUF_INIT;
    int err = ac_rcert_record_sign(&r, k->kid, sizeof k->kid, keyring_sign, n->keyring, &out);
    if (err)
        return err;
    size_t cap = sodium_base64_ENCODED_LEN(out.len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    *b64 = malloc(cap);
    if (*b64)
        sodium_bin2base64(*b64, cap, out.data, out.len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    ac_buf_release(&out);
    *expires = r.expires_ms;
    return *b64 ? 0 : AC_ENOMEM;
}

/* The modules the reviewer trains with, as this node's reviewers see them. */
static int add_material(struct ac_node *n, const struct ac__cred *c, json_t *body)
{
    char *general = NULL, *training = NULL;
    int64_t at;
    int err = ac_store_general_get(n->store, &general, &at);
    if (err == AC_ENOENT)
        err = 0;
    if (!err)
        err = ac_store_training_get(n->store, c->row.id, &training, &at);
    if (err == AC_ENOENT)
        err = 0;
    json_t *m = err ? NULL : json_object();
    if (m) {
        json_t *g = general ? json_loads(general, 0, NULL) : json_null();
        json_t *t = training ? json_loads(training, 0, NULL) : json_null();
        if (!g || !t || json_object_set_new(m, "general", g) ||
            json_object_set_new(m, "training", t) || json_object_set_new(body, "material", m))
            err = AC_ENOMEM;
    } else if (!err) {
        err = AC_ENOMEM;
    }
    free(general);
    free(training);
    return err;
}

/* The open attempt's draw, {id, number, items: [{item_id, content}]}, and
 * the last grading, without the rates (the envelope's CBOR has no reals). */
static int add_attempts(struct ac_node *n, const struct ac__cred *c, int64_t user, json_t *body)
{
    struct ac_cert_attempt_row rows[MAX_ATTEMPT_ROWS];
    size_t k = 0;
    int err = ac_store_cert_attempt_list(n->store, c->row.id, user, rows, MAX_ATTEMPT_ROWS, &k);
    if (err)
        return err;
    for (size_t i = 0; !err && i < k; i++) {
        if (rows[i].passed < 0) {
            json_t *ids = json_loads(rows[i].items, 0, NULL), *items = json_array(), *v;
            size_t j;
            json_array_foreach(ids, j, v)
            {
                struct ac_bench_row br;
                if (!err && !(err = ac_store_bench_get(n->store, json_integer_value(v), &br))) {
                    json_array_append_new(items,
                                          json_pack("{s:I, s:s}", "item_id", (json_int_t)br.id,
                                                    "content", br.content));
                    ac_bench_row_release(&br);
                }
            }
            json_decref(ids);
            if (!err &&
                json_object_set_new(body, "attempt",
                                    json_pack("{s:I, s:I, s:o}", "id", (json_int_t)rows[i].id,
                                              "number", (json_int_t)(i + 1), "items", items)))
                err = AC_ENOMEM;
            else if (err)
                json_decref(items);
        }
    }
    /* The last finished attempt's grading, whether or not another is open. */
    size_t last = k;
    for (size_t i = 0; i < k; i++)
        if (rows[i].passed >= 0)
            last = i;
    if (!err && last < k) {
        json_t *res = json_loads(rows[last].result, 0, NULL);
        json_t *r = json_object();
        static const char *const keep[] = {"passed",     "items",           "exact", "within_one",
                                           "beyond_one", "boundary_misses", "reason"};
        for (size_t q = 0; r && res && q < sizeof keep / sizeof keep[0]; q++) {
            json_t *v = json_object_get(res, keep[q]);
            if (v)
                json_object_set(r, keep[q], v);
        }
        if (r)
            json_object_set_new(r, "attempt_id", json_integer(rows[last].id));
        json_decref(res);
        if (!r || json_object_set_new(body, "result", r))
            err = AC_ENOMEM;
    }
    for (size_t i = 0; i < k; i++)
        ac_cert_attempt_row_release(&rows[i]);
    return err;
}

/* Builds and queues the cert.state of stand-in |who| for |ref| (a row's
 * "ID@VERSION", or what the lender named when there is none) with |problem|
 * (NULL: none). Inside the caller's transaction. */
int ac__cert_queue_state(struct ac_node *n, const struct ac_remote_reviewer *who, const char *ref,
                         const struct ac_reason *problem)
{
    struct ac__cred c = {0};
    struct ac_reviewer_cert rc = {0};
    json_t *body = json_pack("{s:I, s:s}", "user", (json_int_t)who->home_user, "credential", ref);
    if (!body)
        return AC_ENOMEM;
    int err = ac__cred_find(n, ref, &c, NULL);
    int found = !err;
    if (err == AC_ENOENT)
        err = 0;
    int has_row = 0;
    if (found) {
        json_object_set_new(body, "credential", json_string(c.row.def_id));
        json_object_set_new(body, "version", json_integer(c.row.version));
        json_object_set_new(body, "hash", json_string(c.row.content_hash));
        json_object_set_new(body, "title", json_string(c.row.title ? c.row.title : ""));
        err = ac_store_reviewer_cert_get(n->store, c.row.id, who->user_id, &rc);
        has_row = !err;
        if (err == AC_ENOENT)
            err = 0;
    }
    if (!err && has_row) {
        enum ac_rcert_state s = rc.state;
        json_t *screening = json_loads(rc.screening, 0, NULL);
        json_object_set_new(body, "state", json_string(ac_rcert_state_name(s)));
        json_object_set_new(body, "attempts", json_integer(rc.attempts));
        json_object_set_new(body, "max_attempts", json_integer(c.def->training.attempts));
        json_object_set_new(body, "next_attempt_ms", json_integer(rc.next_attempt_ms));
        json_object_set_new(body, "screening", screening ? screening : json_array());
        if (s != AC_RCERT_APPLIED && s != AC_RCERT_REJECTED)
            err = add_material(n, &c, body);
        if (!err)
            err = add_attempts(n, &c, who->user_id, body);
        if (!err && s == AC_RCERT_CERTIFIED) {
            char *b64 = NULL;
            int64_t expires = 0;
            err = sign_record(n, &c, who, &rc, &b64, &expires);
            if (!err) {
                json_object_set_new(body, "record", json_string(b64));
                json_object_set_new(body, "expires_ms", json_integer(expires));
            }
            free(b64);
        }
    } else if (!err) {
        json_object_set_new(body, "state", json_string("none"));
    }
    if (!err && problem && problem->problem != AC_PROBLEM_NONE) {
        const struct ac_problem_type *t = ac_problem_type(problem->problem);
        json_object_set_new(body, "problem",
                            json_pack("{s:s, s:i, s:s, s:s}", "type", t->slug, "status", t->status,
                                      "field", problem->field, "detail", problem->detail));
    }
    if (!err)
        err = ac__cert_queue(n, who->home_node, "cert.state", body);
    json_decref(body);
    ac_reviewer_cert_release(&rc);
    ac__cred_release(&c);
    return err;
}

int ac__cert_stand_in_changed(struct ac_node *n, int64_t credential_row, int64_t user)
{
    struct ac_remote_reviewer who;
    int err = ac_store_remote_reviewer_get(n->store, user, &who);
    if (err == AC_ENOENT)
        return 0; /* a local reviewer: told the local way */
    if (err)
        return err;
    struct ac__cred c;
    if ((err = ac__cred_load_id(n, credential_row, &c)))
        return err;
    err = ac__cert_queue_state(n, &who, c.ref, NULL);
    ac__cred_release(&c);
    return err;
}
