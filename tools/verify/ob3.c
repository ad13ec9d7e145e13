/* ob3.c - accord-verify's checks of one Open Badges 3.0 credential (W3C VC
 * 2.0 JSON-LD with an eddsa-rdfc-2022 proof): decoding, issuer and key,
 * signature, key window, and status from the issuer's Bitstring Status List
 * credentials, reported as the same checks and verdicts as a native record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/records/di.h"
#include "accord/records/multibase.h"
#include "accord/records/ob3.h"
#include "accord/records/status.h"
#include "accord/sign/did.h"
#include "accord/trust/trust.h"
#include "internal.h"

/* As for native records: clocks drift, but not by more than this. */
#define FUTURE_SKEW_S 300

/* One processor for the run: its cache of processed contexts is what makes
 * the second and later credentials cheap. */
static struct ac_jsonld *processor;

void ac__ob3_release(void)
{
    ac_jsonld_free(processor);
    processor = NULL;
}

/* The https:// URL a did:web names (did:web:host%3A8443:a:b ->
 * https://host:8443/a/b), or, when |hint| (the Profile's url) is an http(s)
 * URL whose did:web is |did|, that URL: a node on loopback has an http base. */
static int did_web_url(const char *did, const char *hint, char *out, size_t len)
{
    char back[320];
    if (strncmp(did, "did:web:", 8) != 0)
        return AC_EINVAL;
    if (hint && ac_did_web_from_url(hint, back, sizeof back) == 0 && strcmp(back, did) == 0) {
        if (strlen(hint) >= len)
            return AC_EINVAL;
        strcpy(out, hint);
        size_t n = strlen(out);
        while (n > 0 && out[n - 1] == '/')
            out[--n] = 0;
        return 0;
    }
    size_t o = 0;
    const char *s = did + 8;
    if (len < 9)
        return AC_EINVAL;
    memcpy(out, "https://", 8);
    o = 8;
    for (; *s && o + 2 < len; s++) {
        if (*s == ':')
            out[o++] = '/';
        else if (strncmp(s, "%3A", 3) == 0 || strncmp(s, "%3a", 3) == 0) {
            out[o++] = ':';
            s += 2;
        } else
            out[o++] = *s;
    }
    if (*s)
        return AC_EINVAL;
    out[o] = 0;
    return 0;
}

struct keyset {
    const struct ac_key_info *keys;
    size_t n;
    char iss[320]; /* the trusted issuer's name */
};

/* The web origin of |issuer| (a did:web, or an http(s) URL), which the
 * verifier may fetch from, into |url|; empty when it has none. */
static void issuer_origin(const char *issuer, const char *hint, char *url, size_t len)
{
    url[0] = 0;
    if (strncmp(issuer, "did:web:", 8) == 0)
        did_web_url(issuer, hint, url, len);
    else if (strncmp(issuer, "https://", 8) == 0 || strncmp(issuer, "http://", 7) == 0)
        snprintf(url, len, "%s", issuer);
    if (url[0] && ac_trust_issuer_refusal(url))
        url[0] = 0;
}

/* The trusted keys of the issuer |issuer| (a DID or URL). Adds a failing or
 * indeterminate "issuer" check and returns false when there are none. */
static bool issuer_keys(const struct ac_trust_options *opt, const char *issuer, const char *url,
                        struct ac_trust_report *rep, struct keyset *ks)
{
    const struct ac_trust_issuer *is = NULL;
    if (opt->fetched) {
        if (!url[0]) {
            ac_trust_report_add(rep, "issuer", AC_TRUST_INDETERMINATE,
                                "issuer %s has no https URL to fetch keys from", issuer);
            return false;
        }
        is = ac_trust_fetch_issuer(opt->fetched, opt->fetcher, url);
        if (!is) {
            ac_trust_report_add(rep, "issuer", AC_TRUST_INDETERMINATE,
                                "out of memory while fetching keys");
            return false;
        }
        if (is->fetch_error) {
            ac_trust_report_add(rep, "issuer", AC_TRUST_INDETERMINATE, "%s", is->fetch_error);
            return false;
        }
    } else {
        is = ac_trust_find(opt->trust, issuer);
        if (!is && url[0])
            is = ac_trust_find(opt->trust, url);
    }
    if (!is) {
        ac_trust_report_add(rep, "issuer", AC_TRUST_FAIL,
                            "issuer \"%s\" is not an issuer in the trust file", issuer);
        return false;
    }
    ks->keys = is->keys;
    ks->n = is->nkeys;
    snprintf(ks->iss, sizeof ks->iss, "%s", is->iss);
    return true;
}

