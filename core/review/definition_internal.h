/* definition_internal.h - names shared by the core/definition*.c files only. */
#ifndef AC_CORE_DEFINITION_INTERNAL_H
#define AC_CORE_DEFINITION_INTERNAL_H

#include "accord/review/definition.h"

/* Appends a problem at |path| with a printf-formatted message.
 * Returns 0 or AC_ENOMEM (|pr| unchanged). */
int ac__def_problem(struct ac_def_problems *pr, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ac_def_validate; with |after_read| the problems ac_def_from_json reports
 * itself (missing fields, bad values left NULL or at defaults) are not
 * repeated. Returns 0, AC_EINVAL or AC_ENOMEM. */
int ac__def_validate(const struct ac_definition *d, struct ac_def_problems *pr, bool after_read);

/* Is |s| 1..64 of [a-z0-9._-]? */
bool ac__def_valid_id(const char *s);

/* Enum <-> name tables used by both the reader and the writer; each is a
 * NULL-terminated array indexed by the enum value. */
extern const char *const ac__def_state_names[];
extern const char *const ac__def_kind_names[];
extern const char *const ac__def_grain_names[];
extern const char *const ac__def_combine_names[];
extern const char *const ac__def_mode_names[];
extern const char *const ac__def_agreement_names[];
extern const char *const ac__def_resolve_names[];
extern const char *const ac__def_rounding_names[];
extern const char *const ac__def_qual_names[];
extern const char *const ac__def_pass_names[];
extern const char *const ac__def_measure_names[];
extern const char *const ac__def_action_names[];

/* Number of entries before the NULL of a name table. */
size_t ac__def_names_count(const char *const *names);

#endif
