/* people.c - role names and the login-name rule of people.h. */
#include <string.h>

#include "accord/base/error.h"
#include "accord/review/people.h"

static const char *const role_names[AC_ROLE_COUNT] = {"admin", "expert", "reviewer", "earner",
                                                      "recognizer"};

const char *ac_role_name(unsigned role)
{
    for (int i = 0; i < AC_ROLE_COUNT; i++)
        if (role == (1u << i))
            return role_names[i];
    return NULL;
}

int ac_role_parse(const char *name, unsigned *role)
{
    for (int i = 0; i < AC_ROLE_COUNT; i++) {
        if (strcmp(name, role_names[i]) == 0) {
            *role = 1u << i;
            return 0;
        }
    }
    return AC_EINVAL;
}

int ac_user_name_check(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > AC_USER_NAME_MAX)
        return AC_EINVAL;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
            return AC_EINVAL;
    }
    return 0;
}
