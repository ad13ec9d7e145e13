/* api_federation.c - the admin's federation endpoints: peers (list with
 * delivery state, show, add, remove, rights, probe, what is queued to one),
 * dead letters (list, retry, drop) and publishing a consortium file. Each
 * change goes through the store in one transaction and wakes the senders it
 * concerns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/sign/cbor.h"
#include "accord/store/inbox.h"
#include "accord/store/outbox.h"
#include "accord/store/peer.h"
#include "borrow.h"
#include "federation.h"
#include "internal.h"
#include "readers.h"

static int admin(struct ac_node *n, struct ac_http_exchange *x)
{
    struct ac__auth a;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN))
        return -1;
    if (!n->federation) {
        ac__problem(x, AC_PROBLEM_STORAGE_UNAVAILABLE, NULL, NULL,
                    "federation is not running on this node");
        return -1;
    }
    return 0;
}

static const char *source_of(struct ac_node *n, const struct ac__fed_peer *p)
{
    if (p->from_consortium)
        return "consortium";
    for (size_t i = 0; i < n->cfg->npeers; i++)
        if (strcmp(n->cfg->peers[i].node_id, p->node_id) == 0)
            return "config";
    return "admin";
}

/* A peer as the admin sees it, the part kept in loop memory (trust and the
 * sender's state), copied so that the rest can be read on a reader thread. */
struct peer_view {
    char node_id[65];
    char url[201];
    unsigned rights;
    char kids[AC__FED_PEER_KEYS][17];
    size_t nkeys;
    const char *source; /* static */
    char software[33];
    int64_t next_attempt_ms, attempts;
};

static void peer_view_of(struct ac_node *n, const struct ac__fed_peer *p, struct peer_view *v)
{
    memcpy(v->node_id, p->node_id, sizeof v->node_id);
    memcpy(v->url, p->url, sizeof v->url);
    v->rights = p->rights;
    v->nkeys = p->nkeys;
    for (size_t k = 0; k < p->nkeys; k++)
        sodium_bin2hex(v->kids[k], sizeof v->kids[k], p->keys[k].kid, 8);
    v->source = source_of(n, p);
    memcpy(v->software, p->software, sizeof v->software);
    v->next_attempt_ms = p->next_attempt_ms;
    v->attempts = p->attempts;
}

/* A peer as the admin sees it: trust and delivery state, the latter read
 * with |st| (any thread) at |now|. NULL on failure. */
static json_t *peer_view_json(struct ac_store *st, const struct peer_view *p, int64_t now)
{
    struct ac_peer_state s;
    int64_t depth = 0, oldest = 0;
    struct ac_outbox_msg *dead = NULL;
    size_t ndead = 0;
    if (ac_store_peer_state_get(st, p->node_id, &s) ||
        ac_store_outbox_depth(st, p->node_id, s.cursor, &depth, &oldest) ||
        ac_store_dead_list(st, p->node_id, &dead, &ndead))
        return NULL;
    ac_outbox_msgs_free(dead, ndead);
    int64_t inbox_rows = 0, outbox_rows = 0;
    if (ac_store_inbox_count(st, p->node_id, &inbox_rows) ||
        ac_store_outbox_count(st, p->node_id, &outbox_rows))
        return NULL;
    const char *state = p->next_attempt_ms > now ? "backing-off" : ndead ? "dead-lettering" : "ok";
    char rights[64];
    json_t *keys = json_array();
    for (size_t k = 0; keys && k < p->nkeys; k++)
        json_array_append_new(keys, json_string(p->kids[k]));
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:I, s:I, s:I, s:I, s:s}", "node",
                          p->node_id, "url", p->url, "rights",
                          ac_rights_format(p->rights, rights, sizeof rights), "source",
                          p->source, "kids", keys, "state", state, "outbox_depth",
                          (json_int_t)depth, "attempts", (json_int_t)p->attempts, "received",
                          (json_int_t)s.received, "dead_letters", (json_int_t)ndead,
                          "last_error", s.last_error);
    if (!j)
        return NULL;
    /* Rows held, delivered or not: shows pruning at work. */
    json_object_set_new(j, "inbox_rows", json_integer((json_int_t)inbox_rows));
    json_object_set_new(j, "outbox_rows", json_integer((json_int_t)outbox_rows));
    /* What the peer runs, from its signed self-description. */
    json_object_set_new(j, "software", p->software[0] ? json_string(p->software) : json_null());
    ac__json_time(j, "last_success", s.last_success_ms);
    ac__json_time(j, "next_attempt", p->next_attempt_ms > now ? p->next_attempt_ms : 0);
    if (oldest)
        json_object_set_new(j, "oldest_undelivered_age_s",
                            json_integer((json_int_t)((now - oldest) / 1000)));
    return j;
}

