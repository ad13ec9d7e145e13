/* api_credentials.c - credential definitions over the API: create and version
 * (validated, every problem listed by path), edit and framework audit answers
 * while in draft, lifecycle transitions with the evidence each step needs, the
 * audit trail; and the helpers the other lifecycle handlers share. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/audit.h"
#include "accord/store/credential.h"
#include "api_lifecycle.h"
#include "lifecycle/stacks.h"

/* ---- shared parsing (declared in api_lifecycle.h) ---- */

int ac__cred_load(struct ac_node *n, struct ac_http_exchange *x, struct ac__cred *c)
{
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__cred_find(n, ac_http_param(x, "ref"), c, &why);
    if (err)
        ac__respond_failure(x, err, &why, "credential");
    ac_reason_release(&why);
    return err ? -1 : 0;
}

static void cred_read_release(struct ac__json_read *r)
{
    free(((struct ac__cred_read *)r)->ref);
}

struct ac__cred_read *ac__cred_read_new(struct ac_http_exchange *x, int64_t user)
{
    struct ac__cred_read *cr = calloc(1, sizeof *cr);
    const char *ref = ac_http_param(x, "ref");
    if (cr && ref && !(cr->ref = strdup(ref))) {
        free(cr);
        cr = NULL;
    }
    if (!cr) {
        ac__respond_error(x, AC_ENOMEM, "credential");
        return NULL;
    }
    cr->user = user;
    cr->state = -1;
    cr->r.x = x;
    return cr;
}

void ac__cred_read_submit(struct ac_node *n, struct ac__cred_read *cr, ac__json_read_cb read,
                          const char *what)
{
    ac__json_read_submit(n, cr->r.x, &cr->r, read, cred_read_release, what);
}

void ac__cred_read_route(struct ac_node *n, struct ac_http_exchange *x, unsigned roles, bool paged,
                         ac__json_read_cb read, const char *what)
{
    struct ac__auth a;
    size_t limit = 0;
    int64_t after = 0;
    if (ac__authenticate(n, x, &a) || (roles && ac__require_role(x, &a, roles)) ||
        (paged && ac__page_params(x, &limit, &after)))
        return;
    struct ac__cred_read *cr = ac__cred_read_new(x, a.user.id);
    if (!cr)
        return;
    cr->limit = limit;
    cr->after = after;
    ac__cred_read_submit(n, cr, read, what);
}

int ac__cred_read_find(struct ac__cred_read *cr, struct ac_node *view, struct ac__cred *c,
                       struct ac_reason *why)
{
    int err = ac__cred_find(view, cr->ref, c, why);
    if (err)
        snprintf(cr->r.what, sizeof cr->r.what, "credential");
    return err;
}

void ac__level_arg_of(const json_t *obj, const char *key, struct ac_level_arg *out)
{
    const json_t *v = json_object_get(obj, key);
    memset(out, 0, sizeof *out);
    if (!v)
        out->kind = AC_LEVEL_ABSENT;
    else if (json_is_string(v))
        out->kind = AC_LEVEL_NAME, out->name = json_string_value(v);
    else if (json_is_integer(v))
        out->kind = AC_LEVEL_INDEX, out->index = json_integer_value(v);
    else
        out->kind = AC_LEVEL_OTHER;
}

int ac__user_ids_get(struct ac_http_exchange *x, const json_t *body, const char *key, size_t min,
                     size_t max, int64_t *ids)
{
    const json_t *arr = json_object_get(body, key);
    if (!json_is_array(arr) || json_array_size(arr) < min || json_array_size(arr) > max)
        return ac__problem(x, AC_PROBLEM_INVALID_FIELD, key, NULL,
                           "%s: must be a list of %zu to %zu user ids", key, min, max);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *v = json_array_get(arr, i);
        ids[i] = json_is_integer(v) ? json_integer_value(v) : 0;
    }
    return (int)json_array_size(arr);
}

