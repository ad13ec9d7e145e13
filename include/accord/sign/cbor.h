/* cbor.h - deterministic CBOR (RFC 8949 §4.2.1): a streaming writer that can
 * only produce deterministic encodings, and a strict cursor reader that first
 * validates a whole item and refuses, with a reason, anything that is not
 * well-formed deterministic CBOR.
 *
 * Supported data model: unsigned and negative integers (to 64 bits), byte and
 * text strings (text must be valid UTF-8), arrays, maps, tags, and the simple
 * values false, true and null. Floating-point numbers and other simple values
 * are refused: Accord's formats do not use them, and refusing them removes the
 * hardest part of deterministic encoding (shortest float form).
 *
 * Neither object allocates on the reader side; the writer owns one ac_buf.
 * Not thread-safe per object; distinct objects may be used from any thread. */
#ifndef AC_CBOR_H
#define AC_CBOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accord/base/buf.h"

/* Nesting limit for both writer and reader (arrays, maps and tags each count
 * one level). Deeper input is refused. */
#define AC_CBOR_MAX_DEPTH 16

/* Room for a reader's reason string, including its terminator. */
#define AC_CBOR_WHY_LEN 128

/* Major types (RFC 8949 §3.1), plus AC_CBOR_SIMPLE for false/true/null. */
enum ac_cbor_type {
    AC_CBOR_UINT = 0,
    AC_CBOR_NINT = 1,
    AC_CBOR_BYTES = 2,
    AC_CBOR_TEXT = 3,
    AC_CBOR_ARRAY = 4,
    AC_CBOR_MAP = 5,
    AC_CBOR_TAG = 6,
    AC_CBOR_SIMPLE = 7,
    AC_CBOR_END = 8, /* the reader is past the last item */
};

/* ---- Writer ------------------------------------------------------------- */

/* A writer appends items to |out|. Arrays and maps are opened with their item
 * count and close themselves when that many items (pairs, for maps) have been
 * written; a map's entries are re-ordered on close so that keys are in
 * bytewise lexicographic order of their encodings, so callers may write keys
 * in any order. The first error sticks: later calls do nothing and return it,
 * so a sequence of puts can be checked once, at ac_cbor_writer_finish(). */
struct ac_cbor_frame {
    uint8_t kind;      /* AC_CBOR_ARRAY, AC_CBOR_MAP or AC_CBOR_TAG */
    uint64_t total;    /* items to write: array length, 2 x map pairs, 1 for a tag */
    uint64_t done;     /* items written so far */
    size_t start;      /* offset in out of the first content byte */
    size_t entry_base; /* index in entries of this map's first entry */
};

struct ac_cbor_entry {
    size_t start;   /* offset of the key */
    size_t key_end; /* offset just past the key (start of the value) */
    size_t end;     /* offset just past the value; set when the map closes */
};

struct ac_cbor_writer {
    struct ac_buf out; /* owned; the encoding so far */
    struct ac_cbor_frame frames[AC_CBOR_MAX_DEPTH];
    size_t depth;
    struct ac_cbor_entry *entries; /* owned; map entries of every open map */
    size_t nentries, entries_cap;
    int err; /* sticky: 0 or the first error */
};

/* Prepares |w| to write a new encoding. */
void ac_cbor_writer_init(struct ac_cbor_writer *w);

/* Frees what |w| holds and leaves it re-initialised. */
void ac_cbor_writer_release(struct ac_cbor_writer *w);

/* Each put appends one item (or opens a container or tag). Return 0, or the
 * sticky error: AC_ENOMEM; AC_EINVAL for an item written after the top-level
 * item is complete, a map with two equal keys (detected on close), or text that
 * is not valid UTF-8; AC_E2BIG for nesting beyond AC_CBOR_MAX_DEPTH. */
int ac_cbor_put_uint(struct ac_cbor_writer *w, uint64_t v);
int ac_cbor_put_int(struct ac_cbor_writer *w, int64_t v);
/* Appends the negative integer -1 - |n| (covers the full CBOR range). */
int ac_cbor_put_nint(struct ac_cbor_writer *w, uint64_t n);
int ac_cbor_put_bytes(struct ac_cbor_writer *w, const void *p, size_t len);
int ac_cbor_put_text(struct ac_cbor_writer *w, const char *s, size_t len);
/* Appends the NUL-terminated |s| as a text string. */
int ac_cbor_put_str(struct ac_cbor_writer *w, const char *s);
int ac_cbor_put_bool(struct ac_cbor_writer *w, bool v);
int ac_cbor_put_null(struct ac_cbor_writer *w);
/* Opens an array of |n| items; it closes itself after the |n|th. */
int ac_cbor_put_array(struct ac_cbor_writer *w, uint64_t n);
/* Opens a map of |npairs| key/value pairs; it sorts and closes itself after the
 * last value. */
