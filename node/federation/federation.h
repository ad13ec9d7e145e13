/* federation.h - what node/ shares about federation: the peer table (config,
 * admin and consortium peers merged, local config narrowing what the file
 * grants), the services that change federation state, the receiver and the
 * per-peer outbox senders. Everything runs on the loop thread. */
#ifndef AC_NODE_FEDERATION_H
#define AC_NODE_FEDERATION_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "accord/store/outbox.h"
#include "accord/trust/consortium.h"
#include "problem.h"

struct ac_node;
struct ac_h2_client;

#define AC__FED_PEER_KEYS 32
/* How far an envelope's ts may be from our clock. */
#define AC__FED_SKEW_MS (300 * 1000)
/* Outbox rows read per page: a peer long down is caught up in pages of this
 * many, so memory does not grow with its backlog. */
#define AC__FED_PAGE 64
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
struct ac__fed_peer {
    struct ac__federation *fed;
    char node_id[65];
    char url[201];
    unsigned rights;
    struct ac__fed_key keys[AC__FED_PEER_KEYS];
    size_t nkeys;
    int active;          /* 0 once removed from every source */
    int from_consortium; /* 1 when the adopted file lists it */
    /* sender */
    uv_timer_t timer; /* initialised with the peer; closed at stop */
    struct ac_h2_client *client;
    int in_flight;            /* one request at a time: the cursor moves in order */
    int quick_retries;        /* immediate retries of the current message */
    int64_t next_attempt_ms;  /* durable back-off, mirrored from the store */
    int64_t attempts;         /* failed attempts since the last success */
    uint64_t description_fetched; /* loop time of the last description fetch; 0: never */
    struct ac_outbox_msg *page; /* owned: the page being delivered */
    size_t npage, at;
    uint64_t page_need; /* commit count when |page| was read: sent once durable */
    int awaiting;       /* idle until that is durable (ac__fed_durable()) */
};

struct ac__fed_pending; /* receive.c: a verified message waiting for its commit */

struct ac__federation {
    struct ac_node *node;
    struct ac__fed_peer **peers; /* owned */
    size_t npeers;
    struct ac_consortium *consortium; /* owned: the adopted file, or NULL */
    uv_timer_t witness_timer; /* witnesses issuer peers every AC__FED_WITNESS_MS */
    int has_witness_timer;
    /* Group commit (receive.c): verified inbound messages queue here and are
     * applied together, one transaction per loop tick, after the loop has
     * read everything that arrived (a check handle runs after I/O). */
    uv_timer_t prune_timer; /* looks at the clock every second (test clock) */
    int has_prune_timer;
    int64_t next_prune_ms; /* node clock */
    uv_check_t ingest_check;
    int has_ingest_check;
    struct ac__fed_pending *pending, **pending_tail;
    uint64_t ingest_commits;  /* transactions that applied inbound messages */
    uint64_t ingest_messages; /* messages they applied or answered */
    uint64_t ingest_largest;  /* most messages in one transaction */
    int stopping;
    size_t closing; /* handles still closing at stop */
};

/* Registers the federation routes and starts the senders; logs and returns
 * on failure (the node then serves without federation). */
void ac__federation_register(struct ac_node *n);

/* Stops the senders and closes their handles (finished by the loop). */
void ac__federation_stop(struct ac_node *n);

/* Rebuilds the peer table from config, the store's pinned peers and the
 * adopted consortium file. Returns 0 or a store error. */
int ac__fed_peers_rebuild(struct ac__federation *f);

/* Returns the active peer |node_id| or NULL. */
struct ac__fed_peer *ac__fed_peer_find(struct ac__federation *f, const char *node_id);

/* Returns the active peer holding key |kid| and sets |*key|, or NULL. */
struct ac__fed_peer *ac__fed_peer_by_kid(struct ac__federation *f, const uint8_t *kid,
                                         size_t kid_len, const struct ac__fed_key **key);

/* Verifies |file| with the pinned consortium key and adopts it when its
 * serial is higher than the one held: stores it and queues a
 * "consortium.offer" to every other member, in one transaction, then
 * rebuilds the peers. Must run inside the caller's transaction when
 * |in_tx| (the receiver's), else opens its own. Sets |*serial| to the serial
 * held afterwards. Returns 0, AC_ECONFLICT (not newer; nothing changed) or an
 * error with |why| filled. */
int ac__fed_consortium_adopt(struct ac__federation *f, const uint8_t *file, size_t len,
                             uint64_t *serial, struct ac_reason *why);

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

/* Starts |p|'s timer (once per peer). Returns 0 or a libuv error. */
int ac__fed_sender_init(struct ac__fed_peer *p);

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
