/* api_recognition.c - the recognizer's endpoints: recognition policies (which
 * credentials from which issuers count, for how many CEUs, toward what), the
 * record of presented credentials with the verdict of verifying them, and a
 * teacher's recognized total. The changes are the services of
 * node/recognition/; here the input is parsed and checked (a presented record
 * decoded, accord-verify's output checked against it). See
 * docs/api-recognition.md. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/base64.h"
#include "accord/records/bundle.h"
#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/records/record.h"
#include "accord/store/store_recognition.h"
#include "internal.h"
#include "readers.h"
#include "recognition/recognition.h"
#include "records/records.h"

/* A record or bundle larger than this is not one Accord produced. */
#define MAX_PRESENTED_BYTES (64 * 1024)

static int bad_field(struct ac_http_exchange *x, const char *field, const char *detail)
{
    ac__problem(x, AC_PROBLEM_INVALID_FIELD, field, NULL, "%s: %s", field, detail);
    return -1;
}

static json_t *ceu_json(int64_t hundredths)
{
    return json_real((double)hundredths / 100.0);
}

static json_t *policy_json(const struct ac_policy *p)
{
    json_t *j = json_pack(
        "{s:I, s:I, s:s, s:s, s:I, s:s, s:b, s:s, s:b}", "id", (json_int_t)p->id, "recognizer_id",
        (json_int_t)p->recognizer_id, "issuer", p->issuer, "credential_id", p->credential_id,
        "min_version", (json_int_t)p->min_version, "purpose", ac_purpose_name(p->purpose),
        "requires_approval", p->requires_approval, "note", p->note, "retired", p->retired_ms != 0);
    if (!j)
        return NULL;
    json_object_set_new(j, "ceus", p->has_ceu ? ceu_json(p->ceu_hundredths) : json_null());
    json_object_set_new(j, "peer", p->peer[0] ? json_string(p->peer) : json_null());
    json_object_set_new(j, "content_hash",
                        p->content_hash[0] ? json_string(p->content_hash) : json_null());
    ac__json_time(j, "created_at", p->created_ms);
    ac__json_time(j, "retired_at", p->retired_ms);
    return j;
}

/* Reads an optional string member of at most |max| bytes (empty allowed only
 * when |allow_empty|). Returns 0 (|*out| NULL when absent) or answers 400. */
static int opt_string(struct ac_http_exchange *x, const json_t *body, const char *key, size_t max,
                      int allow_empty, const char **out)
{
    json_t *v = json_object_get(body, key);
    *out = NULL;
    if (!v)
        return 0;
    char detail[96];
    snprintf(detail, sizeof detail, "must be a%s string of at most %zu bytes",
             allow_empty ? "" : " non-empty", max);
    if (!json_is_string(v) || json_string_length(v) > max ||
        (!allow_empty && json_string_length(v) == 0) ||
        strlen(json_string_value(v)) != json_string_length(v))
        return bad_field(x, key, detail);
    *out = json_string_value(v);
    return 0;
}

/* Parses a CEU amount: a number from 0 to 1000 with at most two decimals. */
static int parse_ceus(struct ac_http_exchange *x, const char *field, const json_t *v,
                      int64_t *hundredths)
{
    if (!json_is_number(v))
        return bad_field(x, field, "must be a number of CEUs from 0 to 1000");
    double d = json_number_value(v) * 100.0;
    double r = round(d);
    if (!(r >= 0 && r <= AC_CEU_HUNDREDTHS_MAX))
        return bad_field(x, field, "must be a number of CEUs from 0 to 1000");
    if (fabs(d - r) > 1e-6)
        return bad_field(x, field, "must have at most two decimals (hundredths of a CEU)");
    *hundredths = (int64_t)r;
    return 0;
}

