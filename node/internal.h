/* internal.h - what node/ files share: the running node, authentication, the
 * JSON/problem helpers every handler uses, metrics, and route registration.
 *
 * How to add API endpoints (for later engineers): write node/api_<thing>.c
 * with a `void ac__api_<thing>_register(struct ac_node *n)` that calls
 * ac__route(); call it from register_routes() in node/node.c. In each
 * handler: ac__authenticate(), then ac__require_role() and any ownership
 * check, then ac__json_body() for bodies, then the core/ store call. Never SQL
 * here. */
#ifndef AC_NODE_INTERNAL_H
#define AC_NODE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "accord/net/http.h"
#include "accord/net/router.h"
#include "accord/store/store.h"
#include "config.h"
#include "problem.h"

struct ac_keyring;
struct ac_h2_server;
struct ac__metrics;
struct ac__record_cache;
struct ac__web;

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
    struct ac__review *review;   /* owned: scheduler and delivery state (node/review.h) */
    int schema_version;          /* read once at open: migrations run only then */
    uv_signal_t sigint, sigterm, sighup;
    int nsignals; /* how many of the three are initialised (closed in that order) */
    int stopping;
    int exit_code;
    /* owned (node/record_cache.h); NULL reads every record from the store */
    struct ac__record_cache *record_cache;
    struct ac__web *web; /* owned: pages and sign-in state (node/web/web.h) */
};

/* ---- data directory (node/datadir.c) ---- */

/* Creates |cfg|'s data directory (0700) if missing and opens what lives there:
 * the database "accord.db", the keyring "keys/" and the token-hashing secret
 * "node.secret" (32 random bytes, 0600), creating any that are missing.
 * Fills n->store, n->keyring and n->secret. Errors are logged with the path.
 * Returns 0, AC_EIO, AC_EPARSE, AC_ESCHEMA, AC_EDB or AC_ENOMEM. */
int ac__datadir_open(struct ac_node *n);

/* Closes what ac__datadir_open() opened (each may be NULL). */
void ac__datadir_close(struct ac_node *n);

/* ---- tokens and authentication (node/auth.c) ---- */

#define AC_TOKEN_PREFIX "acc_"
/* "acc_" + 43 characters of unpadded base64url (32 random bytes) + NUL. */
#define AC_TOKEN_TEXT_BYTES 48

/* Makes a new random token for |user_id|, stores its keyed hash and writes the
 * token text (shown once, never stored) into |text|. Returns 0 or a store error. */
int ac__token_issue(struct ac_node *n, int64_t user_id, const char *label, struct ac_token *tok,
                    char text[AC_TOKEN_TEXT_BYTES]);

/* Who made the request. */
struct ac__auth {
    struct ac_user user;
    struct ac_token token; /* id 0 for a browser session */
    int64_t session_id;    /* the browser session (node/http/session.c), else 0 */
};

/* Checks the "authorization: Bearer <token>" header of |x|. Returns 0 and
 * fills |*a|, or answers |x| with 401 (saying why) and returns -1. */
int ac__authenticate(struct ac_node *n, struct ac_http_exchange *x, struct ac__auth *a);

/* Returns 0 when |a| holds any role in |roles|; otherwise answers |x| with 403
 * naming the roles needed and returns -1. */
int ac__require_role(struct ac_http_exchange *x, const struct ac__auth *a, unsigned roles);

/* ---- handler helpers (node/api_util.c) ---- */

/* Registers |cb| for |method| |pattern| with the node as its argument; a
 * failure here is a programming error and aborts. */
void ac__route(struct ac_node *n, const char *method, const char *pattern, ac_http_handler_cb cb);

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

/* Sets "<key>" in |obj| to the RFC 3339 UTC form of |ms|; 0 sets nothing. */
void ac__json_time(json_t *obj, const char *key, int64_t ms);

/* ---- metrics (node/metrics.c) ---- */

int ac__metrics_new(struct ac__metrics **out);
void ac__metrics_free(struct ac__metrics *m);

/* The h2 server's observer: counts a finished request. |arg| is the metrics. */
void ac__metrics_observe(void *arg, const char *method, const char *route, int status,
                         double seconds);

