/* presentations.c - the presentations service: a recognizer records a
 * credential a teacher presented and the verdict of verifying it, audited.
 * No statement of it is run by the loop itself and waited for there (issue
 * 15: on PostgreSQL each would be a round trip): what a presentation reads
 * before it is verified (the earner account, the holder's address, the
 * recognizer's policies: ac__presentations_present()) is read in the POST
 * handler, which runs on the write handlers' fiber (node/http/reqtx.c); what
 * follows a verification (the record written, a verdict checked again) is
 * written in a task of the request group (ac__reqtx_task()), on that fiber
 * too; and the total is read on a reader thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/records/subject.h"
#include "accord/store/store_recognition.h"
#include "accounts/accounts.h"
#include "audit.h"
#include "internal.h"
#include "readers.h"
#include "recognition/recognition.h"

int ac__presentations_record(struct ac_node *n, const struct ac_user *by, struct ac_presentation *p,
                             int *created, struct ac_reason *why)
{
    int err = ac__need_role(by, AC_ROLE_RECOGNIZER, why);
    if (err)
        return err;
    p->recognizer_id = by->id;
    err = ac_store_tx_begin(n->store);
    if (err)
        return err;
    *created = 0;
    err = ac_store_presentation_record(n->store, p, ac_clock_now_ms(), created);
    if (err == AC_ECONFLICT)
        ac_reason_fail(why, err, AC_PROBLEM_CONFLICT, "teacher",
                       "teacher: this record was already presented for another teacher; a "
                       "record counts for one teacher only");
    if (!err)
        err = ac_store_presentation_get(n->store, p->id, p);
    if (!err) {
        /* The teacher is the recognizer's own id for them, and the record
         * names the earner only by a salted hash: nothing here identifies a
         * person beyond what the recognizer already holds. */
        json_t *d = json_pack(
            "{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:b}", "teacher", p->teacher, "cti", p->cti_hex,
            "issuer", p->issuer, "credential_id", p->credential_id, "credential_version",
            (json_int_t)p->credential_version, "verdict", ac_verdict_name(p->verdict), "status",
            p->status_result, "first_presentation", *created != 0);
        err = d ? ac_audit_id(n, "presentation", p->id, by->id, "record", d) : AC_ENOMEM;
        json_decref(d);
    }
    if (err) {
        ac_store_tx_rollback(n->store);
        return err;
    }
    return ac_store_tx_commit(n->store);
}

/* ---- verified by the node itself ---- */

/* Copies |iss| into |out| when an active policy of |recognizer_id| names it,
 * else empties |out|: the node asks only issuers the recognizer counts.
 * Returns 0 or AC_ENOMEM / AC_EDB. */
static int scope_of(struct ac_store *st, int64_t recognizer_id, const char *iss,
                    char out[AC_POLICY_ISSUER_MAX + 1])
{
    enum { POLICIES = 32 };
    struct ac_policy *page = malloc(POLICIES * sizeof *page);
    if (!page)
        return AC_ENOMEM;
    out[0] = '\0';
    int64_t after = 0;
    size_t got = POLICIES;
    int err = 0;
    while (!err && !out[0] && got == POLICIES) {
        err = ac_store_policy_list(st, recognizer_id, after, page, POLICIES, &got);
        for (size_t i = 0; !err && i < got; i++) {
            after = page[i].id;
            if (strcmp(page[i].issuer, iss) == 0)
                snprintf(out, AC_POLICY_ISSUER_MAX + 1, "%s", iss);
        }
    }
    free(page);
    return err;
}

/* One presentation from its verification to its answer. */
struct present {
    struct ac_node *n;
    struct ac_user by;
    struct ac_presentation in;  /* as asked, with the verdict once verified */
    struct ac_presentation p;   /* as stored (present_write()) */
    struct ac__verify_job *job; /* owns the presented bytes |in| points at */
    int created;
    struct ac_reason why;
    ac__presentation_cb cb;
    void *arg;
};

