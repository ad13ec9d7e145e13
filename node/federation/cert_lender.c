/* cert_lender.c - the lender's side of cross-node certification: its
 * reviewer applies, trains and answers here; each act is a signed message to
 * the issuer, whose cert.state answers are kept as its word, the signed
 * reviewer-certification record verified with the issuer's keys first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/records/reviewer_cert.h"
#include "accord/sign/envelope.h"
#include "accord/store/peer.h"
#include "accord/store/remote_cert.h"
#include "accord/store/reviewer.h"
#include "accord/store/user.h"
#include "audit.h"
#include "cert.h"
#include "federation.h"
#include "internal.h"

#define MAX_ANSWERS_BYTES 4096
#define MAX_HELD 16

/* A credential is named by its definition id: the issuer answers for its
 * newest version and the record names the version. */
static int credential_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n > 0 && n <= AC_REMOTE_CERT_CRED_MAX && !strchr(s, '@') && !strchr(s, '/');
}

/* |p|'s keys as core/records takes them. */
static size_t peer_keys(const struct ac__fed_peer *p, struct ac_rcert_key *out)
{
    for (size_t i = 0; i < p->nkeys; i++) {
        memcpy(out[i].public_key, p->keys[i].public_key, 32);
        memcpy(out[i].kid, p->keys[i].kid, 8);
        out[i].not_before_ms = p->keys[i].not_before_ms;
        out[i].not_after_ms = p->keys[i].not_after_ms;
    }
    return p->nkeys;
}

/* Verifies |data| as a record by a peer holding the certify right here that
 * names a reviewer of this node; |issuer| (may be NULL) must be its signer. */
static int verify_record(struct ac_node *n, const char *issuer, const uint8_t *data, size_t len,
                         struct ac_rcert_record *r, struct ac_reason *why)
{
    struct ac_rcert_key keys[AC__FED_PEER_KEYS];
    char text[AC_RCERT_RECORD_WHY_LEN + 2 * AC__FED_PEER_KEYS * 4] = "";
    struct ac__federation *f = n->federation;
    /* The record names its issuer only inside the signed payload, so each
     * peer's keys are tried and the payload then has to agree. */
    int err = AC_ECRYPTO;
    for (size_t i = 0; f && err && i < f->npeers; i++) {
        struct ac__fed_peer *p = f->peers[i];
        if (!p->active || !(p->rights & AC_RIGHT_CERTIFY) ||
            (issuer && strcmp(issuer, p->node_id) != 0))
            continue;
        err = ac_rcert_record_verify(data, len, keys, peer_keys(p, keys), r, text, sizeof text);
        if (!err && strcmp(r->issuer, p->node_id) != 0) {
            snprintf(text, sizeof text, "signed by a key of %s but names issuer %s", p->node_id,
                     r->issuer);
            err = AC_ECRYPTO;
        }
        if (err == AC_EPARSE)
            break; /* not a record at all: no key will change that */
    }
    if (!err && strcmp(r->home_node, n->cfg->node_id) != 0) {
        snprintf(text, sizeof text, "it names a reviewer of %s, not of this node (%s)",
                 r->home_node, n->cfg->node_id);
        err = AC_ECRYPTO;
    }
    if (err)
        return ac_reason_fail(why, err == AC_ENOMEM ? err : AC_EINVAL, AC_PROBLEM_BAD_CERTIFICATION,
                              "record", "the reviewer-certification record is refused: %s",
                              text[0] ? text : "no peer holding the certify right signed it");
    return 0;
}

json_t *ac__remote_cert_json(const struct ac_remote_cert *c)
{
    json_t *detail = json_loads(c->detail, 0, NULL);
    json_t *j = json_pack("{s:I, s:I, s:s, s:s, s:I, s:s, s:s?, s:o, s:b}", "id", (json_int_t)c->id,
                          "user_id", (json_int_t)c->user_id, "issuer", c->issuer, "credential",
                          c->credential, "version", (json_int_t)c->version, "state", c->state,
                          "pending", c->pending[0] ? c->pending : NULL, "issuer_says",
                          detail ? detail : json_object(), "has_record", c->record != NULL);
    if (!j)
        return NULL;
    /* The record is served as its bytes (GET .../record), not inside JSON. */
    json_object_del(json_object_get(j, "issuer_says"), "record");
    ac__json_time(j, "updated_at", c->updated_ms);
    if (c->expires_ms)
        ac__json_time(j, "expires_at", c->expires_ms);
    return j;
}

