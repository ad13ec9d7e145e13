/* api_catalog.c - the earner's side of recognition: the catalog of active
 * credentials, this node's and its issuer peers' (from their verified signed
 * catalogs), with district filters (domain, stack, which recognizer counts
 * it, which peer it comes from), and approval requests an earner makes where
 * a recognizer requires them, which that recognizer approves or denies (the services of
 * node/recognition/approvals.c). An earner sees only its own requests, a
 * recognizer only those addressed to it. See docs/api-recognition.md. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/store/store_recognition.h"
#include "internal.h"
#include "lifecycle/lifecycle.h"
#include "readers.h"
#include "recognition/recognition.h"
#include "records/records.h"

#define FILTER_MAX 128

static int bad_field(struct ac_http_exchange *x, const char *field, const char *detail)
{
    ac__problem(x, AC_PROBLEM_INVALID_FIELD, field, NULL, "%s: %s", field, detail);
    return -1;
}

/* Reads an optional text query parameter of 1-FILTER_MAX bytes into |buf|;
 * sets |*out| to |buf| or NULL when absent. Answers 400 and returns -1 when bad. */
static int query_text(struct ac_http_exchange *x, const char *name, char buf[FILTER_MAX + 1],
                      const char **out)
{
    *out = NULL;
    int rc = ac_http_query(ac_http_exchange_req(x), name, buf, FILTER_MAX + 1);
    if (rc == AC_ENOENT)
        return 0;
    if (rc != 0 || !buf[0])
        return bad_field(x, name, "must be 1 to 128 bytes of text");
    *out = buf;
    return 0;
}

static json_t *ceus_json(int has_ceu, int64_t hundredths)
{
    return has_ceu ? json_real((double)hundredths / 100.0) : json_null();
}

/* Renders |it| with |view| (a reader thread's, node/readers.h) and
 * |issuer|, this node's issuer URL. */
static json_t *item_json(struct ac_node *view, const char *issuer,
                         const struct ac__catalog_item *it)
{
    const struct ac_catalog_entry *e = &it->entry;
    int from_peer = it->peer[0] != 0;
    json_t *j = json_pack("{s:o, s:s, s:I, s:s, s:s}", "id",
                          from_peer ? json_null() : json_integer((json_int_t)e->id),
                          "credential_id", e->def_id, "version", (json_int_t)e->version, "title",
                          e->title, "competency", e->competency);
    if (!j)
        return NULL;
    json_t *d = json_loads(e->domains, JSON_DECODE_ANY, NULL);
    json_t *s = json_loads(e->stacks, JSON_DECODE_ANY, NULL);
    json_object_set_new(j, "domains", json_is_array(d) ? d : json_array());
    json_object_set_new(j, "stacks", json_is_array(s) ? s : json_array());
    if (!json_is_array(d))
        json_decref(d);
    if (!json_is_array(s))
        json_decref(s);
    json_object_set_new(j, "issuer", json_string(from_peer ? it->issuer : issuer));
    json_object_set_new(j, "ceus", ceus_json(e->has_ceu, e->ceu_hundredths));
    /* Where it comes from: this node, or a peer whose signed catalog lists
     * it (verified when it was read) with its definition's content hash. */
    json_object_set_new(j, "from", json_string(from_peer ? it->peer : "self"));
    json_object_set_new(j, "source",
                        from_peer ? json_pack("{s:s, s:s, s:s}", "node", it->peer, "issuer",
                                              it->issuer, "content_hash", it->content_hash)
                                  : json_pack("{s:s}", "node", "self"));
    if (from_peer) {
        json_t *src = json_object_get(j, "source");
        if (src)
            ac__json_time(src, "fetched", it->fetched_ms);
        json_object_set_new(j, "validation", json_null());
        json_object_set_new(j, "guide", json_null());
    } else {
        ac__json_time(j, "active_since", e->activated_ms);
        json_t *validation = ac__pilot_validation(view, e->id); /* lifecycle/pilot.c */
        json_object_set_new(j, "validation", validation ? validation : json_null());
        json_t *guide = ac__definition_guide_of(view, e->id); /* lifecycle/definitions.c */
        json_object_set_new(j, "guide", guide ? guide : json_null());
    }
    /* Who counts it, so an earner sees where to ask for approval. */
    json_t *rec = json_array();
    for (size_t i = 0; i < it->npolicies; i++) {
        const struct ac_policy *pol = &it->policies[i];
        json_t *p =
            json_pack("{s:I, s:I, s:s, s:b}", "policy_id", (json_int_t)pol->id, "recognizer_id",
                      (json_int_t)pol->recognizer_id, "purpose", ac_purpose_name(pol->purpose),
                      "requires_approval", pol->requires_approval);
        if (p)
            json_object_set_new(p, "ceus", ceus_json(pol->has_ceu, pol->ceu_hundredths));
        /* The recognizer's display name, so the page can say whom an
         * approval request goes to; null when the account cannot be read. */
        struct ac_user r;
        if (p)
            json_object_set_new(p, "recognizer",
                                ac_store_user_get(view->store, pol->recognizer_id, &r) == 0
                                    ? json_string(r.display_name)
                                    : json_null());
        json_array_append_new(rec, p);
    }
    json_object_set_new(j, "recognitions", rec);
    return j;
}

