/* sender.c - delivers the federation outbox: one sender per peer, reading the
 * outbox in pages after the peer's durable cursor (so a long backlog costs one
 * page of memory), up to AC__FED_WINDOW requests in flight on the peer's one
 * HTTP/2 connection (so the receiver's group commit covers many messages per
 * fsync), the durable cursor advancing only over the contiguous prefix the
 * peer acknowledged (a message re-sent after a crash is applied once: the
 * receiver dedups by id), a few quick retries, then a durable per-peer
 * back-off driven by a timer. A slow peer holds nothing the others need.
 *
 * Order: the receiver applies what arrives in the order its signature
 * checks finish, and a refused or failed request is sent again later, so
 * messages in one window may be applied in any order. Only types whose
 * effects commute with each other share a window (order_free below: ping,
 * review.result, each naming its own item); every other type (cert.*,
 * review.offer/answer/reclaim/notice, capacity.offer, catalog.offer,
 * consortium.offer, witness.cosignature) is a barrier: it goes alone, after
 * everything before it was acknowledged, and nothing follows it until it is,
 * which is the one-at-a-time order those flows were built on.
 *
 * The loop waits on no database round trip for the common path: a page is
 * read on a reader thread (node/readers.h; it sees what committed, and a
 * message is kicked only once its transaction committed), and the cursor
 * and the back-off are written as tasks of the request groups
 * (ac__reqtx_task()), on their fiber and in their COMMIT, in the order
 * queued. The cursor the sender goes on from is the one in memory, so a
 * write still waiting for its group holds nothing up; the stored one is
 * only ever behind it, which costs a re-send the peer answers from its
 * dedup rows. What an answer settles (a borrowed review's receipt,
 * ac__borrow_delivered()) is a task too: its entry waits (ENTRY_KEEPING)
 * and the cursor with it until the task committed, and an order-sensitive
 * one holds back what follows it meanwhile as if it were still on the
 * wire; so is dead-lettering a refused message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/net/h2_client.h"
#include "accord/sign/envelope.h"
#include "accord/store/peer.h"
#include "borrow.h"
#include "cert.h"
#include "federation.h"
#include "internal.h"
#include "readers.h"

#define QUICK_RETRIES 2
#define QUICK_DELAY_MS 250
#define BACKOFF_BASE_MS 1000
#define BACKOFF_CAP_MS (24LL * 3600 * 1000)
/* A waiting sender looks at the clock at least this often, so a back-off
 * ends on time even when the node's clock moves (the test clock) while the
 * timer runs; it reads no storage when it wakes early. */
#define TICK_MAX_MS 1000

/* How soon a sender whose send met the keyring sealed for a key rotation
 * looks again when nothing else wakes it first. */
#define SEALED_RETRY_MS 100

static void deliver_next(struct ac__fed_peer *p);
/* Kinds of delivery-state write (state_write() below). */
enum { STATE_SUCCESS = 1, STATE_FAILURE, STATE_PROBE, STATE_MEMORY };
static int state_write(struct ac__fed_peer *p, int kind, int64_t cursor, const char *why);

static void on_timer(uv_timer_t *t)
{
    deliver_next(t->data);
}

static void arm(struct ac__fed_peer *p, int64_t ms)
{
    if (ms < 0)
        ms = 0;
    uv_timer_start(&p->timer, on_timer, (uint64_t)(ms > TICK_MAX_MS ? TICK_MAX_MS : ms), 0);
}

void ac__fed_sender_close(struct ac__fed_peer *p)
{
    uv_timer_stop(&p->timer);
    if (p->client) {
        struct ac_h2_client *c = p->client;
        p->client = NULL;
        ac_h2_client_close(c); /* fails the request in flight: on_response sees stopping */
    }
}

/* Wakes |p|'s sender on the loop's next turn. */
static void wake(struct ac__fed_peer *p)
{
    if (p->fed->stopping || !p->active || p->in_flight)
        return;
    /* Never deliver from inside the caller (often a request handler). */
    uv_timer_start(&p->timer, on_timer, 0, 0);
}

static void commit_seen(void *arg)
{
    (void)arg; /* the wake-up is the hook's release, below */
}

/* Released once the transaction's hooks are settled: after its commit,
 * and also when they are dropped, on a rollback or a COMMIT whose outcome
 * is unknown (ac_store_tx_resolve()). That one may well have committed,
 * and a lost wake-up leaves its message waiting for the next one; a
 * needless wake-up costs one page read on a reader thread. It only starts
 * timers: it may run inside the store's own begin or rollback. */
