/* test_ob3.c - the OB 3.0 OpenBadgeCredential and Bitstring Status List
 * credentials (core/records/ob3.c): the members issue 13 section 1 asks for,
 * nothing null or empty, and a proof that verifies (which also shows every
 * term is defined by the two contexts: expansion refuses any other). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "accord/base/error.h"
#include "accord/records/di.h"
#include "accord/records/ob3.h"

static const char *const levels[] = {"high pass", "pass", "almost there", "not yet"};
static const struct ac_ob3_alignment align[] = {
    {"ISTE Standards for Educators 2.7", "https://iste.example/standards/2.7", "ISTE", "2.7"}};

static void fixture(struct ac_record *rec, struct ac_ob3_award *a)
{
    memset(rec, 0, sizeof *rec);
    strcpy(rec->iss, "https://node.example");
    strcpy(rec->sub, "sha256$4f1c9a7be02d3c8e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a");
    rec->iat = 1780000000; /* 2026-05-28T20:26:40Z */
    for (int i = 0; i < 16; i++)
        rec->cti[i] = (uint8_t)(0x10 + i);
    strcpy(rec->definition_id, "formative-assessment");
    rec->definition_version = 3;
    strcpy(rec->achieved_level, "pass");
    rec->has_ceu = true;
    rec->ceu_hundredths = 150;
    strcpy(rec->evidence, "submission 7 reviewed on node-a");
    rec->has_log_index = true;
    rec->log_index = 41;
    rec->has_status = true;
    rec->status_idx = 90210;
    *a = (struct ac_ob3_award){
        .rec = rec,
        .issuer_did = "did:web:node.example",
        .issuer_name = "Node A",
        .issuer_url = "https://node.example",
        .achievement_id = "https://node.example/v1/catalog/formative-assessment/versions/3",
        .title = "Formative Assessment",
        .description = "Uses formative assessment to adjust instruction.",
        .criteria = "Submit two lesson plans and a reflection scored pass or better.",
        .levels = levels,
        .nlevels = 4,
        .passing_level = "pass",
        .alignments = align,
        .nalignments = 1,
        .identity_salt = "c2FsdHNhbHQ",
        .status_list_base = "https://node.example/v1/status/ob3/",
        .log_entry_url = "https://node.example/v1/log/proof?index=41",
        .checkpoint_ref = "node.example/log 42 qmF3cm9vdA==",
    };
}

static json_t *build(const struct ac_ob3_award *a)
{
    json_t *cred = NULL;
    char why[256];
    int rc = ac_ob3_credential(a, &cred, why, sizeof why);
    if (rc)
        fail_msg("%s", why);
    return cred;
}

static json_t *json_path_get_ok(const json_t *root, const char *path)
{
    /* "a.b.0.c": members and array indexes. */
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *v = (json_t *)root;
    for (char *tok = strtok(buf, "."); tok && v; tok = strtok(NULL, ".")) {
        if (json_is_array(v))
            v = json_array_get(v, (size_t)atoi(tok));
        else
            v = json_object_get(v, tok);
    }
    return v;
}

static const char *str_at(const json_t *root, const char *path)
{
    json_t *v = json_path_get_ok(root, path);
    return json_string_value(v);
}

