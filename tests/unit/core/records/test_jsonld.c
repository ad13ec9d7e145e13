/* test_jsonld.c - JSON-LD expansion to RDF (core/records/jsonld.c) against
 * the published canonical forms of the W3C vc-di-eddsa and 1EdTech OB 3.0
 * vectors (tests/unit/core/vectors/ob3/), the pitfalls issue 13 names, and
 * the refusals. The vectors used here have at most one blank node, so their
 * canonical form is the sorted N-Quads with that node labelled c14n0
 * (RDFC-1.0: a lone blank node gets the first canonical label). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "accord/base/error.h"
#include "accord/records/jsonld.h"
#include "accord/records/rdfc.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = 0;
    fclose(f);
    return s;
}

static int cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted N-Quads of |d| with its only blank node (if any) as _:c14n0, or
 * with every blank node as _:B when |many| (for comparing shapes only). */
static char *sorted_nquads_of(struct ac_rdf_dataset *d, int many)
{
    const char *blank = NULL;
    char **lines = calloc(d->n + 1, sizeof *lines);
    size_t total = 1;
    for (size_t i = 0; i < d->n; i++) {
        struct ac_rdf_term *ts[] = {&d->quads[i].s, &d->quads[i].o, &d->quads[i].g};
        for (size_t k = 0; k < 3; k++) {
            if (ts[k]->kind != AC_RDF_BLANK)
                continue;
            if (blank && !many)
                assert_string_equal(blank, ts[k]->value); /* one blank node only */
            blank = ts[k]->value;
        }
    }
    for (size_t i = 0; i < d->n; i++) {
        struct ac_rdf_quad q = d->quads[i];
        struct ac_rdf_term *ts[] = {&q.s, &q.o, &q.g};
        for (size_t k = 0; k < 3; k++)
            if (ts[k]->kind == AC_RDF_BLANK)
                ts[k]->value = many ? "B" : "c14n0";
        struct ac_buf b = AC_BUF_INIT;
        assert_int_equal(ac_rdf_quad_nquads(&q, &b), 0);
        assert_int_equal(ac_buf_terminate(&b), 0);
        lines[i] = (char *)b.data;
        total += b.len;
    }
    qsort(lines, d->n, sizeof *lines, cmp_line);
    char *out = calloc(total, 1);
    for (size_t i = 0; i < d->n; i++) {
        strcat(out, lines[i]);
        free(lines[i]);
    }
    free(lines);
    return out;
}

static char *sorted_nquads(struct ac_rdf_dataset *d)
{
    return sorted_nquads_of(d, 0);
}

static struct ac_jsonld *proc(void)
{
    struct ac_jsonld *p = NULL;
    char why[256];
    assert_int_equal(ac_jsonld_new(&p, why, sizeof why), 0);
    return p;
}

/* Expands |json| and returns its sorted N-Quads, or NULL with |why| set and
 * |*rc| the code. */
static char *to_nquads(struct ac_jsonld *p, const char *json, int *rc, char *why, size_t whylen)
{
    json_t *doc;
    assert_int_equal(ac_jsonld_parse(json, strlen(json), &doc, why, whylen), 0);
    struct ac_rdf_dataset d = {0};
    *rc = ac_jsonld_to_rdf(p, doc, &d, why, whylen);
    json_decref(doc);
    char *s = *rc ? NULL : sorted_nquads(&d);
    ac_rdf_dataset_release(&d);
    return s;
}

static char *expect_ok(struct ac_jsonld *p, const char *json)
{
    char why[512] = "";
    int rc;
    char *s = to_nquads(p, json, &rc, why, sizeof why);
    if (rc)
        fail_msg("refused: %s", why);
    return s;
}

static char *shape(struct ac_jsonld *p, const char *json)
{
    json_t *doc;
    char why[256];
    assert_int_equal(ac_jsonld_parse(json, strlen(json), &doc, why, sizeof why), 0);
    struct ac_rdf_dataset d = {0};
    assert_int_equal(ac_jsonld_to_rdf(p, doc, &d, why, sizeof why), 0);
    json_decref(doc);
    char *s = sorted_nquads_of(&d, 1);
    ac_rdf_dataset_release(&d);
    return s;
}

static void expect_refused(const char *json, int code, const char *reason_part)
{
    struct ac_jsonld *p = proc();
    char why[512] = "";
    int rc;
    char *s = to_nquads(p, json, &rc, why, sizeof why);
    assert_null(s);
    assert_int_equal(rc, code);
    if (!strstr(why, reason_part))
        fail_msg("reason \"%s\" does not mention \"%s\"", why, reason_part);
    ac_jsonld_free(p);
}

