/* subject.h - how a record names its earner: the Open Badges 3.0 salted
 * identity hash of the earner's verified e-mail address,
 *   "sha256$" + hex(SHA-256(lowercase(email) + salt)),
 * with a fresh random salt per record carried in the record (native claim
 * -65544, OB 3.0 IdentityObject.salt). A node-local user id never appears
 * in a record, and two records of one earner cannot be linked by their
 * subjects; whoever knows the address and holds the record can check the
 * binding. Stateless and thread-safe. */
#ifndef AC_RECORDS_SUBJECT_H
#define AC_RECORDS_SUBJECT_H

#include <stdbool.h>
#include <stddef.h>

/* "sha256$" + 64 hex digits + NUL. */
#define AC_SUBJECT_HASH_LEN 71
#define AC_SUBJECT_HASH_BYTES (AC_SUBJECT_HASH_LEN + 1)
/* A salt Accord makes: 16 random bytes as 32 lowercase hex digits. */
#define AC_SUBJECT_SALT_LEN 32
/* A salt read from a record may be up to this long (another issuer's). */
#define AC_SUBJECT_SALT_MAX 64
/* RFC 5321's limit on a forward path: 254 bytes of address. */
#define AC_EMAIL_MAX 254

/* Writes into |out| the lowercase form of e-mail address |email| with
 * surrounding white space cut, after checking it: 3-254 bytes, one '@' with
 * text on both sides, a dot in the domain, no control bytes, spaces, or
 * '<', '>', ',', ';', '"' (which would let an address smuggle another into a
 * mail header). Returns 0, or AC_EINVAL with |why| (may be NULL; |whylen|
 * bytes) naming the rule broken. */
int ac_email_normalize(const char *email, char out[AC_EMAIL_MAX + 1], char *why, size_t whylen);

/* Writes a fresh random salt (AC_SUBJECT_SALT_LEN hex digits + NUL). */
void ac_subject_salt_new(char out[AC_SUBJECT_SALT_LEN + 1]);

/* Writes "sha256$" + hex(SHA-256(lowercase(|email|) + |salt|)) into |out|.
 * Only ASCII letters are lowered (IDNA and the local part's case are left
 * to whoever verified the address); |email| is hashed otherwise as given. */
void ac_subject_hash(const char *email, const char *salt, char out[AC_SUBJECT_HASH_BYTES]);

/* True when |subject| is the salted hash of |email| with |salt|. Compares in
 * constant time; |subject| in upper- or lowercase hex is accepted. */
bool ac_subject_matches(const char *subject, const char *email, const char *salt);

/* True when |subject| has the form "sha256$" + 64 hex digits. */
bool ac_subject_is_hashed(const char *subject);

#endif
