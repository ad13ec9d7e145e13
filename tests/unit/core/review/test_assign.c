/* test_assign.c - tests core/assign.c and core/second_master.c: every hard constraint,
 * unassignable reasons, load evenness, caps, distinct reviewers, second masters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "accord/review/assign.h"
#include "accord/base/error.h"

static const uint32_t CRED1[] = {1};
static const uint32_t CRED2[] = {2};
static const uint32_t CRED12[] = {1, 2};
static const uint32_t DOM4[] = {4};
static const uint32_t DOM5[] = {5};

/* A reviewer certified for credential 1 in its own school |school| and district
 * |district|, available, load 0, cap 10. */
static struct ac_assign_reviewer reviewer(uint64_t id, uint32_t school, uint32_t district)
{
    return (struct ac_assign_reviewer){.id = id,
                                       .credentials = CRED1,
                                       .n_credentials = 1,
                                       .school = school,
                                       .district = district,
                                       .available = true,
                                       .cap = 10};
}

/* A submission for credential 1, any domain, from school 1 in district 1. */
static struct ac_assign_submission submission(uint64_t id, uint32_t need)
{
    return (struct ac_assign_submission){
        .id = id, .credential = 1, .school = 1, .district = 1, .earner = 1000 + id, .need = need};
}

static struct ac_assign_result *run(const struct ac_assign_problem *p)
{
    struct ac_assign_result *r = NULL;
    assert_int_equal(0, ac_assign_run(p, &r));
    assert_non_null(r);
    return r;
}

/* Runs one submission needing one review against |rv| and returns the chosen
 * reviewer index, or -1 when none was assigned. */
static int assign_one(const struct ac_assign_submission *s, const struct ac_assign_reviewer *rv,
                      size_t n, const struct ac_assign_credential *creds, size_t n_creds)
{
    struct ac_assign_problem p = {.submissions = s,
                                  .n_submissions = 1,
                                  .reviewers = rv,
                                  .n_reviewers = n,
                                  .credentials = creds,
                                  .n_credentials = n_creds};
    struct ac_assign_result *r = run(&p);
    int who = r->n_assignments == 1 ? (int)r->assignments[0].reviewer : -1;
    assert_true(r->n_assignments <= 1);
    ac_assign_result_free(r);
    return who;
}

static void test_reviewer_without_the_credential_is_not_chosen(void **state)
{
    (void)state;
    struct ac_assign_reviewer rv[2] = {reviewer(1, 10, 2), reviewer(2, 11, 3)};
    rv[0].credentials = CRED2;
    struct ac_assign_submission s = submission(1, 1);
    assert_int_equal(1, assign_one(&s, rv, 2, NULL, 0));
}

static void test_reviewer_without_the_requested_domain_is_not_chosen(void **state)
{
    (void)state;
    struct ac_assign_reviewer rv[2] = {reviewer(1, 10, 2), reviewer(2, 11, 3)};
    rv[0].domains = DOM4;
    rv[0].n_domains = 1;
    rv[1].domains = DOM5;
    rv[1].n_domains = 1;
    struct ac_assign_submission s = submission(1, 1);
    s.domain = 5;
    assert_int_equal(1, assign_one(&s, rv, 2, NULL, 0));
}

static void test_a_submission_asking_no_domain_takes_a_reviewer_without_domains(void **state)
{
    (void)state;
    struct ac_assign_reviewer rv[1] = {reviewer(1, 10, 2)};
    struct ac_assign_submission s = submission(1, 1);
    assert_int_equal(0, assign_one(&s, rv, 1, NULL, 0));
}

static void test_unavailable_reviewer_is_not_chosen(void **state)
{
    (void)state;
    struct ac_assign_reviewer rv[2] = {reviewer(1, 10, 2), reviewer(2, 11, 3)};
    rv[0].available = false;
    struct ac_assign_submission s = submission(1, 1);
    assert_int_equal(1, assign_one(&s, rv, 2, NULL, 0));
}

