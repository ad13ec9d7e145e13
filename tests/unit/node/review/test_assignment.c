/* test_review_flow.c - tests the parts of node/review_flow.c that stand on
 * the store alone: the assignment pass's pool of certified reviewers is read
 * whole, however many reviewers a credential has. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "accord/base/error.h"
#include "accord/store/store.h"
#include "review/review.h"

#define T0 1700000000000LL /* any fixed time: the store never reads the clock here */

static char dir[64];
static struct ac_store *st;
static int64_t cred_row;

static int open_store(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/ac-rflow-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    char path[128];
    snprintf(path, sizeof path, "%s/accord.db", dir);
    if (ac_store_open(path, &st))
        return -1;
    struct ac_user admin;
    if (ac_store_user_create(st, "ada", NULL, AC_ROLE_ADMIN, T0, &admin))
        return -1;
    return ac_store_credential_create(st, "feedback", 1, "Feedback", "{}", "h", admin.id, T0,
                                      &cred_row)
               ? -1
               : 0;
}

static int close_store(void **state)
{
    (void)state;
    ac_store_close(st);
    st = NULL;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Adds reviewer "r<i>" and walks their certification to |to|. */
static void add_reviewer(int i, enum ac_rcert_state to)
{
    char name[32];
    snprintf(name, sizeof name, "r%d", i);
    struct ac_user u;
    assert_int_equal(0, ac_store_user_create(st, name, NULL, AC_ROLE_REVIEWER, T0, &u));
    assert_int_equal(
        0, ac_store_reviewer_cert_create(st, cred_row, u.id, AC_RCERT_SCREENED, "{}", "[]", T0));
    if (to == AC_RCERT_SCREENED)
        return;
    assert_int_equal(0, ac_store_reviewer_cert_transition(st, cred_row, u.id, AC_RCERT_SCREENED,
                                                          AC_RCERT_TRAINED, NULL, T0));
    assert_int_equal(0, ac_store_reviewer_cert_transition(st, cred_row, u.id, AC_RCERT_TRAINED,
                                                          AC_RCERT_CERTIFIED, NULL, T0));
}

static void free_certs(struct ac_reviewer_cert *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ac_reviewer_cert_release(&c[i]);
    free(c);
}

static void test_every_certified_reviewer_of_a_pool_past_one_store_page_is_loaded(void **state)
{
    (void)state;
    /* 600 spans three pages of 256 and ends inside the third; the old pass
     * stopped at 256. Every fourth reviewer is only screened and must be
     * left out: 600 - 150 = 450 certified. */
    assert_int_equal(0, ac_store_tx_begin(st));
    for (int i = 0; i < 600; i++)
        add_reviewer(i, i % 4 == 3 ? AC_RCERT_SCREENED : AC_RCERT_CERTIFIED);
    assert_int_equal(0, ac_store_tx_commit(st));
    struct ac_reviewer_cert *c = NULL;
    size_t n = 0;
    assert_int_equal(0, ac__flow_certified_reviewers(st, cred_row, &c, &n));
    assert_int_equal(450, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(AC_RCERT_CERTIFIED, c[i].state);
        if (i)
            assert_true(c[i].user_id > c[i - 1].user_id);
    }
    free_certs(c, n);
}

static void test_a_pool_of_exactly_one_page_is_loaded_whole(void **state)
{
    (void)state;
    /* 256 fills the first page exactly, so the loader must ask again and
     * get an empty page rather than stop or repeat. */
    assert_int_equal(0, ac_store_tx_begin(st));
    for (int i = 0; i < 256; i++)
        add_reviewer(i, AC_RCERT_CERTIFIED);
    assert_int_equal(0, ac_store_tx_commit(st));
    struct ac_reviewer_cert *c = NULL;
    size_t n = 0;
    assert_int_equal(0, ac__flow_certified_reviewers(st, cred_row, &c, &n));
    assert_int_equal(256, n);
    free_certs(c, n);
}

static void test_a_credential_without_certified_reviewers_has_an_empty_pool(void **state)
{
    (void)state;
    struct ac_reviewer_cert *c = NULL;
    size_t n = 7;
    assert_int_equal(0, ac__flow_certified_reviewers(st, cred_row, &c, &n));
    assert_int_equal(0, n);
    free_certs(c, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_every_certified_reviewer_of_a_pool_past_one_store_page_is_loaded, open_store,
            close_store),
        cmocka_unit_test_setup_teardown(test_a_pool_of_exactly_one_page_is_loaded_whole, open_store,
                                        close_store),
        cmocka_unit_test_setup_teardown(
            test_a_credential_without_certified_reviewers_has_an_empty_pool, open_store,
            close_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
