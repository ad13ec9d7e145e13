/* presentations.c - the presentations service: a recognizer records a
 * credential a teacher presented and the verdict of verifying it, audited. */
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
    err = ac_store_tx_commit(n->store);
    if (err)
        return err;
    ac_log_info("recognition", "presentation %lld (%s from %s for %s): %s, by %s", (long long)p->id,
                p->credential_id, p->issuer, p->teacher, ac_verdict_name(p->verdict), by->name);
    return 0;
}

/* ---- verified by the node itself ---- */

/* Copies |iss| into |out| when an active policy of |recognizer_id| names it,
 * else empties |out|: the node asks only issuers the recognizer counts.
 * Returns 0 or AC_ENOMEM / AC_EDB. */
static int scope_of(struct ac_node *n, int64_t recognizer_id, const char *iss,
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
        err = ac_store_policy_list(n->store, recognizer_id, after, page, POLICIES, &got);
        for (size_t i = 0; !err && i < got; i++) {
            after = page[i].id;
            if (strcmp(page[i].issuer, iss) == 0)
                snprintf(out, AC_POLICY_ISSUER_MAX + 1, "%s", iss);
        }
    }
    free(page);
    return err;
}

struct present {
    struct ac_node *n;
    struct ac_user by;
    struct ac_presentation p;
    ac__presentation_cb cb;
    void *arg;
};