static void on_policy_create(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_RECOGNIZER) ||
        ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"issuer",       "credential_id", "min_version",
                                          "ceus",         "purpose",       "requires_approval",
                                          "note",         "peer",          "content_hash",
                                          NULL};
    struct ac_policy p;
    memset(&p, 0, sizeof p);
    p.min_version = 1;
    const char *issuer, *cred, *purpose, *note, *peer, *hash;
    if (ac__json_only(x, body, allowed) ||
        opt_string(x, body, "issuer", AC_POLICY_ISSUER_MAX, 0, &issuer) ||
        opt_string(x, body, "peer", AC_POLICY_PEER_MAX, 0, &peer) ||
        opt_string(x, body, "content_hash", AC_POLICY_HASH_MAX, 0, &hash) ||
        opt_string(x, body, "credential_id", AC_POLICY_CREDENTIAL_MAX, 0, &cred) ||
        opt_string(x, body, "purpose", 32, 0, &purpose) ||
        opt_string(x, body, "note", AC_RECOGNITION_NOTE_MAX, 1, &note))
        goto out;
    if (!cred) {
        bad_field(x, "credential_id", "required; the credential definition's id");
        goto out;
    }
    if (!peer != !hash) {
        bad_field(x, peer ? "content_hash" : "peer",
                  "required with the other: a peer's credential is named by peer (its node id), "
                  "credential_id and content_hash");
        goto out;
    }
    if (peer && (issuer || json_object_get(body, "min_version"))) {
        bad_field(x, issuer ? "issuer" : "min_version",
                  "comes from the peer's signed catalog when peer and content_hash name the "
                  "credential; leave it out");
        goto out;
    }
    if (!purpose) {
        bad_field(x, "purpose", "required; one of ceu, pay_scale, relicensure");
        goto out;
    }
    if (ac_purpose_parse(purpose, &p.purpose)) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "purpose", NULL,
                    "purpose: \"%s\" is not one of ceu, pay_scale, relicensure", purpose);
        goto out;
    }
    json_t *v = json_object_get(body, "min_version");
    if (v && (!json_is_integer(v) || json_integer_value(v) < 1)) {
        bad_field(x, "min_version", "must be a whole number of at least 1");
        goto out;
    }
    if (v)
        p.min_version = (uint64_t)json_integer_value(v);
    v = json_object_get(body, "ceus");
    if (v && !json_is_null(v)) {
        if (parse_ceus(x, "ceus", v, &p.ceu_hundredths))
            goto out;
        p.has_ceu = 1;
    }
    v = json_object_get(body, "requires_approval");
    if (v && !json_is_boolean(v)) {
        bad_field(x, "requires_approval", "must be true or false");
        goto out;
    }
    p.requires_approval = v && json_is_true(v);
    if (peer) {
        snprintf(p.peer, sizeof p.peer, "%s", peer);
        snprintf(p.content_hash, sizeof p.content_hash, "%s", hash);
    }
    /* A policy without an issuer counts this node's own credentials. */
    const char *iss = ac__issuer_of(n, issuer);
    if (strlen(iss) > AC_POLICY_ISSUER_MAX) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "issuer", NULL,
                    "issuer: this node's issuer URL \"%s\" is longer than %d bytes; "
                    "name the issuer explicitly",
                    iss, AC_POLICY_ISSUER_MAX);
        goto out;
    }
    memcpy(p.issuer, iss, strlen(iss) + 1);
    snprintf(p.credential_id, sizeof p.credential_id, "%s", cred);
    snprintf(p.note, sizeof p.note, "%s", note ? note : "");
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__policies_create(n, &a.user, &p, &why);
    if (err) {
        ac__respond_failure(x, err, &why, "policy");
        ac_reason_release(&why);
        goto out;
    }
    ac__respond_owned(x, 201, policy_json(&p));
out:
    json_decref(body);
}

/* Reads an optional positive id query parameter. Returns 0 (|*id| 0 when
 * absent) or answers 400. */
static int query_id(struct ac_http_exchange *x, const char *name, int64_t *id)
{
    char v[24];
    *id = 0;
    int rc = ac_http_query(ac_http_exchange_req(x), name, v, sizeof v);
    if (rc == AC_ENOENT)
        return 0;
    char *end = NULL;
    long long l = rc == 0 ? strtoll(v, &end, 10) : 0;
    if (rc != 0 || !v[0] || *end || l < 1) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, name, NULL,
                    "%s: \"%s\" must be a user id (a positive whole number)", name,
                    rc == 0 ? v : "(too long)");
        return -1;
    }
    *id = l;
    return 0;
}

/* ---- lists on the reader threads (node/readers.h) ---- */

/* A policy or presentation list: what the loop parsed. */
struct list_read {
    struct ac__json_read r; /* first */
    int64_t owner;          /* policies: the recognizer filter (0: all); else the caller */
    char teacher[AC_TEACHER_MAX + 2];
    int by_teacher;
    size_t limit;
    int64_t after;
};

/* policy_json() for ac__page_rows_json(). */
static json_t *policy_row_json(const void *row)
{
    return policy_json(row);
}

