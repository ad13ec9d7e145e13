/* test_rdfc.c - tests core/records/rdfc.c: small graphs whose canonical form
 * is derived here step by step from the algorithm text of RDFC-1.0
 * (https://www.w3.org/TR/rdf-canon/), the work limits against poison graphs,
 * malformed datasets, and failed allocations. The whole W3C test suite runs
 * in tests/interop/test_rdf_canon_w3c.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "accord/base/error.h"
#include "accord/records/rdf.h"
#include "accord/records/rdfc.h"

/* ---- allocation failure (see test_rdf.c for why this works) ------------------- */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ALLOC_FAIL 0
#else
#define ALLOC_FAIL 1
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
static long fail_at = -1;
static long allocs;

static int failing(void)
{
    return fail_at >= 0 && allocs++ == fail_at;
}

/* Valgrind puts its own malloc in place of ours; then there is nothing to
 * fail and the test skips. */
static int alloc_failure_works(void)
{
    void *(*volatile alloc)(size_t) = malloc; /* a call the compiler cannot elide */
    allocs = 0;
    fail_at = 0;
    void *p = alloc(1);
    fail_at = -1;
    free(p);
    return p == NULL;
}
static long live; /* blocks allocated and not yet freed, to find leaks */

void *malloc(size_t n)
{
    void *p = failing() ? NULL : __libc_malloc(n);
    live += p != NULL;
    return p;
}
void *calloc(size_t n, size_t m)
{
    void *p = failing() ? NULL : __libc_calloc(n, m);
    live += p != NULL;
    return p;
}
void *realloc(void *p, size_t n)
{
    void *q = failing() ? NULL : __libc_realloc(p, n);
    live += !p && q;
    return q;
}
void free(void *p)
{
    live -= p != NULL;
    __libc_free(p);
}
#endif

static void parse(const char *text, struct ac_rdf_dataset *d)
{
    char why[256] = "";
    if (ac_rdf_parse_nquads(text, strlen(text), d, why, sizeof why))
        fail_msg("parse: %s", why);
}

/* Canonicalizes |text| with limits |lim| and returns the canonical N-Quads
 * (caller frees) or NULL with |*rc| and |why| set. */
static char *canon(const char *text, const struct ac_rdfc_limits *lim, struct ac_rdfc_map *map,
                   int *rc, char *why, size_t whylen)
{
    struct ac_rdf_dataset d = {0};
    struct ac_buf out = AC_BUF_INIT;
    parse(text, &d);
    *rc = ac_rdfc_canonicalize(&d, lim, &out, map, why, whylen);
    ac_rdf_dataset_release(&d);
    if (*rc) {
        assert_int_equal(0, out.len);
        ac_buf_release(&out);
        return NULL;
    }
    assert_int_equal(0, ac_buf_push(&out, 0));
    return (char *)ac_buf_steal(&out, NULL);
}

static void sha256_hex(const char *s, char hex[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
    sodium_bin2hex(hex, 65, h, sizeof h);
}

static const char *map_lookup(const struct ac_rdfc_map *m, const char *input)
{
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->entries[i].input, input) == 0)
            return m->entries[i].canonical;
    }
    return NULL;
}

/* Two blank nodes that first degree hashing tells apart:
 *     _:x <urn:knows> _:y .
 *     _:y <urn:name> "Bob" .
 * Section 4.6 (Hash First Degree Quads) serializes each blank node's quads
 * with itself as _:a and every other blank node as _:z, sorts the lines in
 * code point order, and hashes them joined:
 *     x: "_:a <urn:knows> _:z .\n"
 *     y: "_:a <urn:name> \"Bob\" .\n" then "_:z <urn:knows> _:a .\n"
 * Both hashes are unique, so step 4 of section 4.4 issues c14n0 to the blank
 * node with the smaller hash and c14n1 to the other; step 7 relabels and
 * sorts the lines. */
