/* review.h - the review services of node/: what turns a submitted piece of
 * work into a decided, notified outcome, one file per job:
 *
 *   submissions.c  an earner submits or resubmits work
 *   screening.c    near-duplicate screening of a new submission
 *   assignment.c   assignment passes, batching with blind benchmark seeding,
 *                  deadlines and reminders of batches
 *   scoring.c      a reviewer accepts or declines a batch and scores its work
 *   decisions.c    combining reviews, disagreement, escalation, the outcome
 *                  and the issue trigger
 *   monitoring.c   reviewer monitoring after decisions
 *   flags.c        the issuer resolves a flag
 *   artifacts.c    evidence files an earner uploads and reviewers read
 *   notify.c       notifications to people and their delivery
 *   definitions.c  the definition a piece of work is reviewed under
 *   jobs.c         the review folder's job kinds (scheduler.h)
 *
 * A service takes ids and parsed values (never a request), checks the actor's
 * right, opens the only transaction, writes its audit row (node/audit.h) and
 * queues jobs and notifications in that transaction, and returns 0 or a
 * negative AC_E* code with a struct ac_reason (node/problem.h) a person can
 * act on. Handlers in node/http/ parse, call one service and render.
 * Everything runs on the loop thread. */
#ifndef AC_NODE_REVIEW_H
#define AC_NODE_REVIEW_H

#include <stdint.h>

#include "accord/review/assign.h"
#include "accord/review/definition.h"
#include "accord/store/artifact.h"
#include "accord/store/assignment.h"
#include "accord/store/credential.h"
#include "accord/store/job.h"
#include "accord/store/lending.h"
#include "accord/store/reviewer.h"
#include "accord/store/submission.h"
#include "internal.h"
#include "problem.h"
#include "review/scheduler.h"

/* ---- definitions (definitions.c) ---- */

/* Loads and parses the definition of |def_id| version |version| (0: the
 * highest). Sets |*row| (may be NULL) to the credential row id, |*state| (may
 * be NULL) to its state and |*out| to a definition the caller frees with
 * ac_def_free(). Returns 0, AC_ENOENT, AC_EPARSE, AC_ENOMEM or a store error. */
int ac__review_definition(struct ac_node *n, const char *def_id, int64_t version, int64_t *row,
                          enum ac_def_state *state, struct ac_definition **out);

/* Loads credential row |row| into |*c| (the caller releases it with
 * ac_credential_release()) and parses its definition into |*out| (freed with
 * ac_def_free()). Returns 0, AC_ENOENT, AC_EPARSE, AC_ENOMEM or a store error. */
int ac__review_definition_at(struct ac_node *n, int64_t row, struct ac_definition **out,
                             struct ac_credential *c);

/* ---- submissions (submissions.c) ---- */

/* One element of a submission as the earner gave it; strings borrowed, NULL
 * when absent (or not a string). */
struct ac_submitted_element {
    const char *id;
    const char *text;
    const char *artifact; /* sha256 hex of an artifact the earner uploaded */
};

/* A submission as the earner gave it. Strings are borrowed. */
struct ac_submission_input {
    const char *credential;                        /* definition id */
    int64_t version;                               /* 0: the highest */
    const char *domain, *school, *district, *team; /* "" or NULL when not given */
    int previous_given; /* "previous" was given: |previous| is the failed attempt */
    int64_t previous;   /* it resubmits (any value; checked by the service) */
    int elements_given; /* 0 when "elements" was missing or not a list */
    const struct ac_submitted_element *elements;
    size_t n_elements;
};

/* Stores the submission of earner |earner_id| with its cited artifacts, an
 * audit row and its "screen" job in one transaction, then screens it (its
 * own transaction: a submission it fails to screen stays "received" until
 * the job screens it). Sets |*id| and |*def| (the definition it is under,
 * freed with ac_def_free()). Returns 0, AC_EINVAL, AC_ENOENT or AC_ECONFLICT
 * with |why| naming the field, or a store error. */
int ac__submission_create(struct ac_node *n, int64_t earner_id,
                          const struct ac_submission_input *in, int64_t *id,
                          struct ac_definition **def, struct ac_reason *why);

/* ---- screening (screening.c) ---- */

/* Screens new submission |sub_id| for near-duplicates among the prior
 * submissions of its credential (team members never against each other):
 * flagged ones go to the issuer's inbox, the rest to the queue. Sets
 * |*flagged|. A submission no longer "received" was screened already: it is
 * left as it is (|*flagged| says whether it is flagged) and 0 returned, so the
 * "screen" job stored with every new submission may run after the request
 * screened it. */
int ac__screening_run(struct ac_node *n, int64_t sub_id, int *flagged);

/* The "screen" job: screens submission |job->ref| (its own transaction). */
int ac__screening_job(struct ac_node *n, const struct ac_job *job);

