/* problem.c - the one adapter from a refused operation to an HTTP answer: a
 * problem type of node/problems.def (or an AC_E* code alone) becomes an RFC
 * 9457 application/problem+json body with the type's status. Codes keep their
 * meaning here: AC_EIO is 503 and never 404, whatever the operation was. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/base/log.h"
#include "internal.h"

static void send_problem(struct ac_http_exchange *x, enum ac_problem p, const char *field,
                         const json_t *extra, const char *detail)
{
    const struct ac_problem_type *t = ac_problem_type(p);
    ac_http_respond_problem_extra(x, t->status, t->slug, t->title, field, extra, detail);
}

int ac__problem(struct ac_http_exchange *x, enum ac_problem p, const char *field,
                const json_t *extra, const char *fmt, ...)
{
    char detail[AC_REASON_DETAIL_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    send_problem(x, p, field, extra, detail);
    return -1;
}

void ac__respond_failure(struct ac_http_exchange *x, int err, const struct ac_reason *r,
                         const char *what)
{
    if (r && r->problem != AC_PROBLEM_NONE) {
        send_problem(x, r->problem, r->field, r->extra,
                     r->detail[0] ? r->detail : ac_strerror(err));
        return;
    }
    enum ac_problem p = ac_problem_of_error(err);
    switch (p) {
    case AC_PROBLEM_NOT_FOUND:
        ac__problem(x, p, NULL, NULL, "%s does not exist", what);
        return;
    case AC_PROBLEM_CONFLICT:
        ac__problem(x, p, NULL, NULL, "%s %s", what,
                    err == AC_EEXIST ? "already exists" : "conflicts with its current state");
        return;
    case AC_PROBLEM_STORAGE_UNAVAILABLE:
        if (err == AC_EUNKNOWN)
            ac__problem(x, p, NULL, NULL,
                        "%s: the database did not confirm the write (it may have been applied; "
                        "check before trying again)",
                        what);
        else
            ac__problem(x, p, NULL, NULL, "%s: storage I/O failed; try again", what);
        return;
    case AC_PROBLEM_BUSY: {
        /* Not a failure (nothing is logged): the keyring is sealed for the
         * few fsyncs of a key rotation's files. */
        json_t *extra = json_pack("{s:i}", "retry_after_seconds", 1);
        ac__problem(x, p, NULL, extra, "%s: %s", what, ac_strerror(err));
        json_decref(extra);
        return;
    }
    case AC_PROBLEM_INTERNAL:
        ac_log_error("api", "%s: %s", what, ac_strerror(err));
        /* fall through */
    default:
        ac__problem(x, p, NULL, NULL, "%s: %s", what, ac_strerror(err));
        return;
    }
}

void ac__respond_error(struct ac_http_exchange *x, int err, const char *what)
{
    ac__respond_failure(x, err, NULL, what);
}
