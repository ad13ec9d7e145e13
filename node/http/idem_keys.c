/* idem_keys.c - the Idempotency-Key of a write request (see
 * idem_keys.h). */
#include "idem_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"

/* Expired keys are pruned at most this often (by the clock). */
#define PRUNE_EVERY_MS (60 * 1000)

/* 1-255 visible ASCII characters (RFC 9110 token-like, quotes allowed). */
int ac__idem_key_ok(const char *key)
{
    size_t len = strlen(key);
    if (len == 0 || len > AC__IDEM_KEY_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)key[i] < 0x21 || (unsigned char)key[i] > 0x7e)
            return 0;
    return 1;
}

/* The value of cookie |name| in |cookies|, with its length, or NULL. */
static const char *cookie(const char *cookies, const char *name, size_t *len)
{
    size_t nlen = strlen(name);
    for (const char *p = cookies; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t l = end ? (size_t)(end - p) : strlen(p);
        if (l > nlen && p[nlen] == '=' && !strncmp(p, name, nlen)) {
            *len = l - nlen - 1;
            return p + nlen + 1;
        }
        p = end;
    }
    return NULL;
}

/* Who sent the request, as far as a key's scope goes: a digest of its
 * bearer token ("b:"), else of its browser session cookie ("c:"), else
 * "-" (no credential: such a write is refused by its handler anyway). A key
 * is the sender's own: another credential's repeat of it is a new request. */
static void principal_of(const struct ac_http_req *req, char *out, size_t size)
{
    const char *v = ac_http_header(req, "authorization");
    size_t len = v ? strlen(v) : 0;
    char kind = 'b';
    if (!v) {
        const char *c = ac_http_header(req, "cookie");
        v = c ? cookie(c, "accord_session", &len) : NULL;
        kind = 'c';
    }
    if (!v) {
        snprintf(out, size, "-");
        return;
    }
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)v, len);
    out[0] = kind;
    out[1] = ':';
    sodium_bin2hex(out + 2, size - 2, h, sizeof h);
}

/* Fills |k| for |req|. Returns 0 or AC_ENOMEM. */
int ac__idem_keyed_fill(const struct ac_http_req *req, const char *key, struct ac__keyed *k)
{
    k->key = key;
    principal_of(req, k->principal, sizeof k->principal);
    size_t n = strlen(req->path) + 1 + strlen(req->query) + 1;
    k->target = malloc(n);
    if (!k->target)
        return AC_ENOMEM;
    snprintf(k->target, n, "%s%s%s", req->path, req->query[0] ? "?" : "", req->query);
    crypto_hash_sha256(k->body_hash, req->body ? req->body : (const uint8_t *)"", req->body_len);
    return 0;
}

/* Keeps |r|'s stored answer on |x| as the answer to this request, marked
 * as a replay. Returns 0 or AC_ENOMEM. */
static int replay(struct ac_http_exchange *x, const struct ac_store_idem *r)
{
    struct ac_http_header h[24];
    size_t n = 0;
    char *lines = strdup(r->headers);
    if (!lines)
        return AC_ENOMEM;
    for (char *save = NULL, *line = strtok_r(lines, "\n", &save);
         line && n < sizeof h / sizeof h[0] - 1; line = strtok_r(NULL, "\n", &save)) {
        char *colon = strstr(line, ": ");
        if (!colon)
            continue;
        *colon = '\0';
        h[n++] = (struct ac_http_header){line, colon + 2};
    }
    h[n++] = (struct ac_http_header){"idempotent-replayed", "true"};
    int err = ac_http_respond(x, r->status, h, n, r->body, r->body_len);
    free(lines);
    return err;
}


/* Looks |k| up inside the open request transaction: a live row for the
 * same request is replayed, one for another request refused (422); an
 * expired row is deleted. Expired rows are pruned now and then. */
