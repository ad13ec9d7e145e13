/* test_subject.c - tests core/records/subject.c: the Open Badges 3.0 salted
 * e-mail hash against vectors computed with Python's hashlib, the e-mail
 * rule, and the constant-time match. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "accord/base/error.h"
#include "accord/records/subject.h"

static int setup(void **state)
{
    (void)state;
    return sodium_init() < 0 ? -1 : 0;
}

/* python3 -c "import hashlib; print(hashlib.sha256(
 *   b'ann.teacher@district.example' + b'00112233445566778899aabbccddeeff').hexdigest())" */
static const char VECTOR[] =
    "sha256$f4079d7aa8b2a2fb28787488954cd6b3c7b668552fd7d73d9d39091b7a33cc29";

static void test_hash_is_sha256_of_the_address_then_the_salt_in_hex(void **state)
{
    (void)state;
    char out[AC_SUBJECT_HASH_BYTES];
    ac_subject_hash("ann.teacher@district.example", "00112233445566778899aabbccddeeff", out);
    assert_string_equal(VECTOR, out);
}

static void test_hash_lowers_the_address_before_hashing(void **state)
{
    (void)state;
    char out[AC_SUBJECT_HASH_BYTES];
    ac_subject_hash("Ann.Teacher@District.EXAMPLE", "00112233445566778899aabbccddeeff", out);
    assert_string_equal(VECTOR, out);
}

static void test_hash_with_an_empty_salt_is_the_plain_address_hash(void **state)
{
    (void)state;
    /* python3 -c "import hashlib; print(hashlib.sha256(b'teacher@example.org').hexdigest())" */
    char out[AC_SUBJECT_HASH_BYTES];
    ac_subject_hash("teacher@example.org", "", out);
    assert_string_equal("sha256$f9391259258d77d746dff3fd68012d25cfcf32b9100415c9f35b3f0b6e20538a",
                        out);
}

static void test_match_accepts_the_right_address_and_salt(void **state)
{
    (void)state;
    assert_true(ac_subject_matches(VECTOR, "ann.teacher@district.example",
                                   "00112233445566778899aabbccddeeff"));
}

static void test_match_accepts_uppercase_hex_in_the_subject(void **state)
{
    (void)state;
    char upper[sizeof VECTOR];
    memcpy(upper, VECTOR, sizeof VECTOR);
    for (char *p = upper + 7; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 32);
    assert_true(ac_subject_matches(upper, "ann.teacher@district.example",
                                   "00112233445566778899aabbccddeeff"));
}

static void test_match_refuses_another_address(void **state)
{
    (void)state;
    assert_false(ac_subject_matches(VECTOR, "bob.teacher@district.example",
                                    "00112233445566778899aabbccddeeff"));
}

static void test_match_refuses_another_salt(void **state)
{
    (void)state;
    assert_false(ac_subject_matches(VECTOR, "ann.teacher@district.example",
                                    "00112233445566778899aabbccddeef0"));
}

static void test_match_refuses_a_subject_that_is_not_a_salted_hash(void **state)
{
    (void)state;
    assert_false(ac_subject_matches("node.example:user:14", "ann.teacher@district.example", ""));
    assert_false(ac_subject_is_hashed("sha256$abc"));
    assert_false(ac_subject_is_hashed(
        "sha256$g4079d7aa8b2a2fb28787488954cd6b3c7b668552fd7d73d9d39091b7a33cc29"));
    assert_true(ac_subject_is_hashed(VECTOR));
}

static void test_new_salts_are_32_hex_digits_and_differ(void **state)
{
    (void)state;
    char a[AC_SUBJECT_SALT_LEN + 1], b[AC_SUBJECT_SALT_LEN + 1];
    ac_subject_salt_new(a);
    ac_subject_salt_new(b);
    assert_int_equal(32, strlen(a));
    assert_int_equal(strspn(a, "0123456789abcdef"), 32);
    assert_string_not_equal(a, b);
}

static void test_email_is_trimmed_and_lowered(void **state)
{
    (void)state;
    char out[AC_EMAIL_MAX + 1];
    assert_int_equal(0, ac_email_normalize("  Ann@District.Example ", out, NULL, 0));
    assert_string_equal("ann@district.example", out);
}

static void test_email_without_at_is_refused_with_the_rule(void **state)
{
    (void)state;
    char out[AC_EMAIL_MAX + 1], why[160];
    assert_int_equal(AC_EINVAL, ac_email_normalize("ann.district.example", out, why, sizeof why));
    assert_string_equal("email: \"ann.district.example\" must be local-part@domain", why);
}

static void test_email_that_could_add_a_header_recipient_is_refused(void **state)
{
    (void)state;
    char out[AC_EMAIL_MAX + 1];
    assert_int_equal(AC_EINVAL, ac_email_normalize("a@b.org, c@d.org", out, NULL, 0));
    assert_int_equal(AC_EINVAL, ac_email_normalize("a@b.org\r\nBcc: c@d.org", out, NULL, 0));
    assert_int_equal(AC_EINVAL, ac_email_normalize("a@@b.org", out, NULL, 0));
    assert_int_equal(AC_EINVAL, ac_email_normalize("a@localhost", out, NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_is_sha256_of_the_address_then_the_salt_in_hex),
        cmocka_unit_test(test_hash_lowers_the_address_before_hashing),
        cmocka_unit_test(test_hash_with_an_empty_salt_is_the_plain_address_hash),
        cmocka_unit_test(test_match_accepts_the_right_address_and_salt),
        cmocka_unit_test(test_match_accepts_uppercase_hex_in_the_subject),
        cmocka_unit_test(test_match_refuses_another_address),
        cmocka_unit_test(test_match_refuses_another_salt),
        cmocka_unit_test(test_match_refuses_a_subject_that_is_not_a_salted_hash),
        cmocka_unit_test(test_new_salts_are_32_hex_digits_and_differ),
        cmocka_unit_test(test_email_is_trimmed_and_lowered),
        cmocka_unit_test(test_email_without_at_is_refused_with_the_rule),
        cmocka_unit_test(test_email_that_could_add_a_header_recipient_is_refused),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