int ac__labelled_texts_get(struct ac_http_exchange *x, const json_t *arr, const char *field,
                           struct ac_text_item *out)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        const char *label = json_string_value(json_object_get(v, "label"));
        const char *content = json_string_value(json_object_get(v, "content"));
        if (!label || !*label || strlen(label) > AC_ITEM_LABEL_MAX || !content || !*content) {
            char where[64];
            snprintf(where, sizeof where, "%s[%zu]", field, i);
            return ac__problem(x, AC_PROBLEM_INVALID_FIELD, where, NULL,
                               "%s: needs a \"label\" (1-128 bytes) and non-empty text "
                               "\"content\"",
                               where);
        }
        out[i] = (struct ac_text_item){label, content};
    }
    return 0;
}

/* ---- representations ---- */

static json_t *summary_json(const struct ac_credential *r)
{
    json_t *j = json_pack("{s:s, s:I, s:s, s:s, s:s}", "id", r->def_id, "version",
                          (json_int_t)r->version, "title", r->title, "state",
                          ac_def_state_name(r->state), "content_hash", r->content_hash);
    if (j) {
        ac__json_time(j, "created_at", r->created_ms);
        ac__json_time(j, "updated_at", r->updated_ms);
        ac__json_time(j, "activated_at", r->activated_ms);
        if (r->activated_ms)
            json_object_set_new(j, "activation_override", json_boolean(r->activation_override));
    }
    return j;
}

static json_t *full_json(const struct ac__cred *c)
{
    json_t *j = summary_json(&c->row);
    char *text = NULL;
    if (j && ac_def_to_json(c->def, false, &text) == 0) {
        json_t *def = json_loads(text, 0, NULL);
        if (def)
            json_object_set_new(j, "definition", def);
    }
    free(text);
    return j;
}

/* Answers 422 with every problem of |pr| as "errors": [{path, message}]. */
static void respond_problems(struct ac_http_exchange *x, const struct ac_def_problems *pr, int err)
{
    char *text = NULL;
    json_t *extra = json_object();
    if (ac_def_problems_to_json(pr, &text) == 0) {
        json_t *errs = json_loads(text, 0, NULL);
        if (errs)
            json_object_set_new(extra, "errors", errs);
    }
    free(text);
    ac__problem(x, AC_PROBLEM_INVALID_DEFINITION, pr->n ? pr->items[0].path : NULL, extra,
                "%zu problem%s; the first: %s: %s%s", pr->n, pr->n == 1 ? "" : "s",
                pr->n ? pr->items[0].path : "$", pr->n ? pr->items[0].message : "invalid",
                err == AC_EPARSE ? " (not JSON)" : "");
    json_decref(extra);
}

/* Parses and validates the request body as a draft definition. Returns 0
 * and sets |*def| (caller frees), or answers and returns -1. */
static int read_definition(struct ac_http_exchange *x, struct ac_definition **def)
{
    const struct ac_http_req *req = ac_http_exchange_req(x);
    const char *ct = ac_http_header(req, "content-type");
    if (!ct || strncmp(ct, "application/json", 16) != 0)
        return ac__problem(x, AC_PROBLEM_UNSUPPORTED_MEDIA_TYPE, "content-type", NULL,
                           "the body must be application/json, not %s", ct ? ct : "(none)");
    struct ac_def_problems pr = {0};
    int err = ac_def_from_json(req->body ? (const char *)req->body : "", req->body_len, def, &pr);
    if (!err && (*def)->state != AC_DEF_DRAFT) {
        ac_def_free(*def);
        *def = NULL;
        ac_def_problems_release(&pr);
        return ac__problem(x, AC_PROBLEM_INVALID_DEFINITION, "state", NULL,
                           "state: a stored version starts in draft; move it with "
                           "POST /v1/definitions/{ref}/transition");
    }
    if (err) {
        if (err == AC_ENOMEM)
            ac__respond_error(x, err, "definition");
        else
            respond_problems(x, &pr, err);
    }
    ac_def_problems_release(&pr);
    return err ? -1 : 0;
}

void ac__refuse(struct ac_http_exchange *x, int err, struct ac_reason *why, const char *what)
{
    ac__respond_failure(x, err, why, what);
    ac_reason_release(why);
}

/* ---- handlers ---- */

static void on_create(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    struct ac_definition *def;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        read_definition(x, &def))
        return;
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    int err = ac_definition_create(n, &a.user, def, &c, &why);
    if (err) {
        ac__refuse(x, err, &why, "credential");
        return;
    }
    ac__respond_owned(x, 201, full_json(&c));
    ac__cred_release(&c);
}

