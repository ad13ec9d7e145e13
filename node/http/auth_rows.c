/* auth_rows.c - the rows that authenticate a GET, read on a reader thread
 * (auth_rows.h): a job per request, carrying the route's handler to run
 * again when the row is back. */
#include "http/auth_rows.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/error.h"
#include "accord/base/fiber.h"
#include "accord/base/log.h"
#include "accord/net/h2_server.h"
#include "accounts/token_cache.h"
#include "internal.h"
#include "readers.h"

struct row_read {
    struct ac__read_job job; /* first */
    struct ac_node *n;
    struct ac_http_exchange *x;
    ac_http_handler_cb cb; /* the route's handler, run again with the row */
    void *arg;
    ac__auth_check_cb check; /* or a headers check's, ac__auth_rows_early() */
    int session;
    uint8_t hash[AC_TOKEN_HASH_BYTES > AC_SESSION_HASH_BYTES ? AC_TOKEN_HASH_BYTES
                                                             : AC_SESSION_HASH_BYTES];
    size_t hash_len;
    struct ac__auth_row row; /* filled on the thread (but the epoch) */
};

/* The read whose handler runs again now (NULL otherwise). */
static struct row_read *resumed;
/* The headers check while ac__auth_rows_early() runs it, and whether it
 * queued a read. */
static ac__auth_check_cb early_check;
static int early_queued;
/* The exchange data (ac_http_exchange_set_data()) of a request whose row
 * was read once already: it is never deferred again (ac__auth_row_later()). */
static const char row_was_read;

/* Reader thread: touches only |r| and |st|. */
static void row_work(struct ac__read_job *job, struct ac_store *st)
{
    struct row_read *r = (struct row_read *)job;
    r->row.err = r->session ? ac_store_session_find(st, r->hash, &r->row.ses, &r->row.user)
                            : ac_store_token_find(st, r->hash, &r->row.token, &r->row.user);
}

static void row_done(struct ac__read_job *job, int status)
{
    struct row_read *r = (struct row_read *)job;
    if (status) {
        /* The pool stopped first: the node is going away. */
        ac__respond_error(r->x, AC_EIO, r->session ? "session lookup" : "token lookup");
        free(r);
        return;
    }
    if (r->n->stopping && !r->n->server) {
        /* A read that finished as the pool stopped (node.c close_signals()):
         * the request layer, the scheduler, the token cache and federation
         * are gone, so the handler must not run again. The server is
         * closed; the answer goes nowhere but is still given. */
        ac__problem(r->x, AC_PROBLEM_STORAGE_UNAVAILABLE, NULL, NULL, "the node is stopping");
        free(r);
        return;
    }
    struct row_read *outer = resumed; /* NULL unless a handler is nested */
    resumed = r;
    r->cb(r->x, r->arg);
    resumed = outer;
    free(r);
}

/* The row of a headers check (ac__auth_rows_early()) is back: the check
 * runs again with it, and passes the request on or refuses it. */
static void early_done(struct ac__read_job *job, int status)
{
    struct row_read *r = (struct row_read *)job;
    struct ac_http_exchange *x = r->x;
    if (status) {
        ac__respond_error(x, AC_EIO, r->session ? "session lookup" : "token lookup");
        free(r);
        return;
    }
    if (r->n->stopping && !r->n->server) {
        /* As row_done(): the request layer is gone, so no handler runs. */
        ac__problem(x, AC_PROBLEM_STORAGE_UNAVAILABLE, NULL, NULL, "the node is stopping");
        free(r);
        return;
    }
    struct row_read *outer = resumed;
    resumed = r;
    int rc = r->check(r->n, x); /* takes the row; answers a refusal */
    resumed = outer;
    free(r);
    if (rc == 0)
        ac_http_headers_checked(x);
}

/* A read of the row of |hash| (a session's when |session|, else a token's)
 * for |x|, ended by |done|, with the token cache's epoch taken now (a row
 * read across a forget is not cached); NULL after answering |x| (out of
 * memory). */
static struct row_read *row_read_new(struct ac_node *n, struct ac_http_exchange *x, int session,
                                     const uint8_t *hash, ac__read_done_cb done)
{
    struct row_read *r = calloc(1, sizeof *r);
    if (!r) {
        ac__respond_error(x, AC_ENOMEM, session ? "session lookup" : "token lookup");
        return NULL;
    }
    r->job.work = row_work;
    r->job.done = done;
    r->n = n;
    r->x = x;
    r->session = session;
    r->hash_len = session ? AC_SESSION_HASH_BYTES : AC_TOKEN_HASH_BYTES;
    memcpy(r->hash, hash, r->hash_len);
    r->row.epoch = ac__token_cache_epoch(n->token_cache);
    return r;
}

/* Queues the headers check's read for |x| (ac__auth_rows_early()): 1 queued,
 * -1 answered (out of memory). */
static int early_later(struct ac_node *n, struct ac_http_exchange *x, int session,
                       const uint8_t *hash)
{
    struct row_read *r = row_read_new(n, x, session, hash, early_done);
    if (!r)
        return -1;
    r->check = early_check;
    ac__read_submit(n, &r->job);
    early_queued = 1;
    return 1;
}

int ac__auth_rows_early(struct ac_node *n, struct ac_http_exchange *x, ac__auth_check_cb check)
{
    early_check = check;
    early_queued = 0;
    int rc = check(n, x);
    early_check = NULL;
    if (early_queued)
        return AC_H2_CHECK_PENDING;
    return rc ? 1 : 0;
}

const struct ac__auth_row *ac__auth_row_resumed(const struct ac_http_exchange *x, int session,
                                                const uint8_t *hash)
{
    if (!resumed || resumed->x != x || resumed->session != session ||
        sodium_memcmp(resumed->hash, hash, resumed->hash_len) != 0)
        return NULL;
    return &resumed->row;
}

int ac__auth_row_later(struct ac_node *n, struct ac_http_exchange *x, int session,
                       const uint8_t *hash)
{
    const struct ac_http_req *req = ac_http_exchange_req(x);
    /* Without reader threads the read would run on the loop all the same
     * (readers.h): read in place, sparing the handler its second run. */
    if (!n->readers || !ac__readers_threads(n->readers) || ac_fiber_on())
        return 0;
    if (early_check)
        return early_later(n, x, session, hash);
    if (ac__is_write_method(req->method))
        return 0;
    if (ac_http_exchange_data(x) == &row_was_read) {
        /* Its handler asked again outside the run with the row: it
         * authenticated after a step that returned to the loop. Deferring
         * again would run it again, and ask again, for ever. */
        ac_log_error("http",
                     "bug: %s %s authenticated again after its %s row was read "
                     "(handlers authenticate first); read in place",
                     req->method, req->route, session ? "session" : "token");
        return 0;
    }
    /* The handler that asked, found as the server found it (the router does
     * not change while the node runs). */
    struct ac_route_match m;
    if (ac_router_match(n->router, req->method, req->path, &m, NULL, 0) != 0)
        return 0;
    ac_http_handler_cb cb = m.cb;
    void *arg = m.arg;
    int stream = m.stream_body;
    ac_route_match_release(&m);
    if (stream)
        return 0;
    struct row_read *r = row_read_new(n, x, session, hash, row_done);
    if (!r)
        return -1;
    r->cb = cb;
    r->arg = arg;
    ac_http_exchange_set_data(x, (void *)&row_was_read);
    ac__read_submit(n, &r->job);
    return 1;
}
