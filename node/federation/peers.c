/* peers.c - the peer table: who this node trusts and what it grants, merged
 * from the consortium file, pinned peers and keys learnt from
 * self-descriptions (local config narrowing what the file grants, never
 * widening it); lookups by node id and kid; signing and queueing messages.
 * The lowest layer of node/federation: it calls no other file there but
 * description.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/net/h2_client.h"
#include "accord/sign/cbor.h"
#include "accord/sign/envelope.h"
#include "accord/sign/keyring.h"
#include "accord/store/outbox.h"
#include "accord/store/peer.h"
#include "federation.h"
#include "internal.h"

int ac__fed_sender_init(struct ac__fed_peer *p, const struct ac_peer_state *s)
{
    int err = uv_timer_init(p->fed->node->loop, &p->timer);
    if (err)
        return err;
    p->timer.data = p;
    if (s) {
        p->next_attempt_ms = s->next_attempt_ms;
        p->attempts = s->attempts;
    }
    return 0;
}

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
 * its sender's timer and the delivery state |s| read for it, or none) on
 * first sight. */
static struct ac__fed_peer *peer_slot(struct ac__federation *f, const char *node_id,
                                      const struct ac_peer_state *s)
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
    if (ac__fed_sender_init(p, s)) {
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

/* Points |p|'s TLS trust at its [peer] section, if any. */
static void tls_from_config(struct ac__fed_peer *p, const struct ac_node_config *cfg)
{
    p->ca_file = NULL;
    p->pin_spki_sha256 = NULL;
    for (size_t i = 0; i < cfg->npeers; i++)
        if (strcmp(cfg->peers[i].node_id, p->node_id) == 0) {
            p->ca_file = cfg->peers[i].ca_file;
            p->pin_spki_sha256 = cfg->peers[i].has_pin ? cfg->peers[i].pin_spki_sha256 : NULL;
        }
}

int ac__fed_client(struct ac__fed_peer *p, struct ac_h2_client **out)
{
    if (!p->client) {
        if (strncmp(p->url, "https://", 8) != 0 && !ac_config_url_is_loopback_http(p->url)) {
            ac_log_warn("federation", "%s: refusing %s: a peer is reached over https:// with "
                        "certificate verification; http:// only on loopback", p->node_id,
                        p->url);
            return AC_EINVAL;
        }
        /* The largest answer any exchange expects: a catalog. */
        const struct ac_node_config *cfg = p->fed->node->cfg;
        struct ac_h2_client_config c = {.connect_timeout_ms = 5000,
                                        .request_timeout_ms = 15000,
                                        .max_response_bytes = 4 << 20,
                                        .ca_file = p->ca_file ? p->ca_file : cfg->ca_file,
                                        .pin_spki_sha256 = p->pin_spki_sha256};
        int err = ac_h2_client_new(p->fed->node->loop, p->url, &c, &p->client);
        if (err)
            return err;
    }
    *out = p->client;
    return 0;
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

/* The inputs read for |node_id| (NULL when it has none). */
static const struct ac__fed_peer_extra *extra_of(const struct ac__fed_peer_inputs *in,
                                                 const char *node_id)
{
    for (size_t i = 0; i < in->nextra; i++)
        if (strcmp(in->extra[i].node_id, node_id) == 0)
            return &in->extra[i];
    return NULL;
}

/* Reads the self-description and delivery state of |node_id| into a new
 * entry of |in| (once per node id; never |self|). */
static int read_extra(struct ac_store *st, const char *self, const char *node_id,
                      struct ac__fed_peer_inputs *in, size_t cap)
{
    if (strcmp(node_id, self) == 0 || extra_of(in, node_id) || in->nextra == cap)
        return 0;
    struct ac__fed_peer_extra *x = &in->extra[in->nextra];
    memset(x, 0, sizeof *x);
    snprintf(x->node_id, sizeof x->node_id, "%s", node_id);
    int64_t at;
    int err = ac_store_peer_doc_get(st, node_id, "node", &x->doc, &x->doc_len, &at);
    if (err == AC_ENOENT) {
        x->doc = NULL;
        err = 0;
    }
    if (!err)
        err = ac_store_peer_state_get(st, node_id, &x->state);
    if (err) {
        free(x->doc);
        return err;
    }
    in->nextra++;
    return 0;
}

int ac__fed_peers_read(struct ac_store *st, const struct ac_consortium *c, const char *self,
                       struct ac__fed_peer_inputs *in)
{
    memset(in, 0, sizeof *in);
    int err = ac_store_peer_list(st, &in->rows, &in->nrows);
    if (err)
        return err;
    size_t cap = in->nrows + (c ? c->nmembers : 0);
    in->extra = cap ? calloc(cap, sizeof *in->extra) : NULL;
    if (cap && !in->extra)
        err = AC_ENOMEM;
    for (size_t i = 0; !err && c && i < c->nmembers; i++)
        err = read_extra(st, self, c->members[i].node_id, in, cap);
    for (size_t i = 0; !err && i < in->nrows; i++)
        err = read_extra(st, self, in->rows[i].node_id, in, cap);
    if (err)
        ac__fed_peer_inputs_release(in);
    return err;
}

void ac__fed_peer_inputs_release(struct ac__fed_peer_inputs *in)
{
    for (size_t i = 0; i < in->nextra; i++)
        free(in->extra[i].doc);
    free(in->extra);
    free(in->rows);
    memset(in, 0, sizeof *in);
}

/* peer_slot() with the delivery state read for |node_id|. */
static struct ac__fed_peer *slot_of(struct ac__federation *f, const char *node_id,
                                    const struct ac__fed_peer_inputs *in)
{
    const struct ac__fed_peer_extra *x = extra_of(in, node_id);
    return peer_slot(f, node_id, x ? &x->state : NULL);
}

int ac__fed_peers_apply(struct ac__federation *f, const struct ac__fed_peer_inputs *in)
{
    f->peers_gen++;
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
        struct ac__fed_peer *p = slot_of(f, m->node_id, in);
        if (!p)
            return AC_ENOMEM;
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
        tls_from_config(p, f->node->cfg);
        p->active = 1;
        p->from_consortium = 1;
    }
    /* Pinned peers: a member also pinned locally keeps the file's keys and
     * only loses rights (the intersection); others are trusted as pinned. */
    for (size_t i = 0; i < in->nrows; i++) {
        const struct ac_peer_row *row = &in->rows[i];
        if (strcmp(row->node_id, self) == 0)
            continue;
        struct ac__fed_peer *p = slot_of(f, row->node_id, in);
        if (!p)
            return AC_ENOMEM;
        if (p->from_consortium) {
            p->rights &= row->rights;
            continue;
        }
        snprintf(p->url, sizeof p->url, "%s", row->base_url);
        p->rights = row->rights & config_limit(f->node->cfg, row->node_id);
        keys_from_text(p, row->keys);
        tls_from_config(p, f->node->cfg);
        p->active = 1;
    }
    /* Keys learnt from descriptions, re-verified with the keys just set. */
    for (size_t i = 0; i < f->npeers; i++) {
        struct ac__fed_peer *p = f->peers[i];
        const struct ac__fed_peer_extra *x = p->active ? extra_of(in, p->node_id) : NULL;
        if (x && x->doc)
            ac__fed_learn_description(p, x->doc, x->doc_len, 1); /* kept only after it verified */
    }
    return 0;
}

int ac__fed_peers_rebuild(struct ac__federation *f)
{
    struct ac__fed_peer_inputs in;
    int err = ac__fed_peers_read(f->node->store, f->consortium, f->node->cfg->node_id, &in);
    if (err)
        return err;
    err = ac__fed_peers_apply(f, &in);
    ac__fed_peer_inputs_release(&in);
    return err;
}

int ac__fed_queue(struct ac__federation *f, const char *peer, const char *type,
                  const char *msg_id, const uint8_t *body, size_t len)
{
    return ac_store_outbox_add(f->node->store, peer, type, msg_id, body, len, ac_clock_now_ms(),
                               NULL);
}


/* Frees the peer table and |f| itself: the last thing a stopped federation
 * does. Here, the lowest layer, so both the handles' close callbacks
 * (federation.c) and the last signature check (receive.c) can end it. */
static void fed_free(struct ac__federation *f)
{
    for (size_t i = 0; i < f->npeers; i++) {
        for (size_t k = 0; k < AC__FED_PAGE; k++)
            free(f->peers[i]->dead_why[k]); /* the sender's refusals not yet dead-lettered */
        ac_outbox_msgs_free(f->peers[i]->page, f->peers[i]->npage);
        free(f->peers[i]);
    }
    free(f->peers);
    ac_consortium_free(f->consortium);
    ac_consortium_free(f->consortium_next);
    free(f);
}

void ac__fed_free_if_done(struct ac__federation *f)
{
    if (f->stopping && f->closing == 0 && f->verifying == 0 && f->tasks == 0)
        fed_free(f);
}
