/* status.h - the node's credential status bits and their two published forms:
 * the IETF Token Status List (draft-ietf-oauth-status-list: a CWT whose
 * status_list claim holds the ZLIB-compressed 2-bit array) and the bits of a
 * W3C Bitstring Status List (GZIP, base64url, multibase 'u', one bit per
 * entry for one status purpose).
 *
 * Each record gets an index, chosen at random among the unused ones, into one
 * list of at least AC_STATUS_MIN_ENTRIES entries, which grows (doubling, up to
 * AC_STATUS_MAX_ENTRIES) so that it is never more than half assigned: random
 * draws stay cheap and an index keeps hiding among many unused ones. An entry holds 2 bits with
 * the Token Status List's values: 0 valid, 1 invalid (revoked; final),
 * 2 suspended (reversible). The list is memory only: the store persists
 * ac_status_list_bytes() and ac_status_list_used_bytes() and reloads them with
 * ac_status_list_load(). Not thread-safe per list. */
#ifndef AC_STATUS_H
#define AC_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "accord/base/buf.h"

/* The W3C spec's minimum (16 KiB of bits) and a bound on what we hold. */
#define AC_STATUS_MIN_ENTRIES 131072u
#define AC_STATUS_MAX_ENTRIES (1u << 24)

/* Values of draft-ietf-oauth-status-list §7.1 ("Status Types Values"). */
enum ac_status {
    AC_STATUS_VALID = 0,
    AC_STATUS_INVALID = 1, /* revoked: never changes again */
    AC_STATUS_SUSPENDED = 2,
};

/* The two statusPurpose values of a W3C Bitstring Status List we publish. */
enum ac_status_purpose {
    AC_STATUS_PURPOSE_REVOCATION, /* bit set: revoked */
    AC_STATUS_PURPOSE_SUSPENSION, /* bit set: suspended now */
};

struct ac_status_list;

/* Returns the name of |s| ("valid", "revoked", "suspended") or "unknown". */
const char *ac_status_name(int s);

/* Sets |*out| to a new list of |entries| entries, all unused and valid, which
 * the caller frees with ac_status_list_free(). Returns 0, AC_ENOMEM, or
 * AC_EINVAL (|entries| below AC_STATUS_MIN_ENTRIES, above
 * AC_STATUS_MAX_ENTRIES, or not a multiple of 8). */
int ac_status_list_new(uint64_t entries, struct ac_status_list **out);

/* Sets |*out| to a list rebuilt from what the store kept: |status| is the
 * 2-bit array (entries / 4 bytes, as ac_status_list_bytes()), |used| the
 * assignment bitmap (entries / 8 bytes, as ac_status_list_used_bytes()); both
 * are copied. Returns 0, AC_ENOMEM, AC_EINVAL (bad |entries| or lengths) or
 * AC_EPARSE (a status value 3, or a non-valid status on an unused index). */
int ac_status_list_load(uint64_t entries, const uint8_t *status, size_t status_len,
                        const uint8_t *used, size_t used_len, struct ac_status_list **out);

/* Frees |l|; NULL is a no-op. */
void ac_status_list_free(struct ac_status_list *l);

/* Returns the size a list should have to hold |assigned| entries at most half
 * full and to reach index |min_entries| - 1: AC_STATUS_MIN_ENTRIES doubled as
 * often as needed, capped at AC_STATUS_MAX_ENTRIES (a list that reaches the
 * cap may fill beyond half). */
uint64_t ac_status_entries_for(uint64_t assigned, uint64_t min_entries);

/* Grows |l| to |entries| entries (a valid size larger than today's); every
 * assigned index keeps its status, and the new entries are unused and valid.
 * Returns 0, AC_EINVAL or AC_ENOMEM (|l| unchanged). */
int ac_status_list_grow(struct ac_status_list *l, uint64_t entries);

/* Returns the number of entries, and of assigned entries. */
uint64_t ac_status_list_entries(const struct ac_status_list *l);
uint64_t ac_status_list_assigned(const struct ac_status_list *l);

/* Returns the 2-bit array (borrowed; valid until the next change), packed as
 * the Token Status List packs it: entry i in byte i / 4 at bit 2 * (i % 4),
 * least significant first. Sets |*len| to entries / 4. */
const uint8_t *ac_status_list_bytes(const struct ac_status_list *l, size_t *len);

/* Returns the assignment bitmap (borrowed): entry i used when bit i % 8 (least
 * significant first) of byte i / 8 is set. Sets |*len| to entries / 8. */
const uint8_t *ac_status_list_used_bytes(const struct ac_status_list *l, size_t *len);

/* Assigns an unused index chosen uniformly at random (so an index reveals
 * nothing about issuance order or volume), marks it used with status valid,
 * and sets |*index|. After 64 colliding draws it takes the next unused index
 * after a random point, so it always ends. Returns 0 or AC_E2BIG (full). */
int ac_status_list_assign(struct ac_status_list *l, uint64_t *index);

/* Sets |*out| to the status at |index|.
 * Returns 0, AC_EINVAL (index out of range) or AC_ENOENT (not assigned). */
int ac_status_list_get(const struct ac_status_list *l, uint64_t index, enum ac_status *out);

/* Changes the status at |index| to |s|. Setting the current value is a no-op.
 * Revocation is final; suspension is lifted by setting valid.
 * Returns 0, AC_EINVAL (index out of range or |s| not a status), AC_ENOENT
 * (not assigned) or AC_ECONFLICT (the entry is revoked). */
int ac_status_list_set(struct ac_status_list *l, uint64_t index, enum ac_status s);

