/* test_store_team.c - tests core/store/store_team.c and store_stack.c: a team
 * counts each member's confirmation once, a team name is unique per
 * credential, an appeal is one per submission and decided once, and a stack
 * id is declared once (issuing its records is tested through the node, in
 * tests/integration/test_earner_experience.py). */
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
#include "accord/store/stack.h"
#include "accord/store/store.h"
#include "accord/store/submission.h"
#include "accord/store/team.h"
#include "accord/store/user.h"
#include "store_fixture.h"

#define T0 1700000000000LL /* any fixed time: the store never reads the clock here */

static int64_t ana, bo;

static int open_store(void **state)
{
    (void)state;
    if (store_fixture_open("tstore"))
        return -1;
    struct ac_user u;
    if (ac_store_user_create(st, "ana", NULL, AC_ROLE_EARNER, 1, &u))
        return -1;
    ana = u.id;
    if (ac_store_user_create(st, "bo", NULL, AC_ROLE_EARNER, 1, &u))
        return -1;
    bo = u.id;
    return 0;
}

static void test_a_team_is_confirmed_member_by_member(void **state)
{
    (void)state;
    int64_t id, other;
    assert_int_equal(AC_EBUG, ac_store_team_create(st, "c", "north", ana, &bo, 1, T0, &id));
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_team_create(st, "c", "north", ana, &bo, 1, T0, &id));
    assert_int_equal(AC_EEXIST, ac_store_team_create(st, "c", "north", bo, &ana, 1, T0, &other));
    assert_int_equal(0, ac_store_tx_commit(st));
    struct ac_team t;
    assert_int_equal(0, ac_store_team_find(st, "c", "north", &t));
    assert_int_equal(2, t.n_members);
    assert_int_equal(1, (t.members[0].confirmed_ms != 0) + (t.members[1].confirmed_ms != 0));
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_team_confirm(st, id, bo, T0 + 5));
    assert_int_equal(0, ac_store_team_confirm(st, id, bo, T0 + 9)); /* the first time stays */
    assert_int_equal(AC_ENOENT, ac_store_team_confirm(st, id, 999, T0));
    assert_int_equal(0, ac_store_tx_commit(st));
    assert_int_equal(0, ac_store_team_get(st, id, &t));
    for (size_t i = 0; i < t.n_members; i++)
        assert_true(t.members[i].user_id == bo ? t.members[i].confirmed_ms == T0 + 5
                                               : t.members[i].confirmed_ms == T0);
}

static void test_an_appeal_is_one_per_submission_and_decided_once(void **state)
{
    (void)state;
    char elements[] = "[]";
    struct ac_submission s = {.earner_id = ana, .credential_version = 1, .elements = elements,
                              .state = AC_SUB_RECEIVED};
    snprintf(s.credential_id, sizeof s.credential_id, "c");
    int64_t sub, id, again;
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_submission_insert(st, &s, &sub));
    assert_int_equal(0, ac_store_appeal_create(st, sub, ana, "The criteria are there.", T0, &id));
    assert_int_equal(AC_EEXIST, ac_store_appeal_create(st, sub, ana, "Again.", T0, &again));
    assert_int_equal(0, ac_store_appeal_assign(st, id, bo));
    assert_int_equal(AC_ENOENT, ac_store_appeal_assign(st, id, bo)); /* no longer open */
    assert_int_equal(0, ac_store_appeal_decide(st, id, AC_APPEAL_OVERTURNED, 2, "ok", bo, T0));
    assert_int_equal(AC_ENOENT,
                     ac_store_appeal_decide(st, id, AC_APPEAL_UPHELD, -1, "no", bo, T0));
    assert_int_equal(0, ac_store_tx_commit(st));
    struct ac_appeal a;
    assert_int_equal(0, ac_store_appeal_get(st, id, &a));
    assert_int_equal(AC_APPEAL_OVERTURNED, a.state);
    assert_int_equal(2, a.level);
    assert_string_equal("The criteria are there.", a.reason);
    ac_appeal_release(&a);
    struct ac_appeal *list = NULL;
    size_t n = 0;
    assert_int_equal(0, ac_store_appeal_list(st, bo, &list, &n));
    assert_int_equal(0, n);
    free(list);
}

static void test_a_stack_is_declared_once_and_has_no_record_until_issued(void **state)
{
    (void)state;
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_stack_create(st, "lead", "Lead", "[\"a\",\"b\"]", 50, ana, T0));
    assert_int_equal(AC_EEXIST, ac_store_stack_create(st, "lead", "L", "[]", 0, ana, T0));
    assert_int_equal(0, ac_store_tx_commit(st));
    int64_t rec;
    assert_int_equal(AC_ENOENT, ac_store_stack_record_get(st, "lead", ana, &rec));
    struct ac_stack *all = NULL;
    size_t n = 0;
    assert_int_equal(0, ac_store_stack_list(st, &all, &n));
    assert_int_equal(1, n);
    assert_string_equal("[\"a\",\"b\"]", all[0].members);
    assert_int_equal(50, all[0].ceu_hundredths);
    ac_stack_release(&all[0]);
    free(all);
}

#define T(f) cmocka_unit_test_setup_teardown(f, open_store, close_store)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_a_team_is_confirmed_member_by_member),
        T(test_an_appeal_is_one_per_submission_and_decided_once),
        T(test_a_stack_is_declared_once_and_has_no_record_until_issued),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
