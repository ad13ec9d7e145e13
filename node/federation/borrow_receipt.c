/* borrow_receipt.c - the lender keeps what the issuer answered to each
 * review result before its outbox moves on (called by sender.c): the
 * receipt, verified with the issuer's key, goes into the ledger and the item
 * is marked accepted; a refusal marks it refused with the reason and tells
 * the reviewer. An acceptance the issuer did not apply ends the lent batch.
 * Apart from borrow_lender.c so the sender calls a file that never calls the
 * sender. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/sign/cbor.h"
#include "accord/store/borrow.h"
#include "accord/store/ledger.h"
#include "accord/store/notify.h"
#include "accord/store/outbox.h"
#include "audit.h"
#include "borrow.h"
#include "federation.h"
#include "internal.h"
#include "review/scheduler.h"

static int audit(struct ac_node *n, int64_t subject, const char *action, json_t *detail)
{
    int err = detail ? ac_audit_id(n, "lent_batch", subject, 0, action, detail) : AC_ENOMEM;
    json_decref(detail);
    return err;
}

/* The issuer did not apply our reviewer's acceptance (the batch was no
 * longer offered there: reclaimed, or past its deadline): the lent batch
 * ends here too, with the issuer's reason, and the reviewer is told. */
static int answer_not_applied(struct ac__fed_peer *p, const struct ac_outbox_msg *m,
                              const struct ac_envelope *ae)
{
    struct ac_node *n = p->fed->node;
    struct ac_cbor_reader r;
    bool applied = true;
    const char *s = "";
    size_t sl = 0;
    if (ac_cbor_map_find(ae->body, ae->body_len, "applied", &r) || ac_cbor_get_bool(&r, &applied) ||
        applied)
        return 0;
    if (ac_cbor_map_find(ae->body, ae->body_len, "reason", &r) == 0)
        ac_cbor_get_text(&r, &s, &sl);
    json_t *sent = ac__cbor_to_json_or_null(m->body, m->body_len);
    json_t *rb = json_object_get(sent, "batch");
    struct ac_lent_batch b = {0};
    int err = json_is_integer(rb) && json_is_true(json_object_get(sent, "accept"))
                  ? ac_store_lent_batch_find(n->store, p->node_id, json_integer_value(rb), &b)
                  : AC_ENOENT;
    json_decref(sent);
    if (err || b.state != AC_LENT_ACCEPTED) {
        ac_lent_batch_release(&b);
        return err == AC_ENOENT ? 0 : err;
    }
    char reason[AC_BORROW_REASON_MAX + 1];
    snprintf(reason, sizeof reason, "%s did not take the acceptance: %.*s", p->node_id,
             (int)(sl < 300 ? sl : 300), s);
    int64_t now = ac_clock_now_ms();
    err = ac_store_tx_begin(n->store);
    if (err) {
        ac_lent_batch_release(&b);
        return err;
    }
    err = ac_store_lent_batch_set(n->store, b.id, AC_LENT_RECLAIMED, reason, now);
    struct ac_lent_item *its = NULL;
    size_t k = 0;
    if (!err)
        err = ac_store_lent_item_list(n->store, b.id, &its, &k);
    for (size_t i = 0; i < k; i++) {
        if (!err && its[i].state == AC_LITEM_OPEN)
            err = ac_store_lent_item_set(n->store, its[i].id, AC_LITEM_CLOSED, NULL, NULL, NULL, 0);
        ac_lent_item_release(&its[i]);
    }
    free(its);
    if (!err)
        err = ac_store_notify_add(n->store, b.reviewer, "expired", 0,
                                  "A lent review batch was taken back", reason, now, NULL);
    if (!err)
        err = audit(n, b.id, "reclaimed", json_pack("{s:s}", "reason", reason));
    ac_lent_batch_release(&b);
    return ac__scheduler_commit(n, err);
}