static void
test_two_blank_nodes_are_labelled_in_the_order_of_their_first_degree_hashes(void **state)
{
    (void)state;
    char hx[65], hy[65], why[256] = "", want[256];
    struct ac_rdfc_map map = {0};
    int rc;
    sha256_hex("_:a <urn:knows> _:z .\n", hx);
    sha256_hex("_:a <urn:name> \"Bob\" .\n_:z <urn:knows> _:a .\n", hy);
    const char *x = strcmp(hx, hy) < 0 ? "c14n0" : "c14n1";
    const char *y = strcmp(hx, hy) < 0 ? "c14n1" : "c14n0";
    char l1[64], l2[64];
    snprintf(l1, sizeof l1, "_:%s <urn:knows> _:%s .\n", x, y);
    snprintf(l2, sizeof l2, "_:%s <urn:name> \"Bob\" .\n", y);
    snprintf(want, sizeof want, "%s%s", strcmp(l1, l2) < 0 ? l1 : l2, strcmp(l1, l2) < 0 ? l2 : l1);

    char *got = canon("_:x <urn:knows> _:y .\n_:y <urn:name> \"Bob\" .\n", NULL, &map, &rc, why,
                      sizeof why);
    assert_non_null(got);
    assert_string_equal(want, got);
    assert_int_equal(2, map.n);
    assert_string_equal(x, map_lookup(&map, "x"));
    assert_string_equal(y, map_lookup(&map, "y"));
    assert_string_equal("c14n0", map.entries[0].canonical);
    free(got);
    ac_rdfc_map_release(&map);
}

/* Published canonical forms from the vectors of issue 13, section 3, here
 * with the blank node renamed and the lines reversed: canonicalization must
 * give back the published bytes, whose SHA-256 is the published hash.
 *  - 1EdTech openbadges-specification @ 1af145ff, ob_v3p0/impl/test-vectors/
 *    obv3p0/document-canon.txt; "docHash" of linked-data-proof-ob.html.
 *  - w3c/vc-di-eddsa @ abb673eb, TestVectors/eddsa-rdfc-2022/
 *    proofCanonDataInt.txt and proofHashDataInt.txt. */
static const char ob3_document_shuffled[] =
    "_:criteria <https://purl.imsglobal.org/spec/vc/ob/vocab.html#narrative> \"Team members are "
    "nominated for this badge by their peers and recognized upon review by Example Corp "
    "management.\" .\n"
    "<https://example.edu/issuers/565049> <https://schema.org/url> "
    "\"https://www.imsglobal.org\"^^<https://www.w3.org/2001/XMLSchema#anyURI> .\n"
    "<https://example.edu/issuers/565049> <https://schema.org/name> \"Example Corp\" .\n"
    "<https://example.edu/issuers/565049> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
    "<https://purl.imsglobal.org/spec/vc/ob/vocab.html#Profile> .\n"
    "<https://example.com/achievements/21st-century-skills/teamwork> <https://schema.org/name> "
    "\"Teamwork\" .\n"
    "<https://example.com/achievements/21st-century-skills/teamwork> "
    "<https://schema.org/description> \"This badge recognizes the development of the capacity to "
    "collaborate within a group environment.\" .\n"
    "<https://example.com/achievements/21st-century-skills/teamwork> "
    "<https://purl.imsglobal.org/spec/vc/ob/vocab.html#Criteria> _:criteria .\n"
    "<https://example.com/achievements/21st-century-skills/teamwork> "
    "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
    "<https://purl.imsglobal.org/spec/vc/ob/vocab.html#Achievement> .\n"
    "<http://example.com/credentials/3527> <https://www.w3.org/2018/credentials#validFrom> "
    "\"2010-01-01T00:00:00Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n"
    "<http://example.com/credentials/3527> <https://www.w3.org/2018/credentials#issuer> "
    "<https://example.edu/issuers/565049> .\n"
    "<http://example.com/credentials/3527> <https://www.w3.org/2018/credentials#credentialSubject> "
    "<did:example:ebfeb1f712ebc6f1c276e12ec21> .\n"
    "<http://example.com/credentials/3527> <https://schema.org/name> \"Teamwork Badge\" .\n"
    "<http://example.com/credentials/3527> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
    "<https://www.w3.org/2018/credentials#VerifiableCredential> .\n"
    "<http://example.com/credentials/3527> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
    "<https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential> .\n"
    "<did:example:ebfeb1f712ebc6f1c276e12ec21> "
    "<https://purl.imsglobal.org/spec/vc/ob/vocab.html#achievement> "
    "<https://example.com/achievements/21st-century-skills/teamwork> .\n"
    "<did:example:ebfeb1f712ebc6f1c276e12ec21> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
    "<https://purl.imsglobal.org/spec/vc/ob/vocab.html#AchievementSubject> .\n";
