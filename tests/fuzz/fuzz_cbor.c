/* fuzz_cbor.c - fuzz target for the strict CBOR reader: any input is either
 * refused with a reason or, when accepted, can be walked to its end with the
 * cursor and re-encoded through the writer to the very same bytes (the writer
 * and the reader agree on what deterministic means). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accord/sign/cbor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Copies one item from |r| to |w|, recursively. */
static void copy_item(struct ac_cbor_reader *r, struct ac_cbor_writer *w)
{
    uint64_t n;
    int64_t i;
    const uint8_t *p;
    size_t len;
    bool b;
    switch (ac_cbor_peek(r)) {
    case AC_CBOR_UINT:
        if (ac_cbor_get_uint(r, &n) == 0)
            ac_cbor_put_uint(w, n);
        break;
    case AC_CBOR_NINT:
        if (ac_cbor_get_int(r, &i) == 0) {
            ac_cbor_put_int(w, i);
        } else {
            ac_cbor_skip(r, &p, &len);
            ac_cbor_put_encoded(w, p, len);
        }
        break;
    case AC_CBOR_BYTES:
        if (ac_cbor_get_bytes(r, &p, &len) == 0)
            ac_cbor_put_bytes(w, p, len);
        break;
    case AC_CBOR_TEXT:
        if (ac_cbor_get_text(r, (const char **)&p, &len) == 0)
            ac_cbor_put_text(w, (const char *)p, len);
        break;
    case AC_CBOR_ARRAY:
        if (ac_cbor_get_array(r, &n) == 0) {
            ac_cbor_put_array(w, n);
            for (uint64_t k = 0; k < n; k++)
                copy_item(r, w);
        }
        break;
    case AC_CBOR_MAP:
        if (ac_cbor_get_map(r, &n) == 0) {
            ac_cbor_put_map(w, n);
            for (uint64_t k = 0; k < 2 * n; k++)
                copy_item(r, w);
        }
        break;
    case AC_CBOR_TAG:
        if (ac_cbor_get_tag(r, &n) == 0) {
            ac_cbor_put_tag(w, n);
            copy_item(r, w);
        }
        break;
    case AC_CBOR_SIMPLE:
        if (ac_cbor_get_bool(r, &b) == 0)
            ac_cbor_put_bool(w, b);
        else if (ac_cbor_get_null(r) == 0)
            ac_cbor_put_null(w);
        else
            abort();
        break;
    case AC_CBOR_END:
        abort(); /* validated input never ends inside an item */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ac_cbor_reader r;
    if (ac_cbor_reader_init(&r, data, size)) {
        if (r.why[0] == '\0')
            abort(); /* every refusal carries a reason */
        return 0;
    }
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    copy_item(&r, &w);
    if (ac_cbor_peek(&r) != AC_CBOR_END)
        abort();
    struct ac_buf out;
    if (ac_cbor_writer_finish(&w, &out))
        abort();
    if (out.len != size || memcmp(out.data, data, size) != 0)
        abort();
    ac_buf_release(&out);
    return 0;
}