static void kick_after_commit(void *arg)
{
    struct ac_node *n = arg;
    struct ac__federation *f = n->federation;
    for (size_t i = 0; f && i < f->npeers; i++)
        wake(f->peers[i]);
}

void ac__fed_kick(struct ac__fed_peer *p)
{
    if (p->fed->stopping)
        return;
    /* Inside a transaction (a request's, whose COMMIT runs later on the
     * writer thread) what it queued for the peer is visible once it
     * commits: wake then, or a page read in between would miss it. */
    struct ac_store *st = p->fed->node->store;
    if (ac_store_tx_open(st) &&
        ac_store_after_commit(st, commit_seen, kick_after_commit, p->fed->node) == 0)
        return;
    wake(p);
}

void ac__fed_kick_all(struct ac__federation *f)
{
    for (size_t i = 0; i < f->npeers; i++)
        ac__fed_kick(f->peers[i]);
}

void ac__fed_durable(struct ac__federation *f)
{
    uint64_t durable = ac_store_durable(f->node->store);
    for (size_t i = 0; i < f->npeers; i++) {
        struct ac__fed_peer *p = f->peers[i];
        if (p->awaiting && durable >= p->page_need) {
            p->awaiting = 0;
            ac__fed_kick(p);
        }
    }
}

void ac__fed_peer_reached_us(struct ac__fed_peer *p)
{
    int64_t now = ac_clock_now_ms();
    if (p->next_attempt_ms <= now)
        return;
    ac_log_info("federation", "%s reached us: probing it now instead of in %lld s", p->node_id,
                (long long)((p->next_attempt_ms - now) / 1000));
    p->next_attempt_ms = now;
    /* The sender goes by memory; the store follows in a task. */
    state_write(p, STATE_PROBE, 0, NULL);
    ac__fed_kick(p);
}

void ac__fed_probe_now(struct ac__fed_peer *p)
{
    p->next_attempt_ms = 0;
    if (state_write(p, STATE_PROBE, 0, NULL))
        ac_log_error("federation", "%s: cannot record the probe: %s", p->node_id,
                     ac_strerror(AC_ENOMEM));
    ac__fed_kick(p);
}

/* Page entry states. ENTRY_KEEPING: answered, what the answer settles (a
 * borrowed review's receipt) or its dead letter being written in a task;
 * then ENTRY_DONE, or ENTRY_BURIED once dead-lettered. */
enum { ENTRY_WAITING, ENTRY_SENT, ENTRY_DONE, ENTRY_REFUSED, ENTRY_KEEPING, ENTRY_BURIED };

/* True when messages of |type| may be applied in any order relative to
 * other order-free messages (see the top of the file). */
static int order_free(const char *type)
{
    static const char *const types[] = {"ping", AC__BORROW_RESULT};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i], type) == 0)
            return 1;
    return 0;
}

static void drop_page(struct ac__fed_peer *p)
{
    for (size_t i = 0; i < p->npage; i++) {
        free(p->dead_why[i]);
        p->dead_why[i] = NULL;
    }
    ac_outbox_msgs_free(p->page, p->npage);
    p->page = NULL;
    p->npage = p->at = 0;
}

static void drop_client(struct ac__fed_peer *p)
{
    if (p->client) {
        struct ac_h2_client *c = p->client;
        p->client = NULL;
        ac_h2_client_close(c);
    }
}

/* A write of a peer's delivery state (the cursor after a success, a
 * failed attempt and its back-off, a probe, or all of what memory holds
 * after a write failed) as a task of the request groups. It carries
 * copies, so the peer's state may move on meanwhile; the peer outlives it
 * (peers live until the federation is freed, and that waits for f->tasks).
 *
 * Tasks may commit out of order: one that lost a race alone runs again in
 * the next group while later ones commit in this one, and one run here
 * (no group to join) commits ahead of those queued. So each is numbered
 * when queued, and one older than a write that already ran (in an earlier
 * group, or earlier in this one: it commits no later than this) applies
 * only what cannot go stale, the cursor, which only moves forward: a
 * stale failure never overwrites a newer success, nor a stale success a
 * newer back-off. If the newer write then fails, the state in memory is
 * written again (state_done()). */
struct state_task {
    struct ac__fed_peer *p;
    uint64_t seq;
    int kind;
    char node_id[65];
    int64_t cursor; /* STATE_SUCCESS, STATE_MEMORY: the settled prefix's last id */
    int64_t attempts, next_attempt_ms;
    char why[320];
};

