/* auth_rows.h - the row that authenticates a GET (a bearer token's the token
 * cache does not hold, or a browser session's), read on a reader thread
 * instead of on the loop (issue 15: on PostgreSQL a round trip the loop would
 * wait for). The caller queues the read and returns as if it had answered;
 * when the row is back the loop finds the request's route handler again
 * (ac_router_match()) and runs it from its start, and the caller, asked
 * again, takes the row read for it. Handlers authenticate first, before
 * anything with an effect, so running one again is safe. A request is
 * deferred once at most: one that asks again after its row was read (a
 * handler that authenticated after returning to the loop) is read in place
 * and logged as a bug, rather than run again for ever; this takes the
 * exchange's data pointer (ac_http_exchange_set_data()) of a deferred GET.
 * A row that comes back after the node stopped its request layer
 * (shutdown) is answered 503 instead of running the handler again. Loop
 * thread only. */
#ifndef AC_NODE_AUTH_ROWS_H
#define AC_NODE_AUTH_ROWS_H

#include <stdint.h>

#include "accord/store/session.h"
#include "accord/store/user.h"

struct ac_node;
struct ac_http_exchange;

/* A row read for a request. */
struct ac__auth_row {
    int err;               /* the lookup's code: 0, AC_ENOENT or the store's */
    struct ac_token token; /* a token's row */
    struct ac_session ses; /* a session's row */
    struct ac_user user;
    uint64_t epoch; /* the token cache's epoch when the read was asked for */
};

/* Returns the row read for |x| when its handler runs again now with the row
 * of the token (|session| 0) or session whose keyed hash is |hash|, else
 * NULL. Borrowed until the handler returns. */
const struct ac__auth_row *ac__auth_row_resumed(const struct ac_http_exchange *x, int session,
                                                const uint8_t *hash);

/* Queues the read of that row for |x| on n's reader threads and returns 1
 * (the caller returns as if it had answered), when |x| is a GET or HEAD
 * whose handler runs on the loop, off a fiber, the node has reader threads,
 * and |x| was not deferred before; returns 0 otherwise (the caller reads in place);
 * answers 500 and returns -1 when out of memory. */
int ac__auth_row_later(struct ac_node *n, struct ac_http_exchange *x, int session,
                       const uint8_t *hash);

/* The headers check of a request with a body (early_auth.c): runs |check|
 * (which authenticates |x| with ac__authenticate(), answering a refusal and
 * returning nonzero), but a row the token cache does not hold
 * (a token's or a session's) is read on a reader thread when the node has
 * them, whatever the method. Returns 0 (passed), 1 (answered: refused) or
 * AC_H2_CHECK_PENDING (read queued: when the row is back |check| runs
 * again with it, caching the token under the epoch rule, and either answers
 * |x| or passes it on with ac_http_headers_checked(); a row back after the
 * node stopped its request layer is answered 503). */
typedef int (*ac__auth_check_cb)(struct ac_node *n, struct ac_http_exchange *x);
int ac__auth_rows_early(struct ac_node *n, struct ac_http_exchange *x, ac__auth_check_cb check);

#endif
