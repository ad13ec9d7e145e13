/* federation.c - the federation's lifecycle and trust: the peer table merged
 * from config, pinned peers and the adopted consortium file (local config may
 * narrow what the file grants, never widen it), and adopting newer files. */
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
#include "federation.h"
#include "internal.h"

static int keyring_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64])
{
    return ac_keyring_sign(ctx, msg, len, sig);
}

int ac__fed_sign(struct ac__federation *f, const char *type, const char *id, const char *to,
                 const uint8_t *body, size_t body_len, struct ac_buf *out)
{
    struct ac_envelope e = {.ts_ms = ac_clock_now_ms(), .body = body, .body_len = body_len};
    snprintf(e.type, sizeof e.type, "%s", type);
    snprintf(e.id, sizeof e.id, "%s", id);
    snprintf(e.from, sizeof e.from, "%s", f->node->cfg->node_id);
    snprintf(e.to, sizeof e.to, "%s", to);
    const struct ac_key_info *k = ac_keyring_current(f->node->keyring);
    return ac_envelope_sign(&e, k->kid, sizeof k->kid, keyring_sign, f->node->keyring, out);
}

struct ac__fed_peer *ac__fed_peer_find(struct ac__federation *f, const char *node_id)
{
    for (size_t i = 0; f && i < f->npeers; i++)
        if (f->peers[i]->active && strcmp(f->peers[i]->node_id, node_id) == 0)
            return f->peers[i];
    return NULL;
}

struct ac__fed_peer *ac__fed_peer_by_kid(struct ac__federation *f, const uint8_t *kid,
                                         size_t kid_len, const struct ac__fed_key **key)
{
    if (kid_len != 8)
        return NULL;
    for (size_t i = 0; i < f->npeers; i++) {
        struct ac__fed_peer *p = f->peers[i];
        for (size_t k = 0; p->active && k < p->nkeys; k++)
            if (memcmp(p->keys[k].kid, kid, 8) == 0) {
                *key = &p->keys[k];
                return p;
            }
    }
    return NULL;
}

/* Returns the peer object for |node_id|, active or not, creating it (with
 * its sender's timer) on first sight. */
