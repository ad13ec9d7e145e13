/* federation.h - what node/ shares about federation: the peer table (config,
 * admin and consortium peers merged, local config narrowing what the file
 * grants), the services that change federation state, the receiver and the
 * per-peer outbox senders. Everything runs on the loop thread. */
#ifndef AC_NODE_FEDERATION_H
#define AC_NODE_FEDERATION_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "accord/base/buf.h"
#include "accord/store/outbox.h"
#include "accord/store/peer.h"
#include "accord/trust/consortium.h"
#include "problem.h"

struct ac_node;
struct ac_h2_client;
struct ac_envelope;
struct ac_buf;

#define AC__FED_PEER_KEYS 32
/* How far an envelope's ts may be from our clock. */
#define AC__FED_SKEW_MS (300 * 1000)
/* Outbox rows read per page: a peer long down is caught up in pages of this
 * many, so memory does not grow with its backlog. */
#define AC__FED_PAGE 64
/* Requests a sender keeps in flight to one peer on its one connection (well
 * under the receiver's max_concurrent_streams, 100 by default): the
 * receiver's group commit then covers up to this many messages per fsync.
 * Only order-free message types share the window (sender.c). */
#define AC__FED_WINDOW 32
/* Retention. A sender gives up on a message (dead letter) once it has been
 * undelivered for AC__FED_RETRY_HORIZON_MS; a receiver keeps each dedup row
 * for AC__FED_DEDUP_KEEP_MS after it first saw the message, well past that
 * horizon plus the longest back-off, so a retry always meets its row.
 * Delivered outbox rows stay AC__FED_OUTBOX_KEEP_MS for an operator to look
 * back at. Pruning runs every AC__FED_PRUNE_MS on the node's clock. */
#define AC__FED_RETRY_HORIZON_MS (7LL * 86400 * 1000)
#define AC__FED_DEDUP_KEEP_MS (30LL * 86400 * 1000)
#define AC__FED_OUTBOX_KEEP_MS (7LL * 86400 * 1000)
#define AC__FED_PRUNE_MS (3600LL * 1000)
/* Group commit: a batch waits for the signatures still being checked of
 * messages that came with it (each commit costs one fsync, milliseconds on a
 * disk, while the loop can do nothing else), until it holds
 * AC__FED_BATCH_MIN messages or its first has waited AC__FED_BATCH_WAIT_MS. */
#define AC__FED_BATCH_MIN 512
#define AC__FED_BATCH_WAIT_MS 20
/* How often a witness looks at its issuer peers' checkpoints. */
#define AC__FED_WITNESS_MS (60 * 1000)

struct ac__fed_key {
    uint8_t public_key[32];
    uint8_t kid[8];
    int64_t not_before_ms;
    int64_t not_after_ms; /* 0: open */
};

/* One peer: who it is and what we grant it (rebuilt in place when trust
 * changes), and its sender's state. Peers are never freed before the
 * federation stops, so callbacks may hold them. */
struct ac__fed_peer;

/* One request of a sender's window: which page entry it carries. */
struct ac__fed_slot {
    struct ac__fed_peer *peer;
    size_t at;   /* index in the peer's page */
    int busy;    /* a request is on the wire */
    int barrier; /* it carries an order-sensitive message */
};

