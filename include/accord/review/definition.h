/* definition.h - credential definitions: the model, JSON read/write, validation
 * that reports every problem with its JSON path, the content hash records bind
 * to, and the lifecycle transition check.
 *
 * The JSON schema, field by field with defaults, is in docs/definitions.md.
 * Plain data and pure functions: no I/O, safe to use from any thread as long as
 * one definition is not written by two threads at once. */
#ifndef AC_DEFINITION_H
#define AC_DEFINITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AC_DEF_MAX_LEVELS 16   /* a scoring scale has 2..16 levels */
#define AC_DEF_HASH_LEN 32     /* SHA-256 */
#define AC_DEF_HASH_HEX_LEN 71 /* "sha256:" + 64 hex digits */

enum ac_def_state {
    AC_DEF_DRAFT,
    AC_DEF_PILOTING,
    AC_DEF_BENCHMARKS,
    AC_DEF_TRAINING,
    AC_DEF_RECRUITING,
    AC_DEF_ACTIVE,
    AC_DEF_RETIRED,
};

enum ac_element_kind { AC_ELEMENT_TEXT, AC_ELEMENT_FILE, AC_ELEMENT_LINK, AC_ELEMENT_VIDEO };

enum ac_grain { AC_GRAIN_HOLISTIC, AC_GRAIN_PER_ELEMENT };

/* How per-element levels become one level (grain per_element only). */
enum ac_combine {
    AC_COMBINE_NONE,         /* holistic grain */
    AC_COMBINE_MEAN_CUT,     /* mean of element level indices; pass iff mean >= cut */
    AC_COMBINE_THRESHOLDS,   /* pass iff every element reaches its threshold level */
    AC_COMBINE_WEIGHTED_CUT, /* sum of weight x level index; pass iff sum >= cut */
};

enum ac_reviewer_mode { AC_MODE_MASTER, AC_MODE_ASSOCIATE };

/* When do the reviews of one submission agree? */
enum ac_agreement {
    AC_AGREE_EXACT,         /* every review gives the same level */
    AC_AGREE_PASS_BOUNDARY, /* every review is on the same side of the passing level */
    AC_AGREE_WITHIN,        /* highest and lowest level differ by at most k */
};

/* What settles a disagreement once max_reviewers have reviewed. */
enum ac_resolve {
    AC_RESOLVE_MAJORITY, /* a level chosen by more than half, else escalate */
    AC_RESOLVE_MEDIAN,   /* the median level, rounded per ac_rounding */
    AC_RESOLVE_ESCALATE, /* always the issuer */
};

/* Median of an even count of levels: the two middle levels a <= b; "lower"
 * takes a, "higher" takes b. Never an average between levels. */
enum ac_rounding { AC_ROUND_LOWER, AC_ROUND_HIGHER };

enum ac_qual_kind {
    AC_QUAL_HOLDS_CREDENTIAL, /* holds credential |value|: the node checks it */
    AC_QUAL_DOMAIN,           /* expertise in domain |value|: manual check */
    AC_QUAL_MANUAL,           /* any other credential, described by |value|: manual */
};

/* A reviewer-certification pass criterion; a pass rule is a list of them, all
 * of which must hold. |min| is unused by the two all-or-nothing kinds. */
enum ac_pass_kind {
    AC_PASS_EXACT_RATE,      /* share of items scored exactly >= min */
    AC_PASS_ADJACENT_RATE,   /* share within one level >= min */
    AC_PASS_NO_BEYOND_ONE,   /* no item off by more than one level */
    AC_PASS_BOUNDARY_EXACT,  /* every item on the right side of the pass boundary */
    AC_PASS_QUADRATIC_KAPPA, /* quadratic weighted kappa >= min */
};

enum ac_measure {
    AC_MEASURE_BENCHMARK_AGREEMENT, /* reviewer vs benchmark truths; bound is a minimum */
    AC_MEASURE_CONSENSUS_AGREEMENT, /* reviewer vs consensus; bound is a minimum */
    AC_MEASURE_SEVERITY,            /* |standardised severity|; bound is a maximum */
    AC_MEASURE_DISCREPANCY_RATE,    /* per credential; bound is a maximum */
};

enum {
    AC_ACTION_NOTIFY = 1 << 0,
    AC_ACTION_UNAVAILABLE = 1 << 1,
    AC_ACTION_RETRAIN = 1 << 2,
};

