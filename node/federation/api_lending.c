/* api_lending.c - the admin's lending and borrowing endpoints: a lender's
 * policy per peer and credential (PUT, GET, DELETE
 * /v1/federation/lending/{peer}/{credential}, GET /v1/federation/lending),
 * a capacity offer sent on demand (POST /v1/federation/lending/{peer}/offer),
 * an issuer's view of the capacity lenders offer (GET
 * /v1/federation/capacity) and its borrowing mode per credential
 * (/v1/federation/borrowing/{credential}, "*" for the node default). Each
 * parses, calls one service or store call, renders. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/store/lending.h"
#include "accord/store/user.h"
#include "audit.h"
#include "federation.h"
#include "internal.h"
#include "lending.h"
#include "readers.h"

static int admin(struct ac_node *n, struct ac_http_exchange *x, struct ac__auth *a)
{
    return ac__authenticate(n, x, a) || ac__require_role(x, a, AC_ROLE_ADMIN) ? -1 : 0;
}

static void on_policy_put(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    json_t *body;
    if (admin(n, x, &a) || ac__json_body(x, 0, &body))
        return;
    struct ac_lending_policy *p = calloc(1, sizeof *p);
    struct ac_reason why = AC_REASON_INIT;
    int err = p ? 0 : AC_ENOMEM;
    if (!err) {
        snprintf(p->peer, sizeof p->peer, "%s", ac_http_param(x, "peer"));
        snprintf(p->credential_id, sizeof p->credential_id, "%s", ac_http_param(x, "credential"));
        err = ac__lending_policy_parse(body, p, &why);
    }
    /* A path segment too long for its field is named by the service's check
     * of what it holds; an over-long one must not pass cut short. */
    if (!err && (strlen(ac_http_param(x, "peer")) >= sizeof p->peer ||
                 strlen(ac_http_param(x, "credential")) >= sizeof p->credential_id))
        err = ac_reason_fail(&why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "credential",
                             "peer and credential: at most 64 characters each");
    if (!err)
        err = ac__lending_policy_set(n, &a.user, p, &why);
    if (err)
        ac__respond_failure(x, err, &why, "the lending policy");
    else
        ac__respond_owned(x, 200, ac__lending_policy_json(p));
    ac_reason_release(&why);
    free(p);
    json_decref(body);
}

/* One lending policy or one credential's borrowing mode, read on a reader
 * thread: the path's names, copied. */
struct name_read {
    struct ac__json_read r; /* first */
    char *peer;             /* owned; NULL for a borrowing mode */
    char *credential;       /* owned */
};

static void name_release(struct ac__json_read *r)
{
    struct name_read *l = (struct name_read *)r;
    free(l->peer);
    free(l->credential);
}

/* Loop: copies the path's |peer| (when |with_peer|) and "credential", then
 * submits |read|. */
static void submit_name_read(struct ac_node *n, struct ac_http_exchange *x, int with_peer,
                             ac__json_read_cb read, const char *what)
{
    struct name_read *l = calloc(1, sizeof *l);
    if (l) {
        l->credential = strdup(ac_http_param(x, "credential"));
        l->peer = with_peer ? strdup(ac_http_param(x, "peer")) : NULL;
    }
    if (!l || !l->credential || (with_peer && !l->peer)) {
        if (l)
            name_release(&l->r);
        free(l);
        ac__respond_error(x, AC_ENOMEM, what);
        return;
    }
    ac__json_read_submit(n, x, &l->r, read, name_release, what);
}

static int policy_get_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                           struct ac_reason *why)
{
    struct name_read *l = (struct name_read *)r;
    struct ac_lending_policy *p = malloc(sizeof *p);
    int err = p ? ac_store_lending_get(view->store, l->peer, l->credential, p) : AC_ENOMEM;
    if (err == AC_ENOENT)
        err = ac_reason_fail(why, AC_ENOENT, AC_PROBLEM_NOT_FOUND, "credential",
                             "this node has no lending policy for %s and %s", l->peer,
                             l->credential);
    if (!err)
        *out = ac__lending_policy_json(p);
    free(p);
    return err;
}

static void on_policy_get(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (admin(n, x, &a))
        return;
    submit_name_read(n, x, 1, policy_get_read, "the lending policy");
}

