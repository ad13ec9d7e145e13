/* test_keyring.c - tests core/keyring.c: key files, kids, signing, rotation,
 * and rotation in three steps with its files written on another thread. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "test_dir.h"
#include "accord/base/error.h"
#include "accord/sign/keyring.h"

/* RFC 8032 section 7.1, TEST 1: secret key (seed), public key, and the
 * signature of the empty message. */
static const char *rfc_seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const uint8_t rfc_public[32] = {
    0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
    0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a};
static const uint8_t rfc_sig_empty[64] = {
    0xe5, 0x56, 0x43, 0x00, 0xc3, 0x60, 0xac, 0x72, 0x90, 0x86, 0xe2, 0xcc, 0x80, 0x6e, 0x82, 0x8a,
    0x84, 0x87, 0x7f, 0x1e, 0xb8, 0xe5, 0xd9, 0x74, 0xd8, 0x73, 0xe0, 0x65, 0x22, 0x49, 0x01, 0x55,
    0x5f, 0xb8, 0x82, 0x15, 0x90, 0xa3, 0x3b, 0xac, 0xc6, 0x1e, 0x39, 0x70, 0x1c, 0xf9, 0xb4, 0x6b,
    0xd2, 0x5b, 0xf5, 0xf0, 0x59, 0x5b, 0xbe, 0x24, 0x65, 0x51, 0x41, 0x43, 0x8e, 0x7a, 0x10, 0x0b};
/* First 8 bytes of SHA-256(rfc_public), computed with Python's hashlib. */
static const char *rfc_kid_hex = "21fe31dfa154a261";

static char dir[64];

static int make_dir(void **state)
{
    (void)state;
    return test_make_dir(dir, sizeof dir, "ac-keyring");
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_key_file(const char *name, const char *seed_hex, long long nb, long long na,
                           int mode)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "accord-key 1\nseed %s\nnot_before %lld\nnot_after %lld\n", seed_hex, nb, na);
    fclose(f);
    chmod(path, (mode_t)mode);
}

static void test_a_key_file_with_the_rfc8032_seed_signs_like_the_rfc(void **state)
{
    (void)state;
    write_key_file("k.key", rfc_seed, 1000, 0, 0600);
    struct ac_keyring *kr;
    assert_int_equal(0, ac_keyring_open(dir, &kr));
    const struct ac_key_info *k = ac_keyring_current(kr);
    assert_memory_equal(rfc_public, k->public_key, 32);
    uint8_t sig[64];
    assert_int_equal(0, ac_keyring_sign(kr, (const uint8_t *)"", 0, sig));
    assert_memory_equal(rfc_sig_empty, sig, 64);
    ac_keyring_close(kr);
}

static void test_the_kid_is_the_first_eight_bytes_of_the_key_hash(void **state)
{
    (void)state;
    uint8_t kid[8];
    ac_key_id(rfc_public, kid);
    char hex[17];
    for (int i = 0; i < 8; i++)
        snprintf(hex + 2 * i, 3, "%02x", kid[i]);
    assert_string_equal(rfc_kid_hex, hex);
}

static void test_opening_an_empty_directory_creates_one_current_key(void **state)
{
    (void)state;
    struct ac_keyring *kr;
    assert_int_equal(0, ac_keyring_open(dir, &kr));
    assert_int_equal(1, ac_keyring_count(kr));
    assert_int_equal(0, ac_keyring_current(kr)->not_after_ms);
    char path[128];
    snprintf(path, sizeof path, "%s/%s.key", dir, ac_keyring_current(kr)->kid_hex);
    struct stat sb;
    assert_int_equal(0, stat(path, &sb));
    assert_int_equal(0600, sb.st_mode & 0777);
    ac_keyring_close(kr);
}

static void test_reopening_reuses_the_existing_key(void **state)
{
    (void)state;
    struct ac_keyring *kr;
    assert_int_equal(0, ac_keyring_open(dir, &kr));
    uint8_t first[32];
    memcpy(first, ac_keyring_current(kr)->public_key, 32);
    ac_keyring_close(kr);
    assert_int_equal(0, ac_keyring_open(dir, &kr));
    assert_int_equal(1, ac_keyring_count(kr));
    assert_memory_equal(first, ac_keyring_current(kr)->public_key, 32);
    ac_keyring_close(kr);
}

