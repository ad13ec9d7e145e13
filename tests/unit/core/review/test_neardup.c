/* test_neardup.c - tests core/neardup.c: normalisation, passages with byte
 * ranges in both texts, prompt text, teams, UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "accord/base/error.h"
#include "accord/review/neardup.h"

static const char ESSAY[] =
    "Students rotated through three stations while I conferred with each group about "
    "their exit tickets, and the data showed which misconceptions persisted after the lesson.";

static struct ac_neardup_index *index_with(const struct ac_neardup_params *p)
{
    struct ac_neardup_index *ix = NULL;
    assert_int_equal(0, ac_neardup_index_new(p, &ix));
    return ix;
}

static void add(struct ac_neardup_index *ix, uint64_t doc, uint64_t team, const char *text)
{
    assert_int_equal(0, ac_neardup_add(ix, doc, team, text, strlen(text)));
}

static struct ac_neardup_result *check(struct ac_neardup_index *ix, uint64_t doc, uint64_t team,
                                       const char *text)
{
    struct ac_neardup_result *r = NULL;
    assert_int_equal(0, ac_neardup_check(ix, doc, team, text, strlen(text), &r));
    return r;
}

static void test_case_punctuation_and_spacing_do_not_hide_a_copy(void **state)
{
    (void)state;
    struct ac_neardup_params p = AC_NEARDUP_DEFAULTS;
    struct ac_neardup_index *ix = index_with(&p);
    add(ix, 1, 0, ESSAY);
    struct ac_neardup_result *r =
        check(ix, 2, 0,
              "STUDENTS rotated   through three stations -- while I conferred with each group "
              "about their exit-tickets; and the data showed which misconceptions persisted "
              "after the lesson!!");
    assert_int_equal(1, r->n_matches);
    assert_int_equal(1, r->matches[0].doc);
    assert_float_equal(1.0, r->matches[0].similarity, 1e-12);
    ac_neardup_result_free(r);
    ac_neardup_index_free(ix);
}

static void test_unrelated_text_has_no_match(void **state)
{
    (void)state;
    struct ac_neardup_params p = AC_NEARDUP_DEFAULTS;
    struct ac_neardup_index *ix = index_with(&p);
    add(ix, 1, 0, ESSAY);
    struct ac_neardup_result *r =
        check(ix, 2, 0,
              "My second graders built paper bridges and measured how many pennies "
              "each design could hold before collapsing.");
    assert_int_equal(0, r->n_matches);
    assert_true(r->fingerprints > 0);
    ac_neardup_result_free(r);
    ac_neardup_index_free(ix);
}

static void test_passage_gives_the_copied_bytes_in_both_texts(void **state)
{
    (void)state;
    const char *copied = "the data showed which misconceptions persisted after the lesson";
    const char *mine = "In my own class, the data showed which misconceptions persisted after "
                       "the lesson, so I retaught fractions with number lines.";
    struct ac_neardup_params p = AC_NEARDUP_DEFAULTS;
    struct ac_neardup_index *ix = index_with(&p);
    add(ix, 1, 0, ESSAY);
    struct ac_neardup_result *r = check(ix, 2, 0, mine);
    assert_int_equal(1, r->n_matches);
    assert_int_equal(1, r->matches[0].n_passages);
    const struct ac_neardup_passage *ps = &r->matches[0].passages[0];
    size_t q0 = (size_t)(strstr(mine, copied) - mine), d0 = (size_t)(strstr(ESSAY, copied) - ESSAY);
    size_t len = strlen(copied);
    /* Inside the copied sentence in both texts, the same bytes, and most of it:
     * winnowing may miss at most w-1 characters at each end. */
    assert_true(ps->start >= q0 && ps->end <= q0 + len);
    assert_true(ps->prior_start >= d0 && ps->prior_end <= d0 + len);
    assert_int_equal(ps->end - ps->start, ps->prior_end - ps->prior_start);
    assert_memory_equal(mine + ps->start, ESSAY + ps->prior_start, ps->end - ps->start);
    assert_true(ps->end - ps->start >= len - 2 * (p.w - 1));
    ac_neardup_result_free(r);
    ac_neardup_index_free(ix);
}

static void test_prompt_text_shared_by_many_submissions_is_not_reported(void **state)
{
    (void)state;
    const char *prompt = "Describe how you used formative assessment data to adjust instruction. ";
    char a[256], b[256], c[256], d[256];
    snprintf(a, sizeof a, "%s%s", prompt, "We graphed reading fluency every Friday morning.");
    snprintf(b, sizeof b, "%s%s", prompt, "Quizzes on Kahoot showed gaps with decimals.");
    snprintf(c, sizeof c, "%s%s", prompt, "Peer review of lab reports revealed weak claims.");
    snprintf(d, sizeof d, "%s%s", prompt, "Thumbs up checks guided my small groups.");
    struct ac_neardup_params p = AC_NEARDUP_DEFAULTS;
    p.common_docs = 3;
    struct ac_neardup_index *ix = index_with(&p);
    add(ix, 1, 0, a);
    add(ix, 2, 0, b);
    add(ix, 3, 0, c);
    struct ac_neardup_result *r = check(ix, 4, 0, d);
    assert_int_equal(0, r->n_matches);
    ac_neardup_result_free(r);
    ac_neardup_index_free(ix);
}