static void test_shipped_contexts_match_their_pinned_digests(void **state)
{
    (void)state;
    struct ac_jsonld *p = proc();
    const uint8_t *data;
    size_t len;
    assert_int_equal(ac_jsonld_context_bytes(AC_JSONLD_CREDENTIALS_V2, &data, &len), 0);
    assert_int_equal(len, 10131); /* the file in core/records/contexts/ */
    assert_int_equal(ac_jsonld_context_bytes("https://example.org/ctx", &data, &len), AC_ENOENT);
    ac_jsonld_free(p);
}

static void test_w3c_vector_document_expands_to_its_published_canonical_form(void **state)
{
    (void)state;
    struct ac_jsonld *p = proc();
    char *doc = slurp("vectors/ob3/w3c-vc-di-eddsa/unsigned.json");
    char *want = slurp("vectors/ob3/w3c-vc-di-eddsa/canonDocDataInt.txt");
    char *got = expect_ok(p, doc);
    assert_string_equal(got, want);
    free(got);
    free(want);
    free(doc);
    ac_jsonld_free(p);
}

static void test_w3c_vector_proof_config_expands_to_its_published_canonical_form(void **state)
{
    (void)state;
    struct ac_jsonld *p = proc();
    char *doc = slurp("vectors/ob3/w3c-vc-di-eddsa/proofConfigDataInt.json");
    char *want = slurp("vectors/ob3/w3c-vc-di-eddsa/proofCanonDataInt.txt");
    char *got = expect_ok(p, doc);
    assert_string_equal(got, want);
    free(got);
    free(want);
    free(doc);
    ac_jsonld_free(p);
}

/* The 1EdTech signed credential less its proof is the document the vector
 * canonicalizes (document-canon.txt). */
static void test_1edtech_vector_credential_expands_to_its_published_canonical_form(void **state)
{
    (void)state;
    struct ac_jsonld *p = proc();
    char *text = slurp("vectors/ob3/1edtech-ob3/signed.json");
    char *want = slurp("vectors/ob3/1edtech-ob3/document-canon.txt");
    json_t *doc = json_loads(text, 0, NULL);
    assert_non_null(doc);
    json_object_del(doc, "proof");
    char *unsigned_text = json_dumps(doc, 0);
    char *got = expect_ok(p, unsigned_text);
    assert_string_equal(got, want);
    free(got);
    free(unsigned_text);
    json_decref(doc);
    free(want);
    free(text);
    ac_jsonld_free(p);
}

#define OB_CTX                                                                                     \
    "\"@context\":[\"https://www.w3.org/ns/credentials/v2\","                                     \
    "\"https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json\"]"
#define VC OB_CTX ",\"type\":[\"VerifiableCredential\",\"OpenBadgeCredential\"]"
#define OBV "https://purl.imsglobal.org/spec/vc/ob/vocab.html#"
#define XSD "http://www.w3.org/2001/XMLSchema#"

/* The OB 3.0.3 context types awardedDate as "xsd:dateTime" without defining
 * xsd: JSON-LD then reads "xsd:dateTime" as an absolute IRI of scheme xsd,
 * and so do jsonld.js and the 1EdTech validator. */
static void test_awarded_date_is_typed_with_the_undefined_xsd_prefix_left_as_is(void **state)
{
    (void)state;
    struct ac_jsonld *p = proc();
    char *got = expect_ok(p, "{" OB_CTX ",\"id\":\"urn:x:1\",\"awardedDate\":\"2024-01-01T00:00:00Z\"}");
    assert_string_equal(got, "<urn:x:1> <" OBV "awardedDate> \"2024-01-01T00:00:00Z\"^^<xsd:dateTime> .\n");
    free(got);
    ac_jsonld_free(p);
}

/* Some OB datatypes use https:// for the XML Schema namespace (url,
 * targetUrl, achievedLevel); they stay https, unlike validFrom's http. */
static void test_ob_url_keeps_the_https_xml_schema_datatype(void **state)
{
    (void)state;
    struct ac_jsonld *p = proc();
    char *got = expect_ok(p, "{" VC ",\"id\":\"urn:x:1\",\"url\":\"https://a.example/\","
                             "\"validFrom\":\"2024-01-01T00:00:00Z\"}");
    assert_non_null(strstr(
        got, "<urn:x:1> <https://schema.org/url> \"https://a.example/\"^^<https://www.w3.org/2001/"
             "XMLSchema#anyURI> .\n"));
    assert_non_null(strstr(got, "<urn:x:1> <https://www.w3.org/2018/credentials#validFrom> "
                                "\"2024-01-01T00:00:00Z\"^^<" XSD "dateTime> .\n"));
    free(got);
    ac_jsonld_free(p);
}

