/* test_share.c - tests node/records/share.c without HTTP: a record is read
 * by row id only by an admin (or its earner), anyone else is told it does
 * not exist exactly as for a free id; a share token is 128 random bits that
 * leads to its record until withdrawn; sharing and withdrawing are audited
 * without the token. */
#include "records_fixture.h"

#include <string.h>

#include "accord/store/audit.h"
#include "accounts/accounts.h"
#include "records/records.h"

static struct node_fixture fx;
static struct ac_user ada;  /* admin */
static struct ac_user emma; /* an earner who earned nothing here */
static int64_t rec_id;
static char rec_sid[24];

static int setup(void **state)
{
    (void)state;
    if (fixture_open_full(&fx))
        return -1;
    ada = fixture_user(&fx, "ada", AC_ROLE_ADMIN);
    emma = fixture_user(&fx, "emma", AC_ROLE_EARNER);
    return fixture_issue(&fx, "ann@district.example", &rec_id, rec_sid);
}

static void test_an_admin_may_read_a_record_by_row_id(void **state)
{
    (void)state;
    assert_int_equal(0, ac__records_may_read(&fx.node, &ada, rec_id, NULL));
}

static void test_another_earner_is_told_a_taken_id_does_not_exist_like_a_free_one(void **state)
{
    (void)state;
    struct ac_reason taken = AC_REASON_INIT, free_id = AC_REASON_INIT;
    assert_int_equal(AC_ENOENT, ac__records_may_read(&fx.node, &emma, rec_id, &taken));
    assert_int_equal(AC_ENOENT, ac__records_may_read(&fx.node, &emma, rec_id + 1, &free_id));
    assert_int_equal(AC_PROBLEM_NOT_FOUND, taken.problem);
    /* Only the id differs between the two answers. */
    assert_string_equal(strchr(taken.detail, ':'), strchr(free_id.detail, ':'));
    ac_reason_release(&taken);
    ac_reason_release(&free_id);
}

static void test_a_share_token_leads_to_its_record_until_withdrawn(void **state)
{
    (void)state;
    char token[AC__SHARE_TOKEN_LEN + 1];
    assert_int_equal(0, ac__records_share(&fx.node, &ada, rec_id, token, NULL));
    assert_int_equal(AC__SHARE_TOKEN_LEN, strlen(token));
    int64_t found = 0;
    assert_int_equal(0, ac__records_shared(&fx.node, token, &found));
    assert_int_equal(rec_id, found);
    assert_int_equal(0, ac__records_unshare(&fx.node, &ada, rec_id, token, NULL));
    assert_int_equal(AC_ENOENT, ac__records_shared(&fx.node, token, &found));
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_ENOENT, ac__records_unshare(&fx.node, &ada, rec_id, token, &why));
    assert_string_equal("token", why.field);
    ac_reason_release(&why);
}

static void test_two_shares_are_two_tokens(void **state)
{
    (void)state;
    char a[AC__SHARE_TOKEN_LEN + 1], b[AC__SHARE_TOKEN_LEN + 1];
    assert_int_equal(0, ac__records_share(&fx.node, &ada, rec_id, a, NULL));
    assert_int_equal(0, ac__records_share(&fx.node, &ada, rec_id, b, NULL));
    assert_string_not_equal(a, b);
}

static void test_malformed_or_made_up_tokens_lead_nowhere(void **state)
{
    (void)state;
    int64_t found = 0;
    assert_int_equal(AC_ENOENT, ac__records_shared(&fx.node, "short", &found));
    assert_int_equal(AC_ENOENT, ac__records_shared(&fx.node, "AAAAAAAAAAAAAAAAAAAAAA", &found));
    assert_int_equal(AC_ENOENT, ac__records_shared(&fx.node, "AAAAAAAAAA/AAAAAAAAAAA", &found));
    assert_int_equal(AC_ENOENT, ac__records_shared(&fx.node, NULL, &found));
}

static void test_an_earner_cannot_share_a_record_not_theirs_and_nothing_is_audited(void **state)
{
    (void)state;
    size_t before = fixture_audit_count(&fx, "record", rec_sid);
    char token[AC__SHARE_TOKEN_LEN + 1];
    assert_int_equal(AC_ENOENT, ac__records_share(&fx.node, &emma, rec_id, token, NULL));
    assert_int_equal(before, fixture_audit_count(&fx, "record", rec_sid));
}

static void test_sharing_and_withdrawing_are_audited_without_the_token(void **state)
{
    (void)state;
    size_t before = fixture_audit_count(&fx, "record", rec_sid);
    char token[AC__SHARE_TOKEN_LEN + 1];
    assert_int_equal(0, ac__records_share(&fx.node, &ada, rec_id, token, NULL));
    struct ac_audit_entry e = fixture_audit_newest(&fx, "record", rec_sid);
    assert_string_equal("share", e.action);
    assert_null(strstr(e.detail, token));
    ac_audit_entry_release(&e);
    assert_int_equal(0, ac__records_unshare(&fx.node, &ada, rec_id, token, NULL));
    e = fixture_audit_newest(&fx, "record", rec_sid);
    assert_string_equal("unshare", e.action);
    assert_null(strstr(e.detail, token));
    ac_audit_entry_release(&e);
    assert_int_equal(before + 2, fixture_audit_count(&fx, "record", rec_sid));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_an_admin_may_read_a_record_by_row_id),
        T(test_another_earner_is_told_a_taken_id_does_not_exist_like_a_free_one),
        T(test_a_share_token_leads_to_its_record_until_withdrawn),
        T(test_two_shares_are_two_tokens),
        T(test_malformed_or_made_up_tokens_lead_nowhere),
        T(test_an_earner_cannot_share_a_record_not_theirs_and_nothing_is_audited),
        T(test_sharing_and_withdrawing_are_audited_without_the_token),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
