/* receive.c - POST /v1/federation/inbox: the one door a peer's message comes
 * through. Checks run in a fixed order and each refusal is a specific problem
 * with nothing changed: the envelope's structure, the sender's key (found by
 * kid among known peers), the signature over the exact bytes received, only
 * then the payload (from, key window, to, ts, type, right), then the inbox
 * row: a repeated id with the same body gets the stored answer, a reused id
 * with another body is refused. The effect, the inbox row and the signed
 * answer commit together: a message that passes the checks is queued, and
 * every message queued in one loop tick is applied as one batch, each in a
 * savepoint of its own so one failing leaves the others standing, and each
 * answered only after the commit.
 *
 * A batch runs as a task of the request groups (ac__reqtx_task(),
 * node/http/reqtx.c): its statements on the write handlers' fiber, so on
 * PostgreSQL the loop does not wait on their round trips, and its COMMIT
 * the group's, on the writer thread, shared with the write requests of the
 * moment (one fsync for them all) instead of closing their open group. The
 * route itself stays outside request groups (reqtx.c, |outside|): the
 * signatures of a burst are checked together on the thread pool first and
 * only the batch joins a group. Without request groups (stopping, tools) a
 * batch runs on the loop in a transaction of its own.
 *
 * Queries (status.query, log.*: query.c) answer from what this node
 * published, never from a group's transaction, which may hold leaves not
 * yet committed. They leave the tick's batch: a reader thread reads the
 * stored log head (ac__checkpoint_fresh()), the loop makes their answers
 * from memory, a reader thread computes the proofs, and only then do they
 * go, as a batch of their own, to store their inbox rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/sign/cbor.h"
#include "accord/sign/envelope.h"
#include "accord/store/inbox.h"
#include "accord/store/peer.h"
#include "borrow.h"
#include "cert.h"
#include "federation.h"
#include "internal.h"
#include "readers.h"
#include "lending.h"
#include "records/records.h"

/* What a message type needs and does. |apply| runs inside the transaction
 * that will hold the inbox row; it writes the answer's body into |answer| (one
 * CBOR item) or returns an error with |why| filled. */
struct msg_type {
    const char *type;
    unsigned right; /* 0: any known peer */
    int (*apply)(struct ac__federation *f, struct ac__fed_peer *from, const struct ac_envelope *e,
                 struct ac_buf *answer, struct ac_reason *why);
};

/* Encodes {"re": id, <key>: <uint>} as the answer body. */
static int answer_uint(const char *id, const char *key, uint64_t v, struct ac_buf *out)
{
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    ac_cbor_put_map(&w, 2);
    ac_cbor_put_str(&w, "re");
    ac_cbor_put_str(&w, id);
    ac_cbor_put_str(&w, key);
    ac_cbor_put_uint(&w, v);
    int rc = ac_cbor_writer_finish(&w, out);
    ac_cbor_writer_release(&w);
    return rc;
}

/* ping: no effect but the count of messages applied from the peer, so a
 * repeated id is seen to apply once. */
static int apply_ping(struct ac__federation *f, struct ac__fed_peer *from,
                      const struct ac_envelope *e, struct ac_buf *answer, struct ac_reason *why)
{
    (void)why;
    int err = ac_store_peer_state_received(f->node->store, from->node_id);
    return err ? err : answer_uint(e->id, "pong", (uint64_t)ac_clock_now_ms(), answer);
}

/* consortium.offer: a member passes on the newest file it holds; adopted
 * when it verifies with our pinned key and is newer. */
static int apply_consortium_offer(struct ac__federation *f, struct ac__fed_peer *from,
                                  const struct ac_envelope *e, struct ac_buf *answer,
                                  struct ac_reason *why)
{
    struct ac_cbor_reader r;
    const uint8_t *file;
    size_t len;
    if (ac_cbor_reader_init(&r, e->body, e->body_len) || ac_cbor_get_bytes(&r, &file, &len))
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_BAD_ENVELOPE, "body",
                              "a consortium.offer body is the signed file as a byte string");
    uint64_t serial = 0;
    struct ac_reason inner = AC_REASON_INIT;
    int err = ac__fed_consortium_adopt(f, file, len, 1, &serial, &inner);
    if (err && err != AC_ECONFLICT) {
        *why = inner;
        return err;
    }
    ac_reason_release(&inner);
    if (!err)
        ac_log_info("federation", "consortium serial %llu offered by %s stored; taken once "
                    "the batch commits", (unsigned long long)serial, from->node_id);
    err = ac_store_peer_state_received(f->node->store, from->node_id);
    return err ? err : answer_uint(e->id, "serial", serial, answer);
}