static void test_reviewer_from_the_earners_school_is_not_chosen(void **state)
{
    (void)state;
    /* Same school as the earner (school 1) though recorded in another district. */
    struct ac_assign_reviewer rv[2] = {reviewer(1, 1, 2), reviewer(2, 11, 3)};
    struct ac_assign_submission s = submission(1, 1);
    assert_int_equal(1, assign_one(&s, rv, 2, NULL, 0));
}

static void test_reviewer_from_the_earners_district_is_not_chosen(void **state)
{
    (void)state;
    struct ac_assign_reviewer rv[2] = {reviewer(1, 10, 1), reviewer(2, 11, 3)};
    struct ac_assign_submission s = submission(1, 1);
    assert_int_equal(1, assign_one(&s, rv, 2, NULL, 0));
}

static void test_reviewer_already_on_the_submission_is_not_chosen(void **state)
{
    (void)state;
    struct ac_assign_reviewer rv[2] = {reviewer(1, 10, 2), reviewer(2, 11, 3)};
    static const uint64_t on[] = {1};
    struct ac_assign_submission s = submission(1, 1);
    s.assigned_reviewers = on;
    s.n_assigned_reviewers = 1;
    assert_int_equal(1, assign_one(&s, rv, 2, NULL, 0));
}

static void test_previous_attempt_reviewer_is_not_chosen_when_the_issuer_forbids_it(void **state)
{
    (void)state;
    struct ac_assign_reviewer rv[2] = {reviewer(1, 10, 2), reviewer(2, 11, 3)};
    static const uint64_t prev[] = {1};
    struct ac_assign_submission s = submission(1, 1);
    s.previous_reviewers = prev;
    s.n_previous_reviewers = 1;
    struct ac_assign_credential c = {.id = 1, .forbid_previous_reviewer = true};
    assert_int_equal(1, assign_one(&s, rv, 2, &c, 1));
}

static void test_previous_attempt_reviewer_may_be_chosen_when_the_issuer_allows_it(void **state)
{
    (void)state;
    struct ac_assign_reviewer rv[1] = {reviewer(1, 10, 2)};
    static const uint64_t prev[] = {1};
    struct ac_assign_submission s = submission(1, 1);
    s.previous_reviewers = prev;
    s.n_previous_reviewers = 1;
    struct ac_assign_credential c = {.id = 1, .forbid_previous_reviewer = false};
    assert_int_equal(0, assign_one(&s, rv, 1, &c, 1));
}

static void test_k_reviews_of_one_submission_go_to_k_distinct_reviewers(void **state)
{
    (void)state;
    struct ac_assign_reviewer rv[3] = {reviewer(1, 10, 2), reviewer(2, 11, 3), reviewer(3, 12, 4)};
    struct ac_assign_submission s = submission(1, 3);
    struct ac_assign_problem p = {
        .submissions = &s, .n_submissions = 1, .reviewers = rv, .n_reviewers = 3};
    struct ac_assign_result *r = run(&p);
    assert_int_equal(3, r->n_assignments);
    bool seen[3] = {false, false, false};
    for (size_t i = 0; i < 3; i++) {
        assert_false(seen[r->assignments[i].reviewer]);
        seen[r->assignments[i].reviewer] = true;
    }
    assert_int_equal(0, r->n_unassigned);
    ac_assign_result_free(r);
}