/* JSON-LD 1.1 toRdf 8.6 steps 10-11 with JavaScript's number text: 3.0 is
 * the integer 3 (the datatype stays the term's xsd:float) and
 * 0.30000000000000004 a double written "3.0E-1". */
static void test_numbers_canonicalize_as_javascript_prints_them(void **state)
{
    (void)state;
    struct ac_jsonld *p = proc();
    char *got = expect_ok(p, "{" OB_CTX ",\"id\":\"urn:x:1\",\"type\":\"AchievementSubject\","
                             "\"creditsEarned\":3.0}");
    assert_non_null(strstr(got, "<" OBV "creditsEarned> \"3\"^^<https://www.w3.org/2001/"
                                "XMLSchema#float> .\n"));
    free(got);
    got = expect_ok(p, "{" OB_CTX ",\"id\":\"urn:x:1\",\"type\":\"AchievementSubject\","
                       "\"creditsEarned\":0.30000000000000004}");
    assert_non_null(strstr(got, "\"3.0E-1\"^^<https://www.w3.org/2001/XMLSchema#float>"));
    free(got);
    got = expect_ok(p, "{" OB_CTX ",\"id\":\"urn:x:1\",\"name\":{\"@value\":2.5}}");
    assert_non_null(strstr(got, "\"2.5E0\"^^<" XSD "double>"));
    free(got);
    got = expect_ok(p, "{" OB_CTX ",\"id\":\"urn:x:1\",\"name\":{\"@value\":-12}}");
    assert_non_null(strstr(got, "\"-12\"^^<" XSD "integer>"));
    free(got);
    ac_jsonld_free(p);
}

static void test_language_tags_are_lowercased(void **state)
{
    (void)state;
    struct ac_jsonld *p = proc();
    char *got = expect_ok(p, "{" OB_CTX ",\"id\":\"urn:x:1\",\"name\":{\"@value\":\"Teamwork\","
                             "\"@language\":\"EN-GB\"}}");
    assert_string_equal(got, "<urn:x:1> <https://schema.org/name> \"Teamwork\"@en-gb .\n");
    free(got);
    ac_jsonld_free(p);
}

/* The 1EdTech JSON schema wants proof as an array; JSON-LD gives the same
 * quads either way (each proof in a graph of its own). */
static void test_proof_as_an_array_gives_the_same_quads_as_an_object(void **state)
{
    (void)state;
    struct ac_jsonld *p = proc();
    const char *proof = "{\"type\":\"DataIntegrityProof\",\"cryptosuite\":\"eddsa-rdfc-2022\","
                        "\"proofPurpose\":\"assertionMethod\"}";
    char a[1024], b[1024];
    snprintf(a, sizeof a, "{" VC ",\"id\":\"urn:x:1\",\"proof\":%s}", proof);
    snprintf(b, sizeof b, "{" VC ",\"id\":\"urn:x:1\",\"proof\":[%s]}", proof);
    char *ga = shape(p, a), *gb = shape(p, b);
    assert_string_equal(ga, gb);
    assert_non_null(strstr(ga, "<urn:x:1> <https://w3id.org/security#proof> _:B .\n"));
    assert_non_null(strstr(ga, "_:B <https://w3id.org/security#proofPurpose> "
                               "<https://w3id.org/security#assertionMethod> _:B .\n"));
    free(ga);
    free(gb);
    ac_jsonld_free(p);
}

static void test_json_typed_values_are_canonical_json_literals(void **state)
{
    (void)state;
    struct ac_jsonld *p = proc();
    /* JsonSchema's jsonSchema member is "@type": "@json" in the VC 2.0
     * context; its literal is the RFC 8785 form (sorted keys, 1.5). */
    char *got = expect_ok(p, "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"],"
                             "\"id\":\"urn:x:1\",\"type\":\"JsonSchema\","
                             "\"jsonSchema\":{\"b\":1.50,\"a\":[true,null,\"\\u00e9\"]}}");
    assert_non_null(strstr(got, "\"{\\\"a\\\":[true,null,\\\"\xc3\xa9\\\"],\\\"b\\\":1.5}\"^^<"
                                "http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON>"));
    free(got);
    ac_jsonld_free(p);
}

/* The borrowing expansion (the proof hash's path) gives the same canonical
 * form as the copying one, for the vectors and for documents that reach its
 * own strings: blank node ids met twice, numbers, language tags and maps,
 * @json literals, @vocab-made IRIs; and its quads point into the document. */
