/* test_bundle_export.c - tests node/records/bundle_export.c without HTTP:
 * the bundle read in two steps (the store parts, then the published parts
 * on the loop) decodes with the record and a proof at the published size,
 * and a record issued between the two steps is caught (AC_EAGAIN) rather
 * than pairing a proof with a checkpoint of another size. */
#include "node/node_fixture.h"

#include <string.h>

#include "accord/records/bundle.h"
#include "records/ob3_serve.h"
#include "records/records.h"

static struct node_fixture fx;

static int64_t issue(const char *email)
{
    struct ac__issue_req req = {
        .email = email,
        .definition_id = "formative-feedback",
        .definition_version = 1,
        .achieved_level = "pass",
    };
    int64_t id = 0;
    assert_int_equal(0, ac__credential_issue(&fx.node, &req, &id));
    return id;
}

static int setup(void **state)
{
    (void)state;
    return fixture_open_full(&fx) ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    /* The OB 3.0 forms a bundle asks for are cached on the node (as
     * accord-node frees them at exit). */
    ac__ob3_free(fx.node.ob3);
    fx.node.ob3 = NULL;
    return fixture_close(&fx);
}

static void test_a_bundle_read_in_two_steps_carries_the_record_and_the_published_size(void **state)
{
    (void)state;
    issue("ann@district.example");
    int64_t id = issue("bea@district.example");
    struct ac__bundle_parts p;
    ac__bundle_parts_init(&p, fx.node.records->tree.size);
    assert_int_equal(0, ac__bundle_read(fx.node.store, id, &p));
    struct ac_buf out = AC_BUF_INIT;
    assert_int_equal(0, ac__bundle_finish(&fx.node, id, &p, &out));
    struct ac_bundle b;
    assert_int_equal(0, ac_bundle_decode(out.data, out.len, &b, NULL, 0));
    assert_int_equal(2, b.size);  /* two records issued: the log has two leaves */
    assert_int_equal(1, b.index); /* the second one */
    assert_int_equal(p.cose.len, b.record_len);
    assert_memory_equal(p.cose.data, b.record, b.record_len);
    assert_int_equal(1, b.proof.count); /* a tree of two: the sibling leaf */
    ac_buf_release(&out);
    ac__bundle_parts_release(&p);
}

static void test_a_record_issued_between_the_steps_asks_for_a_new_read(void **state)
{
    (void)state;
    int64_t id = issue("ann@district.example");
    struct ac__bundle_parts p;
    ac__bundle_parts_init(&p, fx.node.records->tree.size);
    assert_int_equal(0, ac__bundle_read(fx.node.store, id, &p));
    issue("bea@district.example"); /* the published checkpoint moves to size 2 */
    struct ac_buf out = AC_BUF_INIT;
    assert_int_equal(AC_EAGAIN, ac__bundle_finish(&fx.node, id, &p, &out));
    assert_int_equal(0, out.len);
    ac__bundle_parts_release(&p);
    ac__bundle_parts_init(&p, fx.node.records->tree.size);
    assert_int_equal(0, ac__bundle_read(fx.node.store, id, &p));
    assert_int_equal(0, ac__bundle_finish(&fx.node, id, &p, &out));
    ac_buf_release(&out);
    ac__bundle_parts_release(&p);
}

static void test_a_record_newer_than_the_size_asked_for_is_read_again(void **state)
{
    (void)state;
    issue("ann@district.example");
    struct ac__bundle_parts p;
    ac__bundle_parts_init(&p, fx.node.records->tree.size); /* 1 */
    int64_t id = issue("bea@district.example");       /* log index 1 */
    assert_int_equal(AC_EAGAIN, ac__bundle_read(fx.node.store, id, &p));
    ac__bundle_parts_release(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_a_bundle_read_in_two_steps_carries_the_record_and_the_published_size, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_a_record_issued_between_the_steps_asks_for_a_new_read,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_record_newer_than_the_size_asked_for_is_read_again,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
