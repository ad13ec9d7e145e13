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

int ac__fed_sender_init(struct ac__fed_peer *p)
{
    int err = uv_timer_init(p->fed->node->loop, &p->timer);
    if (err)
        return err;
    p->timer.data = p;
    struct ac_peer_state s;
    if (ac_store_peer_state_get(p->fed->node->store, p->node_id, &s) == 0) {
        p->next_attempt_ms = s.next_attempt_ms;
        p->attempts = s.attempts;
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
        tls_from_config(p, f->node->cfg);
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
        tls_from_config(p, f->node->cfg);
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
    free(f);
}

void ac__fed_free_if_done(struct ac__federation *f)
{
    if (f->stopping && f->closing == 0 && f->verifying == 0 && f->tasks == 0)
        fed_free(f);
}
