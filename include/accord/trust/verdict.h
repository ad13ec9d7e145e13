/* verdict.h - the verification of one Accord record or credential bundle as
 * a list of named checks (decoding, issuer and key, signature, log inclusion
 * from a bundle or fetched, key window, log history, status), and the verdict
 * derived from it. Every check appends to the same list, so the verdict rule
 * and the output are the same for every source of evidence: anything that
 * could not be checked is indeterminate, never valid. The rules are those of
 * docs/records.md; accord-verify prints them, the node will act on them. */
#ifndef AC_TRUST_VERDICT_H
#define AC_TRUST_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accord/records/record.h"
#include "accord/sign/cose.h"
#include "accord/sign/keyring.h"
#include "accord/trust/fetch.h"
#include "accord/trust/trust.h"
#include "accord/trust/witness.h"

enum ac_trust_result {
    AC_TRUST_PASS,          /* checked and fine */
    AC_TRUST_FAIL,          /* checked and wrong: the record is invalid */
    AC_TRUST_INDETERMINATE, /* could not be checked: never reported as fine */
    AC_TRUST_SKIPPED,       /* not checked because the caller asked; said so */
};

struct ac_trust_check {
    /* "decode", "keys", "issuer", "signature", "log", "witnesses",
     * "log-fetch", "key-window", "history", "status", "ob3" */
    const char *name;
    enum ac_trust_result result;
    char reason[256];
};

#define AC_TRUST_MAX_CHECKS 14

/* The issuer keys a verification ends with: the trusted ones and those a
 * bundle's key hand-overs lead to. */
#define AC_TRUST_KEYS_MAX 64

struct ac_trust_report {
    struct ac_trust_check checks[AC_TRUST_MAX_CHECKS];
    size_t n;
    bool decoded; /* rec and msg are set */
    struct ac_record rec;
    struct ac_cose_sign1 msg;
    char kid_hex[2 * AC_COSE_KID_MAX + 1];
    size_t len;        /* record size in bytes */
    bool pass_reasons; /* copied from the options */
    /* The issuer's keys came from its own JWKS, not from a trust file or a
     * pinned key: a valid signature shows only that the issuer's web origin
     * holds the key, so the "issuer" check is indeterminate. */
    bool issuer_untrusted;
    /* The issuer's keys the checks used (trusted, pinned, or reached through
     * the bundle's key hand-overs, with the windows they learned), so another
     * form of the same award (a bundle's OB 3.0 credential) is checked
     * against the same keys. */
    struct ac_key_info keys[AC_TRUST_KEYS_MAX];
    size_t nkeys;
};

/* Adds check |name| with |result| to |rep| (nothing once it holds
 * AC_TRUST_MAX_CHECKS); the reason is formatted from |fmt| unless the check
 * passed and |rep| keeps no reasons for passes. For core/trust's checks and
 * the checks a tool adds beside them (accord-verify's OB 3.0 form). */
__attribute__((format(printf, 4, 5))) void ac_trust_report_add(struct ac_trust_report *rep,
                                                               const char *name,
                                                               enum ac_trust_result result,
                                                               const char *fmt, ...);

/* What a verification trusts and may consult. Exactly one of |trust|,
 * |fetched| or |pinned| says whose keys are used; keys from |fetched| are
 * not trusted (the record names its own issuer), so a verdict reached with
 * them is at most indeterminate. Everything fetched is on the issuer's own
 * origin (ac_trust_issuer_refusal()): a status uri elsewhere is not asked. */
struct ac_trust_options {
    const struct ac_trust *trust;           /* borrowed; NULL when a key is pinned */
    struct ac_trust *fetched;               /* issuers fetched so far when keys come from
                                               each issuer's JWKS (needs |fetcher|); else NULL */
    const struct ac_trust_fetcher *fetcher; /* current status and log proofs; NULL: offline */
    struct ac_trust_witness *witness;       /* checkpoints remembered; NULL: none */
    bool pinned;                            /* use pinned_key for every record */
    struct ac_key_info pinned_key;          /* public_key, kid and kid_hex set */
    bool pass_reasons;                      /* format reasons of passing checks too */
    bool skip_status;                       /* the caller does not want status checked */
    /* A bundle's status snapshot older than its ttl claim (or with none) is
     * stale: its "valid" is indeterminate. With |has_max_status_age| the
     * verifier's own limit, |max_status_age_s| seconds, replaces the ttl, and
     * a passing status says so. The snapshot's exp stays a hard limit. */
    bool has_max_status_age;
    int64_t max_status_age_s;
    /* --witnesses N: a bundle's checkpoint must carry valid cosignatures
     * from at least this many distinct witnesses of the trust file (0: none
     * required; cosignatures present are still checked). */
    size_t witnesses_required;
    int64_t now_ms; /* the verifier's clock */
};

/* Verifies the record or credential bundle (see bundle.h) in |len| bytes at
 * |data| (borrowed for the report's lifetime) and fills |*rep| with one entry
 * per check; a bundle adds the "log" check and lets "status" be decided from
 * its signed snapshot, its key hand-overs add "keys" (the keys they lead to
 * are trusted as the trust file's are) and its cosignatures "witnesses" (a
 * witness quorum dated before a key's retirement also settles "key-window"); opt->fetcher adds
 * "log-fetch" and decides "status" from the token fetched now; two checkpoints (or one and
 * opt->witness) add "history" and may update opt->witness and opt->fetched, which is why |opt|
 * points to mutable state. Never fails: every problem is a check result. */
void ac_trust_verify_input(const uint8_t *data, size_t len, const struct ac_trust_options *opt,
                           struct ac_trust_report *rep);

/* Returns the verdict of |rep|: AC_TRUST_FAIL if any check failed, else
 * AC_TRUST_INDETERMINATE if any was, else AC_TRUST_PASS. */
enum ac_trust_result ac_trust_verdict(const struct ac_trust_report *rep);

/* Returns "pass", "fail", "indeterminate" or "skipped". */
const char *ac_trust_result_name(enum ac_trust_result r);

#endif