/* ---- assignment and batching (assignment.c) ---- */

/* Loads every certified reviewer of credential row |row|, however many, in
 * user order (the store is read a page at a time). Sets |*out| to an array the
 * caller frees after ac_reviewer_cert_release() of each of its |*n| entries
 * (NULL with 0 entries possible). Returns 0, AC_ENOMEM or AC_EDB. */
int ac__assignment_pool(struct ac_store *st, int64_t row, struct ac_reviewer_cert **out, size_t *n);

/* ---- borrowed reviewers in the pass (pool_borrowed.c) ---- */

/* With |mode| AC_BORROW_ABOVE_CAPACITY, marks every available borrowed
 * reviewer (borrowed[i]) of |pr| unavailable when |backlog| (reviews still
 * wanted) fits in the spare capacity (cap - load) of the available own
 * reviewers; AC_BORROW_ALWAYS changes nothing. Returns how many it held
 * back. */
size_t ac__borrow_hold_back(struct ac_assign_reviewer *pr, size_t nr, const bool *borrowed,
                            uint64_t backlog, enum ac_borrowing_mode mode);

/* Applies the borrowing mode of credential |def_id| (its own, else the
 * node's, else above_capacity) to problem |p| of a pass, whose reviewers are
 * |pr| (p->reviewers, writable): with above_capacity, stand-ins found in the
 * store are held back (marked unavailable) when ac__borrow_hold_back() says
 * own spare capacity covers the backlog and a trial run of |p| without them
 * leaves no submission short; otherwise nothing changes. In every mode a
 * stand-in whose home node is not an active peer is marked unavailable and
 * |away| (per reviewer), like a reviewer who is away, so work only it could
 * take is shown as waiting. Returns 0, AC_ENOMEM, AC_EINVAL (from the trial
 * run) or AC_EDB. */
int ac__borrow_gate(struct ac_node *n, const char *def_id, const struct ac_assign_problem *p,
                    struct ac_assign_reviewer *pr, bool *away);

/* The assignment pass of credential row |row|: every queued or in-review
 * submission short of reviews gets reviewers meeting every constraint, in one
 * transaction opened only when there is work to assign. */
int ac__assignment_pass(struct ac_node *n, int64_t row);

/* Sends the reviewer's pending assignments of credential row |row| as batches
 * (inside the caller's transaction): all of them when |force| (the batch
 * timer fired), else only full batches, seeding blind benchmark items at the
 * issuer's rate. */
int ac__assignment_send_batches(struct ac_node *n, int64_t reviewer, int64_t row,
                                const struct ac_definition *def, int force);

/* Moves every open assignment of |batch_id| to |to| and queues a new
 * assignment pass of credential row |row| so the work finds other reviewers
 * (inside the caller's transaction). */
int ac__assignment_hand_back(struct ac_node *n, int64_t batch_id, enum ac_asg_state to,
                             int64_t row);

/* Queues an assignment pass, due at |due_ms|, of every credential
 * |reviewer| is certified for (inside the caller's transaction): a reviewer
 * who becomes free (available again, back from cool-off, certified,
 * reinstated) is offered the queued work of each at once, not at the next
 * unrelated event. */
int ac__assignment_wake(struct ac_node *n, int64_t reviewer, int64_t due_ms);

/* Why submission |s| waits for reviewers, while it does (an open
 * "no_reviewer" flag): {"reason", "missing"}; NULL otherwise. A new
 * reference. */
json_t *ac__assignment_waiting(struct ac_node *n, const struct ac_submission *s);

/* The elements of a benchmark item with |content| as a real submission of
 * |def| shows them: each element of the definition, in its order, as
 * {"id", "text"}. |content| is either a JSON list of {"id", "text"} (one per
 * element, unknown ids refused) or, for a one-element credential, plain
 * text. Returns a new reference, or NULL when the item cannot look like a
 * real submission (so it is never seeded) or memory ran out. */
json_t *ac__assignment_seed_elements(const struct ac_definition *def, const char *content);

/* True for the states in which an assignment still holds a reviewer. */
int ac__assignment_open(enum ac_asg_state s);

/* Job runners (inside the scheduler's transaction unless said otherwise):
 * "assign" (its own transaction), "batch_timer", "deadline", "reminder". */
int ac__assignment_job_pass(struct ac_node *n, const struct ac_job *job);
int ac__assignment_job_batch_timer(struct ac_node *n, const struct ac_job *job);
int ac__assignment_job_deadline(struct ac_node *n, const struct ac_job *job);
int ac__assignment_job_reminder(struct ac_node *n, const struct ac_job *job);

/* ---- scoring (scoring.c) ---- */

/* The reviewer |reviewer_id| accepts (|accept|) or declines batch |batch_id|.
 * AC_ENOENT when it is not theirs; AC_ECONFLICT (with |why|) when no longer
 * invited or past its deadline. */