struct ac__fed_peer {
    struct ac__federation *fed;
    char node_id[65];
    char url[201];
    unsigned rights;
    struct ac__fed_key keys[AC__FED_PEER_KEYS];
    size_t nkeys;
    /* TLS trust for its https origin, from its [peer] section (borrowed
     * from the config, which outlives the federation); NULL: [node] ca_file
     * or the system store. */
    const char *ca_file;
    const uint8_t *pin_spki_sha256; /* NULL: no pin */
    char software[33];   /* from its self-description; "" until one verified */
    int active;          /* 0 once removed from every source */
    int from_consortium; /* 1 when the adopted file lists it */
    /* sender */
    uv_timer_t timer; /* initialised with the peer; closed at stop */
    struct ac_h2_client *client;
    int in_flight;            /* requests on the wire, at most AC__FED_WINDOW */
    int barrier;              /* one of them is order-sensitive: nothing else goes */
    int in_response;          /* inside on_response (closing the client re-enters it) */
    int keeping;      /* answered entries whose receipt a task still writes (sender.c) */
    int keep_barrier; /* ... one of them order-sensitive: nothing else goes */
    struct ac__fed_slot slots[AC__FED_WINDOW];
    /* A failure seen while other requests were on the wire: recorded, and
     * acted on (quick retry or back-off) once the window has drained. */
    int halted;
    int halt_quick;
    int64_t halt_retry_after_ms;
    char halt_why[320];
    int quick_retries;        /* immediate retries of the current message */
    int64_t next_attempt_ms;  /* durable back-off, mirrored from the store */
    int64_t attempts;         /* failed attempts since the last success */
    uint64_t description_fetched; /* loop time of the last description fetch; 0: never */
    struct ac_outbox_msg *page; /* owned: the page being delivered */
    size_t npage, at;           /* |at|: first entry not yet settled */
    int64_t unsaved_cursor;     /* settled prefix's last id, not yet written; 0: none */
    uint8_t state[AC__FED_PAGE]; /* per page entry: to send, sent, acknowledged, refused */
    int dead_status[AC__FED_PAGE]; /* refused entries: HTTP status (0: past the horizon) */
    char *dead_why[AC__FED_PAGE];  /* owned: why, until the entry is dead-lettered */
    uint64_t page_need; /* commit count when |page| was read: sent once durable */
    /* The next page is being read on a reader thread (sender.c); a kick
     * meanwhile is remembered, since the read may have missed what woke it. */
    int reading;
    int kicked_reading;
    int64_t cursor; /* the settled prefix's last id, written or not; 0: unknown yet */
    /* Delivery-state writes (sender.c): each numbered when queued; a write
     * older than one that already ran is not applied (tasks may commit out
     * of order), and a failed write makes the state in memory written again
     * (|state_dirty|). |state_why|: the last failure's text, for that. */
    uint64_t state_seq, state_ran;
    int state_dirty;
    char state_why[320];
    int awaiting;       /* idle until that is durable (ac__fed_durable()) */
};

struct ac__fed_pending; /* receive.c: a verified message waiting for its commit */

struct ac__federation {
    struct ac_node *node;
    struct ac__fed_peer **peers; /* owned */
    size_t npeers;
    struct ac_consortium *consortium; /* owned: the adopted file, or NULL */
    /* Settling an adopted file (adopt.c): |consortium_next| (owned) is a
     * newer file whose adoption committed and that the peer table does not
     * reflect yet; |consortium_unsettled| says the table (and the reclaim
     * of departed peers' work) still owes a rebuild, also after a settle
     * that failed; |settling| says a settle's task is in flight. */
    struct ac_consortium *consortium_next;
    uint64_t consortium_taken; /* the highest serial whose adoption committed */
    int consortium_unsettled;
    int settling;
    /* An adoption's hook was released without running: its transaction
     * rolled back, or its COMMIT's outcome is unknown (it may have
     * committed). The next settle reads the stored file and takes it when
     * newer than memory. Only a flag: the release may run inside the
     * store's begin or rollback. */
    int consortium_recheck;
    /* An owed settle (unsettled) is retried by the prune timer
     * (ac__fed_consortium_tick()), after a failure not before
     * |settle_retry_at| (loop time, ms), the wait doubling per failure. */
    uint64_t settle_retry_at;
    unsigned settle_failures;
    /* Bumped by every rebuild of the peer table, so a settle sees that one
     * ran between its read and its apply (adopt.c). */
    uint64_t peers_gen;
    uv_timer_t witness_timer; /* witnesses issuer peers every AC__FED_WITNESS_MS */
    int has_witness_timer;
    /* Group commit (receive.c): verified inbound messages queue here and are
     * applied together, one transaction per loop tick, after the loop has
     * read everything that arrived (a check handle runs after I/O). */
    uv_timer_t prune_timer; /* looks at the clock every second (test clock) */
    int has_prune_timer;
    int64_t next_prune_ms; /* node clock */
    int64_t next_offer_ms; /* node clock: the next capacity offers (lending_offer.c) */
    uv_check_t ingest_check;
    int has_ingest_check;
    struct ac__fed_pending *pending, **pending_tail;
    size_t npending;         /* messages in |pending| */
    uint64_t pending_since;  /* loop time the first of them was queued */
    uint64_t ingest_commits;  /* transactions that applied inbound messages */
    uint64_t ingest_messages; /* messages they applied or answered */
    uint64_t ingest_largest;  /* most messages in one transaction */
    size_t verifying; /* inbound signatures being checked on the thread pool */
    /* Store work not done yet: ingest batches and the senders' state writes
     * handed to the request groups as tasks, the senders' page reads on
     * the reader threads. */
    size_t tasks;
    /* The exact bytes of the message being applied (receive.c), valid only
     * during its apply: borrowed review countersigns them (borrow.h). */
    const uint8_t *applying_raw;
    size_t applying_raw_len;
    int stopping;
    size_t closing; /* handles still closing at stop */
};

