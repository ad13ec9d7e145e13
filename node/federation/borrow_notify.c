/* borrow_notify.c - what the issuer's review services tell a lender about
 * work lent to it, in their own transaction: a batch reclaimed (its deadline
 * passed) and a borrowed reviewer set aside by monitoring. Kept apart from
 * borrow_issuer.c, which calls those services, so no two files call each
 * other. */
#include <inttypes.h>
#include <stdio.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/store/borrow.h"
#include "audit.h"
#include "borrow.h"
#include "federation.h"
#include "internal.h"

/* Wakes the senders: the timer fires after the caller's transaction has
 * committed (everything here runs on the loop), so the message is there. */
static void kick(struct ac_node *n)
{
    if (n->federation)
        ac__fed_kick_all(n->federation);
}

int ac__borrow_reclaim(struct ac_node *n, int64_t batch_id, const char *reason)
{
    struct ac_borrow_batch bb;
    int err = ac_store_borrow_batch_get(n->store, batch_id, &bb);
    if (err)
        return err == AC_ENOENT ? 0 : err;
    if (bb.state != AC_BORROW_OFFERED && bb.state != AC_BORROW_ACCEPTED)
        return 0;
    err = ac_store_borrow_batch_set(n->store, batch_id, AC_BORROW_RECLAIMED, reason,
                                    ac_clock_now_ms());
    json_t *body =
        json_pack("{s:I, s:s}", "batch", (json_int_t)batch_id, "reason", reason ? reason : "");
    char id[40];
    snprintf(id, sizeof id, "reclaim-%" PRId64, batch_id);
    if (!err)
        err = body ? ac__borrow_queue(n, bb.peer, AC__BORROW_RECLAIM, id, body) : AC_ENOMEM;
    json_decref(body);
    json_t *detail = json_pack("{s:s, s:s}", "peer", bb.peer, "reason", reason ? reason : "");
    if (!err)
        err = detail ? ac_audit_id(n, "batch", batch_id, 0, "reclaimed", detail) : AC_ENOMEM;
    json_decref(detail);
    if (!err)
        kick(n);
    return err;
}

int ac__borrow_notice(struct ac_node *n, int64_t reviewer, const struct ac_definition *def,
                      const char *action, const char *reason)
{
    struct ac_remote_reviewer home;
    int err = ac_store_remote_reviewer_get(n->store, reviewer, &home);
    if (err)
        return err == AC_ENOENT ? 0 : err;
    char id[40] = "notice-";
    ac__borrow_random_hex(id + 7, 12);
    json_t *body = json_pack("{s:I, s:s, s:I, s:s, s:s}", "reviewer", (json_int_t)home.home_user,
                             "credential", def->id, "version", (json_int_t)def->version, "action",
                             action, "reason", reason ? reason : "");
    err = body ? ac__borrow_queue(n, home.home_node, AC__BORROW_NOTICE, id, body) : AC_ENOMEM;
    json_decref(body);
    if (!err)
        kick(n);
    return err;
}
