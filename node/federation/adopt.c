/* adopt.c - adopting a newer consortium file: verified with the pinned key,
 * stored (never an older serial) and passed on to every other member through
 * the outbox in one transaction; only once that transaction has committed is
 * the peer table rebuilt, from the file the store then holds, so a rollback
 * never leaves in memory a table the store does not back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/sign/cbor.h"
#include "accord/sign/envelope.h"
#include "accord/sign/keyring.h"
#include "accord/store/peer.h"
#include "borrow.h"
#include "federation.h"
#include "internal.h"

/* Encodes a byte string as the one CBOR item of a consortium.offer body. */
static int bstr_item(const uint8_t *p, size_t len, struct ac_buf *out)
{
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    ac_cbor_put_bytes(&w, p, len);
    int rc = ac_cbor_writer_finish(&w, out);
    ac_cbor_writer_release(&w);
    return rc;
}

int ac__fed_consortium_settle(struct ac__federation *f)
{
    if (!f->consortium_unsettled)
        return 0;
    f->consortium_unsettled = 0;
    uint8_t *file = NULL;
    size_t len = 0;
    uint64_t serial = 0;
    int err = ac_store_consortium_get(f->node->store, &file, &len, &serial);
    uint64_t held = f->consortium ? f->consortium->serial : 0;
    if (err == AC_ENOENT || (!err && serial <= held)) {
        free(file); /* rolled back, or not newer after all: nothing to take */
        return 0;
    }
    if (err) {
        ac_log_error("federation", "cannot read the consortium file just stored: %s",
                     ac_strerror(err));
        return err;
    }
    struct ac_consortium *c = NULL;
    char text[AC_CONSORTIUM_WHY_LEN];
    err = ac_consortium_open(file, len, f->node->cfg->consortium_key, &c, text, sizeof text);
    free(file);
    if (err) {
        /* It verified before it was stored; only memory can fail here. */
        ac_log_error("federation", "cannot open the consortium file just stored: %s",
                     err == AC_ENOMEM ? ac_strerror(err) : text);
        f->consortium_unsettled = 1; /* try again at the next settle */
        return err;
    }
    ac_log_info("federation", "adopted consortium \"%s\" serial %llu (%zu members)", c->name,
                (unsigned long long)c->serial, c->nmembers);
    ac_consortium_free(f->consortium);
    f->consortium = c;
    err = ac__fed_peers_rebuild(f);
    if (err)
        ac_log_error("federation", "cannot rebuild the peer table: %s", ac_strerror(err));
    else
        ac__borrow_reclaim_departed(f); /* a member dropped: its lent-out work comes back */
    ac__fed_kick_all(f);
    return err;
}

int ac__fed_consortium_adopt(struct ac__federation *f, const uint8_t *file, size_t len,
                             int in_tx, uint64_t *serial, struct ac_reason *why)
{
    const struct ac_node_config *cfg = f->node->cfg;
    if (!cfg->has_consortium_key)
        return ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_CONFLICT, "consortium",
                              "this node pins no consortium key ([consortium] key in %s)",
                              cfg->path);
    struct ac_consortium *c = NULL;
    char text[AC_CONSORTIUM_WHY_LEN];
    int err = ac_consortium_open(file, len, cfg->consortium_key, &c, text, sizeof text);
    if (err == AC_ENOMEM)
        return err;
    if (err)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "consortium", "%s", text);
    /* The memory copy may be behind a file stored earlier in the caller's
     * open transaction; the store's upsert refuses that one (not newer). */
    uint64_t held = f->consortium ? f->consortium->serial : 0;
    if (c->serial <= held) {
        uint64_t offered = c->serial;
        *serial = held;
        ac_consortium_free(c);
        return ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_CONSORTIUM_NOT_NEWER, "serial",
                              "serial %llu is not newer than the %llu held; a node never goes "
                              "back to an older file",
                              (unsigned long long)offered, (unsigned long long)held);
    }
    struct ac_buf body = AC_BUF_INIT;
    err = bstr_item(file, len, &body);
    if (!err)
        err = ac_store_tx_begin(f->node->store);
    if (err) {
        ac_buf_release(&body);
        ac_consortium_free(c);
        return err;
    }
    err = ac_store_consortium_put(f->node->store, c->serial, file, len, ac_clock_now_ms());
    /* Members pass the newest file to each other, so a member the operator
     * did not publish to still learns of it; the id is the serial, so a
     * member offered the same file twice applies it once. */
    char msg_id[40];
    snprintf(msg_id, sizeof msg_id, "consortium-%llu", (unsigned long long)c->serial);
    for (size_t i = 0; !err && i < c->nmembers; i++)
        if (strcmp(c->members[i].node_id, cfg->node_id) != 0)
            err = ac__fed_queue(f, c->members[i].node_id, "consortium.offer", msg_id, body.data,
                                body.len);
    if (!err)
        err = ac_store_tx_commit(f->node->store);
    else
        ac_store_tx_rollback(f->node->store);
    ac_buf_release(&body);
    uint64_t adopted = c->serial;
    ac_consortium_free(c); /* settle takes the file back from the store */
    if (err == AC_ECONFLICT)
        return ac_reason_fail(why, err, AC_PROBLEM_CONSORTIUM_NOT_NEWER, "serial",
                              "a consortium file with serial %llu or newer is already held",
                              (unsigned long long)adopted);
    if (err)
        return err;
    *serial = adopted;
    f->consortium_unsettled = 1;
    if (!in_tx)
        ac__fed_consortium_settle(f); /* our commit was the outermost: it is durable */
    return 0;
}