static int state_run(void *arg)
{
    struct state_task *t = arg;
    struct ac__fed_peer *p = t->p;
    struct ac_store *st = p->fed->node->store;
    if (t->seq < p->state_ran)
        return t->cursor > 0 ? ac_store_outbox_cursor(st, t->node_id, t->cursor) : 0;
    int err = 0;
    switch (t->kind) {
    case STATE_SUCCESS:
        err = ac_store_peer_state_success(st, t->node_id, t->cursor, ac_clock_now_ms());
        break;
    case STATE_PROBE:
        err = ac_store_peer_state_probe(st, t->node_id, t->next_attempt_ms);
        break;
    case STATE_MEMORY:
        if (!t->attempts) {
            err = ac_store_peer_state_success(st, t->node_id, t->cursor, ac_clock_now_ms());
            break;
        }
        err = t->cursor > 0 ? ac_store_outbox_cursor(st, t->node_id, t->cursor) : 0;
        /* fall through */
    default:
        if (t->kind == STATE_FAILURE || !err)
            err = ac_store_peer_state_failure(st, t->node_id, t->attempts, t->next_attempt_ms,
                                              t->why);
        break;
    }
    if (!err)
        p->state_ran = t->seq;
    return err;
}

/* A failed write (not the node stopping) leaves the stored state behind
 * memory's: a cursor behind means delivered messages go again (and after a
 * restart past the retry horizon, dead-lettered as undelivered), a stale
 * failure a back-off memory no longer has. So memory's state is written
 * again, a moment later (not from inside this call: without a writer
 * thread the next write fails here again). */
static void state_done(void *arg, int err)
{
    struct state_task *t = arg;
    struct ac__fed_peer *p = t->p;
    if (err && err != AC_ECANCELED) {
        ac_log_error("federation", "%s: cannot record the %s (written again shortly): %s",
                     t->node_id,
                     t->kind == STATE_SUCCESS   ? "delivery cursor"
                     : t->kind == STATE_PROBE   ? "probe"
                     : t->kind == STATE_FAILURE ? "failed attempt"
                                                : "delivery state",
                     ac_strerror(err));
        if (t->cursor > p->unsaved_cursor)
            p->unsaved_cursor = t->cursor;
        p->state_dirty = 1;
        /* A timer already running fires within TICK_MAX_MS (arm()). */
        if (!p->fed->stopping && p->active && !p->in_flight &&
            !uv_is_active((uv_handle_t *)&p->timer))
            arm(p, TICK_MAX_MS);
    }
    free(t);
}

/* Queues a write of |p|'s delivery state of |kind|: STATE_SUCCESS up to
 * |cursor|, STATE_FAILURE (why: |why|), STATE_PROBE (its next attempt
 * moved up to now: it reached us) or STATE_MEMORY (all of it, after a
 * write failed). Returns 0 or AC_ENOMEM. */
static int state_write(struct ac__fed_peer *p, int kind, int64_t cursor, const char *why)
{
    struct state_task *t = calloc(1, sizeof *t);
    if (!t)
        return AC_ENOMEM;
    t->p = p;
    t->seq = ++p->state_seq;
    t->kind = kind;
    snprintf(t->node_id, sizeof t->node_id, "%s", p->node_id);
    t->cursor = cursor;
    t->attempts = p->attempts;
    t->next_attempt_ms = p->next_attempt_ms;
    if (why)
        snprintf(p->state_why, sizeof p->state_why, "%s", why);
    snprintf(t->why, sizeof t->why, "%s", p->state_why);
    ac__fed_task(p->fed, "federation delivery state", state_run, state_done, t);
    return 0;
}

/* Records a failed attempt: a few quick retries first, then the durable
 * back-off (doubling from 1 s with +-25% jitter, capped at a day, and never
 * sooner than the peer's Retry-After). */
