/* api_users.c - users and their bearer tokens over HTTP: who may create,
 * list, read, disable and revoke what. Admins manage everyone; a user may
 * read itself and its tokens and revoke its own tokens. The changes are the
 * services of node/accounts/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/error.h"
#include "accord/records/subject.h"
#include "accord/store/user.h"
#include "accounts/accounts.h"
#include "internal.h"
#include "lifecycle/invitations.h"
#include "readers.h"

static json_t *user_json(const struct ac_user *u)
{
    json_t *roles = json_array();
    for (unsigned bit = 1; bit & AC_ROLE_ALL; bit <<= 1)
        if (u->roles & bit)
            json_array_append_new(roles, json_string(ac_role_name(bit)));
    json_t *j =
        json_pack("{s:I, s:s, s:s, s:o, s:b}", "id", (json_int_t)u->id, "name", u->name,
                  "display_name", u->display_name, "roles", roles, "disabled", u->disabled_ms != 0);
    if (j) {
        ac__json_time(j, "created_at", u->created_ms);
        ac__json_time(j, "disabled_at", u->disabled_ms);
    }
    return j;
}

static json_t *email_json(int64_t user_id, const struct ac_user_email *e)
{
    json_t *j = json_pack("{s:I, s:s, s:b}", "user_id", (json_int_t)user_id, "email", e->address,
                          "verified", e->verified_ms != 0);
    if (j)
        ac__json_time(j, "verified_at", e->verified_ms);
    return j;
}

static json_t *token_json(const struct ac_token *t)
{
    json_t *j = json_pack("{s:I, s:I, s:s, s:b}", "id", (json_int_t)t->id, "user_id",
                          (json_int_t)t->user_id, "label", t->label, "revoked", t->revoked_ms != 0);
    if (j) {
        ac__json_time(j, "created_at", t->created_ms);
        ac__json_time(j, "revoked_at", t->revoked_ms);
    }
    return j;
}

static int bad_field(struct ac_http_exchange *x, const char *field, const char *fmt,
                     const char *value)
{
    ac__problem(x, AC_PROBLEM_INVALID_FIELD, field, NULL, fmt, field, value);
    return -1;
}

/* Reads member |key| of |body|: an array of distinct role names, which must
 * be there and non-empty when |required|. */
static int parse_roles(struct ac_http_exchange *x, const json_t *body, const char *key,
                       int required, unsigned *roles)
{
    json_t *arr = json_object_get(body, key);
    *roles = 0;
    if (!arr && !required)
        return 0;
    if (!arr)
        return bad_field(x, key, "%s: required%s; a list such as [\"earner\"]", "");
    if (!json_is_array(arr) || (required && json_array_size(arr) == 0))
        return bad_field(x, key, "%s: must be a non-empty list of role names%s", "");
    *roles = 0;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        char field[32];
        snprintf(field, sizeof field, "%s[%zu]", key, i);
        unsigned r;
        if (!json_is_string(v) || ac_role_parse(json_string_value(v), &r) != 0)
            return bad_field(x, field,
                             "%s: \"%s\" is not a role; use admin, expert, reviewer, earner or "
                             "recognizer",
                             json_is_string(v) ? json_string_value(v) : "(not a string)");
        if (*roles & r)
            return bad_field(x, field, "%s: \"%s\" appears twice", json_string_value(v));
        *roles |= r;
    }
    return 0;
}