/* catalog.offer: an issuer peer's catalog of active credential definitions
 * (a CBOR map), cached as the bytes its signed envelope carried, so a
 * recognizer's policies can name the peer's credentials. */
static int apply_catalog_offer(struct ac__federation *f, struct ac__fed_peer *from,
                               const struct ac_envelope *e, struct ac_buf *answer,
                               struct ac_reason *why)
{
    struct ac_cbor_reader r;
    uint64_t npairs;
    if (ac_cbor_reader_init(&r, e->body, e->body_len) || ac_cbor_get_map(&r, &npairs))
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_BAD_ENVELOPE, "body",
                              "a catalog.offer body is a map");
    int err = ac__fed_catalog_check(from, e->body, e->body_len, why);
    if (err)
        return err;
    err = ac_store_peer_doc_put(f->node->store, from->node_id, "catalog", e->body,
                                    e->body_len, ac_clock_now_ms());
    if (!err)
        err = ac_store_peer_state_received(f->node->store, from->node_id);
    return err ? err : answer_uint(e->id, "cached", e->body_len, answer);
}

/* witness.cosignature: a witness vouches for one of our checkpoints. */
static int apply_cosignature(struct ac__federation *f, struct ac__fed_peer *from,
                             const struct ac_envelope *e, struct ac_buf *answer,
                             struct ac_reason *why)
{
    uint64_t size = 0;
    int err = ac__fed_take_cosignature(f, from, e->body, e->body_len, &size, why);
    if (!err)
        err = ac_store_peer_state_received(f->node->store, from->node_id);
    return err ? err : answer_uint(e->id, "size", size, answer);
}

static const struct msg_type types[] = {
    {"witness.cosignature", AC_RIGHT_WITNESS, apply_cosignature},
    {"ping", 0, apply_ping},
    {"catalog.offer", AC_RIGHT_ISSUER, apply_catalog_offer},
    {"consortium.offer", 0, apply_consortium_offer},
    /* Answered before the transaction (query.c): no apply. */
    {"status.query", 0, NULL},
    {"log.checkpoint", 0, NULL},
    {"log.consistency", 0, NULL},
    {"log.inclusion", 0, NULL},
    {"capacity.offer", AC_RIGHT_LEND, ac__lending_offer_take},
    /* Borrowed review (borrow.h): the issuer sends work to its lenders... */
    {AC__BORROW_OFFER, AC_RIGHT_SUBMIT, ac__borrow_apply_offer},
    {AC__BORROW_RECLAIM, AC_RIGHT_SUBMIT, ac__borrow_apply_reclaim},
    {AC__BORROW_NOTICE, AC_RIGHT_SUBMIT, ac__borrow_apply_notice},
    /* ...and the lenders answer and score. */
    {AC__BORROW_ANSWER, AC_RIGHT_LEND, ac__borrow_apply_answer},
    {AC__BORROW_RESULT, AC_RIGHT_LEND, ac__borrow_apply_result},
    /* Cross-node certification (cert_issuer.c, cert_lender.c). */
    {"cert.apply", AC_RIGHT_LEND, ac__cert_apply_request},
    {"cert.trained", AC_RIGHT_LEND, ac__cert_apply_request},
    {"cert.attempt", AC_RIGHT_LEND, ac__cert_apply_request},
    {"cert.answers", AC_RIGHT_LEND, ac__cert_apply_request},
    {"cert.state", AC_RIGHT_CERTIFY, ac__cert_apply_state},
};

static const struct msg_type *find_type(const char *type)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i].type, type) == 0)
            return &types[i];
    return NULL;
}

static void respond_envelope(struct ac_http_exchange *x, int status, const uint8_t *p, size_t n)
{
    const struct ac_http_header h[] = {{"content-type", AC_ENVELOPE_CONTENT_TYPE}};
    ac_http_respond(x, status, h, 1, p, n);
}

/* The answer's id: derived from the request's sender and id, so the same
 * request always has the same answer id. */
static void answer_id(const struct ac_envelope *e, char out[33])
{
    ac__fed_answer_id(e->from, e->id, out);
}

/* A verified message waiting for the transaction that applies it, and what
 * that gave: the answer to send (new or stored) or the failure. */
