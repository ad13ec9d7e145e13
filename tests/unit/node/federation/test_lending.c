/* test_lending.c - tests node/federation/lending.c without HTTP: the check
 * every lend passes refuses by each rule in turn (no policy, not listed,
 * own queue first, blackout, monthly cap) and lets a reviewer through when
 * none applies, and the refusing rule says when the reviewer may be lent
 * again where it can; a policy body is refused naming the field; a policy naming
 * someone who is not a reviewer of this node is refused. */
#include "node/review/review_fixture.h"
#include "accord/store/assignment.h"
#include "accord/store/lending.h"
#include "accord/store/remote.h"
#include "federation/lending.h"

#define ISSUER "state.example"
#define CRED "math-coach"
#define DAY_MS (24LL * 3600 * 1000)

/* 2026-12-20T00:00:00Z, counted by hand: 56 years of 365 days (20 440) plus
 * the 14 leap days 1972..2024, plus 353 days into 2026 (334 to December 1,
 * 19 more): 20 807 days after 1970-01-01. */
#define DEC_20_2026_MS (20807LL * DAY_MS)

/* Stores a policy for ISSUER/CRED lending |reviewers| (NULL: all) with
 * |cap|, |own_first| and, when |bo_from| is not 0, one blackout. */
static void put_policy(const int64_t *reviewers, size_t n, uint32_t cap, bool own_first,
                       int64_t bo_from, int64_t bo_until)
{
    struct ac_lending_policy *p = calloc(1, sizeof *p);
    assert_non_null(p);
    snprintf(p->peer, sizeof p->peer, ISSUER);
    snprintf(p->credential_id, sizeof p->credential_id, CRED);
    p->all_reviewers = reviewers == NULL;
    for (size_t i = 0; i < n; i++)
        p->reviewers[p->n_reviewers++] = reviewers[i];
    p->monthly_cap = cap;
    p->own_first = own_first;
    if (bo_from) {
        p->blackouts[0].from_ms = bo_from;
        p->blackouts[0].until_ms = bo_until;
        p->n_blackouts = 1;
    }
    struct ac_user admin;
    assert_int_equal(0, ac_store_user_get(fx.nf.node.store, fx.admin, &admin));
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__lending_policy_set(&fx.nf.node, &admin, p, &why);
    if (err)
        print_error("policy refused: %s\n", why.detail);
    assert_int_equal(0, err);
    ac_reason_release(&why);
    free(p);
}

/* Runs the check and returns its code; |field| gets the rule's field. */
static int check(int64_t reviewer, int64_t done, int64_t now, char *field, char *detail)
{
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__lending_check(&fx.nf.node, ISSUER, CRED, reviewer, done, now, &why);
    strcpy(field, why.field);
    strcpy(detail, why.detail);
    if (err)
        assert_int_equal(AC_PROBLEM_LENDING_REFUSED, why.problem);
    ac_reason_release(&why);
    return err;
}

static void test_a_listed_idle_reviewer_under_the_cap_may_be_lent(void **state)
{
    (void)state;
    int64_t r = fx_reviewer("rita");
    put_policy(&r, 1, 4, true, 0, 0);
    char field[64], detail[512];
    assert_int_equal(0, check(r, 3, DEC_20_2026_MS, field, detail));
}

static void test_without_a_policy_nobody_is_lent(void **state)
{
    (void)state;
    int64_t r = fx_reviewer("rita");
    char field[64], detail[512];
    assert_int_equal(AC_ECONFLICT, check(r, 0, DEC_20_2026_MS, field, detail));
    assert_non_null(strstr(detail, "no policy"));
}

static void test_a_policy_for_another_credential_lends_nobody_for_this_one(void **state)
{
    (void)state;
    int64_t r = fx_reviewer("rita");
    put_policy(&r, 1, 4, true, 0, 0);
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_ECONFLICT, ac__lending_check(&fx.nf.node, ISSUER, "other-cred", r, 0,
                                                     DEC_20_2026_MS, &why));
    assert_non_null(strstr(why.detail, "no policy"));
    ac_reason_release(&why);
}

static void test_a_reviewer_not_on_the_list_is_not_lent(void **state)
{
    (void)state;
    int64_t r = fx_reviewer("rita"), s = fx_reviewer("sam");
    put_policy(&r, 1, 4, true, 0, 0);
    char field[64], detail[512];
    assert_int_equal(AC_ECONFLICT, check(s, 0, DEC_20_2026_MS, field, detail));
    assert_string_equal("reviewers", field);
    assert_non_null(strstr(detail, "not listed"));
}

