/* trust.h - the issuers a recognizer accepts, each with its published keys
 * and their validity windows: loaded from a trust file (format in
 * docs/records.md) or fetched issuer by issuer from <iss>/.well-known/jwks.json
 * when no trust file is given. */
#ifndef AC_TRUST_TRUST_H
#define AC_TRUST_TRUST_H

#include <stddef.h>

#include "accord/records/cosignature.h"
#include "accord/sign/keyring.h"
#include "accord/trust/fetch.h"

/* One trusted issuer and its keys (current and retired). */
struct ac_trust_issuer {
    char *iss;                /* owned */
    struct ac_key_info *keys; /* owned array */
    size_t nkeys;
    char *fetch_error; /* owned; set when its keys could not be fetched */
};

struct ac_trust {
    struct ac_trust_issuer *issuers; /* owned array */
    size_t n;
    /* The log witnesses whose cosignatures count (the trust file's
     * "witnesses": C2SP vkeys); a name may appear with several keys. */
    struct ac_cosig_witness *witnesses; /* owned array */
    size_t nwitnesses;
};

/* Sets |*out| to an empty trust (no issuers yet: for fetching them as records
 * name them) the caller frees with ac_trust_free(). Returns 0 or AC_ENOMEM. */
int ac_trust_new(struct ac_trust **out);

/* Loads the trust file |path|. Sets |*out| to a trust the caller frees with
 * ac_trust_free(). Returns 0, AC_ENOMEM, AC_EIO (cannot read) or AC_EPARSE
 * with the reason, naming the file, the field and the rule, in |why|. */
int ac_trust_load(const char *path, struct ac_trust **out, char *why, size_t whylen);

/* Like ac_trust_load() for the |len| bytes of trust-file JSON at |text|
 * (borrowed), called |name| in reasons. Returns 0, AC_ENOMEM or AC_EPARSE. */
int ac_trust_parse(const char *name, const char *text, size_t len, struct ac_trust **out, char *why,
                   size_t whylen);

/* Frees |t| and every issuer; NULL is a no-op. */
void ac_trust_free(struct ac_trust *t);

/* Returns the issuer of |t| (may be NULL) whose iss equals |iss|, or NULL. */
const struct ac_trust_issuer *ac_trust_find(const struct ac_trust *t, const char *iss);

/* Returns the issuer |iss| from |t|, first fetching its JWKS from
 * <iss>/.well-known/jwks.json through |f| (borrowed) and adding it, with
 * fetch_error set when that failed, so each issuer is asked once per run.
 * Trusts whichever issuer a record names: only for a verifier told to.
 * Returns NULL only when out of memory. */
const struct ac_trust_issuer *
ac_trust_fetch_issuer(struct ac_trust *t, const struct ac_trust_fetcher *f, const char *iss);

#endif
