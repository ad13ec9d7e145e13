/* api_records.c - credential records over HTTP: the admin issue endpoint and
 * the status changes (revoke, suspend, reinstate), which call the services of
 * node/records/; reads of a record, its inclusion proof and its bundle by row
 * id (an admin or the record's earner only: row ids are a counter), and the
 * share links an earner makes and withdraws, the only public way to a record
 * (node/records/share.c). The reads run on the reader threads
 * (node/readers.h). */
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
#include "accord/store/tlog.h"
#include "records/ob3_serve.h"
#include "records/record_cache.h"
#include "readers.h"
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
 * recognizer; anyone can check it against the signed record. The rows are
 * read on a reader thread (node/readers.h): on PostgreSQL they are round
 * trips the loop would wait for. */
struct subject_read {
    struct ac__read_job job; /* first */
    struct ac_http_exchange *x;
    const struct ac_node_config *cfg;
    struct ac_user by;
    int64_t id;
    /* Filled on the thread. */
    int err;
    struct ac__opening o;
    struct ac_reason why;
};

/* Reader thread: touches only |q| and |st| (ac__records_opening() takes
 * the node only for its store). */
static void subject_work(struct ac__read_job *job, struct ac_store *st)
{
    struct subject_read *q = (struct subject_read *)job;
    struct ac_node view = {.cfg = q->cfg, .store = st};
    q->err = ac__records_opening(&view, &q->by, q->id, &q->o, &q->why);
}

static void subject_done(struct ac__read_job *job, int status)
{
    struct subject_read *q = (struct subject_read *)job;
    struct ac_http_exchange *x = q->x;
    int err = status ? AC_EIO : q->err; /* cancelled at shutdown */
    const struct ac__opening *o = &q->o;
    if (err) {
        ac__respond_failure(x, err, &q->why, "credential");
        goto out;
    }
    json_t *j =
        json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)q->id, "cti", o->cti_hex,
                  "subject", o->subject, "identityType", "emailAddress", "email", o->email, "salt",
                  o->salt, "rule", "subject = \"sha256$\" + hex(SHA-256(lowercase(email) + salt))");
    struct ac_http_header h[] = {{"content-type", "application/json"},
                                 {"cache-control", "private, no-store"}};
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text) {
        ac__respond_error(x, AC_ENOMEM, "credential");
        goto out;
    }
    ac_http_respond(x, 200, h, 2, text, strlen(text));
    free(text);
out:
    ac_reason_release(&q->why);
    free(q);
}

static void on_subject(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    int64_t id;
    if (ac__authenticate(n, x, &a) || ac__param_id(x, "id", "credential", &id))
        return;
    struct subject_read *q = calloc(1, sizeof *q);
    if (!q) {
        ac__respond_error(x, AC_ENOMEM, "credential");
        return;
    }
    q->job.work = subject_work;
    q->job.done = subject_done;
    q->x = x;
    q->cfg = n->cfg;
    q->by = a.user;
    q->id = id;
    q->why = (struct ac_reason)AC_REASON_INIT;
    ac__read_submit(n, &q->job);
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

/* Answers record |rec| with its bytes |cose| as the JSON summary. */
static void respond_summary(struct ac_http_exchange *x, struct ac_node *n,
                            const struct ac_store_record *rec, const struct ac_buf *cose,
                            const char *what)
{
    json_t *j = summary_json(n, rec, cose);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
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

static void respond_bundle(struct ac_http_exchange *x, const struct ac_buf *out)
{
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, out->data, out->len);
    char hex[33], etag[AC__ETAG_MAX];
    sodium_bin2hex(hex, sizeof hex, h, 16);
    snprintf(etag, sizeof etag, "\"%s\"", hex);
    respond_private(x, etag, "application/cbor", out->data, out->len);
}

/* Builds the bundle of record |id| on the loop (the fallback when records
 * keep being issued while it is read on a thread). */
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
    respond_bundle(x, &out);
    ac_buf_release(&out);
}

/* ---- record reads on the reader threads (node/readers.h) ----
 *
 * Who may read, the record's bytes and its inclusion proof come from the
 * store, on a reader thread with its own connection. The job carries copies
 * of what the thread needs from node memory, taken on the loop: the reader
 * (authenticated on the loop, through the token cache), the share token, the
 * log size and, for an earner, the bytes the record cache already holds. The
 * record cache, the status list, the OB 3.0 forms and the bundle's published
 * parts are node memory that only the loop touches, so those steps run in
 * done, on the loop: the caches need no lock. */

