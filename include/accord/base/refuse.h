/* refuse.h - how a decoder refuses its input: it writes the reason for the
 * caller (naming the field, the value and the rule) and returns AC_EPARSE. */
#ifndef AC_REFUSE_H
#define AC_REFUSE_H

#include <stddef.h>

/* Formats the reason |fmt| into |why| (|n| bytes, truncated to fit; nothing
 * when |why| is NULL or |n| is 0). Returns AC_EPARSE, so a decoder can
 * `return ac_refuse(why, n, "...", ...);`. */
__attribute__((format(printf, 3, 4))) int ac_refuse(char *why, size_t n, const char *fmt, ...);

#endif
