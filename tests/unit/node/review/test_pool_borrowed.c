/* test_pool_borrowed.c - tests node/review/pool_borrowed.c: with the
 * borrowing mode above_capacity, borrowed reviewers (stand-ins) are held
 * back while the reviews wanted fit in own reviewers' spare capacity and
 * become candidates past it; with always they are never held back; and in a
 * real assignment pass the mode decides who gets the work, a borrowed
 * reviewer stepping in where own slots would do but own people cannot. */
#include "review_fixture.h"
#include "accord/store/assignment.h"
#include "accord/store/lending.h"
#include "accord/store/remote.h"

/* Two own reviewers with 2 and 1 spare slots (cap - load) and one borrowed
 * reviewer: own spare capacity is 3. */
static void three_reviewers(struct ac_assign_reviewer pr[3], bool borrowed[3])
{
    memset(pr, 0, 3 * sizeof pr[0]);
    for (int i = 0; i < 3; i++) {
        pr[i].id = (uint64_t)i + 1;
        pr[i].available = true;
        pr[i].cap = 2;
    }
    pr[1].load = 1;
    borrowed[0] = borrowed[1] = false;
    borrowed[2] = true;
}

static void test_above_capacity_holds_borrowed_back_while_own_spare_covers_the_backlog(void **s)
{
    (void)s;
    struct ac_assign_reviewer pr[3];
    bool b[3];
    three_reviewers(pr, b);
    assert_int_equal(1, ac__borrow_hold_back(pr, 3, b, 3, AC_BORROW_ABOVE_CAPACITY));
    assert_false(pr[2].available);
    assert_true(pr[0].available && pr[1].available);
}

static void test_above_capacity_offers_borrowed_once_the_backlog_exceeds_own_spare(void **s)
{
    (void)s;
    struct ac_assign_reviewer pr[3];
    bool b[3];
    three_reviewers(pr, b);
    assert_int_equal(0, ac__borrow_hold_back(pr, 3, b, 4, AC_BORROW_ABOVE_CAPACITY));
    assert_true(pr[2].available);
}

static void test_an_own_reviewer_who_is_unavailable_adds_no_own_capacity(void **s)
{
    (void)s;
    struct ac_assign_reviewer pr[3];
    bool b[3];
    three_reviewers(pr, b);
    pr[0].available = false; /* own spare is now 1 */
    assert_int_equal(0, ac__borrow_hold_back(pr, 3, b, 2, AC_BORROW_ABOVE_CAPACITY));
    assert_true(pr[2].available);
}

static void test_always_never_holds_borrowed_reviewers_back(void **s)
{
    (void)s;
    struct ac_assign_reviewer pr[3];
    bool b[3];
    three_reviewers(pr, b);
    assert_int_equal(0, ac__borrow_hold_back(pr, 3, b, 1, AC_BORROW_ALWAYS));
    assert_true(pr[2].available);
}

/* ---- through a real pass ---- */

/* As the fixture's definition, but a reviewer may hold 2 open assignments. */
#define DEF_TWO_OPEN                                                                               \
    "{\"id\":\"" FX_DEF_ID "\",\"version\":1,\"title\":\"Feedback\",\"competency\":\"c\","         \
    "\"key_method\":\"k\",\"method_components\":\"m\","                                            \
    "\"submission\":{\"elements\":[{\"id\":\"a\",\"prompt\":\"Describe your feedback "             \
    "practice\"}]},"                                                                               \
    "\"scoring\":{\"levels\":[\"not yet\",\"pass\"],\"passing_level\":\"pass\"},"                  \
    "\"reviewers\":{\"mode\":\"master\"},\"maintenance\":{\"second_master_rate\":0},"              \
    "\"pool\":{\"open_assignments_max\":2},"                                                       \
    "\"review\":{\"batch_size\":2,\"deadline_days\":2,\"reminders_hours_before\":[24]}}"

/* As above, but each submission needs two distinct reviewers. */
#define DEF_TWO_REVIEWS                                                                            \
    "{\"id\":\"" FX_DEF_ID "\",\"version\":1,\"title\":\"Feedback\",\"competency\":\"c\","         \
    "\"key_method\":\"k\",\"method_components\":\"m\","                                            \
    "\"submission\":{\"elements\":[{\"id\":\"a\",\"prompt\":\"Describe your feedback "             \
    "practice\"}]},"                                                                               \
    "\"scoring\":{\"levels\":[\"not yet\",\"pass\"],\"passing_level\":\"pass\"},"                  \
    "\"reviewers\":{\"mode\":\"associate\",\"per_submission\":2},"                                 \
    "\"pool\":{\"open_assignments_max\":2},"                                                       \
    "\"review\":{\"batch_size\":2,\"deadline_days\":2,\"reminders_hours_before\":[24]}}"

static int open_two_reviews(void **state)
{
    (void)state;
    return fx_open_with(DEF_TWO_REVIEWS);
}

static int open_two(void **state)
{
    (void)state;
    return fx_open_with(DEF_TWO_OPEN);
}

/* A stand-in for reviewer 7 of north.example, certified here. */
static int64_t certified_stand_in(void)
{
    struct ac_store *st = fx.nf.node.store;
    struct ac_remote_profile prof = {"Nora", "North school", "North district", "[]"};
    int64_t id = 0;
    assert_int_equal(0,
                     ac_store_remote_reviewer_ensure(st, "north.example", 7, &prof, 1, &id, NULL));
    fixture_certify_to(&fx.nf, fx.row, id, AC_RCERT_CERTIFIED, 1);
    return id;
}