/* Registers the federation routes and starts the senders; logs and returns
 * on failure (the node then serves without federation). */
void ac__federation_register(struct ac_node *n);

/* Stops the senders and closes their handles (finished by the loop). */
void ac__federation_stop(struct ac_node *n);

/* Runs |run|(|arg|), a transaction body (no effect outside the store
 * before its commit but in after-commit hooks; run again whole after a lost
 * race), as a task of the request groups (tasks.c), or here in a
 * transaction of its own when there are none (stopping, tools). |done|(|arg|,
 * err) is called once on the loop: after the commit, or with the failure
 * (AC_ECANCELED when the node stopped first); it may run inside this call.
 * |f| lives until then. |what| names it in the log. */
void ac__fed_task(struct ac__federation *f, const char *what, int (*run)(void *arg),
                  void (*done)(void *arg, int err), void *arg);

/* After stop: frees |f| once every handle has closed, no signature check
 * is still on the thread pool and no ingest batch waits for its group. */
void ac__fed_free_if_done(struct ac__federation *f);

/* Rebuilds the peer table from config, the store's pinned peers and the
 * adopted consortium file. Returns 0 or a store error. */
int ac__fed_peers_rebuild(struct ac__federation *f);

/* What a rebuild reads from the store, for each peer it may make active
 * (the members of a consortium file and the pinned peers): read where
 * statements may run (a task's fiber), applied on the loop. */
struct ac__fed_peer_extra {
    char node_id[65];
    uint8_t *doc; /* owned: its kept self-description, or NULL */
    size_t doc_len;
    struct ac_peer_state state; /* its delivery state (zeroes: none) */
};

struct ac__fed_peer_inputs {
    struct ac_peer_row *rows; /* owned: the pinned peers */
    size_t nrows;
    struct ac__fed_peer_extra *extra; /* owned */
    size_t nextra;
};

/* Reads into |in| (released by the caller, also on failure) what a rebuild
 * with consortium file |c| (may be NULL) needs, with |st|. Touches no
 * federation memory. Returns 0 or a store error. */
int ac__fed_peers_read(struct ac_store *st, const struct ac_consortium *c, const char *self,
                       struct ac__fed_peer_inputs *in);

/* Rebuilds the peer table from config, |in| and f->consortium (the file
 * |in| was read for), running no statement. Returns 0 or AC_ENOMEM. */
int ac__fed_peers_apply(struct ac__federation *f, const struct ac__fed_peer_inputs *in);

void ac__fed_peer_inputs_release(struct ac__fed_peer_inputs *in);

/* Returns the active peer |node_id| or NULL. */
struct ac__fed_peer *ac__fed_peer_find(struct ac__federation *f, const char *node_id);

/* Returns the active peer holding key |kid| and sets |*key|, or NULL. */
struct ac__fed_peer *ac__fed_peer_by_kid(struct ac__federation *f, const uint8_t *kid,
                                         size_t kid_len, const struct ac__fed_key **key);

/* Verifies |file| with the pinned consortium key and, when its serial is
 * higher than the one held (or committed and not yet settled), stores it and
 * queues a "consortium.offer" to every other member, in one transaction (a
 * savepoint when one is open: |in_tx|, the receiver's batch, or a request
 * group). The in-memory file and peer table are left alone until the
 * outermost transaction has committed: its after-commit hook then starts
 * ac__fed_consortium_settle(); a hook released without running (a
 * rollback, or a COMMIT of unknown outcome) makes the next settle re-read
 * the stored file. Sets |*serial| to the
 * serial held (or being adopted). Returns 0, AC_ECONFLICT (not newer;
 * nothing changed) or an error with |why| filled. */
