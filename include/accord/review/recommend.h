/* recommend.h - what to earn next, offered to an earner after a pass: the next
 * credential in each stack they are climbing, credentials co-earned by others
 * who earned what they hold (ranked by count, then lift), and credentials
 * sharing competency or domain tags. Pure computation over a catalog snapshot
 * the caller loads: no I/O. */
#ifndef AC_RECOMMEND_H
#define AC_RECOMMEND_H

#include <stddef.h>

struct ac_rec_credential {
    const char *id;
    const char *const *tags; /* competencies and domains, compared exactly */
    size_t n_tags;
    int inactive; /* not active (a draft in authoring, piloting, retired...): never
                   * recommended, though it still counts as held and in stacks */
};

struct ac_rec_stack {
    const char *id;
    const char *const *members; /* credential ids in the stack's order */
    size_t n_members;
};

/* One earned credential of one earner (duplicates are harmless). */
struct ac_rec_earned {
    const char *earner;
    const char *credential;
};

/* Everything borrowed; ids must be unique among credentials. */
struct ac_rec_catalog {
    const struct ac_rec_credential *credentials;
    size_t n_credentials;
    const struct ac_rec_stack *stacks;
    size_t n_stacks;
    const struct ac_rec_earned *earned;
    size_t n_earned;
};

struct ac_rec_params {
    size_t max;              /* at most this many recommendations (0 = no limit) */
    unsigned min_co_earners; /* co-earned needs at least this many shared earners (min 1) */
};

enum ac_rec_reason {
    AC_REC_NEXT_IN_STACK, /* |because| is the stack id; |score| the 1-based position */
    AC_REC_CO_EARNED,     /* |because| the held credential most earned with it; |score| the
                           * number of earners of a held credential who also earned it */
    AC_REC_SHARED_TAGS,   /* |because| the held credential sharing most tags; |score| the
                           * number of its tags found among the held credentials' tags */
};

struct ac_recommendation {
    const char *credential; /* borrowed from the catalog */
    enum ac_rec_reason reason;
    const char *because; /* borrowed from the catalog */
    double score;
    double lift; /* co-earned only: P(it | earned a held one) / P(it); else 0 */
};

/* Recommends for an earner holding |held| (|n_held| credential ids, borrowed),
 * never a held, inactive or unknown credential, each credential once under its
 * first reason in this order: next in stack (stacks in catalog order), co-earned
 * (count, then lift, descending; then id), shared tags (count descending, then
 * id). The same inputs in any order give the same list.
 * Sets |*out| to an array of |*n_out| entries the caller frees with free() (NULL
 * when empty). Returns 0, AC_EINVAL or AC_ENOMEM. */
int ac_recommend(const struct ac_rec_catalog *c, const char *const *held, size_t n_held,
                 const struct ac_rec_params *p, struct ac_recommendation **out, size_t *n_out);

/* Static name of |reason|: "next_in_stack", "co_earned", "shared_tags". */
const char *ac_recommend_reason_name(enum ac_rec_reason reason);

#endif
