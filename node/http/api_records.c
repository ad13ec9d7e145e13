/* api_records.c - credential records over HTTP: the admin issue endpoint and
 * the status changes (revoke, suspend, reinstate), which call the services of
 * node/records/; reads of a record, its inclusion proof and its bundle by row
 * id (an admin or the record's earner only: row ids are a counter), and the
 * share links an earner makes and withdraws, the only public way to a record
 * (node/records/share.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/records/bundle.h"
#include "accord/base/error.h"
#include "accord/records/record.h"
#include "accord/records/status.h"
#include "accord/store/record.h"
#include "accord/store/status.h"
#include "records/ob3_serve.h"
#include "records/record_cache.h"
#include "records/records.h"

static int bad_field(struct ac_http_exchange *x, const char *field, const char *rule)
{
    ac__problem(x, AC_PROBLEM_INVALID_FIELD, field, NULL, "%s: %s", field, rule);
    return -1;
}

/* Reads a required string member of at most |max| bytes. */
static int get_text(struct ac_http_exchange *x, const json_t *body, const char *field, size_t max,
                    int required, const char **out)
{
    json_t *v = json_object_get(body, field);
    if (!v && !required) {
        *out = NULL;
        return 0;
    }
    if (!json_is_string(v))
        return bad_field(x, field, "must be a string");
    size_t len = json_string_length(v);
    if (required && len == 0)
        return bad_field(x, field, "must not be empty");
    if (len > max) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, field, NULL, "%s: %zu bytes; at most %zu", field,
                    len, max);
        return -1;
    }
    if (strlen(json_string_value(v)) != len)
        return bad_field(x, field, "must not contain NUL");
    *out = json_string_value(v);
    return 0;
}

static int get_uint(struct ac_http_exchange *x, const json_t *body, const char *field, int required,
                    int *has, uint64_t *out)
{
    json_t *v = json_object_get(body, field);
    *has = v != NULL;
    if (!v)
        return required ? bad_field(x, field, "is required (a whole number >= 0)") : 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return bad_field(x, field, "must be a whole number >= 0");
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static void on_issue(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"email",
                                          "earner",
                                          "definition_id",
                                          "definition_version",
                                          "content_hash",
                                          "achieved_level",
                                          "ceu_hundredths",
                                          "evidence",
                                          NULL};
    struct ac__issue_req req = {0};
    const char *hash_hex = NULL;
    int has = 0;
    uint64_t earner = 0;
    int has_earner = 0;
    if (json_object_get(body, "subject")) {
        bad_field(x, "subject",
                  "not accepted: the node names the earner itself, as the salted hash of a "
                  "verified e-mail address; give \"earner\" (a user id) or \"email\"");
        json_decref(body);
        return;
    }
    if (ac__json_only(x, body, allowed) ||
        get_text(x, body, "email", AC_USER_EMAIL_MAX, 0, &req.email) ||
        get_uint(x, body, "earner", 0, &has_earner, &earner) ||
        get_text(x, body, "definition_id", AC_RECORD_DEF_ID_MAX, 1, &req.definition_id) ||
        get_uint(x, body, "definition_version", 1, &has, &req.definition_version) ||
        get_text(x, body, "content_hash", 64, 1, &hash_hex) ||
        get_text(x, body, "achieved_level", AC_RECORD_LEVEL_MAX, 1, &req.achieved_level) ||
        get_uint(x, body, "ceu_hundredths", 0, &req.has_ceu, &req.ceu_hundredths) ||
        get_text(x, body, "evidence", AC_RECORD_EVIDENCE_MAX, 0, &req.evidence)) {
        json_decref(body);
        return;
    }
    if ((req.email != NULL) == (has_earner != 0) ||
        (has_earner && (earner < 1 || earner > INT64_MAX))) {
        bad_field(x, "email",
                  "give exactly one of \"email\" (an address you vouch for) or \"earner\" (the "
                  "id of a user with a verified address)");
        json_decref(body);
        return;
    }
    req.earner_id = (int64_t)earner;
    size_t bin_len = 0;
    if (strlen(hash_hex) != 64 ||
        sodium_hex2bin(req.content_hash, sizeof req.content_hash, hash_hex, 64, NULL, &bin_len,
                       NULL) != 0 ||
        bin_len != 32) {
        bad_field(x, "content_hash", "must be 64 hexadecimal digits (a SHA-256)");
        json_decref(body);
        return;
    }
    struct ac_store_record rec;
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__records_issue(n, &a.user, &req, &rec, &why);
    json_decref(body);
    if (err) {
        ac__respond_failure(x, err, &why, "credential");
        ac_reason_release(&why);
        return;
    }
    char url[AC__URL_MAX + 48];
    snprintf(url, sizeof url, "%s/v1/credentials/%lld", n->records->issuer, (long long)rec.id);
    ac__respond_owned(x, 201,
                      json_pack("{s:I, s:I, s:I, s:s, s:s}", "id", (json_int_t)rec.id, "log_index",
                                (json_int_t)rec.log_index, "status_index",
                                (json_int_t)rec.status_idx, "kid", rec.kid, "url", url));
}

