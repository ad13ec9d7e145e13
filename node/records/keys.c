/* keys.c - the signing-key service: rotating the node's Ed25519 key, with
 * the outgoing key's signed hand-over to its successor, and re-signing the
 * transparency log's head under the new key, audited. Refused while
 * signing is halted (tlog_guard.c). */
#include <stdio.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/records/keyhistory.h"
#include "accord/sign/keyring.h"
#include "accord/store/writer.h"
#include "accord/store/store.h"
#include "accord/store/keys.h"
#include "accord/store/tlog.h"
#include "accounts/accounts.h"
#include "audit.h"
#include "records/records.h"

/* What the outgoing key signs at its rotation. */
struct handover {
    struct ac__records *r;
    int64_t at_ms;
    struct ac_buf statement;
};

static int sign_handover(void *ctx, const struct ac_key_info *outgoing,
                         const struct ac_key_info *next,
                         int (*sign)(void *sign_ctx, const uint8_t *msg, size_t len,
                                     uint8_t sig[AC_KEY_SIG_BYTES]),
                         void *sign_ctx)
{
    struct handover *h = ctx;
    struct ac_key_handover ho;
    memset(&ho, 0, sizeof ho);
    size_t iss_len = strlen(h->r->issuer);
    if (iss_len > AC_KEY_HANDOVER_ISS_MAX)
        return AC_EINVAL;
    memcpy(ho.iss, h->r->issuer, iss_len + 1);
    memcpy(ho.kid, outgoing->kid, AC_KEY_ID_BYTES);
    memcpy(ho.next, next->public_key, AC_KEY_PUBLIC_BYTES);
    ho.at_ms = h->at_ms;
    ho.size = h->r->tree.size;
    ac_merkle_tree_root(&h->r->tree, ho.root);
    return ac_key_handover_sign(&ho, sign, sign_ctx, &h->statement);
}

int ac__records_rotate_key(struct ac_node *n, const struct ac_user *by, struct ac_reason *why)
{
    struct ac__records *r = n->records;
    int err = ac__need_role(by, AC_ROLE_ADMIN, why);
    if (err)
        return err;
    /* A request group of this process, parked or committing, has appended
     * to the in-memory log already: it commits (or fails, and memory
     * follows the store) before the head is re-signed below. */
    ac_store_quiesce(n->store);
    err = ac__tlog_need_signing(n, why);
    /* The head to re-sign is the stored one, which another process of this
     * node may have moved (the store refuses any other). */
    if (!err)
        err = ac__checkpoint_refresh(n);
    if (!err)
        err = ac__tlog_need_signing(n, why);
    if (err)
        return err;
    char old_kid[2 * AC_KEY_ID_BYTES + 1];
    snprintf(old_kid, sizeof old_kid, "%s", ac_keyring_current(n->keyring)->kid_hex);
    /* The keyring is files, not rows: the rotation stands whatever the store
     * does next, and the old key stays published for old records. The
     * outgoing key signs its hand-over first; one the store then fails to
     * keep is logged (bundles go on verifying through the trust file). */
    struct handover ho = {r, ac_clock_now_ms(), AC_BUF_INIT};
    err = ac_keyring_rotate_handover(n->keyring, ho.at_ms, sign_handover, &ho);
    if (err) {
        ac_buf_release(&ho.statement);
        return err;
    }
    const struct ac_key_info *k = ac_keyring_current(n->keyring);
    r->token.stale = 1; /* the status token names its key */
    ac_log_info("records", "key rotated by %s: signing key now %s", by->name, k->kid_hex);

    /* The same tree head under the new key: consistent with every earlier
     * checkpoint by construction (equal size, equal root). A failure to
     * re-sign leaves the old, still valid, checkpoint published; the audit
     * row says so. */
    uint8_t root[AC_MERKLE_HASH_BYTES];
    ac_merkle_tree_root(&r->tree, root);
    struct ac_buf note = AC_BUF_INIT;
    int resign_err = ac__checkpoint_sign(n, r->tree.size, root, &note);
    err = ac_store_tx_begin(n->store);
    if (!err) {
        int ho_err = ac_store_key_handover_put(n->store, old_kid, ho.at_ms, ho.statement.data,
                                               ho.statement.len);
        if (ho_err)
            ac_log_error("records", "key %s's hand-over to %s not stored: %s", old_kid,
                         k->kid_hex, ac_strerror(ho_err));
        if (!resign_err)
            resign_err = ac_store_log_checkpoint_add(n->store, r->tree.size, root, k->kid_hex,
                                                     (const char *)note.data, ac_clock_now_ms());
        json_t *d = json_pack("{s:s, s:s, s:b}", "previous_kid", old_kid, "kid", k->kid_hex,
                              "checkpoint_resigned", resign_err == 0);
        err = d ? ac_audit(n, "key", k->kid_hex, by->id, "rotate", d) : AC_ENOMEM;
        json_decref(d);
        if (err)
            ac_store_tx_rollback(n->store);
        else
            err = ac_store_tx_commit(n->store);
    }
    if (!err && !resign_err)
        ac__checkpoint_publish(n, &note);
    if (resign_err)
        ac_log_warn("records", "checkpoint not re-signed after rotation: %s",
                    ac_strerror(resign_err));
    if (err)
        ac_log_error("records", "key %s rotated, but its audit row was not stored: %s", k->kid_hex,
                     ac_strerror(err));
    ac_buf_release(&note);
    ac_buf_release(&ho.statement);
    return err;
}
