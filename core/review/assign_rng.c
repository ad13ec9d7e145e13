/* assign_rng.c - the random source of assignment and seeding: seeded xoshiro256**
 * for reproducible tests, libsodium's randombytes in production. */
#include "accord/review/assign.h"

#include <sodium.h>

#include "accord/base/error.h"

/* splitmix64 and xoshiro256** as published by Blackman and Vigna,
 * https://prng.di.unimi.it/ ("Scrambled linear pseudorandom number generators",
 * ACM TOMS 2021); splitmix64 expands one seed into the four state words. */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t v, int k)
{
    return (v << k) | (v >> (64 - k));
}

static uint64_t next64(struct ac_assign_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

void ac_assign_rng_seed(struct ac_assign_rng *rng, uint64_t seed)
{
    rng->sodium = false;
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&seed);
}

int ac_assign_rng_sodium(struct ac_assign_rng *rng)
{
    if (sodium_init() < 0)
        return AC_ECRYPTO;
    rng->sodium = true;
    return 0;
}

static uint32_t next32(struct ac_assign_rng *rng)
{
    return rng->sodium ? randombytes_random() : (uint32_t)(next64(rng) >> 32);
}

uint32_t ac_assign_rng_below(struct ac_assign_rng *rng, uint32_t upper)
{
    if (upper < 2)
        return 0;
    if (rng->sodium)
        return randombytes_uniform(upper);
    /* Rejection of the short top range keeps every value equally likely. */
    uint32_t floor = (uint32_t)(-upper) % upper;
    for (;;) {
        uint32_t v = next32(rng);
        if (v >= floor)
            return v % upper;
    }
}

bool ac_assign_rng_chance(struct ac_assign_rng *rng, double p)
{
    if (p <= 0)
        return false;
    if (p >= 1)
        return true;
    return (double)next32(rng) < p * 4294967296.0;
}