/* The key a verificationMethod names among |ks| (or the pinned key): by key
 * id ("<did>#<kid hex>", Accord's DID documents) or by Multikey
 * ("#z6Mk...", or a did:key). NULL when none. */
static const struct ac_key_info *key_of(const struct ac_trust_options *opt, const struct keyset *ks,
                                        const char *vm)
{
    const char *frag = strchr(vm, '#');
    uint8_t pk[32];
    int have_pk = 0;
    if (strncmp(vm, "did:key:", 8) == 0)
        have_pk = ac_did_key_parse(vm, pk) == 0;
    else if (frag && frag[1] == 'z')
        have_pk = ac_multikey_ed25519_public(frag + 1, pk) == 0;
    const struct ac_key_info *keys = opt->pinned ? &opt->pinned_key : ks->keys;
    size_t n = opt->pinned ? 1 : ks->n;
    for (size_t i = 0; i < n; i++) {
        if (have_pk && memcmp(keys[i].public_key, pk, 32) == 0)
            return &keys[i];
        if (!have_pk && frag && strcmp(frag + 1, keys[i].kid_hex) == 0)
            return &keys[i];
    }
    return NULL;
}

/* Seconds since the epoch of an RFC 3339 UTC time, or -1. */
static int64_t parse_time(const char *s)
{
    int64_t ms;
    if (!s || ac_clock_parse(s, &ms) != 0)
        return -1;
    return ms / 1000;
}

static const char *issuer_id(const struct ac_jt *doc)
{
    const struct ac_jt *iss = ac_jt_get(doc, "issuer");
    if (ac_jt_is_object(iss))
        iss = ac_jt_get(iss, "id");
    return ac_jt_string(iss);
}

/* Verifies a fetched status list credential and returns its bit for
 * |index|: 0 or 1, or -1 with the reason in |why|. */
static int list_bit(const struct ac_trust_options *opt, const struct keyset *ks, const char *issuer,
                    const char *url, const char *purpose, uint64_t index, char *why, size_t whylen)
{
    const uint8_t *body;
    size_t blen;
    const char *ferr = NULL;
    int frc = opt->fetcher->fetch(opt->fetcher->ctx, url, &body, &blen, &ferr);
    if (frc) {
        snprintf(why, whylen, "%s", ferr ? ferr : "out of memory");
        return -1;
    }
    struct ac_jt_doc *sld = NULL;
    struct ac_di_proof pr;
    struct ac_buf bits = AC_BUF_INIT;
    int bit = -1;
    char inner[256];
    const struct ac_jt *subj;
    const struct ac_key_info *k;
    const struct ac_jt *sl;
    if (ac_jt_parse((const char *)body, blen, &sld, inner, sizeof inner)) {
        snprintf(why, whylen, "%s: %s", url, inner);
        goto out;
    }
    sl = ac_jt_root(sld);
    subj = ac_jt_get(sl, "credentialSubject");
    if (!issuer_id(sl) || strcmp(issuer_id(sl), issuer) != 0) {
        snprintf(why, whylen, "%s: issued by %s, not the credential's issuer", url,
                 issuer_id(sl) ? issuer_id(sl) : "nobody");
        goto out;
    }
    if (!ac_jt_is_string(ac_jt_get(subj, "statusPurpose")) ||
        strcmp(ac_jt_string(ac_jt_get(subj, "statusPurpose")), purpose) != 0) {
        snprintf(why, whylen, "%s: not a %s list", url, purpose);
        goto out;
    }
    if (ac_di_proof_get_jt(sl, &pr, inner, sizeof inner)) {
        snprintf(why, whylen, "%s: %s", url, inner);
        goto out;
    }
    if (!(k = key_of(opt, ks, pr.verification_method))) {
        snprintf(why, whylen, "%s: signed by %s, not a trusted key of the issuer", url,
                 pr.verification_method);
        goto out;
    }
    if (ac_di_verify_read_jt(processor, sl, &pr, k->public_key, inner, sizeof inner)) {
        snprintf(why, whylen, "%s: %s", url, inner);
        goto out;
    }
    const char *enc = ac_jt_string(ac_jt_get(subj, "encodedList"));
    if (!enc || ac_status_w3c_decode(enc, strlen(enc), AC_STATUS_MAX_ENTRIES / 8, &bits)) {
        snprintf(why, whylen, "%s: encodedList is not a GZIP bitstring in base64url", url);
        goto out;
    }
    bit = ac_status_w3c_bit(bits.data, bits.len, index);
    if (bit < 0)
        snprintf(why, whylen, "%s: index %llu is beyond the list", url, (unsigned long long)index);
out:
    ac_buf_release(&bits);
    ac_jt_free(sld);
    return bit;
}

