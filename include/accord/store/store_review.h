/* store_review.h - TRANSITION: node/review/review.h still includes this
 * name; what it declared is now in submission.h, artifact.h, assignment.h,
 * job.h, notify.h and flag.h (all included by store.h for now). The lead
 * removes this file at merge, once node/ includes the headers it uses. */
#ifndef AC_STORE_REVIEW_H
#define AC_STORE_REVIEW_H

#include "accord/store/store.h"

#endif