/* Own reviewer |own| holds one open (pending) assignment: 1 spare of 2. */
static void one_open(int64_t own)
{
    int64_t sub =
        fx_open_assignment(own, "Earlier work, already with its reviewer.", ac_clock_now_ms());
    assert_int_equal(0, ac_store_tx_begin(fx.nf.node.store));
    assert_int_equal(0, ac_store_submission_set_state(fx.nf.node.store, sub, AC_SUB_IN_REVIEW));
    assert_int_equal(0, ac_store_tx_commit(fx.nf.node.store));
}

/* Submits one piece of work, runs a pass and returns who got it. */
static int64_t reviewer_of_new_work(void)
{
    int64_t sub = fx_submit(fx.earner, "I give feedback within a day, in writing.");
    assert_int_equal(0, ac__assignment_pass(&fx.nf.node, fx.row));
    struct ac_assignment_row a = fx_only_assignment(sub);
    int64_t who = a.reviewer_id;
    ac_assignment_release(&a);
    return who;
}

static void test_with_above_capacity_an_own_reviewer_with_room_gets_the_work(void **s)
{
    (void)s;
    int64_t own = fx_reviewer("olga");
    certified_stand_in();
    one_open(own);
    /* Backlog 1 fits own spare 1: the idle stand-in waits. */
    assert_int_equal(own, reviewer_of_new_work());
}

static void test_with_always_the_less_loaded_borrowed_reviewer_gets_the_work(void **s)
{
    (void)s;
    int64_t own = fx_reviewer("olga");
    int64_t nora = certified_stand_in();
    one_open(own);
    assert_int_equal(0, ac_store_borrowing_put(fx.nf.node.store, FX_DEF_ID, AC_BORROW_ALWAYS, 1));
    /* The solver spreads load: own would hold 2, the stand-in holds 1. */
    assert_int_equal(nora, reviewer_of_new_work());
}

static void test_a_node_default_of_always_applies_to_a_credential_without_its_own(void **s)
{
    (void)s;
    int64_t own = fx_reviewer("olga");
    int64_t nora = certified_stand_in();
    one_open(own);
    assert_int_equal(0, ac_store_borrowing_put(fx.nf.node.store, AC_BORROWING_NODE_DEFAULT,
                                               AC_BORROW_ALWAYS, 1));
    enum ac_borrowing_mode m;
    const char *from = NULL;
    assert_int_equal(0, ac_store_borrowing_get(fx.nf.node.store, FX_DEF_ID, &m, &from));
    assert_string_equal("node", from);
    assert_int_equal(nora, reviewer_of_new_work());
}

static void test_a_credentials_own_mode_wins_over_the_node_default(void **s)
{
    (void)s;
    int64_t own = fx_reviewer("olga");
    certified_stand_in();
    one_open(own);
    assert_int_equal(0, ac_store_borrowing_put(fx.nf.node.store, AC_BORROWING_NODE_DEFAULT,
                                               AC_BORROW_ALWAYS, 1));
    assert_int_equal(
        0, ac_store_borrowing_put(fx.nf.node.store, FX_DEF_ID, AC_BORROW_ABOVE_CAPACITY, 1));
    assert_int_equal(own, reviewer_of_new_work());
}

static void
test_with_above_capacity_a_submission_own_reviewers_cannot_cover_gets_a_borrowed_one(void **s)
{
    (void)s;
    /* One own reviewer with 2 spare slots, and a submission that needs two
     * distinct reviewers: the slots would cover it, the people do not. */
    int64_t own = fx_reviewer("olga");
    int64_t nora = certified_stand_in();
    int64_t sub = fx_submit(fx.earner, "I give feedback within a day, in writing.");
    assert_int_equal(0, ac__assignment_pass(&fx.nf.node, fx.row));
    struct ac_assignment_row *as = NULL;
    size_t nas = 0;
    assert_int_equal(0, ac_store_assignment_list(fx.nf.node.store, sub, 0, 0, -1, &as, &nas));
    assert_int_equal(2, nas);
    int64_t got[2] = {as[0].reviewer_id, as[1].reviewer_id};
    assert_true((got[0] == own && got[1] == nora) || (got[0] == nora && got[1] == own));
    for (size_t i = 0; i < nas; i++)
        ac_assignment_release(&as[i]);
    free(as);
}

#define T(f) cmocka_unit_test(f)
#define P(f) cmocka_unit_test_setup_teardown(f, open_two, fx_close)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_above_capacity_holds_borrowed_back_while_own_spare_covers_the_backlog),
        T(test_above_capacity_offers_borrowed_once_the_backlog_exceeds_own_spare),
        T(test_an_own_reviewer_who_is_unavailable_adds_no_own_capacity),
        T(test_always_never_holds_borrowed_reviewers_back),
        P(test_with_above_capacity_an_own_reviewer_with_room_gets_the_work),
        P(test_with_always_the_less_loaded_borrowed_reviewer_gets_the_work),
        P(test_a_node_default_of_always_applies_to_a_credential_without_its_own),
        P(test_a_credentials_own_mode_wins_over_the_node_default),
        cmocka_unit_test_setup_teardown(
            test_with_above_capacity_a_submission_own_reviewers_cannot_cover_gets_a_borrowed_one,
            open_two_reviews, fx_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
