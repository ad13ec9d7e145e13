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
 * next settle (the receiver's next batch, the next adoption) or the prune
 * timer's tick (after a back-off) tries again.
 *
 * A hook released without running (its transaction rolled back, or its
 * COMMIT's outcome is unknown: the connection lost after COMMIT was sent,
 * so the file may be stored) marks the settle owed with a re-check: the
 * settle's task then reads the stored file and takes it when newer than
 * memory, so memory never stays behind a file the store holds. */
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
    int recheck;  /* read the stored file too (an adoption's outcome was unknown) */
    /* owned: the stored file the re-check read, when newer than |c| and the
     * one held; committed only once the task's group has (read again at
     * every run of the task). */
    struct ac_consortium *stored;
};

/* Sets |s->stored| to the stored file when that is newer than both |s->c|
 * and the file held: an adoption whose COMMIT's outcome was unknown may have
 * stored it. A stored file that no longer verifies is logged and left. */
static int settle_recheck(struct settle *s)
{
    struct ac__federation *f = s->f;
    const struct ac_node_config *cfg = f->node->cfg;
    if (!cfg->has_consortium_key)
        return 0;
    uint8_t *file = NULL;
    size_t len = 0;
    uint64_t serial = 0;
    int err = ac_store_consortium_get(f->node->store, &file, &len, &serial);
    if (err == AC_ENOENT)
        return 0;
    if (err)
        return err;
    uint64_t held = f->consortium ? f->consortium->serial : 0;
    if (s->c && s->c->serial > held)
        held = s->c->serial;
    if (serial > held) {
        struct ac_consortium *c = NULL;
        char why[AC_CONSORTIUM_WHY_LEN];
        err = ac_consortium_open(file, len, cfg->consortium_key, &c, why, sizeof why);
        if (!err)
            s->stored = c;
        else if (err != AC_ENOMEM) {
            ac_log_warn("federation", "the stored consortium file (serial %llu) no longer "
                        "verifies: %s", (unsigned long long)serial, why);
            err = 0;
        }
    }
    free(file);
    return err;
}

/* The task's body (a savepoint of a request group, on its fiber): reads
 * what the rebuild needs. Only memory of its own changes, reset for a run
 * again after a lost race. */
static int settle_run(void *arg)
{
    struct settle *s = arg;
    struct ac__federation *f = s->f;
    ac__fed_peer_inputs_release(&s->in);
    s->gen = f->peers_gen;
    ac_consortium_free(s->stored);
    s->stored = NULL;
    if (s->recheck) {
        int err = settle_recheck(s);
        if (err)
            return err;
    }
    const struct ac_consortium *c = s->stored ? s->stored : s->c ? s->c : f->consortium;
    return ac__fed_peers_read(f->node->store, c, f->node->cfg->node_id, &s->in);
}

/* A task's body: the open lent-out work of peers no longer in the table
 * comes back (each batch in a savepoint of its own). */
static int reclaim_run(void *arg)
{
    ac__borrow_reclaim_departed(arg);
    return 0;
}

/* Loop time in ms (0 without a loop: tools, unit tests). */
static uint64_t loop_now(const struct ac__federation *f)
{
    return f->node->loop ? uv_now(f->node->loop) : 0;
}

/* A settle failed: owed again, retried by the prune timer once the back-off
 * (1 s, doubling to AC__FED_SETTLE_BACKOFF_MAX_MS) has passed. */
static void settle_failed(struct ac__federation *f)
{
    f->consortium_unsettled = 1;
    uint64_t wait = 1000;
    for (unsigned i = 0; i < f->settle_failures && wait < AC__FED_SETTLE_BACKOFF_MAX_MS; i++)
        wait *= 2;
    if (wait > AC__FED_SETTLE_BACKOFF_MAX_MS)
        wait = AC__FED_SETTLE_BACKOFF_MAX_MS;
    f->settle_failures++;
    f->settle_retry_at = loop_now(f) + wait;
}

static void reclaim_done(void *arg, int err)
{
    struct ac__federation *f = arg;
    if (f->stopping || err == AC_ECANCELED)
        return; /* the node stopped first */
    if (err) {
        ac_log_error("federation", "cannot reclaim the work of departed peers: %s; tried again "
                     "later", ac_strerror(err));
        settle_failed(f);
    } else if (!f->consortium_unsettled) {
        f->settle_failures = 0;
        f->settle_retry_at = 0;
    }
    ac__fed_kick_all(f); /* new peers' senders start; reclaims may have queued messages */
}