static void test_rotation_retires_the_old_key_and_keeps_it_findable(void **state)
{
    (void)state;
    struct ac_keyring *kr;
    assert_int_equal(0, ac_keyring_open(dir, &kr));
    struct ac_key_info old = *ac_keyring_current(kr);
    int64_t t = old.not_before_ms + 5000;
    assert_int_equal(0, ac_keyring_rotate(kr, t));
    assert_int_equal(2, ac_keyring_count(kr));
    assert_memory_not_equal(old.public_key, ac_keyring_current(kr)->public_key, 32);
    assert_int_equal(t, ac_keyring_current(kr)->not_before_ms);
    const struct ac_key_info *found = ac_keyring_find(kr, old.kid);
    assert_non_null(found);
    assert_int_equal(t, found->not_after_ms);
    ac_keyring_close(kr);

    /* The rotation is on disk: a reopen sees the same two keys. */
    assert_int_equal(0, ac_keyring_open(dir, &kr));
    assert_int_equal(2, ac_keyring_count(kr));
    assert_memory_equal(old.kid, ac_keyring_key(kr, 0)->kid, 8);
    assert_int_equal(t, ac_keyring_key(kr, 0)->not_after_ms);
    ac_keyring_close(kr);
}

static void test_a_key_file_readable_by_others_is_refused(void **state)
{
    (void)state;
    write_key_file("k.key", rfc_seed, 1000, 0, 0644);
    struct ac_keyring *kr = NULL;
    assert_int_equal(AC_EIO, ac_keyring_open(dir, &kr));
    assert_null(kr);
}

static void test_a_corrupt_key_file_is_a_parse_error(void **state)
{
    (void)state;
    write_key_file("k.key", "not-hex", 1000, 0, 0600);
    struct ac_keyring *kr = NULL;
    assert_int_equal(AC_EPARSE, ac_keyring_open(dir, &kr));
}

static void test_an_interrupted_rotation_retires_the_older_key_at_the_newer_start(void **state)
{
    (void)state;
    /* Two keys without an end: the crash fell between writing the new key and
     * retiring the old one. */
    write_key_file("a.key", rfc_seed, 1000, 0, 0600);
    write_key_file("b.key", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                   2000, 0, 0600); /* RFC 8032 TEST 2 seed */
    struct ac_keyring *kr;
    assert_int_equal(0, ac_keyring_open(dir, &kr));
    assert_int_equal(2, ac_keyring_count(kr));
    assert_memory_equal(rfc_public, ac_keyring_key(kr, 0)->public_key, 32);
    assert_int_equal(2000, ac_keyring_key(kr, 0)->not_after_ms);
    assert_int_equal(2000, ac_keyring_current(kr)->not_before_ms);
    ac_keyring_close(kr);
}

/* Opens |dir| in a second keyring, as a restarted node would: what is on
 * disk, whatever the first keyring holds in memory. */
static size_t keys_on_disk(uint8_t current_public[32])
{
    struct ac_keyring *other;
    assert_int_equal(0, ac_keyring_open(dir, &other));
    size_t n = ac_keyring_count(other);
    memcpy(current_public, ac_keyring_current(other)->public_key, 32);
    ac_keyring_close(other);
    return n;
}

static void *write_files(void *arg)
{
    struct ac_keyring_rotation *rot = arg;
    static int err;
    err = ac_keyring_rotation_write(rot);
    return &err;
}

/* What the hand-over callback saw, and the outgoing key's signature of a
 * message then. */
struct handover {
    int calls;
    struct ac_key_info outgoing, next;
    uint8_t sig[64];
};

static int on_handover(void *ctx, const struct ac_key_info *outgoing,
                       const struct ac_key_info *next,
                       int (*sign)(void *sign_ctx, const uint8_t *msg, size_t len,
                                   uint8_t sig[AC_KEY_SIG_BYTES]),
                       void *sign_ctx)
{
    struct handover *h = ctx;
    h->calls++;
    h->outgoing = *outgoing;
    h->next = *next;
    return sign(sign_ctx, (const uint8_t *)"hand-over", 9, h->sig);
}