static void failed(struct ac__fed_peer *p, const char *why, int64_t retry_after_ms, int quick_ok)
{
    if (quick_ok && p->quick_retries < QUICK_RETRIES) {
        p->quick_retries++;
        arm(p, QUICK_DELAY_MS * p->quick_retries);
        return;
    }
    p->quick_retries = 0;
    p->attempts++;
    int shift = p->attempts - 1 > 20 ? 20 : (int)(p->attempts - 1);
    int64_t delay = (int64_t)BACKOFF_BASE_MS << shift;
    if (delay > BACKOFF_CAP_MS)
        delay = BACKOFF_CAP_MS;
    delay = delay - delay / 4 + (int64_t)randombytes_uniform((uint32_t)(delay / 2 + 1));
    if (retry_after_ms > delay)
        delay = retry_after_ms > BACKOFF_CAP_MS ? BACKOFF_CAP_MS : retry_after_ms;
    int64_t now = ac_clock_now_ms();
    p->next_attempt_ms = now + delay;
    if (state_write(p, STATE_FAILURE, 0, why))
        ac_log_error("federation", "%s: cannot record the failed attempt: %s", p->node_id,
                     ac_strerror(AC_ENOMEM));
    ac_log_info("federation", "%s: delivery failed (%s); attempt %lld, next in %lld ms",
                p->node_id, why, (long long)p->attempts, (long long)delay);
    arm(p, delay);
}

/* Notes a failure: nothing new is sent, and once every request still on the
 * wire has answered, the failure is counted once (failed()) and delivery
 * resumes from the first unacknowledged entry. The first reason is kept. */
static void halt(struct ac__fed_peer *p, const char *why, int64_t retry_after_ms, int quick_ok)
{
    if (p->halted)
        return;
    p->halted = 1;
    p->halt_quick = quick_ok;
    p->halt_retry_after_ms = retry_after_ms;
    snprintf(p->halt_why, sizeof p->halt_why, "%s", why);
}

/* Retry-After in seconds (RFC 9110 §10.2.3; the date form is not used by
 * Accord nodes and is ignored). */
static int64_t retry_after(const struct ac_h2_response *resp)
{
    const char *v = ac_h2_response_header(resp, "retry-after");
    if (!v || !*v)
        return 0;
    char *end;
    long long s = strtoll(v, &end, 10);
    return *end || s < 0 ? 0 : (s > 86400 ? 86400 : s) * 1000;
}

/* True when |resp|'s body is an envelope from |p| answering message |m|. */
static int answer_ok(struct ac__fed_peer *p, const struct ac_h2_response *resp)
{
    struct ac_cose_sign1 m;
    struct ac_envelope e;
    const struct ac__fed_key *key = NULL;
    if (ac_envelope_parse(resp->body, resp->body_len, &m, NULL, 0))
        return 0;
    struct ac__fed_peer *owner = ac__fed_peer_by_kid(p->fed, m.kid, m.kid_len, &key);
    return owner == p && ac_envelope_verify(&m, key->public_key) == 0 &&
           ac_envelope_decode(&m, &e, NULL, 0) == 0 && strcmp(e.from, p->node_id) == 0 &&
           strcmp(e.to, p->fed->node->cfg->node_id) == 0;
}

void ac__fed_problem_text(const struct ac_h2_response *resp, char *out, size_t size)
{
    json_t *j = json_loadb((const char *)resp->body, resp->body_len, 0, NULL);
    const char *type = json_string_value(json_object_get(j, "type"));
    const char *detail = json_string_value(json_object_get(j, "detail"));
    const char *slug = type && strrchr(type, '/') ? strrchr(type, '/') + 1 : "";
    snprintf(out, size, "HTTP %d %s%s%s", resp->status, slug, detail ? ": " : "",
             detail ? detail : "");
    json_decref(j);
}

/* Marks entry |i| refused (dead-lettered once the prefix reaches it).
 * Returns 0 or AC_ENOMEM. */
static int refuse(struct ac__fed_peer *p, size_t i, int status, const char *why)
{
    char *copy = strdup(why);
    if (!copy)
        return AC_ENOMEM;
    free(p->dead_why[i]);
    p->dead_why[i] = copy;
    p->dead_status[i] = status;
    p->state[i] = ENTRY_REFUSED;
    return 0;
}

/* Writes the durable cursor over the settled prefix not yet written, or
 * all of memory's delivery state after a write of it failed. A write that
 * fails puts it back (state_done()). Returns 0 or AC_ENOMEM. */
static int save_cursor(struct ac__fed_peer *p)
{
    if (p->state_dirty) {
        int64_t cursor = p->unsaved_cursor > p->cursor ? p->unsaved_cursor : p->cursor;
        int rc = state_write(p, STATE_MEMORY, cursor, NULL);
        if (!rc)
            p->state_dirty = 0, p->unsaved_cursor = 0;
        return rc;
    }
    if (!p->unsaved_cursor)
        return 0;
    int rc = state_write(p, STATE_SUCCESS, p->unsaved_cursor, NULL);
    if (!rc)
        p->unsaved_cursor = 0;
    return rc;
}