static void present_free(struct present *c)
{
    ac_reason_release(&c->why);
    ac__verify_job_free(c->job);
    free(c);
}

/* The presentation and its audit row, as one transaction body: a task of
 * the request group (ac__reqtx_task()), so its statements run on the write
 * handlers' fiber (off the loop: on PostgreSQL the loop does not wait on
 * their round trips) and commit with the group. Run again whole after a
 * lost race, it starts each time from what was asked. */
static int present_write(void *arg)
{
    struct present *c = arg;
    c->p = c->in;
    c->created = 0;
    ac_reason_release(&c->why);
    c->why = (struct ac_reason)AC_REASON_INIT;
    int err = ac__presentations_record(c->n, &c->by, &c->p, &c->created, &c->why);
    c->p.presented = NULL; /* the bytes are the job's */
    return err;
}

/* The group's COMMIT of present_write() ended, or it failed: the answer. */
static void present_written(void *arg, int err)
{
    struct present *c = arg;
    if (!err)
        ac_log_info("recognition", "presentation %lld (%s from %s for %s): %s, by %s",
                    (long long)c->p.id, c->p.credential_id, c->p.issuer, c->p.teacher,
                    ac_verdict_name(c->p.verdict), c->by.name);
    c->cb(c->arg, err, err ? NULL : &c->p, c->created, &c->why);
    present_free(c);
}

static void presented(struct ac__verify_job *job)
{
    struct present *c = job->arg;
    c->job = job;
    int err = job->err;
    if (!err) {
        struct ac__verify_item *it = &job->items[0];
        c->in.verdict = it->verdict;
        snprintf(c->in.status_result, sizeof c->in.status_result, "%s", it->status);
        snprintf(c->in.verified_by, sizeof c->in.verified_by, "node");
        snprintf(c->in.checks, sizeof c->in.checks, "%s", it->checks);
        c->in.presented = it->data;
        c->in.presented_len = it->len;
        err = ac__reqtx_task(c->n, "presentation", present_write, present_written, c);
        if (!err)
            return; /* present_written() answers and frees |c| */
    }
    c->cb(c->arg, err, NULL, 0, &c->why);
    present_free(c);
}

/* The holder binding of a presented record: its subject must be the
 * teacher's address hashed with the record's salt (records/subject.h). A
 * record names nobody a recognizer could look up, so without this one
 * teacher's record could be counted for anyone. */
static int check_holder(struct ac_node *n, const struct ac_presentation *p,
                        const struct ac__holder *h, struct ac_reason *why)
{
    char email[AC_USER_EMAIL_MAX + 1];
    if (h->email[0]) {
        snprintf(email, sizeof email, "%s", h->email);
    } else if (p->earner_id) {
        int err = ac__users_verified_email(n, p->earner_id, email, NULL);
        if (err == AC_ECONFLICT)
            return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "email",
                                  "email: earner %lld has no verified e-mail address here; give "
                                  "the teacher's address as \"email\"",
                                  (long long)p->earner_id);
        if (err)
            return err;
    } else {
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "email",
                              "email: required; the teacher's verified e-mail address, which "
                              "the record's subject must be the salted hash of (or earner_id, "
                              "an account here with a verified address)");
    }
    if (!ac_subject_is_hashed(h->subject))
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_HOLDER_MISMATCH, "record",
                              "record: its subject \"%.40s\" is not a salted e-mail hash "
                              "(sha256$ and 64 hex digits), so it cannot be bound to a teacher",
                              h->subject);
    if (!h->salt[0] || !ac_subject_matches(h->subject, email, h->salt))
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_HOLDER_MISMATCH, "email",
                              "email: the record's subject %s is not SHA-256 of \"%s\" and "
                              "the record's salt: it was issued to someone else, or under "
                              "another address of this teacher (the teacher's issuing node "
                              "shows her the address: GET /v1/credentials/{id}/subject)",
                              h->subject, email);
    return 0;
}