int ac__fed_consortium_adopt(struct ac__federation *f, const uint8_t *file, size_t len,
                             int in_tx, uint64_t *serial, struct ac_reason *why);

/* Starts what a committed adoption (or a settle that failed) still owes:
 * the peer table rebuilt from the newest committed file, then the open
 * lent-out work of peers no longer in it reclaimed, then the senders woken.
 * Runs no statement on the loop: the reads and writes are tasks of the
 * request groups (tasks.c), and the table changes in the first one's done
 * callback, after its commit; without request groups (stopping, tools,
 * unit tests) it all happens inside this call. A failure is logged and
 * tried again at the next call or by the prune timer
 * (ac__fed_consortium_tick()). Does nothing unless something is owed or
 * while a settle is in flight. Returns 0, or AC_ENOMEM (still owed). */
int ac__fed_consortium_settle(struct ac__federation *f);

/* The prune timer's tick (every second): starts a settle still owed (one
 * that failed, or one whose adoption's COMMIT had an unknown outcome), so
 * it does not wait for outside traffic; after failures only once the
 * back-off (1 s doubling to AC__FED_SETTLE_BACKOFF_MAX_MS) has passed. */
void ac__fed_consortium_tick(struct ac__federation *f);
#define AC__FED_SETTLE_BACKOFF_MAX_MS 60000

/* Sets |*out| to |p|'s client (p->client, created on first use): one
 * HTTP/2 connection to its base URL with the sender's timeouts and the
 * peer's TLS trust (CA file and SPKI pin). A non-loopback http:// URL is
 * refused (AC_EINVAL, logged): h2c only to loopback, TLS everywhere else.
 * Returns 0, AC_EINVAL or AC_ENOMEM. */
int ac__fed_client(struct ac__fed_peer *p, struct ac_h2_client **out);

/* Queues a message to |peer| inside the caller's transaction and wakes its
 * sender after commit (ac__fed_kick). Returns 0 or a store error. */
int ac__fed_queue(struct ac__federation *f, const char *peer, const char *type,
                  const char *msg_id, const uint8_t *body, size_t len);

/* Wakes |p|'s sender: delivers now unless it is busy or backing off. */
void ac__fed_kick(struct ac__fed_peer *p);

/* Wakes the senders of every active peer. */
void ac__fed_kick_all(struct ac__federation *f);

/* Wakes the senders that wait for their page's commit to be durable, once
 * it is (called when the durable count advances; node/durability.c). */
void ac__fed_durable(struct ac__federation *f);

/* Called when |p| reached us with a verified message: a peer we back off
 * from is probed now rather than at its next attempt. */
void ac__fed_peer_reached_us(struct ac__fed_peer *p);

/* An admin's probe: |p|'s back-off ends now, in memory and (as a task,
 * ordered with the sender's other delivery-state writes) in the store. */
void ac__fed_probe_now(struct ac__fed_peer *p);

/* The problem a peer answered with, as one line into |out|: "HTTP 403
 * missing-right: <detail>" (the last segment of its type; the detail cut to
 * |size|). Used by the sender and by queries alike (sender.c). */
struct ac_h2_response;
void ac__fed_problem_text(const struct ac_h2_response *resp, char *out, size_t size);

/* Starts |p|'s timer (once per peer) and takes its durable back-off from
 * |s| (its stored delivery state; NULL: none). Returns 0 or a libuv error. */
int ac__fed_sender_init(struct ac__fed_peer *p, const struct ac_peer_state *s);

/* Closes |p|'s timer and client; |done| fires once per closed handle. */
void ac__fed_sender_close(struct ac__fed_peer *p);

/* Verifies the description |doc| (node/federation/keys.c) and adds the keys
 * it lists to |p|: signed by a key |p| already holds, or, when |from_origin|
 * (just fetched from |p|'s base URL) and that origin is authenticated, by a
 * key it lists itself. Returns 0, AC_EPARSE or AC_ECRYPTO. */
int ac__fed_learn_description(struct ac__fed_peer *p, const uint8_t *doc, size_t len,
                              int from_origin);

/* Fetches |p|'s description in the background, at most once a minute; the
 * keys it lists count from when it arrives. */
