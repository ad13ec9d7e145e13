/* api_cert.c - cross-node certification over the lender's API: its reviewer
 * applies to a peer for one of that peer's credentials, reads what the issuer
 * sent (modules, the open draw, gradings, refusals), asks for training to
 * count, for a draw and to have answers graded, and shows the signed record;
 * anyone signed in may have a presented record verified. Each POST queues a
 * signed message and answers 202: the issuer's answer arrives as cert.state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/records/reviewer_cert.h"
#include "accord/store/remote_cert.h"
#include "cert.h"
#include "federation.h"
#include "internal.h"
#include "readers.h"

#define LIST_MAX 200

static void respond_row(struct ac_node *n, struct ac_http_exchange *x, int status, int64_t id)
{
    struct ac_remote_cert c;
    int err = ac_store_remote_cert_get(n->store, id, &c);
    if (err) {
        ac__respond_error(x, err, "remote certification");
        return;
    }
    ac__respond_owned(x, status, ac__remote_cert_json(&c));
    ac_remote_cert_release(&c);
}

/* Loads application |id| for |a|: its reviewer, or an admin. */

static void on_apply(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    json_t *body = NULL;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_REVIEWER) ||
        ac__json_body(x, 1, &body))
        return;
    static const char *const allowed[] = {"answers", "held", NULL};
    if (body && ac__json_only(x, body, allowed)) {
        json_decref(body);
        return;
    }
    struct ac_reason why = AC_REASON_INIT;
    int64_t id = 0;
    int err = ac_remote_cert_apply(n, a.user.id, ac_http_param(x, "node"), ac_http_param(x, "id"),
                                   json_object_get(body, "answers"), json_object_get(body, "held"),
                                   &id, &why);
    json_decref(body);
    if (err)
        ac__respond_failure(x, err, &why, "application");
    else
        respond_row(n, x, 202, id);
    ac_reason_release(&why);
}

/* The list, read on a reader thread (node/readers.h). */
struct list_read {
    struct ac__json_read r; /* first */
    int64_t who;            /* 0: every reviewer's */
};

static int list_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                     struct ac_reason *why)
{
    (void)why;
    struct list_read *l = (struct list_read *)r;
    struct ac_remote_cert *rows = calloc(LIST_MAX, sizeof *rows);
    size_t k = 0;
    int err =
        rows ? ac_store_remote_cert_list(view->store, l->who, 0, rows, LIST_MAX, &k) : AC_ENOMEM;
    json_t *items = err ? NULL : json_array();
    for (size_t i = 0; i < k; i++) {
        if (items)
            json_array_append_new(items, ac__remote_cert_json(&rows[i]));
        ac_remote_cert_release(&rows[i]);
    }
    free(rows);
    if (err)
        return err;
    *out = json_pack("{s:o}", "items", items ? items : json_array());
    return 0;
}

static void on_list(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a))
        return;
    struct list_read *l = calloc(1, sizeof *l);
    if (!l) {
        ac__respond_error(x, AC_ENOMEM, "remote certifications");
        return;
    }
    /* An admin sees every reviewer's; a reviewer their own. */
    l->who = a.user.roles & AC_ROLE_ADMIN ? 0 : a.user.id;
    ac__json_read_submit(n, x, &l->r, list_read, NULL, "remote certifications");
}

/* GET /v1/remote-certifications/{id} and its /record: the row is read on a
 * reader thread (node/readers.h) and answered on the loop, as JSON or as
 * the record's bytes. A reviewer sees their own, an admin every one. */
struct cert_read {
    struct ac__read_job job; /* first */
    struct ac_http_exchange *x;
    int64_t id, caller;
    int admin, record; /* |record|: answer the record's bytes */
    int err;
    struct ac_remote_cert c; /* filled when |err| is 0 */
    json_t *json;            /* owned: the row as JSON (not for |record|) */
};

static void cert_work(struct ac__read_job *job, struct ac_store *st)
{
    struct cert_read *r = (struct cert_read *)job;
    r->err = ac_store_remote_cert_get(st, r->id, &r->c);
    if (r->err)
        return;
    if (r->c.user_id != r->caller && !r->admin)
        r->err = AC_EACCES; /* answered as not-yours, below */
    else if (!r->record && !(r->json = ac__remote_cert_json(&r->c)))
        r->err = AC_ENOMEM;
    if (r->err)
        ac_remote_cert_release(&r->c);
}

