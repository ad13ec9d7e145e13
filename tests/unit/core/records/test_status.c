/* test_status.c - tests core/status.c: status transitions, random index
 * assignment, and the Token Status List and W3C Bitstring Status List bits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "accord/base/error.h"
#include "accord/records/status.h"

#define N AC_STATUS_MIN_ENTRIES

/* A list of N entries whose first |used| indexes are assigned, all valid. */
static struct ac_status_list *list_with_first_used(unsigned used)
{
    uint8_t *status = calloc(1, N / 4), *map = calloc(1, N / 8);
    assert_non_null(status);
    assert_non_null(map);
    for (unsigned i = 0; i < used; i++)
        map[i / 8] |= (uint8_t)(1u << (i % 8));
    struct ac_status_list *l;
    assert_int_equal(0, ac_status_list_load(N, status, N / 4, map, N / 8, &l));
    free(status);
    free(map);
    return l;
}

static void test_lists_smaller_than_the_w3c_minimum_are_refused(void **state)
{
    (void)state;
    struct ac_status_list *l;
    assert_int_equal(AC_EINVAL, ac_status_list_new(N - 8, &l));
    assert_int_equal(AC_EINVAL, ac_status_list_new(N + 4, &l)); /* not whole bytes of bits */
    assert_int_equal(0, ac_status_list_new(N, &l));
    assert_int_equal(N, ac_status_list_entries(l));
    assert_int_equal(0, ac_status_list_assigned(l));
    ac_status_list_free(l);
}

static void test_two_bit_entries_pack_least_significant_first(void **state)
{
    (void)state;
    /* draft-ietf-oauth-status-list §4.1, bits = 2: entry i sits at bits
     * 2*(i%4) of byte i/4. Statuses 1,2,0,0 | 0,1,0,1 | 1,2,0,0 give, by hand,
     * 0x09 | 0x44 | 0x09 (the middle byte is the draft's own example byte 1). */
    static const enum ac_status s[12] = {1, 2, 0, 0, 0, 1, 0, 1, 1, 2, 0, 0};
    struct ac_status_list *l = list_with_first_used(12);
    for (unsigned i = 0; i < 12; i++)
        assert_int_equal(0, ac_status_list_set(l, i, s[i]));
    size_t len;
    const uint8_t *b = ac_status_list_bytes(l, &len);
    assert_int_equal(N / 4, len);
    assert_int_equal(0x09, b[0]);
    assert_int_equal(0x44, b[1]);
    assert_int_equal(0x09, b[2]);
    assert_int_equal(0x00, b[3]);
    ac_status_list_free(l);
}

static void test_revocation_is_final(void **state)
{
    (void)state;
    struct ac_status_list *l = list_with_first_used(1);
    enum ac_status s;
    assert_int_equal(0, ac_status_list_set(l, 0, AC_STATUS_INVALID));
    assert_int_equal(AC_ECONFLICT, ac_status_list_set(l, 0, AC_STATUS_VALID));
    assert_int_equal(AC_ECONFLICT, ac_status_list_set(l, 0, AC_STATUS_SUSPENDED));
    assert_int_equal(0, ac_status_list_set(l, 0, AC_STATUS_INVALID)); /* again: no-op */
    assert_int_equal(0, ac_status_list_get(l, 0, &s));
    assert_int_equal(AC_STATUS_INVALID, s);
    ac_status_list_free(l);
}

static void test_suspension_is_lifted_by_reinstating(void **state)
{
    (void)state;
    struct ac_status_list *l = list_with_first_used(1);
    enum ac_status s;
    assert_int_equal(0, ac_status_list_set(l, 0, AC_STATUS_SUSPENDED));
    assert_int_equal(0, ac_status_list_get(l, 0, &s));
    assert_int_equal(AC_STATUS_SUSPENDED, s);
    assert_int_equal(0, ac_status_list_set(l, 0, AC_STATUS_VALID));
    assert_int_equal(0, ac_status_list_get(l, 0, &s));
    assert_int_equal(AC_STATUS_VALID, s);
    /* A suspended credential can still be revoked. */
    assert_int_equal(0, ac_status_list_set(l, 0, AC_STATUS_SUSPENDED));
    assert_int_equal(0, ac_status_list_set(l, 0, AC_STATUS_INVALID));
    ac_status_list_free(l);
}