void ac__presentations_present(struct ac_node *n, const struct ac_user *by,
                               const struct ac_presentation *p, const struct ac__holder *h,
                               uint8_t *data, size_t len, ac__presentation_cb cb, void *arg)
{
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__need_role(by, AC_ROLE_RECOGNIZER, &why);
    if (!err && p->earner_id) {
        /* The approvals a policy may require are asked by earner accounts
         * of this node: the teacher is linked to one of them. */
        struct ac_user u;
        err = ac_store_user_get(n->store, p->earner_id, &u);
        if (!err && !(u.roles & AC_ROLE_EARNER))
            err = AC_ENOENT;
        if (err == AC_ENOENT)
            err = ac_reason_fail(&why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "earner_id",
                                 "earner_id: %lld is not an earner account on this node (the "
                                 "teacher's account that asks approvals)",
                                 (long long)p->earner_id);
    }
    if (!err)
        err = check_holder(n, p, h, &why);
    if (err == AC_EINVAL)
        ac_log_info("recognition", "presentation for %s refused: %s", p->teacher,
                    why.detail[0] ? why.detail : "invalid");
    struct present *c = err ? NULL : malloc(sizeof *c);
    struct ac__verify_job *job = c ? ac__verify_job_new(1) : NULL;
    if (!err && !job)
        err = AC_ENOMEM;
    if (!err) {
        memset(c, 0, sizeof *c);
        c->n = n;
        c->by = *by;
        c->in = *p;
        c->why = (struct ac_reason)AC_REASON_INIT;
        c->cb = cb;
        c->arg = arg;
        job->items[0].data = data;
        job->items[0].len = len;
        data = NULL; /* the job owns it now */
        err = scope_of(n->store, by->id, p->issuer, job->items[0].iss);
        if (!err)
            err = ac__verify_start(n, job, ac_clock_now_ms(), presented, c);
        if (err == AC_EAGAIN)
            ac_reason_fail(&why, err, AC_PROBLEM_BUSY, NULL,
                           "%d presentations are being verified with their issuers; try again "
                           "in a few seconds",
                           AC__VERIFY_RUNNING_MAX);
    }
    if (err) {
        free(data);
        ac__verify_job_free(job);
        free(c);
        cb(arg, err, NULL, 0, &why);
        ac_reason_release(&why);
    }
}

/* ---- the recognized total, its status checked again when old ----
 *
 * Nothing of it runs a statement on the loop: the presentations, their
 * bytes, the policies and (when nothing is old) the total are read on a
 * reader thread (node/readers.h); old verdicts are verified again on the
 * verifier's thread; what that changed is written, and the total read
 * again, in a task of the request group (ac__reqtx_task()), on the write
 * handlers' fiber. */

/* Presentations read per page while looking for verdicts to check again. */
#define PAGE 64
/* More credentials than this for one teacher with one recognizer are not
 * plausible; the total lists at most these. */
#define RECOGNIZED_MAX 1000

/* What a re-check changed, for the log once it committed. */
struct recheck_note {
    int changed;
    char credential_id[AC_POLICY_CREDENTIAL_MAX + 1];
};

struct total {
    struct ac__read_job read; /* first: the reads on a reader thread */
    struct ac_node *n;
    struct ac_user by;
    char teacher[AC_TEACHER_MAX + 1];
    int64_t now;
    int err;                       /* the reader's */
    struct ac__verify_item *stale; /* owned until handed to |job| */
    size_t nstale;
    /* Per item: the verified_ms the reader saw. A row stamped otherwise when
     * the re-check is written was presented again meanwhile: its verdict is
     * newer than the re-check's, which must not overwrite it. */
    int64_t *seen_ms;
    struct ac__verify_job *job; /* owned: the re-check, owning the items */
    struct recheck_note *notes; /* one per item */
    struct ac_recognized *r;    /* owned: what counts, |got| of them */
    size_t got;
    ac__total_cb cb;
    void *arg;
};