static void test_caps_are_never_exceeded(void **state)
{
    (void)state;
    /* Four single reviews; A may take 2 more (load 1, cap 3), B 1 more: 3 fit. */
    struct ac_assign_reviewer rv[2] = {reviewer(1, 10, 2), reviewer(2, 11, 3)};
    rv[0].load = 1;
    rv[0].cap = 3;
    rv[1].cap = 1;
    struct ac_assign_submission s[4] = {submission(1, 1), submission(2, 1), submission(3, 1),
                                        submission(4, 1)};
    struct ac_assign_problem p = {
        .submissions = s, .n_submissions = 4, .reviewers = rv, .n_reviewers = 2};
    struct ac_assign_result *r = run(&p);
    assert_int_equal(2, r->added[0]);
    assert_int_equal(1, r->added[1]);
    assert_int_equal(3, r->n_assignments);
    assert_int_equal(1, r->n_unassigned);
    assert_int_equal(AC_ASSIGN_CAPACITY, r->unassigned[0].reason);
    assert_int_equal(1, r->unassigned[0].missing);
    ac_assign_result_free(r);
}

static void test_credential_with_no_certified_reviewer_is_reported_as_no_qualified(void **state)
{
    (void)state;
    struct ac_assign_reviewer rv[1] = {reviewer(1, 10, 2)};
    struct ac_assign_submission s = submission(7, 2);
    s.credential = 9;
    struct ac_assign_problem p = {
        .submissions = &s, .n_submissions = 1, .reviewers = rv, .n_reviewers = 1};
    struct ac_assign_result *r = run(&p);
    assert_int_equal(0, r->n_assignments);
    assert_int_equal(1, r->n_unassigned);
    assert_int_equal(0, r->unassigned[0].submission);
    assert_int_equal(2, r->unassigned[0].missing);
    assert_int_equal(AC_ASSIGN_NO_QUALIFIED, r->unassigned[0].reason);
    char msg[256];
    ac_assign_describe(&p, &r->unassigned[0], msg, sizeof(msg));
    assert_non_null(strstr(msg, "submission 7"));
    assert_non_null(strstr(msg, "credential 9"));
    ac_assign_result_free(r);
}

static void test_submission_whose_qualified_reviewers_are_all_conflicted_says_so(void **state)
{
    (void)state;
    /* Both certified reviewers work in the earner's district 1. */
    struct ac_assign_reviewer rv[2] = {reviewer(1, 10, 1), reviewer(2, 11, 1)};
    struct ac_assign_submission s = submission(1, 1);
    struct ac_assign_problem p = {
        .submissions = &s, .n_submissions = 1, .reviewers = rv, .n_reviewers = 2};
    struct ac_assign_result *r = run(&p);
    assert_int_equal(0, r->n_assignments);
    assert_int_equal(1, r->n_unassigned);
    assert_int_equal(AC_ASSIGN_ALL_CONFLICTED, r->unassigned[0].reason);
    ac_assign_result_free(r);
}

static void
test_submission_needing_more_reviewers_than_exist_is_reported_as_no_qualified(void **state)
{
    (void)state;
    struct ac_assign_reviewer rv[2] = {reviewer(1, 10, 2), reviewer(2, 11, 3)};
    struct ac_assign_submission s = submission(1, 3);
    struct ac_assign_problem p = {
        .submissions = &s, .n_submissions = 1, .reviewers = rv, .n_reviewers = 2};
    struct ac_assign_result *r = run(&p);
    assert_int_equal(2, r->n_assignments);
    assert_int_equal(1, r->n_unassigned);
    assert_int_equal(1, r->unassigned[0].missing);
    assert_int_equal(AC_ASSIGN_NO_QUALIFIED, r->unassigned[0].reason);
    ac_assign_result_free(r);
}

static void test_load_spread_is_at_most_one_when_capacity_allows(void **state)
{
    (void)state;
    /* Ten single reviews over four equal reviewers: 3, 3, 2, 2 by hand. */
    struct ac_assign_reviewer rv[4] = {reviewer(1, 10, 2), reviewer(2, 11, 3), reviewer(3, 12, 4),
                                       reviewer(4, 13, 5)};
    struct ac_assign_submission s[10];
    for (int i = 0; i < 10; i++)
        s[i] = submission((uint64_t)i + 1, 1);
    struct ac_assign_problem p = {
        .submissions = s, .n_submissions = 10, .reviewers = rv, .n_reviewers = 4};
    struct ac_assign_result *r = run(&p);
    int threes = 0, twos = 0;
    for (int i = 0; i < 4; i++) {
        threes += r->added[i] == 3;
        twos += r->added[i] == 2;
    }
    assert_int_equal(2, threes);
    assert_int_equal(2, twos);
    assert_int_equal(1, r->load_spread);
    assert_int_equal(4, r->n_eligible);
    ac_assign_result_free(r);
}

