/* auth.c - who made a request: the bearer token of its authorization header
 * (stored as a keyed hash, node/accounts/tokens.c) and the roles it needs.
 *
 * A token the cache does not hold is read from the store. For a read (GET,
 * HEAD) handler on the loop that read goes to a reader thread
 * (node/readers.h): ac__authenticate() queues it and returns -1 as if it had
 * answered; when the row is back the loop routes the request again, to the
 * same handler, whose ac__authenticate() then takes the row read for it
 * (issue 15: on PostgreSQL the read is a round trip the loop would have
 * waited for; http/auth_rows.h). Handlers call ac__authenticate() first,
 * before anything with an effect, so running one again from its start is
 * safe. The headers check of a request with a body (early_auth.c) has its
 * row read on a reader thread as well, and answers later
 * (ac__auth_rows_early()). Writes run their handlers on a fiber
 * (node/http/reqtx.c), where the store read yields: they read the row in
 * place, and a row read on a fiber is not cached (it may come from the
 * request group's older snapshot). */
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/fiber.h"
#include "accord/base/log.h"
#include "accord/store/user.h"
#include "accounts/accounts.h"
#include "accounts/token_cache.h"
#include "http/auth_rows.h"
#include "internal.h"
#include "web/web.h"

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
    const struct ac__auth_row *row = ac__auth_row_resumed(x, 0, hash);
    if (row) {
        a->token = row->token;
        a->user = row->user;
        /* Cached only when nothing was dropped from the cache since the
         * read was asked for: a revocation committed meanwhile may not be
         * in what the thread saw (this request came before it and may pass;
         * later ones must not). */
        return judge(n, x, hash, row->err, a, row->epoch == ac__token_cache_epoch(n->token_cache));
    }
    /* A token seen lately costs no store read (accounts/token_cache.h says
     * when entries are dropped); only usable tokens are ever cached. */
    if (ac__token_cache_get(n->token_cache, hash, &a->token, &a->user) == 0)
        return 0;
    if (ac__auth_row_later(n, x, 0, hash))
        return -1; /* answered (out of memory), or answered later */
    /* Read in place. Cached only when read on the loop itself, where
     * nothing can run meanwhile and the read sees every commit, and when
     * nothing was dropped during it. Not on a fiber (a write's handler): the
     * read yields to the loop (PostgreSQL) and runs inside the request
     * group's transaction, whose snapshot may predate another process's
     * revocation that the generation check has already seen and dropped. */
    uint64_t epoch = ac__token_cache_epoch(n->token_cache);
    int on_fiber = ac_fiber_on();
    int err = ac_store_token_find(n->store, hash, &a->token, &a->user);
    return judge(n, x, hash, err, a, !on_fiber && epoch == ac__token_cache_epoch(n->token_cache));
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
