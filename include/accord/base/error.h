/* error.h - the one error contract of every Accord library function.
 *
 * Functions return 0 or a negative AC_E* code. Codes that mirror errno equal
 * -errno, so libuv statuses pass through unchanged; Accord's own codes sit below
 * -1000. Codes from SQLite, nghttp2, OpenSSL and libcbor are translated once, at
 * the boundary that calls them. */
#ifndef AC_ERROR_H
#define AC_ERROR_H

#include <errno.h>

enum {
    AC_OK = 0,
    AC_ENOMEM = -ENOMEM,
    AC_EINVAL = -EINVAL,       /* bad argument or input that breaks a rule */
    AC_EIO = -EIO,             /* storage or file I/O failed */
    AC_ENOENT = -ENOENT,       /* no such thing */
    AC_EEXIST = -EEXIST,       /* already exists */
    AC_EACCES = -EACCES,       /* not allowed */
    AC_EAGAIN = -EAGAIN,       /* try again later */
    AC_ETIMEDOUT = -ETIMEDOUT, /* deadline passed */
    AC_ERANGE = -ERANGE,       /* value out of range */
    AC_E2BIG = -E2BIG,         /* input larger than a limit */
    AC_ECANCELED = -ECANCELED, /* operation cancelled (e.g. by close) */
    AC_ECONNREFUSED = -ECONNREFUSED,

    AC_EPARSE = -1001,    /* malformed input (JSON, CBOR, config, ...) */
    AC_ESCHEMA = -1002,   /* database schema from a newer version */
    AC_ECRYPTO = -1003,   /* signature or key failure */
    AC_EPROTO = -1004,    /* peer broke the protocol */
    AC_EDB = -1005,       /* database failure other than I/O */
    AC_ETLS = -1006,      /* TLS handshake or certificate failure */
    AC_ECONFLICT = -1007, /* the request conflicts with current state */
    AC_EBUG = -1008,      /* a broken internal invariant */
    AC_EUNKNOWN = -1009,  /* outcome unknown: the database went away during COMMIT */
    AC_EBUSY = -1010,     /* briefly unable (the signing key is being rotated): nothing was
                           * done, nothing failed; try again shortly. Unlike AC_EAGAIN it is
                           * no lost race: running the same thing again at once is no use. */
};

/* Returns a static, human-readable name for |code| (never NULL). */
const char *ac_strerror(int code);

/* Logs the broken invariant with its location and aborts. For conditions that
 * cannot happen unless the code itself is wrong. */
#define AC_BUG(msg) ac__bug(__FILE__, __LINE__, (msg))
_Noreturn void ac__bug(const char *file, int line, const char *msg);

#endif
