/* review_state.h - the review lifecycle's per-node runtime state, shared by
 * scheduler.c (which owns it) and notify.c. */
#ifndef AC_NODE_REVIEW_STATE_H
#define AC_NODE_REVIEW_STATE_H

#include <uv.h>

#include "internal.h"

struct ac__delivery;

struct ac__review {
    uv_timer_t timer;          /* first: the scheduler's poll */
    struct ac_node *node;      /* borrowed */
    struct ac__delivery *busy; /* the one delivery in flight, or NULL */
    int closing;               /* the timer is being closed */
    int closed;                /* ... and is closed: the last one out frees this */
};

#endif
