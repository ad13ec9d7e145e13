/* test_monitoring.c - tests node/review/monitoring.c without HTTP: after
 * decisions, a reviewer whose scores of seeded benchmark items fall below the
 * issuer's agreement threshold is flagged, set unavailable (leaving the
 * pool) and audited once; a reviewer who agrees stays certified. */
#include "review_fixture.h"
#include "accord/store/assignment.h"
#include "accord/store/flag.h"
#include "accord/store/job.h"
#include "accord/store/reviewer.h"

#define MONITORED_DEFINITION                                                                       \
    "{\"id\":\"" FX_DEF_ID "\",\"version\":1,\"title\":\"Feedback\",\"competency\":\"c\","         \
    "\"key_method\":\"k\",\"method_components\":\"m\","                                            \
    "\"submission\":{\"elements\":[{\"id\":\"a\",\"prompt\":\"Describe it\"}]},"                   \
    "\"scoring\":{\"levels\":[\"not yet\",\"pass\"],\"passing_level\":\"pass\"},"                  \
    "\"reviewers\":{\"mode\":\"master\"},"                                                         \
    "\"review\":{\"batch_size\":1,\"deadline_days\":2,\"reminders_hours_before\":[24]},"           \
    "\"maintenance\":{\"second_master_rate\":0,\"min_sample\":2,\"thresholds\":[{\"measure\":"     \
    "\"benchmark_agreement\","                                                                     \
    "\"min\":0.8,\"actions\":[\"unavailable\"]}]}}"

static int setup(void **state)
{
    (void)state;
    return fx_open_with(MONITORED_DEFINITION);
}

/* Gives |reviewer| two scored benchmark items whose expert level is "pass"
 * (1), scored |level|. */
static void score_benchmarks(int64_t reviewer, int level)
{
    struct ac_store *st = fx.nf.node.store;
    int64_t now = ac_clock_now_ms();
    assert_int_equal(0, ac_store_tx_begin(st));
    for (int i = 0; i < 2; i++) {
        struct ac_assignment_row a = {.reviewer_id = reviewer,
                                      .benchmark_level = 1,
                                      .state = AC_ASG_ACCEPTED,
                                      .level = -1,
                                      .credential_row = fx.row};
        snprintf(a.benchmark_id, sizeof a.benchmark_id, "%d", i + 1);
        snprintf(a.credential_id, sizeof a.credential_id, FX_DEF_ID);
        int64_t id;
        assert_int_equal(0, ac_store_assignment_insert(st, &a, now, &id));
        assert_int_equal(0, ac_store_assignment_score(st, id, &level, 1, level, NULL, now));
    }
    assert_int_equal(0, ac_store_tx_commit(st));
}

static enum ac_rcert_state cert_state(int64_t reviewer)
{
    struct ac_reviewer_cert c;
    assert_int_equal(0, ac_store_reviewer_cert_get(fx.nf.node.store, fx.row, reviewer, &c));
    enum ac_rcert_state s = c.state;
    ac_reviewer_cert_release(&c);
    return s;
}

static void test_a_reviewer_below_the_benchmark_threshold_is_set_unavailable_once(void **state)
{
    (void)state;
    fx_scheduler();
    int64_t wrong = fx_reviewer("wren"), right = fx_reviewer("rita");
    score_benchmarks(wrong, 0);
    score_benchmarks(right, 1);
    assert_int_equal(0, ac_store_tx_begin(fx.nf.node.store));
    assert_int_equal(0, ac_store_job_add(fx.nf.node.store, "monitor", fx.row, ac_clock_now_ms()));
    assert_int_equal(0, ac_store_tx_commit(fx.nf.node.store));
    assert_int_equal(1, fx_run_jobs("monitor"));
    assert_int_equal(AC_RCERT_UNAVAILABLE, cert_state(wrong));
    assert_int_equal(AC_RCERT_CERTIFIED, cert_state(right));
    struct ac_flag *fs = NULL;
    size_t nf = 0;
    assert_int_equal(0, ac_store_flag_list(fx.nf.node.store, 1, 0, 10, &fs, &nf));
    assert_int_equal(1, nf);
    assert_string_equal("reviewer_monitor", fs[0].kind);
    assert_int_equal(wrong, fs[0].reviewer_id);
    ac_flag_release(&fs[0]);
    free(fs);
    json_t *d = fx_audit("reviewer", wrong, "set_unavailable");
    assert_non_null(d);
    assert_int_equal(wrong, json_integer_value(json_object_get(d, "reviewer")));
    json_decref(d);
    /* Run again (a later decision): already out of the pool, not flagged twice. */
    assert_int_equal(0, ac_store_tx_begin(fx.nf.node.store));
    assert_int_equal(0,
                     ac_store_job_add(fx.nf.node.store, "monitor", fx.row, ac_clock_now_ms() + 1));
    assert_int_equal(0, ac_store_tx_commit(fx.nf.node.store));
    ac_clock_advance(1);
    assert_int_equal(1, fx_run_jobs("monitor"));
    assert_int_equal(0, ac_store_flag_list(fx.nf.node.store, 1, 0, 10, &fs, &nf));
    assert_int_equal(1, nf);
    ac_flag_release(&fs[0]);
    free(fs);
}

static void test_the_monitor_job_of_a_missing_credential_is_nothing_to_do(void **state)
{
    (void)state;
    struct ac_job job = {.id = 1, .ref = fx.row + 10};
    snprintf(job.kind, sizeof job.kind, "monitor");
    assert_int_equal(0, ac__monitoring_job(&fx.nf.node, &job));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_a_reviewer_below_the_benchmark_threshold_is_set_unavailable_once, setup, fx_close),
        cmocka_unit_test_setup_teardown(
            test_the_monitor_job_of_a_missing_credential_is_nothing_to_do, setup, fx_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
