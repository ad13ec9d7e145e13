/* witness.h - a verifier's witness state: the last checkpoint it accepted of
 * each issuer's log, kept in a small JSON file between runs (format in
 * docs/records.md) so that a later checkpoint that does not extend it (a
 * forked history) is caught. Entries are keyed by issuer and origin together:
 * an origin is only a name, and one issuer's checkpoint must never stand for
 * another issuer's log. */
#ifndef AC_TRUST_WITNESS_H
#define AC_TRUST_WITNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accord/records/checkpoint.h"

/* The last checkpoint seen of one issuer's log. */
struct ac_trust_witnessed {
    char *iss;    /* owned */
    char *origin; /* owned */
    uint64_t size;
    uint8_t root[AC_MERKLE_HASH_BYTES];
    char *note; /* owned: the issuer-signed checkpoint, kept as evidence */
};

struct ac_trust_witness {
    char *path;                      /* owned */
    struct ac_trust_witnessed *logs; /* owned array */
    size_t n;
    bool dirty; /* something changed since loading */
};

/* Loads the witness state file |path|; a missing file is an empty state that
 * will be created. Sets |*out| to a state the caller frees with
 * ac_trust_witness_free(). Returns 0, AC_ENOMEM, AC_EIO (cannot read) or
 * AC_EPARSE, with the reason in |why|. */
int ac_trust_witness_load(const char *path, struct ac_trust_witness **out, char *why,
                          size_t whylen);

/* Writes |w| back to its file when it changed: a temporary file, fsynced,
 * then renamed over it, so a crash leaves the old or the new state.
 * Returns 0, AC_ENOMEM or AC_EIO with the reason in |why|. */
int ac_trust_witness_save(struct ac_trust_witness *w, char *why, size_t whylen);

/* Frees |w|; NULL is a no-op. */
void ac_trust_witness_free(struct ac_trust_witness *w);

/* Returns the remembered checkpoint of issuer |iss|'s log |origin|, or NULL. */
const struct ac_trust_witnessed *ac_trust_witness_find(const struct ac_trust_witness *w,
                                                       const char *iss, const char *origin);

/* Remembers |cp| (with its signed note, |note_len| bytes) as the last
 * checkpoint of issuer |iss|'s log. The caller has proven it consistent with
 * the one remembered before. Returns 0 or AC_ENOMEM. */
int ac_trust_witness_remember(struct ac_trust_witness *w, const char *iss,
                              const struct ac_checkpoint *cp, const char *note, size_t note_len);

#endif
