/* lifecycle.h - what the credential-lifecycle handlers in node/ share
 * (api_credentials.c, api_pilot.c, api_benchmarks.c, api_training.c,
 * api_reviewers.c): loading a credential named in the path, problem answers
 * with extra members, audit rows, level parsing, and the evidence each
 * lifecycle step needs. */
#ifndef AC_NODE_LIFECYCLE_H
#define AC_NODE_LIFECYCLE_H

#include <stdbool.h>

#include "accord/review/definition.h"
#include "accord/review/pool.h"
#include "internal.h"

/* A credential version named in a path as "ID" (the highest version) or
 * "ID@VERSION", with its parsed definition. */
struct ac__cred {
    struct ac_credential row;
    struct ac_definition *def;           /* owned */
    char ref[AC_CREDENTIAL_ID_MAX + 24]; /* "ID@VERSION": the audit subject */
};

/* Loads the credential named by path parameter "ref". Returns 0, or answers
 * |x| (404 naming the reference, 500) and returns -1. */
int ac__cred_load(struct ac_node *n, struct ac_http_exchange *x, struct ac__cred *c);

/* Loads credential row |id| without answering anyone. Returns 0 or an AC_E* code. */
int ac__cred_load_id(struct ac_node *n, int64_t id, struct ac__cred *c);

/* Frees what |c| owns. */
void ac__cred_release(struct ac__cred *c);

/* Answers 409 "wrong-state" unless |c| is in one of the |n| states |states|;
 * returns -1 then, else 0. |doing| says what was attempted ("score a pilot"). */
int ac__cred_require_state(struct ac_http_exchange *x, const struct ac__cred *c,
                           const enum ac_def_state *states, size_t n, const char *doing);

/* Checks that every element of the array |arr| (named |field| in messages) is
 * an object with a "label" of 1-AC_ITEM_LABEL_MAX bytes and non-empty text
 * "content". Returns 0, or answers 400 naming "<field>[i]" and returns -1. */
int ac__labelled_texts_check(struct ac_http_exchange *x, const json_t *arr, const char *field);

/* Writes an audit row for |kind| |subject| by |actor| with |detail| (borrowed,
 * may be NULL) from this node. Call inside the change's transaction.
 * Returns 0 or a store error. */
int ac__audit(struct ac_node *n, const char *kind, const char *subject, int64_t actor,
              const char *action, const json_t *detail);

/* Reads member |key| of |body| as a level of |def|'s scale: a level name or
 * its index. Returns 0 and sets |*level|, or answers 400 (missing, wrong
 * type) / 422 (off the scale, naming the levels) and returns -1. */
int ac__level_get(struct ac_http_exchange *x, const struct ac_definition *def, const json_t *body,
                  const char *key, int *level);

/* Reads member |key| of |body| as a list of distinct users holding |role|,
 * at least |min|. Returns the count and fills |ids| (capacity |max|), or
 * answers 400/422 and returns -1. */
int ac__users_get(struct ac_node *n, struct ac_http_exchange *x, const json_t *body,
                  const char *key, unsigned role, size_t min, int64_t *ids, size_t max);

/* Moves |c| to |to| with |override| in one transaction with its audit row
 * (action "transition", detail |detail| borrowed, may be NULL); updates
 * c->row.state. Returns 0 or a store error (AC_ECONFLICT if it moved meanwhile). */
int ac__cred_transition(struct ac_node *n, struct ac__cred *c, enum ac_def_state to, bool override,
                        int64_t actor, const json_t *detail);

/* ---- the evidence of each step ---- */

/* The pilot report of |c|'s current round (api_pilot.c): submissions,
 * scored pairs, agreement statistics and whether the threshold is met. */
int ac__pilot_report(struct ac_node *n, const struct ac__cred *c, json_t **out, bool *met);

/* Loads every benchmark item of |c| into |*rows| (caller releases each and
 * frees the array) (api_benchmarks.c). Returns 0, AC_ENOMEM or AC_EDB. */
int ac__bench_load(struct ac_node *n, const struct ac__cred *c, struct ac_bench_row **rows,
                   size_t *k);

/* Fills |b| (initialised here; caller releases) with the fully scored items
 * of |rows|, ids the decimal row ids, resolved ones with their final level.
 * Returns 0 or AC_ENOMEM. */
struct ac_bench;
int ac__bench_build(const struct ac_bench_row *rows, size_t k, size_t n_levels, struct ac_bench *b);

/* The benchmark sufficiency report (api_benchmarks.c). */
int ac__bench_report(struct ac_node *n, const struct ac__cred *c, json_t **out, bool *sufficient);

/* Generates and stores |c|'s training module from the template (api_training.c).
 * Returns 0, AC_ERANGE (fewer resolved items than examples_per_level at some
 * level) or a store error. */
int ac__training_generate(struct ac_node *n, const struct ac__cred *c, int64_t actor);

/* Pool status of |c| (api_reviewers.c): certified count, minimum, activation. */
int ac__pool_status(struct ac_node *n, const struct ac__cred *c, bool override, json_t **out,
                    struct ac_pool_activation *act);

/* ---- endpoints ---- */

void ac__api_credentials_register(struct ac_node *n);
void ac__api_pilot_register(struct ac_node *n);
void ac__api_benchmarks_register(struct ac_node *n);
void ac__api_training_register(struct ac_node *n);
void ac__api_reviewers_register(struct ac_node *n);
#ifdef ACCORD_TEST_CLOCK
void ac__api_testclock_register(struct ac_node *n);
#endif

#endif