static void test_borrowing_expansion_gives_the_copying_expansions_quads(void **state)
{
    (void)state;
    struct ac_jsonld *p = proc();
    char *vec1 = slurp("vectors/ob3/w3c-vc-di-eddsa/unsigned.json");
    char *vec2 = slurp("vectors/ob3/1edtech-ob3/signed.json");
    const char *docs[] = {
        vec1,
        vec2,
        "{" VC ",\"id\":\"urn:x:1\",\"credentialSubject\":{\"id\":\"_:s\",\"type\":"
               "\"AchievementSubject\",\"achievement\":"
        "{\"id\":\"_:a\",\"type\":\"Achievement\",\"name\":{\"@value\":\"T\",\"@language\":"
        "\"EN\"}}},\"evidence\":[{\"id\":\"_:s\",\"type\":\"Evidence\",\"name\":\"e\"},"
        "{\"id\":\"_:a\",\"type\":\"Evidence\",\"name\":\"f\"}],\"awardedDate\":"
        "\"2026-01-01T00:00:00Z\"}",
        "{" OB_CTX
        ",\"id\":\"urn:x:2\",\"type\":\"Achievement\",\"creditsAvailable\":0.30000000000000004,"
        "\"name\":\"n\",\"description\":{\"@value\":\"d\",\"@language\":\"FR-ca\"}}",
        "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\","
        "\"https://www.w3.org/ns/credentials/examples/v2\"],\"id\":\"urn:x:3\",\"type\":"
        "\"ExampleThing\",\"madeUp\":\"kept\",\"other\":[1,2.5,true]}",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        json_t *doc;
        char why[256] = "";
        assert_int_equal(ac_jsonld_parse(docs[i], strlen(docs[i]), &doc, why, sizeof why), 0);
        json_object_del(doc, "proof");
        struct ac_rdf_dataset copied = {0}, borrowed = {0};
        int rc1 = ac_jsonld_to_rdf(p, doc, &copied, why, sizeof why);
        int rc2 = ac_jsonld_to_rdf_borrowing(p, doc, &borrowed, why, sizeof why);
        if (rc1 || rc2)
            fail_msg("document %zu: %d %d %s", i, rc1, rc2, why);
        /* The same quads in the same order, blank labels included. */
        assert_int_equal(copied.n, borrowed.n);
        struct ac_buf a = AC_BUF_INIT, b = AC_BUF_INIT;
        for (size_t q = 0; q < copied.n; q++) {
            assert_int_equal(ac_rdf_quad_nquads(&copied.quads[q], &a), 0);
            assert_int_equal(ac_rdf_quad_nquads(&borrowed.quads[q], &b), 0);
        }
        assert_int_equal(ac_buf_terminate(&a), 0);
        assert_int_equal(ac_buf_terminate(&b), 0);
        assert_string_equal((char *)a.data, (char *)b.data);
        /* The subject of the first quad is the document's own string. */
        const char *id = json_string_value(json_object_get(doc, "id"));
        if (id) {
            int found = 0;
            for (size_t q = 0; q < borrowed.n; q++)
                found |= borrowed.quads[q].s.value == id;
            assert_true(found);
        }
        ac_buf_release(&a);
        ac_buf_release(&b);
        ac_rdf_dataset_release(&borrowed);
        ac_rdf_dataset_release(&copied);
        json_decref(doc);
    }
    free(vec1);
    free(vec2);
    ac_jsonld_free(p);
}

static void test_a_term_no_context_defines_is_refused(void **state)
{
    (void)state;
    expect_refused("{" VC ",\"id\":\"urn:x:1\",\"credentialSubject\":{\"favouriteColour\":"
                   "\"blue\"}}",
                   AC_EINVAL,
                   "credentialSubject.favouriteColour: term \"favouriteColour\" is not defined");
}

static void test_an_undefined_type_is_refused(void **state)
{
    (void)state;
    expect_refused("{" OB_CTX ",\"id\":\"urn:x:1\",\"type\":[\"VerifiableCredential\",\"Mystery\"]}",
                   AC_EINVAL, "\"Mystery\" is not defined");
}

static void test_a_remote_context_is_refused(void **state)
{
    (void)state;
    expect_refused("{\"@context\":[\"https://www.w3.org/ns/credentials/v2\","
                   "\"https://evil.example/ctx.jsonld\"],\"id\":\"urn:x:1\"}",
                   AC_EINVAL, "@context[1]: \"https://evil.example/ctx.jsonld\" is not one of");
}

static void test_contexts_in_the_wrong_order_are_refused(void **state)
{
    (void)state;
    expect_refused("{\"@context\":[\"https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json\","
                   "\"https://www.w3.org/ns/credentials/v2\"],\"id\":\"urn:x:1\"}",
                   AC_EINVAL, "the first context must be https://www.w3.org/ns/credentials/v2");
}