struct ac__fed_pending {
    struct ac__fed_pending *next;
    struct ac_http_exchange *x;
    struct ac__fed_peer *peer;
    const struct msg_type *mt;
    struct ac_envelope e;
    int64_t received_ms;
    /* outcome */
    int err;               /* 0: answer with |status| and |answer| */
    int replayed;          /* the id names another message: refused */
    int status;
    struct ac_buf answer;
    struct ac_reason reason;
    /* A query's answer, made before the batch (query.c): kept across the
     * batch's re-runs. */
    struct ac__fed_query query;
};

static void pending_reset(struct ac__fed_pending *it)
{
    it->err = it->replayed = it->status = 0;
    ac_buf_release(&it->answer);
    ac_reason_release(&it->reason);
}

/* Errors of the store itself rather than of one message: the transaction may
 * be gone, so the batch is rolled back and its messages applied one by one. */
static int batch_fatal(int err)
{
    return err == AC_EIO || err == AC_ENOMEM || err == AC_EDB || err == AC_EBUG ||
           err == AC_EAGAIN;
}

/* Copies |from| into |to| (released first); returns |err|. */
static int reason_copy(struct ac_reason *to, const struct ac_reason *from, int err)
{
    ac_reason_release(to);
    *to = *from;
    json_incref(to->extra);
    return err;
}

/* Applies |it| inside the open batch transaction. Its dedup row is read here,
 * inside the transaction, so a second copy in the same batch sees the first.
 * The effect, the inbox row and the signed answer go in a savepoint of their
 * own, so a message that fails leaves the others' effects standing. Returns
 * a fatal store error, else 0 with the outcome in |it|. */
static int apply_one(struct ac__federation *f, struct ac__fed_pending *it)
{
    struct ac_store *st = f->node->store;
    const struct ac_envelope *e = &it->e;
    struct ac_inbox_entry row = {.status = 200, .received_ms = it->received_ms};
    snprintf(row.type, sizeof row.type, "%s", e->type);
    crypto_hash_sha256(row.body_hash, e->body, e->body_len);
    struct ac_inbox_entry seen;
    int err = ac_store_inbox_get(st, it->peer->node_id, e->id, &seen);
    if (err == 0) {
        if (strcmp(seen.type, row.type) == 0 &&
            sodium_memcmp(seen.body_hash, row.body_hash, 32) == 0) {
            it->status = seen.status;
            err = ac_buf_append(&it->answer, seen.answer, seen.answer_len);
        } else {
            it->replayed = 1;
        }
        free(seen.answer);
        return batch_fatal(err) ? err : (it->err = err, 0);
    }
    if (err != AC_ENOENT)
        return err;
    if (it->query.kind && it->query.err) {
        /* A refused query stores nothing; its failure read nothing here. */
        it->err = reason_copy(&it->reason, &it->query.why, it->query.err);
        return 0;
    }
    err = ac_store_tx_begin(st);
    if (err)
        return err;
    struct ac_buf body = AC_BUF_INIT;
    if (it->query.kind) {
        err = ac_buf_append(&body, it->query.body.data, it->query.body.len);
    } else {
        const struct ac_http_req *req = ac_http_exchange_req(it->x);
        f->applying_raw = req->body;
        f->applying_raw_len = req->body_len;
        err = it->mt->apply(f, it->peer, e, &body, &it->reason);
        f->applying_raw = NULL;
        f->applying_raw_len = 0;
    }
    char aid[33];
    answer_id(e, aid);
    if (!err)
        err = ac__fed_sign(f, "answer", aid, it->peer->node_id, body.data, body.len,
                           &it->answer);
    ac_buf_release(&body);
    row.answer = it->answer.data;
    row.answer_len = it->answer.len;
    if (!err)
        err = ac_store_inbox_put(st, it->peer->node_id, e->id, &row);
    if (!err)
        err = ac_store_tx_commit(st);
    else
        ac_store_tx_rollback(st);
    if (batch_fatal(err))
        return err;
    it->err = err;
    it->status = 200;
    return 0;
}

/* Applies |list| in one transaction (inside a task, a savepoint of the
 * group's). Each message's outcome is cleared first: a task runs again
 * whole after a lost race. Returns 0 when it committed (outcomes in the
 * items), else a fatal error with everything rolled back. */
static int apply_batch(struct ac__federation *f, struct ac__fed_pending *list)
{
    struct ac_store *st = f->node->store;
    for (struct ac__fed_pending *it = list; it; it = it->next)
        pending_reset(it);
    int err = ac_store_tx_begin(st);
    for (struct ac__fed_pending *it = list; !err && it; it = it->next)
        err = apply_one(f, it);
    if (err) {
        ac_store_tx_rollback(st);
        return err;
    }
    return ac_store_tx_commit(st); /* rolls back itself when it fails */
}