static void presented(struct ac__verify_job *job)
{
    struct present *c = job->arg;
    struct ac_reason why = AC_REASON_INIT;
    int created = 0, err = job->err;
    if (!err) {
        struct ac__verify_item *it = &job->items[0];
        c->p.verdict = it->verdict;
        snprintf(c->p.status_result, sizeof c->p.status_result, "%s", it->status);
        snprintf(c->p.verified_by, sizeof c->p.verified_by, "node");
        snprintf(c->p.checks, sizeof c->p.checks, "%s", it->checks);
        c->p.presented = it->data;
        c->p.presented_len = it->len;
        err = ac__presentations_record(c->n, &c->by, &c->p, &created, &why);
        c->p.presented = NULL;
    }
    c->cb(c->arg, err, err ? NULL : &c->p, created, &why);
    ac_reason_release(&why);
    ac__verify_job_free(job);
    free(c);
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
        c->n = n;
        c->by = *by;
        c->p = *p;
        c->cb = cb;
        c->arg = arg;
        job->items[0].data = data;
        job->items[0].len = len;
        data = NULL; /* the job owns it now */
        err = scope_of(n, by->id, p->issuer, job->items[0].iss);
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

/* ---- the recognized total, its status checked again when old ---- */

/* Presentations read per page while looking for verdicts to check again. */
#define PAGE 64
/* More credentials than this for one teacher with one recognizer are not
 * plausible; the total lists at most these. */
#define RECOGNIZED_MAX 1000

struct total {
    struct ac_node *n;
    struct ac_user by;
    char teacher[AC_TEACHER_MAX + 1];
    ac__total_cb cb;
    void *arg;
};

static void answer_total(struct total *t, int err)
{
    struct ac_recognized *r = err ? NULL : calloc(RECOGNIZED_MAX, sizeof *r);
    size_t got = 0;
    if (!err && !r)
        err = AC_ENOMEM;
    if (!err)
        err = ac_store_recognized_list(t->n->store, t->by.id, t->teacher, r, RECOGNIZED_MAX, &got);
    t->cb(t->arg, err, err ? NULL : r, err ? 0 : got);
    free(r);
    free(t);
}

static void rechecked(struct ac__verify_job *job)
{
    struct total *t = job->arg;
    int err = job->err;
    struct ac_presentation *p = err ? NULL : malloc(sizeof *p);
    if (!err && !p)
        err = AC_ENOMEM;
    for (size_t i = 0; !err && i < job->count; i++) {
        struct ac__verify_item *it = &job->items[i];
        err = ac_store_presentation_get(t->n->store, it->presentation_id, p);
        if (err)
            break;
        int changed = p->verdict != it->verdict || strcmp(p->status_result, it->status) != 0;
        p->verdict = it->verdict;
        snprintf(p->status_result, sizeof p->status_result, "%s", it->status);
        snprintf(p->verified_by, sizeof p->verified_by, "node");
        snprintf(p->checks, sizeof p->checks, "%s", it->checks);
        /* An unchanged verdict only moves verified_ms; a changed one is a
         * decision about the teacher's total, so it is audited. */
        err = ac_store_tx_begin(t->n->store);
        if (err)
            break;
        int created = 0;
        err = ac_store_presentation_record(t->n->store, p, ac_clock_now_ms(), &created);
        if (!err && changed) {
            json_t *d =
                json_pack("{s:s, s:s, s:s, s:s}", "teacher", p->teacher, "cti", p->cti_hex,
                          "verdict", ac_verdict_name(p->verdict), "status", p->status_result);
            err = d ? ac_audit_id(t->n, "presentation", p->id, t->by.id, "recheck", d) : AC_ENOMEM;
            json_decref(d);
        }
        if (err) {
            ac_store_tx_rollback(t->n->store);
            break;
        }
        err = ac_store_tx_commit(t->n->store);
        if (!err && changed)
            ac_log_info("recognition", "presentation %lld (%s for %s) re-checked: %s, status %s",
                        (long long)p->id, p->credential_id, p->teacher, ac_verdict_name(p->verdict),
                        p->status_result);
    }
    free(p);
    ac__verify_job_free(job);
    answer_total(t, err);
}

void ac__recognition_total(struct ac_node *n, const struct ac_user *by, const char *teacher,
                           ac__total_cb cb, void *arg)
{
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__need_role(by, AC_ROLE_RECOGNIZER, &why);
    ac_reason_release(&why);
    struct total *t = err ? NULL : calloc(1, sizeof *t);
    struct ac_presentation *page = t ? calloc(PAGE, sizeof *page) : NULL;
    struct ac__verify_item *stale = NULL;
    size_t nstale = 0;
    if (!err && !page)
        err = AC_ENOMEM;
    int64_t now = ac_clock_now_ms(), after = 0;
    size_t got = PAGE;
    while (!err && got == PAGE) {
        err = ac_store_presentation_list(n->store, by->id, teacher, after, page, PAGE, &got);
        for (size_t i = 0; !err && i < got; i++) {
            after = page[i].id;
            /* Only a verdict that could count, or could come back, is worth
             * asking about: one whose status is known bad or unknown, or
             * that passed, and is old. A verdict of the future (the clock
             * moved back) is checked too. */
            int64_t age = now - page[i].verified_ms;
            if (age >= 0 && age < AC__RECOGNITION_STATUS_TTL_S * 1000)
                continue;
            uint8_t *bytes = NULL;
            size_t len = 0;
            err = ac_store_presentation_bytes(n->store, page[i].id, &bytes, &len);
            if (err || !bytes)
                continue; /* a row from before: it counts nothing until presented again */
            struct ac__verify_item *v = realloc(stale, (nstale + 1) * sizeof *v);
            if (!v) {
                free(bytes);
                err = AC_ENOMEM;
                break;
            }
            stale = v;
            memset(&stale[nstale], 0, sizeof stale[nstale]);
            stale[nstale].data = bytes;
            stale[nstale].len = len;
            stale[nstale].presentation_id = page[i].id;
            nstale++;
            err = scope_of(n, by->id, page[i].issuer, stale[nstale - 1].iss);
        }
    }
    free(page);
    struct ac__verify_job *job = NULL;
    if (!err && nstale) {
        job = ac__verify_job_new(0);
        if (!job)
            err = AC_ENOMEM;
    }
    if (err) {
        for (size_t i = 0; i < nstale; i++)
            free(stale[i].data);
        free(stale);
        free(t);
        cb(arg, err, NULL, 0);
        return;
    }
    t->n = n;
    t->by = *by;
    snprintf(t->teacher, sizeof t->teacher, "%s", teacher);
    t->cb = cb;
    t->arg = arg;
    if (!nstale) {
        free(stale);
        answer_total(t, 0);
        return;
    }
    free(job->items);
    job->items = stale;
    job->count = nstale;
    err = ac__verify_start(n, job, now, rechecked, t);
    if (err) {
        ac__verify_job_free(job);
        answer_total(t, err);
    }
}