static void on_user_create(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"name", "display_name", "roles", "email", NULL};
    unsigned roles = 0;
    json_t *email = json_object_get(body, "email");
    char addr[AC_EMAIL_MAX + 1], rule[320];
    const char *name = json_string_value(json_object_get(body, "name"));
    json_t *dn = json_object_get(body, "display_name");
    if (ac__json_only(x, body, allowed))
        goto out;
    if (!name) {
        bad_field(x, "name", "%s: required; a string%s", "");
        goto out;
    }
    if (ac_user_name_check(name)) {
        bad_field(x, "name",
                  "%s: \"%s\" must be 1-64 of a-z, 0-9, '.', '_' and '-', starting with a "
                  "letter or digit",
                  name);
        goto out;
    }
    if (dn && (!json_is_string(dn) || strlen(json_string_value(dn)) > AC_USER_DISPLAY_MAX)) {
        bad_field(x, "display_name", "%s: must be a string of at most 128 bytes%s", "");
        goto out;
    }
    for (const char *p = dn ? json_string_value(dn) : ""; *p; p++) {
        /* It is put in mail headers, where a CR or LF would start a new one. */
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            ac__problem(x, AC_PROBLEM_INVALID_FIELD, "display_name", NULL,
                        "display_name: contains control character 0x%02x at byte "
                        "%td; control characters (CR, LF, tab, ...) are not allowed",
                        (unsigned)(unsigned char)*p, p - json_string_value(dn));
            goto out;
        }
    }
    if (parse_roles(x, body, "roles", 1, &roles))
        goto out;
    /* Checked before the user is made, so a bad address leaves no account
     * behind. */
    if (email && (!json_is_string(email) ||
                  ac_email_normalize(json_string_value(email), addr, rule, sizeof rule))) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "email", NULL, "%s",
                    json_is_string(email) ? rule : "email: must be a string");
        goto out;
    }
    struct ac_user u;
    struct ac_reason why = AC_REASON_INIT;
    int err =
        ac__users_create(n, &a.user, name, dn ? json_string_value(dn) : NULL, roles, &u, &why);
    /* An admin who makes an account and gives its address vouches for it
     * (docs/records.md, "Subject"): records name the earner by it at once. */
    struct ac_user_email e = {{0}, 0};
    if (!err && email)
        err = ac__users_set_email(n, &a.user, u.id, addr, 1, &e, &why);
    if (err) {
        ac__respond_failure(x, err, &why, "user");
        ac_reason_release(&why);
        goto out;
    }
    json_t *j = user_json(&u);
    if (j && email)
        json_object_set_new(j, "email", email_json(u.id, &e));
    ac__respond_owned(x, 201, j);
out:
    json_decref(body);
}

/* ---- lists on the reader threads (node/readers.h) ----
 * A page is up to 201 rows read on a reader thread with its own store; the
 * job carries the page parameters and the owner (checked on the loop), and
 * the JSON is built on the loop in done. */

struct list_job {
    struct ac__read_job job; /* first */
    struct ac_http_exchange *x;
    struct ac_node *n;     /* borrowed; used only in done, on the loop */
    int tokens;            /* else users */
    int64_t owner, after; /* tokens: of user |owner| */
    /* Tokens: the first pass only reads user |owner| (a 404 comes before
     * a bad page parameter, as the handler checked them); the page is read
     * in a second pass. */
    int target;
    size_t limit;
    int err;
    size_t got;
    union {
        struct ac_user users[201];
        struct ac_token tokens[201];
    } page;
};

static void list_work(struct ac__read_job *job, struct ac_store *st)
{
    struct list_job *j = (struct list_job *)job;
    struct ac_user u;
    if (j->target)
        j->err = ac_store_user_get(st, j->owner, &u);
    /* One extra row tells whether another page exists. */
    else if (j->tokens)
        j->err = ac_store_token_list(st, j->owner, j->after, j->page.tokens, j->limit + 1, &j->got);
    else
        j->err = ac_store_user_list(st, j->after, j->page.users, j->limit + 1, &j->got);
}

