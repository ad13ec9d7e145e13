/* ob3.c - builds the Open Badges 3.0 OpenBadgeCredential of a native record
 * and the Bitstring Status List credentials (see ob3.h and docs/ob3.md). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "accord/base/error.h"
#include "accord/records/di.h"
#include "accord/records/ob3.h"

static int set_str(json_t *o, const char *key, const char *v)
{
    if (!v || !*v)
        return 0; /* absent, never null */
    return json_object_set_new(o, key, json_string(v)) ? AC_ENOMEM : 0;
}

static int set_new(json_t *o, const char *key, json_t *v)
{
    if (!v)
        return AC_ENOMEM;
    return json_object_set_new(o, key, v) ? AC_ENOMEM : 0;
}

static json_t *type_array(const char *t)
{
    return json_pack("[s]", t);
}

int ac_ob3_time(int64_t seconds, char out[32])
{
    time_t t = (time_t)seconds;
    struct tm tm;
    if (seconds < 0 || (int64_t)t != seconds || !gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999)
        return AC_ERANGE;
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return 0;
}

/* CEUs as a JSON number: an integer when whole, so the JSON reads as the
 * issuer wrote it (JSON-LD gives the same RDF either way). */
static json_t *ceus(uint64_t hundredths)
{
    if (hundredths % 100 == 0)
        return json_integer((json_int_t)(hundredths / 100));
    return json_real((double)hundredths / 100.0);
}

static int fail(char *why, size_t whylen, const char *msg, const char *arg)
{
    snprintf(why, whylen, msg, arg ? arg : "");
    return AC_EINVAL;
}

static int check(const struct ac_ob3_award *a, char *why, size_t whylen)
{
    if (!a->rec)
        return fail(why, whylen, "the record is missing%s", NULL);
    if (!a->issuer_did || strncmp(a->issuer_did, "did:", 4) != 0)
        return fail(why, whylen, "issuer \"%s\" is not a DID", a->issuer_did);
    if (!a->issuer_name || !*a->issuer_name)
        return fail(why, whylen, "issuer name is missing%s", NULL);
    if (!a->achievement_id || !strchr(a->achievement_id, ':') || strchr(a->achievement_id, '#'))
        return fail(why, whylen, "achievement id \"%s\" must be an absolute IRI without '#'",
                    a->achievement_id);
    if (!a->title || !*a->title)
        return fail(why, whylen, "title is missing%s", NULL);
    if (!a->description || !*a->description)
        return fail(why, whylen, "description (competency) is missing%s", NULL);
    if (!a->criteria || !*a->criteria)
        return fail(why, whylen, "criteria narrative is missing%s", NULL);
    if (!a->status_list_base || strncmp(a->status_list_base, "http", 4) != 0)
        return fail(why, whylen, "status list base \"%s\" is not an http(s) URL",
                    a->status_list_base);
    if (!a->rec->has_status)
        return fail(why, whylen, "the record has no status index%s", NULL);
    return 0;
}

static int achievement(const struct ac_ob3_award *a, json_t *ach, long *achieved, char *why,
                       size_t whylen)
{
    int rc = 0;
    char id[512];
    *achieved = -1;
    rc = set_str(ach, "id", a->achievement_id);
    rc = rc ? rc : set_new(ach, "type", type_array("Achievement"));
    rc = rc ? rc : set_str(ach, "achievementType", "MicroCredential");
    rc = rc ? rc : set_str(ach, "name", a->title);
    rc = rc ? rc : set_str(ach, "description", a->description);
    rc = rc ? rc : set_new(ach, "criteria", json_pack("{ss}", "narrative", a->criteria));
    if (!rc && a->rec->has_ceu)
        rc = set_new(ach, "creditsAvailable", ceus(a->rec->ceu_hundredths));
    if (rc)
        return rc;
    if (a->nalignments) {
        json_t *al = json_array();
        if ((rc = set_new(ach, "alignment", al)))
            return rc;
        for (size_t i = 0; i < a->nalignments; i++) {
            const struct ac_ob3_alignment *x = &a->alignments[i];
            if (!x->target_name || !*x->target_name || !x->target_url ||
                !strchr(x->target_url, ':'))
                return fail(why, whylen, "alignment %s needs a targetName and an absolute "
                                         "targetUrl",
                            x->target_name);
            json_t *o = json_object();
            if ((rc = set_new(o, "type", type_array("Alignment"))) ||
                (rc = set_str(o, "targetName", x->target_name)) ||
                (rc = set_str(o, "targetUrl", x->target_url)) ||
                (rc = set_str(o, "targetFramework", x->target_framework)) ||
                (rc = set_str(o, "targetCode", x->target_code)) ||
                (json_array_append_new(al, o) ? (rc = AC_ENOMEM) : 0)) {
                return rc;
            }
        }
    }
    if (!a->nlevels)
        return fail(why, whylen, "the rubric has no levels%s", NULL);
    json_t *rd = json_object(), *levels = json_array();
    json_t *rds = json_pack("[o]", rd);
    if ((rc = set_new(ach, "resultDescription", rds)))
        return rc;
    snprintf(id, sizeof id, "%s#rubric", a->achievement_id);
    if ((rc = set_str(rd, "id", id)) || (rc = set_new(rd, "type", type_array("ResultDescription"))) ||
        (rc = set_str(rd, "name", "Scoring rubric")) ||
        (rc = set_str(rd, "resultType", "RubricCriterionLevel")))
        return rc;
    for (size_t i = 0; i < a->nlevels; i++) {
        if (a->passing_level && strcmp(a->passing_level, a->levels[i]) == 0) {
            snprintf(id, sizeof id, "%s#level-%zu", a->achievement_id, i);
            if ((rc = set_str(rd, "requiredLevel", id)))
                return rc;
        }
    }
    if ((rc = set_new(rd, "rubricCriterionLevel", levels)))
        return rc;
    for (size_t i = 0; i < a->nlevels; i++) {
        snprintf(id, sizeof id, "%s#level-%zu", a->achievement_id, i);
        json_t *lv = json_pack("{sss[s]ssss}", "id", id, "type", "RubricCriterionLevel", "name",
                               a->levels[i], "level", a->levels[i]);
        if (!lv || json_array_append_new(levels, lv))
            return AC_ENOMEM;
        if (strcmp(a->levels[i], a->rec->achieved_level) == 0)
            *achieved = (long)i;
    }
    if (*achieved < 0)
        return fail(why, whylen, "achieved level \"%s\" is not one of the rubric's levels",
                    a->rec->achieved_level);
    return 0;
}

