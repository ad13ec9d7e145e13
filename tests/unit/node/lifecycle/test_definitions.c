/* test_definitions.c - tests node/lifecycle/definitions.c without HTTP:
 * creating a version, replacing a draft and the framework audit answers, each
 * checked in the store, in the audit trail and in the reason of a refusal. */
#include "lifecycle_fixture.h"

#include "lifecycle/lifecycle.h"
#include "accord/store/credential.h"

static struct node_fixture fx;
static struct ac_user admin, reviewer;

static int setup(void **state)
{
    (void)state;
    if (fixture_open(&fx))
        return -1;
    admin = fixture_user(&fx, "ada", AC_ROLE_ADMIN);
    reviewer = fixture_user(&fx, "rex", AC_ROLE_REVIEWER);
    return 0;
}

static void test_an_admin_creating_a_definition_stores_a_draft_and_audits_its_hash(void **state)
{
    (void)state;
    struct ac_definition *def = fixture_definition(1, "[]");
    char hash[AC_DEF_HASH_HEX_LEN + 1];
    assert_int_equal(0, ac_def_hash_hex(def, hash));
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    assert_int_equal(0, ac_definition_create(&fx.node, &admin, def, &c, &why));
    assert_string_equal("unit-cred@1", c.ref);
    assert_int_equal(AC_DEF_DRAFT, c.row.state);
    assert_string_equal(hash, c.row.content_hash);
    assert_int_equal(AC_DEF_DRAFT, fixture_state(&fx, c.row.id));
    json_t *d = fixture_audit_last(&fx, "credential", "unit-cred@1", "create", admin.id);
    assert_string_equal(hash, json_string_value(json_object_get(d, "content_hash")));
    json_decref(d);
    ac__cred_release(&c);
}

static void test_a_reviewer_creating_a_definition_is_forbidden_and_nothing_is_stored(void **state)
{
    (void)state;
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    assert_int_equal(AC_EACCES, ac_definition_create(&fx.node, &reviewer,
                                                     fixture_definition(1, "[]"), &c, &why));
    fixture_reason_is(&why, AC_PROBLEM_FORBIDDEN, "");
    struct ac_credential row;
    assert_int_equal(AC_ENOENT, ac_store_credential_find(fx.node.store, "unit-cred", 0, &row));
    assert_int_equal(0, fixture_audit_count(&fx, "credential", "unit-cred@1"));
}

static void test_a_version_not_after_the_stored_one_is_refused_as_version_exists(void **state)
{
    (void)state;
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    assert_int_equal(0,
                     ac_definition_create(&fx.node, &admin, fixture_definition(2, "[]"), &c, &why));
    ac__cred_release(&c);
    assert_int_equal(AC_ECONFLICT,
                     ac_definition_create(&fx.node, &admin, fixture_definition(1, "[]"), &c, &why));
    fixture_reason_is(&why, AC_PROBLEM_VERSION_EXISTS, "version");
    assert_non_null(strstr(why.detail, "must be 3 or higher"));
    assert_int_equal(0, fixture_audit_count(&fx, "credential", "unit-cred@1"));
}

static void test_replacing_a_draft_stores_the_new_hash_and_audits_both_hashes(void **state)
{
    (void)state;
    int64_t id = fixture_credential(&fx, &admin, "[]", AC_DEF_DRAFT);
    struct ac_credential before;
    assert_int_equal(0, ac_store_credential_get(fx.node.store, id, &before));
    struct ac_definition *def = fixture_definition(1, "[]");
    free(def->title);
    def->title = strdup("Renamed");
    char hash[AC_DEF_HASH_HEX_LEN + 1];
    assert_int_equal(0, ac_def_hash_hex(def, hash));
    assert_string_not_equal(hash, before.content_hash);
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    assert_int_equal(0, ac_definition_replace(&fx.node, &admin, "unit-cred", def, &c, &why));
    assert_string_equal("Renamed", c.row.title);
    assert_string_equal(hash, c.row.content_hash);
    json_t *d = fixture_audit_last(&fx, "credential", "unit-cred@1", "edit", admin.id);
    assert_string_equal(before.content_hash, json_string_value(json_object_get(d, "from_hash")));
    assert_string_equal(hash, json_string_value(json_object_get(d, "to_hash")));
    json_decref(d);
    ac_credential_release(&before);
    ac__cred_release(&c);
}

static void test_replacing_a_published_version_is_refused_as_wrong_state(void **state)
{
    (void)state;
    int64_t id = fixture_credential(&fx, &admin, "[]", AC_DEF_PILOTING);
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    assert_int_equal(AC_ECONFLICT, ac_definition_replace(&fx.node, &admin, "unit-cred@1",
                                                         fixture_definition(1, "[]"), &c, &why));
    fixture_reason_is(&why, AC_PROBLEM_WRONG_STATE, "state");
    assert_int_equal(AC_DEF_PILOTING, fixture_state(&fx, id));
    assert_int_equal(0, fixture_audit_count(&fx, "credential", "unit-cred@1"));
}

