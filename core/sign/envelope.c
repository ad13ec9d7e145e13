/* envelope.c - federation envelopes: COSE_Sign1 with a content type of their
 * own over a deterministic-CBOR payload {v, type, id, from, to, ts, body}. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/error.h"
#include "accord/base/refuse.h"
#include "accord/sign/cbor.h"
#include "accord/sign/envelope.h"

/* Character classes of the three kinds of text field. */
enum text_rule { RULE_TYPE, RULE_ID, RULE_NODE };

static int text_ok(const char *s, size_t n, size_t max, enum text_rule rule)
{
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int lower = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        int ok;
        switch (rule) {
        case RULE_TYPE:
            ok = lower || c == '.' || c == '_' || c == '-';
            break;
        case RULE_ID:
            ok = lower || (c >= 'A' && c <= 'Z') || c == '.' || c == '_' || c == ':' || c == '-';
            break;
        default:
            /* A node id as node/config.c checks it: alphanumerics, '.' and
             * '-' inside, never at either end. */
            ok = lower || ((c == '.' || c == '-') && i > 0 && i + 1 < n);
        }
        if (!ok)
            return 0;
    }
    return 1;
}

static const char *rule_text(enum text_rule rule)
{
    switch (rule) {
    case RULE_TYPE:
        return "must be 1-64 of a-z, 0-9, '.', '_' and '-'";
    case RULE_ID:
        return "must be 1-64 of A-Z, a-z, 0-9, '.', '_', ':' and '-'";
    default:
        return "must be a node id: 1-64 of a-z, 0-9, '.' and '-', starting and ending "
               "alphanumeric";
    }
}

static int check_field(const char *name, const char *s, size_t n, size_t max, enum text_rule rule,
                       int rc, char *why, size_t whylen)
{
    if (text_ok(s, n, max, rule))
        return 0;
    return ac_refuse_rc(rc, why, whylen, "envelope %s: \"%.*s\" %s", name, (int)(n > 64 ? 64 : n),
                        s, rule_text(rule));
}

int ac_envelope_check(const struct ac_envelope *env, char *why, size_t whylen)
{
    int rc;
    if ((rc = check_field("type", env->type, strlen(env->type), AC_ENVELOPE_TYPE_MAX, RULE_TYPE,
                          AC_EINVAL, why, whylen)) ||
        (rc = check_field("id", env->id, strlen(env->id), AC_ENVELOPE_ID_MAX, RULE_ID, AC_EINVAL,
                          why, whylen)) ||
        (rc = check_field("from", env->from, strlen(env->from), AC_ENVELOPE_NODE_MAX, RULE_NODE,
                          AC_EINVAL, why, whylen)) ||
        (strcmp(env->to, AC_ENVELOPE_TO_ANYONE) != 0 &&
         (rc = check_field("to", env->to, strlen(env->to), AC_ENVELOPE_NODE_MAX, RULE_NODE,
                           AC_EINVAL, why, whylen))))
        return rc;
    if (env->ts_ms < 0)
        return ac_refuse_rc(AC_EINVAL, why, whylen, "envelope ts: %lld must not be negative",
                            (long long)env->ts_ms);
    char cwhy[AC_CBOR_WHY_LEN];
    if (!env->body || ac_cbor_check(env->body, env->body_len, cwhy, sizeof cwhy))
        return ac_refuse_rc(AC_EINVAL, why, whylen,
                            "envelope body: must be one deterministic CBOR item (%s)",
                            env->body ? cwhy : "none given");
    return 0;
}

/* Starts |w| and writes the envelope's payload {v, type, id, from, to, ts,
 * body} into it (ac_envelope_sign finishes it). */
