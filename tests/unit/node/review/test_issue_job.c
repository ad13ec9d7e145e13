/* test_issue_job.c - tests the "issue" job (node/review/decisions.c) nested
 * in a transaction that does not commit, as it runs inside a request
 * group's on a node serving requests: when it fails after issuing, it does
 * not reload the records state there (the reload would see the group's
 * other uncommitted writes, publish a checkpoint of them and note it on
 * disk before the group's outcome is known); after the group rolls back,
 * signing is not halted and the next issue follows the stored head. */
#include "review_fixture.h"
#include "accord/store/notify.h"
#include "accord/store/tlog.h"
#include "accord/store/user.h"
#include "records/records.h"

/* Submits, assigns, accepts and scores a pass; returns the submission. */
static int64_t passed(void)
{
    int64_t reviewer = fx_reviewer("rita");
    int64_t sub = fx_submit(fx.earner, "I give feedback within a day, in writing.");
    assert_int_equal(0, ac__assignment_pass(&fx.nf.node, fx.row));
    struct ac_assignment_row a = fx_only_assignment(sub);
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(0, ac__scoring_respond(&fx.nf.node, reviewer, a.batch_id, 1, &why));
    struct ac_levels_given g = {.shape = AC_LEVELS_ONE, .n = 1};
    g.v[0].name = "pass";
    assert_int_equal(0, ac__scoring_score(&fx.nf.node, reviewer, a.id, &g, NULL, &why));
    ac_assignment_release(&a);
    return sub;
}

static struct ac_job issue_job(int64_t sub)
{
    struct ac_job jobs[16];
    size_t got = 0;
    assert_int_equal(0, ac_store_job_due(fx.nf.node.store, ac_clock_now_ms(), jobs, 16, &got));
    for (size_t i = 0; i < got; i++)
        if (strcmp(jobs[i].kind, "issue") == 0 && jobs[i].ref == sub)
            return jobs[i];
    fail_msg("no issue job for submission %lld", (long long)sub);
    return jobs[0];
}

static int64_t issue(const char *email)
{
    struct ac__issue_req req = {.email = email,
                                .definition_id = FX_DEF_ID,
                                .definition_version = 1,
                                .achieved_level = "pass"};
    int64_t id = 0;
    int err = ac__credential_issue(&fx.nf.node, &req, &id);
    return err ? err : id;
}

static uint64_t stored_size(void)
{
    struct ac_store_tlog_head head;
    assert_int_equal(0, ac_store_tlog_head(fx.nf.node.store, &head));
    return head.size;
}

static void test_a_failed_issue_job_in_a_group_that_does_not_commit_halts_nothing(void **state)
{
    (void)state;
    struct ac_node *n = &fx.nf.node;
    struct ac_store *st = n->store;
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_user_email_set(st, fx.earner, "eve@school.example", 1));
    assert_int_equal(0, ac_store_tx_commit(st));
    struct ac_job job = issue_job(passed());
    assert_true(issue("first@school.example") > 0);
    uint64_t size0 = stored_size();

    /* The group: an admin's issue, then the issue job, which issues and
     * then fails (its job was marked done by a commit whose outcome the
     * node did not learn), and the group does not commit. */
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_true(issue("admin@school.example") > 0);
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_job_done(st, job.id, ac_clock_now_ms()));
    assert_int_equal(0, ac_store_tx_commit(st));
    assert_int_not_equal(0, ac__decision_job_issue(n, &job));
    ac_store_tx_rollback(st);
    assert_int_equal(size0, stored_size());

    /* Nothing of the group was published: signing goes on, and the next
     * issue lands right after what the store holds. */
    assert_false(n->records->halted);
    assert_true(issue("next@school.example") > 0);
    assert_false(n->records->halted);
    assert_int_equal(size0 + 1, stored_size());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_a_failed_issue_job_in_a_group_that_does_not_commit_halts_nothing, fx_open_full,
            fx_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
