/* check.c - accord-verify's checks of one native record: decoding, issuer and
 * key, signature, key validity at issuance, and status. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "accord/bundle.h"
#include "accord/checkpoint.h"
#include "accord/clock.h"
#include "accord/error.h"
#include "accord/status.h"
#include "internal.h"

/* A record stamped this far after the verifier's clock is refused: clocks
 * drift, but not by more than this. */
#define FUTURE_SKEW_S 300

__attribute__((format(printf, 4, 5))) static void add(struct ac__report *rep, const char *name,
                                                      enum ac__result result, const char *fmt,
                                                      ...)
{
    if (rep->n == AC__MAX_CHECKS)
        return;
    struct ac__check *c = &rep->checks[rep->n++];
    c->name = name;
    c->result = result;
    c->reason[0] = '\0';
    /* A batch run printing only failures need not format what passed; at
     * 10,000 records formatting is a measurable share of the time. */
    if (result == AC__PASS && !rep->pass_reasons)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
    va_end(ap);
}

const char *ac__result_name(enum ac__result r)
{
    static const char *const names[] = {"pass", "fail", "indeterminate", "skipped"};
    return names[r];
}

enum ac__result ac__verdict(const struct ac__report *rep)
{
    enum ac__result v = AC__PASS;
    for (size_t i = 0; i < rep->n; i++) {
        if (rep->checks[i].result == AC__FAIL)
            return AC__FAIL;
        if (rep->checks[i].result == AC__INDETERMINATE)
            v = AC__INDETERMINATE;
    }
    return v;
}

static void format_window(const struct ac_key_info *k, char *out, size_t len)
{
    char from[21], until[21];
    ac_clock_format(k->not_before_ms, from);
    if (k->not_after_ms)
        snprintf(out, len, "%s to %s", from, ac_clock_format(k->not_after_ms, until));
    else
        snprintf(out, len, "%s, still current", from);
}

/* The keys an issuer is trusted with: they may sign its checkpoints and
 * status snapshots as well as its records. */
struct keyset {
    const struct ac_key_info *keys;
    size_t n;
};

/* Finds the key that must have signed: the pinned one, or the issuer's key
 * with the record's kid. Adds the "issuer" check; returns the key or NULL,
 * and sets |*ks| to all the issuer's trusted keys. */
static const struct ac_key_info *find_key(const struct ac__options *opt, struct ac__report *rep,
                                          struct keyset *ks)
{
    const struct ac_cose_sign1 *m = &rep->msg;
    ks->keys = NULL;
    ks->n = 0;
    if (opt->pinned) {
        const struct ac_key_info *pk = &opt->pinned_key;
        ks->keys = pk;
        ks->n = 1;
        if (m->kid && (m->kid_len != AC_KEY_ID_BYTES || memcmp(m->kid, pk->kid, 8) != 0)) {
            add(rep, "issuer", AC__FAIL, "record kid %s is not the pinned key's id %s",
                rep->kid_hex, pk->kid_hex);
            return NULL;
        }
        add(rep, "issuer", AC__PASS, "pinned key %s (issuer %s as the record states it)",
            pk->kid_hex, rep->rec.iss);
        return pk;
    }
    const struct ac__issuer *is;
    if (opt->fetched) {
        is = ac__trust_fetch(opt->fetched, rep->rec.iss);
        if (!is) {
            add(rep, "issuer", AC__INDETERMINATE, "out of memory while fetching keys");
            return NULL;
        }
        if (is->fetch_error) {
            /* The keys could not be had: nothing is known either way. */
            add(rep, "issuer", AC__INDETERMINATE, "%s", is->fetch_error);
            return NULL;
        }
    } else {
        is = ac__trust_find(opt->trust, rep->rec.iss);
    }
    if (!is) {
        add(rep, "issuer", AC__FAIL, "iss \"%s\" is not an issuer in the trust file",
            rep->rec.iss);
        return NULL;
    }
    ks->keys = is->keys;
    ks->n = is->nkeys;
    if (!m->kid) {
        add(rep, "issuer", AC__FAIL, "record has no kid, so no key of %s can be chosen",
            rep->rec.iss);
        return NULL;
    }
    for (size_t i = 0; i < is->nkeys; i++) {
        if (m->kid_len == AC_KEY_ID_BYTES && memcmp(is->keys[i].kid, m->kid, 8) == 0) {
            add(rep, "issuer", AC__PASS, "%s is trusted; key %s", is->iss,
                is->keys[i].kid_hex);
            return &is->keys[i];
        }
    }
    /* The kid names none of the issuer's keys: either the record was altered
     * or it was signed by a key newer than the trust file. Offline the two
     * look alike, but a record is valid only under a key the recognizer
     * trusts, so try each trusted key before refusing. */
    for (size_t i = 0; i < is->nkeys; i++) {
        if (ac_cose_sign1_verify(m, is->keys[i].public_key) == 0) {
            add(rep, "issuer", AC__PASS, "%s is trusted; key %s (the record's kid %s differs)",
                is->iss, is->keys[i].kid_hex, rep->kid_hex);
            return &is->keys[i];
        }
    }
    add(rep, "issuer", AC__FAIL,
        "kid %s is none of the %zu keys the trust file lists for %s, and no listed key "
        "verifies the signature (if the issuer rotated keys since, refresh the trust file)",
        rep->kid_hex, is->nkeys, is->iss);
    return NULL;
}

