/* signin.c - the services behind web sign-in: the throttle on failed
 * attempts, starting a browser session, and making and mailing one-time
 * links (sign-in, set-password and password reset). Each state change is one transaction
 * with its audit row; handlers in node/http/session.c call these. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/store/notify.h"
#include "audit.h"
#include "internal.h"
#include "review/review.h"
#include "web/web.h"

/* ---- throttle ---- */

static struct ac__web_throttle *slot_of(struct ac__web *w, const char *key, int create,
                                        int64_t now_ms)
{
    struct ac__web_throttle *oldest = &w->slots[0];
    for (size_t i = 0; i < AC_WEB_THROTTLE_SLOTS; i++) {
        struct ac__web_throttle *s = &w->slots[i];
        if (s->key[0] && strcmp(s->key, key) == 0)
            return s;
        if (s->window_start_ms < oldest->window_start_ms)
            oldest = s;
    }
    if (!create)
        return NULL;
    snprintf(oldest->key, sizeof oldest->key, "%s", key);
    oldest->window_start_ms = now_ms;
    oldest->failures = 0;
    return oldest;
}

static int limit_of(const char *key)
{
    return strncmp(key, "addr:", 5) == 0 ? AC_WEB_FAILS_PER_ADDRESS : AC_WEB_FAILS_PER_ACCOUNT;
}

int64_t ac__web_throttle_wait(struct ac__web *w, const char *key, int64_t now_ms)
{
    struct ac__web_throttle *s = slot_of(w, key, 0, now_ms);
    if (!s || s->failures < limit_of(key))
        return 0;
    int64_t until = s->window_start_ms + AC_WEB_FAIL_WINDOW_MS;
    return until > now_ms ? until - now_ms : 0;
}

void ac__web_throttle_fail(struct ac__web *w, const char *key, int64_t now_ms)
{
    struct ac__web_throttle *s = slot_of(w, key, 1, now_ms);
    if (now_ms - s->window_start_ms >= AC_WEB_FAIL_WINDOW_MS) {
        s->window_start_ms = now_ms;
        s->failures = 0;
    }
    s->failures++;
}

void ac__web_throttle_clear(struct ac__web *w, const char *key)
{
    struct ac__web_throttle *s = slot_of(w, key, 0, 0);
    if (s)
        memset(s, 0, sizeof *s);
}

/* ---- tokens ---- */

void ac__web_token_hash(const struct ac_node *n, const char *text,
                        uint8_t hash[AC_SESSION_HASH_BYTES])
{
    crypto_generichash_state st;
    /* A label keeps these hashes apart from bearer-token hashes under the
     * same node secret. */
    crypto_generichash_init(&st, n->secret, AC_NODE_SECRET_BYTES, AC_SESSION_HASH_BYTES);
    crypto_generichash_update(&st, (const uint8_t *)"accord web token\n", 17);
    crypto_generichash_update(&st, (const uint8_t *)text, strlen(text));
    crypto_generichash_final(&st, hash, AC_SESSION_HASH_BYTES);
}

