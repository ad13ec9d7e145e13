/* test_definition.c - tests core/definition*.c: reading, validation with
 * paths, round trip, content hash and lifecycle transitions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "accord/review/definition.h"
#include "accord/base/error.h"

/* The smallest valid definition: holistic not yet/pass, associate review. */
#define MIN_HEAD                                                                                   \
    "\"id\":\"t\",\"version\":1,\"title\":\"T\",\"competency\":\"c\",\"key_method\":\"k\","        \
    "\"method_components\":\"m\""
#define MIN_SUB "\"submission\":{\"elements\":[{\"id\":\"a\",\"prompt\":\"p\"}]}"
#define MIN_SCORING "\"scoring\":{\"levels\":[\"not yet\",\"pass\"],\"passing_level\":\"pass\"}"
#define MIN_REV "\"reviewers\":{\"mode\":\"associate\"}"
#define MINIMAL "{" MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV "}"

/* Four levels, per element, for combine-rule cases. */
#define FOUR_LEVELS "[\"not yet\",\"almost there\",\"pass\",\"high pass\"]"

static struct ac_def_problems pr;

static int setup(void **state)
{
    (void)state;
    memset(&pr, 0, sizeof(pr));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ac_def_problems_release(&pr);
    return 0;
}

static struct ac_definition *parse_ok(const char *json)
{
    struct ac_definition *d = NULL;
    int r = ac_def_from_json(json, strlen(json), &d, &pr);
    for (size_t i = 0; r != 0 && i < pr.n; i++)
        print_error("unexpected problem %s: %s\n", pr.items[i].path, pr.items[i].message);
    assert_int_equal(0, r);
    assert_non_null(d);
    return d;
}

static int parse_bad(const char *json)
{
    struct ac_definition *d = NULL;
    int r = ac_def_from_json(json, strlen(json), &d, &pr);
    assert_null(d);
    return r;
}

static bool has(const char *path, const char *message)
{
    for (size_t i = 0; i < pr.n; i++)
        if (strcmp(pr.items[i].path, path) == 0 && strcmp(pr.items[i].message, message) == 0)
            return true;
    for (size_t i = 0; i < pr.n; i++)
        print_error("have %s: %s\n", pr.items[i].path, pr.items[i].message);
    return false;
}

/* Expects exactly one problem, at |path| with |message|. */
static void expect_one(const char *json, const char *path, const char *message)
{
    assert_int_equal(AC_EINVAL, parse_bad(json));
    assert_true(has(path, message));
    assert_int_equal(1, pr.n);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    return buf;
}

static void test_minimal_definition_takes_documented_defaults(void **state)
{
    (void)state;
    struct ac_definition *d = parse_ok(MINIMAL);
    assert_int_equal(AC_DEF_DRAFT, d->state);
    assert_int_equal(AC_GRAIN_HOLISTIC, d->grain);
    assert_int_equal(1, d->passing_level);
    assert_int_equal(3, d->per_submission);
    assert_int_equal(5, d->disagreement.max_reviewers); /* per_submission + 2 */
    assert_int_equal(AC_RESOLVE_MEDIAN, d->disagreement.then);
    assert_int_equal(AC_ROUND_LOWER, d->disagreement.rounding);
    assert_int_equal(3, d->training.examples_per_level);
    assert_int_equal(3, d->training.attempts);
    assert_int_equal(5, d->training.sample_per_level);
    assert_int_equal(1, d->training.n_pass_rule);
    assert_int_equal(AC_PASS_EXACT_RATE, d->training.pass_rule[0].kind);
    assert_true(d->elements[0].required);
    assert_int_equal(AC_ELEMENT_TEXT, d->elements[0].kind);
    assert_int_equal(-1, d->individual_element);
    ac_def_free(d);
}

static void test_both_conf_examples_are_valid(void **state)
{
    (void)state;
    struct ac_definition *d =
        parse_ok(slurp("../../../conf/definitions/driving-questions-master.json"));
    assert_int_equal(AC_MODE_MASTER, d->mode);
    assert_int_equal(2, d->n_levels);
    assert_int_equal(2, d->individual_element);
    ac_def_free(d);
    d = parse_ok(slurp("../../../conf/definitions/formative-feedback-associate.json"));
    assert_int_equal(AC_MODE_ASSOCIATE, d->mode);
    assert_int_equal(4, d->n_levels);
    assert_string_equal("high pass", d->levels[3]);
    assert_int_equal(2, d->passing_level);
    assert_int_equal(AC_COMBINE_THRESHOLDS, d->combine);
    assert_int_equal(1, d->elements[1].threshold); /* "almost there" */
    assert_int_equal(3, d->per_submission);
    ac_def_free(d);
}

static void test_duplicate_level_is_reported_with_its_index(void **state)
{
    (void)state;
    expect_one("{" MIN_HEAD "," MIN_SUB "," MIN_REV ",\"scoring\":{\"levels\":[\"not yet\","
               "\"almost there\",\"pass\",\"pass\"],\"passing_level\":\"pass\"}}",
               "scoring.levels[3]", "\"pass\" appears twice; level names must be unique");
}

static void test_missing_required_field_is_reported(void **state)
{
    (void)state;
    expect_one("{\"id\":\"t\",\"version\":1,\"competency\":\"c\",\"key_method\":\"k\","
               "\"method_components\":\"m\"," MIN_SUB "," MIN_SCORING "," MIN_REV "}",
               "title", "missing; this field is required");
}