static void test_existing_load_is_evened_out(void **state)
{
    (void)state;
    /* A starts at 5; seven reviews fill B and C towards 5: 4 + 3, none to A. */
    struct ac_assign_reviewer rv[3] = {reviewer(1, 10, 2), reviewer(2, 11, 3), reviewer(3, 12, 4)};
    rv[0].load = 5;
    struct ac_assign_submission s[7];
    for (int i = 0; i < 7; i++)
        s[i] = submission((uint64_t)i + 1, 1);
    struct ac_assign_problem p = {
        .submissions = s, .n_submissions = 7, .reviewers = rv, .n_reviewers = 3};
    struct ac_assign_result *r = run(&p);
    assert_int_equal(0, r->added[0]);
    assert_int_equal(7, r->added[1] + r->added[2]);
    assert_true(r->added[1] == 3 || r->added[1] == 4);
    /* Totals 5, 4, 3 (or 5, 3, 4): A's earlier load alone sets the maximum. */
    assert_int_equal(2, r->load_spread);
    ac_assign_result_free(r);
}

static void test_work_only_one_reviewer_can_do_is_left_to_them(void **state)
{
    (void)state;
    /* Two credential-1 and two credential-2 reviews; A holds 1, B holds 1 and 2. The
     * even split gives A both credential-1 reviews and B both credential-2 ones. */
    struct ac_assign_reviewer rv[2] = {reviewer(1, 10, 2), reviewer(2, 11, 3)};
    rv[1].credentials = CRED12;
    rv[1].n_credentials = 2;
    struct ac_assign_submission s[4] = {submission(1, 1), submission(2, 1), submission(3, 1),
                                        submission(4, 1)};
    s[2].credential = 2;
    s[3].credential = 2;
    struct ac_assign_problem p = {
        .submissions = s, .n_submissions = 4, .reviewers = rv, .n_reviewers = 2};
    struct ac_assign_result *r = run(&p);
    assert_int_equal(2, r->added[0]);
    assert_int_equal(2, r->added[1]);
    for (size_t i = 0; i < r->n_assignments; i++)
        if (s[r->assignments[i].submission].credential == 2)
            assert_int_equal(1, r->assignments[i].reviewer);
    assert_int_equal(0, r->load_spread);
    ac_assign_result_free(r);
}

static void test_duplicate_reviewer_ids_are_rejected(void **state)
{
    (void)state;
    struct ac_assign_reviewer rv[2] = {reviewer(1, 10, 2), reviewer(1, 11, 3)};
    struct ac_assign_submission s = submission(1, 1);
    struct ac_assign_problem p = {
        .submissions = &s, .n_submissions = 1, .reviewers = rv, .n_reviewers = 2};
    struct ac_assign_result *r = NULL;
    assert_int_equal(AC_EINVAL, ac_assign_run(&p, &r));
    assert_null(r);
}

static void test_a_load_above_the_cap_is_rejected(void **state)
{
    (void)state;
    struct ac_assign_reviewer rv[1] = {reviewer(1, 10, 2)};
    rv[0].load = 11;
    struct ac_assign_submission s = submission(1, 1);
    struct ac_assign_problem p = {
        .submissions = &s, .n_submissions = 1, .reviewers = rv, .n_reviewers = 1};
    struct ac_assign_result *r = NULL;
    assert_int_equal(AC_EINVAL, ac_assign_run(&p, &r));
}

