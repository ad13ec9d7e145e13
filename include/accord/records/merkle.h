/* merkle.h - RFC 9162 §2.1 Merkle tree hashing: tree heads, inclusion proofs
 * and consistency proofs for the transparency log.
 *
 * Leaf hash SHA-256(0x00 || leaf), interior node SHA-256(0x01 || left || right),
 * the head of the empty tree SHA-256(""). Proof generation reads the log
 * through a source of leaf hashes (and, optionally, of cached perfect subtree
 * hashes), so the store that holds the log can back it. Pure computation: no
 * I/O of its own, safe from any thread as long as the source is. */
#ifndef AC_MERKLE_H
#define AC_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define AC_MERKLE_HASH_BYTES 32

/* The longest proof any tree of up to 2^64 - 1 leaves needs: an inclusion
 * proof has at most 64 hashes, a consistency proof at most 65 (one per level,
 * plus the old root's subtree); 128 leaves headroom without mattering. */
#define AC_MERKLE_PROOF_MAX 128

/* An inclusion or a consistency proof: |count| hashes, in the order of
 * RFC 9162 §2.1.3.1 / §2.1.4.1. Plain value; nothing to free. */
struct ac_merkle_proof {
    size_t count;
    uint8_t hash[AC_MERKLE_PROOF_MAX][AC_MERKLE_HASH_BYTES];
};

/* Where proof generation reads the log. |leaf| sets |out| to the leaf hash at
 * |index| (always < the tree size asked about) and returns 0 or a negative
 * AC_E* code, which generation passes back. |subtree| may be NULL; when set it
 * is asked only for perfect subtrees (|size| a power of two >= 2, |start| a
 * multiple of |size|) and returns 0 with the hash, AC_ENOENT to have it
 * computed from leaves instead, or another code to fail. */
struct ac_merkle_source {
    int (*leaf)(void *ctx, uint64_t index, uint8_t out[AC_MERKLE_HASH_BYTES]);
    int (*subtree)(void *ctx, uint64_t start, uint64_t size, uint8_t out[AC_MERKLE_HASH_BYTES]);
    void *ctx;
};

/* Sets |out| to SHA-256(0x00 || leaf[0..len)). */
void ac_merkle_leaf_hash(const uint8_t *leaf, size_t len, uint8_t out[AC_MERKLE_HASH_BYTES]);

/* Sets |out| to SHA-256(0x01 || left || right). |out| may alias either input. */
void ac_merkle_node_hash(const uint8_t left[AC_MERKLE_HASH_BYTES],
                         const uint8_t right[AC_MERKLE_HASH_BYTES],
                         uint8_t out[AC_MERKLE_HASH_BYTES]);

/* Sets |root| to the tree head MTH(D[0:size]) of the log |src| reads.
 * Returns 0 or the source's error code. */
int ac_merkle_root(const struct ac_merkle_source *src, uint64_t size,
                   uint8_t root[AC_MERKLE_HASH_BYTES]);

/* Sets |*out| to the inclusion proof PATH(index, D[0:size]).
 * Returns 0, AC_EINVAL (index >= size) or the source's error code. */
int ac_merkle_inclusion_proof(const struct ac_merkle_source *src, uint64_t index, uint64_t size,
                              struct ac_merkle_proof *out);

/* Sets |*out| to the consistency proof PROOF(old_size, D[0:new_size]); it is
 * empty when old_size is 0 or equal to new_size.
 * Returns 0, AC_EINVAL (old_size > new_size) or the source's error code. */
int ac_merkle_consistency_proof(const struct ac_merkle_source *src, uint64_t old_size,
                                uint64_t new_size, struct ac_merkle_proof *out);

/* Checks that |proof| shows the leaf whose hash is |leaf_hash| at |index| in
 * the tree of |size| leaves with head |root| (RFC 9162 §2.1.3.2).
 * Returns 0, AC_EINVAL (index >= size, or the proof has the wrong length for
 * that position) or AC_ECRYPTO (the hashes do not lead to |root|). */
int ac_merkle_verify_inclusion(const uint8_t leaf_hash[AC_MERKLE_HASH_BYTES], uint64_t index,
                               uint64_t size, const struct ac_merkle_proof *proof,
                               const uint8_t root[AC_MERKLE_HASH_BYTES]);

/* Checks that the tree of |new_size| leaves with head |new_root| extends the
 * tree of |old_size| leaves with head |old_root| (RFC 9162 §2.1.4.2). Equal
 * sizes need equal roots and an empty proof; old_size 0 needs an empty proof
 * and the empty tree's head, SHA-256 of nothing (RFC 9162 §2.1.1).
 * Returns 0, AC_EINVAL (old_size > new_size, or the proof has the wrong length
 * for these sizes) or AC_ECRYPTO (the hashes do not lead to both roots). */
int ac_merkle_verify_consistency(uint64_t old_size, uint64_t new_size,
                                 const struct ac_merkle_proof *proof,
                                 const uint8_t old_root[AC_MERKLE_HASH_BYTES],
                                 const uint8_t new_root[AC_MERKLE_HASH_BYTES]);

/* An append-only tree head kept in O(log n) space: the hashes of the perfect
 * subtrees the leaves so far fall into (a "compact range" starting at 0), so
 * the log writer gets each new root without rereading the log. Plain value. */
struct ac_merkle_tree {
    uint64_t size;
    /* peak[i] is the hash of the perfect subtree of 2^i leaves when bit i of
     * |size| is set; other entries are unused. */
    uint8_t peak[64][AC_MERKLE_HASH_BYTES];
};

/* Makes |t| the empty tree. */
void ac_merkle_tree_init(struct ac_merkle_tree *t);

/* Appends the leaf whose hash is |leaf_hash|. Returns 0 or AC_ERANGE (full). */
int ac_merkle_tree_append(struct ac_merkle_tree *t, const uint8_t leaf_hash[AC_MERKLE_HASH_BYTES]);

/* The perfect subtrees one append completes: the subtree of 2^level leaves
 * at position |index| (its first leaf is index << level), for each level from
 * 1 up to the number of trailing zero bits of the new size. Stored beside the
 * leaves, they let proofs read O(log n) hashes instead of every leaf. */
struct ac_merkle_completed {
    size_t count;
    struct {
        unsigned level;
        uint64_t index;
        uint8_t hash[AC_MERKLE_HASH_BYTES];
    } subtree[64];
};

/* As ac_merkle_tree_append(), also setting |*done| to the perfect subtrees
 * of two or more leaves that this leaf completes (count 0 when the new size
 * is odd). Returns 0 or AC_ERANGE (full; |t| and |*done| unchanged). */
int ac_merkle_tree_append_completed(struct ac_merkle_tree *t,
                                    const uint8_t leaf_hash[AC_MERKLE_HASH_BYTES],
                                    struct ac_merkle_completed *done);

/* Sets |root| to the head of |t|. */
void ac_merkle_tree_root(const struct ac_merkle_tree *t, uint8_t root[AC_MERKLE_HASH_BYTES]);

#endif