int ac__scoring_respond(struct ac_node *n, int64_t reviewer_id, int64_t batch_id, int accept,
                        struct ac_reason *why);

/* A reviewer's level names as the request gave them, before they are checked
 * against the definition. */
enum ac_levels_shape {
    AC_LEVELS_ONE,        /* one name (holistic) */
    AC_LEVELS_LIST,       /* one per element, in the definition's order */
    AC_LEVELS_BY_ELEMENT, /* an object by element id */
    AC_LEVELS_OTHER,      /* anything else: refused */
};

struct ac_level_given {
    const char *element; /* AC_LEVELS_BY_ELEMENT: its key; else NULL */
    const char *name;    /* borrowed; NULL for null (unscored) or a non-string */
    int not_string;      /* the value was neither a string nor null */
};

struct ac_levels_given {
    enum ac_levels_shape shape;
    size_t n;
    struct ac_level_given v[AC_ASG_LEVELS_MAX];
};

/* Checks the level names |g| against |def|'s grain and scale (a name for a
 * holistic rubric; one per element, as a list or an object by element id,
 * for a per-element one) into the level indices |out| (AC_ASG_LEVELS_MAX
 * room) and their count |*nout|. Returns 0 or AC_EINVAL with |why| naming
 * the field ("levels.<element>") and the scale. */
int ac__levels_check(const struct ac_definition *def, const struct ac_levels_given *g, int *out,
                     size_t *nout, struct ac_reason *why);

/* Records the scores of assignment |asg_id| by |reviewer_id|: |levels| and
 * |feedback| (may be NULL). Ends the batch when nothing in it is open and
 * decides the submission when its reviews are all in, in one transaction.
 * AC_ENOENT when it is not theirs; AC_ECONFLICT or AC_EINVAL with |why|. */
int ac__scoring_score(struct ac_node *n, int64_t reviewer_id, int64_t asg_id,
                      const struct ac_levels_given *levels, const char *feedback,
                      struct ac_reason *why);

/* ---- decisions (decisions.c) ---- */

/* Decides |sub_id|, reviewed under |def| (borrowed; the caller parsed it
 * once for the whole operation) at credentials row |row|, when all its
 * reviews are in (inside the caller's transaction): asks for more reviewers
 * on disagreement, escalates to the issuer, or concludes. */
int ac__decision_try(struct ac_node *n, int64_t sub_id, const struct ac_definition *def,
                     int64_t row);

/* Records the outcome |level| (|passed|) of |s| under |def| (credential row
 * |row|) by |actor| (0: the node) in the caller's transaction: the earner's
 * notification, the issue or resubmission job and a monitoring pass. */
int ac__decision_conclude(struct ac_node *n, const struct ac_submission *s,
                          const struct ac_definition *def, int64_t row, int level, int passed,
                          const char *reason, int64_t actor);

/* Job runners: "issue" (its own transaction, marks itself done) and
 * "resubmit_open" (inside the scheduler's). */
int ac__decision_job_issue(struct ac_node *n, const struct ac_job *job);
int ac__decision_job_resubmit_open(struct ac_node *n, const struct ac_job *job);

/* ---- monitoring (monitoring.c) ---- */

/* The "monitor" job of credential row |job->ref| (inside the scheduler's
 * transaction): a reviewer crossing a threshold is flagged and, per the
 * issuer's settings, set unavailable, their pending work withdrawn. */
int ac__monitoring_job(struct ac_node *n, const struct ac_job *job);

/* ---- flags (flags.c) ---- */

/* Resolves flag |flag_id| by admin |admin_id| with |action| ("dismiss",
 * "reject", "acknowledge", "decide") and, for "decide", the final |level|
 * name of an escalated submission. AC_ENOENT when there is no such flag;
 * AC_ECONFLICT or AC_EINVAL with |why|. */
int ac__flag_resolve(struct ac_node *n, int64_t admin_id, int64_t flag_id, const char *action,
                     const char *level, struct ac_reason *why);

/* ---- artifacts (artifacts.c) ---- */

/* An upload in progress: its bytes go to a temporary file under
 * <data_dir>/artifacts/incoming/ and into a SHA-256 as they arrive, on
 * libuv's worker threads, so the loop never waits on the disk and memory does
 * not grow with the artifact. */
struct ac__artifact_upload;

/* Told on the loop that |n| more queued bytes reached the temporary file. */
typedef void (*ac__artifact_written_cb)(void *arg, size_t n);

/* Told on the loop how an upload ended: 0 and the uploader's |art|, or an
 * AC_E* code with |why| (both borrowed for the call). */
typedef void (*ac__artifact_stored_cb)(void *arg, int err, const struct ac_artifact *art,
                                       const struct ac_reason *why);