int ac_remote_cert_apply(struct ac_node *n, int64_t actor, const char *issuer,
                         const char *credential, const json_t *answers, const json_t *held,
                         int64_t *id, struct ac_reason *why)
{
    struct ac_user u;
    int err = ac_store_user_get(n->store, actor, &u);
    if (err || !(u.roles & AC_ROLE_REVIEWER))
        return ac_reason_fail(why, err && err != AC_ENOENT ? err : AC_EACCES, AC_PROBLEM_FORBIDDEN,
                              NULL, "only a reviewer of this node applies to review for a peer");
    if (!credential_ok(credential))
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "credential",
                              "credential: the issuer's definition id (1-64 characters, no "
                              "version)");
    if (answers && !json_is_object(answers))
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "answers",
                              "answers: an object of screening answers");
    size_t i;
    json_t *h;
    if (held && (!json_is_array(held) || json_array_size(held) > MAX_HELD))
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "held",
                              "held: a list of at most %d {\"credential\", \"record\"}", MAX_HELD);
    json_array_foreach(held, i, h)
    {
        const char *c = json_string_value(json_object_get(h, "credential"));
        json_t *r = json_object_get(h, "record");
        if (!credential_ok(c) || !json_is_integer(r) || json_integer_value(r) <= 0 ||
            json_object_size(h) != 2)
            return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "held",
                                  "held[%zu]: {\"credential\": the issuer's definition id, "
                                  "\"record\": the id of the record the issuer issued for it}",
                                  i);
    }
    struct ac__fed_peer *p = n->federation ? ac__fed_peer_find(n->federation, issuer) : NULL;
    if (!p)
        return ac_reason_fail(why, AC_ENOENT, AC_PROBLEM_NOT_FOUND, "node",
                              "%s is not a peer of this node", issuer);
    if (!(p->rights & AC_RIGHT_CERTIFY)) {
        char have[64];
        return ac_reason_fail(why, AC_EACCES, AC_PROBLEM_MISSING_RIGHT, "node",
                              "this node does not take certifications from %s: it holds %s "
                              "here, not \"certify\"",
                              issuer, ac_rights_format(p->rights, have, sizeof have));
    }
    struct ac_reviewer_profile prof;
    err = ac_store_reviewer_get(n->store, actor, &prof);
    if (err == AC_ENOENT) {
        memset(&prof, 0, sizeof prof);
        strcpy(prof.domains, "[]");
        err = 0;
    }
    if (err)
        return err;
    json_t *domains = json_loads(prof.domains, 0, NULL);
    json_t *body = json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:o}", "user", (json_int_t)actor,
                             "credential", credential, "name",
                             u.display_name[0] ? u.display_name : u.name, "school", prof.school,
                             "district", prof.district, "domains", domains ? domains : json_array(),
                             "answers", answers ? json_incref((json_t *)answers) : json_object());
    if (body && held && json_object_set(body, "held", (json_t *)held)) {
        json_decref(body);
        body = NULL;
    }
    char *text = answers ? json_dumps(answers, JSON_COMPACT) : NULL;
    if (text && strlen(text) > MAX_ANSWERS_BYTES)
        err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "answers",
                             "answers: at most %d bytes", MAX_ANSWERS_BYTES);
    free(text);
    json_t *d = json_pack("{s:s, s:s}", "issuer", issuer, "credential", credential);
    if (!err)
        err = body && d ? ac_store_tx_begin(n->store) : AC_ENOMEM;
    if (!err) {
        err = ac_store_remote_cert_create(n->store, actor, issuer, credential, "apply",
                                          ac_clock_now_ms(), id);
        if (!err)
            err = ac__cert_queue(n, issuer, "cert.apply", body);
        if (!err)
            err = ac_audit_id(n, "reviewer", actor, actor, "remote-apply", d);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
        if (err == AC_EEXIST)
            err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_ALREADY_APPLIED, NULL,
                                 "you already applied to %s to review %s", issuer, credential);
    }
    json_decref(body);
    json_decref(d);
    return err;
}