enum record_want {
    WANT_COSE,      /* the signed bytes (cached) */
    WANT_JSON,      /* the summary, with the status from memory */
    WANT_OB3,       /* the OB 3.0 form (records/ob3_serve.h, on the loop) */
    WANT_INCLUSION, /* the inclusion proof in the current log */
    WANT_BUNDLE,    /* the bundle: its store parts here, the rest on the loop */
};

struct record_read {
    struct ac__read_job job; /* first */
    struct ac_http_exchange *x;
    struct ac_node *n; /* borrowed; used only in done, on the loop */
    enum record_want want;
    /* The reader: a user (checked against the record's earner on the
     * thread) or, when |by_share|, whoever holds share |token|. */
    struct ac_user by;
    int by_share;
    char token[AC__SHARE_TOKEN_LEN + 1];
    int64_t id;       /* by_share: found on the thread */
    int cached;       /* |cose| and |etag| were copied from the record cache */
    uint64_t log_size; /* WANT_INCLUSION: the log's size when asked */
    /* Filled on the thread. */
    int err;
    int share_missing; /* err is about the share link, not the record */
    /* Owned; NULL unless the read was refused with a reason. Kept out of
     * the job (880 bytes) so that the job fits malloc's per-thread cache. */
    struct ac_reason *why;
    struct ac_store_record rec;
    struct record_copy copy;
    char etag[AC__ETAG_MAX];
    /* Owned; allocated only for the reads that need them (a proof is 4 KiB,
     * and most reads are of a record's bytes). */
    struct ac__inclusion *inc;      /* WANT_INCLUSION */
    struct ac__bundle_parts *bundle; /* WANT_BUNDLE */
    int tries;                      /* WANT_BUNDLE: reads so far */
    struct ac__ob3_parts *ob3;      /* WANT_OB3: what its form is made from */
};

/* Room for a record's bytes, reserved on the loop before the read: malloc
 * then serves the buffer from the loop thread's cache and takes it back
 * there, where a buffer the reader thread allocated would come from that
 * thread's arena and go back to it under the arena's lock (profiled at 1M
 * records: docs/record-reads.md). Records are 300-500 bytes; a larger one
 * grows the buffer on the thread, as before. */
#define RECORD_ROOM 1000

static void record_etag(const struct ac_store_record *rec, char etag[AC__ETAG_MAX])
{
    /* cti is random per record and the bytes never change: a strong
     * validator. Quoted hex, written in place (once per read of the store). */
    _Static_assert(AC__ETAG_MAX >= 2 * sizeof rec->cti + 3, "the quoted cti fits");
    etag[0] = '"';
    sodium_bin2hex(etag + 1, 2 * sizeof rec->cti + 1, rec->cti, sizeof rec->cti);
    etag[2 * sizeof rec->cti + 1] = '"';
    etag[2 * sizeof rec->cti + 2] = '\0';
}

/* Reader thread: keeps the reason of a refusal in |r| (or NULL when
 * there is no memory for it: the code alone then answers). */
static void keep_reason(struct record_read *r, struct ac_reason *why)
{
    if (why->problem == AC_PROBLEM_NONE && !why->extra)
        return;
    if ((r->why = malloc(sizeof *r->why)) != NULL)
        *r->why = *why;
    else
        ac_reason_release(why);
}

/* Reader thread: touches only |r| and |st|. */
static void record_work(struct ac__read_job *job, struct ac_store *st)
{
    struct record_read *r = (struct record_read *)job;
    int bytes = (r->want == WANT_COSE && !r->cached) || r->want == WANT_JSON;
    int row = bytes || r->want == WANT_INCLUSION;
    int err = 0;
    struct ac_reason why = AC_REASON_INIT;
    if (r->by_share) {
        err = ac__records_shared_in(st, r->token, &r->id);
        r->share_missing = err != 0;
    } else if (!(r->by.roles & AC_ROLE_ADMIN) || !row) {
        /* An earner reads only her own records. For an admin the check is
         * only that the record exists, which reading its row finds out. */
        err = ac__records_may_read_in(st, &r->by, r->id, &why);
    }
    if (!err && row) {
        err = ac_store_record_get(st, r->id, &r->rec, bytes ? copy_cose : NULL, &r->copy);
        /* The refusal an earner would get, so an admin's 404 reads alike. */
        if (err == AC_ENOENT && !r->by_share)
            ac__records_may_read_in(st, &r->by, r->id, &why);
        if (!err)
            err = r->copy.err;
        if (!err && bytes)
            record_etag(&r->rec, r->etag);
    }
    if (!err && r->want == WANT_INCLUSION) {
        r->inc->index = r->rec.log_index;
        r->inc->size = r->log_size;
        /* Issued after the request came: the log holds it in this
         * connection's snapshot, which the loop's tree head will reach. */
        if (r->inc->index >= r->inc->size)
            err = ac_store_log_size(st, &r->inc->size);
        if (!err)
            err = ac__inclusion_compute(st, r->inc);
    }
    if (!err && r->want == WANT_BUNDLE)
        err = ac__bundle_read(st, r->id, r->bundle);
    /* Its own errors are the form's, answered by ac__respond_ob3_credential(). */
    if (!err && r->want == WANT_OB3)
        ac__ob3_parts_read(st, r->id, r->ob3);
    keep_reason(r, &why);
    r->err = err;
}

