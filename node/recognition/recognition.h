/* recognition.h - the recognition services: a recognizer's policies (which
 * credentials from which issuers count, for how many CEUs, toward what), the
 * record of presented credentials with the verdict of verifying them, and the
 * approvals an earner asks of a recognizer before pursuing a credential, and
 * the earner's catalog of credentials with those district filters.
 *
 * Each service takes ids and parsed values (the handlers in
 * node/http/api_recognition.c and api_catalog.c have checked the input's
 * shape), checks |by|'s right, opens the only transaction, writes the audit
 * row (node/audit.h) and returns 0 or an AC_E* code with a struct ac_reason
 * (may be NULL) saying why. See docs/api-recognition.md. */
#ifndef AC_NODE_RECOGNITION_H
#define AC_NODE_RECOGNITION_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "accord/store/store_recognition.h"
#include "accord/store/user.h"
#include "problem.h"

struct ac_node;

/* ---- policies (node/recognition/policies.c) ---- */

/* Creates policy |p| (its issuer, credential, minimum version, CEUs, purpose,
 * approval flag and note filled and checked by the caller) for |by| (who
 * must hold the recognizer role and becomes its recognizer), with the audit
 * row ("policy" <id> "create"). Sets p->id, p->recognizer_id and the times on
 * 0. Returns 0, AC_EACCES (FORBIDDEN), AC_EEXIST (CONFLICT on
 * "credential_id": |by| already has an active policy for this issuer,
 * credential and purpose), AC_EINVAL, AC_EIO or AC_EDB. */
int ac__policies_create(struct ac_node *n, const struct ac_user *by, struct ac_policy *p,
                        struct ac_reason *why);

/* Retires policy |policy_id| of |by| (a recognizer), with the audit row
 * ("policy" <id> "retire"); retiring a retired policy changes nothing. Fills
 * |*out| with the policy as now stored. Another recognizer's policy answers
 * as if it did not exist. Returns 0, AC_EACCES (FORBIDDEN), AC_ENOENT, AC_EIO
 * or AC_EDB. */
int ac__policies_retire(struct ac_node *n, const struct ac_user *by, int64_t policy_id,
                        struct ac_policy *out, struct ac_reason *why);

/* ---- presentations (node/recognition/presentations.c) ---- */

/* Records that |by| (a recognizer) was presented the record described by
 * |p| (record hash, claims, teacher, verdict, status and checks filled by the
 * caller from the decoded record and accord-verify's output), with the audit
 * row ("presentation" <id> "record"). A record seen before by |by| gets the
 * new verdict (re-verification) and |*created| 0; a new one |*created| 1.
 * Fills |*p| as now stored. Returns 0, AC_EACCES (FORBIDDEN), AC_ECONFLICT
 * (CONFLICT on "teacher": the record was presented for another teacher),
 * AC_EINVAL, AC_EIO or AC_EDB. */
int ac__presentations_record(struct ac_node *n, const struct ac_user *by, struct ac_presentation *p,
                             int *created, struct ac_reason *why);

/* How long a verdict's status is trusted before a read of the totals checks
 * it again with the issuer: the ttl Accord issuers put in their status
 * tokens (node/records/records.h). */
#define AC__RECOGNITION_STATUS_TTL_S 60

/* Answers ac__presentations_present(): on 0, |p| is the presentation as now
 * stored and |created| says whether it is new; otherwise |err| and |why| say
 * why nothing was recorded. Everything is borrowed for the call only. */
typedef void (*ac__presentation_cb)(void *arg, int err, const struct ac_presentation *p,
                                    int created, const struct ac_reason *why);

/* Who a presented record must be bound to: the record's subject and salt
 * (decoded by the caller) and the teacher's e-mail address as the
 * recognizer knows it ("" to use the verified address of the teacher's
 * account here, p->earner_id). */
struct ac__holder {
    char email[AC_USER_EMAIL_MAX + 1];
    char subject[101];
    char salt[65];
};

/* Verifies the |len| bytes at |data| (a record or a credential bundle, taken
 * over: freed by the service) itself, with core/trust and everything fetched
 * from the issuer now (node/recognition/verify.c), then records it like
 * ac__presentations_record() with that verdict. |p| carries the teacher and
 * the record's claims decoded by the caller (copied). First, the holder
 * binding: the record counts for the teacher only when its subject is the
 * salted hash of |h|->email (or of the earner account's verified address)
 * with the record's salt; otherwise AC_EINVAL with HOLDER_MISMATCH (or
 * INVALID_FIELD "email" when no address is known) and nothing is recorded.
 * The record and its audit row are written in a task of the request group
 * (ac__reqtx_task()), off the loop, and |cb| told after the group's COMMIT
 * (AC_ECANCELED when the node stopped first). Calls |cb| exactly once, later
 * from the loop thread, or before returning when the binding fails, |by| is
 * not a recognizer or memory runs out. */