void ac__fed_fetch_description(struct ac__fed_peer *p);

/* Routes (node/federation/receive.c, api_federation.c, keys.c). */
void ac__fed_keys_register(struct ac_node *n);
void ac__fed_catalog_register(struct ac_node *n);
void ac__fed_witness_register(struct ac_node *n);

/* Checks the catalog body |body| from |p| (catalog.c): every entry carries
 * a 32-byte hash that is the SHA-256 of the definition bytes it carries, and
 * no id and version |p| listed in the catalog kept here has another hash (a
 * published definition never changes). Returns 0, or AC_EINVAL /
 * AC_ECONFLICT with |why| naming the entry, or a store error. */
int ac__fed_catalog_check(struct ac__fed_peer *p, const uint8_t *body, size_t len,
                          struct ac_reason *why);

/* Finds, in the verified catalog kept for issuer peer |peer|, the version
 * of |credential_id| whose definition has |content_hash| ("sha256:<hex>"):
 * sets |issuer| (the iss the peer's records carry, NUL-terminated, at most
 * |issuer_size|) and |*version|. Returns 0, or AC_EINVAL / AC_ENOENT with
 * |why| naming the field (not a peer, no issuer right, no catalog kept, not
 * listed), or a store error. */
int ac__fed_catalog_find(struct ac_node *n, const char *peer, const char *credential_id,
                         const char *content_hash, char *issuer, size_t issuer_size,
                         int64_t *version, struct ac_reason *why);

/* One entry of a peer's verified catalog as ac__fed_catalog_each() hands it
 * over: NUL-terminated copies valid during the callback only. */
struct ac__fed_catalog_entry {
    const char *node;   /* the peer's node id */
    const char *issuer; /* the iss its records carry ("" when it names none) */
    const char *id;     /* the credential definition's id */
    const char *title;
    int64_t version;
    const char *hash;       /* "sha256:<64 hex>" of |definition| */
    const char *definition; /* its canonical JSON bytes, NUL-terminated */
    int64_t fetched_ms;     /* when the catalog was kept here */
};

typedef int (*ac__fed_catalog_cb)(void *ctx, const struct ac__fed_catalog_entry *e);

/* What reading kept catalogs needs of the peer table (loop memory): each
 * active peer's node id and keys, and which peers' catalogs are listed.
 * ac__fed_catalog_peers_new() copies it on the loop, for |peer| (NULL: every
 * active peer holding the issuer right here; else only that one), into
 * |*out|, freed with ac__fed_catalog_peers_free() (NULL is a no-op); no
 * federation gives an empty copy. Returns 0 or AC_ENOMEM. */
struct ac__fed_catalog_peers;
int ac__fed_catalog_peers_new(struct ac_node *n, const char *peer,
                              struct ac__fed_catalog_peers **out);
void ac__fed_catalog_peers_free(struct ac__fed_catalog_peers *s);

/* Calls |cb| for every entry of the catalogs kept for the peers |s| lists,
 * read with |st| and verified with the keys |s| holds: peers in node id
 * order, entries in their catalog's order. A catalog that is missing or no
 * longer verifies gives nothing (it is logged, never read unverified). A
 * non-zero |cb| return stops and is returned. Any thread: touches only |st|
 * and |s| (borrowed). Returns 0, AC_ENOMEM, a store error or what |cb|
 * returned. */
struct ac_store;
int ac__fed_catalog_each(struct ac_store *st, const struct ac__fed_catalog_peers *s,
                         ac__fed_catalog_cb cb, void *ctx);

/* Witnesses every active peer holding the issuer right here (witness.c). */
void ac__fed_witness_all(struct ac__federation *f);

/* Checks and keeps a witness's cosignature on one of our checkpoints: |body|
 * is {line, note}; the note must be a checkpoint we signed and the line a
 * C2SP cosignature by |from| over it. Sets |*size|. Returns 0 or an error
 * with |why| filled. */
int ac__fed_take_cosignature(struct ac__federation *f, struct ac__fed_peer *from,
                             const uint8_t *body, size_t len, uint64_t *size,
                             struct ac_reason *why);
void ac__fed_receive_register(struct ac_node *n);

/* Status and log queries (query.c). */