static void test_replacing_with_another_version_is_refused_naming_the_version(void **state)
{
    (void)state;
    fixture_credential(&fx, &admin, "[]", AC_DEF_DRAFT);
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    assert_int_equal(AC_EINVAL, ac_definition_replace(&fx.node, &admin, "unit-cred",
                                                      fixture_definition(2, "[]"), &c, &why));
    fixture_reason_is(&why, AC_PROBLEM_INVALID_DEFINITION, "version");
}

static void test_replacing_an_unknown_credential_is_not_found(void **state)
{
    (void)state;
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    assert_int_equal(AC_ENOENT, ac_definition_replace(&fx.node, &admin, "nope@1",
                                                      fixture_definition(1, "[]"), &c, &why));
    fixture_reason_is(&why, AC_PROBLEM_NOT_FOUND, "ref");
}

static void
test_audit_answers_merge_into_the_draft_and_the_audit_row_holds_only_those_given(void **state)
{
    (void)state;
    int64_t id = fixture_credential(&fx, &admin, "[]", AC_DEF_DRAFT);
    struct ac_audit_answers first = {.impact = "Students revise more.", .equity = "All classes."};
    struct ac_audit_answers second = {.access = "Free."};
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    assert_int_equal(0,
                     ac_definition_audit_answers(&fx.node, &admin, "unit-cred", &first, &c, &why));
    ac__cred_release(&c);
    assert_int_equal(0,
                     ac_definition_audit_answers(&fx.node, &admin, "unit-cred", &second, &c, &why));
    assert_string_equal("Students revise more.", c.def->audit.impact);
    assert_string_equal("Free.", c.def->audit.access);
    assert_null(c.def->audit.language);
    /* The stored definition carries the answers and the row its new hash. */
    struct ac__cred again;
    assert_int_equal(0, ac__cred_load_id(&fx.node, id, &again));
    assert_string_equal("All classes.", again.def->audit.equity);
    assert_string_equal(c.row.content_hash, again.row.content_hash);
    json_t *d = fixture_audit_last(&fx, "credential", "unit-cred@1", "framework-audit", admin.id);
    assert_int_equal(1, json_object_size(d));
    assert_string_equal("Free.", json_string_value(json_object_get(d, "access")));
    json_decref(d);
    ac__cred_release(&again);
    ac__cred_release(&c);
}

static void test_an_empty_audit_answer_is_refused_naming_it_and_nothing_changes(void **state)
{
    (void)state;
    int64_t id = fixture_credential(&fx, &admin, "[]", AC_DEF_DRAFT);
    struct ac_credential before;
    assert_int_equal(0, ac_store_credential_get(fx.node.store, id, &before));
    struct ac_audit_answers answers = {.impact = "Fine.", .language = ""};
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    assert_int_equal(
        AC_EINVAL, ac_definition_audit_answers(&fx.node, &admin, "unit-cred", &answers, &c, &why));
    fixture_reason_is(&why, AC_PROBLEM_INVALID_FIELD, "language");
    struct ac_credential after;
    assert_int_equal(0, ac_store_credential_get(fx.node.store, id, &after));
    assert_string_equal(before.content_hash, after.content_hash);
    assert_int_equal(0, fixture_audit_count(&fx, "credential", "unit-cred@1"));
    ac_credential_release(&before);
    ac_credential_release(&after);
}

static void test_an_expert_answering_the_audit_is_forbidden(void **state)
{
    (void)state;
    fixture_credential(&fx, &admin, "[]", AC_DEF_DRAFT);
    struct ac_user expert = fixture_user(&fx, "eve", AC_ROLE_EXPERT);
    struct ac_audit_answers answers = {.impact = "Fine."};
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    assert_int_equal(
        AC_EACCES, ac_definition_audit_answers(&fx.node, &expert, "unit-cred", &answers, &c, &why));
    fixture_reason_is(&why, AC_PROBLEM_FORBIDDEN, "");
    assert_non_null(strstr(why.detail, "admin"));
    assert_int_equal(0, fixture_audit_count(&fx, "credential", "unit-cred@1"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_an_admin_creating_a_definition_stores_a_draft_and_audits_its_hash),
        T(test_a_reviewer_creating_a_definition_is_forbidden_and_nothing_is_stored),
        T(test_a_version_not_after_the_stored_one_is_refused_as_version_exists),
        T(test_replacing_a_draft_stores_the_new_hash_and_audits_both_hashes),
        T(test_replacing_a_published_version_is_refused_as_wrong_state),
        T(test_replacing_with_another_version_is_refused_naming_the_version),
        T(test_replacing_an_unknown_credential_is_not_found),
        T(test_audit_answers_merge_into_the_draft_and_the_audit_row_holds_only_those_given),
        T(test_an_empty_audit_answer_is_refused_naming_it_and_nothing_changes),
        T(test_an_expert_answering_the_audit_is_forbidden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