static void check_status(const struct ac_trust_options *opt, const struct keyset *ks,
                         const struct ac_jt *doc, const char *issuer, const char *origin,
                         struct ac_trust_report *rep)
{
    const struct ac_jt *st = ac_jt_get(doc, "credentialStatus");
    size_t n = ac_jt_is_array(st) ? ac_jt_size(st) : st ? 1 : 0;
    if (opt->skip_status && !opt->fetcher) {
        ac_trust_report_add(rep, "status", AC_TRUST_SKIPPED, "not checked (--skip-status)");
        return;
    }
    if (n == 0) {
        ac_trust_report_add(
            rep, "status", AC_TRUST_INDETERMINATE,
            "the credential has no credentialStatus: it cannot be shown not revoked");
        return;
    }
    if (!opt->fetcher) {
        ac_trust_report_add(rep, "status", AC_TRUST_INDETERMINATE,
                            "status not checked: the lists are online only (--fetch gets them)");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const struct ac_jt *e = ac_jt_is_array(st) ? ac_jt_item(st, i) : st;
        const char *type = ac_jt_string(ac_jt_get(e, "type"));
        const char *purpose = ac_jt_string(ac_jt_get(e, "statusPurpose"));
        const char *url = ac_jt_string(ac_jt_get(e, "statusListCredential"));
        const char *idx = ac_jt_string(ac_jt_get(e, "statusListIndex"));
        char *end = NULL, why[300];
        unsigned long long index = idx ? strtoull(idx, &end, 10) : 0;
        if (!type || strcmp(type, "BitstringStatusListEntry") != 0 || !purpose || !url || !idx ||
            !*idx || *end) {
            ac_trust_report_add(rep, "status", AC_TRUST_FAIL,
                                "credentialStatus[%zu] is not a BitstringStatusListEntry", i);
            return;
        }
        if (strcmp(purpose, "revocation") != 0 && strcmp(purpose, "suspension") != 0)
            continue; /* a purpose Accord does not publish says nothing of validity */
        if (!origin[0] || !ac_trust_same_origin(origin, url)) {
            ac_trust_report_add(
                rep, "status", AC_TRUST_INDETERMINATE,
                "not fetched: status list %.200s is not on the web origin of the issuer %.200s, "
                "and a verifier fetches only from the issuer's own origin, so revocation or "
                "suspension cannot be ruled out",
                url, origin[0] ? origin : issuer);
            return;
        }
        int bit = list_bit(opt, ks, issuer, url, purpose, index, why, sizeof why);
        if (bit < 0) {
            ac_trust_report_add(rep, "status", AC_TRUST_INDETERMINATE, "%s list: %s", purpose, why);
            return;
        }
        if (bit) {
            ac_trust_report_add(rep, "status", AC_TRUST_FAIL,
                                "%s (list %.120s index %llu, fetched now)",
                                purpose[0] == 'r' ? "REVOKED" : "SUSPENDED", url, index);
            return;
        }
    }
    ac_trust_report_add(rep, "status", AC_TRUST_PASS,
                        "neither revoked nor suspended (status lists fetched now)");
}