struct ac_def_element {
    char *id;
    char *prompt;
    enum ac_element_kind kind;
    bool required;
    double weight;    /* > 0; used by AC_COMBINE_WEIGHTED_CUT only (else 1) */
    size_t threshold; /* level index; used by AC_COMBINE_THRESHOLDS only (else passing) */
};

struct ac_def_qualification {
    enum ac_qual_kind kind;
    char *value; /* credential id, domain, or description */
};

struct ac_pass_criterion {
    enum ac_pass_kind kind;
    double min;
};

struct ac_def_threshold {
    enum ac_measure measure;
    double bound;
    unsigned actions; /* AC_ACTION_* bits, at least one */
};

struct ac_definition {
    char *id;        /* [a-z0-9._-], 1..64 chars */
    int64_t version; /* >= 1 */
    char *title;
    enum ac_def_state state; /* not covered by the content hash */
    char *competency;
    char *key_method;
    char *method_components;
    char **research; /* research and resources: citations or links */
    size_t n_research;

    struct ac_def_element *elements; /* >= 1, ids unique */
    size_t n_elements;
    bool collaboration;
    long individual_element; /* element index required of each team member, or -1 */

    char **levels; /* lowest first; 2..AC_DEF_MAX_LEVELS, unique */
    size_t n_levels;
    size_t passing_level; /* index of the lowest passing level, >= 1 */
    enum ac_grain grain;
    enum ac_combine combine;
    double cut; /* AC_COMBINE_MEAN_CUT / _WEIGHTED_CUT, in level-index units */

    char **domains;
    size_t n_domains;
    double ceus;
    char **stacks;
    size_t n_stacks;

    struct ac_def_qualification *quals;
    size_t n_quals;
    enum ac_reviewer_mode mode;
    unsigned per_submission; /* 1 for master, >= 2 for associate */
    enum ac_agreement agreement;
    unsigned agreement_k; /* AC_AGREE_WITHIN only */
    struct {
        unsigned add_per_round; /* reviewers added per disagreement round */
        unsigned max_reviewers; /* >= per_submission */
        enum ac_resolve then;
        enum ac_rounding rounding;
    } disagreement;

    struct {
        unsigned batch_size;
        unsigned batch_timer_hours;
        unsigned deadline_days;
        unsigned *reminders_hours_before; /* strictly decreasing, each < deadline */
        size_t n_reminders;
        unsigned cool_off_hours;
        unsigned resubmission_wait_days;
    } review;

    struct {
        unsigned examples_per_level;         /* default 3 */
        unsigned attempts;                   /* default 3 */
        unsigned sample_per_level;           /* default 5 */
        unsigned wait_days;                  /* between attempts, default 7 */
        struct ac_pass_criterion *pass_rule; /* >= 1 */
        size_t n_pass_rule;
    } training;

    struct {
        double benchmark_seed_rate; /* share of batch slots given to blind benchmarks */
        double second_master_rate;  /* master mode only */
        unsigned min_sample;        /* reviews before a reviewer is judged */
        struct ac_def_threshold *thresholds;
        size_t n_thresholds;
    } maintenance;

    struct {
        unsigned submissions_per_period;
        unsigned assignments_per_reviewer; /* given per reviewer per period */
        unsigned period_days;
        unsigned open_assignments_max; /* open at once per reviewer; 0: the batch size */
    } pool;

    struct {
        char *impact, *equity, *access, *language, *big_picture;
    } audit; /* each NULL or non-empty; all five required once past draft */

    /* What earners, reviewers and trainees are shown of the rubric: */
    char **descriptors;     /* scoring.descriptors: what each level looks like, parallel
                             * to |levels| (NULL when not given) */
    char **checklist;       /* submission.checklist: requirements to check before submitting */
    size_t n_checklist;
    char **common_errors;   /* submission.common_errors: mistakes often seen */
    size_t n_common_errors;
    unsigned appeal_window_days; /* review.appeal_window_days: 0 = no appeals */
};

/* One problem found in a definition: |path| is the JSON path ("scoring.levels[2]",
 * "$" for the document), |message| names the value and the rule it broke. */
struct ac_def_problem {
    char *path;
    char *message;
};

struct ac_def_problems {
    struct ac_def_problem *items;
    size_t n;
    size_t cap;
};