static int list_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                     struct ac_reason *why)
{
    (void)why;
    struct ac__cred_read *cr = (struct ac__cred_read *)r;
    struct ac_credential rows[200];
    size_t k;
    int err = ac_store_credential_list(view->store, cr->after, NULL, rows, cr->limit, &k);
    if (err)
        return err;
    json_t *items = json_array();
    for (size_t i = 0; i < k; i++)
        json_array_append_new(items, summary_json(&rows[i]));
    int more = k == cr->limit;
    *out = ac__page_json(items, more, more ? rows[k - 1].id : 0);
    for (size_t i = 0; i < k; i++)
        ac_credential_release(&rows[i]);
    return 0;
}

static void on_list(struct ac_http_exchange *x, void *arg)
{
    ac__cred_read_route(arg, x, 0, true, list_read, "credentials");
}

static int get_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                    struct ac_reason *why)
{
    struct ac__cred c;
    int err = ac__cred_read_find((struct ac__cred_read *)r, view, &c, why);
    if (err)
        return err;
    *out = full_json(&c);
    ac__cred_release(&c);
    return 0;
}

static void on_get(struct ac_http_exchange *x, void *arg)
{
    ac__cred_read_route(arg, x, 0, false, get_read, "credential");
}

static void on_replace(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    struct ac_definition *def;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        read_definition(x, &def))
        return;
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    int err = ac_definition_replace(n, &a.user, ac_http_param(x, "ref"), def, &c, &why);
    if (err) {
        ac__refuse(x, err, &why, "credential");
        return;
    }
    ac__respond_owned(x, 200, full_json(&c));
    ac__cred_release(&c);
}

/* PUT .../audit: the five framework audit answers, merged into the draft. */
static void on_audit_answers(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__json_body(x, 0, &body))
        return;
    static const char *const keys[] = {"impact",   "equity",      "access",
                                       "language", "big_picture", NULL};
    const char *given[5] = {NULL};
    if (ac__json_only(x, body, keys))
        goto out;
    for (size_t i = 0; keys[i]; i++) {
        json_t *v = json_object_get(body, keys[i]);
        if (v && !json_is_string(v)) {
            ac__problem(x, AC_PROBLEM_INVALID_FIELD, keys[i], NULL,
                        "%s: must be a non-empty string answering the framework's %s question",
                        keys[i], keys[i]);
            goto out;
        }
        given[i] = json_string_value(v);
    }
    struct ac_audit_answers answers = {given[0], given[1], given[2], given[3], given[4]};
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    int err = ac_definition_audit_answers(n, &a.user, ac_http_param(x, "ref"), &answers, &c, &why);
    if (err) {
        ac__refuse(x, err, &why, "credential");
        goto out;
    }
    const char *held[] = {c.def->audit.impact, c.def->audit.equity, c.def->audit.access,
                          c.def->audit.language, c.def->audit.big_picture};
    json_t *j = json_object();
    for (size_t i = 0; keys[i]; i++)
        if (held[i])
            json_object_set_new(j, keys[i], json_string(held[i]));
    ac__respond_owned(x, 200,
                      json_pack("{s:s, s:o, s:s}", "credential", c.ref, "audit", j, "content_hash",
                                c.row.content_hash));
    ac__cred_release(&c);
out:
    json_decref(body);
}

