/* durability.c - where the node's commits become durable: inline (COMMIT
 * fsyncs on the loop) or on the store's storage thread (store/sync.h), whose
 * reports reach the loop through a uv_async and release what waited on them:
 * held HTTP answers, federation senders and the notification delivery. */
#include <stdlib.h>

#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/net/h2_server.h"
#include "accord/store/store.h"
#include "accord/store/sync.h"
#include "federation/federation.h"
#include "internal.h"
#include "review/review.h"

/* Storage thread: only wakes the loop. */
static void on_durable_thread(void *arg)
{
    struct ac_node *n = arg;
    uv_async_send(&n->durable_async);
}

/* Everything that waits for a commit to be durable looks again. */
static void release_waiters(struct ac_node *n)
{
    if (n->server)
        ac_h2_server_release(n->server);
    if (n->federation)
        ac__fed_durable(n->federation);
    ac__notify_durable(n);
}

static void on_durable(uv_async_t *h)
{
    struct ac_node *n = h->data;
    int err = ac_store_sync_error(n->store);
    if (err) {
        /* After a failed fsync the kernel may have dropped the pages it could
         * not write (they read back as written, but are not on disk): no
         * write made since can be acknowledged, and serving on would answer
         * reads with what may be gone. Stop; the WAL on disk is what a
         * restart recovers, and no answer was given for anything after it. */
        ac_log_error("node", "the storage thread cannot make commits durable (%s); stopping "
                     "without acknowledging the writes that wait",
                     ac_strerror(err));
        abort();
    }
    release_waiters(n);
}

static uint64_t commits_of(void *arg)
{
    return ac_store_commits(((struct ac_node *)arg)->store);
}

static uint64_t durable_of(void *arg)
{
    return ac_store_durable(((struct ac_node *)arg)->store);
}

int ac__durability_start(struct ac_node *n)
{
    /* PostgreSQL's COMMIT returns once the server (and its synchronous
     * standbys) made the commit durable: there is nothing to fsync here. */
    if (ac_store_engine_of(n->store) == AC_STORE_POSTGRESQL) {
        ac_log_info("node", "durability: each commit is durable when PostgreSQL confirms it");
        return 0;
    }
    if (n->cfg->durability == AC_DURABILITY_INLINE) {
        ac_log_info("node", "durability inline: each commit is fsynced on the loop thread");
        return 0;
    }
    int err = uv_async_init(n->loop, &n->durable_async, on_durable);
    if (err)
        return err;
    n->durable_async.data = n;
    n->has_durable_async = 1;
    err = ac_store_sync_start(n->store, on_durable_thread, n);
    if (err) {
        ac_log_error("node", "cannot start the storage thread: %s", ac_strerror(err));
        ac__durability_stop(n);
        return err;
    }
    ac_log_info("node", "durability async: commits are fsynced in groups on a storage thread; "
                "answers to writes wait for it");
    return 0;
}

void ac__durability_attach(struct ac_node *n)
{
    if (!n->has_durable_async)
        return;
    const struct ac_h2_server_durability d = {commits_of, durable_of, n};
    ac_h2_server_set_durability(n->server, &d);
}

static void on_async_closed(uv_handle_t *h)
{
    (void)h;
}

void ac__durability_stop(struct ac_node *n)
{
    if (!n->has_durable_async)
        return;
    /* The last fsync runs here, so what still waits can go. */
    ac_store_sync_stop(n->store);
    release_waiters(n);
    n->has_durable_async = 0;
    uv_close((uv_handle_t *)&n->durable_async, on_async_closed);
}