static struct ac__fed_peer *peer_slot(struct ac__federation *f, const char *node_id)
{
    for (size_t i = 0; i < f->npeers; i++)
        if (strcmp(f->peers[i]->node_id, node_id) == 0)
            return f->peers[i];
    struct ac__fed_peer **grown = realloc(f->peers, (f->npeers + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    f->peers = grown;
    struct ac__fed_peer *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->fed = f;
    snprintf(p->node_id, sizeof p->node_id, "%s", node_id);
    if (ac__fed_sender_init(p)) {
        free(p);
        return NULL;
    }
    f->peers[f->npeers++] = p;
    return p;
}

/* Parses "hex,hex,..." into |p|'s keys (open windows: a locally pinned key is
 * trusted until the admin removes it). */
static void keys_from_text(struct ac__fed_peer *p, const char *text)
{
    p->nkeys = 0;
    while (*text && p->nkeys < AC__FED_PEER_KEYS) {
        struct ac__fed_key *k = &p->keys[p->nkeys];
        size_t n = 0;
        if (sodium_hex2bin(k->public_key, 32, text, strlen(text), NULL, &n, &text) || n != 32)
            break;
        ac_key_id(k->public_key, k->kid);
        k->not_before_ms = 0;
        k->not_after_ms = 0;
        p->nkeys++;
        while (*text == ',')
            text++;
    }
}

/* The rights the local config allows |node_id|: a [peer] section narrows;
 * none leaves everything the file grants. */
static unsigned config_limit(const struct ac_node_config *cfg, const char *node_id)
{
    for (size_t i = 0; i < cfg->npeers; i++)
        if (strcmp(cfg->peers[i].node_id, node_id) == 0)
            return cfg->peers[i].rights;
    return AC_RIGHTS_ALL;
}

int ac__fed_peers_rebuild(struct ac__federation *f)
{
    struct ac_peer_row *rows = NULL;
    size_t nrows = 0;
    int err = ac_store_peer_list(f->node->store, &rows, &nrows);
    if (err)
        return err;
    for (size_t i = 0; i < f->npeers; i++) {
        f->peers[i]->active = 0;
        f->peers[i]->from_consortium = 0;
    }
    const char *self = f->node->cfg->node_id;
    /* Consortium members first: their keys and windows come from the file. */
    for (size_t i = 0; f->consortium && i < f->consortium->nmembers; i++) {
        const struct ac_member *m = &f->consortium->members[i];
        if (strcmp(m->node_id, self) == 0)
            continue;
        struct ac__fed_peer *p = peer_slot(f, m->node_id);
        if (!p) {
            err = AC_ENOMEM;
            goto out;
        }
        snprintf(p->url, sizeof p->url, "%s", m->base_url);
        p->rights = m->rights & config_limit(f->node->cfg, m->node_id);
        p->nkeys = 0;
        for (size_t k = 0; k < m->nkeys && k < AC__FED_PEER_KEYS; k++) {
            struct ac__fed_key *key = &p->keys[p->nkeys++];
            memcpy(key->public_key, m->keys[k].public_key, 32);
            memcpy(key->kid, m->keys[k].kid, 8);
            key->not_before_ms = m->keys[k].not_before_ms;
            key->not_after_ms = m->keys[k].not_after_ms;
        }
        p->active = 1;
        p->from_consortium = 1;
    }
    /* Pinned peers: a member also pinned locally keeps the file's keys and
     * only loses rights (the intersection); others are trusted as pinned. */
    for (size_t i = 0; i < nrows; i++) {
        if (strcmp(rows[i].node_id, self) == 0)
            continue;
        struct ac__fed_peer *p = peer_slot(f, rows[i].node_id);
        if (!p) {
            err = AC_ENOMEM;
            goto out;
        }
        if (p->from_consortium) {
            p->rights &= rows[i].rights;
            continue;
        }
        snprintf(p->url, sizeof p->url, "%s", rows[i].base_url);
        p->rights = rows[i].rights & config_limit(f->node->cfg, rows[i].node_id);
        keys_from_text(p, rows[i].keys);
        p->active = 1;
    }
    /* Keys learnt from descriptions, re-verified with the keys just set. */
    for (size_t i = 0; !err && i < f->npeers; i++) {
        struct ac__fed_peer *p = f->peers[i];
        uint8_t *doc = NULL;
        size_t len = 0;
        int64_t at;
        if (!p->active || ac_store_peer_doc_get(f->node->store, p->node_id, "node", &doc, &len,
                                                &at))
            continue;
        ac__fed_learn_description(p, doc, len, 1); /* kept only after it verified */
        free(doc);
    }
out:
    free(rows);
    return err;
}

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

int ac__fed_queue(struct ac__federation *f, const char *peer, const char *type,
                  const char *msg_id, const uint8_t *body, size_t len)
{
    return ac_store_outbox_add(f->node->store, peer, type, msg_id, body, len, ac_clock_now_ms(),
                               NULL);
}

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

int ac__fed_consortium_adopt(struct ac__federation *f, const uint8_t *file, size_t len,
                             uint64_t *serial, struct ac_reason *why)
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
    uint64_t held = f->consortium ? f->consortium->serial : 0;
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
    if (!err)
        err = ac_store_tx_commit(f->node->store);
    else
        ac_store_tx_rollback(f->node->store);
    ac_buf_release(&body);
    if (err == AC_ECONFLICT) {
        /* The store held a newer one than our copy: keep ours unchanged. */
        ac_consortium_free(c);
        return ac_reason_fail(why, err, AC_PROBLEM_CONSORTIUM_NOT_NEWER, "serial",
                              "a newer consortium file is already held");
    }
    if (err) {
        ac_consortium_free(c);
        return err;
    }
    ac_log_info("federation", "adopted consortium \"%s\" serial %llu (%zu members)", c->name,
                (unsigned long long)c->serial, c->nmembers);
    ac_consortium_free(f->consortium);
    f->consortium = c;
    *serial = c->serial;
    err = ac__fed_peers_rebuild(f);
    if (err)
        ac_log_error("federation", "cannot rebuild the peer table: %s", ac_strerror(err));
    ac__fed_kick_all(f);
    return 0;
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
        err = ac__fed_consortium_adopt(f, b.data, b.len, &serial, &why);
    if (err == AC_ECONFLICT)
        err = 0; /* the store already holds this one or a newer one */
    else if (err)
        ac_log_error("federation", "%s: %s", cfg->consortium_file,
                     why.detail[0] ? why.detail : ac_strerror(err));
    ac_reason_release(&why);
    ac_buf_release(&b);
    return err;
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
    ac__fed_receive_register(n);
    ac__fed_api_register(n);
    ac__fed_keys_register(n);
    ac__fed_catalog_register(n);
    ac__fed_witness_register(n);
    /* Closed at stop with the peers' timers; the last close frees f. */
    if (uv_timer_init(n->loop, &f->witness_timer) == 0) {
        f->witness_timer.data = f;
        uv_timer_start(&f->witness_timer, on_witness_timer, AC__FED_WITNESS_MS,
                       AC__FED_WITNESS_MS);
        f->has_witness_timer = 1;
    }
    ac_log_info("federation", "%zu peers, consortium serial %llu", f->npeers,
                (unsigned long long)(f->consortium ? f->consortium->serial : 0));
    ac__fed_kick_all(f);
}

static void fed_free(struct ac__federation *f)
{
    for (size_t i = 0; i < f->npeers; i++) {
        ac_outbox_msgs_free(f->peers[i]->page, f->peers[i]->npage);
        free(f->peers[i]);
    }
    free(f->peers);
    ac_consortium_free(f->consortium);
    free(f);
}

static void on_timer_closed(uv_handle_t *h)
{
    struct ac__fed_peer *p = h->data;
    struct ac__federation *f = p->fed;
    if (--f->closing == 0)
        fed_free(f);
}

static void on_witness_timer_closed(uv_handle_t *h)
{
    struct ac__federation *f = h->data;
    if (--f->closing == 0)
        fed_free(f);
}

void ac__federation_stop(struct ac_node *n)
{
    struct ac__federation *f = n->federation;
    if (!f || f->stopping)
        return;
    f->stopping = 1;
    n->federation = NULL;
    f->closing = f->npeers + (size_t)f->has_witness_timer;
    if (f->closing == 0) {
        fed_free(f);
        return;
    }
    if (f->has_witness_timer)
        uv_close((uv_handle_t *)&f->witness_timer, on_witness_timer_closed);
    for (size_t i = 0; i < f->npeers; i++) {
        ac__fed_sender_close(f->peers[i]);
        uv_close((uv_handle_t *)&f->peers[i]->timer, on_timer_closed);
    }
}
