/* status.c - status bits with random index assignment, and their IETF Token
 * Status List (ZLIB) and W3C Bitstring Status List (GZIP) encodings. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zlib.h>

#include "accord/base/base64.h"
#include "accord/base/error.h"
#include "accord/records/status.h"

#define RANDOM_TRIES 64

struct ac_status_list {
    uint64_t entries;  /* a multiple of 8, within the MIN/MAX bounds */
    uint64_t assigned; /* set bits in |used| */
    uint8_t *bits;     /* owned; entries / 4 bytes, 2 bits per entry */
    uint8_t *used;     /* owned; entries / 8 bytes, 1 bit per entry */
};

const char *ac_status_name(int s)
{
    switch (s) {
    case AC_STATUS_VALID:
        return "valid";
    case AC_STATUS_INVALID:
        return "revoked";
    case AC_STATUS_SUSPENDED:
        return "suspended";
    default:
        return "unknown";
    }
}

static int entries_ok(uint64_t entries)
{
    return entries >= AC_STATUS_MIN_ENTRIES && entries <= AC_STATUS_MAX_ENTRIES && entries % 8 == 0;
}

static unsigned get2(const uint8_t *bits, uint64_t i)
{
    return (bits[i / 4] >> (2 * (i % 4))) & 3u;
}

static void put2(uint8_t *bits, uint64_t i, unsigned v)
{
    unsigned shift = 2 * (unsigned)(i % 4);
    bits[i / 4] = (uint8_t)((bits[i / 4] & ~(3u << shift)) | (v << shift));
}

static int is_used(const struct ac_status_list *l, uint64_t i)
{
    return (l->used[i / 8] >> (i % 8)) & 1;
}

static struct ac_status_list *list_alloc(uint64_t entries)
{
    struct ac_status_list *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->entries = entries;
    l->bits = calloc(1, (size_t)(entries / 4));
    l->used = calloc(1, (size_t)(entries / 8));
    if (!l->bits || !l->used) {
        ac_status_list_free(l);
        return NULL;
    }
    return l;
}

int ac_status_list_new(uint64_t entries, struct ac_status_list **out)
{
    if (!entries_ok(entries))
        return AC_EINVAL;
    struct ac_status_list *l = list_alloc(entries);
    if (!l)
        return AC_ENOMEM;
    *out = l;
    return 0;
}

uint64_t ac_status_entries_for(uint64_t assigned, uint64_t min_entries)
{
    uint64_t e = AC_STATUS_MIN_ENTRIES;
    while (e < AC_STATUS_MAX_ENTRIES && (e < min_entries || assigned > e / 2))
        e *= 2;
    return e < min_entries ? min_entries : e;
}

int ac_status_list_grow(struct ac_status_list *l, uint64_t entries)
{
    if (!entries_ok(entries) || entries <= l->entries)
        return AC_EINVAL;
    /* The packing puts entry i at the same byte and bit whatever the size,
     * so the old arrays are the start of the new ones. */
    uint8_t *bits = calloc(entries / 4, 1);
    uint8_t *used = calloc(entries / 8, 1);
    if (!bits || !used) {
        free(bits);
        free(used);
        return AC_ENOMEM;
    }
    memcpy(bits, l->bits, l->entries / 4);
    memcpy(used, l->used, l->entries / 8);
    free(l->bits);
    free(l->used);
    l->bits = bits;
    l->used = used;
    l->entries = entries;
    return 0;
}

int ac_status_list_load(uint64_t entries, const uint8_t *status, size_t status_len,
                        const uint8_t *used, size_t used_len, struct ac_status_list **out)
{
    if (!entries_ok(entries) || status_len != entries / 4 || used_len != entries / 8)
        return AC_EINVAL;
    struct ac_status_list *l = list_alloc(entries);
    if (!l)
        return AC_ENOMEM;
    memcpy(l->bits, status, status_len);
    memcpy(l->used, used, used_len);
    for (uint64_t i = 0; i < entries; i++) {
        unsigned v = get2(l->bits, i);
        int u = is_used(l, i);
        if (v == 3 || (!u && v != AC_STATUS_VALID)) {
            ac_status_list_free(l);
            return AC_EPARSE;
        }
        l->assigned += (uint64_t)u;
    }
    *out = l;
    return 0;
}

