/* test_status.c - tests the status service of node/records/status.c without
 * HTTP: who may revoke, suspend and reinstate; which changes a record's
 * current status allows; that each change is audited; and that a refused
 * change leaves the store, the in-memory status list and the audit trail as
 * they were. */
#include "records_fixture.h"

#include "accord/records/status.h"
#include "accord/store/audit.h"
#include "accord/store/status.h"
#include "accounts/accounts.h"

static struct node_fixture fx;
static struct ac_user ada; /* admin */
static int64_t rec_id;
static char rec_sid[24];

static int setup(void **state)
{
    (void)state;
    if (fixture_open_full(&fx))
        return -1;
    ada = fixture_user(&fx, "ada", AC_ROLE_ADMIN);
    return fixture_issue(&fx, "ann@district.example", &rec_id, rec_sid);
}

/* The status of the test record in the store and in memory, which must agree. */
static enum ac_status status_now(void)
{
    struct ac_store_status e;
    assert_int_equal(0, ac_store_status_get(fx.node.store, rec_id, &e));
    enum ac_status mem;
    assert_int_equal(0, ac_status_list_get(fx.node.records->status, e.idx, &mem));
    assert_int_equal((int)e.state, (int)mem);
    return mem;
}

/* Audit rows about the test record besides the one of its issue. */
static size_t status_audits(void)
{
    return fixture_audit_count(&fx, "record", rec_sid) - 1;
}

static void test_a_recognizer_cannot_revoke_and_nothing_changes(void **state)
{
    (void)state;
    struct ac_user rita = fixture_user(&fx, "rita", AC_ROLE_RECOGNIZER);
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_EACCES, ac__records_set_status(&fx.node, &rita, rec_id, AC_STATUS_INVALID,
                                                       "fraud", NULL, &why));
    assert_int_equal(AC_PROBLEM_FORBIDDEN, why.problem);
    assert_string_equal("this needs the admin role; user rita has recognizer", why.detail);
    assert_int_equal(AC_STATUS_VALID, status_now());
    assert_int_equal(0, status_audits());
}

static void test_an_admin_revokes_a_record_with_its_audit_row(void **state)
{
    (void)state;
    struct ac_store_status e;
    assert_int_equal(0, ac__records_set_status(&fx.node, &ada, rec_id, AC_STATUS_INVALID,
                                               "evidence was plagiarised", &e, NULL));
    assert_int_equal(AC_STATUS_INVALID, e.state);
    assert_string_equal("evidence was plagiarised", e.reason);
    assert_int_equal(AC_STATUS_INVALID, status_now());
    /* The published lists are rebuilt on the next read. */
    assert_true(fx.node.records->token.stale);
    struct ac_audit_entry a = fixture_audit_newest(&fx, "record", rec_sid);
    assert_string_equal("revoke", a.action);
    assert_int_equal(ada.id, a.actor_user_id);
    assert_non_null(strstr(a.detail, "\"reason\":\"evidence was plagiarised\""));
    ac_audit_entry_release(&a);
}

static void test_revoking_twice_is_a_status_conflict_and_writes_no_second_row(void **state)
{
    (void)state;
    assert_int_equal(
        0, ac__records_set_status(&fx.node, &ada, rec_id, AC_STATUS_INVALID, "fraud", NULL, NULL));
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_ECONFLICT, ac__records_set_status(&fx.node, &ada, rec_id, AC_STATUS_INVALID,
                                                          "again", NULL, &why));
    assert_int_equal(AC_PROBLEM_STATUS_CONFLICT, why.problem);
    char want[128];
    snprintf(want, sizeof want,
             "cannot revoke credential %lld: the credential is revoked; revocation is final",
             (long long)rec_id);
    assert_string_equal(want, why.detail);
    assert_int_equal(1, status_audits());
}

static void test_a_revoked_record_cannot_be_reinstated(void **state)
{
    (void)state;
    assert_int_equal(
        0, ac__records_set_status(&fx.node, &ada, rec_id, AC_STATUS_INVALID, "fraud", NULL, NULL));
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_ECONFLICT, ac__records_set_status(&fx.node, &ada, rec_id, AC_STATUS_VALID,
                                                          "appeal", NULL, &why));
    assert_int_equal(AC_PROBLEM_STATUS_CONFLICT, why.problem);
    assert_int_equal(AC_STATUS_INVALID, status_now());
}