/* Frees the entries of |pr| and leaves it empty; NULL is a no-op. */
void ac_def_problems_release(struct ac_def_problems *pr);

/* Sets |*out| to a JSON array [{"path":..,"message":..}, ...] (NUL-terminated,
 * caller frees with free()) for a problem+json "errors" member.
 * Returns 0 or AC_ENOMEM. */
int ac_def_problems_to_json(const struct ac_def_problems *pr, char **out);

/* Parses and validates the JSON text |json| of |len| bytes.
 * On 0 sets |*out| to a new definition the caller frees with ac_def_free().
 * On AC_EPARSE (not JSON, or not valid UTF-8) or AC_EINVAL (breaks the schema
 * or a rule) appends every problem found to |problems| (which must be empty or
 * initialised to zeros; the caller releases it). Returns 0, AC_EPARSE,
 * AC_EINVAL or AC_ENOMEM. */
int ac_def_from_json(const char *json, size_t len, struct ac_definition **out,
                     struct ac_def_problems *problems);

/* Checks the cross-field rules of a definition built or edited in code (the
 * same rules ac_def_from_json applies after parsing). Appends every problem to
 * |problems|. Returns 0 when there were none, AC_EINVAL, or AC_ENOMEM. */
int ac_def_validate(const struct ac_definition *d, struct ac_def_problems *problems);

/* Serialises |d| with every field explicit (defaults written out).
 * |canonical| selects the hash encoding: keys sorted, no whitespace, reals with
 * 15 significant digits, and no "state". Otherwise indented, sorted keys, with
 * state. Sets |*out| to a NUL-terminated string the caller frees with free().
 * Returns 0, AC_EINVAL (|d| has an out-of-range enum or index) or AC_ENOMEM. */
int ac_def_to_json(const struct ac_definition *d, bool canonical, char **out);

/* SHA-256 of the canonical encoding (see ac_def_to_json and docs/definitions.md).
 * Stable under key order, whitespace, and defaults written or omitted; changed
 * by any field but "state". Returns 0, AC_EINVAL or AC_ENOMEM. */
int ac_def_hash(const struct ac_definition *d, uint8_t out[AC_DEF_HASH_LEN]);

/* Writes "sha256:<64 lowercase hex>" and a NUL into |out|.
 * Returns 0, AC_EINVAL or AC_ENOMEM. */
int ac_def_hash_hex(const struct ac_definition *d, char out[AC_DEF_HASH_HEX_LEN + 1]);

/* Frees |d| and everything it owns; NULL is a no-op. */
void ac_def_free(struct ac_definition *d);

/* Index of level |name| in |d|'s scale, or -1. */
long ac_def_level_index(const struct ac_definition *d, const char *name);

/* Screens a reviewer applicant against |d|'s qualifications: each
 * holds_credential qualification is met when its credential id is among
 * |held[0..n_held)| (borrowed; the credentials the node knows the applicant
 * holds); domain_expertise and manual ones need a person. Sets |*unmet| to the
 * number of holds_credential qualifications not met (the first one's id in
 * |*first_unmet|, borrowed from |d|, else NULL) and |*manual| to the number
 * left for a person to check. The applicant passes the automatic screen when
 * |*unmet| is 0. */
void ac_def_screen(const struct ac_definition *d, const char *const *held, size_t n_held,
                   size_t *unmet, const char **first_unmet, size_t *manual);

/* Static names: "draft", "piloting", ... ; NULL when out of range. */
const char *ac_def_state_name(enum ac_def_state s);

/* Sets |*out| from a state name. Returns 0 or AC_EINVAL. */
int ac_def_state_parse(const char *name, enum ac_def_state *out);

/* Is moving a definition from |from| to |to| allowed? The lifecycle is
 *   draft -> piloting -> benchmarks -> training -> recruiting -> active -> retired
 * plus piloting -> draft (pilot agreement below the issuer's threshold) and
 * benchmarks -> draft (experts cannot agree: back to Step 1); any state but
 * retired may go to retired; retired is final. The evidence for a step (pilot
 * agreement, ac_bench_sufficiency, ac_pool_activation) is the caller's to check.
 * Returns 0 or AC_ECONFLICT, writing the reason (NUL-terminated, truncated to
 * |why_len|) into |why| when it is not NULL. */
int ac_def_transition_check(enum ac_def_state from, enum ac_def_state to, char *why,
                            size_t why_len);

#endif