static int policy_list_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                            struct ac_reason *why)
{
    (void)why;
    struct list_read *l = (struct list_read *)r;
    struct ac_policy *page = calloc(l->limit + 1, sizeof *page);
    size_t got = 0;
    int err = page ? ac_store_policy_list(view->store, l->owner, l->after, page, l->limit + 1, &got)
                   : AC_ENOMEM;
    if (!err)
        *out = ac__page_rows_json(page, sizeof *page, got, l->limit, offsetof(struct ac_policy, id),
                                  policy_row_json);
    free(page);
    return err;
}

static void on_policy_list(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    size_t limit;
    int64_t after, recognizer;
    if (ac__authenticate(n, x, &a) || ac__page_params(x, &limit, &after) ||
        query_id(x, "recognizer", &recognizer))
        return;
    struct list_read *l = ac__read_new(x, sizeof *l, "policies");
    if (!l)
        return;
    l->owner = recognizer;
    l->limit = limit;
    l->after = after;
    ac__json_read_submit(n, x, &l->r, policy_list_read, NULL, "policies");
}

/* GET /v1/recognition/policies/{id}, read on a reader thread. */
struct policy_get_read {
    struct ac__json_read r; /* first */
    int64_t id;
};

static int policy_get_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                           struct ac_reason *why)
{
    (void)why;
    struct ac_policy p;
    int err = ac_store_policy_get(view->store, ((struct policy_get_read *)r)->id, &p);
    if (!err)
        *out = policy_json(&p);
    return err;
}

static void on_policy_get(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    int64_t id;
    if (ac__authenticate(n, x, &a) || ac__param_id(x, "id", "policy", &id))
        return;
    char what[40];
    snprintf(what, sizeof what, "policy %lld", (long long)id);
    struct policy_get_read *g = ac__read_new(x, sizeof *g, what);
    if (!g)
        return;
    g->id = id;
    ac__json_read_submit(n, x, &g->r, policy_get_read, NULL, what);
}

static void on_policy_retire(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    int64_t id;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_RECOGNIZER) ||
        ac__param_id(x, "id", "policy", &id))
        return;
    struct ac_policy p;
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__policies_retire(n, &a.user, id, &p, &why);
    if (err) {
        char what[40];
        snprintf(what, sizeof what, "policy %lld", (long long)id);
        ac__respond_failure(x, err, &why, what);
        ac_reason_release(&why);
        return;
    }
    ac__respond_owned(x, 200, policy_json(&p));
}

/* ---- presentations ---- */

static int teacher_ok(const char *t)
{
    size_t len = strlen(t);
    if (len == 0 || len > AC_TEACHER_MAX)
        return 0;
    for (const char *c = t; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '.' || *c == '_' || *c == '-' || *c == '@'))
            return 0;
    return 1;
}

static const char teacher_rule[] =
    "must be 1-128 of A-Z, a-z, 0-9, '.', '_', '-' and '@' (your own id for the teacher)";

static json_t *presentation_json(const struct ac_presentation *p)
{
    char hash[65];
    sodium_bin2hex(hash, sizeof hash, p->record_hash, sizeof p->record_hash);
    json_t *checks = json_loads(p->checks, 0, NULL);
    json_t *j = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:o}", "id",
                          (json_int_t)p->id, "recognizer_id", (json_int_t)p->recognizer_id,
                          "teacher", p->teacher, "record_sha256", hash, "cti", p->cti_hex, "issuer",
                          p->issuer, "credential_id", p->credential_id, "credential_version",
                          (json_int_t)p->credential_version, "achieved_level", p->achieved_level,
                          "verdict", ac_verdict_name(p->verdict), "status", p->status_result,
                          "verified_by", p->verified_by, "checks", checks ? checks : json_array());
    if (!j)
        return NULL;
    json_object_set_new(j, "ceus", p->has_ceu ? ceu_json(p->ceu_hundredths) : json_null());
    json_object_set_new(j, "earner_id", p->earner_id ? json_integer(p->earner_id) : json_null());
    ac__json_time(j, "issued_at", p->issued_ms);
    ac__json_time(j, "presented_at", p->presented_ms);
    ac__json_time(j, "verified_at", p->verified_ms);
    return j;
}

/* Decodes base64url (no padding) or standard base64 (padded) into a new
 * buffer, each in its one strict spelling (accord/base/base64.h). */
