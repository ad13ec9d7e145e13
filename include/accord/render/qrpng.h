/* qrpng.h - a QR code of binary data (libqrencode, byte mode) written as a
 * PNG image (zlib; 8-bit greyscale, black modules on white, with the 4-module
 * quiet zone ISO/IEC 18004 asks for). Stateless and thread-safe. */
#ifndef AC_QRPNG_H
#define AC_QRPNG_H

#include <stddef.h>
#include <stdint.h>

#include "accord/base/buf.h"

#define AC_QRPNG_QUIET_ZONE 4
#define AC_QRPNG_SCALE_MAX 32

/* Appends to |out| a PNG of the QR code of |len| bytes of |data| (error
 * correction level L, the smallest version that holds it), each module
 * |scale| pixels wide (1 to AC_QRPNG_SCALE_MAX). Sets |*modules| (may be
 * NULL) to the symbol's width in modules, without the quiet zone.
 * Returns 0, AC_EINVAL (len 0 or a bad scale), AC_E2BIG (too long for any QR
 * version: more than 2953 bytes), AC_ENOMEM or AC_EIO (zlib failed); |out| is
 * unchanged on failure. */
int ac_qrpng_encode(const uint8_t *data, size_t len, unsigned scale, struct ac_buf *out,
                    int *modules);

#endif
