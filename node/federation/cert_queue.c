/* cert_queue.c - queueing a cross-node certification message to a peer,
 * under a fresh random id, with its sender woken after the commit. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/store/outbox.h"
#include "cert.h"
#include "federation.h"
#include "internal.h"

int ac__cert_queue(struct ac_node *n, const char *peer, const char *type, const json_t *body)
{
    uint8_t rnd[16];
    randombytes_buf(rnd, sizeof rnd);
    char id[40] = "cert-";
    sodium_bin2hex(id + 5, sizeof id - 5, rnd, sizeof rnd);
    struct ac_buf b = AC_BUF_INIT;
    int err = ac__json_to_cbor(body, &b);
    if (!err)
        err = ac_store_outbox_add(n->store, peer, type, id, b.data, b.len, ac_clock_now_ms(), NULL);
    ac_buf_release(&b);
    /* The kick delivers from a timer on the next loop turn, after the
     * transaction that queued the message committed. */
    struct ac__fed_peer *p = err ? NULL : ac__fed_peer_find(n->federation, peer);
    if (p)
        ac__fed_kick(p);
    return err;
}
