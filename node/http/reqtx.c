/* reqtx.c - request transactions: every write route (POST, PUT, PATCH,
 * DELETE registered through ac__route()) runs its handler inside ONE store
 * transaction opened here, so the services' own begins and commits become
 * savepoints of it and the request commits whole or not at all. The
 * handler's answer is kept back (http.h, ac_http_keep_begin()) until the
 * commit: when the transaction lost a race (AC_EAGAIN, also one a service
 * turned into an error of its own) it is rolled back, the kept answer thrown
 * away and the handler run again, a bounded number of times with a jittered
 * back-off; nothing has been sent, and the after-commit hooks of the losing
 * runs were dropped with them (store.h).
 *
 * An Idempotency-Key on the request (docs/api.md) is looked up inside the
 * same transaction and the answer stored with the write, so a repeat gets
 * the stored answer and an unknown COMMIT outcome (the connection to
 * PostgreSQL lost during COMMIT) is settled by looking the key up again on
 * a new connection: found, the write committed; not found, it did not and
 * runs again. Without a key an unknown outcome is answered 503
 * outcome-unknown.
 *
 * Outside: a handler that does not answer within its call (it handed the
 * exchange to a reader thread, a password-hashing worker or a peer's
 * answer) has its synchronous writes committed here, but cannot be run
 * again, and a key is not stored for it; streamed uploads
 * (ac_router_add_stream(), POST /v1/artifacts) never come here, nor the
 * few routes of |outside| below. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/store/idempotency.h"
#include "internal.h"

/* How many times a request that keeps losing races runs: as
 * ac_store_tx_run(), one more for the run after an unknown outcome. */
#define REQUEST_RUNS (AC_STORE_TX_ATTEMPTS + 1)

#define KEY_MAX 255

/* Expired keys are pruned at most this often (by the clock). */
#define PRUNE_EVERY_MS (60 * 1000)

struct write_route {
    struct ac_node *n;
    ac_http_handler_cb cb;
    struct write_route *next;
};

struct ac__reqtx {
    struct write_route *routes; /* owned */
    int64_t pruned_ms;          /* when expired keys were last pruned */
};

/* What a keyed request is, to store and to compare with a repeat. */
struct keyed {
    const char *key;
    char principal[2 + 2 * crypto_hash_sha256_BYTES + 1];
    char *target; /* owned: path, and "?query" when there is one */
    uint8_t body_hash[AC_IDEM_HASH_BYTES];
};

int ac__is_write_method(const char *method)
{
    return !strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "PATCH") ||
           !strcmp(method, "DELETE");
}

/* Write routes that stay outside request transactions, and why. */
static const struct {
    const char *method, *pattern;
} outside[] = {
    /* The keyring is files, rotated before the rotation's rows are written:
     * a re-run would rotate twice, and a request rolled back could not
     * take the rotation back. Its service commits its own transaction
     * and publishes the re-signed checkpoint after that commit. */
    {"POST", "/v1/keys/rotate"},
};

void ac__route_write(struct ac_node *n, const char *method, const char *pattern,
                     ac_http_handler_cb cb)
{
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
        if (!strcmp(method, outside[i].method) && !strcmp(pattern, outside[i].pattern)) {
            if (ac_router_add(n->router, method, pattern, cb, n) != 0)
                AC_BUG("route registration failed");
            return;
        }
    }
    if (!n->reqtx) {
        n->reqtx = calloc(1, sizeof *n->reqtx);
        if (!n->reqtx)
            AC_BUG("route registration failed: out of memory");
    }
    struct write_route *w = calloc(1, sizeof *w);
    if (!w)
        AC_BUG("route registration failed: out of memory");
    w->n = n;
    w->cb = cb;
    w->next = n->reqtx->routes;
    n->reqtx->routes = w;
    if (ac_router_add(n->router, method, pattern, ac__request_tx, w) != 0)
        AC_BUG("route registration failed");
}

void ac__reqtx_free(struct ac_node *n)
{
    if (!n->reqtx)
        return;
    while (n->reqtx->routes) {
        struct write_route *w = n->reqtx->routes;
        n->reqtx->routes = w->next;
        free(w);
    }
    free(n->reqtx);
    n->reqtx = NULL;
}

