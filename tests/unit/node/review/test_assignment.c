/* test_assignment.c - tests node/review/assignment.c without HTTP: the pool of
 * certified reviewers is read whole however large; a pass gives queued work
 * to a certified reviewer and sends it as a batch that carries its
 * credentials row; a failed pass ends no transaction it did not open; the
 * deadline job hands unscored work back; a reminder past its deadline is not
 * sent; a benchmark item is shown exactly as a real submission or not seeded. */
#include "review_fixture.h"
#include "accord/store/assignment.h"
#include "accord/store/notify.h"
#include "accord/store/reviewer.h"
#include "accord/store/submission.h"
#include "accord/store/user.h"

static void free_certs(struct ac_reviewer_cert *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ac_reviewer_cert_release(&c[i]);
    free(c);
}

/* Adds reviewer "r<i>" (no profile) and walks their certification to |to|. */
static void add_cert(int i, enum ac_rcert_state to)
{
    char name[32];
    snprintf(name, sizeof name, "r%d", i);
    fixture_certify_to(&fx.nf, fx.row, fx_user(name, AC_ROLE_REVIEWER), to, 1);
}

static void test_every_certified_reviewer_of_a_pool_past_one_store_page_is_loaded(void **state)
{
    (void)state;
    /* 600 spans three pages of 256 and ends inside the third; every fourth
     * reviewer is only screened and must be left out: 450 certified. */
    assert_int_equal(0, ac_store_tx_begin(fx.nf.node.store));
    for (int i = 0; i < 600; i++)
        add_cert(i, i % 4 == 3 ? AC_RCERT_SCREENED : AC_RCERT_CERTIFIED);
    assert_int_equal(0, ac_store_tx_commit(fx.nf.node.store));
    struct ac_reviewer_cert *c = NULL;
    size_t n = 0;
    assert_int_equal(0, ac__assignment_pool(fx.nf.node.store, fx.row, &c, &n));
    assert_int_equal(450, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(AC_RCERT_CERTIFIED, c[i].state);
        if (i)
            assert_true(c[i].user_id > c[i - 1].user_id);
    }
    free_certs(c, n);
}

static void test_a_pool_of_exactly_one_page_is_loaded_whole(void **state)
{
    (void)state;
    assert_int_equal(0, ac_store_tx_begin(fx.nf.node.store));
    for (int i = 0; i < 256; i++)
        add_cert(i, AC_RCERT_CERTIFIED);
    assert_int_equal(0, ac_store_tx_commit(fx.nf.node.store));
    struct ac_reviewer_cert *c = NULL;
    size_t n = 0;
    assert_int_equal(0, ac__assignment_pool(fx.nf.node.store, fx.row, &c, &n));
    assert_int_equal(256, n);
    free_certs(c, n);
}

static void test_a_credential_without_certified_reviewers_has_an_empty_pool(void **state)
{
    (void)state;
    struct ac_reviewer_cert *c = NULL;
    size_t n = 7;
    assert_int_equal(0, ac__assignment_pool(fx.nf.node.store, fx.row, &c, &n));
    assert_int_equal(0, n);
    free_certs(c, n);
}

static void test_a_pass_invites_a_certified_reviewer_in_a_batch_that_carries_its_row(void **state)
{
    (void)state;
    int64_t r = fx_reviewer("rita");
    int64_t sub = fx_submit(fx.earner, "I give feedback within a day, in writing.");
    assert_int_equal(AC_SUB_QUEUED, fx_sub_state(sub));
    assert_int_equal(0, ac__assignment_pass(&fx.nf.node, fx.row));
    assert_int_equal(AC_SUB_IN_REVIEW, fx_sub_state(sub));
    struct ac_assignment_row *as = NULL;
    size_t nas = 0;
    assert_int_equal(0, ac_store_assignment_list(fx.nf.node.store, sub, 0, 0, -1, &as, &nas));
    assert_int_equal(1, nas);
    assert_int_equal(r, as[0].reviewer_id);
    assert_int_equal(AC_ASG_INVITED, as[0].state);
    assert_int_equal(fx.row, as[0].credential_row);
    struct ac_batch_row b;
    assert_int_equal(0, ac_store_batch_get(fx.nf.node.store, as[0].batch_id, &b));
    assert_int_equal(fx.row, b.credential_row);
    assert_int_equal(AC_BATCH_INVITED, b.state);
    /* Audited with a JSON detail naming reviewer and assignment. */
    json_t *d = fx_audit("submission", sub, "assigned");
    assert_non_null(d);
    assert_int_equal(r, json_integer_value(json_object_get(d, "reviewer")));
    assert_int_equal(as[0].id, json_integer_value(json_object_get(d, "assignment")));
    json_decref(d);
    d = fx_audit("batch", b.id, "invited");
    assert_non_null(d);
    assert_string_equal(FX_DEF_ID, json_string_value(json_object_get(d, "credential")));
    json_decref(d);
    for (size_t i = 0; i < nas; i++)
        ac_assignment_release(&as[i]);
    free(as);
    /* Repeating the pass assigns nothing more. */
    assert_int_equal(0, ac__assignment_pass(&fx.nf.node, fx.row));
    assert_int_equal(0, ac_store_assignment_list(fx.nf.node.store, sub, 0, 0, -1, &as, &nas));
    assert_int_equal(1, nas);
    ac_assignment_release(&as[0]);
    free(as);
}

