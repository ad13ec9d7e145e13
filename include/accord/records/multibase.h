/* multibase.h - Multibase base58btc ("z" prefix) and the Multikey encodings
 * of Ed25519 keys (multicodec ed25519-pub 0xed01, ed25519-priv 0x8026) that
 * Data Integrity proofs (proofValue) and verification methods
 * (publicKeyMultibase, did:key) use. Stateless and thread-safe. */
#ifndef AC_MULTIBASE_H
#define AC_MULTIBASE_H

#include <stddef.h>
#include <stdint.h>

/* Room for "z" + base58btc of a 64-byte signature (at most 88 chars) + NUL. */
#define AC_MULTIBASE_SIG_MAX 96

/* Writes "z" + base58btc of |len| bytes of |in| into |out| (|outlen| bytes,
 * NUL-terminated). Returns 0 or AC_E2BIG (|outlen| too small; |len| over 128). */
int ac_multibase_b58_encode(const uint8_t *in, size_t len, char *out, size_t outlen);

/* Decodes a "z"-prefixed base58btc string into |out| (capacity |cap|) and
 * sets |*len|. Returns 0 or AC_EPARSE (no "z", a character outside the
 * alphabet, or more than |cap| bytes). */
int ac_multibase_b58_decode(const char *s, uint8_t *out, size_t cap, size_t *len);

/* Decodes a Multikey publicKeyMultibase ("z6Mk...") into an Ed25519 public
 * key. Returns 0 or AC_EPARSE (not base58btc, not 0xed01, not 32 bytes). */
int ac_multikey_ed25519_public(const char *multibase, uint8_t public_key[32]);

/* Decodes a Multikey secretKeyMultibase ("z3u2...": 0x8026 + 32-byte seed)
 * into the 32-byte seed. Returns 0 or AC_EPARSE. */
int ac_multikey_ed25519_seed(const char *multibase, uint8_t seed[32]);

#endif