/* The same on the loop, for the answers to changes. */
static json_t *peer_json(struct ac_node *n, const struct ac__fed_peer *p)
{
    struct peer_view v;
    peer_view_of(n, p, &v);
    return peer_view_json(n->store, &v, ac_clock_now_ms());
}

/* GET /v1/federation/peers and /peers/{node}: the peer table's side copied
 * on the loop, the stored side read on a reader thread (node/readers.h). */
struct peers_read {
    struct ac__json_read r; /* first */
    int one;                /* /peers/{node}: the one peer, not the list */
    int64_t now;
    int64_t consortium_serial, commits, messages, largest;
    size_t count;
    struct peer_view views[]; /* |count| of them */
};

static int peers_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                      struct ac_reason *why)
{
    (void)why;
    struct peers_read *l = (struct peers_read *)r;
    if (l->one) {
        *out = peer_view_json(view->store, &l->views[0], l->now);
        return 0;
    }
    json_t *items = json_array();
    for (size_t i = 0; items && i < l->count; i++) {
        json_t *p = peer_view_json(view->store, &l->views[i], l->now);
        if (!p || json_array_append_new(items, p)) {
            json_decref(items);
            items = NULL;
        }
    }
    /* ingest: how well group commit groups (messages per transaction). */
    *out = items ? json_pack("{s:o, s:I, s:{s:I, s:I, s:I}}", "items", items,
                             "consortium_serial", (json_int_t)l->consortium_serial, "ingest",
                             "commits", (json_int_t)l->commits, "messages",
                             (json_int_t)l->messages, "largest", (json_int_t)l->largest)
                 : NULL;
    return 0;
}

/* Loop: copies |one| peer or every active one and submits the read. */
static void submit_peers_read(struct ac_node *n, struct ac_http_exchange *x,
                              const struct ac__fed_peer *one)
{
    struct ac__federation *f = n->federation;
    size_t count = one ? 1 : 0;
    for (size_t i = 0; !one && i < f->npeers; i++)
        count += f->peers[i]->active != 0;
    struct peers_read *l = calloc(1, sizeof *l + count * sizeof l->views[0]);
    if (!l) {
        ac__respond_error(x, AC_ENOMEM, "peers");
        return;
    }
    l->one = one != NULL;
    l->now = ac_clock_now_ms();
    if (one)
        peer_view_of(n, one, &l->views[0]);
    for (size_t i = 0; !one && i < f->npeers; i++)
        if (f->peers[i]->active)
            peer_view_of(n, f->peers[i], &l->views[l->count++]);
    l->count = one ? 1 : l->count;
    l->consortium_serial = f->consortium ? (int64_t)f->consortium->serial : 0;
    l->commits = (int64_t)f->ingest_commits;
    l->messages = (int64_t)f->ingest_messages;
    l->largest = (int64_t)f->ingest_largest;
    ac__json_read_submit(n, x, &l->r, peers_read, NULL, "peers");
}

static void on_peers(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    if (admin(n, x))
        return;
    submit_peers_read(n, x, NULL);
}

static struct ac__fed_peer *peer_param(struct ac_node *n, struct ac_http_exchange *x)
{
    const char *id = ac_http_param(x, "node");
    struct ac__fed_peer *p = ac__fed_peer_find(n->federation, id);
    if (!p)
        ac__problem(x, AC_PROBLEM_NOT_FOUND, "node", NULL, "%s is not a peer of this node", id);
    return p;
}

static void on_peer_show(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__fed_peer *p;
    if (admin(n, x) || !(p = peer_param(n, x)))
        return;
    submit_peers_read(n, x, p);
}

