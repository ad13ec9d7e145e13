/* internal.h - names shared between accord-verify's files: the trust sources,
 * the list of check results that every verification produces and the verdict
 * derived from it, the --fetch client, and the witness state that remembers
 * the checkpoints seen per log. Every check (signature, log inclusion from a
 * bundle or fetched, status from a snapshot or fetched, log history) appends
 * to the same list, so the verdict rule and the output are the same for all. */
#ifndef AC_VERIFY_INTERNAL_H
#define AC_VERIFY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accord/records/checkpoint.h"
#include "accord/sign/cose.h"
#include "accord/sign/keyring.h"
#include "accord/records/record.h"

/* Exit codes, one per verdict (documented in docs/records.md). */
enum {
    AC__EXIT_VALID = 0,
    AC__EXIT_INVALID = 1,
    AC__EXIT_INDETERMINATE = 2,
    AC__EXIT_USAGE = 64,
    AC__EXIT_NOINPUT = 66,
};

enum ac__result {
    AC__PASS,          /* checked and fine */
    AC__FAIL,          /* checked and wrong: the record is invalid */
    AC__INDETERMINATE, /* could not be checked: never reported as fine */
    AC__SKIPPED,       /* not checked because the user asked; said so */
};

struct ac__check {
    /* "decode", "issuer", "signature", "log", "log-fetch", "key-window",
     * "history", "status" */
    const char *name;
    enum ac__result result;
    char reason[256];
};

#define AC__MAX_CHECKS 10

struct ac__report {
    struct ac__check checks[AC__MAX_CHECKS];
    size_t n;
    bool decoded; /* rec and msg are set */
    struct ac_record rec;
    struct ac_cose_sign1 msg;
    char kid_hex[2 * AC_COSE_KID_MAX + 1];
    size_t len;        /* record size in bytes */
    bool pass_reasons; /* copied from the options */
};

/* One trusted issuer and its keys (current and retired). */
struct ac__issuer {
    char *iss;                /* owned */
    struct ac_key_info *keys; /* owned array */
    size_t nkeys;
    char *fetch_error; /* owned; set when --fetch could not get the keys */
};

struct ac__trust {
    struct ac__issuer *issuers; /* owned array */
    size_t n;
};

/* Loads a trust file (format in docs/records.md). Sets |*out| to a trust the
 * caller frees with ac__trust_free(). Returns 0, AC_ENOMEM, AC_EIO (cannot
 * read) or AC_EPARSE with the reason in |why|. */
int ac__trust_load(const char *path, struct ac__trust **out, char *why, size_t whylen);
void ac__trust_free(struct ac__trust *t);

/* Returns the issuer whose iss equals |iss|, or NULL. */
const struct ac__issuer *ac__trust_find(const struct ac__trust *t, const char *iss);

/* ---- --fetch ------------------------------------------------------------ */

/* A response larger than this is refused (a status token of the largest list
 * is 4 MiB before compression, far less after). */
#define AC__FETCH_MAX_BYTES (8u << 20)

/* One URL's answer: the body of a 200 response, or why there is none. */
struct ac__fetched {
    char *url;     /* owned */
    uint8_t *body; /* owned, NUL-terminated (not counted in len); NULL on error */
    size_t len;
    char *error; /* owned; NULL on success */
};

/* The GETs of one run, so each URL is asked once however many records name it. */
struct ac__fetcher {
    struct ac__fetched *items; /* owned array */
    size_t n;
};

/* Returns the answer for |url| (an absolute http:// or https:// URL),
 * fetching it over HTTP/2 the first time: 10 s timeout, AC__FETCH_MAX_BYTES
 * at most, anything but 200 an error. Returns NULL only when out of memory. */
const struct ac__fetched *ac__fetch(struct ac__fetcher *f, const char *url);

/* Frees |f| and every answer; NULL is a no-op. */
void ac__fetcher_free(struct ac__fetcher *f);

/* Writes <iss><path> into |out| (|len| bytes), without a trailing slash of
 * |iss| doubling. Returns 0, or AC_EINVAL when |iss| is not an http(s) URL or
 * the result does not fit. */
int ac__issuer_url(const char *iss, const char *path, char *out, size_t len);

