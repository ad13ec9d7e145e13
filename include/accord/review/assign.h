/* assign.h - assignment of queued submissions to reviewers, second-master duplicate
 * checks, batching with blind benchmark seeding, and the random source they share.
 *
 * Pure computation over plain structs: no storage, no I/O. The caller interns
 * credential, domain, school and district names as small integers and keeps the
 * arrays alive for the duration of each call. Not thread-safe per object; separate
 * results may be computed on separate threads. Design: docs/assignment.md. */
#ifndef AC_ASSIGN_H
#define AC_ASSIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Random source ------------------------------------------------------ */

/* Either a seeded xoshiro256** stream (reproducible, for tests) or libsodium's
 * randombytes (production). Embedded by value; no release needed. */
struct ac_assign_rng {
    uint64_t s[4]; /* xoshiro256** state; unused when |sodium| */
    bool sodium;
};

/* Seeds |rng| deterministically from |seed| (state expanded with splitmix64). */
void ac_assign_rng_seed(struct ac_assign_rng *rng, uint64_t seed);

/* Makes |rng| draw from libsodium (calls sodium_init()).
 * Returns 0, or AC_ECRYPTO when libsodium cannot initialise. */
int ac_assign_rng_sodium(struct ac_assign_rng *rng);

/* Returns a uniform integer in [0, upper); 0 when |upper| is 0. Unbiased. */
uint32_t ac_assign_rng_below(struct ac_assign_rng *rng, uint32_t upper);

/* Returns true with probability |p| (p <= 0 never, p >= 1 always), to 1/2^32. */
bool ac_assign_rng_chance(struct ac_assign_rng *rng, double p);

/* ---- Assignment ---------------------------------------------------------- */

/* Domain value of a submission that accepts a reviewer of any domain. */
#define AC_ASSIGN_ANY_DOMAIN 0u

/* A queued submission that still needs |need| more reviews. Borrowed arrays. */
struct ac_assign_submission {
    uint64_t id;         /* unique among the submissions */
    uint32_t credential; /* interned credential (version) id */
    uint32_t domain;     /* AC_ASSIGN_ANY_DOMAIN or a required domain */
    uint32_t school;     /* the earner's school */
    uint32_t district;   /* the earner's district */
    uint64_t earner;
    const uint64_t *previous_reviewers; /* reviewer ids of the earner's previous attempt */
    size_t n_previous_reviewers;
    const uint64_t *assigned_reviewers; /* reviewer ids already on this submission */
    size_t n_assigned_reviewers;
    uint32_t need; /* reviews still to assign, k */
};

/* A reviewer in the pool. Borrowed arrays. */
struct ac_assign_reviewer {
    uint64_t id;                 /* unique among the reviewers */
    const uint32_t *credentials; /* credentials the reviewer is certified for */
    size_t n_credentials;
    const uint32_t *domains; /* domains of expertise */
    size_t n_domains;
    uint32_t school;
    uint32_t district;
    bool available; /* false: on cool-off, busy or suspended */
    uint32_t load;  /* open assignments now */
    uint32_t cap;   /* most open assignments allowed */
};

/* The issuer's per-credential rules this module needs. A credential not listed
 * gets all-false/zero rules. */
struct ac_assign_credential {
    uint32_t id;
    bool forbid_previous_reviewer; /* a reviewer of the earner's previous attempt is conflicted */
    double second_master_rate;     /* master mode: share also sent to a second master; else 0 */
};

struct ac_assign_problem {
    const struct ac_assign_submission *submissions;
    size_t n_submissions;
    const struct ac_assign_reviewer *reviewers;
    size_t n_reviewers;
    const struct ac_assign_credential *credentials;
    size_t n_credentials;
};

/* One review slot: indexes into the problem's arrays. */
struct ac_assignment {
    size_t submission;
    size_t reviewer;
    bool second_master; /* a blind duplicate check, see ac_assign_second_master() */
};

/* Why a submission did not get all the reviews it needs. */
enum ac_assign_reason {
    AC_ASSIGN_NO_QUALIFIED = 1, /* fewer available reviewers certified for the credential
                                 * (with the domain asked) than reviews needed; 0 included */
    AC_ASSIGN_ALL_CONFLICTED,   /* enough qualified, but too few free of conflicts */
    AC_ASSIGN_CAPACITY,         /* enough unconflicted reviewers, but their caps are used up */
};

struct ac_assign_unassigned {
    size_t submission; /* index into the problem's submissions */
    uint32_t missing;  /* reviews it still lacks after this run */
    enum ac_assign_reason reason;
};

struct ac_assign_result {
    struct ac_assignment *assignments; /* grouped by submission */
    size_t n_assignments;
    struct ac_assign_unassigned *unassigned; /* ascending submission index */
    size_t n_unassigned;
    uint32_t *added; /* per reviewer: assignments added by this result */
    bool *eligible;  /* per reviewer: counted in |load_spread| */
    size_t n_reviewers;
    size_t n_eligible;              /* reviewers counted in |load_spread| */
    uint32_t load_spread;           /* see ac_assign_spread() */
    size_t n_repaired;              /* slots placed by the repair pass rather than the flow plan */
    size_t n_second_master_skipped; /* duplicate checks drawn but with no eligible master */
    /* Per submission, after ac_assign_second_master(): drawn for a duplicate
     * check (placed or skipped), so a caller can keep the draw for a later
     * run; NULL before. */
    bool *second_master_drawn;
};

