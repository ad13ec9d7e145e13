/* ledger.c - the reciprocity ledger as an admin reads and steers it:
 * reviews lent to and borrowed from each peer per credential and month, the
 * balance per peer, the receipts both nodes signed (each a review.receipt
 * envelope of the issuer around the lender's signed review.result), and the
 * debt cap past which a peer's offers are declined. Also registers the
 * borrowed-review routes of both sides. The ledger and receipt lists are
 * read on the reader threads (node/readers.h) after the loop checked the
 * caller is an admin. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/error.h"
#include "accord/store/borrow.h"
#include "accord/store/ledger.h"
#include "audit.h"
#include "borrow.h"
#include "federation.h"
#include "internal.h"
#include "readers.h"
#include "review/scheduler.h"

/* The peer named by the "peer" query parameter, "" when none (then every
 * peer); -1 after answering a bad one. */
static int peer_param(struct ac_http_exchange *x, char out[65])
{
    int rc = ac_http_query(ac_http_exchange_req(x), "peer", out, 65);
    if (rc == AC_ENOENT) {
        out[0] = 0;
        return 0;
    }
    if (rc) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "peer", NULL,
                    "peer: a node id of at most 64 characters");
        return -1;
    }
    return 0;
}

static json_t *peer_json(struct ac_store *st, const char *peer, int *err)
{
    int64_t lent = 0, borrowed = 0, cap = 0, late = 0;
    int set = 0;
    *err = ac_store_ledger_totals(st, peer, &lent, &borrowed);
    if (!*err)
        *err = ac_store_ledger_policy_get(st, peer, &cap, &set);
    if (!*err)
        *err = ac_store_borrow_count_get(st, peer, AC__BORROW_LATE, &late);
    json_t *j = json_pack("{s:s, s:I, s:I, s:I, s:I}", "peer", peer, "lent", (json_int_t)lent,
                          "borrowed", (json_int_t)borrowed, "balance",
                          (json_int_t)(lent - borrowed), "late_results_refused", (json_int_t)late);
    if (j && set)
        json_object_set_new(j, "max_debt", json_integer(cap));
    return j;
}

/* A ledger or receipt list: what the loop parsed. */
struct ledger_read {
    struct ac__json_read r; /* first */
    char peer[65];          /* "": every peer */
    size_t limit;           /* receipts */
    int64_t after;
};

/* GET /v1/federation/ledger[?peer=NODE] (admin): per peer, credential and
 * month, what was lent and borrowed; per peer the totals, balance (lent
 * minus borrowed: positive when the peer owes us reviews), its cap and the
 * late results refused from it. */
static int ledger_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                       struct ac_reason *why)
{
    (void)why;
    struct ledger_read *l = (struct ledger_read *)r;
    const char *peer = l->peer;
    struct ac_ledger_line *ls = NULL;
    size_t k = 0;
    int err = ac_store_ledger_summary(view->store, peer[0] ? peer : NULL, &ls, &k);
    json_t *lines = json_array(), *peers = json_array();
    for (size_t i = 0; !err && i < k; i++) {
        json_array_append_new(lines, json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "peer", ls[i].peer,
                                               "credential", ls[i].credential_id, "month",
                                               ls[i].month, "lent", (json_int_t)ls[i].lent,
                                               "borrowed", (json_int_t)ls[i].borrowed, "balance",
                                               (json_int_t)(ls[i].lent - ls[i].borrowed)));
        if (i == 0 || strcmp(ls[i].peer, ls[i - 1].peer) != 0)
            json_array_append_new(peers, peer_json(view->store, ls[i].peer, &err));
    }
    if (!err && peer[0] && k == 0)
        json_array_append_new(peers, peer_json(view->store, peer, &err));
    free(ls);
    if (err) {
        json_decref(lines);
        json_decref(peers);
        return err;
    }
    *out = json_pack("{s:o, s:o}", "peers", peers, "lines", lines);
    return 0;
}

/* GET /v1/federation/ledger/receipts[?peer=NODE] (admin): one entry per
 * accepted borrowed review with the receipt both nodes signed (base64) and
 * its SHA-256, so two nodes' ledgers can be compared entry by entry. */
