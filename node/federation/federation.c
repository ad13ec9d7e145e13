/* federation.c - the federation's lifecycle: at start, the config's pinned
 * peers go to the store, the consortium file held (and a newer one named in
 * the config) is loaded, the peer table is built, routes are registered and
 * the senders and the witness timer start; at stop, every handle closes and
 * the last close frees the federation. The top of node/federation: no other
 * file there calls it. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/sign/cbor.h"
#include "accord/sign/envelope.h"
#include "accord/sign/keyring.h"
#include "accord/store/inbox.h"
#include "accord/store/peer.h"
#include "borrow.h"
#include "cert.h"
#include "federation.h"
#include "internal.h"
#include "lending.h"

/* Writes the config's pinned peers to the store (source "config"), and drops
 * config peers no longer in the file, so the store's list is what is pinned. */
static int sync_config_peers(struct ac__federation *f)
{
    const struct ac_node_config *cfg = f->node->cfg;
    struct ac_peer_row *rows = NULL;
    size_t nrows = 0;
    int err = ac_store_peer_list(f->node->store, &rows, &nrows);
    for (size_t i = 0; !err && i < nrows; i++) {
        int kept = 0;
        for (size_t k = 0; k < cfg->npeers; k++)
            kept |= strcmp(cfg->peers[k].node_id, rows[i].node_id) == 0 && cfg->peers[k].nkeys;
        if (!kept && strcmp(rows[i].source, "config") == 0)
            err = ac_store_peer_delete(f->node->store, rows[i].node_id);
    }
    free(rows);
    for (size_t i = 0; !err && i < cfg->npeers; i++) {
        const struct ac_config_peer *c = &cfg->peers[i];
        if (!c->nkeys)
            continue; /* narrows a consortium member; pins nothing */
        struct ac_peer_row r = {.rights = c->rights, .added_ms = ac_clock_now_ms()};
        snprintf(r.node_id, sizeof r.node_id, "%s", c->node_id);
        snprintf(r.base_url, sizeof r.base_url, "%s", c->url);
        strcpy(r.source, "config");
        size_t used = 0;
        for (size_t k = 0; k < c->nkeys; k++) {
            if (k)
                r.keys[used++] = ',';
            sodium_bin2hex(r.keys + used, sizeof r.keys - used, c->keys[k], 32);
            used += 64;
        }
        err = ac_store_peer_put(f->node->store, &r);
    }
    return err;
}

/* Loads the file held in the store and, when the config names one, adopts it
 * if newer. */
static int load_consortium(struct ac__federation *f)
{
    const struct ac_node_config *cfg = f->node->cfg;
    if (!cfg->has_consortium_key)
        return 0;
    uint8_t *file = NULL;
    size_t len = 0;
    uint64_t serial = 0;
    int err = ac_store_consortium_get(f->node->store, &file, &len, &serial);
    if (err && err != AC_ENOENT)
        return err;
    if (!err) {
        char why[AC_CONSORTIUM_WHY_LEN];
        if (ac_consortium_open(file, len, cfg->consortium_key, &f->consortium, why, sizeof why))
            ac_log_warn("federation", "the stored consortium file no longer verifies: %s", why);
        free(file);
    }
    if (!cfg->consortium_file)
        return 0;
    FILE *fp = fopen(cfg->consortium_file, "rb");
    if (!fp) {
        ac_log_error("federation", "%s: cannot read the consortium file", cfg->consortium_file);
        return AC_EIO;
    }
    struct ac_buf b = AC_BUF_INIT;
    uint8_t chunk[4096];
    size_t n;
    err = 0;
    while (!err && (n = fread(chunk, 1, sizeof chunk, fp)) > 0)
        err = ac_buf_append(&b, chunk, n);
    fclose(fp);
    struct ac_reason why = AC_REASON_INIT;
    if (!err)
        err = ac__fed_consortium_adopt(f, b.data, b.len, 0, &serial, &why);
    if (err == AC_ECONFLICT)
        err = 0; /* the store already holds this one or a newer one */
    else if (err)
        ac_log_error("federation", "%s: %s", cfg->consortium_file,
                     why.detail[0] ? why.detail : ac_strerror(err));
    ac_reason_release(&why);
    ac_buf_release(&b);
    return err;
}

/* Prunes dedup rows past every sender's retry horizon and delivered outbox
 * rows past their look-back, once per AC__FED_PRUNE_MS of the node's clock,
 * as a task of the request groups (tasks.c). The timer ticks every second
 * so a moved test clock is seen promptly; a tick before the time reads no
 * storage. */
struct prune {
    struct ac__federation *f;
    int64_t now;
    int64_t inbox, outbox; /* rows deleted */
};

static int prune_run(void *arg)
{
    struct prune *p = arg;
    struct ac_store *st = p->f->node->store;
    p->inbox = p->outbox = 0;
    int err = ac_store_inbox_prune(st, p->now - AC__FED_DEDUP_KEEP_MS, &p->inbox);
    if (!err)
        err = ac_store_outbox_prune(st, p->now - AC__FED_OUTBOX_KEEP_MS, &p->outbox);
    return err;
}