void ac_status_list_free(struct ac_status_list *l)
{
    if (!l)
        return;
    free(l->bits);
    free(l->used);
    free(l);
}

uint64_t ac_status_list_entries(const struct ac_status_list *l)
{
    return l->entries;
}

uint64_t ac_status_list_assigned(const struct ac_status_list *l)
{
    return l->assigned;
}

const uint8_t *ac_status_list_bytes(const struct ac_status_list *l, size_t *len)
{
    *len = (size_t)(l->entries / 4);
    return l->bits;
}

const uint8_t *ac_status_list_used_bytes(const struct ac_status_list *l, size_t *len)
{
    *len = (size_t)(l->entries / 8);
    return l->used;
}

static void mark_used(struct ac_status_list *l, uint64_t i)
{
    l->used[i / 8] |= (uint8_t)(1u << (i % 8));
    put2(l->bits, i, AC_STATUS_VALID);
    l->assigned++;
}

int ac_status_list_assign(struct ac_status_list *l, uint64_t *index)
{
    if (l->assigned == l->entries)
        return AC_E2BIG;
    /* entries <= 2^24 fits randombytes_uniform's 32-bit bound. */
    uint32_t n = (uint32_t)l->entries;
    for (int t = 0; t < RANDOM_TRIES; t++) {
        uint64_t i = randombytes_uniform(n);
        if (!is_used(l, i)) {
            mark_used(l, i);
            *index = i;
            return 0;
        }
    }
    /* The list is mostly full: scan from a random point so the walk still
     * ends, byte by byte past full bytes. */
    uint64_t i = randombytes_uniform(n);
    for (uint64_t k = 0; k < l->entries; k++, i = (i + 1) % l->entries) {
        if (l->used[i / 8] == 0xff) {
            k += 7 - i % 8;
            i += 7 - i % 8;
            continue;
        }
        if (!is_used(l, i)) {
            mark_used(l, i);
            *index = i;
            return 0;
        }
    }
    return AC_EBUG; /* assigned < entries, so some bit was clear */
}

int ac_status_list_get(const struct ac_status_list *l, uint64_t index, enum ac_status *out)
{
    if (index >= l->entries)
        return AC_EINVAL;
    if (!is_used(l, index))
        return AC_ENOENT;
    *out = (enum ac_status)get2(l->bits, index);
    return 0;
}

int ac_status_list_set(struct ac_status_list *l, uint64_t index, enum ac_status s)
{
    if (index >= l->entries ||
        (s != AC_STATUS_VALID && s != AC_STATUS_INVALID && s != AC_STATUS_SUSPENDED))
        return AC_EINVAL;
    if (!is_used(l, index))
        return AC_ENOENT;
    unsigned cur = get2(l->bits, index);
    if (cur == (unsigned)s)
        return 0;
    if (cur == AC_STATUS_INVALID)
        return AC_ECONFLICT;
    put2(l->bits, index, (unsigned)s);
    return 0;
}

/* One-shot deflate of |in| into |out| with zlib's |window_bits| (15: ZLIB
 * format, 31: GZIP with a zero mtime, so equal input gives equal bytes). */
static int deflate_into(const uint8_t *in, size_t len, int window_bits, struct ac_buf *out)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, window_bits, 9, Z_DEFAULT_STRATEGY) !=
        Z_OK)
        return AC_ENOMEM;
    uLong bound = deflateBound(&zs, (uLong)len) + 32; /* the GZIP header, too */
    int rc = ac_buf_reserve(out, bound);
    if (rc) {
        deflateEnd(&zs);
        return rc;
    }
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)len;
    zs.next_out = out->data + out->len;
    zs.avail_out = (uInt)bound;
    int zrc = deflate(&zs, Z_FINISH);
    if (zrc == Z_STREAM_END)
        out->len += zs.total_out;
    deflateEnd(&zs);
    return zrc == Z_STREAM_END ? 0 : AC_EIO;
}

