/* subject.c - the salted e-mail hash records name their earner by (Open
 * Badges 3.0 IdentityObject, identityHash "sha256$..."), and the e-mail
 * address rule the node applies before hashing. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/error.h"
#include "accord/records/subject.h"

static int refuse(char *why, size_t whylen, const char *rule, const char *email)
{
    if (why && whylen)
        snprintf(why, whylen, "email: \"%.80s\" %s", email, rule);
    return AC_EINVAL;
}

int ac_email_normalize(const char *email, char out[AC_EMAIL_MAX + 1], char *why, size_t whylen)
{
    if (!email)
        return refuse(why, whylen, "is missing; an e-mail address is required", "");
    const char *s = email, *e = email + strlen(email);
    while (s < e && (*s == ' ' || *s == '\t'))
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    size_t len = (size_t)(e - s);
    if (len < 3 || len > AC_EMAIL_MAX)
        return refuse(why, whylen, "must be 3 to 254 bytes long", email);
    const char *at = NULL;
    for (const char *p = s; p < e; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c == 0x7f || strchr("<>,;\"()[]\\", c))
            return refuse(why, whylen,
                          "has a space, a control byte or one of <>,;\"()[]\\, which an "
                          "address may not",
                          email);
        if (c == '@') {
            if (at)
                return refuse(why, whylen, "has more than one '@'", email);
            at = p;
        }
    }
    if (!at || at == s || at + 1 == e)
        return refuse(why, whylen, "must be local-part@domain", email);
    const char *dot = memchr(at + 1, '.', (size_t)(e - at - 1));
    if (!dot || dot == at + 1 || dot + 1 == e || e[-1] == '.')
        return refuse(why, whylen, "needs a domain with a dot, such as example.org", email);
    for (size_t i = 0; i < len; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    out[len] = '\0';
    return 0;
}

void ac_subject_salt_new(char out[AC_SUBJECT_SALT_LEN + 1])
{
    uint8_t raw[AC_SUBJECT_SALT_LEN / 2];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(out, AC_SUBJECT_SALT_LEN + 1, raw, sizeof raw);
}

void ac_subject_hash(const char *email, const char *salt, char out[AC_SUBJECT_HASH_BYTES])
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    /* Lowered a chunk at a time: addresses are short, but nothing here
     * assumes a limit. */
    uint8_t chunk[64];
    size_t fill = 0;
    for (const char *p = email; *p; p++) {
        chunk[fill++] = (uint8_t)tolower((unsigned char)*p);
        if (fill == sizeof chunk) {
            crypto_hash_sha256_update(&st, chunk, fill);
            fill = 0;
        }
    }
    crypto_hash_sha256_update(&st, chunk, fill);
    crypto_hash_sha256_update(&st, (const uint8_t *)salt, strlen(salt));
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, h);
    memcpy(out, "sha256$", 7);
    sodium_bin2hex(out + 7, AC_SUBJECT_HASH_BYTES - 7, h, sizeof h);
}

bool ac_subject_is_hashed(const char *subject)
{
    if (strncmp(subject, "sha256$", 7) != 0 || strlen(subject) != AC_SUBJECT_HASH_LEN)
        return false;
    for (const char *p = subject + 7; *p; p++)
        if (!isxdigit((unsigned char)*p))
            return false;
    return true;
}

bool ac_subject_matches(const char *subject, const char *email, const char *salt)
{
    if (!ac_subject_is_hashed(subject))
        return false;
    char want[AC_SUBJECT_HASH_BYTES], got[AC_SUBJECT_HASH_BYTES];
    ac_subject_hash(email, salt, want);
    for (size_t i = 0; i < AC_SUBJECT_HASH_BYTES; i++)
        got[i] = (char)tolower((unsigned char)subject[i]);
    return sodium_memcmp(want, got, AC_SUBJECT_HASH_LEN) == 0;
}
