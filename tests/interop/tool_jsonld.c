/* tool_jsonld.c - expands a JSON-LD document with core/records/jsonld.c,
 * canonicalizes it with RDFC-1.0 and prints the canonical N-Quads, for
 * tests/interop/test_jsonld_jsonldjs.py to compare with jsonld.js.
 *
 *   tool_jsonld FILE
 *
 * Exits 0 with the N-Quads on stdout, 2 when the document is refused (the
 * reason on stderr), 1 on any other failure. */
#include <stdio.h>
#include <stdlib.h>

#include "accord/base/error.h"
#include "accord/records/jsonld.h"
#include "accord/records/rdfc.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 64;
    }
    FILE *f = fopen(argv[1], "rb");
    struct ac_buf text = AC_BUF_INIT, out = AC_BUF_INIT;
    char chunk[65536], why[512] = "";
    size_t n;
    if (!f)
        return 1;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (ac_buf_append(&text, chunk, n))
            return 1;
    fclose(f);
    struct ac_jsonld *p;
    json_t *doc = NULL;
    struct ac_rdf_dataset d = {0};
    int rc = ac_jsonld_new(&p, why, sizeof why);
    if (!rc)
        rc = ac_jsonld_parse((const char *)text.data, text.len, &doc, why, sizeof why);
    if (!rc)
        rc = ac_jsonld_to_rdf(p, doc, &d, why, sizeof why);
    if (!rc)
        rc = ac_rdfc_canonicalize(&d, NULL, &out, NULL, why, sizeof why);
    if (!rc)
        fwrite(out.data, 1, out.len, stdout);
    else
        fprintf(stderr, "%s\n", why[0] ? why : ac_strerror(rc));
    ac_rdf_dataset_release(&d);
    json_decref(doc);
    ac_jsonld_free(p);
    ac_buf_release(&text);
    ac_buf_release(&out);
    return rc == 0 ? 0 : rc == AC_EINVAL || rc == AC_EPARSE || rc == AC_E2BIG ? 2 : 1;
}
