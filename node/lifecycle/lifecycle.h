/* lifecycle.h - the credential lifecycle services: definitions and their
 * state-transition gate, pilot, benchmarks, training, reviewer applications
 * and certification. Each service is the one place its state change happens:
 * it takes ids and parsed values (never a request), checks the actor's right,
 * opens the only transaction, writes the audit row (node/audit.h) in it, and
 * returns 0 or an AC_E* code with a struct ac_reason saying why (field, value,
 * rule). Handlers in node/http/ parse, call one service and render; a
 * federation receiver will call the same services.
 *
 * Every function here runs on the loop thread. Reasons: |why| may be NULL;
 * on failure it is filled when the refusal is something a person can act on
 * (a wrong state, a value off the scale); a bare store error leaves it empty
 * and the code alone speaks. */
#ifndef AC_NODE_LIFECYCLE_H
#define AC_NODE_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accord/review/definition.h"
#include "accord/review/pool.h"
#include "accord/store/benchmark.h"
#include "accord/store/credential.h"
#include "accord/store/reviewer.h"
#include "internal.h"

/* ==== credentials (node/lifecycle/credential.c) ==== */

/* A credential version with its definition, parsed once per operation. */
struct ac__cred {
    struct ac_credential row;
    struct ac_definition *def;           /* owned */
    char ref[AC_CREDENTIAL_ID_MAX + 24]; /* "ID@VERSION": the audit subject */
};

/* Loads the credential |ref| names: "ID" (the highest version) or
 * "ID@VERSION". Returns 0 and fills |*c| (release with ac__cred_release()),
 * AC_ENOENT (with a not-found reason about "ref"), AC_ENOMEM or AC_EDB. */
int ac__cred_find(struct ac_node *n, const char *ref, struct ac__cred *c, struct ac_reason *why);

/* Loads credential row |id|. Returns 0, AC_ENOENT, AC_ENOMEM or AC_EDB
 * (the stored definition no longer parses: corruption, logged). */
int ac__cred_load_id(struct ac_node *n, int64_t id, struct ac__cred *c);

/* Re-reads |c|'s row after a change, keeping its parsed definition (whose
 * state follows the row). Returns 0 or a store error (|c| unchanged then). */
int ac__cred_refresh(struct ac_node *n, struct ac__cred *c);

/* Frees what |c| owns and zeroes it; a zeroed |c| is a no-op. */
void ac__cred_release(struct ac__cred *c);

/* Returns 0 when |c| is in one of the |k| |states|, else AC_ECONFLICT with a
 * wrong-state reason naming what was attempted (|doing|, "score a pilot
 * submission") and the states it needs. */
int ac__cred_require_state(const struct ac__cred *c, const enum ac_def_state *states, size_t k,
                           const char *doing, struct ac_reason *why);

/* Returns 0 when |actor| holds any role in |roles|, else AC_EACCES with a
 * forbidden reason naming the roles needed and held. */
int ac__actor_require(const struct ac_user *actor, unsigned roles, struct ac_reason *why);

/* A level as a request gave it, before it is checked against a scale. */
struct ac_level_arg {
    enum { AC_LEVEL_ABSENT, AC_LEVEL_NAME, AC_LEVEL_INDEX, AC_LEVEL_OTHER } kind;
    const char *name; /* borrowed; AC_LEVEL_NAME */
    int64_t index;    /* AC_LEVEL_INDEX */
};

/* Resolves |arg| (named |field| in reasons) on |def|'s scale. Returns 0 and
 * sets |*level|, or AC_EINVAL with an invalid-field reason (absent, neither
 * name nor index) or an off-scale one, each listing the scale. */
int ac__level_resolve(const struct ac_definition *def, const struct ac_level_arg *arg,
                      const char *field, int *level, struct ac_reason *why);

