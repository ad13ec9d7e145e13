/* people.h - the people of a node: a user account and the roles it holds
 * (admin, expert, reviewer, earner, recognizer), and the rule for login
 * names. Roles decide who defines, pilots, reviews, earns and recognizes
 * credentials, so they belong to the review domain; core/store keeps users
 * (store/user.h) and node/ checks roles. */
#ifndef AC_REVIEW_PEOPLE_H
#define AC_REVIEW_PEOPLE_H

#include <stdint.h>

/* Roles are a bit set: a user may hold several. */
enum ac_role {
    AC_ROLE_ADMIN = 1 << 0,
    AC_ROLE_EXPERT = 1 << 1,
    AC_ROLE_REVIEWER = 1 << 2,
    AC_ROLE_EARNER = 1 << 3,
    AC_ROLE_RECOGNIZER = 1 << 4,
};
#define AC_ROLE_ALL 0x1fu
#define AC_ROLE_COUNT 5

/* Returns the lowercase name of the single role |role| ("admin", ...), or NULL. */
const char *ac_role_name(unsigned role);

/* Parses a role name. Returns 0 and sets |*role|, or AC_EINVAL. */
int ac_role_parse(const char *name, unsigned *role);

#define AC_USER_NAME_MAX 64     /* login names: 1-64 of [a-z0-9._-], starting alnum */
#define AC_USER_DISPLAY_MAX 128 /* bytes of UTF-8 */

struct ac_user {
    int64_t id;
    char name[AC_USER_NAME_MAX + 1];
    char display_name[AC_USER_DISPLAY_MAX + 1];
    unsigned roles; /* AC_ROLE_* bits */
    int64_t created_ms;
    int64_t disabled_ms; /* 0 while enabled */
};

/* Checks a login name against the rule above. Returns 0 or AC_EINVAL. */
int ac_user_name_check(const char *name);

#endif