static void test_unassigned_and_out_of_range_indexes_are_refused(void **state)
{
    (void)state;
    struct ac_status_list *l = list_with_first_used(1);
    enum ac_status s;
    assert_int_equal(AC_ENOENT, ac_status_list_get(l, 1, &s));
    assert_int_equal(AC_ENOENT, ac_status_list_set(l, 1, AC_STATUS_INVALID));
    assert_int_equal(AC_EINVAL, ac_status_list_get(l, N, &s));
    assert_int_equal(AC_EINVAL, ac_status_list_set(l, N, AC_STATUS_INVALID));
    assert_int_equal(AC_EINVAL, ac_status_list_set(l, 0, (enum ac_status)3));
    ac_status_list_free(l);
}

static void test_every_index_is_assigned_once_until_the_list_is_full(void **state)
{
    (void)state;
    struct ac_status_list *l;
    assert_int_equal(0, ac_status_list_new(N, &l));
    uint8_t *seen = calloc(1, N);
    assert_non_null(seen);
    for (unsigned k = 0; k < N; k++) {
        uint64_t i;
        assert_int_equal(0, ac_status_list_assign(l, &i));
        assert_true(i < N);
        assert_int_equal(0, seen[i]);
        seen[i] = 1;
    }
    uint64_t i;
    assert_int_equal(AC_E2BIG, ac_status_list_assign(l, &i));
    assert_int_equal(N, ac_status_list_assigned(l));
    free(seen);
    ac_status_list_free(l);
}

static void test_assigned_indexes_do_not_follow_issuance_order(void **state)
{
    (void)state;
    struct ac_status_list *l;
    assert_int_equal(0, ac_status_list_new(N, &l));
    /* 32 uniform draws from 131,072 all landing in 0..63 has odds ~ 2^-352. */
    int low = 0;
    for (int k = 0; k < 32; k++) {
        uint64_t i;
        assert_int_equal(0, ac_status_list_assign(l, &i));
        low += i < 64;
    }
    assert_true(low < 32);
    ac_status_list_free(l);
}

static void test_a_saved_list_loads_back_and_bad_saves_are_refused(void **state)
{
    (void)state;
    struct ac_status_list *l = list_with_first_used(3);
    assert_int_equal(0, ac_status_list_set(l, 1, AC_STATUS_SUSPENDED));
    size_t blen, ulen;
    const uint8_t *b = ac_status_list_bytes(l, &blen);
    const uint8_t *u = ac_status_list_used_bytes(l, &ulen);
    uint8_t *bc = malloc(blen), *uc = malloc(ulen);
    memcpy(bc, b, blen);
    memcpy(uc, u, ulen);
    struct ac_status_list *m;
    enum ac_status s;
    assert_int_equal(0, ac_status_list_load(N, bc, blen, uc, ulen, &m));
    assert_int_equal(3, ac_status_list_assigned(m));
    assert_int_equal(0, ac_status_list_get(m, 1, &s));
    assert_int_equal(AC_STATUS_SUSPENDED, s);
    ac_status_list_free(m);

    bc[0] |= 0x03; /* value 3 is no status of ours */
    assert_int_equal(AC_EPARSE, ac_status_list_load(N, bc, blen, uc, ulen, &m));
    bc[0] &= 0xfc;
    bc[1] = 0x01; /* index 4 revoked but never assigned */
    assert_int_equal(AC_EPARSE, ac_status_list_load(N, bc, blen, uc, ulen, &m));
    assert_int_equal(AC_EINVAL, ac_status_list_load(N, bc, blen - 1, uc, ulen, &m));
    free(bc);
    free(uc);
    ac_status_list_free(l);
}