/* Checks that the |k| user ids |ids| (the list |field|) name distinct enabled
 * users holding |role|. Returns 0 or AC_EINVAL with an unacceptable-value
 * reason naming "<field>[i]". */
int ac__users_check(struct ac_node *n, const char *field, const int64_t *ids, size_t k,
                    unsigned role, struct ac_reason *why);

/* A labelled text: a pilot submission or a benchmark item as imported. */
struct ac_text_item {
    const char *label;   /* borrowed, 1-AC_ITEM_LABEL_MAX bytes */
    const char *content; /* borrowed, non-empty */
};

/* ==== definitions (node/lifecycle/definitions.c) ==== */

/* Stores |def| (a validated draft; takes ownership) as a new credential
 * version by admin |actor|. A new version must follow every stored one.
 * Fills |*out| (the stored row with |def|; release it) on 0. Returns 0,
 * AC_EACCES, AC_ECONFLICT (version-exists), AC_ENOMEM or a store error. */
int ac_definition_create(struct ac_node *n, const struct ac_user *actor, struct ac_definition *def,
                         struct ac__cred *out, struct ac_reason *why);

/* Replaces the draft |ref| by |def| (same id and version; takes ownership). Fills
 * |*out| with the edited credential on 0. Returns 0, AC_EACCES, AC_ENOENT,
 * AC_ECONFLICT (not in draft), AC_EINVAL (id/version differ), AC_ENOMEM or a
 * store error. */
int ac_definition_replace(struct ac_node *n, const struct ac_user *actor, const char *ref,
                          struct ac_definition *def, struct ac__cred *out, struct ac_reason *why);

/* The five framework audit answers; NULL leaves an answer as it is. */
struct ac_audit_answers {
    const char *impact, *equity, *access, *language, *big_picture; /* borrowed */
};

/* Merges |answers| into the draft |ref|. Fills |*out| with the edited
 * credential (its row carries the new content hash). Returns 0, AC_EACCES,
 * AC_ENOENT, AC_ECONFLICT (not in draft), AC_EINVAL (an empty answer),
 * AC_ENOMEM or a store error. */
int ac_definition_audit_answers(struct ac_node *n, const struct ac_user *actor, const char *ref,
                                const struct ac_audit_answers *answers, struct ac__cred *out,
                                struct ac_reason *why);

/* ==== the state-transition gate (node/lifecycle/gate.c) ==== */

/* What a transition asks for beyond the target state. */
struct ac_transition_req {
    enum ac_def_state to;
    bool override;         /* only with to == AC_DEF_ACTIVE */
    const char *statistic; /* entering piloting: the agreement statistic (borrowed) */
    double threshold;      /* entering piloting: its minimum, -1 to 1; NAN when not given */
};

/* Moves |ref| to |req->to| when the transition table allows it and the
 * evidence of the step is there (framework audit; pilot threshold;
 * benchmark sufficiency; general and training modules; pool size). Entering
 * piloting starts a pilot round; entering training generates the training
 * module, in the same transaction. Fills |*out| (the moved credential) and
 * sets |*evidence| (caller json_decref()s; may stay NULL) on 0; on a missing
 * step the evidence rides in |why|->extra. Returns 0, AC_EACCES, AC_ENOENT,
 * AC_EINVAL, AC_ECONFLICT (not allowed, evidence missing, moved meanwhile),
 * AC_ENOMEM or a store error. */
int ac_definition_transition(struct ac_node *n, const struct ac_user *actor, const char *ref,
                             const struct ac_transition_req *req, struct ac__cred *out,
                             json_t **evidence, struct ac_reason *why);

/* Moves |c| to |to| with its audit row (action "transition" by |actor|, 0 for
 * the node; |detail| borrowed, may be NULL, stored as "evidence") INSIDE the
 * caller's transaction; updates |c|'s state. Returns 0 or a store error
 * (AC_ECONFLICT if it moved meanwhile). */