/* Starts an upload by |uploader| of |media_type| (NULL:
 * application/octet-stream); |want_sha256| (may be NULL) is the hash the
 * uploader expects, and a mismatch stores nothing. |written| (borrowing
 * |arg|) hears of every queued byte written. Sets |*out|. Returns 0, AC_EINVAL
 * with |why| (a media type that is not RFC 6838 type/subtype) or AC_ENOMEM. */
int ac__artifact_upload_new(struct ac_node *n, int64_t uploader, const char *media_type,
                            const char *want_sha256, ac__artifact_written_cb written, void *arg,
                            struct ac__artifact_upload **out, struct ac_reason *why);

/* Queues |len| bytes (copied) for the worker to hash and write. Returns 0,
 * AC_ENOMEM, or the AC_E* error of an earlier write (then abort the upload). */
int ac__artifact_upload_write(struct ac__artifact_upload *up, const uint8_t *data, size_t len);

/* Ends the upload once the queued bytes are written: on a worker the file is
 * fsynced, its hash checked and it is renamed to artifacts/<xx>/<hash>; then
 * the upload is recorded, and |done| (borrowing |arg|) called once from the
 * loop; |up| is freed after it. Returns 0, or AC_EINVAL with |why| for an
 * empty upload (then |up| is freed and |done| never called). */
int ac__artifact_upload_finish(struct ac__artifact_upload *up, ac__artifact_stored_cb done,
                               void *arg, struct ac_reason *why);

/* Abandons the upload: no callback follows; its temporary file is removed on
 * a worker and |up| freed. NULL is a no-op. */
void ac__artifact_upload_abort(struct ac__artifact_upload *up);

/* Finds artifact |hash| for |user| (|admin|: any artifact; otherwise only
 * with a live right to it, and "not found" without one) and fills |*art|,
 * media type as |user| should be served it. Database only: no file is read.
 * Returns 0, AC_ENOENT or a store error. */
int ac__artifact_find(struct ac_node *n, int64_t user, int admin, const char *hash,
                      struct ac_artifact *art);

/* Reads an artifact's file in pieces on a worker, hashing them, so a file
 * that no longer hashes to its name is caught as it is read. */
struct ac__artifact_reader;

/* Sets |*out| to a reader of |art| (copied). Returns 0 or AC_ENOMEM. */
int ac__artifact_reader_new(struct ac_node *n, const struct ac_artifact *art,
                            struct ac__artifact_reader **out);

/* Told on the loop of one piece: 0 with |len| bytes at |data| (valid until the
 * next read or the free), |eof| set on the last; or AC_EIO with |why| when the
 * file is missing, of the wrong size, unreadable or does not hash to its name
 * (known by the last piece at the latest). */
typedef void (*ac__artifact_piece_cb)(void *arg, int err, const uint8_t *data, size_t len, int eof,
                                      const struct ac_reason *why);

/* Reads the next piece (at most AC__ARTIFACT_PIECE bytes); one at a time.
 * Returns 0 (|cb|, borrowing |arg|, fires once) or a libuv error. */
int ac__artifact_reader_next(struct ac__artifact_reader *r, ac__artifact_piece_cb cb, void *arg);

/* Frees |r|; not while a read is in flight. NULL is a no-op. */
void ac__artifact_reader_free(struct ac__artifact_reader *r);

#define AC__ARTIFACT_PIECE (64 * 1024)

/* ---- notifications (notify.c) ---- */

/* Queues a notification to every admin (inside the caller's transaction). */
int ac__notify_admins(struct ac_node *n, const char *kind, int64_t submission_id,
                      const char *subject, const char *body);

/* Delivers the notifications due now: one at a time on the thread pool, to
 * the maildir under the data directory or over SMTP when configured; failures
 * retry with doubling backoff. With request groups its reads and records are
 * tasks of them (notify.c); inside a transaction it waits for the commit. */
void ac__notify_pump(struct ac_node *n);

/* Sends the notification that waits for its commit to be durable, once it
 * is (called when the durable count advances; node/durability.c). */
void ac__notify_durable(struct ac_node *n);

/* True while a delivery is in flight (the scheduler waits for it on stop). */
int ac__notify_busy(const struct ac_node *n);

/* Returns a malloc'd copy of |s| fit for one mail header line (RFC 5322 2.2:
 * no CR or LF inside a field body): every control byte (below 0x20, and
 * 0x7f) becomes a space, so text from users or credential titles cannot end
 * the header and start another. NULL when out of memory. */
char *ac__mail_header_value(const char *s);

/* ---- the folder's job kinds (jobs.c) ---- */

/* Registers the review job kinds with |n|'s scheduler. Returns 0 or the
 * error of ac__scheduler_add_kinds(). */
int ac__review_jobs_register(struct ac_node *n);

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
