/* neardup.h - near-duplicate detection for the plagiarism screen: winnowing
 * fingerprints (Schleimer, Wilkerson and Aiken, "Winnowing: Local Algorithms for
 * Document Fingerprinting", SIGMOD 2003) of normalised text, kept with their
 * byte positions so matching passages can be shown in both texts; an index over
 * a credential's prior submissions; prompt text ignored; members of one team
 * never reported against each other. No I/O. Not thread-safe. */
#ifndef AC_NEARDUP_H
#define AC_NEARDUP_H

#include <stddef.h>
#include <stdint.h>

struct ac_neardup_params {
    unsigned k;            /* k-gram length in normalised characters (noise threshold) */
    unsigned w;            /* winnowing window; any shared run of k+w-1 characters is found */
    unsigned common_docs;  /* a fingerprint in at least this many indexed submissions is
                            * prompt or boilerplate text and ignored; 0 never ignores */
    double min_similarity; /* matches with a lower similarity are not reported */
};

/* k = 10, w = 6: shared runs of 15 normalised characters (about three words) are
 * always found, runs under 10 never. */
#define AC_NEARDUP_DEFAULTS                                                                        \
    {                                                                                              \
        10, 6, 0, 0.0                                                                              \
    }

struct ac_neardup_index;

/* A shared passage: byte ranges [start, end) in the checked text and
 * [prior_start, prior_end) in the prior submission, always on UTF-8 character
 * boundaries. */
struct ac_neardup_passage {
    size_t start, end;
    size_t prior_start, prior_end;
};

struct ac_neardup_match {
    uint64_t doc;      /* the prior submission */
    double similarity; /* shared fingerprints / fingerprints of the checked text, 0..1 */
    size_t shared;     /* distinct fingerprints in common */
    struct ac_neardup_passage *passages; /* by ascending start */
    size_t n_passages;
};

struct ac_neardup_result {
    size_t fingerprints; /* distinct fingerprints of the checked text, prompt text excluded */
    struct ac_neardup_match *matches; /* by descending similarity, then ascending doc */
    size_t n_matches;
};

/* Creates an empty index. Sets |*out| to an index the caller frees with
 * ac_neardup_index_free(). Returns 0, AC_EINVAL (k or w of 0, k over 1000, or
 * min_similarity outside 0..1) or AC_ENOMEM. */
int ac_neardup_index_new(const struct ac_neardup_params *p, struct ac_neardup_index **out);

/* Frees |ix|; NULL is a no-op. */
void ac_neardup_index_free(struct ac_neardup_index *ix);

/* Marks every fingerprint of |text| (e.g. the definition's element prompts) as
 * text that is never reported. Returns 0, AC_EINVAL or AC_ENOMEM. */
int ac_neardup_ignore_text(struct ac_neardup_index *ix, const char *text, size_t len);

/* Adds the submission |doc| of |team| (0 = no team) with |len| bytes of UTF-8
 * |text| (borrowed; not kept). Returns 0, AC_EINVAL or AC_ENOMEM. */
int ac_neardup_add(struct ac_neardup_index *ix, uint64_t doc, uint64_t team, const char *text,
                   size_t len);

/* Compares |text| of submission |doc| by |team| (0 = no team) with every indexed
 * submission except |doc| itself and those of the same non-zero team. Sets
 * |*out| to a result the caller frees with ac_neardup_result_free(). Returns 0,
 * AC_EINVAL or AC_ENOMEM. */
int ac_neardup_check(const struct ac_neardup_index *ix, uint64_t doc, uint64_t team,
                     const char *text, size_t len, struct ac_neardup_result **out);

/* Frees |r|; NULL is a no-op. */
void ac_neardup_result_free(struct ac_neardup_result *r);

#endif