static void test_second_master_is_another_unconflicted_reviewer(void **state)
{
    (void)state;
    /* B sits in the earner's district; the duplicate must go to whichever of A and C
     * did not get the first review. */
    struct ac_assign_reviewer rv[3] = {reviewer(1, 10, 2), reviewer(2, 11, 1), reviewer(3, 12, 4)};
    struct ac_assign_submission s = submission(1, 1);
    struct ac_assign_credential c = {.id = 1, .second_master_rate = 1.0};
    struct ac_assign_problem p = {.submissions = &s,
                                  .n_submissions = 1,
                                  .reviewers = rv,
                                  .n_reviewers = 3,
                                  .credentials = &c,
                                  .n_credentials = 1};
    struct ac_assign_result *r = run(&p);
    struct ac_assign_rng rng;
    ac_assign_rng_seed(&rng, 7);
    assert_int_equal(0, ac_assign_second_master(&p, r, &rng));
    assert_int_equal(2, r->n_assignments);
    assert_false(r->assignments[0].second_master);
    assert_true(r->assignments[1].second_master);
    size_t first = r->assignments[0].reviewer, second = r->assignments[1].reviewer;
    assert_true(first == 0 || first == 2);
    assert_int_equal(2 - first, second);
    assert_int_equal(0, r->n_second_master_skipped);
    ac_assign_result_free(r);
}

static void test_second_master_is_skipped_when_only_conflicted_masters_remain(void **state)
{
    (void)state;
    struct ac_assign_reviewer rv[2] = {reviewer(1, 10, 2), reviewer(2, 11, 1)};
    struct ac_assign_submission s = submission(1, 1);
    struct ac_assign_credential c = {.id = 1, .second_master_rate = 1.0};
    struct ac_assign_problem p = {.submissions = &s,
                                  .n_submissions = 1,
                                  .reviewers = rv,
                                  .n_reviewers = 2,
                                  .credentials = &c,
                                  .n_credentials = 1};
    struct ac_assign_result *r = run(&p);
    struct ac_assign_rng rng;
    ac_assign_rng_seed(&rng, 7);
    assert_int_equal(0, ac_assign_second_master(&p, r, &rng));
    assert_int_equal(1, r->n_assignments);
    assert_int_equal(1, r->n_second_master_skipped);
    ac_assign_result_free(r);
}

static void test_second_master_is_never_drawn_for_an_associate_mode_credential(void **state)
{
    (void)state;
    struct ac_assign_reviewer rv[3] = {reviewer(1, 10, 2), reviewer(2, 11, 3), reviewer(3, 12, 4)};
    struct ac_assign_submission s[2] = {submission(1, 1), submission(2, 1)};
    struct ac_assign_problem p = {
        .submissions = s, .n_submissions = 2, .reviewers = rv, .n_reviewers = 3};
    struct ac_assign_result *r = run(&p);
    struct ac_assign_rng rng;
    ac_assign_rng_seed(&rng, 7);
    assert_int_equal(0, ac_assign_second_master(&p, r, &rng));
    assert_int_equal(2, r->n_assignments);
    ac_assign_result_free(r);
}

/* ---- Randomised property test ---------------------------------------------- */

struct instance {
    struct ac_assign_submission *s;
    struct ac_assign_reviewer *r;
    uint64_t *ids;   /* storage for previous / assigned reviewer lists */
    uint32_t *lists; /* storage for credential / domain lists */
    struct ac_assign_credential creds[4];
    struct ac_assign_problem p;
};

/* 2,000 submissions (need 1-3), 300 reviewers, 4 credentials, 5 domains, 40 schools
 * in 8 districts, prior reviewers on some, caps 5-25, some unavailable. */
