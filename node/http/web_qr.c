/* web_qr.c - GET /v1/credentials/{id}/qr.png: the record's signed bytes as a
 * QR code, so a teacher can show the credential from a phone or print it
 * (about 450 bytes fits QR version 15-L). Public like the record itself. */
#include <stdio.h>

#include <sodium.h>

#include "accord/base/buf.h"
#include "accord/base/error.h"
#include "accord/render/qrpng.h"
#include "accord/store/record.h"
#include "internal.h"
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

static void on_qr(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    int64_t id;
    if (ac__param_id(x, "id", "credential", &id))
        return;
    struct ac_store_record rec;
    struct cose_copy c = {AC_BUF_INIT, 0};
    struct ac_buf png = AC_BUF_INIT;
    int err = ac_store_record_get(n->store, id, &rec, copy_bytes, &c);
    if (!err)
        err = c.err;
    if (!err)
        err = ac_qrpng_encode(c.bytes.data, c.bytes.len, QR_SCALE, &png, NULL);
    if (err) {
        char what[48];
        snprintf(what, sizeof what, "credential %lld", (long long)id);
        ac__respond_error(x, err, what);
    } else {
        /* The signed bytes never change, so the picture's tag is theirs. */
        uint8_t h[8];
        char hex[17], etag[20];
        crypto_generichash(h, sizeof h, c.bytes.data, c.bytes.len, NULL, 0);
        sodium_bin2hex(hex, sizeof hex, h, sizeof h);
        snprintf(etag, sizeof etag, "\"%s\"", hex);
        ac__respond_public(x, etag, "image/png", png.data, png.len);
    }
    ac_buf_release(&c.bytes);
    ac_buf_release(&png);
}

void ac__web_qr_register(struct ac_node *n)
{
    ac__route(n, "GET", "/v1/credentials/{id}/qr.png", on_qr);
}
