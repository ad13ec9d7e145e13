/* record.c - the native credential record: CWT claims to deterministic CBOR,
 * signed as a COSE_Sign1, and decoded back strictly. */
#include <stdio.h>
#include <string.h>

#include "accord/sign/cbor.h"
#include "accord/base/error.h"
#include "accord/base/refuse.h"
#include "accord/records/record.h"

int ac_record_encode_claims(const struct ac_record *rec, struct ac_buf *out)
{
    if (!rec->iss[0] || !rec->sub[0] || !rec->definition_id[0] || !rec->achieved_level[0] ||
        rec->iat < 0 || (rec->has_nbf && rec->nbf < 0) || (rec->has_exp && rec->exp < 0) ||
        (rec->has_status && !rec->status_uri[0]))
        return AC_EINVAL;
    uint64_t n = 8 + rec->has_nbf + rec->has_exp + rec->has_ceu + (rec->evidence[0] != '\0') +
                 rec->has_log_index + rec->has_status + (rec->subject_salt[0] != '\0');
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    /* The writer sorts the map on close, so claims are written in the order
     * a reader of this code expects: registered claims, then Accord's. */
    ac_cbor_put_map(&w, n);
    ac_cbor_put_int(&w, AC_CWT_ISS);
    ac_cbor_put_str(&w, rec->iss);
    ac_cbor_put_int(&w, AC_CWT_SUB);
    ac_cbor_put_str(&w, rec->sub);
    ac_cbor_put_int(&w, AC_CWT_IAT);
    ac_cbor_put_uint(&w, (uint64_t)rec->iat);
    if (rec->has_nbf) {
        ac_cbor_put_int(&w, AC_CWT_NBF);
        ac_cbor_put_uint(&w, (uint64_t)rec->nbf);
    }
    if (rec->has_exp) {
        ac_cbor_put_int(&w, AC_CWT_EXP);
        ac_cbor_put_uint(&w, (uint64_t)rec->exp);
    }
    ac_cbor_put_int(&w, AC_CWT_CTI);
    ac_cbor_put_bytes(&w, rec->cti, sizeof(rec->cti));
    if (rec->has_status) {
        ac_cbor_put_int(&w, AC_CWT_STATUS);
        ac_cbor_put_map(&w, 1);
        ac_cbor_put_str(&w, "status_list");
        ac_cbor_put_map(&w, 2);
        ac_cbor_put_str(&w, "idx");
        ac_cbor_put_uint(&w, rec->status_idx);
        ac_cbor_put_str(&w, "uri");
        ac_cbor_put_str(&w, rec->status_uri);
    }
    ac_cbor_put_int(&w, AC_CLAIM_DEFINITION_ID);
    ac_cbor_put_str(&w, rec->definition_id);
    ac_cbor_put_int(&w, AC_CLAIM_DEFINITION_VERSION);
    ac_cbor_put_uint(&w, rec->definition_version);
    ac_cbor_put_int(&w, AC_CLAIM_CONTENT_HASH);
    ac_cbor_put_bytes(&w, rec->content_hash, sizeof(rec->content_hash));
    ac_cbor_put_int(&w, AC_CLAIM_ACHIEVED_LEVEL);
    ac_cbor_put_str(&w, rec->achieved_level);
    if (rec->has_ceu) {
        ac_cbor_put_int(&w, AC_CLAIM_CEU_HUNDREDTHS);
        ac_cbor_put_uint(&w, rec->ceu_hundredths);
    }
    if (rec->evidence[0]) {
        ac_cbor_put_int(&w, AC_CLAIM_EVIDENCE);
        ac_cbor_put_str(&w, rec->evidence);
    }
    if (rec->has_log_index) {
        ac_cbor_put_int(&w, AC_CLAIM_LOG_INDEX);
        ac_cbor_put_uint(&w, rec->log_index);
    }
    if (rec->subject_salt[0]) {
        ac_cbor_put_int(&w, AC_CLAIM_SUBJECT_SALT);
        ac_cbor_put_str(&w, rec->subject_salt);
    }
    struct ac_buf claims;
    int rc = ac_cbor_writer_finish(&w, &claims);
    ac_cbor_writer_release(&w);
    if (rc)
        return rc;
    rc = ac_buf_append(out, claims.data, claims.len);
    ac_buf_release(&claims);
    return rc;
}