/* Reads "limit" (1-200, default 50) and this list's own "cursor": a local
 * row id or a peer entry's key (struct ac__catalog_cursor). Answers 400
 * naming the parameter and returns -1 when bad. */
static int catalog_page_params(struct ac_http_exchange *x, size_t *limit,
                               struct ac__catalog_cursor *after)
{
    const struct ac_http_req *req = ac_http_exchange_req(x);
    char v[AC__CATALOG_CURSOR_MAX + 1];
    *limit = 50;
    memset(after, 0, sizeof *after);
    int rc = ac_http_query(req, "limit", v, sizeof v);
    if (rc == 0) {
        char *end;
        long l = strtol(v, &end, 10);
        if (!v[0] || *end || l < 1 || l > 200)
            return bad_field(x, "limit", "must be a whole number from 1 to 200");
        *limit = (size_t)l;
    } else if (rc != AC_ENOENT) {
        return bad_field(x, "limit", "must be a whole number from 1 to 200");
    }
    rc = ac_http_query(req, "cursor", v, sizeof v);
    if (rc == AC_ENOENT)
        return 0;
    if (rc != 0 || ac__catalog_cursor_parse(v, after))
        return bad_field(x, "cursor", "not a cursor this node issued");
    return 0;
}

/* A catalog page, read and rendered on a reader thread: the filters the
 * loop parsed (|q| points into the buffers here) and what it copied of loop
 * memory. */
struct catalog_read {
    struct ac__json_read r; /* first */
    struct ac__catalog_query q;
    struct ac__catalog_sources src;
    char domain[FILTER_MAX + 1], stack[FILTER_MAX + 1];
};

static int catalog_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                        struct ac_reason *why)
{
    (void)why;
    struct catalog_read *c = (struct catalog_read *)r;
    struct ac__catalog_item *items = NULL;
    size_t count = 0;
    int more = 0;
    int err = ac__catalog_page(view->store, &c->src, &c->q, &items, &count, &more);
    if (err)
        return err;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < count; i++)
        if (json_array_append_new(arr, item_json(view, c->src.issuer, &items[i]))) {
            json_decref(arr);
            arr = NULL;
        }
    json_t *j = arr ? json_pack("{s:o}", "items", arr) : NULL;
    if (j && more) {
        char cursor[AC__CATALOG_CURSOR_MAX + 1];
        ac__catalog_cursor_format(&items[count - 1], cursor, sizeof cursor);
        json_object_set_new(j, "next_cursor", json_string(cursor));
    }
    ac__catalog_items_free(items, count);
    *out = j;
    return 0;
}

static void catalog_release(struct ac__json_read *r)
{
    ac__catalog_sources_release(&((struct catalog_read *)r)->src);
}

