/* json_cbor.h - JSON values as deterministic CBOR and back (json_cbor.c),
 * shared by the federation services whose message bodies are JSON in the
 * code and CBOR on the wire (borrow_*.c, cert_*.c). */
#ifndef AC_NODE_FEDERATION_JSON_CBOR_H
#define AC_NODE_FEDERATION_JSON_CBOR_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "accord/base/buf.h"

/* Encodes |j| (objects, arrays, text, integers, true/false/null; no reals)
 * as deterministic CBOR into |out| (the writer orders map keys). A NULL |j|
 * is taken for a failed json_pack(). Returns 0, AC_EINVAL (a real) or
 * AC_ENOMEM. */
int ac__json_to_cbor(const json_t *j, struct ac_buf *out);

/* Decodes one deterministic CBOR item of that data model (map keys text
 * without NUL, at most 32 levels deep). Sets |*out| to a new value the
 * caller json_decref()s; leaves it alone on failure. Returns 0, AC_EPARSE
 * or AC_ENOMEM. */
int ac__cbor_to_json(const uint8_t *p, size_t len, json_t **out);

/* As ac__cbor_to_json(), for callers that refuse every failure alike: the
 * new value, or NULL. */
json_t *ac__cbor_to_json_or_null(const uint8_t *p, size_t len);

#endif
