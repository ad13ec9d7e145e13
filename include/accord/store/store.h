/* store.h - the node's durable storage on one SQLite connection: opening with
 * migrations, node users with roles, and bearer tokens (stored as keyed hashes).
 *
 * Every write runs in its own BEGIN IMMEDIATE transaction and is durable
 * (WAL, synchronous=FULL) when the call returns, so a caller may acknowledge it.
 * Other entities add their functions here and their statements in
 * core/store_<entity>.c (see core/internal.h). Not thread-safe: use from the
 * loop thread. */
#ifndef AC_STORE_H
#define AC_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accord/review/definition.h"

struct ac_store;

/* Opens or creates the database at |path|, applying pending migrations, each in
 * its own transaction with its version recorded. Sets |*out| to a store the
 * caller closes with ac_store_close(). Returns 0, AC_ENOMEM, AC_EIO (cannot
 * open or write the file), AC_EDB (a migration failed) or AC_ESCHEMA (the
 * database was written by a newer accord-node; the reason is logged). */
int ac_store_open(const char *path, struct ac_store **out);

/* Closes |st|, finalising cached statements and checkpointing the WAL.
 * NULL is a no-op. */
void ac_store_close(struct ac_store *st);

/* Sets |*version| to the highest migration applied. Returns 0 or AC_EDB. */
int ac_store_schema_version(struct ac_store *st, int *version);

/* Returns the highest migration this build knows. */
int ac_store_schema_latest(void);

/* Sets |*bytes| to the database size (pages in use times page size, without
 * the WAL). Returns 0 or AC_EDB. */
int ac_store_size(struct ac_store *st, int64_t *bytes);

/* ---- transactions ---- */

/* Opens a transaction around several store calls so their effects (e.g. a
 * state change and its audit row) commit together or not at all. Transactions
 * nest: every store write opens its own, which inside an outer one is a
 * savepoint. Each begin that returned 0 is matched by exactly one commit or
 * rollback. Returns 0, AC_EIO or AC_EDB. */
int ac_store_tx_begin(struct ac_store *st);

/* Commits the innermost transaction (durable when it was the outermost); on
 * failure it is rolled back. Returns 0, AC_EIO, AC_EDB or AC_EBUG (none open). */
int ac_store_tx_commit(struct ac_store *st);

/* Rolls back the innermost transaction; a no-op when none is open. */
void ac_store_tx_rollback(struct ac_store *st);

/* ---- users ---- */

/* Roles are a bit set: a user may hold several. */
enum ac_role {
    AC_ROLE_ADMIN = 1 << 0,
    AC_ROLE_EXPERT = 1 << 1,
    AC_ROLE_REVIEWER = 1 << 2,
    AC_ROLE_EARNER = 1 << 3,
    AC_ROLE_RECOGNIZER = 1 << 4,
};
#define AC_ROLE_ALL 0x1fu
#define AC_ROLE_COUNT 5

/* Returns the lowercase name of the single role |role| ("admin", ...), or NULL. */
const char *ac_role_name(unsigned role);

/* Parses a role name. Returns 0 and sets |*role|, or AC_EINVAL. */
int ac_role_parse(const char *name, unsigned *role);

#define AC_USER_NAME_MAX 64     /* login names: 1-64 of [a-z0-9._-], starting alnum */
#define AC_USER_DISPLAY_MAX 128 /* bytes of UTF-8 */

struct ac_user {
    int64_t id;
    char name[AC_USER_NAME_MAX + 1];
    char display_name[AC_USER_DISPLAY_MAX + 1];
    unsigned roles; /* AC_ROLE_* bits */
    int64_t created_ms;
    int64_t disabled_ms; /* 0 while enabled */
};

/* Checks a login name against the rule above. Returns 0 or AC_EINVAL. */
int ac_user_name_check(const char *name);

/* Creates a user named |name| (checked) with |display_name| (may be NULL: the
 * name is used) and |roles| (non-zero subset of AC_ROLE_ALL). Fills |*out| on 0.
 * Returns 0, AC_EINVAL (bad name, display name too long, bad roles),
 * AC_EEXIST (name taken), AC_EIO or AC_EDB. */