static const char w3c_proof_shuffled[] =
    "_:proof <https://w3id.org/security#verificationMethod> "
    "<did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#"
    "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2> .\n"
    "_:proof <https://w3id.org/security#proofPurpose> <https://w3id.org/security#assertionMethod> "
    ".\n"
    "_:proof <https://w3id.org/security#cryptosuite> "
    "\"eddsa-rdfc-2022\"^^<https://w3id.org/security#cryptosuiteString> .\n"
    "_:proof <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
    "<https://w3id.org/security#DataIntegrityProof> .\n"
    "_:proof <http://purl.org/dc/terms/created> "
    "\"2023-02-24T23:36:38Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n";

static void check_published(const char *shuffled, const char *published_sha256_hex)
{
    char why[256] = "", hex[65];
    int rc;
    char *got = canon(shuffled, NULL, NULL, &rc, why, sizeof why);
    assert_non_null(got);
    sha256_hex(got, hex);
    assert_string_equal(published_sha256_hex, hex);
    free(got);
}

static void test_the_1edtech_ob3_document_vector_canonicalizes_to_its_published_hash(void **state)
{
    (void)state;
    check_published(ob3_document_shuffled,
                    "87f65a76d40146205e3b3e06cb0fbd153f97f9ce70372390f52566bb7f9e0773");
}

static void
test_the_w3c_eddsa_rdfc_2022_proof_vector_canonicalizes_to_its_published_hash(void **state)
{
    (void)state;
    check_published(w3c_proof_shuffled,
                    "bea7b7acfbad0126b135104024a5f1733e705108f42d59668b05c0c50004c6b0");
}

/* Two blank nodes pointing at each other have equal first degree hashes, so
 * they reach Hash N-Degree Quads (section 4.8). The graph is symmetric under
 * swapping them, so both get the same N-degree hash; the hash path list is
 * then in the order of the identifier list (first appearance, x first), x's
 * issuer issued x then y, and step 5.4 gives x c14n0 and y c14n1. Any
 * labelling gives the same two lines. */
static void test_a_symmetric_pair_is_labelled_through_the_n_degree_search(void **state)
{
    (void)state;
    char why[256] = "";
    struct ac_rdfc_map map = {0};
    int rc;
    char *got = canon("_:x <urn:p> _:y .\n_:y <urn:p> _:x .\n", NULL, &map, &rc, why, sizeof why);
    assert_non_null(got);
    assert_string_equal("_:c14n0 <urn:p> _:c14n1 .\n_:c14n1 <urn:p> _:c14n0 .\n", got);
    assert_string_equal("c14n0", map_lookup(&map, "x"));
    assert_string_equal("c14n1", map_lookup(&map, "y"));
    free(got);
    ac_rdfc_map_release(&map);
}

static void test_the_same_graph_under_other_labels_and_order_canonicalizes_identically(void **state)
{
    (void)state;
    char why[256] = "";
    int rc;
    char *a = canon("_:a <urn:p> _:b .\n_:b <urn:p> _:c .\n_:c <urn:p> _:a .\n"
                    "_:a <urn:q> \"1\" _:g .\n",
                    NULL, NULL, &rc, why, sizeof why);
    char *b = canon("_:n2 <urn:q> \"1\" _:gg .\n_:n3 <urn:p> _:n2 .\n_:n1 <urn:p> _:n3 .\n"
                    "_:n2 <urn:p> _:n1 .\n",
                    NULL, NULL, &rc, why, sizeof why);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a, b);
    free(a);
    free(b);
}

static void test_ground_quads_are_sorted_and_duplicates_dropped(void **state)
{
    (void)state;
    /* A dataset built by hand may hold a quad twice; the output is a set. */
    struct ac_rdf_quad q[3] = {
        {.s = {AC_RDF_IRI, "urn:b", NULL, NULL},
         .p = {AC_RDF_IRI, "urn:p", NULL, NULL},
         .o = {AC_RDF_LITERAL, "2", NULL, NULL}},
        {.s = {AC_RDF_IRI, "urn:a", NULL, NULL},
         .p = {AC_RDF_IRI, "urn:p", NULL, NULL},
         .o = {AC_RDF_LITERAL, "1", NULL, NULL},
         .g = {AC_RDF_IRI, "urn:g", NULL, NULL}},
        {.s = {AC_RDF_IRI, "urn:b", NULL, NULL},
         .p = {AC_RDF_IRI, "urn:p", NULL, NULL},
         .o = {AC_RDF_LITERAL, "2", AC_RDF_XSD_STRING, NULL}},
    };
    struct ac_rdf_dataset d = {.quads = q, .n = 3, .cap = 3};
    struct ac_buf out = AC_BUF_INIT;
    assert_int_equal(0, ac_rdfc_canonicalize(&d, NULL, &out, NULL, NULL, 0));
    assert_int_equal(0, ac_buf_terminate(&out));
    assert_string_equal("<urn:a> <urn:p> \"1\" <urn:g> .\n<urn:b> <urn:p> \"2\" .\n",
                        (char *)out.data);
    ac_buf_release(&out);
}