static void test_the_credential_has_the_two_contexts_in_order_and_the_ob_types(void **state)
{
    (void)state;
    struct ac_record rec;
    struct ac_ob3_award a;
    fixture(&rec, &a);
    json_t *c = build(&a);
    assert_string_equal(str_at(c, "@context.0"), "https://www.w3.org/ns/credentials/v2");
    assert_string_equal(str_at(c, "@context.1"),
                        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json");
    assert_int_equal(json_array_size(json_object_get(c, "@context")), 2);
    assert_string_equal(str_at(c, "type.1"), "OpenBadgeCredential");
    assert_string_equal(str_at(c, "id"), "urn:uuid:10111213-1415-1617-1819-1a1b1c1d1e1f");
    assert_string_equal(str_at(c, "issuer.id"), "did:web:node.example");
    assert_string_equal(str_at(c, "issuer.type.0"), "Profile");
    assert_string_equal(str_at(c, "validFrom"), "2026-05-28T20:26:40Z");
    assert_string_equal(str_at(c, "credentialSubject.type.0"), "AchievementSubject");
    assert_string_equal(str_at(c, "credentialSubject.achievement.achievementType"),
                        "MicroCredential");
    assert_string_equal(str_at(c, "credentialSubject.achievement.criteria.narrative"), a.criteria);
    assert_string_equal(str_at(c, "credentialSubject.achievement.alignment.0.targetCode"), "2.7");
    json_decref(c);
}

static void test_the_earner_is_the_records_salted_hash_as_an_identity_object(void **state)
{
    (void)state;
    struct ac_record rec;
    struct ac_ob3_award a;
    fixture(&rec, &a);
    json_t *c = build(&a);
    json_t *id = json_path_get_ok(c, "credentialSubject.identifier.0");
    assert_string_equal(str_at(id, "type"), "IdentityObject");
    assert_string_equal(str_at(id, "identityHash"), rec.sub);
    assert_string_equal(str_at(id, "identityType"), "emailAddress");
    assert_true(json_is_true(json_object_get(id, "hashed")));
    assert_string_equal(str_at(id, "salt"), "c2FsdHNhbHQ");
    json_decref(c);
}

static void test_the_identity_salt_is_the_one_the_signed_record_carries(void **state)
{
    (void)state;
    struct ac_record rec;
    struct ac_ob3_award a;
    fixture(&rec, &a);
    strcpy(rec.subject_salt, "00112233445566778899aabbccddeeff");
    json_t *c = build(&a);
    json_t *id = json_path_get_ok(c, "credentialSubject.identifier.0");
    assert_string_equal(str_at(id, "salt"), "00112233445566778899aabbccddeeff");
    json_decref(c);
}

static void test_the_result_names_the_achieved_rubric_level(void **state)
{
    (void)state;
    struct ac_record rec;
    struct ac_ob3_award a;
    fixture(&rec, &a);
    json_t *c = build(&a);
    const char *ach = a.achievement_id;
    char want[256];
    json_t *rd = json_path_get_ok(c, "credentialSubject.achievement.resultDescription.0");
    assert_string_equal(str_at(rd, "resultType"), "RubricCriterionLevel");
    assert_int_equal(json_array_size(json_object_get(rd, "rubricCriterionLevel")), 4);
    assert_string_equal(str_at(rd, "rubricCriterionLevel.1.name"), "pass");
    snprintf(want, sizeof want, "%s#level-1", ach);
    assert_string_equal(str_at(rd, "rubricCriterionLevel.1.id"), want);
    assert_string_equal(str_at(rd, "requiredLevel"), want);
    assert_string_equal(str_at(c, "credentialSubject.result.0.achievedLevel"), want);
    snprintf(want, sizeof want, "%s#rubric", ach);
    assert_string_equal(str_at(c, "credentialSubject.result.0.resultDescription"), want);
    assert_true(json_real_value(json_path_get_ok(c, "credentialSubject.creditsEarned")) == 1.5);
    json_decref(c);
}

static void test_status_entries_point_at_the_revocation_and_suspension_lists(void **state)
{
    (void)state;
    struct ac_record rec;
    struct ac_ob3_award a;
    fixture(&rec, &a);
    json_t *c = build(&a);
    assert_string_equal(str_at(c, "credentialStatus.0.type"), "BitstringStatusListEntry");
    assert_string_equal(str_at(c, "credentialStatus.0.statusPurpose"), "revocation");
    assert_string_equal(str_at(c, "credentialStatus.0.statusListIndex"), "90210");
    assert_string_equal(str_at(c, "credentialStatus.0.statusListCredential"),
                        "https://node.example/v1/status/ob3/revocation");
    assert_string_equal(str_at(c, "credentialStatus.1.statusPurpose"), "suspension");
    assert_string_equal(str_at(c, "credentialStatus.1.id"),
                        "https://node.example/v1/status/ob3/suspension#90210");
    json_decref(c);
}

static void test_the_log_entry_is_carried_as_evidence(void **state)
{
    (void)state;
    struct ac_record rec;
    struct ac_ob3_award a;
    fixture(&rec, &a);
    json_t *c = build(&a);
    assert_string_equal(str_at(c, "evidence.0.narrative"), "submission 7 reviewed on node-a");
    assert_string_equal(str_at(c, "evidence.1.id"), "https://node.example/v1/log/proof?index=41");
    assert_string_equal(str_at(c, "evidence.1.description"),
                        "Accord transparency log index 41; checkpoint node.example/log 42 "
                        "qmF3cm9vdA==");
    json_decref(c);
}

static void test_absent_values_are_left_out_not_null_or_empty(void **state)
{
    (void)state;
    struct ac_record rec;
    struct ac_ob3_award a;
    fixture(&rec, &a);
    rec.has_ceu = false;
    rec.evidence[0] = 0;
    rec.has_log_index = false;
    a.nalignments = 0;
    a.issuer_url = NULL;
    json_t *c = build(&a);
    assert_null(json_object_get(c, "evidence"));
    assert_null(json_path_get_ok(c, "credentialSubject.creditsEarned"));
    assert_null(json_path_get_ok(c, "credentialSubject.achievement.alignment"));
    assert_null(json_path_get_ok(c, "credentialSubject.achievement.creditsAvailable"));
    assert_null(json_path_get_ok(c, "issuer.url"));
    char *text = json_dumps(c, 0);
    assert_null(strstr(text, "null"));
    assert_null(strstr(text, "[]"));
    free(text);
    json_decref(c);
}

static void test_an_achieved_level_outside_the_rubric_is_refused(void **state)
{
    (void)state;
    struct ac_record rec;
    struct ac_ob3_award a;
    json_t *c = NULL;
    char why[256];
    fixture(&rec, &a);
    strcpy(rec.achieved_level, "excellent");
    assert_int_equal(ac_ob3_credential(&a, &c, why, sizeof why), AC_EINVAL);
    assert_string_equal(why, "achieved level \"excellent\" is not one of the rubric's levels");
    assert_null(c);
}

static void test_the_signed_credential_verifies_and_a_changed_one_does_not(void **state)
{
    (void)state;
    struct ac_record rec;
    struct ac_ob3_award a;
    struct ac_jsonld *p;
    uint8_t pk[32], sk[64];
    char why[384];
    fixture(&rec, &a);
    crypto_sign_keypair(pk, sk);
    assert_int_equal(ac_jsonld_new(&p, why, sizeof why), 0);
    json_t *c = build(&a);
    assert_int_equal(ac_ob3_sign(p, c, "did:web:node.example#00", rec.iat, sk, why, sizeof why),
                     0);
    assert_true(json_is_array(json_object_get(c, "proof")));
    int rc = ac_di_verify(p, c, pk, why, sizeof why);
    if (rc)
        fail_msg("%s", why);
    json_object_set_new(json_path_get_ok(c, "credentialSubject.result.0"), "achievedLevel",
                        json_string("https://node.example/v1/catalog/formative-assessment/"
                                    "versions/3#level-0"));
    assert_int_equal(ac_di_verify(p, c, pk, why, sizeof why), AC_ECRYPTO);
    json_decref(c);
    ac_jsonld_free(p);
}

static void test_a_status_list_credential_is_signed_and_verifies(void **state)
{
    (void)state;
    struct ac_jsonld *p;
    struct ac_status_list *l;
    struct ac_buf enc = AC_BUF_INIT;
    uint8_t pk[32], sk[64];
    uint64_t idx;
    char why[384];
    crypto_sign_keypair(pk, sk);
    assert_int_equal(ac_jsonld_new(&p, why, sizeof why), 0);
    assert_int_equal(ac_status_list_new(AC_STATUS_MIN_ENTRIES, &l), 0);
    assert_int_equal(ac_status_list_assign(l, &idx), 0);
    assert_int_equal(ac_status_list_set(l, idx, AC_STATUS_INVALID), 0);
    assert_int_equal(ac_status_w3c_encode(l, AC_STATUS_PURPOSE_REVOCATION, &enc), 0);
    assert_int_equal(ac_buf_terminate(&enc), 0);
    json_t *c = NULL;
    assert_int_equal(ac_ob3_status_list_credential("https://node.example/v1/status/ob3/revocation",
                                                   "did:web:node.example",
                                                   AC_STATUS_PURPOSE_REVOCATION,
                                                   (const char *)enc.data, 1780000000, 0, &c),
                     0);
    assert_string_equal(str_at(c, "credentialSubject.statusPurpose"), "revocation");
    assert_int_equal(ac_ob3_sign(p, c, "did:web:node.example#00", 1780000000, sk, why, sizeof why),
                     0);
    int rc = ac_di_verify(p, c, pk, why, sizeof why);
    if (rc)
        fail_msg("%s", why);
    json_decref(c);
    ac_buf_release(&enc);
    ac_status_list_free(l);
    ac_jsonld_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_credential_has_the_two_contexts_in_order_and_the_ob_types),
        cmocka_unit_test(test_the_earner_is_the_records_salted_hash_as_an_identity_object),
        cmocka_unit_test(test_the_identity_salt_is_the_one_the_signed_record_carries),
        cmocka_unit_test(test_the_result_names_the_achieved_rubric_level),
        cmocka_unit_test(test_status_entries_point_at_the_revocation_and_suspension_lists),
        cmocka_unit_test(test_the_log_entry_is_carried_as_evidence),
        cmocka_unit_test(test_absent_values_are_left_out_not_null_or_empty),
        cmocka_unit_test(test_an_achieved_level_outside_the_rubric_is_refused),
        cmocka_unit_test(test_the_signed_credential_verifies_and_a_changed_one_does_not),
        cmocka_unit_test(test_a_status_list_credential_is_signed_and_verifies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