static void test_an_inline_or_nested_context_is_refused(void **state)
{
    (void)state;
    expect_refused("{\"@context\":[\"https://www.w3.org/ns/credentials/v2\",{\"x\":\"urn:x\"}]}",
                   AC_EINVAL, "inline contexts are not accepted");
    expect_refused("{" VC ",\"credentialSubject\":{\"@context\":{\"x\":\"urn:y\"},\"x\":1}}",
                   AC_EINVAL, "credentialSubject: @context is accepted only at the top");
}

/* VC 2.0 gives verifiableCredential a null scoped context (a nested
 * credential starts afresh); this processor signs and verifies credentials,
 * not presentations, and says so. */
static void test_an_embedded_credential_is_refused_by_name(void **state)
{
    (void)state;
    expect_refused("{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"],"
                   "\"type\":\"VerifiablePresentation\",\"verifiableCredential\":"
                   "{\"id\":\"urn:x:1\",\"type\":\"VerifiableCredential\"}}",
                   AC_EINVAL,
                   "verifiableCredential: scoped context of \"verifiableCredential\": a scoped "
                   "context that resets the active context (null) is not supported");
}

static void test_a_relative_iri_is_refused(void **state)
{
    (void)state;
    expect_refused("{" OB_CTX ",\"id\":\"credentials/3527\"}", AC_EINVAL,
                   "\"credentials/3527\" is not an absolute IRI");
    expect_refused("{" VC ",\"id\":\"urn:x:1\",\"issuer\":\"../issuer\"}", AC_EINVAL,
                   "issuer: \"../issuer\" is not an absolute IRI");
}

static void test_deeply_nested_documents_are_refused(void **state)
{
    (void)state;
    struct ac_buf b = AC_BUF_INIT;
    ac_buf_append_str(&b, "{" VC ",\"id\":\"urn:x:1\",\"credentialSubject\":");
    for (int i = 0; i < 40; i++)
        ac_buf_append_str(&b, "{\"type\":\"AchievementSubject\",\"source\":");
    ac_buf_append_str(&b, "\"urn:x:2\"");
    for (int i = 0; i < 41; i++)
        ac_buf_push(&b, '}');
    ac_buf_terminate(&b);
    expect_refused((const char *)b.data, AC_E2BIG, "nested deeper than");
    ac_buf_release(&b);
}

static void test_documents_over_the_size_limit_are_refused(void **state)
{
    (void)state;
    size_t n = AC_JSONLD_MAX_BYTES + 1;
    char *big = malloc(n);
    memset(big, ' ', n);
    json_t *doc = NULL;
    char why[128];
    assert_int_equal(ac_jsonld_parse(big, n, &doc, why, sizeof why), AC_E2BIG);
    assert_null(doc);
    free(big);
}

/* ac_jsonld_parse() has its own reader (jsonld_read.c); it must accept and
 * refuse exactly what json_loadb(JSON_REJECT_DUPLICATES) does, and build the
 * same values. */
static void test_the_json_reader_agrees_with_jansson_on_accepting_and_refusing(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "{}", "[]", " {\"a\" : [1, -0, 0.5, 1e3, 2E-2, -1.5e+2, true, false, null]} ",
        "{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20AC\\ud83d\\ude00\"}",
        "{\"s\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}",
        "{\"i\":9223372036854775807}", "{\"i\":-9223372036854775808}",
        "{\"d\":1e-400}",
        /* refused by both */
        "1", "\"x\"", "null", "", "{", "{\"a\":1,}", "[1,]", "{\"a\":1 \"b\":2}", "{a:1}",
        "{\"a\":1,\"a\":2}", "{\"a\":01}", "{\"a\":-}", "{\"a\":1.}", "{\"a\":.5}",
        "{\"a\":1e}", "{\"a\":+1}", "{\"a\":9223372036854775808}", "{\"a\":1e400}",
        "{\"a\":tru}", "{\"a\":\"\\u0000\"}", "{\"\\u0000\":1}", "{\"a\":\"\\ud800\"}",
        "{\"a\":\"\\udc00\\ud800\"}", "{\"a\":\"\\ud800\\u0041\"}", "{\"a\":\"\\x\"}",
        "{\"a\":\"\\u12\"}", "{\"a\":\"\x01\"}", "{\"a\":\"\xc3\"}", "{\"a\":\"\xc0\xaf\"}",
        "{\"a\":\"\xe0\x80\xaf\"}", "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xf4\x90\x80\x80\"}",
        "{\"a\":\"\xff\"}", "{\"a\":\"open}", "{} x", "{}{}", "[1] ]",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_error_t err;
        char why[256] = "";
        json_t *want = json_loadb(cases[i], strlen(cases[i]), JSON_REJECT_DUPLICATES, &err);
        json_t *got = NULL;
        int rc = ac_jsonld_parse(cases[i], strlen(cases[i]), &got, why, sizeof why);
        if ((want != NULL) != (rc == 0) || (want && !json_equal(want, got)))
            fail_msg("case %zu (%s): jansson %s, ours %d (%s)", i, cases[i],
                     want ? "accepts" : err.text, rc, why);
        if (rc)
            assert_non_null(strstr(why, "not JSON: "));
        json_decref(want);
        json_decref(got);
    }
}