int ac_store_user_create(struct ac_store *st, const char *name, const char *display_name,
                         unsigned roles, int64_t now_ms, struct ac_user *out);

/* Fills |*out| with user |id|. Returns 0, AC_ENOENT or AC_EDB. */
int ac_store_user_get(struct ac_store *st, int64_t id, struct ac_user *out);

/* Lists users with id > |after_id| in id order, at most |max| into |out|.
 * Sets |*n| to the number filled. Returns 0 or AC_EDB. */
int ac_store_user_list(struct ac_store *st, int64_t after_id, struct ac_user *out, size_t max,
                       size_t *n);

/* Sets |*n| to the number of users. Returns 0 or AC_EDB. */
int ac_store_user_count(struct ac_store *st, int64_t *n);

/* Disables user |id| at |now_ms| and revokes all its tokens, in one transaction.
 * Disabling an already disabled user changes nothing and returns 0.
 * Returns 0, AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_user_disable(struct ac_store *st, int64_t id, int64_t now_ms);

/* ---- tokens ---- */

#define AC_TOKEN_HASH_BYTES 32
#define AC_TOKEN_LABEL_MAX 64

struct ac_token {
    int64_t id;
    int64_t user_id;
    char label[AC_TOKEN_LABEL_MAX + 1];
    int64_t created_ms;
    int64_t revoked_ms; /* 0 while usable */
};

/* Records a token for |user_id| by its keyed |hash| (the token itself is never
 * stored). |label| may be NULL. Returns 0, AC_EINVAL (label too long),
 * AC_ENOENT (no such user), AC_EEXIST (hash already present), AC_EIO or AC_EDB. */
int ac_store_token_create(struct ac_store *st, int64_t user_id, const char *label,
                          const uint8_t hash[AC_TOKEN_HASH_BYTES], int64_t now_ms,
                          struct ac_token *out);

/* Finds the token with |hash| and its user. Fills both (revoked and disabled
 * ones included: the caller says why it refuses). Returns 0, AC_ENOENT or AC_EDB. */
int ac_store_token_find(struct ac_store *st, const uint8_t hash[AC_TOKEN_HASH_BYTES],
                        struct ac_token *tok, struct ac_user *user);

/* Fills |*out| with token |id|. Returns 0, AC_ENOENT or AC_EDB. */
int ac_store_token_get(struct ac_store *st, int64_t id, struct ac_token *out);

/* Lists the tokens of |user_id| with id > |after_id|, like ac_store_user_list. */
int ac_store_token_list(struct ac_store *st, int64_t user_id, int64_t after_id,
                        struct ac_token *out, size_t max, size_t *n);

/* Revokes token |id| at |now_ms|; revoking a revoked token changes nothing.
 * Returns 0, AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_token_revoke(struct ac_store *st, int64_t id, int64_t now_ms);

/* ---- credential definitions (one row per version) ---- */

#define AC_CREDENTIAL_ID_MAX 64
#define AC_PILOT_STATISTIC_MAX 23

struct ac_credential {
    int64_t id;                            /* row id; others reference this */
    char def_id[AC_CREDENTIAL_ID_MAX + 1]; /* the definition's "id" */
    int64_t version;
    char content_hash[AC_DEF_HASH_HEX_LEN + 1]; /* "sha256:..." of the definition */
    enum ac_def_state state;
    char *title;      /* owned */
    char *definition; /* owned: the definition JSON as stored */
    int64_t created_by;
    int64_t created_ms, updated_ms;
    int64_t activated_ms;     /* 0 until the version first turned active */
    bool activation_override; /* it turned active by the issuer's override */
    int64_t pilot_round;      /* 0 before any pilot; +1 each time piloting starts */
    char pilot_statistic[AC_PILOT_STATISTIC_MAX + 1]; /* "exact", "quadratic_kappa", ... */
    double pilot_threshold;
};