int ac__cred_transition_tx(struct ac_node *n, struct ac__cred *c, enum ac_def_state to,
                           bool override, int64_t actor, const json_t *detail);

/* ==== the rubric guide (node/lifecycle/definitions.c) ==== */

/* What earners, reviewers and trainees are shown of |def|'s rubric: a new
 * {"levels": [{"level", "passing", "descriptor"?}], "checklist": [...],
 * "common_errors": [...]}, or NULL when out of memory. */
json_t *ac__definition_guide(const struct ac_definition *def);

/* The guide of credentials row |row|, or NULL (no such row, or no memory). */
json_t *ac__definition_guide_of(struct ac_node *n, int64_t row);

/* ==== pilot (node/lifecycle/pilot.c) ==== */

#define AC_PILOT_MIN_SUBMISSIONS 10  /* the seed's Step 1: at least ten */
#define AC_PILOT_MAX_SUBMISSIONS 500 /* per round: the report reads a round in one go */

/* The pilot report of |c|'s current round: submissions, scored pairs,
 * agreement statistics and whether the threshold is met. Sets |*out|. */
int ac__pilot_report(struct ac_node *n, const struct ac__cred *c, json_t **out, bool *met);

/* The validation summary the catalog shows for credentials row |row|: the
 * approach in words, experts, items (pilot submissions), the statistic and
 * threshold, every agreement statistic, whether it was met, and the date of
 * the last expert score. A new object, or NULL when it was never piloted
 * (or on failure, logged by the loader). */
json_t *ac__pilot_validation(struct ac_node *n, int64_t row);

/* Adds the |k| |subs| to the current pilot round of |ref|, each assigned to
 * the two |experts|, by admin |actor|. Fills |ids| (capacity |k|) and
 * |*out| (its pilot_round the round added to). Returns 0, AC_EACCES, AC_ENOENT, AC_ECONFLICT (not
 * piloting, round full: pilot-full, a label reused), AC_EINVAL (experts), AC_ENOMEM or a store
 * error. */
int ac_pilot_add(struct ac_node *n, const struct ac_user *actor, const char *ref,
                 const int64_t experts[2], const struct ac_text_item *subs, size_t k, int64_t *ids,
                 struct ac__cred *out, struct ac_reason *why);

/* Expert |actor| scores pilot submission |sub| at |level|. Fills |*out| (the
 * submission's credential) and |*level_out| on 0. Returns 0, AC_EACCES
 * (not-assigned), AC_ECONFLICT (not piloting, an old round, already scored),
 * AC_EINVAL (level), AC_ENOMEM or a store error. */
int ac_pilot_score_submission(struct ac_node *n, const struct ac_user *actor, int64_t sub,
                              const struct ac_level_arg *level, struct ac__cred *out,
                              int *level_out, struct ac_reason *why);

/* What an expert may say beside a pilot score; every member optional. */
struct ac_levels_given; /* review/review.h */
struct ac_pilot_extra {
    /* Per-element grain only: a level per element instead of |level|; the
     * definition's combine rule makes them the one level agreement is
     * measured on. Borrowed; NULL: none. */
    const struct ac_levels_given *levels;
    const char *notes;           /* on the whole submission; NULL: none */
    const json_t *element_notes; /* object: element id -> text; NULL: none */
};

/* Max bytes of a pilot note (the whole, or one element's). */
#define AC_PILOT_NOTES_MAX 4000

/* As ac_pilot_score_submission(), with what |extra| (may be NULL) adds: the
 * level is |level| or, from |extra|->levels, the combined one; the notes and
 * per-element levels are stored beside the score in the same transaction.
 * Sets |*detail_out| (may be NULL) to a new JSON object {"notes"?,
 * "elements"?: [{"element", "level", "notes"?}]} the caller releases, or
 * NULL when nothing was added. Also AC_EINVAL (INVALID_FIELD "level" with
 * "levels" both or neither given, "levels" on a holistic rubric, a required
 * element unscored; "notes" or "element_notes.<id>" too long or not an
 * element). */
