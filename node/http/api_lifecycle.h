/* api_lifecycle.h - what the credential-lifecycle handlers share
 * (api_credentials.c, api_pilot.c, api_benchmarks.c, api_training.c,
 * api_reviewers.c): turning request members into the parsed values the
 * services of node/lifecycle/lifecycle.h take. Defined in api_credentials.c,
 * but for the pieces of the expert-scored routes (api_lifecycle.c). */
#ifndef AC_NODE_HTTP_API_LIFECYCLE_H
#define AC_NODE_HTTP_API_LIFECYCLE_H

#include "lifecycle/lifecycle.h"
#include "readers.h"

/* Loads the credential named by path parameter "ref" for a read. Returns 0,
 * or answers |x| (404 naming the reference, 500) and returns -1. */
int ac__cred_load(struct ac_node *n, struct ac_http_exchange *x, struct ac__cred *c);

/* ---- lifecycle reads on the reader threads (node/readers.h) ---- */

/* A JSON read of a credential's data: what the loop parsed, copied so that
 * the reader thread needs nothing from the exchange. */
struct ac__cred_read {
    struct ac__json_read r; /* first */
    char *ref;              /* owned: path parameter "ref", NULL when the route has none */
    int64_t user;           /* the authenticated caller */
    size_t limit;           /* page size, for the routes that page */
    int64_t after;          /* page cursor */
    int state;              /* a route's filter; -1 for none */
};

/* Loop: allocates a read for |x| on behalf of |user|, with path parameter
 * "ref" copied when the route has one. Returns it, or NULL after answering
 * |x| (500, no memory). */
struct ac__cred_read *ac__cred_read_new(struct ac_http_exchange *x, int64_t user);

/* Loop: submits |cr| (ac__json_read_submit() with the release of the copied
 * ref). */
void ac__cred_read_submit(struct ac_node *n, struct ac__cred_read *cr, ac__json_read_cb read,
                          const char *what);

/* Loop: the whole of a plain read route over the credential list or one
 * credential: authenticates, requires one of |roles| (0: any signed-in
 * user), reads the page parameters when |paged|, and submits |read| to the
 * reader threads. Routes with filters of their own use the pieces above. */
void ac__cred_read_route(struct ac_node *n, struct ac_http_exchange *x, unsigned roles, bool paged,
                         ac__json_read_cb read, const char *what);

/* Reader thread: ac__cred_find() of |cr|'s ref with |view|; a failure
 * without a reason is named "credential", as ac__cred_load() names it. */
int ac__cred_read_find(struct ac__cred_read *cr, struct ac_node *view, struct ac__cred *c,
                       struct ac_reason *why);

/* Reads member |key| of |obj| (may be NULL) as a level argument; the scale
 * check is the service's (ac__level_resolve()). Never fails. */
void ac__level_arg_of(const json_t *obj, const char *key, struct ac_level_arg *out);

/* Checks that every element of the array |arr| (named |field| in messages) is
 * an object with a "label" of 1-AC_ITEM_LABEL_MAX bytes and non-empty text
 * "content", and points |out| (capacity json_array_size(arr)) at them
 * (borrowed from |arr|). Returns 0, or answers 400 naming "<field>[i]" and
 * returns -1. */
int ac__labelled_texts_get(struct ac_http_exchange *x, const json_t *arr, const char *field,
                           struct ac_text_item *out);

/* Reads member |key| of |body| as a list of |min| to |max| user ids into
 * |ids| (a non-integer becomes 0, which the service refuses by position).
 * Returns the count, or answers 400 and returns -1. */
int ac__user_ids_get(struct ac_http_exchange *x, const json_t *body, const char *key, size_t min,
                     size_t max, int64_t *ids);

/* ---- the expert-scored routes: pilot and benchmarks (api_lifecycle.c) ---- */

/* Reads member |key| of |body| as a batch of 1 to |max| labelled texts for
 * experts to score (ac__labelled_texts_get()), |rule| being the 400's detail
 * when it is not such a list. Sets |*texts| (pointing into |body|) and |*ids|
 * (zeroed room for the ids the service gives the items) to arrays of the
 * returned count that the caller frees; or answers |x| (400 naming |key| or
 * an item, 500 naming |what|), sets neither and returns -1. */
int ac__text_batch_get(struct ac_http_exchange *x, const json_t *body, const char *key, size_t max,
                       const char *rule, const char *what, struct ac_text_item **texts,
                       int64_t **ids);

/* A new JSON list of the |k| |ids|; NULL when out of memory. */
json_t *ac__ids_json(const int64_t *ids, size_t k);

/* Reader thread: makes |c| hold credential row |id| for rows listed in
 * credential order, loading it only when |c| holds another one (|c| zeroed
 * before the first call; the caller releases it after the last, as after a
 * failure). Returns 0 or ac__cred_load_id()'s error. */
int ac__cred_follow(struct ac_node *view, int64_t id, struct ac__cred *c);

/* A report of one credential, made by a lifecycle service (ac__pilot_report(),
 * ac__bench_report()): sets |*out| and whether the stage's bar is met. */
typedef int (*ac__cred_report_cb)(struct ac_node *n, const struct ac__cred *c, json_t **out,
                                  bool *met);

/* Reader thread: the whole of a report read (an ac__json_read_cb body): finds
 * the credential of |r| (an ac__cred_read) with |view| and sets |*out| to its
 * |report|. Returns 0 or the error of either. */
int ac__cred_report_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                         struct ac_reason *why, ac__cred_report_cb report);

/* Answers a service's refusal |err| with |why| (ac__respond_failure(), |what|
 * naming the thing when no reason was given), then releases |why|. */
void ac__refuse(struct ac_http_exchange *x, int err, struct ac_reason *why, const char *what);

#endif
