/* session.c - browser sessions over HTTP: signing in (password or one-time
 * link), the session cookie and its CSRF header, signing out, and setting
 * passwords (by an admin, or by a person from an invitation or reset link). Bearer
 * tokens are untouched: ac__authenticate() comes here only when a request
 * has no authorization header. Argon2id runs on the libuv thread pool so a
 * sign-in never stalls the loop. docs/web.md describes the rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/records/subject.h"
#include "accord/store/session.h"
#include "audit.h"
#include "internal.h"
#include "records/records.h"
#include "web/web.h"

#define COOKIE_NAME "accord_session"
#define CSRF_HEADER "x-accord-csrf"

/* ---- answering a new session ---- */

static void respond_session(struct ac_node *n, struct ac_http_exchange *x, int status,
                            const struct ac_user *u, int64_t expires_ms,
                            const char *text /* NULL: no new cookie */, const char *csrf)
{
    json_t *roles = json_array();
    for (unsigned bit = 1; roles && (bit & AC_ROLE_ALL); bit <<= 1)
        if (u->roles & bit)
            json_array_append_new(roles, json_string(ac_role_name(bit)));
    json_t *j = json_pack("{s:{s:I, s:s, s:s, s:o}, s:s?}", "user", "id", (json_int_t)u->id, "name",
                          u->name, "display_name", u->display_name, "roles", roles, "csrf", csrf);
    if (j)
        ac__json_time(j, "expires_at", expires_ms);
    if (!text) {
        ac__respond_owned(x, status, j);
        return;
    }
    char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!body) {
        ac__respond_error(x, AC_ENOMEM, "session answer");
        return;
    }
    char cookie[256];
    snprintf(cookie, sizeof cookie,
             COOKIE_NAME "=%s; Path=/; Max-Age=%lld; HttpOnly; Secure; SameSite=Strict", text,
             (long long)(AC_WEB_SESSION_MS / 1000));
    struct ac_http_header h[] = {{"content-type", "application/json"},
                                 {"set-cookie", cookie},
                                 {"cache-control", "no-store"}};
    ac_http_respond(x, status, h, 3, body, strlen(body));
    sodium_memzero(cookie, sizeof cookie);
    free(body);
    (void)n;
}

/* Starts a session for |u| and answers 201 with its cookie. */
static void sign_in(struct ac_node *n, struct ac_http_exchange *x, const struct ac_user *u)
{
    struct ac_session ses;
    char text[AC_WEB_TOKEN_TEXT_BYTES], csrf[44];
    int err = ac__web_session_start(n, u->id, &ses, text);
    if (err) {
        ac__respond_error(x, err, "session");
        return;
    }
    ac__web_csrf_of(n, text, csrf);
    ac_log_info("web", "user %s signed in (session %lld)", u->name, (long long)ses.id);
    respond_session(n, x, 201, u, ses.expires_ms, text, csrf);
    sodium_memzero(text, sizeof text);
}

/* ---- body helpers ---- */

static int text_member(struct ac_http_exchange *x, const json_t *body, const char *name, size_t max,
                       const char **out)
{
    const json_t *v = json_object_get(body, name);
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > max)
        return ac__problem(x, AC_PROBLEM_INVALID_FIELD, name, NULL,
                           "%s: required; a string of 1 to %zu bytes", name, max);
    *out = json_string_value(v);
    return 0;
}

static int new_password(struct ac_http_exchange *x, const json_t *body, const char **out)
{
    const json_t *v = json_object_get(body, "password");
    size_t len = json_string_length(v);
    if (!json_is_string(v) || len < AC_WEB_PASSWORD_MIN || len > AC_WEB_PASSWORD_MAX)
        return ac__problem(x, AC_PROBLEM_INVALID_FIELD, "password", NULL,
                           "password: must be %d to %d characters long", AC_WEB_PASSWORD_MIN,
                           AC_WEB_PASSWORD_MAX);
    *out = json_string_value(v);
    return 0;
}

