/* fuzz_rdfc.c - feeds arbitrary bytes to the N-Quads parser and whatever
 * parses to RDFC-1.0 canonicalization under small work limits, checking that
 * the result is canonical: it parses back, canonicalizing it again changes
 * nothing, and the same dataset with every blank node renamed and the quads
 * in reverse order gives the same bytes. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/records/rdf.h"
#include "accord/records/rdfc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small enough that a hostile input costs milliseconds, large enough that
 * symmetric graphs of a few blank nodes are canonicalized. */
static const struct ac_rdfc_limits lim = {
    .max_ndegree_calls = 200, .max_permutations = 2000, .max_depth = 16};

static int canon(const struct ac_rdf_dataset *d, struct ac_buf *out, struct ac_rdfc_map *map)
{
    char why[256];
    int rc = ac_rdfc_canonicalize(d, &lim, out, map, why, sizeof why);
    if (rc != 0 && rc != AC_E2BIG && rc != AC_ENOMEM)
        __builtin_trap();
    return rc;
}

/* A copy of |d| with blank node "l" renamed "r.l" and the quads reversed. */
static int relabelled(const struct ac_rdf_dataset *d, struct ac_rdf_dataset *out)
{
    for (size_t i = d->n; i-- > 0;) {
        struct ac_rdf_quad q = d->quads[i];
        struct ac_rdf_term *t[] = {&q.s, &q.o, &q.g};
        char names[3][300];
        for (int j = 0; j < 3; j++) {
            if (t[j]->kind != AC_RDF_BLANK)
                continue;
            if (strlen(t[j]->value) > 280)
                return AC_E2BIG;
            snprintf(names[j], sizeof names[j], "r.%s", t[j]->value);
            t[j]->value = names[j];
        }
        int rc = ac_rdf_dataset_add(out, &q);
        if (rc)
            return rc;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ac_rdf_dataset d = {0}, again = {0}, renamed = {0};
    struct ac_buf out = AC_BUF_INIT, out2 = AC_BUF_INIT, out3 = AC_BUF_INIT;
    struct ac_rdfc_map map = {0};
    char why[256];
    if (ac_rdf_parse_nquads((const char *)data, size, &d, why, sizeof why) != 0)
        goto done;
    if (canon(&d, &out, &map) != 0)
        goto done;
    if (ac_rdf_parse_nquads((const char *)out.data, out.len, &again, why, sizeof why) != 0 ||
        again.n != d.n)
        __builtin_trap();
    if (canon(&again, &out2, NULL) == 0 &&
        (out2.len != out.len || memcmp(out.data, out2.data, out.len) != 0))
        __builtin_trap();
    if (relabelled(&d, &renamed) == 0 && canon(&renamed, &out3, NULL) == 0 &&
        (out3.len != out.len || memcmp(out.data, out3.data, out.len) != 0))
        __builtin_trap();
done:
    ac_rdfc_map_release(&map);
    ac_rdf_dataset_release(&d);
    ac_rdf_dataset_release(&again);
    ac_rdf_dataset_release(&renamed);
    ac_buf_release(&out);
    ac_buf_release(&out2);
    ac_buf_release(&out3);
    return 0;
}