/* Answers a read that is not for shared caches (an earner's own record, or a
 * share link that may be withdrawn at any moment): 304 when If-None-Match
 * holds |etag|, else 200; always revalidated. */
static void respond_private(struct ac_http_exchange *x, const char *etag, const char *type,
                            const void *body, size_t len)
{
    static const char cache[] = "private, no-cache";
    const char *inm = ac_http_header(ac_http_exchange_req(x), "if-none-match");
    if (inm && strstr(inm, etag)) {
        struct ac_http_header h[] = {{"etag", etag}, {"cache-control", cache}};
        ac_http_respond(x, 304, h, 2, NULL, 0);
        return;
    }
    struct ac_http_header h[] = {{"content-type", type}, {"etag", etag}, {"cache-control", cache}};
    ac_http_respond(x, 200, h, 3, body, len);
}

/* GET /v1/credentials/{id}/subject: the record's earner (only) is shown
 * which of her addresses its subject hashes, with the salt, to hand a
 * recognizer; anyone can check it against the signed record. */
static void on_subject(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    int64_t id;
    if (ac__authenticate(n, x, &a) || ac__param_id(x, "id", "credential", &id))
        return;
    struct ac__opening o;
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__records_opening(n, &a.user, id, &o, &why);
    if (err) {
        ac__respond_failure(x, err, &why, "credential");
        ac_reason_release(&why);
        return;
    }
    json_t *j =
        json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)id, "cti", o.cti_hex,
                  "subject", o.subject, "identityType", "emailAddress", "email", o.email, "salt",
                  o.salt, "rule", "subject = \"sha256$\" + hex(SHA-256(lowercase(email) + salt))");
    struct ac_http_header h[] = {{"content-type", "application/json"},
                                 {"cache-control", "private, no-store"}};
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text) {
        ac__respond_error(x, AC_ENOMEM, "credential");
        return;
    }
    ac_http_respond(x, 200, h, 2, text, strlen(text));
    free(text);
}

static void record_etag(const struct ac_store_record *rec, char etag[AC__ETAG_MAX])
{
    /* cti is random per record and the bytes never change: a strong validator. */
    char hex[33];
    sodium_bin2hex(hex, sizeof hex, rec->cti, sizeof rec->cti);
    snprintf(etag, AC__ETAG_MAX, "\"%s\"", hex);
}

/* On a cache miss the record's bytes go straight from SQLite into the
 * response and into the cache; the store fills |rec| before it calls back, so
 * the ETag comes from the same row. */
struct cose_answer {
    struct ac_http_exchange *x;
    struct ac__record_cache *cache;
    const struct ac_store_record *rec;
};

