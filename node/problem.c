/* problem.c - the problem-type table and the reasons services give. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "accord/base/error.h"
#include "problem.h"

static const struct ac_problem_type types[AC_PROBLEM__COUNT] = {
    [AC_PROBLEM_NONE] = {"internal", 500, "Internal Server Error"},
#define AC_PROBLEM(name, slug, status, title) [AC_PROBLEM_##name] = {slug, status, title},
#include "problems.def"
#undef AC_PROBLEM
};

const struct ac_problem_type *ac_problem_type(enum ac_problem p)
{
    if ((int)p <= AC_PROBLEM_NONE || p >= AC_PROBLEM__COUNT)
        return &types[AC_PROBLEM_INTERNAL];
    return &types[p];
}

void ac_reason_release(struct ac_reason *r)
{
    if (!r)
        return;
    json_decref(r->extra);
    r->extra = NULL;
    r->problem = AC_PROBLEM_NONE;
    r->field[0] = r->detail[0] = '\0';
}

int ac_reason_fail(struct ac_reason *r, int err, enum ac_problem p, const char *field,
                   const char *fmt, ...)
{
    if (!r)
        return err;
    r->problem = p;
    snprintf(r->field, sizeof r->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->detail, sizeof r->detail, fmt, ap);
    va_end(ap);
    return err;
}

void ac_reason_extra(struct ac_reason *r, json_t *extra)
{
    if (!r) {
        json_decref(extra);
        return;
    }
    json_decref(r->extra);
    r->extra = extra;
}

enum ac_problem ac_problem_of_error(int err)
{
    switch (err) {
    case AC_ENOENT:
        return AC_PROBLEM_NOT_FOUND;
    case AC_EEXIST:
    case AC_ECONFLICT:
        return AC_PROBLEM_CONFLICT;
    case AC_EACCES:
        return AC_PROBLEM_FORBIDDEN;
    case AC_EINVAL:
        return AC_PROBLEM_INVALID_FIELD;
    case AC_EIO:
    case AC_EUNKNOWN: /* the database did not confirm a COMMIT */
        return AC_PROBLEM_STORAGE_UNAVAILABLE;
    case AC_EBUSY: /* the keyring is sealed for a rotation's fsyncs */
        return AC_PROBLEM_BUSY;
    default:
        return AC_PROBLEM_INTERNAL;
    }
}