static int bury(struct ac__fed_peer *p, size_t i);

/* Settles the acknowledged prefix: the entries acknowledged from |p->at|
 * are passed over, and each refused entry is moved to the dead letters when
 * the prefix reaches it (that moves the cursor too, so it may not happen
 * before the entries ahead of it are settled; it is a task, bury(), and the
 * prefix goes on once it committed). The cursor itself is written once the
 * window is empty or the page settled, not per message: each write is a
 * commit (an fsync), and a cursor left behind by a crash only means
 * messages the peer already holds go again, answered from its dedup rows.
 * Returns 0 or AC_ENOMEM; what was not settled is settled by a later
 * call. */
static int settle(struct ac__fed_peer *p)
{
    while (p->at < p->npage) {
        size_t i = p->at;
        if (p->state[i] == ENTRY_DONE) {
            p->unsaved_cursor = p->cursor = p->page[i].id;
            p->at = i + 1;
            continue;
        }
        if (p->state[i] == ENTRY_BURIED) {
            p->cursor = p->page[i].id; /* the dead letter moved the stored cursor too */
            p->at = i + 1;
            continue;
        }
        /* Not while halted: a burial that failed goes again only after
         * failed()'s back-off, not at once from its own done callback
         * (which, with no writer thread, would recurse). */
        if (p->state[i] != ENTRY_REFUSED || p->halted)
            break;
        int rc = bury(p, i);
        if (rc)
            return rc;
        break; /* bury_done() goes on */
    }
    return p->at >= p->npage || !p->in_flight ? save_cursor(p) : 0;
}

/* A refused entry moved to the dead letters (and a certification request's
 * refusal shown to its reviewer), as a task of the request groups. The
 * page stays while an entry of it is kept (below). */
struct burial {
    struct ac__fed_peer *p;
    size_t i;
};

static int bury_run(void *arg)
{
    struct burial *b = arg;
    struct ac__fed_peer *p = b->p;
    struct ac_node *n = p->fed->node;
    const struct ac_outbox_msg *m = &p->page[b->i];
    int status = p->dead_status[b->i];
    int added = 0;
    int err =
        ac_store_outbox_dead(n->store, m, status, p->dead_why[b->i], ac_clock_now_ms(), &added);
    /* Not added: an earlier burial whose COMMIT's outcome was unknown did
     * commit, its refusal shown with it. */
    if (!err && status && added)
        ac__cert_undeliverable(n, p->node_id, m->type, m->body, m->body_len, status,
                               p->dead_why[b->i]);
    return err;
}

static void keep_end(struct ac__fed_peer *p, size_t i);

static void bury_done(void *arg, int err)
{
    struct burial *b = arg;
    struct ac__fed_peer *p = b->p;
    size_t i = b->i;
    free(b);
    if (!err) {
        const struct ac_outbox_msg *m = &p->page[i];
        ac_log_warn("federation", "%s: message %s (%s) dead-lettered: %s", p->node_id,
                    m->msg_id, m->type, p->dead_why[i]);
        free(p->dead_why[i]);
        p->dead_why[i] = NULL;
    }
    /* A failure (also an unknown COMMIT outcome: the burial is idempotent)
     * is tried again after failed()'s back-off. */
    p->state[i] = err ? ENTRY_REFUSED : ENTRY_BURIED;
    if (err && err != AC_ECANCELED)
        halt(p, ac_strerror(err), 0, 0);
    keep_end(p, i);
}

/* Starts keeping entry |i| (ENTRY_KEEPING): an order-sensitive one holds
 * back what follows it as if it were still on the wire. */
static void keep_start(struct ac__fed_peer *p, size_t i)
{
    p->state[i] = ENTRY_KEEPING;
    p->keeping++;
    if (!order_free(p->page[i].type))
        p->keep_barrier = 1;
}

/* Entry |i|'s task ended (its state set): the prefix and delivery go on. */
static void keep_end(struct ac__fed_peer *p, size_t i)
{
    p->keeping--;
    if (!order_free(p->page[i].type))
        p->keep_barrier = 0;
    if (p->fed->stopping)
        return;
    int rc = settle(p);
    if (rc)
        halt(p, ac_strerror(rc), 0, 0);
    deliver_next(p);
}

static int bury(struct ac__fed_peer *p, size_t i)
{
    struct burial *b = calloc(1, sizeof *b);
    if (!b)
        return AC_ENOMEM;
    b->p = p;
    b->i = i;
    keep_start(p, i);
    ac__fed_task(p->fed, "federation dead letter", bury_run, bury_done, b);
    return 0;
}

