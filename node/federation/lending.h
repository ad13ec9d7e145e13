/* lending.h - reviewer lending (docs/borrowing.md "Capacity and lending
 * policy"): on a lender, the admin's policy per peer and credential and the
 * check every lend passes; capacity offers sent to issuers and taken from
 * lenders; on an issuer, the borrowing mode. Everything runs on the loop
 * thread. */
#ifndef AC_NODE_FEDERATION_LENDING_H
#define AC_NODE_FEDERATION_LENDING_H

#include <stdint.h>

#include <jansson.h>

#include "accord/store/lending.h"
#include "problem.h"

struct ac_node;
struct ac_user;
struct ac__federation;
struct ac__fed_peer;
struct ac_envelope;
struct ac_buf;

/* 0 when the lending policy of this node lets reviewer |reviewer_user| (a
 * local user) take one more review for |issuer_node|'s credential
 * |credential_id| at |now_ms|, given |reviews_this_month| reviews they
 * already did or hold for that issuer this calendar month (UTC; the caller
 * counts them). Otherwise AC_ECONFLICT with |why| (problem lending-refused)
 * naming the rule, checked in this order: no policy for that peer and
 * credential; the reviewer is not listed; own queue first (the reviewer has
 * open local assignments); blackout until a date; the monthly cap reached.
 * Also AC_EDB, AC_EBUG from the store. Changes nothing. */
int ac__lending_check(struct ac_node *n, const char *issuer_node, const char *credential_id,
                      int64_t reviewer_user, int64_t reviews_this_month, int64_t now_ms,
                      struct ac_reason *why);

/* ac__lending_check(), also setting |*again_ms| (may be NULL) to when the
 * rule that refused lets the reviewer be lent again, where the rule knows:
 * the end of the blackout (and of any blackout it runs into), or the first
 * millisecond of the next month (UTC) for the monthly cap; 0 otherwise (no
 * policy, not listed, own queue first: that changes when someone acts). */
int ac__lending_check_until(struct ac_node *n, const char *issuer_node, const char *credential_id,
                            int64_t reviewer_user, int64_t reviews_this_month, int64_t now_ms,
                            struct ac_reason *why, int64_t *again_ms);

/* Reads a policy body {reviewers: "all" | [user id, ...], monthly_cap: N,
 * blackouts?: [{from: "YYYY-MM-DD", until: "YYYY-MM-DD"}, ...] (dates
 * inclusive, UTC), own_first?: bool (default true)} into |*out| (peer and
 * credential left as they are). Returns 0 or AC_EINVAL with |why| naming
 * the field, the value and the rule. */
int ac__lending_policy_parse(const json_t *body, struct ac_lending_policy *out,
                             struct ac_reason *why);

/* The policy as the API shows it (the body above plus peer, credential,
 * updated). Returns a new object or NULL (out of memory). */
json_t *ac__lending_policy_json(const struct ac_lending_policy *p);

/* Admin |actor| sets |p| (peer, credential and rules filled; reviewers must
 * be reviewers of this node, not stand-ins), with an audit row, and queues a
 * capacity offer to the peer in the same transaction when federation runs.
 * Returns 0, AC_EACCES, AC_EINVAL (field named in |why|) or a store error. */
int ac__lending_policy_set(struct ac_node *n, const struct ac_user *actor,
                           struct ac_lending_policy *p, struct ac_reason *why);

/* Admin |actor| removes the policy of |peer| for |credential_id| (audited)
 * and queues a new capacity offer to |peer|. Returns 0, AC_EACCES, AC_ENOENT
 * (with |why|) or a store error. */
int ac__lending_policy_remove(struct ac_node *n, const struct ac_user *actor, const char *peer,
                              const char *credential_id, struct ac_reason *why);

/* ---- capacity offers (node/federation/lending_offer.c) ---- */

/* How often a lender offers its capacity again without a change. */
#define AC__LENDING_OFFER_MS (24LL * 3600 * 1000)

/* Builds this node's capacity offer to |peer| at |now_ms| as the CBOR body
 * of a "capacity.offer" into |out|: {credentials: [{id, reviewers: [{user,
 * name, school, district, domains, certified, slots}]}]}, a reviewer listed
 * when ac__lending_check() lets them take a review now. Returns 0 or an
 * error. */
int ac__lending_offer_body(struct ac_node *n, const char *peer, int64_t now_ms, struct ac_buf *out);

/* Queues a capacity offer to |peer| inside the caller's transaction, its id
 * derived from its content and time. Returns 0 or an error. */
int ac__lending_offer_queue(struct ac_node *n, const char *peer, int64_t now_ms);

/* Queues an offer, in a transaction of its own (a savepoint inside a
 * caller's: a request's, or the tick's task), to every peer this node has
 * a lending policy for. Sets |*queued| (may be NULL). Returns 0 or an error. */
int ac__lending_offer_all(struct ac_node *n, int64_t now_ms, size_t *queued);

/* The issuer's side of "capacity.offer" from |from| (who holds the lend
 * right; receive.c checks it): replaces the offer held from that peer unless
 * it is older, and ensures a stand-in for every reviewer it names. Runs in
 * the receiver's transaction. Writes the answer body {re, reviewers} to
 * |answer|. Returns 0 or an error with |why| filled. */
int ac__lending_offer_take(struct ac__federation *f, struct ac__fed_peer *from,
                           const struct ac_envelope *e, struct ac_buf *answer,
                           struct ac_reason *why);

/* Called by the federation's one-second timer: once every
 * AC__LENDING_OFFER_MS of the node's clock (first at start) queues an offer
 * to every peer with a lending policy, so an issuer's view of our capacity
 * follows our reviewers' loads, blackouts and the month. The offers are
 * written as a task of the request groups (ac__fed_task()). */
void ac__lending_tick(struct ac__federation *f, int64_t now_ms);

/* Routes: /v1/federation/lending..., /v1/federation/borrowing...
 * (api_lending.c). */
void ac__fed_lending_register(struct ac_node *n);

#endif
