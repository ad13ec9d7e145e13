/* dataintegrity.c - eddsa-rdfc-2022 Data Integrity proofs: creation and
 * verification (W3C Data Integrity EdDSA Cryptosuites v1.0, 3.3). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/error.h"
#include "accord/records/di.h"
#include "accord/records/multibase.h"
#include "accord/records/rdfc.h"
#include "accord/records/sha256.h"

/* SHA-256 of the canonical N-Quads of |doc| read with |context| for its
 * @context and without its member |skip| (ac_jsonld_to_rdf_view());
 * appends them to |keep|. */
static int canonical_hash(struct ac_jsonld *p, const struct ac_jt *doc, const struct ac_jt *context,
                          const char *skip, uint8_t hash[32], struct ac_buf *keep,
                          const char *what, char *why, size_t whylen)
{
    struct ac_rdf_dataset d = {0};
    struct ac_buf canon = AC_BUF_INIT;
    char inner[384];
    int rc = ac_jsonld_to_rdf_view_jt(p, doc, context, skip, &d, inner, sizeof inner);
    if (rc == 0) {
        rc = ac_rdfc_canonicalize(&d, NULL, &canon, NULL, inner, sizeof inner);
        if (rc && rc != AC_ENOMEM)
            snprintf(why, whylen, "%s: canonicalization refused: %s", what, inner);
    } else if (rc != AC_ENOMEM) {
        snprintf(why, whylen, "%s: %s", what, inner);
    }
    ac_rdf_dataset_release(&d);
    if (rc == 0) {
        ac_sha256(hash, canon.data ? canon.data : (const uint8_t *)"", canon.len);
        if (keep)
            rc = ac_buf_append(keep, canon.data ? canon.data : (const uint8_t *)"", canon.len);
    }
    ac_buf_release(&canon);
    return rc;
}

/* ac_di_hash() of trees: the work of both paths. */
static int hash_jt(struct ac_jsonld *p, const struct ac_jt *doc, const struct ac_jt *proof,
                   uint8_t hash_data[64], struct ac_buf *canon_proof, struct ac_buf *canon_doc,
                   char *why, size_t whylen)
{
    if (!ac_jt_is_object(doc) || !ac_jt_is_object(proof)) {
        snprintf(why, whylen, "the document and its proof must be JSON objects");
        return AC_EINVAL;
    }
    /* 3.3.5 proof configuration: the proof less proofValue, with the
     * document's @context (the proof's own when the document has none);
     * 3.3.1: the unsecured document, less proof. Both are read in place
     * rather than built as copies: copying the two objects cost a tenth of
     * a verification's allocations. */
    const struct ac_jt *ctx = ac_jt_get(doc, "@context");
    int rc = canonical_hash(p, proof, ctx, "proofValue", hash_data, canon_proof, "proof", why,
                            whylen);
    if (!rc)
        rc = canonical_hash(p, doc, NULL, "proof", hash_data + 32, canon_doc, "document", why,
                            whylen);
    return rc;
}

/* A tree over a jansson argument of the public functions below (its
 * strings borrowed), or NULL for NULL. Returns 0 or AC_ENOMEM. */
static int view(const json_t *v, struct ac_jt_doc **out)
{
    *out = NULL;
    return v ? ac_jt_from_json(v, out) : 0;
}

static const struct ac_jt *root_or_null(const struct ac_jt_doc *d)
{
    return d ? ac_jt_root(d) : NULL;
}

int ac_di_hash(struct ac_jsonld *p, const json_t *doc, const json_t *proof, uint8_t hash_data[64],
               struct ac_buf *canon_proof, struct ac_buf *canon_doc, char *why, size_t whylen)
{
    struct ac_jt_doc *d, *pd = NULL;
    int rc = view(doc, &d);
    if (!rc)
        rc = view(proof, &pd);
    if (!rc)
        rc = hash_jt(p, root_or_null(d), root_or_null(pd), hash_data, canon_proof, canon_doc, why,
                     whylen);
    ac_jt_free(pd);
    ac_jt_free(d);
    return rc;
}

static int sign_with_key(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64])
{
    crypto_sign_detached(sig, NULL, msg, len, ctx);
    return 0;
}

