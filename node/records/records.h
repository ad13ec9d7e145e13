/* records.h - the node's verifiable-records services: the record writer
 * (issuing: sign, append to the transparency log, persist, checkpoint in one
 * transaction), status changes (revoke, suspend, reinstate), signing-key
 * rotation, and the in-memory record state beside the store (the status list,
 * the transparency log's tree head and the published bodies with their ETags).
 *
 * Services here take ids and parsed values, check the actor's right, open the
 * only transaction, write the audit entry (node/audit.h) and return 0 or an
 * AC_E* code with a struct ac_reason. Handlers (node/http/api_records.c,
 * api_tlog.c, api_status.c, api_wellknown.c) call them and render. "tlog"
 * always means the transparency log; "log" the line logger. */
#ifndef AC_NODE_RECORDS_H
#define AC_NODE_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "accord/base/buf.h"
#include "accord/records/bundle.h"
#include "accord/records/merkle.h"
#include "accord/records/record.h"
#include "accord/records/status.h"
#include "accord/store/record.h"
#include "accord/store/status.h"
#include "accord/store/tlog.h"
#include "accord/store/user.h"
#include "internal.h"
#include "problem.h"

#define AC__URL_MAX 288     /* scheme, a 255-byte host, brackets and a port */
#define AC__ETAG_MAX 40     /* "\"" + up to 32 hex + "\"" + NUL */
#define AC__MAX_AGE_S 60    /* Cache-Control max-age of every public read */
#define AC__STATUS_TTL_S 60 /* the status token's ttl claim: re-fetch after this */
/* A cached status token is re-signed after this long even without changes,
 * so its iat stays recent and its exp (iat + one day) never passes; half its
 * ttl, because a verifier holds a bundle's snapshot to that ttl
 * (docs/records.md), so an exported bundle must start with most of it left. */
#define AC__TOKEN_REFRESH_MS (AC__STATUS_TTL_S * 1000 / 2)
#define AC__TOKEN_LIFETIME_S (24 * 60 * 60)

#define AC_ISSUE_HASH_BYTES 32

/* A published body and its strong ETag (hex of the first 16 bytes of its
 * SHA-256). Empty (len 0) until first built; |stale| asks for a rebuild. */
struct ac__published {
    struct ac_buf body;
    char etag[AC__ETAG_MAX];
    int64_t made_ms;
    int stale;
};

/* The newest checkpoint this process (or, through the file
 * <data_dir>/tlog-published, another process of this node sharing the data
 * directory) published: served, put in a bundle or sent to a peer. The
 * database's log must extend it (node/records/tlog_guard.c). */
struct ac__tlog_published {
    int known; /* 0: nothing published yet (a new node, or no file) */
    uint64_t size;
    uint8_t root[AC_MERKLE_HASH_BYTES];
};

#define AC__HALT_REASON_MAX 400

/* The node's record state kept in memory beside the store (rebuilt from the
 * store at open). Memory follows the store: it changes only after a commit,
 * and follows the stored log head when another process moved it. */
struct ac__records {
    struct ac_status_list *status;     /* owned */
    int64_t status_version;            /* ac_store_status_version() |status| reflects */
    struct ac_merkle_tree tree;        /* head of the persisted transparency log */
    char issuer[AC__URL_MAX];          /* the records' iss: the node's base URL */
    char origin[AC__URL_MAX + 8];      /* the checkpoint origin and signed-note key name */
    char status_uri[AC__URL_MAX + 20]; /* where the status token is published */
    struct ac__published checkpoint;   /* the newest signed checkpoint note */
    struct ac__published token;        /* the Token Status List CWT */
    struct ac__published bitstring;    /* the W3C encodedList JSON */
    struct ac__tlog_published published;
    /* Set, with the reason, when the database's log does not extend
     * |published|: signing stops for the life of the process (issuing
     * answers 503 signing-halted), reads go on. */
    int halted;
    char halt_reason[AC__HALT_REASON_MAX];
    /* Set while the callback of ac__checkpoint_fresh() runs with a head a
     * reader thread just read and found current: ac__checkpoint_refresh()
     * then reads it no more (the loop's alone). */
    int head_fresh;
    /* With it, the status version the same thread read: ac__status_publish()
     * takes it instead of reading, when it is the one |status| reflects. */
    int64_t fresh_status_version;
    /* Bumped on every checkpoint published into memory and every head
     * followed (issue.c): a head a reader thread read is applied only when
     * this, the status version and |published| are unchanged since. */
    uint64_t checkpoint_generation;
    /* A key rotation is under way (node/records/keys.c): another is refused. */
    int rotating;
};

