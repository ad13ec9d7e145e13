/* idem_keys.h - the Idempotency-Key of a write request (docs/api.md), for
 * the request transactions of node/http/reqtx.c: who sent it and what it
 * asks, the stored answer looked up and replayed inside the request's
 * transaction, the answer stored with the write, and the look-up that
 * settles an unknown COMMIT outcome. */
#ifndef AC_NODE_HTTP_IDEM_KEYS_H
#define AC_NODE_HTTP_IDEM_KEYS_H

#include <stdint.h>

#include <sodium.h>

#include "accord/store/idempotency.h"
#include "internal.h"

#define AC__IDEM_KEY_MAX 255

/* What a keyed request is, to store and to compare with a repeat. */
struct ac__keyed {
    const char *key; /* borrowed from the request's header */
    char principal[2 + 2 * crypto_hash_sha256_BYTES + 1];
    char *target; /* owned: path, and "?query" when there is one */
    uint8_t body_hash[AC_IDEM_HASH_BYTES];
};

/* What the stored row for |k| says about this run. */
enum ac__idem_state {
    AC__IDEM_NEW,    /* no live row: run the handler and store its answer */
    AC__IDEM_ANSWER, /* the answer to keep is already on the exchange */
};

/* 1 when |key| is 1-AC__IDEM_KEY_MAX visible ASCII characters. */
int ac__idem_key_ok(const char *key);

/* Fills |k| for |req|. Returns 0 or AC_ENOMEM (|k->target| is the
 * caller's to free). */
int ac__idem_keyed_fill(const struct ac_http_req *req, const char *key, struct ac__keyed *k);

/* Looks |k| up inside the open request transaction: a live row for the
 * same request is replayed, one for another request refused (422); an
 * expired row is deleted. Expired rows are pruned at most once a minute
 * (|*pruned_ms|: when last). Returns 0 or a store error. */
int ac__idem_check(struct ac_node *n, struct ac_http_exchange *x, const struct ac__keyed *k,
                   int64_t *pruned_ms, enum ac__idem_state *state);

/* Stores the kept answer |a| under |k| inside the request transaction. */
int ac__idem_store(struct ac_node *n, struct ac_http_exchange *x, const struct ac__keyed *k,
                   const struct ac_http_kept *a);

/* After an unknown COMMIT outcome: 1 when the key's answer is stored (and
 * durable), 0 when not, or a negative error (the database cannot say
 * yet). */
int ac__idem_committed(struct ac_node *n, const struct ac__keyed *k);

#endif