static void total_end(struct total *t, int err)
{
    t->cb(t->arg, err, err ? NULL : t->r, err ? 0 : t->got);
    for (size_t i = 0; i < t->nstale; i++)
        free(t->stale[i].data);
    free(t->stale);
    free(t->seen_ms);
    ac__verify_job_free(t->job);
    free(t->notes);
    free(t->r);
    free(t);
}

/* Reads what counts for the teacher into |t| with |st|. */
static int read_recognized(struct total *t, struct ac_store *st)
{
    if (!t->r)
        t->r = calloc(RECOGNIZED_MAX, sizeof *t->r);
    if (!t->r)
        return AC_ENOMEM;
    t->got = 0;
    return ac_store_recognized_list(st, t->by.id, t->teacher, t->r, RECOGNIZED_MAX, &t->got);
}

/* Reader thread (or the loop without readers): the teacher's presentations
 * whose verdicts are old, with their bytes and the issuer each may be asked
 * as (the recognizer's policies); with none old, the total itself. */
static void total_read(struct ac__read_job *job, struct ac_store *st)
{
    struct total *t = (struct total *)job;
    struct ac_presentation *page = calloc(PAGE, sizeof *page);
    int err = page ? 0 : AC_ENOMEM;
    int64_t after = 0;
    size_t got = PAGE;
    while (!err && got == PAGE) {
        err = ac_store_presentation_list(st, t->by.id, t->teacher, after, page, PAGE, &got);
        for (size_t i = 0; !err && i < got; i++) {
            after = page[i].id;
            /* Only a verdict that could count, or could come back, is worth
             * asking about: one whose status is known bad or unknown, or
             * that passed, and is old. A verdict of the future (the clock
             * moved back) is checked too. */
            int64_t age = t->now - page[i].verified_ms;
            if (age >= 0 && age < AC__RECOGNITION_STATUS_TTL_S * 1000)
                continue;
            uint8_t *bytes = NULL;
            size_t len = 0;
            err = ac_store_presentation_bytes(st, page[i].id, &bytes, &len);
            if (err || !bytes)
                continue; /* a row from before: it counts nothing until presented again */
            struct ac__verify_item *v = realloc(t->stale, (t->nstale + 1) * sizeof *v);
            if (v)
                t->stale = v;
            int64_t *seen = v ? realloc(t->seen_ms, (t->nstale + 1) * sizeof *seen) : NULL;
            if (!seen) {
                free(bytes);
                err = AC_ENOMEM;
                break;
            }
            t->seen_ms = seen;
            t->seen_ms[t->nstale] = page[i].verified_ms;
            struct ac__verify_item *it = &t->stale[t->nstale++];
            memset(it, 0, sizeof *it);
            it->data = bytes;
            it->len = len;
            it->presentation_id = page[i].id;
            err = scope_of(st, t->by.id, page[i].issuer, it->iss);
        }
    }
    free(page);
    if (!err && !t->nstale)
        err = read_recognized(t, st);
    t->err = err;
}

/* The re-checked verdicts, as one transaction body (a task of the request
 * group, run again whole after a lost race): each stored, a changed one
 * audited, then the total read with them. A row presented again since the
 * reader read it keeps its newer verdict (|seen_ms|). */
