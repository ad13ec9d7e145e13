/* internal.h - names shared between accord-verify's files: its exit codes and
 * the --fetch client, which implements core/trust's fetcher (trust/fetch.h)
 * with the HTTP/2 client of net/. The trust file, the checks and the verdict
 * rule are core/trust's, shared with the node. */
#ifndef AC_VERIFY_INTERNAL_H
#define AC_VERIFY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "accord/trust/fetch.h"
#include "accord/trust/verdict.h"

/* Exit codes, one per verdict (documented in docs/records.md). */
enum {
    AC__EXIT_VALID = 0,
    AC__EXIT_INVALID = 1,
    AC__EXIT_INDETERMINATE = 2,
    AC__EXIT_USAGE = 64,
    AC__EXIT_NOINPUT = 66,
};

/* A response larger than this is refused (a status token of the largest list
 * is 4 MiB before compression, far less after). */
#define AC__FETCH_MAX_BYTES (8u << 20)

/* One URL's answer: the body of a 200 response, or why there is none. */
struct ac__fetched {
    char *url;     /* owned */
    uint8_t *body; /* owned, NUL-terminated (not counted in len); NULL on error */
    size_t len;
    int rc;      /* 0, or the AC_E* code of the failure */
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

/* core/trust's ac_trust_fetch_cb over ac__fetch(); |ctx| is the
 * struct ac__fetcher, whose answers outlive every check of the run. */
int ac__fetch_cb(void *ctx, const char *url, const uint8_t **body, size_t *len, const char **why);

/* Frees |f| and every answer; NULL is a no-op. */
void ac__fetcher_free(struct ac__fetcher *f);

/* Verifies the Open Badges 3.0 credential (VC 2.0 JSON-LD with an
 * eddsa-rdfc-2022 proof) in |len| bytes at |data| (tools/verify/ob3.c), with
 * the same checks, options and verdicts as ac_trust_verify_input(). */
void ac__verify_ob3(const uint8_t *data, size_t len, const struct ac_trust_options *opt,
                    struct ac_trust_report *rep);

/* Verifies the OB 3.0 credential a bundle carries (|len| bytes at |ob3|)
 * beside its native record, whose checks are in |rep|: with the same issuer
 * keys (rep->keys), status left to the native snapshot, and its award
 * compared with the record's claims. Appends the "ob3" check to |rep|. */
void ac__verify_bundle_ob3(const uint8_t *ob3, size_t len, const struct ac_trust_options *opt,
                           struct ac_trust_report *rep);

/* Frees what ac__verify_ob3() keeps for the run (the JSON-LD processor). */
void ac__ob3_release(void);

#endif
