/* problem.h - why an operation was refused, in words a person can act on: the
 * problem type (one of node/problems.def), the field it concerns and a detail
 * naming the value and the rule it broke.
 *
 * Services fill a struct ac_reason beside their AC_E* return code; handlers
 * hand both to ac__respond_failure() (node/http/problem.c), the one place a
 * problem becomes an HTTP status. A federation receiver turns the same reason
 * into its signed answer. */
#ifndef AC_NODE_PROBLEM_H
#define AC_NODE_PROBLEM_H

#include <stddef.h>

#include <jansson.h>

enum ac_problem {
    AC_PROBLEM_NONE = 0, /* not set: the AC_E* code alone decides */
#define AC_PROBLEM(name, slug, status, title) AC_PROBLEM_##name,
#include "problems.def"
#undef AC_PROBLEM
    AC_PROBLEM__COUNT
};

struct ac_problem_type {
    const char *slug; /* the last segment of the type URI */
    int status;       /* the HTTP status it is answered with */
    const char *title;
};

/* Returns the table entry of |p|; AC_PROBLEM_NONE and out-of-range values
 * return the entry of AC_PROBLEM_INTERNAL. */
const struct ac_problem_type *ac_problem_type(enum ac_problem p);

#define AC_REASON_FIELD_MAX 96
#define AC_REASON_DETAIL_MAX 768

struct ac_reason {
    enum ac_problem problem;
    char field[AC_REASON_FIELD_MAX];   /* "" when no one field is at fault */
    char detail[AC_REASON_DETAIL_MAX]; /* "" when the code says enough */
    json_t *extra;                     /* owned; members merged into the problem body, or NULL */
};

/* An empty reason; release it with ac_reason_release(). */
#define AC_REASON_INIT                                                                             \
    {                                                                                              \
        AC_PROBLEM_NONE, "", "", NULL                                                              \
    }

/* Drops |r|->extra and empties |r|. */
void ac_reason_release(struct ac_reason *r);

/* Sets |r| (may be NULL: then nothing happens) to problem |p| about |field|
 * (may be NULL) with the printf-formatted detail, and returns |err|, so a
 * service can write `return ac_reason_fail(why, AC_ECONFLICT, ...);`. */
int ac_reason_fail(struct ac_reason *r, int err, enum ac_problem p, const char *field,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Sets |r|->extra (takes ownership of |extra|; drops any earlier one). */
void ac_reason_extra(struct ac_reason *r, json_t *extra);

/* The problem an AC_E* code means when no service named one: AC_ENOENT
 * not-found, AC_EEXIST conflict, AC_ECONFLICT conflict, AC_EACCES forbidden,
 * AC_EINVAL invalid-field, AC_EIO storage-unavailable, anything else internal. */
enum ac_problem ac_problem_of_error(int err);

#endif