static void on_transition(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"to", "override", "pilot", "reason", NULL};
    struct ac_transition_req req = {0};
    if (ac__json_only(x, body, allowed))
        goto out;
    const char *to_name = json_string_value(json_object_get(body, "to"));
    if (!to_name || ac_def_state_parse(to_name, &req.to)) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "to", NULL,
                    "to: \"%s\" is not a state; use draft, piloting, benchmarks, training, "
                    "recruiting, active or retired",
                    to_name ? to_name : "(missing)");
        goto out;
    }
    json_t *ov = json_object_get(body, "override");
    if (ov && !json_is_boolean(ov)) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "override", NULL,
                    "override: a boolean, allowed only with \"to\": \"active\"");
        goto out;
    }
    req.override = json_is_true(ov);
    json_t *pilot = json_object_get(body, "pilot");
    json_t *t = json_object_get(pilot, "threshold");
    req.statistic = json_string_value(json_object_get(pilot, "statistic"));
    req.threshold = json_is_number(t) ? json_number_value(t) : NAN;
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    json_t *evidence;
    int err =
        ac_definition_transition(n, &a.user, ac_http_param(x, "ref"), &req, &c, &evidence, &why);
    if (err) {
        ac__refuse(x, err, &why, "credential");
        goto out;
    }
    json_t *j = full_json(&c);
    if (j && evidence)
        json_object_set(j, "evidence", evidence);
    ac__respond_owned(x, 200, j);
    json_decref(evidence);
    ac__cred_release(&c);
out:
    json_decref(body);
}

/* An audit trail read: |ref| names the credential (the credential route),
 * or |kind| and |subject| the trail (the any-subject route). */
struct trail_read {
    struct ac__cred_read cr; /* first */
    char *kind, *subject;    /* owned; NULL on the credential route */
};

static void trail_release(struct ac__json_read *r)
{
    struct trail_read *t = (struct trail_read *)r;
    free(t->cr.ref);
    free(t->kind);
    free(t->subject);
}

/* Reader thread: one page of the audit trail of |kind| |subject|. */
static int trail_page(struct ac__cred_read *cr, struct ac_store *st, const char *kind,
                      const char *subject, json_t **out)
{
    struct ac_audit_entry rows[200];
    size_t k;
    int err = ac_store_audit_list(st, kind, subject, cr->after, rows, cr->limit, &k);
    if (err)
        return err;
    json_t *items = json_array();
    for (size_t i = 0; i < k; i++) {
        json_t *e = json_pack("{s:I, s:s, s:s, s:I, s:s, s:s}", "id", (json_int_t)rows[i].id,
                              "subject_kind", rows[i].subject_kind, "subject_id",
                              rows[i].subject_id, "actor", (json_int_t)rows[i].actor_user_id,
                              "node", rows[i].node_id, "action", rows[i].action);
        json_t *d = json_loads(rows[i].detail, 0, NULL);
        if (e && d)
            json_object_set_new(e, "detail", d);
        else
            json_decref(d);
        if (e)
            ac__json_time(e, "at", rows[i].at_ms);
        json_array_append_new(items, e);
    }
    int more = k == cr->limit;
    *out = ac__page_json(items, more, more ? rows[k - 1].id : 0);
    for (size_t i = 0; i < k; i++)
        ac_audit_entry_release(&rows[i]);
    return 0;
}

static int trail_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                      struct ac_reason *why)
{
    struct trail_read *t = (struct trail_read *)r;
    if (t->kind)
        return trail_page(&t->cr, view->store, t->kind, t->subject, out);
    struct ac__cred c;
    int err = ac__cred_read_find(&t->cr, view, &c, why);
    if (!err)
        err = trail_page(&t->cr, view->store, "credential", c.ref, out);
    ac__cred_release(&c);
    return err;
}

/* Loop: reads a page of the trail the route names. */
static void submit_trail(struct ac_node *n, struct ac_http_exchange *x, int any)
{
    size_t limit;
    int64_t after;
    if (ac__page_params(x, &limit, &after))
        return;
    struct trail_read *t = calloc(1, sizeof *t);
    const char *ref = ac_http_param(x, "ref");
    const char *kind = ac_http_param(x, "kind"), *subject = ac_http_param(x, "subject");
    if (!t || (!any && ref && !(t->cr.ref = strdup(ref))) ||
        (any && (!(t->kind = strdup(kind ? kind : "")) ||
                 !(t->subject = strdup(subject ? subject : ""))))) {
        if (t)
            trail_release(&t->cr.r);
        free(t);
        ac__respond_error(x, AC_ENOMEM, "audit trail");
        return;
    }
    t->cr.limit = limit;
    t->cr.after = after;
    t->cr.state = -1;
    ac__json_read_submit(n, x, &t->cr.r, trail_read, trail_release, "audit trail");
}

static void on_audit_trail(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN))
        return;
    submit_trail(n, x, 0);
}