int ac_pilot_score_detailed(struct ac_node *n, const struct ac_user *actor, int64_t sub,
                            const struct ac_level_arg *level, const struct ac_pilot_extra *extra,
                            struct ac__cred *out, int *level_out, json_t **detail_out,
                            struct ac_reason *why);

/* The detail an expert stored beside pilot score (|sub|, |expert_id|), as a
 * new JSON object, or NULL when there is none (or it cannot be read). */
json_t *ac__pilot_detail(struct ac_node *n, int64_t sub, int64_t expert_id);

/* ==== benchmarks (node/lifecycle/benchmarks.c) ==== */

/* Loads every benchmark item of |c| into |*rows| (caller releases each and
 * frees the array). Returns 0, AC_ENOMEM or AC_EDB. */
int ac__bench_load(struct ac_node *n, const struct ac__cred *c, struct ac_bench_row **rows,
                   size_t *k);

/* Fills |b| (initialised here; caller releases) with the fully scored items
 * of |rows|, ids the decimal row ids, resolved ones with their final level.
 * Returns 0 or AC_ENOMEM. */
struct ac_bench;
int ac__bench_build(const struct ac_bench_row *rows, size_t k, size_t n_levels, struct ac_bench *b);

/* The benchmark sufficiency report. Sets |*out|. */
int ac__bench_report(struct ac_node *n, const struct ac__cred *c, json_t **out, bool *sufficient);

/* Imports the |k| |items| into the benchmark database of |ref|, each
 * assigned to the |ne| |experts| (2-AC_STORE_BENCH_EXPERTS), by admin
 * |actor|. Fills |ids| (capacity |k|) and |*out|. Returns 0, AC_EACCES,
 * AC_ENOENT, AC_ECONFLICT (not in benchmarks, a label reused), AC_EINVAL
 * (experts), AC_ENOMEM or a store error. */
int ac_benchmark_import(struct ac_node *n, const struct ac_user *actor, const char *ref,
                        const int64_t *experts, size_t ne, const struct ac_text_item *items,
                        size_t k, int64_t *ids, struct ac__cred *out, struct ac_reason *why);

/* Expert |actor| scores benchmark item |item| at |level|. Fills |*out| and
 * |*level_out|. Returns 0, AC_EACCES (not assigned), AC_ENOENT,
 * AC_ECONFLICT (wrong state, already scored), AC_EINVAL, or a store error. */
int ac_benchmark_score(struct ac_node *n, const struct ac_user *actor, int64_t item,
                       const struct ac_level_arg *level, struct ac__cred *out, int *level_out,
                       struct ac_reason *why);

/* Settles item |item| at |level| with optional annotations (borrowed, may be
 * NULL) by an admin or one of its experts, once every expert scored and only
 * where they split. Fills |*out| and |*item_out| (the item as now stored;
 * release it). Returns 0, AC_EACCES, AC_ENOENT, AC_ECONFLICT (wrong state,
 * not scored), AC_EINVAL (level), or a store error. */
int ac_benchmark_resolve(struct ac_node *n, const struct ac_user *actor, int64_t item,
                         const struct ac_level_arg *level, const char *key_characteristics,
                         const char *common_errors, struct ac__cred *out,
                         struct ac_bench_row *item_out, struct ac_reason *why);

/* ==== training (node/lifecycle/training.c) ==== */

/* Generates and stores |c|'s training module from the template with its audit
 * row by |actor|, INSIDE the caller's transaction. Returns 0, AC_ERANGE
 * (fewer resolved items than examples_per_level at some level) or a store
 * error. */
int ac__training_generate_tx(struct ac_node *n, const struct ac__cred *c, int64_t actor);

/* Regenerates the training module of |ref| (in training) by admin |actor|.
 * Fills |*out| on 0. Returns 0, AC_EACCES, AC_ENOENT, AC_ECONFLICT (wrong state, too few
 * resolved items: evidence-missing), AC_ENOMEM or a store error. */