static void write_payload(const struct ac_envelope *env, struct ac_cbor_writer *w)
{
    ac_cbor_writer_init(w);
    ac_cbor_put_map(w, 7);
    ac_cbor_put_str(w, "v");
    ac_cbor_put_uint(w, AC_ENVELOPE_VERSION);
    ac_cbor_put_str(w, "type");
    ac_cbor_put_str(w, env->type);
    ac_cbor_put_str(w, "id");
    ac_cbor_put_str(w, env->id);
    ac_cbor_put_str(w, "from");
    ac_cbor_put_str(w, env->from);
    ac_cbor_put_str(w, "to");
    ac_cbor_put_str(w, env->to);
    ac_cbor_put_str(w, "ts");
    ac_cbor_put_int(w, env->ts_ms);
    ac_cbor_put_str(w, "body");
    ac_cbor_put_encoded(w, env->body, env->body_len);
}

int ac_envelope_sign(const struct ac_envelope *env, const uint8_t *kid, size_t kid_len,
                     ac_cose_sign_cb sign, void *sign_ctx, struct ac_buf *out)
{
    if (kid_len == 0 || kid_len > AC_COSE_KID_MAX || ac_envelope_check(env, NULL, 0))
        return AC_EINVAL;
    struct ac_cbor_writer w;
    write_payload(env, &w);
    return ac_cose_sign1_writer(&w, kid, kid_len, AC_ENVELOPE_CONTENT_TYPE, sign, sign_ctx, out);
}

/* Finds the content type (3) in the protected header and checks it is ours.
 * The COSE parser has already checked the header is deterministic CBOR. */
static int check_content_type(const struct ac_cose_sign1 *m, char *why, size_t whylen)
{
    const char *s;
    size_t len;
    int rc = ac_cose_sign1_content_type(m, &s, &len);
    if (rc == AC_ENOENT)
        return ac_refuse_rc(
            AC_EPARSE, why, whylen,
            "protected header: content type (3) is missing; an envelope's must be \"%s\"",
            AC_ENVELOPE_CONTENT_TYPE);
    if (rc)
        return ac_refuse_rc(AC_EPARSE, why, whylen,
                            "protected header: content type (3) must be the text \"%s\"",
                            AC_ENVELOPE_CONTENT_TYPE);
    if (len != strlen(AC_ENVELOPE_CONTENT_TYPE) || memcmp(s, AC_ENVELOPE_CONTENT_TYPE, len) != 0)
        return ac_refuse_rc(AC_EPARSE, why, whylen,
                            "protected header: content type \"%.*s\" is not an envelope's (\"%s\")",
                            (int)(len > 64 ? 64 : len), s, AC_ENVELOPE_CONTENT_TYPE);
    return 0;
}

int ac_envelope_parse(const uint8_t *data, size_t len, struct ac_cose_sign1 *out, char *why,
                      size_t whylen)
{
    struct ac_cose_sign1 m;
    int rc = ac_cose_sign1_parse(data, len, &m, why, whylen);
    if (rc)
        return rc;
    /* Nothing in the unprotected header is signed; an envelope is exactly
     * what its sender signed, so it has none. */
    if (m.unprotected_count != 0)
        return ac_refuse_rc(AC_EPARSE, why, whylen,
                            "unprotected header: has %llu entries; an envelope's must be empty",
                            (unsigned long long)m.unprotected_count);
    if (!m.kid || !m.kid_protected)
        return ac_refuse_rc(AC_EPARSE, why, whylen, "protected header: kid (4) is missing");
    if ((rc = check_content_type(&m, why, whylen)))
        return rc;
    *out = m;
    return 0;
}

int ac_envelope_verify(const struct ac_cose_sign1 *msg, const uint8_t public_key[32])
{
    return ac_cose_sign1_verify(msg, public_key);
}

static int get_field_text(struct ac_cbor_reader *r, const char *name, char *dst, size_t max,
                          enum text_rule rule, char *why, size_t whylen)
{
    const char *s;
    size_t n;
    if (ac_cbor_get_text(r, &s, &n))
        return ac_refuse_rc(AC_EPARSE, why, whylen, "envelope %s: must be text", name);
    int rc = check_field(name, s, n, max, rule, AC_EPARSE, why, whylen);
    if (rc)
        return rc;
    memcpy(dst, s, n);
    dst[n] = 0;
    return 0;
}