static void check_key_window(const struct ac__options *opt, const struct ac_key_info *key,
                             bool in_log, struct ac__report *rep)
{
    char window[64] = "", iat[21] = "";
    int64_t iat_s = rep->rec.iat;
    bool quiet_pass = !rep->pass_reasons;
    if (!quiet_pass || iat_s > opt->now_ms / 1000 + FUTURE_SKEW_S ||
        !ac_record_key_valid_at(key, iat_s) || key->not_after_ms != 0) {
        ac_clock_format(iat_s * 1000, iat);
        format_window(key, window, sizeof(window));
    }
    if (iat_s > opt->now_ms / 1000 + FUTURE_SKEW_S) {
        add(rep, "key-window", AC__FAIL, "iat %s is in the future", iat);
        return;
    }
    if (opt->pinned) {
        add(rep, "key-window", AC__PASS, "iat %s; a pinned key has no window to check", iat);
        return;
    }
    if (!ac_record_key_valid_at(key, iat_s)) {
        add(rep, "key-window", AC__FAIL, "iat %s is outside key %s's window (%s)", iat,
            key->kid_hex, window);
        return;
    }
    if (key->not_after_ms != 0 && in_log) {
        add(rep, "key-window", AC__PASS,
            "iat %s is inside retired key %s's window (%s), and the issuer's signed log "
            "holds the record",
            iat, key->kid_hex, window);
        return;
    }
    if (key->not_after_ms != 0) {
        /* A retired key's holder could backdate iat; only the record's
         * inclusion in the issuer's log before retirement settles it. */
        add(rep, "key-window", AC__INDETERMINATE,
            "iat %s is inside retired key %s's window (%s), but without a log inclusion "
            "proof the date cannot be trusted",
            iat, key->kid_hex, window);
        return;
    }
    add(rep, "key-window", AC__PASS, "iat %s is inside key %s's window (%s)", iat,
        key->kid_hex, window);
}

/* The log check of a bundle: its checkpoint is signed by one of the issuer's
 * keys (named, as signed-note keys are, by the checkpoint's origin), and the
 * inclusion proof leads from the record to that checkpoint's root. */
