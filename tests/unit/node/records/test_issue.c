/* test_issue.c - tests the issuing service of node/records/issue.c without
 * HTTP, over a real node's store, keyring and transparency log: who may
 * issue, that the record, its log leaf and its audit row commit together,
 * and that a refused record leaves nothing behind. */
#include "node/full_node.h"

#include "accord/records/record.h"
#include "accord/records/status.h"
#include "accord/store/audit.h"
#include "accord/store/record.h"
#include "accord/store/tlog.h"
#include "accounts/accounts.h"

static struct full_node fx;

static int setup(void **state)
{
    (void)state;
    return full_node_open(&fx);
}

static int teardown(void **state)
{
    (void)state;
    return full_node_close(&fx);
}

static struct ac__issue_req request(const char *subject)
{
    struct ac__issue_req req = {
        .subject = subject,
        .definition_id = "formative-feedback",
        .definition_version = 2,
        .achieved_level = "pass",
        .has_ceu = 1,
        .ceu_hundredths = 150,
        .evidence = "three annotated lessons",
    };
    memset(req.content_hash, 0xab, sizeof req.content_hash);
    return req;
}

static void test_an_admin_issues_a_record_with_its_audit_row(void **state)
{
    (void)state;
    struct ac_user ada = full_node_user(&fx, "ada", AC_ROLE_ADMIN);
    struct ac__issue_req req = request("sha256$abc");
    struct ac_store_record rec;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(0, ac__records_issue(&fx.n, &ada, &req, &rec, &why));
    /* The first record of a new log is its leaf 0; the tree grew by one. */
    assert_int_equal(0, rec.log_index);
    assert_int_equal(1, fx.n.records->tree.size);
    assert_int_equal(1, ac_status_list_assigned(fx.n.records->status));
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)rec.id);
    struct ac_audit_entry e = full_node_last_audit(&fx, "record", id);
    assert_string_equal("issue", e.action);
    assert_int_equal(ada.id, e.actor_user_id);
    assert_non_null(strstr(e.detail, "\"definition_id\":\"formative-feedback\""));
    ac_audit_entry_release(&e);
}

static void test_a_recognizer_cannot_issue_and_nothing_is_stored(void **state)
{
    (void)state;
    struct ac_user rita = full_node_user(&fx, "rita", AC_ROLE_RECOGNIZER);
    struct ac__issue_req req = request("sha256$abc");
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_EACCES, ac__records_issue(&fx.n, &rita, &req, NULL, &why));
    assert_int_equal(AC_PROBLEM_FORBIDDEN, why.problem);
    assert_non_null(strstr(why.detail, "needs the admin role"));
    assert_int_equal(0, fx.n.records->tree.size);
    struct ac_store_record rec;
    assert_int_equal(AC_ENOENT, ac_store_record_get(fx.n.store, 1, &rec, NULL, NULL));
}

static void test_a_subject_too_long_is_refused_naming_the_field_and_nothing_is_stored(void **state)
{
    (void)state;
    struct ac_user ada = full_node_user(&fx, "ada", AC_ROLE_ADMIN);
    char subject[AC_RECORD_SUB_MAX + 2];
    memset(subject, 's', sizeof subject - 1);
    subject[sizeof subject - 1] = '\0';
    struct ac__issue_req req = request(subject);
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_EINVAL, ac__records_issue(&fx.n, &ada, &req, NULL, &why));
    assert_int_equal(AC_PROBLEM_INVALID_FIELD, why.problem);
    /* 101 bytes against a limit of 100 (AC_RECORD_SUB_MAX). */
    assert_non_null(strstr(why.detail, "subject: "));
    assert_non_null(strstr(why.detail, "is 101 bytes; at most 100"));
    assert_int_equal(0, fx.n.records->tree.size);
    /* The status index assigned for it went back to the free set. */
    assert_int_equal(0, ac_status_list_assigned(fx.n.records->status));
}

static void test_a_record_the_node_issues_itself_is_audited_with_actor_zero(void **state)
{
    (void)state;
    struct ac__issue_req req = request("sha256$def");
    int64_t id = 0;
    assert_int_equal(0, ac__credential_issue(&fx.n, &req, &id));
    char sid[24];
    snprintf(sid, sizeof sid, "%lld", (long long)id);
    struct ac_audit_entry e = full_node_last_audit(&fx, "record", sid);
    assert_int_equal(0, e.actor_user_id);
    ac_audit_entry_release(&e);
}

static void test_records_issued_one_after_another_take_consecutive_log_indexes(void **state)
{
    (void)state;
    struct ac_user ada = full_node_user(&fx, "ada", AC_ROLE_ADMIN);
    struct ac_store_record a, b;
    struct ac__issue_req req = request("sha256$one");
    assert_int_equal(0, ac__records_issue(&fx.n, &ada, &req, &a, NULL));
    req.subject = "sha256$two";
    assert_int_equal(0, ac__records_issue(&fx.n, &ada, &req, &b, NULL));
    assert_int_equal(0, a.log_index);
    assert_int_equal(1, b.log_index);
    assert_true(a.status_idx != b.status_idx);
    /* The newest stored checkpoint is of the two-leaf tree. */
    struct ac_store_checkpoint cp = {0};
    assert_int_equal(0, ac_store_log_checkpoint_latest(fx.n.store, &cp));
    assert_int_equal(2, cp.size);
    free(cp.note);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_an_admin_issues_a_record_with_its_audit_row, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_recognizer_cannot_issue_and_nothing_is_stored, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_a_subject_too_long_is_refused_naming_the_field_and_nothing_is_stored, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_a_record_the_node_issues_itself_is_audited_with_actor_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_records_issued_one_after_another_take_consecutive_log_indexes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