static void on_catalog(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    struct ac__catalog_query q = {0};
    char dbuf[FILTER_MAX + 1], sbuf[FILTER_MAX + 1], rbuf[FILTER_MAX + 1], pbuf[FILTER_MAX + 1];
    const char *rtext;
    if (ac__authenticate(n, x, &a) || catalog_page_params(x, &q.limit, &q.after) ||
        query_text(x, "domain", dbuf, &q.domain) || query_text(x, "stack", sbuf, &q.stack) ||
        query_text(x, "recognizer", rbuf, &rtext) || query_text(x, "peer", pbuf, &q.peer))
        return;
    if (rtext) {
        char *end;
        long long id = strtoll(rtext, &end, 10);
        if (*end || id < 1) {
            ac__problem(x, AC_PROBLEM_INVALID_FIELD, "recognizer", NULL,
                        "recognizer: \"%s\" must be a recognizer's user id", rtext);
            return;
        }
        q.recognizer_id = id;
    }
    struct catalog_read *c = ac__read_new(x, sizeof *c, "catalog");
    if (!c)
        return;
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__catalog_sources_init(n, &q, &c->src, &why);
    if (err) {
        free(c);
        ac__respond_failure(x, err, &why, "catalog");
        ac_reason_release(&why);
        return;
    }
    /* The peer filter has done its work in the sources; the rest go along. */
    c->q = q;
    c->q.peer = NULL;
    c->q.domain = q.domain ? strcpy(c->domain, q.domain) : NULL;
    c->q.stack = q.stack ? strcpy(c->stack, q.stack) : NULL;
    ac__json_read_submit(n, x, &c->r, catalog_read, catalog_release, "catalog");
}

/* ---- approvals ---- */

static json_t *approval_json(const struct ac_approval *ap)
{
    json_t *j = json_pack(
        "{s:I, s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)ap->id, "earner_id",
        (json_int_t)ap->earner_id, "recognizer_id", (json_int_t)ap->recognizer_id, "policy_id",
        (json_int_t)ap->policy_id, "issuer", ap->issuer, "credential_id", ap->credential_id,
        "state", ac_approval_state_name(ap->state), "note", ap->note, "reason", ap->reason);
    if (j) {
        ac__json_time(j, "requested_at", ap->requested_ms);
        ac__json_time(j, "decided_at", ap->decided_ms);
    }
    return j;
}

static void on_approval_request(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_EARNER) ||
        ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"recognizer_id", "credential_id", "issuer", "note", NULL};
    if (ac__json_only(x, body, allowed))
        goto out;
    json_t *rid = json_object_get(body, "recognizer_id");
    const char *cred = json_string_value(json_object_get(body, "credential_id"));
    json_t *iv = json_object_get(body, "issuer"), *nv = json_object_get(body, "note");
    if (!json_is_integer(rid) || json_integer_value(rid) < 1) {
        bad_field(x, "recognizer_id", "required; the user id of the recognizer to ask");
        goto out;
    }
    if (!cred || !cred[0] || strlen(cred) > AC_POLICY_CREDENTIAL_MAX) {
        bad_field(x, "credential_id", "required; the id of the credential you want to pursue");
        goto out;
    }
    if (iv && (!json_is_string(iv) || json_string_length(iv) == 0 ||
               json_string_length(iv) > AC_POLICY_ISSUER_MAX)) {
        bad_field(x, "issuer", "must be the issuer's node id (1-200 bytes)");
        goto out;
    }
    if (nv && (!json_is_string(nv) || json_string_length(nv) > AC_RECOGNITION_NOTE_MAX)) {
        bad_field(x, "note", "must be text of at most 500 bytes");
        goto out;
    }
    const char *issuer = ac__issuer_of(n, iv ? json_string_value(iv) : NULL);
    int64_t recognizer = json_integer_value(rid);
    struct ac_approval ap;
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__approvals_request(n, &a.user, recognizer, issuer, cred,
                                    nv ? json_string_value(nv) : NULL, &ap, &why);
    if (err) {
        ac__respond_failure(x, err, &why, "approval");
        ac_reason_release(&why);
        goto out;
    }
    ac__respond_owned(x, 201, approval_json(&ap));
out:
    json_decref(body);
}

/* The approvals list, read on a reader thread (node/readers.h). */
struct approval_list_read {
    struct ac__json_read r; /* first */
    int64_t party;          /* 0: every request (admins) */
    int state;              /* -1: any */
    size_t limit;
    int64_t after;
};

/* approval_json() for ac__page_rows_json(). */
static json_t *approval_row_json(const void *row)
{
    return approval_json(row);
}

static int approval_list_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                              struct ac_reason *why)
{
    (void)why;
    struct approval_list_read *l = (struct approval_list_read *)r;
    struct ac_approval *page = calloc(l->limit + 1, sizeof *page);
    size_t got = 0;
    int err = page ? ac_store_approval_list(view->store, l->party, l->state, l->after, page,
                                            l->limit + 1, &got)
                   : AC_ENOMEM;
    if (!err)
        *out = ac__page_rows_json(page, sizeof *page, got, l->limit,
                                  offsetof(struct ac_approval, id), approval_row_json);
    free(page);
    return err;
}

