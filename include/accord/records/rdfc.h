/* rdfc.h - RDF Dataset Canonicalization RDFC-1.0 (W3C Recommendation,
 * https://www.w3.org/TR/rdf-canon/) with SHA-256: the canonical N-Quads of a
 * dataset and the issued identifiers map, with a bound on the work that a
 * dataset built to be expensive (a "poison graph") can cause.
 *
 * Pure computation on borrowed input; safe to call from any thread as long
 * as the dataset is not modified during the call. */
#ifndef AC_RDFC_H
#define AC_RDFC_H

#include <stddef.h>

#include "accord/base/buf.h"
#include "accord/records/rdf.h"

/* Bounds on the Hash N-Degree Quads search, the only part of RDFC-1.0 whose
 * cost can grow faster than the input (factorially, over permutations of
 * blank nodes that first-degree hashing cannot tell apart). A zero field
 * takes its default. The defaults are ten times what the W3C test suite needs
 * (its hardest accepted cases, test044 to test046, make 468 calls, try 2,880
 * permutations and take 28,296 steps; test054 nests 6 deep), while
 * credentials, whose blank nodes first degree hashing tells apart, make no
 * calls at all; they refuse the suite's poison graph (test074) in tens of
 * milliseconds. A dataset with more than max_ndegree_calls blank nodes of
 * one shape (say 5,001 identical anonymous objects) is refused too, though
 * its cost would be linear: raise the limit for such data. */
struct ac_rdfc_limits {
    size_t max_ndegree_calls; /* Hash N-Degree Quads calls in total */
    size_t max_permutations;  /* permutations examined in total */
    size_t max_depth;         /* nesting of Hash N-Degree Quads recursion; each level
                                 takes a few hundred bytes of the caller's stack */
    /* Elementary steps of the search: one per related blank node hashed, per
     * blank node placed in a permutation's path, and per identifier copied
     * with an issuer. Bounds the cost of each call and permutation, which
     * grows with the degree of the blank nodes involved, so that a few calls
     * on nodes of huge degree cannot take seconds. */
    size_t max_steps;
};

#define AC_RDFC_DEFAULT_MAX_NDEGREE_CALLS 5000
#define AC_RDFC_DEFAULT_MAX_PERMUTATIONS 50000
#define AC_RDFC_DEFAULT_MAX_DEPTH 64
#define AC_RDFC_DEFAULT_MAX_STEPS 300000

/* One issued identifier: an input blank node label and the canonical label
 * ("c14n0", "c14n1", ...) it was given, both without "_:". */
struct ac_rdfc_map_entry {
    char *input;     /* owned */
    char *canonical; /* owned */
};

/* The issued identifiers map of RDFC-1.0 step 7, in canonical order (entry i
 * holds "c14n<i>"). A zeroed struct is an empty map. */
struct ac_rdfc_map {
    struct ac_rdfc_map_entry *entries; /* owned array */
    size_t n;
};

/* Frees what |m| owns and leaves it empty; NULL is a no-op. */
void ac_rdfc_map_release(struct ac_rdfc_map *m);

/* Canonicalizes |in| (borrowed) with RDFC-1.0 and SHA-256, appending the
 * canonical N-Quads document (one line per distinct quad, blank nodes
 * relabelled _:c14nN, lines in code point order, each ending "\n") to
 * |out_nquads|. If |map| is not NULL it must be empty; it is filled with the
 * issued identifiers map, which the caller frees with ac_rdfc_map_release().
 * |lim| may be NULL for the defaults. |why| (may be NULL if |whylen| is 0)
 * receives the reason for any failure.
 * Returns:
 *   0           success;
 *   AC_E2BIG    a limit in |lim| was reached (|why| names the limit and its
 *               value); nothing is appended and |map| stays empty;
 *   AC_EINVAL   a quad of |in| is malformed or could not be written
 *               unambiguously (a term of a kind its position does not allow,
 *               a NULL value, an IRI or datatype that ac_rdf_iri_ok()
 *               refuses, a language tag ac_rdf_langtag_ok() refuses); |why|
 *               names the quad, the position and the rule;
 *   AC_ENOMEM   out of memory;
 *   AC_ECRYPTO  libsodium could not be initialised.
 * On any failure |out_nquads| is as it was and |map| is empty. */
int ac_rdfc_canonicalize(const struct ac_rdf_dataset *in, const struct ac_rdfc_limits *lim,
                         struct ac_buf *out_nquads, struct ac_rdfc_map *map, char *why,
                         size_t whylen);

#endif
