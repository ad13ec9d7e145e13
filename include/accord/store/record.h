/* record.h - issued verifiable records: one issuance stores the record, its
 * log leaf, its status entry and the new checkpoint together
 * (core/store/store_record.c).
 * Not thread-safe: use from the loop thread. */
#ifndef AC_STORE_RECORD_H
#define AC_STORE_RECORD_H

#include <stddef.h>
#include <stdint.h>

struct ac_store; /* store.h */

#define AC_STORE_HASH_BYTES 32
#define AC_STORE_KID_MAX 16 /* hex key id */

/* A perfect subtree of the log: 2^level leaves from leaf index << level. */
struct ac_store_subtree {
    unsigned level; /* 1..63 */
    uint64_t index;
    const uint8_t *hash; /* 32 bytes, borrowed */
};

/* Everything one issuance stores, computed by the caller beforehand. Borrowed. */
struct ac_store_issue {
    const uint8_t *cti; /* 16 bytes */
    const char *subject;       /* the record's sub: "sha256$..." */
    int64_t earner_id;         /* the account it was earned by, 0: none (an admin's issue) */
    const char *subject_email; /* the address |subject| hashes; NULL: none */
    const char *definition_id;
    uint64_t definition_version;
    const char *achieved_level;
    const char *kid;     /* hex id of the signing key */
    int64_t iat;         /* seconds */
    const uint8_t *cose; /* the signed record: the log leaf */
    size_t cose_len;
    uint64_t log_index;          /* == the log size before this append */
    const uint8_t *leaf_hash;    /* 32 bytes: SHA-256(0x00 || cose) */
    uint64_t status_idx;         /* a free index (valid state) */
    const uint8_t *new_root;     /* 32 bytes: head of the tree of log_index + 1 */
    const char *checkpoint_note; /* that head, signed (C2SP signed note) */
    int64_t now_ms;
    const struct ac_store_subtree *subtrees; /* those this leaf completes */
    size_t nsubtrees;
};

/* Stores record, log leaf, status entry and the new checkpoint in ONE
 * write transaction (a savepoint inside the caller's), holding the log
 * head lock (tlog.h), so a checkpoint is never persisted without the leaves
 * it covers. Refuses (AC_ECONFLICT) a log_index that is not the stored head's
 * size (another process appended since the caller read it). Sets
 * |*record_id| on 0. Returns 0, AC_ECONFLICT, AC_EEXIST (cti, status index or
 * a checkpoint of that size taken), AC_EAGAIN, AC_EIO or AC_EDB; nothing is
 * stored on failure. */
int ac_store_record_issue(struct ac_store *st, const struct ac_store_issue *in, int64_t *record_id);

/* A stored record's index data (its claims are in the COSE bytes). */
struct ac_store_record {
    int64_t id;
    uint64_t log_index;
    uint64_t status_idx;
    char kid[AC_STORE_KID_MAX + 1];
    uint8_t cti[16]; /* the record's unique, immutable id (a strong ETag) */
    int64_t created_ms;
};

/* Receives a stored record's signed bytes, BORROWED for the call only. */
typedef void (*ac_store_bytes_cb)(void *ctx, const uint8_t *p, size_t len);

/* Finds record |id|: fills |*rec| (may be NULL) and, when |cb| is not NULL,
 * calls it once with the record's signed bytes straight from SQLite (no copy:
 * the read path of public GETs). Returns 0, AC_ENOENT or AC_EDB; |cb| is
 * called only on 0. */
int ac_store_record_get(struct ac_store *st, int64_t id, struct ac_store_record *rec,
                        ac_store_bytes_cb cb, void *ctx);

/* Like ac_store_record_get() for the record at log index |index|. */
int ac_store_record_at(struct ac_store *st, uint64_t index, struct ac_store_record *rec,
                       ac_store_bytes_cb cb, void *ctx);

/* Sets |*earner_id| to the user who earned record |id| (through a passed
 * submission, or a completed stack), as stored beside the record, or 0 when
 * an admin issued it to an address. Returns 0, AC_ENOENT (no such record)
 * or AC_EDB. */
int ac_store_record_earner(struct ac_store *st, int64_t id, int64_t *earner_id);

/* Copies the e-mail address record |id|'s subject hashes into |email|
 * (|size| bytes; "" when none was kept). Returns 0, AC_ENOENT or AC_EDB. */
int ac_store_record_subject_email(struct ac_store *st, int64_t id, char *email, size_t size);

/* ---- share links (the only public way to a record) ---- */

/* Stores a share of record |record_id| under the SHA-256 |token_hash| of its
 * token, made by user |by|. Returns 0, AC_EEXIST, AC_ENOENT (no such record),
 * AC_EIO or AC_EDB. */
int ac_store_share_create(struct ac_store *st, int64_t record_id, const uint8_t token_hash[32],
                          int64_t by, int64_t now_ms);

/* Sets |*record_id| to the record a live (not withdrawn) share with
 * |token_hash| leads to. Returns 0, AC_ENOENT or AC_EDB. */
int ac_store_share_find(struct ac_store *st, const uint8_t token_hash[32], int64_t *record_id);

/* Withdraws the live share |token_hash| of record |record_id|. Returns 0,
 * AC_ENOENT (no such live share of that record), AC_EIO or AC_EDB. */
int ac_store_share_withdraw(struct ac_store *st, int64_t record_id, const uint8_t token_hash[32],
                            int64_t now_ms);

/* Sets |*n| to the number of records. Returns 0 or AC_EDB. */
int ac_store_record_count(struct ac_store *st, int64_t *n);

#endif