static int receipts_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                         struct ac_reason *why)
{
    (void)why;
    struct ledger_read *l = (struct ledger_read *)r;
    size_t limit = l->limit;
    struct ac_ledger_entry *es = NULL;
    size_t k = 0;
    int err = ac_store_ledger_list(view->store, l->peer[0] ? l->peer : NULL, l->after, limit + 1,
                                   &es, &k);
    if (err)
        return err;
    json_t *items = json_array();
    for (size_t i = 0; i < k; i++) {
        if (i < limit) {
            uint8_t sum[32];
            char hex[65];
            crypto_hash_sha256(sum, es[i].receipt, es[i].receipt_len);
            sodium_bin2hex(hex, sizeof hex, sum, sizeof sum);
            size_t blen =
                sodium_base64_encoded_len(es[i].receipt_len, sodium_base64_VARIANT_ORIGINAL);
            char *b64 = malloc(blen);
            if (b64)
                sodium_bin2base64(b64, blen, es[i].receipt, es[i].receipt_len,
                                  sodium_base64_VARIANT_ORIGINAL);
            json_t *j = json_pack(
                "{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)es[i].id, "peer",
                es[i].peer, "direction", ac_ledger_direction_name(es[i].direction), "credential",
                es[i].credential_id, "month", es[i].month, "result", es[i].result_id,
                "receipt_sha256", hex, "receipt", b64 ? b64 : "");
            ac__json_time(j, "recorded_at", es[i].created_ms);
            json_array_append_new(items, j);
            free(b64);
        }
        ac_ledger_entry_release(&es[i]);
    }
    int64_t last = k ? es[(k > limit ? limit : k) - 1].id : 0;
    free(es);
    *out = ac__page_json(items, k > limit, last);
    return 0;
}

/* Both lists: admins only, checked on the loop; "peer", and for receipts
 * the page, parsed there too. */
static void ledger_route(struct ac_http_exchange *x, struct ac_node *n, int paged,
                         ac__json_read_cb read)
{
    struct ac__auth a;
    char peer[65];
    size_t limit = 0;
    int64_t after = 0;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        peer_param(x, peer) || (paged && ac__page_params(x, &limit, &after)))
        return;
    struct ledger_read *l = calloc(1, sizeof *l);
    if (!l) {
        ac__respond_error(x, AC_ENOMEM, "the ledger");
        return;
    }
    memcpy(l->peer, peer, sizeof l->peer);
    l->limit = limit;
    l->after = after;
    ac__json_read_submit(n, x, &l->r, read, NULL, "the ledger");
}

static void on_ledger(struct ac_http_exchange *x, void *arg)
{
    ledger_route(x, arg, 0, ledger_read);
}

static void on_receipts(struct ac_http_exchange *x, void *arg)
{
    ledger_route(x, arg, 1, receipts_read);
}

/* PUT /v1/federation/ledger/policy (admin) {"peer": NODE or "*",
 * "max_debt": N or null}: offers from a peer that owes us N reviews or more
 * (lent minus borrowed) are declined when they arrive; null removes the cap. */
static void on_policy(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"peer", "max_debt", NULL};
    const char *peer = json_string_value(json_object_get(body, "peer"));
    json_t *cap = json_object_get(body, "max_debt");
    if (ac__json_only(x, body, allowed))
        goto out;
    if (!peer || !*peer || strlen(peer) > 64) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "peer", NULL,
                    "peer: required, a node id (at most 64 characters) or \"*\" for every peer");
        goto out;
    }
    if (!(json_is_integer(cap) && json_integer_value(cap) >= 0) && !json_is_null(cap)) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "max_debt", NULL,
                    "max_debt: required, a number of reviews >= 0, or null to remove the cap");
        goto out;
    }
    int64_t v = json_is_null(cap) ? -1 : json_integer_value(cap);
    int err = ac_store_tx_begin(n->store);
    if (!err)
        err = ac_store_ledger_policy_put(n->store, peer, v);
    json_t *detail = json_pack("{s:s, s:O}", "peer", peer, "max_debt", cap);
    if (!err)
        err = detail ? ac_audit(n, "ledger_policy", peer, a.user.id, "set", detail) : AC_ENOMEM;
    json_decref(detail);
    err = err ? (ac_store_tx_rollback(n->store), err) : ac_store_tx_commit(n->store);
    if (err) {
        ac__respond_error(x, err, "the ledger policy");
        goto out;
    }
    ac__respond_owned(x, 200, json_pack("{s:s, s:O}", "peer", peer, "max_debt", cap));
out:
    json_decref(body);
}

static const struct ac_job_kind borrow_kinds[] = {
    /* Its own transaction, nested in the scheduler's; the sender's wake
     * waits for the outermost commit (ac__fed_kick()). */
    {"borrow_offer", ac__borrow_job_offer, AC_JOB_TX_RUNNER, 0, {0, 0, 0}},
    {"lent_reminder", ac__borrow_job_reminder, AC_JOB_TX_SCHEDULER, 0, {0, 0, 0}},
};

int ac__borrow_jobs_register(struct ac_node *n)
{
    return ac__scheduler_add_kinds(n, borrow_kinds, sizeof borrow_kinds / sizeof borrow_kinds[0]);
}

void ac__borrow_register(struct ac_node *n)
{
    ac__borrow_issuer_register(n);
    ac__borrow_lender_register(n);
    ac__route(n, "GET", "/v1/federation/ledger", on_ledger);
    ac__route(n, "GET", "/v1/federation/ledger/receipts", on_receipts);
    ac__route(n, "PUT", "/v1/federation/ledger/policy", on_policy);
}
