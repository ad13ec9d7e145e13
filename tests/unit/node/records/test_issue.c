/* test_issue.c - tests the issuing service of node/records/issue.c without
 * HTTP, over a real node's store, keyring and transparency log: who may
 * issue, that the record, its log leaf and its audit row commit together,
 * and that a refused record leaves nothing behind. */
#include "node/node_fixture.h"

#include "accord/records/record.h"
#include "accord/records/subject.h"
#include "accord/records/status.h"
#include "accord/store/audit.h"
#include "accord/store/record.h"
#include "accord/store/tlog.h"
#include "accord/store/user.h"
#include "accounts/accounts.h"

static struct node_fixture fx;

static void keep_bytes(void *ctx, const uint8_t *p, size_t len)
{
    assert_int_equal(0, ac_buf_append(ctx, p, len));
}

static int setup(void **state)
{
    (void)state;
    return fixture_open_full(&fx);
}

static struct ac__issue_req request(const char *email)
{
    struct ac__issue_req req = {
        .email = email,
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
    struct ac_user ada = fixture_user(&fx, "ada", AC_ROLE_ADMIN);
    struct ac__issue_req req = request("ann@district.example");
    struct ac_store_record rec;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(0, ac__records_issue(&fx.node, &ada, &req, &rec, &why));
    /* The first record of a new log is its leaf 0; the tree grew by one. */
    assert_int_equal(0, rec.log_index);
    assert_int_equal(1, fx.node.records->tree.size);
    assert_int_equal(1, ac_status_list_assigned(fx.node.records->status));
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)rec.id);
    struct ac_audit_entry e = fixture_audit_newest(&fx, "record", id);
    assert_string_equal("issue", e.action);
    assert_int_equal(ada.id, e.actor_user_id);
    assert_non_null(strstr(e.detail, "\"definition_id\":\"formative-feedback\""));
    ac_audit_entry_release(&e);
}

static void test_a_recognizer_cannot_issue_and_nothing_is_stored(void **state)
{
    (void)state;
    struct ac_user rita = fixture_user(&fx, "rita", AC_ROLE_RECOGNIZER);
    struct ac__issue_req req = request("ann@district.example");
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_EACCES, ac__records_issue(&fx.node, &rita, &req, NULL, &why));
    assert_int_equal(AC_PROBLEM_FORBIDDEN, why.problem);
    assert_non_null(strstr(why.detail, "needs the admin role"));
    assert_int_equal(0, fx.node.records->tree.size);
    struct ac_store_record rec;
    assert_int_equal(AC_ENOENT, ac_store_record_get(fx.node.store, 1, &rec, NULL, NULL));
}

static void
test_an_address_breaking_the_rule_is_refused_naming_the_field_and_nothing_is_stored(void **state)
{
    (void)state;
    struct ac_user ada = fixture_user(&fx, "ada", AC_ROLE_ADMIN);
    struct ac__issue_req req = request("ann.district.example");
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_EINVAL, ac__records_issue(&fx.node, &ada, &req, NULL, &why));
    assert_int_equal(AC_PROBLEM_INVALID_FIELD, why.problem);
    assert_string_equal("email", why.field);
    assert_non_null(strstr(why.detail, "must be local-part@domain"));
    ac_reason_release(&why);
    assert_int_equal(0, fx.node.records->tree.size);
    assert_int_equal(0, ac_status_list_assigned(fx.node.records->status));
}

/* Reads the claims of stored record |id|. */
static void stored_claims(int64_t id, struct ac_record *rec, struct ac_buf *cose)
{
    struct ac_store_record row;
    assert_int_equal(0, ac_store_record_get(fx.node.store, id, &row, keep_bytes, cose));
    struct ac_cose_sign1 msg;
    char why[AC_RECORD_WHY_LEN];
    assert_int_equal(0, ac_record_decode(cose->data, cose->len, rec, &msg, why, sizeof why));
}

static void
test_a_record_names_its_earner_by_the_salted_hash_of_the_verified_address_only(void **state)
{
    (void)state;
    struct ac_user ada = fixture_user(&fx, "ada", AC_ROLE_ADMIN);
    struct ac_user emma = fixture_user(&fx, "emma", AC_ROLE_EARNER);
    assert_int_equal(0,
                     ac_store_user_email_set(fx.node.store, emma.id, "emma@district.example", 1));
    struct ac__issue_req req = request(NULL);
    req.earner_id = emma.id;
    struct ac_store_record row;
    assert_int_equal(0, ac__records_issue(&fx.node, &ada, &req, &row, NULL));
    struct ac_record rec;
    struct ac_buf cose = AC_BUF_INIT;
    stored_claims(row.id, &rec, &cose);
    assert_int_equal(AC_SUBJECT_SALT_LEN, strlen(rec.subject_salt));
    assert_true(ac_subject_matches(rec.sub, "emma@district.example", rec.subject_salt));
    /* Neither the address, nor the account's name or id, nor the node's
     * "<node>:user:<id>" form is anywhere in the signed bytes. */
    assert_null(memmem(cose.data, cose.len, "emma", 4));
    assert_null(memmem(cose.data, cose.len, ":user:", 6));
    int64_t earner = 0;
    assert_int_equal(0, ac_store_record_earner(fx.node.store, row.id, &earner));
    assert_int_equal(emma.id, earner);
    ac_buf_release(&cose);
}

