/* verdict.c - the checks of one native record or bundle: decoding, issuer and
 * key, signature, log inclusion (from a bundle or fetched), key validity at
 * issuance, log history against the witness state, and status; and the
 * three-valued verdict they add up to. A bundle's key hand-overs are walked
 * in handovers.c and its witness cosignatures checked in cosignatures.c.
 * Fetching goes through the caller's fetcher (fetch.h): core/ never reaches
 * the network itself. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "accord/records/bundle.h"
#include "accord/records/checkpoint.h"
#include "accord/base/clock.h"
#include "accord/base/base64.h"
#include "accord/base/error.h"
#include "accord/records/merkle.h"
#include "accord/records/status.h"
#include "accord/trust/verdict.h"
#include "internal.h"

/* One GET through the caller's fetcher; on failure |*why| is always set. */
static int fetch_url(const struct ac_trust_options *opt, const char *url, const uint8_t **body,
                     size_t *len, const char **why)
{
    *why = NULL;
    int rc = opt->fetcher->fetch(opt->fetcher->ctx, url, body, len, why);
    if (rc && !*why)
        *why = rc == AC_ENOMEM ? "out of memory" : ac_strerror(rc);
    return rc;
}

const char *ac_trust_result_name(enum ac_trust_result r)
{
    static const char *const names[] = {"pass", "fail", "indeterminate", "skipped"};
    return names[r];
}