int ac_envelope_decode(const struct ac_cose_sign1 *msg, struct ac_envelope *out, char *why,
                       size_t whylen)
{
    struct ac_cbor_reader r;
    uint64_t n;
    if (ac_cbor_reader_init(&r, msg->payload, msg->payload_len))
        return ac_refuse_rc(AC_EPARSE, why, whylen, "envelope payload: %s", r.why);
    if (ac_cbor_get_map(&r, &n) || n != 7)
        return ac_refuse_rc(
            AC_EPARSE, why, whylen,
            "envelope payload: must be a map of exactly v, type, id, from, to, ts, body");
    memset(out, 0, sizeof *out);
    unsigned seen = 0;
    for (uint64_t i = 0; i < n; i++) {
        const char *k;
        size_t klen;
        if (ac_cbor_get_text(&r, &k, &klen))
            return ac_refuse_rc(AC_EPARSE, why, whylen, "envelope payload: keys must be text");
        int rc = 0;
        unsigned bit;
        if (klen == 1 && k[0] == 'v') {
            uint64_t v;
            bit = 1;
            if (ac_cbor_get_uint(&r, &v) || v != AC_ENVELOPE_VERSION)
                rc = ac_refuse_rc(AC_EPARSE, why, whylen, "envelope v: must be %d",
                                  AC_ENVELOPE_VERSION);
        } else if (klen == 4 && memcmp(k, "type", 4) == 0) {
            bit = 2;
            rc =
                get_field_text(&r, "type", out->type, AC_ENVELOPE_TYPE_MAX, RULE_TYPE, why, whylen);
        } else if (klen == 2 && memcmp(k, "id", 2) == 0) {
            bit = 4;
            rc = get_field_text(&r, "id", out->id, AC_ENVELOPE_ID_MAX, RULE_ID, why, whylen);
        } else if (klen == 4 && memcmp(k, "from", 4) == 0) {
            bit = 8;
            rc =
                get_field_text(&r, "from", out->from, AC_ENVELOPE_NODE_MAX, RULE_NODE, why, whylen);
        } else if (klen == 2 && memcmp(k, "to", 2) == 0) {
            bit = 16;
            const char *s;
            size_t tn;
            if (ac_cbor_get_text(&r, &s, &tn))
                rc = ac_refuse_rc(AC_EPARSE, why, whylen, "envelope to: must be text");
            else if (tn == 1 && s[0] == '*')
                strcpy(out->to, AC_ENVELOPE_TO_ANYONE);
            else if (!(rc = check_field("to", s, tn, AC_ENVELOPE_NODE_MAX, RULE_NODE, AC_EPARSE,
                                        why, whylen))) {
                memcpy(out->to, s, tn);
                out->to[tn] = 0;
            }
        } else if (klen == 2 && memcmp(k, "ts", 2) == 0) {
            bit = 32;
            if (ac_cbor_get_int(&r, &out->ts_ms) || out->ts_ms < 0)
                rc = ac_refuse_rc(
                    AC_EPARSE, why, whylen,
                    "envelope ts: must be a non-negative integer (ms since the epoch)");
        } else if (klen == 4 && memcmp(k, "body", 4) == 0) {
            bit = 64;
            if (ac_cbor_skip(&r, &out->body, &out->body_len))
                rc = ac_refuse_rc(AC_EPARSE, why, whylen, "envelope body: missing");
        } else {
            return ac_refuse_rc(AC_EPARSE, why, whylen, "envelope payload: unknown key \"%.*s\"",
                                (int)(klen > 32 ? 32 : klen), k);
        }
        if (rc)
            return rc;
        seen |= bit; /* keys are unique: the CBOR check refuses duplicates */
    }
    if (seen != 127)
        return ac_refuse_rc(
            AC_EPARSE, why, whylen,
            "envelope payload: must be a map of exactly v, type, id, from, to, ts, body");
    return 0;
}