static void test_an_empty_dataset_canonicalizes_to_nothing(void **state)
{
    (void)state;
    struct ac_rdf_dataset d = {0};
    struct ac_buf out = AC_BUF_INIT;
    struct ac_rdfc_map map = {0};
    assert_int_equal(0, ac_rdfc_canonicalize(&d, NULL, &out, &map, NULL, 0));
    assert_int_equal(0, out.len);
    assert_int_equal(0, map.n);
    ac_rdfc_map_release(&map);
    ac_buf_release(&out);
}

/* The shape of the suite's poison graph (test074): n blank nodes, each with
 * an edge to every one (itself included), so no hash tells any apart. */
static char *complete_graph(int n)
{
    struct ac_buf b = AC_BUF_INIT;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++)
            assert_int_equal(0, ac_buf_printf(&b, "_:e%d <urn:p> _:e%d .\n", i, j));
    }
    assert_int_equal(0, ac_buf_push(&b, 0));
    return (char *)ac_buf_steal(&b, NULL);
}

static void test_a_poison_graph_is_refused_with_the_limit_it_reached(void **state)
{
    (void)state;
    char why[256] = "", *text = complete_graph(10);
    struct ac_rdfc_map map = {0};
    int rc;
    assert_null(canon(text, NULL, &map, &rc, why, sizeof why));
    assert_int_equal(AC_E2BIG, rc);
    assert_non_null(strstr(why, "limit max_"));
    assert_non_null(strstr(why, "poison graph"));
    assert_int_equal(0, map.n);
    assert_null(map.entries);
    free(text);
}

static void test_each_limit_refuses_a_graph_that_needs_more_than_it(void **state)
{
    (void)state;
    char why[256] = "", *text = complete_graph(3), *ok;
    int rc;
    struct ac_rdfc_limits calls = {.max_ndegree_calls = 2}, perms = {.max_permutations = 2},
                          depth = {.max_depth = 1}, steps = {.max_steps = 5};
    assert_null(canon(text, &calls, NULL, &rc, why, sizeof why));
    assert_int_equal(AC_E2BIG, rc);
    assert_non_null(strstr(why, "more than 2 times (limit max_ndegree_calls)"));
    assert_null(canon(text, &perms, NULL, &rc, why, sizeof why));
    assert_int_equal(AC_E2BIG, rc);
    assert_non_null(strstr(why, "more than 2 permutations"));
    assert_null(canon(text, &steps, NULL, &rc, why, sizeof why));
    assert_int_equal(AC_E2BIG, rc);
    assert_non_null(strstr(why, "more than 5 steps (limit max_steps)"));
    /* The defaults are generous enough for this small one. */
    ok = canon(text, NULL, NULL, &rc, why, sizeof why);
    assert_non_null(ok);
    free(ok);
    free(text);
    /* In a directed cycle each blank node's only unlabelled neighbour is the
     * next one, so the search recurses once per node round the cycle. */
    const char *cycle = "_:a <urn:p> _:b .\n_:b <urn:p> _:c .\n_:c <urn:p> _:d .\n"
                        "_:d <urn:p> _:e .\n_:e <urn:p> _:a .\n";
    assert_null(canon(cycle, &depth, NULL, &rc, why, sizeof why));
    assert_int_equal(AC_E2BIG, rc);
    assert_non_null(strstr(why, "deeper than 1 (limit max_depth)"));
    ok = canon(cycle, NULL, NULL, &rc, why, sizeof why);
    assert_non_null(ok);
    free(ok);
}