static void send_cose(void *ctx, const uint8_t *p, size_t len)
{
    struct cose_answer *a = ctx;
    char etag[AC__ETAG_MAX];
    record_etag(a->rec, etag);
    /* Best effort: a record that is not cached (too large, cache full, out
     * of memory) is simply read from the store again next time. */
    (void)ac__record_cache_put(a->cache, a->rec->id, etag, p, len);
    respond_private(a->x, etag, "application/cose", p, len);
}

struct record_copy {
    struct ac_buf cose;
    int err;
};

static void copy_cose(void *ctx, const uint8_t *p, size_t len)
{
    struct record_copy *c = ctx;
    c->err = ac_buf_append(&c->cose, p, len);
}

static json_t *summary_json(struct ac_node *n, const struct ac_store_record *rec,
                            const struct ac_buf *cose)
{
    struct ac_record r;
    struct ac_cose_sign1 msg;
    char why[AC_RECORD_WHY_LEN];
    if (ac_record_decode(cose->data, cose->len, &r, &msg, why, sizeof why) != 0)
        return NULL;
    enum ac_status s = AC_STATUS_VALID;
    ac_status_list_get(n->records->status, rec->status_idx, &s);
    char hash[2 * AC_RECORD_HASH_BYTES + 1], cti[2 * AC_RECORD_CTI_BYTES + 1];
    sodium_bin2hex(hash, sizeof hash, r.content_hash, sizeof r.content_hash);
    sodium_bin2hex(cti, sizeof cti, r.cti, sizeof r.cti);
    json_t *j = json_pack(
        "{s:I, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:s, s:s}", "id", (json_int_t)rec->id,
        "iss", r.iss, "sub", r.sub, "cti", cti, "definition_id", r.definition_id,
        "definition_version", (json_int_t)r.definition_version, "content_hash", hash,
        "achieved_level", r.achieved_level, "log_index", (json_int_t)rec->log_index, "status_index",
        (json_int_t)rec->status_idx, "kid", rec->kid, "status", ac_status_name(s));
    if (!j)
        return NULL;
    ac__json_time(j, "issued_at", r.iat * 1000);
    if (r.subject_salt[0])
        json_object_set_new(j, "subject_salt", json_string(r.subject_salt));
    if (r.has_ceu)
        json_object_set_new(j, "ceu_hundredths", json_integer((json_int_t)r.ceu_hundredths));
    if (r.evidence[0])
        json_object_set_new(j, "evidence", json_string(r.evidence));
    return j;
}

/* Answers record |id| (already allowed) as COSE or, with ?format=json, its
 * summary. */
static void serve_record(struct ac_http_exchange *x, struct ac_node *n, int64_t id)
{
    if (ac__ob3_wanted(x)) { /* ?format=ob3 or Accept: application/vc+ld+json */
        ac__respond_ob3_credential(x, n, id);
        return;
    }
    char format[8];
    const struct ac_http_req *req = ac_http_exchange_req(x);
    int rc = ac_http_query(req, "format", format, sizeof format);
    if (rc == 0 && strcmp(format, "json") != 0 && strcmp(format, "cose") != 0) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "format", NULL,
                    "format: \"%s\" must be cose or json", format);
        return;
    }
    if (rc == AC_E2BIG) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "format", NULL, "format: must be cose or json");
        return;
    }
    char what[48];
    struct ac_store_record rec;
    if (rc != 0 || strcmp(format, "cose") == 0) {
        /* The signed bytes never change, so they are served from memory once
         * read; the status is not in them (the JSON summary below, which has
         * it, is never cached). */
        const struct ac__cached_record *hit = ac__record_cache_get(n->record_cache, id);
        if (hit) {
            respond_private(x, hit->etag, "application/cose", hit->bytes, hit->len);
            return;
        }
        struct cose_answer ans = {x, n->record_cache, &rec};
        int err = ac_store_record_get(n->store, id, &rec, send_cose, &ans);
        if (err) {
            snprintf(what, sizeof what, "credential %lld", (long long)id);
            ac__respond_error(x, err, what);
        }
        return;
    }
    snprintf(what, sizeof what, "credential %lld", (long long)id);
    struct record_copy c = {AC_BUF_INIT, 0};
    int err = ac_store_record_get(n->store, id, &rec, copy_cose, &c);
    if (!err)
        err = c.err;
    if (err) {
        ac_buf_release(&c.cose);
        ac__respond_error(x, err, what);
        return;
    }
    json_t *j = summary_json(n, &rec, &c.cose);
    ac_buf_release(&c.cose);
    if (!j) {
        ac__respond_error(x, AC_ENOMEM, what);
        return;
    }
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!text) {
        ac__respond_error(x, AC_ENOMEM, what);
        return;
    }
    /* The summary includes the status, so its ETag covers the status token's. */
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const uint8_t *)text, strlen(text));
    char hex[33], etag[AC__ETAG_MAX];
    sodium_bin2hex(hex, sizeof hex, h, 16);
    snprintf(etag, sizeof etag, "\"%s\"", hex);
    respond_private(x, etag, "application/json", text, strlen(text));
    free(text);
}

