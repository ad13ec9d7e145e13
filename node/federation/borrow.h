/* borrow.h - borrowed review between an issuer and a lender (docs/borrowing.md):
 * what node/ shares about it. The issuer (borrow_issuer.c) offers a batch
 * given to a stand-in to the stand-in's home node, applies the answers and
 * results that come back through its own scoring service, serves artifacts to
 * the peer whose reviewer holds a live assignment, and reclaims on timeout;
 * the lender (borrow_lender.c) keeps the offered batch, lets its reviewer
 * accept, read and score it, and sends the answer and the results back; both
 * keep the reciprocity ledger (ledger.c). Message bodies travel as
 * deterministic CBOR made from JSON (borrow_wire.c). Everything runs on the
 * loop thread. */
#ifndef AC_NODE_FEDERATION_BORROW_H
#define AC_NODE_FEDERATION_BORROW_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "accord/base/buf.h"
#include "accord/review/definition.h"
#include "accord/sign/envelope.h"
#include "accord/store/remote.h"
#include "json_cbor.h"
#include "problem.h"

struct ac_node;
struct ac__federation;
struct ac__fed_peer;
struct ac_outbox_msg;

/* Message types. */
#define AC__BORROW_OFFER "review.offer"     /* issuer -> lender: a batch to review */
#define AC__BORROW_ANSWER "review.answer"   /* lender -> issuer: accepted or declined */
#define AC__BORROW_RESULT "review.result"   /* lender -> issuer: one item's scores */
#define AC__BORROW_RECLAIM "review.reclaim" /* issuer -> lender: the batch is taken back */
#define AC__BORROW_NOTICE "review.notice"   /* issuer -> lender: a reviewer set aside */
#define AC__BORROW_RECEIPT "review.receipt" /* the issuer's countersignature of a result */
#define AC__BORROW_FETCH "artifact.fetch"   /* lender -> issuer: an artifact, by hash */

/* Counter names (borrow_counts) kept per peer at the issuer. */
#define AC__BORROW_LATE "late_results" /* results refused: their batch was reclaimed */

/* ---- wire (borrow_wire.c) ---- */

/* Queues message |type| with JSON body |body| (borrowed) and id |msg_id| to
 * |peer| inside the caller's transaction. Returns 0 or AC_E*. */
int ac__borrow_queue(struct ac_node *n, const char *peer, const char *type, const char *msg_id,
                     const json_t *body);

/* Checks an envelope |raw| posted to a federation endpoint other than the
 * inbox the way the inbox does (known key, signature over the exact bytes,
 * from, key window, to, ts), and that its type is |type|. Sets |*e| (its body
 * borrowed from |raw|) and |*peer|. Returns 0 or an error with |why| naming
 * the problem. */
int ac__borrow_verify(struct ac_node *n, const uint8_t *raw, size_t len, const char *type,
                      struct ac_envelope *e, struct ac__fed_peer **peer, struct ac_reason *why);

/* "YYYY-MM" of |ms| (UTC) into |out|. */
void ac__borrow_month(int64_t ms, char out[8]);

/* Writes |nbytes| (at most 32) random bytes as hex into |out|. */
void ac__borrow_random_hex(char *out, size_t nbytes);

/* ---- issuer (borrow_issuer.c, borrow_notify.c) ---- */

/* The "borrow_offer" job of batch |job->ref|: ac__assignment_send_batches
 * stores it, in the transaction that invites a stand-in, instead of a local
 * invitation; it offers the batch to the stand-in's home node (its own
 * transaction), once. */
struct ac_job;
int ac__borrow_job_offer(struct ac_node *n, const struct ac_job *job);

/* The deadline of lent batch |batch_id| passed and its work was handed back:
 * marks it reclaimed and tells the lender, in the caller's transaction. A
 * batch not lent out is left alone (0). */
int ac__borrow_reclaim(struct ac_node *n, int64_t batch_id, const char *reason);

/* Monitoring took stand-in |reviewer| out of the pool of |def| (|action|,
 * |reason|): a signed notice to the home node, in the caller's transaction.
 * A local reviewer is left alone (0). */
int ac__borrow_notice(struct ac_node *n, int64_t reviewer, const struct ac_definition *def,
                      const char *action, const char *reason);

/* Reclaims the open lent-out work of every peer no longer active (removed
 * from the peers and the consortium), each batch in its own transaction (a
 * savepoint inside one already open: the settle's task, adopt.c, and a
 * peer's removal by an admin). */
void ac__borrow_reclaim_departed(struct ac__federation *f);

/* Inbox appliers at the issuer (receive.c's table). */
int ac__borrow_apply_answer(struct ac__federation *f, struct ac__fed_peer *from,
                            const struct ac_envelope *e, struct ac_buf *answer,
                            struct ac_reason *why);
int ac__borrow_apply_result(struct ac__federation *f, struct ac__fed_peer *from,
                            const struct ac_envelope *e, struct ac_buf *answer,
                            struct ac_reason *why);

/* ---- lender (borrow_lender.c, borrow_receipt.c) ---- */

/* The "lent_reminder" job of lent batch |job->ref|: reminds its reviewer
 * while it is open and before its deadline. */
int ac__borrow_job_reminder(struct ac_node *n, const struct ac_job *job);

/* Inbox appliers at the lender (receive.c's table). */
int ac__borrow_apply_offer(struct ac__federation *f, struct ac__fed_peer *from,
                           const struct ac_envelope *e, struct ac_buf *answer,
                           struct ac_reason *why);
int ac__borrow_apply_reclaim(struct ac__federation *f, struct ac__fed_peer *from,
                             const struct ac_envelope *e, struct ac_buf *answer,
                             struct ac_reason *why);
int ac__borrow_apply_notice(struct ac__federation *f, struct ac__fed_peer *from,
                            const struct ac_envelope *e, struct ac_buf *answer,
                            struct ac_reason *why);

/* The sender delivered |m| to |p| and got |answer| (verified, |len| bytes):
 * for a review.result, keeps the receipt (or the refusal); for a
 * review.answer accepting a batch the issuer no longer offered, ends the lent
 * batch; both before the cursor moves. Returns 0 (also for other types) or a
 * store error (then the message is sent again and the stored answer comes
 * back). A transaction body (its writes in a savepoint of the caller's
 * transaction, nothing outside the store): the sender runs it as a task of
 * the request groups. */
int ac__borrow_delivered(struct ac__fed_peer *p, const struct ac_outbox_msg *m,
                         const uint8_t *answer, size_t len);

/* Registers the issuer's, the lender's and the ledger's routes. */
void ac__borrow_register(struct ac_node *n);
void ac__borrow_issuer_register(struct ac_node *n);
void ac__borrow_lender_register(struct ac_node *n);

/* Registers the "borrow_offer" and "lent_reminder" job kinds (ledger.c).
 * Returns 0 or the error of ac__scheduler_add_kinds(). */
int ac__borrow_jobs_register(struct ac_node *n);

#endif
