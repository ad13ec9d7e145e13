/* test_problem.c - the closed vocabulary of problem types (node/problems.def)
 * and the reasons services give (node/problem.c). */
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../node/problem.h"
#include "accord/base/error.h"

static void test_every_problem_type_has_a_unique_slug_an_error_status_and_a_title(void **state)
{
    (void)state;
    for (int i = AC_PROBLEM_NONE + 1; i < AC_PROBLEM__COUNT; i++) {
        const struct ac_problem_type *t = ac_problem_type((enum ac_problem)i);
        assert_true(t->status >= 400 && t->status <= 599);
        assert_true(t->title && *t->title);
        assert_true(strspn(t->slug, "abcdefghijklmnopqrstuvwxyz-") == strlen(t->slug));
        for (int j = i + 1; j < AC_PROBLEM__COUNT; j++)
            assert_string_not_equal(t->slug, ac_problem_type((enum ac_problem)j)->slug);
    }
}

/* net/ cannot include node/, so it spells its transport problems itself;
 * each must be in the table with the same status. */
static void test_every_problem_net_answers_is_in_the_table_with_its_status(void **state)
{
    (void)state;
    FILE *f = fopen("../../../net/h2_conn.c", "r");
    assert_non_null(f);
    regex_t re;
    assert_int_equal(0, regcomp(&re, "reject\\(s, ([0-9]{3}), \"([a-z-]+)\"", REG_EXTENDED));
    char line[512];
    int seen = 0;
    while (fgets(line, sizeof line, f)) {
        regmatch_t m[3];
        if (regexec(&re, line, 3, m, 0) != 0)
            continue;
        int status = atoi(line + m[1].rm_so);
        line[m[2].rm_eo] = '\0';
        const char *slug = line + m[2].rm_so;
        int found = 0;
        for (int i = AC_PROBLEM_NONE + 1; i < AC_PROBLEM__COUNT; i++) {
            const struct ac_problem_type *t = ac_problem_type((enum ac_problem)i);
            if (strcmp(t->slug, slug) == 0) {
                assert_int_equal(t->status, status);
                found = 1;
            }
        }
        if (!found)
            fail_msg("net/h2_conn.c answers \"%s\" (%d), which problems.def lacks", slug, status);
        seen++;
    }
    regfree(&re);
    fclose(f);
    assert_true(seen >= 4);
}

static void test_an_io_error_is_503_and_never_404(void **state)
{
    (void)state;
    assert_int_equal(AC_PROBLEM_STORAGE_UNAVAILABLE, ac_problem_of_error(AC_EIO));
    assert_int_equal(503, ac_problem_type(ac_problem_of_error(AC_EIO))->status);
    assert_int_equal(404, ac_problem_type(ac_problem_of_error(AC_ENOENT))->status);
    assert_int_equal(500, ac_problem_type(ac_problem_of_error(AC_EDB))->status);
    /* The keyring sealed for a key rotation's fsyncs: busy, not internal. */
    assert_int_equal(AC_PROBLEM_BUSY, ac_problem_of_error(AC_EBUSY));
    assert_int_equal(503, ac_problem_type(ac_problem_of_error(AC_EBUSY))->status);
}

static void test_a_reason_keeps_the_problem_field_and_detail_and_returns_the_code(void **state)
{
    (void)state;
    struct ac_reason r = AC_REASON_INIT;
    int err = ac_reason_fail(&r, AC_ECONFLICT, AC_PROBLEM_WRONG_STATE, "state",
                             "credential %s is %s; it must be draft", "demo@1", "active");
    assert_int_equal(AC_ECONFLICT, err);
    assert_int_equal(AC_PROBLEM_WRONG_STATE, r.problem);
    assert_string_equal("state", r.field);
    assert_string_equal("credential demo@1 is active; it must be draft", r.detail);
    ac_reason_extra(&r, json_pack("{s:i}", "retry_after", 30));
    assert_non_null(r.extra);
    ac_reason_release(&r);
    assert_null(r.extra);
    assert_int_equal(AC_PROBLEM_NONE, r.problem);
    /* A caller that does not want the reason passes NULL. */
    assert_int_equal(AC_ENOENT, ac_reason_fail(NULL, AC_ENOENT, AC_PROBLEM_NOT_FOUND, NULL, "x"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_problem_type_has_a_unique_slug_an_error_status_and_a_title),
        cmocka_unit_test(test_every_problem_net_answers_is_in_the_table_with_its_status),
        cmocka_unit_test(test_an_io_error_is_503_and_never_404),
        cmocka_unit_test(test_a_reason_keeps_the_problem_field_and_detail_and_returns_the_code),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