static void answer_pending(struct ac__fed_pending *it)
{
    if (it->replayed)
        ac__problem(it->x, AC_PROBLEM_REPLAYED_ID, "id", NULL,
                    "%s already sent message \"%s\" with another type or body; a message id "
                    "names one message",
                    it->peer->node_id, it->e.id);
    else if (it->err == AC_ECANCELED)
        ac__problem(it->x, AC_PROBLEM_STORAGE_UNAVAILABLE, NULL, NULL,
                    "the node is stopping; this message was not applied: send it again");
    else if (it->err == AC_EUNKNOWN)
        ac__problem(it->x, AC_PROBLEM_STORAGE_UNAVAILABLE, NULL, NULL,
                    "the database did not confirm the commit of this message; send it again: "
                    "its id is answered once, never applied twice");
    else if (it->err == AC_EAGAIN) {
        /* It lost its race with concurrent writes every time it ran: a
         * busy node, not a broken message; the sender's back-off retries. */
        json_t *extra = json_pack("{s:i}", "retry_after_seconds", 1);
        ac__problem(it->x, AC_PROBLEM_BUSY, NULL, extra,
                    "the message lost a race with concurrent writes each time it ran; send it "
                    "again shortly: its id is answered once, never applied twice");
        json_decref(extra);
    } else if (it->err)
        ac__respond_failure(it->x, it->err, &it->reason, "the message");
    else
        respond_envelope(it->x, it->status, it->answer.data, it->answer.len);
}

/* A batch of messages handed to the request groups as one task. */
struct ingest_task {
    struct ac__federation *f;
    struct ac__fed_pending *list; /* owned */
    size_t n;
};

static void ingest_submit(struct ac__federation *f, struct ac__fed_pending *list, size_t n);

/* Answers every message of |list| and frees it. An adopted consortium file
 * may change the peer table only now, after the commit: a batch that rolled
 * back left the store, and so the table, as it was. */
static void batch_answer(struct ac__federation *f, struct ac__fed_pending *list)
{
    ac__fed_consortium_settle(f);
    while (list) {
        struct ac__fed_pending *it = list;
        list = it->next;
        answer_pending(it);
        pending_reset(it);
        ac__fed_query_release(&it->query);
        free(it);
    }
    ac__fed_kick_all(f); /* effects may have queued messages */
}

/* The batch committed (|err| 0) or failed with |err| as a whole. */
static void batch_counted(struct ac__federation *f, size_t n, int err)
{
    if (!err) {
        f->ingest_commits++;
        if (n > f->ingest_largest)
            f->ingest_largest = n;
    }
    f->ingest_messages += n;
}

/* Applies |list| on the loop, in a transaction of its own; when that fails
 * as a whole, each message again alone, so the failure stays with the
 * message that meets it. Then answers them. */
static void batch_inline(struct ac__federation *f, struct ac__fed_pending *list, size_t n)
{
    int err = apply_batch(f, list);
    if (err && n > 1) {
        ac_log_warn("federation", "a batch of %zu inbound messages failed (%s); applying "
                    "them one by one", n, ac_strerror(err));
        for (struct ac__fed_pending *it = list; it; it = it->next) {
            struct ac__fed_pending *next = it->next;
            it->next = NULL;
            int one = apply_batch(f, it);
            batch_counted(f, 1, one);
            if (one)
                it->err = one;
            it->next = next;
        }
    } else {
        batch_counted(f, n, err);
        if (err) {
            pending_reset(list);
            list->err = err;
        }
    }
    batch_answer(f, list);
}

/* The task's body: the whole batch, on the group's fiber. */
static int ingest_run(void *arg)
{
    struct ingest_task *t = arg;
    return apply_batch(t->f, t->list);
}