/* Reads "rights": ["submit", ...] from |body| into |*out|. */
static int rights_field(struct ac_http_exchange *x, json_t *body, unsigned *out)
{
    json_t *r = json_object_get(body, "rights");
    size_t i;
    json_t *v;
    *out = 0;
    if (!json_is_array(r))
        return ac__problem(x, AC_PROBLEM_INVALID_FIELD, "rights", NULL,
                           "rights: an array of submit, lend, certify, issuer, witness");
    json_array_foreach(r, i, v)
    {
        unsigned bit;
        char why[160];
        if (!json_is_string(v) || ac_rights_parse(json_string_value(v), &bit, why, sizeof why))
            return ac__problem(x, AC_PROBLEM_INVALID_FIELD, "rights", NULL,
                               "rights[%zu]: %s", i,
                               json_is_string(v) ? why : "must be a right's name");
        *out |= bit;
    }
    return 0;
}

static void on_peer_add(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    json_t *body;
    if (admin(n, x) || ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"node", "url", "keys", "rights", NULL};
    const char *node = json_string_value(json_object_get(body, "node"));
    const char *url = json_string_value(json_object_get(body, "url"));
    json_t *keys = json_object_get(body, "keys");
    struct ac_peer_row r = {.added_ms = ac_clock_now_ms()};
    strcpy(r.source, "admin");
    if (ac__json_only(x, body, allowed) || rights_field(x, body, &r.rights))
        goto out;
    if (!node || ac_node_id_check(node) || strcmp(node, n->cfg->node_id) == 0) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "node", NULL,
                    "node: \"%s\" must be another node's id (1-64 of a-z, 0-9, '.', '-')",
                    node ? node : "");
        goto out;
    }
    if (!url || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) ||
        strlen(url) >= sizeof r.base_url || strchr(url + 8, '/')) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "url", NULL,
                    "url: \"%s\" must be http:// or https:// and a host with optional port",
                    url ? url : "");
        goto out;
    }
    if (strncmp(url, "http://", 7) == 0 && !ac_config_url_is_loopback_http(url)) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "url", NULL,
                    "url: \"%s\" must be https:// (TLS with certificate verification); "
                    "http:// (h2c) is allowed only to a loopback address",
                    url);
        goto out;
    }
    if (!json_is_array(keys) || json_array_size(keys) == 0 ||
        json_array_size(keys) > AC_PEER_KEYS_MAX) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "keys", NULL,
                    "keys: an array of 1 to %d Ed25519 public keys in hex", AC_PEER_KEYS_MAX);
        goto out;
    }
    size_t i, used = 0;
    json_t *v;
    json_array_foreach(keys, i, v)
    {
        const char *hex = json_string_value(v);
        uint8_t pk[32];
        size_t len = 0;
        if (!hex || strlen(hex) != 64 || sodium_hex2bin(pk, 32, hex, 64, NULL, &len, NULL) ||
            len != 32) {
            ac__problem(x, AC_PROBLEM_INVALID_FIELD, "keys", NULL,
                        "keys[%zu]: \"%.70s\" must be 64 hex digits (an Ed25519 public key)", i,
                        hex ? hex : "");
            goto out;
        }
        if (used)
            r.keys[used++] = ',';
        sodium_bin2hex(r.keys + used, sizeof r.keys - used, pk, 32);
        used += 64;
    }
    snprintf(r.node_id, sizeof r.node_id, "%s", node);
    snprintf(r.base_url, sizeof r.base_url, "%s", url);
    int err = ac_store_peer_put(n->store, &r);
    if (!err)
        err = ac__fed_peers_rebuild(n->federation);
    if (err) {
        ac__respond_error(x, err, "the peer");
        goto out;
    }
    ac__respond_owned(x, 201, peer_json(n, ac__fed_peer_find(n->federation, node)));
    ac__fed_kick_all(n->federation);
out:
    json_decref(body);
}

static void on_peer_remove(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    if (admin(n, x))
        return;
    const char *id = ac_http_param(x, "node");
    struct ac__fed_peer *p = ac__fed_peer_find(n->federation, id);
    if (p && strcmp(source_of(n, p), "admin") != 0) {
        ac__problem(x, AC_PROBLEM_CONFLICT, "node", NULL,
                    "%s comes from the %s; remove it there", id,
                    p->from_consortium ? "consortium file" : "node's config file");
        return;
    }
    int err = ac_store_peer_delete(n->store, id);
    if (!err)
        err = ac__fed_peers_rebuild(n->federation);
    if (!err)
        ac__borrow_reclaim_departed(n->federation); /* its lent-out work comes back */
    if (err) {
        ac__respond_error(x, err, "the peer");
        return;
    }
    ac_http_respond(x, 204, NULL, 0, NULL, 0);
}

