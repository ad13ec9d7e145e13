/* fuzz_jsonld.c - fuzzes the JSON-LD -> RDF -> RDFC-1.0 path an OB 3.0
 * credential takes through accord-verify: any input is parsed, expanded to
 * RDF and canonicalized, or refused with a reason, never a crash; and what is
 * accepted canonicalizes to the same bytes twice (the processor's context
 * cache must not change an answer), the second time through the view that
 * verification uses (ac_jsonld_to_rdf_view(): quads appended without the
 * dataset's duplicate check, repeats left to RDFC-1.0), which must give the
 * set's bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/records/jsonld.h"
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
    if (ac_jsonld_parse((const char *)data, size, &doc, why, sizeof why) != 0) {
        if (!why[0])
            abort(); /* every refusal must say why */
        return 0;
    }
    struct ac_buf a = AC_BUF_INIT, b = AC_BUF_INIT;
    why[0] = 0;
    int rc = canon(doc, 0, &a, why, sizeof why);
    if (rc != 0 && rc != AC_ENOMEM && !why[0])
        abort();
    if (rc == 0 && (canon(doc, 1, &b, why, sizeof why) != 0 || a.len != b.len ||
                    (a.len && memcmp(a.data, b.data, a.len) != 0)))
        abort();
    ac_buf_release(&a);
    ac_buf_release(&b);
    json_decref(doc);
    return 0;
}