static void test_the_json_reader_refuses_nesting_beyond_jansson_depth(void **state)
{
    (void)state;
    /* jansson counts every value, scalars too, up to 2048 levels. */
    for (int depth = 2047; depth <= 2048; depth++) {
        size_t n = 2 * (size_t)depth + 1;
        char *t = malloc(n + 1);
        memset(t, '[', (size_t)depth);
        t[depth] = '1';
        memset(t + depth + 1, ']', (size_t)depth);
        t[n] = 0;
        json_error_t err;
        char why[256];
        json_t *want = json_loadb(t, n, JSON_REJECT_DUPLICATES, &err), *got = NULL;
        int rc = ac_jsonld_parse(t, n, &got, why, sizeof why);
        assert_int_equal(want != NULL, rc == 0);
        assert_int_equal(rc == 0, depth == 2047);
        json_decref(want);
        json_decref(got);
        free(t);
    }
}

/* Literals from JSON numbers carry the lexical form jsonld.js gives them
 * (isDouble: a "." in JavaScript's text or at least 1e21; then
 * toExponential(15) less trailing zeros, else toFixed(0)); expected strings
 * as node prints them. An untyped @vocab term keeps xsd:double/integer. */
static void test_number_literals_are_written_as_jsonld_js_writes_them(void **state)
{
    (void)state;
    struct ac_jsonld *p = proc();
    const struct {
        const char *json, *want;
    } v[] = {
        {"1.5", "\"1.5E0\"^^<" XSD "double>"},
        {"-2.5", "\"-2.5E0\"^^<" XSD "double>"},
        {"1e-7", "\"0\"^^<" XSD "integer>"},
        {"5e-7", "\"0\"^^<" XSD "integer>"},
        {"1.5e-7", "\"1.5E-7\"^^<" XSD "double>"},
        {"1e21", "\"1.0E21\"^^<" XSD "double>"},
        {"100.0", "\"100\"^^<" XSD "integer>"},
        {"12345.678", "\"1.2345678E4\"^^<" XSD "double>"},
        {"0.30000000000000004", "\"3.0E-1\"^^<" XSD "double>"},
        {"-0.0", "\"0\"^^<" XSD "integer>"},
        {"1.2345678901234568e20", "\"123456789012345683968\"^^<" XSD "integer>"},
        {"1e300", "\"1.0E300\"^^<" XSD "double>"},
        {"7", "\"7\"^^<" XSD "integer>"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char json[512];
        snprintf(json, sizeof json,
                 "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\","
                 "\"https://www.w3.org/ns/credentials/examples/v2\"],\"id\":\"urn:x:3\","
                 "\"type\":\"ExampleThing\",\"other\":%s}",
                 v[i].json);
        char *got = expect_ok(p, json);
        if (!strstr(got, v[i].want))
            fail_msg("%s: wanted %s in\n%s", v[i].json, v[i].want, got);
        free(got);
    }
    ac_jsonld_free(p);
}

/* The canonical N-Quads of |d|. */
static char *canonical(struct ac_rdf_dataset *d)
{
    struct ac_buf b = AC_BUF_INIT;
    char why[256];
    assert_int_equal(ac_rdfc_canonicalize(d, NULL, &b, NULL, why, sizeof why), 0);
    assert_int_equal(ac_buf_terminate(&b), 0);
    return (char *)b.data;
}

/* ac_jsonld_to_rdf_view() (how a proof's two hashes read the document and
 * the proof in place) gives the canonical form of the copies it stands
 * for: the document less "proof", and the proof less "proofValue" with the
 * document's @context (replacing the proof's own). */
static void test_the_view_expansion_gives_the_quads_of_the_edited_copies(void **state)
{
    (void)state;
    struct ac_jsonld *p = proc();
    char *vec = slurp("vectors/ob3/1edtech-ob3/signed.json");
    json_t *doc;
    char why[256] = "";
    assert_int_equal(ac_jsonld_parse(vec, strlen(vec), &doc, why, sizeof why), 0);
    json_t *proof = json_object_get(doc, "proof");
    if (json_is_array(proof))
        proof = json_array_get(proof, 0);
    assert_true(json_is_object(proof));
    /* A proof with an @context of its own that the view must not use. */
    assert_int_equal(json_object_set_new(proof, "@context",
                                         json_string("https://www.w3.org/ns/credentials/v2")),
                     0);
    json_t *unsecured = json_copy(doc), *config = json_copy(proof);
    assert_int_equal(json_object_del(unsecured, "proof"), 0);
    assert_int_equal(json_object_del(config, "proofValue"), 0);
    assert_int_equal(json_object_set(config, "@context", json_object_get(doc, "@context")), 0);
    const struct {
        const json_t *copy, *in_place, *context;
        const char *skip;
    } c[] = {{unsecured, doc, NULL, "proof"},
             {config, proof, json_object_get(doc, "@context"), "proofValue"}};
    for (size_t i = 0; i < 2; i++) {
        struct ac_rdf_dataset a = {0}, b = {0};
        assert_int_equal(ac_jsonld_to_rdf(p, c[i].copy, &a, why, sizeof why), 0);
        assert_int_equal(
            ac_jsonld_to_rdf_view(p, c[i].in_place, c[i].context, c[i].skip, &b, why, sizeof why),
            0);
        assert_true(a.n > 0);
        char *x = canonical(&a), *y = canonical(&b);
        assert_string_equal(x, y);
        assert_null(strstr(y, "proofValue"));
        free(x);
        free(y);
        ac_rdf_dataset_release(&a);
        ac_rdf_dataset_release(&b);
    }
    json_decref(unsecured);
    json_decref(config);
    json_decref(doc);
    free(vec);
    ac_jsonld_free(p);
}

/* ac_jsonld_to_rdf_view() appends its quads without the dataset's duplicate
 * check: a document that states one thing twice (a repeated type, a value
 * twice in an array, one node described twice) gives repeated quads, which
 * RDFC-1.0 reads once, so the canonical form is the set's. */
static void test_the_view_keeps_repeated_quads_and_canonicalizes_as_the_set(void **state)
{
    (void)state;
    struct ac_jsonld *p = proc();
    const char *text =
        "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"],\"id\":\"urn:x:1\","
        "\"type\":[\"VerifiableCredential\",\"VerifiableCredential\"],"
        "\"name\":[\"same\",\"same\",{\"@value\":\"same\"}],"
        "\"issuer\":{\"id\":\"did:example:issuer\",\"name\":\"I\"},"
        "\"credentialSubject\":[{\"id\":\"did:example:s\",\"name\":\"S\"},"
        "{\"id\":\"did:example:s\",\"name\":\"S\"},{\"name\":\"S\"},{\"name\":\"S\"}]}";
    json_t *doc;
    char why[256] = "";
    assert_int_equal(ac_jsonld_parse(text, strlen(text), &doc, why, sizeof why), 0);
    struct ac_rdf_dataset set = {0}, view = {0};
    assert_int_equal(ac_jsonld_to_rdf(p, doc, &set, why, sizeof why), 0);
    assert_int_equal(ac_jsonld_to_rdf_view(p, doc, NULL, NULL, &view, why, sizeof why), 0);
    assert_false(set.may_repeat);
    assert_true(view.may_repeat);
    assert_true(view.n > set.n);
    char *x = canonical(&set), *y = canonical(&view);
    assert_string_equal(x, y);
    /* The two subjects without an id are two blank nodes, not one. */
    assert_non_null(strstr(y, "_:c14n1 <https://schema.org/name> \"S\" ."));
    free(x);
    free(y);
    ac_rdf_dataset_release(&set);
    ac_rdf_dataset_release(&view);
    json_decref(doc);
    ac_jsonld_free(p);
}