/* Frees what |c| owns and zeroes it; NULL is a no-op. */
void ac_credential_release(struct ac_credential *c);

/* Stores version |version| of definition |def_id| in state draft with its
 * JSON |definition|, |title| and |content_hash| (all borrowed, copied).
 * Sets |*id| to the new row id. Returns 0, AC_EINVAL (id or version out of
 * range), AC_EEXIST (that version exists), AC_ENOENT (no user |created_by|),
 * AC_EIO or AC_EDB. */
int ac_store_credential_create(struct ac_store *st, const char *def_id, int64_t version,
                               const char *title, const char *definition, const char *content_hash,
                               int64_t created_by, int64_t now_ms, int64_t *id);

/* Fills |*out| (release with ac_credential_release) with row |id|.
 * Returns 0, AC_ENOENT, AC_ENOMEM or AC_EDB. */
int ac_store_credential_get(struct ac_store *st, int64_t id, struct ac_credential *out);

/* Like ac_store_credential_get for version |version| of |def_id|; version 0
 * means the highest. Returns 0, AC_ENOENT, AC_ENOMEM or AC_EDB. */
int ac_store_credential_find(struct ac_store *st, const char *def_id, int64_t version,
                             struct ac_credential *out);

/* Lists credentials with row id > |after_id| in id order, at most |max|, only
 * of |def_id| when it is not NULL. Sets |*n|; the caller releases out[0..n).
 * Returns 0, AC_ENOMEM or AC_EDB (nothing to release then). */
int ac_store_credential_list(struct ac_store *st, int64_t after_id, const char *def_id,
                             struct ac_credential *out, size_t max, size_t *n);

/* Replaces the definition of draft row |id| (a published version never
 * changes). Returns 0, AC_ENOENT, AC_ECONFLICT (not in draft), AC_EIO or AC_EDB. */
int ac_store_credential_update(struct ac_store *st, int64_t id, const char *title,
                               const char *definition, const char *content_hash, int64_t now_ms);

/* Moves row |id| from |from| to |to| (the caller checked the transition with
 * ac_def_transition_check and its evidence). Turning active records the time
 * and |override|. Returns 0, AC_ENOENT, AC_ECONFLICT (the state is no longer
 * |from|), AC_EIO or AC_EDB. */
int ac_store_credential_transition(struct ac_store *st, int64_t id, enum ac_def_state from,
                                   enum ac_def_state to, bool override, int64_t now_ms);

/* Starts a new pilot round of row |id| judged by |statistic| against
 * |threshold|; sets |*round| to its number. Returns 0, AC_EINVAL (statistic
 * too long), AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_credential_pilot_round(struct ac_store *st, int64_t id, const char *statistic,
                                    double threshold, int64_t now_ms, int64_t *round);

/* ---- reviewers: profiles ---- */

#define AC_REVIEWER_TEXT_MAX 128     /* school, district */
#define AC_REVIEWER_DOMAINS_MAX 1024 /* the JSON array text of domain names */

struct ac_reviewer_profile {
    int64_t user_id;
    char school[AC_REVIEWER_TEXT_MAX + 1];
    char district[AC_REVIEWER_TEXT_MAX + 1];
    char domains[AC_REVIEWER_DOMAINS_MAX + 1]; /* JSON array of strings, e.g. ["ELA"] */
    bool available;                            /* false: on vacation or set unavailable */
    int64_t unavailable_until_ms;              /* 0: no end set */
    int64_t general_module_ms;                 /* 0 until the node's general module was completed */
    int64_t created_ms, updated_ms;
};

/* Creates or updates the profile of p->user_id: school, district, domains,
 * available and unavailable_until_ms (general_module_ms and created_ms are
 * kept on update). Returns 0, AC_EINVAL (a field too long), AC_ENOENT (no
 * such user), AC_EIO or AC_EDB. */
int ac_store_reviewer_put(struct ac_store *st, const struct ac_reviewer_profile *p, int64_t now_ms);