/* Appends the 2-bit array compressed with DEFLATE in the ZLIB format at the
 * highest level, as the Token Status List's "lst" carries it.
 * Returns 0, AC_ENOMEM or AC_EIO (zlib failed). */
int ac_status_list_compress(const struct ac_status_list *l, struct ac_buf *out);

/* Inflates the ZLIB stream |z| (|len| bytes) into |out|, refusing output
 * longer than |max_out| (a decompression bomb) and trailing bytes.
 * Returns 0, AC_ENOMEM, AC_E2BIG or AC_EPARSE; |out| is unchanged on failure. */
int ac_status_inflate_zlib(const uint8_t *z, size_t len, size_t max_out, struct ac_buf *out);

/* Appends the W3C "encodedList" for |purpose|: 'u' then base64url without
 * padding of the GZIP-compressed bitstring, entry i at bit 7 - i % 8 of byte
 * i / 8 (the leftmost bit is index 0). Returns 0, AC_ENOMEM or AC_EIO. */
int ac_status_w3c_encode(const struct ac_status_list *l, enum ac_status_purpose purpose,
                         struct ac_buf *out);

/* Decodes a W3C "encodedList" into its bitstring, appended to |out|, refusing
 * more than |max_bytes| of it. Returns 0, AC_ENOMEM, AC_E2BIG or AC_EPARSE (no
 * 'u' prefix, bad base64url, not one GZIP member); |out| unchanged on failure. */
int ac_status_w3c_decode(const char *encoded, size_t len, size_t max_bytes, struct ac_buf *out);

/* Returns bit |index| of a W3C bitstring of |len| bytes (0 or 1), or -1 when
 * the index is past its end. */
int ac_status_w3c_bit(const uint8_t *bits, size_t len, uint64_t index);

/* ---- The Status List Token (draft-ietf-oauth-status-list §5.2) ----------
 * An untagged COSE_Sign1 (the draft forbids the tag) with protected header
 * {1: -8 (EdDSA), 4: kid, 16: "application/statuslist+cwt"} over the CWT
 * claims {2: sub, 6: iat, 4: exp, 65534: ttl, 65533: {"bits": 2, "lst": ZLIB
 * bytes}}. exp and ttl are left out when 0. */

#define AC_STATUS_TOKEN_TYP "application/statuslist+cwt"
#define AC_STATUS_TOKEN_KID_MAX 64

/* Signs |len| bytes of |msg| into |sig| with Ed25519; 0 or a negative AC_E*
 * code. Same shape as ac_note_sign_cb and ac_cose_sign_cb. */
typedef int (*ac_status_sign_cb)(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64]);

struct ac_status_token_claims {
    const char *sub; /* the URI the token is served at (the records' status uri) */
    int64_t iat;     /* seconds since the epoch */
    int64_t exp;     /* seconds since the epoch; 0: none */
    uint64_t ttl;    /* seconds a consumer may cache it; 0: none */
};

/* Appends to |out| the Status List Token of |l| with |claims|, signed through
 * |sign| by the key |kid| (1 to AC_STATUS_TOKEN_KID_MAX bytes). Returns 0,
 * AC_EINVAL (no sub, bad kid, negative iat/exp), AC_ENOMEM, AC_EIO or the code
 * |sign| returned; |out| is unchanged on failure. */
int ac_status_token_sign(const struct ac_status_list *l,
                         const struct ac_status_token_claims *claims, const uint8_t *kid,
                         size_t kid_len, ac_status_sign_cb sign, void *ctx, struct ac_buf *out);

/* A verified Status List Token. Release with ac_status_token_release(). */
struct ac_status_token {
    char *sub;        /* owned */
    int64_t iat, exp; /* exp 0 when absent */
    uint64_t ttl;     /* 0 when absent */
    unsigned bits;    /* 1, 2, 4 or 8 */
    uint8_t kid[AC_STATUS_TOKEN_KID_MAX];
    size_t kid_len;
    struct ac_buf list; /* owned; the decompressed status array */
};

/* Sets |kid| / |*kid_len| to the key id in |token|'s protected header, so the
 * caller can pick the key (it may be a retired one). Does not verify.
 * Returns 0 or AC_EPARSE. */
int ac_status_token_kid(const uint8_t *token, size_t len, uint8_t kid[AC_STATUS_TOKEN_KID_MAX],
                        size_t *kid_len);

/* Verifies |token| with the Ed25519 |public_key| and decodes it into |*out|,
 * which the caller releases. Strict: deterministic CBOR, untagged, typ
 * AC_STATUS_TOKEN_TYP, sub/iat/status_list present, bits one of 1/2/4/8, the
 * list at most AC_STATUS_MAX_ENTRIES entries, iat and exp at most
 * INT64_MAX / 1000 (so times in milliseconds cannot overflow). Expiry is the
 * caller's to judge
 * (it knows the time). Returns 0, AC_EPARSE (with |why|), AC_ECRYPTO (bad
 * signature), AC_E2BIG or AC_ENOMEM. */
int ac_status_token_open(const uint8_t *token, size_t len, const uint8_t public_key[32],
                         struct ac_status_token *out, char *why, size_t why_len);

/* Sets |*out| to the status value at |index| (for bits = 2 an enum ac_status;
 * other widths give the raw value). Returns 0 or AC_EINVAL (past the end). */
int ac_status_token_get(const struct ac_status_token *t, uint64_t index, unsigned *out);

/* Frees what |t| owns and zeroes it; NULL is a no-op. */
void ac_status_token_release(struct ac_status_token *t);

#endif