/* Appends the Prometheus text exposition of every metric to |out|, with the
 * gauges |open_connections| and |db_bytes|. Returns 0 or AC_ENOMEM. */
struct ac_buf;
int ac__metrics_render(const struct ac__metrics *m, size_t open_connections, int64_t db_bytes,
                       struct ac_buf *out);

/* ---- verifiable records: issuing, status, log (node/issue.c) ---- */

#define AC_ISSUE_HASH_BYTES 32

/* What a pass decision (or the admin issue endpoint) asks to be issued. Text
 * fields are borrowed NUL-terminated UTF-8 within the limits of
 * include/accord/record.h; |evidence| may be NULL or "". */
struct ac__issue_req {
    const char *subject;       /* the earner's salted identifier (CWT sub) */
    const char *definition_id; /* credential definition id */
    uint64_t definition_version;
    uint8_t content_hash[AC_ISSUE_HASH_BYTES]; /* SHA-256 of the definition */
    const char *achieved_level;                /* the level name the decision reached */
    int has_ceu;
    uint64_t ceu_hundredths; /* 150 = 1.5 CEUs; used when |has_ceu| */
    const char *evidence;    /* short evidence summary, or NULL */
};

/* The node's record state kept in memory beside the store: the status list
 * and the log's tree head (both rebuilt from the store at open). Opaque. */
struct ac__records;

/* Loads the record state from |n|->store into |n|->records. Also reloads:
 * when |n|->records is already loaded (the issue job does so after a
 * rolled-back issue), the new state replaces it only once it loaded whole; on
 * failure the old one stays, so requests never find it NULL. Returns 0,
 * AC_ENOMEM, AC_EDB or AC_EPARSE (stored status entries that cannot be). */
int ac__records_open(struct ac_node *n);

/* The issuer meant by |given| in a recognition policy, catalog filter or
 * approval: this node's records name it by its base URL (their iss claim), so
 * NULL, or this node's id, means that URL; anything else is taken as is. */
const char *ac__issuer_of(const struct ac_node *n, const char *given);

/* Frees |n|->records; NULL is a no-op. */
void ac__records_close(struct ac_node *n);

/* Issues one record: assigns a random status index, signs the native record
 * (COSE_Sign1, current key) carrying its log index and status reference,
 * appends it to the transparency log and stores record, leaf, status entry and
 * a newly signed checkpoint of the new tree in ONE transaction. Must not be
 * called inside another store transaction (it opens BEGIN IMMEDIATE itself).
 * Runs on the loop thread. On 0 sets |*record_id_out| (may be NULL).
 * Returns 0, AC_EINVAL (a field missing, too long or not UTF-8; the reason is
 * logged), AC_E2BIG (the status list is full), AC_ENOMEM, AC_ECRYPTO, AC_EIO
 * or AC_EDB; on failure nothing is stored and memory state is unchanged. */
int ac__credential_issue(struct ac_node *n, const struct ac__issue_req *req,
                         int64_t *record_id_out);

/* As ac__credential_issue(); on AC_EINVAL for a field too long, also writes
 * to |why| (|why_size| bytes; may be NULL) the field, its value and the rule,
 * e.g. "issuer: \"https://...\" is 230 bytes; at most 200", and leaves it ""
 * for any other reason. */
int ac__credential_issue_explained(struct ac_node *n, const struct ac__issue_req *req,
                                   int64_t *record_id_out, char *why, size_t why_size);

/* ---- endpoints ---- */

void ac__api_node_register(struct ac_node *n);
void ac__api_users_register(struct ac_node *n);
void ac__api_records_register(struct ac_node *n);
void ac__api_log_register(struct ac_node *n);
void ac__api_status_register(struct ac_node *n);
void ac__api_wellknown_register(struct ac_node *n);

/* Recognition, the earner's catalog and approvals, analytics
 * (node/api_recognition.c, node/api_catalog.c, node/api_analytics.c). */
struct ac_policy;
/* Returns the API form of |p| (caller json_decref()s), or NULL when out of memory. */
json_t *ac__policy_json(const struct ac_policy *p);
void ac__api_recognition_register(struct ac_node *n);
void ac__api_catalog_register(struct ac_node *n);
void ac__api_analytics_register(struct ac_node *n);

#endif