int ac__idem_check(struct ac_node *n, struct ac_http_exchange *x, const struct ac__keyed *k,
                   int64_t *pruned_ms, enum ac__idem_state *state)
{
    int64_t now = ac_clock_now_ms();
    int64_t ttl = (int64_t)n->cfg->idempotency_key_hours * 3600 * 1000;
    *state = AC__IDEM_NEW;
    if (now - *pruned_ms >= PRUNE_EVERY_MS || now < *pruned_ms) {
        int64_t removed = 0;
        int err = ac_store_idem_prune(n->store, now - ttl, &removed);
        if (err)
            return err;
        if (removed)
            ac_log_debug("api", "idempotency keys: %lld expired pruned", (long long)removed);
        *pruned_ms = now;
    }
    struct ac_store_idem r;
    int err = ac_store_idem_get(n->store, k->principal, k->key, &r);
    if (err == AC_ENOENT)
        return 0;
    if (err)
        return err;
    const struct ac_http_req *req = ac_http_exchange_req(x);
    if (r.created_ms < now - ttl) {
        err = ac_store_idem_delete(n->store, k->principal, k->key);
    } else if (strcmp(r.method, req->method) || strcmp(r.path, k->target) ||
               sodium_memcmp(r.body_hash, k->body_hash, sizeof r.body_hash)) {
        *state = AC__IDEM_ANSWER;
        ac__problem(x, AC_PROBLEM_IDEMPOTENCY_KEY_REUSED, "Idempotency-Key", NULL,
                    "Idempotency-Key \"%s\" names an earlier request (%s %s) that differs from "
                    "this one in method, path or body; a key names one request: send a new key "
                    "for a new request",
                    k->key, r.method, r.path);
    } else {
        /* The row may be one whose COMMIT no standby confirmed: written
         * again here, the request's own COMMIT confirms it before the
         * replay goes out (or goes unconfirmed, and the answer is 503). */
        *state = AC__IDEM_ANSWER;
        err = ac_store_idem_confirm(n->store, k->principal, k->key);
        if (!err)
            err = replay(x, &r);
    }
    ac_store_idem_release(&r);
    return err;
}

/* Stores the kept answer |a| under |k| inside the request transaction. */
int ac__idem_store(struct ac_node *n, struct ac_http_exchange *x, const struct ac__keyed *k,
                     const struct ac_http_kept *a)
{
    size_t size = 1;
    for (size_t i = 0; i < a->nheaders; i++)
        size += strlen(a->headers[i].name) + 2 + strlen(a->headers[i].value) + 1;
    char *lines = malloc(size), *p = lines;
    if (!lines)
        return AC_ENOMEM;
    *p = '\0';
    for (size_t i = 0; i < a->nheaders; i++)
        p += sprintf(p, "%s: %s\n", a->headers[i].name, a->headers[i].value);
    struct ac_store_idem r = {
        .method = (char *)ac_http_exchange_req(x)->method,
        .path = k->target,
        .status = a->status,
        .headers = lines,
        .body = (uint8_t *)a->body,
        .body_len = a->len,
        .created_ms = ac_clock_now_ms(),
    };
    memcpy(r.body_hash, k->body_hash, sizeof r.body_hash);
    int err = ac_store_idem_put(n->store, k->principal, k->key, &r);
    free(lines);
    return err;
}

/* After an unknown COMMIT outcome: is the key's answer stored now? 1 yes
 * (the run committed, and durably), 0 no (it did not), or a negative error
 * (the database cannot say yet). The look-up runs outside any transaction,
 * so the store connects again first (to the new primary after a
 * failover). A row found is committed where it was read; what waited on
 * the commit runs then. Before it is acknowledged it is written again in
 * a transaction of its own, whose COMMIT returns only once the database
 * made it durable (PostgreSQL: a synchronous standby confirmed it): a
 * COMMIT that went unconfirmed because no standby answered is found on the
 * primary, but may be lost in a failover, and stays unknown. */
int ac__idem_committed(struct ac_node *n, const struct ac__keyed *k)
{
    struct ac_store_idem r;
    int err = ac_store_idem_get(n->store, k->principal, k->key, &r);
    if (err == AC_ENOENT) {
        ac_store_tx_resolve(n->store, 0);
        return 0;
    }
    if (err)
        return err;
    ac_store_idem_release(&r);
    ac_store_tx_resolve(n->store, 1);
    err = ac_store_idem_confirm(n->store, k->principal, k->key);
    return err ? err : 1;
}