void ac__verify_ob3(const uint8_t *data, size_t len, const struct ac_trust_options *opt,
                    struct ac_trust_report *rep)
{
    char why[384];
    struct ac_jt_doc *parsed = NULL;
    struct ac_di_proof pr;
    struct keyset ks = {0};
    rep->n = 0;
    rep->decoded = false;
    rep->issuer_untrusted = false;
    rep->len = len;
    rep->pass_reasons = opt->pass_reasons;
    if (!processor && ac_jsonld_new(&processor, why, sizeof why)) {
        ac_trust_report_add(rep, "decode", AC_TRUST_FAIL, "JSON-LD contexts: %s", why);
        return;
    }
    /* The document tree (jtree.h), not jansson values: reading and
     * dropping those cost more than both JSON-LD expansions. */
    if (ac_jt_parse((const char *)data, len, &parsed, why, sizeof why)) {
        ac_trust_report_add(rep, "decode", AC_TRUST_FAIL, "%s", why);
        return;
    }
    const struct ac_jt *doc = ac_jt_root(parsed);
    const char *issuer = issuer_id(doc);
    const struct ac_jt *iss = ac_jt_get(doc, "issuer");
    const char *hint = ac_jt_string(ac_jt_get(iss, "url"));
    const char *valid_from = ac_jt_string(ac_jt_get(doc, "validFrom"));
    int64_t from_s = parse_time(valid_from);
    const char *valid_until = ac_jt_string(ac_jt_get(doc, "validUntil"));
    if (!issuer) {
        ac_trust_report_add(rep, "decode", AC_TRUST_FAIL,
                            "issuer: missing (a string or an object with an id)");
        goto out;
    }
    if (from_s < 0) {
        ac_trust_report_add(rep, "decode", AC_TRUST_FAIL,
                            "validFrom: missing or not an RFC 3339 UTC time");
        goto out;
    }
    if (ac_di_proof_get_jt(doc, &pr, why, sizeof why)) {
        ac_trust_report_add(rep, "decode", AC_TRUST_FAIL, "%s", why);
        goto out;
    }
    ac_trust_report_add(rep, "decode", AC_TRUST_PASS, "OB 3.0 / VC 2.0 credential with an %s proof",
                        AC_DI_CRYPTOSUITE);

    /* The proof must be the issuer's: its verification method is a key of
     * the issuer's DID (or URL). */
    size_t ilen = strlen(issuer);
    if (strncmp(pr.verification_method, issuer, ilen) != 0 || pr.verification_method[ilen] != '#') {
        ac_trust_report_add(rep, "issuer", AC_TRUST_FAIL,
                            "verificationMethod %s is not a key of the issuer %s",
                            pr.verification_method, issuer);
        goto out;
    }
    char origin[320];
    issuer_origin(issuer, hint, origin, sizeof origin);
    if (!opt->pinned && !issuer_keys(opt, issuer, origin, rep, &ks))
        goto out;
    const struct ac_key_info *key = key_of(opt, &ks, pr.verification_method);
    if (!key) {
        ac_trust_report_add(
            rep, "issuer", AC_TRUST_FAIL, "verificationMethod %s is %s", pr.verification_method,
            opt->pinned ? "not the pinned key" : "none of the issuer's trusted keys");
        goto out;
    }
    if (opt->fetched) {
        /* As for native records: a key the issuer's own origin publishes
         * checks the signature, not whether that issuer may issue. */
        rep->issuer_untrusted = true;
        ac_trust_report_add(
            rep, "issuer", AC_TRUST_INDETERMINATE,
            "issuer not trusted: key %s is the one %s publishes itself (its "
            "/.well-known/jwks.json), and no trust file or pinned key says it may issue "
            "credentials (give --trust or --key)",
            key->kid_hex, ks.iss);
    } else {
        ac_trust_report_add(rep, "issuer", AC_TRUST_PASS, "%s; key %s",
                            opt->pinned ? "pinned key" : ks.iss, key->kid_hex);
    }

    int rc = ac_di_verify_read_jt(processor, doc, &pr, key->public_key, why, sizeof why);
    if (rc) {
        ac_trust_report_add(rep, "signature", AC_TRUST_FAIL, "%s", why);
        goto out;
    }
    ac_trust_report_add(rep, "signature", AC_TRUST_PASS,
                        "Ed25519 over the RDFC-1.0 canonical forms verifies");

    /* The key window, against the proof's created time (else validFrom). */
    int64_t signed_s = pr.created ? parse_time(pr.created) : from_s;
    int64_t now_s = opt->now_ms / 1000;
    char when[21];
    ac_clock_format((signed_s > 0 ? signed_s : 0) * 1000, when);
    if (signed_s < 0 || signed_s > now_s + FUTURE_SKEW_S || from_s > now_s + FUTURE_SKEW_S) {
        ac_trust_report_add(rep, "key-window", AC_TRUST_FAIL,
                            "signed %s / validFrom %s: in the future or unreadable", when,
                            valid_from);
    } else if (valid_until && parse_time(valid_until) >= 0 &&
               parse_time(valid_until) < now_s - FUTURE_SKEW_S) {
        ac_trust_report_add(rep, "key-window", AC_TRUST_FAIL,
                            "validUntil %s is in the past: the credential expired", valid_until);
    } else if (opt->pinned) {
        ac_trust_report_add(rep, "key-window", AC_TRUST_PASS,
                            "signed %s; a pinned key has no window to check", when);
    } else if (!ac_record_key_valid_at(key, signed_s)) {
        ac_trust_report_add(rep, "key-window", AC_TRUST_FAIL, "signed %s, outside key %s's window",
                            when, key->kid_hex);
    } else if (key->not_after_ms) {
        ac_trust_report_add(
            rep, "key-window", AC_TRUST_INDETERMINATE,
            "signed %s inside retired key %s's window, but the OB 3.0 form carries no log "
            "inclusion proof to show the date (verify the native record's bundle)",
            when, key->kid_hex);
    } else {
        ac_trust_report_add(rep, "key-window", AC_TRUST_PASS, "signed %s by current key %s", when,
                            key->kid_hex);
    }
    check_status(opt, &ks, doc, issuer, origin, rep);
out:
    ac_jt_free(parsed);
}