/* Inflates exactly one stream that uses all of |in|; see the header. */
static int inflate_into(const uint8_t *in, size_t len, int window_bits, size_t max_out,
                        struct ac_buf *out)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, window_bits) != Z_OK)
        return AC_ENOMEM;
    size_t mark = out->len;
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)len;
    int rc = 0, zrc = Z_OK;
    while (zrc != Z_STREAM_END) {
        if (out->len - mark >= max_out + 1) {
            rc = AC_E2BIG;
            break;
        }
        size_t room = max_out + 1 - (out->len - mark);
        if (room > 65536)
            room = 65536;
        if ((rc = ac_buf_reserve(out, room)) != 0)
            break;
        zs.next_out = out->data + out->len;
        zs.avail_out = (uInt)room;
        zrc = inflate(&zs, Z_NO_FLUSH);
        out->len += room - zs.avail_out;
        if (zrc == Z_MEM_ERROR) {
            rc = AC_ENOMEM;
            break;
        }
        if (zrc != Z_OK && zrc != Z_STREAM_END) {
            rc = AC_EPARSE; /* corrupt data, or input ended mid-stream */
            break;
        }
        if (zrc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
            rc = AC_EPARSE; /* truncated */
            break;
        }
    }
    if (rc == 0 && out->len - mark > max_out)
        rc = AC_E2BIG;
    if (rc == 0 && zs.avail_in != 0)
        rc = AC_EPARSE; /* trailing bytes, or a second GZIP member */
    inflateEnd(&zs);
    if (rc)
        out->len = mark;
    return rc;
}

int ac_status_list_compress(const struct ac_status_list *l, struct ac_buf *out)
{
    return deflate_into(l->bits, (size_t)(l->entries / 4), 15, out);
}

int ac_status_inflate_zlib(const uint8_t *z, size_t len, size_t max_out, struct ac_buf *out)
{
    return inflate_into(z, len, 15, max_out, out);
}

int ac_status_w3c_encode(const struct ac_status_list *l, enum ac_status_purpose purpose,
                         struct ac_buf *out)
{
    unsigned want =
        purpose == AC_STATUS_PURPOSE_REVOCATION ? AC_STATUS_INVALID : AC_STATUS_SUSPENDED;
    size_t nbytes = (size_t)(l->entries / 8);
    uint8_t *bits = calloc(1, nbytes);
    if (!bits)
        return AC_ENOMEM;
    for (uint64_t i = 0; i < l->entries; i++)
        if (get2(l->bits, i) == want)
            bits[i / 8] |= (uint8_t)(0x80u >> (i % 8));
    struct ac_buf gz = AC_BUF_INIT;
    int rc = deflate_into(bits, nbytes, 16 + 15, &gz);
    free(bits);
    if (rc == 0) {
        size_t n = sodium_base64_ENCODED_LEN(gz.len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        size_t mark = out->len;
        rc = ac_buf_reserve(out, n + 1);
        if (rc == 0) {
            out->data[out->len++] = 'u'; /* multibase: base64url, no padding */
            sodium_bin2base64((char *)out->data + out->len, n, gz.data, gz.len,
                              sodium_base64_VARIANT_URLSAFE_NO_PADDING);
            out->len += n - 1;
        } else {
            out->len = mark;
        }
    }
    ac_buf_release(&gz);
    return rc;
}

int ac_status_w3c_decode(const char *encoded, size_t len, size_t max_bytes, struct ac_buf *out)
{
    if (len < 2 || encoded[0] != 'u')
        return AC_EPARSE;
    size_t cap = (len - 1) / 4 * 3 + 3;
    uint8_t *gz = malloc(cap);
    if (!gz)
        return AC_ENOMEM;
    size_t gz_len;
    int rc = ac_base64_decode(encoded + 1, len - 1, AC_BASE64_URL_NOPAD, gz, cap, &gz_len);
    if (rc == AC_E2BIG)
        rc = AC_EPARSE;
    if (rc == 0)
        rc = inflate_into(gz, gz_len, 16 + 15, max_bytes, out);
    free(gz);
    return rc;
}

int ac_status_w3c_bit(const uint8_t *bits, size_t len, uint64_t index)
{
    if (index / 8 >= len)
        return -1;
    return (bits[index / 8] >> (7 - index % 8)) & 1;
}
