/* review_internal.h - helpers the review-lifecycle store files
 * (store_submission.c, store_assignment.c, store_artifact.c, store_job.c,
 * store_notify.c, store_flag.c) share and nothing else uses. */
#ifndef AC_CORE_REVIEW_INTERNAL_H
#define AC_CORE_REVIEW_INTERNAL_H

#include <stddef.h>

#include "db.h"

#include "internal.h"

/* Returns 0 when a unit of work is open on |st|, else AC_EBUG: a write step
 * outside one would commit on its own and break "one event, one transaction". */
int ac__review_in_tx(struct ac_store *st);

/* Like ac__store_done (internal.h), and AC_ENOENT when no row changed. */
int ac__review_step_changed(struct ac_store *st, struct ac_db_stmt *s);

#endif