/* Authenticates the reader of record {id} and checks it may read it (an
 * admin or the earner). Returns 0 with |*id| set, or -1 having answered. */
static int readable(struct ac_http_exchange *x, struct ac_node *n, int64_t *id)
{
    struct ac__auth a;
    if (ac__authenticate(n, x, &a) || ac__param_id(x, "id", "credential", id))
        return -1;
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__records_may_read(n, &a.user, *id, &why);
    if (err) {
        char what[48];
        snprintf(what, sizeof what, "credential %lld", (long long)*id);
        ac__respond_failure(x, err, &why, what);
        ac_reason_release(&why);
        return -1;
    }
    return 0;
}

static void on_record(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    int64_t id;
    if (!readable(x, n, &id))
        serve_record(x, n, id);
}

static void change_status(struct ac_http_exchange *x, struct ac_node *n, enum ac_status to)
{
    struct ac__auth a;
    json_t *body;
    int64_t id;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__param_id(x, "id", "credential", &id) || ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"reason", NULL};
    const char *reason;
    if (ac__json_only(x, body, allowed) ||
        get_text(x, body, "reason", AC_STORE_REASON_MAX, 1, &reason)) {
        json_decref(body);
        return;
    }
    struct ac_store_status e;
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__records_set_status(n, &a.user, id, to, reason, &e, &why);
    json_decref(body);
    if (err) {
        char what[48];
        snprintf(what, sizeof what, "credential %lld", (long long)id);
        ac__respond_failure(x, err, &why, what);
        ac_reason_release(&why);
        return;
    }
    json_t *j =
        json_pack("{s:I, s:s, s:s, s:I}", "id", (json_int_t)id, "status", ac_status_name(e.state),
                  "reason", e.reason, "status_index", (json_int_t)e.idx);
    if (j)
        ac__json_time(j, "changed_at", e.changed_ms);
    ac__respond_owned(x, 200, j);
}

static void on_revoke(struct ac_http_exchange *x, void *arg)
{
    change_status(x, arg, AC_STATUS_INVALID);
}

static void on_suspend(struct ac_http_exchange *x, void *arg)
{
    change_status(x, arg, AC_STATUS_SUSPENDED);
}

static void on_reinstate(struct ac_http_exchange *x, void *arg)
{
    change_status(x, arg, AC_STATUS_VALID);
}

static void on_inclusion(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    int64_t id;
    if (readable(x, n, &id))
        return;
    struct ac_store_record rec;
    int err = ac_store_record_get(n->store, id, &rec, NULL, NULL);
    if (err) {
        char what[48];
        snprintf(what, sizeof what, "credential %lld", (long long)id);
        ac__respond_error(x, err, what);
        return;
    }
    err = ac__checkpoint_refresh(n); /* another process may have grown the log */
    if (err) {
        ac__respond_error(x, err, "transparency log");
        return;
    }
    ac__respond_inclusion(x, n, rec.log_index, n->records->tree.size);
}