int ac_di_sign(struct ac_jsonld *p, json_t *doc, const char *verification_method,
               const char *created, const uint8_t secret_key[64], int as_array, char *why,
               size_t whylen)
{
    return ac_di_sign_with(p, doc, verification_method, created, sign_with_key,
                           (void *)secret_key, as_array, why, whylen);
}

int ac_di_sign_with(struct ac_jsonld *p, json_t *doc, const char *verification_method,
                    const char *created, ac_cose_sign_cb sign, void *sign_ctx, int as_array,
                    char *why, size_t whylen)
{
    if (json_object_get(doc, "proof")) {
        snprintf(why, whylen, "proof: the document already has one");
        return AC_EEXIST;
    }
    json_t *proof = json_pack("{ssssssssss}", "type", "DataIntegrityProof", "cryptosuite",
                              AC_DI_CRYPTOSUITE, "created", created, "verificationMethod",
                              verification_method, "proofPurpose", "assertionMethod");
    if (!proof)
        return AC_ENOMEM;
    uint8_t hash[64], sig[64];
    char value[AC_MULTIBASE_SIG_MAX];
    int rc = ac_di_hash(p, doc, proof, hash, NULL, NULL, why, whylen);
    if (rc)
        goto out;
    if ((rc = sign(sign_ctx, hash, sizeof hash, sig))) {
        snprintf(why, whylen, "proof: signing failed");
        goto out;
    }
    if ((rc = ac_multibase_b58_encode(sig, sizeof sig, value, sizeof value)))
        goto out;
    rc = AC_ENOMEM;
    if (json_object_set_new(proof, "proofValue", json_string(value)))
        goto out;
    if (as_array) {
        json_t *arr = json_array();
        if (!arr || json_array_append(arr, proof) || json_object_set_new(doc, "proof", arr)) {
            json_decref(arr);
            goto out;
        }
    } else if (json_object_set(doc, "proof", proof)) {
        goto out;
    }
    rc = 0;
out:
    json_decref(proof);
    return rc;
}

/* XML Schema dateTime (lexical form): YYYY-MM-DDThh:mm:ss(.s+)?(Z|(+|-)hh:mm)?. */
static int is_datetime(const char *s)
{
    const char *shape = "dddd-dd-ddTdd:dd:dd";
    for (size_t i = 0; shape[i]; i++, s++) {
        if (shape[i] == 'd' ? !isdigit((unsigned char)*s) : *s != shape[i])
            return 0;
    }
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)*s))
            return 0;
        while (isdigit((unsigned char)*s))
            s++;
    }
    if (*s == 'Z')
        return s[1] == 0;
    if (*s == '+' || *s == '-')
        return isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]) && s[3] == ':' &&
               isdigit((unsigned char)s[4]) && isdigit((unsigned char)s[5]) && s[6] == 0;
    return *s == 0;
}

static const struct ac_jt *single_proof(const struct ac_jt *doc, char *why, size_t whylen)
{
    const struct ac_jt *proof = ac_jt_get(doc, "proof");
    if (ac_jt_is_array(proof)) {
        if (ac_jt_size(proof) != 1) {
            snprintf(why, whylen, "proof: %zu proofs; exactly one is accepted",
                     ac_jt_size(proof));
            return NULL;
        }
        proof = ac_jt_item(proof, 0);
    }
    if (!ac_jt_is_object(proof)) {
        snprintf(why, whylen, "proof: missing, or not an object");
        return NULL;
    }
    return proof;
}