/* Entry |i| of |p|'s page answered with |answer|: ac__borrow_delivered()
 * as a task of the request groups. The page stays while an entry of it is
 * kept (the cursor cannot pass it, so no next page is read), and the peer
 * and the federation outlive the task (f->tasks). */
struct receipt_task {
    struct ac__fed_peer *p;
    size_t i;
    uint8_t *answer; /* owned copy: the response is gone once answered */
    size_t len;
};

static int receipt_run(void *arg)
{
    struct receipt_task *t = arg;
    return ac__borrow_delivered(t->p, &t->p->page[t->i], t->answer, t->len);
}

static void receipt_done(void *arg, int err)
{
    struct receipt_task *t = arg;
    struct ac__fed_peer *p = t->p;
    size_t i = t->i;
    free(t->answer);
    free(t);
    p->state[i] = err ? ENTRY_WAITING : ENTRY_DONE; /* a failure goes again */
    if (err && err != AC_ECANCELED)
        halt(p, ac_strerror(err), 0, 0);
    keep_end(p, i);
}

/* Starts keeping what entry |i|'s answer settles. Returns 0 or AC_ENOMEM. */
static int keep_receipt(struct ac__fed_peer *p, size_t i, const uint8_t *answer, size_t len)
{
    struct receipt_task *t = calloc(1, sizeof *t);
    if (!t || !(t->answer = malloc(len ? len : 1))) {
        free(t);
        return AC_ENOMEM;
    }
    memcpy(t->answer, answer, len);
    t->len = len;
    t->p = p;
    t->i = i;
    keep_start(p, i);
    ac__fed_task(p->fed, "borrowed review receipt", receipt_run, receipt_done, t);
    return 0;
}

/* What the answer to entry |i| means for it. */
static void take_answer(struct ac__fed_peer *p, size_t i, int err,
                        const struct ac_h2_response *resp)
{
    const struct ac_outbox_msg *m = &p->page[i];
    char why[256];
    if (err) {
        if (err == AC_ETLS)
            snprintf(why, sizeof why, "%s: %.100s's certificate did not verify%s", ac_strerror(err),
                     p->url,
                     p->pin_spki_sha256 ? ", or its public key is not the pinned pin_spki_sha256"
                                        : "");
        else
            snprintf(why, sizeof why, "%s", ac_strerror(err));
        halt(p, why, 0, 1);
        /* Closing the client fails the rest of the window (re-entering
         * on_response, which then only counts them): all go again. */
        drop_client(p);
        return;
    }
    int s = resp->status;
    if (s == 200) {
        if (!answer_ok(p, resp)) {
            /* Perhaps signed by a key the peer rotated to: learn it (at most
             * once a minute); the next attempt gets the stored answer again. */
            ac__fed_fetch_description(p);
            halt(p, "the answer is not an envelope signed by the peer to us", 0, 0);
            return;
        }
        p->attempts = 0;
        p->next_attempt_ms = 0;
        p->quick_retries = 0;
        /* What the answer settles (a borrowed review's receipt) is kept
         * before the cursor may move; if it cannot be, the message goes
         * again and the peer answers it again from its dedup row. */
        if (strcmp(m->type, AC__BORROW_ANSWER) == 0 || strcmp(m->type, AC__BORROW_RESULT) == 0) {
            int rc = keep_receipt(p, i, resp->body, resp->body_len);
            if (rc)
                halt(p, ac_strerror(rc), 0, 0);
            return;
        }
        p->state[i] = ENTRY_DONE;
        return;
    }
    ac__fed_problem_text(resp, why, sizeof why);
    if (s >= 400 && s < 500 && s != 401 && s != 408 && s != 429) {
        /* The peer understood and refused: sending it again cannot help. */
        int rc = refuse(p, i, s, why);
        if (rc)
            halt(p, ac_strerror(rc), 0, 0);
        else
            p->quick_retries = 0;
        return;
    }
    halt(p, why, retry_after(resp), s != 429);
}

static void on_response(void *arg, int err, const struct ac_h2_response *resp)
{
    struct ac__fed_slot *slot = arg;
    struct ac__fed_peer *p = slot->peer;
    size_t i = slot->at;
    slot->busy = 0;
    p->in_flight--;
    if (slot->barrier)
        p->barrier = 0;
    if (p->page && i < p->npage && p->state[i] == ENTRY_SENT)
        p->state[i] = ENTRY_WAITING; /* unless the answer settles it below */
    if (p->fed->stopping || !p->page || i >= p->npage || p->in_response)
        return;
    p->in_response = 1;
    take_answer(p, i, err, resp);
    p->in_response = 0;
    int rc = settle(p);
    if (rc)
        halt(p, ac_strerror(rc), 0, 0);
    deliver_next(p);
}

