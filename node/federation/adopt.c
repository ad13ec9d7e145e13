/* adopt.c - adopting a newer consortium file: verified with the pinned key,
 * stored (never an older serial) and passed on to every other member through
 * the outbox in one transaction. The verified file waits in an after-commit
 * hook of that transaction (store.h): only once the outermost commit
 * succeeded (the request group's, the receiver's batch's or adopt's own)
 * does memory take it, so a rollback never leaves in memory a table the
 * store does not back, and no statement re-reads it.
 *
 * Then the settle: the rebuild's reads (pinned peers, descriptions,
 * delivery states) run as a task of the request groups (tasks.c), on the
 * write handlers' fiber, so the loop waits on no round trip for them; its
 * done callback, after the group's commit, swaps the file in and rebuilds
 * the table in memory, and a second task reclaims the open lent-out work of
 * departed members; the senders are woken last. A task runs in the next
 * group, after every request that committed with the adoption, so it reads
 * what they wrote; a rebuild of the table between its read and its apply (a
 * peer pinned) makes it read again. A failure leaves the settle owed: the
 * next settle (the receiver's next batch, the next adoption) tries again. */
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
#include "accord/store/store.h"
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

/* ---- settling: the peer table follows a committed adoption ---- */

/* A settle in flight: the inputs of the rebuild, read by a task. */
struct settle {
    struct ac__federation *f;
    struct ac_consortium *c; /* owned: the file being taken; NULL: the one held */
    struct ac__fed_peer_inputs in;
    uint64_t gen; /* f->peers_gen when |in| was read */
};

/* The task's body (a savepoint of a request group, on its fiber): reads
 * what the rebuild needs. Only memory of its own changes, reset for a run
 * again after a lost race. */
static int settle_run(void *arg)
{
    struct settle *s = arg;
    struct ac__federation *f = s->f;
    ac__fed_peer_inputs_release(&s->in);
    s->gen = f->peers_gen;
    return ac__fed_peers_read(f->node->store, s->c ? s->c : f->consortium, f->node->cfg->node_id,
                              &s->in);
}

/* A task's body: the open lent-out work of peers no longer in the table
 * comes back (each batch in a savepoint of its own). */
static int reclaim_run(void *arg)
{
    ac__borrow_reclaim_departed(arg);
    return 0;
}

static void reclaim_done(void *arg, int err)
{
    struct ac__federation *f = arg;
    if (f->stopping)
        return;
    if (err) {
        ac_log_error("federation", "cannot reclaim the work of departed peers: %s; tried again "
                     "at the next settle", ac_strerror(err));
        f->consortium_unsettled = 1;
    }
    ac__fed_kick_all(f); /* new peers' senders start; reclaims may have queued messages */
}

static void settle_done(void *arg, int err)
{
    struct settle *s = arg;
    struct ac__federation *f = s->f;
    f->settling = 0;
    /* The table was rebuilt between the read and now (a peer pinned or
     * removed): what was read may miss that change, so read again. */
    int moved = !err && s->gen != f->peers_gen;
    if (!err && !f->stopping && !moved) {
        if (s->c) {
            ac_log_info("federation", "adopted consortium \"%s\" serial %llu (%zu members)",
                        s->c->name, (unsigned long long)s->c->serial, s->c->nmembers);
            ac_consortium_free(f->consortium);
            f->consortium = s->c;
            s->c = NULL;
        }
        err = ac__fed_peers_apply(f, &s->in);
        if (err) {
            ac_log_error("federation", "cannot rebuild the peer table: %s; tried again at the "
                         "next settle", ac_strerror(err));
            f->consortium_unsettled = 1;
        }
    } else if (!f->stopping) {
        if (err)
            ac_log_error("federation", "cannot read what the peer table is rebuilt from: %s; "
                         "tried again at the next settle", ac_strerror(err));
        f->consortium_unsettled = 1;
        /* Put back, unless a newer file's adoption committed meanwhile. */
        if (s->c && !f->consortium_next) {
            f->consortium_next = s->c;
            s->c = NULL;
        }
    }
    ac__fed_peer_inputs_release(&s->in);
    ac_consortium_free(s->c);
    free(s);
    if (f->stopping)
        return;
    if (moved || (!err && f->consortium_next))
        ac__fed_consortium_settle(f); /* at once: nothing failed */
    else if (!err)
        ac__fed_task(f, "departed peers' work", reclaim_run, reclaim_done, f);
}

int ac__fed_consortium_settle(struct ac__federation *f)
{
    if (!f->consortium_unsettled || f->settling || f->stopping)
        return 0;
    struct settle *s = calloc(1, sizeof *s);
    if (!s) {
        ac_log_error("federation", "cannot settle the consortium file: %s",
                     ac_strerror(AC_ENOMEM));
        return AC_ENOMEM; /* still unsettled: tried again at the next settle */
    }
    f->consortium_unsettled = 0;
    f->settling = 1;
    s->f = f;
    s->c = f->consortium_next;
    f->consortium_next = NULL;
    /* done may run inside this call (no request groups). */
    ac__fed_task(f, "consortium settle", settle_run, settle_done, s);
    return 0;
}

/* An adoption's after-commit hook: the verified file, taken into memory
 * only once the transaction that stored it committed. */
struct adopted {
    struct ac__federation *f;
    struct ac_consortium *c; /* owned until taken */
};

static void adopted_run(void *arg)
{
    struct adopted *a = arg;
    struct ac__federation *f = a->f;
    if (f->stopping)
        return;
    if (a->c->serial > f->consortium_taken) {
        f->consortium_taken = a->c->serial;
        ac_consortium_free(f->consortium_next);
        f->consortium_next = a->c;
        a->c = NULL;
    }
    f->consortium_unsettled = 1;
    ac__fed_consortium_settle(f);
}

static void adopted_release(void *arg)
{
    struct adopted *a = arg;
    struct ac__federation *f = a->f;
    ac_consortium_free(a->c);
    free(a);
    f->tasks--;
    ac__fed_free_if_done(f);
}

/* Hands |c| (owned) to a hook run when the transaction now open commits;
 * dropped with it when it rolls back. Returns 0 or AC_ENOMEM (|c| freed). */
static int take_after_commit(struct ac__federation *f, struct ac_consortium *c)
{
    struct adopted *a = malloc(sizeof *a);
    if (!a) {
        ac_consortium_free(c);
        return AC_ENOMEM;
    }
    *a = (struct adopted){f, c};
    f->tasks++; /* f lives until the hook ran or was dropped */
    return ac_store_after_commit(f->node->store, adopted_run, adopted_release, a);
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
    if (f->consortium_taken > held)
        held = f->consortium_taken; /* committed, the table not yet rebuilt from it */
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
    uint64_t adopted = c->serial;
    if (!err)
        err = take_after_commit(f, c); /* settled (peer table, reclaims) after the commit */
    else
        ac_consortium_free(c);
    if (!err)
        err = ac_store_tx_commit(f->node->store);
    else
        ac_store_tx_rollback(f->node->store);
    ac_buf_release(&body);
    if (err == AC_ECONFLICT)
        return ac_reason_fail(why, err, AC_PROBLEM_CONSORTIUM_NOT_NEWER, "serial",
                              "a consortium file with serial %llu or newer is already held",
                              (unsigned long long)adopted);
    if (err)
        return err;
    (void)in_tx; /* the hook serves both: it runs at the outermost commit */
    *serial = adopted;
    return 0;
}
