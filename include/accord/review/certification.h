/* certification.h - the states of a reviewer's certification for one
 * credential, from application to the pool (grading one certification attempt
 * is certify.h); core/store keeps them (store/reviewer.h), node/lifecycle/
 * moves them. */
#ifndef AC_REVIEW_CERTIFICATION_H
#define AC_REVIEW_CERTIFICATION_H

enum ac_rcert_state {
    AC_RCERT_APPLIED,     /* waiting for an admin's screening (manual qualifications) */
    AC_RCERT_REJECTED,    /* failed screening; final */
    AC_RCERT_SCREENED,    /* eligible: general and credential modules next */
    AC_RCERT_TRAINED,     /* credential training module done: may attempt certification */
    AC_RCERT_CERTIFIED,   /* in the pool */
    AC_RCERT_FAILED,      /* every attempt used and failed */
    AC_RCERT_UNAVAILABLE, /* certified but taken out of the pool (monitoring) */
    AC_RCERT_RETRAINING,  /* must retake the training module and certification */
};
#define AC_RCERT_STATE_COUNT 8

/* Static name ("applied", ...) or NULL when out of range. */
const char *ac_rcert_state_name(enum ac_rcert_state s);

/* Parses a state name. Returns 0 and sets |*out|, or AC_EINVAL. */
int ac_rcert_state_parse(const char *name, enum ac_rcert_state *out);

#endif