static void on_peer_rights(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    json_t *body;
    struct ac__fed_peer *p;
    if (admin(n, x) || !(p = peer_param(n, x)) || ac__json_body(x, 0, &body))
        return;
    unsigned rights;
    struct ac_peer_row *rows = NULL, *row = NULL;
    size_t nrows = 0;
    int err = 0;
    if (rights_field(x, body, &rights))
        goto out;
    err = ac_store_peer_list(n->store, &rows, &nrows);
    for (size_t i = 0; !err && i < nrows; i++)
        if (strcmp(rows[i].node_id, p->node_id) == 0)
            row = &rows[i];
    if (!err && (!row || strcmp(row->source, "admin") != 0)) {
        ac__problem(x, AC_PROBLEM_CONFLICT, "node", NULL,
                    "%s's rights come from the %s; change them there (a [peer %s] rights line "
                    "narrows a consortium member)",
                    p->node_id, p->from_consortium ? "consortium file" : "config file",
                    p->node_id);
        goto out;
    }
    if (!err) {
        row->rights = rights;
        err = ac_store_peer_put(n->store, row);
    }
    if (!err)
        err = ac__fed_peers_rebuild(n->federation);
    if (err)
        ac__respond_error(x, err, "the peer");
    else
        ac__respond_owned(x, 200, peer_json(n, p));
out:
    free(rows);
    json_decref(body);
}

/* Queues one message of |type| with |body| to |peer| in its own transaction. */
static int queue_one(struct ac_node *n, const char *peer, const char *type, const char *msg_id,
                     const uint8_t *body, size_t len)
{
    int err = ac_store_tx_begin(n->store);
    if (err)
        return err;
    err = ac__fed_queue(n->federation, peer, type, msg_id, body, len);
    if (!err)
        return ac_store_tx_commit(n->store);
    ac_store_tx_rollback(n->store);
    return err;
}

static void on_peer_probe(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__fed_peer *p;
    if (admin(n, x) || !(p = peer_param(n, x)))
        return;
    uint8_t rnd[8];
    char msg_id[40], hex[17];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
    snprintf(msg_id, sizeof msg_id, "ping-%s", hex);
    static const uint8_t empty_map[] = {0xa0};
    int err = queue_one(n, p->node_id, "ping", msg_id, empty_map, sizeof empty_map);
    if (err) {
        ac__respond_error(x, err, "the probe");
        return;
    }
    /* A probe also refreshes the peer's self-description (keys, software
     * version), at most once a minute. */
    ac__fed_fetch_description(p);
    /* An admin's probe is a reason to try now, whatever the back-off says. */
    ac__fed_probe_now(p);
    ac__respond_owned(x, 202, json_pack("{s:s, s:s}", "node", p->node_id, "queued", msg_id));
}

/* GET /v1/federation/peers/{node}/outbox[?limit=&cursor=] (admin): what is
 * queued to the peer and not yet delivered (past its cursor), oldest first:
 * each message's outbox id, type, message id, size and when it was queued.
 * Bodies stay out: they are CBOR and may name people. */
/* ---- lists on the reader threads (node/readers.h) ---- */

/* A peer's outbox page or the dead letters: what the loop parsed. */
struct outbox_read {
    struct ac__json_read r; /* first */
    char peer[65];
    int by_peer; /* dead letters: only |peer|'s, else every peer's */
    size_t limit;
    int64_t after;
};