/* Fills |*out|. Returns 0, AC_ENOENT or AC_EDB. */
int ac_store_reviewer_get(struct ac_store *st, int64_t user_id, struct ac_reviewer_profile *out);

/* Records that |user_id| completed the general module (first time only; a
 * repeat keeps the first time). Returns 0, AC_ENOENT (no profile), AC_EIO or AC_EDB. */
int ac_store_reviewer_general_done(struct ac_store *st, int64_t user_id, int64_t now_ms);

/* ---- reviewers: certification per credential ---- */

enum ac_rcert_state {
    AC_RCERT_APPLIED,     /* waiting for an admin's screening (manual qualifications) */
    AC_RCERT_REJECTED,    /* failed screening; final */
    AC_RCERT_SCREENED,    /* eligible: general and credential modules next */
    AC_RCERT_TRAINED,     /* credential training module done: may attempt certification */
    AC_RCERT_CERTIFIED,   /* in the pool */
    AC_RCERT_FAILED,      /* every attempt used and failed */
    AC_RCERT_UNAVAILABLE, /* certified but taken out of the pool (monitoring) */
    AC_RCERT_RETRAINING,  /* must retake the training module and certification */
};
#define AC_RCERT_STATE_COUNT 8

/* Static name ("applied", ...) or NULL when out of range. */
const char *ac_rcert_state_name(enum ac_rcert_state s);

/* Parses a state name. Returns 0 and sets |*out|, or AC_EINVAL. */
int ac_rcert_state_parse(const char *name, enum ac_rcert_state *out);

struct ac_reviewer_cert {
    int64_t credential_id; /* struct ac_credential.id */
    int64_t user_id;
    enum ac_rcert_state state;
    char *answers;   /* owned JSON object: the eligibility answers */
    char *screening; /* owned JSON array: one result per qualification */
    int64_t applied_ms, screened_ms, trained_ms, certified_ms, failed_ms, updated_ms;
    int64_t attempts;        /* certification attempts finished */
    int64_t next_attempt_ms; /* earliest next attempt after a failure; 0 none */
};

/* Frees what |c| owns and zeroes it; NULL is a no-op. */
void ac_reviewer_cert_release(struct ac_reviewer_cert *c);

/* Records |user_id|'s application for credential row |credential_id| in
 * |state| (APPLIED, REJECTED or SCREENED: the node may decide at once) with
 * the JSON texts |answers| and |screening| (copied). Returns 0, AC_EINVAL,
 * AC_EEXIST (already applied), AC_ENOENT (no such credential or user),
 * AC_EIO or AC_EDB. */
int ac_store_reviewer_cert_create(struct ac_store *st, int64_t credential_id, int64_t user_id,
                                  enum ac_rcert_state state, const char *answers,
                                  const char *screening, int64_t now_ms);

/* Fills |*out| (release it). Returns 0, AC_ENOENT, AC_ENOMEM or AC_EDB. */
int ac_store_reviewer_cert_get(struct ac_store *st, int64_t credential_id, int64_t user_id,
                               struct ac_reviewer_cert *out);

/* Lists the certifications of |credential_id| with user id > |after_user|, in
 * user order, at most |max|; only those in |state| unless it is negative.
 * Sets |*n|; the caller releases out[0..n). Returns 0, AC_ENOMEM or AC_EDB. */
int ac_store_reviewer_cert_list(struct ac_store *st, int64_t credential_id, int state,
                                int64_t after_user, struct ac_reviewer_cert *out, size_t max,
                                size_t *n);

/* Sets |*n| to the reviewers of |credential_id| in |state|. Returns 0 or AC_EDB. */
int ac_store_reviewer_cert_count(struct ac_store *st, int64_t credential_id,
                                 enum ac_rcert_state state, int64_t *n);

/* Moves the certification from |from| to |to|, stamping the time column of
 * |to| (screened_ms, trained_ms, certified_ms, failed_ms), and replaces the
 * screening JSON when |screening| is not NULL. Returns 0, AC_ENOENT,
 * AC_ECONFLICT (not in |from|), AC_EIO or AC_EDB. */
