/* test_sha256.c - tests core/records/sha256.c: the FIPS 180-2 examples, and
 * every length from 0 to 1,000 bytes, whole and in uneven pieces, against
 * libsodium's crypto_hash_sha256 (on a CPU without the SHA extensions both
 * sides are libsodium, and the test says so). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "accord/records/sha256.h"

static void hex(const uint8_t *h, char out[65])
{
    sodium_bin2hex(out, 65, h, 32);
}

static void test_the_fips_examples_hash_to_their_published_digests(void **state)
{
    (void)state;
    uint8_t h[32];
    char x[65];
    ac_sha256(h, "abc", 3);
    hex(h, x);
    assert_string_equal(x, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    ac_sha256(h, two, strlen(two));
    hex(h, x);
    assert_string_equal(x, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    ac_sha256(h, "", 0);
    hex(h, x);
    assert_string_equal(x, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_every_length_to_1000_bytes_matches_libsodium_whole_and_in_pieces(void **state)
{
    (void)state;
    static uint8_t data[1000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 131 + 7);
    if (!ac_sha256_accelerated())
        print_message(
            "no SHA extensions on this CPU: the libsodium path is compared with itself\n");
    for (size_t len = 0; len <= sizeof data; len++) {
        uint8_t want[32], whole[32], pieces[32];
        crypto_hash_sha256(want, data, len);
        ac_sha256(whole, data, len);
        assert_memory_equal(want, whole, 32);
        struct ac_sha256 st;
        ac_sha256_init(&st);
        size_t off = 0, step = 1;
        while (off < len) {
            size_t n = step < len - off ? step : len - off;
            ac_sha256_update(&st, data + off, n);
            off += n;
            step = step * 3 % 97 + 1;
        }
        ac_sha256_final(&st, pieces);
        assert_memory_equal(want, pieces, 32);
    }
}

static void test_the_forced_portable_path_gives_the_same_digest(void **state)
{
    (void)state;
    uint8_t a[32], b[32];
    ac_sha256(a, "credential", 10);
    ac_sha256_force_portable(1);
    assert_int_equal(ac_sha256_accelerated(), 0);
    ac_sha256(b, "credential", 10);
    ac_sha256_force_portable(0);
    assert_memory_equal(a, b, 32);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_fips_examples_hash_to_their_published_digests),
        cmocka_unit_test(test_every_length_to_1000_bytes_matches_libsodium_whole_and_in_pieces),
        cmocka_unit_test(test_the_forced_portable_path_gives_the_same_digest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