static bool check_log(const struct ac_bundle *b, const struct keyset *ks,
                      struct ac__report *rep)
{
    const char *nl = memchr(b->checkpoint, '\n', b->checkpoint_len);
    size_t olen = nl ? (size_t)(nl - b->checkpoint) : 0;
    if (olen == 0 || olen > AC_NOTE_NAME_MAX) {
        add(rep, "log", AC__FAIL, "checkpoint: the first line must be the log's origin");
        return false;
    }
    char origin[AC_NOTE_NAME_MAX + 1];
    memcpy(origin, b->checkpoint, olen);
    origin[olen] = '\0';
    struct ac_note_verifier v[16];
    size_t nv = 0;
    for (size_t i = 0; i < ks->n && nv < sizeof(v) / sizeof(v[0]); i++)
        if (ac_note_verifier_init(&v[nv], origin, ks->keys[i].public_key) == 0)
            nv++;
    if (nv == 0) {
        add(rep, "log", AC__FAIL, "checkpoint origin \"%.64s\" is not a valid key name", origin);
        return false;
    }
    struct ac_checkpoint cp;
    memset(&cp, 0, sizeof(cp));
    char why[AC_BUNDLE_WHY_MAX];
    if (ac_bundle_verify_log(b, v, nv, NULL, &cp, why, sizeof(why)) != 0) {
        add(rep, "log", AC__FAIL, "%s", why);
        return false;
    }
    ac_checkpoint_release(&cp);
    if (rep->rec.has_log_index && rep->rec.log_index != b->index) {
        add(rep, "log", AC__FAIL, "the record claims log index %llu but the proof is for %llu",
            (unsigned long long)rep->rec.log_index, (unsigned long long)b->index);
        return false;
    }
    add(rep, "log", AC__PASS,
        "the record is entry %llu of log \"%.64s\" (%llu entries), checkpoint signed by the "
        "issuer",
        (unsigned long long)b->index, origin, (unsigned long long)b->size);
    return true;
}

/* The status check against a bundle's signed Status List Token. */
static void check_status_snapshot(const struct ac__options *opt, const struct ac_bundle *b,
                                  const struct keyset *ks, struct ac__report *rep)
{
    const struct ac_record *r = &rep->rec;
    uint8_t kid[AC_STATUS_TOKEN_KID_MAX];
    size_t kid_len;
    if (ac_status_token_kid(b->status, b->status_len, kid, &kid_len) != 0) {
        add(rep, "status", AC__FAIL, "status snapshot: not a Status List Token with a kid");
        return;
    }
    const struct ac_key_info *key = NULL;
    for (size_t i = 0; i < ks->n && !key; i++)
        if (kid_len == AC_KEY_ID_BYTES && memcmp(ks->keys[i].kid, kid, kid_len) == 0)
            key = &ks->keys[i];
    if (!key) {
        add(rep, "status", AC__FAIL, "status snapshot: signed by a key the issuer does not "
                                     "publish");
        return;
    }
    struct ac_status_token t;
    memset(&t, 0, sizeof(t));
    char why[AC_BUNDLE_WHY_MAX];
    int rc = ac_status_token_open(b->status, b->status_len, key->public_key, &t, why,
                                  sizeof(why));
    if (rc) {
        add(rep, "status", AC__FAIL, "status snapshot: %s",
            rc == AC_ECRYPTO ? "signature does not verify" : why);
        return;
    }
    char when[21];
    ac_clock_format(t.iat * 1000, when);
    unsigned v = 0;
    if (strcmp(t.sub, r->status_uri) != 0) {
        add(rep, "status", AC__FAIL, "status snapshot is for list %.80s; the record names %.80s",
            t.sub, r->status_uri);
    } else if (t.exp != 0 && t.exp * 1000 < opt->now_ms) {
        char exp[21];
        add(rep, "status", AC__INDETERMINATE,
            "status snapshot expired at %s; revocation since then cannot be ruled out",
            ac_clock_format(t.exp * 1000, exp));
    } else if (ac_status_token_get(&t, r->status_idx, &v) != 0) {
        add(rep, "status", AC__FAIL, "index %llu is beyond the status list",
            (unsigned long long)r->status_idx);
    } else if (v == AC_STATUS_VALID) {
        add(rep, "status", AC__PASS, "valid: neither revoked nor suspended as of %s", when);
    } else if (v == AC_STATUS_INVALID) {
        add(rep, "status", AC__FAIL, "REVOKED (list %.80s index %llu, as of %s)", t.sub,
            (unsigned long long)r->status_idx, when);
    } else if (v == AC_STATUS_SUSPENDED) {
        add(rep, "status", AC__FAIL, "SUSPENDED (list %.80s index %llu, as of %s)", t.sub,
            (unsigned long long)r->status_idx, when);
    } else {
        add(rep, "status", AC__FAIL, "status value %u is not one Accord defines", v);
    }
    ac_status_token_release(&t);
}

