/* test_merkle.c - tests core/merkle.c against published RFC 6962/9162 test data
 * and against an independent Python implementation (vectors/merkle_vectors.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "accord/base/error.h"
#include "accord/records/merkle.h"

#define H AC_MERKLE_HASH_BYTES

/* The eight-leaf reference log of the Certificate Transparency test suites, as
 * published in transparency-dev/merkle proof/verify_test.go ("leaves", "roots",
 * "inclusionProofs", "consistencyProofs"; RFC 6962 hashing = RFC 9162 §2.1). */
static const char *const ct_leaves_hex[8] = {
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
};
static const char *const ct_roots_hex[8] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};
static const char *const empty_tree_hex =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct vector {
    uint64_t a, b; /* leaf index and size, or old and new size */
    size_t count;
    const char *hash[4];
};

/* verify_test.go lists leaf numbers from 1; these are the same proofs with
 * 0-based indexes. */
static const struct vector ct_inclusion[] = {
    {0,
     8,
     3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {5,
     8,
     3,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 3, 1, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {1,
     5,
     3,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};
static const struct vector ct_consistency[] = {
    {1,
     8,
     3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6,
     8,
     3,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2,
     5,
     2,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {6,
     7,
     3,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(1, sscanf(hex + 2 * i, "%2x", &v));
        out[i] = (uint8_t)v;
    }
    return n;
}

static void assert_hash_hex(const char *hex, const uint8_t h[H])
{
    uint8_t want[H];
    assert_int_equal(H, unhex(hex, want));
    assert_memory_equal(want, h, H);
}

/* A log held in memory: leaf hashes, with counters so tests can see what the
 * generator asked for. */
struct mem_log {
    uint64_t size;
    uint8_t leaf[80][H];
    int fail_at;        /* leaf index whose read fails with AC_EIO; -1 none */
    int subtree_calls;  /* how often the subtree cache was consulted */
    int subtree_answer; /* 1: answer from the cache; 0: say AC_ENOENT */
};

static int mem_leaf(void *ctx, uint64_t index, uint8_t out[H])
{
    struct mem_log *l = ctx;
    assert_true(index < l->size);
    if ((int)index == l->fail_at)
        return AC_EIO;
    memcpy(out, l->leaf[index], H);
    return 0;
}

static int mem_subtree(void *ctx, uint64_t start, uint64_t size, uint8_t out[H]);

static struct ac_merkle_source mem_source(struct mem_log *l)
{
    struct ac_merkle_source s = {mem_leaf, NULL, l};
    return s;
}

static int mem_subtree(void *ctx, uint64_t start, uint64_t size, uint8_t out[H])
{
    struct mem_log *l = ctx;
    l->subtree_calls++;
    assert_true(size >= 2 && (size & (size - 1)) == 0 && start % size == 0);
    if (!l->subtree_answer)
        return AC_ENOENT;
    /* A cache computed the slow way, from leaves, by the code under test's
     * leaf-only path; the test checks the answers agree with it. */
    struct mem_log sub = *l;
    sub.size = size;
    memcpy(sub.leaf, l->leaf + start, (size_t)size * H);
    struct ac_merkle_source s = mem_source(&sub);
    return ac_merkle_root(&s, size, out);
}

static void ct_log(struct mem_log *l, uint64_t size)
{
    memset(l, 0, sizeof *l);
    l->fail_at = -1;
    l->size = size;
    for (uint64_t i = 0; i < size; i++) {
        uint8_t data[16];
        size_t n = unhex(ct_leaves_hex[i], data);
        ac_merkle_leaf_hash(data, n, l->leaf[i]);
    }
}

static void accord_log(struct mem_log *l, uint64_t size)
{
    memset(l, 0, sizeof *l);
    l->fail_at = -1;
    l->size = size;
    for (uint64_t i = 0; i < size; i++) {
        char data[32];
        int n = snprintf(data, sizeof data, "accord-leaf-%llu", (unsigned long long)i);
        ac_merkle_leaf_hash((const uint8_t *)data, (size_t)n, l->leaf[i]);
    }
}

static struct ac_merkle_proof proof_of(const struct vector *v)
{
    struct ac_merkle_proof p;
    p.count = v->count;
    for (size_t i = 0; i < v->count; i++)
        unhex(v->hash[i], p.hash[i]);
    return p;
}

static void test_the_empty_leaf_hashes_to_the_published_size_one_root(void **state)
{
    (void)state;
    uint8_t h[H];
    ac_merkle_leaf_hash((const uint8_t *)"", 0, h);
    assert_hash_hex(ct_roots_hex[0], h);
}

static void test_the_empty_tree_head_is_the_hash_of_nothing(void **state)
{
    (void)state;
    struct mem_log l;
    ct_log(&l, 0);
    struct ac_merkle_source s = mem_source(&l);
    uint8_t root[H];
    assert_int_equal(0, ac_merkle_root(&s, 0, root));
    assert_hash_hex(empty_tree_hex, root);
}

static void test_tree_heads_match_the_published_roots_for_every_size(void **state)
{
    (void)state;
    struct mem_log l;
    ct_log(&l, 8);
    struct ac_merkle_source s = mem_source(&l);
    for (uint64_t n = 1; n <= 8; n++) {
        uint8_t root[H];
        assert_int_equal(0, ac_merkle_root(&s, n, root));
        assert_hash_hex(ct_roots_hex[n - 1], root);
    }
}

static void test_inclusion_proofs_match_the_published_ones(void **state)
{
    (void)state;
    struct mem_log l;
    ct_log(&l, 8);
    struct ac_merkle_source s = mem_source(&l);
    for (size_t i = 0; i < sizeof ct_inclusion / sizeof ct_inclusion[0]; i++) {
        const struct vector *v = &ct_inclusion[i];
        struct ac_merkle_proof got, want = proof_of(v);
        assert_int_equal(0, ac_merkle_inclusion_proof(&s, v->a, v->b, &got));
        assert_int_equal(want.count, got.count);
        assert_memory_equal(want.hash, got.hash, want.count * H);
        uint8_t root[H];
        unhex(ct_roots_hex[v->b - 1], root);
        assert_int_equal(0, ac_merkle_verify_inclusion(l.leaf[v->a], v->a, v->b, &want, root));
    }
}

static void test_consistency_proofs_match_the_published_ones(void **state)
{
    (void)state;
    struct mem_log l;
    ct_log(&l, 8);
    struct ac_merkle_source s = mem_source(&l);
    for (size_t i = 0; i < sizeof ct_consistency / sizeof ct_consistency[0]; i++) {
        const struct vector *v = &ct_consistency[i];
        struct ac_merkle_proof got, want = proof_of(v);
        assert_int_equal(0, ac_merkle_consistency_proof(&s, v->a, v->b, &got));
        assert_int_equal(want.count, got.count);
        assert_memory_equal(want.hash, got.hash, want.count * H);
        uint8_t r1[H], r2[H];
        unhex(ct_roots_hex[v->a - 1], r1);
        unhex(ct_roots_hex[v->b - 1], r2);
        assert_int_equal(0, ac_merkle_verify_consistency(v->a, v->b, &want, r1, r2));
    }
}

/* SHA-256 via the same primitive the vector script uses, so the digest lines
 * compare: one length byte, then the hashes. */
static void digest_add(crypto_hash_sha256_state *st, const struct ac_merkle_proof *p)
{
    uint8_t len = (uint8_t)p->count;
    crypto_hash_sha256_update(st, &len, 1);
    for (size_t i = 0; i < p->count; i++)
        crypto_hash_sha256_update(st, p->hash[i], H);
}

static void digest_hex(crypto_hash_sha256_state *st, char out[2 * H + 1])
{
    uint8_t d[H];
    crypto_hash_sha256_final(st, d);
    sodium_bin2hex(out, 2 * H + 1, d, H);
}

static void test_every_root_and_proof_up_to_64_leaves_matches_the_python_vectors(void **state)
{
    (void)state;
    FILE *f = fopen("vectors/merkle_vectors.txt", "r");
    assert_non_null(f);
    struct mem_log l;
    accord_log(&l, 64);
    struct ac_merkle_source s = mem_source(&l);
    char line[512];
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        unsigned n;
        char root_hex[65], inc_hex[65], con_hex[65];
        assert_int_equal(4, sscanf(line, "%u %64s %64s %64s", &n, root_hex, inc_hex, con_hex));
        uint8_t root[H];
        assert_int_equal(0, ac_merkle_root(&s, n, root));
        assert_hash_hex(root_hex, root);

        crypto_hash_sha256_state st;
        char got[2 * H + 1];
        crypto_hash_sha256_init(&st);
        for (unsigned i = 0; i < n; i++) {
            struct ac_merkle_proof p;
            assert_int_equal(0, ac_merkle_inclusion_proof(&s, i, n, &p));
            digest_add(&st, &p);
        }
        digest_hex(&st, got);
        assert_string_equal(inc_hex, got);

        crypto_hash_sha256_init(&st);
        for (unsigned m = 0; m <= n; m++) {
            struct ac_merkle_proof p;
            assert_int_equal(0, ac_merkle_consistency_proof(&s, m, n, &p));
            digest_add(&st, &p);
        }
        digest_hex(&st, got);
        assert_string_equal(con_hex, got);
        rows++;
    }
    fclose(f);
    assert_int_equal(64, rows);
}

static void test_every_inclusion_proof_up_to_64_leaves_verifies(void **state)
{
    (void)state;
    struct mem_log l;
    accord_log(&l, 64);
    struct ac_merkle_source s = mem_source(&l);
    for (uint64_t n = 1; n <= 64; n++) {
        uint8_t root[H];
        assert_int_equal(0, ac_merkle_root(&s, n, root));
        for (uint64_t i = 0; i < n; i++) {
            struct ac_merkle_proof p;
            assert_int_equal(0, ac_merkle_inclusion_proof(&s, i, n, &p));
            assert_int_equal(0, ac_merkle_verify_inclusion(l.leaf[i], i, n, &p, root));
        }
    }
}

static void test_every_consistency_proof_up_to_64_leaves_verifies(void **state)
{
    (void)state;
    struct mem_log l;
    accord_log(&l, 64);
    struct ac_merkle_source s = mem_source(&l);
    uint8_t roots[65][H];
    for (uint64_t n = 0; n <= 64; n++)
        assert_int_equal(0, ac_merkle_root(&s, n, roots[n]));
    for (uint64_t n = 0; n <= 64; n++)
        for (uint64_t m = 0; m <= n; m++) {
            struct ac_merkle_proof p;
            assert_int_equal(0, ac_merkle_consistency_proof(&s, m, n, &p));
            assert_int_equal(0, ac_merkle_verify_consistency(m, n, &p, roots[m], roots[n]));
        }
}

static int inclusion_ok(const struct mem_log *l, uint64_t i, uint64_t n,
                        const struct ac_merkle_proof *p, const uint8_t root[H])
{
    return ac_merkle_verify_inclusion(l->leaf[i % l->size], i, n, p, root) == 0;
}

static void test_a_corrupted_inclusion_proof_never_verifies(void **state)
{
    (void)state;
    struct mem_log l;
    accord_log(&l, 64);
    struct ac_merkle_source s = mem_source(&l);
    for (uint64_t n = 2; n <= 40; n++) {
        uint8_t root[H];
        assert_int_equal(0, ac_merkle_root(&s, n, root));
        for (uint64_t i = 0; i < n; i++) {
            struct ac_merkle_proof p, bad;
            assert_int_equal(0, ac_merkle_inclusion_proof(&s, i, n, &p));
            for (size_t k = 0; k < p.count; k++) { /* one bit of one hash */
                bad = p;
                bad.hash[k][k % H] ^= 0x08;
                assert_false(inclusion_ok(&l, i, n, &bad, root));
            }
            bad = p; /* a hash removed */
            bad.count--;
            assert_false(inclusion_ok(&l, i, n, &bad, root));
            bad = p; /* a hash added */
            memcpy(bad.hash[bad.count++], root, H);
            assert_false(inclusion_ok(&l, i, n, &bad, root));
            /* Another leaf, at its own index or this one. */
            assert_int_equal(AC_ECRYPTO,
                             ac_merkle_verify_inclusion(l.leaf[(i + 1) % n], i, n, &p, root));
            if (i + 1 < n)
                assert_false(ac_merkle_verify_inclusion(l.leaf[i], i + 1, n, &p, root) == 0);
            assert_false(ac_merkle_verify_inclusion(l.leaf[i], i, n * 2, &p, root) == 0);
            assert_int_equal(AC_EINVAL, ac_merkle_verify_inclusion(l.leaf[i], n, n, &p, root));
        }
    }
}

static void test_a_corrupted_consistency_proof_never_verifies(void **state)
{
    (void)state;
    struct mem_log l;
    accord_log(&l, 64);
    struct ac_merkle_source s = mem_source(&l);
    uint8_t roots[41][H];
    for (uint64_t n = 0; n <= 40; n++)
        assert_int_equal(0, ac_merkle_root(&s, n, roots[n]));
    for (uint64_t n = 2; n <= 40; n++)
        for (uint64_t m = 1; m < n; m++) {
            struct ac_merkle_proof p, bad;
            assert_int_equal(0, ac_merkle_consistency_proof(&s, m, n, &p));
            for (size_t k = 0; k < p.count; k++) {
                bad = p;
                bad.hash[k][(k * 7) % H] ^= 0x10;
                assert_int_not_equal(0,
                                     ac_merkle_verify_consistency(m, n, &bad, roots[m], roots[n]));
            }
            bad = p;
            bad.count--;
            assert_int_not_equal(0, ac_merkle_verify_consistency(m, n, &bad, roots[m], roots[n]));
            bad = p;
            memcpy(bad.hash[bad.count++], roots[n], H);
            assert_int_not_equal(0, ac_merkle_verify_consistency(m, n, &bad, roots[m], roots[n]));
            assert_int_not_equal(0, ac_merkle_verify_consistency(m, n, &p, roots[n], roots[m]));
            assert_int_not_equal(
                0, ac_merkle_verify_consistency(m - 1, n, &p, roots[m - 1], roots[n]));
            assert_int_not_equal(
                0, ac_merkle_verify_consistency(m, n - 1, &p, roots[m], roots[n - 1]));
            /* A forked history: the same sizes, a different old root. */
            assert_int_not_equal(0, ac_merkle_verify_consistency(m, n, &p, roots[m - 1], roots[n]));
        }
}

static void test_trivial_consistency_cases_follow_rfc_9162(void **state)
{
    (void)state;
    struct ac_merkle_proof empty = {.count = 0}, one = {.count = 1};
    uint8_t a[H], b[H];
    memset(a, 0xaa, H);
    memset(b, 0xbb, H);
    memset(one.hash[0], 0xcc, H);
    uint8_t e[H];
    unhex(empty_tree_hex, e);
    assert_int_equal(0, ac_merkle_verify_consistency(0, 0, &empty, e, e));
    assert_int_equal(0, ac_merkle_verify_consistency(0, 5, &empty, e, b));
    assert_int_equal(0, ac_merkle_verify_consistency(3, 3, &empty, b, b));
    assert_int_equal(AC_ECRYPTO, ac_merkle_verify_consistency(3, 3, &empty, a, b));
    assert_int_equal(AC_EINVAL, ac_merkle_verify_consistency(3, 3, &one, a, a));
    assert_int_equal(AC_EINVAL, ac_merkle_verify_consistency(0, 5, &one, e, b));
    assert_int_equal(AC_EINVAL, ac_merkle_verify_consistency(2, 1, &empty, a, b));
    assert_int_equal(AC_EINVAL, ac_merkle_verify_consistency(1, 2, &empty, a, b));
}

static void test_a_size_zero_tree_with_another_head_than_the_empty_hash_is_no_tree(void **state)
{
    (void)state;
    /* RFC 9162 §2.1.1: the empty tree's head is SHA-256 of nothing; a
     * "size 0" checkpoint with another root cannot be extended by anything. */
    struct ac_merkle_proof empty = {.count = 0};
    uint8_t a[H], b[H];
    memset(a, 0xaa, H);
    memset(b, 0xbb, H);
    assert_int_equal(AC_ECRYPTO, ac_merkle_verify_consistency(0, 0, &empty, a, a));
    assert_int_equal(AC_ECRYPTO, ac_merkle_verify_consistency(0, 5, &empty, a, b));
}

static void test_proof_requests_outside_the_tree_are_refused(void **state)
{
    (void)state;
    struct mem_log l;
    accord_log(&l, 8);
    struct ac_merkle_source s = mem_source(&l);
    struct ac_merkle_proof p;
    assert_int_equal(AC_EINVAL, ac_merkle_inclusion_proof(&s, 8, 8, &p));
    assert_int_equal(AC_EINVAL, ac_merkle_inclusion_proof(&s, 0, 0, &p));
    assert_int_equal(AC_EINVAL, ac_merkle_consistency_proof(&s, 9, 8, &p));
}

static void test_a_failing_leaf_read_fails_the_proof_with_its_code(void **state)
{
    (void)state;
    struct mem_log l;
    accord_log(&l, 20);
    l.fail_at = 17;
    struct ac_merkle_source s = mem_source(&l);
    struct ac_merkle_proof p;
    p.count = 99;
    uint8_t root[H];
    assert_int_equal(AC_EIO, ac_merkle_inclusion_proof(&s, 3, 20, &p));
    assert_int_equal(99, p.count); /* out-param untouched on failure */
    assert_int_equal(AC_EIO, ac_merkle_consistency_proof(&s, 5, 20, &p));
    assert_int_equal(AC_EIO, ac_merkle_root(&s, 20, root));
}

static void test_a_subtree_cache_gives_the_same_proofs_as_leaves(void **state)
{
    (void)state;
    struct mem_log l;
    accord_log(&l, 64);
    struct ac_merkle_source plain = mem_source(&l);
    struct ac_merkle_source cached = plain;
    cached.subtree = mem_subtree;
    for (int answer = 0; answer <= 1; answer++) {
        l.subtree_answer = answer;
        l.subtree_calls = 0;
        for (uint64_t n = 1; n <= 64; n += 7)
            for (uint64_t i = 0; i < n; i += 3) {
                struct ac_merkle_proof a, b;
                assert_int_equal(0, ac_merkle_inclusion_proof(&plain, i, n, &a));
                assert_int_equal(0, ac_merkle_inclusion_proof(&cached, i, n, &b));
                assert_int_equal(a.count, b.count);
                assert_memory_equal(a.hash, b.hash, a.count * H);
                assert_int_equal(0, ac_merkle_consistency_proof(&plain, i, n, &a));
                assert_int_equal(0, ac_merkle_consistency_proof(&cached, i, n, &b));
                assert_int_equal(a.count, b.count);
                assert_memory_equal(a.hash, b.hash, a.count * H);
            }
        assert_true(l.subtree_calls > 0);
    }
}

static void test_the_append_only_tree_head_matches_the_full_computation(void **state)
{
    (void)state;
    struct mem_log l;
    accord_log(&l, 64);
    struct ac_merkle_source s = mem_source(&l);
    struct ac_merkle_tree t;
    ac_merkle_tree_init(&t);
    for (uint64_t n = 0; n <= 64; n++) {
        uint8_t want[H], got[H];
        assert_int_equal(0, ac_merkle_root(&s, n, want));
        ac_merkle_tree_root(&t, got);
        assert_memory_equal(want, got, H);
        if (n < 64)
            assert_int_equal(0, ac_merkle_tree_append(&t, l.leaf[n]));
    }
}

/* A store of the subtrees appends completed, keyed by (level, index). */
struct completed_store {
    uint8_t hash[8][80][H]; /* [level][index] */
    uint8_t have[8][80];
    const struct mem_log *log;
    int leaf_reads;
};

static int store_leaf(void *ctx, uint64_t index, uint8_t out[H])
{
    struct completed_store *c = ctx;
    c->leaf_reads++;
    memcpy(out, c->log->leaf[index], H);
    return 0;
}

static int store_subtree(void *ctx, uint64_t start, uint64_t size, uint8_t out[H])
{
    struct completed_store *c = ctx;
    unsigned level = (unsigned)__builtin_ctzll(size);
    uint64_t index = start >> level;
    if (level >= 8 || index >= 80 || !c->have[level][index])
        return AC_ENOENT;
    memcpy(out, c->hash[level][index], H);
    return 0;
}

static void test_each_append_reports_the_perfect_subtrees_it_completes(void **state)
{
    (void)state;
    struct mem_log l;
    accord_log(&l, 64);
    struct ac_merkle_source plain = mem_source(&l);
    struct ac_merkle_tree t;
    ac_merkle_tree_init(&t);
    static struct completed_store c;
    memset(&c, 0, sizeof c);
    c.log = &l;
    for (uint64_t i = 0; i < 64; i++) {
        struct ac_merkle_completed done;
        assert_int_equal(0, ac_merkle_tree_append_completed(&t, l.leaf[i], &done));
        /* Leaf i completes one subtree per trailing zero bit of i + 1. */
        assert_int_equal((size_t)__builtin_ctzll(i + 1), done.count);
        for (size_t k = 0; k < done.count; k++) {
            unsigned level = done.subtree[k].level;
            uint64_t index = done.subtree[k].index;
            uint64_t size = (uint64_t)1 << level;
            assert_int_equal(level, k + 1);
            assert_int_equal(i + 1, (index + 1) * size); /* ends at this leaf */
            uint8_t want[H];
            struct mem_log sub = l;
            sub.size = size;
            memcpy(sub.leaf, l.leaf + index * size, (size_t)size * H);
            struct ac_merkle_source s = mem_source(&sub);
            assert_int_equal(0, ac_merkle_root(&s, size, want));
            assert_memory_equal(want, done.subtree[k].hash, H);
            memcpy(c.hash[level][index], done.subtree[k].hash, H);
            c.have[level][index] = 1;
        }
    }
    /* With every completed subtree stored, a proof reads a handful of leaves,
     * not all 64, and is the same proof. */
    struct ac_merkle_source stored = {store_leaf, store_subtree, &c};
    for (uint64_t i = 0; i < 64; i++) {
        struct ac_merkle_proof a, b;
        c.leaf_reads = 0;
        assert_int_equal(0, ac_merkle_inclusion_proof(&plain, i, 64, &a));
        assert_int_equal(0, ac_merkle_inclusion_proof(&stored, i, 64, &b));
        assert_int_equal(a.count, b.count);
        assert_memory_equal(a.hash, b.hash, a.count * H);
        assert_true(c.leaf_reads <= 2);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_empty_leaf_hashes_to_the_published_size_one_root),
        cmocka_unit_test(test_the_empty_tree_head_is_the_hash_of_nothing),
        cmocka_unit_test(test_tree_heads_match_the_published_roots_for_every_size),
        cmocka_unit_test(test_inclusion_proofs_match_the_published_ones),
        cmocka_unit_test(test_consistency_proofs_match_the_published_ones),
        cmocka_unit_test(test_every_root_and_proof_up_to_64_leaves_matches_the_python_vectors),
        cmocka_unit_test(test_every_inclusion_proof_up_to_64_leaves_verifies),
        cmocka_unit_test(test_every_consistency_proof_up_to_64_leaves_verifies),
        cmocka_unit_test(test_a_corrupted_inclusion_proof_never_verifies),
        cmocka_unit_test(test_a_corrupted_consistency_proof_never_verifies),
        cmocka_unit_test(test_trivial_consistency_cases_follow_rfc_9162),
        cmocka_unit_test(test_a_size_zero_tree_with_another_head_than_the_empty_hash_is_no_tree),
        cmocka_unit_test(test_proof_requests_outside_the_tree_are_refused),
        cmocka_unit_test(test_a_failing_leaf_read_fails_the_proof_with_its_code),
        cmocka_unit_test(test_a_subtree_cache_gives_the_same_proofs_as_leaves),
        cmocka_unit_test(test_the_append_only_tree_head_matches_the_full_computation),
        cmocka_unit_test(test_each_append_reports_the_perfect_subtrees_it_completes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
