/* internal.h - names shared between accord-verify's files: the trust sources,
 * the list of check results that every verification produces, and the
 * verdict derived from it. Later checks (status from a bundle's signed
 * snapshot, log inclusion against a signed checkpoint) append to the same
 * list, so the verdict rule and the output need no change to take them. */
#ifndef AC_VERIFY_INTERNAL_H
#define AC_VERIFY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accord/cose.h"
#include "accord/keyring.h"
#include "accord/record.h"

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
    const char *name; /* "decode", "issuer", "signature", "log", "key-window", "status" */
    enum ac__result result;
    char reason[256];
};

#define AC__MAX_CHECKS 8

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

/* --fetch: returns the issuer |iss| from |t|, first fetching its JWKS from
 * <iss>/.well-known/jwks.json and adding it (with fetch_error set on failure,
 * so each issuer is asked once per run). Returns NULL only when out of memory. */
const struct ac__issuer *ac__trust_fetch(struct ac__trust *t, const char *iss);

struct ac__options {
    const struct ac__trust *trust; /* borrowed; NULL when a key is pinned */
    struct ac__trust *fetched;     /* --fetch: issuers fetched so far; else NULL */
    bool pinned;                   /* use pinned for every record */
    struct ac_key_info pinned_key; /* public_key, kid and kid_hex set */
    bool pass_reasons;             /* format reasons of passing checks too */
    bool skip_status;
    int64_t now_ms;
};

/* Verifies the record or credential bundle (see bundle.h) in |len| bytes at
 * |data| (borrowed for the report's lifetime) and fills |*rep| with one entry
 * per check; a bundle adds the "log" check and lets "status" be decided from
 * its signed snapshot. Never fails: every problem is a check result. */
void ac__verify_input(const uint8_t *data, size_t len, const struct ac__options *opt,
                      struct ac__report *rep);

/* Returns the verdict of |rep|: AC__FAIL if any check failed, else
 * AC__INDETERMINATE if any was, else AC__PASS. */
enum ac__result ac__verdict(const struct ac__report *rep);

/* Returns "pass", "fail", "indeterminate" or "skipped". */
const char *ac__result_name(enum ac__result r);

#endif