/* Sends entry |i|. Returns 0, or an error with |why| filled. */
static int send_entry(struct ac__fed_peer *p, size_t i, char *why, size_t why_size)
{
    struct ac__federation *f = p->fed;
    const struct ac_outbox_msg *m = &p->page[i];
    struct ac__fed_slot *slot = NULL;
    for (size_t k = 0; k < AC__FED_WINDOW && !slot; k++)
        if (!p->slots[k].busy)
            slot = &p->slots[k];
    if (!slot)
        AC_BUG("a send with the window full");
    struct ac_buf env = AC_BUF_INIT;
    int err = ac__fed_sign(f, m->type, m->msg_id, p->node_id, m->body, m->body_len, &env);
    struct ac_h2_client *client = NULL;
    if (!err)
        err = ac__fed_client(p, &client);
    const struct ac_http_header headers[] = {
        {"content-type", AC_ENVELOPE_CONTENT_TYPE},
        {"accord-sender", f->node->cfg->node_id},
    };
    *slot = (struct ac__fed_slot){.peer = p, .at = i, .busy = 1, .barrier = !order_free(m->type)};
    if (!err)
        err = ac_h2_client_request(client, "POST", "/v1/federation/inbox", headers, 2,
                                   env.data, env.len, on_response, slot);
    ac_buf_release(&env);
    if (err) {
        slot->busy = 0;
        if (err == AC_EINVAL && !client)
            snprintf(why, why_size, "url %s: a peer is reached over https://; http:// only on "
                     "loopback", p->url);
        else
            snprintf(why, why_size, "%s", ac_strerror(err));
        return err;
    }
    p->state[i] = ENTRY_SENT;
    p->in_flight++;
    p->barrier = slot->barrier;
    return 0;
}

/* The next page, read on a reader thread: after the stored cursor or the
 * one in memory, whichever is further (the stored one is behind while its
 * write waits for a group; it is the only one known after a start). */
struct page_read {
    struct ac__read_job job; /* first */
    struct ac__fed_peer *p;   /* peers live until the federation is freed */
    char node_id[65];
    int64_t after;
    struct ac_outbox_msg *page; /* owned until handed to |p| */
    size_t npage;
    int err;
};

static void page_work(struct ac__read_job *job, struct ac_store *st)
{
    struct page_read *r = (struct page_read *)job;
    struct ac_peer_state s;
    r->err = ac_store_peer_state_get(st, r->node_id, &s);
    if (!r->err && s.cursor > r->after)
        r->after = s.cursor;
    if (!r->err)
        r->err = ac_store_outbox_page(st, r->node_id, r->after, AC__FED_PAGE, &r->page,
                                      &r->npage);
}

static void page_done(struct ac__read_job *job, int status)
{
    struct page_read *r = (struct page_read *)job;
    struct ac__fed_peer *p = r->p;
    struct ac__federation *f = p->fed;
    int err = status ? AC_EIO : r->err;
    int kicked = p->kicked_reading;
    p->reading = p->kicked_reading = 0;
    f->tasks--;
    if (f->stopping || err) {
        ac_outbox_msgs_free(r->page, r->npage);
        if (err && !f->stopping) {
            ac_log_error("federation", "%s: cannot read the outbox: %s", p->node_id,
                         ac_strerror(err));
            arm(p, TICK_MAX_MS);
        }
        free(r);
        ac__fed_free_if_done(f);
        return;
    }
    drop_page(p);
    p->page = r->page;
    p->npage = r->npage;
    memset(p->state, ENTRY_WAITING, sizeof p->state);
    if (r->after > p->cursor)
        p->cursor = r->after;
    free(r);
    if (p->npage == 0) {
        /* Idle until a new message kicks us; one that kicked during the
         * read may have committed after what it saw. */
        if (kicked)
            arm(p, 0);
        return;
    }
    /* Every row of the page committed before this: counted now, it is at
     * least the commit that queued the newest of them. */
    p->page_need = ac_store_commits(f->node->store);
    deliver_next(p);
}

/* Starts reading the next page; deliver_next() goes on when it is there.
 * Returns 0 or AC_ENOMEM. */