static void check_status(const struct ac__options *opt, const struct ac_bundle *b,
                         const struct keyset *ks, struct ac__report *rep)
{
    const struct ac_record *r = &rep->rec;
    if (!r->has_status) {
        add(rep, "status", AC__PASS, "the record carries no status reference: it cannot be "
                                     "revoked or suspended");
        return;
    }
    if (opt->skip_status) {
        add(rep, "status", AC__SKIPPED, "not checked (--skip-status); list %s index %llu",
            r->status_uri, (unsigned long long)r->status_idx);
        return;
    }
    if (b && ks->n > 0) {
        check_status_snapshot(opt, b, ks, rep);
        return;
    }
    add(rep, "status", AC__INDETERMINATE,
        "not checked: %s for list %s index %llu, so revocation or suspension cannot be ruled "
        "out",
        b ? "no trusted issuer key to check the status snapshot"
          : "the input has no signed status snapshot",
        r->status_uri, (unsigned long long)r->status_idx);
}

static void verify(const uint8_t *data, size_t len, const struct ac_bundle *b,
                   const struct ac__options *opt, struct ac__report *rep)
{
    char why[AC_RECORD_WHY_LEN];
    if (ac_record_decode(data, len, &rep->rec, &rep->msg, why, sizeof(why))) {
        add(rep, "decode", AC__FAIL, "%s%s", b ? "bundle record: " : "", why);
        return;
    }
    rep->decoded = true;
    if (rep->msg.kid)
        sodium_bin2hex(rep->kid_hex, sizeof(rep->kid_hex), rep->msg.kid, rep->msg.kid_len);
    else
        strcpy(rep->kid_hex, "(none)");
    add(rep, "decode", AC__PASS, "%sCOSE_Sign1, alg %s, kid %s, %zu bytes",
        b ? "bundle with " : "",
        rep->msg.alg == AC_COSE_ALG_EDDSA ? "EdDSA (-8)" : "Ed25519 (-19)", rep->kid_hex, len);

    struct keyset ks;
    const struct ac_key_info *key = find_key(opt, rep, &ks);
    if (key) {
        if (ac_cose_sign1_verify(&rep->msg, key->public_key) == 0) {
            add(rep, "signature", AC__PASS, "Ed25519 signature by key %s is valid", key->kid_hex);
            bool in_log = b && check_log(b, &ks, rep);
            check_key_window(opt, key, in_log, rep);
        } else {
            add(rep, "signature", AC__FAIL, "Ed25519 signature does not verify with key %s",
                key->kid_hex);
        }
    }
    check_status(opt, b, &ks, rep);
}

void ac__verify_input(const uint8_t *data, size_t len, const struct ac__options *opt,
                      struct ac__report *rep)
{
    rep->n = 0;
    rep->decoded = false;
    rep->len = len;
    rep->pass_reasons = opt->pass_reasons;
    /* A bundle is a CBOR map; a record is a tagged COSE_Sign1 (0xd2). */
    if (len > 0 && (data[0] >> 5) == 5) {
        struct ac_bundle b;
        char why[AC_BUNDLE_WHY_MAX];
        if (ac_bundle_decode(data, len, &b, why, sizeof(why)) != 0) {
            add(rep, "decode", AC__FAIL, "bundle: %s", why);
            return;
        }
        verify(b.record, b.record_len, &b, opt, rep);
        return;
    }
    verify(data, len, NULL, opt, rep);
}
