/* web.h - what the node keeps for people using it from a browser: the static
 * pages it serves (node/http/web.c), the sign-in throttle and the session
 * and one-time-link services (node/web/signin.c). The cookie and CSRF rules
 * live in node/http/session.c. docs/web.md describes the whole. */
#ifndef AC_NODE_WEB_H
#define AC_NODE_WEB_H

#include <stddef.h>
#include <stdint.h>

#include "accord/store/session.h"

struct ac_node;
struct ac_http_exchange;
struct ac__auth;
struct ac_reason;

/* Browser sessions last this long from sign-in; a new sign-in rotates the
 * cookie (a new random token, the old session untouched unless signed out). */
#define AC_WEB_SESSION_MS (8LL * 3600 * 1000)
/* Mailed links work once, within this long. */
#define AC_WEB_LINK_MS (30LL * 60 * 1000)
/* Failed sign-ins allowed per account and per address within the window. */
#define AC_WEB_FAILS_PER_ACCOUNT 5
#define AC_WEB_FAILS_PER_ADDRESS 20
#define AC_WEB_FAIL_WINDOW_MS (15LL * 60 * 1000)
/* Passwords people choose: bytes of UTF-8. */
#define AC_WEB_PASSWORD_MIN 10
#define AC_WEB_PASSWORD_MAX 256

/* The cookie's random token: "acs_" and 43 characters of base64url + NUL. */
#define AC_WEB_TOKEN_TEXT_BYTES 48

/* One static file loaded at start. */
struct ac__web_file {
    char *name;       /* owned: "index.html" */
    const char *type; /* static: the content type */
    uint8_t *body;    /* owned */
    size_t len;
    char etag[24]; /* "\"<16 hex of BLAKE2b>\"" */
};

/* The throttle's memory: failures per key (an account or an address) in the
 * current window. A fixed table, so a flood of addresses cannot grow memory:
 * the oldest entry is reused. */
#define AC_WEB_THROTTLE_SLOTS 512
struct ac__web_throttle {
    char key[96];
    int64_t window_start_ms;
    int failures;
};

struct ac__web {
    char *root; /* owned: the folder the files came from */
    struct ac__web_file *files;
    size_t nfiles;
    struct ac__web_throttle slots[AC_WEB_THROTTLE_SLOTS];
};

/* Loads the static files of the web root (cfg->web_root, else the install or
 * build tree's web/) into |n|->web and registers the routes "/" and
 * "/{file}". A missing folder is logged and the node serves no pages.
 * Aborts when out of memory, like route registration. */
void ac__web_register(struct ac_node *n);

/* Frees |w|; NULL is a no-op. */
void ac__web_free(struct ac__web *w);

/* Registers GET /v1/credentials/{id}/qr.png (node/http/web_qr.c). */
void ac__web_qr_register(struct ac_node *n);

/* ---- sessions over HTTP (node/http/session.c) ---- */

/* Registers /v1/session, /v1/session/link, /v1/session/redeem, /v1/password,
 * /v1/password/reset, PUT /v1/users/{id}/password and
 * POST /v1/users/{id}/invite. */
void ac__api_session_register(struct ac_node *n);

/* Authenticates |x| by its session cookie (for a request with no
 * authorization header); a method other than GET, HEAD or OPTIONS also needs
 * the CSRF header. Returns 0 and fills |*a|, or answers 401/403 and returns -1. */
int ac__session_authenticate(struct ac_node *n, struct ac_http_exchange *x, struct ac__auth *a);

/* Looks up the session of |x|'s cookie (node/http/session_cookie.c), CSRF
 * not checked. Returns 0 and fills |*a| and the cookie |text|, or answers
 * 401 and returns -1. */
int ac__session_lookup(struct ac_node *n, struct ac_http_exchange *x, struct ac__auth *a,
                       char text[AC_WEB_TOKEN_TEXT_BYTES]);

/* Returns 1 when |route| (a route pattern; may be NULL) is one of the
 * sign-in routes that take a body without a credential (POST /v1/session,
 * /v1/session/link, /v1/session/redeem, /v1/password, /v1/password/reset),
 * else 0. The early
 * token check (node/http/early_auth.c) lets them through. */
int ac__session_open_route(const char *route);

/* ---- the sign-in throttle (node/web/signin.c) ---- */

/* Returns the milliseconds until |key| may try again (0: now). */
int64_t ac__web_throttle_wait(struct ac__web *w, const char *key, int64_t now_ms);

/* Counts a failed attempt for |key| at |now_ms|. */
void ac__web_throttle_fail(struct ac__web *w, const char *key, int64_t now_ms);

/* Forgets |key|'s failures (a successful sign-in). */
void ac__web_throttle_clear(struct ac__web *w, const char *key);

/* ---- sessions and links (node/web/signin.c) ---- */

/* Writes the keyed hash of a cookie or link token |text| into |hash|. */
void ac__web_token_hash(const struct ac_node *n, const char *text,
                        uint8_t hash[AC_SESSION_HASH_BYTES]);

/* Writes the CSRF value bound to session token |text| (a keyed hash under a
 * different label, base64url, 43 characters + NUL) into |out|. */
void ac__web_csrf_of(const struct ac_node *n, const char *text, char out[44]);

/* Starts a session for |user_id|: a new random token in |text| (the cookie
 * value), its hash stored with an expiry AC_WEB_SESSION_MS from now, and an
 * audit entry. Fills |*ses|. Returns 0 or a store error. */
int ac__web_session_start(struct ac_node *n, int64_t user_id, struct ac_session *ses,
                          char text[AC_WEB_TOKEN_TEXT_BYTES]);

/* Makes a one-time link of |purpose| for user |u| and queues the mail
 * carrying it (the node's notification outbox), in one transaction with an
 * audit entry naming |actor_id| (0: the person themselves). A set-password
 * link the person asked for themselves (actor 0) is worded as a password
 * reset, one an admin sent as an invitation. |base_url| is the origin the
 * link points at. Returns 0 or a store error. */
int ac__web_link_send(struct ac_node *n, const struct ac_user *u, enum ac_link_purpose purpose,
                      int64_t actor_id, const char *base_url);

#endif