/* The group's COMMIT ended (or the batch failed, or the node stops first). */
static void ingest_done(void *arg, int err)
{
    struct ingest_task *t = arg;
    struct ac__federation *f = t->f;
    struct ac__fed_pending *list = t->list;
    size_t n = t->n;
    free(t);
    f->tasks--;
    if (err && err != AC_ECANCELED && err != AC_EUNKNOWN && n > 1) {
        /* The store failed, not one message: each again alone, so the
         * failure stays with the message that meets it. */
        ac_log_warn("federation", "a batch of %zu inbound messages failed (%s); applying "
                    "them one by one", n, ac_strerror(err));
        while (list) {
            struct ac__fed_pending *it = list;
            list = it->next;
            it->next = NULL;
            ingest_submit(f, it, 1);
        }
        ac__fed_free_if_done(f);
        return;
    }
    batch_counted(f, n, err);
    for (struct ac__fed_pending *it = list; err && it; it = it->next) {
        pending_reset(it);
        it->err = err;
    }
    batch_answer(f, list);
    ac__fed_free_if_done(f);
}

/* Hands |list| (|n| messages, queries made) to the request groups as one
 * task, or applies it here when it cannot go there. */
static void ingest_submit(struct ac__federation *f, struct ac__fed_pending *list, size_t n)
{
    struct ingest_task *t = calloc(1, sizeof *t);
    if (t) {
        t->f = f;
        t->list = list;
        t->n = n;
        f->tasks++;
        /* ingest_done() may run inside this call (no writer thread). */
        if (ac__reqtx_task(f->node, "federation ingest", ingest_run, ingest_done, t) == 0)
            return;
        f->tasks--;
        free(t);
    }
    batch_inline(f, list, n);
}

/* ---- queries: answered before their batch (see the top of the file) ---- */

/* The tick's queries on their way to their batch. */
struct query_prep {
    struct ac__federation *f;
    struct ac__fed_pending *list; /* owned */
    size_t n;
    size_t proving; /* proofs still on the reader threads */
};

/* One query's proof, a reader job of its own: the pool hands jobs out in
 * bounded bursts, so a burst of queries shares the threads with the GET
 * routes' reads instead of holding one thread for all of them. */
struct proof_job {
    struct ac__read_job job; /* first */
    struct query_prep *p;
    struct ac__fed_pending *it;
};

/* Every answer is made (or refused): the queries go on as a batch. The
 * federation outlives the preparation (f->tasks). */
static void prep_finish(struct query_prep *p)
{
    struct ac__federation *f = p->f;
    ingest_submit(f, p->list, p->n);
    free(p);
    f->tasks--;
    ac__fed_free_if_done(f);
}

/* Reader thread: the proof, from the stored log (committed leaves only);
 * touches only its own query. */
static void prep_prove(struct ac__read_job *job, struct ac_store *st)
{
    struct proof_job *j = (struct proof_job *)job;
    ac__fed_query_prove(st, &j->it->e, &j->it->query);
}

static void prep_proved(struct ac__read_job *job, int status)
{
    struct proof_job *j = (struct proof_job *)job;
    struct query_prep *p = j->p;
    if (status)
        ac__fed_query_made(&j->it->query, AC_EIO); /* the pool stopped first */
    free(j);
    if (--p->proving == 0)
        prep_finish(p);
}

/* The stored log head was read on a reader thread (ac__checkpoint_fresh()):
 * memory is what was published, so the answers are made from it here, and
 * each proof is handed to the reader threads. */
static void prep_fresh(struct ac_http_exchange *x, struct ac_node *n, void *arg, int err)
{
    (void)x;
    struct query_prep *p = arg;
    /* Counted from 1 so that a job done inside ac__read_submit() (no pool)
     * cannot finish the preparation while this loop still walks the list. */
    p->proving = 1;
    for (struct ac__fed_pending *it = p->list; it; it = it->next) {
        if (err || !ac__fed_query_prepare(n, &it->e, &it->query)) {
            if (err)
                ac__fed_query_made(&it->query, err);
            continue;
        }
        struct proof_job *j = calloc(1, sizeof *j);
        if (!j) {
            ac__fed_query_made(&it->query, AC_ENOMEM);
            continue;
        }
        j->job = (struct ac__read_job){prep_prove, prep_proved, NULL};
        j->p = p;
        j->it = it;
        p->proving++;
        ac__read_submit(n, &j->job);
    }
    if (--p->proving == 0)
        prep_finish(p);
}

static void queries_prepare(struct ac__federation *f, struct ac__fed_pending *list, size_t n)
{
    struct query_prep *p = calloc(1, sizeof *p);
    if (!p) {
        for (struct ac__fed_pending *it = list; it; it = it->next)
            ac__fed_query_made(&it->query, AC_ENOMEM);
        ingest_submit(f, list, n);
        return;
    }
    p->f = f;
    p->list = list;
    p->n = n;
    f->tasks++;
    ac__checkpoint_fresh(f->node, NULL, prep_fresh, p);
}

