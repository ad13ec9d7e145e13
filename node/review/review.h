/* review.h - what the review-lifecycle files of node/ share: the flow
 * (review_flow.c, with its stored jobs in review_jobs.c) that turns
 * submissions into decisions, the scheduler
 * (scheduler.c) firing stored due jobs, notification delivery (notify.c), and
 * their endpoint registrations (api_submissions.c, api_reviews.c,
 * api_flags.c, api_artifacts.c). Everything runs on the loop thread. */
#ifndef AC_NODE_REVIEW_H
#define AC_NODE_REVIEW_H

#include <stdint.h>

#include "accord/review/definition.h"
#include "accord/store/store_review.h"
#include "internal.h"

/* ---- the flow (review_flow.c) ----
 * Each function makes one event's changes in one transaction with its audit
 * rows, notifications and jobs, and returns 0 or a negative AC_E* code;
 * AC_ECONFLICT and AC_EINVAL come with a sentence in |why| (|why_len| bytes). */

/* Loads and parses the definition of |def_id| version |version| (0: the
 * highest). Sets |*row| (may be NULL) to the credential row id and |*out| to a
 * definition the caller frees with ac_def_free(); |*state| to its state.
 * Returns 0, AC_ENOENT, AC_EPARSE or AC_ENOMEM. */
int ac__flow_definition(struct ac_node *n, const char *def_id, int64_t version, int64_t *row,
                        enum ac_def_state *state, struct ac_definition **out);

/* Screens new submission |sub_id| for near-duplicates among the prior
 * submissions of its credential (team members never against each other):
 * flagged ones go to the issuer's inbox, the rest to the queue. Sets
 * |*flagged|. A submission no longer "received" was screened already: it is
 * left as it is (|*flagged| says whether it is flagged) and 0 returned, so the
 * "screen" job stored with every new submission may run after the request
 * screened it. */
int ac__flow_screen(struct ac_node *n, int64_t sub_id, int *flagged);

/* The reviewer |reviewer_id| accepts (|accept|) or declines batch |batch_id|.
 * AC_ENOENT when it is not theirs; AC_ECONFLICT when no longer invited or
 * past its deadline. */
int ac__flow_respond(struct ac_node *n, int64_t reviewer_id, int64_t batch_id, int accept,
                     char *why, size_t why_len);

/* Records the scores of assignment |asg_id| by |reviewer_id|: level names
 * (one for holistic grain, one per element otherwise) in |levels| (a JSON
 * array or object by element id, borrowed) and |feedback| (may be NULL).
 * Decides the submission when its reviews are all in. */
int ac__flow_score(struct ac_node *n, int64_t reviewer_id, int64_t asg_id, const json_t *levels,
                   const char *feedback, char *why, size_t why_len);

/* Resolves flag |flag_id| by admin |admin_id| with |action| ("dismiss",
 * "reject", "acknowledge", "decide") and, for "decide", the final |level|
 * name of an escalated submission. */
int ac__flow_resolve_flag(struct ac_node *n, int64_t admin_id, int64_t flag_id, const char *action,
                          const char *level, char *why, size_t why_len);

/* Runs one due job; marks it done in the transaction of its effects, so a job
 * fired twice does its work once. When it fails (its effects rolled back) the
 * attempt is recorded and the job backs off (30 s doubling to 1 h); the 20th
 * failure abandons it and notifies the admins. Returns the run's result. */
int ac__flow_run_job(struct ac_node *n, const struct ac_job *job);

/* Queues a notification to every admin (one transaction must be open). */
int ac__flow_notify_admins(struct ac_node *n, const char *kind, int64_t submission_id,
                           const char *subject, const char *body);

/* ---- flow steps shared by review_flow.c and review_jobs.c ----
 * Each runs inside the caller's transaction unless it says otherwise. */