static int outbox_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                       struct ac_reason *why)
{
    (void)why;
    struct outbox_read *o = (struct outbox_read *)r;
    struct ac_peer_state s;
    struct ac_outbox_msg *m = NULL;
    size_t k = 0;
    int err = ac_store_peer_state_get(view->store, o->peer, &s);
    if (!err)
        err = ac_store_outbox_page(view->store, o->peer, o->after > s.cursor ? o->after : s.cursor,
                                   o->limit + 1, &m, &k);
    if (err)
        return err;
    json_t *items = json_array();
    for (size_t i = 0; items && i < k && i < o->limit; i++) {
        json_t *j = json_pack("{s:I, s:s, s:s, s:I}", "id", (json_int_t)m[i].id, "type", m[i].type,
                              "msg_id", m[i].msg_id, "bytes", (json_int_t)m[i].body_len);
        if (j)
            ac__json_time(j, "queued_at", m[i].created_ms);
        if (!j || json_array_append_new(items, j)) {
            json_decref(items);
            items = NULL; /* answered 500 */
        }
    }
    int64_t last = k ? m[(k > o->limit ? o->limit : k) - 1].id : 0;
    ac_outbox_msgs_free(m, k);
    *out = items ? ac__page_json(items, k > o->limit, last) : NULL;
    return 0;
}

static void on_peer_outbox(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__fed_peer *p;
    size_t limit;
    int64_t after;
    if (admin(n, x) || !(p = peer_param(n, x)) || ac__page_params(x, &limit, &after))
        return;
    struct outbox_read *o = calloc(1, sizeof *o);
    if (!o) {
        ac__respond_error(x, AC_ENOMEM, "the peer's outbox");
        return;
    }
    snprintf(o->peer, sizeof o->peer, "%s", p->node_id);
    o->limit = limit;
    o->after = after;
    ac__json_read_submit(n, x, &o->r, outbox_read, NULL, "the peer's outbox");
}

static int dead_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                     struct ac_reason *why)
{
    (void)why;
    struct outbox_read *o = (struct outbox_read *)r;
    struct ac_outbox_msg *d = NULL;
    size_t nd = 0;
    int err = ac_store_dead_list(view->store, o->by_peer ? o->peer : NULL, &d, &nd);
    if (err)
        return err;
    json_t *items = json_array();
    for (size_t i = 0; items && i < nd; i++) {
        json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:i, s:s}", "id", (json_int_t)d[i].id,
                              "peer", d[i].peer, "type", d[i].type, "msg_id", d[i].msg_id,
                              "status", d[i].status, "problem", d[i].problem);
        if (j)
            ac__json_time(j, "created", d[i].created_ms);
        if (!j || json_array_append_new(items, j)) {
            json_decref(items);
            items = NULL;
        }
    }
    ac_outbox_msgs_free(d, nd);
    *out = items ? json_pack("{s:o}", "items", items) : NULL;
    return 0;
}

static void on_dead_list(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    if (admin(n, x))
        return;
    struct outbox_read *o = calloc(1, sizeof *o);
    if (!o) {
        ac__respond_error(x, AC_ENOMEM, "the dead letters");
        return;
    }
    o->by_peer = ac_http_query(ac_http_exchange_req(x), "peer", o->peer, sizeof o->peer) == 0;
    ac__json_read_submit(n, x, &o->r, dead_read, NULL, "the dead letters");
}

static void on_dead_retry(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    int64_t id;
    if (admin(n, x) || ac__param_id(x, "id", "dead letter", &id))
        return;
    char peer[65];
    int err = ac_store_dead_retry(n->store, id, ac_clock_now_ms(), peer);
    if (err) {
        ac__respond_error(x, err, "dead letter");
        return;
    }
    struct ac__fed_peer *p = ac__fed_peer_find(n->federation, peer);
    if (p)
        ac__fed_kick(p);
    ac__respond_owned(x, 202, json_pack("{s:I, s:s}", "id", (json_int_t)id, "peer", peer));
}

static void on_dead_drop(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    int64_t id;
    if (admin(n, x) || ac__param_id(x, "id", "dead letter", &id))
        return;
    int err = ac_store_dead_drop(n->store, id);
    if (err) {
        ac__respond_error(x, err, "dead letter");
        return;
    }
    ac_http_respond(x, 204, NULL, 0, NULL, 0);
}

