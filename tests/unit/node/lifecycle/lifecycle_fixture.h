/* lifecycle_fixture.h - the lifecycle layer on node_fixture.h, for the tests
 * of node/lifecycle/ services: a valid definition, a credential stored in a
 * given state, resolved benchmark items, and the stored state read back.
 * Header-only (static functions); include it from one test file. */
#ifndef AC_TEST_LIFECYCLE_FIXTURE_H
#define AC_TEST_LIFECYCLE_FIXTURE_H

#include "node/node_fixture.h"

#include "accord/store/benchmark.h"
#include "accord/store/credential.h"

/* A valid definition "unit-cred" version |version| on a two-level scale
 * ("not yet", "pass") with one training example and one certification item
 * per level, two attempts a week apart, and a pool minimum of
 * ceil(1 x 2 / 2) = 1 reviewer. |quals| is the JSON list of reviewer
 * qualifications ("[]" for none). Caller frees with ac_def_free(). */
static inline struct ac_definition *fixture_definition(int64_t version, const char *quals)
{
    char text[4096];
    snprintf(text, sizeof text,
             "{\"id\": \"unit-cred\", \"version\": %lld, \"title\": \"Unit Credential\","
             " \"competency\": \"The educator does the thing.\","
             " \"key_method\": \"A method.\", \"method_components\": \"Components.\","
             " \"research\": [\"A study (2020)\"],"
             " \"submission\": {\"elements\": [{\"id\": \"e1\", \"prompt\": \"Show it.\","
             " \"kind\": \"text\"}], \"collaboration\": {\"allowed\": false,"
             " \"individual_element\": null}},"
             " \"scoring\": {\"levels\": [\"not yet\", \"pass\"], \"passing_level\": \"pass\","
             " \"grain\": \"holistic\"},"
             " \"domains\": [\"ELA\"], \"ceus\": 1, \"stacks\": [],"
             " \"reviewers\": {\"qualifications\": %s, \"mode\": \"associate\","
             " \"per_submission\": 2, \"agreement\": {\"rule\": \"pass_boundary\"},"
             " \"disagreement\": {\"add_per_round\": 1, \"max_reviewers\": 3, \"then\": \"median\","
             " \"median_rounding\": \"lower\"}},"
             " \"review\": {\"batch_size\": 5, \"batch_timer_hours\": 48, \"deadline_days\": 10,"
             " \"reminders_hours_before\": [48], \"cool_off_hours\": 24,"
             " \"resubmission_wait_days\": 30},"
             " \"training\": {\"examples_per_level\": 1, \"attempts\": 2, \"sample_per_level\": 1,"
             " \"wait_days\": 7, \"pass_rule\": [{\"criterion\": \"exact_rate\", \"min\": 0.8},"
             " {\"criterion\": \"no_discrepancy_beyond_one\"}]},"
             " \"maintenance\": {\"benchmark_seed_rate\": 0.05, \"second_master_rate\": 0,"
             " \"min_sample\": 10, \"thresholds\": []},"
             " \"pool\": {\"submissions_per_period\": 1, \"assignments_per_reviewer\": 2,"
             " \"period_days\": 30}}",
             (long long)version, quals);
    struct ac_definition *def = NULL;
    struct ac_def_problems pr = {0};
    int err = ac_def_from_json(text, strlen(text), &def, &pr);
    if (err && pr.n)
        fprintf(stderr, "fixture definition: %s: %s\n", pr.items[0].path, pr.items[0].message);
    ac_def_problems_release(&pr);
    assert_int_equal(0, err);
    return def;
}

/* Stores the fixture definition (version 1, |quals|) as created by |admin|
 * straight through the store and puts it in |state| (the store does not
 * consult the transition table: this is setup, not the gate under test).
 * Returns the credential row id. */
static inline int64_t fixture_credential(struct node_fixture *f, const struct ac_user *admin,
                                         const char *quals, enum ac_def_state state)
{
    struct ac_definition *def = fixture_definition(1, quals);
    char *text = NULL, hash[AC_DEF_HASH_HEX_LEN + 1];
    assert_int_equal(0, ac_def_to_json(def, true, &text));
    assert_int_equal(0, ac_def_hash_hex(def, hash));
    int64_t id;
    assert_int_equal(0, ac_store_credential_create(f->node.store, def->id, def->version, def->title,
                                                   text, hash, admin->id, 0, &id));
    free(text);
    ac_def_free(def);
    if (state != AC_DEF_DRAFT)
        assert_int_equal(
            0, ac_store_credential_transition(f->node.store, id, AC_DEF_DRAFT, state, false, 0));
    return id;
}

/* Adds |per_level| benchmark items per level of the fixture's two-level
 * scale to credential row |cred|, each scored alike by |e1| and |e2| so it
 * resolves itself. Labels are "L<level>-<i>"; fills |ids| (capacity
 * 2 x |per_level|) in level order. */
static inline void fixture_resolved_benchmarks(struct node_fixture *f, int64_t cred,
                                               const struct ac_user *e1, const struct ac_user *e2,
                                               int per_level, int64_t *ids)
{
    int64_t experts[2] = {e1->id, e2->id};
    for (int level = 0; level < 2; level++)
        for (int i = 0; i < per_level; i++) {
            char label[32], content[64];
            snprintf(label, sizeof label, "L%d-%d", level, i);
            snprintf(content, sizeof content, "An item at level %d (%d).", level, i);
            int64_t *id = &ids[level * per_level + i];
            assert_int_equal(
                0, ac_store_bench_add(f->node.store, cred, label, content, experts, 2, 0, id));
            assert_int_equal(0, ac_store_bench_score(f->node.store, *id, e1->id, level, 0));
            assert_int_equal(0, ac_store_bench_score(f->node.store, *id, e2->id, level, 0));
        }
}

/* The state of credential row |id| as stored. */
static inline enum ac_def_state fixture_state(struct node_fixture *f, int64_t id)
{
    struct ac_credential c;
    assert_int_equal(0, ac_store_credential_get(f->node.store, id, &c));
    enum ac_def_state s = c.state;
    ac_credential_release(&c);
    return s;
}

#endif
