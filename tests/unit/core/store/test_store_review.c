/* test_store_review.c - tests the review-lifecycle store files
 * (core/store_submission.c, store_job.c, store_notify.c, store_flag.c):
 * writes only inside a transaction, rollback leaving nothing behind, jobs
 * stored once and marked done with the effects of their transaction, and at
 * most one issued record per submission. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "accord/base/error.h"
#include "accord/review/people.h"
#include "accord/review/submission.h"
#include "accord/store/certification.h"
#include "accord/store/flag.h"
#include "accord/store/job.h"
#include "accord/store/notify.h"
#include "accord/store/record.h"
#include "accord/store/store.h"
#include "accord/store/submission.h"
#include "accord/store/user.h"
#include "store_fixture.h"

#define T0 1700000000000LL /* any fixed time: the store never reads the clock here */

static int64_t earner_id;

static int open_store(void **state)
{
    (void)state;
    if (store_fixture_open("rstore"))
        return -1;
    struct ac_user u;
    if (ac_store_user_create(st, "eve", NULL, AC_ROLE_EARNER, 1, &u))
        return -1;
    earner_id = u.id;
    return 0;
}

static int64_t make_submission(void)
{
    char elements[] = "[{\"id\":\"criteria\",\"text\":\"shared criteria\"}]";
    struct ac_submission s = {.earner_id = earner_id,
                              .credential_version = 1,
                              .elements = elements,
                              .state = AC_SUB_RECEIVED};
    snprintf(s.credential_id, sizeof s.credential_id, "feedback");
    int64_t id;
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_submission_insert(st, &s, &id));
    assert_int_equal(0, ac_store_tx_commit(st));
    return id;
}

/* Issues a record row through the records store so the submission link has
 * a real row to reference. |n| makes the cti and hashes distinct. */
static int64_t make_record_for(uint8_t n, uint64_t log_index, int64_t earner, const char *email)
{
    int64_t id;
    assert_int_equal(0, store_fixture_issue(st, n, log_index, earner, email, T0, &id));
    return id;
}

static int64_t make_record(uint8_t n, uint64_t log_index)
{
    return make_record_for(n, log_index, 0, NULL);
}

static void test_a_state_change_outside_a_transaction_is_refused(void **state)
{
    (void)state;
    int64_t id = make_submission();
    assert_int_equal(AC_EBUG, ac_store_submission_set_state(st, id, AC_SUB_QUEUED));
    struct ac_submission s;
    assert_int_equal(0, ac_store_submission_get(st, id, &s));
    assert_int_equal(AC_SUB_RECEIVED, s.state);
    ac_submission_release(&s);
}

static void test_a_rolled_back_event_leaves_no_state_notification_or_job(void **state)
{
    (void)state;
    int64_t id = make_submission();
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_submission_set_state(st, id, AC_SUB_QUEUED));
    assert_int_equal(0, ac_store_notify_add(st, earner_id, "outcome", id, "s", "b", T0, NULL));
    assert_int_equal(0, ac_store_job_add(st, "assign", 1, T0));
    ac_store_tx_rollback(st);

    struct ac_submission s;
    assert_int_equal(0, ac_store_submission_get(st, id, &s));
    assert_int_equal(AC_SUB_RECEIVED, s.state);
    ac_submission_release(&s);
    struct ac_notification *ms = NULL;
    size_t nm = 9;
    assert_int_equal(0, ac_store_notify_due(st, T0, 10, &ms, &nm));
    assert_int_equal(0, nm);
    free(ms);
    struct ac_job jobs[4];
    size_t nj = 9;
    assert_int_equal(0, ac_store_job_due(st, T0, jobs, 4, &nj));
    assert_int_equal(0, nj);
}

static void test_a_job_asked_for_twice_is_stored_once(void **state)
{
    (void)state;
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_job_add(st, "deadline", 7, T0));
    assert_int_equal(0, ac_store_job_add(st, "deadline", 7, T0));
    assert_int_equal(0, ac_store_tx_commit(st));
    struct ac_job jobs[4];
    size_t n = 0;
    assert_int_equal(0, ac_store_job_due(st, T0, jobs, 4, &n));
    assert_int_equal(1, n);
    assert_string_equal("deadline", jobs[0].kind);
    assert_int_equal(7, jobs[0].ref);
}

