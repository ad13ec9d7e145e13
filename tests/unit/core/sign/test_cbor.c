/* test_cbor.c - tests core/cbor.c: the deterministic writer against RFC 8949
 * Appendix A, the strict reader against the byte-file vectors in vectors/, and
 * libcbor as an independent decoder of what the writer produces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <cmocka.h>

#include "accord/sign/cbor.h"
#include "accord/base/error.h"

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (; hex[0] && hex[1] && n < cap; hex += 2) {
        unsigned v;
        if (sscanf(hex, "%2x", &v) != 1)
            break;
        out[n++] = (uint8_t)v;
    }
    return n;
}

/* Finishes |w| and asserts its bytes equal |hex|. */
static void assert_encodes_to(struct ac_cbor_writer *w, const char *hex)
{
    uint8_t want[256];
    size_t n = unhex(hex, want, sizeof(want));
    struct ac_buf out;
    assert_int_equal(0, ac_cbor_writer_finish(w, &out));
    assert_int_equal(n, out.len);
    assert_memory_equal(want, out.data, n);
    ac_buf_release(&out);
}

/* Expected bytes in the encoder tests are from RFC 8949 Appendix A. */
static void test_integers_encode_in_shortest_form_per_rfc8949_appendix_a(void **state)
{
    (void)state;
    static const struct {
        int64_t v;
        const char *hex;
    } cases[] = {
        {0, "00"},
        {1, "01"},
        {10, "0a"},
        {23, "17"},
        {24, "1818"},
        {25, "1819"},
        {100, "1864"},
        {1000, "1903e8"},
        {1000000, "1a000f4240"},
        {1000000000000, "1b000000e8d4a51000"},
        {-1, "20"},
        {-10, "29"},
        {-100, "3863"},
        {-1000, "3903e7"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ac_cbor_writer w;
        ac_cbor_writer_init(&w);
        ac_cbor_put_int(&w, cases[i].v);
        assert_encodes_to(&w, cases[i].hex);
    }
}

static void test_extreme_integers_encode_per_rfc8949_appendix_a(void **state)
{
    (void)state;
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    ac_cbor_put_uint(&w, UINT64_MAX); /* 18446744073709551615 */
    assert_encodes_to(&w, "1bffffffffffffffff");
    ac_cbor_writer_init(&w);
    ac_cbor_put_nint(&w, UINT64_MAX); /* -18446744073709551616 */
    assert_encodes_to(&w, "3bffffffffffffffff");
    ac_cbor_writer_init(&w);
    ac_cbor_put_int(&w, INT64_MIN); /* -2^63 = -1 - (2^63 - 1) */
    assert_encodes_to(&w, "3b7fffffffffffffff");
}

static void test_strings_and_simple_values_encode_per_rfc8949_appendix_a(void **state)
{
    (void)state;
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    ac_cbor_put_bytes(&w, "\x01\x02\x03\x04", 4);
    assert_encodes_to(&w, "4401020304");
    ac_cbor_writer_init(&w);
    ac_cbor_put_str(&w, "IETF");
    assert_encodes_to(&w, "6449455446");
    ac_cbor_writer_init(&w);
    ac_cbor_put_str(&w, "\xf0\x90\x85\x91"); /* "\ud800\udd51" */
    assert_encodes_to(&w, "64f0908591");
    ac_cbor_writer_init(&w);
    ac_cbor_put_str(&w, "");
    assert_encodes_to(&w, "60");
    ac_cbor_writer_init(&w);
    ac_cbor_put_bool(&w, false);
    assert_encodes_to(&w, "f4");
    ac_cbor_writer_init(&w);
    ac_cbor_put_null(&w);
    assert_encodes_to(&w, "f6");
}

static void test_nested_arrays_encode_per_rfc8949_appendix_a(void **state)
{
    (void)state;
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    ac_cbor_put_array(&w, 3); /* [1, [2, 3], [4, 5]] */
    ac_cbor_put_uint(&w, 1);
    ac_cbor_put_array(&w, 2);
    ac_cbor_put_uint(&w, 2);
    ac_cbor_put_uint(&w, 3);
    ac_cbor_put_array(&w, 2);
    ac_cbor_put_uint(&w, 4);
    ac_cbor_put_uint(&w, 5);
    assert_encodes_to(&w, "8301820203820405");

    ac_cbor_writer_init(&w);
    ac_cbor_put_array(&w, 25); /* [1, 2, ..., 25] */
    for (unsigned i = 1; i <= 25; i++)
        ac_cbor_put_uint(&w, i);
    assert_encodes_to(&w, "98190102030405060708090a0b0c0d0e0f101112131415161718181819");
}

static void test_map_keys_written_in_any_order_come_out_sorted(void **state)
{
    (void)state;
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    /* {"b": [2, 3], "a": 1} must encode as Appendix A's {"a": 1, "b": [2, 3]}. */
    ac_cbor_put_map(&w, 2);
    ac_cbor_put_str(&w, "b");
    ac_cbor_put_array(&w, 2);
    ac_cbor_put_uint(&w, 2);
    ac_cbor_put_uint(&w, 3);
    ac_cbor_put_str(&w, "a");
    ac_cbor_put_uint(&w, 1);
    assert_encodes_to(&w, "a26161016162820203");
}

static void test_map_keys_sort_by_encoding_not_by_value(void **state)
{
    (void)state;
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    /* §4.2.1: bytewise order of encodings, so 10 (0x0a) < 100 (0x1864) <
     * -1 (0x20) < "z" (0x617a) < "aa" (0x626161): shorter text first. */
    ac_cbor_put_map(&w, 5);
    ac_cbor_put_str(&w, "aa");
    ac_cbor_put_uint(&w, 5);
    ac_cbor_put_str(&w, "z");
    ac_cbor_put_uint(&w, 4);
    ac_cbor_put_int(&w, -1);
    ac_cbor_put_uint(&w, 3);
    ac_cbor_put_uint(&w, 100);
    ac_cbor_put_uint(&w, 2);
    ac_cbor_put_uint(&w, 10);
    ac_cbor_put_uint(&w, 1);
    assert_encodes_to(&w, "a50a011864022003617a0462616105");
}

static void test_writer_refuses_duplicate_map_keys(void **state)
{
    (void)state;
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    ac_cbor_put_map(&w, 2);
    ac_cbor_put_uint(&w, 1);
    ac_cbor_put_uint(&w, 2);
    ac_cbor_put_uint(&w, 1);
    ac_cbor_put_uint(&w, 3);
    struct ac_buf out;
    assert_int_equal(AC_EINVAL, ac_cbor_writer_finish(&w, &out));
    ac_cbor_writer_release(&w);
}

static void test_writer_refuses_an_unclosed_array(void **state)
{
    (void)state;
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    ac_cbor_put_array(&w, 2);
    ac_cbor_put_uint(&w, 1);
    struct ac_buf out;
    assert_int_equal(AC_EINVAL, ac_cbor_writer_finish(&w, &out));
    ac_cbor_writer_release(&w);
}

static void test_writer_refuses_a_second_top_level_item(void **state)
{
    (void)state;
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    ac_cbor_put_uint(&w, 1);
    assert_int_equal(AC_EINVAL, ac_cbor_put_uint(&w, 2));
    ac_cbor_writer_release(&w);
}

static void test_writer_refuses_invalid_utf8_text(void **state)
{
    (void)state;
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    assert_int_equal(AC_EINVAL, ac_cbor_put_text(&w, "\xc0\xaf", 2));
    ac_cbor_writer_release(&w);
}

static void test_writer_refuses_nesting_beyond_the_limit(void **state)
{
    (void)state;
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    for (int i = 0; i < AC_CBOR_MAX_DEPTH; i++)
        assert_int_equal(0, ac_cbor_put_array(&w, 1));
    assert_int_equal(AC_E2BIG, ac_cbor_put_array(&w, 1));
    ac_cbor_writer_release(&w);
}

static void test_tagged_item_encodes_per_rfc8949_appendix_a(void **state)
{
    (void)state;
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    ac_cbor_put_tag(&w, 1); /* 1(1363896240) */
    ac_cbor_put_uint(&w, 1363896240);
    assert_encodes_to(&w, "c11a514b67b0");
}

/* Reads lines of a vectors file; skips comments and blank lines. */
static FILE *open_vectors(const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "vectors/%s", name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    return f;
}

static void test_reader_accepts_every_deterministic_appendix_a_item(void **state)
{
    (void)state;
    FILE *f = open_vectors("rfc8949_accept.hex");
    char line[512];
    int seen = 0;
    while (fgets(line, sizeof(line), f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        uint8_t bytes[256];
        size_t n = unhex(strtok(line, " "), bytes, sizeof(bytes));
        char why[AC_CBOR_WHY_LEN];
        int rc = ac_cbor_check(bytes, n, why, sizeof(why));
        if (rc)
            fail_msg("refused %s: %s", line, why);
        seen++;
    }
    fclose(f);
    assert_int_equal(43, seen);
}

static void test_reader_refuses_each_rejected_vector_with_its_reason(void **state)
{
    (void)state;
    FILE *f = open_vectors("rfc8949_reject.hex");
    char line[512];
    int seen = 0;
    while (fgets(line, sizeof(line), f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        char *bar = strchr(line, '|');
        assert_non_null(bar);
        *bar = '\0';
        char *phrase = bar + 1;
        char *bar2 = strchr(phrase, '|');
        assert_non_null(bar2);
        *bar2 = '\0';
        uint8_t bytes[256];
        size_t n = unhex(line, bytes, sizeof(bytes));
        char why[AC_CBOR_WHY_LEN];
        int rc = ac_cbor_check(bytes, n, why, sizeof(why));
        if (rc != AC_EPARSE)
            fail_msg("accepted %s (%s)", line, bar2 + 1);
        if (!strstr(why, phrase))
            fail_msg("%s: reason \"%s\" lacks \"%s\"", line, why, phrase);
        seen++;
    }
    fclose(f);
    assert_int_equal(32, seen);
}

static void test_reason_names_the_offset_of_the_offending_key(void **state)
{
    (void)state;
    static const uint8_t dup[] = {0xa2, 0x01, 0x02, 0x01, 0x03}; /* {1: 2, 1: 3} */
    char why[AC_CBOR_WHY_LEN];
    assert_int_equal(AC_EPARSE, ac_cbor_check(dup, sizeof(dup), why, sizeof(why)));
    assert_string_equal("offset 3: duplicate map key", why);
}

static void test_cursor_reads_a_map_of_claims(void **state)
{
    (void)state;
    /* {1: "iss", 6: 1363896240, -65537: h'0102'} built by hand:
     * a3 01 63 697373 06 1a 514b67b0 3a 00010000 42 0102 */
    static const uint8_t in[] = {0xa3, 0x01, 0x63, 'i',  's',  's',  0x06, 0x1a, 0x51, 0x4b,
                                 0x67, 0xb0, 0x3a, 0x00, 0x01, 0x00, 0x00, 0x42, 0x01, 0x02};
    struct ac_cbor_reader r;
    assert_int_equal(0, ac_cbor_reader_init(&r, in, sizeof(in)));
    uint64_t n;
    assert_int_equal(0, ac_cbor_get_map(&r, &n));
    assert_int_equal(3, n);
    int64_t key;
    const char *s;
    size_t len;
    assert_int_equal(0, ac_cbor_get_int(&r, &key));
    assert_int_equal(1, key);
    assert_int_equal(0, ac_cbor_get_text(&r, &s, &len));
    assert_int_equal(3, len);
    assert_memory_equal("iss", s, 3);
    assert_int_equal(0, ac_cbor_get_int(&r, &key));
    assert_int_equal(6, key);
    uint64_t t;
    assert_int_equal(0, ac_cbor_get_uint(&r, &t));
    assert_int_equal(1363896240, t);
    assert_int_equal(0, ac_cbor_get_int(&r, &key));
    assert_int_equal(-65537, key);
    const uint8_t *b;
    assert_int_equal(0, ac_cbor_get_bytes(&r, &b, &len));
    assert_int_equal(2, len);
    assert_int_equal(AC_CBOR_END, ac_cbor_peek(&r));
}

static void test_cursor_refuses_a_wrong_type_and_stays_put(void **state)
{
    (void)state;
    static const uint8_t in[] = {0x61, 'a'};
    struct ac_cbor_reader r;
    assert_int_equal(0, ac_cbor_reader_init(&r, in, sizeof(in)));
    uint64_t v;
    assert_int_equal(AC_EPARSE, ac_cbor_get_uint(&r, &v));
    assert_string_equal("offset 0: expected unsigned integer, found text string", r.why);
    assert_int_equal(0, ac_cbor_offset(&r));
}

static void test_skip_returns_the_encoded_bytes_of_a_nested_item(void **state)
{
    (void)state;
    static const uint8_t in[] = {0x82, 0x82, 0x01, 0x02, 0x03}; /* [[1, 2], 3] */
    struct ac_cbor_reader r;
    assert_int_equal(0, ac_cbor_reader_init(&r, in, sizeof(in)));
    uint64_t n;
    assert_int_equal(0, ac_cbor_get_array(&r, &n));
    const uint8_t *p;
    size_t len;
    assert_int_equal(0, ac_cbor_skip(&r, &p, &len));
    assert_ptr_equal(in + 1, p);
    assert_int_equal(3, len);
}

static void test_libcbor_decodes_what_the_writer_produces(void **state)
{
    (void)state;
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    ac_cbor_put_map(&w, 2);
    ac_cbor_put_str(&w, "ceu");
    ac_cbor_put_uint(&w, 150);
    ac_cbor_put_int(&w, -65537);
    ac_cbor_put_bytes(&w, "\xaa\xbb", 2);
    struct ac_buf out;
    assert_int_equal(0, ac_cbor_writer_finish(&w, &out));

    struct cbor_load_result res;
    cbor_item_t *item = cbor_load(out.data, out.len, &res);
    assert_non_null(item);
    assert_int_equal(CBOR_ERR_NONE, res.error.code);
    assert_int_equal(out.len, res.read);
    assert_true(cbor_isa_map(item));
    assert_int_equal(2, cbor_map_size(item));
    struct cbor_pair *pairs = cbor_map_handle(item);
    /* Sorted: -65537 (0x3a...) before "ceu" (0x63...). */
    assert_true(cbor_isa_negint(pairs[0].key));
    assert_int_equal(65536, cbor_get_int(pairs[0].key));
    assert_true(cbor_isa_string(pairs[1].key));
    assert_int_equal(150, cbor_get_int(pairs[1].value));
    cbor_decref(&item);
    ac_buf_release(&out);
}

static void test_unsorted_map_that_libcbor_accepts_is_refused(void **state)
{
    (void)state;
    /* libcbor builds maps in insertion order and loads them without complaint,
     * which is why the strict checks are our own. */
    cbor_item_t *map = cbor_new_definite_map(2);
    assert_true(cbor_map_add(map, (struct cbor_pair){.key = cbor_move(cbor_build_uint8(3)),
                                                     .value = cbor_move(cbor_build_uint8(4))}));
    assert_true(cbor_map_add(map, (struct cbor_pair){.key = cbor_move(cbor_build_uint8(1)),
                                                     .value = cbor_move(cbor_build_uint8(2))}));
    unsigned char *buf = NULL;
    size_t cap = 0;
    size_t len = cbor_serialize_alloc(map, &buf, &cap);
    assert_true(len > 0);
    struct cbor_load_result res;
    cbor_item_t *again = cbor_load(buf, len, &res);
    assert_non_null(again);
    cbor_decref(&again);
    char why[AC_CBOR_WHY_LEN];
    assert_int_equal(AC_EPARSE, ac_cbor_check(buf, len, why, sizeof(why)));
    assert_non_null(strstr(why, "lexicographic order"));
    free(buf);
    cbor_decref(&map);
}

static void test_map_find_reads_the_value_of_a_text_key_and_says_which_are_absent(void **state)
{
    (void)state;
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    ac_cbor_put_map(&w, 2);
    ac_cbor_put_str(&w, "re");
    ac_cbor_put_str(&w, "abc");
    ac_cbor_put_str(&w, "n");
    ac_cbor_put_uint(&w, 7);
    struct ac_buf b = AC_BUF_INIT;
    assert_int_equal(0, ac_cbor_writer_finish(&w, &b));
    ac_cbor_writer_release(&w);
    struct ac_cbor_reader at;
    uint64_t v = 0;
    assert_int_equal(0, ac_cbor_map_find(b.data, b.len, "n", &at));
    assert_int_equal(0, ac_cbor_get_uint(&at, &v));
    assert_int_equal(7, v);
    assert_int_equal(AC_ENOENT, ac_cbor_map_find(b.data, b.len, "missing", &at));
    static const uint8_t not_a_map[] = {0x82, 0x01, 0x02};
    assert_int_equal(AC_EPARSE, ac_cbor_map_find(not_a_map, sizeof not_a_map, "n", &at));
    ac_buf_release(&b);
}

static void test_put_encoded_refuses_non_deterministic_bytes(void **state)
{
    (void)state;
    static const uint8_t long_form[] = {0x18, 0x05}; /* 5 with a one-byte argument */
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    ac_cbor_put_array(&w, 1);
    assert_int_equal(AC_EPARSE, ac_cbor_put_encoded(&w, long_form, sizeof(long_form)));
    ac_cbor_writer_release(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers_encode_in_shortest_form_per_rfc8949_appendix_a),
        cmocka_unit_test(test_extreme_integers_encode_per_rfc8949_appendix_a),
        cmocka_unit_test(test_strings_and_simple_values_encode_per_rfc8949_appendix_a),
        cmocka_unit_test(test_nested_arrays_encode_per_rfc8949_appendix_a),
        cmocka_unit_test(test_map_keys_written_in_any_order_come_out_sorted),
        cmocka_unit_test(test_map_keys_sort_by_encoding_not_by_value),
        cmocka_unit_test(test_writer_refuses_duplicate_map_keys),
        cmocka_unit_test(test_writer_refuses_an_unclosed_array),
        cmocka_unit_test(test_writer_refuses_a_second_top_level_item),
        cmocka_unit_test(test_writer_refuses_invalid_utf8_text),
        cmocka_unit_test(test_writer_refuses_nesting_beyond_the_limit),
        cmocka_unit_test(test_tagged_item_encodes_per_rfc8949_appendix_a),
        cmocka_unit_test(test_reader_accepts_every_deterministic_appendix_a_item),
        cmocka_unit_test(test_reader_refuses_each_rejected_vector_with_its_reason),
        cmocka_unit_test(test_reason_names_the_offset_of_the_offending_key),
        cmocka_unit_test(test_cursor_reads_a_map_of_claims),
        cmocka_unit_test(test_cursor_refuses_a_wrong_type_and_stays_put),
        cmocka_unit_test(test_skip_returns_the_encoded_bytes_of_a_nested_item),
        cmocka_unit_test(test_libcbor_decodes_what_the_writer_produces),
        cmocka_unit_test(test_unsorted_map_that_libcbor_accepts_is_refused),
        cmocka_unit_test(test_put_encoded_refuses_non_deterministic_bytes),
        cmocka_unit_test(test_map_find_reads_the_value_of_a_text_key_and_says_which_are_absent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
