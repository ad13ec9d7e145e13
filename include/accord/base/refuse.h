/* refuse.h - how a decoder refuses its input: it writes the reason for the
 * caller (naming the field, the value and the rule) and returns the code,
 * AC_EPARSE for malformed input. */
#ifndef AC_REFUSE_H
#define AC_REFUSE_H

#include <stddef.h>

/* Formats the reason |fmt| into |why| (|n| bytes, truncated to fit; nothing
 * when |why| is NULL or |n| is 0). Returns AC_EPARSE, so a decoder can
 * `return ac_refuse(why, n, "...", ...);`. */
__attribute__((format(printf, 3, 4))) int ac_refuse(char *why, size_t n, const char *fmt, ...);

/* As ac_refuse(), but returns |rc| (AC_EINVAL, AC_ECRYPTO, ...). */
__attribute__((format(printf, 4, 5))) int ac_refuse_rc(int rc, char *why, size_t n, const char *fmt,
                                                       ...);

#endif