static void prune_done(void *arg, int err)
{
    struct prune *p = arg;
    if (err && err != AC_ECANCELED)
        ac_log_error("federation", "pruning old inbox and outbox rows failed: %s",
                     ac_strerror(err));
    else if (!err && (p->inbox || p->outbox))
        ac_log_info("federation", "pruned %lld dedup rows and %lld delivered outbox rows",
                    (long long)p->inbox, (long long)p->outbox);
    free(p);
}

static void on_prune_timer(uv_timer_t *t)
{
    struct ac__federation *f = t->data;
    int64_t now = ac_clock_now_ms();
    ac__lending_tick(f, now);
    ac__fed_consortium_tick(f); /* a settle owed (failed, or an unknown outcome) */
    if (now < f->next_prune_ms)
        return;
    f->next_prune_ms = now + AC__FED_PRUNE_MS;
    struct prune *p = calloc(1, sizeof *p);
    if (!p) {
        ac_log_error("federation", "pruning old inbox and outbox rows failed: %s",
                     ac_strerror(AC_ENOMEM));
        return;
    }
    p->f = f;
    p->now = now;
    ac__fed_task(f, "federation prune", prune_run, prune_done, p);
}

static void on_witness_timer(uv_timer_t *t)
{
    ac__fed_witness_all(t->data);
}

void ac__federation_register(struct ac_node *n)
{
    if (!n->loop)
        return;
    struct ac__federation *f = calloc(1, sizeof *f);
    if (!f) {
        ac_log_error("federation", "out of memory; serving without federation");
        return;
    }
    f->node = n;
    n->federation = f;
    int err = sync_config_peers(f);
    if (!err)
        err = load_consortium(f);
    /* After the file is loaded: adopting an older config file rebuilds
     * nothing, and the one held must still count. */
    if (!err)
        err = ac__fed_peers_rebuild(f);
    if (err)
        ac_log_error("federation", "cannot load peers: %s; federation routes still answer",
                     ac_strerror(err));
    else
        ac__borrow_reclaim_departed(f); /* peers dropped from the config while we were down */
    if (ac__fed_ingest_init(f))
        ac_log_warn("federation", "no group commit: each inbound message commits alone");
    ac__fed_receive_register(n);
    ac__fed_api_register(n);
    ac__fed_keys_register(n);
    ac__fed_catalog_register(n);
    ac__fed_witness_register(n);
    ac__fed_query_register(n);
    ac__fed_lending_register(n);
    ac__borrow_register(n);
    ac__cert_api_register(n);
    /* Closed at stop with the peers' timers; the last close frees f. */
    if (uv_timer_init(n->loop, &f->witness_timer) == 0) {
        f->witness_timer.data = f;
        uv_timer_start(&f->witness_timer, on_witness_timer, AC__FED_WITNESS_MS,
                       AC__FED_WITNESS_MS);
        f->has_witness_timer = 1;
    }
    /* The first tick (the prune a node left down for days owes, and the
     * first capacity offers) runs on the loop's first turn, as the node
     * starts serving, not a second into its service; then once a second,
     * doing work only when its time came. */
    if (uv_timer_init(n->loop, &f->prune_timer) == 0) {
        f->prune_timer.data = f;
        uv_timer_start(&f->prune_timer, on_prune_timer, 0, 1000);
        f->has_prune_timer = 1;
    }
    ac_log_info("federation", "%zu peers, consortium serial %llu", f->npeers,
                (unsigned long long)(f->consortium ? f->consortium->serial : 0));
    ac__fed_kick_all(f);
}

static void on_timer_closed(uv_handle_t *h)
{
    struct ac__fed_peer *p = h->data;
    struct ac__federation *f = p->fed;
    f->closing--;
    ac__fed_free_if_done(f);
}

/* The witness and prune timers' and the ingest check's close: their data is f. */
static void on_witness_timer_closed(uv_handle_t *h)
{
    struct ac__federation *f = h->data;
    f->closing--;
    ac__fed_free_if_done(f);
}

void ac__federation_stop(struct ac_node *n)
{
    struct ac__federation *f = n->federation;
    if (!f || f->stopping)
        return;
    ac__fed_ingest_flush(f); /* nothing verified is left unanswered */
    f->stopping = 1;
    n->federation = NULL;
    f->closing = f->npeers + (size_t)f->has_witness_timer + (size_t)f->has_ingest_check +
                 (size_t)f->has_prune_timer;
    if (f->closing == 0) {
        ac__fed_free_if_done(f); /* else the last signature check frees it */
        return;
    }
    if (f->has_witness_timer)
        uv_close((uv_handle_t *)&f->witness_timer, on_witness_timer_closed);
    if (f->has_ingest_check)
        uv_close((uv_handle_t *)&f->ingest_check, on_witness_timer_closed);
    if (f->has_prune_timer)
        uv_close((uv_handle_t *)&f->prune_timer, on_witness_timer_closed);
    for (size_t i = 0; i < f->npeers; i++) {
        ac__fed_sender_close(f->peers[i]);
        uv_close((uv_handle_t *)&f->peers[i]->timer, on_timer_closed);
    }
}