static int decode_b64(const char *text, size_t len, uint8_t **out, size_t *out_len)
{
    uint8_t *bin = malloc(len ? len : 1);
    if (!bin)
        return AC_ENOMEM;
    static const enum ac_base64_variant variants[] = {AC_BASE64_URL_NOPAD, AC_BASE64_STD};
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        if (ac_base64_decode(text, len, variants[i], bin, len ? len : 1, out_len) == 0) {
            *out = bin;
            return 0;
        }
    }
    free(bin);
    return AC_EPARSE;
}

/* Decodes the presented record (bare, or the record inside a bundle) and
 * fills the record's side of |p|. Answers 400 and returns -1 on bad input. */
static int read_presented(struct ac_http_exchange *x, const json_t *body, struct ac_presentation *p,
                          struct ac__holder *h, uint8_t **out, size_t *out_len)
{
    struct ac_record rec;
    json_t *rj = json_object_get(body, "record"), *bj = json_object_get(body, "bundle");
    if ((rj != NULL) == (bj != NULL))
        return bad_field(x, "record",
                         "give exactly one of \"record\" (the signed record) or \"bundle\" "
                         "(the credential bundle), base64url");
    const char *field = rj ? "record" : "bundle";
    json_t *v = rj ? rj : bj;
    if (!json_is_string(v) || json_string_length(v) == 0 ||
        json_string_length(v) > MAX_PRESENTED_BYTES * 4 / 3 + 4)
        return bad_field(x, field, "must be base64url text of at most 64 KiB of bytes");
    uint8_t *bytes;
    size_t len;
    int err = decode_b64(json_string_value(v), json_string_length(v), &bytes, &len);
    if (err == AC_ENOMEM) {
        ac__respond_error(x, err, field);
        return -1;
    }
    if (err)
        return bad_field(x, field, "is not base64url (or base64) text");
    const uint8_t *record = bytes;
    size_t record_len = len;
    char why[AC_RECORD_WHY_LEN];
    if (bj) {
        struct ac_bundle b;
        if (ac_bundle_decode(bytes, len, &b, why, sizeof why)) {
            free(bytes);
            ac__problem(x, AC_PROBLEM_INVALID_FIELD, "bundle", NULL,
                        "bundle: not a credential bundle: %s", why);
            return -1;
        }
        record = b.record;
        record_len = b.record_len;
    }
    struct ac_cose_sign1 msg;
    if (ac_record_decode(record, record_len, &rec, &msg, why, sizeof why)) {
        free(bytes);
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, field, NULL, "%s: not an Accord record: %s", field,
                    why);
        return -1;
    }
    /* The hash is of the record alone, so a record shown bare and inside a
     * bundle is one presentation. */
    crypto_hash_sha256(p->record_hash, record, record_len);
    sodium_bin2hex(p->cti_hex, sizeof p->cti_hex, rec.cti, sizeof rec.cti);
    snprintf(p->issuer, sizeof p->issuer, "%s", rec.iss);
    snprintf(p->credential_id, sizeof p->credential_id, "%s", rec.definition_id);
    p->credential_version = rec.definition_version;
    snprintf(p->achieved_level, sizeof p->achieved_level, "%s", rec.achieved_level);
    p->has_ceu = rec.has_ceu;
    p->ceu_hundredths = rec.has_ceu ? (int64_t)rec.ceu_hundredths : 0;
    p->issued_ms = rec.iat * 1000;
    snprintf(h->subject, sizeof h->subject, "%s", rec.sub);
    snprintf(h->salt, sizeof h->salt, "%s", rec.subject_salt);
    if (p->ceu_hundredths > AC_CEU_HUNDREDTHS_MAX) {
        free(bytes);
        return bad_field(x, field, "claims more than 1000 CEUs, which no credential is worth");
    }
    if (strlen(rec.iss) > AC_POLICY_ISSUER_MAX ||
        strlen(rec.definition_id) > AC_POLICY_CREDENTIAL_MAX) {
        free(bytes);
        return bad_field(x, field, "names an issuer or credential id longer than any policy's");
    }
    *out = bytes;
    *out_len = len;
    return 0;
}

static void presentation_done(void *arg, int err, const struct ac_presentation *p, int created,
                              const struct ac_reason *why)
{
    struct ac_http_exchange *x = arg;
    if (err == AC_ECANCELED)
        ac__problem(x, AC_PROBLEM_STORAGE_UNAVAILABLE, NULL, NULL, "the node is stopping");
    else if (err)
        ac__respond_failure(x, err, why, "presentation");
    else
        ac__respond_owned(x, created ? 201 : 200, presentation_json(p));
}