/* Whether the issuer's last word lets the reviewer send |what| now. */
static int may_request(const struct ac_remote_cert *c, const char *what, int64_t attempt,
                       struct ac_reason *why)
{
    if (c->pending[0])
        return ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_WRONG_STATE, "pending",
                              "your \"%s\" request to %s is still waiting for its answer",
                              c->pending, c->issuer);
    json_t *detail = json_loads(c->detail, 0, NULL);
    json_t *open = json_object_get(detail, "attempt");
    int64_t open_id = json_integer_value(json_object_get(open, "id"));
    int err = 0;
    if (strcmp(what, "trained") == 0) {
        if (strcmp(c->state, "screened") != 0 && strcmp(c->state, "retraining") != 0)
            err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_WRONG_STATE, "state",
                                 "your certification by %s for %s is %s; training follows "
                                 "screening (or retraining)",
                                 c->issuer, c->credential, c->state);
    } else if (strcmp(what, "attempt") == 0) {
        if (strcmp(c->state, "trained") != 0)
            err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_WRONG_STATE, "state",
                                 "your certification by %s for %s is %s; attempts follow "
                                 "training (state trained)",
                                 c->issuer, c->credential, c->state);
        else if (open_id)
            err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_ATTEMPT_OPEN, NULL,
                                 "attempt %lld is still open; answer it first", (long long)open_id);
    } else if (open_id != attempt || attempt <= 0) {
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_ATTEMPT_CLOSED, "attempt",
                             "attempt %lld is not open for your certification by %s for %s%s",
                             (long long)attempt, c->issuer, c->credential,
                             open_id ? "; another one is" : "");
    }
    json_decref(detail);
    return err;
}

int ac_remote_cert_request(struct ac_node *n, int64_t actor, int64_t id, const char *what,
                           int64_t attempt, const json_t *answers, struct ac_reason *why)
{
    struct ac_remote_cert c = {0};
    int err = ac_store_remote_cert_get(n->store, id, &c);
    if (err == AC_ENOENT)
        return ac_reason_fail(why, err, AC_PROBLEM_NOT_FOUND, NULL,
                              "remote certification %lld does not exist", (long long)id);
    if (err)
        return err;
    if (c.user_id != actor)
        err =
            ac_reason_fail(why, AC_EACCES, AC_PROBLEM_NOT_YOURS, NULL,
                           "remote certification %lld belongs to another reviewer", (long long)id);
    if (!err && strcmp(what, "answers") == 0 && !json_is_array(answers))
        err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "answers",
                             "answers: a list of {\"item_id\", \"level\"}, one per item shown");
    if (!err)
        err = may_request(&c, what, attempt, why);
    json_t *body =
        err ? NULL : json_pack("{s:I, s:s}", "user", (json_int_t)actor, "credential", c.credential);
    if (body && strcmp(what, "answers") == 0 &&
        (json_object_set_new(body, "attempt", json_integer(attempt)) ||
         json_object_set(body, "answers", (json_t *)answers))) {
        json_decref(body);
        body = NULL;
    }
    char type[32];
    snprintf(type, sizeof type, "cert.%s", what);
    json_t *d = json_pack("{s:s, s:s, s:s}", "issuer", c.issuer, "credential", c.credential,
                          "request", what);
    if (!err)
        err = body && d ? ac_store_tx_begin(n->store) : AC_ENOMEM;
    if (!err) {
        err = ac_store_remote_cert_pending(n->store, id, what, ac_clock_now_ms());
        if (!err)
            err = ac__cert_queue(n, c.issuer, type, body);
        if (!err)
            err = ac_audit_id(n, "reviewer", actor, actor, "remote-certification", d);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    json_decref(d);
    json_decref(body);
    ac_remote_cert_release(&c);
    return err;
}

