/* array.c - growing a heap array by doubling (see array.h). */
#include "accord/base/array.h"

#include <stdint.h>
#include <stdlib.h>

#include "accord/base/error.h"

int ac_array_grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            return AC_ENOMEM;
        ncap *= 2;
    }
    if (elem && ncap > SIZE_MAX / elem)
        return AC_ENOMEM;
    void *p = realloc(*arr, ncap * elem);
    if (!p)
        return AC_ENOMEM;
    *arr = p;
    *cap = ncap;
    return 0;
}