static int read_page(struct ac__fed_peer *p)
{
    struct ac__federation *f = p->fed;
    struct page_read *r = calloc(1, sizeof *r);
    if (!r)
        return AC_ENOMEM;
    r->job = (struct ac__read_job){page_work, page_done, NULL};
    r->p = p;
    snprintf(r->node_id, sizeof r->node_id, "%s", p->node_id);
    r->after = p->cursor;
    p->reading = 1;
    f->tasks++;
    ac__read_submit(f->node, &r->job); /* page_done() may run inside it */
    return 0;
}

static void deliver_next(struct ac__fed_peer *p)
{
    struct ac__federation *f = p->fed;
    if (f->stopping || !p->active)
        return;
    if (p->reading) {
        p->kicked_reading = 1;
        return; /* page_done() goes on */
    }
    /* A delivery-state write failed: memory's state goes again now, also
     * during a back-off (a restart would otherwise start from the stale
     * one). */
    if (p->state_dirty && save_cursor(p))
        ac_log_error("federation", "%s: cannot record the delivery state: %s", p->node_id,
                     ac_strerror(AC_ENOMEM));
    if (p->halted) {
        if (p->in_flight || p->keeping)
            return; /* the rest of the window answers (and is kept) first */
        p->halted = 0;
        failed(p, p->halt_why, p->halt_retry_after_ms, p->halt_quick);
        return;
    }
    int64_t now = ac_clock_now_ms();
    if (p->next_attempt_ms > now) {
        if (!p->in_flight)
            arm(p, p->next_attempt_ms - now);
        return;
    }
    if (p->at >= p->npage) {
        if (p->in_flight)
            return;
        int err = save_cursor(p);
        if (!err)
            err = read_page(p); /* the last thing: page_done() goes on */
        if (err) {
            ac_log_error("federation", "%s: cannot read the outbox: %s", p->node_id,
                         ac_strerror(err));
            arm(p, TICK_MAX_MS);
        }
        return;
    }
    /* A message goes out only once the commit that queued it is durable: a
     * peer must never act on a change this node could lose. Every row of the
     * page was committed by the time it was read. */
    if (ac_store_durable(f->node->store) < p->page_need) {
        if (!p->in_flight)
            p->awaiting = 1;
        return;
    }
    /* What an earlier store failure left unsettled (or the cursor unsaved)
     * is settled before more goes out. */
    int rc = settle(p);
    if (rc) {
        if (!p->in_flight)
            failed(p, ac_strerror(rc), 0, 0);
        return;
    }
    size_t i = p->at;
    while (p->in_flight < AC__FED_WINDOW && !p->barrier && !p->keep_barrier && !p->halted) {
        while (i < p->npage && p->state[i] != ENTRY_WAITING)
            i++;
        if (i >= p->npage)
            break;
        const struct ac_outbox_msg *m = &p->page[i];
        /* An order-sensitive message waits for everything before it. */
        if (!order_free(m->type) && (p->in_flight || p->keeping || i != p->at))
            break;
        char why[300];
        int err;
        if (now - m->created_ms > AC__FED_RETRY_HORIZON_MS) {
            /* Past the horizon the receiver's dedup rows are promised for: a
             * late delivery could apply twice, so it waits for an admin. */
            snprintf(why, sizeof why, "undelivered for %lld days; senders give up after %lld",
                     (long long)((now - m->created_ms) / 86400000),
                     (long long)(AC__FED_RETRY_HORIZON_MS / 86400000));
            err = refuse(p, i, 0, why);
            if (!err)
                err = settle(p);
            if (err)
                halt(p, ac_strerror(err), 0, 0);
            continue;
        }
        err = send_entry(p, i, why, sizeof why);
        if (err == AC_EBUSY) {
            /* The keyring is sealed while a key rotation's files are
             * fsynced (node/records/keys.c): not sent and no attempt
             * (nothing failed, the back-off does not grow). The entry stays
             * waiting and goes on the timer, or sooner when an answer in
             * flight wakes the sender. (keys.c does not wake the senders
             * itself: it would call into federation, a circle of calls.) */
            if (!p->in_flight)
                arm(p, SEALED_RETRY_MS);
            break;
        }
        if (err)
            halt(p, why, 0, 0);
    }
    if (p->halted && !p->in_flight && !p->keeping) {
        p->halted = 0;
        failed(p, p->halt_why, p->halt_retry_after_ms, p->halt_quick);
        return;
    }
    if (p->at >= p->npage && !p->in_flight)
        arm(p, 0); /* the page is settled: read the next one */
}
