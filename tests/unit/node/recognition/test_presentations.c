/* test_presentations.c - tests the presentations service of
 * node/recognition/presentations.c without HTTP: a recognizer records a
 * presented record once per teacher, a re-presentation updates the verdict,
 * and each is audited. */
#include "node/node_fixture.h"

#include "accounts/accounts.h"
#include "recognition/recognition.h"
#include "accord/store/audit.h"
#include "accord/store/store_recognition.h"

static struct node_fixture fx;
static struct ac_user rita; /* recognizer */

static int setup(void **state)
{
    (void)state;
    if (fixture_open_full(&fx))
        return -1;
    rita = fixture_user(&fx, "rita", AC_ROLE_RECOGNIZER);
    return 0;
}

/* What the handler fills from a decoded record and accord-verify's output. */
static struct ac_presentation *presented(const char *teacher, enum ac_verdict v)
{
    struct ac_presentation *p = calloc(1, sizeof *p);
    assert_non_null(p);
    snprintf(p->teacher, sizeof p->teacher, "%s", teacher);
    memset(p->record_hash, 0x5a, sizeof p->record_hash);
    snprintf(p->cti_hex, sizeof p->cti_hex, "00112233445566778899aabbccddeeff");
    snprintf(p->issuer, sizeof p->issuer, "https://accord.test");
    snprintf(p->credential_id, sizeof p->credential_id, "formative-feedback");
    p->credential_version = 1;
    snprintf(p->achieved_level, sizeof p->achieved_level, "pass");
    p->verdict = v;
    snprintf(p->status_result, sizeof p->status_result, v == AC_VERDICT_VALID ? "pass" : "fail");
    snprintf(p->verified_by, sizeof p->verified_by, "accord-verify");
    snprintf(p->checks, sizeof p->checks,
             "[{\"check\":\"status\",\"result\":\"%s\",\"reason\":\"\"}]", p->status_result);
    return p;
}

static void test_a_first_presentation_is_created_with_an_audit_row(void **state)
{
    (void)state;
    struct ac_presentation *p = presented("t-1", AC_VERDICT_VALID);
    int created = -1;
    assert_int_equal(0, ac__presentations_record(&fx.node, &rita, p, &created, NULL));
    assert_int_equal(1, created);
    assert_int_equal(rita.id, p->recognizer_id);
    struct ac_audit_entry a = fixture_audit_newest(&fx, "presentation", fixture_sid(p->id));
    assert_string_equal("record", a.action);
    assert_int_equal(rita.id, a.actor_user_id);
    assert_non_null(strstr(a.detail, "\"first_presentation\":true"));
    ac_audit_entry_release(&a);
    free(p);
}

static void test_presenting_the_record_again_updates_the_verdict(void **state)
{
    (void)state;
    struct ac_presentation *p = presented("t-1", AC_VERDICT_VALID);
    struct ac_presentation *again = presented("t-1", AC_VERDICT_INVALID);
    int created = -1;
    assert_int_equal(0, ac__presentations_record(&fx.node, &rita, p, &created, NULL));
    assert_int_equal(0, ac__presentations_record(&fx.node, &rita, again, &created, NULL));
    assert_int_equal(0, created);
    assert_int_equal(p->id, again->id);
    assert_int_equal(AC_VERDICT_INVALID, again->verdict);
    assert_int_equal(2, fixture_audit_count(&fx, "presentation", fixture_sid(p->id)));
    free(p);
    free(again);
}

static void test_a_record_presented_for_another_teacher_is_a_conflict(void **state)
{
    (void)state;
    struct ac_presentation *p = presented("t-1", AC_VERDICT_VALID);
    struct ac_presentation *other = presented("t-2", AC_VERDICT_VALID);
    int created = -1;
    assert_int_equal(0, ac__presentations_record(&fx.node, &rita, p, &created, NULL));
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_ECONFLICT, ac__presentations_record(&fx.node, &rita, other, &created, &why));
    assert_int_equal(AC_PROBLEM_CONFLICT, why.problem);
    assert_string_equal("teacher", why.field);
    assert_int_equal(1, fixture_audit_count(&fx, "presentation", fixture_sid(p->id)));
    free(p);
    free(other);
}