static void test_all_reviewers_means_this_nodes_reviewers_and_not_a_stand_in(void **state)
{
    (void)state;
    int64_t r = fx_reviewer("rita");
    int64_t stand_in = 0;
    struct ac_remote_profile prof = {"Zed", "z school", "z district", "[]"};
    assert_int_equal(0, ac_store_remote_reviewer_ensure(fx.nf.node.store, "north.example", 7, &prof,
                                                        1, &stand_in, NULL));
    put_policy(NULL, 0, 4, true, 0, 0);
    char field[64], detail[512];
    assert_int_equal(0, check(r, 0, DEC_20_2026_MS, field, detail));
    assert_int_equal(AC_ECONFLICT, check(stand_in, 0, DEC_20_2026_MS, field, detail));
    assert_non_null(strstr(detail, "not listed"));
    assert_int_equal(AC_ECONFLICT, check(fx.earner, 0, DEC_20_2026_MS, field, detail));
    assert_non_null(strstr(detail, "not listed"));
}

/* Gives reviewer |r| one open assignment of a real submission. */
static void give_open_work(int64_t r)
{
    fx_open_assignment(r, "my feedback practice", ac_clock_now_ms());
}

static void test_own_first_keeps_a_reviewer_with_open_local_work_at_home(void **state)
{
    (void)state;
    int64_t r = fx_reviewer("rita");
    put_policy(&r, 1, 4, true, 0, 0);
    give_open_work(r);
    char field[64], detail[512];
    assert_int_equal(AC_ECONFLICT, check(r, 0, DEC_20_2026_MS, field, detail));
    assert_string_equal("own_first", field);
    assert_non_null(strstr(detail, "own queue first"));
}

static void test_without_own_first_a_busy_reviewer_may_still_be_lent(void **state)
{
    (void)state;
    int64_t r = fx_reviewer("rita");
    put_policy(&r, 1, 4, false, 0, 0);
    give_open_work(r);
    char field[64], detail[512];
    assert_int_equal(0, check(r, 0, DEC_20_2026_MS, field, detail));
}

static void test_inside_a_blackout_nobody_is_lent_and_the_reason_names_its_last_day(void **state)
{
    (void)state;
    int64_t r = fx_reviewer("rita");
    /* 2026-12-20 to 2027-01-03 both included: until is the start of 01-04,
     * 15 days after the start. */
    put_policy(&r, 1, 4, true, DEC_20_2026_MS, DEC_20_2026_MS + 15 * DAY_MS);
    char field[64], detail[512];
    assert_int_equal(AC_ECONFLICT, check(r, 0, DEC_20_2026_MS + 14 * DAY_MS + 1000, field, detail));
    assert_string_equal("blackouts", field);
    assert_non_null(strstr(detail, "blackout until 2027-01-03"));
}

static void test_the_day_after_a_blackout_the_reviewer_may_be_lent_again(void **state)
{
    (void)state;
    int64_t r = fx_reviewer("rita");
    put_policy(&r, 1, 4, true, DEC_20_2026_MS, DEC_20_2026_MS + 15 * DAY_MS);
    char field[64], detail[512];
    assert_int_equal(0, check(r, 0, DEC_20_2026_MS + 15 * DAY_MS, field, detail));
    assert_int_equal(0, check(r, 0, DEC_20_2026_MS - 1, field, detail));
}

static void test_at_the_monthly_cap_the_reviewer_is_not_lent(void **state)
{
    (void)state;
    int64_t r = fx_reviewer("rita");
    put_policy(&r, 1, 4, true, 0, 0);
    char field[64], detail[512];
    assert_int_equal(AC_ECONFLICT, check(r, 4, DEC_20_2026_MS, field, detail));
    assert_string_equal("monthly_cap", field);
    assert_non_null(strstr(detail, "monthly cap 4 reached"));
}

/* Runs the check at |now| for |reviewer| with |done| reviews this month and
 * returns when the refusing rule lets them be lent again (0: it cannot say). */
static int64_t again_at(int64_t reviewer, int64_t done, int64_t now)
{
    struct ac_reason why = AC_REASON_INIT;
    int64_t again = -1;
    assert_int_equal(AC_ECONFLICT, ac__lending_check_until(&fx.nf.node, ISSUER, CRED, reviewer,
                                                           done, now, &why, &again));
    ac_reason_release(&why);
    return again;
}