/* Loads every certified reviewer of credential row |row|, however many, in
 * user order (the store is read a page at a time). Sets |*out| to an array the
 * caller frees after ac_reviewer_cert_release() of each of its |*n| entries
 * (NULL with 0 entries possible). Returns 0, AC_ENOMEM or AC_EDB. */
int ac__flow_certified_reviewers(struct ac_store *st, int64_t row, struct ac_reviewer_cert **out,
                                 size_t *n);

/* Loads credential row |row| into |*c| (the caller releases it with
 * ac_credential_release()) and parses its definition into |*out| (freed with
 * ac_def_free()). Returns 0, AC_ENOENT, AC_EPARSE or AC_ENOMEM. */
int ac__flow_definition_by_row(struct ac_node *n, int64_t row, struct ac_definition **out,
                               struct ac_credential *c);

/* Writes an audit row about |kind| |subject| by |actor|; |fmt| formats a JSON
 * object text for its detail. */
int ac__flow_audit(struct ac_node *n, const char *kind, int64_t subject, int64_t actor,
                   const char *action, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Ends the transaction the caller opened: rolls back and returns |err| when it
 * is an error, else commits and wakes the scheduler for jobs it added. */
int ac__flow_end_tx(struct ac_node *n, int err);

/* Sends the reviewer's pending assignments of credential row |row| as batches:
 * all of them when |force| (the batch timer fired), else only full batches,
 * seeding blind benchmark items at the issuer's rate. */
int ac__flow_send_batches(struct ac_node *n, int64_t reviewer, int64_t row,
                          const struct ac_definition *def, int force);

/* The assignment pass of credential row |row|: every queued or in-review
 * submission short of reviews gets reviewers meeting every constraint. */
int ac__flow_assign_pass(struct ac_node *n, int64_t row);

/* Sets |*row| to the credential row batch |batch_id| of |def_id| belongs to. */
int ac__flow_batch_row(struct ac_node *n, int64_t batch_id, const char *def_id, int64_t *row);

/* Moves every open assignment of |batch_id| to |to| and runs a new assignment
 * pass of credential row |row| so the work finds other reviewers. */
int ac__flow_hand_back(struct ac_node *n, int64_t batch_id, enum ac_asg_state to, int64_t row);

/* ---- scheduler (scheduler.c) ---- */

/* Starts the timer that fires due jobs and delivers notifications.
 * Returns 0 or a libuv error. */
int ac__scheduler_start(struct ac_node *n);

/* Asks for a pass soon (after a change that scheduled a job due now). */
void ac__scheduler_kick(struct ac_node *n);

/* Closes the timer; its memory goes in the close callback. */
void ac__scheduler_stop(struct ac_node *n);

/* ---- notifications (notify.c) ---- */

/* Delivers the notifications due now: one at a time on the thread pool, to
 * the maildir under the data directory or over SMTP when configured; failures
 * retry with doubling backoff. */
void ac__notify_pump(struct ac_node *n);

/* True while a delivery is in flight (the scheduler waits for it on stop). */
int ac__notify_busy(const struct ac_node *n);

/* Returns a malloc'd copy of |s| fit for one mail header line (RFC 5322 2.2:
 * no CR or LF inside a field body): every control byte (below 0x20, and
 * 0x7f) becomes a space, so text from users or credential titles cannot end
 * the header and start another. NULL when out of memory. */
char *ac__mail_header_value(const char *s);

/* ---- endpoints ---- */

void ac__api_submissions_register(struct ac_node *n);
void ac__api_reviews_register(struct ac_node *n);
void ac__api_flags_register(struct ac_node *n);
void ac__api_artifacts_register(struct ac_node *n);

/* ---- shared JSON ---- */

/* The API form of |s|: its level by name under |def| (may be NULL) once
 * decided, and the id of the record issued for it once there is one. Returns
 * a new reference or NULL (ENOMEM). */
json_t *ac__submission_json(struct ac_node *n, const struct ac_submission *s,
                            const struct ac_definition *def);

#endif