static void test_an_admin_who_is_not_a_recognizer_cannot_record_presentations(void **state)
{
    (void)state;
    struct ac_user ada = fixture_user(&fx, "ada", AC_ROLE_ADMIN);
    struct ac_presentation *p = presented("t-1", AC_VERDICT_VALID);
    int created = -1;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_EACCES, ac__presentations_record(&fx.node, &ada, p, &created, &why));
    assert_int_equal(AC_PROBLEM_FORBIDDEN, why.problem);
    struct ac_presentation page[2];
    size_t n = 9;
    assert_int_equal(0, ac_store_presentation_list(fx.node.store, ada.id, NULL, 0, page, 2, &n));
    assert_int_equal(0, n);
    free(p);
}

/* What a refused presentation answered (the service calls back before
 * returning when the holder binding fails). */
struct answer {
    int called, err;
    struct ac_reason why;
};

static void on_answer(void *arg, int err, const struct ac_presentation *p, int created,
                      const struct ac_reason *why)
{
    (void)p;
    (void)created;
    struct answer *a = arg;
    a->called++;
    a->err = err;
    a->why = *why;
    a->why.extra = NULL;
}

/* python3 -c "import hashlib; print(hashlib.sha256(
 *   b'ann.teacher@district.example' + b'00112233445566778899aabbccddeeff').hexdigest())" */
#define ANN_SUBJECT "sha256$f4079d7aa8b2a2fb28787488954cd6b3c7b668552fd7d73d9d39091b7a33cc29"
#define ANN_SALT "00112233445566778899aabbccddeeff"

static struct answer present_for(const char *email, const char *subject)
{
    struct ac_presentation *p = presented("t-1", AC_VERDICT_VALID);
    struct ac__holder h = {{0}, {0}, {0}};
    snprintf(h.email, sizeof h.email, "%s", email);
    snprintf(h.subject, sizeof h.subject, "%s", subject);
    snprintf(h.salt, sizeof h.salt, "%s", ANN_SALT);
    struct answer a = {0, 0, AC_REASON_INIT};
    uint8_t *bytes = malloc(4); /* taken over by the service */
    assert_non_null(bytes);
    memcpy(bytes, "\xd2\x84\x40\xa0", 4);
    ac__presentations_present(&fx.node, &rita, p, &h, bytes, 4, on_answer, &a);
    free(p);
    assert_int_equal(1, a.called); /* at once: nothing was verified or stored */
    return a;
}

static void test_a_record_presented_for_a_teacher_whose_address_it_does_not_hash_is_refused(
    void **state)
{
    (void)state;
    struct answer a = present_for("mallory@district.example", ANN_SUBJECT);
    assert_int_equal(AC_EINVAL, a.err);
    assert_int_equal(AC_PROBLEM_HOLDER_MISMATCH, a.why.problem);
    assert_string_equal("email", a.why.field);
    assert_non_null(strstr(a.why.detail, ANN_SUBJECT));
    struct ac_presentation page[2];
    size_t n = 9;
    assert_int_equal(0, ac_store_presentation_list(fx.node.store, rita.id, NULL, 0, page, 2, &n));
    assert_int_equal(0, n);
}

static void test_a_record_naming_a_user_id_cannot_be_bound_to_anyone(void **state)
{
    (void)state;
    struct answer a = present_for("ann.teacher@district.example", "issuer.example:user:14");
    assert_int_equal(AC_EINVAL, a.err);
    assert_int_equal(AC_PROBLEM_HOLDER_MISMATCH, a.why.problem);
    assert_non_null(strstr(a.why.detail, "not a salted e-mail hash"));
}

static void test_a_presentation_with_no_address_is_refused_naming_the_field(void **state)
{
    (void)state;
    struct answer a = present_for("", ANN_SUBJECT);
    assert_int_equal(AC_EINVAL, a.err);
    assert_int_equal(AC_PROBLEM_INVALID_FIELD, a.why.problem);
    assert_string_equal("email", a.why.field);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_a_first_presentation_is_created_with_an_audit_row),
        T(test_presenting_the_record_again_updates_the_verdict),
        T(test_a_record_presented_for_another_teacher_is_a_conflict),
        T(test_an_admin_who_is_not_a_recognizer_cannot_record_presentations),
        T(test_a_record_presented_for_a_teacher_whose_address_it_does_not_hash_is_refused),
        T(test_a_record_naming_a_user_id_cannot_be_bound_to_anyone),
        T(test_a_presentation_with_no_address_is_refused_naming_the_field),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