static void test_a_graph_without_symmetry_needs_no_n_degree_calls(void **state)
{
    (void)state;
    char why[256] = "", *got;
    int rc;
    /* One call allowed would already be too many for a poison graph, but
     * blank nodes with distinct neighbourhoods never use it. */
    struct ac_rdfc_limits none = {.max_ndegree_calls = 1, .max_permutations = 1, .max_depth = 1};
    got = canon("_:issuer <urn:name> \"A\" .\n_:subject <urn:name> \"B\" .\n"
                "_:cred <urn:issuer> _:issuer .\n_:cred <urn:subject> _:subject .\n",
                &none, NULL, &rc, why, sizeof why);
    assert_non_null(got);
    free(got);
}

/* Terms that could not be written unambiguously: an IRI holding "> <" or a
 * language tag holding " ." could make two datasets print alike. */
static void test_a_malformed_dataset_is_refused_as_einval_naming_quad_and_position(void **state)
{
    (void)state;
    static const struct {
        struct ac_rdf_term s, o;
        const char *why;
    } cases[] = {
        {{AC_RDF_LITERAL, "x", NULL, NULL},
         {AC_RDF_IRI, "urn:o", NULL, NULL},
         "quad 1, subject: a kind of term"},
        {{AC_RDF_IRI, "urn:s", NULL, NULL},
         {AC_RDF_IRI, "urn:o> <urn:p> <urn:x", NULL, NULL},
         "quad 1, object: an IRI that is relative or holds"},
        {{AC_RDF_IRI, "relative/path", NULL, NULL},
         {AC_RDF_IRI, "urn:o", NULL, NULL},
         "quad 1, subject: an IRI that is relative"},
        {{AC_RDF_IRI, "urn:s", NULL, NULL},
         {AC_RDF_LITERAL, "v", NULL, "en .\n<urn:a>"},
         "quad 1, object: a language tag that is not"},
        {{AC_RDF_IRI, "urn:s", NULL, NULL},
         {AC_RDF_LITERAL, "v", "urn:dt>", NULL},
         "quad 1, object: a datatype that is not"},
        {{AC_RDF_IRI, "urn:s", NULL, NULL},
         {AC_RDF_BLANK, NULL, NULL, NULL},
         "quad 1, object: a term without a value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* Built directly, as a JSON-LD expander with a bug might. */
        struct ac_rdf_quad q[2] = {
            {.s = {AC_RDF_IRI, "urn:fine", NULL, NULL},
             .p = {AC_RDF_IRI, "urn:p", NULL, NULL},
             .o = {AC_RDF_LITERAL, "ok", NULL, NULL}},
            {.s = cases[i].s, .p = {AC_RDF_IRI, "urn:p", NULL, NULL}, .o = cases[i].o},
        };
        struct ac_rdf_dataset d = {.quads = q, .n = 2, .cap = 2};
        struct ac_buf out = AC_BUF_INIT;
        char why[256] = "";
        int rc = ac_rdfc_canonicalize(&d, NULL, &out, NULL, why, sizeof why);
        if (rc != AC_EINVAL || !strstr(why, cases[i].why))
            fail_msg("case %zu: rc %d, why \"%s\", expected \"...%s...\"", i, rc, why,
                     cases[i].why);
        assert_int_equal(0, out.len);
        ac_buf_release(&out);
    }
}

/* RDFC-1.0 checks and writes a term once per distinct string pointers:
 * quads sharing pointers canonicalize as copies of them do, and a bad term
 * is refused at the first quad that holds it, whether its pointers were
 * met before or not (literal datatypes are remembered separately). */
static void test_terms_shared_by_pointer_are_checked_and_written_like_copies(void **state)
{
    (void)state;
    static const char *const dts[] = {"urn:dt:0", "urn:dt:1", "urn:dt:2", "urn:dt:3",
                                      "urn:dt:4", "urn:dt:5", "urn:dt:6", "urn:dt:7",
                                      "urn:dt:8", "urn:dt:9"};
    struct ac_rdf_quad shared[40];
    struct ac_rdf_dataset copies = {0};
    char values[40][8];
    for (int i = 0; i < 40; i++) {
        snprintf(values[i], sizeof values[i], "%d", i);
        shared[i] = (struct ac_rdf_quad){
            .s = {i % 2 ? AC_RDF_BLANK : AC_RDF_IRI, i % 2 ? "b" : "urn:s", NULL, NULL},
            .p = {AC_RDF_IRI, i % 3 ? "urn:p" : "urn:q", NULL, NULL},
            .o = {AC_RDF_LITERAL, values[i], (char *)dts[i % 10], NULL}};
        assert_int_equal(0, ac_rdf_dataset_add(&copies, &shared[i]));
    }
    struct ac_rdf_dataset d = {.quads = shared, .n = 40, .cap = 40};
    struct ac_buf a = AC_BUF_INIT, b = AC_BUF_INIT;
    char why[256] = "";
    assert_int_equal(0, ac_rdfc_canonicalize(&d, NULL, &a, NULL, why, sizeof why));
    assert_int_equal(0, ac_rdfc_canonicalize(&copies, NULL, &b, NULL, why, sizeof why));
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    ac_buf_release(&a);
    ac_buf_release(&b);
    ac_rdf_dataset_release(&copies);

    /* A bad datatype after ten good ones (more than are remembered), a bad
     * subject IRI shared by two quads: refused where each first appears. */
    static const char *const bad[] = {"urn:dt>", "urn:s> <urn:x"};
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < 40; i++) {
            shared[i].o.datatype = (char *)dts[i % 10];
            shared[i].s = (struct ac_rdf_term){AC_RDF_IRI, "urn:s", NULL, NULL};
        }
        if (k == 0)
            shared[25].o.datatype = (char *)bad[0];
        else
            shared[25].s.value = shared[30].s.value = (char *)bad[1];
        struct ac_buf out = AC_BUF_INIT;
        int rc = ac_rdfc_canonicalize(&d, NULL, &out, NULL, why, sizeof why);
        assert_int_equal(AC_EINVAL, rc);
        assert_non_null(strstr(why, k == 0 ? "quad 25, object: a datatype" : "quad 25, subject"));
        assert_int_equal(0, out.len);
        ac_buf_release(&out);
    }
}

