/* jsonld.h - JSON-LD 1.1 expansion and deserialization to RDF (toRdf) for
 * the contexts the node ships (core/records/contexts/SOURCES.md), which is
 * what Data Integrity proofs over Open Badges 3.0 credentials need.
 *
 * Only the shipped contexts are ever used: a document naming any other
 * context, an inline or nested @context, a term no context defines (or one
 * that only the VC 2.0 "issuer-dependent" @vocab would catch), a relative
 * IRI, or a document past the depth or size limits below is refused with a
 * reason naming the place in the document, never silently dropped.
 *
 * A processor holds the parsed shipped contexts (their SHA-256 checked
 * against pinned values when it is made) and a cache of processed contexts.
 * It is not thread-safe: use one per thread. */
#ifndef AC_JSONLD_H
#define AC_JSONLD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "accord/records/jtree.h"
#include "accord/records/rdf.h"

#define AC_JSONLD_CREDENTIALS_V2 "https://www.w3.org/ns/credentials/v2"
#define AC_JSONLD_OB_V3P0 "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
#define AC_JSONLD_DATA_INTEGRITY_V2 "https://w3id.org/security/data-integrity/v2"
#define AC_JSONLD_MULTIKEY_V1 "https://w3id.org/security/multikey/v1"
#define AC_JSONLD_DID_V1 "https://www.w3.org/ns/did/v1"
#define AC_JSONLD_EXAMPLES_V2 "https://www.w3.org/ns/credentials/examples/v2"

/* Limits a hostile document meets before it costs much. */
#define AC_JSONLD_MAX_BYTES (1u << 20) /* the JSON text */
#define AC_JSONLD_MAX_DEPTH 24         /* nested node objects and lists */
#define AC_JSONLD_MAX_QUADS 8192       /* quads one document may produce */

struct ac_jsonld;

/* Makes a processor: checks the SHA-256 of every compiled-in context against
 * its pinned value and parses it. Sets |*out| to a processor the caller frees
 * with ac_jsonld_free(). Returns 0, AC_ENOMEM, or AC_ECRYPTO (a context's
 * digest is not the pinned one; |why| names it). */
int ac_jsonld_new(struct ac_jsonld **out, char *why, size_t whylen);

/* Frees |p|; NULL is a no-op. */
void ac_jsonld_free(struct ac_jsonld *p);

/* Sets |*data| and |*len| to the compiled-in bytes of the context named
 * |url| (borrowed, static). Returns 0 or AC_ENOENT (not shipped). */
int ac_jsonld_context_bytes(const char *url, const uint8_t **data, size_t *len);

/* Expands |doc| (borrowed; a JSON object whose @context is an array starting
 * with the VC 2.0 context followed by other shipped contexts, each at most
 * once) and appends its RDF quads to |out| (blank node labels "b0", "b1",
 * ... in document order). Returns 0, AC_ENOMEM, AC_EINVAL (refused: |why|
 * says where and why, e.g. "credentialSubject.foo: term \"foo\" is not
 * defined by the document's contexts") or AC_E2BIG (depth or quad limit).
 * On failure |out| may hold some quads; the caller releases it. */
int ac_jsonld_to_rdf(struct ac_jsonld *p, const json_t *doc, struct ac_rdf_dataset *out,
                     char *why, size_t whylen);

/* As ac_jsonld_to_rdf(), but the quads borrow their strings from |doc| and
 * |p| instead of copying them (ac_rdf_dataset_add_borrowed()), which saves
 * a copy per quad and lets RDFC-1.0 work on each repeated term once. The
 * caller releases |out| before it changes or drops |doc| or frees |p|. */
int ac_jsonld_to_rdf_borrowing(struct ac_jsonld *p, const json_t *doc,
                               struct ac_rdf_dataset *out, char *why, size_t whylen);

/* As ac_jsonld_to_rdf_borrowing(), for |doc| as if its top-level member
 * |skip| (when not NULL) were absent and its @context were |context| (when
 * not NULL; a top-level @context of |doc| is then ignored). This is how a
 * Data Integrity proof hashes the document less its proof and the proof
 * configuration (the proof less proofValue, with the document's @context)
 * without copying either. The quads are appended without the dataset's
 * duplicate check (ac_rdf_dataset_append_borrowed()): |out| is for
 * ac_rdfc_canonicalize(), which reads a repeated quad once. */
int ac_jsonld_to_rdf_view(struct ac_jsonld *p, const json_t *doc, const json_t *context,
                          const char *skip, struct ac_rdf_dataset *out, char *why, size_t whylen);

/* ac_jsonld_to_rdf_view() of a document tree (jtree.h): the verify path,
 * which reads the document with ac_jt_parse() and never builds jansson
 * values. The quads borrow from |doc| and |context|. */
int ac_jsonld_to_rdf_view_jt(struct ac_jsonld *p, const struct ac_jt *doc,
                             const struct ac_jt *context, const char *skip,
                             struct ac_rdf_dataset *out, char *why, size_t whylen);

/* Parses |len| bytes of JSON text (at most AC_JSONLD_MAX_BYTES; duplicate
 * keys refused) into |*out|, a new reference the caller drops with
 * json_decref(). Returns 0, AC_ENOMEM, AC_E2BIG or AC_EPARSE with the reason in |why|. */
int ac_jsonld_parse(const char *text, size_t len, json_t **out, char *why, size_t whylen);

/* Writes the shortest text that reads back as |x|, in ECMAScript's
 * Number::toString form ("0.1", "1e+21", "5e-7"), into |out| (at least 32
 * bytes): what JSON canonicalization (RFC 8785) prints for a number. */
void ac_jsonld_js_number(double x, char out[32]);

/* Appends the RFC 8785 canonical form of |v| (borrowed) to |out|.
 * Returns 0, AC_ENOMEM or AC_EINVAL (a number that is not finite). */
int ac_jsonld_jcs(const json_t *v, struct ac_buf *out);

#endif