/* ---- state (node/records/issue.c) ---- */

/* Loads the record state from |n|->store into |n|->records. Also reloads:
 * when |n|->records is already loaded (the issue job does so after a
 * rolled-back issue), the new state replaces it only once it loaded whole; on
 * failure the old one stays, so requests never find it NULL. Returns 0,
 * AC_ENOMEM, AC_EDB or AC_EPARSE (stored status entries that cannot be). */
int ac__records_open(struct ac_node *n);

/* Frees |n|->records; NULL is a no-op. */
void ac__records_close(struct ac_node *n);

/* The issuer meant by |given| in a recognition policy, catalog filter or
 * approval: this node's records name it by its base URL (their iss claim), so
 * NULL, or this node's id, means that URL; anything else is taken as is. */
const char *ac__issuer_of(const struct ac_node *n, const char *given);

/* Sets |p|'s ETag from its body. */
void ac__published_seal(struct ac__published *p, int64_t now_ms);

/* The keyring as a COSE / signed-note signing callback (|ctx| is the keyring). */
int ac__keyring_sign_cb(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64]);

/* Signs a checkpoint of the tree of |size| leaves with |root| under the
 * current key into |note| (NUL-terminated). Returns 0 or an AC_E* code. */
int ac__checkpoint_sign(struct ac_node *n, uint64_t size, const uint8_t root[AC_MERKLE_HASH_BYTES],
                        struct ac_buf *note);

/* Makes |note| (NUL-terminated, borrowed) the published checkpoint; on
 * failure marks it stale so the next read reloads it from the store. */
void ac__checkpoint_publish(struct ac_node *n, const struct ac_buf *note);

/* Makes the published checkpoint the stored one when another process of
 * this node (sharing the database) moved the log head, or a publish failed:
 * follows the tree head and status list to the stored head after checking
 * that it extends what this node published (halting signing when not).
 * Everything that serves or sends the checkpoint calls this first. Returns 0
 * or an AC_E* code. */
int ac__checkpoint_refresh(struct ac_node *n);

/* ac__checkpoint_refresh() without the loop waiting on the database: the
 * head row is read on a reader thread (node/readers.h); then, on the loop,
 * when it is what memory holds, |then|(x, n, arg, 0) runs with every
 * ac__checkpoint_refresh() inside it answering 0 at once (no read); when it
 * is not (another process of this node moved the head, a publish failed:
 * rare), ac__checkpoint_refresh() runs in place first and |then| gets its
 * code. |then| is called exactly once, later (or inside this call without
 * reader threads), with AC_EIO when the pool stopped first; it answers |x|
 * and frees |arg|. */
typedef void (*ac__fresh_cb)(struct ac_http_exchange *x, struct ac_node *n, void *arg, int err);
void ac__checkpoint_fresh(struct ac_node *n, struct ac_http_exchange *x, ac__fresh_cb then,
                          void *arg);

/* ---- the single writer's guard (node/records/tlog_guard.c) ---- */

/* The transparency log as a Merkle source for proofs (reads leaf hashes and
 * stored subtrees from the store). */
void ac__tlog_source(struct ac_node *n, struct ac_merkle_source *src);

/* Reads <data_dir>/tlog-published into |n|->records->published (nothing
 * known when there is no file; a damaged one is logged and ignored).
 * Returns 0 or AC_EIO. */
int ac__tlog_published_load(struct ac_node *n);

/* Records that the checkpoint of |size| leaves with |root| is published: in
 * memory, and in the file unless it names a larger size already (another
 * process of this node published further). A file that cannot be written is
 * logged; the memory still holds it. */
void ac__tlog_published_note(struct ac_node *n, uint64_t size,
                             const uint8_t root[AC_MERKLE_HASH_BYTES]);

/* Checks that the stored |head| extends the published checkpoint: not
 * smaller, and the tree of the published size has the published root.
 * When not, halts signing (logged once, with the reason) and returns
 * AC_ECONFLICT. Returns 0, AC_ECONFLICT or the store's code. */
int ac__tlog_check(struct ac_node *n, const struct ac_store_tlog_head *head);

/* ac__tlog_check() with the root of the stored tree at the published size
 * already read (on a reader thread) in |at| (may be NULL): when |at| is of
 * the published size the check reads nothing. */