static void list_done(struct ac__read_job *job, int status)
{
    struct list_job *j = (struct list_job *)job;
    int err = status ? AC_EIO : j->err; /* cancelled at shutdown */
    if (j->target) {
        if (err) {
            char what[40];
            snprintf(what, sizeof what, "user %lld", (long long)j->owner);
            ac__respond_error(j->x, err, what);
            free(j);
            return;
        }
        if (ac__page_params(j->x, &j->limit, &j->after)) {
            free(j);
            return;
        }
        j->target = 0;
        j->err = 0;
        j->got = 0;
        ac__read_submit(j->n, &j->job);
        return;
    }
    if (err) {
        ac__respond_error(j->x, err, j->tokens ? "tokens" : "users");
        free(j);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < j->got && i < j->limit; i++)
        json_array_append_new(items, j->tokens ? token_json(&j->page.tokens[i])
                                               : user_json(&j->page.users[i]));
    int more = j->got > j->limit;
    int64_t last = !more ? 0 : j->tokens ? j->page.tokens[j->limit - 1].id
                                         : j->page.users[j->limit - 1].id;
    ac__respond_owned(j->x, 200, ac__page_json(items, more, last));
    free(j);
}

static void submit_list(struct ac_http_exchange *x, struct ac_node *n, int tokens, int64_t owner,
                        size_t limit, int64_t after)
{
    struct list_job *j = malloc(sizeof *j);
    if (!j) {
        ac__respond_error(x, AC_ENOMEM, tokens ? "tokens" : "users");
        return;
    }
    j->job = (struct ac__read_job){list_work, list_done, NULL};
    j->x = x;
    j->n = n;
    j->target = 0;
    j->tokens = tokens;
    j->owner = owner;
    j->after = after;
    j->limit = limit;
    j->err = 0;
    j->got = 0;
    ac__read_submit(n, &j->job);
}

static void on_user_list(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    size_t limit;
    int64_t after;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__page_params(x, &limit, &after))
        return;
    submit_list(x, n, 0, 0, limit, after);
}

/* GET /v1/users/{id} and /v1/users/{id}/email read their row on a reader
 * thread (node/readers.h): on PostgreSQL even one row by key is a round trip
 * the loop would wait for. Who may ask is checked on the loop first. */
struct user_read {
    struct ac__json_read r; /* first */
    int64_t id;
    int email; /* the user's address, else the user */
};

static int user_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                     struct ac_reason *why)
{
    (void)why;
    struct user_read *q = (struct user_read *)r;
    struct ac_user u;
    int err = ac_store_user_get(view->store, q->id, &u);
    if (err)
        return err; /* named "user <id>", as submitted */
    if (!q->email)
        return ac__json_read_answer(r, user_json(&u), out);
    struct ac_user_email e;
    err = ac_store_user_email_get(view->store, u.id, &e);
    if (err) {
        snprintf(r->what, sizeof r->what, "email");
        return err;
    }
    return ac__json_read_answer(r, email_json(u.id, &e), out);
}

/* The user named by the path's {id} (or its address when |email|), for an
 * admin or the user itself. */
static void submit_user_read(struct ac_node *n, struct ac_http_exchange *x, int email)
{
    struct ac__auth a;
    int64_t id;
    if (ac__authenticate(n, x, &a) || ac__param_id(x, "id", "user", &id))
        return;
    if (id != a.user.id && ac__require_role(x, &a, AC_ROLE_ADMIN))
        return;
    char what[40];
    snprintf(what, sizeof what, "user %lld", (long long)id);
    struct user_read *q = ac__read_new(x, sizeof *q, what);
    if (!q)
        return;
    q->id = id;
    q->email = email;
    ac__json_read_submit(n, x, &q->r, user_read, NULL, what);
}

static void on_user_get(struct ac_http_exchange *x, void *arg)
{
    submit_user_read(arg, x, 0);
}

static void on_user_me(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a))
        return;
    ac__respond_owned(x, 200, user_json(&a.user));
}

static void on_user_disable(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    int64_t id;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__param_id(x, "id", "user", &id))
        return;
    struct ac_user u;
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__users_disable(n, &a.user, id, &u, &why);
    if (err) {
        char what[40];
        snprintf(what, sizeof what, "user %lld", (long long)id);
        ac__respond_failure(x, err, &why, what);
        ac_reason_release(&why);
        return;
    }
    ac__respond_owned(x, 200, user_json(&u));
}