static void test_a_rotation_in_steps_writes_its_files_on_another_thread(void **state)
{
    (void)state;
    struct ac_keyring *kr;
    assert_int_equal(0, ac_keyring_open(dir, &kr));
    struct ac_key_info old = *ac_keyring_current(kr);
    int64_t t = old.not_before_ms + 5000;
    struct handover h = {0};
    struct ac_keyring_rotation *rot;
    assert_int_equal(0, ac_keyring_rotation_prepare(kr, t, on_handover, &h, &rot));
    const struct ac_key_info next = *ac_keyring_rotation_next(rot);
    assert_int_equal(t, next.not_before_ms);
    assert_memory_not_equal(old.public_key, next.public_key, 32);

    /* The outgoing key signed its hand-over, naming its successor. */
    assert_int_equal(1, h.calls);
    assert_memory_equal(old.kid, h.outgoing.kid, 8);
    assert_memory_equal(next.public_key, h.next.public_key, 32);
    assert_int_equal(
        0, crypto_sign_verify_detached(h.sig, (const uint8_t *)"hand-over", 9, old.public_key));

    /* Prepared: memory and disk hold the old key alone, and nothing signs
     * (the old key's window ended at t, the new key is not on disk). */
    uint8_t sig[64], on_disk[32];
    assert_int_equal(1, ac_keyring_count(kr));
    assert_memory_equal(old.kid, ac_keyring_current(kr)->kid, 8);
    assert_int_equal(0, ac_keyring_current(kr)->not_after_ms);
    assert_int_equal(AC_EBUSY, ac_keyring_sign(kr, (const uint8_t *)"m", 1, sig));
    assert_int_equal(1, keys_on_disk(on_disk));
    assert_memory_equal(old.public_key, on_disk, 32);
    /* One rotation at a time. */
    struct ac_keyring_rotation *again = NULL;
    assert_int_equal(AC_EAGAIN, ac_keyring_rotation_prepare(kr, t + 1, NULL, NULL, &again));
    assert_null(again);

    /* The files, on a thread of their own. */
    pthread_t th;
    assert_int_equal(0, pthread_create(&th, NULL, write_files, rot));
    void *ret;
    assert_int_equal(0, pthread_join(th, &ret));
    assert_int_equal(0, *(int *)ret);

    /* Durable: a restart would find the rotation; this keyring's memory is
     * untouched until it takes the rotation in. */
    assert_int_equal(2, keys_on_disk(on_disk));
    assert_memory_equal(next.public_key, on_disk, 32);
    assert_int_equal(1, ac_keyring_count(kr));
    assert_int_equal(AC_EBUSY, ac_keyring_sign(kr, (const uint8_t *)"m", 1, sig));

    assert_int_equal(0, ac_keyring_rotation_commit(kr, rot));
    assert_int_equal(2, ac_keyring_count(kr));
    assert_memory_equal(next.kid, ac_keyring_current(kr)->kid, 8);
    assert_int_equal(t, ac_keyring_find(kr, old.kid)->not_after_ms);
    assert_int_equal(0, ac_keyring_sign(kr, (const uint8_t *)"m", 1, sig));
    assert_int_equal(0, crypto_sign_verify_detached(sig, (const uint8_t *)"m", 1, next.public_key));
    ac_keyring_close(kr);

    /* The reopened keyring is the same: the old key retired at t. */
    assert_int_equal(0, ac_keyring_open(dir, &kr));
    assert_int_equal(2, ac_keyring_count(kr));
    assert_int_equal(t, ac_keyring_key(kr, 0)->not_after_ms);
    assert_memory_equal(next.kid, ac_keyring_current(kr)->kid, 8);
    ac_keyring_close(kr);
}

/* Opens the keyring in |dir| and prepares a rotation 5 s into its current
 * key's window; |old| is that key as it was. */
static void open_and_prepare(struct ac_keyring **kr, struct ac_key_info *old,
                             struct ac_keyring_rotation **rot)
{
    assert_int_equal(0, ac_keyring_open(dir, kr));
    *old = *ac_keyring_current(*kr);
    assert_int_equal(0,
                     ac_keyring_rotation_prepare(*kr, old->not_before_ms + 5000, NULL, NULL, rot));
}

