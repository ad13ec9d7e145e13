/* tlog.h - the transparency log's leaves, its head row, its stored complete
 * subtrees and its signed checkpoints (core/store/store_tlog.c,
 * store_tlog_subtree.c). Several node processes may write one database:
 * every append and checkpoint locks the head row first, so each writer reads
 * the head the last commit left, and the database refuses a second
 * checkpoint of one size under one key (docs/records.md, "Several processes
 * on one database"). Not thread-safe: use from the loop thread. */
#ifndef AC_STORE_TLOG_H
#define AC_STORE_TLOG_H

#include <stddef.h>
#include <stdint.h>

#include "accord/store/record.h"

struct ac_store; /* store.h */

/* Sets |out| to the leaf hash at log index |index|.
 * Returns 0, AC_ENOENT or AC_EDB. */
int ac_store_log_leaf(struct ac_store *st, uint64_t index, uint8_t out[AC_STORE_HASH_BYTES]);

/* Sets |*size| to the number of leaves in the log, in O(log n).
 * Returns 0 or AC_EDB. */
int ac_store_log_size(struct ac_store *st, uint64_t *size);

/* Calls |cb| with every leaf hash in index order (to rebuild the tree head at
 * start-up); stops early and returns what |cb| returned when non-zero.
 * Sets |*count| to the leaves visited. Returns 0, that code, or AC_EDB. */
int ac_store_log_each_leaf(struct ac_store *st,
                           int (*cb)(void *ctx, uint64_t index,
                                     const uint8_t hash[AC_STORE_HASH_BYTES]),
                           void *ctx, uint64_t *count);

/* The log's head as the last commit left it: its size and root. */
struct ac_store_tlog_head {
    uint64_t size;
    uint8_t root[AC_STORE_HASH_BYTES];
};

/* Fills |*out| with the stored head (a read; another process may move it
 * right after). Returns 0 or AC_EDB/AC_EIO. */
int ac_store_tlog_head(struct ac_store *st, struct ac_store_tlog_head *out);

/* Inside the caller's write transaction (ac_store_tx_begin), locks the head
 * row and fills |*out| with it: until the commit no other writer can move
 * it, so a leaf appended at |out->size| and a checkpoint signed over the
 * tree it makes are the only ones of that size. On PostgreSQL a writer that
 * waited here fails with AC_EAGAIN when the holder committed: roll back and
 * run the whole transaction again. Returns 0, AC_EBUG (no transaction open),
 * AC_EAGAIN, AC_EIO or AC_EDB. */
int ac_store_tlog_head_lock(struct ac_store *st, struct ac_store_tlog_head *out);

/* The newest signed checkpoint. */
struct ac_store_checkpoint {
    uint64_t size;
    uint8_t root[AC_STORE_HASH_BYTES];
    char kid[AC_STORE_KID_MAX + 1];
    char *note; /* owned: free() */
};

/* Fills |*out| with the newest stored checkpoint; the caller frees out->note.
 * Returns 0, AC_ENOENT (none yet), AC_ENOMEM or AC_EDB. */
int ac_store_log_checkpoint_latest(struct ac_store *st, struct ac_store_checkpoint *out);

/* Stores a checkpoint re-signed over the CURRENT head (after a key rotation,
 * or the empty log's first), under the head lock. Refuses (AC_ECONFLICT) a
 * |size| and |root| that are not the stored head's, and (AC_EEXIST) a second
 * checkpoint of that size under key |kid|. Returns 0, AC_ECONFLICT,
 * AC_EEXIST, AC_EAGAIN, AC_EIO or AC_EDB; nothing is stored on failure. */
int ac_store_log_checkpoint_add(struct ac_store *st, uint64_t size,
                                const uint8_t root[AC_STORE_HASH_BYTES], const char *kid,
                                const char *note, int64_t now_ms);

/* ---- complete subtrees (core/store/store_tlog_subtree.c) ---- */

/* Sets |out| to the hash of the perfect subtree of 2^|level| leaves at
 * |index|. Returns 0, AC_ENOENT (not stored: compute it from the leaves) or
 * AC_EDB. */
int ac_store_tlog_subtree_get(struct ac_store *st, unsigned level, uint64_t index,
                              uint8_t out[AC_STORE_HASH_BYTES]);

/* Sets |*n| to the number of stored subtrees. Returns 0 or AC_EDB. */
int ac_store_tlog_subtree_count(struct ac_store *st, uint64_t *n);

/* Stores the subtrees v[0..n) in one transaction, keeping rows that exist
 * (a log from before subtrees were stored is filled in this way).
 * Returns 0, AC_EIO or AC_EDB; nothing is stored on failure. */
int ac_store_tlog_subtrees_add(struct ac_store *st, const struct ac_store_subtree *v, size_t n);

#endif