int ac_store_reviewer_cert_transition(struct ac_store *st, int64_t credential_id, int64_t user_id,
                                      enum ac_rcert_state from, enum ac_rcert_state to,
                                      const char *screening, int64_t now_ms);

/* ---- audit trail ---- */

#define AC_AUDIT_KIND_MAX 32
#define AC_AUDIT_SUBJECT_MAX 128
#define AC_AUDIT_ACTION_MAX 64
#define AC_AUDIT_NODE_MAX 128

struct ac_audit_entry {
    int64_t id;
    char subject_kind[AC_AUDIT_KIND_MAX + 1];  /* "credential", "reviewer", "submission", ... */
    char subject_id[AC_AUDIT_SUBJECT_MAX + 1]; /* e.g. "formative-feedback@2", "7" */
    int64_t actor_user_id;                     /* 0: the node itself (scheduler, peers) */
    char node_id[AC_AUDIT_NODE_MAX + 1];       /* the node where it happened */
    char action[AC_AUDIT_ACTION_MAX + 1];      /* e.g. "transition", "apply" */
    char *detail;                              /* owned JSON object text */
    int64_t at_ms;
};

/* Frees what |e| owns; NULL is a no-op. */
void ac_audit_entry_release(struct ac_audit_entry *e);

/* Appends an audit row. |detail| is JSON object text (NULL: "{}"); every
 * string is copied. Call it inside the transaction of the change it records
 * (ac_store_tx_begin) so both commit together. Returns 0, AC_EINVAL (a field
 * empty or too long), AC_EIO or AC_EDB. */
int ac_store_audit_add(struct ac_store *st, const char *subject_kind, const char *subject_id,
                       int64_t actor_user_id, const char *node_id, const char *action,
                       const char *detail, int64_t now_ms);

/* Lists the audit rows of one subject with id > |after_id|, oldest first, at
 * most |max|. Sets |*n|; the caller releases out[0..n). Returns 0, AC_ENOMEM
 * or AC_EDB. */
int ac_store_audit_list(struct ac_store *st, const char *subject_kind, const char *subject_id,
                        int64_t after_id, struct ac_audit_entry *out, size_t max, size_t *n);
/* ==== verifiable records, transparency log, status (issue 5; owner: records)
 * core/store_record.c, core/store_log.c, core/store_status.c. ==== */

#define AC_STORE_HASH_BYTES 32
#define AC_STORE_KID_MAX 16 /* hex key id */
#define AC_STORE_REASON_MAX 200

/* Everything one issuance stores, computed by the caller beforehand. Borrowed. */
/* A perfect subtree of the log: 2^level leaves from leaf index << level. */
struct ac_store_subtree {
    unsigned level; /* 1..63 */
    uint64_t index;
    const uint8_t *hash; /* 32 bytes, borrowed */
};