/* Throttle keys: a prefix, ':' and an account's name or what was typed
 * (lowered). The throttle keeps 96 bytes of a key; a longer typed text is
 * cut here the same way, so it is still found (two unknown texts alike in
 * their first 90 bytes share a count, which only throttles sooner). */
#define KEY_BYTES 96

/* Writes |prefix|:|text| into |key|, |text| cut to fit. */
static void key_of(char key[KEY_BYTES], const char *prefix, const char *text)
{
    size_t p = strlen(prefix), t = strlen(text);
    if (p + 1 + t > KEY_BYTES - 1)
        t = KEY_BYTES - 2 - p;
    memcpy(key, prefix, p);
    key[p] = ':';
    memcpy(key + p + 1, text, t);
    key[p + 1 + t] = 0;
}

/* Finds the account |given| names, in this order: the verified e-mail
 * address of exactly one account, the user name, or name@<mail domain> (the
 * node's own mailbox of a user). Lowercase throughout, as names and stored
 * addresses are. Sets |*u| on 0 and always sets |key| to |prefix|:<the
 * account's name> when one is found, else |prefix|:<what was typed,
 * lowered>, so the throttle counts an account's failures under one key
 * whether the person typed the name or the address, while an unknown or
 * unverified address gets a key of its own and is answered alike.
 * Returns 0, AC_ENOENT (no account, or a disabled one) or AC_EDB. */
static int find_account(const struct ac_node *n, const char *given, const char *prefix,
                        struct ac_user *u, char key[KEY_BYTES])
{
    char lower[321];
    size_t len = strlen(given);
    if (len > 320)
        len = 320;
    for (size_t i = 0; i < len; i++)
        lower[i] = (char)((given[i] >= 'A' && given[i] <= 'Z') ? given[i] + 32 : given[i]);
    lower[len] = 0;
    key_of(key, prefix, lower);
    int err = AC_ENOENT;
    const char *at = strchr(lower, '@');
    char address[AC_EMAIL_MAX + 1];
    if (at && ac_email_normalize(lower, address, NULL, 0) == 0)
        err = ac_store_user_by_email(n->store, address, u);
    if (err == AC_ENOENT) {
        const char *domain =
            n->cfg->notify_mail_domain ? n->cfg->notify_mail_domain : n->cfg->node_id;
        size_t name_len = at && strcasecmp(at + 1, domain) == 0 ? (size_t)(at - lower) : len;
        char name[AC_USER_NAME_MAX + 1];
        if (name_len <= AC_USER_NAME_MAX && (!at || name_len < len)) {
            memcpy(name, lower, name_len);
            name[name_len] = 0;
            err = ac_store_user_by_name(n->store, name, u);
        }
    }
    if (!err && u->disabled_ms)
        err = AC_ENOENT;
    if (!err)
        key_of(key, prefix, u->name);
    return err;
}

/* The throttle key of the peer's address (without the port). */
static void addr_key(const struct ac_http_exchange *x, char out[96])
{
    const char *peer = ac_http_exchange_req(x)->peer;
    const char *colon = strrchr(peer, ':');
    int len = colon ? (int)(colon - peer) : (int)strlen(peer);
    snprintf(out, 96, "addr:%.*s", len, peer);
}

static int throttled(struct ac_node *n, struct ac_http_exchange *x, const char *acct_key,
                     const char *address_key)
{
    int64_t now = ac_clock_now_ms();
    int64_t wait = ac__web_throttle_wait(n->web, address_key, now);
    int64_t wait2 = acct_key ? ac__web_throttle_wait(n->web, acct_key, now) : 0;
    if (wait2 > wait)
        wait = wait2;
    if (!wait)
        return 0;
    json_t *extra = json_pack("{s:I}", "retry_after_seconds", (json_int_t)((wait + 999) / 1000));
    ac__problem(x, AC_PROBLEM_TOO_MANY_REQUESTS, wait2 ? "name" : NULL, extra,
                "too many failed sign-ins from %s; try again in %lld minutes",
                wait2 ? "this account" : "this address", (long long)((wait + 59999) / 60000));
    json_decref(extra);
    return 1;
}

/* ---- Argon2id on the thread pool ---- */