/* A jittered pause before run |run| + 1, as ac_store_tx_run() makes: a
 * random wait in [base/2, base) with base doubling from 1 ms, at most 8 ms,
 * so two requests that lost to each other do not collide again in step. */
static void back_off(int run)
{
    long base_ns = 1000000L << (run - 1 < 3 ? run - 1 : 3);
    long ns = base_ns / 2 + (long)randombytes_uniform((uint32_t)(base_ns / 2));
    nanosleep(&(struct timespec){0, ns}, NULL);
}

/* 1-255 visible ASCII characters (RFC 9110 token-like, quotes allowed). */
static int key_ok(const char *key)
{
    size_t len = strlen(key);
    if (len == 0 || len > KEY_MAX)
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
static int keyed_fill(const struct ac_http_req *req, const char *key, struct keyed *k)
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

/* What the stored row for |k| says about this run. */
enum key_state {
    KEY_NEW,    /* no live row: run the handler and store its answer */
    KEY_ANSWER, /* the answer to keep is already on the exchange */
};

/* Looks |k| up inside the open request transaction: a live row for the
 * same request is replayed, one for another request refused (422); an
 * expired row is deleted. Expired rows are pruned now and then. */
static int key_check(struct ac_node *n, struct ac_http_exchange *x, const struct keyed *k,
                     enum key_state *state)
{
    int64_t now = ac_clock_now_ms();
    int64_t ttl = (int64_t)n->cfg->idempotency_key_hours * 3600 * 1000;
    *state = KEY_NEW;
    if (now - n->reqtx->pruned_ms >= PRUNE_EVERY_MS || now < n->reqtx->pruned_ms) {
        int64_t removed = 0;
        int err = ac_store_idem_prune(n->store, now - ttl, &removed);
        if (err)
            return err;
        if (removed)
            ac_log_debug("api", "idempotency keys: %lld expired pruned", (long long)removed);
        n->reqtx->pruned_ms = now;
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
        *state = KEY_ANSWER;
        ac__problem(x, AC_PROBLEM_IDEMPOTENCY_KEY_REUSED, "Idempotency-Key", NULL,
                    "Idempotency-Key \"%s\" names an earlier request (%s %s) that differs from "
                    "this one in method, path or body; a key names one request: send a new key "
                    "for a new request",
                    k->key, r.method, r.path);
    } else {
        /* The row may be one whose COMMIT no standby confirmed: written
         * again here, the request's own COMMIT confirms it before the
         * replay goes out (or goes unconfirmed, and the answer is 503). */
        *state = KEY_ANSWER;
        err = ac_store_idem_confirm(n->store, k->principal, k->key);
        if (!err)
            err = replay(x, &r);
    }
    ac_store_idem_release(&r);
    return err;
}

/* Stores the kept answer |a| under |k| inside the request transaction. */
static int key_store(struct ac_node *n, struct ac_http_exchange *x, const struct keyed *k,
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
static int key_committed(struct ac_node *n, const struct keyed *k)
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

/* Stops keeping and answers the failure |err| of the request itself. */
static void answer_failure(struct ac_http_exchange *x, int err, const struct keyed *k)
{
    ac_http_keep_discard(x);
    ac_http_keep_end(x);
    if (err == AC_EUNKNOWN) {
        if (k)
            ac__problem(x, AC_PROBLEM_OUTCOME_UNKNOWN, NULL, NULL,
                        "the database did not confirm this write's commit (the connection was "
                        "lost, or no synchronous standby confirmed it in time), and cannot be "
                        "asked yet whether it committed; retry with the same Idempotency-Key: "
                        "a repeat is answered once, never applied twice");
        else
            ac__problem(x, AC_PROBLEM_OUTCOME_UNKNOWN, NULL, NULL,
                        "the database did not confirm this write's commit (the connection was "
                        "lost, or no synchronous standby confirmed it in time): it may or may "
                        "not have been applied; check before trying again, or send writes with "
                        "an Idempotency-Key header so a retry is answered once");
        return;
    }
    if (err == AC_EAGAIN) {
        ac__problem(x, AC_PROBLEM_BUSY, NULL, NULL,
                    "the write lost a race with concurrent writes %d times; try again",
                    REQUEST_RUNS);
        return;
    }
    ac__respond_error(x, err, "the request");
}

/* Runs the handler of |w| for |x| in request transactions until one
 * commits, see the file comment. */
static void run(struct write_route *w, struct ac_http_exchange *x, const struct keyed *k)
{
    struct ac_node *n = w->n;
    struct ac_store *st = n->store;
    int later = 0, err = 0;
    ac_http_keep_begin(x);
    for (int runs = 1;; runs++) {
        if (runs > 1)
            back_off(runs - 1);
        ac_http_keep_discard(x);
        /* SQLite's busy lock (another process writing) is a lost race at
         * BEGIN, run again like any other. */
        err = ac_store_tx_begin(st);
        if (err == AC_EAGAIN && runs < REQUEST_RUNS)
            continue;
        if (err)
            break;
        enum key_state state = KEY_NEW;
        if (k)
            err = key_check(n, x, k, &state);
        if (!err && state == KEY_NEW) {
            w->cb(x, n);
            struct ac_http_kept a;
            later = !ac_http_kept(x, &a);
            /* Failures of the server's own (5xx) are not final: a repeat
             * runs again. */
            if (!later && k && a.status < 500)
                err = key_store(n, x, k, &a);
        }
        /* A handler must match its begins; one left open would make every
         * later request a savepoint of this one. */
        if (err) {
            while (ac_store_tx_open(st))
                ac_store_tx_rollback(st);
        } else {
            err = ac_store_tx_commit(st);
            if (!err && ac_store_tx_open(st)) {
                ac_log_error("api", "%s %s left a transaction open; rolled back",
                             ac_http_exchange_req(x)->method, ac_http_exchange_req(x)->path);
                while (ac_store_tx_open(st))
                    ac_store_tx_rollback(st);
                err = AC_EBUG;
            }
        }
        if (err == AC_EUNKNOWN && k) {
            int committed = key_committed(n, k);
            if (committed == 1) {
                ac_log_warn("api", "an unknown COMMIT outcome was settled by its "
                            "Idempotency-Key: it committed");
                err = 0;
            } else if (committed == 0) {
                ac_log_warn("api", "an unknown COMMIT outcome was settled by its "
                            "Idempotency-Key: it did not commit; running it again");
                err = AC_EAGAIN;
            }
        } else if (err == AC_EUNKNOWN) {
            /* Nobody can tell: what waited on the commit is dropped (caches
             * refill from the store, the log republishes from it). */
            ac_store_tx_resolve(st, 0);
        }
        if (!err || later)
            break;
        /* AC_EEXIST here is the key's row: a concurrent repeat committed
         * first, and the next run replays its answer. */
        if ((err != AC_EAGAIN && !(err == AC_EEXIST && k)) || runs == REQUEST_RUNS)
            break;
        ac_log_debug("api", "%s %s lost a race (run %d of %d); running it again",
                     ac_http_exchange_req(x)->method, ac_http_exchange_req(x)->path, runs,
                     REQUEST_RUNS);
    }
    if (later) {
        /* The handler holds |x| and answers it itself. */
        if (err)
            ac_log_error("api", "a write answered later could not commit its first part: %s",
                         ac_strerror(err));
        ac_http_keep_end(x);
        return;
    }
    if (err) {
        if (err == AC_EAGAIN)
            ac_log_warn("api", "%s %s lost a race %d times; answered busy",
                        ac_http_exchange_req(x)->method, ac_http_exchange_req(x)->path,
                        REQUEST_RUNS);
        answer_failure(x, err, k);
        return;
    }
    ac_http_keep_end(x);
}

void ac__request_tx(struct ac_http_exchange *x, void *arg)
{
    struct write_route *w = arg;
    const struct ac_http_req *req = ac_http_exchange_req(x);
    const char *key = ac_http_header(req, "idempotency-key");
    if (!key) {
        run(w, x, NULL);
        return;
    }
    if (!key_ok(key)) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "Idempotency-Key", NULL,
                    "Idempotency-Key: %zu bytes; must be 1-%d visible ASCII characters "
                    "(0x21-0x7e, no spaces)",
                    strlen(key), KEY_MAX);
        return;
    }
    struct keyed k = {0};
    if (keyed_fill(req, key, &k)) {
        ac__respond_error(x, AC_ENOMEM, "the request");
        return;
    }
    run(w, x, &k);
    free(k.target);
}