static void test_the_compressed_list_inflates_to_the_bits(void **state)
{
    (void)state;
    struct ac_status_list *l = list_with_first_used(10);
    assert_int_equal(0, ac_status_list_set(l, 9, AC_STATUS_INVALID));
    struct ac_buf z = AC_BUF_INIT, raw = AC_BUF_INIT;
    assert_int_equal(0, ac_status_list_compress(l, &z));
    /* RFC 1950: CMF 0x78 (deflate, 32K window), and FLEVEL 3 for level 9. */
    assert_int_equal(0x78, z.data[0]);
    assert_int_equal(3, z.data[1] >> 6);
    assert_true(z.len < 200); /* 32 KiB of mostly zeroes */
    assert_int_equal(0, ac_status_inflate_zlib(z.data, z.len, N / 4, &raw));
    size_t len;
    const uint8_t *b = ac_status_list_bytes(l, &len);
    assert_int_equal(len, raw.len);
    assert_memory_equal(b, raw.data, len);
    ac_buf_release(&raw);
    /* Too small a limit, truncation and trailing bytes are refused. */
    assert_int_equal(AC_E2BIG, ac_status_inflate_zlib(z.data, z.len, N / 4 - 1, &raw));
    assert_int_equal(AC_EPARSE, ac_status_inflate_zlib(z.data, z.len - 1, N / 4, &raw));
    assert_int_equal(0, ac_buf_push(&z, 0));
    assert_int_equal(AC_EPARSE, ac_status_inflate_zlib(z.data, z.len, N / 4, &raw));
    assert_int_equal(0, raw.len);
    ac_buf_release(&raw);
    ac_buf_release(&z);
    ac_status_list_free(l);
}

static void test_w3c_lists_set_the_leftmost_bit_for_index_zero(void **state)
{
    (void)state;
    /* W3C Bitstring Status List §3.2: index 0 is the left-most bit of the
     * bitstring; statusPurpose picks which status sets a bit. */
    struct ac_status_list *l = list_with_first_used(16);
    assert_int_equal(0, ac_status_list_set(l, 0, AC_STATUS_INVALID));
    assert_int_equal(0, ac_status_list_set(l, 9, AC_STATUS_SUSPENDED));
    struct ac_buf enc = AC_BUF_INIT, bits = AC_BUF_INIT;

    assert_int_equal(0, ac_status_w3c_encode(l, AC_STATUS_PURPOSE_REVOCATION, &enc));
    assert_int_equal('u', enc.data[0]);
    for (size_t i = 0; i < enc.len; i++)
        assert_true(enc.data[i] != '=' && enc.data[i] != '+' && enc.data[i] != '/');
    assert_int_equal(0, ac_status_w3c_decode((char *)enc.data, enc.len, N / 8, &bits));
    assert_int_equal(N / 8, bits.len);
    assert_int_equal(0x80, bits.data[0]);
    assert_int_equal(0x00, bits.data[1]);
    assert_int_equal(1, ac_status_w3c_bit(bits.data, bits.len, 0));
    assert_int_equal(0, ac_status_w3c_bit(bits.data, bits.len, 9));
    assert_int_equal(-1, ac_status_w3c_bit(bits.data, bits.len, N));
    ac_buf_release(&enc);
    ac_buf_release(&bits);

    assert_int_equal(0, ac_status_w3c_encode(l, AC_STATUS_PURPOSE_SUSPENSION, &enc));
    assert_int_equal(0, ac_status_w3c_decode((char *)enc.data, enc.len, N / 8, &bits));
    assert_int_equal(0x00, bits.data[0]);
    assert_int_equal(0x40, bits.data[1]); /* index 9: second bit from the left */
    ac_buf_release(&enc);
    ac_buf_release(&bits);
    ac_status_list_free(l);
}

static void test_w3c_decoding_refuses_what_is_not_an_encoded_list(void **state)
{
    (void)state;
    struct ac_buf out = AC_BUF_INIT;
    assert_int_equal(AC_EPARSE, ac_status_w3c_decode("H4sIAAAAAAAAA", 13, 100, &out)); /* no 'u' */
    assert_int_equal(AC_EPARSE,
                     ac_status_w3c_decode("uH4sI+AAA", 9, 100, &out));        /* not base64url */
    assert_int_equal(AC_EPARSE, ac_status_w3c_decode("uAAAA", 5, 100, &out)); /* not GZIP */
    struct ac_status_list *l;
    struct ac_buf enc = AC_BUF_INIT;
    assert_int_equal(0, ac_status_list_new(N, &l));
    assert_int_equal(0, ac_status_w3c_encode(l, AC_STATUS_PURPOSE_REVOCATION, &enc));
    assert_int_equal(AC_E2BIG, ac_status_w3c_decode((char *)enc.data, enc.len, 1024, &out));
    assert_int_equal(0, out.len);
    ac_buf_release(&out);
    ac_buf_release(&enc);
    ac_status_list_free(l);
}