/* POST /v1/federation/consortium: the operator publishes a signed file. */
static void on_consortium_publish(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    if (admin(n, x))
        return;
    const struct ac_http_req *req = ac_http_exchange_req(x);
    const char *ct = ac_http_header(req, "content-type");
    if (!ct || strcmp(ct, AC_CONSORTIUM_CONTENT_TYPE) != 0) {
        ac__problem(x, AC_PROBLEM_UNSUPPORTED_MEDIA_TYPE, "content-type", NULL,
                    "the body must be %s, not %s", AC_CONSORTIUM_CONTENT_TYPE, ct ? ct : "(none)");
        return;
    }
    uint64_t serial = 0;
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__fed_consortium_adopt(n->federation, req->body, req->body_len, 0, &serial,
                                       &why);
    if (err)
        ac__respond_failure(x, err, &why, "the consortium file");
    else
        ac__respond_owned(x, 200, json_pack("{s:I}", "serial", (json_int_t)serial));
    ac_reason_release(&why);
}

#ifdef ACCORD_TEST_CLOCK
/* POST /v1/test/federation/send {"peer", "type", "body_hex", "count"?}:
 * queues any message, so tests can make a peer refuse one (dead letters),
 * or |count| (at most 100000) copies with distinct ids in one transaction,
 * so a benchmark can build a peer's backlog quickly. Test builds only, like
 * the test clock. */
static void on_test_send(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    json_t *body;
    if (admin(n, x) || ac__json_body(x, 0, &body))
        return;
    const char *peer = json_string_value(json_object_get(body, "peer"));
    const char *type = json_string_value(json_object_get(body, "type"));
    const char *hex = json_string_value(json_object_get(body, "body_hex"));
    json_t *jcount = json_object_get(body, "count");
    json_int_t count = jcount ? (json_is_integer(jcount) ? json_integer_value(jcount) : 0) : 1;
    uint8_t item[4096];
    size_t len = 0;
    char msg_id[48], rnd_hex[17];
    uint8_t rnd[8];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(rnd_hex, sizeof rnd_hex, rnd, sizeof rnd);
    snprintf(msg_id, sizeof msg_id, "test-%s", rnd_hex);
    struct ac__fed_peer *p = peer ? ac__fed_peer_find(n->federation, peer) : NULL;
    if (!p || !type || !hex || sodium_hex2bin(item, sizeof item, hex, strlen(hex), NULL, &len,
                                              NULL) || ac_cbor_check(item, len, NULL, 0) ||
        count < 1 || count > 100000) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, NULL, NULL,
                    "need peer (a peer), type, body_hex (one CBOR item in hex) and count "
                    "(1 to 100000, if given)");
        goto out;
    }
    int err;
    if (count == 1) {
        err = queue_one(n, p->node_id, type, msg_id, item, len);
    } else {
        err = ac_store_tx_begin(n->store);
        if (!err) {
            for (json_int_t i = 0; !err && i < count; i++) {
                snprintf(msg_id, sizeof msg_id, "test-%s-%lld", rnd_hex, (long long)i);
                err = ac__fed_queue(n->federation, p->node_id, type, msg_id, item, len);
            }
            if (!err)
                err = ac_store_tx_commit(n->store);
            else
                ac_store_tx_rollback(n->store);
        }
    }
    if (err) {
        ac__respond_error(x, err, "the message");
        goto out;
    }
    ac__fed_kick(p);
    ac__respond_owned(x, 202, json_pack("{s:s}", "queued", msg_id));
out:
    json_decref(body);
}
#endif

void ac__fed_api_register(struct ac_node *n)
{
    ac__route(n, "GET", "/v1/federation/peers", on_peers);
    ac__route(n, "POST", "/v1/federation/peers", on_peer_add);
    ac__route(n, "GET", "/v1/federation/peers/{node}", on_peer_show);
    ac__route(n, "DELETE", "/v1/federation/peers/{node}", on_peer_remove);
    ac__route(n, "PUT", "/v1/federation/peers/{node}/rights", on_peer_rights);
    ac__route(n, "POST", "/v1/federation/peers/{node}/probe", on_peer_probe);
    ac__route(n, "GET", "/v1/federation/peers/{node}/outbox", on_peer_outbox);
    ac__route(n, "GET", "/v1/federation/dead-letters", on_dead_list);
    ac__route(n, "POST", "/v1/federation/dead-letters/{id}/retry", on_dead_retry);
    ac__route(n, "DELETE", "/v1/federation/dead-letters/{id}", on_dead_drop);
    ac__route(n, "POST", "/v1/federation/consortium", on_consortium_publish);
#ifdef ACCORD_TEST_CLOCK
    ac__route(n, "POST", "/v1/test/federation/send", on_test_send);
#endif
}