static void on_approval_list(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    size_t limit;
    int64_t after;
    if (ac__authenticate(n, x, &a) || ac__page_params(x, &limit, &after))
        return;
    char sv[16];
    int state = -1;
    int rc = ac_http_query(ac_http_exchange_req(x), "state", sv, sizeof sv);
    if (rc != AC_ENOENT) {
        enum ac_approval_state s;
        if (rc != 0 || ac_approval_state_parse(sv, &s)) {
            bad_field(x, "state", "must be pending, approved or denied");
            return;
        }
        state = (int)s;
    }
    struct approval_list_read *l = ac__read_new(x, sizeof *l, "approvals");
    if (!l)
        return;
    /* Admins see every request; anyone else only those it is a party to. */
    l->party = (a.user.roles & AC_ROLE_ADMIN) ? 0 : a.user.id;
    l->state = state;
    l->limit = limit;
    l->after = after;
    ac__json_read_submit(n, x, &l->r, approval_list_read, NULL, "approvals");
}

/* GET /v1/approvals/{id}: read on a reader thread; for a party to it (or
 * an admin) only, to anyone else it does not exist. */
struct approval_get_read {
    struct ac__json_read r; /* first */
    int64_t id;
    int64_t caller;
    int admin;
};

static int approval_get_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                             struct ac_reason *why)
{
    (void)why;
    struct approval_get_read *g = (struct approval_get_read *)r;
    struct ac_approval ap;
    int err = ac_store_approval_get(view->store, g->id, &ap);
    if (!err && ap.earner_id != g->caller && ap.recognizer_id != g->caller && !g->admin)
        err = AC_ENOENT;
    if (err)
        return err;
    *out = approval_json(&ap);
    return 0;
}

static void on_approval_get(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    int64_t id;
    if (ac__authenticate(n, x, &a) || ac__param_id(x, "id", "approval", &id))
        return;
    char what[40];
    snprintf(what, sizeof what, "approval %lld", (long long)id);
    struct approval_get_read *g = ac__read_new(x, sizeof *g, what);
    if (!g)
        return;
    g->id = id;
    g->caller = a.user.id;
    g->admin = (a.user.roles & AC_ROLE_ADMIN) != 0;
    ac__json_read_submit(n, x, &g->r, approval_get_read, NULL, what);
}

static void on_approval_decide(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    int64_t id;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_RECOGNIZER) ||
        ac__param_id(x, "id", "approval", &id) || ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"decision", "reason", NULL};
    const char *decision = json_string_value(json_object_get(body, "decision"));
    json_t *rv = json_object_get(body, "reason");
    if (ac__json_only(x, body, allowed))
        goto out;
    if (!decision || (strcmp(decision, "approve") != 0 && strcmp(decision, "deny") != 0)) {
        bad_field(x, "decision", "required; approve or deny");
        goto out;
    }
    int approve = strcmp(decision, "approve") == 0;
    if (rv && (!json_is_string(rv) || json_string_length(rv) > AC_RECOGNITION_NOTE_MAX)) {
        bad_field(x, "reason", "must be text of at most 500 bytes");
        goto out;
    }
    const char *reason = rv ? json_string_value(rv) : "";
    if (!approve && !reason[0]) {
        bad_field(x, "reason", "required when denying; the earner is told why");
        goto out;
    }
    struct ac_approval ap;
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__approvals_decide(n, &a.user, id, approve, reason, &ap, &why);
    if (err) {
        char what[40];
        snprintf(what, sizeof what, "approval %lld", (long long)id);
        ac__respond_failure(x, err, &why, what);
        ac_reason_release(&why);
        goto out;
    }
    ac__respond_owned(x, 200, approval_json(&ap));
out:
    json_decref(body);
}

void ac__api_catalog_register(struct ac_node *n)
{
    ac__route(n, "GET", "/v1/catalog", on_catalog);
    ac__route(n, "POST", "/v1/approvals", on_approval_request);
    ac__route(n, "GET", "/v1/approvals", on_approval_list);
    ac__route(n, "GET", "/v1/approvals/{id}", on_approval_get);
    ac__route(n, "POST", "/v1/approvals/{id}/decision", on_approval_decide);
}
