/* fuzz_jsonld.c - fuzzes the JSON-LD -> RDF -> RDFC-1.0 path an OB 3.0
 * credential takes through accord-verify: any input is parsed, expanded to
 * RDF and canonicalized, or refused with a reason, never a crash; and what is
 * accepted canonicalizes to the same bytes twice (the processor's context
 * cache must not change an answer), the second time through the view that
 * verification uses (ac_jsonld_to_rdf_view(): quads appended without the
 * dataset's duplicate check, repeats left to RDFC-1.0), which must give the
 * set's bytes. The document tree of the verify path (jtree.h) must read
 * every input as ac_jsonld_parse() does: the same refusal and reason, or
 * the same values, which canonicalize to the same bytes again and give the
 * same proof reading (ac_di_proof_get_jt()). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/records/di.h"
#include "accord/records/jsonld.h"
#include "accord/records/jtree.h"
#include "accord/records/rdfc.h"

static struct ac_jsonld *processor;

static void release(void)
{
    ac_jsonld_free(processor);
}

static int canon(const json_t *doc, int view, struct ac_buf *out, char *why, size_t whylen)
{
    struct ac_rdf_dataset d = {0};
    int rc = view ? ac_jsonld_to_rdf_view(processor, doc, NULL, NULL, &d, why, whylen)
                  : ac_jsonld_to_rdf(processor, doc, &d, why, whylen);
    if (rc == 0)
        rc = ac_rdfc_canonicalize(&d, NULL, out, NULL, why, whylen);
    ac_rdf_dataset_release(&d);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[512] = "";
    if (!processor) {
        if (ac_jsonld_new(&processor, why, sizeof why) != 0)
            abort(); /* the shipped contexts must match their pinned digests */
        atexit(release);
    }
    json_t *doc = NULL;
    struct ac_jt_doc *tree = NULL;
    char twhy[512] = "";
    int trc = ac_jt_parse((const char *)data, size, &tree, twhy, sizeof twhy);
    int prc = ac_jsonld_parse((const char *)data, size, &doc, why, sizeof why);
    if (trc != prc && trc != AC_ENOMEM && prc != AC_ENOMEM)
        abort(); /* the two readers disagree */
    if (trc && prc && strcmp(why, twhy) != 0)
        abort();
    if (prc != 0 || trc != 0) {
        if (prc && !why[0])
            abort(); /* every refusal must say why */
        json_decref(doc);
        ac_jt_free(tree);
        return 0;
    }
    json_t *back = NULL;
    struct ac_jt_doc *from = NULL;
    if (ac_jt_to_json(ac_jt_root(tree), &back) == 0 && !json_equal(back, doc))
        abort();
    if (ac_jt_from_json(doc, &from) == 0 && !ac_jt_equal(ac_jt_root(from), ac_jt_root(tree)))
        abort();
    json_decref(back);
    ac_jt_free(from);
    struct ac_di_proof p1, p2;
    char w1[256], w2[256];
    int r1 = ac_di_proof_get(doc, &p1, w1, sizeof w1),
        r2 = ac_di_proof_get_jt(ac_jt_root(tree), &p2, w2, sizeof w2);
    if (r1 != r2 || (r1 && strcmp(w1, w2) != 0) ||
        (!r1 && (strcmp(p1.verification_method, p2.verification_method) != 0 ||
                 memcmp(p1.signature, p2.signature, 64) != 0)))
        abort();
    struct ac_buf a = AC_BUF_INIT, b = AC_BUF_INIT;
    why[0] = 0;
    int rc = canon(doc, 0, &a, why, sizeof why);
    if (rc != 0 && rc != AC_ENOMEM && !why[0])
        abort();
    if (rc == 0 && (canon(doc, 1, &b, why, sizeof why) != 0 || a.len != b.len ||
                    (a.len && memcmp(a.data, b.data, a.len) != 0)))
        abort();
    if (rc == 0) {
        struct ac_rdf_dataset d = {0};
        struct ac_buf c = AC_BUF_INIT;
        int vrc = ac_jsonld_to_rdf_view_jt(processor, ac_jt_root(tree), NULL, NULL, &d, why,
                                           sizeof why);
        if (vrc == 0)
            vrc = ac_rdfc_canonicalize(&d, NULL, &c, NULL, why, sizeof why);
        if (vrc == 0 && (a.len != c.len || (a.len && memcmp(a.data, c.data, a.len) != 0)))
            abort();
        if (vrc != 0 && vrc != AC_ENOMEM)
            abort(); /* accepted as jansson values, refused as a tree */
        ac_rdf_dataset_release(&d);
        ac_buf_release(&c);
    }
    ac_buf_release(&a);
    ac_buf_release(&b);
    ac_jt_free(tree);
    json_decref(doc);
    return 0;
}