int ac__borrow_delivered(struct ac__fed_peer *p, const struct ac_outbox_msg *m,
                         const uint8_t *answer, size_t len)
{
    int is_answer = strcmp(m->type, AC__BORROW_ANSWER) == 0;
    if (!is_answer && strcmp(m->type, AC__BORROW_RESULT) != 0)
        return 0;
    struct ac_node *n = p->fed->node;
    struct ac_cose_sign1 cs;
    struct ac_envelope ae;
    if (ac_envelope_parse(answer, len, &cs, NULL, 0) || ac_envelope_decode(&cs, &ae, NULL, 0))
        return AC_EPROTO; /* the sender verified it already */
    if (is_answer)
        return answer_not_applied(p, m, &ae);
    json_t *sent = ac__cbor_to_json_or_null(m->body, m->body_len);
    const char *item = json_string_value(json_object_get(sent, "item"));
    struct ac_lent_batch b = {0};
    struct ac_lent_item it = {0};
    json_t *rb = json_object_get(sent, "batch");
    int err = item && json_is_integer(rb)
                  ? ac_store_lent_batch_find(n->store, p->node_id, json_integer_value(rb), &b)
                  : AC_EPROTO;
    if (!err)
        err = ac_store_lent_item_find(n->store, b.id, item, &it);
    struct ac_cbor_reader r;
    bool accepted = false;
    if (!err &&
        (ac_cbor_map_find(ae.body, ae.body_len, "accepted", &r) || ac_cbor_get_bool(&r, &accepted)))
        err = AC_EPROTO;
    const uint8_t *rc = NULL;
    size_t rclen = 0;
    struct ac_ledger_entry le = {.direction = AC_LEDGER_LENT};
    char reason[AC_BORROW_REASON_MAX + 1] = "";
    if (!err && accepted) {
        /* The receipt is the issuer's envelope around our own signed
         * result: verified with the issuer's key before it is kept. */
        struct ac_cose_sign1 rcs;
        struct ac_envelope re;
        const struct ac__fed_key *key = NULL;
        struct ac_cbor_reader f1;
        const char *s;
        size_t sl;
        if (ac_cbor_map_find(ae.body, ae.body_len, "receipt", &r) ||
            ac_cbor_get_bytes(&r, &rc, &rclen) || ac_envelope_parse(rc, rclen, &rcs, NULL, 0) ||
            ac__fed_peer_by_kid(p->fed, rcs.kid, rcs.kid_len, &key) != p ||
            ac_envelope_verify(&rcs, key->public_key) || ac_envelope_decode(&rcs, &re, NULL, 0) ||
            ac_cbor_map_find(re.body, re.body_len, "month", &f1) ||
            ac_cbor_get_text(&f1, &s, &sl) || sl != 7)
            err = AC_EPROTO;
        if (!err) {
            memcpy(le.month, s, 7);
            le.month[7] = 0;
        }
    } else if (!err) {
        const char *s;
        size_t sl;
        if (ac_cbor_map_find(ae.body, ae.body_len, "reason", &r) == 0 &&
            ac_cbor_get_text(&r, &s, &sl) == 0)
            snprintf(reason, sizeof reason, "%.*s", (int)(sl < 400 ? sl : 400), s);
    }
    if (err == AC_EPROTO || err == AC_ENOENT) {
        /* Nothing of ours to settle (an item we no longer hold, or an answer
         * that is not what a result gets): logged, and the outbox goes on. */
        ac_log_warn("federation", "%s: the answer to %s settles nothing here (%s)", p->node_id,
                    m->msg_id, ac_strerror(err));
        err = 0;
        goto out;
    }
    int64_t now = ac_clock_now_ms();
    if (!err)
        err = ac_store_tx_begin(n->store);
    if (err)
        goto out;
    err = ac_store_lent_item_set(n->store, it.id, accepted ? AC_LITEM_ACCEPTED : AC_LITEM_REFUSED,
                                 NULL, NULL, accepted ? "" : reason, now);
    if (!err && accepted) {
        snprintf(le.peer, sizeof le.peer, "%s", p->node_id);
        snprintf(le.credential_id, sizeof le.credential_id, "%s", b.credential_id);
        snprintf(le.result_id, sizeof le.result_id, "%s", m->msg_id);
        le.receipt = (uint8_t *)rc;
        le.receipt_len = rclen;
        err = ac_store_ledger_add(n->store, &le, now, NULL);
    }
    if (!err && !accepted)
        err = ac_store_notify_add(n->store, b.reviewer, "refused", 0,
                                  "A review result was refused by the issuer", reason, now, NULL);
    if (!err)
        err = audit(n, b.id, accepted ? "result_accepted" : "result_refused",
                    json_pack("{s:s, s:s}", "item", item, "reason", reason));
    err = ac__scheduler_commit(n, err);
out:
    ac_lent_item_release(&it);
    ac_lent_batch_release(&b);
    json_decref(sent);
    return err;
}
