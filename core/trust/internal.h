/* internal.h - what the files of core/trust share and nothing outside may
 * use: the report every check is added to, the issuer's trusted keys, a
 * checkpoint that passed the log check and the witnesses that cosigned it.
 * verdict.c runs the checks and adds up the verdict; handovers.c walks a
 * bundle's key hand-overs; cosignatures.c checks its witness cosignatures. */
#ifndef AC_TRUST_INTERNAL_H
#define AC_TRUST_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accord/records/bundle.h"
#include "accord/records/checkpoint.h"
#include "accord/trust/verdict.h"

/* A record stamped this far after the verifier's clock is refused: clocks
 * drift, but not by more than this. */
#define AC_TRUST_FUTURE_SKEW_S 300

/* The keys an issuer is trusted with: they may sign its checkpoints and
 * status snapshots as well as its records. */
struct ac__keyset {
    const struct ac_key_info *keys;
    size_t n;
};

/* The issuer's keys with those a bundle's key hand-overs lead to: the trust
 * file's (or fetched) keys first, then each successor, at most this many. */
#define AC_TRUST_EFF_KEYS_MAX AC_TRUST_KEYS_MAX

/* A checkpoint that passed, with its signed note (borrowed from the bundle or
 * from the fetcher, both alive for the run). */
struct ac__seen_checkpoint {
    bool set;
    struct ac_checkpoint cp;
    const char *note;
    size_t note_len;
};

/* What a bundle's cosignatures showed: each distinct witness of the trust
 * file that cosigned its checkpoint, with its earliest valid cosignature. */
struct ac__cosigned {
    size_t n;
    const char *names[AC_BUNDLE_COSIGS_MAX]; /* borrowed from the trust */
    uint64_t earliest_s[AC_BUNDLE_COSIGS_MAX];
};

/* The "keys" check of bundle |b|'s key hand-overs against issuer |is| of the
 * trust file (handovers.c). Fills |eff| and |*ks| with the keys that result;
 * returns false (the check failed) when the history is forged. */
bool ac__check_handovers(const struct ac_bundle *b, const struct ac_trust_issuer *is,
                         struct ac_trust_report *rep, struct ac_key_info eff[AC_TRUST_EFF_KEYS_MAX],
                         struct ac__keyset *ks);

/* The "witnesses" check of bundle |b|'s cosignatures on the checkpoint in
 * |seen| (cosignatures.c); the witnesses that cosigned go to |cs|. */
void ac__check_cosignatures(const struct ac_trust_options *opt, const struct ac_bundle *b,
                            const struct ac__seen_checkpoint *seen, struct ac_trust_report *rep,
                            struct ac__cosigned *cs);

/* How many witnesses of |cs| cosigned before |ms| (cosignatures.c). */
size_t ac__cosigned_before(const struct ac__cosigned *cs, int64_t ms);

#endif