static void make_instance(struct instance *in, uint64_t seed)
{
    enum { NS = 2000, NR = 300 };
    struct ac_assign_rng g;
    ac_assign_rng_seed(&g, seed);
    in->s = calloc(NS, sizeof(*in->s));
    in->r = calloc(NR, sizeof(*in->r));
    in->ids = calloc(NS * 4, sizeof(*in->ids));
    in->lists = calloc(NR * 6, sizeof(*in->lists));
    assert_non_null(in->s);
    assert_non_null(in->r);
    assert_non_null(in->ids);
    assert_non_null(in->lists);
    for (uint32_t c = 0; c < 4; c++)
        in->creds[c] =
            (struct ac_assign_credential){.id = c + 1, .forbid_previous_reviewer = c % 2 == 0};
    for (size_t i = 0; i < NR; i++) {
        uint32_t *l = &in->lists[i * 6];
        uint32_t nc = 1 + ac_assign_rng_below(&g, 2), nd = ac_assign_rng_below(&g, 3);
        for (uint32_t k = 0; k < nc; k++)
            l[k] = 1 + (k + ac_assign_rng_below(&g, 4)) % 4;
        for (uint32_t k = 0; k < nd; k++)
            l[3 + k] = 1 + ac_assign_rng_below(&g, 5);
        uint32_t school = ac_assign_rng_below(&g, 40);
        in->r[i] = (struct ac_assign_reviewer){.id = 500 + i,
                                               .credentials = l,
                                               .n_credentials = nc,
                                               .domains = l + 3,
                                               .n_domains = nd,
                                               .school = school,
                                               .district = school % 8,
                                               .available = ac_assign_rng_below(&g, 10) != 0,
                                               .cap = 5 + ac_assign_rng_below(&g, 21)};
        in->r[i].load = ac_assign_rng_below(&g, in->r[i].cap + 1);
    }
    for (size_t i = 0; i < NS; i++) {
        uint64_t *ids = &in->ids[i * 4];
        uint32_t school = ac_assign_rng_below(&g, 40);
        uint32_t np = ac_assign_rng_below(&g, 3), na = ac_assign_rng_below(&g, 2);
        for (uint32_t k = 0; k < np + na; k++)
            ids[k] = 500 + ac_assign_rng_below(&g, NR);
        in->s[i] = (struct ac_assign_submission){
            .id = i + 1,
            .credential = 1 + ac_assign_rng_below(&g, 4),
            .domain = ac_assign_rng_below(&g, 3) == 0 ? 1 + ac_assign_rng_below(&g, 5) : 0,
            .school = school,
            .district = school % 8,
            .earner = 9000 + i,
            .previous_reviewers = ids,
            .n_previous_reviewers = np,
            .assigned_reviewers = ids + np,
            .n_assigned_reviewers = na,
            .need = 1 + ac_assign_rng_below(&g, 3)};
    }
    in->p = (struct ac_assign_problem){.submissions = in->s,
                                       .n_submissions = NS,
                                       .reviewers = in->r,
                                       .n_reviewers = NR,
                                       .credentials = in->creds,
                                       .n_credentials = 4};
}

static void free_instance(struct instance *in)
{
    free(in->s);
    free(in->r);
    free(in->ids);
    free(in->lists);
}

/* Checks the hard constraints directly from the inputs, not through the library's
 * own predicate: certification, domain, availability, school, district, prior and
 * current reviewers, caps, distinctness, and need = assigned + reported missing. */