static void test_status_names_read_as_words(void **state)
{
    (void)state;
    assert_string_equal("valid", ac_status_name(AC_STATUS_VALID));
    assert_string_equal("revoked", ac_status_name(AC_STATUS_INVALID));
    assert_string_equal("suspended", ac_status_name(AC_STATUS_SUSPENDED));
    assert_string_equal("unknown", ac_status_name(3));
}

static void test_a_list_grows_by_doubling_before_it_is_more_than_half_assigned(void **state)
{
    (void)state;
    /* The rule, worked by hand: 131,072 holds up to 65,536; one more needs
     * 262,144; an index of 200,000 needs 262,144 whatever the count. */
    assert_int_equal(131072, ac_status_entries_for(0, 0));
    assert_int_equal(131072, ac_status_entries_for(65536, 0));
    assert_int_equal(262144, ac_status_entries_for(65537, 0));
    assert_int_equal(262144, ac_status_entries_for(1, 200001));
    assert_int_equal(AC_STATUS_MAX_ENTRIES, ac_status_entries_for(AC_STATUS_MAX_ENTRIES, 0));
}

static void test_growing_keeps_every_status_and_frees_the_new_entries(void **state)
{
    (void)state;
    struct ac_status_list *l = NULL;
    assert_int_equal(0, ac_status_list_new(AC_STATUS_MIN_ENTRIES, &l));
    uint64_t a, b;
    assert_int_equal(0, ac_status_list_assign(l, &a));
    assert_int_equal(0, ac_status_list_assign(l, &b));
    assert_int_equal(0, ac_status_list_set(l, a, AC_STATUS_INVALID));
    assert_int_equal(0, ac_status_list_set(l, b, AC_STATUS_SUSPENDED));
    assert_int_equal(AC_EINVAL, ac_status_list_grow(l, AC_STATUS_MIN_ENTRIES));
    assert_int_equal(0, ac_status_list_grow(l, 2 * AC_STATUS_MIN_ENTRIES));
    assert_int_equal(2 * AC_STATUS_MIN_ENTRIES, ac_status_list_entries(l));
    assert_int_equal(2, ac_status_list_assigned(l));
    enum ac_status s;
    assert_int_equal(0, ac_status_list_get(l, a, &s));
    assert_int_equal(AC_STATUS_INVALID, s);
    assert_int_equal(0, ac_status_list_get(l, b, &s));
    assert_int_equal(AC_STATUS_SUSPENDED, s);
    assert_int_equal(AC_ENOENT, ac_status_list_get(l, AC_STATUS_MIN_ENTRIES + 5, &s));
    /* Draws now range over the whole list: among 64 of them some land in
     * the new half (the chance that none does is 2^-64). */
    int upper = 0;
    for (int i = 0; i < 64; i++) {
        uint64_t k;
        assert_int_equal(0, ac_status_list_assign(l, &k));
        upper |= k >= AC_STATUS_MIN_ENTRIES;
    }
    assert_true(upper);
    ac_status_list_free(l);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lists_smaller_than_the_w3c_minimum_are_refused),
        cmocka_unit_test(test_a_list_grows_by_doubling_before_it_is_more_than_half_assigned),
        cmocka_unit_test(test_growing_keeps_every_status_and_frees_the_new_entries),
        cmocka_unit_test(test_two_bit_entries_pack_least_significant_first),
        cmocka_unit_test(test_revocation_is_final),
        cmocka_unit_test(test_suspension_is_lifted_by_reinstating),
        cmocka_unit_test(test_unassigned_and_out_of_range_indexes_are_refused),
        cmocka_unit_test(test_every_index_is_assigned_once_until_the_list_is_full),
        cmocka_unit_test(test_assigned_indexes_do_not_follow_issuance_order),
        cmocka_unit_test(test_a_saved_list_loads_back_and_bad_saves_are_refused),
        cmocka_unit_test(test_the_compressed_list_inflates_to_the_bits),
        cmocka_unit_test(test_w3c_lists_set_the_leftmost_bit_for_index_zero),
        cmocka_unit_test(test_w3c_decoding_refuses_what_is_not_an_encoded_list),
        cmocka_unit_test(test_status_names_read_as_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
