/* monitor.h - implicit maintenance of a reviewer pool: each reviewer's agreement
 * with consensus and with blind-seeded benchmark truths, severity (mean signed
 * deviation standardised against the pool), a falling trend, and each
 * credential's discrepancy rate; thresholds turn these into actions for the
 * issuer. Pure computation over review records the caller loads: no I/O. */
#ifndef AC_MONITOR_H
#define AC_MONITOR_H

#include <stddef.h>
#include <stdint.h>

/* The maintenance parameters of a credential definition map onto this. A
 * threshold of 0 disables its check. */
struct ac_monitor_thresholds {
    unsigned min_sample;            /* reviews with a reference before a reviewer is judged */
    double min_consensus_agreement; /* exact agreement with consensus below this -> act */
    double min_benchmark_agreement; /* exact agreement with benchmark truths below this -> act */
    double max_severity_z;          /* |z| of the mean signed deviation above this -> act */
    unsigned trend_window;          /* the latest N reviews are compared with the earlier ones */
    double max_trend_drop;          /* earlier agreement - recent agreement above this -> act */
    unsigned discrepancy_levels;    /* a review more than this many levels off is a discrepancy */
    double max_discrepancy_rate;    /* per credential, above this (after min_sample) -> notify */
    int set_unavailable;            /* a reviewer crossing a threshold is also set unavailable */
    int require_retraining;         /* ... and must retrain before reviewing again */
};

/* One completed review. Levels are indexes on the credential's scale; a
 * reference is the benchmark truth when the item was a seeded benchmark, else
 * the submission's consensus (the decided level). */
struct ac_monitor_review {
    uint32_t reviewer;
    uint32_t credential;
    uint64_t seq;  /* time order (e.g. completion ms); ties keep input order */
    int level;     /* the reviewer's level */
    int consensus; /* the submission's consensus level, or -1 when none yet */
    int benchmark; /* the expert truth of a seeded benchmark item, or -1 */
};

struct ac_monitor_reviewer {
    uint32_t reviewer;
    size_t reviews; /* reviews with a reference */
    size_t consensus_n, consensus_agree;
    size_t benchmark_n, benchmark_agree;
    double mean_deviation; /* mean of (level - reference): > 0 lenient, < 0 severe */
    int judged;            /* reviews >= min_sample */
    int severity_valid;    /* judged, and the pool has two or more judged reviewers with spread */
    double severity_z;     /* (mean_deviation - pool mean) / pool SD, when severity_valid */
    int trend_valid;       /* judged, and at least trend_window reviews precede the window */
    double trend_drop;     /* agreement before the window minus agreement within it */
};

struct ac_monitor_credential {
    uint32_t credential;
    size_t reviews;       /* reviews with a reference */
    size_t discrepancies; /* reviews more than discrepancy_levels off their reference */
    double rate;          /* discrepancies / reviews (0 when no reviews) */
};

enum ac_monitor_action_kind {
    AC_MONITOR_NOTIFY_ISSUER,
    AC_MONITOR_SET_UNAVAILABLE,
    AC_MONITOR_REQUIRE_RETRAINING,
};

struct ac_monitor_action {
    enum ac_monitor_action_kind kind;
    int about_credential; /* 0: about |reviewer|; 1: about |credential| as a whole */
    uint32_t reviewer;
    uint32_t credential;
    char reason[320]; /* every threshold crossed, with the numbers */
};

struct ac_monitor_report {
    struct ac_monitor_reviewer *reviewers; /* by ascending reviewer id */
    size_t n_reviewers;
    struct ac_monitor_credential *credentials; /* by ascending credential id */
    size_t n_credentials;
    struct ac_monitor_action *actions; /* reviewers first (ascending id), then credentials */
    size_t n_actions;
};

/* Evaluates |n| reviews (borrowed) against |t|. Severity is standardised with
 * the population standard deviation over judged reviewers, so with a pool of p
 * reviewers no |z| can exceed (p-1)/sqrt(p): small pools need small thresholds.
 * Sets |*out| to a report the caller frees with ac_monitor_report_free().
 * Returns 0, AC_EINVAL (NULL |t|, or NULL |reviews| with n > 0) or AC_ENOMEM. */
int ac_monitor_evaluate(const struct ac_monitor_review *reviews, size_t n,
                        const struct ac_monitor_thresholds *t, struct ac_monitor_report **out);

/* Frees |r|; NULL is a no-op. */
void ac_monitor_report_free(struct ac_monitor_report *r);

/* Static name of |kind|: "notify_issuer", "set_unavailable", "require_retraining". */
const char *ac_monitor_action_name(enum ac_monitor_action_kind kind);

#endif