static void test_a_job_is_not_due_before_its_time(void **state)
{
    (void)state;
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_job_add(st, "reminder", 3, T0 + 1000));
    assert_int_equal(0, ac_store_tx_commit(st));
    struct ac_job jobs[4];
    size_t n = 9;
    assert_int_equal(0, ac_store_job_due(st, T0 + 999, jobs, 4, &n));
    assert_int_equal(0, n);
    assert_int_equal(0, ac_store_job_due(st, T0 + 1000, jobs, 4, &n));
    assert_int_equal(1, n);
}

static void test_a_job_marked_done_is_no_longer_due(void **state)
{
    (void)state;
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_job_add(st, "issue", 5, T0));
    assert_int_equal(0, ac_store_tx_commit(st));
    struct ac_job jobs[4];
    size_t n = 0;
    assert_int_equal(0, ac_store_job_due(st, T0, jobs, 4, &n));
    assert_int_equal(1, n);
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_job_done(st, jobs[0].id, T0));
    assert_int_equal(0, ac_store_tx_commit(st));
    assert_int_equal(0, ac_store_job_due(st, T0 + 1, jobs, 4, &n));
    assert_int_equal(0, n);
}

static void test_a_done_mark_rolled_back_with_its_effects_leaves_the_job_due(void **state)
{
    (void)state;
    int64_t sub = make_submission();
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_job_add(st, "resubmit_open", sub, T0));
    assert_int_equal(0, ac_store_tx_commit(st));
    struct ac_job jobs[4];
    size_t n = 0;
    assert_int_equal(0, ac_store_job_due(st, T0, jobs, 4, &n));
    assert_int_equal(1, n);
    /* The job's effect and its done mark, then a crash-like rollback. */
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0,
                     ac_store_notify_add(st, earner_id, "resubmit_open", sub, "s", "b", T0, NULL));
    assert_int_equal(0, ac_store_job_done(st, jobs[0].id, T0));
    ac_store_tx_rollback(st);
    assert_int_equal(0, ac_store_job_due(st, T0, jobs, 4, &n));
    assert_int_equal(1, n);
    struct ac_notification *ms = NULL;
    size_t nm = 9;
    assert_int_equal(0, ac_store_notify_due(st, T0, 10, &ms, &nm));
    assert_int_equal(0, nm);
    free(ms);
}

static void test_marking_a_job_done_outside_a_transaction_is_refused(void **state)
{
    (void)state;
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_job_add(st, "monitor", 1, T0));
    assert_int_equal(0, ac_store_tx_commit(st));
    struct ac_job jobs[4];
    size_t n = 0;
    assert_int_equal(0, ac_store_job_due(st, T0, jobs, 4, &n));
    assert_int_equal(1, n);
    assert_int_equal(AC_EBUG, ac_store_job_done(st, jobs[0].id, T0));
    assert_int_equal(0, ac_store_job_due(st, T0, jobs, 4, &n));
    assert_int_equal(1, n);
}

static void test_a_submission_without_a_record_has_none(void **state)
{
    (void)state;
    int64_t sub = make_submission();
    int64_t rec = -1;
    assert_int_equal(AC_ENOENT, ac_store_submission_record_get(st, sub, &rec));
    assert_int_equal(-1, rec); /* out-param untouched on failure */
}

static void test_the_record_issued_for_a_submission_is_found_again(void **state)
{
    (void)state;
    int64_t sub = make_submission();
    assert_int_equal(0, ac_store_tx_begin(st));
    int64_t rec = make_record(1, 0);
    assert_int_equal(0, ac_store_submission_record_set(st, sub, rec, T0));
    assert_int_equal(0, ac_store_tx_commit(st));
    int64_t got = 0;
    assert_int_equal(0, ac_store_submission_record_get(st, sub, &got));
    assert_int_equal(rec, got);
}

static void test_a_second_record_for_one_submission_is_refused(void **state)
{
    (void)state;
    int64_t sub = make_submission();
    assert_int_equal(0, ac_store_tx_begin(st));
    int64_t first = make_record(1, 0);
    assert_int_equal(0, ac_store_submission_record_set(st, sub, first, T0));
    int64_t second = make_record(2, 1);
    assert_int_equal(AC_EEXIST, ac_store_submission_record_set(st, sub, second, T0));
    ac_store_tx_rollback(st);
}