/* The review found: the pass began its transaction under `!err && np` and
 * ended it under `np`, so a run failing before it opened one rolled back
 * the caller's. Here the assignment solver refuses the problem (a need over
 * its bound of 65535 reviews) after the pass found work; the caller's
 * transaction and what it wrote must survive. */
static void test_a_failed_pass_leaves_the_callers_transaction_open_and_intact(void **state)
{
    (void)state;
    fx_reviewer("rita");
    int64_t sub = fx_submit(fx.earner, "I give feedback within a day, in writing.");
    struct ac_store *st = fx.nf.node.store;
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_submission_set_need(st, sub, 70000));
    int64_t witness = fx_user("witness", AC_ROLE_EARNER);
    assert_int_equal(AC_EINVAL, ac__assignment_pass(&fx.nf.node, fx.row));
    /* Still inside the caller's transaction: its commit succeeds and keeps
     * what it wrote (before the fix: AC_EBUG, the user gone). */
    assert_int_equal(0, ac_store_tx_commit(st));
    struct ac_user u;
    assert_int_equal(0, ac_store_user_get(st, witness, &u));
    assert_int_equal(AC_SUB_QUEUED, fx_sub_state(sub));
}

static void test_the_deadline_job_expires_the_batch_and_hands_its_work_back(void **state)
{
    (void)state;
    fx_scheduler();
    fx_reviewer("rita");
    int64_t sub = fx_submit(fx.earner, "I give feedback within a day, in writing.");
    assert_int_equal(0, ac__assignment_pass(&fx.nf.node, fx.row));
    struct ac_assignment_row a = fx_only_assignment(sub);
    int64_t batch = a.batch_id;
    ac_assignment_release(&a);
    ac_clock_advance(3 * 24 * 3600 * 1000LL);
    size_t passes = fx_jobs("assign", fx.row, ac_clock_now_ms());
    assert_int_equal(1, fx_run_jobs("deadline"));
    struct ac_batch_row b;
    assert_int_equal(0, ac_store_batch_get(fx.nf.node.store, batch, &b));
    assert_int_equal(AC_BATCH_EXPIRED, b.state);
    a = fx_only_assignment(sub);
    assert_int_equal(AC_ASG_EXPIRED, a.state);
    ac_assignment_release(&a);
    /* A new pass of the same row was queued so the work finds another. */
    assert_int_equal(passes + 1, fx_jobs("assign", fx.row, ac_clock_now_ms()));
    json_t *d = fx_audit("batch", batch, "expired");
    assert_non_null(d);
    json_decref(d);
}

static void test_a_reminder_that_comes_due_after_its_deadline_is_not_sent(void **state)
{
    (void)state;
    fx_scheduler();
    int64_t rita = fx_reviewer("rita");
    fx_submit(fx.earner, "I give feedback within a day, in writing.");
    assert_int_equal(0, ac__assignment_pass(&fx.nf.node, fx.row));
    /* The node was down across the reminder (24 h before) and the deadline
     * (two days): the reminder runs first, after the deadline. */
    ac_clock_advance(3 * 24 * 3600 * 1000LL);
    assert_int_equal(1, fx_run_jobs("reminder"));
    assert_int_equal(0, fx_notifications(rita, "reminder"));
    assert_int_equal(1, fx_run_jobs("deadline"));
    assert_int_equal(1, fx_notifications(rita, "expired"));
}

/* A definition like the fixture's with two elements, "a" (required) and "b"
 * (optional). */