static void settle_done(void *arg, int err)
{
    struct settle *s = arg;
    struct ac__federation *f = s->f;
    f->settling = 0;
    if (f->stopping || err == AC_ECANCELED) { /* the node stopped first */
        ac__fed_peer_inputs_release(&s->in);
        ac_consortium_free(s->stored);
        ac_consortium_free(s->c);
        free(s);
        return;
    }
    /* The stored file the re-check read is committed with the task's group;
     * when that failed, the file may be one the group wrote and rolled back,
     * so it is not kept (the re-check runs again). */
    if (s->stored && !err) {
        ac_consortium_free(s->c);
        s->c = s->stored;
    } else {
        ac_consortium_free(s->stored);
    }
    s->stored = NULL;
    /* Committed (an adoption's hook, or the re-check): an offer of it or an
     * older one is refused as held, a newer one taken. */
    if (s->c && s->c->serial > f->consortium_taken)
        f->consortium_taken = s->c->serial;
    /* The table was rebuilt between the read and now (a peer pinned or
     * removed): what was read may miss that change, so read again. */
    int moved = !err && s->gen != f->peers_gen;
    if (!err && !moved) {
        if (s->c) {
            ac_log_info("federation", "adopted consortium \"%s\" serial %llu (%zu members)",
                        s->c->name, (unsigned long long)s->c->serial, s->c->nmembers);
            ac_consortium_free(f->consortium);
            f->consortium = s->c;
            s->c = NULL;
        }
        err = ac__fed_peers_apply(f, &s->in);
        if (err) {
            ac_log_error("federation", "cannot rebuild the peer table: %s; tried again later",
                         ac_strerror(err));
            settle_failed(f);
        }
    } else {
        if (err) {
            ac_log_error("federation", "cannot read what the peer table is rebuilt from: %s; "
                         "tried again later", ac_strerror(err));
            settle_failed(f);
            if (s->recheck)
                f->consortium_recheck = 1;
        }
        f->consortium_unsettled = 1;
        /* Put back, unless a newer file's adoption committed meanwhile. */
        if (s->c && (!f->consortium_next || f->consortium_next->serial < s->c->serial)) {
            ac_consortium_free(f->consortium_next);
            f->consortium_next = s->c;
            s->c = NULL;
        }
    }
    ac__fed_peer_inputs_release(&s->in);
    ac_consortium_free(s->c);
    free(s);
    /* At once when nothing failed and more is owed: the table moved, a newer
     * file committed, or an adoption's hook was released meanwhile. */
    if (moved || (!err && (f->consortium_next || f->consortium_recheck)))
        ac__fed_consortium_settle(f);
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
        return AC_ENOMEM; /* still unsettled: tried again at the next settle or tick */
    }
    f->consortium_unsettled = 0;
    f->settling = 1;
    s->f = f;
    s->c = f->consortium_next;
    f->consortium_next = NULL;
    s->recheck = f->consortium_recheck;
    f->consortium_recheck = 0;
    /* done may run inside this call (no request groups). */
    ac__fed_task(f, "consortium settle", settle_run, settle_done, s);
    return 0;
}

void ac__fed_consortium_tick(struct ac__federation *f)
{
    if (!f->consortium_unsettled || f->settling || f->stopping)
        return;
    if (f->settle_retry_at && loop_now(f) < f->settle_retry_at)
        return; /* a failing store is not asked again before its back-off */
    ac__fed_consortium_settle(f);
}

/* An adoption's after-commit hook: the verified file, taken into memory
 * only once the transaction that stored it committed. */
struct adopted {
    struct ac__federation *f;
    struct ac_consortium *c; /* owned until taken */
    int ran;
};

static void adopted_run(void *arg)
{
    struct adopted *a = arg;
    struct ac__federation *f = a->f;
    a->ran = 1;
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
    /* Released without running: rolled back, or a COMMIT whose outcome is
     * unknown and may have stored the file. Flags only (this may run inside
     * the store's begin or rollback): the settle re-reads the stored file,
     * started by the prune timer's next tick if nothing comes sooner. */
    if (!a->ran && !f->stopping) {
        f->consortium_recheck = 1;
        f->consortium_unsettled = 1;
    }
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
    *a = (struct adopted){f, c, 0};
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