int ac_record_sign(const struct ac_record *rec, const uint8_t *kid, size_t kid_len,
                   ac_cose_sign_cb sign, void *sign_ctx, struct ac_buf *out)
{
    struct ac_buf claims = AC_BUF_INIT;
    int rc = ac_record_encode_claims(rec, &claims);
    if (rc == 0)
        rc = ac_cose_sign1(claims.data, claims.len, kid, kid_len, sign, sign_ctx, out);
    ac_buf_release(&claims);
    return rc;
}

bool ac_record_key_valid_at(const struct ac_key_info *key, int64_t iat)
{
    /* Floor division: a window opening at 12.5 s admits a record stamped 12. */
    int64_t start = key->not_before_ms / 1000 - (key->not_before_ms % 1000 < 0);
    if (iat < start)
        return false;
    if (key->not_after_ms != 0 && iat > (INT64_MAX / 1000 - 1))
        return false;
    return key->not_after_ms == 0 || iat * 1000 < key->not_after_ms;
}

struct claim {
    int64_t key;
    const char *name;
};

/* Reads a text claim into |dst| (capacity |max| + 1), refusing NUL bytes,
 * which could hide text from C code, and anything over the limit. */
static int get_text_claim(struct ac_cbor_reader *r, const struct claim *c, char *dst, size_t max,
                          char *why, size_t whylen)
{
    const char *s;
    size_t n;
    if (ac_cbor_get_text(r, &s, &n))
        return ac_refuse(why, whylen, "claim %s (%lld): expected a text string", c->name,
                         (long long)c->key);
    if (n > max)
        return ac_refuse(why, whylen, "claim %s (%lld): %zu bytes; at most %zu allowed", c->name,
                         (long long)c->key, n, max);
    if (memchr(s, '\0', n))
        return ac_refuse(why, whylen, "claim %s (%lld): contains a NUL character", c->name,
                         (long long)c->key);
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 0;
}

static int get_uint_claim(struct ac_cbor_reader *r, const struct claim *c, uint64_t max,
                          uint64_t *out, char *why, size_t whylen)
{
    uint64_t v;
    if (ac_cbor_get_uint(r, &v))
        return ac_refuse(why, whylen, "claim %s (%lld): expected an unsigned integer", c->name,
                         (long long)c->key);
    if (v > max)
        return ac_refuse(why, whylen, "claim %s (%lld): %llu is out of range", c->name,
                         (long long)c->key, (unsigned long long)v);
    *out = v;
    return 0;
}

static int get_fixed_bytes(struct ac_cbor_reader *r, const struct claim *c, uint8_t *dst,
                           size_t want, char *why, size_t whylen)
{
    const uint8_t *p;
    size_t n;
    if (ac_cbor_get_bytes(r, &p, &n))
        return ac_refuse(why, whylen, "claim %s (%lld): expected a byte string", c->name,
                         (long long)c->key);
    if (n != want)
        return ac_refuse(why, whylen, "claim %s (%lld): %zu bytes; must be %zu", c->name,
                         (long long)c->key, n, want);
    memcpy(dst, p, n);
    return 0;
}

/* status: {"status_list": {"idx": uint, "uri": text}}; other status
 * mechanisms in the same map are ignored, as the draft allows. */
