/* ob3.h - the Open Badges 3.0 form of a native record: a W3C VC 2.0
 * OpenBadgeCredential (contexts VC 2.0 then OB 3.0.3, nothing else) built
 * from the record's claims and its definition, and the W3C
 * BitstringStatusListCredentials its credentialStatus entries point at;
 * both secured with an eddsa-rdfc-2022 DataIntegrityProof (di.h).
 * docs/ob3.md maps every member to its source. Stateless; thread-safe. */
#ifndef AC_OB3_H
#define AC_OB3_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "accord/records/jsonld.h"
#include "accord/sign/cose.h"
#include "accord/records/record.h"
#include "accord/records/status.h"

/* An alignment of the definition to a framework (OB 3.0 Alignment). */
struct ac_ob3_alignment {
    const char *target_name;      /* required */
    const char *target_url;       /* required: absolute URL */
    const char *target_framework; /* or NULL */
    const char *target_code;      /* or NULL */
};

/* What the credential is built from; everything borrowed. Optional strings
 * may be NULL or empty and are then left out (no nulls, no empty arrays). */
struct ac_ob3_award {
    const struct ac_record *rec; /* the native record's claims */
    const char *issuer_did;      /* did:web or did:key: the Profile's id */
    const char *issuer_name;     /* Profile name (OB requires one) */
    const char *issuer_url;      /* optional: the node's public base URL */
    const char *achievement_id;  /* absolute IRI of the definition version, no '#' */
    const char *title;           /* Achievement and credential name */
    const char *description;     /* Achievement description (competency); OB requires one */
    const char *criteria;        /* criteria.narrative; required */
    const char *const *levels;   /* the rubric's levels, best first; the achieved one among them */
    size_t nlevels;
    const char *passing_level;   /* optional: lowest passing level (requiredLevel) */
    const struct ac_ob3_alignment *alignments;
    size_t nalignments;
    const char *identity_salt;    /* optional: salt of the record's sha256$ subject when
                                   * the record carries none (claim -65544) */
    const char *status_list_base; /* e.g. "https://n.example/v1/status/ob3/": the lists are
                                   * <base>revocation and <base>suspension */
    const char *log_entry_url;   /* optional: where the inclusion proof is served */
    const char *checkpoint_ref;  /* optional: the checkpoint the entry is under */
};

/* Sets |*out| to a new unsigned OpenBadgeCredential for |a| (the caller
 * drops it with json_decref()). Its id is urn:uuid:<the record's cti>,
 * validFrom and awardedDate the record's iat. Returns 0, AC_ENOMEM, or
 * AC_EINVAL naming the missing or bad input in |why| (e.g. "achieved level
 * \"x\" is not one of the rubric's levels"). */
int ac_ob3_credential(const struct ac_ob3_award *a, json_t **out, char *why, size_t whylen);

/* Sets |*out| to a new unsigned BitstringStatusListCredential whose id is
 * |list_url|, issued by |issuer_did| at |valid_from_s|, for |purpose| with
 * |encoded_list| (ac_status_w3c_encode()) and a ttl of |ttl_ms| (0: none).
 * Returns 0, AC_ENOMEM or AC_EINVAL. */
int ac_ob3_status_list_credential(const char *list_url, const char *issuer_did,
                                  enum ac_status_purpose purpose, const char *encoded_list,
                                  int64_t valid_from_s, int64_t ttl_ms, json_t **out);

/* Writes |seconds| since the epoch as an RFC 3339 UTC time
 * ("2026-12-06T18:00:00Z") into |out|. Returns 0 or AC_ERANGE. */
int ac_ob3_time(int64_t seconds, char out[32]);

/* Signs |cred| in place with ac_di_sign(): proof as a one-element array (the
 * 1EdTech JSON schema's form), created |created_s|, verification method
 * |verification_method|. Returns what ac_di_sign() returns. */
int ac_ob3_sign(struct ac_jsonld *p, json_t *cred, const char *verification_method,
                int64_t created_s, const uint8_t secret_key[64], char *why, size_t whylen);

/* ac_ob3_sign() with a signing callback (e.g. the node's keyring). */
int ac_ob3_sign_with(struct ac_jsonld *p, json_t *cred, const char *verification_method,
                     int64_t created_s, ac_cose_sign_cb sign, void *sign_ctx, char *why,
                     size_t whylen);

#endif