static void test_wrong_type_is_reported(void **state)
{
    (void)state;
    expect_one("{" MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV ",\"ceus\":\"two\"}", "ceus",
               "expected a number, got a string");
}

static void test_unknown_field_is_reported(void **state)
{
    (void)state;
    expect_one("{" MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV ",\"colour\":1}", "colour",
               "unknown field");
}

static void test_bad_id_is_reported(void **state)
{
    (void)state;
    expect_one("{\"id\":\"Bad Id\",\"version\":1,\"title\":\"T\",\"competency\":\"c\","
               "\"key_method\":\"k\",\"method_components\":\"m\"," MIN_SUB "," MIN_SCORING
               "," MIN_REV "}",
               "id", "\"Bad Id\" is not an id; use 1 to 64 of a-z, 0-9, '.', '-', '_'");
}

static void test_unknown_enum_value_lists_the_choices(void **state)
{
    (void)state;
    expect_one("{" MIN_HEAD "," MIN_SUB "," MIN_SCORING ",\"reviewers\":{\"mode\":\"senior\"}}",
               "reviewers.mode", "\"senior\" is not one of \"master\", \"associate\"");
}

static void test_passing_level_must_be_on_the_scale(void **state)
{
    (void)state;
    expect_one("{" MIN_HEAD "," MIN_SUB "," MIN_REV ",\"scoring\":{\"levels\":[\"not yet\","
               "\"pass\"],\"passing_level\":\"great\"}}",
               "scoring.passing_level", "\"great\" is not one of scoring.levels");
}

static void test_lowest_level_cannot_be_the_passing_level(void **state)
{
    (void)state;
    expect_one("{" MIN_HEAD "," MIN_SUB "," MIN_REV ",\"scoring\":{\"levels\":[\"not yet\","
               "\"pass\"],\"passing_level\":\"not yet\"}}",
               "scoring.passing_level",
               "\"not yet\" is the lowest level; then nothing could fail (levels are listed "
               "lowest first)");
}

static void test_a_scale_needs_two_levels(void **state)
{
    (void)state;
    assert_int_equal(AC_EINVAL,
                     parse_bad("{" MIN_HEAD "," MIN_SUB "," MIN_REV
                               ",\"scoring\":{\"levels\":[\"pass\"],\"passing_level\":\"pass\"}}"));
    assert_true(has("scoring.levels", "1 levels; a scale has between 2 and 16"));
}

static void test_per_element_grain_needs_a_combine_rule(void **state)
{
    (void)state;
    expect_one("{" MIN_HEAD "," MIN_SUB "," MIN_REV ",\"scoring\":{\"levels\":" FOUR_LEVELS
               ",\"passing_level\":\"pass\",\"grain\":\"per_element\"}}",
               "scoring.combine", "missing; this field is required");
}

static void test_holistic_grain_rejects_a_combine_rule(void **state)
{
    (void)state;
    expect_one("{" MIN_HEAD "," MIN_SUB "," MIN_REV ",\"scoring\":{\"levels\":[\"not yet\","
               "\"pass\"],\"passing_level\":\"pass\",\"combine\":{\"rule\":\"thresholds\"}}}",
               "scoring.combine",
               "given with grain \"holistic\"; combine rules apply only to grain \"per_element\"");
}

static void test_mean_cut_above_the_top_level_is_reported(void **state)
{
    (void)state;
    /* Four levels are indices 0..3, so a mean can never reach 3.5. */
    expect_one("{" MIN_HEAD "," MIN_SUB "," MIN_REV ",\"scoring\":{\"levels\":" FOUR_LEVELS
               ",\"passing_level\":\"pass\",\"grain\":\"per_element\",\"combine\":{\"rule\":"
               "\"mean_cut\",\"cut\":3.5}}}",
               "scoring.combine.cut",
               "3.5 is out of range; a mean of level indices lies between 0 and 3, and a cut of "
               "0 would pass everything");
}

static void test_weighted_cut_above_the_maximum_sum_is_reported(void **state)
{
    (void)state;
    /* Weights 2 and 1 on a 4-level scale: the sum is at most 2x3 + 1x3 = 9. */
    expect_one("{" MIN_HEAD "," MIN_REV ",\"submission\":{\"elements\":[{\"id\":\"a\","
               "\"prompt\":\"p\",\"weight\":2},{\"id\":\"b\",\"prompt\":\"q\",\"weight\":1}]},"
               "\"scoring\":{\"levels\":" FOUR_LEVELS ",\"passing_level\":\"pass\",\"grain\":"
               "\"per_element\",\"combine\":{\"rule\":\"weighted_sum_cut\",\"cut\":10}}}",
               "scoring.combine.cut",
               "10 is out of range; the weighted sum of level indices lies between 0 and 9, and "
               "a cut of 0 would pass everything");
}

static void test_weight_without_weighted_rule_is_reported(void **state)
{
    (void)state;
    expect_one("{" MIN_HEAD "," MIN_REV ",\"submission\":{\"elements\":[{\"id\":\"a\","
               "\"prompt\":\"p\",\"weight\":2}]},\"scoring\":{\"levels\":" FOUR_LEVELS
               ",\"passing_level\":\"pass\",\"grain\":\"per_element\",\"combine\":{\"rule\":"
               "\"mean_cut\",\"cut\":2}}}",
               "submission.elements[0].weight",
               "given, but weights apply only to scoring.combine.rule \"weighted_sum_cut\"");
}

