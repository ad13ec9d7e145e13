/* did.h - publication formats for the node's Ed25519 keys: did:key, a did:web
 * document (Multikey verification methods with publicKeyMultibase), and a
 * JWKS (OKP/Ed25519 JWKs), each listing current and retired keys; plus the
 * parser of JWKS key lists that accord-verify uses for trust files and fetched
 * key sets. Stateless and thread-safe.
 *
 * Accord adds two documented members to each JWK: "valid_from" and
 * "valid_until" (RFC 3339 UTC, second precision; valid_until absent while the
 * key is current). valid_from is rounded down and valid_until up to whole
 * seconds, which loses nothing: record iat values are whole seconds. */
#ifndef AC_DID_H
#define AC_DID_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "accord/base/buf.h"
#include "accord/sign/keyring.h"

/* "z" + base58btc of the 34-byte multicodec key (0xed 0x01 + key): 48 chars. */
#define AC_DID_MULTIBASE_MAX 64
/* "did:key:" + multibase. */
#define AC_DID_KEY_MAX (8 + AC_DID_MULTIBASE_MAX)

/* Writes the Multikey publicKeyMultibase of an Ed25519 |public_key| ("z6Mk...")
 * into |out| (AC_DID_MULTIBASE_MAX bytes). */
void ac_did_multibase(const uint8_t public_key[32], char out[AC_DID_MULTIBASE_MAX]);

/* Writes the did:key of |public_key| ("did:key:z6Mk...") into |out|. */
void ac_did_key(const uint8_t public_key[32], char out[AC_DID_KEY_MAX]);

/* Parses a did:key for an Ed25519 key (or a bare "z6Mk..." multibase) into
 * |public_key|. Returns 0 or AC_EPARSE (wrong prefix, not base58btc, not the
 * ed25519-pub multicodec 0xed01, or not 32 bytes). */
int ac_did_key_parse(const char *did, uint8_t public_key[32]);

/* Writes the did:web for a base URL ("https://host:8443/a/b" ->
 * "did:web:host%3A8443:a:b") into |out|. Returns 0, AC_EINVAL (not an https://
 * or http:// URL with a host) or AC_E2BIG (|outlen| too small). */
int ac_did_web_from_url(const char *base_url, char *out, size_t outlen);

/* Appends the DID document for |did| listing |n| keys (borrowed) as Multikey
 * verification methods "<did>#<kid hex>", all of them also in assertionMethod
 * so records signed by retired keys keep verifying. Returns 0, AC_ENOMEM or
 * AC_EINVAL (n == 0). */
int ac_did_web_document(const char *did, const struct ac_key_info *keys, size_t n,
                        struct ac_buf *out);

/* Appends {"keys": [...]} with one JWK per key: kty OKP, crv Ed25519, x
 * (base64url), kid (hex), alg EdDSA, use sig, valid_from, valid_until.
 * Returns 0, AC_ENOMEM or AC_EINVAL (n == 0). */
int ac_did_jwks(const struct ac_key_info *keys, size_t n, struct ac_buf *out);

/* Parses a JSON array of JWKs (borrowed; e.g. a JWKS's "keys" member or a
 * trust file's) into a new array |*out| of |*n| keys the caller frees with
 * free(). Each must be OKP/Ed25519 with a 32-byte x; a kid, when present, must
 * be the one derived from x; valid_from and valid_until are optional (absent:
 * from the epoch; until now). Returns 0, AC_ENOMEM, or AC_EPARSE with the
 * reason (naming the key and member) in |why|, e.g. "keys[1].kid: \"ab\" is
 * not the key's derived id 0f3c...". */
int ac_did_jwk_array_parse(const json_t *array, struct ac_key_info **out, size_t *n, char *why,
                           size_t whylen);

/* Parses a JWKS document {"keys": [...]} of |len| bytes as above. */
int ac_did_jwks_parse(const char *json, size_t len, struct ac_key_info **out, size_t *n, char *why,
                      size_t whylen);

#endif