/* ---- a bundle's OB 3.0 form beside its native record -------------------- */

/* The member |name| of the first element of |arr| (an array, or an object
 * standing for a one-element array, as JSON-LD allows). */
static json_t *first_get(json_t *arr, const char *name)
{
    return json_object_get(json_is_array(arr) ? json_array_get(arr, 0) : arr, name);
}

/* Compares the award the OB 3.0 credential |doc| states with the native
 * record |r|: the same credential id (urn:uuid of the cti), issuer, date,
 * subject, achievement (definition and version), achieved level, CEUs and
 * status index. Returns NULL when they agree, else what differs, in |why|. */
static const char *award_differs(const json_t *doc, const struct ac_record *r, char *why,
                                 size_t len)
{
    char uuid[64], when[32], ach[600];
    const uint8_t *c = r->cti;
    snprintf(uuid, sizeof uuid,
             "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", c[0],
             c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12], c[13],
             c[14], c[15]);
    const char *id = json_string_value(json_object_get(doc, "id"));
    if (!id || strcmp(id, uuid) != 0) {
        snprintf(why, len, "id %.80s is not the record's cti (%s)", id ? id : "(none)", uuid);
        return why;
    }
    const json_t *iss = json_object_get(doc, "issuer");
    const char *iss_url = json_string_value(json_object_get(iss, "url"));
    char did[400] = "";
    ac_did_web_from_url(r->iss, did, sizeof did);
    const char *iss_id = json_string_value(json_is_object(iss) ? json_object_get(iss, "id") : iss);
    if (!(iss_url && strcmp(iss_url, r->iss) == 0) && !(iss_id && strcmp(iss_id, did) == 0)) {
        snprintf(why, len, "issuer %.120s is not the record's iss %.120s",
                 iss_id ? iss_id : "(none)", r->iss);
        return why;
    }
    const char *from = json_string_value(json_object_get(doc, "validFrom"));
    if (ac_ob3_time(r->iat, when) || !from || strcmp(from, when) != 0) {
        snprintf(why, len, "validFrom %.40s is not the record's iat %s", from ? from : "(none)",
                 when);
        return why;
    }
    json_t *subject = json_object_get(doc, "credentialSubject");
    const char *hash =
        json_string_value(first_get(json_object_get(subject, "identifier"), "identityHash"));
    if (!hash || strcmp(hash, r->sub) != 0) {
        snprintf(why, len, "credentialSubject identityHash %.80s is not the record's sub %.80s",
                 hash ? hash : "(none)", r->sub);
        return why;
    }
    json_t *achievement = json_object_get(subject, "achievement");
    const char *ach_id = json_string_value(json_object_get(achievement, "id"));
    snprintf(ach, sizeof ach, "%s/v1/catalog/%s?version=%llu", r->iss, r->definition_id,
             (unsigned long long)r->definition_version);
    if (!ach_id || strcmp(ach_id, ach) != 0) {
        snprintf(why, len, "achievement %.160s is not the record's definition %s version %llu",
                 ach_id ? ach_id : "(none)", r->definition_id,
                 (unsigned long long)r->definition_version);
        return why;
    }
    /* The achieved level is an IRI of one of the rubric's levels; its name
     * must be the record's level. */
    const char *level =
        json_string_value(first_get(json_object_get(subject, "result"), "achievedLevel"));
    json_t *levels =
        first_get(json_object_get(achievement, "resultDescription"), "rubricCriterionLevel");
    const char *level_name = NULL;
    for (size_t i = 0; level && i < json_array_size(levels); i++) {
        json_t *lv = json_array_get(levels, i);
        const char *lid = json_string_value(json_object_get(lv, "id"));
        if (lid && strcmp(lid, level) == 0)
            level_name = json_string_value(json_object_get(lv, "name"));
    }
    if (!level_name || strcmp(level_name, r->achieved_level) != 0) {
        snprintf(why, len, "achieved level %.80s is not the record's \"%s\"",
                 level_name ? level_name : "(none of the rubric's levels)", r->achieved_level);
        return why;
    }
    json_t *credits = json_object_get(subject, "creditsEarned");
    if ((credits != NULL) != r->has_ceu ||
        (credits &&
         (!json_is_number(credits) ||
          (long long)(json_number_value(credits) * 100.0 + 0.5) != (long long)r->ceu_hundredths))) {
        snprintf(why, len, "creditsEarned differs from the record's CEUs (%s%.2f)",
                 r->has_ceu ? "" : "none, ", r->has_ceu ? (double)r->ceu_hundredths / 100.0 : 0.0);
        return why;
    }
    json_t *status = json_object_get(doc, "credentialStatus");
    for (size_t i = 0; r->has_status && i < json_array_size(status); i++) {
        const char *idx =
            json_string_value(json_object_get(json_array_get(status, i), "statusListIndex"));
        char want[24];
        snprintf(want, sizeof want, "%llu", (unsigned long long)r->status_idx);
        if (!idx || strcmp(idx, want) != 0) {
            snprintf(why, len,
                     "credentialStatus[%zu] statusListIndex %.24s is not the record's "
                     "status index %s",
                     i, idx ? idx : "(none)", want);
            return why;
        }
    }
    return NULL;
}