/* Writes the id of the answer to message |id| from |from|: derived from
 * both, so the same request always has the same answer id, and an asker can
 * tell the answer to its query from any other envelope. */
void ac__fed_answer_id(const char *from, const char *id, char out[33]);

/* Called once with the body of the peer's verified answer (borrowed for
 * the call), or with |err| and a reason in |why|: a libuv or client error
 * (unreachable), AC_EPROTO (the peer refused: |why| holds its problem),
 * AC_ECRYPTO or AC_EPARSE (the answer is not the peer's signed answer to
 * this query), AC_ECANCELED (stopping). */
typedef void (*ac__fed_answer_cb)(void *arg, int err, const uint8_t *body, size_t len,
                                  const char *why);

/* Sends a query of |type| with |body| (one CBOR item, copied) to |p|'s
 * inbox now, signed by this node, and hands the answer to |cb|, which fires
 * exactly once, never from inside this call. Returns 0, or AC_ENOMEM,
 * AC_EINVAL (the peer's URL is refused) without calling |cb|. */
int ac__fed_ask(struct ac__fed_peer *p, const char *type, const uint8_t *body, size_t len,
                ac__fed_answer_cb cb, void *arg);

/* Queries a peer asks of this node (query.c): status.query {indexes}
 * answers {re, token, status}; log.checkpoint {} answers {re, note};
 * log.consistency {from, to?} answers {re, to, from, hashes}; log.inclusion
 * {index, size?} answers {re, size, index, hashes, leaf_hash}. They read
 * only what this node published, so their answers are made before the
 * transaction that stores the inbox row (receive.c): on the loop from
 * memory, once a reader thread found the stored log head current
 * (ac__checkpoint_fresh()), and a proof's hashes on a reader thread. A
 * request group's transaction may hold leaves not yet committed, which an
 * answer must never show. */
enum ac__fed_query_kind {
    AC__FED_QUERY_NONE,
    AC__FED_QUERY_STATUS,
    AC__FED_QUERY_CHECKPOINT,
    AC__FED_QUERY_CONSISTENCY,
    AC__FED_QUERY_INCLUSION,
};

/* A query's answer in the making. Zeroed (with why = AC_REASON_INIT) when
 * the message arrives; freed with ac__fed_query_release(). */
struct ac__fed_query {
    enum ac__fed_query_kind kind;
    int made;              /* the answer is |body|, or the query is refused */
    int err;               /* refused (or failed) with |why|, when made */
    struct ac_reason why;
    struct ac_buf body;    /* the answer's body, one CBOR item */
    uint64_t v[2];         /* a proof's range, read on the loop */
};

/* The kind of the message type |type|, AC__FED_QUERY_NONE for any other. */
enum ac__fed_query_kind ac__fed_query_kind(const char *type);

/* Loop, with the log head fresh: makes |q|'s answer to |e| from the node's
 * memory, or its refusal. Returns 1 when a proof is still to be computed
 * (ac__fed_query_prove(), on a reader thread), else 0 with |q| made. */
int ac__fed_query_prepare(struct ac_node *n, const struct ac_envelope *e, struct ac__fed_query *q);

/* Reader thread: computes |q|'s proof with |st| and makes its answer to |e|.
 * Touches only |q|, |e| and |st|. */
void ac__fed_query_prove(struct ac_store *st, const struct ac_envelope *e, struct ac__fed_query *q);

/* Marks |q| made: answered by its body when |err| is 0, else refused with
 * |err| (and q->why, when set). */
void ac__fed_query_made(struct ac__fed_query *q, int err);

void ac__fed_query_release(struct ac__fed_query *q);

void ac__fed_query_register(struct ac_node *n);

/* Starts the group-commit check handle (receive.c). Returns 0 or a libuv
 * error; without it each message commits alone. */
int ac__fed_ingest_init(struct ac__federation *f);

/* Applies and answers every queued inbound message now (at stop). */
void ac__fed_ingest_flush(struct ac__federation *f);
void ac__fed_api_register(struct ac_node *n);

/* Signs an envelope of |type| to |to| with the node's current key into |out|.
 * Returns 0 or AC_E*. */
struct ac_buf;
int ac__fed_sign(struct ac__federation *f, const char *type, const char *id, const char *to,
                 const uint8_t *body, size_t body_len, struct ac_buf *out);

#endif