static void test_an_aborted_rotation_leaves_the_old_key_signing(void **state)
{
    (void)state;
    struct ac_keyring *kr;
    struct ac_key_info old;
    struct ac_keyring_rotation *rot;
    open_and_prepare(&kr, &old, &rot);
    ac_keyring_rotation_abort(kr, rot);
    uint8_t sig[64], on_disk[32];
    assert_int_equal(0, ac_keyring_sign(kr, (const uint8_t *)"m", 1, sig));
    assert_int_equal(0, crypto_sign_verify_detached(sig, (const uint8_t *)"m", 1, old.public_key));
    assert_int_equal(1, ac_keyring_count(kr));
    assert_int_equal(1, keys_on_disk(on_disk));
    assert_memory_equal(old.public_key, on_disk, 32);
    ac_keyring_close(kr);
}

static void test_a_rotation_whose_files_fail_changes_nothing(void **state)
{
    (void)state;
    struct ac_keyring *kr;
    struct ac_key_info old;
    struct ac_keyring_rotation *rot;
    open_and_prepare(&kr, &old, &rot);
    /* The directory is gone while the files are written. */
    char moved[80];
    snprintf(moved, sizeof moved, "%s.moved", dir);
    assert_int_equal(0, rename(dir, moved));
    int err = ac_keyring_rotation_write(rot);
    assert_int_equal(0, rename(moved, dir));
    assert_int_equal(AC_EIO, err);
    /* Not written: it cannot be taken in, and the old key signs on. */
    assert_int_equal(AC_EBUG, ac_keyring_rotation_commit(kr, rot));
    uint8_t sig[64], on_disk[32];
    assert_int_equal(0, ac_keyring_sign(kr, (const uint8_t *)"m", 1, sig));
    assert_int_equal(1, ac_keyring_count(kr));
    assert_memory_equal(old.kid, ac_keyring_current(kr)->kid, 8);
    assert_int_equal(1, keys_on_disk(on_disk));
    assert_memory_equal(old.public_key, on_disk, 32);
    ac_keyring_close(kr);
}

/* The outgoing key's retired file cannot be written after the new key's
 * file was: the new key's file goes again, and the directory loads with the
 * old key current (not "every key is retired", nor the new key current while
 * memory signs with the old). */
static void test_a_rotation_whose_second_file_fails_leaves_the_old_key_current(void **state)
{
    (void)state;
    struct ac_keyring *kr;
    struct ac_key_info old;
    struct ac_keyring_rotation *rot;
    open_and_prepare(&kr, &old, &rot);
    /* The outgoing key's temporary file cannot be made: a directory holds
     * its name. */
    char tmp[128];
    snprintf(tmp, sizeof tmp, "%s/%s.key.tmp", dir, old.kid_hex);
    assert_int_equal(0, mkdir(tmp, 0700));
    assert_int_equal(AC_EIO, ac_keyring_rotation_write(rot));
    assert_int_equal(0, rmdir(tmp));
    ac_keyring_rotation_abort(kr, rot);
    uint8_t on_disk[32];
    assert_int_equal(1, keys_on_disk(on_disk));
    assert_memory_equal(old.public_key, on_disk, 32);
    ac_keyring_close(kr);
    /* A restart finds the old key, current. */
    assert_int_equal(0, ac_keyring_open(dir, &kr));
    assert_int_equal(1, ac_keyring_count(kr));
    assert_memory_equal(old.kid, ac_keyring_current(kr)->kid, 8);
    assert_int_equal(0, ac_keyring_current(kr)->not_after_ms);
    ac_keyring_close(kr);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, make_dir, remove_dir)
    const struct CMUnitTest tests[] = {
        T(test_a_key_file_with_the_rfc8032_seed_signs_like_the_rfc),
        T(test_the_kid_is_the_first_eight_bytes_of_the_key_hash),
        T(test_opening_an_empty_directory_creates_one_current_key),
        T(test_reopening_reuses_the_existing_key),
        T(test_rotation_retires_the_old_key_and_keeps_it_findable),
        T(test_a_key_file_readable_by_others_is_refused),
        T(test_a_corrupt_key_file_is_a_parse_error),
        T(test_an_interrupted_rotation_retires_the_older_key_at_the_newer_start),
        T(test_a_rotation_in_steps_writes_its_files_on_another_thread),
        T(test_an_aborted_rotation_leaves_the_old_key_signing),
        T(test_a_rotation_whose_second_file_fails_leaves_the_old_key_current),
        T(test_a_rotation_whose_files_fail_changes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
