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

static void copy_cose(void *ctx, const uint8_t *p, size_t len)
{
    struct ac__bundle_parts *c = ctx;
    c->err = ac_buf_append(&c->cose, p, len);
}

/* Keeps the newest AC_BUNDLE_KEYS_MAX hand-overs (they come oldest first): a
 * verifier whose trust is older than that many rotations needs a newer trust
 * file anyway. */
static int take_handover(void *ctx, const uint8_t *statement, size_t len)
{
    struct ac__bundle_parts *c = ctx;
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

void ac__bundle_parts_init(struct ac__bundle_parts *p, uint64_t size)
{
    memset(p, 0, sizeof *p);
    p->size = size;
}

void ac__bundle_parts_release(struct ac__bundle_parts *p)
{
    if (p->ob3)
        ac__ob3_parts_release(p->ob3);
    free(p->ob3);
    p->ob3 = NULL;
    ac_buf_release(&p->cose);
    ac_buf_release(&p->cosigs);
    for (size_t i = 0; i < p->nkeys; i++)
        ac_buf_release(&p->keys[i]);
    p->nkeys = 0;
}

int ac__bundle_read(struct ac_store *st, int64_t id, struct ac__bundle_parts *p)
{
    int err = ac_store_record_get(st, id, &p->rec, copy_cose, p);
    if (!err)
        err = p->err;
    if (!err && p->rec.log_index >= p->size)
        err = AC_EAGAIN; /* issued after the size was taken */
    struct ac_merkle_source src;
    ac__tlog_source_of(st, &src);
    if (!err)
        err = ac_merkle_inclusion_proof(&src, p->rec.log_index, p->size, &p->proof);
    if (!err)
        err = ac_store_cosignature_lines(st, p->size, &p->cosigs);
    if (!err)
        err = ac_store_key_handovers(st, take_handover, p);
    /* Its own errors are the OB 3.0 form's, judged at finish. */
    if (!err && !p->ob3 && (p->ob3 = malloc(sizeof *p->ob3))) {
        ac__ob3_parts_init(p->ob3);
        ac__ob3_parts_read(st, id, p->ob3);
    }
    return err;
}

int ac__bundle_finish(struct ac_node *n, int64_t id, const struct ac__bundle_parts *p,
                      struct ac_buf *out)
{
    struct ac__records *r = n->records;
    int err = ac__status_publish(n);
    if (!err)
        err = ac__checkpoint_refresh(n);
    /* The proof is for the size of the published checkpoint, which the
     * writer persisted before publishing, so the two match unless a record
     * was issued since the parts were read. */
    if (!err && r->tree.size != p->size)
        return AC_EAGAIN;
    if (err)
        return err;
    struct ac_bundle b = {
        .record = p->cose.data,
        .record_len = p->cose.len,
        .index = p->rec.log_index,
        .size = p->size,
        .proof = p->proof,
        .status = r->token.body.data,
        .status_len = r->token.body.len,
        .checkpoint = (const char *)r->checkpoint.body.data,
        .checkpoint_len = r->checkpoint.body.len,
    };
    struct ac_buf ob3 = AC_BUF_INIT;
    char why[256];
    int oerr = p->ob3 ? ac__ob3_credential_from(n, id, p->ob3, &ob3, why, sizeof why)
                      : ac__ob3_credential(n, id, &ob3, why, sizeof why);
    if (oerr == AC_EINVAL || oerr == AC_EPARSE || oerr == AC_ENOENT)
        /* The native record is the credential; a definition the OB 3.0
         * form cannot express (or that this node does not hold: a record
         * issued directly by an admin may name any) leaves the bundle
         * without that form. */
        ac_log_warn("records", "bundle of credential %lld without its OB 3.0 form: %s",
                    (long long)id, oerr == AC_ENOENT ? "its definition is not here" : why);
    else
        err = oerr;
    if (!err) {
        split_lines(&p->cosigs, &b);
        for (size_t i = 0; i < p->nkeys; i++) {
            b.keys[i].data = p->keys[i].data;
            b.keys[i].len = p->keys[i].len;
        }
        b.nkeys = p->nkeys;
        if (ob3.len) {
            b.ob3 = ob3.data;
            b.ob3_len = ob3.len;
        }
        err = ac_bundle_encode(&b, out);
    }
    ac_buf_release(&ob3);
    return err;
}

int ac__records_bundle(struct ac_node *n, int64_t id, struct ac_buf *out)
{
    /* The published checkpoint first, so the parts are read at its size. */
    int err = ac__checkpoint_refresh(n);
    if (err)
        return err;
    struct ac__bundle_parts p;
    ac__bundle_parts_init(&p, n->records->tree.size);
    err = ac__bundle_read(n->store, id, &p);
    if (!err)
        err = ac__bundle_finish(n, id, &p, out);
    ac__bundle_parts_release(&p);
    return err;
}