static void test_threshold_must_name_a_level(void **state)
{
    (void)state;
    expect_one("{" MIN_HEAD "," MIN_REV ",\"submission\":{\"elements\":[{\"id\":\"a\","
               "\"prompt\":\"p\",\"threshold\":\"great\"}]},\"scoring\":{\"levels\":" FOUR_LEVELS
               ",\"passing_level\":\"pass\",\"grain\":\"per_element\",\"combine\":{\"rule\":"
               "\"thresholds\"}}}",
               "submission.elements[0].threshold", "\"great\" is not one of scoring.levels");
}

static void test_element_ids_must_be_unique(void **state)
{
    (void)state;
    expect_one("{" MIN_HEAD "," MIN_SCORING "," MIN_REV ",\"submission\":{\"elements\":[{\"id\":"
               "\"a\",\"prompt\":\"p\"},{\"id\":\"a\",\"prompt\":\"q\"}]}}",
               "submission.elements[1].id", "\"a\" appears twice; element ids must be unique");
}

static void test_some_element_must_be_required(void **state)
{
    (void)state;
    expect_one("{" MIN_HEAD "," MIN_SCORING "," MIN_REV ",\"submission\":{\"elements\":[{\"id\":"
               "\"a\",\"prompt\":\"p\",\"required\":false}]}}",
               "submission.elements", "no element is required; a submission would be empty");
}

static void test_individual_element_needs_collaboration(void **state)
{
    (void)state;
    expect_one("{" MIN_HEAD "," MIN_SCORING "," MIN_REV ",\"submission\":{\"elements\":[{\"id\":"
               "\"a\",\"prompt\":\"p\"}],\"collaboration\":{\"allowed\":false,"
               "\"individual_element\":\"a\"}}}",
               "submission.collaboration.individual_element",
               "given while collaboration is not allowed; an individual component applies only "
               "to collaborative submissions");
}

static void test_individual_element_must_exist(void **state)
{
    (void)state;
    expect_one("{" MIN_HEAD "," MIN_SCORING "," MIN_REV ",\"submission\":{\"elements\":[{\"id\":"
               "\"a\",\"prompt\":\"p\"}],\"collaboration\":{\"allowed\":true,"
               "\"individual_element\":\"b\"}}}",
               "submission.collaboration.individual_element",
               "\"b\" is not the id of a submission element");
}

static void test_individual_element_must_be_required(void **state)
{
    (void)state;
    expect_one("{" MIN_HEAD "," MIN_SCORING "," MIN_REV ",\"submission\":{\"elements\":[{\"id\":"
               "\"a\",\"prompt\":\"p\"},{\"id\":\"b\",\"prompt\":\"q\",\"required\":false}],"
               "\"collaboration\":{\"allowed\":true,\"individual_element\":\"b\"}}}",
               "submission.collaboration.individual_element",
               "\"b\" is optional; the individual component must be a required element");
}

static void test_master_mode_has_one_reviewer(void **state)
{
    (void)state;
    expect_one("{" MIN_HEAD "," MIN_SUB "," MIN_SCORING
               ",\"reviewers\":{\"mode\":\"master\",\"per_submission\":3}}",
               "reviewers.per_submission",
               "3 with mode \"master\"; a master review has exactly one reviewer");
}

static void test_associate_mode_needs_two_reviewers(void **state)
{
    (void)state;
    expect_one("{" MIN_HEAD "," MIN_SUB "," MIN_SCORING
               ",\"reviewers\":{\"mode\":\"associate\",\"per_submission\":1}}",
               "reviewers.per_submission",
               "1 with mode \"associate\"; associate review needs at least 2 reviewers per "
               "submission");
}

static void test_within_k_must_leave_room_to_disagree(void **state)
{
    (void)state;
    /* Four levels span 3 steps: k = 3 would make every pair agree; k <= 2. */
    expect_one("{" MIN_HEAD "," MIN_SUB ",\"scoring\":{\"levels\":" FOUR_LEVELS
               ",\"passing_level\":\"pass\"},\"reviewers\":{\"mode\":\"associate\","
               "\"agreement\":{\"rule\":\"within\",\"k\":3}}}",
               "reviewers.agreement.k",
               "3 with 4 levels; k must be between 1 and 2, or every pair of reviews would "
               "agree");
}

static void test_k_is_only_for_the_within_rule(void **state)
{
    (void)state;
    expect_one("{" MIN_HEAD "," MIN_SUB "," MIN_SCORING ",\"reviewers\":{\"mode\":\"associate\","
               "\"agreement\":{\"rule\":\"exact\",\"k\":1}}}",
               "reviewers.agreement.k",
               "given with rule \"exact\"; k applies only to rule \"within\"");
}

static void test_max_reviewers_below_per_submission_is_reported(void **state)
{
    (void)state;
    expect_one("{" MIN_HEAD "," MIN_SUB "," MIN_SCORING ",\"reviewers\":{\"mode\":\"associate\","
               "\"per_submission\":3,\"disagreement\":{\"max_reviewers\":2}}}",
               "reviewers.disagreement.max_reviewers", "2 is below reviewers.per_submission (3)");
}

static void test_reminders_must_fall_before_the_deadline(void **state)
{
    (void)state;
    /* 14 days = 336 hours; a reminder 400 hours before would precede the batch. */
    expect_one("{" MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV
               ",\"review\":{\"deadline_days\":14,\"reminders_hours_before\":[400]}}",
               "review.reminders_hours_before[0]",
               "400 hours is not within the review deadline (14 days = 336 hours)");
}