static void test_the_refusing_rule_says_when_the_reviewer_may_be_lent_again(void **state)
{
    (void)state;
    int64_t r = fx_reviewer("rita"), s = fx_reviewer("sam");
    /* 2026-12-20 to 2027-01-03, then 2027-01-04 to 01-05 right after it. */
    struct ac_lending_policy *p = calloc(1, sizeof *p);
    assert_non_null(p);
    snprintf(p->peer, sizeof p->peer, ISSUER);
    snprintf(p->credential_id, sizeof p->credential_id, CRED);
    p->reviewers[p->n_reviewers++] = r;
    p->monthly_cap = 4;
    p->blackouts[0].from_ms = DEC_20_2026_MS;
    p->blackouts[0].until_ms = DEC_20_2026_MS + 15 * DAY_MS;
    p->blackouts[1].from_ms = DEC_20_2026_MS + 15 * DAY_MS;
    p->blackouts[1].until_ms = DEC_20_2026_MS + 17 * DAY_MS;
    p->n_blackouts = 2;
    struct ac_user admin;
    assert_int_equal(0, ac_store_user_get(fx.nf.node.store, fx.admin, &admin));
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(0, ac__lending_policy_set(&fx.nf.node, &admin, p, &why));
    ac_reason_release(&why);
    free(p);
    /* In the first blackout: the end of the one it runs into. */
    assert_int_equal(DEC_20_2026_MS + 17 * DAY_MS, again_at(r, 0, DEC_20_2026_MS + DAY_MS));
    /* December's cap: January 1, 2027 (12 days after December 20). */
    assert_int_equal(DEC_20_2026_MS + 12 * DAY_MS, again_at(r, 4, DEC_20_2026_MS - DAY_MS));
    /* Not listed: nothing this node can foresee. */
    assert_int_equal(0, again_at(s, 0, DEC_20_2026_MS - DAY_MS));
}

/* Parses |json| as a policy body; returns the code and copies the field. */
static int parse(const char *json, char *field)
{
    json_t *body = json_loads(json, 0, NULL);
    assert_non_null(body);
    struct ac_lending_policy *p = calloc(1, sizeof *p);
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__lending_policy_parse(body, p, &why);
    strcpy(field, why.field);
    ac_reason_release(&why);
    free(p);
    json_decref(body);
    return err;
}

static void test_a_policy_body_is_refused_naming_the_field_at_fault(void **state)
{
    (void)state;
    char field[64];
    assert_int_equal(AC_EINVAL, parse("{\"reviewers\": [], \"monthly_cap\": 4}", field));
    assert_string_equal("reviewers", field);
    assert_int_equal(AC_EINVAL, parse("{\"reviewers\": [3, 3], \"monthly_cap\": 4}", field));
    assert_string_equal("reviewers", field);
    assert_int_equal(AC_EINVAL, parse("{\"reviewers\": \"all\", \"monthly_cap\": 0}", field));
    assert_string_equal("monthly_cap", field);
    assert_int_equal(AC_EINVAL, parse("{\"reviewers\": \"all\"}", field));
    assert_string_equal("monthly_cap", field);
    assert_int_equal(AC_EINVAL, parse("{\"reviewers\": \"all\", \"monthly_cap\": 4,"
                                      " \"blackouts\": [{\"from\": \"2026-02-30\","
                                      " \"until\": \"2026-03-02\"}]}",
                                      field));
    assert_string_equal("blackouts", field);
    assert_int_equal(AC_EINVAL, parse("{\"reviewers\": \"all\", \"monthly_cap\": 4,"
                                      " \"blackouts\": [{\"from\": \"2026-03-05\","
                                      " \"until\": \"2026-03-02\"}]}",
                                      field));
    assert_string_equal("blackouts", field);
    assert_int_equal(
        AC_EINVAL, parse("{\"reviewers\": \"all\", \"monthly_cap\": 4, \"own_first\": 1}", field));
    assert_string_equal("own_first", field);
    assert_int_equal(AC_EINVAL,
                     parse("{\"reviewers\": \"all\", \"monthly_cap\": 4, \"cap\": 1}", field));
    assert_string_equal("cap", field);
}

static void test_a_valid_policy_body_reads_with_own_first_by_default(void **state)
{
    (void)state;
    json_t *body = json_loads("{\"reviewers\": [9, 2], \"monthly_cap\": 6, \"blackouts\":"
                              " [{\"from\": \"2026-12-20\", \"until\": \"2026-12-20\"}]}",
                              0, NULL);
    struct ac_lending_policy *p = calloc(1, sizeof *p);
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(0, ac__lending_policy_parse(body, p, &why));
    assert_true(p->own_first);
    assert_int_equal(2, p->n_reviewers);
    assert_int_equal(2, p->reviewers[0]); /* kept ascending */
    assert_int_equal(9, p->reviewers[1]);
    assert_int_equal(6, p->monthly_cap);
    /* One day, 2026-12-20, included: [that midnight, the next). */
    assert_int_equal(DEC_20_2026_MS, p->blackouts[0].from_ms);
    assert_int_equal(DEC_20_2026_MS + DAY_MS, p->blackouts[0].until_ms);
    free(p);
    json_decref(body);
}

