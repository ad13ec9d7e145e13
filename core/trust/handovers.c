/* handovers.c - the key hand-over walk: a bundle carries the issuer's signed
 * key hand-overs (each outgoing key naming its successor and when it
 * retired), and a verifier holding only an older key follows them, checked
 * against the trust file's windows, to the key that signed a later record or
 * checkpoint. This is what lets a bundle exported before a key rotation still
 * verify offline afterwards. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/records/keyhistory.h"
#include "internal.h"

/* JWKS windows are whole seconds (valid_from rounded down, valid_until up),
 * so a hand-over's ms and a trust file's time agree to within this. */
#define WINDOW_SLACK_MS 1000

static const struct ac_key_info *key_by_kid(const struct ac_key_info *keys, size_t n,
                                            const uint8_t kid[AC_KEY_ID_BYTES])
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(keys[i].kid, kid, AC_KEY_ID_BYTES) == 0)
            return &keys[i];
    return NULL;
}

static bool near(int64_t a, int64_t b)
{
    return llabs(a - b) < WINDOW_SLACK_MS;
}

/* The "keys" check of a bundle's key hand-overs, oldest first: each must be
 * the issuer's, signed by a key already trusted (the trust file's, or one an
 * earlier hand-over named), and agree with every window the trust file
 * states; each names its successor, trusted from then on, and ends the
 * outgoing key's window. A key that leaked after its retirement can sign a
 * hand-over too, but not one that agrees with a trust file knowing its
 * retirement (docs/records.md). Fills |eff| and |*ks| with the keys that
 * result; returns false (the check failed) when the history is forged. */