/* A record issued between the read and done moves the published
 * checkpoint past the proof's size: the parts are read again at the new size
 * (returns 1: the job is queued again), a few times, and then built on the
 * loop so the answer comes whatever the issue rate. Otherwise answers the
 * bundle and returns 0. */
static int finish_bundle(struct record_read *r)
{
    struct ac_buf out = AC_BUF_INIT;
    int err = r->err ? r->err : ac__bundle_finish(r->n, r->id, r->bundle, &out);
    if (err == AC_EAGAIN && ++r->tries < 3) {
        ac_buf_release(&out);
        ac__bundle_parts_release(r->bundle);
        ac__bundle_parts_init(r->bundle, r->n->records->tree.size);
        r->err = 0;
        ac__read_submit(r->n, &r->job);
        return 1;
    }
    if (err == AC_EAGAIN) {
        ac_buf_release(&out);
        serve_bundle(r->x, r->n, r->id);
        return 0;
    }
    char what[48];
    snprintf(what, sizeof what, "credential %lld", (long long)r->id);
    if (err)
        ac__respond_error(r->x, err, what);
    else
        respond_bundle(r->x, &out);
    ac_buf_release(&out);
    return 0;
}

static void record_free(struct record_read *r)
{
    if (r->why)
        ac_reason_release(r->why);
    free(r->why);
    ac_buf_release(&r->copy.cose);
    if (r->bundle)
        ac__bundle_parts_release(r->bundle);
    free(r->bundle);
    if (r->ob3)
        ac__ob3_parts_release(r->ob3);
    free(r->ob3);
    free(r->inc);
    free(r);
}

/* ac__checkpoint_fresh()'s callback for a bundle whose parts were read. */
static void bundle_then(struct ac_http_exchange *x, struct ac_node *n, void *arg, int err)
{
    (void)x;
    (void)n;
    struct record_read *r = arg;
    r->err = err;
    if (finish_bundle(r))
        return; /* read again at the new log size */
    record_free(r);
}

static void record_done(struct ac__read_job *job, int status)
{
    struct record_read *r = (struct record_read *)job;
    struct ac_http_exchange *x = r->x;
    struct ac_node *n = r->n;
    /* Cancelled at shutdown: the storage is going away, try again. */
    int err = status ? AC_EIO : r->err;
    /* Named only when an answer needs it: most reads succeed. */
    char what[48] = "";
    if (err || r->want == WANT_JSON)
        snprintf(what, sizeof what, "credential %lld", (long long)r->id);
    if (err == AC_EAGAIN && r->want == WANT_BUNDLE) {
        if (finish_bundle(r))
            return;
    } else if (err && r->share_missing) {
        ac__respond_error(x, err, "share link");
    } else if (err) {
        ac__respond_failure(x, err, r->why, what);
    } else if (r->want == WANT_COSE) {
        /* Best effort: a record that is not cached (too large, cache full,
         * out of memory) is simply read from the store again next time. */
        if (!r->cached)
            (void)ac__record_cache_put(n->record_cache, r->id, r->etag, r->copy.cose.data,
                                       r->copy.cose.len);
        respond_private(x, r->etag, "application/cose", r->copy.cose.data, r->copy.cose.len);
    } else if (r->want == WANT_JSON) {
        respond_summary(x, n, &r->rec, &r->copy.cose, what);
    } else if (r->want == WANT_INCLUSION) {
        ac__inclusion_respond(x, r->inc);
    } else if (r->want == WANT_OB3) {
        ac__respond_ob3_credential(x, n, r->id, r->ob3);
    } else {
        /* The bundle's parts from memory (checkpoint, status token) are
         * brought up to the stored head read on a reader thread first. */
        ac__checkpoint_fresh(n, x, bundle_then, r);
        return;
    }
    record_free(r);
}

/* Loop: forgets what record_work filled in before a page it needed turned
 * out not to be in memory (ac__readers_try_loop()), so a reader thread can
 * run it again from the start. |id| is the id asked for (0 for a share). */