int ac__tlog_check_at(struct ac_node *n, const struct ac_store_tlog_head *head,
                      const struct ac__tlog_published *at);

/* Sets |*tree| to the tree head of the stored log at |head|, from the
 * O(log n) stored subtrees and leaves that make it (all leaves when a
 * subtree is missing), and checks it has |head|'s root (AC_EDB, logged,
 * when not). Returns 0, AC_EDB or the store's code. */
int ac__tlog_tree_load(struct ac_node *n, const struct ac_store_tlog_head *head,
                       struct ac_merkle_tree *tree);

/* ac__tlog_tree_load() on store |st|, touching nothing else: a reader
 * thread's. */
int ac__tlog_tree_load_from(struct ac_store *st, const struct ac_store_tlog_head *head,
                            struct ac_merkle_tree *tree);

/* Fails with 503 signing-halted and the reason in |why| when signing has
 * stopped. Returns 0 or AC_ECONFLICT. */
int ac__tlog_need_signing(struct ac_node *n, struct ac_reason *why);

/* The transparency log of store |st| as a Merkle source: touches nothing but
 * |st|, so a reader thread may use it with its own store. */
void ac__tlog_source_of(struct ac_store *st, struct ac_merkle_source *src);

/* ---- issuing (node/records/issue.c) ---- */

/* What a pass decision (or the admin issue endpoint) asks to be issued. Text
 * fields are borrowed NUL-terminated UTF-8 within the limits of
 * include/accord/records/record.h; |evidence| may be NULL or "". */
struct ac__issue_req {
    /* The earner: a verified e-mail address (checked, lowercase) the record
     * names as its salted hash with a fresh salt (records/subject.h), and
     * the account that earned it (0: an admin issued it to the address). */
    const char *email;
    int64_t earner_id;
    const char *definition_id; /* credential definition id */
    uint64_t definition_version;
    uint8_t content_hash[AC_ISSUE_HASH_BYTES]; /* SHA-256 of the definition */
    const char *achieved_level;                /* the level name the decision reached */
    int has_ceu;
    uint64_t ceu_hundredths; /* 150 = 1.5 CEUs; used when |has_ceu| */
    const char *evidence;    /* short evidence summary, or NULL */
};

/* The record writer, for the node itself (a pass decision): as
 * ac__records_issue() with the node (audit actor 0) as the issuer and no
 * right to check. Must not be called inside another store transaction.
 * Returns 0, AC_EINVAL, AC_E2BIG, AC_ENOMEM, AC_ECRYPTO, AC_EIO or AC_EDB. */
int ac__credential_issue(struct ac_node *n, const struct ac__issue_req *req,
                         int64_t *record_id_out);

/* Issues one record on |by|'s request (borrowed; must hold the admin role)
 * to req->email (an address the admin vouches for, checked here; the
 * record then has no earner account) or, when that is NULL, to the
 * verified address of user req->earner_id (AC_ECONFLICT, EMAIL_UNVERIFIED,
 * when it has none; AC_ENOENT when there is no such user):
 * assigns a random status index, signs the native record (COSE_Sign1,
 * current key) carrying its log index and status reference, appends it to the
 * transparency log and stores record, leaf, status entry, a newly signed
 * checkpoint of the new tree and the audit row ("record" <id> "issue") in ONE
 * transaction, opened here; so it must not be called inside another. Runs on
 * the loop thread. On 0 fills |*out| (may be NULL) with the stored row.
 * Returns 0; AC_EACCES (FORBIDDEN); AC_EINVAL (INVALID_FIELD: a field too
 * long, named with its value and the rule, or not UTF-8); AC_E2BIG
 * (STATUS_LIST_FULL); AC_ENOMEM, AC_ECRYPTO, AC_EIO or AC_EDB. On failure
 * nothing is stored and memory state is unchanged. */
int ac__records_issue(struct ac_node *n, const struct ac_user *by, const struct ac__issue_req *req,
                      struct ac_store_record *out, struct ac_reason *why);

/* ---- status changes and publishing (node/records/status.c) ---- */

