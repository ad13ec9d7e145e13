/* store_analytics.h - read-only queries for the issuer's analytics over the
 * review lifecycle's tables (submissions, assignments; submission.h,
 * assignment.h) and the credential lifecycle's (credentials, reviewer
 * certifications; credential.h, reviewer.h).
 * Nothing here writes. Statements live in core/store_analytics.c. Not
 * thread-safe: use from the loop thread. */
#ifndef AC_STORE_ANALYTICS_H
#define AC_STORE_ANALYTICS_H

#include <stddef.h>
#include <stdint.h>

struct ac_store; /* store.h */

/* Counts for one credential (every version of definition id |def_id|). */
struct ac_analytics_volume {
    int64_t submissions;         /* all received */
    int64_t decided;             /* decided or notified */
    int64_t passed;              /* of those decided */
    int64_t escalated;           /* waiting for the issuer's final level */
    int64_t flagged;             /* near-duplicates waiting for the issuer */
    int64_t backlog;             /* received, flagged, queued, in review or escalated */
    double mean_decision_ms;     /* created to decided, over decided ones; 0 when none */
    int64_t median_decision_ms;  /* the median (even count: mean of the middle two); 0 when none */
    int64_t certified_reviewers; /* reviewers certified for any version */
    int64_t borrowed_reviewers;  /* of those, stand-ins for other nodes' reviewers */
    int64_t open_assignments;    /* pending, invited or accepted */
};

/* Fills |*out| for |def_id|. Returns 0 or AC_EDB. */
int ac_store_analytics_volume(struct ac_store *st, const char *def_id,
                              struct ac_analytics_volume *out);

/* One scored review of |def_id|. */
struct ac_analytics_review {
    int64_t assignment_id;
    int64_t reviewer_id;
    int64_t submission_id; /* 0 for a blind benchmark item */
    int level;             /* the reviewer's (combined) level index */
    int consensus;         /* the submission's decided level, or -1 */
    int benchmark;         /* the benchmark truth, or -1 */
    int64_t scored_ms;
    int64_t decided_ms; /* the submission's decision time, 0 when undecided or a benchmark */
};

/* Sets |*out| to a heap array (caller free()s) of every done review of
 * |def_id| with a level, ordered by scored time then id, and |*n| to its
 * length. Returns 0, AC_ENOMEM or AC_EDB. */
int ac_store_analytics_reviews(struct ac_store *st, const char *def_id,
                               struct ac_analytics_review **out, size_t *n);

/* A reviewer's load on one credential. */
struct ac_analytics_load {
    int64_t reviewer_id;
    int64_t open;     /* pending, invited or accepted assignments */
    int64_t done;     /* scored */
    int64_t declined; /* declined or expired */
};

/* Sets |*out| to a heap array (caller free()s) of the load of every reviewer
 * ever assigned work of |def_id|, by reviewer id, and |*n|. Returns 0,
 * AC_ENOMEM or AC_EDB. */
int ac_store_analytics_load(struct ac_store *st, const char *def_id, struct ac_analytics_load **out,
                            size_t *n);

#endif