int ac__cert_apply_state(struct ac__federation *f, struct ac__fed_peer *from,
                         const struct ac_envelope *e, struct ac_buf *answer, struct ac_reason *why)
{
    struct ac_node *n = f->node;
    json_t *body = NULL;
    int err = ac__cbor_to_json(e->body, e->body_len, &body);
    json_t *u = json_object_get(body, "user");
    const char *cred = json_string_value(json_object_get(body, "credential"));
    const char *state = json_string_value(json_object_get(body, "state"));
    if (err || !json_is_integer(u) || !cred || !state || strlen(state) > AC_REMOTE_CERT_STATE_MAX) {
        json_decref(body);
        return ac_reason_fail(why, err == AC_ENOMEM ? err : AC_EINVAL, AC_PROBLEM_BAD_ENVELOPE,
                              "body", "a cert.state body is a map with user, credential and state");
    }
    struct ac_remote_cert c = {0};
    uint8_t *rec = NULL;
    size_t rec_len = 0;
    err = ac_store_remote_cert_find(n->store, json_integer_value(u), from->node_id, cred, &c);
    if (err == AC_ENOENT)
        ac_reason_fail(why, err, AC_PROBLEM_NOT_FOUND, "user",
                       "reviewer %lld of this node has not applied to %s for %s",
                       (long long)json_integer_value(u), from->node_id, cred);
    const char *b64 = json_string_value(json_object_get(body, "record"));
    struct ac_rcert_record r;
    if (!err && b64) {
        size_t cap = strlen(b64);
        rec = malloc(cap + 1);
        if (!rec)
            err = AC_ENOMEM;
        else if (sodium_base642bin(rec, cap + 1, b64, cap, NULL, &rec_len, NULL,
                                   sodium_base64_VARIANT_URLSAFE_NO_PADDING))
            err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_BAD_CERTIFICATION, "record",
                                 "record: base64url without padding");
        else
            err = verify_record(n, from->node_id, rec, rec_len, &r, why);
        if (!err && (r.home_user != c.user_id || strcmp(r.credential, c.credential) != 0))
            err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_BAD_CERTIFICATION, "record",
                                 "the record names reviewer %lld for %s; this answer is about "
                                 "reviewer %lld for %s",
                                 (long long)r.home_user, r.credential, (long long)c.user_id,
                                 c.credential);
    }
    /* "none": the issuer holds no application (it refused the request). */
    const char *kept = strcmp(state, "none") == 0 ? "refused" : state;
    json_object_del(body, "record");
    char *detail = err ? NULL : json_dumps(body, JSON_COMPACT);
    if (!err && !detail)
        err = AC_ENOMEM;
    int64_t version = json_integer_value(json_object_get(body, "version"));
    if (!err)
        err = ac_store_remote_cert_update(n->store, c.id, version, kept, detail, rec, rec_len,
                                          rec ? r.expires_ms : 0, strcmp(state, "certified") != 0,
                                          ac_clock_now_ms());
    if (!err) {
        json_t *d = json_pack("{s:s, s:s, s:s}", "issuer", from->node_id, "credential",
                              c.credential, "state", kept);
        err = d ? ac_audit_id(n, "reviewer", c.user_id, 0, "remote-certification-state", d)
                : AC_ENOMEM;
        json_decref(d);
    }
    if (!err)
        err = ac_store_peer_state_received(n->store, from->node_id);
    if (!err)
        err = ac__cert_answer(e->id, kept, answer);
    free(detail);
    free(rec);
    ac_remote_cert_release(&c);
    json_decref(body);
    return err;
}

int ac_remote_cert_verify(struct ac_node *n, const uint8_t *data, size_t len, json_t **out,
                          struct ac_reason *why)
{
    struct ac_rcert_record r;
    int err = verify_record(n, NULL, data, len, &r, why);
    if (err)
        return err;
    json_t *j =
        json_pack("{s:s, s:{s:s, s:I}, s:s, s:I, s:s}", "issuer", r.issuer, "reviewer", "node",
                  r.home_node, "user", (json_int_t)r.home_user, "credential", r.credential,
                  "version", (json_int_t)r.version, "content_hash", r.content_hash);
    if (!j)
        return AC_ENOMEM;
    ac__json_time(j, "issued_at", r.issued_ms);
    ac__json_time(j, "expires_at", r.expires_ms);
    json_object_set_new(j, "expired", json_boolean(r.expires_ms <= ac_clock_now_ms()));
    *out = j;
    return 0;
}
