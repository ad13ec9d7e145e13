/* auth.c - who made a request: the bearer token of its authorization header
 * (stored as a keyed hash, node/accounts/tokens.c) and the roles it needs. */
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/store/user.h"
#include "accounts/accounts.h"
#include "internal.h"
#include "web/web.h"

static int unauthorized(struct ac_http_exchange *x, const char *detail)
{
    ac__problem(x, AC_PROBLEM_UNAUTHORIZED, "authorization", NULL, "%s", detail);
    return -1;
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
    int err = ac_store_token_find(n->store, hash, &a->token, &a->user);
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
    return 0;
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