static int get_status(struct ac_cbor_reader *r, struct ac_record *rec, char *why, size_t whylen)
{
    static const struct claim st = {AC_CWT_STATUS, "status"};
    uint64_t n, m;
    int found = 0;
    if (ac_cbor_get_map(r, &n))
        return ac_refuse(why, whylen, "claim status (65535): expected a map");
    for (uint64_t i = 0; i < n; i++) {
        const char *k;
        size_t kl;
        if (ac_cbor_get_text(r, &k, &kl))
            return ac_refuse(why, whylen, "claim status (65535): mechanism names must be text");
        if (kl != 11 || memcmp(k, "status_list", 11) != 0) {
            ac_cbor_skip(r, NULL, NULL);
            continue;
        }
        if (ac_cbor_get_map(r, &m))
            return ac_refuse(why, whylen, "claim status.status_list: expected a map");
        int have_idx = 0, have_uri = 0;
        for (uint64_t j = 0; j < m; j++) {
            if (ac_cbor_get_text(r, &k, &kl))
                return ac_refuse(why, whylen, "claim status.status_list: keys must be text");
            if (kl == 3 && memcmp(k, "idx", 3) == 0) {
                static const struct claim idx = {AC_CWT_STATUS, "status.status_list.idx"};
                if (get_uint_claim(r, &idx, UINT64_MAX, &rec->status_idx, why, whylen))
                    return AC_EPARSE;
                have_idx = 1;
            } else if (kl == 3 && memcmp(k, "uri", 3) == 0) {
                static const struct claim uri = {AC_CWT_STATUS, "status.status_list.uri"};
                if (get_text_claim(r, &uri, rec->status_uri, AC_RECORD_URI_MAX, why, whylen))
                    return AC_EPARSE;
                have_uri = 1;
            } else {
                ac_cbor_skip(r, NULL, NULL);
            }
        }
        if (!have_idx || !have_uri || !rec->status_uri[0])
            return ac_refuse(why, whylen, "claim %s (65535): status_list needs idx and a uri",
                             st.name);
        found = 1;
    }
    if (!found)
        return ac_refuse(why, whylen, "claim status (65535): no status_list mechanism");
    rec->has_status = true;
    return 0;
}