int ac_training_regenerate(struct ac_node *n, const struct ac_user *actor, const char *ref,
                           struct ac__cred *out, struct ac_reason *why);

/* Reviewer |actor| completes the training module of |ref|: every example
 * shown counts as seen, the certification moves to trained. Fills |*out|.
 * Returns 0, AC_EACCES, AC_ENOENT, AC_ECONFLICT (not applied, wrong state,
 * general module first), AC_ENOMEM or a store error. */
int ac_training_complete(struct ac_node *n, const struct ac_user *actor, const char *ref,
                         struct ac__cred *out, struct ac_reason *why);

/* Stores the node's general module |text| (a checked JSON object, borrowed)
 * by admin |actor|. Returns 0, AC_EACCES or a store error. */
int ac_general_module_put(struct ac_node *n, const struct ac_user *actor, const char *text,
                          struct ac_reason *why);

/* Reviewer |actor| completes the node's general module (once; a repeat keeps
 * the first time). Sets |*completed_ms|. Returns 0, AC_EACCES, AC_ECONFLICT
 * (no general module yet), or a store error. */
int ac_general_module_complete(struct ac_node *n, const struct ac_user *actor,
                               int64_t *completed_ms, struct ac_reason *why);

/* ==== reviewers: profiles, held credentials, applications, pool
 * (node/lifecycle/reviewers.c) ==== */

/* A profile edit; a NULL or absent member keeps what is stored. */
struct ac_profile_patch {
    const char *school, *district; /* borrowed, at most AC_REVIEWER_TEXT_MAX bytes */
    const char *domains;           /* borrowed JSON array text of domain names */
    bool has_available, available;
    bool has_until;
    int64_t until_ms;        /* 0: no end (null) */
    const char *until_given; /* borrowed: the text given, for the audit row; NULL for null */
};

/* Reviewer |actor| edits their profile (created on first use). Fills |*out|
 * with the stored profile. Returns 0, AC_EACCES, AC_EINVAL or a store error. */
int ac_reviewer_profile_put(struct ac_node *n, const struct ac_user *actor,
                            const struct ac_profile_patch *patch, struct ac_reviewer_profile *out,
                            struct ac_reason *why);

/* Admin |actor| records that user |user| holds credential |cred| (1-64
 * characters) from |issuer| (may be NULL: unknown). Returns 0, AC_EACCES,
 * AC_EINVAL (no such user, bad id), AC_EEXIST (conflict) or a store error. */
int ac_held_credential_add(struct ac_node *n, const struct ac_user *actor, int64_t user,
                           const char *cred, const char *issuer, struct ac_reason *why);

/* Reviewer |actor| applies to review |ref| with |answers_text| (a JSON object
 * text, borrowed; NULL: "{}"); screening runs the automatic checks now.
 * Fills |*out| and |*rc| (release it). Returns 0, AC_EACCES, AC_ENOENT,
 * AC_ECONFLICT (not recruiting, already applied), AC_EINVAL (answers too
 * long) or a store error. */
int ac_reviewer_apply(struct ac_node *n, const struct ac_user *actor, const char *ref,
                      const char *answers_text, struct ac__cred *out, struct ac_reviewer_cert *rc,
                      struct ac_reason *why);

/* Admin |actor| puts |user|, whom monitoring set unavailable or sent to
 * retraining, back in the pool of |ref|, with |reason| (borrowed, may be
 * NULL); the reviewer is told and offered queued work. Fills |*out| and
 * |*rc|. Returns 0, AC_EACCES, AC_ENOENT, AC_ECONFLICT (not out of the pool
 * by monitoring) or a store error. */
int ac_reviewer_reinstate(struct ac_node *n, const struct ac_user *actor, const char *ref,
                          int64_t user, const char *reason, struct ac__cred *out,
                          struct ac_reviewer_cert *rc, struct ac_reason *why);