/* Changes the status of record |record_id| to |to| (AC_STATUS_INVALID
 * revokes, AC_STATUS_SUSPENDED suspends, AC_STATUS_VALID reinstates) with
 * |reason| (checked by the caller: 1-200 bytes) on |by|'s request (borrowed;
 * must hold the admin role), with its audit row ("record" <id> "revoke",
 * "suspend" or "reinstate"), in one transaction. On 0 fills |*out| (may be
 * NULL) with the new status entry. Returns 0; AC_EACCES (FORBIDDEN);
 * AC_ENOENT (no such record); AC_ECONFLICT (STATUS_CONFLICT: any change to a
 * revoked record, since revocation is final; suspending a suspended one;
 * reinstating one that is not suspended); AC_EIO or AC_EDB. Memory changes
 * only after the commit. */
int ac__records_set_status(struct ac_node *n, const struct ac_user *by, int64_t record_id,
                           enum ac_status to, const char *reason, struct ac_store_status *out,
                           struct ac_reason *why);

/* Reloads the status list from the store (when another process of this
 * node changed it), replacing the one in memory only when the load
 * succeeds, and marks the token and bitstring stale. Returns 0 or an AC_E*
 * code (node/records/issue.c). */
int ac__status_reload(struct ac_node *n);

/* Builds (or refreshes) the status token and the bitstring JSON when stale,
 * first following the store when another process of this node issued or
 * changed a status. The bitstring is built even when the token cannot be
 * signed. Returns 0 or an AC_E* code: AC_EBUSY while a key rotation seals
 * the keyring and no token younger than its ttl is cached. */
int ac__status_publish(struct ac_node *n);

/* The same for the bitstring alone, which needs no signature (the bitstring
 * route, the OB 3.0 status lists). Returns 0 or an AC_E* code. */
int ac__status_publish_bitstring(struct ac_node *n);

/* ---- who may read a record, and share links (node/records/share.c) ---- */

/* A share token: 16 random bytes as unpadded base64url. */
#define AC__SHARE_TOKEN_LEN 22

/* Checks that |by| may read record |record_id| by its row id: an admin, or
 * the earner it was issued to. Anyone else is told it does not exist, so row
 * ids cannot be probed. Returns 0, AC_ENOENT or AC_EDB. */
int ac__records_may_read(struct ac_node *n, const struct ac_user *by, int64_t record_id,
                         struct ac_reason *why);

/* ac__records_may_read() on store |st|: touches nothing else, so a reader
 * thread may call it with its own store (node/readers.h). */
int ac__records_may_read_in(struct ac_store *st, const struct ac_user *by, int64_t record_id,
                            struct ac_reason *why);

/* Makes a share link for record |record_id| on |by|'s request (who must be
 * allowed by ac__records_may_read()), with the audit row ("record" <id>
 * "share"). Writes the token (AC__SHARE_TOKEN_LEN + 1 bytes) to |token|.
 * Returns 0, AC_ENOENT, AC_ENOMEM, AC_EIO or AC_EDB. */
int ac__records_share(struct ac_node *n, const struct ac_user *by, int64_t record_id,
                      char token[AC__SHARE_TOKEN_LEN + 1], struct ac_reason *why);

/* Withdraws share |token| of record |record_id| on |by|'s request, with the
 * audit row ("record" <id> "unshare"); the link answers 404 from then on.
 * Returns 0, AC_ENOENT (no such record for |by|, or no such live link),
 * AC_EIO or AC_EDB. */
int ac__records_unshare(struct ac_node *n, const struct ac_user *by, int64_t record_id,
                        const char *token, struct ac_reason *why);

/* Sets |*record_id| to the record a live share |token| leads to. A read:
 * nothing checked but the token. Returns 0, AC_ENOENT or AC_EDB. */
int ac__records_shared(struct ac_node *n, const char *token, int64_t *record_id);

/* ac__records_shared() on store |st| (a reader thread's, node/readers.h). */
int ac__records_shared_in(struct ac_store *st, const char *token, int64_t *record_id);

/* The opening of a record's subject: what shows that its salted hash
 * names a given address. */
struct ac__opening {
    char subject[AC_RECORD_SUB_MAX + 1]; /* the record's sub */
    char salt[AC_RECORD_SALT_MAX + 1];   /* the record's salt */
    char email[AC_USER_EMAIL_MAX + 1];   /* the address hashed */
    char cti_hex[2 * AC_RECORD_CTI_BYTES + 1];
};

/* Fills |*out| with the opening of record |record_id| for |by|, who must be
 * the record's earner: the teacher's own node attests which of her
 * addresses her record's subject hashes, so she can show a recognizer (who
 * checks the hash against the record's salt itself). Nobody else, an admin
 * included, is told (AC_ENOENT, NOT_FOUND). A read: nothing audited.
 * Returns 0, AC_ENOENT, AC_EPARSE (a stored record that does not decode),
 * AC_ENOMEM or AC_EDB. */