static int decode_claims(const uint8_t *p, size_t len, struct ac_record *rec, char *why,
                         size_t whylen)
{
    struct ac_cbor_reader r;
    if (ac_cbor_reader_init(&r, p, len))
        return ac_refuse(why, whylen, "claims: %s", r.why);
    uint64_t n;
    if (ac_cbor_get_map(&r, &n))
        return ac_refuse(why, whylen, "claims: the payload must be a CBOR map");
    memset(rec, 0, sizeof(*rec));
    unsigned seen = 0;
    enum {
        S_ISS = 1,
        S_SUB = 2,
        S_IAT = 4,
        S_CTI = 8,
        S_DEF = 16,
        S_VER = 32,
        S_HASH = 64,
        S_LEVEL = 128
    };
    for (uint64_t i = 0; i < n; i++) {
        int64_t key;
        if (ac_cbor_peek(&r) == AC_CBOR_TEXT) {
            ac_cbor_skip(&r, NULL, NULL); /* an unregistered text claim name */
            ac_cbor_skip(&r, NULL, NULL);
            continue;
        }
        if (ac_cbor_get_int(&r, &key))
            return ac_refuse(why, whylen, "claims: keys must be integers or text");
        struct claim c = {key, "?"};
        uint64_t v = 0;
        int rc = 0;
        switch (key) {
        case AC_CWT_ISS:
            c.name = "iss";
            rc = get_text_claim(&r, &c, rec->iss, AC_RECORD_ISS_MAX, why, whylen);
            seen |= S_ISS;
            break;
        case AC_CWT_SUB:
            c.name = "sub";
            rc = get_text_claim(&r, &c, rec->sub, AC_RECORD_SUB_MAX, why, whylen);
            seen |= S_SUB;
            break;
        case AC_CWT_IAT:
            c.name = "iat";
            rc = get_uint_claim(&r, &c, INT64_MAX / 1000, &v, why, whylen);
            rec->iat = (int64_t)v;
            seen |= S_IAT;
            break;
        case AC_CWT_NBF:
            c.name = "nbf";
            rc = get_uint_claim(&r, &c, INT64_MAX / 1000, &v, why, whylen);
            rec->nbf = (int64_t)v;
            rec->has_nbf = true;
            break;
        case AC_CWT_EXP:
            c.name = "exp";
            rc = get_uint_claim(&r, &c, INT64_MAX / 1000, &v, why, whylen);
            rec->exp = (int64_t)v;
            rec->has_exp = true;
            break;
        case AC_CWT_CTI:
            c.name = "cti";
            rc = get_fixed_bytes(&r, &c, rec->cti, AC_RECORD_CTI_BYTES, why, whylen);
            seen |= S_CTI;
            break;
        case AC_CWT_STATUS:
            rc = get_status(&r, rec, why, whylen);
            break;
        case AC_CLAIM_DEFINITION_ID:
            c.name = "definition_id";
            rc = get_text_claim(&r, &c, rec->definition_id, AC_RECORD_DEF_ID_MAX, why, whylen);
            seen |= S_DEF;
            break;
        case AC_CLAIM_DEFINITION_VERSION:
            c.name = "definition_version";
            rc = get_uint_claim(&r, &c, UINT64_MAX, &rec->definition_version, why, whylen);
            seen |= S_VER;
            break;
        case AC_CLAIM_CONTENT_HASH:
            c.name = "content_hash";
            rc = get_fixed_bytes(&r, &c, rec->content_hash, AC_RECORD_HASH_BYTES, why, whylen);
            seen |= S_HASH;
            break;
        case AC_CLAIM_ACHIEVED_LEVEL:
            c.name = "achieved_level";
            rc = get_text_claim(&r, &c, rec->achieved_level, AC_RECORD_LEVEL_MAX, why, whylen);
            seen |= S_LEVEL;
            break;
        case AC_CLAIM_CEU_HUNDREDTHS:
            c.name = "ceu_hundredths";
            rc = get_uint_claim(&r, &c, UINT32_MAX, &rec->ceu_hundredths, why, whylen);
            rec->has_ceu = true;
            break;
        case AC_CLAIM_EVIDENCE:
            c.name = "evidence";
            rc = get_text_claim(&r, &c, rec->evidence, AC_RECORD_EVIDENCE_MAX, why, whylen);
            break;
        case AC_CLAIM_LOG_INDEX:
            c.name = "log_index";
            rc = get_uint_claim(&r, &c, UINT64_MAX, &rec->log_index, why, whylen);
            rec->has_log_index = true;
            break;
        case AC_CLAIM_SUBJECT_SALT:
            c.name = "subject_salt";
            rc = get_text_claim(&r, &c, rec->subject_salt, AC_RECORD_SALT_MAX, why, whylen);
            break;
        default:
            ac_cbor_skip(&r, NULL, NULL);
        }
        if (rc)
            return rc;
    }
    static const char *const required[] = {"iss (1)",
                                           "sub (2)",
                                           "iat (6)",
                                           "cti (7)",
                                           "definition_id (-65537)",
                                           "definition_version (-65538)",
                                           "content_hash (-65539)",
                                           "achieved_level (-65540)"};
    for (unsigned b = 0; b < 8; b++)
        if (!(seen & (1u << b)))
            return ac_refuse(why, whylen, "claim %s: required but missing", required[b]);
    if (!rec->iss[0] || !rec->sub[0] || !rec->definition_id[0] || !rec->achieved_level[0])
        return ac_refuse(why, whylen,
                         "claims: iss, sub, definition_id and achieved_level must "
                         "not be empty");
    return 0;
}

int ac_record_decode(const uint8_t *data, size_t len, struct ac_record *rec,
                     struct ac_cose_sign1 *msg, char *why, size_t whylen)
{
    struct ac_cose_sign1 m;
    int rc = ac_cose_sign1_parse(data, len, &m, why, whylen);
    if (rc)
        return rc;
    /* The unprotected header is not signed: anything in it would let a
     * record's bytes change while its signature still verifies. */
    if (m.unprotected_count != 0)
        return ac_refuse(why, whylen,
                         "unprotected header: has %llu entries; a record's must be "
                         "empty (a0)",
                         (unsigned long long)m.unprotected_count);
    if (!m.kid_protected)
        return ac_refuse(why, whylen,
                         "protected header: kid (4) is missing; a record's kid must "
                         "be protected");
    struct ac_record tmp;
    if ((rc = decode_claims(m.payload, m.payload_len, &tmp, why, whylen)))
        return rc;
    *rec = tmp;
    *msg = m;
    return 0;
}