/* GET /v1/users/{id}/email: the user itself or an admin. */
static void on_email_get(struct ac_http_exchange *x, void *arg)
{
    submit_user_read(arg, x, 1);
}

/* PUT /v1/users/{id}/email {"email", "vouch"}: the user itself (a link is
 * mailed to the address) or an admin (who may vouch for it). */
static void on_email_set(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    int64_t id;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__param_id(x, "id", "user", &id) ||
        ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"email", "vouch", NULL};
    json_t *email = json_object_get(body, "email"), *vouch = json_object_get(body, "vouch");
    if (ac__json_only(x, body, allowed))
        goto out;
    if (!json_is_string(email)) {
        bad_field(x, "email", "%s: required%s; the address as a string", "");
        goto out;
    }
    if (vouch && !json_is_boolean(vouch)) {
        bad_field(x, "vouch", "%s: must be true or false%s", "");
        goto out;
    }
    struct ac_user_email e;
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__users_set_email(n, &a.user, id, json_string_value(email), json_is_true(vouch), &e,
                                  &why);
    if (err) {
        ac__respond_failure(x, err, &why, "email");
        ac_reason_release(&why);
        goto out;
    }
    ac__respond_owned(x, 200, email_json(id, &e));
out:
    json_decref(body);
}

/* POST /v1/email/verify {"token"}: the signed-in user redeems the link
 * mailed to its address. */
static void on_email_verify(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"token", NULL};
    json_t *token = json_object_get(body, "token");
    if (ac__json_only(x, body, allowed))
        goto out;
    if (!json_is_string(token) || json_string_length(token) == 0 ||
        json_string_length(token) >= AC_EMAIL_TOKEN_TEXT_BYTES) {
        bad_field(x, "token", "%s: required%s; the token from the mail (ace_...)", "");
        goto out;
    }
    struct ac_user_email e;
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__users_verify_email(n, &a.user, json_string_value(token), &e, &why);
    if (err) {
        ac__respond_failure(x, err, &why, "email");
        ac_reason_release(&why);
        goto out;
    }
    ac__respond_owned(x, 200, email_json(a.user.id, &e));
out:
    json_decref(body);
}

/* Roles are a set: POST {"add": [...], "remove": [...]} changes it. */
static void on_user_roles(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    int64_t id;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__param_id(x, "id", "user", &id) || ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"add", "remove", NULL};
    unsigned add = 0, remove = 0;
    if (ac__json_only(x, body, allowed) || parse_roles(x, body, "add", 0, &add) ||
        parse_roles(x, body, "remove", 0, &remove))
        goto out;
    if (!add && !remove) {
        bad_field(x, "add", "%s: give the roles to add (or \"remove\": the roles to take "
                            "away)%s", "");
        goto out;
    }
    if (add & remove) {
        bad_field(x, "remove", "%s: a role cannot be both added and removed%s", "");
        goto out;
    }
    struct ac_user u;
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__users_set_roles(n, &a.user, id, add, remove, &u, &why);
    if (err) {
        char what[40];
        snprintf(what, sizeof what, "user %lld", (long long)id);
        ac__respond_failure(x, err, &why, what);
        ac_reason_release(&why);
        goto out;
    }
    ac__respond_owned(x, 200, user_json(&u));
out:
    json_decref(body);
}

/* An earner whose pass qualifies them to review accepts the invitation. */
static void on_invitation_accept(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a))
        return;
    struct ac_user u;
    json_t *can = NULL;
    struct ac_reason why = AC_REASON_INIT;
    int err = ac_reviewer_invitation_accept(n, &a.user, &u, &can, &why);
    if (err) {
        ac__respond_failure(x, err, &why, "reviewer invitation");
        ac_reason_release(&why);
        return;
    }
    json_t *j = user_json(&u);
    if (j)
        json_object_set_new(j, "can_review", can);
    else
        json_decref(can);
    ac__respond_owned(x, 200, j);
}

