/* test_notify.c - tests the mail header cleaning of node/notify.c: text from
 * users and credential titles cannot add header lines to a notification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "review/review.h"

static void test_a_title_with_blank_lines_stays_on_one_header_line(void **state)
{
    (void)state;
    char *v = ac__mail_header_value("Outcome\n\nBcc: x@example.org");
    assert_non_null(v);
    /* Each of the two LFs becomes one space. */
    assert_string_equal("Outcome  Bcc: x@example.org", v);
    free(v);
}

static void test_cr_tab_and_delete_become_spaces(void **state)
{
    (void)state;
    char *v = ac__mail_header_value("a\rb\tc\x7f"
                                    "d\x01");
    assert_non_null(v);
    assert_string_equal("a b c d ", v);
    free(v);
}

static void test_plain_and_utf8_text_is_unchanged(void **state)
{
    (void)state;
    char *v = ac__mail_header_value("Ren\xc3\xa9"
                                    "e O'Brien");
    assert_non_null(v);
    assert_string_equal("Ren\xc3\xa9"
                        "e O'Brien",
                        v);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_title_with_blank_lines_stays_on_one_header_line),
        cmocka_unit_test(test_cr_tab_and_delete_become_spaces),
        cmocka_unit_test(test_plain_and_utf8_text_is_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
