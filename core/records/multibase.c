/* multibase.c - base58btc Multibase and Ed25519 Multikey decoding for Data
 * Integrity proofs (W3C Controlled Identifiers 1.0, Multibase and Multikey
 * sections). */
#include <string.h>

#include "accord/base/error.h"
#include "accord/records/multibase.h"

static const char b58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

int ac_multibase_b58_encode(const uint8_t *in, size_t len, char *out, size_t outlen)
{
    /* Base 58 digits, least significant first: len * log(256)/log(58) < 1.37. */
    uint8_t digits[180] = {0};
    size_t ndigits = 0, zeros = 0;
    if (len > 128)
        return AC_E2BIG;
    while (zeros < len && in[zeros] == 0)
        zeros++;
    for (size_t i = zeros; i < len; i++) {
        unsigned carry = in[i];
        for (size_t j = 0; j < ndigits; j++) {
            carry += (unsigned)digits[j] << 8;
            digits[j] = (uint8_t)(carry % 58);
            carry /= 58;
        }
        while (carry) {
            digits[ndigits++] = (uint8_t)(carry % 58);
            carry /= 58;
        }
    }
    if (outlen < 1 + zeros + ndigits + 1)
        return AC_E2BIG;
    size_t o = 0;
    out[o++] = 'z';
    for (size_t i = 0; i < zeros; i++)
        out[o++] = '1';
    for (size_t i = ndigits; i > 0; i--)
        out[o++] = b58[digits[i - 1]];
    out[o] = 0;
    return 0;
}

int ac_multibase_b58_decode(const char *s, uint8_t *out, size_t cap, size_t *len)
{
    uint8_t bytes[160] = {0}; /* least significant first */
    size_t nbytes = 0, zeros = 0;
    if (s[0] != 'z')
        return AC_EPARSE;
    s++;
    while (s[zeros] == '1')
        zeros++;
    if (strlen(s) > 200)
        return AC_EPARSE;
    for (const char *p = s + zeros; *p; p++) {
        const char *at = strchr(b58, *p);
        if (!at)
            return AC_EPARSE;
        unsigned carry = (unsigned)(at - b58);
        for (size_t j = 0; j < nbytes; j++) {
            carry += (unsigned)bytes[j] * 58;
            bytes[j] = (uint8_t)carry;
            carry >>= 8;
        }
        while (carry) {
            if (nbytes == sizeof bytes)
                return AC_EPARSE;
            bytes[nbytes++] = (uint8_t)carry;
            carry >>= 8;
        }
    }
    if (zeros + nbytes > cap)
        return AC_EPARSE;
    memset(out, 0, zeros);
    for (size_t i = 0; i < nbytes; i++)
        out[zeros + i] = bytes[nbytes - 1 - i];
    *len = zeros + nbytes;
    return 0;
}

static int multikey(const char *mb, uint8_t c0, uint8_t c1, uint8_t key[32])
{
    uint8_t buf[40];
    size_t n;
    if (ac_multibase_b58_decode(mb, buf, sizeof buf, &n) || n != 34 || buf[0] != c0 ||
        buf[1] != c1)
        return AC_EPARSE;
    memcpy(key, buf + 2, 32);
    return 0;
}

int ac_multikey_ed25519_public(const char *multibase, uint8_t public_key[32])
{
    return multikey(multibase, 0xed, 0x01, public_key);
}

int ac_multikey_ed25519_seed(const char *multibase, uint8_t seed[32])
{
    return multikey(multibase, 0x80, 0x26, seed);
}
