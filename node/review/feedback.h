/* feedback.h - reviewers' feedback as the earner sees it (feedback.c): what a
 * reviewer may write (plain text, or one text per element when the rubric is
 * per element), and the per-review, per-element view shown in the API, in
 * `accordctl submission show` and in the outcome mail. Reviewers stay
 * anonymous to the earner: "Reviewer 1", "Reviewer 2". */
#ifndef AC_NODE_REVIEW_FEEDBACK_H
#define AC_NODE_REVIEW_FEEDBACK_H

#include <jansson.h>
#include <stdint.h>

#include "accord/review/definition.h"
#include "problem.h"

struct ac_node;

/* Checks feedback |text| (borrowed; NULL: none) a reviewer gives under
 * |def|: any plain text, or a JSON object of element id to text (stored as
 * the handler serialised it), which needs per-element grain and known
 * element ids. Returns 0 or AC_EINVAL with |why| naming the field. */
int ac__feedback_check(const struct ac_definition *def, const char *text, struct ac_reason *why);

/* Sets |*out| to a new JSON array (the caller json_decref()s): one entry per
 * completed review of |sub_id|, {"reviewer": n, "level", "feedback"?,
 * "elements"?: [{"element", "prompt", "level", "feedback"?}]} with elements
 * listed when |def|'s grain is per element. Returns 0, AC_ENOMEM or AC_EDB. */
int ac__feedback_json(struct ac_node *n, int64_t sub_id, const struct ac_definition *def,
                      json_t **out);

/* Sets |*out| to a new string (the caller frees) of |head| followed by the
 * feedback of |sub_id| as readable lines for the outcome mail (|head| alone
 * when no reviewer wrote any). Returns 0, AC_ENOMEM or AC_EDB. */
int ac__feedback_mail(struct ac_node *n, int64_t sub_id, const struct ac_definition *def,
                      const char *head, char **out);

#endif
