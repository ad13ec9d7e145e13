/* merkle.c - RFC 9162 §2.1 Merkle tree heads, inclusion and consistency proofs. */
#include <string.h>

#include <sodium.h>

#include "accord/base/error.h"
#include "accord/records/merkle.h"

#define H AC_MERKLE_HASH_BYTES

void ac_merkle_leaf_hash(const uint8_t *leaf, size_t len, uint8_t out[H])
{
    static const uint8_t prefix = 0x00;
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, &prefix, 1);
    crypto_hash_sha256_update(&st, leaf, len);
    crypto_hash_sha256_final(&st, out);
}

void ac_merkle_node_hash(const uint8_t left[H], const uint8_t right[H], uint8_t out[H])
{
    uint8_t in[1 + 2 * H];
    in[0] = 0x01;
    memcpy(in + 1, left, H);
    memcpy(in + 1 + H, right, H);
    crypto_hash_sha256(out, in, sizeof in);
}

static void empty_root(uint8_t out[H])
{
    crypto_hash_sha256(out, NULL, 0);
}

static int is_power_of_two(uint64_t n)
{
    return n && !(n & (n - 1));
}

/* The largest power of two strictly below |n| (n >= 2): RFC 9162's split k. */
static uint64_t split_point(uint64_t n)
{
    return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

/* MTH(D[start : start + n]) for n >= 1. */
static int subtree_hash(const struct ac_merkle_source *src, uint64_t start, uint64_t n,
                        uint8_t out[H])
{
    if (n == 1)
        return src->leaf(src->ctx, start, out);
    if (src->subtree && is_power_of_two(n) && start % n == 0) {
        int rc = src->subtree(src->ctx, start, n, out);
        if (rc != AC_ENOENT)
            return rc;
    }
    uint64_t k = split_point(n);
    uint8_t left[H], right[H];
    int rc = subtree_hash(src, start, k, left);
    if (rc == 0)
        rc = subtree_hash(src, start + k, n - k, right);
    if (rc == 0)
        ac_merkle_node_hash(left, right, out);
    return rc;
}

int ac_merkle_root(const struct ac_merkle_source *src, uint64_t size, uint8_t root[H])
{
    if (size == 0) {
        empty_root(root);
        return 0;
    }
    return subtree_hash(src, 0, size, root);
}

static int proof_push(struct ac_merkle_proof *p, const struct ac_merkle_source *src, uint64_t start,
                      uint64_t n)
{
    if (p->count == AC_MERKLE_PROOF_MAX)
        return AC_EBUG; /* unreachable: a 64-level tree needs at most 65 */
    int rc = subtree_hash(src, start, n, p->hash[p->count]);
    if (rc == 0)
        p->count++;
    return rc;
}

/* PATH(m, D[start : start + n]), RFC 9162 §2.1.3.1: the path below the split
 * comes first, then the sibling subtree's hash. */
static int path(const struct ac_merkle_source *src, uint64_t m, uint64_t start, uint64_t n,
                struct ac_merkle_proof *p)
{
    if (n == 1)
        return 0;
    uint64_t k = split_point(n);
    int rc;
    if (m < k) {
        rc = path(src, m, start, k, p);
        return rc ? rc : proof_push(p, src, start + k, n - k);
    }
    rc = path(src, m - k, start + k, n - k, p);
    return rc ? rc : proof_push(p, src, start, k);
}

int ac_merkle_inclusion_proof(const struct ac_merkle_source *src, uint64_t index, uint64_t size,
                              struct ac_merkle_proof *out)
{
    if (index >= size)
        return AC_EINVAL;
    struct ac_merkle_proof p;
    p.count = 0;
    int rc = path(src, index, 0, size, &p);
    if (rc == 0)
        *out = p;
    return rc;
}

/* SUBPROOF(m, D[start : start + n], b), RFC 9162 §2.1.4.1. |b| says whether the
 * subtree is the whole old tree, whose hash the verifier already has. */
static int subproof(const struct ac_merkle_source *src, uint64_t m, uint64_t start, uint64_t n,
                    int b, struct ac_merkle_proof *p)
{
    if (m == n)
        return b ? 0 : proof_push(p, src, start, n);
    uint64_t k = split_point(n);
    int rc;
    if (m <= k) {
        rc = subproof(src, m, start, k, b, p);
        return rc ? rc : proof_push(p, src, start + k, n - k);
    }
    rc = subproof(src, m - k, start + k, n - k, 0, p);
    return rc ? rc : proof_push(p, src, start, k);
}

int ac_merkle_consistency_proof(const struct ac_merkle_source *src, uint64_t old_size,
                                uint64_t new_size, struct ac_merkle_proof *out)
{
    if (old_size > new_size)
        return AC_EINVAL;
    struct ac_merkle_proof p;
    p.count = 0;
    int rc = 0;
    if (old_size > 0 && old_size < new_size)
        rc = subproof(src, old_size, 0, new_size, 1, &p);
    if (rc == 0)
        *out = p;
    return rc;
}

/* Constant time is not needed (all inputs are public), but sodium_memcmp
 * keeps one comparison idiom across the crypto code. */
static int same_hash(const uint8_t a[H], const uint8_t b[H])
{
    return sodium_memcmp(a, b, H) == 0;
}

int ac_merkle_verify_inclusion(const uint8_t leaf_hash[H], uint64_t index, uint64_t size,
                               const struct ac_merkle_proof *proof, const uint8_t root[H])
{
    if (index >= size || proof->count > AC_MERKLE_PROOF_MAX)
        return AC_EINVAL;
    uint64_t fn = index, sn = size - 1;
    uint8_t r[H];
    memcpy(r, leaf_hash, H);
    for (size_t i = 0; i < proof->count; i++) {
        if (sn == 0)
            return AC_EINVAL; /* more hashes than levels */
        if ((fn & 1) || fn == sn) {
            ac_merkle_node_hash(proof->hash[i], r, r);
            /* Skip the levels where this node is a left child with no right
             * sibling: its hash moves up unchanged. */
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            ac_merkle_node_hash(r, proof->hash[i], r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return AC_EINVAL; /* fewer hashes than levels */
    return same_hash(r, root) ? 0 : AC_ECRYPTO;
}

int ac_merkle_verify_consistency(uint64_t old_size, uint64_t new_size,
                                 const struct ac_merkle_proof *proof, const uint8_t old_root[H],
                                 const uint8_t new_root[H])
{
    if (old_size > new_size || proof->count > AC_MERKLE_PROOF_MAX)
        return AC_EINVAL;
    /* The empty tree has one head, SHA-256 of nothing (RFC 9162 §2.1.1):
     * any other root at size 0 is no tree at all. */
    uint8_t empty[H];
    empty_root(empty);
    if (old_size == 0 && !same_hash(old_root, empty))
        return AC_ECRYPTO;
    if (old_size == new_size) {
        if (proof->count != 0)
            return AC_EINVAL;
        return same_hash(old_root, new_root) ? 0 : AC_ECRYPTO;
    }
    if (old_size == 0)
        return proof->count == 0 ? 0 : AC_EINVAL;
    if (proof->count == 0)
        return AC_EINVAL;

    /* When the old tree is a perfect subtree of the new one, the proof omits
     * its hash (the verifier has it): put it back in front. */
    const uint8_t *first;
    size_t next;
    if (is_power_of_two(old_size)) {
        first = old_root;
        next = 0;
    } else {
        first = proof->hash[0];
        next = 1;
    }
    uint64_t fn = old_size - 1, sn = new_size - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    uint8_t fr[H], sr[H];
    memcpy(fr, first, H);
    memcpy(sr, first, H);
    for (size_t i = next; i < proof->count; i++) {
        const uint8_t *c = proof->hash[i];
        if (sn == 0)
            return AC_EINVAL;
        if ((fn & 1) || fn == sn) {
            ac_merkle_node_hash(c, fr, fr);
            ac_merkle_node_hash(c, sr, sr);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            ac_merkle_node_hash(sr, c, sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return AC_EINVAL;
    return same_hash(fr, old_root) && same_hash(sr, new_root) ? 0 : AC_ECRYPTO;
}

void ac_merkle_tree_init(struct ac_merkle_tree *t)
{
    t->size = 0;
}

int ac_merkle_tree_append_completed(struct ac_merkle_tree *t, const uint8_t leaf_hash[H],
                                    struct ac_merkle_completed *done)
{
    if (t->size == UINT64_MAX)
        return AC_ERANGE;
    /* Like incrementing a binary counter: each carry merges two equal perfect
     * subtrees into one of the next size, which is a completed subtree. */
    uint8_t h[H];
    memcpy(h, leaf_hash, H);
    unsigned level = 0;
    size_t n = 0;
    while (t->size & ((uint64_t)1 << level)) {
        ac_merkle_node_hash(t->peak[level], h, h);
        level++;
        if (done) {
            done->subtree[n].level = level;
            done->subtree[n].index = t->size >> level;
            memcpy(done->subtree[n].hash, h, H);
            n++;
        }
    }
    memcpy(t->peak[level], h, H);
    t->size++;
    if (done)
        done->count = n;
    return 0;
}

int ac_merkle_tree_append(struct ac_merkle_tree *t, const uint8_t leaf_hash[H])
{
    return ac_merkle_tree_append_completed(t, leaf_hash, NULL);
}

void ac_merkle_tree_root(const struct ac_merkle_tree *t, uint8_t root[H])
{
    if (t->size == 0) {
        empty_root(root);
        return;
    }
    /* The smallest peak is the rightmost subtree; fold larger ones in from the
     * left, which is how MTH splits a tree that is not a power of two. */
    unsigned level = (unsigned)__builtin_ctzll(t->size);
    uint8_t r[H];
    memcpy(r, t->peak[level], H);
    for (level++; level < 64; level++)
        if (t->size & ((uint64_t)1 << level))
            ac_merkle_node_hash(t->peak[level], r, r);
    memcpy(root, r, H);
}