void ac__verify_bundle_ob3(const uint8_t *ob3, size_t len, const struct ac_trust_options *opt,
                           struct ac_trust_report *rep)
{
    if (!rep->decoded || rep->nkeys == 0) {
        ac_trust_report_add(
            rep, "ob3", AC_TRUST_INDETERMINATE,
            "the bundle's OB 3.0 form is not checked: the native record gave no trusted key");
        return;
    }
    /* The same keys as the native record's checks (with what the bundle's
     * key hand-overs taught), under the record's issuer; status is the
     * native snapshot's, since both forms name the same status bits. */
    struct ac_trust_issuer is = {.iss = rep->rec.iss, .keys = rep->keys, .nkeys = rep->nkeys};
    struct ac_trust t = {.issuers = &is, .n = 1};
    struct ac_trust_options o = *opt;
    o.trust = opt->pinned ? NULL : &t;
    o.fetched = NULL;
    o.fetcher = NULL;
    o.skip_status = true;
    struct ac_trust_report *orep = malloc(sizeof *orep);
    if (!orep) {
        ac_trust_report_add(rep, "ob3", AC_TRUST_INDETERMINATE,
                            "out of memory checking the OB 3.0 form");
        return;
    }
    ac__verify_ob3(ob3, len, &o, orep);
    const struct ac_trust_check *bad = NULL;
    for (size_t i = 0; i < orep->n && !bad; i++) {
        const struct ac_trust_check *c = &orep->checks[i];
        /* Its proof by a retired key is dated by the native record's log
         * proof: the award it states is checked against that record below,
         * so it asserts nothing the record does not. */
        if (c->result == AC_TRUST_FAIL ||
            (c->result == AC_TRUST_INDETERMINATE && strcmp(c->name, "key-window") != 0))
            bad = c;
    }
    char why[300];
    const char *differs = NULL;
    json_t *doc = NULL;
    if (!bad) {
        json_error_t err;
        doc = json_loadb((const char *)ob3, len, 0, &err);
        differs = doc ? award_differs(doc, &rep->rec, why, sizeof why) : "not JSON";
    }
    if (bad)
        ac_trust_report_add(rep, "ob3", bad->result, "the bundle's OB 3.0 form: %s: %s", bad->name,
                            bad->reason);
    else if (differs)
        ac_trust_report_add(
            rep, "ob3", AC_TRUST_FAIL,
            "the bundle's OB 3.0 form states another award than its native record: %s", differs);
    else
        ac_trust_report_add(
            rep, "ob3", AC_TRUST_PASS,
            "the bundle's OB 3.0 form verifies (%s proof by a key of the issuer) and states the "
            "same award as the native record (id, issuer, date, subject, achievement, level, "
            "CEUs, status index): both forms get this verdict",
            AC_DI_CRYPTOSUITE);
    json_decref(doc);
    free(orep);
}