/* GET /v1/audit/{kind}/{subject}: any subject's trail (a reviewer's user id,
 * a submission id, the node id), for admins. */
static void on_audit_any(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN))
        return;
    submit_trail(n, x, 1);
}

/* ---- stacks: earning every member earns the stack credential ---- */

static json_t *stack_json(struct ac_node *n, const struct ac_stack *st, int64_t earner)
{
    json_t *members = json_loads(st->members, 0, NULL);
    json_t *j = json_pack("{s:s, s:s, s:o, s:f}", "id", st->id, "title", st->title,
                          "credentials", members ? members : json_array(), "ceus",
                          (double)st->ceu_hundredths / 100.0);
    int64_t rec;
    /* The caller's own stack record, when issued. */
    if (j && ac_store_stack_record_get(n->store, st->id, earner, &rec) == 0)
        json_object_set_new(j, "record", json_integer(rec));
    return j;
}

static void on_stack_declare(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"id", "title", "credentials", "ceus", NULL};
    json_t *list = json_object_get(body, "credentials");
    json_t *ceus = json_object_get(body, "ceus");
    const char *members[AC_STACK_MEMBERS_MAX + 1];
    size_t k = json_array_size(list);
    if (ac__json_only(x, body, allowed))
        goto out;
    if (!json_is_array(list) || k > AC_STACK_MEMBERS_MAX) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "credentials", NULL,
                    "credentials: a list of 2 to %d credential definition ids",
                    AC_STACK_MEMBERS_MAX);
        goto out;
    }
    for (size_t i = 0; i < k; i++) {
        members[i] = json_string_value(json_array_get(list, i));
        if (!members[i]) {
            ac__problem(x, AC_PROBLEM_INVALID_FIELD, "credentials", NULL,
                        "credentials[%zu]: must be a definition id", i);
            goto out;
        }
    }
    if (ceus && !json_is_number(ceus)) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "ceus", NULL, "ceus: must be a number");
        goto out;
    }
    struct ac_stack st;
    struct ac_reason why = AC_REASON_INIT;
    int err = ac_stack_declare(n, &a.user, json_string_value(json_object_get(body, "id")),
                               json_string_value(json_object_get(body, "title")), members, k,
                               ceus ? json_number_value(ceus) : 0, &st, &why);
    if (err) {
        ac__respond_failure(x, err, &why, "stack");
    } else {
        ac__respond_owned(x, 201, stack_json(n, &st, a.user.id));
        ac_stack_release(&st);
    }
    ac_reason_release(&why);
out:
    json_decref(body);
}

static int stack_list_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                           struct ac_reason *why)
{
    (void)why;
    struct ac__cred_read *cr = (struct ac__cred_read *)r;
    struct ac_stack *st = NULL;
    size_t k = 0;
    int err = ac_store_stack_list(view->store, &st, &k);
    if (err)
        return err;
    json_t *items = json_array();
    for (size_t i = 0; i < k; i++) {
        json_array_append_new(items, stack_json(view, &st[i], cr->user));
        ac_stack_release(&st[i]);
    }
    free(st);
    *out = json_pack("{s:o}", "items", items);
    return 0;
}

static void on_stack_list(struct ac_http_exchange *x, void *arg)
{
    ac__cred_read_route(arg, x, 0, false, stack_list_read, "stacks");
}

void ac__api_credentials_register(struct ac_node *n)
{
    ac__route(n, "POST", "/v1/definitions", on_create);
    ac__route(n, "POST", "/v1/stacks", on_stack_declare);
    ac__route(n, "GET", "/v1/stacks", on_stack_list);
    ac__route(n, "GET", "/v1/definitions", on_list);
    ac__route(n, "GET", "/v1/definitions/{ref}", on_get);
    ac__route(n, "PUT", "/v1/definitions/{ref}", on_replace);
    ac__route(n, "PUT", "/v1/definitions/{ref}/audit", on_audit_answers);
    ac__route(n, "POST", "/v1/definitions/{ref}/transition", on_transition);
    ac__route(n, "GET", "/v1/definitions/{ref}/audit-trail", on_audit_trail);
    ac__route(n, "GET", "/v1/audit/{kind}/{subject}", on_audit_any);
}