static void on_token_create(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    int64_t id;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__param_id(x, "id", "user", &id) || ac__json_body(x, 1, &body))
        return;
    static const char *const allowed[] = {"label", NULL};
    json_t *label = json_object_get(body, "label");
    if (ac__json_only(x, body, allowed))
        goto out;
    if (label &&
        (!json_is_string(label) || strlen(json_string_value(label)) > AC_TOKEN_LABEL_MAX)) {
        bad_field(x, "label", "%s: must be a string of at most 64 bytes%s", "");
        goto out;
    }
    struct ac_token t;
    char text[AC_TOKEN_TEXT_BYTES];
    struct ac_reason why = AC_REASON_INIT;
    int err =
        ac__tokens_create(n, &a.user, id, label ? json_string_value(label) : NULL, &t, text, &why);
    if (err) {
        char what[40];
        snprintf(what, sizeof what, "user %lld", (long long)id);
        ac__respond_failure(x, err, &why, what);
        ac_reason_release(&why);
        goto out;
    }
    json_t *j = token_json(&t);
    if (j)
        json_object_set_new(j, "token", json_string(text));
    sodium_memzero(text, sizeof text);
    ac__respond_owned(x, 201, j);
out:
    json_decref(body);
}

/* GET /v1/users/{id}/tokens: for an admin or the user itself; the user
 * named is read on a reader thread first (404 when there is none), then
 * the page. */
static void on_token_list(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    int64_t id;
    if (ac__authenticate(n, x, &a) || ac__param_id(x, "id", "user", &id))
        return;
    if (id != a.user.id && ac__require_role(x, &a, AC_ROLE_ADMIN))
        return;
    struct list_job *j = calloc(1, sizeof *j);
    if (!j) {
        ac__respond_error(x, AC_ENOMEM, "tokens");
        return;
    }
    j->job = (struct ac__read_job){list_work, list_done, NULL};
    j->x = x;
    j->n = n;
    j->tokens = 1;
    j->owner = id;
    j->target = 1;
    ac__read_submit(n, &j->job);
}

static void on_token_revoke(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    int64_t id;
    if (ac__authenticate(n, x, &a) || ac__param_id(x, "id", "token", &id))
        return;
    struct ac_token t;
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__tokens_revoke(n, &a.user, id, &t, &why);
    if (err) {
        char what[40];
        snprintf(what, sizeof what, "token %lld", (long long)id);
        ac__respond_failure(x, err, &why, what);
        ac_reason_release(&why);
        return;
    }
    ac__respond_owned(x, 200, token_json(&t));
}

void ac__api_users_register(struct ac_node *n)
{
    ac__route(n, "POST", "/v1/users", on_user_create);
    ac__route(n, "GET", "/v1/users", on_user_list);
    ac__route(n, "GET", "/v1/users/me", on_user_me);
    ac__route(n, "GET", "/v1/users/{id}", on_user_get);
    ac__route(n, "POST", "/v1/users/{id}/disable", on_user_disable);
    ac__route(n, "POST", "/v1/users/{id}/roles", on_user_roles);
    ac__route(n, "GET", "/v1/users/{id}/email", on_email_get);
    ac__route(n, "PUT", "/v1/users/{id}/email", on_email_set);
    ac__route(n, "POST", "/v1/email/verify", on_email_verify);
    ac__route(n, "POST", "/v1/reviewer-invitations/accept", on_invitation_accept);
    ac__route(n, "POST", "/v1/users/{id}/tokens", on_token_create);
    ac__route(n, "GET", "/v1/users/{id}/tokens", on_token_list);
    ac__route(n, "DELETE", "/v1/tokens/{id}", on_token_revoke);
}
