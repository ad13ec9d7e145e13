/* web_qr.c - GET /v1/credentials/{id}/qr.png: the record's signed bytes as a
 * QR code, so a teacher can show the credential from a phone or print it
 * (about 450 bytes fits QR version 15-L). Public like the record itself;
 * read and drawn on a reader thread. */
#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>

#include "accord/base/buf.h"
#include "accord/base/error.h"
#include "accord/render/qrpng.h"
#include "accord/store/record.h"
#include "internal.h"
#include "readers.h"
#include "web/web.h"

#define QR_SCALE 4

struct cose_copy {
    struct ac_buf bytes;
    int err;
};

static void copy_bytes(void *ctx, const uint8_t *p, size_t len)
{
    struct cose_copy *c = ctx;
    c->err = ac_buf_append(&c->bytes, p, len);
}

/* The record's bytes and their picture are made on a reader thread
 * (node/readers.h): the row is a round trip on PostgreSQL, and the encoding
 * is work the loop need not do. */
struct qr_read {
    struct ac__read_job job; /* first */
    struct ac_http_exchange *x;
    int64_t id;
    /* Filled on the thread. */
    int err;
    struct cose_copy c;
    struct ac_buf png;
};

/* Reader thread: touches only |q| and |st|. */
static void qr_work(struct ac__read_job *job, struct ac_store *st)
{
    struct qr_read *q = (struct qr_read *)job;
    struct ac_store_record rec;
    int err = ac_store_record_get(st, q->id, &rec, copy_bytes, &q->c);
    if (!err)
        err = q->c.err;
    if (!err)
        err = ac_qrpng_encode(q->c.bytes.data, q->c.bytes.len, QR_SCALE, &q->png, NULL);
    q->err = err;
}

static void qr_done(struct ac__read_job *job, int status)
{
    struct qr_read *q = (struct qr_read *)job;
    struct ac_http_exchange *x = q->x;
    int err = status ? AC_EIO : q->err; /* cancelled at shutdown */
    if (err) {
        char what[48];
        snprintf(what, sizeof what, "credential %lld", (long long)q->id);
        ac__respond_error(x, err, what);
    } else {
        /* The signed bytes never change, so the picture's tag is theirs. */
        uint8_t h[8];
        char hex[17], etag[20];
        crypto_generichash(h, sizeof h, q->c.bytes.data, q->c.bytes.len, NULL, 0);
        sodium_bin2hex(hex, sizeof hex, h, sizeof h);
        snprintf(etag, sizeof etag, "\"%s\"", hex);
        ac__respond_public(x, etag, "image/png", q->png.data, q->png.len);
    }
    ac_buf_release(&q->c.bytes);
    ac_buf_release(&q->png);
    free(q);
}

static void on_qr(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    int64_t id;
    if (ac__param_id(x, "id", "credential", &id))
        return;
    struct qr_read *q = calloc(1, sizeof *q);
    if (!q) {
        char what[48];
        snprintf(what, sizeof what, "credential %lld", (long long)id);
        ac__respond_error(x, AC_ENOMEM, what);
        return;
    }
    q->job.work = qr_work;
    q->job.done = qr_done;
    q->x = x;
    q->id = id;
    q->c.bytes = (struct ac_buf)AC_BUF_INIT;
    q->png = (struct ac_buf)AC_BUF_INIT;
    ac__read_submit(n, &q->job);
}

void ac__web_qr_register(struct ac_node *n)
{
    ac__route(n, "GET", "/v1/credentials/{id}/qr.png", on_qr);
}
