/* cert.h - cross-node certification (docs/borrowing.md, "Cross-node
 * certification"), shared by node/federation/cert_*.c and the lifecycle
 * hook that tells a stand-in's home node of a change.
 *
 * The lender's reviewer acts on the lender; each act is a signed message to
 * the issuer (cert.apply, cert.trained, cert.attempt, cert.answers: right
 * `lend` at the issuer), which runs its own certification services on the
 * reviewer's stand-in and answers with a cert.state message (right `certify`
 * at the lender) carrying the whole picture: state, modules, the open draw
 * (never expert scores), the last grading, a refusal, and once certified the
 * signed reviewer-certification record. Everything runs on the loop thread. */
#ifndef AC_NODE_FEDERATION_CERT_H
#define AC_NODE_FEDERATION_CERT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "accord/base/buf.h"
#include "json_cbor.h"
#include "problem.h"

struct ac_node;
struct ac__federation;
struct ac__fed_peer;
struct ac_envelope;
struct ac_remote_cert;

/* How long a reviewer-certification record is valid after it is issued. */
#define AC__CERT_VALID_MS (365LL * 86400 * 1000)

/* ---- wire (cert_codec.c, cert_queue.c) ---- */

/* Queues a |type| message with |body| to |peer| inside the caller's
 * transaction, under a fresh random id, and asks for its sender to be woken
 * on the next loop turn (after the commit). Returns 0, AC_EINVAL, AC_ENOMEM
 * or a store error. */
int ac__cert_queue(struct ac_node *n, const char *peer, const char *type, const json_t *body);

/* The answer body {"re": id, "state": state}. Returns 0 or AC_ENOMEM. */
int ac__cert_answer(const char *id, const char *state, struct ac_buf *out);

/* ---- issuer side (cert_issuer.c) ---- */

/* Applies cert.apply, cert.trained, cert.attempt or cert.answers from lender
 * |from| (federation receiver; inside its transaction). A refusal by the
 * certification services is no failure of the message: it goes back in the
 * cert.state reply with nothing else changed. Returns 0, or an error with
 * |why| filled for a malformed body or a store failure. */
int ac__cert_apply_request(struct ac__federation *f, struct ac__fed_peer *from,
                           const struct ac_envelope *e, struct ac_buf *answer,
                           struct ac_reason *why);

/* Queues the cert.state of stand-in |who| (user_id 0: none here) for |ref|
 * (ID or ID@VERSION) with |problem| (NULL: none) INSIDE the caller's
 * transaction (cert_state.c). Returns 0, AC_ENOMEM or a store error. */
struct ac_remote_reviewer;
int ac__cert_queue_state(struct ac_node *n, const struct ac_remote_reviewer *who, const char *ref,
                         const struct ac_reason *problem);

/* Lifecycle hook (cert_state.c): the certification of |user| for credentials row
 * |credential_row| changed by this node's own hand (manual screening,
 * monitoring, reinstatement). When |user| is a stand-in, queues a cert.state
 * to its home node INSIDE the caller's transaction; otherwise does nothing.
 * Returns 0 or a store error. */
int ac__cert_stand_in_changed(struct ac_node *n, int64_t credential_row, int64_t user);

/* ---- lender side (cert_lender.c, cert_refused.c) ---- */

/* Applies a cert.state from issuer |from|: verifies any record it carries
 * with |from|'s keys, then keeps the issuer's word. Returns 0 or an error with
 * |why| filled (no such application, a record that does not verify or names
 * another reviewer: nothing changed). */
int ac__cert_apply_state(struct ac__federation *f, struct ac__fed_peer *from,
                         const struct ac_envelope *e, struct ac_buf *answer, struct ac_reason *why);

/* Sender hook: |peer| refused message |type| with |body| for good (HTTP
 * |status|, problem text |text|). For a cert.* request of ours the
 * reviewer's application shows state "refused" with that reason. Logs on
 * failure; never fails the sender. */
void ac__cert_undeliverable(struct ac_node *n, const char *peer, const char *type,
                            const uint8_t *body, size_t len, int status, const char *text);

/* Reviewer |actor| (user id, with the reviewer role) applies to |issuer| for
 * its credential |credential| with |answers| (a JSON object, borrowed; NULL:
 * {}) and |held| (NULL or a JSON array, borrowed, of at most 16
 * {credential, record}: records the issuer issued, which it checks itself
 * for "holds credential X"). Sets |*id| to the new application. Returns 0, AC_EACCES, AC_ENOENT
 * (no such peer), AC_ECONFLICT (already applied), AC_EINVAL, AC_ENOMEM or a
 * store error, with |why| filled. */
int ac_remote_cert_apply(struct ac_node *n, int64_t actor, const char *issuer,
                         const char *credential, const json_t *answers, const json_t *held,
                         int64_t *id, struct ac_reason *why);

/* Reviewer |actor| asks the issuer of application |id| for |what|:
 * "trained" (they completed the general and training modules it sent),
 * "attempt" (a fresh draw), or "answers" for |attempt| with |answers| (a
 * JSON array of {item_id, level}, borrowed). Returns 0, AC_EACCES
 * (not-yours), AC_ENOENT, AC_ECONFLICT (wrong state, a request waiting, an
 * attempt that is not open), AC_EINVAL or a store error, with |why| filled. */
int ac_remote_cert_request(struct ac_node *n, int64_t actor, int64_t id, const char *what,
                           int64_t attempt, const json_t *answers, struct ac_reason *why);

/* The application |c| as the API shows it: a new object, or NULL. */
json_t *ac__remote_cert_json(const struct ac_remote_cert *c);

/* Verifies |len| bytes at |data| as a reviewer-certification record signed
 * by a peer of this node that names this node's reviewer. Sets |*out| to
 * {issuer, reviewer, credential, version, issued_at, expires_at, ...}.
 * Returns 0 or an error with |why| filled. */
int ac_remote_cert_verify(struct ac_node *n, const uint8_t *data, size_t len, json_t **out,
                          struct ac_reason *why);

/* Routes (api_cert.c). */
void ac__cert_api_register(struct ac_node *n);

#endif