/* Expansion tells RDFC-1.0 its IRIs are checked (ac_rdf_dataset.iris_checked)
 * only when every one is: a key that the examples context's @vocab turns
 * into no IRI (a space in it) leaves the check to RDFC-1.0, which refuses. */
static void test_only_a_dataset_whose_iris_were_all_checked_skips_the_iri_check(void **state)
{
    (void)state;
    struct ac_jsonld *p = proc();
    const char *good = "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\","
                       "\"https://www.w3.org/ns/credentials/examples/v2\"],\"id\":\"urn:x:3\","
                       "\"type\":\"ExampleThing\",\"madeUp\":\"kept\"}";
    const char *bad = "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\","
                      "\"https://www.w3.org/ns/credentials/examples/v2\"],\"id\":\"urn:x:3\","
                      "\"type\":\"ExampleThing\",\"made up\":\"kept\"}";
    const char *docs[] = {good, bad};
    for (int i = 0; i < 2; i++) {
        json_t *doc;
        char why[256] = "";
        assert_int_equal(ac_jsonld_parse(docs[i], strlen(docs[i]), &doc, why, sizeof why), 0);
        struct ac_rdf_dataset d = {0};
        assert_int_equal(ac_jsonld_to_rdf_borrowing(p, doc, &d, why, sizeof why), 0);
        assert_int_equal(d.iris_checked, i == 0 ? d.n : 0);
        struct ac_buf b = AC_BUF_INIT;
        int rc = ac_rdfc_canonicalize(&d, NULL, &b, NULL, why, sizeof why);
        assert_int_equal(rc, i == 0 ? 0 : AC_EINVAL);
        if (i == 1 && !strstr(why, "predicate: an IRI that is relative or holds a character"))
            fail_msg("reason: %s", why);
        ac_buf_release(&b);
        ac_rdf_dataset_release(&d);
        json_decref(doc);
    }
    ac_jsonld_free(p);
}