/* Moves the queries out of |*list| (|*n| fewer) into a list of their own
 * (|*nq| long), each list in arrival order. */
static struct ac__fed_pending *take_queries(struct ac__fed_pending **list, size_t *n, size_t *nq)
{
    struct ac__fed_pending *queries = NULL, **qtail = &queries, **link = list;
    *nq = 0;
    while (*link) {
        struct ac__fed_pending *it = *link;
        if (!it->query.kind) {
            link = &it->next;
            continue;
        }
        *link = it->next;
        it->next = NULL;
        *qtail = it;
        qtail = &it->next;
        (*nq)++;
        (*n)--;
    }
    return queries;
}

void ac__fed_ingest_flush(struct ac__federation *f)
{
    struct ac__fed_pending *list = f->pending;
    size_t n = f->npending;
    f->pending = NULL;
    f->pending_tail = &f->pending;
    f->npending = 0;
    if (f->has_ingest_check)
        uv_check_stop(&f->ingest_check);
    size_t nq;
    struct ac__fed_pending *queries = take_queries(&list, &n, &nq);
    if (list)
        ingest_submit(f, list, n);
    if (queries)
        queries_prepare(f, queries, nq);
}

/* Runs after the loop has read what arrived. While signatures of messages
 * that came with these are still being checked on the thread pool, the
 * commit waits for them (they finish within a few milliseconds, and each
 * completion runs the loop again), so one fsync covers the whole burst
 * instead of the first few messages; it waits no longer once a batch is
 * large or its first message has waited AC__FED_BATCH_WAIT_MS. */
static void on_ingest_check(uv_check_t *h)
{
    struct ac__federation *f = h->data;
    if (f->verifying > 0 && f->npending < AC__FED_BATCH_MIN &&
        uv_now(f->node->loop) - f->pending_since < AC__FED_BATCH_WAIT_MS)
        return;
    ac__fed_ingest_flush(f);
}

int ac__fed_ingest_init(struct ac__federation *f)
{
    f->pending_tail = &f->pending;
    int rc = uv_check_init(f->node->loop, &f->ingest_check);
    if (rc == 0) {
        f->ingest_check.data = f;
        f->has_ingest_check = 1;
    }
    return rc;
}

/* Queues |it| for the commit at the end of this loop tick (or commits it now
 * when there is no check handle). */
static void queue_pending(struct ac__federation *f, struct ac__fed_pending *it)
{
    if (!f->pending)
        f->pending_since = uv_now(f->node->loop);
    *f->pending_tail = it;
    f->pending_tail = &it->next;
    f->npending++;
    if (!f->has_ingest_check || f->stopping)
        ac__fed_ingest_flush(f);
    else if (!uv_is_active((uv_handle_t *)&f->ingest_check))
        uv_check_start(&f->ingest_check, on_ingest_check);
}

static void after_verified(struct ac__federation *f, struct ac_http_exchange *x,
                           const struct ac_cose_sign1 *m, struct ac__fed_peer *peer,
                           const struct ac__fed_key *key, const char *kid_hex);

/* A signature being checked on the thread pool. The exchange keeps the
 * request body the message points into alive until it is answered (an
 * orphaned exchange still waits for its answer), and the key is a copy, so
 * a peer-table rebuild meanwhile changes nothing the check reads. */
struct verify_job {
    uv_work_t req;
    struct ac__federation *f;
    struct ac_http_exchange *x;
    struct ac_cose_sign1 m;
    struct ac__fed_peer *peer; /* peers live until the federation is freed */
    struct ac__fed_key key;
    char kid_hex[2 * AC_COSE_KID_MAX + 1];
    int bad; /* set by the worker */
};

/* On a worker thread: touches only the job (the signature check is a pure
 * function of the bytes and the key). */
static void on_verify_work(uv_work_t *req)
{
    struct verify_job *j = req->data;
    j->bad = ac_envelope_verify(&j->m, j->key.public_key) != 0;
}

static void on_verified(uv_work_t *req, int status)
{
    struct verify_job *j = req->data;
    struct ac__federation *f = j->f;
    f->verifying--;
    if (status || f->stopping)
        ac__problem(j->x, AC_PROBLEM_STORAGE_UNAVAILABLE, NULL, NULL, "the node is stopping");
    else if (!j->peer->active)
        ac__problem(j->x, AC_PROBLEM_UNKNOWN_SENDER, "kid", NULL,
                    "kid %s belongs to no peer of this node (%s was removed)", j->kid_hex,
                    j->peer->node_id);
    else if (j->bad)
        ac__problem(j->x, AC_PROBLEM_BAD_SIGNATURE, NULL, NULL,
                    "the signature does not verify with %s's key %s", j->peer->node_id,
                    j->kid_hex);
    else
        after_verified(f, j->x, &j->m, j->peer, &j->key, j->kid_hex);
    free(j);
    if (f->stopping)
        ac__fed_free_if_done(f);
}