struct ac_store_issue {
    const uint8_t *cti; /* 16 bytes */
    const char *subject;
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
 * BEGIN IMMEDIATE transaction, so a checkpoint is never persisted without the
 * leaves it covers. Refuses (AC_ECONFLICT) a log_index that is not the current
 * log size. Sets |*record_id| on 0. Returns 0, AC_ECONFLICT, AC_EEXIST (cti or
 * status index taken), AC_EIO or AC_EDB; nothing is stored on failure. */
int ac_store_record_issue(struct ac_store *st, const struct ac_store_issue *in, int64_t *record_id);

/* Sets |out| to the hash of the perfect subtree of 2^|level| leaves at
 * |index|. Returns 0, AC_ENOENT (not stored: compute it from the leaves) or
 * AC_EDB. (core/store/store_tlog_subtree.c) */
int ac_store_tlog_subtree_get(struct ac_store *st, unsigned level, uint64_t index,
                              uint8_t out[AC_STORE_HASH_BYTES]);

/* Sets |*n| to the number of stored subtrees. Returns 0 or AC_EDB. */
int ac_store_tlog_subtree_count(struct ac_store *st, uint64_t *n);

/* Stores the subtrees v[0..n) in one transaction, keeping rows that exist
 * (a log from before subtrees were stored is filled in this way).
 * Returns 0, AC_EIO or AC_EDB; nothing is stored on failure. */
int ac_store_tlog_subtrees_add(struct ac_store *st, const struct ac_store_subtree *v, size_t n);

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

/* Sets |*n| to the number of records. Returns 0 or AC_EDB. */
int ac_store_record_count(struct ac_store *st, int64_t *n);

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

/* Stores a checkpoint re-signed over the CURRENT log size (after a key
 * rotation). Refuses (AC_ECONFLICT) a |size| that is not the log size.
 * Returns 0, AC_ECONFLICT, AC_EIO or AC_EDB. */
int ac_store_log_checkpoint_add(struct ac_store *st, uint64_t size,
                                const uint8_t root[AC_STORE_HASH_BYTES], const char *kid,
                                const char *note, int64_t now_ms);

/* One status entry (states are the Token Status List values of status.h). */
struct ac_store_status {
    uint64_t idx;
    int64_t record_id;
    int state;
    char reason[AC_STORE_REASON_MAX + 1];
    int64_t changed_ms;
};

/* Fills |*out| with the status entry of record |record_id|.
 * Returns 0, AC_ENOENT or AC_EDB. */
int ac_store_status_get(struct ac_store *st, int64_t record_id, struct ac_store_status *out);

/* Calls |cb| with every status entry (to rebuild the status list at start-up);
 * stops early and returns what |cb| returned when non-zero. Returns 0, that
 * code, or AC_EDB. */
int ac_store_status_each(struct ac_store *st, int (*cb)(void *ctx, const struct ac_store_status *e),
                         void *ctx);

/* Sets the state of entry |idx| to |state| with |reason| (1 to
 * AC_STORE_REASON_MAX bytes) by user |by_user| at |now_ms|, and records the
 * change in the history, in one transaction. The caller has checked that the
 * transition is allowed. Returns 0, AC_EINVAL (reason empty or too long, or a
 * bad state), AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_status_set(struct ac_store *st, uint64_t idx, int state, const char *reason,
                        int64_t by_user, int64_t now_ms);

/* ==== end of the records section ==== */

/* ---- reviewers: certification attempts and exposure ---- */

/* Records that |user_id| finished an attempt: |attempts| made so far and the
 * earliest next attempt (0 for none). Returns 0, AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_reviewer_cert_attempted(struct ac_store *st, int64_t credential_id, int64_t user_id,
                                     int64_t attempts, int64_t next_attempt_ms, int64_t now_ms);

struct ac_cert_attempt_row {
    int64_t id, credential_id, user_id;
    char *items;   /* owned JSON array of benchmark item ids, in the order shown */
    char *answers; /* owned JSON, "" while open */
    char *result;  /* owned JSON, "" while open */
    int passed;    /* -1 while open, else 0 or 1 */
    int64_t started_ms, finished_ms;
};

/* Frees what |a| owns; NULL is a no-op. */
void ac_cert_attempt_row_release(struct ac_cert_attempt_row *a);

/* Opens an attempt showing |items| (JSON array text, copied) and marks each of
 * the |n| item ids seen by |user_id| with one more exposure, in one
 * transaction. Sets |*id|. Returns 0, AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_cert_attempt_open(struct ac_store *st, int64_t credential_id, int64_t user_id,
                               const char *items, const int64_t *item_ids, size_t n, int64_t now_ms,
                               int64_t *id);

/* Fills |*out| (release it) with attempt |id|. Returns 0, AC_ENOENT, AC_ENOMEM
 * or AC_EDB. */
int ac_store_cert_attempt_get(struct ac_store *st, int64_t id, struct ac_cert_attempt_row *out);

/* Closes open attempt |id| with |answers| and |result| (JSON texts, copied).
 * Returns 0, AC_ENOENT, AC_ECONFLICT (already closed), AC_EIO or AC_EDB. */