static void serve_bundle(struct ac_http_exchange *x, struct ac_node *n, int64_t id)
{
    char what[48];
    snprintf(what, sizeof what, "credential %lld", (long long)id);
    struct ac_buf out = AC_BUF_INIT;
    int err = ac__records_bundle(n, id, &out);
    if (err) {
        ac_buf_release(&out);
        ac__respond_error(x, err, what);
        return;
    }
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, out.data, out.len);
    char hex[33], etag[AC__ETAG_MAX];
    sodium_bin2hex(hex, sizeof hex, h, 16);
    snprintf(etag, sizeof etag, "\"%s\"", hex);
    respond_private(x, etag, "application/cbor", out.data, out.len);
    ac_buf_release(&out);
}

static void on_bundle(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    int64_t id;
    if (!readable(x, n, &id))
        serve_bundle(x, n, id);
}

/* ---- share links ---- */

static void on_share(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    int64_t id;
    if (ac__authenticate(n, x, &a) || ac__param_id(x, "id", "credential", &id))
        return;
    char token[AC__SHARE_TOKEN_LEN + 1], what[48];
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__records_share(n, &a.user, id, token, &why);
    if (err) {
        snprintf(what, sizeof what, "credential %lld", (long long)id);
        ac__respond_failure(x, err, &why, what);
        ac_reason_release(&why);
        return;
    }
    char url[AC__URL_MAX + 48];
    snprintf(url, sizeof url, "%s/v1/shared/%s", n->records->issuer, token);
    ac__respond_owned(
        x, 201,
        json_pack("{s:I, s:s, s:s}", "credential", (json_int_t)id, "token", token, "url", url));
}

static void on_unshare(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    int64_t id;
    if (ac__authenticate(n, x, &a) || ac__param_id(x, "id", "credential", &id))
        return;
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__records_unshare(n, &a.user, id, ac_http_param(x, "token"), &why);
    if (err) {
        char what[48];
        snprintf(what, sizeof what, "credential %lld", (long long)id);
        ac__respond_failure(x, err, &why, what);
        ac_reason_release(&why);
        return;
    }
    ac__respond_owned(x, 200,
                      json_pack("{s:I, s:b}", "credential", (json_int_t)id, "withdrawn", 1));
}

/* Finds the record of share {token}. Returns 0 with |*id|, or -1 having
 * answered 404 (a withdrawn link and a made-up one answer alike). */
static int shared(struct ac_http_exchange *x, struct ac_node *n, int64_t *id)
{
    int err = ac__records_shared(n, ac_http_param(x, "token"), id);
    if (err) {
        ac__respond_error(x, err, "share link");
        return -1;
    }
    return 0;
}

static void on_shared(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    int64_t id;
    if (!shared(x, n, &id))
        serve_record(x, n, id);
}

static void on_shared_bundle(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    int64_t id;
    if (!shared(x, n, &id))
        serve_bundle(x, n, id);
}

void ac__api_records_register(struct ac_node *n)
{
    ac__route(n, "POST", "/v1/credentials/issue", on_issue);
    ac__route(n, "GET", "/v1/credentials/{id}", on_record);
    ac__route(n, "POST", "/v1/credentials/{id}/revoke", on_revoke);
    ac__route(n, "POST", "/v1/credentials/{id}/suspend", on_suspend);
    ac__route(n, "POST", "/v1/credentials/{id}/reinstate", on_reinstate);
    ac__route(n, "GET", "/v1/credentials/{id}/inclusion", on_inclusion);
    ac__route(n, "GET", "/v1/credentials/{id}/bundle", on_bundle);
    ac__route(n, "GET", "/v1/credentials/{id}/subject", on_subject);
    ac__route(n, "POST", "/v1/credentials/{id}/shares", on_share);
    ac__route(n, "POST", "/v1/credentials/{id}/shares/{token}/withdraw", on_unshare);
    ac__route(n, "GET", "/v1/shared/{token}", on_shared);
    ac__route(n, "GET", "/v1/shared/{token}/bundle", on_shared_bundle);
}