/* A dataset from ac_rdf_dataset_append_borrowed() may list a quad twice,
 * at the same pointers or at copies of its strings (a plain literal once
 * with and once without its xsd:string datatype): RDFC-1.0 reads it as the
 * set. Without that, a repeated line would change its blank nodes' first
 * degree hashes and so, five blank nodes apart, the labels they get. */
static void test_a_repeated_quad_is_read_once_whatever_its_pointers(void **state)
{
    (void)state;
    static const char text[] = "_:a <urn:p> \"1\" .\n_:a <urn:next> _:b .\n"
                               "_:b <urn:p> \"2\" .\n_:b <urn:next> _:c .\n"
                               "_:c <urn:p> \"3\"@en .\n_:c <urn:next> _:d .\n"
                               "_:d <urn:p> \"4\"^^<urn:dt> .\n_:d <urn:next> _:e .\n"
                               "_:e <urn:p> <urn:o> _:a .\n<urn:s> <urn:q> \"x\" .\n";
    struct ac_rdf_dataset set = {0};
    parse(text, &set);
    assert_int_equal(10, set.n);
    struct ac_buf want = AC_BUF_INIT, got = AC_BUF_INIT;
    char why[256] = "";
    assert_int_equal(0, ac_rdfc_canonicalize(&set, NULL, &want, NULL, why, sizeof why));
    for (int variant = 0; variant < 3; variant++) {
        /* variant 0: every quad twice at the same pointers; 1: every quad
         * then a copy of each with its own strings; 2: only the quads of
         * _:a and _:c repeated, as copies. */
        struct ac_rdf_dataset d = {0};
        char copies[10][4][32];
        for (size_t q = 0; q < set.n; q++)
            assert_int_equal(0, ac_rdf_dataset_append_borrowed(&d, &set.quads[q]));
        for (size_t q = 0; q < set.n; q++) {
            struct ac_rdf_quad r = set.quads[q];
            if (variant == 2 && !(r.s.kind == AC_RDF_BLANK &&
                                  (strcmp(r.s.value, "a") == 0 || strcmp(r.s.value, "c") == 0)))
                continue;
            if (variant > 0) {
                struct ac_rdf_term *t[4] = {&r.s, &r.p, &r.o, &r.g};
                for (int k = 0; k < 4; k++) {
                    if (!t[k]->value)
                        continue;
                    snprintf(copies[q][k], sizeof copies[q][k], "%s", t[k]->value);
                    t[k]->value = copies[q][k];
                }
                if (r.o.kind == AC_RDF_LITERAL && r.o.datatype &&
                    strcmp(r.o.datatype, AC_RDF_XSD_STRING) == 0)
                    r.o.datatype = NULL;
            }
            assert_int_equal(0, ac_rdf_dataset_append_borrowed(&d, &r));
        }
        assert_true(d.may_repeat);
        assert_true(d.n > set.n);
        got.len = 0;
        assert_int_equal(0, ac_rdfc_canonicalize(&d, NULL, &got, NULL, why, sizeof why));
        assert_int_equal(want.len, got.len);
        assert_memory_equal(want.data, got.data, want.len);
        ac_rdf_dataset_release(&d);
    }
    ac_buf_release(&want);
    ac_buf_release(&got);
    ac_rdf_dataset_release(&set);
}