/* Assigns reviewers to every submission's missing reviews, meeting every hard
 * constraint (see ac_assign_allowed()) and spreading total load (load + added)
 * as evenly as the constraints allow: the plan minimises the sum of squared loads
 * over a class graph (docs/assignment.md). Sets |*out| to a new result the caller
 * frees with ac_assign_result_free(); borrows |p|. Returns 0, AC_ENOMEM, or
 * AC_EINVAL (logged, naming the field) for duplicate submission or reviewer ids,
 * NULL arrays with non-zero counts, a load above its cap, a need above 65535, or
 * more than 2^30 reviews needed in all. */
int ac_assign_run(const struct ac_assign_problem *p, struct ac_assign_result **out);

/* Frees |r|; NULL is a no-op. */
void ac_assign_result_free(struct ac_assign_result *r);

/* True when reviewer |r| may review submission |s| as far as the inputs say:
 * available, certified for the credential, domain matches (if one is asked), not
 * the earner's school or district, not already on the submission, and not a
 * previous-attempt reviewer where the credential forbids it. Ignores capacity and
 * the reviewers added by a result. Indexes must be in range. */
bool ac_assign_allowed(const struct ac_assign_problem *p, size_t s, size_t r);

/* Max minus min total load (load + added) over the eligible reviewers of |r|:
 * available, below cap before the run, and certified (with the domain asked) for a
 * queued submission from a district other than their own. Reviewers that ended at
 * their cap are left out of the minimum, since they could take no more.
 * Returns 0 when no reviewer is eligible. */
uint32_t ac_assign_spread(const struct ac_assign_problem *p, const struct ac_assign_result *r);

/* Returns a static name for |reason|: "too few qualified reviewers", ... */
const char *ac_assign_reason_name(enum ac_assign_reason reason);

/* Writes a sentence about |u| into |buf| (at most |len| bytes, NUL-terminated), e.g.
 * "submission 42: 1 review missing: fewer than 3 available reviewers are certified
 * for credential 3 with domain 2". Returns the length snprintf would have written. */
int ac_assign_describe(const struct ac_assign_problem *p, const struct ac_assign_unassigned *u,
                       char *buf, size_t len);

/* For each submission of a credential with second_master_rate > 0 that got at least
 * one assignment in |r|, draws with that probability whether to send it blind to a
 * second master too, and if so appends an assignment (second_master = true) to the
 * least-loaded allowed reviewer below cap who is not yet on it. Draws that find no
 * such reviewer are counted in |r->n_second_master_skipped|; every draw is kept in
 * |r->second_master_drawn|; |r->load_spread| is recomputed. Borrows |p|, updates |r|. Returns 0 or
 * AC_ENOMEM (|r| unchanged). */
int ac_assign_second_master(const struct ac_assign_problem *p, struct ac_assign_result *r,
                            struct ac_assign_rng *rng);

/* ---- Batching and blind benchmark seeding --------------------------------- */

/* Per-credential batching rules. A credential not listed gets batch size 1, no timer
 * and no seeding. */
struct ac_batch_rule {
    uint32_t credential;
    uint32_t batch_size;        /* items per batch, >= 1 */
    double benchmark_rate;      /* chance that any one batch position holds a benchmark */
    const uint64_t *benchmarks; /* benchmark item ids to draw from (borrowed) */
    size_t n_benchmarks;
};

/* One item to batch: a reviewer's new assignment. */
struct ac_batch_item {
    uint64_t reviewer;
    uint32_t credential;
    uint64_t submission; /* submission id, or benchmark item id when |benchmark| */
    bool benchmark;      /* seeded benchmark: never shown as such to the reviewer */
};

struct ac_batch {
    uint64_t reviewer;
    uint32_t credential;
    struct ac_batch_item *items; /* points into the set; shuffled when seeded */
    size_t n_items;
    bool full; /* n_items == batch size; else waits for the timer */
};

struct ac_batch_set {
    struct ac_batch *batches; /* by reviewer id, then credential id, ascending */
    size_t n_batches;
    struct ac_batch_item *items; /* storage for every batch's items */
    size_t n_items;
};

/* Groups |items| (none of them benchmarks) by reviewer and credential, keeping input
 * order inside a group, into batches of the credential's batch size; the last batch of a group may
 * be partial. When |rng| is not NULL, each position of a batch independently holds a
 * benchmark of the credential with probability benchmark_rate (the real items move
 * on to the next batch), drawn without repeats inside the batch, and each seeded
 * batch is shuffled so position does not reveal the benchmark. Sets |*out| to a new
 * set the caller frees with ac_batch_set_free(). Returns 0, AC_ENOMEM, or AC_EINVAL
 * (logged) for a batch size of 0, a rate outside [0, 1), or an input benchmark item. */
int ac_batch_build(const struct ac_batch_item *items, size_t n, const struct ac_batch_rule *rules,
                   size_t n_rules, struct ac_assign_rng *rng, struct ac_batch_set **out);

/* Frees |set|; NULL is a no-op. */
void ac_batch_set_free(struct ac_batch_set *set);

/* The batch timer: a partial batch whose oldest item has waited since
 * |oldest_pending_ms| is sent once |timer_ms| has passed. Returns true when it is
 * due at |now_ms| (and sets |*send_at_ms| to |now_ms|); otherwise false with
 * |*send_at_ms| = oldest_pending_ms + timer_ms. A |timer_ms| <= 0 means "no wait". */
bool ac_batch_due(int64_t oldest_pending_ms, int64_t now_ms, int64_t timer_ms, int64_t *send_at_ms);

#endif