static void record_reset(struct record_read *r, int64_t id)
{
    if (r->why)
        ac_reason_release(r->why);
    free(r->why);
    r->why = NULL;
    r->err = 0;
    r->share_missing = 0;
    r->id = id;
    memset(&r->rec, 0, sizeof r->rec);
    r->copy.err = 0;
    /* Bytes copied from the record cache on the loop stay, and their ETag
     * with them (record_work makes neither again); the store's partial copy
     * goes (the reserved room is kept). */
    if (!r->cached) {
        r->etag[0] = '\0';
        r->copy.cose.len = 0;
    }
}

/* Loop: tries record_work on the loop (ac__readers_try_loop()). Returns 1
 * when it answered there (r holds the result), else 0 with r reset for a
 * reader thread. A record's row never changes once written (no UPDATE of
 * records outside migrations), so what a read finds in the iteration's
 * shared snapshot is current; what it does not find may have been
 * committed since the snapshot began, so "not found" (or any failure) is
 * read again with a fresh one. A share link can be withdrawn at any moment:
 * never read in the shared snapshot. */
static int try_on_loop(struct ac_node *n, struct record_read *r, int64_t id)
{
    int shared = !r->by_share;
    if (ac__readers_try_loop(n->readers, &r->job, shared ? AC__LOOP_SHARED : AC__LOOP_FRESH)) {
        record_reset(r, id);
        return 0;
    }
    if (!shared || !r->err)
        return 1;
    record_reset(r, id);
    if (ac__readers_try_loop(n->readers, &r->job, AC__LOOP_AGAIN)) {
        record_reset(r, id);
        return 0;
    }
    return 1;
}

static void read_record_now(struct ac_http_exchange *x, struct ac_node *n, const struct ac_user *by,
                            const char *token, int64_t id, enum record_want want);

/* What read_record() goes on with once the stored head is read. */
struct at_head {
    struct ac_user by;
    int has_by;
    char token[AC__SHARE_TOKEN_LEN + 1]; /* "" unless a share token of its length */
    int64_t id;
    enum record_want want;
};

static void at_head_then(struct ac_http_exchange *x, struct ac_node *n, void *arg, int err)
{
    struct at_head *h = arg;
    if (err)
        ac__respond_error(x, err, "transparency log");
    else
        read_record_now(x, n, h->has_by ? &h->by : NULL, h->token, h->id, h->want);
    free(h);
}

/* Queues the read of record |id| for |by| (an authenticated user), or of the
 * record share |token| leads to when |by| is NULL. An admin's read of a
 * cached record is answered at once: it exists, and an admin may read any.
 * A read of a record's bytes or summary is first tried on the loop, which
 * answers it there when every page it needs is in memory (a few B-tree
 * pages: the loop never waits on the disk, docs/record-reads.md). */
static void read_record(struct ac_http_exchange *x, struct ac_node *n, const struct ac_user *by,
                        const char *token, int64_t id, enum record_want want)
{
    const struct ac__cached_record *hit = NULL;
    if (by && want == WANT_COSE) {
        hit = ac__record_cache_get(n->record_cache, id);
        if (hit && (by->roles & AC_ROLE_ADMIN)) {
            respond_private(x, hit->etag, "application/cose", hit->bytes, hit->len);
            return;
        }
    }
    /* Another process of this node may have grown the log: proofs are made
     * at the stored head, read first on a reader thread. */
    if (want == WANT_INCLUSION || want == WANT_BUNDLE) {
        struct at_head *h = calloc(1, sizeof *h);
        if (!h) {
            ac__respond_error(x, AC_ENOMEM, "credential");
            return;
        }
        if (by) {
            h->by = *by;
            h->has_by = 1;
        } else if (token && strlen(token) == AC__SHARE_TOKEN_LEN) {
            memcpy(h->token, token, AC__SHARE_TOKEN_LEN + 1);
        }
        h->id = id;
        h->want = want;
        ac__checkpoint_fresh(n, x, at_head_then, h);
        return;
    }
    read_record_now(x, n, by, token, id, want);
}

