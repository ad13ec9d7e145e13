/* array.h - growing a heap array of fixed-size elements by doubling, the one
 * rule the readers of rows and of CSV records share. */
#ifndef AC_ARRAY_H
#define AC_ARRAY_H

#include <stddef.h>

/* Grows |*arr| (elements of |elem| bytes, room for |*cap| of them; NULL and
 * 0 at first) to hold at least |need|, doubling from 8. Returns 0, or
 * AC_ENOMEM (also when the size in bytes would overflow), leaving |*arr| and
 * |*cap| unchanged. */
int ac_array_grow(void **arr, size_t *cap, size_t need, size_t elem);

#endif
