/* internal.h - what node/ files share: the running node, authentication, the
 * JSON/problem helpers every handler uses, metrics, and route registration.
 * Services live in their folders' headers (records/records.h,
 * accounts/accounts.h, recognition/recognition.h, lifecycle/, review/).
 *
 * How to add API endpoints (for later engineers): write node/http/api_<thing>.c
 * with a `void ac__api_<thing>_register(struct ac_node *n)` that calls
 * ac__route(); call it from register_routes() in node/node.c. In each
 * handler: ac__authenticate(), ac__require_role(), ac__json_body() and the
 * checks of the input's shape; then ONE service call, which checks the
 * actor's right again, opens the only transaction and writes the audit row;
 * then render, with ac__respond_failure() for a refusal. Never SQL and never
 * a transaction here. */
#ifndef AC_NODE_INTERNAL_H
#define AC_NODE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "accord/net/http.h"
#include "accord/net/router.h"
#include "accord/records/merkle.h"
#include "accord/store/store.h"
#include "accord/store/user.h"
#include "config.h"
#include "problem.h"

struct ac_keyring;
struct ac_h2_server;
struct ac__metrics;
struct ac__record_cache;
struct ac__ob3;
struct ac__scheduler;
struct ac__token_cache;
struct ac__web;
struct ac__readers;
struct ac__read_job;
struct ac__reqtx;

#define AC_NODE_SECRET_BYTES 32

/* The running node. Everything is borrowed by handlers for the life of the loop. */
struct ac_node {
    const struct ac_node_config *cfg; /* borrowed from main */
    uv_loop_t *loop;
    struct ac_store *store;      /* owned */
    struct ac_keyring *keyring;  /* owned */
    uint8_t *secret;             /* owned, sodium_malloc: keys token hashes */
    struct ac_router *router;    /* owned */
    struct ac_h2_server *server; /* owned until closed */
    struct ac__metrics *metrics; /* owned */
    struct ac__records *records; /* owned; see ac__records_open() */
    struct ac__scheduler
        *scheduler;     /* owned: job timer, job kinds, delivery (review/scheduler.h) */
    struct ac__federation *federation; /* owned: peers and senders (node/federation/) */
    int schema_version; /* read once at open: migrations run only then */
    uv_signal_t sigint, sigterm, sighup;
    int nsignals; /* how many of the three are initialised (closed in that order) */
    int stopping;
    int exit_code;
    /* owned (node/record_cache.h); NULL reads every record from the store */
    struct ac__record_cache *record_cache;
    /* owned (node/accounts/token_cache.h); NULL reads every token from the store */
    struct ac__token_cache *token_cache;
    struct ac__ob3 *ob3; /* owned (records/ob3_serve.h): OB 3.0 forms; NULL until used */
    struct ac__web *web; /* owned: pages and sign-in state (node/web/web.h) */
    /* Reports of the store's storage thread (node/durability.c); initialised
     * when has_durable_async. */
    uv_async_t durable_async;
    int has_durable_async;
    /* owned (node/readers.h): the reader threads; NULL before serve() and
     * after the server closed */
    struct ac__readers *readers;
    /* owned (node/http/reqtx.c): the write routes' request transactions */
    struct ac__reqtx *reqtx;
};

/* ---- reader threads (node/readers.h) ---- */

/* Runs |job| (borrowed until its done callback) on n's reader threads. Done
 * runs later from the loop, or inside this call when the node has no pool
 * (a node driven without a loop, as unit tests do; work then runs on
 * n->store) or the pool is stopping (with AC_ECANCELED). Either way done is
 * called exactly once, so a handler submits last and lets done answer. */
void ac__read_submit(struct ac_node *n, struct ac__read_job *job);

/* Starts n's reader threads ([node] readers of the config) on the data
 * directory's database. Returns 0 or an error (logged). */
int ac__readers_open(struct ac_node *n);

/* ---- durability (node/durability.c) ---- */

/* Starts the storage thread unless [node] durability = inline. Returns 0 or
 * an error (logged). */
int ac__durability_start(struct ac_node *n);

/* Makes n->server hold answers to writes until they are durable. */
void ac__durability_attach(struct ac_node *n);

/* Makes every commit durable, releases what waited, stops the thread and
 * closes its handle (finished by the loop). A no-op when inline. */
void ac__durability_stop(struct ac_node *n);

/* ---- data directory (node/datadir.c) ---- */

