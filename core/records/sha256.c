/* sha256.c - SHA-256 with the x86-64 SHA extensions, falling back to
 * libsodium's portable code. libsodium 1.0.18 (Debian 12) has no SHA-NI
 * path, and on the OB 3.0 verify path SHA-256 of the canonical N-Quads cost
 * two thirds of the Ed25519 check itself (docs/ob3.md, "Performance"); the
 * extensions do the same rounds in hardware. Only the block function is
 * ours: padding and length follow FIPS 180-4, and unit.core.records.sha256
 * checks every length from 0 to 1,000 bytes, in pieces, against libsodium. */
#include "accord/records/sha256.h"

#include <stdatomic.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_NI_CODE 1
#endif

/* Atomics: the node hashes on more than one thread; either thread may
 * detect first, and both find the same answer. */
static atomic_int forced_portable;
static atomic_int detected = -1;

void ac_sha256_force_portable(int off)
{
    forced_portable = off;
}

int ac_sha256_accelerated(void)
{
    if (forced_portable)
        return 0;
    if (atomic_load(&detected) < 0) {
        int ok = 0;
#ifdef HAVE_NI_CODE
        unsigned a, b, c, d;
        /* SHA (leaf 7 EBX bit 29), SSSE3 (leaf 1 ECX bit 9), SSE4.1 (bit 19). */
        if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 9)) && (c & (1u << 19)) &&
            __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29)))
            ok = 1;
#endif
        atomic_store(&detected, ok);
        return ok;
    }
    return atomic_load(&detected);
}

#ifdef HAVE_NI_CODE
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* |blocks| 64-byte blocks into |h|. The rounds instruction wants the state
 * as ABEF and CDGH halves, hence the shuffles either side. */
__attribute__((target("sha,sse4.1,ssse3"))) static void blocks_ni(uint32_t h[8], const uint8_t *p,
                                                                  size_t blocks)
{
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    __m128i tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[0]), 0xB1);
    __m128i s1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[4]), 0x1B);
    __m128i s0 = _mm_alignr_epi8(tmp, s1, 8);
    s1 = _mm_blend_epi16(s1, tmp, 0xF0);
    for (; blocks; blocks--, p += 64) {
        __m128i save0 = s0, save1 = s1, w[16];
        for (int g = 0; g < 16; g++) {
            if (g < 4) {
                w[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * g)), bswap);
            } else {
                __m128i t = _mm_sha256msg1_epu32(w[g - 4], w[g - 3]);
                t = _mm_add_epi32(t, _mm_alignr_epi8(w[g - 1], w[g - 2], 4));
                w[g] = _mm_sha256msg2_epu32(t, w[g - 1]);
            }
            __m128i m = _mm_add_epi32(w[g], _mm_loadu_si128((const __m128i *)&K[4 * g]));
            s1 = _mm_sha256rnds2_epu32(s1, s0, m);
            s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(m, 0x0E));
        }
        s0 = _mm_add_epi32(s0, save0);
        s1 = _mm_add_epi32(s1, save1);
    }
    tmp = _mm_shuffle_epi32(s0, 0x1B);
    s1 = _mm_shuffle_epi32(s1, 0xB1);
    s0 = _mm_blend_epi16(tmp, s1, 0xF0);
    s1 = _mm_alignr_epi8(s1, tmp, 8);
    _mm_storeu_si128((__m128i *)&h[0], s0);
    _mm_storeu_si128((__m128i *)&h[4], s1);
}
#else
static void blocks_ni(uint32_t h[8], const uint8_t *p, size_t blocks)
{
    (void)h, (void)p, (void)blocks; /* never called: ac_sha256_accelerated() is 0 */
}
#endif

void ac_sha256_init(struct ac_sha256 *st)
{
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    st->ni = ac_sha256_accelerated();
    if (!st->ni) {
        crypto_hash_sha256_init(&st->lib);
        return;
    }
    memcpy(st->h, iv, sizeof iv);
    st->bytes = 0;
    st->fill = 0;
}

void ac_sha256_update(struct ac_sha256 *st, const void *data, size_t len)
{
    const uint8_t *p = data;
    if (!st->ni) {
        crypto_hash_sha256_update(&st->lib, p, len);
        return;
    }
    st->bytes += len;
    if (st->fill) {
        size_t take = 64 - st->fill < len ? 64 - st->fill : len;
        memcpy(st->buf + st->fill, p, take);
        st->fill += take;
        p += take;
        len -= take;
        if (st->fill < 64)
            return;
        blocks_ni(st->h, st->buf, 1);
        st->fill = 0;
    }
    if (len >= 64) {
        blocks_ni(st->h, p, len / 64);
        p += len - len % 64;
        len %= 64;
    }
    memcpy(st->buf, p, len);
    st->fill = len;
}

void ac_sha256_final(struct ac_sha256 *st, uint8_t out[32])
{
    if (!st->ni) {
        crypto_hash_sha256_final(&st->lib, out);
        return;
    }
    uint64_t bits = st->bytes * 8;
    st->buf[st->fill++] = 0x80;
    if (st->fill > 56) {
        memset(st->buf + st->fill, 0, 64 - st->fill);
        blocks_ni(st->h, st->buf, 1);
        st->fill = 0;
    }
    memset(st->buf + st->fill, 0, 56 - st->fill);
    for (int i = 0; i < 8; i++)
        st->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
    blocks_ni(st->h, st->buf, 1);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(st->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(st->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(st->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)st->h[i];
    }
    sodium_memzero(st, sizeof *st);
}

void ac_sha256(uint8_t out[32], const void *data, size_t len)
{
    struct ac_sha256 st;
    ac_sha256_init(&st);
    ac_sha256_update(&st, data, len);
    ac_sha256_final(&st, out);
}