static void test_reminders_must_be_in_order(void **state)
{
    (void)state;
    expect_one("{" MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV
               ",\"review\":{\"reminders_hours_before\":[24,72]}}",
               "review.reminders_hours_before[1]",
               "72 is not below the previous reminder (24); list reminders from earliest to "
               "latest, each fewer hours before the deadline");
}

static void test_integer_out_of_range_is_reported(void **state)
{
    (void)state;
    expect_one("{" MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV
               ",\"review\":{\"batch_size\":0}}",
               "review.batch_size", "0 is out of range; must be between 1 and 1000");
}

static void test_pass_rule_may_not_be_empty(void **state)
{
    (void)state;
    expect_one("{" MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV
               ",\"training\":{\"pass_rule\":[]}}",
               "training.pass_rule", "empty; a pass rule needs at least one criterion");
}

static void test_pass_criterion_may_not_repeat(void **state)
{
    (void)state;
    expect_one("{" MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV
               ",\"training\":{\"pass_rule\":[{\"criterion\":\"boundary_exact\"},"
               "{\"criterion\":\"boundary_exact\"}]}}",
               "training.pass_rule[1]", "criterion \"boundary_exact\" appears twice");
}

static void test_all_or_nothing_criterion_takes_no_minimum(void **state)
{
    (void)state;
    expect_one("{" MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV
               ",\"training\":{\"pass_rule\":[{\"criterion\":\"boundary_exact\",\"min\":1}]}}",
               "training.pass_rule[0].min",
               "given with criterion \"boundary_exact\", which has no minimum");
}

static void test_rate_minimum_above_one_is_reported(void **state)
{
    (void)state;
    expect_one("{" MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV
               ",\"training\":{\"pass_rule\":[{\"criterion\":\"exact_rate\",\"min\":1.5}]}}",
               "training.pass_rule[0].min", "1.5 is out of range; must be between 0 and 1");
}

static void test_second_master_rate_needs_master_mode(void **state)
{
    (void)state;
    expect_one("{" MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV
               ",\"maintenance\":{\"second_master_rate\":0.1}}",
               "maintenance.second_master_rate",
               "0.1 with mode \"associate\"; second-master checks apply only to master "
               "reviewers");
}

static void test_severity_threshold_takes_a_maximum(void **state)
{
    (void)state;
    assert_int_equal(AC_EINVAL,
                     parse_bad("{" MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV
                               ",\"maintenance\":{\"thresholds\":[{\"measure\":\"severity\","
                               "\"min\":2,\"actions\":[\"notify\"]}]}}"));
    assert_true(has("maintenance.thresholds[0].max", "missing; this field is required"));
    assert_true(has("maintenance.thresholds[0].min",
                    "given with measure \"severity\", which takes \"max\""));
    assert_int_equal(2, pr.n);
}

static void test_unknown_action_is_reported(void **state)
{
    (void)state;
    expect_one("{" MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV
               ",\"maintenance\":{\"thresholds\":[{\"measure\":\"discrepancy_rate\",\"max\":0.2,"
               "\"actions\":[\"notify\",\"ban\"]}]}}",
               "maintenance.thresholds[0].actions[1]",
               "expected one of \"notify\", \"unavailable\", \"retrain\"");
}

static void test_qualification_value_key_must_match_its_kind(void **state)
{
    (void)state;
    assert_int_equal(AC_EINVAL,
                     parse_bad("{" MIN_HEAD "," MIN_SUB "," MIN_SCORING
                               ",\"reviewers\":{\"mode\":\"associate\",\"qualifications\":[{"
                               "\"kind\":\"holds_credential\",\"domain\":\"math\"}]}}"));
    assert_true(has("reviewers.qualifications[0].credential", "missing; this field is required"));
    assert_true(has("reviewers.qualifications[0].domain",
                    "given with kind \"holds_credential\", which takes \"credential\""));
}

static void test_audit_answers_are_required_past_draft(void **state)
{
    (void)state;
    assert_int_equal(AC_EINVAL,
                     parse_bad("{" MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV
                               ",\"state\":\"piloting\",\"audit\":{\"impact\":\"i\","
                               "\"equity\":\"e\",\"access\":\"a\",\"language\":\"l\"}}"));
    assert_true(has("audit.big_picture",
                    "missing; a definition in state \"piloting\" needs all five framework audit "
                    "answers (only a draft may leave them out)"));
    assert_int_equal(1, pr.n);
}

static void test_duplicate_string_in_a_list_is_reported(void **state)
{
    (void)state;
    expect_one("{" MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV
               ",\"domains\":[\"math\",\"ELA\",\"math\"]}",
               "domains[2]", "\"math\" appears twice; entries must be unique");
}

static void test_every_problem_is_reported_at_once(void **state)
{
    (void)state;
    /* Four independent mistakes in one document. */
    assert_int_equal(AC_EINVAL,
                     parse_bad("{\"id\":\"t\",\"version\":0,\"competency\":\"c\",\"key_method\":"
                               "\"k\",\"method_components\":\"m\"," MIN_SUB ","
                               "\"scoring\":{\"levels\":[\"not yet\",\"pass\",\"pass\"],"
                               "\"passing_level\":\"pass\"},\"reviewers\":{\"mode\":\"master\","
                               "\"per_submission\":2}}"));
    assert_true(has("version", "0; versions start at 1"));
    assert_true(has("title", "missing; this field is required"));
    assert_true(has("scoring.levels[2]", "\"pass\" appears twice; level names must be unique"));
    assert_true(has("reviewers.per_submission",
                    "2 with mode \"master\"; a master review has exactly one reviewer"));
    assert_int_equal(4, pr.n);
}

