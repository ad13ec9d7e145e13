/* node_fixture.h - a struct ac_node standing on a real store in a temporary
 * directory, for unit tests that drive node/ services without HTTP: users,
 * credentials put in a given state, and readers for the audit trail. Header
 * only (static functions); include it from one test file. */
#ifndef AC_TEST_NODE_FIXTURE_H
#define AC_TEST_NODE_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "accord/base/error.h"
#include "accord/store/store.h"
#include "accord/store/audit.h"
#include "accord/store/benchmark.h"
#include "accord/store/credential.h"
#include "accord/store/user.h"
#include "internal.h"

#define FIXTURE_NODE_ID "unit.test"

struct node_fixture {
    char dir[64];
    struct ac_node_config cfg;
    struct ac_node node;
};

/* Opens a fresh store under /tmp for |f| and points f->node at it. Returns 0
 * or -1 (for a cmocka setup function). */
static inline int fixture_open(struct node_fixture *f)
{
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/ac-node-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    char path[128];
    snprintf(path, sizeof path, "%s/accord.db", f->dir);
    snprintf(f->cfg.node_id, sizeof f->cfg.node_id, "%s", FIXTURE_NODE_ID);
    f->node.cfg = &f->cfg;
    return ac_store_open(path, &f->node.store) ? -1 : 0;
}

/* Closes the store and removes the directory. Returns 0 or -1. */
static inline int fixture_close(struct node_fixture *f)
{
    ac_store_close(f->node.store);
    f->node.store = NULL;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Creates user |name| with |roles|. */
static inline struct ac_user fixture_user(struct node_fixture *f, const char *name, unsigned roles)
{
    struct ac_user u;
    assert_int_equal(0, ac_store_user_create(f->node.store, name, NULL, roles, 0, &u));
    return u;
}

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

/* How many audit rows |kind| |subject| has. */
static inline size_t fixture_audit_count(struct node_fixture *f, const char *kind,
                                         const char *subject)
{
    struct ac_audit_entry rows[64];
    size_t k;
    assert_int_equal(0, ac_store_audit_list(f->node.store, kind, subject, 0, rows, 64, &k));
    for (size_t i = 0; i < k; i++)
        ac_audit_entry_release(&rows[i]);
    return k;
}

/* The last audit row of |kind| |subject|: checks its |action| and |actor|
 * and this node, and returns its detail parsed (caller json_decref()s). */
static inline json_t *fixture_audit_last(struct node_fixture *f, const char *kind,
                                         const char *subject, const char *action, int64_t actor)
{
    struct ac_audit_entry rows[64];
    size_t k;
    assert_int_equal(0, ac_store_audit_list(f->node.store, kind, subject, 0, rows, 64, &k));
    assert_true(k > 0);
    assert_string_equal(action, rows[k - 1].action);
    assert_int_equal(actor, rows[k - 1].actor_user_id);
    assert_string_equal(FIXTURE_NODE_ID, rows[k - 1].node_id);
    json_t *d = json_loads(rows[k - 1].detail, 0, NULL);
    for (size_t i = 0; i < k; i++)
        ac_audit_entry_release(&rows[i]);
    assert_non_null(d);
    return d;
}

/* Checks that |why| names |problem| about |field| ("" for none). */
static inline void fixture_reason_is(const struct ac_reason *why, enum ac_problem problem,
                                     const char *field)
{
    assert_int_equal(problem, why->problem);
    assert_string_equal(field, why->field);
    assert_true(why->detail[0] != '\0');
}

#endif