int ac_di_proof_get_jt(const struct ac_jt *doc, struct ac_di_proof *out, char *why, size_t whylen)
{
    const struct ac_jt *proof = single_proof(doc, why, whylen);
    if (!proof)
        return AC_EINVAL;
    const char *type = ac_jt_string(ac_jt_get(proof, "type"));
    const char *suite = ac_jt_string(ac_jt_get(proof, "cryptosuite"));
    const char *vm = ac_jt_string(ac_jt_get(proof, "verificationMethod"));
    const char *purpose = ac_jt_string(ac_jt_get(proof, "proofPurpose"));
    const char *value = ac_jt_string(ac_jt_get(proof, "proofValue"));
    const struct ac_jt *created = ac_jt_get(proof, "created");
    size_t n;
    if (!type || strcmp(type, "DataIntegrityProof") != 0) {
        snprintf(why, whylen, "proof.type: \"%s\" is not DataIntegrityProof", type ? type : "");
        return AC_EINVAL;
    }
    if (!suite || strcmp(suite, AC_DI_CRYPTOSUITE) != 0) {
        snprintf(why, whylen, "proof.cryptosuite: \"%s\" is not %s", suite ? suite : "",
                 AC_DI_CRYPTOSUITE);
        return AC_EINVAL;
    }
    if (!vm || !*vm) {
        snprintf(why, whylen, "proof.verificationMethod: missing");
        return AC_EINVAL;
    }
    if (!purpose) {
        snprintf(why, whylen, "proof.proofPurpose: missing");
        return AC_EINVAL;
    }
    if (created && (!ac_jt_is_string(created) || !is_datetime(ac_jt_string(created)))) {
        snprintf(why, whylen, "proof.created: not an XML Schema dateTime");
        return AC_EINVAL;
    }
    if (!value || ac_multibase_b58_decode(value, out->signature, sizeof out->signature, &n) ||
        n != 64) {
        snprintf(why, whylen, "proof.proofValue: not a base58btc multibase 64-byte signature");
        return AC_EINVAL;
    }
    out->verification_method = vm;
    out->created = ac_jt_string(created);
    out->purpose = purpose;
    return 0;
}

int ac_di_verify(struct ac_jsonld *p, const json_t *doc, const uint8_t public_key[32], char *why,
                 size_t whylen)
{
    struct ac_di_proof pr;
    int rc = ac_di_proof_get(doc, &pr, why, whylen);
    if (rc)
        return rc;
    return ac_di_verify_read(p, doc, &pr, public_key, why, whylen);
}

int ac_di_verify_read_jt(struct ac_jsonld *p, const struct ac_jt *doc,
                         const struct ac_di_proof *pr, const uint8_t public_key[32], char *why,
                         size_t whylen)
{
    int rc;
    if (strcmp(pr->purpose, "assertionMethod") != 0) {
        snprintf(why, whylen, "proof.proofPurpose: \"%s\" is not assertionMethod", pr->purpose);
        return AC_EINVAL;
    }
    const struct ac_jt *proof = single_proof(doc, why, whylen);
    if (!proof)
        return AC_EINVAL;
    /* 3.3.2 step 4: a proof that carries its own @context must name the
     * document's contexts, in order, as a prefix of them. */
    const struct ac_jt *pctx = ac_jt_get(proof, "@context");
    if (pctx) {
        const struct ac_jt *dctx = ac_jt_get(doc, "@context");
        size_t np = ac_jt_is_array(pctx) ? ac_jt_size(pctx) : 1;
        int ok = ac_jt_is_array(dctx) && ac_jt_size(dctx) >= np;
        for (size_t i = 0; ok && i < np; i++)
            ok = ac_jt_equal(ac_jt_is_array(pctx) ? ac_jt_item(pctx, i) : pctx,
                             ac_jt_item(dctx, i));
        if (!ok) {
            snprintf(why, whylen, "proof.@context: not the start of the document's @context");
            return AC_EINVAL;
        }
    }
    uint8_t hash[64];
    if ((rc = hash_jt(p, doc, proof, hash, NULL, NULL, why, whylen)))
        return rc;
    if (crypto_sign_verify_detached(pr->signature, hash, sizeof hash, public_key) != 0) {
        snprintf(why, whylen, "proof.proofValue: the signature does not verify with the key of %s",
                 pr->verification_method);
        return AC_ECRYPTO;
    }
    return 0;
}

int ac_di_proof_get(const json_t *doc, struct ac_di_proof *out, char *why, size_t whylen)
{
    struct ac_jt_doc *d;
    int rc = view(doc, &d);
    if (!rc)
        rc = ac_di_proof_get_jt(root_or_null(d), out, why, whylen);
    ac_jt_free(d); /* |out|'s strings are |doc|'s, which the tree borrowed */
    return rc;
}

int ac_di_verify_read(struct ac_jsonld *p, const json_t *doc, const struct ac_di_proof *pr,
                      const uint8_t public_key[32], char *why, size_t whylen)
{
    struct ac_jt_doc *d;
    int rc = view(doc, &d);
    if (!rc)
        rc = ac_di_verify_read_jt(p, root_or_null(d), pr, public_key, why, whylen);
    ac_jt_free(d);
    return rc;
}