static void on_policy_delete(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (admin(n, x, &a))
        return;
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__lending_policy_remove(n, &a.user, ac_http_param(x, "peer"),
                                        ac_http_param(x, "credential"), &why);
    if (err)
        ac__respond_failure(x, err, &why, "the lending policy");
    else
        ac_http_respond(x, 204, NULL, 0, NULL, 0);
    ac_reason_release(&why);
}

/* ---- lists on the reader threads (node/readers.h) ---- */

/* The lending policies (of one peer) or the capacity offered (for one
 * credential): the filter the loop parsed. */
struct lend_read {
    struct ac__json_read r; /* first */
    int has;                /* filter by |key| */
    char key[AC_LENDING_NODE_MAX + AC_LENDING_CRED_MAX + 2];
};

static int policy_list_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                            struct ac_reason *why)
{
    (void)why;
    struct lend_read *l = (struct lend_read *)r;
    struct ac_lending_policy *ps = NULL;
    size_t np = 0;
    int err = ac_store_lending_list(view->store, l->has ? l->key : NULL, &ps, &np);
    if (err)
        return err;
    json_t *items = json_array();
    for (size_t i = 0; items && i < np; i++)
        if (json_array_append_new(items, ac__lending_policy_json(&ps[i]))) {
            json_decref(items);
            items = NULL;
        }
    free(ps);
    *out = items ? json_pack("{s:o}", "items", items) : NULL;
    return 0;
}

/* Loop: the filter |name| (at most |max| bytes), then the read. */
static void submit_lend_read(struct ac_node *n, struct ac_http_exchange *x, const char *name,
                             size_t max, ac__json_read_cb read, const char *what)
{
    struct lend_read *l = calloc(1, sizeof *l);
    if (!l) {
        ac__respond_error(x, AC_ENOMEM, what);
        return;
    }
    l->has = ac_http_query(ac_http_exchange_req(x), name, l->key, max + 1) == 0;
    ac__json_read_submit(n, x, &l->r, read, NULL, what);
}

static void on_policy_list(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (admin(n, x, &a))
        return;
    submit_lend_read(n, x, "peer", AC_LENDING_NODE_MAX, policy_list_read, "the lending policies");
}

static void on_offer_now(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (admin(n, x, &a))
        return;
    const char *peer = ac_http_param(x, "peer");
    if (!n->federation || !ac__fed_peer_find(n->federation, peer)) {
        ac__problem(x, AC_PROBLEM_NOT_FOUND, "peer", NULL, "%s is not a peer of this node", peer);
        return;
    }
    int err = ac_store_tx_begin(n->store);
    if (!err) {
        err = ac__lending_offer_queue(n, peer, ac_clock_now_ms());
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    if (err) {
        ac__respond_error(x, err, "the capacity offer");
        return;
    }
    ac__fed_kick_all(n->federation);
    ac__respond_owned(x, 202, json_pack("{s:s, s:s}", "peer", peer, "queued", "capacity.offer"));
}

/* ---- the issuer's side ---- */

static int capacity_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                         struct ac_reason *why)
{
    (void)why;
    struct lend_read *l = (struct lend_read *)r;
    struct ac_capacity_reviewer *v = NULL;
    size_t nv = 0;
    int err = ac_store_capacity_list(view->store, l->has ? l->key : NULL, &v, &nv);
    if (err)
        return err;
    json_t *items = json_array();
    for (size_t i = 0; items && i < nv; i++) {
        char at[21];
        int failed = json_array_append_new(
            items, json_pack("{s:s, s:s, s:I, s:I, s:b, s:I, s:s}", "peer", v[i].peer, "credential",
                             v[i].credential_id, "home_user", (json_int_t)v[i].home_user, "user_id",
                             (json_int_t)v[i].user_id, "certified_at_home", v[i].certified_at_home,
                             "slots", (json_int_t)v[i].slots, "offered",
                             ac_clock_format(v[i].offered_ms, at)));
        if (failed) {
            json_decref(items);
            items = NULL; /* answered 500 */
        }
    }
    free(v);
    *out = items ? json_pack("{s:o}", "items", items) : NULL;
    return 0;
}