static json_t *status_entry(const struct ac_ob3_award *a, const char *purpose)
{
    char list[512], id[560], idx[24];
    snprintf(list, sizeof list, "%s%s", a->status_list_base, purpose);
    snprintf(idx, sizeof idx, "%llu", (unsigned long long)a->rec->status_idx);
    snprintf(id, sizeof id, "%s#%s", list, idx);
    return json_pack("{ssssssssss}", "id", id, "type", "BitstringStatusListEntry", "statusPurpose",
                     purpose, "statusListIndex", idx, "statusListCredential", list);
}

int ac_ob3_credential(const struct ac_ob3_award *a, json_t **out, char *why, size_t whylen)
{
    int rc = check(a, why, whylen);
    if (rc)
        return rc;
    const struct ac_record *rec = a->rec;
    char when[32], uuid[64];
    const uint8_t *c = rec->cti;
    if ((rc = ac_ob3_time(rec->iat, when)))
        return fail(why, whylen, "record iat is out of range%s", NULL);
    snprintf(uuid, sizeof uuid,
             "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", c[0],
             c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12], c[13], c[14],
             c[15]);

    json_t *cred = json_pack("{s[ss]sss[ss]}", "@context", AC_JSONLD_CREDENTIALS_V2,
                             AC_JSONLD_OB_V3P0, "id", uuid, "type", "VerifiableCredential",
                             "OpenBadgeCredential");
    json_t *issuer = json_object(), *subject = json_object(), *ach = json_object();
    if (!cred || !issuer || !subject || !ach) {
        json_decref(cred);
        json_decref(issuer);
        json_decref(subject);
        json_decref(ach);
        return AC_ENOMEM;
    }
    rc = set_new(cred, "issuer", issuer);
    rc = rc ? rc : set_str(issuer, "id", a->issuer_did);
    rc = rc ? rc : set_new(issuer, "type", type_array("Profile"));
    rc = rc ? rc : set_str(issuer, "name", a->issuer_name);
    rc = rc ? rc : set_str(issuer, "url", a->issuer_url);
    rc = rc ? rc : set_str(cred, "validFrom", when);
    rc = rc ? rc : set_str(cred, "awardedDate", when);
    rc = rc ? rc : set_str(cred, "name", a->title);
    rc = rc ? rc : set_new(cred, "credentialSubject", subject);
    if (rc) {
        json_decref(ach);
        goto out;
    }

    /* The earner: the native record's subject as an OB IdentityObject. A
     * "sha256$" subject is the salted hash of the verified e-mail address
     * (records/subject.h); its salt is the one the signed record carries, so
     * both forms of one award bind the same person the same way. */
    const char *salt = rec->subject_salt[0] ? rec->subject_salt : a->identity_salt;
    int hashed = strncmp(rec->sub, "sha256$", 7) == 0;
    json_t *ident = json_pack("{sssssssb}", "type", "IdentityObject", "identityHash", rec->sub,
                              "identityType", hashed ? "emailAddress" : "identifier", "hashed",
                              hashed);
    rc = set_new(subject, "type", type_array("AchievementSubject"));
    rc = rc ? rc : (ident && hashed ? set_str(ident, "salt", salt) : 0);
    rc = rc ? rc : set_new(subject, "identifier", ident ? json_pack("[o]", ident) : NULL);
    rc = rc ? rc : set_new(subject, "achievement", ach);
    if (rc)
        goto out;
    long achieved;
    if ((rc = achievement(a, ach, &achieved, why, whylen)))
        goto out;
    char rubric[560], level[560];
    snprintf(rubric, sizeof rubric, "%s#rubric", a->achievement_id);
    snprintf(level, sizeof level, "%s#level-%ld", a->achievement_id, achieved);
    rc = set_new(subject, "result",
                 json_pack("[{s[s]ssss}]", "type", "Result", "resultDescription", rubric,
                           "achievedLevel", level));
    if (!rc && rec->has_ceu)
        rc = set_new(subject, "creditsEarned", ceus(rec->ceu_hundredths));
    if (rc)
        goto out;

    /* Evidence: the record's summary, and Accord's transparency-log entry
     * (docs/ob3.md: carried as Evidence because the credential may name no
     * context but VC 2.0 and OB 3.0.3, which define no log terms). */
    json_t *evidence = json_array();
    if ((rc = set_new(cred, "evidence", evidence)))
        goto out;
    if (rec->evidence[0] && json_array_append_new(evidence, json_pack("{s[s]ssss}", "type",
                                                                      "Evidence", "name",
                                                                      "Evidence summary",
                                                                      "narrative", rec->evidence))) {
        rc = AC_ENOMEM;
        goto out;
    }
    if (rec->has_log_index) {
        char desc[600];
        int n = snprintf(desc, sizeof desc, "Accord transparency log index %llu",
                         (unsigned long long)rec->log_index);
        if (a->checkpoint_ref && *a->checkpoint_ref)
            snprintf(desc + n, sizeof desc - (size_t)n, "; checkpoint %s", a->checkpoint_ref);
        json_t *e = json_pack("{s[s]ssssss}", "type", "Evidence", "name",
                              "Accord transparency log entry", "genre", "TransparencyLogEntry",
                              "description", desc);
        if (!e || (a->log_entry_url && *a->log_entry_url &&
                   json_object_set_new(e, "id", json_string(a->log_entry_url))) ||
            json_array_append_new(evidence, e)) {
            rc = AC_ENOMEM;
            goto out;
        }
    }
    if (json_array_size(evidence) == 0)
        json_object_del(cred, "evidence");

    json_t *status = json_array();
    if ((rc = set_new(cred, "credentialStatus", status)))
        goto out;
    if (json_array_append_new(status, status_entry(a, "revocation")) ||
        json_array_append_new(status, status_entry(a, "suspension"))) {
        rc = AC_ENOMEM;
        goto out;
    }