/* Creates |cfg|'s data directory (0700) if missing and opens what lives there:
 * the database "accord.db", the keyring "keys/" and the token-hashing secret
 * "node.secret" (32 random bytes, 0600), creating any that are missing.
 * Fills n->store, n->keyring and n->secret. Errors are logged with the path.
 * Returns 0, AC_EIO, AC_EPARSE, AC_ESCHEMA, AC_EDB or AC_ENOMEM. */
int ac__datadir_open(struct ac_node *n);

/* Closes what ac__datadir_open() opened (each may be NULL). */
void ac__datadir_close(struct ac_node *n);

/* ---- authentication (node/http/auth.c) ---- */

/* Who made the request. */
struct ac__auth {
    struct ac_user user;
    struct ac_token token; /* id 0 for a browser session */
    int64_t session_id;    /* the browser session (node/http/session.c), else 0 */
};

/* Checks the "authorization: Bearer <token>" header of |x|, or without one
 * the browser session cookie and, for writes, its CSRF header (docs/web.md).
 * Returns 0 and fills |*a|, or answers |x| with 401/403 and returns -1. */
int ac__authenticate(struct ac_node *n, struct ac_http_exchange *x, struct ac__auth *a);

/* The server's headers check (ac_h2_server_headers_cb; node/http/early_auth.c):
 * answers 401 before the body is read when the token is missing or wrong (or
 * returns AC_H2_CHECK_PENDING and answers once its row is read off the loop). */
int ac__early_auth(void *arg, struct ac_http_exchange *x);

/* Returns 0 when |a| holds any role in |roles|; otherwise answers |x| with 403
 * naming the roles needed and returns -1. */
int ac__require_role(struct ac_http_exchange *x, const struct ac__auth *a, unsigned roles);

/* ---- handler helpers (node/api_util.c) ---- */

/* Registers |cb| for |method| |pattern| with the node as its argument; a
 * failure here is a programming error and aborts. A write (POST, PUT,
 * PATCH, DELETE) runs in a request transaction (below). */
void ac__route(struct ac_node *n, const char *method, const char *pattern, ac_http_handler_cb cb);

/* ---- request transactions (node/http/reqtx.c) ---- */

/* Returns 1 for the methods whose routes run in a request transaction. */
int ac__is_write_method(const char *method);

/* Registers |cb| for a write route: each request runs it inside one store
 * transaction that commits before the answer goes out, runs again whole on
 * a lost race, and honours an Idempotency-Key (docs/api.md). */
void ac__route_write(struct ac_node *n, const char *method, const char *pattern,
                     ac_http_handler_cb cb);

/* The router's handler of write routes (|arg| is the route's registration). */
void ac__request_tx(struct ac_http_exchange *x, void *arg);

/* Starts the store's writer thread and the group commit of write requests
 * (after the routes are registered, before the server listens); stops them,
 * settling the COMMIT in flight and answering what still waits (after the
 * server closed). Start returns 0 or a libuv / AC_E* code. */
int ac__reqtx_start(struct ac_node *n);
void ac__reqtx_stop(struct ac_node *n);

/* Runs |run|(|arg|) as a write of the node's own in the group commit of
 * write requests, as a request's handler runs there: in a savepoint of the
 * group's transaction, on the write handlers' fiber (so on PostgreSQL the
 * loop does not wait on its round trips), run again whole after a lost race
 * (|run| must be a transaction body: no effect outside the store before
 * its commit, or in its after-commit hooks), its COMMIT the group's, on the
 * writer thread. |done|(|arg|, err) is called on the loop exactly once:
 * with 0 after that COMMIT, or with the failure (the run's own error,
 * AC_EAGAIN after REQUEST_RUNS lost races, the COMMIT's, AC_ECANCELED when
 * the node stops first); it may be called from a later turn of the loop.
 * |what| names it in the log. For the work a request's handler hands off
 * and writes after (a password checked on a worker, then a session
 * started): it joins the group instead of closing it. Returns 0 (|done|
 * may have run already: without a writer thread the group runs at once),
 * or AC_ENOMEM or AC_ECANCELED (the node is stopping) without calling
 * |done|. */
int ac__reqtx_task(struct ac_node *n, const char *what, int (*run)(void *arg),
                   void (*done)(void *arg, int err), void *arg);

/* Holds back the next group of write requests and tasks (they queue
 * meanwhile, as behind a COMMIT in flight) until as many releases: for the
 * moment a task's done callback found (no group open, no COMMIT in flight)
 * to last while work off the loop ends (a key rotation's files,
 * node/records/keys.c). Counted; releasing starts what queued. */