static void on_inbox(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__federation *f = n->federation;
    const struct ac_http_req *req = ac_http_exchange_req(x);
    if (!f) {
        ac__problem(x, AC_PROBLEM_STORAGE_UNAVAILABLE, NULL, NULL,
                    "federation is not running on this node");
        return;
    }
    const char *ct = ac_http_header(req, "content-type");
    if (!ct || strcmp(ct, AC_ENVELOPE_CONTENT_TYPE) != 0) {
        ac__problem(x, AC_PROBLEM_UNSUPPORTED_MEDIA_TYPE, "content-type", NULL,
                    "the body must be %s, not %s", AC_ENVELOPE_CONTENT_TYPE, ct ? ct : "(none)");
        return;
    }
    char why[AC_ENVELOPE_WHY_LEN];
    struct ac_cose_sign1 m;
    if (ac_envelope_parse(req->body, req->body_len, &m, why, sizeof why)) {
        ac__problem(x, AC_PROBLEM_BAD_ENVELOPE, NULL, NULL, "%s", why);
        return;
    }
    char kid_hex[2 * AC_COSE_KID_MAX + 1];
    sodium_bin2hex(kid_hex, sizeof kid_hex, m.kid, m.kid_len);
    const struct ac__fed_key *key = NULL;
    struct ac__fed_peer *peer = ac__fed_peer_by_kid(f, m.kid, m.kid_len, &key);
    if (!peer) {
        /* The sender hint is unsigned and used only to tell a known peer's
         * unknown key from a stranger. */
        const char *hint = ac_http_header(req, "accord-sender");
        struct ac__fed_peer *known = hint ? ac__fed_peer_find(f, hint) : NULL;
        if (known) {
            ac__fed_fetch_description(known);
            ac__problem(x, AC_PROBLEM_UNKNOWN_KEY, "kid", NULL,
                        "kid %s is not a key of %s that this node knows; its description is "
                        "being fetched, try again shortly",
                        kid_hex, hint);
        } else
            ac__problem(x, AC_PROBLEM_UNKNOWN_SENDER, "kid", NULL,
                        "kid %s belongs to no peer of this node", kid_hex);
        return;
    }
    /* The signature is the costly check: it runs on the thread pool, so
     * envelopes arriving together are verified on every core while this
     * thread commits the batch before them (group commit); the checks after
     * it and the effects stay on the loop, in arrival order per batch. */
    struct verify_job *j = calloc(1, sizeof *j);
    if (j) {
        j->req.data = j;
        j->f = f;
        j->x = x;
        j->m = m;
        j->peer = peer;
        j->key = *key;
        memcpy(j->kid_hex, kid_hex, sizeof j->kid_hex);
        if (uv_queue_work(n->loop, &j->req, on_verify_work, on_verified) == 0) {
            f->verifying++;
            return;
        }
        free(j);
    }
    /* No worker to hand it to: check it here. */
    if (ac_envelope_verify(&m, key->public_key)) {
        ac__problem(x, AC_PROBLEM_BAD_SIGNATURE, NULL, NULL,
                    "the signature does not verify with %s's key %s", peer->node_id, kid_hex);
        return;
    }
    after_verified(f, x, &m, peer, key, kid_hex);
}

