/* error.c - names for every AC_E* code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/base/log.h"

const char *ac_strerror(int code)
{
    switch (code) {
    case AC_OK:
        return "success";
    case AC_EPARSE:
        return "malformed input";
    case AC_ESCHEMA:
        return "database schema is from a newer version";
    case AC_ECRYPTO:
        return "signature or key check failed";
    case AC_EPROTO:
        return "protocol error";
    case AC_EDB:
        return "database error";
    case AC_ETLS:
        return "TLS error";
    case AC_ECONFLICT:
        return "conflicts with current state";
    case AC_EBUG:
        return "internal error";
    case AC_EUNKNOWN:
        return "outcome unknown (database lost during commit)";
    case AC_EBUSY:
        return "busy: the signing key is being rotated; try again shortly";
    default:
        break;
    }
    if (code < 0 && code > -1000)
        return strerror(-code);
    return "unknown error";
}

void ac__bug(const char *file, int line, const char *msg)
{
    ac_log_error("bug", "%s:%d: %s", file, line, msg);
    abort();
}
