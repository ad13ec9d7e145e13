/* test_witness.c - tests core/trust/witness.c: the witness state file
 * (missing is empty, a round trip keeps each log, a broken file is refused
 * naming the entry and member) and that entries are keyed by issuer and
 * origin together. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "accord/base/error.h"
#include "accord/trust/witness.h"
#include "test_dir.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    return test_make_dir(dir, sizeof dir, "accord-witness");
}

static int teardown(void **state)
{
    (void)state;
    return rmdir(dir);
}

static void path_of(const char *name, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", dir, name);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_a_missing_state_file_is_an_empty_state_written_only_when_changed(void **state)
{
    (void)state;
    char path[256];
    path_of("missing.json", path, sizeof(path));
    struct ac_trust_witness *w = NULL;
    char why[320] = "";
    assert_int_equal(0, ac_trust_witness_load(path, &w, why, sizeof(why)));
    assert_int_equal(0, w->n);
    assert_int_equal(0, ac_trust_witness_save(w, why, sizeof(why)));
    assert_int_equal(-1, access(path, F_OK)); /* nothing to remember: no file */
    ac_trust_witness_free(w);
}

static void test_a_remembered_checkpoint_survives_a_save_and_a_load(void **state)
{
    (void)state;
    char path[256];
    path_of("state.json", path, sizeof(path));
    struct ac_trust_witness *w = NULL;
    char why[320] = "";
    assert_int_equal(0, ac_trust_witness_load(path, &w, why, sizeof(why)));
    struct ac_checkpoint cp;
    memset(&cp, 0, sizeof(cp));
    char origin[] = "a.example/log";
    cp.origin = origin;
    cp.size = 42;
    memset(cp.root, 0xab, sizeof(cp.root));
    const char note[] = "a.example/log\n42\nq6ur...\n";
    assert_int_equal(
        0, ac_trust_witness_remember(w, "https://a.example", &cp, note, sizeof(note) - 1));
    assert_int_equal(0, ac_trust_witness_save(w, why, sizeof(why)));
    ac_trust_witness_free(w);

    w = NULL;
    assert_int_equal(0, ac_trust_witness_load(path, &w, why, sizeof(why)));
    const struct ac_trust_witnessed *e =
        ac_trust_witness_find(w, "https://a.example", "a.example/log");
    assert_non_null(e);
    assert_int_equal(42, e->size);
    uint8_t root[AC_MERKLE_HASH_BYTES];
    memset(root, 0xab, sizeof(root));
    assert_memory_equal(root, e->root, sizeof(root));
    assert_string_equal(note, e->note);
    /* The same origin under another issuer is another log. */
    assert_null(ac_trust_witness_find(w, "https://b.example", "a.example/log"));
    ac_trust_witness_free(w);
    unlink(path);
}

static void test_a_state_entry_without_a_valid_root_is_refused_naming_it(void **state)
{
    (void)state;
    char path[256];
    path_of("bad.json", path, sizeof(path));
    write_file(path, "{\"version\": 1, \"logs\": [{\"iss\": \"https://a.example\", \"origin\": "
                     "\"a.example/log\", \"size\": 3, \"root\": \"AAAA\"}]}");
    struct ac_trust_witness *w = NULL;
    char why[320] = "";
    assert_int_equal(AC_EPARSE, ac_trust_witness_load(path, &w, why, sizeof(why)));
    assert_non_null(strstr(why, "logs[0].root: must be base64 of 32 bytes"));
    assert_null(w);
    unlink(path);
}

static void test_a_state_file_of_another_version_is_refused(void **state)
{
    (void)state;
    char path[256];
    path_of("v2.json", path, sizeof(path));
    write_file(path, "{\"version\": 2, \"logs\": []}");
    struct ac_trust_witness *w = NULL;
    char why[320] = "";
    assert_int_equal(AC_EPARSE, ac_trust_witness_load(path, &w, why, sizeof(why)));
    assert_non_null(strstr(why, "not an accord-verify witness state (version 1 with logs)"));
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_missing_state_file_is_an_empty_state_written_only_when_changed),
        cmocka_unit_test(test_a_remembered_checkpoint_survives_a_save_and_a_load),
        cmocka_unit_test(test_a_state_entry_without_a_valid_root_is_refused_naming_it),
        cmocka_unit_test(test_a_state_file_of_another_version_is_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
