/* session_cookie.c - who a browser request is: its session cookie, looked
 * up by keyed hash, and for writes the CSRF header bound to it. Called by
 * ac__authenticate() (node/http/auth.c) for requests without a bearer token
 * and by the session handlers (node/http/session.c). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/store/session.h"
#include "http/auth_rows.h"
#include "internal.h"
#include "web/web.h"

#define COOKIE_NAME "accord_session"
#define CSRF_HEADER "x-accord-csrf"

/* ---- the cookie and the CSRF header ---- */

/* Finds the session cookie among the request's cookie fields (HTTP/2 may
 * split cookies into several fields, RFC 9113 8.2.3). Copies its value into
 * |out|; returns 0 when found with the right length. */
static int cookie_value(const struct ac_http_req *req, char out[AC_WEB_TOKEN_TEXT_BYTES])
{
    const size_t want = AC_WEB_TOKEN_TEXT_BYTES - 1, nlen = strlen(COOKIE_NAME);
    for (size_t i = 0; i < req->nheaders; i++) {
        if (strcmp(req->headers[i].name, "cookie") != 0)
            continue;
        const char *p = req->headers[i].value;
        while (*p) {
            while (*p == ' ' || *p == ';')
                p++;
            const char *end = strchr(p, ';');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            if (len == nlen + 1 + want && strncmp(p, COOKIE_NAME "=", nlen + 1) == 0) {
                memcpy(out, p + nlen + 1, want);
                out[want] = 0;
                return 0;
            }
            p += len;
        }
    }
    return -1;
}

/* Is |origin| ("https://host:port") the origin the request was sent to? */
static int same_origin(const char *origin, const char *authority)
{
    const char *p = strncmp(origin, "https://", 8) == 0 ? origin + 8 : NULL;
    return p && authority && authority[0] && strcasecmp(p, authority) == 0;
}

static int safe_method(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 || strcmp(m, "OPTIONS") == 0;
}

/* Looks up the session of |x|'s cookie. Returns 0 and fills |a| (and the
 * cookie text), or answers 401 and returns -1. Does not check CSRF. */
int ac__session_lookup(struct ac_node *n, struct ac_http_exchange *x, struct ac__auth *a,
                       char text[AC_WEB_TOKEN_TEXT_BYTES])
{
    const struct ac_http_req *req = ac_http_exchange_req(x);
    if (cookie_value(req, text) != 0)
        return ac__problem(x, AC_PROBLEM_UNAUTHORIZED, "authorization", NULL,
                           "this endpoint needs an 'authorization: Bearer <token>' header or "
                           "a signed-in browser session");
    uint8_t hash[AC_SESSION_HASH_BYTES];
    ac__web_token_hash(n, text, hash);
    struct ac_session ses;
    memset(a, 0, sizeof *a);
    /* For a GET, read on a reader thread: the handler then runs again and
     * takes the row (http/auth_rows.h). */
    int err;
    const struct ac__auth_row *row = ac__auth_row_resumed(x, 1, hash);
    if (row) {
        ses = row->ses;
        a->user = row->user;
        err = row->err;
    } else if (ac__auth_row_later(n, x, 1, hash)) {
        return -1; /* answered (out of memory), or answered later */
    } else {
        err = ac_store_session_find(n->store, hash, &ses, &a->user);
    }
    if (err == AC_ENOENT)
        return ac__problem(x, AC_PROBLEM_UNAUTHORIZED, "authorization", NULL,
                           "the session cookie is not known to this node; sign in again");
    if (err) {
        ac__respond_error(x, err, "session lookup");
        return -1;
    }
    int64_t now = ac_clock_now_ms();
    if (ses.revoked_ms || now >= ses.expires_ms || a->user.disabled_ms)
        return ac__problem(x, AC_PROBLEM_UNAUTHORIZED, "authorization", NULL, "%s; sign in again",
                           a->user.disabled_ms ? "the user was disabled"
                           : ses.revoked_ms    ? "the session was signed out"
                                               : "the session expired");
    a->session_id = ses.id;
    a->token.user_id = a->user.id;
    snprintf(a->token.label, sizeof a->token.label, "session %lld", (long long)ses.id);
    a->token.created_ms = ses.created_ms;
    return 0;
}

int ac__session_authenticate(struct ac_node *n, struct ac_http_exchange *x, struct ac__auth *a)
{
    char text[AC_WEB_TOKEN_TEXT_BYTES];
    if (ac__session_lookup(n, x, a, text))
        return -1;
    const struct ac_http_req *req = ac_http_exchange_req(x);
    /* SameSite=Strict keeps the cookie off cross-site requests in browsers
     * that honour it; the header is the defence that does not depend on the
     * browser: another site can neither read the value nor set the header
     * without a CORS preflight this node never grants. */
    if (!safe_method(req->method)) {
        char want[44];
        ac__web_csrf_of(n, text, want);
        const char *got = ac_http_header(req, CSRF_HEADER);
        sodium_memzero(text, AC_WEB_TOKEN_TEXT_BYTES);
        if (!got || strlen(got) != strlen(want) || sodium_memcmp(got, want, strlen(want)) != 0)
            return ac__problem(x, AC_PROBLEM_FORBIDDEN, CSRF_HEADER, NULL,
                               "a %s from a browser session needs the %s header the pages send "
                               "(GET /v1/session gives its value)",
                               req->method, CSRF_HEADER);
        /* A second, independent check: a browser names the page a write
         * comes from; a page of another origin never acts with the cookie. */
        const char *origin = ac_http_header(req, "origin");
        const char *site = ac_http_header(req, "sec-fetch-site");
        if ((site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0) ||
            (origin && !same_origin(origin, req->authority)))
            return ac__problem(x, AC_PROBLEM_FORBIDDEN, "origin", NULL,
                               "a cross-site %s (origin %s) cannot act with a browser session",
                               req->method, origin ? origin : site);
    }
    sodium_memzero(text, AC_WEB_TOKEN_TEXT_BYTES);
    return 0;
}

int ac__session_open_route(const char *route)
{
    static const char *const open[] = {"/v1/session", "/v1/session/link", "/v1/session/redeem",
                                       "/v1/password", "/v1/password/reset"};
    for (size_t i = 0; route && i < sizeof open / sizeof open[0]; i++)
        if (strcmp(route, open[i]) == 0)
            return 1;
    return 0;
}
