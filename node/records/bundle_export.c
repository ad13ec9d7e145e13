/* bundle_export.c - the credential bundle of one record (bundle.h): the
 * record, its inclusion proof at the published checkpoint and that
 * checkpoint, the status snapshot, the witnesses' cosignatures on the
 * checkpoint, the signing keys' hand-overs and the record's Open Badges 3.0
 * form, so a recognizer can verify it offline, also after a key rotation. */
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/records/bundle.h"
#include "accord/store/keys.h"
#include "accord/store/peer.h"
#include "accord/store/record.h"
#include "records/ob3_serve.h"
#include "records/records.h"

/* The parts a bundle borrows while it is encoded. */
struct parts {
    struct ac_buf cose, cosigs, ob3;
    struct ac_buf keys[AC_BUNDLE_KEYS_MAX];
    size_t nkeys;
    int err;
};

static void copy_cose(void *ctx, const uint8_t *p, size_t len)
{
    struct parts *c = ctx;
    c->err = ac_buf_append(&c->cose, p, len);
}

/* Keeps the newest AC_BUNDLE_KEYS_MAX hand-overs (they come oldest first): a
 * verifier whose trust is older than that many rotations needs a newer trust
 * file anyway. */
static int take_handover(void *ctx, const uint8_t *statement, size_t len)
{
    struct parts *c = ctx;
    if (c->nkeys == AC_BUNDLE_KEYS_MAX) {
        ac_buf_release(&c->keys[0]);
        memmove(c->keys, c->keys + 1, (AC_BUNDLE_KEYS_MAX - 1) * sizeof c->keys[0]);
        c->nkeys--;
        c->keys[c->nkeys] = (struct ac_buf)AC_BUF_INIT;
    }
    int err = ac_buf_append(&c->keys[c->nkeys], statement, len);
    if (!err)
        c->nkeys++;
    return err;
}

/* Points |b|'s cosignature lines into |text| (lines each ending in '\n', as
 * the store keeps them). */
static void split_lines(const struct ac_buf *text, struct ac_bundle *b)
{
    const uint8_t *p = text->data, *end = text->data + text->len;
    while (p < end && b->ncosigs < AC_BUNDLE_COSIGS_MAX) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break; /* a line without its end is no cosignature line */
        b->cosigs[b->ncosigs].data = p;
        b->cosigs[b->ncosigs].len = (size_t)(nl - p) + 1;
        b->ncosigs++;
        p = nl + 1;
    }
}

int ac__records_bundle(struct ac_node *n, int64_t id, struct ac_buf *out)
{
    struct ac__records *r = n->records;
    struct parts c;
    memset(&c, 0, sizeof c);
    struct ac_store_record rec;
    memset(&rec, 0, sizeof rec);
    int err = ac_store_record_get(n->store, id, &rec, copy_cose, &c);
    if (!err)
        err = c.err;
    if (!err)
        err = ac__status_publish(n);
    if (!err)
        err = ac__checkpoint_refresh(n);
    /* The proof is for the size of the published checkpoint, which the
     * writer persisted before publishing, so the two always match. */
    struct ac_bundle b = {
        .record = c.cose.data,
        .record_len = c.cose.len,
        .index = rec.log_index,
        .size = r->tree.size,
        .status = r->token.body.data,
        .status_len = r->token.body.len,
        .checkpoint = (const char *)r->checkpoint.body.data,
        .checkpoint_len = r->checkpoint.body.len,
    };
    struct ac_merkle_source src;
    ac__tlog_source(n, &src);
    if (!err)
        err = ac_merkle_inclusion_proof(&src, rec.log_index, r->tree.size, &b.proof);
    if (!err)
        err = ac_store_cosignature_lines(n->store, r->tree.size, &c.cosigs);
    if (!err)
        err = ac_store_key_handovers(n->store, take_handover, &c);
    if (!err) {
        char why[256];
        int oerr = ac__ob3_credential(n, id, &c.ob3, why, sizeof why);
        if (oerr == AC_EINVAL || oerr == AC_EPARSE || oerr == AC_ENOENT)
            /* The native record is the credential; a definition the OB 3.0
             * form cannot express (or that this node does not hold: a
             * record issued directly by an admin may name any) leaves the
             * bundle without that form. */
            ac_log_warn("records", "bundle of credential %lld without its OB 3.0 form: %s",
                        (long long)id, oerr == AC_ENOENT ? "its definition is not here" : why);
        else
            err = oerr;
    }
    if (!err) {
        split_lines(&c.cosigs, &b);
        for (size_t i = 0; i < c.nkeys; i++) {
            b.keys[i].data = c.keys[i].data;
            b.keys[i].len = c.keys[i].len;
        }
        b.nkeys = c.nkeys;
        if (c.ob3.len) {
            b.ob3 = c.ob3.data;
            b.ob3_len = c.ob3.len;
        }
        err = ac_bundle_encode(&b, out);
    }
    ac_buf_release(&c.cose);
    ac_buf_release(&c.cosigs);
    ac_buf_release(&c.ob3);
    for (size_t i = 0; i < c.nkeys; i++)
        ac_buf_release(&c.keys[i]);
    return err;
}
