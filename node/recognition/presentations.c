/* presentations.c - the presentations service: a recognizer records a
 * credential a teacher presented and the verdict of verifying it, audited. */
#include <stdio.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/store/store_recognition.h"
#include "accounts/accounts.h"
#include "audit.h"
#include "internal.h"
#include "recognition/recognition.h"

int ac__presentations_record(struct ac_node *n, const struct ac_user *by, struct ac_presentation *p,
                             int *created, struct ac_reason *why)
{
    int err = ac__need_role(by, AC_ROLE_RECOGNIZER, why);
    if (err)
        return err;
    p->recognizer_id = by->id;
    err = ac_store_tx_begin(n->store);
    if (err)
        return err;
    *created = 0;
    err = ac_store_presentation_record(n->store, p, ac_clock_now_ms(), created);
    if (err == AC_ECONFLICT)
        ac_reason_fail(why, err, AC_PROBLEM_CONFLICT, "teacher",
                       "teacher: this record was already presented for another teacher; a "
                       "record counts for one teacher only");
    if (!err)
        err = ac_store_presentation_get(n->store, p->id, p);
    if (!err) {
        /* The teacher is the recognizer's own id for them, and the record
         * names the earner only by a salted hash: nothing here identifies a
         * person beyond what the recognizer already holds. */
        json_t *d = json_pack(
            "{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:b}", "teacher", p->teacher, "cti", p->cti_hex,
            "issuer", p->issuer, "credential_id", p->credential_id, "credential_version",
            (json_int_t)p->credential_version, "verdict", ac_verdict_name(p->verdict), "status",
            p->status_result, "first_presentation", *created != 0);
        err = d ? ac_audit_id(n, "presentation", p->id, by->id, "record", d) : AC_ENOMEM;
        json_decref(d);
    }
    if (err) {
        ac_store_tx_rollback(n->store);
        return err;
    }
    err = ac_store_tx_commit(n->store);
    if (err)
        return err;
    ac_log_info("recognition", "presentation %lld (%s from %s for %s): %s, by %s", (long long)p->id,
                p->credential_id, p->issuer, p->teacher, ac_verdict_name(p->verdict), by->name);
    return 0;
}
