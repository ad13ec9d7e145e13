/* auth.c - who made a request: the bearer token of its authorization header
 * (stored as a keyed hash, node/accounts/tokens.c) and the roles it needs.
 *
 * A token the cache does not hold is read from the store. For a read (GET,
 * HEAD) handler on the loop that read goes to a reader thread
 * (node/readers.h): ac__authenticate() queues it and returns -1 as if it had
 * answered; when the row is back the loop routes the request again, to the
 * same handler, whose ac__authenticate() then takes the row read for it
 * (issue 15: on PostgreSQL the read is a round trip the loop would have
 * waited for). A browser session's row is read the same way
 * (ac__session_row(), for session_cookie.c). Handlers call ac__authenticate() first, before anything with
 * an effect, so running one again from its start is safe. Writes run their
 * handlers on a fiber (node/http/reqtx.c), where the store read yields, and
 * the headers check of a request with a body (early_auth.c) must answer at
 * once: both still read the row in place. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/fiber.h"
#include "accord/base/log.h"
#include "accord/store/session.h"
#include "accord/store/user.h"
#include "accounts/accounts.h"
#include "accounts/token_cache.h"
#include "internal.h"
#include "readers.h"
#include "web/web.h"

/* A token's row, or a browser session's (|session|), read on a reader
 * thread for request |x|. */
struct token_read {
    struct ac__read_job job; /* first */
    struct ac_node *n;
    struct ac_http_exchange *x;
    ac_http_handler_cb cb; /* the route's handler, run again with the row */
    void *arg;
    int session;
    uint8_t hash[AC_TOKEN_HASH_BYTES];
    uint8_t session_hash[AC_SESSION_HASH_BYTES];
    uint64_t epoch; /* the token cache's when the read was asked for */
    /* Filled on the thread. */
    int err;
    struct ac_token token;
    struct ac_session ses;
    struct ac_user user;
};

/* The row read for the request whose handler runs again now (the loop's
 * alone; NULL otherwise): its ac__authenticate() takes it instead of the
 * cache or the store. */
static struct token_read *resumed;

static int unauthorized(struct ac_http_exchange *x, const char *detail)
{
    ac__problem(x, AC_PROBLEM_UNAUTHORIZED, "authorization", NULL, "%s", detail);
    return -1;
}

/* The answer to a token row read from the store (|err| 0 or the lookup's
 * code): refused (answered; -1) or accepted (0; cached when |cache|). */
static int judge(struct ac_node *n, struct ac_http_exchange *x, const uint8_t *hash, int err,
                 struct ac__auth *a, int cache)
{
    if (err == AC_ENOENT)
        return unauthorized(x, "the bearer token is not known to this node");
    if (err) {
        ac__respond_error(x, err, "token lookup");
        return -1;
    }
    char when[21];
    if (a->user.disabled_ms) {
        ac__problem(x, AC_PROBLEM_UNAUTHORIZED, "authorization", NULL, "user %s was disabled at %s",
                    a->user.name, ac_clock_format(a->user.disabled_ms, when));
        return -1;
    }
    if (a->token.revoked_ms) {
        ac__problem(x, AC_PROBLEM_UNAUTHORIZED, "authorization", NULL,
                    "token %lld was revoked at %s", (long long)a->token.id,
                    ac_clock_format(a->token.revoked_ms, when));
        return -1;
    }
    if (cache)
        ac__token_cache_put(n->token_cache, hash, &a->token, &a->user);
    return 0;
}

/* Reader thread: touches only |t| and |st|. */
static void token_work(struct ac__read_job *job, struct ac_store *st)
{
    struct token_read *t = (struct token_read *)job;
    t->err = t->session ? ac_store_session_find(st, t->session_hash, &t->ses, &t->user)
                        : ac_store_token_find(st, t->hash, &t->token, &t->user);
}

static void token_done(struct ac__read_job *job, int status)
{
    struct token_read *t = (struct token_read *)job;
    if (status) {
        /* The pool stopped first: the node is going away. */
        ac__respond_error(t->x, AC_EIO, "token lookup");
        free(t);
        return;
    }
    resumed = t;
    t->cb(t->x, t->arg);
    resumed = NULL;
    free(t);
}

/* Queues the read of the row of token |hash| (or of session |session_hash|
 * when not NULL) for |x| on a reader thread and returns 1, when |x| is a read
 * whose handler runs on the loop and can be found again; else returns 0 (the
 * caller reads in place). Answers 500 and returns -1 when out of memory. */