static void test_a_record_linked_in_a_rolled_back_transaction_is_gone_with_it(void **state)
{
    (void)state;
    int64_t sub = make_submission();
    assert_int_equal(0, ac_store_tx_begin(st));
    int64_t rec = make_record(1, 0);
    assert_int_equal(0, ac_store_submission_record_set(st, sub, rec, T0));
    ac_store_tx_rollback(st);
    int64_t got;
    assert_int_equal(AC_ENOENT, ac_store_submission_record_get(st, sub, &got));
    /* The record itself went too: the log can take index 0 again. */
    assert_int_equal(0, ac_store_tx_begin(st));
    rec = make_record(1, 0);
    assert_int_equal(0, ac_store_submission_record_set(st, sub, rec, T0));
    assert_int_equal(0, ac_store_tx_commit(st));
}

static void test_a_records_earner_and_address_are_those_stored_beside_it(void **state)
{
    (void)state;
    assert_int_equal(0, ac_store_tx_begin(st));
    int64_t mine = make_record_for(1, 0, 7, "ann@district.example");
    int64_t admins = make_record(2, 1);
    assert_int_equal(0, ac_store_tx_commit(st));
    int64_t earner = -1;
    char email[64];
    assert_int_equal(0, ac_store_record_earner(st, mine, &earner));
    assert_int_equal(7, earner);
    assert_int_equal(0, ac_store_record_subject_email(st, mine, email, sizeof email));
    assert_string_equal("ann@district.example", email);
    assert_int_equal(0, ac_store_record_earner(st, admins, &earner));
    assert_int_equal(0, earner);
    assert_int_equal(0, ac_store_record_subject_email(st, admins, email, sizeof email));
    assert_string_equal("", email);
    assert_int_equal(AC_ENOENT, ac_store_record_earner(st, 999, &earner));
}

static void test_a_valid_record_counts_as_held_by_the_earner_beside_it_only(void **state)
{
    (void)state;
    assert_int_equal(0, ac_store_tx_begin(st));
    make_record_for(1, 0, 7, "ann@district.example");
    assert_int_equal(0, ac_store_tx_commit(st));
    bool holds = false;
    assert_int_equal(0, ac_store_held_check(st, 7, "feedback", &holds));
    assert_true(holds);
    assert_int_equal(0, ac_store_held_check(st, 8, "feedback", &holds));
    assert_false(holds);
    assert_int_equal(0, ac_store_held_check(st, 7, "other", &holds));
    assert_false(holds);
}

static void test_a_link_to_a_missing_record_is_refused(void **state)
{
    (void)state;
    int64_t sub = make_submission();
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(AC_ENOENT, ac_store_submission_record_set(st, sub, 999, T0));
    ac_store_tx_rollback(st);
}

static void test_a_flag_cannot_be_resolved_twice(void **state)
{
    (void)state;
    int64_t sub = make_submission(), flag;
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0,
                     ac_store_flag_add(st, "near_duplicate", "feedback", sub, 0, "{}", T0, &flag));
    assert_int_equal(0, ac_store_flag_resolve(st, flag, earner_id, "reject", T0));
    assert_int_equal(AC_ECONFLICT, ac_store_flag_resolve(st, flag, earner_id, "dismiss", T0));
    assert_int_equal(0, ac_store_tx_commit(st));
    struct ac_flag f;
    assert_int_equal(0, ac_store_flag_get(st, flag, &f));
    assert_string_equal("reject", f.resolution);
    ac_flag_release(&f);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, open_store, close_store)
    const struct CMUnitTest tests[] = {
        T(test_a_state_change_outside_a_transaction_is_refused),
        T(test_a_rolled_back_event_leaves_no_state_notification_or_job),
        T(test_a_job_asked_for_twice_is_stored_once),
        T(test_a_job_is_not_due_before_its_time),
        T(test_a_job_marked_done_is_no_longer_due),
        T(test_a_done_mark_rolled_back_with_its_effects_leaves_the_job_due),
        T(test_marking_a_job_done_outside_a_transaction_is_refused),
        T(test_a_submission_without_a_record_has_none),
        T(test_the_record_issued_for_a_submission_is_found_again),
        T(test_a_second_record_for_one_submission_is_refused),
        T(test_a_record_linked_in_a_rolled_back_transaction_is_gone_with_it),
        T(test_a_link_to_a_missing_record_is_refused),
        T(test_a_records_earner_and_address_are_those_stored_beside_it),
        T(test_a_valid_record_counts_as_held_by_the_earner_beside_it_only),
        T(test_a_flag_cannot_be_resolved_twice),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