/* The checks after the signature, then the queue for the group commit. */
static void after_verified(struct ac__federation *f, struct ac_http_exchange *x,
                           const struct ac_cose_sign1 *msg, struct ac__fed_peer *peer,
                           const struct ac__fed_key *key, const char *kid_hex)
{
    struct ac_node *n = f->node;
    char why[AC_ENVELOPE_WHY_LEN];
    struct ac_envelope e;
    if (ac_envelope_decode(msg, &e, why, sizeof why)) {
        ac__problem(x, AC_PROBLEM_BAD_ENVELOPE, NULL, NULL, "%s", why);
        return;
    }
    if (strcmp(e.from, peer->node_id) != 0) {
        ac__problem(x, AC_PROBLEM_WRONG_KEY, "from", NULL,
                    "from \"%s\" but signed with key %s of %s", e.from, kid_hex, peer->node_id);
        return;
    }
    if (!ac_member_key_valid_at(&(struct ac_member_key){.not_before_ms = key->not_before_ms,
                                                        .not_after_ms = key->not_after_ms},
                                e.ts_ms)) {
        char t[21];
        ac__problem(x, AC_PROBLEM_RETIRED_KEY, "ts", NULL,
                    "key %s of %s was not valid at ts %s", kid_hex, peer->node_id,
                    ac_clock_format(e.ts_ms, t));
        return;
    }
    if (strcmp(e.to, n->cfg->node_id) != 0) {
        ac__problem(x, AC_PROBLEM_WRONG_RECIPIENT, "to", NULL,
                    "to \"%s\"; this node is \"%s\"", e.to, n->cfg->node_id);
        return;
    }
    int64_t now = ac_clock_now_ms();
    if (e.ts_ms < now - AC__FED_SKEW_MS || e.ts_ms > now + AC__FED_SKEW_MS) {
        char t[21];
        ac__problem(x, AC_PROBLEM_CLOCK_SKEW, "ts", NULL,
                    "ts %s is %lld s from this node's clock; at most %d s is allowed",
                    ac_clock_format(e.ts_ms, t), (long long)((e.ts_ms - now) / 1000),
                    AC__FED_SKEW_MS / 1000);
        return;
    }
    /* The sender is who it says: a peer we back off from is up again. */
    ac__fed_peer_reached_us(peer);
    const struct msg_type *mt = find_type(e.type);
    if (!mt) {
        ac__problem(x, AC_PROBLEM_UNKNOWN_MESSAGE_TYPE, "type", NULL,
                    "\"%s\" is not a message type this node handles", e.type);
        return;
    }
    if (mt->right && !(peer->rights & mt->right)) {
        char have[64];
        ac__problem(x, AC_PROBLEM_MISSING_RIGHT, "type", NULL,
                    "%s needs the right \"%s\"; %s holds %s here", e.type,
                    ac_right_name(mt->right), peer->node_id,
                    ac_rights_format(peer->rights, have, sizeof have));
        return;
    }
    struct ac__fed_pending *it = calloc(1, sizeof *it);
    if (!it) {
        ac__respond_error(x, AC_ENOMEM, "the message");
        return;
    }
    it->x = x;
    it->peer = peer;
    it->mt = mt;
    it->e = e; /* its body points into the request, valid until answered */
    it->received_ms = now;
    it->query.kind = ac__fed_query_kind(e.type);
    it->query.why = (struct ac_reason)AC_REASON_INIT;
    queue_pending(f, it);
}

/* GET /v1/federation/consortium: the newest verified file held, as its
 * signed bytes, so members can pass it on. */
/* GET /v1/federation/consortium: the adopted consortium file as stored,
 * read on a reader thread (node/readers.h). */
struct consortium_read {
    struct ac__read_job job; /* first */
    struct ac_http_exchange *x;
    uint8_t *file; /* owned */
    size_t len;
    int err;
};

static void consortium_work(struct ac__read_job *job, struct ac_store *st)
{
    struct consortium_read *r = (struct consortium_read *)job;
    uint64_t serial = 0;
    r->err = ac_store_consortium_get(st, &r->file, &r->len, &serial);
}

static void consortium_done(struct ac__read_job *job, int status)
{
    struct consortium_read *r = (struct consortium_read *)job;
    /* The pool stopped before the read ran: storage, as for every read. */
    int err = status ? AC_EIO : r->err;
    if (err) {
        ac__respond_error(r->x, err, "the consortium file");
    } else {
        const struct ac_http_header h[] = {{"content-type", AC_CONSORTIUM_CONTENT_TYPE}};
        ac_http_respond(r->x, 200, h, 1, r->file, r->len);
    }
    free(r->file);
    free(r);
}

static void on_consortium_get(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct consortium_read *r = calloc(1, sizeof *r);
    if (!r) {
        ac__respond_error(x, AC_ENOMEM, "the consortium file");
        return;
    }
    r->job = (struct ac__read_job){consortium_work, consortium_done, NULL};
    r->x = x;
    ac__read_submit(n, &r->job);
}

void ac__fed_receive_register(struct ac_node *n)
{
    ac__route(n, "POST", "/v1/federation/inbox", on_inbox);
    ac__route(n, "GET", "/v1/federation/consortium", on_consortium_get);
}
