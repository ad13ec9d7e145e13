/* auth.c - bearer tokens: issuing them (random, shown once, stored as a hash
 * keyed with the node secret) and checking the token and roles of a request. */
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "internal.h"
#include "web/web.h"

#define TOKEN_RANDOM_BYTES 32

/* A keyed BLAKE2b hash: a stolen database alone cannot confirm a guessed token. */
static void token_hash(const struct ac_node *n, const char *text, size_t len,
                       uint8_t hash[AC_TOKEN_HASH_BYTES])
{
    crypto_generichash(hash, AC_TOKEN_HASH_BYTES, (const uint8_t *)text, len, n->secret,
                       AC_NODE_SECRET_BYTES);
}

int ac__token_issue(struct ac_node *n, int64_t user_id, const char *label, struct ac_token *tok,
                    char text[AC_TOKEN_TEXT_BYTES])
{
    uint8_t raw[TOKEN_RANDOM_BYTES];
    randombytes_buf(raw, sizeof raw);
    memcpy(text, AC_TOKEN_PREFIX, strlen(AC_TOKEN_PREFIX));
    char *b64 = text + strlen(AC_TOKEN_PREFIX);
    sodium_bin2base64(b64, AC_TOKEN_TEXT_BYTES - strlen(AC_TOKEN_PREFIX), raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    uint8_t hash[AC_TOKEN_HASH_BYTES];
    token_hash(n, text, strlen(text), hash);
    int err = ac_store_token_create(n->store, user_id, label, hash, ac_clock_now_ms(), tok);
    if (err)
        sodium_memzero(text, AC_TOKEN_TEXT_BYTES);
    return err;
}

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
    token_hash(n, text, len, hash);
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

/* Writes the names of the roles in |roles| as "a, b or c". */
static void role_list(unsigned roles, char *out, size_t size)
{
    out[0] = 0;
    size_t total = (size_t)__builtin_popcount(roles), k = 0;
    for (unsigned bit = 1; bit & AC_ROLE_ALL; bit <<= 1) {
        if (!(roles & bit))
            continue;
        const char *sep = k == 0 ? "" : k + 1 == total ? " or " : ", ";
        size_t used = strlen(out);
        snprintf(out + used, size - used, "%s%s", sep, ac_role_name(bit));
        k++;
    }
    if (!out[0])
        snprintf(out, size, "none");
}

int ac__require_role(struct ac_http_exchange *x, const struct ac__auth *a, unsigned roles)
{
    if (a->user.roles & roles)
        return 0;
    char need[96], have[96];
    role_list(roles, need, sizeof need);
    role_list(a->user.roles, have, sizeof have);
    ac__problem(x, AC_PROBLEM_FORBIDDEN, NULL, NULL, "this needs the %s role; user %s has %s", need,
                a->user.name, have);
    return -1;
}