static void test_random_instance_meets_every_hard_constraint(void **state)
{
    (void)state;
    struct instance in;
    make_instance(&in, 20240601);
    const struct ac_assign_problem *p = &in.p;
    struct ac_assign_result *r = run(p);
    uint32_t *count = calloc(p->n_reviewers, sizeof(*count));
    uint32_t *got = calloc(p->n_submissions, sizeof(*got));
    assert_non_null(count);
    assert_non_null(got);
    for (size_t i = 0; i < r->n_assignments; i++) {
        const struct ac_assignment *a = &r->assignments[i];
        const struct ac_assign_submission *s = &p->submissions[a->submission];
        const struct ac_assign_reviewer *v = &p->reviewers[a->reviewer];
        bool cert = false, dom = s->domain == 0;
        for (size_t k = 0; k < v->n_credentials; k++)
            cert |= v->credentials[k] == s->credential;
        for (size_t k = 0; k < v->n_domains; k++)
            dom |= v->domains[k] == s->domain;
        assert_true(cert);
        assert_true(dom);
        assert_true(v->available);
        assert_int_not_equal(v->school, s->school);
        assert_int_not_equal(v->district, s->district);
        for (size_t k = 0; k < s->n_assigned_reviewers; k++)
            assert_int_not_equal(v->id, s->assigned_reviewers[k]);
        if (s->credential % 2 == 1) /* credentials 1 and 3 forbid previous reviewers */
            for (size_t k = 0; k < s->n_previous_reviewers; k++)
                assert_int_not_equal(v->id, s->previous_reviewers[k]);
        for (size_t j = 0; j < r->n_assignments; j++)
            if (j != i && r->assignments[j].submission == a->submission)
                assert_int_not_equal(a->reviewer, r->assignments[j].reviewer);
        count[a->reviewer]++;
        got[a->submission]++;
    }
    for (size_t v = 0; v < p->n_reviewers; v++) {
        assert_int_equal(count[v], r->added[v]);
        assert_true(p->reviewers[v].load + count[v] <= p->reviewers[v].cap);
    }
    size_t u = 0;
    for (size_t s = 0; s < p->n_submissions; s++) {
        uint32_t missing = 0;
        if (u < r->n_unassigned && r->unassigned[u].submission == s)
            missing = r->unassigned[u++].missing;
        assert_int_equal(p->submissions[s].need, got[s] + missing);
    }
    assert_int_equal(u, r->n_unassigned);
    free(count);
    free(got);
    ac_assign_result_free(r);
    free_instance(&in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reviewer_without_the_credential_is_not_chosen),
        cmocka_unit_test(test_reviewer_without_the_requested_domain_is_not_chosen),
        cmocka_unit_test(test_a_submission_asking_no_domain_takes_a_reviewer_without_domains),
        cmocka_unit_test(test_unavailable_reviewer_is_not_chosen),
        cmocka_unit_test(test_reviewer_from_the_earners_school_is_not_chosen),
        cmocka_unit_test(test_reviewer_from_the_earners_district_is_not_chosen),
        cmocka_unit_test(test_reviewer_already_on_the_submission_is_not_chosen),
        cmocka_unit_test(test_previous_attempt_reviewer_is_not_chosen_when_the_issuer_forbids_it),
        cmocka_unit_test(test_previous_attempt_reviewer_may_be_chosen_when_the_issuer_allows_it),
        cmocka_unit_test(test_k_reviews_of_one_submission_go_to_k_distinct_reviewers),
        cmocka_unit_test(test_caps_are_never_exceeded),
        cmocka_unit_test(test_credential_with_no_certified_reviewer_is_reported_as_no_qualified),
        cmocka_unit_test(test_submission_whose_qualified_reviewers_are_all_conflicted_says_so),
        cmocka_unit_test(
            test_submission_needing_more_reviewers_than_exist_is_reported_as_no_qualified),
        cmocka_unit_test(test_load_spread_is_at_most_one_when_capacity_allows),
        cmocka_unit_test(test_existing_load_is_evened_out),
        cmocka_unit_test(test_work_only_one_reviewer_can_do_is_left_to_them),
        cmocka_unit_test(test_duplicate_reviewer_ids_are_rejected),
        cmocka_unit_test(test_a_load_above_the_cap_is_rejected),
        cmocka_unit_test(test_second_master_is_another_unconflicted_reviewer),
        cmocka_unit_test(test_second_master_is_skipped_when_only_conflicted_masters_remain),
        cmocka_unit_test(test_second_master_is_never_drawn_for_an_associate_mode_credential),
        cmocka_unit_test(test_random_instance_meets_every_hard_constraint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