void ac__reqtx_hold(struct ac_node *n);
void ac__reqtx_release(struct ac_node *n);

/* Frees what ac__route_write() registered (after the router). */
void ac__reqtx_free(struct ac_node *n);

/* Parses the request body of |x| as a JSON object. Answers 415 when the
 * content type is not application/json, 400 naming the position when it is
 * not a JSON object; then returns -1. Otherwise sets |*out| (caller
 * json_decref()s) and returns 0. When |optional| and the body is empty, sets
 * |*out| to an empty object. */
int ac__json_body(struct ac_http_exchange *x, int optional, json_t **out);

/* Answers |status| with |j| and drops it (takes ownership); a NULL |j| (a
 * failed json_pack) answers 500. */
void ac__respond_owned(struct ac_http_exchange *x, int status, json_t *j);

/* Answers 400 naming |field| if |obj| has a member not in the NULL-terminated
 * |allowed| list; returns -1 then, else 0. */
int ac__json_only(struct ac_http_exchange *x, const json_t *obj, const char *const *allowed);

/* Reads a score's body (node/http/api_reviews.c; the same for our own
 * assignments and for lent items): {levels (or level), feedback?}, nothing
 * else. Sets |*levels| and |*feedback| (borrowed from |body|; NULL when
 * absent). Answers naming the field and returns -1 when a member is unknown,
 * levels is missing or feedback is neither text nor an object; else 0. */
int ac__score_body(struct ac_http_exchange *x, const json_t *body, json_t **levels,
                   json_t **feedback);

struct ac_levels_given;

/* Reads "levels" as a reviewer gives them (node/http/api_reviews.c), here or
 * through a lender: a name, a list, or an object by element id, into |*g|
 * (borrowing |levels|); a level that is neither a name nor null is marked
 * for the service to refuse, and any other shape is AC_LEVELS_OTHER. */
void ac__levels_given(const json_t *levels, struct ac_levels_given *g);

/* ---- problem answers (node/http/problem.c) ---- */

/* Answers |x| with problem |p| (node/problems.def) about |field| (may be NULL)
 * and the printf-formatted detail; the members of |extra| (borrowed, may be
 * NULL) are added to the body. Returns -1, so handlers can `return` it. */