void ac__presentations_present(struct ac_node *n, const struct ac_user *by,
                               const struct ac_presentation *p, const struct ac__holder *h,
                               uint8_t *data, size_t len, ac__presentation_cb cb, void *arg);

/* Answers ac__recognition_total(): on 0, the |count| credentials that count
 * for the teacher (borrowed for the call). */
typedef void (*ac__total_cb)(void *arg, int err, const struct ac_recognized *r, size_t count);

/* Reads what counts for |teacher| with |by| (a recognizer), after checking
 * again, with the issuer, every presentation whose verdict is older than
 * AC__RECOGNITION_STATUS_TTL_S: a revocation since removes its CEUs, a
 * reinstatement restores them, an issuer that cannot be reached makes it
 * count nothing. Changed verdicts are stored and audited. The reads run on
 * a reader thread (ac__read_submit()), the re-checks' writes, and the total
 * read after them, in a task of the request group (ac__reqtx_task()): none
 * on the loop. Calls |cb| exactly once, from the loop thread (later, or
 * before returning when |by| is no recognizer or memory ran out).
 * Errors: AC_EACCES, AC_ENOMEM, AC_EIO, AC_EDB, AC_EAGAIN (busy: too many
 * verifications running, or lost races), AC_ECANCELED (the node is
 * stopping). */
void ac__recognition_total(struct ac_node *n, const struct ac_user *by, const char *teacher,
                           ac__total_cb cb, void *arg);

/* ---- verification on a worker (node/recognition/verify.c) ---- */

struct ac__verify_item {
    uint8_t *data; /* owned: the record or bundle */
    size_t len;
    int64_t presentation_id; /* the caller's; 0 for a new one */
    /* The issuer the record names, which one of the recognizer's policies
     * must name too; every URL fetched must lie under it. Empty: no policy
     * names it, so nothing is fetched and the verdict is indeterminate (a
     * presented record must not make the node fetch where it points). */
    char iss[AC_POLICY_ISSUER_MAX + 1];
    /* results, set by the worker */
    enum ac_verdict verdict;
    char status[16]; /* the "status" check's result, or "absent" */
    char *checks;    /* owned: accord-verify's JSON list of checks */
};

struct ac__verify_job {
    uv_thread_t thread; /* runs the batch */
    uv_async_t async;   /* wakes the loop when it is done */
    struct ac_node *n;
    int64_t now_ms;
    struct ac__verify_item *items; /* owned */
    size_t count;
    int err; /* AC_ENOMEM in the worker, else 0 */
    void (*done)(struct ac__verify_job *job);
    void *arg; /* the caller's */
};

/* A job of |count| empty items, or NULL when out of memory. */
struct ac__verify_job *ac__verify_job_new(size_t count);

/* Frees |job| and its items; NULL is a no-op. */
void ac__verify_job_free(struct ac__verify_job *job);

/* Batches verified at once, node-wide; one more is refused (busy). */
#define AC__VERIFY_RUNNING_MAX 8

/* Verifies every item of |job| on a thread of its own as of |now_ms|, then
 * calls |done| on the loop thread (which frees the job; job->err says
 * AC_ENOMEM, or AC_EIO when the thread could not start). Returns 0, AC_EAGAIN
 * when AC__VERIFY_RUNNING_MAX batches are running or AC_EIO when the loop
 * refused a handle (|done| is then never called). */
int ac__verify_start(struct ac_node *n, struct ac__verify_job *job, int64_t now_ms,
                     void (*done)(struct ac__verify_job *job), void *arg);

/* ---- approvals (node/recognition/approvals.c) ---- */

/* Asks recognizer |recognizer_id|, on behalf of |by| (an earner), to approve
 * pursuing |credential_id| from |issuer| (this node's base URL for its own
 * credentials; see ac__issuer_of()), with |note| (may be NULL), and writes
 * the audit row ("approval" <id> "request"). Fills |*out| on 0. Returns 0,
 * AC_EACCES (FORBIDDEN), AC_ECONFLICT (CONFLICT on "credential_id": the
 * recognizer has no active policy for it, or counts it without approval),
 * AC_EEXIST (CONFLICT on "credential_id": a pending or approved request
 * exists), AC_EINVAL, AC_EIO or AC_EDB. */
int ac__approvals_request(struct ac_node *n, const struct ac_user *by, int64_t recognizer_id,
                          const char *issuer, const char *credential_id, const char *note,
                          struct ac_approval *out, struct ac_reason *why);

/* Approves (|approve|) or denies, with |reason| ("" or NULL allowed only
 * when approving; checked by the caller), approval |approval_id| on |by|'s
 * decision, with the audit row ("approval" <id> "approve" or "deny"). Only
 * the recognizer it is addressed to may decide; to anyone who is neither a
 * party nor an admin it does not exist. Fills |*out| on 0. Returns 0,
 * AC_EACCES (FORBIDDEN: not a recognizer, or an admin or earner who is not
 * the recognizer asked), AC_ENOENT, AC_ECONFLICT (CONFLICT on "decision":
 * already decided), AC_EINVAL, AC_EIO or AC_EDB. */
