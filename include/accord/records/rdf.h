/* rdf.h - an RDF dataset in memory: the quads that JSON-LD expansion
 * (jsonld.h) produces and RDF Dataset Canonicalization (rdfc.h) orders and
 * relabels, with the N-Quads line form both speak (W3C RDF 1.1 N-Quads).
 *
 * Strings are owned by the dataset and NUL-terminated UTF-8. IRIs are
 * absolute; blank node labels are written without "_:". */
#ifndef AC_RDF_H
#define AC_RDF_H

#include <stddef.h>

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

struct ac_rdf_dataset {
    struct ac_rdf_quad *quads; /* owned array */
    size_t n, cap;
};

/* Empties |d| and frees what it owns; the struct itself is the caller's. */
void ac_rdf_dataset_release(struct ac_rdf_dataset *d);

/* Appends a copy of |q| (every string duplicated). Duplicate quads are kept
 * only once (a dataset is a set). Returns 0 or AC_ENOMEM. */
int ac_rdf_dataset_add(struct ac_rdf_dataset *d, const struct ac_rdf_quad *q);

/* Appends the N-Quads line of |q| (canonical N-Quads escaping, RDFC-1.0
 * section 4.3 / RDF 1.1 N-Quads canonical form, ending in "\n") to |out|.
 * Returns 0 or AC_ENOMEM. */
int ac_rdf_quad_nquads(const struct ac_rdf_quad *q, struct ac_buf *out);

/* Parses N-Quads text (one statement a line; comments and blank lines
 * allowed) into |d|. Returns 0, AC_ENOMEM or AC_EPARSE with the line and
 * reason in |why|. */
int ac_rdf_parse_nquads(const char *text, size_t len, struct ac_rdf_dataset *d, char *why,
                        size_t whylen);

#endif
