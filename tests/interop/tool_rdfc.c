/* tool_rdfc.c - canonicalizes an N-Quads file with core/records/rdfc.c and
 * prints the result, for tests/interop/test_rdf_canon_w3c.py to compare with
 * the W3C rdf-canon test suite's expected outputs.
 *
 *   tool_rdfc [--map] [--max-calls N] [--max-permutations N] [--max-depth N]
 *             [--max-steps N] FILE
 *
 * Prints the canonical N-Quads, or with --map the issued identifiers map as
 * a JSON object {"input label": "c14nN", ...}. Exits 0 on success, 3 when a
 * limit refused the input (AC_E2BIG), 1 on any other failure, with the
 * reason on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/records/rdf.h"
#include "accord/records/rdfc.h"

static int read_file(const char *path, struct ac_buf *b)
{
    FILE *f = fopen(path, "rb");
    char chunk[65536];
    size_t n;
    if (!f)
        return AC_EIO;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (ac_buf_append(b, chunk, n)) {
            fclose(f);
            return AC_ENOMEM;
        }
    }
    int bad = ferror(f);
    fclose(f);
    return bad ? AC_EIO : 0;
}

static void print_json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

int main(int argc, char **argv)
{
    struct ac_rdfc_limits lim = {0};
    const char *path = NULL;
    int want_map = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--map") == 0)
            want_map = 1;
        else if (strcmp(argv[i], "--max-calls") == 0 && i + 1 < argc)
            lim.max_ndegree_calls = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--max-permutations") == 0 && i + 1 < argc)
            lim.max_permutations = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--max-depth") == 0 && i + 1 < argc)
            lim.max_depth = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--max-steps") == 0 && i + 1 < argc)
            lim.max_steps = strtoul(argv[++i], NULL, 10);
        else
            path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "usage: tool_rdfc [--map] [--max-calls N] [--max-permutations N] "
                        "[--max-depth N] [--max-steps N] FILE\n");
        return 1;
    }
    struct ac_buf text = AC_BUF_INIT, out = AC_BUF_INIT;
    struct ac_rdf_dataset d = {0};
    struct ac_rdfc_map map = {0};
    char why[512] = "";
    int rc = read_file(path, &text);
    if (rc) {
        fprintf(stderr, "%s: %s\n", path, ac_strerror(rc));
        return 1;
    }
    rc = ac_rdf_parse_nquads((const char *)text.data, text.len, &d, why, sizeof why);
    if (rc == 0)
        rc = ac_rdfc_canonicalize(&d, &lim, &out, want_map ? &map : NULL, why, sizeof why);
    if (rc) {
        fprintf(stderr, "%s: %s: %s\n", path, ac_strerror(rc), why);
    } else if (want_map) {
        printf("{");
        for (size_t i = 0; i < map.n; i++) {
            printf(i ? ", " : "");
            print_json_string(map.entries[i].input);
            printf(": ");
            print_json_string(map.entries[i].canonical);
        }
        printf("}\n");
    } else {
        fwrite(out.data, 1, out.len, stdout);
    }
    ac_rdfc_map_release(&map);
    ac_rdf_dataset_release(&d);
    ac_buf_release(&out);
    ac_buf_release(&text);
    return rc == 0 ? 0 : rc == AC_E2BIG ? 3 : 1;
}