/* PW_DECOY: a sign-in naming no account (or an unverified address) costs
 * one Argon2id hash like a real verification, so the time to answer does
 * not tell whether the account exists either; it always fails. */
enum pw_kind { PW_VERIFY, PW_DECOY, PW_HASH_ADMIN, PW_HASH_LINK };

/* One password operation. The worker touches only |password|, |hash| and
 * |failed|; everything else belongs to the loop thread. */
struct pw_job {
    uv_work_t work;
    enum pw_kind kind;
    struct ac_node *n;
    struct ac_http_exchange *x;
    struct ac_user user;
    int64_t actor_id;
    /* PW_HASH_LINK: the link, spent only in the transaction that sets the
     * password (on_pw_done()), never in the request transaction before the
     * hand-off (node/http/reqtx.c: that one may commit after, or never). */
    uint8_t link_hash[AC_SESSION_HASH_BYTES];
    char acct_key[KEY_BYTES], addr_key[96];
    char *password; /* sodium_malloc'd copy, wiped on free */
    char hash[AC_PASSWORD_HASH_MAX + 1];
    int failed;
    /* The writes after the worker (pw_write(), a task of the request
     * group): whether they start a session, and the one they started. */
    int signs_in;
    struct ac_session ses;
    char text[AC_WEB_TOKEN_TEXT_BYTES];
};

static void pw_free(struct pw_job *j)
{
    sodium_free(j->password);
    sodium_memzero(j->hash, sizeof j->hash);
    sodium_memzero(j->text, sizeof j->text);
    free(j);
}

static void on_pw_work(uv_work_t *w)
{
    struct pw_job *j = w->data;
    if (j->kind == PW_VERIFY) {
        j->failed = crypto_pwhash_str_verify(j->hash, j->password, strlen(j->password)) != 0;
    } else if (j->kind == PW_DECOY) {
        /* Same limits as the stored hashes; the result is thrown away, and
         * a decoy that could not be hashed (out of memory) fails the same. */
        if (crypto_pwhash_argon2id_str(j->hash, j->password, strlen(j->password),
                                       crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE,
                                       crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE) != 0)
            j->hash[0] = 0;
        j->failed = 1;
    } else
        j->failed = crypto_pwhash_argon2id_str(j->hash, j->password, strlen(j->password),
                                               crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE,
                                               crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE) != 0;
}

static int link_refused(struct ac_http_exchange *x, int err);

/* What a password worker's answer writes, as one transaction body: the
 * password it hashed (the link, if one, spent with it: a link used
 * meanwhile by a concurrent request refuses this one; a new password ends
 * every other session of the person), then the session it signs in to. It
 * runs as a task of the request group (ac__reqtx_task()): in a savepoint of
 * the group's transaction, run again whole after a lost race, its round
 * trips to PostgreSQL off the loop, committed with the group. */
