/* jsonld_internal.h - names shared by the JSON-LD files of core/records:
 * the shipped context table (jsonld_contexts.c). */
#ifndef AC_JSONLD_INTERNAL_H
#define AC_JSONLD_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "accord/records/jsonld.h"

#define AC__N_CONTEXTS 6

struct ac__shipped_context {
    const char *url;
    const char *file;   /* name in core/records/contexts/ */
    const char *sha256; /* pinned, lowercase hex */
};

extern const struct ac__shipped_context ac__shipped_contexts[AC__N_CONTEXTS];

/* Index of |url| in ac__shipped_contexts, or -1. */
int ac__shipped_index(const char *url);

/* The compiled-in bytes of shipped context |i|. Returns 0 or AC_ENOENT. */
int ac__shipped_bytes(int i, const uint8_t **data, size_t *len);

/* Parses JSON text (an object or array at the top) into jansson values,
 * refusing what json_loadb(JSON_REJECT_DUPLICATES) refuses (jsonld_read.c).
 * Returns 0, AC_EPARSE (|why| says what and where) or AC_ENOMEM. */
int ac__json_read(const char *text, size_t len, json_t **out, char *why, size_t whylen);

#endif