static void test_output_is_appended_to_what_the_buffer_holds(void **state)
{
    (void)state;
    struct ac_rdf_dataset d = {0};
    struct ac_buf out = AC_BUF_INIT;
    parse("_:b <urn:p> <urn:o> .\n", &d);
    assert_int_equal(0, ac_buf_append_str(&out, "head\n"));
    assert_int_equal(0, ac_rdfc_canonicalize(&d, NULL, &out, NULL, NULL, 0));
    assert_int_equal(0, ac_buf_terminate(&out));
    assert_string_equal("head\n_:c14n0 <urn:p> <urn:o> .\n", (char *)out.data);
    ac_buf_release(&out);
    ac_rdf_dataset_release(&d);
}

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint32_t rng_below(uint32_t n)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ULL) >> 33) % n;
}

/* A random graph of |nb| blank nodes (edges on two predicates, some in a
 * blank-node graph, some to a literal) written with blank node i labelled
 * perm[i] and the lines in the order |order|. */
static char *random_graph_text(const int (*edges)[4], size_t nedges, const int *perm,
                               const size_t *order)
{
    struct ac_buf b = AC_BUF_INIT;
    for (size_t k = 0; k < nedges; k++) {
        const int *e = edges[order[k]];
        if (e[1] < 0)
            assert_int_equal(0, ac_buf_printf(&b, "_:n%d <urn:p%d> \"lit\"", perm[e[0]], e[2]));
        else
            assert_int_equal(
                0, ac_buf_printf(&b, "_:n%d <urn:p%d> _:n%d", perm[e[0]], e[2], perm[e[1]]));
        if (e[3] >= 0)
            assert_int_equal(0, ac_buf_printf(&b, " _:n%d", perm[e[3]]));
        assert_int_equal(0, ac_buf_append_str(&b, " .\n"));
    }
    assert_int_equal(0, ac_buf_push(&b, 0));
    return (char *)ac_buf_steal(&b, NULL);
}

/* The defining property of a canonical form: every relabelling and
 * reordering of one graph gives the same bytes. Random small graphs are
 * dense in symmetric cases that need the N-degree search. */
static void
test_random_graphs_canonicalize_identically_under_relabelling_and_reordering(void **state)
{
    (void)state;
    int searched = 0;
    for (int round = 0; round < 300; round++) {
        int nb = 2 + (int)rng_below(6), edges[24][4], perm[8];
        size_t nedges = 1 + rng_below(3 * (uint32_t)nb), order[24];
        for (size_t k = 0; k < nedges; k++) {
            edges[k][0] = (int)rng_below((uint32_t)nb);
            edges[k][1] = rng_below(8) == 0 ? -1 : (int)rng_below((uint32_t)nb);
            edges[k][2] = (int)rng_below(2);
            edges[k][3] = rng_below(6) == 0 ? (int)rng_below((uint32_t)nb) : -1;
        }
        if (round % 2) {
            /* A circulant graph, i -> i + d (mod nb) for one or two offsets:
             * every node looks alike, so only the search tells them apart. */
            int noff = 1 + (int)rng_below(2);
            nedges = 0;
            for (int o = 0; o < noff; o++) {
                int d = 1 + (int)rng_below((uint32_t)nb - 1), pred = (int)rng_below(2);
                for (int i = 0; i < nb; i++) {
                    int *e = edges[nedges++];
                    e[0] = i, e[1] = (i + d) % nb, e[2] = pred, e[3] = -1;
                }
            }
        }
        for (size_t k = 0; k < nedges; k++)
            order[k] = k;
        for (int i = 0; i < nb; i++)
            perm[i] = i;
        char *base_text = random_graph_text(edges, nedges, perm, order);
        char why[256] = "";
        int rc;
        struct ac_rdfc_limits lim = {
            .max_ndegree_calls = 100000, .max_permutations = 1000000, .max_steps = 10000000};
        char *want = canon(base_text, &lim, NULL, &rc, why, sizeof why);
        if (!want)
            fail_msg("round %d: %s on\n%s", round, why, base_text);
        for (int trial = 0; trial < 4; trial++) {
            for (int i = nb - 1; i > 0; i--) {
                int j = (int)rng_below((uint32_t)i + 1), t = perm[i];
                perm[i] = perm[j], perm[j] = t;
            }
            for (size_t k = nedges - 1; k > 0; k--) {
                size_t j = rng_below((uint32_t)k + 1), t = order[k];
                order[k] = order[j], order[j] = t;
            }
            char *text = random_graph_text(edges, nedges, perm, order);
            char *got = canon(text, &lim, NULL, &rc, why, sizeof why);
            if (!got || strcmp(want, got) != 0)
                fail_msg("round %d: input\n%s\ngave\n%s\nbut relabelled\n%s\ngave\n%s", round,
                         base_text, want, text, got ? got : why);
            free(text);
            free(got);
        }
        /* Did this graph need the N-degree search? With one step allowed
         * only graphs that never enter it canonicalize. */
        struct ac_rdfc_limits one_step = {.max_steps = 1};
        char *plain = canon(base_text, &one_step, NULL, &rc, why, sizeof why);
        searched += plain == NULL;
        free(plain);
        free(want);
        free(base_text);
    }
    assert_true(searched > 100);
}