int ac_cbor_put_map(struct ac_cbor_writer *w, uint64_t npairs);
/* Writes tag |tag|; the next item written is its content. */
int ac_cbor_put_tag(struct ac_cbor_writer *w, uint64_t tag);
/* Appends one already-encoded item after checking it with ac_cbor_check()
 * (AC_EPARSE if it is not one deterministic item). */
int ac_cbor_put_encoded(struct ac_cbor_writer *w, const uint8_t *p, size_t len);

/* Checks that exactly one complete top-level item was written, then hands the
 * encoding to |out| (the caller releases it with ac_buf_release()); |w| is left
 * released. Returns 0, the sticky error, or AC_EINVAL when an array, map or tag
 * is still open or nothing was written. On error |w| still needs releasing. */
int ac_cbor_writer_finish(struct ac_cbor_writer *w, struct ac_buf *out);

/* Encodes a head (major type |major|, argument |arg|) in its shortest form into
 * |out| and returns its length (1 to 9). For callers that build small fixed
 * structures on the stack, such as COSE's Sig_structure. */
size_t ac_cbor_encode_head(uint8_t out[9], unsigned major, uint64_t arg);

/* ---- Strict reader ------------------------------------------------------ */

/* Checks that |len| bytes at |data| are exactly one well-formed item in
 * deterministic encoding within the supported data model. Returns 0 or
 * AC_EPARSE, writing the reason with its byte offset into |why| (if not NULL,
 * at most |whylen| bytes, always terminated), e.g. "offset 3: map keys not in
 * bytewise lexicographic order". Refused: indefinite lengths, non-shortest
 * arguments, unsorted or duplicate map keys, trailing bytes, nesting deeper
 * than AC_CBOR_MAX_DEPTH, lengths beyond the input, invalid UTF-8 text,
 * floating-point and unassigned simple values, reserved additional info. */
int ac_cbor_check(const uint8_t *data, size_t len, char *why, size_t whylen);

/* A cursor over one validated item. It borrows the input, which must outlive
 * it. Getters consume the next item (for containers and tags: only the head,
 * so the contents follow) and, on a type mismatch, return AC_EPARSE with a
 * reason in |why| and do not move the cursor. */
struct ac_cbor_reader {
    const uint8_t *p;   /* next unread byte */
    const uint8_t *end; /* one past the last byte */
    const uint8_t *base;
    char why[AC_CBOR_WHY_LEN];
};

/* Validates |data| with ac_cbor_check() and positions |r| at its start.
 * Returns 0 or AC_EPARSE (reason in r->why). */
int ac_cbor_reader_init(struct ac_cbor_reader *r, const uint8_t *data, size_t len);

/* Returns the type of the next item, or AC_CBOR_END. */
enum ac_cbor_type ac_cbor_peek(const struct ac_cbor_reader *r);

/* Each returns 0 or AC_EPARSE (wrong type, or AC_ERANGE for an integer that does
 * not fit the out type). Strings are borrowed from the input. */
int ac_cbor_get_uint(struct ac_cbor_reader *r, uint64_t *out);
int ac_cbor_get_int(struct ac_cbor_reader *r, int64_t *out);
int ac_cbor_get_bytes(struct ac_cbor_reader *r, const uint8_t **p, size_t *len);
int ac_cbor_get_text(struct ac_cbor_reader *r, const char **s, size_t *len);
int ac_cbor_get_bool(struct ac_cbor_reader *r, bool *out);
int ac_cbor_get_null(struct ac_cbor_reader *r);
/* Consume an array/map head; |*n| is the item (pair) count. */
int ac_cbor_get_array(struct ac_cbor_reader *r, uint64_t *n);
int ac_cbor_get_map(struct ac_cbor_reader *r, uint64_t *npairs);
int ac_cbor_get_tag(struct ac_cbor_reader *r, uint64_t *tag);
/* Skips the next complete item, setting |*p| and |*len| (either may be NULL) to
 * its encoded bytes. Returns 0 or AC_EPARSE at the end of input. */
int ac_cbor_skip(struct ac_cbor_reader *r, const uint8_t **p, size_t *len);

/* Sets |*at| to a reader at the value of text key |key| in the CBOR map
 * that is the whole of |len| bytes at |p| (a message body), for the
 * ac_cbor_get_*() calls that read it. Returns 0, AC_ENOENT (no such key) or
 * AC_EPARSE (not a map, a key that is not text, or malformed input). */
int ac_cbor_map_find(const uint8_t *p, size_t len, const char *key, struct ac_cbor_reader *at);

/* Returns the offset of the cursor from the start of the input. */
size_t ac_cbor_offset(const struct ac_cbor_reader *r);

#endif