int ac__approvals_decide(struct ac_node *n, const struct ac_user *by, int64_t approval_id,
                         int approve, const char *reason, struct ac_approval *out,
                         struct ac_reason *why);

/* ---- the earner's catalog (node/recognition/catalog.c) ---- */

/* Policies listed beside each catalog entry; more recognizers than this for
 * one credential are unlikely on one node. */
#define AC_CATALOG_RECOGNITIONS_MAX 32

/* One credential of the catalog and the active policies that count it:
 * this node's own, or one listed in an issuer peer's verified catalog. */
struct ac__catalog_item {
    struct ac_catalog_entry entry; /* its members owned; id 0 for a peer's */
    struct ac_policy *policies;    /* owned; |npolicies| of them */
    size_t npolicies;
    /* A peer's entry: its node id, the issuer URL its records carry (owned)
     * and the content hash of the definition its catalog lists; peer[0] is 0
     * and issuer NULL for this node's own. */
    char peer[AC_POLICY_PEER_MAX + 1];
    char *issuer;
    char content_hash[AC_POLICY_HASH_MAX + 1];
    int64_t fetched_ms; /* when that catalog was kept here */
};

/* Where a catalog page starts. The order is this node's own credentials by
 * row id, then peers' entries by (peer node id, credential id, version):
 * a position in it survives new credentials, a peer's catalog fetched again
 * and entries removed. */
struct ac__catalog_cursor {
    int in_peers; /* 0: after this node's row |local_id| (0: from the start) */
    int64_t local_id;
    char peer[AC_POLICY_PEER_MAX + 1]; /* when in_peers: after this key */
    char credential_id[AC_POLICY_CREDENTIAL_MAX + 1];
    int64_t version;
};

/* Where the earner's catalog reads from: the district filters, which
 * sources, and the page. */
struct ac__catalog_query {
    const char *domain;    /* NULL, or only credentials listing this domain */
    const char *stack;     /* NULL, or only credentials in this stack */
    int64_t recognizer_id; /* 0, or only those this recognizer's policies count */
    /* NULL: this node's and every issuer peer's; "self": only this node's;
     * else only that issuer peer's. Read by ac__catalog_sources_init(). */
    const char *peer;
    struct ac__catalog_cursor after;
    size_t limit; /* 1.. */
};

/* Parses a next_cursor this node issued ("<row id>" or "p.<hex>"). Returns
 * 0 or AC_EINVAL. */
int ac__catalog_cursor_parse(const char *text, struct ac__catalog_cursor *out);

/* Writes the cursor after |it| into |buf| (at least AC__CATALOG_CURSOR_MAX bytes). */
#define AC__CATALOG_CURSOR_MAX (3 + 2 * (AC_POLICY_PEER_MAX + AC_POLICY_CREDENTIAL_MAX + 22))
void ac__catalog_cursor_format(const struct ac__catalog_item *it, char *buf, size_t size);

/* What a catalog page needs of loop memory, copied on the loop: this
 * node's issuer URL and, unless only this node's credentials are listed,
 * the peer table's side of the kept catalogs (federation.h). */
struct ac__fed_catalog_peers;
struct ac__catalog_sources {
    char *issuer; /* owned: the iss of this node's records */
    int self;     /* this node's own credentials are listed (no ?peer=NODE) */
    struct ac__fed_catalog_peers *peers; /* owned; NULL with ?peer=self */
};

/* Loop: checks q->peer and fills |*out| for |q|, released with
 * ac__catalog_sources_release(). Returns 0, AC_EINVAL with |why| on "peer"
 * (not "self" nor an active issuer peer here) or AC_ENOMEM (nothing to
 * release then). */
int ac__catalog_sources_init(struct ac_node *n, const struct ac__catalog_query *q,
                             struct ac__catalog_sources *out, struct ac_reason *why);
void ac__catalog_sources_release(struct ac__catalog_sources *s);

/* Reads one page of the earner's catalog for |q| from |src|: this node's
 * active credentials, then the entries of issuer peers' kept, verified
 * catalogs (a catalog missing or failing verification gives nothing), each
 * with the active policies that count it (for a peer's entry: the policies
 * naming its issuer URL and credential at or below its version whose pinned
 * content hash, if any, is its own). Sets |*items| (the caller frees it with
 * ac__catalog_items_free()), |*count| and |*more| (another page follows).
 * A read: no right to check, nothing audited. Any thread, with its own
 * store |st|: touches nothing else but |src| and |q| (borrowed). Returns 0,
 * AC_ENOMEM or a store error (nothing to free then). */
struct ac_store;
int ac__catalog_page(struct ac_store *st, const struct ac__catalog_sources *src,
                     const struct ac__catalog_query *q, struct ac__catalog_item **items,
                     size_t *count, int *more);

/* Frees |count| items from ac__catalog_page(); NULL is a no-op. */
void ac__catalog_items_free(struct ac__catalog_item *items, size_t count);

#endif
