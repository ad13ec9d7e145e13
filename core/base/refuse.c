/* refuse.c - the one way the decoders of core/sign and core/records refuse
 * their input: the reason for the caller, AC_EPARSE returned. */
#include <stdarg.h>
#include <stdio.h>

#include "accord/base/error.h"
#include "accord/base/refuse.h"

int ac_refuse(char *why, size_t n, const char *fmt, ...)
{
    if (why && n) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, n, fmt, ap);
        va_end(ap);
    }
    return AC_EPARSE;
}
