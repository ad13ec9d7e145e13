/* consortium.h - the consortium trust file and federation rights: a signed
 * list of member nodes (node id, base URL, Ed25519 keys with validity windows,
 * rights) under a serial number, so a node joins a consortium by being added
 * to the file once rather than by every member editing its configuration.
 *
 * The file is a tagged COSE_Sign1 whose protected header is
 * {1: -8, 3: AC_CONSORTIUM_CONTENT_TYPE, 4: kid} over the deterministic CBOR
 *   {"v": 1, "name": text, "serial": uint, "issued": ms,
 *    "members": [{"node": text, "url": text, "rights": [text...],
 *                 "keys": [{"key": bstr32, "nbf": ms, "exp": ms (0: open)}]}]}
 * signed by the consortium's key, which every member pins in its config. The
 * JSON form (for the operator's `accordctl consortium sign`) carries the same
 * fields with keys in lowercase hex and times in RFC 3339.
 *
 * Stateless and thread-safe; sodium_init() must have been called. */
#ifndef AC_TRUST_CONSORTIUM_H
#define AC_TRUST_CONSORTIUM_H

#include <stddef.h>
#include <stdint.h>

#include "accord/base/buf.h"
#include "accord/sign/cose.h"

#define AC_CONSORTIUM_CONTENT_TYPE "application/accord-consortium+cbor"
#define AC_CONSORTIUM_MAX_MEMBERS 4096
#define AC_CONSORTIUM_MAX_KEYS 16
#define AC_CONSORTIUM_NAME_MAX 64
#define AC_CONSORTIUM_URL_MAX 200
#define AC_CONSORTIUM_WHY_LEN 200

/* The rights a node grants a peer (bits). */
enum ac_right {
    AC_RIGHT_SUBMIT = 1 << 0,  /* send submissions for review */
    AC_RIGHT_LEND = 1 << 1,    /* lend reviewers to us */
    AC_RIGHT_CERTIFY = 1 << 2, /* certify reviewers for us */
    AC_RIGHT_ISSUER = 1 << 3,  /* be recognised as an issuer */
    AC_RIGHT_WITNESS = 1 << 4, /* witness our log */
};
#define AC_RIGHTS_ALL 0x1fu

/* Returns the name of the single right |bit| ("submit", ...) or NULL. */
const char *ac_right_name(unsigned bit);

/* Parses a comma-separated list of right names ("submit,witness"; "" and
 * "none" are no rights). Returns 0 and sets |*out|, or AC_EINVAL naming the
 * unknown right in |why|. */
int ac_rights_parse(const char *list, unsigned *out, char *why, size_t whylen);

/* Writes |rights| as a comma-separated list ("none" when empty) into |out|
 * (64 bytes always suffice). Returns |out|. */
char *ac_rights_format(unsigned rights, char *out, size_t size);

/* One key of a member and its window, in ms since the epoch. */
struct ac_member_key {
    uint8_t public_key[32];
    uint8_t kid[8];        /* derived: first 8 bytes of SHA-256(public_key) */
    int64_t not_before_ms; /* the key signs nothing before this */
    int64_t not_after_ms;  /* retired at this time; 0 while open */
};

struct ac_member {
    char node_id[65];
    char base_url[AC_CONSORTIUM_URL_MAX + 1];
    unsigned rights;
    struct ac_member_key keys[AC_CONSORTIUM_MAX_KEYS];
    size_t nkeys;
};

struct ac_consortium {
    char name[AC_CONSORTIUM_NAME_MAX + 1];
    uint64_t serial; /* >= 1; a node adopts only a higher one */
    int64_t issued_ms;
    struct ac_member *members; /* owned */
    size_t nmembers;
};

/* Frees |c|; NULL is a no-op. */
void ac_consortium_free(struct ac_consortium *c);

/* Parses the JSON form in |text| (|len| bytes). Sets |*out| to a consortium
 * the caller frees with ac_consortium_free(). Returns 0, AC_ENOMEM, or
 * AC_EINVAL with the member, field, value and rule in |why|, e.g.
 * members[1].keys[0].key: "ab" must be 64 hex digits (an Ed25519 public key). */
int ac_consortium_from_json(const char *text, size_t len, struct ac_consortium **out, char *why,
                            size_t whylen);

/* Appends the JSON form of |c| (pretty-printed, NUL-terminated) to |out|.
 * Returns 0 or AC_ENOMEM. */
int ac_consortium_to_json(const struct ac_consortium *c, struct ac_buf *out);

/* Appends to |out| the signed file for |c|, signed by |sign| for the key
 * |kid|. Returns 0, AC_EINVAL (|c| breaks a rule), AC_ENOMEM or what |sign|
 * returned; on failure |out| is unchanged. */
int ac_consortium_sign(const struct ac_consortium *c, const uint8_t *kid, size_t kid_len,
                       ac_cose_sign_cb sign, void *sign_ctx, struct ac_buf *out);

/* Parses the signed file at |data|, checks its content type, checks that its
 * kid is the one derived from |consortium_key| and that the signature verifies
 * with it over the exact bytes given, and only then decodes the members.
 * Sets |*out| (caller frees). Returns 0, AC_ENOMEM, AC_ECRYPTO (wrong key or
 * bad signature) or AC_EPARSE, with the reason in |why|. */
int ac_consortium_open(const uint8_t *data, size_t len, const uint8_t consortium_key[32],
                       struct ac_consortium **out, char *why, size_t whylen);

/* Returns the member |node_id| of |c| (borrowed) or NULL. */
const struct ac_member *ac_consortium_find(const struct ac_consortium *c, const char *node_id);

/* Returns 1 when |k| was valid at |ts_ms| (not_before <= ts, and ts <
 * not_after when the key is retired), else 0. */
int ac_member_key_valid_at(const struct ac_member_key *k, int64_t ts_ms);

#endif