static void test_a_suspension_is_lifted_by_reinstating(void **state)
{
    (void)state;
    assert_int_equal(0, ac__records_set_status(&fx.node, &ada, rec_id, AC_STATUS_SUSPENDED,
                                               "under review", NULL, NULL));
    assert_int_equal(AC_STATUS_SUSPENDED, status_now());
    assert_int_equal(
        0, ac__records_set_status(&fx.node, &ada, rec_id, AC_STATUS_VALID, "cleared", NULL, NULL));
    assert_int_equal(AC_STATUS_VALID, status_now());
    assert_int_equal(2, status_audits());
    struct ac_audit_entry a = fixture_audit_newest(&fx, "record", rec_sid);
    assert_string_equal("reinstate", a.action);
    ac_audit_entry_release(&a);
}

static void test_reinstating_a_valid_record_is_a_status_conflict(void **state)
{
    (void)state;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_ECONFLICT, ac__records_set_status(&fx.node, &ada, rec_id, AC_STATUS_VALID,
                                                          "nothing", NULL, &why));
    assert_non_null(strstr(why.detail, "not suspended; only a suspension is lifted"));
    assert_int_equal(0, status_audits());
}

static void test_suspending_a_suspended_record_is_a_status_conflict(void **state)
{
    (void)state;
    assert_int_equal(
        0, ac__records_set_status(&fx.node, &ada, rec_id, AC_STATUS_SUSPENDED, "one", NULL, NULL));
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_ECONFLICT, ac__records_set_status(&fx.node, &ada, rec_id,
                                                          AC_STATUS_SUSPENDED, "two", NULL, &why));
    assert_non_null(strstr(why.detail, "cannot suspend credential"));
    assert_non_null(strstr(why.detail, "already suspended"));
}

static void test_changing_a_record_that_does_not_exist_is_not_found(void **state)
{
    (void)state;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_ENOENT, ac__records_set_status(&fx.node, &ada, rec_id + 1,
                                                       AC_STATUS_INVALID, "fraud", NULL, &why));
    assert_int_equal(AC_PROBLEM_NONE, why.problem);
}

static void test_a_revocation_whose_audit_row_cannot_be_written_changes_nothing(void **state)
{
    (void)state;
    /* The store refuses an audit row with a negative actor: the failure
     * comes after the status entry changed inside the same transaction. */
    struct ac_user ghost = ada;
    ghost.id = -1;
    assert_int_equal(AC_EINVAL, ac__records_set_status(&fx.node, &ghost, rec_id, AC_STATUS_INVALID,
                                                       "fraud", NULL, NULL));
    assert_int_equal(AC_STATUS_VALID, status_now());
}

/* Memory's state of the test record, whatever the store says. */
static enum ac_status memory_now(void)
{
    struct ac_store_status e;
    assert_int_equal(0, ac_store_status_get(fx.node.store, rec_id, &e));
    enum ac_status mem;
    assert_int_equal(0, ac_status_list_get(fx.node.records->status, e.idx, &mem));
    return mem;
}

static void test_a_revocation_inside_a_request_that_rolls_back_leaves_memory_as_it_was(
    void **state)
{
    (void)state;
    /* The request transaction the HTTP layer opens around a write. */
    assert_int_equal(0, ac_store_tx_begin(fx.node.store));
    assert_int_equal(0, ac__records_set_status(&fx.node, &ada, rec_id, AC_STATUS_INVALID,
                                               "fraud", NULL, NULL));
    assert_int_equal(AC_STATUS_VALID, memory_now()); /* not before the request commits */
    ac_store_tx_rollback(fx.node.store);             /* lost a race: run again, say */
    assert_int_equal(AC_STATUS_VALID, status_now());
    /* Run again and committed, memory follows at the request's commit. */
    assert_int_equal(0, ac_store_tx_begin(fx.node.store));
    assert_int_equal(0, ac__records_set_status(&fx.node, &ada, rec_id, AC_STATUS_SUSPENDED,
                                               "checking", NULL, NULL));
    assert_int_equal(AC_STATUS_VALID, memory_now());
    assert_int_equal(0, ac_store_tx_commit(fx.node.store));
    assert_int_equal(AC_STATUS_SUSPENDED, status_now());
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_a_recognizer_cannot_revoke_and_nothing_changes),
        T(test_an_admin_revokes_a_record_with_its_audit_row),
        T(test_revoking_twice_is_a_status_conflict_and_writes_no_second_row),
        T(test_a_revoked_record_cannot_be_reinstated),
        T(test_a_suspension_is_lifted_by_reinstating),
        T(test_reinstating_a_valid_record_is_a_status_conflict),
        T(test_suspending_a_suspended_record_is_a_status_conflict),
        T(test_changing_a_record_that_does_not_exist_is_not_found),
        T(test_a_revocation_whose_audit_row_cannot_be_written_changes_nothing),
        T(test_a_revocation_inside_a_request_that_rolls_back_leaves_memory_as_it_was),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
