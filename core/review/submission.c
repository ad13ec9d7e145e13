/* submission.c - the names of a submission's states (submission.h), as the
 * store keeps them and the API shows them. */
#include <stddef.h>

#include "accord/review/submission.h"

static const char *const state_names[] = {"received",  "flagged", "queued",   "in_review",
                                          "escalated", "decided", "notified", "rejected"};

const char *ac_sub_state_name(enum ac_sub_state s)
{
    return (unsigned)s < sizeof state_names / sizeof state_names[0] ? state_names[s] : NULL;
}