/* The node verifies what it is shown itself (node/recognition/verify.c); a
 * verdict from the client is refused rather than ignored, so an old client
 * learns that it no longer decides anything. */
static void on_presentation_record(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_RECOGNIZER) ||
        ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"teacher",   "record", "bundle",
                                          "earner_id", "email",  NULL};
    struct ac_presentation *p = calloc(1, sizeof *p);
    struct ac__holder h = {{0}, {0}, {0}};
    const char *email = NULL;
    const char *teacher;
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (!p) {
        ac__respond_error(x, AC_ENOMEM, "presentation");
        goto out;
    }
    if (json_object_get(body, "verification")) {
        bad_field(x, "verification",
                  "not accepted: the node verifies a presented record itself (signature, key "
                  "window, log inclusion and status fetched from the issuer); send only "
                  "\"teacher\" and \"record\" or \"bundle\"");
        goto out;
    }
    if (ac__json_only(x, body, allowed) ||
        opt_string(x, body, "teacher", AC_TEACHER_MAX, 0, &teacher) ||
        opt_string(x, body, "email", AC_USER_EMAIL_MAX, 0, &email))
        goto out;
    snprintf(h.email, sizeof h.email, "%s", email ? email : "");
    if (!teacher || !teacher_ok(teacher)) {
        bad_field(x, "teacher", teacher ? teacher_rule : "required; your own id for the teacher");
        goto out;
    }
    json_t *earner = json_object_get(body, "earner_id");
    if (earner && (!json_is_integer(earner) || json_integer_value(earner) < 1)) {
        bad_field(x, "earner_id",
                  "must be the user id of the teacher's earner account on this node");
        goto out;
    }
    p->earner_id = earner ? (int64_t)json_integer_value(earner) : 0;
    if (read_presented(x, body, p, &h, &bytes, &len))
        goto out;
    snprintf(p->teacher, sizeof p->teacher, "%s", teacher);
    /* Answered from presentation_done(), once the issuer has been asked. */
    ac__presentations_present(n, &a.user, p, &h, bytes, len, presentation_done, x);
out:
    free(p);
    json_decref(body);
}

/* presentation_json() for ac__page_rows_json(). */
static json_t *presentation_row_json(const void *row)
{
    return presentation_json(row);
}

static int presentation_list_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                                  struct ac_reason *why)
{
    (void)why;
    struct list_read *l = (struct list_read *)r;
    struct ac_presentation *page = calloc(l->limit + 1, sizeof *page);
    size_t got = 0;
    int err =
        page ? ac_store_presentation_list(view->store, l->owner, l->by_teacher ? l->teacher : NULL,
                                          l->after, page, l->limit + 1, &got)
             : AC_ENOMEM;
    if (!err)
        *out = ac__page_rows_json(page, sizeof *page, got, l->limit,
                                  offsetof(struct ac_presentation, id), presentation_row_json);
    free(page);
    return err;
}

static void on_presentation_list(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    size_t limit;
    int64_t after;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_RECOGNIZER) ||
        ac__page_params(x, &limit, &after))
        return;
    struct list_read *l = ac__read_new(x, sizeof *l, "presentations");
    if (!l)
        return;
    int rc = ac_http_query(ac_http_exchange_req(x), "teacher", l->teacher, sizeof l->teacher);
    if (rc != AC_ENOENT && (rc != 0 || !teacher_ok(l->teacher))) {
        free(l);
        bad_field(x, "teacher", teacher_rule);
        return;
    }
    l->by_teacher = rc == 0;
    l->owner = a.user.id;
    l->limit = limit;
    l->after = after;
    ac__json_read_submit(n, x, &l->r, presentation_list_read, NULL, "presentations");
}

/* GET /v1/recognition/presentations/{id}, read on a reader thread.
 * Presentations are the recognizer's own business: others get a 404. */
struct presentation_get_read {
    struct ac__json_read r; /* first */
    int64_t id;
    int64_t recognizer;
};

static int presentation_get_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                                 struct ac_reason *why)
{
    (void)why;
    struct presentation_get_read *g = (struct presentation_get_read *)r;
    struct ac_presentation *p = malloc(sizeof *p);
    int err = p ? ac_store_presentation_get(view->store, g->id, p) : AC_ENOMEM;
    if (!err && p->recognizer_id != g->recognizer)
        err = AC_ENOENT;
    if (!err)
        *out = presentation_json(p);
    free(p);
    return err;
}