enum ac_trust_result ac_trust_verdict(const struct ac_trust_report *rep)
{
    enum ac_trust_result v = AC_TRUST_PASS;
    for (size_t i = 0; i < rep->n; i++) {
        if (rep->checks[i].result == AC_TRUST_FAIL)
            return AC_TRUST_FAIL;
        if (rep->checks[i].result == AC_TRUST_INDETERMINATE)
            v = AC_TRUST_INDETERMINATE;
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

/* Finds the key that must have signed: the pinned one, or the issuer's key
 * with the record's kid, among the trusted keys and those the bundle's
 * hand-overs (if any, checked here) lead to, kept in |eff|. Adds the
 * "issuer" check; returns the key or NULL, and sets |*ks| to all the
 * issuer's trusted keys. */
static const struct ac_key_info *find_key(const struct ac_trust_options *opt,
                                          const struct ac_bundle *b, struct ac_trust_report *rep,
                                          struct ac_key_info eff[AC_TRUST_EFF_KEYS_MAX],
                                          struct ac__keyset *ks)
{
    const struct ac_cose_sign1 *m = &rep->msg;
    ks->keys = NULL;
    ks->n = 0;
    if (opt->pinned) {
        const struct ac_key_info *pk = &opt->pinned_key;
        ks->keys = pk;
        ks->n = 1;
        if (m->kid && (m->kid_len != AC_KEY_ID_BYTES || memcmp(m->kid, pk->kid, 8) != 0)) {
            ac_trust_report_add(rep, "issuer", AC_TRUST_FAIL,
                                "record kid %s is not the pinned key's id %s", rep->kid_hex,
                                pk->kid_hex);
            return NULL;
        }
        ac_trust_report_add(rep, "issuer", AC_TRUST_PASS,
                            "pinned key %s (issuer %s as the record states it)", pk->kid_hex,
                            rep->rec.iss);
        if (b && b->nkeys)
            ac_trust_report_add(
                rep, "keys", AC_TRUST_SKIPPED,
                "a pinned key is trusted as given: the bundle's %zu key hand-overs are not used",
                b->nkeys);
        return pk;
    }
    const struct ac_trust_issuer *is;
    if (opt->fetched) {
        is = ac_trust_fetch_issuer(opt->fetched, opt->fetcher, rep->rec.iss);
        if (!is) {
            ac_trust_report_add(rep, "issuer", AC_TRUST_INDETERMINATE,
                                "out of memory while fetching keys");
            return NULL;
        }
        if (is->fetch_error) {
            /* The keys could not be had: nothing is known either way. */
            ac_trust_report_add(rep, "issuer", AC_TRUST_INDETERMINATE, "%s", is->fetch_error);
            return NULL;
        }
    } else {
        is = ac_trust_find(opt->trust, rep->rec.iss);
    }
    if (!is) {
        ac_trust_report_add(rep, "issuer", AC_TRUST_FAIL,
                            "iss \"%s\" is not an issuer in the trust file", rep->rec.iss);
        return NULL;
    }
    ks->keys = is->keys;
    ks->n = is->nkeys;
    if (b && b->nkeys && !ac__check_handovers(b, is, rep, eff, ks))
        return NULL;
    if (!m->kid) {
        ac_trust_report_add(rep, "issuer", AC_TRUST_FAIL,
                            "record has no kid, so no key of %s can be chosen", rep->rec.iss);
        return NULL;
    }
    for (size_t i = 0; i < ks->n; i++) {
        const struct ac_key_info *k = &ks->keys[i];
        if (m->kid_len == AC_KEY_ID_BYTES && memcmp(k->kid, m->kid, 8) == 0) {
            if (opt->fetched) {
                /* Anyone can name their own web server as iss and publish a
                 * key there: the key checks the signature, not the issuer. */
                rep->issuer_untrusted = true;
                ac_trust_report_add(
                    rep, "issuer", AC_TRUST_INDETERMINATE,
                    "issuer not trusted: key %s is the one %s publishes itself (its "
                    "/.well-known/jwks.json), and no trust file or pinned key says it may "
                    "issue credentials (give --trust or --key)",
                    k->kid_hex, is->iss);
                return k;
            }
            ac_trust_report_add(
                rep, "issuer", AC_TRUST_PASS, "%s is trusted; key %s%s", is->iss, k->kid_hex,
                i >= is->nkeys ? " (reached through the bundle's key hand-overs)" : "");
            return k;
        }
    }
    /* The kid is signed (protected), so a record whose kid names no trusted
     * key was signed by a key the recognizer does not trust, or is not the
     * record its issuer signed: either way it is not valid. */
    if (opt->fetched)
        ac_trust_report_add(rep, "issuer", AC_TRUST_FAIL,
                            "kid %s is none of the %zu keys %s publishes in its JWKS: unknown key",
                            rep->kid_hex, is->nkeys, is->iss);
    else
        ac_trust_report_add(
            rep, "issuer", AC_TRUST_FAIL,
            "kid %s is none of the %zu keys the trust file lists for %s%s: unknown key (if the "
            "issuer rotated keys since, refresh the trust file)",
            rep->kid_hex, is->nkeys, is->iss,
            ks->n > is->nkeys ? " nor one the bundle's key hand-overs lead to" : "");
    return NULL;
}

/* True when |k| is the issuer's current key: one with an end to its window
 * is retired (a JWKS rounds valid_until up to the second, so comparing it
 * with the clock would call a key retired a moment ago current). */
static bool key_current(const struct ac_key_info *k)
{
    return k->not_after_ms == 0;
}

/* What log inclusion showed, for the key-window check. */
enum in_log {
    IN_LOG_NO,             /* no proof, or it failed */
    IN_LOG_RETIRED_SIGNER, /* proven, but the checkpoint's signer is retired */
    IN_LOG_CURRENT_SIGNER, /* proven at a checkpoint signed by a current key */
};

/* The record's own validity period (RFC 8392 nbf and exp), against the
 * verifier's clock with the same skew allowed as for iat. Adds a failing
 * "key-window" check and returns false when the record is not yet or no
 * longer valid. */
static bool check_validity(const struct ac_trust_options *opt, struct ac_trust_report *rep)
{
    const struct ac_record *r = &rep->rec;
    int64_t now_s = opt->now_ms / 1000;
    char when[21];
    if (r->has_nbf && r->nbf > now_s + AC_TRUST_FUTURE_SKEW_S) {
        ac_trust_report_add(rep, "key-window", AC_TRUST_FAIL,
                            "nbf %s is in the future: the record is not valid yet",
                            ac_clock_format(r->nbf * 1000, when));
        return false;
    }
    if (r->has_exp && r->exp < now_s - AC_TRUST_FUTURE_SKEW_S) {
        ac_trust_report_add(rep, "key-window", AC_TRUST_FAIL,
                            "exp %s is in the past: the record has expired",
                            ac_clock_format(r->exp * 1000, when));
        return false;
    }
    return true;
}

static void check_key_window(const struct ac_trust_options *opt, const struct ac_key_info *key,
                             enum in_log in_log, const struct ac__cosigned *cs,
                             struct ac_trust_report *rep)
{
    char window[64] = "", iat[21] = "";
    int64_t iat_s = rep->rec.iat;
    bool quiet_pass = !rep->pass_reasons;
    bool retired = !key_current(key);
    if (!quiet_pass || iat_s > opt->now_ms / 1000 + AC_TRUST_FUTURE_SKEW_S ||
        !ac_record_key_valid_at(key, iat_s) || retired) {
        ac_clock_format(iat_s * 1000, iat);
        format_window(key, window, sizeof(window));
    }
    if (iat_s > opt->now_ms / 1000 + AC_TRUST_FUTURE_SKEW_S) {
        ac_trust_report_add(rep, "key-window", AC_TRUST_FAIL, "iat %s is in the future", iat);
        return;
    }
    if (!check_validity(opt, rep))
        return;
    if (opt->pinned) {
        ac_trust_report_add(rep, "key-window", AC_TRUST_PASS,
                            "iat %s; a pinned key has no window to check", iat);
        return;
    }
    if (!ac_record_key_valid_at(key, iat_s)) {
        ac_trust_report_add(rep, "key-window", AC_TRUST_FAIL,
                            "iat %s is outside key %s's window (%s)", iat, key->kid_hex, window);
        return;
    }
    if (!retired) {
        ac_trust_report_add(rep, "key-window", AC_TRUST_PASS,
                            "iat %s is inside key %s's window (%s)", iat, key->kid_hex, window);
        return;
    }
    /* A retired key's holder could backdate iat; only the record's inclusion
     * in the issuer's log, at a checkpoint a current key signed (a retired
     * key may have leaked, and could sign a checkpoint too), settles it. */
    size_t need = opt->witnesses_required ? opt->witnesses_required : 1;
    size_t before = ac__cosigned_before(cs, key->not_after_ms);
    if (in_log == IN_LOG_CURRENT_SIGNER)
        ac_trust_report_add(
            rep, "key-window", AC_TRUST_PASS,
            "iat %s is inside retired key %s's window (%s), and the issuer's signed log "
            "holds the record (checkpoint signed by a current key)",
            iat, key->kid_hex, window);
    else if (in_log == IN_LOG_RETIRED_SIGNER && before >= need)
        /* The witnesses' own clocks date the checkpoint that holds the
         * record: it existed before the key retired, so the key signed the
         * record while it was current. A key stolen later cannot get a
         * checkpoint of its own cosigned in the past. */
        ac_trust_report_add(
            rep, "key-window", AC_TRUST_PASS,
            "iat %s is inside retired key %s's window (%s), and %zu witness%s of the trust file "
            "cosigned the checkpoint holding the record before the key retired",
            iat, key->kid_hex, window, before, before == 1 ? "" : "es");
    else if (in_log == IN_LOG_RETIRED_SIGNER)
        ac_trust_report_add(
            rep, "key-window", AC_TRUST_INDETERMINATE,
            "iat %s is inside retired key %s's window (%s), but the log proof's checkpoint "
            "is signed by a retired key too, and %zu of the %zu witness cosignatures needed "
            "date it before the retirement, so the date cannot be trusted (--fetch gets a "
            "current checkpoint)",
            iat, key->kid_hex, window, before, need);
    else
        ac_trust_report_add(
            rep, "key-window", AC_TRUST_INDETERMINATE,
            "iat %s is inside retired key %s's window (%s), but without a log inclusion "
            "proof the date cannot be trusted (a bundle or --fetch gives one)",
            iat, key->kid_hex, window);
}

/* ---- Log inclusion ------------------------------------------------------- */

/* Copies the first line of a signed checkpoint (its origin, which is also the
 * signed-note key name) into |origin|. Returns false when there is none. */
static bool note_origin(const char *note, size_t len, char origin[AC_NOTE_NAME_MAX + 1])
{
    const char *nl = memchr(note, '\n', len);
    size_t olen = nl ? (size_t)(nl - note) : 0;
    if (olen == 0 || olen > AC_NOTE_NAME_MAX)
        return false;
    memcpy(origin, note, olen);
    origin[olen] = '\0';
    return true;
}

/* Writes the log origin issuer |iss| signs its checkpoints under: its base
 * URL without the scheme, plus "/log" (docs/api-records.md). Returns false
 * when |iss| is no http(s) URL or the origin would not fit. A checkpoint is
 * only evidence about this issuer's log when it names this origin: the
 * signature alone shows who signed, not whose log it describes. */
static bool issuer_origin(const char *iss, char origin[AC_NOTE_NAME_MAX + 1])
{
    const char *host = NULL;
    if (strncmp(iss, "https://", 8) == 0)
        host = iss + 8;
    else if (strncmp(iss, "http://", 7) == 0)
        host = iss + 7;
    if (!host)
        return false;
    size_t n = strlen(host);
    while (n > 0 && host[n - 1] == '/')
        n--;
    if (n == 0 || n + 4 > AC_NOTE_NAME_MAX)
        return false;
    snprintf(origin, AC_NOTE_NAME_MAX + 1, "%.*s/log", (int)n, host);
    return true;
}

#define MAX_VERIFIERS 16

/* Fills |v| with signed-note verifiers named |origin| for the issuer's keys
 * (only those still current when |current_only|). Returns how many. */
static size_t note_verifiers(const struct ac__keyset *ks, const char *origin, bool current_only,
                             struct ac_note_verifier v[MAX_VERIFIERS])
{
    size_t nv = 0;
    for (size_t i = 0; i < ks->n && nv < MAX_VERIFIERS; i++)
        if ((!current_only || key_current(&ks->keys[i])) &&
            ac_note_verifier_init(&v[nv], origin, ks->keys[i].public_key) == 0)
            nv++;
    return nv;
}

/* True when a key of the issuer that is still current signed |note| (already
 * verified with all its keys). A retired key may have leaked, so only a
 * current key's checkpoint vouches for a record signed by a retired one. */
static bool signed_by_current(const struct ac__keyset *ks, const char *origin, const char *note,
                              size_t len)
{
    struct ac_note_verifier v[MAX_VERIFIERS];
    size_t nv = note_verifiers(ks, origin, true, v);
    size_t text_len;
    return nv > 0 && ac_note_verify(note, len, v, nv, &text_len, NULL, 0) == 0;
}

/* The log check of a bundle: its checkpoint is signed by one of the issuer's
 * keys (named, as signed-note keys are, by the checkpoint's origin), and the
 * inclusion proof leads from the record to that checkpoint's root. */
static enum in_log check_log(const struct ac_bundle *b, const struct ac__keyset *ks,
                             struct ac_trust_report *rep, struct ac__seen_checkpoint *seen)
{
    char origin[AC_NOTE_NAME_MAX + 1], want[AC_NOTE_NAME_MAX + 1];
    if (!note_origin(b->checkpoint, b->checkpoint_len, origin)) {
        ac_trust_report_add(rep, "log", AC_TRUST_FAIL,
                            "checkpoint: the first line must be the log's origin");
        return IN_LOG_NO;
    }
    if (!issuer_origin(rep->rec.iss, want)) {
        ac_trust_report_add(rep, "log", AC_TRUST_FAIL,
                            "iss \"%.200s\" is not an http(s) URL, so it has no log origin",
                            rep->rec.iss);
        return IN_LOG_NO;
    }
    if (strcmp(origin, want) != 0) {
        ac_trust_report_add(
            rep, "log", AC_TRUST_FAIL,
            "checkpoint origin \"%.64s\" is not the log of the record's issuer, \"%.64s\"", origin,
            want);
        return IN_LOG_NO;
    }
    struct ac_note_verifier v[MAX_VERIFIERS];
    size_t nv = note_verifiers(ks, origin, false, v);
    if (nv == 0) {
        ac_trust_report_add(rep, "log", AC_TRUST_FAIL,
                            "checkpoint origin \"%.64s\" is not a valid key name", origin);
        return IN_LOG_NO;
    }
    char why[AC_BUNDLE_WHY_MAX];
    if (ac_bundle_verify_log(b, v, nv, want, &seen->cp, why, sizeof(why)) != 0) {
        ac_trust_report_add(rep, "log", AC_TRUST_FAIL, "%s", why);
        return IN_LOG_NO;
    }
    seen->set = true;
    seen->note = b->checkpoint;
    seen->note_len = b->checkpoint_len;
    if (rep->rec.has_log_index && rep->rec.log_index != b->index) {
        ac_trust_report_add(rep, "log", AC_TRUST_FAIL,
                            "the record claims log index %llu but the proof is for %llu",
                            (unsigned long long)rep->rec.log_index, (unsigned long long)b->index);
        return IN_LOG_NO;
    }
    bool current = signed_by_current(ks, origin, b->checkpoint, b->checkpoint_len);
    ac_trust_report_add(
        rep, "log", AC_TRUST_PASS,
        "the record is entry %llu of log \"%.64s\" (%llu entries), checkpoint signed by the "
        "issuer's %s key",
        (unsigned long long)b->index, origin, (unsigned long long)b->size,
        current ? "current" : "retired");
    return current ? IN_LOG_CURRENT_SIGNER : IN_LOG_RETIRED_SIGNER;
}

/* Reads {"hashes": [base64, ...]} of a fetched proof into |p|, and the
 * members |n1| / |n2| (may be NULL) as unsigned integers. Returns the parsed
 * JSON (the caller frees it) or NULL with the reason in |why|. */
static json_t *parse_proof(const char *url, const uint8_t *body, size_t len, const char *n1,
                           uint64_t *v1, const char *n2, uint64_t *v2, struct ac_merkle_proof *p,
                           char *why, size_t whylen)
{
    json_error_t err;
    json_t *j = json_loadb((const char *)body, len, 0, &err);
    json_t *hashes = json_object_get(j, "hashes");
    if (!j || !json_is_array(hashes) || json_array_size(hashes) > AC_MERKLE_PROOF_MAX) {
        snprintf(why, whylen, "%.300s: not a proof (JSON with at most %d hashes)", url,
                 AC_MERKLE_PROOF_MAX);
        json_decref(j);
        return NULL;
    }
    const char *names[2] = {n1, n2};
    uint64_t *vals[2] = {v1, v2};
    for (int k = 0; k < 2; k++) {
        if (!names[k])
            continue;
        json_t *m = json_object_get(j, names[k]);
        if (!json_is_integer(m) || json_integer_value(m) < 0) {
            snprintf(why, whylen, "%.300s: %s: must be a whole number >= 0", url, names[k]);
            json_decref(j);
            return NULL;
        }
        *vals[k] = (uint64_t)json_integer_value(m);
    }
    p->count = json_array_size(hashes);
    for (size_t i = 0; i < p->count; i++) {
        const char *s = json_string_value(json_array_get(hashes, i));
        size_t n = 0;
        if (!s ||
            ac_base64_decode(s, strlen(s), AC_BASE64_STD, p->hash[i], AC_MERKLE_HASH_BYTES, &n) !=
                0 ||
            n != AC_MERKLE_HASH_BYTES) {
            snprintf(why, whylen, "%.300s: hashes[%zu]: must be base64 of 32 bytes", url, i);
            json_decref(j);
            return NULL;
        }
    }
    return j;
}

/* --fetch: the issuer's current signed checkpoint and the inclusion proof of
 * the record (by its log_index claim) at that checkpoint's size. Material
 * that cannot be had or does not verify leaves the check indeterminate (a
 * network can always withhold it); a verified proof that the issuer's log
 * holds another record at that index, or is too short to hold it, fails. */
static enum in_log check_log_fetch(const struct ac_trust_options *opt, const uint8_t *record,
                                   size_t record_len, const struct ac__keyset *ks,
                                   struct ac_trust_report *rep, struct ac__seen_checkpoint *seen)
{
    const struct ac_record *r = &rep->rec;
    char url[1024], why[AC_BUNDLE_WHY_MAX + 400];
    if (!r->has_log_index) {
        ac_trust_report_add(
            rep, "log-fetch", AC_TRUST_INDETERMINATE,
            "the record has no log_index claim, so its inclusion cannot be asked for");
        return IN_LOG_NO;
    }
    if (ac_trust_issuer_url(r->iss, "/v1/log/checkpoint", url, sizeof(url))) {
        const char *refused = ac_trust_issuer_refusal(r->iss);
        ac_trust_report_add(rep, "log-fetch", AC_TRUST_INDETERMINATE,
                            "iss \"%.200s\" %s, so its log is not asked", r->iss,
                            refused ? refused : "is too long");
        return IN_LOG_NO;
    }
    const uint8_t *body = NULL;
    size_t body_len = 0;
    const char *fwhy = NULL;
    if (fetch_url(opt, url, &body, &body_len, &fwhy)) {
        ac_trust_report_add(rep, "log-fetch", AC_TRUST_INDETERMINATE, "%s", fwhy);
        return IN_LOG_NO;
    }
    const char *note = (const char *)body;
    char origin[AC_NOTE_NAME_MAX + 1];
    struct ac_note_verifier v[MAX_VERIFIERS];
    size_t nv = 0;
    /* The verifiers are named by the issuer's own origin, and the checkpoint
     * must name it too: another issuer's log proves nothing about this one. */
    if (issuer_origin(r->iss, origin))
        nv = note_verifiers(ks, origin, false, v);
    char cwhy[AC_NOTE_WHY_MAX];
    if (nv == 0 ||
        ac_checkpoint_open(note, body_len, v, nv, origin, &seen->cp, cwhy, sizeof(cwhy)) != 0) {
        ac_trust_report_add(rep, "log-fetch", AC_TRUST_INDETERMINATE,
                            "the checkpoint from %.300s does not verify "
                            "with the issuer's keys: %s",
                            url, nv ? cwhy : "the issuer has no log origin");
        return IN_LOG_NO;
    }
    seen->set = true;
    seen->note = note;
    seen->note_len = body_len;
    uint64_t size = seen->cp.size;
    if (r->log_index >= size) {
        ac_trust_report_add(
            rep, "log-fetch", AC_TRUST_FAIL,
            "the record claims log index %llu, but the issuer's signed log has only %llu "
            "entries",
            (unsigned long long)r->log_index, (unsigned long long)size);
        return IN_LOG_NO;
    }
    char path[96];
    snprintf(path, sizeof(path), "/v1/log/inclusion?index=%llu&size=%llu",
             (unsigned long long)r->log_index, (unsigned long long)size);
    if (ac_trust_issuer_url(r->iss, path, url, sizeof(url))) {
        const char *refused = ac_trust_issuer_refusal(r->iss);
        ac_trust_report_add(rep, "log-fetch", AC_TRUST_INDETERMINATE,
                            "iss \"%.200s\" %s, so its log is not asked", r->iss,
                            refused ? refused : "is too long");
        return IN_LOG_NO;
    }
    if (fetch_url(opt, url, &body, &body_len, &fwhy)) {
        ac_trust_report_add(rep, "log-fetch", AC_TRUST_INDETERMINATE, "%s", fwhy);
        return IN_LOG_NO;
    }
    struct ac_merkle_proof proof;
    uint64_t pindex = 0, psize = 0;
    json_t *j = parse_proof(url, body, body_len, "index", &pindex, "size", &psize, &proof, why,
                            sizeof(why));
    uint8_t served[AC_MERKLE_HASH_BYTES], ours[AC_MERKLE_HASH_BYTES];
    size_t n = 0;
    const char *lh = json_string_value(json_object_get(j, "leaf_hash"));
    if (j &&
        (!lh || ac_base64_decode(lh, strlen(lh), AC_BASE64_STD, served, sizeof(served), &n) != 0 ||
         n != sizeof(served) || pindex != r->log_index || psize != size)) {
        snprintf(why, sizeof(why), "%.300s: not the proof asked for (index, size, leaf_hash)", url);
        json_decref(j);
        j = NULL;
    }
    json_decref(j);
    if (!j) {
        ac_trust_report_add(rep, "log-fetch", AC_TRUST_INDETERMINATE, "%s", why);
        return IN_LOG_NO;
    }
    if (ac_merkle_verify_inclusion(served, pindex, psize, &proof, seen->cp.root) != 0) {
        ac_trust_report_add(
            rep, "log-fetch", AC_TRUST_INDETERMINATE,
            "the issuer's inclusion proof for index %llu does not lead to its signed root",
            (unsigned long long)pindex);
        return IN_LOG_NO;
    }
    ac_merkle_leaf_hash(record, record_len, ours);
    if (memcmp(ours, served, sizeof(ours)) != 0) {
        ac_trust_report_add(
            rep, "log-fetch", AC_TRUST_FAIL,
            "the issuer's signed log holds a different record at index %llu: this record was "
            "never logged there",
            (unsigned long long)pindex);
        return IN_LOG_NO;
    }
    bool current = signed_by_current(ks, origin, note, seen->note_len);
    ac_trust_report_add(
        rep, "log-fetch", AC_TRUST_PASS,
        "the issuer's log \"%.64s\" holds the record at index %llu (checkpoint of %llu entries "
        "fetched now, signed by its %s key)",
        origin, (unsigned long long)pindex, (unsigned long long)size,
        current ? "current" : "retired");
    return current ? IN_LOG_CURRENT_SIGNER : IN_LOG_RETIRED_SIGNER;
}

/* ---- Log history (forks) ------------------------------------------------- */

enum compared {
    SAME_HISTORY,
    FORK,
    NOT_COMPARED, /* sizes differ and there is no --fetch to ask for a proof */
    NO_PROOF,     /* --fetch could not get a usable consistency proof */
};

/* Compares two verified checkpoints of one log: equal sizes need equal
 * roots; different sizes need the issuer's consistency proof. */
static enum compared compare(const struct ac_trust_options *opt, const char *iss,
                             const struct ac_checkpoint *a, const struct ac_checkpoint *b,
                             char *why, size_t whylen)
{
    char ra[9], rb[9];
    sodium_bin2hex(ra, sizeof(ra), a->root, 4);
    sodium_bin2hex(rb, sizeof(rb), b->root, 4);
    if (strcmp(a->origin, b->origin) != 0) {
        snprintf(why, whylen, "checkpoints of different logs (\"%.64s\", \"%.64s\")", a->origin,
                 b->origin);
        return NO_PROOF;
    }
    if (a->size == b->size) {
        if (memcmp(a->root, b->root, AC_MERKLE_HASH_BYTES) == 0)
            return SAME_HISTORY;
        snprintf(why, whylen,
                 "log fork: two checkpoints of \"%.64s\" at size %llu, both signed by the "
                 "issuer, have different roots (%s... and %s...)",
                 a->origin, (unsigned long long)a->size, ra, rb);
        return FORK;
    }
    const struct ac_checkpoint *older = a->size < b->size ? a : b;
    const struct ac_checkpoint *newer = a->size < b->size ? b : a;
    if (!opt->fetcher) {
        snprintf(why, whylen,
                 "checkpoints of sizes %llu and %llu cannot be compared offline (a consistency "
                 "proof is needed: use --fetch)",
                 (unsigned long long)older->size, (unsigned long long)newer->size);
        return NOT_COMPARED;
    }
    char path[96], url[1024];
    snprintf(path, sizeof(path), "/v1/log/consistency?from=%llu&to=%llu",
             (unsigned long long)older->size, (unsigned long long)newer->size);
    const uint8_t *body = NULL;
    size_t body_len = 0;
    const char *fwhy = NULL;
    if (ac_trust_issuer_url(iss, path, url, sizeof(url))) {
        snprintf(why, whylen, "cannot ask for a proof");
        return NO_PROOF;
    }
    if (fetch_url(opt, url, &body, &body_len, &fwhy)) {
        snprintf(why, whylen, "%s", fwhy);
        return NO_PROOF;
    }
    struct ac_merkle_proof proof;
    uint64_t from = 0, to = 0;
    json_t *j = parse_proof(url, body, body_len, "from", &from, "to", &to, &proof, why, whylen);
    json_decref(j);
    if (!j)
        return NO_PROOF;
    char cwhy[AC_NOTE_WHY_MAX];
    if (from != older->size || to != newer->size ||
        ac_checkpoint_check_consistent(older, newer, &proof, cwhy, sizeof(cwhy)) != 0) {
        /* Both checkpoints carry the issuer's signature; an issuer that
         * cannot show the newer one extends the older has signed two
         * histories. */
        snprintf(why, whylen,
                 "log fork: the issuer's checkpoint of size %llu (root %s...) does not extend "
                 "the one of size %llu (root %s...): its consistency proof fails",
                 (unsigned long long)newer->size, newer == a ? ra : rb,
                 (unsigned long long)older->size, older == a ? ra : rb);
        return FORK;
    }
    return SAME_HISTORY;
}

/* The "history" check: every checkpoint this record brought (the bundle's,
 * the one fetched now) against the other and against the one remembered in
 * the witness state. A fork fails and leaves the state alone; otherwise the
 * state moves on to the largest checkpoint proven to extend it. */
static void check_history(const struct ac_trust_options *opt, struct ac_trust_report *rep,
                          const struct ac__seen_checkpoint *bundle,
                          const struct ac__seen_checkpoint *fetched)
{
    const struct ac__seen_checkpoint *seen[2] = {bundle, fetched};
    const char *what[2] = {"the bundle's", "the issuer's current"};
    const struct ac_trust_witnessed *mem = NULL;
    struct ac_checkpoint remembered = {0};
    const struct ac__seen_checkpoint *any = bundle->set ? bundle : fetched->set ? fetched : NULL;
    if (!any || (!opt->witness && !(bundle->set && fetched->set)))
        return;
    if (opt->witness && (mem = ac_trust_witness_find(opt->witness, rep->rec.iss, any->cp.origin))) {
        remembered.origin = mem->origin;
        remembered.size = mem->size;
        memcpy(remembered.root, mem->root, AC_MERKLE_HASH_BYTES);
    }
    enum compared worst = SAME_HISTORY;
    char why[660] = "", w[600];
    for (int i = 0; i < 2; i++) {
        if (!seen[i]->set)
            continue;
        enum compared c = SAME_HISTORY;
        if (mem)
            c = compare(opt, rep->rec.iss, &remembered, &seen[i]->cp, w, sizeof(w));
        if (c == SAME_HISTORY && i == 1 && bundle->set)
            c = compare(opt, rep->rec.iss, &bundle->cp, &fetched->cp, w, sizeof(w));
        if (c != SAME_HISTORY &&
            (worst == SAME_HISTORY || c == FORK || (c == NO_PROOF && worst == NOT_COMPARED))) {
            worst = c;
            snprintf(why, sizeof(why), "%s checkpoint: %s", what[i], w);
        }
    }
    if (worst == FORK) {
        ac_trust_report_add(rep, "history", AC_TRUST_FAIL, "%s", why);
        return;
    }
    if (worst == NO_PROOF) {
        ac_trust_report_add(rep, "history", AC_TRUST_INDETERMINATE, "%s", why);
        return;
    }
    if (worst == NOT_COMPARED) {
        ac_trust_report_add(rep, "history", AC_TRUST_SKIPPED,
                            "%s; the witness state keeps size %llu", why,
                            (unsigned long long)remembered.size);
        return;
    }
    const struct ac__seen_checkpoint *largest = any;
    if (bundle->set && fetched->set && fetched->cp.size >= bundle->cp.size)
        largest = fetched;
    /* |mem| is updated in place: the reasons below use |remembered|. */
    if (opt->witness && (!mem || largest->cp.size > remembered.size)) {
        if (ac_trust_witness_remember(opt->witness, rep->rec.iss, &largest->cp, largest->note,
                                      largest->note_len)) {
            ac_trust_report_add(rep, "history", AC_TRUST_INDETERMINATE,
                                "out of memory updating the witness state");
            return;
        }
    }
    if (!opt->witness)
        ac_trust_report_add(
            rep, "history", AC_TRUST_PASS,
            "the bundle's checkpoint (size %llu) is consistent with the issuer's current one "
            "(size %llu)",
            (unsigned long long)bundle->cp.size, (unsigned long long)fetched->cp.size);
    else if (!mem)
        ac_trust_report_add(
            rep, "history", AC_TRUST_PASS,
            "first checkpoint seen of log \"%.64s\" (size %llu); remembered in the witness state",
            largest->cp.origin, (unsigned long long)largest->cp.size);
    else
        ac_trust_report_add(
            rep, "history", AC_TRUST_PASS,
            "consistent with the checkpoint of size %llu remembered for log \"%.64s\"%s",
            (unsigned long long)remembered.size, remembered.origin,
            largest->cp.size > remembered.size ? "; the witness state moves on" : "");
}

/* ---- Status ---------------------------------------------------------------- */

/* Writes an age in seconds the way a person reads it. */
static void format_age(int64_t s, char *out, size_t len)
{
    if (s < 0)
        s = 0;
    if (s < 120)
        snprintf(out, len, "%lld s", (long long)s);
    else if (s < 7200)
        snprintf(out, len, "%lld min", (long long)(s / 60));
    else if (s < 172800)
        snprintf(out, len, "%lld h", (long long)(s / 3600));
    else
        snprintf(out, len, "%lld days", (long long)(s / 86400));
}

/* True when the bundle's snapshot |t| is too old to say "valid": older than
 * the verifier's --max-status-age when given, else than the token's own ttl
 * (the time the issuer lets a consumer cache it; none set: no time at all).
 * Revocation is final and taken from any snapshot before this is asked. */
static bool older_than_ttl(const struct ac_trust_options *opt, const struct ac_status_token *t)
{
    int64_t age_s = opt->now_ms / 1000 - t->iat;
    return t->ttl == 0 || (age_s > 0 && (uint64_t)age_s > t->ttl);
}

static bool snapshot_stale(const struct ac_trust_options *opt, const struct ac_status_token *t)
{
    if (opt->has_max_status_age)
        return opt->now_ms / 1000 - t->iat > opt->max_status_age_s;
    return older_than_ttl(opt, t);
}

/* Decides "status" from a Status List Token: the bundle's snapshot, or (when
 * |live|) the one just fetched from the record's status uri. A snapshot that
 * does not verify makes the bundle invalid (it was altered); a fetched token
 * that does not verify leaves the status indeterminate (nothing is known). */
static void status_from_token(const struct ac_trust_options *opt, const uint8_t *tok, size_t len,
                              const struct ac__keyset *ks, bool live, struct ac_trust_report *rep)
{
    const struct ac_record *r = &rep->rec;
    enum ac_trust_result bad = live ? AC_TRUST_INDETERMINATE : AC_TRUST_FAIL;
    const char *src = live ? "status token fetched from the status uri" : "status snapshot";
    uint8_t kid[AC_STATUS_TOKEN_KID_MAX];
    size_t kid_len;
    if (ac_status_token_kid(tok, len, kid, &kid_len) != 0) {
        ac_trust_report_add(rep, "status", bad, "%s: not a Status List Token with a kid", src);
        return;
    }
    const struct ac_key_info *key = NULL;
    for (size_t i = 0; i < ks->n && !key; i++)
        if (kid_len == AC_KEY_ID_BYTES && memcmp(ks->keys[i].kid, kid, kid_len) == 0)
            key = &ks->keys[i];
    if (!key) {
        ac_trust_report_add(rep, "status", bad, "%s: signed by a key the issuer does not publish",
                            src);
        return;
    }
    struct ac_status_token t;
    memset(&t, 0, sizeof(t));
    char why[AC_BUNDLE_WHY_MAX];
    int rc = ac_status_token_open(tok, len, key->public_key, &t, why, sizeof(why));
    if (rc) {
        ac_trust_report_add(rep, "status", bad, "%s: %s", src,
                            rc == AC_ECRYPTO ? "signature does not verify" : why);
        return;
    }
    char when[21], exp[32] = "no expiry set", age[32];
    ac_clock_format(t.iat * 1000, when);
    if (t.exp)
        ac_clock_format(t.exp * 1000, exp);
    format_age(opt->now_ms / 1000 - t.iat, age, sizeof(age));
    unsigned v = 0;
    if (!opt->pinned && !ac_record_key_valid_at(key, t.iat)) {
        /* A retired key signs nothing after its retirement. */
        ac_trust_report_add(rep, "status", bad, "%s: signed at %s by key %s outside its window",
                            src, when, key->kid_hex);
    } else if (strcmp(t.sub, r->status_uri) != 0) {
        ac_trust_report_add(rep, "status", bad, "%s is for list %.80s; the record names %.80s", src,
                            t.sub, r->status_uri);
    } else if (t.iat > opt->now_ms / 1000 + AC_TRUST_FUTURE_SKEW_S) {
        ac_trust_report_add(rep, "status", bad, "%s is dated %s, in the future", src, when);
    } else if (ac_status_token_get(&t, r->status_idx, &v) != 0) {
        ac_trust_report_add(rep, "status", bad, "index %llu is beyond the status list",
                            (unsigned long long)r->status_idx);
    } else if (v == AC_STATUS_INVALID) {
        /* Revocation is final, so even an expired snapshot proves it. */
        ac_trust_report_add(rep, "status", AC_TRUST_FAIL,
                            "REVOKED (list %.80s index %llu, as of %s)", t.sub,
                            (unsigned long long)r->status_idx, when);
    } else if (t.exp != 0 && t.exp * 1000 < opt->now_ms) {
        ac_trust_report_add(
            rep, "status", AC_TRUST_INDETERMINATE,
            "%s of %s expired at %s; a change of status since then cannot be ruled out%s", src,
            when, exp, live ? "" : " (--fetch gets the current status)");
    } else if (v == AC_STATUS_SUSPENDED) {
        ac_trust_report_add(rep, "status", AC_TRUST_FAIL,
                            "SUSPENDED (list %.80s index %llu, as of %s)", t.sub,
                            (unsigned long long)r->status_idx, when);
    } else if (v != AC_STATUS_VALID) {
        ac_trust_report_add(rep, "status", AC_TRUST_FAIL,
                            "status value %u is not one Accord defines", v);
    } else if (t.exp == 0) {
        /* A "valid" answer is only as good as the time it holds for: an
         * undated one could be replayed forever after a revocation. */
        ac_trust_report_add(rep, "status", AC_TRUST_INDETERMINATE,
                            "%s of %s has no exp, so a revocation since then cannot be ruled out",
                            src, when);
    } else if (t.iat < r->iat) {
        char rec_when[21];
        ac_trust_report_add(
            rep, "status", AC_TRUST_INDETERMINATE,
            "%s of %s is older than the record (iat %s), so it says nothing about the record's "
            "status since",
            src, when, ac_clock_format(r->iat * 1000, rec_when));
    } else if (!opt->pinned && !key_current(key)) {
        /* A retired key may have leaked; its holder could sign a "valid"
         * snapshot to hide a revocation. Revoked and suspended answers above
         * are still taken from it: they can only hurt the holder. */
        ac_trust_report_add(
            rep, "status", AC_TRUST_INDETERMINATE,
            "%s of %s is signed by retired key %s; only a current key's \"valid\" is "
            "trusted%s",
            src, when, key->kid_hex, live ? "" : " (--fetch gets the current status)");
    } else if (!live && snapshot_stale(opt, &t)) {
        if (opt->has_max_status_age)
            ac_trust_report_add(
                rep, "status", AC_TRUST_INDETERMINATE,
                "%s of %s is %s old, older than --max-status-age %lld s: a revocation since "
                "cannot be ruled out (--fetch gets the current status)",
                src, when, age, (long long)opt->max_status_age_s);
        else if (t.ttl == 0)
            ac_trust_report_add(
                rep, "status", AC_TRUST_INDETERMINATE,
                "%s of %s (%s old) has no ttl: a revocation since cannot be ruled out (--fetch "
                "gets the current status; --max-status-age accepts an older snapshot)",
                src, when, age);
        else
            ac_trust_report_add(
                rep, "status", AC_TRUST_INDETERMINATE,
                "%s of %s is %s old, older than its ttl of %llu s: a revocation since cannot be "
                "ruled out (--fetch gets the current status; --max-status-age accepts an older "
                "snapshot)",
                src, when, age, (unsigned long long)t.ttl);
    } else if (live) {
        ac_trust_report_add(
            rep, "status", AC_TRUST_PASS,
            "valid: neither revoked nor suspended in the issuer's status list as of %s "
            "(fetched now; expires %s)",
            when, exp);
    } else if (opt->has_max_status_age && older_than_ttl(opt, &t)) {
        ac_trust_report_add(
            rep, "status", AC_TRUST_PASS,
            "valid: neither revoked nor suspended as of %s, per the bundle's snapshot; status "
            "from a snapshot %s old, accepted by --max-status-age %lld s (the issuer asks for "
            "a refresh after %llu s; usable until %s)",
            when, age, (long long)opt->max_status_age_s, (unsigned long long)t.ttl, exp);
    } else {
        ac_trust_report_add(
            rep, "status", AC_TRUST_PASS,
            "valid: neither revoked nor suspended as of %s, per the bundle's snapshot, %s old "
            "(the issuer asks for a refresh after %llu s; usable until %s; --fetch gets the "
            "current status)",
            when, age, (unsigned long long)t.ttl, exp);
    }
    ac_status_token_release(&t);
}

static void check_status(const struct ac_trust_options *opt, const struct ac_bundle *b,
                         const struct ac__keyset *ks, bool signed_ok, struct ac_trust_report *rep)
{
    const struct ac_record *r = &rep->rec;
    if (!r->has_status) {
        ac_trust_report_add(rep, "status", AC_TRUST_PASS,
                            "the record carries no status reference: it cannot be "
                            "revoked or suspended");
        return;
    }
    if (opt->skip_status) {
        ac_trust_report_add(rep, "status", AC_TRUST_SKIPPED,
                            "not checked (--skip-status); list %s index %llu", r->status_uri,
                            (unsigned long long)r->status_idx);
        return;
    }
    if (ks->n == 0) {
        ac_trust_report_add(
            rep, "status", AC_TRUST_INDETERMINATE,
            "not checked: no trusted issuer key to check the status list of %s index %llu, so "
            "revocation or suspension cannot be ruled out",
            r->status_uri, (unsigned long long)r->status_idx);
        return;
    }
    if (!signed_ok) {
        /* Unsigned claims name no list worth asking: the status uri would be
         * anyone's URL. */
        ac_trust_report_add(
            rep, "status", AC_TRUST_INDETERMINATE,
            "not checked: the record's signature did not verify, so its status reference is "
            "not the issuer's");
        return;
    }
    if (opt->fetcher && !ac_trust_same_origin(r->iss, r->status_uri)) {
        ac_trust_report_add(
            rep, "status", AC_TRUST_INDETERMINATE,
            "not fetched: status uri %.200s is not on the origin of the issuer %.200s, and "
            "a verifier fetches only from the issuer's own origin, so revocation or "
            "suspension cannot be ruled out",
            r->status_uri, r->iss);
        return;
    }
    if (opt->fetcher) {
        const uint8_t *body = NULL;
        size_t body_len = 0;
        const char *fwhy = NULL;
        if (fetch_url(opt, r->status_uri, &body, &body_len, &fwhy)) {
            ac_trust_report_add(
                rep, "status", AC_TRUST_INDETERMINATE,
                "the status list could not be fetched (%s), so revocation or suspension cannot "
                "be ruled out",
                fwhy);
            return;
        }
        status_from_token(opt, body, body_len, ks, true, rep);
        return;
    }
    if (b) {
        status_from_token(opt, b->status, b->status_len, ks, false, rep);
        return;
    }
    ac_trust_report_add(
        rep, "status", AC_TRUST_INDETERMINATE,
        "not checked: the input has no signed status snapshot for list %s index %llu, so "
        "revocation or suspension cannot be ruled out (--fetch asks the issuer)",
        r->status_uri, (unsigned long long)r->status_idx);
}

static void verify(const uint8_t *data, size_t len, const struct ac_bundle *b,
                   const struct ac_trust_options *opt, struct ac_trust_report *rep)
{
    char why[AC_RECORD_WHY_LEN];
    if (ac_record_decode(data, len, &rep->rec, &rep->msg, why, sizeof(why))) {
        ac_trust_report_add(rep, "decode", AC_TRUST_FAIL, "%s%s", b ? "bundle record: " : "", why);
        return;
    }
    rep->decoded = true;
    if (rep->msg.kid)
        sodium_bin2hex(rep->kid_hex, sizeof(rep->kid_hex), rep->msg.kid, rep->msg.kid_len);
    else
        strcpy(rep->kid_hex, "(none)");
    ac_trust_report_add(rep, "decode", AC_TRUST_PASS, "%sCOSE_Sign1, alg %s, kid %s, %zu bytes",
                        b ? "bundle with " : "",
                        rep->msg.alg == AC_COSE_ALG_EDDSA ? "EdDSA (-8)" : "Ed25519 (-19)",
                        rep->kid_hex, len);

    struct ac__keyset ks;
    struct ac_key_info eff[AC_TRUST_EFF_KEYS_MAX];
    const struct ac_key_info *key = find_key(opt, b, rep, eff, &ks);
    rep->nkeys = ks.n < AC_TRUST_KEYS_MAX ? ks.n : AC_TRUST_KEYS_MAX;
    if (rep->nkeys)
        memcpy(rep->keys, ks.keys, rep->nkeys * sizeof(rep->keys[0]));
    bool signed_ok = false;
    if (key) {
        if (ac_cose_sign1_verify(&rep->msg, key->public_key) == 0) {
            signed_ok = true;
            ac_trust_report_add(rep, "signature", AC_TRUST_PASS,
                                "Ed25519 signature by key %s is valid", key->kid_hex);
            struct ac__seen_checkpoint bundle_cp = {0}, fetched_cp = {0};
            enum in_log in_log = IN_LOG_NO, live = IN_LOG_NO;
            struct ac__cosigned cs = {0};
            if (b) {
                in_log = check_log(b, &ks, rep, &bundle_cp);
                ac__check_cosignatures(opt, b, &bundle_cp, rep, &cs);
            } else if (opt->witnesses_required) {
                ac_trust_report_add(
                    rep, "witnesses", AC_TRUST_INDETERMINATE,
                    "not checked: --witnesses %zu needs the record's bundle, which carries the "
                    "cosignatures; a record alone has none",
                    opt->witnesses_required);
            }
            if (opt->fetcher)
                live = check_log_fetch(opt, data, len, &ks, rep, &fetched_cp);
            if (live > in_log)
                in_log = live;
            check_key_window(opt, key, in_log, &cs, rep);
            check_history(opt, rep, &bundle_cp, &fetched_cp);
            ac_checkpoint_release(&bundle_cp.cp);
            ac_checkpoint_release(&fetched_cp.cp);
        } else {
            ac_trust_report_add(rep, "signature", AC_TRUST_FAIL,
                                "Ed25519 signature does not verify with key %s", key->kid_hex);
        }
    }
    check_status(opt, b, &ks, signed_ok, rep);
}

void ac_trust_verify_input(const uint8_t *data, size_t len, const struct ac_trust_options *opt,
                           struct ac_trust_report *rep)
{
    rep->n = 0;
    rep->decoded = false;
    rep->len = len;
    rep->pass_reasons = opt->pass_reasons;
    rep->issuer_untrusted = false;
    rep->nkeys = 0;
    /* A bundle is a CBOR map; a record is a tagged COSE_Sign1 (0xd2). */
    if (len > 0 && (data[0] >> 5) == 5) {
        struct ac_bundle b;
        char why[AC_BUNDLE_WHY_MAX];
        if (ac_bundle_decode(data, len, &b, why, sizeof(why)) != 0) {
            ac_trust_report_add(rep, "decode", AC_TRUST_FAIL, "bundle: %s", why);
            return;
        }
        verify(b.record, b.record_len, &b, opt, rep);
        return;
    }
    verify(data, len, NULL, opt, rep);
}
