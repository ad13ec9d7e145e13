/* api_lifecycle.h - what the credential-lifecycle handlers share
 * (api_credentials.c, api_pilot.c, api_benchmarks.c, api_training.c,
 * api_reviewers.c): turning request members into the parsed values the
 * services of node/lifecycle/lifecycle.h take. Defined in api_credentials.c. */
#ifndef AC_NODE_HTTP_API_LIFECYCLE_H
#define AC_NODE_HTTP_API_LIFECYCLE_H

#include "lifecycle/lifecycle.h"

/* Loads the credential named by path parameter "ref" for a read. Returns 0,
 * or answers |x| (404 naming the reference, 500) and returns -1. */
int ac__cred_load(struct ac_node *n, struct ac_http_exchange *x, struct ac__cred *c);

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

/* Answers a service's refusal |err| with |why| (ac__respond_failure(), |what|
 * naming the thing when no reason was given), then releases |why|. */
void ac__refuse(struct ac_http_exchange *x, int err, struct ac_reason *why, const char *what);

#endif