out:
    if (rc) {
        json_decref(cred);
        return rc;
    }
    *out = cred;
    return 0;
}

int ac_ob3_status_list_credential(const char *list_url, const char *issuer_did,
                                  enum ac_status_purpose purpose, const char *encoded_list,
                                  int64_t valid_from_s, int64_t ttl_ms, json_t **out)
{
    char when[32], subject_id[600];
    if (!list_url || !issuer_did || !encoded_list || ac_ob3_time(valid_from_s, when))
        return AC_EINVAL;
    snprintf(subject_id, sizeof subject_id, "%s#list", list_url);
    json_t *cred = json_pack(
        "{s[s]sss[ss]sssss{ssssssss}}", "@context", AC_JSONLD_CREDENTIALS_V2, "id", list_url,
        "type", "VerifiableCredential", "BitstringStatusListCredential", "issuer", issuer_did,
        "validFrom", when, "credentialSubject", "id", subject_id, "type", "BitstringStatusList",
        "statusPurpose", purpose == AC_STATUS_PURPOSE_REVOCATION ? "revocation" : "suspension",
        "encodedList", encoded_list);
    if (!cred)
        return AC_ENOMEM;
    if (ttl_ms > 0 && json_object_set_new(json_object_get(cred, "credentialSubject"), "ttl",
                                          json_integer(ttl_ms))) {
        json_decref(cred);
        return AC_ENOMEM;
    }
    *out = cred;
    return 0;
}

int ac_ob3_sign(struct ac_jsonld *p, json_t *cred, const char *verification_method,
                int64_t created_s, const uint8_t secret_key[64], char *why, size_t whylen)
{
    char when[32];
    if (ac_ob3_time(created_s, when)) {
        snprintf(why, whylen, "proof.created: %lld is out of range", (long long)created_s);
        return AC_EINVAL;
    }
    return ac_di_sign(p, cred, verification_method, when, secret_key, 1, why, whylen);
}

int ac_ob3_sign_with(struct ac_jsonld *p, json_t *cred, const char *verification_method,
                     int64_t created_s, ac_cose_sign_cb sign, void *sign_ctx, char *why,
                     size_t whylen)
{
    char when[32];
    if (ac_ob3_time(created_s, when)) {
        snprintf(why, whylen, "proof.created: %lld is out of range", (long long)created_s);
        return AC_EINVAL;
    }
    return ac_di_sign_with(p, cred, verification_method, when, sign, sign_ctx, 1, why, whylen);
}