static void test_text_that_is_not_json_is_a_parse_error_at_the_root(void **state)
{
    (void)state;
    assert_int_equal(AC_EPARSE, parse_bad("{\"id\": "));
    assert_int_equal(1, pr.n);
    assert_string_equal("$", pr.items[0].path);
}

static void test_duplicate_keys_are_a_parse_error(void **state)
{
    (void)state;
    assert_int_equal(AC_EPARSE, parse_bad("{\"id\":\"a\",\"id\":\"b\"}"));
}

static void test_a_document_that_is_not_an_object_is_reported(void **state)
{
    (void)state;
    expect_one("[1,2]", "$", "expected an object, got an array");
}

static void test_problems_convert_to_a_json_array(void **state)
{
    (void)state;
    parse_bad("{" MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV ",\"colour\":1}");
    char *s = NULL;
    assert_int_equal(0, ac_def_problems_to_json(&pr, &s));
    assert_string_equal("[{\"path\":\"colour\",\"message\":\"unknown field\"}]", s);
    free(s);
}

static void test_written_json_reads_back_to_the_same_json(void **state)
{
    (void)state;
    const char *files[] = {"../../../conf/definitions/driving-questions-master.json",
                           "../../../conf/definitions/formative-feedback-associate.json"};
    for (int i = 0; i < 2; i++) {
        struct ac_definition *d = parse_ok(slurp(files[i]));
        char *a = NULL, *b = NULL;
        assert_int_equal(0, ac_def_to_json(d, false, &a));
        struct ac_definition *d2 = parse_ok(a);
        assert_int_equal(0, ac_def_to_json(d2, false, &b));
        assert_string_equal(a, b);
        uint8_t h1[32], h2[32];
        assert_int_equal(0, ac_def_hash(d, h1));
        assert_int_equal(0, ac_def_hash(d2, h2));
        assert_memory_equal(h1, h2, 32);
        free(a);
        free(b);
        ac_def_free(d);
        ac_def_free(d2);
    }
}

static void hash_of(const char *json, uint8_t out[32])
{
    struct ac_definition *d = parse_ok(json);
    assert_int_equal(0, ac_def_hash(d, out));
    ac_def_free(d);
}

static void test_hash_ignores_key_order_and_whitespace(void **state)
{
    (void)state;
    uint8_t a[32], b[32];
    hash_of(MINIMAL, a);
    hash_of("{\n  \"reviewers\" : { \"mode\" : \"associate\" },\n"
            "  \"scoring\": {\"passing_level\": \"pass\", \"levels\": [\"not yet\", \"pass\"]},\n"
            "  \"submission\": {\"elements\": [ {\"prompt\": \"p\", \"id\": \"a\"} ]},\n"
            "  \"method_components\": \"m\", \"key_method\": \"k\", \"competency\": \"c\",\n"
            "  \"title\": \"T\", \"version\": 1, \"id\": \"t\"\n}\n",
            b);
    assert_memory_equal(a, b, 32);
}

static void test_hash_ignores_defaults_written_out(void **state)
{
    (void)state;
    uint8_t a[32], b[32];
    hash_of(MINIMAL, a);
    hash_of("{" MIN_HEAD "," MIN_SUB "," MIN_SCORING ",\"reviewers\":{\"mode\":\"associate\","
            "\"per_submission\":3},\"training\":{\"examples_per_level\":3,\"attempts\":3}}",
            b);
    assert_memory_equal(a, b, 32);
}

static void test_hash_ignores_the_lifecycle_state(void **state)
{
    (void)state;
    uint8_t a[32], b[32];
    hash_of(MINIMAL, a);
    hash_of("{" MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV ",\"state\":\"retired\","
            "\"audit\":{\"impact\":\"i\",\"equity\":\"e\",\"access\":\"a\",\"language\":\"l\","
            "\"big_picture\":\"b\"}}",
            b);
    /* The audit answers differ, so compare against a draft with the same ones. */
    uint8_t c[32];
    hash_of("{" MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV
            ",\"audit\":{\"impact\":\"i\",\"equity\":\"e\",\"access\":\"a\",\"language\":\"l\","
            "\"big_picture\":\"b\"}}",
            c);
    assert_memory_equal(b, c, 32);
    assert_memory_not_equal(a, c, 32);
}