bool ac__check_handovers(const struct ac_bundle *b, const struct ac_trust_issuer *is,
                         struct ac_trust_report *rep, struct ac_key_info eff[AC_TRUST_EFF_KEYS_MAX],
                         struct ac__keyset *ks)
{
    if (is->nkeys + b->nkeys > AC_TRUST_EFF_KEYS_MAX) {
        ac_trust_report_add(
            rep, "keys", AC_TRUST_INDETERMINATE,
            "%zu trusted keys and %zu hand-overs are more than %d: the hand-overs are not used",
            is->nkeys, b->nkeys, AC_TRUST_EFF_KEYS_MAX);
        return true;
    }
    memcpy(eff, is->keys, is->nkeys * sizeof(*eff));
    size_t n = is->nkeys;
    char first[2 * AC_KEY_ID_BYTES + 1] = "", last[2 * AC_KEY_ID_BYTES + 1] = "";
    for (size_t i = 0; i < b->nkeys; i++) {
        struct ac_key_handover h;
        char why[AC_BUNDLE_WHY_MAX], t1[21], t2[21], kid[2 * AC_KEY_ID_BYTES + 1];
        if (ac_key_handover_parse(b->keys[i].data, b->keys[i].len, &h, why, sizeof(why))) {
            ac_trust_report_add(rep, "keys", AC_TRUST_FAIL, "keys[%zu]: %s", i, why);
            return false;
        }
        sodium_bin2hex(kid, sizeof(kid), h.kid, AC_KEY_ID_BYTES);
        if (strcmp(h.iss, rep->rec.iss) != 0) {
            ac_trust_report_add(
                rep, "keys", AC_TRUST_FAIL,
                "keys[%zu]: a hand-over of issuer \"%.80s\", not of the record's \"%.80s\"", i,
                h.iss, rep->rec.iss);
            return false;
        }
        struct ac_key_info *out = (struct ac_key_info *)key_by_kid(eff, n, h.kid);
        if (!out) {
            ac_trust_report_add(
                rep, "keys", AC_TRUST_FAIL,
                "keys[%zu]: signed by key %s, which neither the trust file lists nor an earlier "
                "hand-over names: the key history does not start from a trusted key",
                i, kid);
            return false;
        }
        if (ac_key_handover_verify(&h, out->public_key) != 0) {
            ac_trust_report_add(
                rep, "keys", AC_TRUST_FAIL,
                "keys[%zu]: key %s's signature on its hand-over does not verify: a forged key "
                "history",
                i, kid);
            return false;
        }
        ac_clock_format(h.at_ms, t1);
        if (out->not_after_ms && !near(out->not_after_ms, h.at_ms)) {
            ac_trust_report_add(
                rep, "keys", AC_TRUST_FAIL,
                "keys[%zu]: key %s hands over at %s, but the trust file retires it at %s: a "
                "forged key history (a retired key can sign one; it cannot change when it "
                "retired)",
                i, kid, t1, ac_clock_format(out->not_after_ms, t2));
            return false;
        }
        if (h.at_ms + WINDOW_SLACK_MS <= out->not_before_ms) {
            ac_trust_report_add(
                rep, "keys", AC_TRUST_FAIL,
                "keys[%zu]: key %s hands over at %s, before its own window began at %s", i, kid, t1,
                ac_clock_format(out->not_before_ms, t2));
            return false;
        }
        const struct ac_key_info *next = key_by_kid(eff, n, h.next_kid);
        char next_hex[2 * AC_KEY_ID_BYTES + 1];
        sodium_bin2hex(next_hex, sizeof(next_hex), h.next_kid, AC_KEY_ID_BYTES);
        if (next && (memcmp(next->public_key, h.next, AC_KEY_PUBLIC_BYTES) != 0 ||
                     !near(next->not_before_ms, h.at_ms))) {
            ac_trust_report_add(
                rep, "keys", AC_TRUST_FAIL,
                "keys[%zu]: key %s hands over to %s at %s, but the trust file has that key "
                "valid from %s: a forged key history",
                i, kid, next_hex, t1, ac_clock_format(next->not_before_ms, t2));
            return false;
        }
        /* A successor no trusted key knows of is taken only where the trust
         * file's keys end: one starting at or after this hand-over shows
         * the issuer's real successor chain, and the outgoing key, perhaps
         * stolen after it retired, cannot add another key beside it. A key
         * whose window closed by this hand-over is no such successor, even
         * when it began within the slack of it (keys rotated twice within a
         * second of the first one's start). */
        for (size_t j = 0; !next && j < n; j++) {
            const struct ac_key_info *o = &eff[j];
            bool closed = o->not_after_ms && o->not_after_ms <= h.at_ms;
            if (o != out && !closed && o->not_before_ms + WINDOW_SLACK_MS > h.at_ms) {
                ac_trust_report_add(
                    rep, "keys", AC_TRUST_FAIL,
                    "keys[%zu]: key %s hands over to %s at %s, but the trust file has key %s "
                    "from %s: a forged key history (a retired key cannot name another "
                    "successor)",
                    i, kid, next_hex, t1, o->kid_hex, ac_clock_format(o->not_before_ms, t2));
                return false;
            }
        }
        if (!next) {
            struct ac_key_info *k = &eff[n++];
            memset(k, 0, sizeof(*k));
            memcpy(k->public_key, h.next, AC_KEY_PUBLIC_BYTES);
            memcpy(k->kid, h.next_kid, AC_KEY_ID_BYTES);
            memcpy(k->kid_hex, next_hex, sizeof(next_hex));
            k->not_before_ms = h.at_ms;
        }
        /* What the trust file did not know yet: the outgoing key retired. */
        if (!out->not_after_ms)
            out->not_after_ms = h.at_ms;
        if (i == 0)
            memcpy(first, kid, sizeof(kid));
        memcpy(last, next_hex, sizeof(next_hex));
    }
    ks->keys = eff;
    ks->n = n;
    ac_trust_report_add(
        rep, "keys", AC_TRUST_PASS,
        "%zu key hand-over%s, each signed by the key it retires, lead from trusted key %s to "
        "key %s, agreeing with the trust file's windows",
        b->nkeys, b->nkeys == 1 ? "" : "s", first, last);
    return true;
}