static void test_a_policy_naming_a_user_who_is_no_reviewer_here_is_refused(void **state)
{
    (void)state;
    struct ac_lending_policy *p = calloc(1, sizeof *p);
    snprintf(p->peer, sizeof p->peer, ISSUER);
    snprintf(p->credential_id, sizeof p->credential_id, CRED);
    p->reviewers[0] = fx.earner;
    p->n_reviewers = 1;
    p->monthly_cap = 2;
    struct ac_user admin;
    assert_int_equal(0, ac_store_user_get(fx.nf.node.store, fx.admin, &admin));
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_EINVAL, ac__lending_policy_set(&fx.nf.node, &admin, p, &why));
    assert_string_equal("reviewers", why.field);
    assert_non_null(strstr(why.detail, "not a reviewer"));
    ac_reason_release(&why);
    struct ac_lending_policy got;
    assert_int_equal(AC_ENOENT, ac_store_lending_get(fx.nf.node.store, ISSUER, CRED, &got));
    free(p);
}

static void test_only_an_admin_sets_a_lending_policy(void **state)
{
    (void)state;
    int64_t r = fx_reviewer("rita");
    struct ac_lending_policy *p = calloc(1, sizeof *p);
    snprintf(p->peer, sizeof p->peer, ISSUER);
    snprintf(p->credential_id, sizeof p->credential_id, CRED);
    p->all_reviewers = true;
    p->monthly_cap = 2;
    struct ac_user rita;
    assert_int_equal(0, ac_store_user_get(fx.nf.node.store, r, &rita));
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_EACCES, ac__lending_policy_set(&fx.nf.node, &rita, p, &why));
    ac_reason_release(&why);
    free(p);
}

static void test_a_stored_policy_reads_back_whole_and_removing_it_ends_lending(void **state)
{
    (void)state;
    int64_t ids[2] = {fx_reviewer("rita"), fx_reviewer("sam")};
    put_policy(ids, 2, 5, false, DEC_20_2026_MS, DEC_20_2026_MS + DAY_MS);
    struct ac_lending_policy got;
    assert_int_equal(0, ac_store_lending_get(fx.nf.node.store, ISSUER, CRED, &got));
    assert_int_equal(2, got.n_reviewers);
    assert_int_equal(ids[0], got.reviewers[0]);
    assert_int_equal(ids[1], got.reviewers[1]);
    assert_int_equal(5, got.monthly_cap);
    assert_false(got.own_first);
    assert_int_equal(1, got.n_blackouts);
    assert_int_equal(DEC_20_2026_MS + DAY_MS, got.blackouts[0].until_ms);
    struct ac_user admin;
    assert_int_equal(0, ac_store_user_get(fx.nf.node.store, fx.admin, &admin));
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(0, ac__lending_policy_remove(&fx.nf.node, &admin, ISSUER, CRED, &why));
    assert_int_equal(AC_ENOENT, ac__lending_policy_remove(&fx.nf.node, &admin, ISSUER, CRED, &why));
    ac_reason_release(&why);
    char field[64], detail[512];
    assert_int_equal(AC_ECONFLICT, check(ids[0], 0, DEC_20_2026_MS - DAY_MS, field, detail));
    assert_non_null(strstr(detail, "no policy"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, fx_open, fx_close)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_a_listed_idle_reviewer_under_the_cap_may_be_lent),
        T(test_without_a_policy_nobody_is_lent),
        T(test_a_policy_for_another_credential_lends_nobody_for_this_one),
        T(test_a_reviewer_not_on_the_list_is_not_lent),
        T(test_all_reviewers_means_this_nodes_reviewers_and_not_a_stand_in),
        T(test_own_first_keeps_a_reviewer_with_open_local_work_at_home),
        T(test_without_own_first_a_busy_reviewer_may_still_be_lent),
        T(test_inside_a_blackout_nobody_is_lent_and_the_reason_names_its_last_day),
        T(test_the_day_after_a_blackout_the_reviewer_may_be_lent_again),
        T(test_at_the_monthly_cap_the_reviewer_is_not_lent),
        T(test_the_refusing_rule_says_when_the_reviewer_may_be_lent_again),
        T(test_a_policy_body_is_refused_naming_the_field_at_fault),
        T(test_a_valid_policy_body_reads_with_own_first_by_default),
        T(test_a_policy_naming_a_user_who_is_no_reviewer_here_is_refused),
        T(test_only_an_admin_sets_a_lending_policy),
        T(test_a_stored_policy_reads_back_whole_and_removing_it_ends_lending),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
