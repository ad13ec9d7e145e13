/* submission.h - the states of an earner's submission on its way through
 * review; core/store keeps submissions (store/submission.h), node/review/
 * moves them. */
#ifndef AC_REVIEW_SUBMISSION_H
#define AC_REVIEW_SUBMISSION_H

/* received -> flagged (near-duplicate) -> queued -> in_review -> decided ->
 * notified; escalated waits for an admin's final level; rejected ends a
 * flagged one the issuer upheld. */
enum ac_sub_state {
    AC_SUB_RECEIVED,
    AC_SUB_FLAGGED,
    AC_SUB_QUEUED,
    AC_SUB_IN_REVIEW,
    AC_SUB_ESCALATED,
    AC_SUB_DECIDED,
    AC_SUB_NOTIFIED,
    AC_SUB_REJECTED,
};

/* Static name of |s| ("received", ...), or NULL when out of range. */
const char *ac_sub_state_name(enum ac_sub_state s);

#endif