static int recheck_write(void *arg)
{
    struct total *t = arg;
    struct ac_node *n = t->n;
    struct ac__verify_job *job = t->job;
    struct ac_presentation *p = malloc(sizeof *p);
    if (!p)
        return AC_ENOMEM;
    int err = ac_store_tx_begin(n->store);
    if (err) {
        free(p);
        return err;
    }
    for (size_t i = 0; !err && i < job->count; i++) {
        struct ac__verify_item *it = &job->items[i];
        err = ac_store_presentation_get(n->store, it->presentation_id, p);
        if (err)
            break;
        t->notes[i].changed = 0;
        if (p->verified_ms != t->seen_ms[i])
            continue; /* presented (or re-checked) again since it was read */
        int changed = p->verdict != it->verdict || strcmp(p->status_result, it->status) != 0;
        p->verdict = it->verdict;
        snprintf(p->status_result, sizeof p->status_result, "%s", it->status);
        snprintf(p->verified_by, sizeof p->verified_by, "node");
        snprintf(p->checks, sizeof p->checks, "%s", it->checks);
        t->notes[i].changed = changed;
        snprintf(t->notes[i].credential_id, sizeof t->notes[i].credential_id, "%s",
                 p->credential_id);
        /* An unchanged verdict only moves verified_ms; a changed one is a
         * decision about the teacher's total, so it is audited. */
        int created = 0;
        err = ac_store_presentation_record(n->store, p, ac_clock_now_ms(), &created);
        if (!err && changed) {
            json_t *d =
                json_pack("{s:s, s:s, s:s, s:s}", "teacher", p->teacher, "cti", p->cti_hex,
                          "verdict", ac_verdict_name(p->verdict), "status", p->status_result);
            err = d ? ac_audit_id(n, "presentation", p->id, t->by.id, "recheck", d) : AC_ENOMEM;
            json_decref(d);
        }
    }
    if (!err)
        err = read_recognized(t, n->store);
    if (err)
        ac_store_tx_rollback(n->store);
    else
        err = ac_store_tx_commit(n->store);
    free(p);
    return err;
}

/* The group's COMMIT of recheck_write() ended, or it failed: the answer. */
static void rechecked_written(void *arg, int err)
{
    struct total *t = arg;
    for (size_t i = 0; !err && i < t->job->count; i++) {
        const struct ac__verify_item *it = &t->job->items[i];
        if (t->notes[i].changed)
            ac_log_info("recognition", "presentation %lld (%s for %s) re-checked: %s, status %s",
                        (long long)it->presentation_id, t->notes[i].credential_id, t->teacher,
                        ac_verdict_name(it->verdict), it->status);
    }
    total_end(t, err);
}

static void rechecked(struct ac__verify_job *job)
{
    struct total *t = job->arg;
    int err = job->err;
    if (!err) {
        t->notes = calloc(job->count, sizeof *t->notes);
        err = t->notes ? ac__reqtx_task(t->n, "presentation re-check", recheck_write,
                                        rechecked_written, t)
                       : AC_ENOMEM;
        if (!err)
            return; /* rechecked_written() answers and frees |t| */
    }
    total_end(t, err);
}

/* Loop: the reader read; with old verdicts, they are verified again. */
static void total_read_done(struct ac__read_job *job, int status)
{
    struct total *t = (struct total *)job;
    int err = status ? status : t->err;
    if (err || !t->nstale) {
        total_end(t, err);
        return;
    }
    t->job = ac__verify_job_new(0);
    if (!t->job) {
        total_end(t, AC_ENOMEM);
        return;
    }
    free(t->job->items);
    t->job->items = t->stale;
    t->job->count = t->nstale;
    t->stale = NULL;
    t->nstale = 0;
    err = ac__verify_start(t->n, t->job, t->now, rechecked, t);
    if (err)
        total_end(t, err);
}

void ac__recognition_total(struct ac_node *n, const struct ac_user *by, const char *teacher,
                           ac__total_cb cb, void *arg)
{
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__need_role(by, AC_ROLE_RECOGNIZER, &why);
    ac_reason_release(&why);
    struct total *t = err ? NULL : calloc(1, sizeof *t);
    if (!err && !t)
        err = AC_ENOMEM;
    if (err) {
        cb(arg, err, NULL, 0);
        return;
    }
    t->read = (struct ac__read_job){total_read, total_read_done, NULL};
    t->n = n;
    t->by = *by;
    snprintf(t->teacher, sizeof t->teacher, "%s", teacher);
    t->now = ac_clock_now_ms();
    t->cb = cb;
    t->arg = arg;
    ac__read_submit(n, &t->read); /* total_read_done() answers */
}
