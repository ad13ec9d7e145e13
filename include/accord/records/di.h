/* di.h - W3C Verifiable Credential Data Integrity proofs with the
 * eddsa-rdfc-2022 cryptosuite (Data Integrity EdDSA Cryptosuites v1.0,
 * section 3.3): the proof configuration and the document are each turned
 * into RDF (jsonld.h), canonicalized with RDFC-1.0 (rdfc.h) and hashed with
 * SHA-256; the signature is Ed25519 (libsodium) over
 * SHA-256(proof config) || SHA-256(document), carried as a base58btc
 * Multibase proofValue. Not thread-safe as far as the processor |p| is not. */
#ifndef AC_DI_H
#define AC_DI_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "accord/base/buf.h"
#include "accord/records/jsonld.h"
#include "accord/sign/cose.h"

#define AC_DI_CRYPTOSUITE "eddsa-rdfc-2022"

/* The proof of a secured document, as ac_di_proof_get() reads it. Strings
 * are borrowed from the document. */
struct ac_di_proof {
    const char *verification_method; /* e.g. "did:web:host#<kid>" */
    const char *created;             /* or NULL */
    const char *purpose;             /* "assertionMethod" */
    uint8_t signature[64];           /* the decoded proofValue */
};

/* Computes the 64-byte hash data of eddsa-rdfc-2022 (3.3.4): SHA-256 of the
 * canonical proof configuration |proof| (a proof object; a proofValue in it
 * is ignored, its @context is set to |doc|'s) followed by SHA-256 of the
 * canonical |doc| (any "proof" member of |doc| is left out). Appends the two
 * canonical N-Quads documents to |canon_proof| and |canon_doc| when they are
 * not NULL. Returns 0, AC_ENOMEM, AC_EINVAL or AC_E2BIG (refused by JSON-LD
 * expansion or canonicalization: |why| says why and where). */
int ac_di_hash(struct ac_jsonld *p, const json_t *doc, const json_t *proof, uint8_t hash_data[64],
               struct ac_buf *canon_proof, struct ac_buf *canon_doc, char *why, size_t whylen);

/* Adds a DataIntegrityProof to |doc| (modified in place): type, cryptosuite,
 * created (|created|, RFC 3339 UTC), verificationMethod, proofPurpose
 * assertionMethod and proofValue, the Ed25519 signature |sign| (e.g. a
 * keyring adapter, see cose.h) makes over the hash data. With |as_array| the
 * proof member is a one-element array, as the 1EdTech OB 3.0 JSON schema
 * wants. Returns 0, AC_ENOMEM, AC_EINVAL or AC_E2BIG (see ac_di_hash),
 * AC_EEXIST (|doc| already has a proof), or what |sign| returned. */
int ac_di_sign_with(struct ac_jsonld *p, json_t *doc, const char *verification_method,
                    const char *created, ac_cose_sign_cb sign, void *sign_ctx, int as_array,
                    char *why, size_t whylen);

/* ac_di_sign_with() with |secret_key|, libsodium's 64-byte Ed25519 secret
 * key (borrowed). */
int ac_di_sign(struct ac_jsonld *p, json_t *doc, const char *verification_method,
               const char *created, const uint8_t secret_key[64], int as_array, char *why,
               size_t whylen);

/* Reads |doc|'s single proof (an object, or an array of one) into |out|,
 * checking it is a DataIntegrityProof with cryptosuite eddsa-rdfc-2022, a
 * verificationMethod, a proofPurpose, a valid created dateTime when present
 * and a base58btc proofValue of 64 bytes. Returns 0 or AC_EINVAL with the
 * member and rule in |why|. */
int ac_di_proof_get(const json_t *doc, struct ac_di_proof *out, char *why, size_t whylen);

/* Verifies |doc|'s proof with Ed25519 |public_key| (the key the caller
 * resolved from the proof's verificationMethod) for proofPurpose
 * assertionMethod. Returns 0 (the signature is good), AC_ECRYPTO (it is not),
 * or AC_EINVAL / AC_E2BIG / AC_ENOMEM (the document or proof is refused;
 * |why| says why). */
int ac_di_verify(struct ac_jsonld *p, const json_t *doc, const uint8_t public_key[32], char *why,
                 size_t whylen);

/* ac_di_verify() with |pr|, the proof ac_di_proof_get() already read from
 * |doc| (its strings still |doc|'s): a caller that read the proof to find the
 * key does not decode the proofValue again. */
int ac_di_verify_read(struct ac_jsonld *p, const json_t *doc, const struct ac_di_proof *pr,
                      const uint8_t public_key[32], char *why, size_t whylen);

/* ac_di_proof_get() and ac_di_verify_read() of a document tree (jtree.h),
 * the verify path's form: |out|'s strings are then the tree's. */
int ac_di_proof_get_jt(const struct ac_jt *doc, struct ac_di_proof *out, char *why, size_t whylen);
int ac_di_verify_read_jt(struct ac_jsonld *p, const struct ac_jt *doc,
                         const struct ac_di_proof *pr, const uint8_t public_key[32], char *why,
                         size_t whylen);

#endif
