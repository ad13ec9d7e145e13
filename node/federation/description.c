/* description.c - reading a peer's self-description (see keys.c): verified
 * with a key already trusted for the peer, or, just fetched from its pinned
 * origin when that origin is authenticated, with a key it lists itself; the
 * keys it lists are merged into the peer. Calls nothing else in
 * node/federation, so the peer table can use it. */
#include <stdio.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/sign/cbor.h"
#include "accord/sign/envelope.h"
#include "accord/sign/keyring.h"
#include "config.h"
#include "federation.h"

/* Returns the key of |p| with |kid| that is trusted without the description
 * (pinned or from the consortium file: the first |ntrusted| keys). */
static const struct ac__fed_key *trusted(const struct ac__fed_peer *p, size_t ntrusted,
                                         const uint8_t *kid, size_t kid_len)
{
    for (size_t i = 0; kid_len == 8 && i < ntrusted; i++)
        if (memcmp(p->keys[i].kid, kid, 8) == 0)
            return &p->keys[i];
    return NULL;
}

/* Adds the keys listed in |body| to |p|, ends those it lists as retired,
 * and notes the software version it names. */
static void merge_keys(struct ac__fed_peer *p, const uint8_t *body, size_t len)
{
    struct ac_cbor_reader r;
    uint64_t npairs, nk;
    if (ac_cbor_reader_init(&r, body, len) || ac_cbor_get_map(&r, &npairs))
        return;
    for (uint64_t i = 0; i < npairs; i++) {
        const char *k;
        size_t kl;
        if (ac_cbor_get_text(&r, &k, &kl))
            return;
        if (kl == 8 && memcmp(k, "software", 8) == 0) {
            const char *v;
            size_t vl;
            if (ac_cbor_get_text(&r, &v, &vl))
                return;
            snprintf(p->software, sizeof p->software, "%.*s", (int)vl, v);
            continue;
        }
        if (kl != 4 || memcmp(k, "keys", 4) != 0 || ac_cbor_get_array(&r, &nk)) {
            ac_cbor_skip(&r, NULL, NULL);
            continue;
        }
        for (uint64_t j = 0; j < nk; j++) {
            /* {key, exp, nbf} in deterministic order */
            struct ac__fed_key key;
            const uint8_t *pk;
            size_t pklen;
            uint64_t nf;
            if (ac_cbor_get_map(&r, &nf) || nf != 3 || ac_cbor_get_text(&r, &k, &kl) ||
                ac_cbor_get_int(&r, &key.not_after_ms) || ac_cbor_get_text(&r, &k, &kl) ||
                ac_cbor_get_bytes(&r, &pk, &pklen) || pklen != 32 ||
                ac_cbor_get_text(&r, &k, &kl) || ac_cbor_get_int(&r, &key.not_before_ms))
                return;
            memcpy(key.public_key, pk, 32);
            ac_key_id(key.public_key, key.kid);
            int have = 0;
            for (size_t m = 0; m < p->nkeys; m++) {
                struct ac__fed_key *known = &p->keys[m];
                if (memcmp(known->kid, key.kid, 8) != 0)
                    continue;
                have = 1;
                /* The peer retired a key we hold: from its end on, the key
                 * no longer speaks for it (only ever narrowed, so a pinned
                 * window is never widened). */
                if (key.not_after_ms > 0 &&
                    (known->not_after_ms == 0 || key.not_after_ms < known->not_after_ms))
                    known->not_after_ms = key.not_after_ms;
            }
            if (!have && p->nkeys < AC__FED_PEER_KEYS)
                p->keys[p->nkeys++] = key;
        }
    }
}

/* True when |url| is an origin whose answers are authenticated by the
 * transport: https (certificates verified by the client), or loopback h2c. */
static int origin_authenticated(const char *url)
{
    return strncmp(url, "https://", 8) == 0 || ac_config_url_is_loopback_http(url);
}

/* Finds, in the keys |body| lists, the one whose kid is |kid|. */
static int listed_key(const uint8_t *body, size_t len, const uint8_t *kid, size_t kid_len,
                      uint8_t out[32])
{
    struct ac__fed_peer tmp;
    memset(&tmp, 0, sizeof tmp);
    merge_keys(&tmp, body, len);
    for (size_t i = 0; kid_len == 8 && i < tmp.nkeys; i++)
        if (memcmp(tmp.keys[i].kid, kid, 8) == 0) {
            memcpy(out, tmp.keys[i].public_key, 32);
            return 0;
        }
    return -1;
}

int ac__fed_learn_description(struct ac__fed_peer *p, const uint8_t *doc, size_t len,
                              int from_origin)
{
    struct ac_cose_sign1 m;
    struct ac_envelope e;
    if (ac_envelope_parse(doc, len, &m, NULL, 0))
        return AC_EPARSE;
    const struct ac__fed_key *k = trusted(p, p->nkeys, m.kid, m.kid_len);
    uint8_t listed[32];
    const uint8_t *pk = k ? k->public_key : NULL;
    if (!pk && from_origin && origin_authenticated(p->url)) {
        /* Read before verifying only to find the signer among the keys it
         * lists; nothing is taken from it unless that signature verifies. */
        if (ac_envelope_decode(&m, &e, NULL, 0) ||
            listed_key(e.body, e.body_len, m.kid, m.kid_len, listed))
            return AC_ECRYPTO;
        pk = listed;
    }
    if (!pk)
        return AC_ECRYPTO;
    if (ac_envelope_verify(&m, pk) || ac_envelope_decode(&m, &e, NULL, 0) ||
        strcmp(e.from, p->node_id) != 0 || strcmp(e.type, "node.description") != 0 ||
        strcmp(e.to, AC_ENVELOPE_TO_ANYONE) != 0)
        return AC_ECRYPTO;
    merge_keys(p, e.body, e.body_len);
    return 0;
}