static void on_presentation_get(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    int64_t id;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_RECOGNIZER) ||
        ac__param_id(x, "id", "presentation", &id))
        return;
    char what[48];
    snprintf(what, sizeof what, "presentation %lld", (long long)id);
    struct presentation_get_read *g = ac__read_new(x, sizeof *g, what);
    if (!g)
        return;
    g->id = id;
    g->recognizer = a.user.id;
    ac__json_read_submit(n, x, &g->r, presentation_get_read, NULL, what);
}

struct total_req {
    struct ac_http_exchange *x;
    int64_t recognizer_id;
    char teacher[AC_TEACHER_MAX + 1];
};

static void total_done(void *arg, int err, const struct ac_recognized *r, size_t got)
{
    struct total_req *q = arg;
    struct ac_http_exchange *x = q->x;
    if (err == AC_EAGAIN) {
        /* Either the verifier was full (AC__VERIFY_RUNNING_MAX batches) or
         * the re-checked verdicts' write lost its races with concurrent
         * writes too often: both pass, so the message names both. */
        ac__problem(x, AC_PROBLEM_BUSY, NULL, NULL,
                    "the node is busy: it is verifying %d batches with their issuers, or "
                    "concurrent writes kept winning over the re-checked verdicts; try again "
                    "in a few seconds",
                    AC__VERIFY_RUNNING_MAX);
        free(q);
        return;
    }
    if (err == AC_ECANCELED) {
        /* Its reads or its re-checks' write came after the node began to stop. */
        ac__problem(x, AC_PROBLEM_STORAGE_UNAVAILABLE, NULL, NULL, "the node is stopping");
        free(q);
        return;
    }
    if (err) {
        ac__respond_error(x, err, "recognized total");
        free(q);
        return;
    }
    int64_t sums[AC_PURPOSE_COUNT] = {0};
    json_t *items = json_array();
    for (size_t i = 0; i < got; i++) {
        sums[r[i].purpose] += r[i].ceu_hundredths;
        json_t *it =
            json_pack("{s:I, s:I, s:s, s:s, s:s, s:I, s:o}", "presentation_id",
                      (json_int_t)r[i].presentation_id, "policy_id", (json_int_t)r[i].policy_id,
                      "purpose", ac_purpose_name(r[i].purpose), "issuer", r[i].issuer,
                      "credential_id", r[i].credential_id, "credential_version",
                      (json_int_t)r[i].credential_version, "ceus", ceu_json(r[i].ceu_hundredths));
        json_array_append_new(items, it);
    }
    json_t *totals = json_object();
    for (int p = 0; p < AC_PURPOSE_COUNT; p++)
        json_object_set_new(totals, ac_purpose_name((enum ac_purpose)p), ceu_json(sums[p]));
    ac__respond_owned(x, 200,
                      json_pack("{s:s, s:I, s:o, s:o}", "teacher", q->teacher, "recognizer_id",
                                (json_int_t)q->recognizer_id, "totals", totals, "credentials",
                                items));
    free(q);
}

static void on_teacher_total(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_RECOGNIZER))
        return;
    const char *teacher = ac_http_param(x, "teacher");
    if (!teacher || !teacher_ok(teacher)) {
        bad_field(x, "teacher", teacher_rule);
        return;
    }
    struct total_req *q = malloc(sizeof *q);
    if (!q) {
        ac__respond_error(x, AC_ENOMEM, "recognized total");
        return;
    }
    q->x = x;
    q->recognizer_id = a.user.id;
    snprintf(q->teacher, sizeof q->teacher, "%s", teacher);
    /* Read on a reader thread, old verdicts checked again with their
     * issuers first: this answers later, from total_done(). */
    ac__recognition_total(n, &a.user, teacher, total_done, q);
}

void ac__api_recognition_register(struct ac_node *n)
{
    ac__route(n, "POST", "/v1/recognition/policies", on_policy_create);
    ac__route(n, "GET", "/v1/recognition/policies", on_policy_list);
    ac__route(n, "GET", "/v1/recognition/policies/{id}", on_policy_get);
    ac__route(n, "POST", "/v1/recognition/policies/{id}/retire", on_policy_retire);
    ac__route(n, "POST", "/v1/recognition/presentations", on_presentation_record);
    ac__route(n, "GET", "/v1/recognition/presentations", on_presentation_list);
    ac__route(n, "GET", "/v1/recognition/presentations/{id}", on_presentation_get);
    ac__route(n, "GET", "/v1/recognition/teachers/{teacher}/total", on_teacher_total);
}
