/* base64.h - strict base64 decoding: one spelling per value.
 *
 * libsodium 1.0.18's decoder maps every byte 0x80-0xFF to a value instead of
 * refusing it, so two different texts can decode to the same bytes (a signed
 * checkpoint could be spelled as two different bundles that both verify).
 * Every base64 the project reads goes through here: the alphabet is checked
 * first, then libsodium decodes, refusing leftover bits. */
#ifndef AC_BASE64_H
#define AC_BASE64_H

#include <stddef.h>
#include <stdint.h>

enum ac_base64_variant {
    AC_BASE64_STD,        /* RFC 4648 section 4, "=" padding required */
    AC_BASE64_URL_NOPAD,  /* RFC 4648 section 5, no padding */
};

/* Decodes all |len| bytes of |s| (no whitespace, nothing left over) into
 * |out| (|max| bytes). Sets |*out_len| only on success.
 * Returns 0, AC_EPARSE (a byte outside the variant's alphabet, wrong padding,
 * non-zero leftover bits) or AC_E2BIG (does not fit in |max|). */
int ac_base64_decode(const char *s, size_t len, enum ac_base64_variant v, uint8_t *out,
                     size_t max, size_t *out_len);

#endif
