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

/* The value of base58btc digit |c|, or -1. */
static int b58_value(unsigned char c)
{
    if (c >= '1' && c <= '9')
        return c - '1';
    if (c >= 'A' && c <= 'H')
        return c - 'A' + 9;
    if (c >= 'J' && c <= 'N')
        return c - 'J' + 17;
    if (c >= 'P' && c <= 'Z')
        return c - 'P' + 22;
    if (c >= 'a' && c <= 'k')
        return c - 'a' + 33;
    if (c >= 'm' && c <= 'z')
        return c - 'm' + 44;
    return -1;
}

int ac_multibase_b58_decode(const char *s, uint8_t *out, size_t cap, size_t *len)
{
    /* A verifier decodes a proof value and a key per credential: the number
     * is built in 32-bit limbs, five digits (58^5 < 2^32) at a time. */
    uint32_t limbs[40] = {0}; /* least significant first; 160 bytes as before */
    size_t nlimbs = 0, zeros = 0;
    if (s[0] != 'z')
        return AC_EPARSE;
    s++;
    while (s[zeros] == '1')
        zeros++;
    if (strlen(s) > 200)
        return AC_EPARSE;
    for (const char *p = s + zeros; *p;) {
        uint32_t mul = 1, add = 0;
        for (int k = 0; k < 5 && *p; k++, p++) {
            int v = b58_value((unsigned char)*p);
            if (v < 0)
                return AC_EPARSE;
            mul *= 58;
            add = add * 58 + (uint32_t)v;
        }
        uint64_t carry = add;
        for (size_t j = 0; j < nlimbs; j++) {
            carry += (uint64_t)limbs[j] * mul;
            limbs[j] = (uint32_t)carry;
            carry >>= 32;
        }
        if (carry) {
            if (nlimbs == sizeof limbs / sizeof limbs[0])
                return AC_EPARSE;
            limbs[nlimbs++] = (uint32_t)carry;
        }
    }
    size_t nbytes = 4 * nlimbs;
    while (nbytes > 0 && ((limbs[(nbytes - 1) / 4] >> (8 * ((nbytes - 1) % 4))) & 0xff) == 0)
        nbytes--;
    if (zeros + nbytes > cap)
        return AC_EPARSE;
    memset(out, 0, zeros);
    for (size_t i = 0; i < nbytes; i++) {
        size_t b = nbytes - 1 - i;
        out[zeros + i] = (uint8_t)(limbs[b / 4] >> (8 * (b % 4)));
    }
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