static void cert_done(struct ac__read_job *job, int status)
{
    struct cert_read *r = (struct cert_read *)job;
    struct ac_http_exchange *x = r->x;
    /* The pool stopped before the read ran: storage, as for every read. */
    int err = status ? AC_EIO : r->err;
    if (err == AC_ENOENT)
        ac__problem(x, AC_PROBLEM_NOT_FOUND, NULL, NULL,
                    "remote certification %lld does not exist", (long long)r->id);
    else if (err == AC_EACCES)
        ac__problem(x, AC_PROBLEM_NOT_YOURS, NULL, NULL,
                    "remote certification %lld belongs to another reviewer", (long long)r->id);
    else if (err)
        ac__respond_error(x, err, "remote certification");
    else if (!r->record)
        ac__respond_owned(x, 200, r->json);
    else if (!r->c.record)
        ac__problem(x, AC_PROBLEM_NOT_FOUND, NULL, NULL,
                    "%s has not certified you for %s (state %s): there is no record", r->c.issuer,
                    r->c.credential, r->c.state);
    else {
        const struct ac_http_header h[] = {{"content-type", AC_RCERT_RECORD_CONTENT_TYPE}};
        ac_http_respond(x, 200, h, 1, r->c.record, r->c.record_len);
    }
    if (!err)
        ac_remote_cert_release(&r->c);
    free(r);
}

static void cert_route(struct ac_http_exchange *x, struct ac_node *n, int record)
{
    struct ac__auth a;
    int64_t id;
    if (ac__authenticate(n, x, &a) || ac__param_id(x, "id", "remote certification", &id))
        return;
    struct cert_read *r = calloc(1, sizeof *r);
    if (!r) {
        ac__respond_error(x, AC_ENOMEM, "remote certification");
        return;
    }
    r->job = (struct ac__read_job){cert_work, cert_done, NULL};
    r->x = x;
    r->id = id;
    r->caller = a.user.id;
    r->admin = (a.user.roles & AC_ROLE_ADMIN) != 0;
    r->record = record;
    ac__read_submit(n, &r->job);
}

static void on_get(struct ac_http_exchange *x, void *arg)
{
    cert_route(x, arg, 0);
}

static void on_record(struct ac_http_exchange *x, void *arg)
{
    cert_route(x, arg, 1);
}

/* POST .../training-complete, .../attempts and .../attempts/{attempt}/answers. */
static void request(struct ac_http_exchange *x, struct ac_node *n, const char *what)
{
    struct ac__auth a;
    int64_t id, attempt = 0;
    json_t *body = NULL;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_REVIEWER) ||
        ac__param_id(x, "id", "remote certification", &id))
        return;
    if (strcmp(what, "answers") == 0 &&
        (ac__param_id(x, "attempt", "attempt", &attempt) || ac__json_body(x, 0, &body)))
        return;
    static const char *const allowed[] = {"answers", NULL};
    if (body && ac__json_only(x, body, allowed)) {
        json_decref(body);
        return;
    }
    struct ac_reason why = AC_REASON_INIT;
    int err = ac_remote_cert_request(n, a.user.id, id, what, attempt,
                                     json_object_get(body, "answers"), &why);
    json_decref(body);
    if (err)
        ac__respond_failure(x, err, &why, "request");
    else
        respond_row(n, x, 202, id);
    ac_reason_release(&why);
}

static void on_trained(struct ac_http_exchange *x, void *arg)
{
    request(x, arg, "trained");
}

static void on_attempt(struct ac_http_exchange *x, void *arg)
{
    request(x, arg, "attempt");
}

static void on_answers(struct ac_http_exchange *x, void *arg)
{
    request(x, arg, "answers");
}

/* A presented record, as its bytes: verified with the keys of the peers this
 * node takes certifications from. */
static void on_verify(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a))
        return;
    const struct ac_http_req *req = ac_http_exchange_req(x);
    const char *ct = ac_http_header(req, "content-type");
    if (!ct || strcmp(ct, AC_RCERT_RECORD_CONTENT_TYPE) != 0) {
        ac__problem(x, AC_PROBLEM_UNSUPPORTED_MEDIA_TYPE, "content-type", NULL,
                    "the body must be %s, not %s", AC_RCERT_RECORD_CONTENT_TYPE,
                    ct ? ct : "(none)");
        return;
    }
    struct ac_reason why = AC_REASON_INIT;
    json_t *out = NULL;
    int err = ac_remote_cert_verify(n, req->body, req->body_len, &out, &why);
    if (err)
        ac__respond_failure(x, err, &why, "certification record");
    else
        ac__respond_owned(x, 200, out);
    ac_reason_release(&why);
}

void ac__cert_api_register(struct ac_node *n)
{
    ac__route(n, "POST", "/v1/peers/{node}/credentials/{id}/apply", on_apply);
    ac__route(n, "GET", "/v1/remote-certifications", on_list);
    ac__route(n, "GET", "/v1/remote-certifications/{id}", on_get);
    ac__route(n, "GET", "/v1/remote-certifications/{id}/record", on_record);
    ac__route(n, "POST", "/v1/remote-certifications/{id}/training-complete", on_trained);
    ac__route(n, "POST", "/v1/remote-certifications/{id}/attempts", on_attempt);
    ac__route(n, "POST", "/v1/remote-certifications/{id}/attempts/{attempt}/answers", on_answers);
    ac__route(n, "POST", "/v1/certification-records/verify", on_verify);
}