static void test_every_failed_allocation_is_a_clean_enomem(void **state)
{
    (void)state;
#if ALLOC_FAIL
    if (!alloc_failure_works())
        skip();
    struct ac_rdf_dataset d = {0};
    parse("_:a <urn:p> _:b .\n_:b <urn:p> _:c .\n_:c <urn:p> _:a .\n_:a <urn:q> \"v\" _:g .\n"
          "<urn:s> <urn:p> \"x\"@en .\n",
          &d);
    int done = 0;
    long n;
    for (n = 0; !done; n++) {
        struct ac_buf out = AC_BUF_INIT;
        struct ac_rdfc_map map = {0};
        char why[128];
        long before = live;
        allocs = 0;
        fail_at = n;
        int rc = ac_rdfc_canonicalize(&d, NULL, &out, &map, why, sizeof why);
        fail_at = -1;
        if (rc == 0) {
            assert_int_equal(4, map.n);
            done = 1;
        } else {
            assert_int_equal(AC_ENOMEM, rc);
            assert_int_equal(0, out.len);
            assert_int_equal(0, map.n);
        }
        ac_rdfc_map_release(&map);
        ac_buf_release(&out);
        assert_int_equal(before, live); /* nothing leaked */
    }
    assert_true(n > 10); /* the loop did reach the allocations it means to fail */
    ac_rdf_dataset_release(&d);
#else
    skip();
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_two_blank_nodes_are_labelled_in_the_order_of_their_first_degree_hashes),
        cmocka_unit_test(test_a_symmetric_pair_is_labelled_through_the_n_degree_search),
        cmocka_unit_test(test_the_1edtech_ob3_document_vector_canonicalizes_to_its_published_hash),
        cmocka_unit_test(
            test_the_w3c_eddsa_rdfc_2022_proof_vector_canonicalizes_to_its_published_hash),
        cmocka_unit_test(
            test_the_same_graph_under_other_labels_and_order_canonicalizes_identically),
        cmocka_unit_test(test_ground_quads_are_sorted_and_duplicates_dropped),
        cmocka_unit_test(test_an_empty_dataset_canonicalizes_to_nothing),
        cmocka_unit_test(test_a_poison_graph_is_refused_with_the_limit_it_reached),
        cmocka_unit_test(test_each_limit_refuses_a_graph_that_needs_more_than_it),
        cmocka_unit_test(test_a_graph_without_symmetry_needs_no_n_degree_calls),
        cmocka_unit_test(test_a_malformed_dataset_is_refused_as_einval_naming_quad_and_position),
        cmocka_unit_test(test_terms_shared_by_pointer_are_checked_and_written_like_copies),
        cmocka_unit_test(test_a_repeated_quad_is_read_once_whatever_its_pointers),
        cmocka_unit_test(test_output_is_appended_to_what_the_buffer_holds),
        cmocka_unit_test(
            test_random_graphs_canonicalize_identically_under_relabelling_and_reordering),
        cmocka_unit_test(test_every_failed_allocation_is_a_clean_enomem),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