int ac_store_cert_attempt_close(struct ac_store *st, int64_t id, bool passed, const char *answers,
                                const char *result, int64_t now_ms);

/* Lists the attempts of |user_id| at |credential_id| oldest first, at most
 * |max|. Sets |*n|; the caller releases out[0..n). Returns 0, AC_ENOMEM or AC_EDB. */
int ac_store_cert_attempt_list(struct ac_store *st, int64_t credential_id, int64_t user_id,
                               struct ac_cert_attempt_row *out, size_t max, size_t *n);

/* Marks benchmark item |item_id| seen by |user_id| (e.g. as a training
 * example); seeing it again changes nothing. Returns 0, AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_seen_add(struct ac_store *st, int64_t user_id, int64_t item_id, int64_t now_ms);

/* Sets |*ids| to a malloc'd array (caller frees) of the items of
 * |credential_id| that |user_id| has seen and |*n| to its length.
 * Returns 0, AC_ENOMEM or AC_EDB. */
int ac_store_seen_list(struct ac_store *st, int64_t user_id, int64_t credential_id, int64_t **ids,
                       size_t *n);

/* ---- credentials held outside this node's records ---- */

/* Registers that |user_id| holds credential |def_id| from |issuer| (may be
 * ""). Returns 0, AC_EINVAL (empty or too long), AC_EEXIST, AC_ENOENT (no such
 * user), AC_EIO or AC_EDB. */
int ac_store_held_add(struct ac_store *st, int64_t user_id, const char *def_id, const char *issuer,
                      int64_t registered_by, int64_t now_ms);

/* Sets |*holds|: is |user_id| known to hold |def_id|, either registered
 * with ac_store_held_add() or as a record this node issued to
 * |record_subject| (the subject the issuing flow writes, e.g.
 * "<node id>:user:<id>"; NULL skips records) whose status is still valid?
 * Returns 0 or AC_EDB. */
int ac_store_held_check(struct ac_store *st, int64_t user_id, const char *record_subject,
                        const char *def_id, bool *holds);

/* ---- pilot validation ---- */

#define AC_ITEM_LABEL_MAX 128

/* One expert's assignment of one pilot submission. */
struct ac_pilot_score {
    int64_t submission_id, credential_id, round;
    char label[AC_ITEM_LABEL_MAX + 1];
    char *content; /* owned */
    int64_t expert_id;
    int level; /* level index, -1 until scored */
    int64_t scored_ms;
};

/* Frees what |p| owns; NULL is a no-op. */
void ac_pilot_score_release(struct ac_pilot_score *p);

/* Adds pilot submission |label| (unique in the round) with |content| to round
 * |round| of |credential_id|, assigned to the |n| experts |experts|, in one
 * transaction. Sets |*id|. Returns 0, AC_EINVAL (empty or long label, no
 * expert), AC_EEXIST (label taken, or an expert twice), AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_pilot_add(struct ac_store *st, int64_t credential_id, int64_t round, const char *label,
                       const char *content, const int64_t *experts, size_t n, int64_t now_ms,
                       int64_t *id);

/* Fills |*out| (release it) with |expert_id|'s assignment of |submission_id|.
 * Returns 0, AC_ENOENT (not assigned to that expert), AC_ENOMEM or AC_EDB. */
int ac_store_pilot_get(struct ac_store *st, int64_t submission_id, int64_t expert_id,
                       struct ac_pilot_score *out);

/* Lists assignments with submission id > |after|, in submission then expert
 * order, at most |max|: |expert_id|'s own when it is non-zero, else all of
 * round |round| of |credential_id|. Sets |*n|; the caller releases out[0..n).
 * Returns 0, AC_ENOMEM or AC_EDB. */
int ac_store_pilot_list(struct ac_store *st, int64_t expert_id, int64_t credential_id,
                        int64_t round, int64_t after, struct ac_pilot_score *out, size_t max,
                        size_t *n);