static void on_capacity(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (admin(n, x, &a))
        return;
    submit_lend_read(n, x, "credential", AC_LENDING_CRED_MAX, capacity_read,
                     "the capacity offered");
}

static json_t *mode_json(struct ac_node *n, const char *cred)
{
    enum ac_borrowing_mode m;
    const char *from;
    if (ac_store_borrowing_get(n->store, cred, &m, &from))
        return NULL;
    return json_pack("{s:s, s:s, s:s}", "credential", cred, "mode", ac_borrowing_mode_name(m),
                     "from", from);
}

static int borrowing_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                          struct ac_reason *why)
{
    (void)why;
    const char *cred = ((struct name_read *)r)->credential;
    enum ac_borrowing_mode m;
    const char *from;
    int err = ac_store_borrowing_get(view->store, cred, &m, &from);
    if (!err)
        *out = json_pack("{s:s, s:s, s:s}", "credential", cred, "mode",
                         ac_borrowing_mode_name(m), "from", from);
    return err;
}

static void on_borrowing_get(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (admin(n, x, &a))
        return;
    submit_name_read(n, x, 0, borrowing_read, "the borrowing mode");
}

static void on_borrowing_put(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    json_t *body;
    if (admin(n, x, &a) || ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"mode", NULL};
    const char *cred = ac_http_param(x, "credential");
    const char *mode = json_string_value(json_object_get(body, "mode"));
    enum ac_borrowing_mode m;
    if (ac__json_only(x, body, allowed))
        goto out;
    if (ac_borrowing_mode_parse(mode, &m)) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "mode", NULL,
                    "mode: \"%.40s\" is not above_capacity (own reviewers first, borrowed only "
                    "past their capacity) or always",
                    mode ? mode : "");
        goto out;
    }
    if (strlen(cred) > AC_LENDING_CRED_MAX || strchr(cred, '@')) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "credential", NULL,
                    "credential: a credential id without version (at most %d characters), or "
                    "* for the node default",
                    AC_LENDING_CRED_MAX);
        goto out;
    }
    json_t *detail = json_pack("{s:s}", "mode", ac_borrowing_mode_name(m));
    int err = detail ? ac_store_tx_begin(n->store) : AC_ENOMEM;
    if (!err) {
        err = ac_store_borrowing_put(n->store, cred, m, ac_clock_now_ms());
        if (!err)
            err = ac_audit(n, "borrowing", cred, a.user.id, "set", detail);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    json_decref(detail);
    if (err)
        ac__respond_error(x, err, "the borrowing mode");
    else
        ac__respond_owned(x, 200, mode_json(n, cred));
out:
    json_decref(body);
}

static void on_borrowing_delete(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (admin(n, x, &a))
        return;
    const char *cred = ac_http_param(x, "credential");
    int err = ac_store_tx_begin(n->store);
    if (!err) {
        err = ac_store_borrowing_delete(n->store, cred);
        if (!err)
            err = ac_audit(n, "borrowing", cred, a.user.id, "remove", NULL);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    if (err == AC_ENOENT)
        ac__problem(x, AC_PROBLEM_NOT_FOUND, "credential", NULL,
                    "%s has no borrowing mode of its own", cred);
    else if (err)
        ac__respond_error(x, err, "the borrowing mode");
    else
        ac__respond_owned(x, 200, mode_json(n, cred));
}

void ac__fed_lending_register(struct ac_node *n)
{
    ac__route(n, "GET", "/v1/federation/lending", on_policy_list);
    ac__route(n, "PUT", "/v1/federation/lending/{peer}/{credential}", on_policy_put);
    ac__route(n, "GET", "/v1/federation/lending/{peer}/{credential}", on_policy_get);
    ac__route(n, "DELETE", "/v1/federation/lending/{peer}/{credential}", on_policy_delete);
    ac__route(n, "POST", "/v1/federation/lending/{peer}/offer", on_offer_now);
    ac__route(n, "GET", "/v1/federation/capacity", on_capacity);
    ac__route(n, "GET", "/v1/federation/borrowing/{credential}", on_borrowing_get);
    ac__route(n, "PUT", "/v1/federation/borrowing/{credential}", on_borrowing_put);
    ac__route(n, "DELETE", "/v1/federation/borrowing/{credential}", on_borrowing_delete);
}
