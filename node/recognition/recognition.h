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

/* One credential of the catalog and the active policies that count it. */
struct ac__catalog_item {
    struct ac_catalog_entry entry; /* its members owned */
    struct ac_policy *policies;    /* owned; |npolicies| of them */
    size_t npolicies;
};

/* Reads one page of this node's active credentials matching the district
 * filters |domain|, |stack| and |recognizer_id| (each NULL or 0 for any; the
 * recognizer filter keeps those it counts), with row id > |after_id|, at
 * most |limit|, each with the active policies that count it. Sets |*items|
 * (the caller frees it with ac__catalog_items_free()), |*count| and |*more|
 * (another page follows). A read: no right to check, nothing audited.
 * Returns 0, AC_ENOMEM or AC_EDB (nothing to free then). */
int ac__catalog_page(struct ac_node *n, const char *domain, const char *stack,
                     int64_t recognizer_id, int64_t after_id, size_t limit,
                     struct ac__catalog_item **items, size_t *count, int *more);

/* Frees |count| items from ac__catalog_page(); NULL is a no-op. */
void ac__catalog_items_free(struct ac__catalog_item *items, size_t count);

#endif