/* Admin |actor| screens the application of |user| to |ref| by hand:
 * |approve|, with |reason| (borrowed, may be NULL). Fills |*out| and |*rc|.
 * Returns 0, AC_EACCES, AC_ENOENT, AC_ECONFLICT (not waiting for screening)
 * or a store error. */
int ac_reviewer_screen(struct ac_node *n, const struct ac_user *actor, const char *ref,
                       int64_t user, bool approve, const char *reason, struct ac__cred *out,
                       struct ac_reviewer_cert *rc, struct ac_reason *why);

/* Pool status of |c|: certified count, minimum, activation. Sets |*out|. */
int ac__pool_status(struct ac_node *n, const struct ac__cred *c, bool override, json_t **out,
                    struct ac_pool_activation *act);

/* The members of |c|'s pool (node/lifecycle/pool_members.c): every reviewer
 * with a certification row for |c| and every reviewer a lender offers for
 * its credential id, each {user_id, name, display_name, lives ("local" or
 * the home node id), home_user?, state (certification state, or "offered"),
 * certified_at_home?, slots_per_month?}. Sets |*out| to a new array.
 * Returns 0, AC_ENOMEM or a store error. */
int ac__pool_members(struct ac_node *n, const struct ac__cred *c, json_t **out);

/* ==== certification (node/lifecycle/certification.c) ==== */

/* An attempt just drawn. */
struct ac_attempt_started {
    int64_t attempt_id;
    int64_t number; /* 1 for the first attempt */
    json_t *items;  /* owned: [{item_id, content}] as shown */
};

/* Reviewer |actor| (trained for |ref|) starts a certification attempt drawn
 * from unseen resolved benchmarks. Fills |*out| and |*started| (release
 * started->items). Returns 0, AC_EACCES, AC_ENOENT, AC_ECONFLICT (not
 * applied, wrong state, attempt open, too early, no attempts, benchmarks
 * exhausted), AC_ENOMEM or a store error. */
int ac_cert_attempt_start(struct ac_node *n, const struct ac_user *actor, const char *ref,
                          struct ac__cred *out, struct ac_attempt_started *started,
                          struct ac_reason *why);

/* One answer as given: the item and its level. */
struct ac_attempt_answer {
    int64_t item_id; /* 0 when not an integer */
    struct ac_level_arg level;
};

/* An attempt just graded. */
struct ac_attempt_graded {
    bool passed;
    json_t *result; /* owned: the grading as stored */
    enum ac_rcert_state state;
    int64_t attempts;
    int64_t next_attempt_ms; /* 0: none */
};

/* Reviewer |actor| answers attempt |attempt| with the |k| |answers| (NULL:
 * the answers were not a list): graded against the benchmark final scores;
 * a pass certifies and may turn the credential active, as the node, in the
 * same transaction. Fills |*out| and |*graded| (release graded->result).
 * Returns 0, AC_EACCES (not-yours), AC_ENOENT, AC_ECONFLICT (closed),
 * AC_EINVAL (answers), AC_ENOMEM or a store error. */
int ac_cert_attempt_answer(struct ac_node *n, const struct ac_user *actor, int64_t attempt,
                           const struct ac_attempt_answer *answers, size_t k, struct ac__cred *out,
                           struct ac_attempt_graded *graded, struct ac_reason *why);

/* ==== endpoints (node/http/api_*.c) ==== */

void ac__api_credentials_register(struct ac_node *n);
void ac__api_pilot_register(struct ac_node *n);
void ac__api_benchmarks_register(struct ac_node *n);
void ac__api_training_register(struct ac_node *n);
void ac__api_reviewers_register(struct ac_node *n);
#ifdef ACCORD_TEST_CLOCK
void ac__api_testclock_register(struct ac_node *n);
#endif

#endif
