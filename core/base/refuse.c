/* refuse.c - the one way the decoders of core/sign, core/records and
 * core/trust refuse their input: the reason for the caller, the code
 * returned. */
#include <stdarg.h>
#include <stdio.h>

#include "accord/base/error.h"
#include "accord/base/refuse.h"

static void vwhy(char *why, size_t n, const char *fmt, va_list ap)
{
    if (why && n)
        vsnprintf(why, n, fmt, ap);
}

int ac_refuse(char *why, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwhy(why, n, fmt, ap);
    va_end(ap);
    return AC_EPARSE;
}

int ac_refuse_rc(int rc, char *why, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwhy(why, n, fmt, ap);
    va_end(ap);
    return rc;
}