static int read_off_loop(struct ac_node *n, struct ac_http_exchange *x, const uint8_t *hash,
                         const uint8_t *session_hash)
{
    const struct ac_http_req *req = ac_http_exchange_req(x);
    if (!n->readers || ac_fiber_on() || ac__is_write_method(req->method))
        return 0;
    /* The handler that asked, found as the server found it (the router does
     * not change while the node runs). */
    struct ac_route_match m;
    if (ac_router_match(n->router, req->method, req->path, &m, NULL, 0) != 0)
        return 0;
    ac_http_handler_cb cb = m.cb;
    void *arg = m.arg;
    int stream = m.stream_body;
    ac_route_match_release(&m);
    if (stream)
        return 0;
    struct token_read *t = calloc(1, sizeof *t);
    if (!t) {
        ac__respond_error(x, AC_ENOMEM, "token lookup");
        return -1;
    }
    t->job.work = token_work;
    t->job.done = token_done;
    t->n = n;
    t->x = x;
    t->cb = cb;
    t->arg = arg;
    if (session_hash) {
        t->session = 1;
        memcpy(t->session_hash, session_hash, sizeof t->session_hash);
    } else {
        memcpy(t->hash, hash, sizeof t->hash);
    }
    t->epoch = ac__token_cache_epoch(n->token_cache);
    ac__read_submit(n, &t->job);
    return 1;
}

int ac__authenticate(struct ac_node *n, struct ac_http_exchange *x, struct ac__auth *a)
{
    const char *h = ac_http_header(ac_http_exchange_req(x), "authorization");
    a->session_id = 0;
    if (!h) /* a browser: its session cookie and CSRF header (node/http/session.c) */
        return ac__session_authenticate(n, x, a);
    if (strncasecmp(h, "Bearer ", 7) != 0)
        return unauthorized(x, "the authorization header must be 'Bearer <token>'");
    const char *text = h + 7;
    while (*text == ' ')
        text++;
    size_t len = strlen(text);
    if (len != AC_TOKEN_TEXT_BYTES - 1 || strncmp(text, AC_TOKEN_PREFIX, 4) != 0)
        return unauthorized(x, "the bearer token is not an Accord token (acc_ and 43 characters)");
    uint8_t hash[AC_TOKEN_HASH_BYTES];
    ac__token_hash(n, text, len, hash);
    /* The handler runs again with the row a reader thread read for it. */
    if (resumed && resumed->x == x && !resumed->session &&
        sodium_memcmp(resumed->hash, hash, sizeof hash) == 0) {
        /* Kept until the handler returns: a second call in it gets the
         * same row instead of queueing the handler once more. */
        const struct token_read *t = resumed;
        a->token = t->token;
        a->user = t->user;
        /* Cached only when nothing was dropped from the cache since the
         * read was asked for: a revocation committed meanwhile may not be
         * in what the thread saw (this request came before it and may pass;
         * later ones must not). */
        return judge(n, x, hash, t->err, a,
                     t->epoch == ac__token_cache_epoch(n->token_cache));
    }
    /* A token seen lately costs no store read (accounts/token_cache.h says
     * when entries are dropped); only usable tokens are ever cached. */
    if (ac__token_cache_get(n->token_cache, hash, &a->token, &a->user) == 0)
        return 0;
    int off = read_off_loop(n, x, hash, NULL);
    if (off)
        return -1; /* answered (out of memory), or answered later */
    int err = ac_store_token_find(n->store, hash, &a->token, &a->user);
    return judge(n, x, hash, err, a, 1);
}

int ac__session_row(struct ac_node *n, struct ac_http_exchange *x,
                    const uint8_t hash[AC_SESSION_HASH_BYTES], struct ac_session *ses,
                    struct ac_user *user, int *later)
{
    *later = 0;
    if (resumed && resumed->x == x && resumed->session &&
        sodium_memcmp(resumed->session_hash, hash, AC_SESSION_HASH_BYTES) == 0) {
        *ses = resumed->ses;
        *user = resumed->user;
        return resumed->err;
    }
    int off = read_off_loop(n, x, NULL, hash);
    if (off) {
        *later = 1;
        return 0; /* answered (out of memory), or answered later */
    }
    return ac_store_session_find(n->store, hash, ses, user);
}

int ac__require_role(struct ac_http_exchange *x, const struct ac__auth *a, unsigned roles)
{
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__need_role(&a->user, roles, &why);
    if (!err)
        return 0;
    ac__respond_failure(x, err, &why, "role");
    ac_reason_release(&why);
    return -1;
}
