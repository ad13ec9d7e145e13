/* cert_codec.c - the answer to each cross-node certification message (its
 * bodies go through json_cbor.c: JSON in the code, deterministic CBOR in the
 * envelope). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/sign/cbor.h"
#include "cert.h"

int ac__cert_answer(const char *id, const char *state, struct ac_buf *out)
{
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    ac_cbor_put_map(&w, 2);
    ac_cbor_put_str(&w, "re");
    ac_cbor_put_str(&w, id);
    ac_cbor_put_str(&w, "state");
    ac_cbor_put_str(&w, state);
    int rc = ac_cbor_writer_finish(&w, out);
    ac_cbor_writer_release(&w);
    return rc;
}