/* The reader's eight-bytes-a-step string scan: every byte value at every
 * position of a string longer than two steps is accepted or refused, and
 * read, as jansson does. */
static void test_every_string_byte_at_every_position_reads_as_jansson_reads_it(void **state)
{
    (void)state;
    for (int pos = 0; pos < 20; pos++) {
        for (int byte = 1; byte < 256; byte++) {
            char t[32];
            memcpy(t, "{\"k\":\"abcdefghijklmnopqrst\"}", 29);
            t[6 + pos] = (char)byte;
            size_t n = 28;
            json_error_t err;
            char why[256];
            json_t *want = json_loadb(t, n, JSON_REJECT_DUPLICATES, &err), *got = NULL;
            int rc = ac_jsonld_parse(t, n, &got, why, sizeof why);
            if ((want != NULL) != (rc == 0) || (want && !json_equal(want, got)))
                fail_msg("byte 0x%02x at %d: jansson %s, reader %d (%s)", byte, pos,
                         want ? "accepts" : "refuses", rc, why);
            json_decref(want);
            json_decref(got);
        }
    }
}

static void test_javascript_number_text_matches_ecmascript(void **state)
{
    (void)state;
    char s[32];
    /* Expected strings: ECMA-262 Number::toString, as node prints them. */
    const struct {
        double x;
        const char *want;
    } v[] = {{0.1, "0.1"},         {1e21, "1e+21"},        {123456789012345680000.0, "123456789012345680000"},
             {5e-7, "5e-7"},       {0.000001, "0.000001"}, {-1.5, "-1.5"},
             {0.30000000000000004, "0.30000000000000004"}, {100, "100"}};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        ac_jsonld_js_number(v[i].x, s);
        assert_string_equal(s, v[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_contexts_match_their_pinned_digests),
        cmocka_unit_test(test_w3c_vector_document_expands_to_its_published_canonical_form),
        cmocka_unit_test(test_w3c_vector_proof_config_expands_to_its_published_canonical_form),
        cmocka_unit_test(test_1edtech_vector_credential_expands_to_its_published_canonical_form),
        cmocka_unit_test(test_awarded_date_is_typed_with_the_undefined_xsd_prefix_left_as_is),
        cmocka_unit_test(test_ob_url_keeps_the_https_xml_schema_datatype),
        cmocka_unit_test(test_numbers_canonicalize_as_javascript_prints_them),
        cmocka_unit_test(test_language_tags_are_lowercased),
        cmocka_unit_test(test_proof_as_an_array_gives_the_same_quads_as_an_object),
        cmocka_unit_test(test_json_typed_values_are_canonical_json_literals),
        cmocka_unit_test(test_borrowing_expansion_gives_the_copying_expansions_quads),
        cmocka_unit_test(test_a_term_no_context_defines_is_refused),
        cmocka_unit_test(test_an_undefined_type_is_refused),
        cmocka_unit_test(test_a_remote_context_is_refused),
        cmocka_unit_test(test_contexts_in_the_wrong_order_are_refused),
        cmocka_unit_test(test_an_inline_or_nested_context_is_refused),
        cmocka_unit_test(test_an_embedded_credential_is_refused_by_name),
        cmocka_unit_test(test_a_relative_iri_is_refused),
        cmocka_unit_test(test_deeply_nested_documents_are_refused),
        cmocka_unit_test(test_documents_over_the_size_limit_are_refused),
        cmocka_unit_test(test_the_json_reader_agrees_with_jansson_on_accepting_and_refusing),
        cmocka_unit_test(test_the_json_reader_refuses_nesting_beyond_jansson_depth),
        cmocka_unit_test(test_javascript_number_text_matches_ecmascript),
        cmocka_unit_test(test_number_literals_are_written_as_jsonld_js_writes_them),
        cmocka_unit_test(test_the_view_expansion_gives_the_quads_of_the_edited_copies),
        cmocka_unit_test(test_the_view_keeps_repeated_quads_and_canonicalizes_as_the_set),
        cmocka_unit_test(test_only_a_dataset_whose_iris_were_all_checked_skips_the_iri_check),
        cmocka_unit_test(test_every_string_byte_at_every_position_reads_as_jansson_reads_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
