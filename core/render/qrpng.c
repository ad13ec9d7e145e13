/* qrpng.c - QR codes of records as PNG files (see qrpng.h): libqrencode makes
 * the module matrix, and a minimal PNG writer (IHDR, one IDAT, IEND; RFC 2083)
 * stores it, so no image library is needed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>
#include <zlib.h>

#include "accord/base/error.h"
#include "accord/render/qrpng.h"

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Appends one chunk: length, type, data, CRC-32 over type and data. */
static int put_chunk(struct ac_buf *out, const char type[4], const uint8_t *data, size_t len)
{
    uint8_t head[8], crc_be[4];
    put_be32(head, (uint32_t)len);
    memcpy(head + 4, type, 4);
    uLong crc = crc32(0L, (const Bytef *)type, 4);
    if (len)
        crc = crc32(crc, data, (uInt)len);
    put_be32(crc_be, (uint32_t)crc);
    int err = ac_buf_append(out, head, sizeof head);
    if (!err && len)
        err = ac_buf_append(out, data, len);
    if (!err)
        err = ac_buf_append(out, crc_be, sizeof crc_be);
    return err;
}

/* Builds the filtered scanlines (filter byte 0, then one grey byte a pixel). */
static uint8_t *raster(const QRcode *qr, unsigned scale, size_t *side, size_t *len)
{
    size_t w = (size_t)qr->width + 2 * AC_QRPNG_QUIET_ZONE;
    size_t px = w * scale;
    size_t row = px + 1;
    uint8_t *img = malloc(row * px);
    if (!img)
        return NULL;
    for (size_t y = 0; y < px; y++) {
        uint8_t *line = img + y * row;
        line[0] = 0; /* filter type None */
        size_t my = y / scale;
        for (size_t x = 0; x < px; x++) {
            size_t mx = x / scale;
            int dark = 0;
            if (mx >= AC_QRPNG_QUIET_ZONE && my >= AC_QRPNG_QUIET_ZONE &&
                mx < AC_QRPNG_QUIET_ZONE + (size_t)qr->width &&
                my < AC_QRPNG_QUIET_ZONE + (size_t)qr->width) {
                size_t i =
                    (my - AC_QRPNG_QUIET_ZONE) * (size_t)qr->width + (mx - AC_QRPNG_QUIET_ZONE);
                dark = qr->data[i] & 1; /* bit 0 of each module: 1 is dark */
            }
            line[1 + x] = dark ? 0x00 : 0xff;
        }
    }
    *side = px;
    *len = row * px;
    return img;
}

int ac_qrpng_encode(const uint8_t *data, size_t len, unsigned scale, struct ac_buf *out,
                    int *modules)
{
    if (len == 0 || scale == 0 || scale > AC_QRPNG_SCALE_MAX)
        return AC_EINVAL;
    if (len > 2953)
        return AC_E2BIG; /* version 40-L byte-mode capacity (ISO/IEC 18004 Table 7) */
    errno = 0;
    QRcode *qr = QRcode_encodeData((int)len, data, 0, QR_ECLEVEL_L);
    if (!qr)
        return errno == ERANGE ? AC_E2BIG : AC_ENOMEM;
    size_t side = 0, raw_len = 0;
    uint8_t *raw = raster(qr, scale, &side, &raw_len);
    int width = qr->width;
    QRcode_free(qr);
    if (!raw)
        return AC_ENOMEM;
    uLongf zlen = compressBound((uLong)raw_len);
    uint8_t *z = malloc(zlen);
    int err = z ? 0 : AC_ENOMEM;
    if (!err && compress2(z, &zlen, raw, (uLong)raw_len, 9) != Z_OK)
        err = AC_EIO;
    free(raw);
    size_t mark = out->len;
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    uint8_t ihdr[13];
    put_be32(ihdr, (uint32_t)side);
    put_be32(ihdr + 4, (uint32_t)side);
    ihdr[8] = 8;  /* bit depth */
    ihdr[9] = 0;  /* colour type: greyscale */
    ihdr[10] = 0; /* compression: deflate */
    ihdr[11] = 0; /* filter method 0 */
    ihdr[12] = 0; /* no interlace */
    if (!err)
        err = ac_buf_append(out, sig, sizeof sig);
    if (!err)
        err = put_chunk(out, "IHDR", ihdr, sizeof ihdr);
    if (!err)
        err = put_chunk(out, "IDAT", z, zlen);
    if (!err)
        err = put_chunk(out, "IEND", NULL, 0);
    free(z);
    if (err) {
        out->len = mark;
        return err;
    }
    if (modules)
        *modules = width;
    return 0;
}