int ac__problem(struct ac_http_exchange *x, enum ac_problem p, const char *field,
                const json_t *extra, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Answers a service's refusal: |r|'s problem when it names one, else the
 * problem |err| means (ac_problem_of_error()) with |what| naming the thing
 * ("user 7"). |r| may be NULL. */
void ac__respond_failure(struct ac_http_exchange *x, int err, const struct ac_reason *r,
                         const char *what);

/* ac__respond_failure() without a reason. */
void ac__respond_error(struct ac_http_exchange *x, int err, const char *what);

/* Parses a path parameter that must be a positive decimal id. Returns 0 and
 * sets |*id|, or answers 404 (no such |what|) and returns -1. */
int ac__param_id(struct ac_http_exchange *x, const char *param, const char *what, int64_t *id);

/* Reads "limit" (1-200, default 50) and "cursor" (opaque) query parameters.
 * Returns 0, or answers 400 naming the parameter and returns -1. */
int ac__page_params(struct ac_http_exchange *x, size_t *limit, int64_t *after_id);

/* Builds a list answer {"items": |items|, "next_cursor": "<last_id>"}, with
 * next_cursor only when |more| (another page follows). Takes ownership of
 * |items|; returns NULL when out of memory. */
json_t *ac__page_json(json_t *items, int more, int64_t last_id);

/* The answer of a list read that asked the store for up to |limit| + 1 rows,
 * the one past |limit| only to learn that another page follows: the first
 * |limit| of the |got| rows at |rows| (|size| bytes each), each rendered by
 * |row_json|, as ac__page_json() with the cursor at the id of the last row
 * shown (an int64_t at |id_offset| in a row). Borrows |rows|; returns NULL
 * when out of memory. */
json_t *ac__page_rows_json(const void *rows, size_t size, size_t got, size_t limit,
                           size_t id_offset, json_t *(*row_json)(const void *row));

/* Loop: a zeroed read of |size| bytes (a struct beginning with its struct
 * ac__json_read, node/readers.h) for the caller to fill and submit, or NULL
 * after answering |x| (500, no memory for |what|). */
void *ac__read_new(struct ac_http_exchange *x, size_t size, const char *what);

struct ac__json_read;

/* Reader thread: ends a JSON read whose answer is |j|: sets |*out| and
 * returns 0, or, when |j| is NULL (no memory, or stored JSON that no longer
 * parses), names the failure "response" as ac__respond_owned() does on the
 * loop, so an answer moved off the loop keeps its bytes; returns AC_ENOMEM. */
int ac__json_read_answer(struct ac__json_read *r, json_t *j, json_t **out);

/* Sets "<key>" in |obj| to the RFC 3339 UTC form of |ms|; 0 sets nothing. */
void ac__json_time(json_t *obj, const char *key, int64_t ms);

/* ---- public, cacheable answers (node/http/api_util.c) ---- */

struct ac__published;

/* Answers |len| bytes of a public body with |etag| (quoted): 304 when the
 * request's If-None-Match holds it, else 200 with |content_type|; both with
 * ETag and Cache-Control (max-age AC__MAX_AGE_S of records/records.h). */
void ac__respond_public(struct ac_http_exchange *x, const char *etag, const char *content_type,
                        const void *body, size_t len);

/* ac__respond_public() of a published body |p| (which must be built). */
void ac__respond_published(struct ac_http_exchange *x, const struct ac__published *p,
                           const char *content_type);

/* Answers a public GET with |j| (taken; may be NULL: 500) as compact JSON,
 * with an ETag of its bytes and Cache-Control, or 304. */
void ac__respond_public_json(struct ac_http_exchange *x, json_t *j);

/* An inclusion proof made on a reader thread (node/http/api_tlog.c): the
 * loop sets |index| < |size| <= the log size, ac__inclusion_compute() runs
 * with the thread's store and fills the rest (returns 0 or a store code), and
 * ac__inclusion_respond() answers on the loop as JSON {"index", "size",
 * "leaf_hash", "hashes": [base64...]}. */
struct ac__inclusion {
    uint64_t index, size;
    struct ac_merkle_proof proof;
    uint8_t leaf[AC_MERKLE_HASH_BYTES];
};
int ac__inclusion_compute(struct ac_store *st, struct ac__inclusion *p);
void ac__inclusion_respond(struct ac_http_exchange *x, const struct ac__inclusion *p);

/* ---- metrics (node/metrics.c) ---- */

int ac__metrics_new(struct ac__metrics **out);
void ac__metrics_free(struct ac__metrics *m);

/* The h2 server's observer: counts a finished request. |arg| is the metrics. */
void ac__metrics_observe(void *arg, const char *method, const char *route, int status,
                         double seconds);

/* What the group commit of write requests did (node/http/reqtx.c), as
 * /metrics shows it; the request layer hands a copy over when it changes. */
struct ac__write_stats {
    unsigned long long groups;     /* groups whose COMMIT was handed over or made */
    unsigned long long closes;     /* open groups closed early by another store call */
    unsigned long long side_reads; /* loop reads run on the side connection */
    unsigned long long waits;      /* loop store calls that waited for a COMMIT */
    unsigned turn_max;             /* the most write handlers run between two polls */
    unsigned long long yields;     /* a handler's waits on the database the loop did not wait for */
    unsigned long long finished;   /* waiting handlers a store call finished in place */
    unsigned long long tasks;      /* the node's own writes committed in groups (ac__reqtx_task()) */
};
void ac__metrics_write_stats(struct ac__metrics *m, const struct ac__write_stats *s);

/* Appends the Prometheus text exposition of every metric to |out|, with the
 * gauges |open_connections| and |db_bytes|. Returns 0 or AC_ENOMEM. */
struct ac_buf;
int ac__metrics_render(const struct ac__metrics *m, size_t open_connections, int64_t db_bytes,
                       struct ac_buf *out);

/* ---- endpoints ---- */

void ac__api_node_register(struct ac_node *n);
void ac__api_users_register(struct ac_node *n);
void ac__api_records_register(struct ac_node *n);
void ac__api_tlog_register(struct ac_node *n);
void ac__api_status_register(struct ac_node *n);
void ac__api_ob3_register(struct ac_node *n);
void ac__api_wellknown_register(struct ac_node *n);

/* Recognition, the earner's catalog and approvals, analytics
 * (node/http/api_recognition.c, api_catalog.c, api_analytics.c). */
void ac__api_recognition_register(struct ac_node *n);
void ac__api_catalog_register(struct ac_node *n);
void ac__api_analytics_register(struct ac_node *n);

#endif