static void test_hash_changes_with_any_field(void **state)
{
    (void)state;
    /* Each variant changes one field of MINIMAL. */
    const char *variants[] = {
        "\"id\":\"u\",\"version\":1,\"title\":\"T\",\"competency\":\"c\",\"key_method\":\"k\","
        "\"method_components\":\"m\"," MIN_SUB "," MIN_SCORING "," MIN_REV,
        "\"id\":\"t\",\"version\":2,\"title\":\"T\",\"competency\":\"c\",\"key_method\":\"k\","
        "\"method_components\":\"m\"," MIN_SUB "," MIN_SCORING "," MIN_REV,
        "\"id\":\"t\",\"version\":1,\"title\":\"U\",\"competency\":\"c\",\"key_method\":\"k\","
        "\"method_components\":\"m\"," MIN_SUB "," MIN_SCORING "," MIN_REV,
        "\"id\":\"t\",\"version\":1,\"title\":\"T\",\"competency\":\"C\",\"key_method\":\"k\","
        "\"method_components\":\"m\"," MIN_SUB "," MIN_SCORING "," MIN_REV,
        "\"id\":\"t\",\"version\":1,\"title\":\"T\",\"competency\":\"c\",\"key_method\":\"K\","
        "\"method_components\":\"m\"," MIN_SUB "," MIN_SCORING "," MIN_REV,
        "\"id\":\"t\",\"version\":1,\"title\":\"T\",\"competency\":\"c\",\"key_method\":\"k\","
        "\"method_components\":\"M\"," MIN_SUB "," MIN_SCORING "," MIN_REV,
        MIN_HEAD ",\"submission\":{\"elements\":[{\"id\":\"b\",\"prompt\":\"p\"}]}," MIN_SCORING
                 "," MIN_REV,
        MIN_HEAD ",\"submission\":{\"elements\":[{\"id\":\"a\",\"prompt\":\"q\"}]}," MIN_SCORING
                 "," MIN_REV,
        MIN_HEAD ",\"submission\":{\"elements\":[{\"id\":\"a\",\"prompt\":\"p\",\"kind\":"
                 "\"video\"}]}," MIN_SCORING "," MIN_REV,
        MIN_HEAD "," MIN_SUB ",\"scoring\":{\"levels\":[\"resubmit\",\"pass\"],"
                 "\"passing_level\":\"pass\"}," MIN_REV,
        MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV ",\"research\":[\"r\"]",
        MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV ",\"domains\":[\"math\"]",
        MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV ",\"ceus\":1",
        MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV ",\"stacks\":[\"s\"]",
        MIN_HEAD "," MIN_SUB "," MIN_SCORING ",\"reviewers\":{\"mode\":\"associate\","
                 "\"per_submission\":4}",
        MIN_HEAD "," MIN_SUB "," MIN_SCORING ",\"reviewers\":{\"mode\":\"master\"}",
        MIN_HEAD "," MIN_SUB "," MIN_SCORING ",\"reviewers\":{\"mode\":\"associate\","
                 "\"agreement\":{\"rule\":\"pass_boundary\"}}",
        MIN_HEAD "," MIN_SUB "," MIN_SCORING ",\"reviewers\":{\"mode\":\"associate\","
                 "\"disagreement\":{\"then\":\"escalate\"}}",
        MIN_HEAD "," MIN_SUB "," MIN_SCORING ",\"reviewers\":{\"mode\":\"associate\","
                 "\"disagreement\":{\"median_rounding\":\"higher\"}}",
        MIN_HEAD "," MIN_SUB "," MIN_SCORING ",\"reviewers\":{\"mode\":\"associate\","
                 "\"qualifications\":[{\"kind\":\"domain_expertise\",\"domain\":\"math\"}]}",
        MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV ",\"review\":{\"batch_size\":11}",
        MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV ",\"review\":{\"batch_timer_hours\":1}",
        MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV ",\"review\":{\"deadline_days\":15}",
        MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV
                 ",\"review\":{\"reminders_hours_before\":[24]}",
        MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV ",\"review\":{\"cool_off_hours\":0}",
        MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV
                 ",\"review\":{\"resubmission_wait_days\":0}",
        MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV ",\"training\":{\"attempts\":2}",
        MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV ",\"training\":{\"wait_days\":1}",
        MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV
                 ",\"training\":{\"pass_rule\":[{\"criterion\":\"exact_rate\",\"min\":0.9}]}",
        MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV
                 ",\"maintenance\":{\"benchmark_seed_rate\":0.1}",
        MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV ",\"maintenance\":{\"min_sample\":5}",
        MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV
                 ",\"pool\":{\"submissions_per_period\":200}",
        MIN_HEAD "," MIN_SUB "," MIN_SCORING "," MIN_REV ",\"audit\":{\"equity\":\"e\"}",
    };
    size_t n = sizeof(variants) / sizeof(variants[0]);
    uint8_t base[32], h[64][32];
    hash_of(MINIMAL, base);
    char buf[4096];
    for (size_t i = 0; i < n; i++) {
        snprintf(buf, sizeof(buf), "{%s}", variants[i]);
        hash_of(buf, h[i]);
        assert_memory_not_equal(base, h[i], 32);
        for (size_t j = 0; j < i; j++)
            assert_memory_not_equal(h[j], h[i], 32);
    }
}