static int pw_write(void *arg)
{
    struct pw_job *j = arg;
    struct ac_node *n = j->n;
    int64_t now = ac_clock_now_ms();
    int err = 0;
    if (j->kind == PW_HASH_ADMIN || j->kind == PW_HASH_LINK) {
        err = ac_store_tx_begin(n->store);
        if (err)
            return err;
        int64_t uid = 0;
        if (j->kind == PW_HASH_LINK) {
            err = ac_store_link_use(n->store, AC_LINK_SET_PASSWORD, j->link_hash, now, &uid);
            if (!err && uid != j->user.id)
                err = AC_ENOENT;
        }
        if (!err)
            err = ac_store_password_set(n->store, j->user.id, j->hash, now);
        if (!err)
            err = ac_store_session_revoke_user(n->store, j->user.id, now);
        if (!err)
            err = ac_audit_id(n, "user", j->user.id, j->actor_id, "password.set", NULL);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    if (!err && j->signs_in)
        err = ac__web_session_start(n, j->user.id, &j->ses, j->text);
    return err;
}

/* The group's COMMIT of pw_write() ended (or it failed): the answer. */
static void pw_written(void *arg, int err)
{
    struct pw_job *j = arg;
    struct ac_node *n = j->n;
    struct ac_http_exchange *x = j->x;
    if (err && j->kind == PW_HASH_LINK) {
        link_refused(x, err);
    } else if (err) {
        ac__respond_error(x, err, j->signs_in ? "session" : "password");
    } else if (j->signs_in) {
        char csrf[44];
        ac__web_csrf_of(n, j->text, csrf);
        ac_log_info("web", "user %s signed in (session %lld)", j->user.name, (long long)j->ses.id);
        respond_session(n, x, 201, &j->user, j->ses.expires_ms, j->text, csrf);
    } else {
        ac__respond_owned(
            x, 200, json_pack("{s:I, s:b}", "user_id", (json_int_t)j->user.id, "password_set", 1));
    }
    pw_free(j);
}

static void on_pw_done(uv_work_t *w, int status)
{
    struct pw_job *j = w->data;
    struct ac_node *n = j->n;
    struct ac_http_exchange *x = j->x;
    int verifying = j->kind == PW_VERIFY || j->kind == PW_DECOY;
    if (status || (j->failed && !verifying)) {
        ac__respond_error(x, AC_ENOMEM, "password hashing");
    } else if (verifying && j->failed) {
        /* Counted alike whether or not an account was found, and answered
         * alike, so the answer does not tell which names or addresses
         * exist, or which addresses are verified. */
        int64_t now = ac_clock_now_ms();
        ac__web_throttle_fail(n->web, j->acct_key, now);
        ac__web_throttle_fail(n->web, j->addr_key, now);
        ac_log_info("web", "failed sign-in as %s from %s",
                    j->kind == PW_DECOY ? "an unknown account" : j->user.name,
                    ac_http_exchange_req(x)->peer);
        ac__problem(x, AC_PROBLEM_UNAUTHORIZED, "password", NULL,
                    "the e-mail address, name or password is wrong");
    } else {
        if (verifying)
            ac__web_throttle_clear(n->web, j->acct_key);
        j->signs_in = verifying || j->kind == PW_HASH_LINK;
        int err = ac__reqtx_task(n, j->signs_in ? "sign-in" : "password set", pw_write,
                                 pw_written, j);
        if (!err)
            return; /* pw_written() answers and frees |j| */
        ac__respond_error(x, err, j->signs_in ? "session" : "password");
    }
    pw_free(j);
}

static void pw_queue(struct ac_node *n, struct ac_http_exchange *x, enum pw_kind kind,
                     const struct ac_user *u, const char *password, struct pw_job *j)
{
    j->kind = kind;
    j->n = n;
    j->x = x;
    j->user = *u;
    j->work.data = j;
    size_t len = strlen(password);
    j->password = sodium_malloc(len + 1);
    if (!j->password) {
        free(j);
        ac__respond_error(x, AC_ENOMEM, "password");
        return;
    }
    memcpy(j->password, password, len + 1);
    int err = uv_queue_work(n->loop, &j->work, on_pw_work, on_pw_done);
    if (err) {
        pw_free(j);
        ac__respond_error(x, err, "password worker");
    }
}

/* ---- handlers ---- */

/* POST /v1/session {"name", "password"}: sign in; "name" is a verified
 * e-mail address or a user name (find_account()). */
static void on_sign_in(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    static const char *const allowed[] = {"name", "password", NULL};
    json_t *body;
    if (ac__json_body(x, 0, &body))
        return;
    const char *given = NULL, *password = NULL;
    if (ac__json_only(x, body, allowed) || text_member(x, body, "name", 320, &given) ||
        text_member(x, body, "password", AC_WEB_PASSWORD_MAX, &password)) {
        json_decref(body);
        return;
    }
    struct pw_job *j = calloc(1, sizeof *j);
    if (!j) {
        json_decref(body);
        ac__respond_error(x, AC_ENOMEM, "sign-in");
        return;
    }
    struct ac_user u;
    int err = find_account(n, given, "user", &u, j->acct_key);
    addr_key(x, j->addr_key);
    if (throttled(n, x, j->acct_key, j->addr_key)) {
        free(j);
        json_decref(body);
        return;
    }
    if (!err)
        err = ac_store_password_get(n->store, u.id, j->hash);
    if (err && err != AC_ENOENT) {
        free(j);
        json_decref(body);
        ac__respond_error(x, err, "sign-in");
        return;
    }
    /* No account (or no password): a decoy hash, failed like a wrong
     * password after as long (on_pw_done). */
    if (err == AC_ENOENT)
        memset(&u, 0, sizeof u);
    pw_queue(n, x, err == AC_ENOENT ? PW_DECOY : PW_VERIFY, &u, password, j);
    json_decref(body);
}

/* GET /v1/session: who is signed in, and the CSRF value the pages send. */
static void on_session_get(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    char text[AC_WEB_TOKEN_TEXT_BYTES], csrf[44];
    if (ac__session_lookup(n, x, &a, text))
        return;
    ac__web_csrf_of(n, text, csrf);
    sodium_memzero(text, sizeof text);
    respond_session(n, x, 200, &a.user, a.token.created_ms + AC_WEB_SESSION_MS, NULL, csrf);
}

/* DELETE /v1/session: sign out (CSRF checked: a page of another site must
 * not be able to sign a person out either). */
static void on_sign_out(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__session_authenticate(n, x, &a))
        return;
    int err = ac_store_tx_begin(n->store);
    if (!err) {
        err = ac_store_session_revoke(n->store, a.session_id, ac_clock_now_ms());
        if (!err)
            err = ac_audit_id(n, "user", a.user.id, a.user.id, "session.end", NULL);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    if (err) {
        ac__respond_error(x, err, "sign-out");
        return;
    }
    struct ac_http_header h[] = {
        {"set-cookie", COOKIE_NAME "=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict"},
        {"cache-control", "no-store"}};
    ac_http_respond(x, 204, h, 2, NULL, 0);
}

/* Reads the body {"name"} of a request that mails a link, where "name" is
 * a verified e-mail address or a user name (find_account()): sets |*u| and
 * |*found| when it names an account, |key| to its throttle key under
 * |prefix|, and |akey| to the asking address's. Returns 0, or -1 after
 * answering (a body that is not exactly that, or a store failure). */
static int name_request(struct ac_node *n, struct ac_http_exchange *x, const char *prefix,
                        struct ac_user *u, int *found, char key[KEY_BYTES], char akey[96])
{
    static const char *const allowed[] = {"name", NULL};
    json_t *body;
    if (ac__json_body(x, 0, &body))
        return -1;
    const char *given = NULL;
    if (ac__json_only(x, body, allowed) || text_member(x, body, "name", 320, &given)) {
        json_decref(body);
        return -1;
    }
    int err = find_account(n, given, prefix, u, key);
    json_decref(body);
    if (err && err != AC_ENOENT) {
        ac__respond_error(x, err, "account");
        return -1;
    }
    *found = !err;
    addr_key(x, akey);
    return 0;
}

/* POST /v1/session/link {"name"}: mails a one-time sign-in link to the
 * account a verified e-mail address or a user name names. Answers 202
 * whether or not it names one, so it cannot be used to probe names or
 * addresses; throttled per address like failed sign-ins, and refused while
 * the account's sign-ins are throttled (by name or address alike). */
static void on_link_request(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    char akey[96], ukey[KEY_BYTES];
    struct ac_user u;
    int found = 0;
    if (name_request(n, x, "user", &u, &found, ukey, akey))
        return;
    if (throttled(n, x, ukey, akey))
        return;
    /* Each request counts against the address, so links cannot be used to
     * flood a mailbox. */
    ac__web_throttle_fail(n->web, akey, ac_clock_now_ms());
    int err = found ? ac__web_link_send(n, &u, AC_LINK_SIGN_IN, 0, ac__issuer_of(n, NULL)) : 0;
    if (err) {
        ac__respond_error(x, err, "sign-in link");
        return;
    }
    ac__respond_owned(x, 202,
                      json_pack("{s:s}", "detail",
                                "if the address or name is known, a sign-in link is on its way"));
}

/* POST /v1/password/reset {"name"}: a person who forgot their password asks
 * for a set-password link by mail, giving a verified e-mail address or a
 * user name. Answers 202 whether or not it names an account, so neither
 * can be probed. Each request counts against the address and against the
 * account (under its own key, apart from failed sign-ins, and the same key
 * whether named by name or address), so neither one address nor many can
 * flood a mailbox; the password itself changes only when the link is used. */
static void on_password_reset(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    char akey[96], rkey[KEY_BYTES];
    struct ac_user u;
    int found = 0;
    if (name_request(n, x, "reset", &u, &found, rkey, akey))
        return;
    int64_t now = ac_clock_now_ms();
    int64_t wait = ac__web_throttle_wait(n->web, akey, now);
    int64_t wait2 = ac__web_throttle_wait(n->web, rkey, now);
    if (wait || wait2) {
        if (wait2 > wait)
            wait = wait2;
        json_t *extra =
            json_pack("{s:I}", "retry_after_seconds", (json_int_t)((wait + 999) / 1000));
        ac__problem(x, AC_PROBLEM_TOO_MANY_REQUESTS, "name", extra,
                    "too many password resets asked for %s; try again in %lld minutes",
                    wait2 ? "this account" : "from this address",
                    (long long)((wait + 59999) / 60000));
        json_decref(extra);
        return;
    }
    ac__web_throttle_fail(n->web, akey, now);
    ac__web_throttle_fail(n->web, rkey, now);
    int err = found ? ac__web_link_send(n, &u, AC_LINK_SET_PASSWORD, 0, ac__issuer_of(n, NULL)) : 0;
    if (err) {
        ac__respond_error(x, err, "password reset");
        return;
    }
    ac__respond_owned(x, 202,
                      json_pack("{s:s}", "detail",
                                "if the address or name is known, a link to choose a new "
                                "password is on its way"));
}

static int link_hash_of(struct ac_http_exchange *x, const json_t *body, struct ac_node *n,
                        uint8_t hash[AC_SESSION_HASH_BYTES])
{
    const char *token = NULL;
    if (text_member(x, body, "token", AC_WEB_TOKEN_TEXT_BYTES - 1, &token))
        return -1;
    ac__web_token_hash(n, token, hash);
    return 0;
}

static int link_refused(struct ac_http_exchange *x, int err)
{
    if (err == AC_ENOENT)
        return ac__problem(x, AC_PROBLEM_UNAUTHORIZED, "token", NULL,
                           "the link is unknown, used or older than 30 minutes; ask for a new one");
    ac__respond_error(x, err, "link");
    return -1;
}

/* POST /v1/session/redeem {"token"}: signs in with a mailed sign-in link. */
static void on_link_redeem(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    static const char *const allowed[] = {"token", NULL};
    json_t *body;
    if (ac__json_body(x, 0, &body))
        return;
    uint8_t hash[AC_SESSION_HASH_BYTES];
    int64_t uid = 0;
    struct ac_user u;
    int bad = ac__json_only(x, body, allowed) || link_hash_of(x, body, n, hash);
    json_decref(body);
    if (bad)
        return;
    int err = ac_store_link_use(n->store, AC_LINK_SIGN_IN, hash, ac_clock_now_ms(), &uid);
    if (!err)
        err = ac_store_user_get(n->store, uid, &u);
    if (!err && u.disabled_ms)
        err = AC_ENOENT;
    if (err) {
        link_refused(x, err);
        return;
    }
    sign_in(n, x, &u);
}

/* POST /v1/password {"token", "password"}: sets the password from a mailed
 * set-password link and signs in. */
static void on_password_from_link(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    static const char *const allowed[] = {"token", "password", NULL};
    json_t *body;
    if (ac__json_body(x, 0, &body))
        return;
    uint8_t hash[AC_SESSION_HASH_BYTES];
    const char *password = NULL;
    if (ac__json_only(x, body, allowed) || new_password(x, body, &password) ||
        link_hash_of(x, body, n, hash)) {
        json_decref(body);
        return;
    }
    int64_t uid = 0;
    struct ac_user u;
    /* The link is checked here and spent only after the hashing, with the
     * password (on_pw_done()): this handler answers later, and its request
     * transaction may commit after that answer or not at all (a lost race,
     * a failed COMMIT; node/http/reqtx.c), so a link spent here could be
     * answered as used and still work again. The use is tried in a
     * savepoint and taken back. */
    int err = ac_store_tx_begin(n->store);
    if (!err) {
        err = ac_store_link_use(n->store, AC_LINK_SET_PASSWORD, hash, ac_clock_now_ms(), &uid);
        if (!err)
            err = ac_store_user_get(n->store, uid, &u);
        ac_store_tx_rollback(n->store);
    }
    if (!err && u.disabled_ms)
        err = AC_ENOENT;
    struct pw_job *j = err ? NULL : calloc(1, sizeof *j);
    if (!err && !j)
        err = AC_ENOMEM;
    if (err) {
        json_decref(body);
        link_refused(x, err);
        return;
    }
    j->actor_id = u.id;
    memcpy(j->link_hash, hash, sizeof j->link_hash);
    pw_queue(n, x, PW_HASH_LINK, &u, password, j);
    json_decref(body);
}

static int admin_target(struct ac_node *n, struct ac_http_exchange *x, struct ac__auth *a,
                        struct ac_user *u)
{
    int64_t id;
    if (ac__authenticate(n, x, a) || ac__require_role(x, a, AC_ROLE_ADMIN) ||
        ac__param_id(x, "id", "user", &id))
        return -1;
    int err = ac_store_user_get(n->store, id, u);
    if (err) {
        char what[48];
        snprintf(what, sizeof what, "user %lld", (long long)id);
        ac__respond_error(x, err, what);
        return -1;
    }
    return 0;
}

/* PUT /v1/users/{id}/password {"password"} (admin): sets a password. */
static void on_password_set(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    struct ac_user u;
    if (admin_target(n, x, &a, &u))
        return;
    static const char *const allowed[] = {"password", NULL};
    json_t *body;
    if (ac__json_body(x, 0, &body))
        return;
    const char *password = NULL;
    if (ac__json_only(x, body, allowed) || new_password(x, body, &password)) {
        json_decref(body);
        return;
    }
    struct pw_job *j = calloc(1, sizeof *j);
    if (!j) {
        json_decref(body);
        ac__respond_error(x, AC_ENOMEM, "password");
        return;
    }
    j->actor_id = a.user.id;
    pw_queue(n, x, PW_HASH_ADMIN, &u, password, j);
    json_decref(body);
}

/* POST /v1/users/{id}/invite (admin): mails a set-password link. */
static void on_invite(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    struct ac_user u;
    if (admin_target(n, x, &a, &u))
        return;
    if (u.disabled_ms) {
        ac__problem(x, AC_PROBLEM_WRONG_STATE, NULL, NULL, "user %s is disabled", u.name);
        return;
    }
    int err = ac__web_link_send(n, &u, AC_LINK_SET_PASSWORD, a.user.id, ac__issuer_of(n, NULL));
    if (err) {
        ac__respond_error(x, err, "invitation");
        return;
    }
    ac__respond_owned(x, 202,
                      json_pack("{s:I, s:s}", "user_id", (json_int_t)u.id, "detail",
                                "a set-password link is on its way"));
}

void ac__api_session_register(struct ac_node *n)
{
    ac__route(n, "POST", "/v1/session", on_sign_in);
    ac__route(n, "GET", "/v1/session", on_session_get);
    ac__route(n, "DELETE", "/v1/session", on_sign_out);
    ac__route(n, "POST", "/v1/session/link", on_link_request);
    ac__route(n, "POST", "/v1/session/redeem", on_link_redeem);
    ac__route(n, "POST", "/v1/password", on_password_from_link);
    ac__route(n, "POST", "/v1/password/reset", on_password_reset);
    ac__route(n, "PUT", "/v1/users/{id}/password", on_password_set);
    ac__route(n, "POST", "/v1/users/{id}/invite", on_invite);
}
