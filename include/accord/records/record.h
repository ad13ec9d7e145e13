/* record.h - the native earned-credential record: a tagged COSE_Sign1 (see
 * cose.h) whose payload is a deterministic CBOR CWT claims set (RFC 8392) with
 * the Token Status List `status` claim and Accord's credential claims.
 *
 * Claim keys (docs/records.md has the full table):
 *   1 iss (text), 2 sub (text), 4 exp, 5 nbf, 6 iat (NumericDate, seconds), 7 cti
 *   (16 bytes), 65535 status {"status_list": {"idx": uint, "uri": text}}
 *   (draft-ietf-oauth-status-list's CWT claim), and private-use keys (RFC 8392
 *   §9.1: below -65536): -65537 definition id, -65538 definition version,
 *   -65539 definition content hash (SHA-256), -65540 achieved level,
 *   -65541 CEUs in hundredths, -65542 evidence summary, -65543 log index,
 *   -65544 the salt of a "sha256$" subject (subject.h).
 * Stateless and thread-safe. */
#ifndef AC_RECORD_H
#define AC_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accord/base/buf.h"
#include "accord/sign/cose.h"
#include "accord/sign/keyring.h"

#define AC_CWT_ISS 1
#define AC_CWT_SUB 2
#define AC_CWT_EXP 4
#define AC_CWT_NBF 5
#define AC_CWT_IAT 6
#define AC_CWT_CTI 7
#define AC_CWT_STATUS 65535
#define AC_CLAIM_DEFINITION_ID (-65537)
#define AC_CLAIM_DEFINITION_VERSION (-65538)
#define AC_CLAIM_CONTENT_HASH (-65539)
#define AC_CLAIM_ACHIEVED_LEVEL (-65540)
#define AC_CLAIM_CEU_HUNDREDTHS (-65541)
#define AC_CLAIM_EVIDENCE (-65542)
#define AC_CLAIM_LOG_INDEX (-65543)
#define AC_CLAIM_SUBJECT_SALT (-65544)

/* Length limits (bytes, without terminator); they keep a record QR-sized. */
#define AC_RECORD_ISS_MAX 200
#define AC_RECORD_SUB_MAX 100
#define AC_RECORD_DEF_ID_MAX 64
#define AC_RECORD_LEVEL_MAX 32
#define AC_RECORD_EVIDENCE_MAX 280
#define AC_RECORD_URI_MAX 200
#define AC_RECORD_CTI_BYTES 16
#define AC_RECORD_HASH_BYTES 32
#define AC_RECORD_SALT_MAX 64
#define AC_RECORD_WHY_LEN 192

/* The claims of one record, by value. Text fields are NUL-terminated UTF-8. */
struct ac_record {
    char iss[AC_RECORD_ISS_MAX + 1]; /* issuer: the node's base URL or DID */
    char sub[AC_RECORD_SUB_MAX + 1]; /* subject: the earner's salted identifier */
    /* The salt of |sub| when it is "sha256$..." (records/subject.h); empty =
     * absent. */
    char subject_salt[AC_RECORD_SALT_MAX + 1];
    int64_t iat;                     /* issued at, seconds since the epoch */
    bool has_nbf;
    int64_t nbf; /* not before, seconds */
    bool has_exp;
    int64_t exp; /* expires, seconds (Accord's issuer sets none: a credential
                  * earned stays earned; a verifier honours one if present) */
    uint8_t cti[AC_RECORD_CTI_BYTES];
    char definition_id[AC_RECORD_DEF_ID_MAX + 1];
    uint64_t definition_version;
    uint8_t content_hash[AC_RECORD_HASH_BYTES]; /* SHA-256 of the definition */
    char achieved_level[AC_RECORD_LEVEL_MAX + 1];
    bool has_ceu;
    uint64_t ceu_hundredths;                   /* 150 = 1.5 CEUs */
    char evidence[AC_RECORD_EVIDENCE_MAX + 1]; /* empty = absent */
    bool has_log_index;
    uint64_t log_index;
    bool has_status;
    uint64_t status_idx;
    char status_uri[AC_RECORD_URI_MAX + 1];
};

/* Appends the deterministic CBOR claims set of |rec| to |out|. Returns 0,
 * AC_ENOMEM, or AC_EINVAL when a required text field is empty or any text is
 * not valid UTF-8; on failure |out| is unchanged. */
int ac_record_encode_claims(const struct ac_record *rec, struct ac_buf *out);

/* Appends the signed record (tagged COSE_Sign1 over the claims) to |out|,
 * signed by |sign| for the key |kid| (see ac_cose_sign1()). Returns 0,
 * AC_EINVAL, AC_ENOMEM or what |sign| returned; |out| unchanged on failure. */
int ac_record_sign(const struct ac_record *rec, const uint8_t *kid, size_t kid_len,
                   ac_cose_sign_cb sign, void *sign_ctx, struct ac_buf *out);

/* Parses a signed record strictly WITHOUT checking its signature: the COSE
 * layer (ac_cose_sign1_parse(), plus an empty unprotected header and a
 * protected kid: nothing unsigned may ride along), then the claims: deterministic CBOR map,
 * every required claim present (iss, sub, iat, cti, definition id, version,
 * content hash, achieved level) with the right type and within its limit.
 * Unknown claims are ignored, as RFC 8392 §3 asks. Sets |*rec| and |*msg|
 * (which borrows |data|) on success. Returns 0 or AC_EPARSE with the reason
 * in |why| (if not NULL) naming the claim, e.g. "claim iat (6): expected an
 * unsigned integer". */
int ac_record_decode(const uint8_t *data, size_t len, struct ac_record *rec,
                     struct ac_cose_sign1 *msg, char *why, size_t whylen);

/* Returns true when |key| was the signing key at |iat| (seconds): from the
 * second its window opened until before it was retired. Windows are in ms;
 * the start is rounded down to whole seconds because iat is. */
bool ac_record_key_valid_at(const struct ac_key_info *key, int64_t iat);

#endif