/* Records |expert_id|'s |level| for |submission_id|. Returns 0, AC_ENOENT (not
 * assigned), AC_ECONFLICT (already scored: scores are final), AC_EIO or AC_EDB. */
int ac_store_pilot_score(struct ac_store *st, int64_t submission_id, int64_t expert_id, int level,
                         int64_t now_ms);

/* ---- benchmark database ---- */

#define AC_STORE_BENCH_EXPERTS 8 /* as AC_BENCH_MAX_EXPERTS */

struct ac_bench_row {
    int64_t id, credential_id;
    char label[AC_ITEM_LABEL_MAX + 1];
    char *content;                           /* owned */
    int64_t experts[AC_STORE_BENCH_EXPERTS]; /* assigned experts, in id order */
    int levels[AC_STORE_BENCH_EXPERTS];      /* their levels, -1 until scored */
    size_t n_experts;
    int final_level;           /* -1 until resolved */
    char *key_characteristics; /* owned, "" when none */
    char *common_errors;       /* owned, "" when none */
    int64_t resolved_by;       /* 0 when it resolved itself (experts agreed) */
    int64_t exposures;
};

/* Frees what |b| owns; NULL is a no-op. */
void ac_bench_row_release(struct ac_bench_row *b);

/* Adds item |label| with |content| to |credential_id|'s database, assigned to
 * the |n| (2..8) experts |experts|. Sets |*id|. Returns 0, AC_EINVAL,
 * AC_EEXIST (label taken or an expert twice), AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_bench_add(struct ac_store *st, int64_t credential_id, const char *label,
                       const char *content, const int64_t *experts, size_t n, int64_t now_ms,
                       int64_t *id);

/* Fills |*out| (release it). Returns 0, AC_ENOENT, AC_ENOMEM or AC_EDB. */
int ac_store_bench_get(struct ac_store *st, int64_t item_id, struct ac_bench_row *out);

/* Lists items with id > |after| in id order, at most |max|: of |credential_id|
 * when |expert_id| is 0, else those assigned to |expert_id| (any credential
 * when |credential_id| is 0). Sets |*n|; the caller releases out[0..n).
 * Returns 0, AC_ENOMEM or AC_EDB. */
int ac_store_bench_list(struct ac_store *st, int64_t credential_id, int64_t expert_id,
                        int64_t after, struct ac_bench_row *out, size_t max, size_t *n);

/* Records |expert_id|'s independent |level| for |item_id|. When that makes
 * every assigned expert agree, the item resolves to that level. Returns 0,
 * AC_ENOENT (not assigned), AC_ECONFLICT (already scored), AC_EIO or AC_EDB. */
int ac_store_bench_score(struct ac_store *st, int64_t item_id, int64_t expert_id, int level,
                         int64_t now_ms);

/* Records the conference result of |item_id|: |level| with annotations
 * (copied; NULL keeps the current). Returns 0, AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_bench_resolve(struct ac_store *st, int64_t item_id, int level,
                           const char *key_characteristics, const char *common_errors, int64_t by,
                           int64_t now_ms);

/* ---- training modules ---- */

/* Stores |content| (JSON text, copied) as |credential_id|'s training module,
 * replacing any. Returns 0, AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_training_put(struct ac_store *st, int64_t credential_id, const char *content,
                          int64_t by, int64_t now_ms);

/* Sets |*content| to a malloc'd copy (caller frees) of the module and
 * |*generated_ms|. Returns 0, AC_ENOENT, AC_ENOMEM or AC_EDB. */
int ac_store_training_get(struct ac_store *st, int64_t credential_id, char **content,
                          int64_t *generated_ms);

/* Stores |content| (JSON text) as the node's one general module.
 * Returns 0, AC_EIO or AC_EDB. */
int ac_store_general_put(struct ac_store *st, const char *content, int64_t by, int64_t now_ms);

/* Like ac_store_training_get for the general module. */
int ac_store_general_get(struct ac_store *st, char **content, int64_t *updated_ms);

#endif