static void test_without_the_cut_shared_prompt_text_matches(void **state)
{
    (void)state;
    const char *a = "Describe how you used formative assessment data to adjust instruction. "
                    "We graphed reading fluency every Friday morning.";
    const char *d = "Describe how you used formative assessment data to adjust instruction. "
                    "Thumbs up checks guided my small groups.";
    struct ac_neardup_params p = AC_NEARDUP_DEFAULTS;
    struct ac_neardup_index *ix = index_with(&p);
    add(ix, 1, 0, a);
    struct ac_neardup_result *r = check(ix, 4, 0, d);
    assert_int_equal(1, r->n_matches);
    ac_neardup_result_free(r);
    ac_neardup_index_free(ix);
}

static void test_registered_prompt_text_is_ignored(void **state)
{
    (void)state;
    const char *prompt = "Describe how you used formative assessment data to adjust instruction.";
    const char *a = "Describe how you used formative assessment data to adjust instruction. "
                    "We graphed reading fluency every Friday morning.";
    const char *d = "Describe how you used formative assessment data to adjust instruction. "
                    "Thumbs up checks guided my small groups.";
    struct ac_neardup_params p = AC_NEARDUP_DEFAULTS;
    struct ac_neardup_index *ix = index_with(&p);
    assert_int_equal(0, ac_neardup_ignore_text(ix, prompt, strlen(prompt)));
    add(ix, 1, 0, a);
    struct ac_neardup_result *r = check(ix, 4, 0, d);
    assert_int_equal(0, r->n_matches);
    ac_neardup_result_free(r);
    ac_neardup_index_free(ix);
}

static void test_members_of_one_team_are_not_reported_against_each_other(void **state)
{
    (void)state;
    struct ac_neardup_params p = AC_NEARDUP_DEFAULTS;
    struct ac_neardup_index *ix = index_with(&p);
    add(ix, 1, 77, ESSAY);
    struct ac_neardup_result *same = check(ix, 2, 77, ESSAY);
    struct ac_neardup_result *other = check(ix, 3, 78, ESSAY);
    assert_int_equal(0, same->n_matches);
    assert_int_equal(1, other->n_matches);
    ac_neardup_result_free(same);
    ac_neardup_result_free(other);
    ac_neardup_index_free(ix);
}

static void test_utf8_letters_fold_and_passages_keep_whole_characters(void **state)
{
    (void)state;
    /* Prior uses capital E-acute and a no-break space and smart quotes; the
     * copy uses lower case and plain spaces. */
    const char *prior = "\xC3\x89l\xC3\xA8ves na\xC3\xAFves \xE2\x80\x9C"
                        "d\xC3\xA9j\xC3\xA0 vu"
                        "\xE2\x80\x9D\xC2\xA0r\xC3\xA9sum\xC3\xA9 caf\xC3\xA9 cr\xC3\xA8me";
    const char *copy = "\xC3\xA9l\xC3\xA8ves na\xC3\xAFves d\xC3\xA9j\xC3\xA0 vu r\xC3\xA9sum"
                       "\xC3\xA9 caf\xC3\xA9 cr\xC3\xA8me";
    struct ac_neardup_params p = {5, 3, 0, 0.0};
    struct ac_neardup_index *ix = index_with(&p);
    add(ix, 1, 0, prior);
    struct ac_neardup_result *r = check(ix, 2, 0, copy);
    assert_int_equal(1, r->n_matches);
    assert_float_equal(1.0, r->matches[0].similarity, 1e-12);
    for (size_t i = 0; i < r->matches[0].n_passages; i++) {
        const struct ac_neardup_passage *ps = &r->matches[0].passages[i];
        /* No range starts or ends inside a multi-byte character. */
        assert_int_not_equal(0x80, (unsigned char)copy[ps->start] & 0xC0);
        assert_int_not_equal(0x80, (unsigned char)prior[ps->prior_start] & 0xC0);
        if (copy[ps->end])
            assert_int_not_equal(0x80, (unsigned char)copy[ps->end] & 0xC0);
        if (prior[ps->prior_end])
            assert_int_not_equal(0x80, (unsigned char)prior[ps->prior_end] & 0xC0);
    }
    ac_neardup_result_free(r);
    ac_neardup_index_free(ix);
}

static void test_zero_k_gram_length_is_rejected(void **state)
{
    (void)state;
    struct ac_neardup_params p = {0, 4, 0, 0.0};
    struct ac_neardup_index *ix = NULL;
    assert_int_equal(AC_EINVAL, ac_neardup_index_new(&p, &ix));
    assert_null(ix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_case_punctuation_and_spacing_do_not_hide_a_copy),
        cmocka_unit_test(test_unrelated_text_has_no_match),
        cmocka_unit_test(test_passage_gives_the_copied_bytes_in_both_texts),
        cmocka_unit_test(test_prompt_text_shared_by_many_submissions_is_not_reported),
        cmocka_unit_test(test_without_the_cut_shared_prompt_text_matches),
        cmocka_unit_test(test_registered_prompt_text_is_ignored),
        cmocka_unit_test(test_members_of_one_team_are_not_reported_against_each_other),
        cmocka_unit_test(test_utf8_letters_fold_and_passages_keep_whole_characters),
        cmocka_unit_test(test_zero_k_gram_length_is_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