void ac__web_csrf_of(const struct ac_node *n, const char *text, char out[44])
{
    uint8_t h[32];
    crypto_generichash_state st;
    crypto_generichash_init(&st, n->secret, AC_NODE_SECRET_BYTES, sizeof h);
    crypto_generichash_update(&st, (const uint8_t *)"accord csrf\n", 12);
    crypto_generichash_update(&st, (const uint8_t *)text, strlen(text));
    crypto_generichash_final(&st, h, sizeof h);
    sodium_bin2base64(out, 44, h, sizeof h, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void new_token(const char *prefix, char text[AC_WEB_TOKEN_TEXT_BYTES])
{
    uint8_t raw[32];
    randombytes_buf(raw, sizeof raw);
    memcpy(text, prefix, 4);
    sodium_bin2base64(text + 4, AC_WEB_TOKEN_TEXT_BYTES - 4, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

/* ---- services ---- */

int ac__web_session_start(struct ac_node *n, int64_t user_id, struct ac_session *ses,
                          char text[AC_WEB_TOKEN_TEXT_BYTES])
{
    new_token("acs_", text);
    uint8_t hash[AC_SESSION_HASH_BYTES];
    ac__web_token_hash(n, text, hash);
    int64_t now = ac_clock_now_ms();
    int err = ac_store_tx_begin(n->store);
    if (err)
        return err;
    err = ac_store_session_create(n->store, user_id, hash, now, now + AC_WEB_SESSION_MS, ses);
    if (!err)
        err = ac_audit_id(n, "user", user_id, user_id, "session.start", NULL);
    if (!err)
        err = ac_store_tx_commit(n->store);
    else
        ac_store_tx_rollback(n->store);
    if (err)
        sodium_memzero(text, AC_WEB_TOKEN_TEXT_BYTES);
    return err;
}

int ac__web_link_send(struct ac_node *n, const struct ac_user *u, enum ac_link_purpose purpose,
                      int64_t actor_id, const char *base_url)
{
    char text[AC_WEB_TOKEN_TEXT_BYTES];
    new_token("acl_", text);
    uint8_t hash[AC_SESSION_HASH_BYTES];
    ac__web_token_hash(n, text, hash);
    int64_t now = ac_clock_now_ms();
    char body[1024];
    const char *page = purpose == AC_LINK_SIGN_IN ? "link.html" : "password.html";
    /* The token travels in the fragment: it never reaches a server log or a
     * Referer header; the page reads it and posts it. */
    int reset = purpose == AC_LINK_SET_PASSWORD && !actor_id;
    snprintf(body, sizeof body,
             purpose == AC_LINK_SIGN_IN
                 ? "Someone (we hope you) asked to sign in to Accord at %s as %s.\n\n"
                   "Open this link within 30 minutes to sign in; it works once:\n\n"
                   "%s/%s#%s\n\n"
                   "If you did not ask, ignore this message.\n"
             : reset ? "Someone (we hope you) asked to reset the Accord password at %s of %s.\n\n"
                       "Open this link within 30 minutes to choose a new password; it works "
                       "once:\n\n"
                       "%s/%s#%s\n\n"
                       "If you did not ask, ignore this message: your password is unchanged.\n"
                     : "An administrator of Accord at %s invited you as %s.\n\n"
                       "Open this link within 30 minutes to choose your password; it works "
                       "once:\n\n"
                       "%s/%s#%s\n",
             base_url, u->name, base_url, page, text);
    sodium_memzero(text, sizeof text);
    const char *subject = purpose == AC_LINK_SIGN_IN ? "Your Accord sign-in link"
                          : reset                    ? "Reset your Accord password"
                                                     : "Choose your Accord password";
    int err = ac_store_tx_begin(n->store);
    if (err) {
        sodium_memzero(body, sizeof body);
        return err;
    }
    err = ac_store_link_create(n->store, u->id, purpose, hash, now, now + AC_WEB_LINK_MS);
    if (!err)
        err = ac_store_notify_add(n->store, u->id,
                                  purpose == AC_LINK_SIGN_IN ? "sign-in" : "set-password", 0,
                                  subject, body, now, NULL);
    json_t *detail = json_pack("{s:s}", "purpose",
                               purpose == AC_LINK_SIGN_IN ? "sign-in"
                               : reset                    ? "reset-password"
                                                          : "set-password");
    if (!err)
        err = detail
                  ? ac_audit_id(n, "user", u->id, actor_id ? actor_id : u->id, "link.send", detail)
                  : AC_ENOMEM;
    json_decref(detail);
    if (!err)
        err = ac_store_tx_commit(n->store);
    else
        ac_store_tx_rollback(n->store);
    sodium_memzero(body, sizeof body);
    if (!err)
        ac__notify_pump(n);
    return err;
}