/* --fetch without a trust file or pinned key: returns the issuer |iss| from
 * |t|, first fetching its JWKS from <iss>/.well-known/jwks.json through |f|
 * and adding it (with fetch_error set on failure, so each issuer is asked once
 * per run). Returns NULL only when out of memory. */
const struct ac__issuer *ac__trust_fetch(struct ac__trust *t, struct ac__fetcher *f,
                                         const char *iss);

/* ---- The witness state (--witness-state FILE) ---------------------------- */

/* The last checkpoint seen of one issuer's log, named by the issuer and the
 * log's origin together (an origin alone is a name any issuer could sign). */
struct ac__witnessed {
    char *iss;    /* owned */
    char *origin; /* owned */
    uint64_t size;
    uint8_t root[AC_MERKLE_HASH_BYTES];
    char *note; /* owned: the issuer-signed checkpoint, kept as evidence */
};

struct ac__witness {
    char *path;                 /* owned */
    struct ac__witnessed *logs; /* owned array */
    size_t n;
    bool dirty; /* something changed since loading */
};

/* Loads the witness state file |path| (format in docs/records.md); a missing
 * file is an empty state that will be created. Sets |*out| to a state the
 * caller frees with ac__witness_free(). Returns 0, AC_ENOMEM, AC_EIO (cannot
 * read) or AC_EPARSE, with the reason in |why|. */
int ac__witness_load(const char *path, struct ac__witness **out, char *why, size_t whylen);

/* Writes |w| back to its file when it changed: a temporary file, fsynced,
 * then renamed over it, so a crash leaves the old or the new state.
 * Returns 0, AC_ENOMEM or AC_EIO with the reason in |why|. */
int ac__witness_save(struct ac__witness *w, char *why, size_t whylen);

void ac__witness_free(struct ac__witness *w);

/* Returns the remembered checkpoint of issuer |iss|'s log |origin|, or NULL. */
const struct ac__witnessed *ac__witness_find(const struct ac__witness *w, const char *iss,
                                             const char *origin);

/* Remembers |cp| (with its signed note, |note_len| bytes) as the last
 * checkpoint of issuer |iss|'s log. The caller has proven it consistent with
 * the one remembered before. Returns 0 or AC_ENOMEM. */
int ac__witness_remember(struct ac__witness *w, const char *iss, const struct ac_checkpoint *cp,
                         const char *note, size_t note_len);

struct ac__options {
    const struct ac__trust *trust; /* borrowed; NULL when a key is pinned */
    struct ac__trust *fetched;     /* --fetch alone: issuers fetched so far; else NULL */
    struct ac__fetcher *fetcher;   /* --fetch: also status and proofs; else NULL */
    struct ac__witness *witness;   /* --witness-state; else NULL */
    bool pinned;                   /* use pinned for every record */
    struct ac_key_info pinned_key; /* public_key, kid and kid_hex set */
    bool pass_reasons;             /* format reasons of passing checks too */
    bool skip_status;
    int64_t now_ms;
};

/* Verifies the record or credential bundle (see bundle.h) in |len| bytes at
 * |data| (borrowed for the report's lifetime) and fills |*rep| with one entry
 * per check; a bundle adds the "log" check and lets "status" be decided from
 * its signed snapshot; opt->fetcher adds "log-fetch" and decides "status"
 * from the token fetched now; two checkpoints (or one and opt->witness) add
 * "history" and may update opt->witness, which is why |opt| points to
 * mutable state. Never fails: every problem is a check result. */
void ac__verify_input(const uint8_t *data, size_t len, const struct ac__options *opt,
                      struct ac__report *rep);

/* Verifies the Open Badges 3.0 credential (VC 2.0 JSON-LD with an
 * eddsa-rdfc-2022 proof) in |len| bytes at |data| (tools/verify/ob3.c), with
 * the same checks, options and verdicts as ac__verify_input(). */
void ac__verify_ob3(const uint8_t *data, size_t len, const struct ac__options *opt,
                    struct ac__report *rep);

/* Frees what ac__verify_ob3() keeps for the run (the JSON-LD processor). */
void ac__ob3_release(void);

/* Returns the verdict of |rep|: AC__FAIL if any check failed, else
 * AC__INDETERMINATE if any was, else AC__PASS. */
enum ac__result ac__verdict(const struct ac__report *rep);

/* Returns "pass", "fail", "indeterminate" or "skipped". */
const char *ac__result_name(enum ac__result r);

#endif