static void test_hash_is_sha256_of_the_documented_canonical_text(void **state)
{
    (void)state;
    /* The canonical text of MINIMAL as docs/definitions.md defines it, written
     * out by hand: sorted keys, no whitespace, defaults explicit, no state. */
    const char *canonical =
        "{\"audit\":{},\"ceus\":0.0,\"competency\":\"c\",\"domains\":[],\"id\":\"t\","
        "\"key_method\":\"k\",\"maintenance\":{\"benchmark_seed_rate\":0.05,\"min_sample\":20,"
        "\"second_master_rate\":0.0,\"thresholds\":[]},\"method_components\":\"m\","
        "\"pool\":{\"assignments_per_reviewer\":10,\"period_days\":30,"
        "\"submissions_per_period\":100},\"research\":[],\"review\":{\"batch_size\":10,"
        "\"batch_timer_hours\":72,\"cool_off_hours\":48,\"deadline_days\":14,"
        "\"reminders_hours_before\":[72,24],\"resubmission_wait_days\":14},"
        "\"reviewers\":{\"agreement\":{\"rule\":\"exact\"},\"disagreement\":{\"add_per_round\":1,"
        "\"max_reviewers\":5,\"median_rounding\":\"lower\",\"then\":\"median\"},\"mode\":"
        "\"associate\",\"per_submission\":3,\"qualifications\":[]},\"scoring\":{\"grain\":"
        "\"holistic\",\"levels\":[\"not yet\",\"pass\"],\"passing_level\":\"pass\"},"
        "\"stacks\":[],\"submission\":{\"collaboration\":{\"allowed\":false,"
        "\"individual_element\":null},\"elements\":[{\"id\":\"a\",\"kind\":\"text\","
        "\"prompt\":\"p\",\"required\":true}]},\"title\":\"T\",\"training\":{\"attempts\":3,"
        "\"examples_per_level\":3,\"pass_rule\":[{\"criterion\":\"exact_rate\",\"min\":1.0}],"
        "\"sample_per_level\":5,\"wait_days\":7},\"version\":1}";
    struct ac_definition *d = parse_ok(MINIMAL);
    char *text = NULL;
    assert_int_equal(0, ac_def_to_json(d, true, &text));
    assert_string_equal(canonical, text);
    uint8_t want[32], got[32];
    crypto_hash_sha256(want, (const unsigned char *)canonical, strlen(canonical));
    assert_int_equal(0, ac_def_hash(d, got));
    assert_memory_equal(want, got, 32);
    char hex[AC_DEF_HASH_HEX_LEN + 1];
    assert_int_equal(0, ac_def_hash_hex(d, hex));
    assert_int_equal(AC_DEF_HASH_HEX_LEN, strlen(hex));
    assert_memory_equal("sha256:", hex, 7);
    free(text);
    ac_def_free(d);
}

static void test_validate_reports_rules_broken_by_an_edit_in_code(void **state)
{
    (void)state;
    struct ac_definition *d = parse_ok(MINIMAL);
    assert_int_equal(0, ac_def_validate(d, &pr));
    d->per_submission = 6; /* above max_reviewers = 5 */
    assert_int_equal(AC_EINVAL, ac_def_validate(d, &pr));
    assert_true(
        has("reviewers.disagreement.max_reviewers", "5 is below reviewers.per_submission (6)"));
    ac_def_free(d);
}

static void test_screen_checks_held_credentials_and_counts_manual_ones(void **state)
{
    (void)state;
    /* The associate example: holds formative-feedback (automatic), ELA
     * expertise and National Board certification (both manual). */
    struct ac_definition *d =
        parse_ok(slurp("../../../conf/definitions/formative-feedback-associate.json"));
    const char *held[] = {"driving-questions", "formative-feedback"};
    size_t unmet, manual;
    const char *first;
    ac_def_screen(d, held, 2, &unmet, &first, &manual);
    assert_int_equal(0, unmet);
    assert_null(first);
    assert_int_equal(2, manual);
    ac_def_free(d);
}

static void test_screen_names_a_missing_credential(void **state)
{
    (void)state;
    struct ac_definition *d =
        parse_ok(slurp("../../../conf/definitions/formative-feedback-associate.json"));
    const char *held[] = {"driving-questions"};
    size_t unmet, manual;
    const char *first;
    ac_def_screen(d, held, 1, &unmet, &first, &manual);
    assert_int_equal(1, unmet);
    assert_string_equal("formative-feedback", first);
    ac_def_free(d);
}

static void test_lifecycle_steps_forward_one_state_at_a_time(void **state)
{
    (void)state;
    for (int s = AC_DEF_DRAFT; s < AC_DEF_RETIRED; s++)
        assert_int_equal(0, ac_def_transition_check(s, s + 1, NULL, 0));
}

static void test_lifecycle_refuses_to_skip_a_state(void **state)
{
    (void)state;
    char why[256];
    assert_int_equal(AC_ECONFLICT,
                     ac_def_transition_check(AC_DEF_DRAFT, AC_DEF_ACTIVE, why, sizeof(why)));
    assert_string_equal("state draft -> active: not a lifecycle step; the order is draft, "
                        "piloting, benchmarks, training, recruiting, active, retired",
                        why);
}

static void test_failed_pilot_and_benchmarks_return_to_draft(void **state)
{
    (void)state;
    assert_int_equal(0, ac_def_transition_check(AC_DEF_PILOTING, AC_DEF_DRAFT, NULL, 0));
    assert_int_equal(0, ac_def_transition_check(AC_DEF_BENCHMARKS, AC_DEF_DRAFT, NULL, 0));
    assert_int_equal(AC_ECONFLICT, ac_def_transition_check(AC_DEF_ACTIVE, AC_DEF_DRAFT, NULL, 0));
}

static void test_retired_is_final(void **state)
{
    (void)state;
    assert_int_equal(0, ac_def_transition_check(AC_DEF_TRAINING, AC_DEF_RETIRED, NULL, 0));
    assert_int_equal(AC_ECONFLICT, ac_def_transition_check(AC_DEF_RETIRED, AC_DEF_ACTIVE, NULL, 0));
}

#define GUIDE_SCORING                                                                              \
    "\"scoring\":{\"levels\":[\"not yet\",\"pass\"],\"passing_level\":\"pass\","          \
    "\"descriptors\":[\"No evidence yet.\",\"Evidence of the practice.\"]}"
#define GUIDE_SUB                                                                                  \
    "\"submission\":{\"elements\":[{\"id\":\"a\",\"prompt\":\"p\"}],"                          \
    "\"checklist\":[\"A student draft\"],\"common_errors\":[\"Feedback on spelling only\"]}"