int ac__records_opening(struct ac_node *n, const struct ac_user *by, int64_t record_id,
                        struct ac__opening *out, struct ac_reason *why);

/* ---- signing keys (node/records/keys.c) ---- */

/* Appends the credential bundle (bundle.h) of record |id| to |out|: the
 * record with its inclusion proof at the published checkpoint, the status
 * snapshot, the witnesses' cosignatures on that checkpoint, the signing keys'
 * hand-overs and the OB 3.0 form (left out, and logged, when the definition
 * cannot be expressed in it) (node/records/bundle_export.c). Returns 0,
 * AC_ENOENT (no such record), AC_ENOMEM, AC_EDB or another store code. */
int ac__records_bundle(struct ac_node *n, int64_t id, struct ac_buf *out);

/* The same in two steps, so the store reads can run on a reader thread
 * (node/readers.h): the parts of a bundle that come from the store. */
struct ac__bundle_parts {
    uint64_t size; /* the log size the proof and cosignatures are for */
    struct ac_store_record rec;
    struct ac_buf cose, cosigs;
    struct ac_buf keys[AC_BUNDLE_KEYS_MAX];
    size_t nkeys;
    struct ac_merkle_proof proof;
    int err; /* a copy that failed while reading */
    /* Owned (records/ob3_serve.h): what the OB 3.0 form is made from, read
     * with the rest; NULL when there was no memory for it (then read at
     * finish, in place). */
    struct ac__ob3_parts *ob3;
};

/* Empties |p| for a read at log size |size| (the loop's tree size when the
 * read is asked for). */
void ac__bundle_parts_init(struct ac__bundle_parts *p, uint64_t size);

/* Frees what |p| holds. */
void ac__bundle_parts_release(struct ac__bundle_parts *p);

/* Reads record |id|, its inclusion proof at p->size, the cosignatures on
 * that size and the key hand-overs from |st| into |p|. Touches nothing but
 * |st| and |p|, so a reader thread may call it with its own store. Returns
 * 0, AC_ENOENT (no such record), AC_EAGAIN (the record is newer than
 * p->size), AC_ENOMEM or a store code. */
int ac__bundle_read(struct ac_store *st, int64_t id, struct ac__bundle_parts *p);

/* On the loop: completes |p| (read for record |id|) with the published
 * checkpoint, the status snapshot and the OB 3.0 form, and appends the
 * bundle to |out|. Returns 0, AC_EAGAIN (a record was issued since |p| was
 * read, so the published checkpoint has another size: read again), or an
 * AC_E* code as ac__records_bundle(). */
int ac__bundle_finish(struct ac_node *n, int64_t id, const struct ac__bundle_parts *p,
                      struct ac_buf *out);

/* Rotates the node's signing key on |by|'s request (borrowed; must hold the
 * admin role): the outgoing key signs its hand-over of the committed log
 * head, and the hand-over, that head re-signed under the new key (so a
 * verifier that trusts only current keys can still check the transparency
 * log) and the audit row ("key" <new kid> "rotate") commit together as a
 * task of the request groups, the loop waiting on no round trip and no
 * disk: the keyring's files are written on a libuv worker meanwhile, the
 * request groups held and the keyring signing nothing until the new key is
 * durable and taken in (node/records/keys.c). Returns 0, and |done|(n, |arg|, err, why) is called
 * on the loop exactly once, later (or before this returns without a writer
 * thread): 0 once the rows committed, else the failure (AC_ECANCELED when
 * the node stops first; a failure after the keyring rotated is logged, and
 * the rotation stands); |why| (borrowed for the call) may name a refusal.
 * Or returns at once, |done| never called: AC_EACCES (FORBIDDEN),
 * AC_ECONFLICT with |why| (signing halted, or another rotation under way:
 * 409) or AC_ENOMEM. A checkpoint that cannot be re-signed leaves the old,
 * still valid, one published (logged; the rotation stands). */
typedef void (*ac__rotated_cb)(struct ac_node *n, void *arg, int err, const struct ac_reason *why);
int ac__records_rotate_key(struct ac_node *n, const struct ac_user *by, struct ac_reason *why,
                           ac__rotated_cb done, void *arg);

#endif