static void test_two_records_of_one_earner_carry_different_salts_and_subjects(void **state)
{
    (void)state;
    struct ac__issue_req req = request("emma@district.example");
    int64_t a = 0, b = 0;
    assert_int_equal(0, ac__credential_issue(&fx.node, &req, &a));
    assert_int_equal(0, ac__credential_issue(&fx.node, &req, &b));
    struct ac_record ra, rb;
    struct ac_buf ca = AC_BUF_INIT, cb = AC_BUF_INIT;
    stored_claims(a, &ra, &ca);
    stored_claims(b, &rb, &cb);
    assert_string_not_equal(ra.subject_salt, rb.subject_salt);
    assert_string_not_equal(ra.sub, rb.sub);
    assert_true(ac_subject_matches(rb.sub, "emma@district.example", rb.subject_salt));
    ac_buf_release(&ca);
    ac_buf_release(&cb);
}

static void test_an_earner_without_a_verified_address_gets_no_record(void **state)
{
    (void)state;
    struct ac_user ada = fixture_user(&fx, "ada", AC_ROLE_ADMIN);
    struct ac_user emma = fixture_user(&fx, "emma", AC_ROLE_EARNER);
    assert_int_equal(0,
                     ac_store_user_email_set(fx.node.store, emma.id, "emma@district.example", 0));
    struct ac__issue_req req = request(NULL);
    req.earner_id = emma.id;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_ECONFLICT, ac__records_issue(&fx.node, &ada, &req, NULL, &why));
    assert_int_equal(AC_PROBLEM_EMAIL_UNVERIFIED, why.problem);
    assert_non_null(strstr(why.detail, "not yet verified"));
    ac_reason_release(&why);
    assert_int_equal(0, fx.node.records->tree.size);
}

static void test_a_record_the_node_issues_itself_is_audited_with_actor_zero(void **state)
{
    (void)state;
    struct ac__issue_req req = request("def@district.example");
    int64_t id = 0;
    assert_int_equal(0, ac__credential_issue(&fx.node, &req, &id));
    char sid[24];
    snprintf(sid, sizeof sid, "%lld", (long long)id);
    struct ac_audit_entry e = fixture_audit_newest(&fx, "record", sid);
    assert_int_equal(0, e.actor_user_id);
    ac_audit_entry_release(&e);
}

static void test_records_issued_one_after_another_take_consecutive_log_indexes(void **state)
{
    (void)state;
    struct ac_user ada = fixture_user(&fx, "ada", AC_ROLE_ADMIN);
    struct ac_store_record a, b;
    struct ac__issue_req req = request("one@district.example");
    assert_int_equal(0, ac__records_issue(&fx.node, &ada, &req, &a, NULL));
    req.email = "two@district.example";
    assert_int_equal(0, ac__records_issue(&fx.node, &ada, &req, &b, NULL));
    assert_int_equal(0, a.log_index);
    assert_int_equal(1, b.log_index);
    assert_true(a.status_idx != b.status_idx);
    /* The newest stored checkpoint is of the two-leaf tree. */
    struct ac_store_checkpoint cp = {0};
    assert_int_equal(0, ac_store_log_checkpoint_latest(fx.node.store, &cp));
    assert_int_equal(2, cp.size);
    free(cp.note);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_an_admin_issues_a_record_with_its_audit_row, setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_recognizer_cannot_issue_and_nothing_is_stored, setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(
            test_an_address_breaking_the_rule_is_refused_naming_the_field_and_nothing_is_stored,
            setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(
            test_a_record_names_its_earner_by_the_salted_hash_of_the_verified_address_only, setup,
            fixture_teardown),
        cmocka_unit_test_setup_teardown(
            test_two_records_of_one_earner_carry_different_salts_and_subjects, setup,
            fixture_teardown),
        cmocka_unit_test_setup_teardown(test_an_earner_without_a_verified_address_gets_no_record,
                                        setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(
            test_a_record_the_node_issues_itself_is_audited_with_actor_zero, setup,
            fixture_teardown),
        cmocka_unit_test_setup_teardown(
            test_records_issued_one_after_another_take_consecutive_log_indexes, setup,
            fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