static void test_descriptors_checklist_and_errors_read_and_write_back(void **state)
{
    (void)state;
    struct ac_definition *d = parse_ok("{" MIN_HEAD "," GUIDE_SUB "," GUIDE_SCORING "," MIN_REV
                                       ",\"review\":{\"appeal_window_days\":30}}");
    assert_string_equal("Evidence of the practice.", d->descriptors[1]);
    assert_int_equal(1, d->n_checklist);
    assert_string_equal("Feedback on spelling only", d->common_errors[0]);
    assert_int_equal(30, d->appeal_window_days);
    char *text = NULL;
    assert_int_equal(0, ac_def_to_json(d, false, &text));
    struct ac_definition *again = parse_ok(text);
    assert_string_equal("No evidence yet.", again->descriptors[0]);
    assert_string_equal("A student draft", again->checklist[0]);
    assert_int_equal(30, again->appeal_window_days);
    free(text);
    ac_def_free(again);
    ac_def_free(d);
}

static void test_a_definition_without_them_keeps_its_hash(void **state)
{
    (void)state;
    /* Definitions published before descriptors existed must hash as before:
     * absent fields are not written out as empty ones. */
    struct ac_definition *d = parse_ok(MINIMAL);
    char *text = NULL;
    assert_int_equal(0, ac_def_to_json(d, true, &text));
    assert_null(strstr(text, "descriptors"));
    assert_null(strstr(text, "checklist"));
    assert_null(strstr(text, "appeal_window_days"));
    free(text);
    ac_def_free(d);
}

static void test_one_descriptor_per_level_is_required(void **state)
{
    (void)state;
    expect_one("{" MIN_HEAD "," MIN_SUB
               ",\"scoring\":{\"levels\":[\"not yet\",\"pass\"],\"passing_level\":\"pass\","
               "\"descriptors\":[\"only one\"]}," MIN_REV "}",
               "scoring.descriptors",
               "1 descriptors for 2 levels; give one per level, in the order of scoring.levels");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        T(test_minimal_definition_takes_documented_defaults),
        T(test_both_conf_examples_are_valid),
        T(test_duplicate_level_is_reported_with_its_index),
        T(test_missing_required_field_is_reported),
        T(test_wrong_type_is_reported),
        T(test_unknown_field_is_reported),
        T(test_bad_id_is_reported),
        T(test_unknown_enum_value_lists_the_choices),
        T(test_passing_level_must_be_on_the_scale),
        T(test_lowest_level_cannot_be_the_passing_level),
        T(test_a_scale_needs_two_levels),
        T(test_per_element_grain_needs_a_combine_rule),
        T(test_holistic_grain_rejects_a_combine_rule),
        T(test_mean_cut_above_the_top_level_is_reported),
        T(test_weighted_cut_above_the_maximum_sum_is_reported),
        T(test_weight_without_weighted_rule_is_reported),
        T(test_threshold_must_name_a_level),
        T(test_element_ids_must_be_unique),
        T(test_some_element_must_be_required),
        T(test_individual_element_needs_collaboration),
        T(test_individual_element_must_exist),
        T(test_individual_element_must_be_required),
        T(test_master_mode_has_one_reviewer),
        T(test_associate_mode_needs_two_reviewers),
        T(test_within_k_must_leave_room_to_disagree),
        T(test_k_is_only_for_the_within_rule),
        T(test_max_reviewers_below_per_submission_is_reported),
        T(test_reminders_must_fall_before_the_deadline),
        T(test_reminders_must_be_in_order),
        T(test_integer_out_of_range_is_reported),
        T(test_pass_rule_may_not_be_empty),
        T(test_pass_criterion_may_not_repeat),
        T(test_all_or_nothing_criterion_takes_no_minimum),
        T(test_rate_minimum_above_one_is_reported),
        T(test_second_master_rate_needs_master_mode),
        T(test_severity_threshold_takes_a_maximum),
        T(test_unknown_action_is_reported),
        T(test_qualification_value_key_must_match_its_kind),
        T(test_audit_answers_are_required_past_draft),
        T(test_duplicate_string_in_a_list_is_reported),
        T(test_every_problem_is_reported_at_once),
        T(test_text_that_is_not_json_is_a_parse_error_at_the_root),
        T(test_duplicate_keys_are_a_parse_error),
        T(test_a_document_that_is_not_an_object_is_reported),
        T(test_problems_convert_to_a_json_array),
        T(test_written_json_reads_back_to_the_same_json),
        T(test_hash_ignores_key_order_and_whitespace),
        T(test_hash_ignores_defaults_written_out),
        T(test_hash_ignores_the_lifecycle_state),
        T(test_hash_changes_with_any_field),
        T(test_hash_is_sha256_of_the_documented_canonical_text),
        T(test_validate_reports_rules_broken_by_an_edit_in_code),
        T(test_screen_checks_held_credentials_and_counts_manual_ones),
        T(test_screen_names_a_missing_credential),
        T(test_lifecycle_steps_forward_one_state_at_a_time),
        T(test_lifecycle_refuses_to_skip_a_state),
        T(test_failed_pilot_and_benchmarks_return_to_draft),
        T(test_retired_is_final),
        T(test_descriptors_checklist_and_errors_read_and_write_back),
        T(test_a_definition_without_them_keeps_its_hash),
        T(test_one_descriptor_per_level_is_required),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