#define TWO_ELEMENTS                                                                               \
    "{\"id\":\"two\",\"version\":1,\"title\":\"Two\",\"competency\":\"c\","                        \
    "\"key_method\":\"k\",\"method_components\":\"m\","                                            \
    "\"submission\":{\"elements\":[{\"id\":\"a\",\"prompt\":\"First\"},"                           \
    "{\"id\":\"b\",\"prompt\":\"Second\",\"required\":false}]},"                                   \
    "\"scoring\":{\"levels\":[\"not yet\",\"pass\"],\"passing_level\":\"pass\"},"                  \
    "\"reviewers\":{\"mode\":\"master\"},\"maintenance\":{\"second_master_rate\":0}}"

static struct ac_definition *parsed(const char *json)
{
    struct ac_definition *d = NULL;
    struct ac_def_problems probs = {0};
    assert_int_equal(0, ac_def_from_json(json, strlen(json), &d, &probs));
    ac_def_problems_release(&probs);
    return d;
}

static char *shown(const struct ac_definition *d, const char *content)
{
    json_t *j = ac__assignment_seed_elements(d, content);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return text;
}

static void test_a_benchmark_is_shown_with_every_element_in_the_definitions_order(void **state)
{
    (void)state;
    struct ac_definition *d = parsed(TWO_ELEMENTS);
    char *t = shown(d, "[{\"id\":\"b\",\"text\":\"second\"},{\"id\":\"a\",\"text\":\"first\"}]");
    assert_string_equal(t,
                        "[{\"id\":\"a\",\"text\":\"first\"},{\"id\":\"b\",\"text\":\"second\"}]");
    free(t);
    /* An optional element may be absent, as in a real submission. */
    t = shown(d, "[{\"id\":\"a\",\"text\":\"first\"}]");
    assert_string_equal(t, "[{\"id\":\"a\",\"text\":\"first\"}]");
    free(t);
    ac_def_free(d);
}

static void test_a_benchmark_that_cannot_look_like_a_real_submission_is_refused(void **state)
{
    (void)state;
    struct ac_definition *d = parsed(TWO_ELEMENTS);
    assert_null(shown(d, "One passage of plain text."));
    assert_null(shown(d, "[{\"id\":\"b\",\"text\":\"no required element\"}]"));
    assert_null(shown(d, "[{\"id\":\"a\",\"text\":\"x\"},{\"id\":\"z\",\"text\":\"unknown\"}]"));
    assert_null(shown(d, "[{\"id\":\"a\",\"text\":\"x\"},{\"id\":\"a\",\"text\":\"twice\"}]"));
    ac_def_free(d);
}

static void test_plain_text_is_the_one_element_of_a_one_element_credential(void **state)
{
    (void)state;
    struct ac_definition *d = parsed(FX_DEFINITION);
    char *t = shown(d, "One passage.");
    assert_string_equal(t, "[{\"id\":\"a\",\"text\":\"One passage.\"}]");
    free(t);
    ac_def_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_every_certified_reviewer_of_a_pool_past_one_store_page_is_loaded, fx_open,
            fx_close),
        cmocka_unit_test_setup_teardown(test_a_pool_of_exactly_one_page_is_loaded_whole, fx_open,
                                        fx_close),
        cmocka_unit_test_setup_teardown(
            test_a_credential_without_certified_reviewers_has_an_empty_pool, fx_open, fx_close),
        cmocka_unit_test_setup_teardown(
            test_a_pass_invites_a_certified_reviewer_in_a_batch_that_carries_its_row, fx_open,
            fx_close),
        cmocka_unit_test_setup_teardown(
            test_a_failed_pass_leaves_the_callers_transaction_open_and_intact, fx_open, fx_close),
        cmocka_unit_test_setup_teardown(
            test_the_deadline_job_expires_the_batch_and_hands_its_work_back, fx_open, fx_close),
        cmocka_unit_test_setup_teardown(
            test_a_reminder_that_comes_due_after_its_deadline_is_not_sent, fx_open, fx_close),
        cmocka_unit_test_setup_teardown(
            test_a_benchmark_is_shown_with_every_element_in_the_definitions_order, fx_open,
            fx_close),
        cmocka_unit_test_setup_teardown(
            test_a_benchmark_that_cannot_look_like_a_real_submission_is_refused, fx_open, fx_close),
        cmocka_unit_test_setup_teardown(
            test_plain_text_is_the_one_element_of_a_one_element_credential, fx_open, fx_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
