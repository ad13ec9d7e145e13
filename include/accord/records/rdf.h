/* rdf.h - an RDF dataset in memory: the quads that JSON-LD expansion
 * (jsonld.h) produces and RDF Dataset Canonicalization (rdfc.h) orders and
 * relabels, with the N-Quads line form both speak (W3C RDF 1.1 N-Quads).
 *
 * Strings are owned by the dataset and NUL-terminated UTF-8. IRIs are
 * absolute; blank node labels are written without "_:". A literal holding
 * U+0000 keeps it as the two bytes C0 80 (the "modified UTF-8" of Java and
 * Tcl) so that every string stays NUL-terminated; the writer prints those two
 * bytes as \u0000, and the parser produces them for \u0000 and for a raw NUL.
 *
 * Not thread-safe; a dataset is used by one thread at a time. */
#ifndef AC_RDF_H
#define AC_RDF_H

#include <stddef.h>
#include <stdint.h>

#include "accord/base/buf.h"

enum ac_rdf_kind { AC_RDF_IRI = 1, AC_RDF_BLANK, AC_RDF_LITERAL };

struct ac_rdf_term {
    enum ac_rdf_kind kind;
    char *value;    /* IRI, blank node label, or the literal's lexical form */
    char *datatype; /* literals: datatype IRI (xsd:string when plain); else NULL */
    char *language; /* literals: lowercased language tag, or NULL */
};

struct ac_rdf_quad {
    struct ac_rdf_term s, p, o;
    struct ac_rdf_term g; /* kind 0: the default graph */
};

struct ac_rdf_index_slot {
    uint64_t hash; /* of the quad at pos - 1 */
    size_t pos;    /* quad position + 1; 0 marks an empty slot */
};

struct ac_rdf_chunk;
struct ac_rdf_hash_memo;

/* A zeroed struct is an empty dataset. The quads' strings are copies held in
 * |chunks| (made by ac_rdf_dataset_add(), freed by ac_rdf_dataset_release()),
 * or borrowed (ac_rdf_dataset_add_borrowed(), ac_rdf_dataset_append_borrowed()):
 * change a dataset only through those four. */
struct ac_rdf_dataset {
    struct ac_rdf_quad *quads; /* owned array */
    size_t n, cap;
    /* Owned open-addressing index that makes ac_rdf_dataset_add()'s duplicate
     * check constant-time; index_cap is 0 or a power of two at least twice n. */
    struct ac_rdf_index_slot *index;
    size_t index_cap;
    /* Owned blocks the quads' strings are carved from: a few allocations
     * per dataset instead of one per quad. */
    struct ac_rdf_chunk *chunks;
    /* Owned; term hashes of borrowed quads by their string pointers. */
    struct ac_rdf_hash_memo *hash_memo;
    /* The first |iris_checked| quads have IRI terms (subject, predicate,
     * object, graph name) that their producer checked with ac_rdf_iri_ok()
     * already, so ac_rdfc_canonicalize() does not check them again. JSON-LD
     * expansion sets it: its IRIs come from context terms checked once per
     * processed context, or are checked as they are made. 0 otherwise. */
    size_t iris_checked;
    /* 1 once ac_rdf_dataset_append_borrowed() added a quad: |quads| may then
     * list one quad more than once (a multiset that stands for the set). */
    int may_repeat;
};

#define AC_RDF_XSD_STRING "http://www.w3.org/2001/XMLSchema#string"
#define AC_RDF_LANG_STRING "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

/* Empties |d| and frees what it owns; the struct itself is the caller's. */
void ac_rdf_dataset_release(struct ac_rdf_dataset *d);

/* Appends a copy of |q| (every string duplicated; the language tag
 * lowercased; a literal's NULL datatype stored as xsd:string, or
 * rdf:langString when it has a language). Duplicate quads are kept only once
 * (a dataset is a set), language tags compared without case. |q| must not
 * point into |d|. Returns 0 or AC_ENOMEM. */
int ac_rdf_dataset_add(struct ac_rdf_dataset *d, const struct ac_rdf_quad *q);

/* Like ac_rdf_dataset_add(), but the quad added keeps |q|'s string pointers
 * instead of copies: for a producer (JSON-LD expansion) whose strings already
 * live long enough, which saves a copy per quad and lets a consumer that
 * meets one pointer many times (RDFC-1.0's term table) work on it once. The
 * caller guarantees every string outlives |d| unchanged. A language tag with
 * an upper-case letter is copied lowercased as ac_rdf_dataset_add() would.
 * Returns 0 or AC_ENOMEM. */
int ac_rdf_dataset_add_borrowed(struct ac_rdf_dataset *d, const struct ac_rdf_quad *q);

/* Like ac_rdf_dataset_add_borrowed() without the duplicate check: |q| is
 * appended even when |d| holds it already, and |d->may_repeat| is set. For
 * a producer whose dataset goes straight to ac_rdfc_canonicalize(), which
 * reads a repeated quad once and finds repeats by the terms it numbers
 * anyway: checking here hashed every term by content a second time.
 * Returns 0 or AC_ENOMEM. */
int ac_rdf_dataset_append_borrowed(struct ac_rdf_dataset *d, const struct ac_rdf_quad *q);

/* |n| bytes from |d|'s own string blocks, freed by ac_rdf_dataset_release():
 * where a caller of ac_rdf_dataset_add_borrowed() may build strings that
 * must live exactly as long as |d|. Returns NULL when out of memory. */
char *ac_rdf_dataset_alloc(struct ac_rdf_dataset *d, size_t n);

/* Appends the N-Quads line of |q| (canonical N-Quads escaping, RDFC-1.0
 * section 4.3 / RDF 1.1 N-Quads canonical form, ending in "\n") to |out|.
 * Returns 0 or AC_ENOMEM. */
int ac_rdf_quad_nquads(const struct ac_rdf_quad *q, struct ac_buf *out);

/* Appends the N-Quads form of one term (<iri>, _:label, or a literal with
 * its ^^<datatype> or @language, canonically escaped) to |out|. A kind 0
 * term (the default graph) appends nothing. Returns 0 or AC_ENOMEM. */
int ac_rdf_term_nquads(const struct ac_rdf_term *t, struct ac_buf *out);

/* Returns 1 when |iri| can be an N-Quads IRI: it is absolute (a scheme, then
 * ':') and holds no character that IRIREF forbids (U+0000 to U+0020 and
 * <>"{}|^`\), which written out could change the statement's structure.
 * Returns 0 otherwise. */
int ac_rdf_iri_ok(const char *iri);

/* Returns 1 when |tag| matches [a-zA-Z]+ ('-' [a-zA-Z0-9]+)*, else 0. */
int ac_rdf_langtag_ok(const char *tag);

/* Parses N-Quads text (one statement a line; comments and blank lines
 * allowed) into |d|, which may already hold quads. Language tags are
 * lowercased; "x"^^xsd:string is the plain literal "x"; a language-tagged
 * literal gets the datatype rdf:langString. Refuses invalid UTF-8, relative
 * IRIs, IRIs whose \u escapes decode to a character ac_rdf_iri_ok() refuses,
 * bad escapes and anything outside the RDF 1.1 N-Quads grammar.
 * Returns 0, AC_ENOMEM or AC_EPARSE with "line N: ..." in |why| (|why| may be
 * NULL when |whylen| is 0); on failure |d| holds the quads of earlier lines. */
int ac_rdf_parse_nquads(const char *text, size_t len, struct ac_rdf_dataset *d, char *why,
                        size_t whylen);

#endif
