/* certification.c - the names of a reviewer's certification states
 * (certification.h), as the store keeps them and the API shows them. */
#include <string.h>

#include "accord/base/error.h"
#include "accord/review/certification.h"

static const char *const rcert_names[AC_RCERT_STATE_COUNT] = {
    "applied",   "rejected", "screened",    "trained",
    "certified", "failed",   "unavailable", "retraining"};

const char *ac_rcert_state_name(enum ac_rcert_state s)
{
    return (unsigned)s < AC_RCERT_STATE_COUNT ? rcert_names[s] : NULL;
}

int ac_rcert_state_parse(const char *name, enum ac_rcert_state *out)
{
    for (int i = 0; name && i < AC_RCERT_STATE_COUNT; i++) {
        if (strcmp(name, rcert_names[i]) == 0) {
            *out = (enum ac_rcert_state)i;
            return 0;
        }
    }
    return AC_EINVAL;
}