/* The rest of read_record(): the read itself, the stored head followed. */
static void read_record_now(struct ac_http_exchange *x, struct ac_node *n, const struct ac_user *by,
                            const char *token, int64_t id, enum record_want want)
{
    const struct ac__cached_record *hit = NULL;
    if (by && want == WANT_COSE)
        hit = ac__record_cache_get(n->record_cache, id);
    struct record_read *r = calloc(1, sizeof *r);
    if (!r) {
        ac__respond_error(x, AC_ENOMEM, "credential");
        return;
    }
    r->job.work = record_work;
    r->job.done = record_done;
    r->x = x;
    r->n = n;
    r->want = want;
    r->id = id;
    r->copy.cose = (struct ac_buf)AC_BUF_INIT;
    r->log_size = n->records->tree.size;
    if (want == WANT_INCLUSION)
        r->inc = malloc(sizeof *r->inc);
    if (want == WANT_BUNDLE && (r->bundle = malloc(sizeof *r->bundle)))
        ac__bundle_parts_init(r->bundle, r->log_size);
    if (want == WANT_OB3 && (r->ob3 = malloc(sizeof *r->ob3)))
        ac__ob3_parts_init(r->ob3);
    if ((want == WANT_INCLUSION && !r->inc) || (want == WANT_BUNDLE && !r->bundle) ||
        (want == WANT_OB3 && !r->ob3)) {
        free(r->inc);
        if (r->bundle)
            ac__bundle_parts_release(r->bundle);
        free(r->bundle);
        free(r);
        ac__respond_error(x, AC_ENOMEM, "credential");
        return;
    }
    if (by) {
        r->by = *by;
    } else {
        r->by_share = 1;
        /* A token of any other length finds nothing (share.c). */
        if (token && strlen(token) == AC__SHARE_TOKEN_LEN)
            memcpy(r->token, token, AC__SHARE_TOKEN_LEN + 1);
    }
    /* The earner's own read of a cached record: the thread checks only that
     * it is hers. The copy is a few hundred bytes, and the cache entry may
     * be replaced before done runs. */
    if (hit) {
        if (ac_buf_append(&r->copy.cose, hit->bytes, hit->len)) {
            free(r);
            ac__respond_error(x, AC_ENOMEM, "credential");
            return;
        }
        memcpy(r->etag, hit->etag, sizeof r->etag);
        r->cached = 1;
    } else if ((want == WANT_COSE || want == WANT_JSON) &&
               ac_buf_reserve(&r->copy.cose, RECORD_ROOM)) {
        free(r);
        ac__respond_error(x, AC_ENOMEM, "credential");
        return;
    }
    if ((want == WANT_COSE || want == WANT_JSON) && n->readers && try_on_loop(n, r, id)) {
        record_done(&r->job, 0);
        return;
    }
    ac__read_submit(n, &r->job);
}

/* Reads what form of a record the request asks for. Returns 0, or -1
 * having answered 400. */
static int record_format(struct ac_http_exchange *x, enum record_want *want)
{
    if (ac__ob3_wanted(x)) { /* ?format=ob3 or Accept: application/vc+ld+json */
        *want = WANT_OB3;
        return 0;
    }
    char format[8];
    int rc = ac_http_query(ac_http_exchange_req(x), "format", format, sizeof format);
    if (rc == 0 && strcmp(format, "json") != 0 && strcmp(format, "cose") != 0) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "format", NULL,
                    "format: \"%s\" must be cose or json", format);
        return -1;
    }
    if (rc == AC_E2BIG) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "format", NULL, "format: must be cose or json");
        return -1;
    }
    *want = rc == 0 && strcmp(format, "json") == 0 ? WANT_JSON : WANT_COSE;
    return 0;
}

/* GET /v1/credentials/{id}[/inclusion|/bundle]: an admin or the earner. */
static void read_by_id(struct ac_http_exchange *x, struct ac_node *n, enum record_want want)
{
    struct ac__auth a;
    int64_t id;
    if (ac__authenticate(n, x, &a) || ac__param_id(x, "id", "credential", &id))
        return;
    if (want == WANT_COSE && record_format(x, &want))
        return;
    read_record(x, n, &a.user, NULL, id, want);
}

static void on_record(struct ac_http_exchange *x, void *arg)
{
    read_by_id(x, arg, WANT_COSE);
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
    read_by_id(x, arg, WANT_INCLUSION);
}

static void on_bundle(struct ac_http_exchange *x, void *arg)
{
    read_by_id(x, arg, WANT_BUNDLE);
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

/* GET /v1/shared/{token}: anyone holding a live link (a withdrawn link and
 * a made-up one answer 404 alike). */
static void on_shared(struct ac_http_exchange *x, void *arg)
{
    enum record_want want;
    if (!record_format(x, &want))
        read_record(x, arg, NULL, ac_http_param(x, "token"), 0, want);
}

static void on_shared_bundle(struct ac_http_exchange *x, void *arg)
{
    read_record(x, arg, NULL, ac_http_param(x, "token"), 0, WANT_BUNDLE);
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
