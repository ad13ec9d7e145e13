/* test_adopt.c - node/federation/adopt.c: a consortium file adopted inside
 * the receiver's batch transaction changes the peer table only after that
 * transaction commits; a batch that rolls back (as a failed COMMIT does)
 * leaves the store and the table on the old file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "node/node_fixture.h"

#include "accord/base/buf.h"
#include "accord/sign/cose.h"
#include "accord/sign/keyring.h"
#include "accord/store/peer.h"
#include "accord/trust/consortium.h"
#include "federation/federation.h"

static uint8_t cpk[32], csk[64];

struct world {
    struct node_fixture nf;
    struct ac__federation *f;
};

/* A file of serial |serial| listing one member, "b.example". */
static void signed_file(unsigned serial, struct ac_buf *out)
{
    uint8_t mpk[32], msk[64];
    crypto_sign_keypair(mpk, msk);
    char hex[65], text[1024];
    sodium_bin2hex(hex, sizeof hex, mpk, 32);
    snprintf(text, sizeof text,
             "{\"name\": \"east\", \"serial\": %u, \"members\": [{\"node\": \"b.example\","
             " \"url\": \"http://127.0.0.1:9\", \"rights\": [\"submit\"],"
             " \"keys\": [{\"key\": \"%s\"}]}]}",
             serial, hex);
    struct ac_consortium *c = NULL;
    char why[AC_CONSORTIUM_WHY_LEN];
    if (ac_consortium_from_json(text, strlen(text), &c, why, sizeof why))
        fail_msg("from_json: %s", why);
    uint8_t kid[8];
    ac_key_id(cpk, kid);
    assert_int_equal(0, ac_consortium_sign(c, kid, 8, ac_cose_sign_with_secret_key, csk, out));
    ac_consortium_free(c);
}

static int setup(void **state)
{
    if (sodium_init() < 0)
        return -1;
    crypto_sign_keypair(cpk, csk);
    struct world *w = calloc(1, sizeof *w);
    if (!w || fixture_open(&w->nf) || fixture_loop(&w->nf))
        return -1;
    w->nf.cfg.has_consortium_key = 1;
    memcpy(w->nf.cfg.consortium_key, cpk, 32);
    w->f = calloc(1, sizeof *w->f);
    if (!w->f)
        return -1;
    w->f->node = &w->nf.node;
    *state = w;
    return 0;
}

static void on_closed(uv_handle_t *h)
{
    (void)h;
}

static int teardown(void **state)
{
    struct world *w = *state;
    for (size_t i = 0; i < w->f->npeers; i++) {
        uv_close((uv_handle_t *)&w->f->peers[i]->timer, on_closed);
    }
    int rc = fixture_close(&w->nf); /* runs the loop until the timers are closed */
    for (size_t i = 0; i < w->f->npeers; i++)
        free(w->f->peers[i]);
    free(w->f->peers);
    ac_consortium_free(w->f->consortium);
    free(w->f);
    free(w);
    return rc ? -1 : 0;
}

static uint64_t stored_serial(struct world *w)
{
    uint8_t *file = NULL;
    size_t len = 0;
    uint64_t serial = 0;
    int err = ac_store_consortium_get(w->nf.node.store, &file, &len, &serial);
    free(file);
    return err ? 0 : serial;
}

static void test_an_adoption_inside_a_batch_changes_no_peer_before_the_commit(void **state)
{
    struct world *w = *state;
    struct ac_buf file = AC_BUF_INIT;
    signed_file(1, &file);
    struct ac_reason why = AC_REASON_INIT;
    uint64_t serial = 0;
    assert_int_equal(0, ac_store_tx_begin(w->nf.node.store));
    assert_int_equal(0, ac__fed_consortium_adopt(w->f, file.data, file.len, 1, &serial, &why));
    assert_int_equal(1, serial);
    assert_null(w->f->consortium);
    assert_null(ac__fed_peer_find(w->f, "b.example"));
    assert_int_equal(0, ac_store_tx_commit(w->nf.node.store));
    assert_int_equal(0, ac__fed_consortium_settle(w->f));
    assert_non_null(w->f->consortium);
    assert_int_equal(1, w->f->consortium->serial);
    assert_non_null(ac__fed_peer_find(w->f, "b.example"));
    ac_reason_release(&why);
    ac_buf_release(&file);
}

static void test_a_batch_that_rolls_back_leaves_the_table_on_the_stored_file(void **state)
{
    struct world *w = *state;
    struct ac_buf one = AC_BUF_INIT, two = AC_BUF_INIT;
    signed_file(1, &one);
    signed_file(2, &two);
    struct ac_reason why = AC_REASON_INIT;
    uint64_t serial = 0;
    assert_int_equal(0, ac__fed_consortium_adopt(w->f, one.data, one.len, 0, &serial, &why));
    assert_int_equal(1, w->f->consortium->serial);
    /* The fault: serial 2 is stored and its offers queued inside the batch,
     * then the batch ends in a rollback, which is what ac_store_tx_commit
     * does when COMMIT itself fails. */
    assert_int_equal(0, ac_store_tx_begin(w->nf.node.store));
    assert_int_equal(0, ac__fed_consortium_adopt(w->f, two.data, two.len, 1, &serial, &why));
    assert_int_equal(2, serial);
    ac_store_tx_rollback(w->nf.node.store);
    assert_int_equal(0, ac__fed_consortium_settle(w->f));
    assert_int_equal(1, stored_serial(w));
    assert_int_equal(1, w->f->consortium->serial);
    /* Offered again later, it is adopted: the failed batch left nothing
     * behind that would call it "not newer". */
    assert_int_equal(0, ac__fed_consortium_adopt(w->f, two.data, two.len, 0, &serial, &why));
    assert_int_equal(2, stored_serial(w));
    assert_int_equal(2, w->f->consortium->serial);
    ac_reason_release(&why);
    ac_buf_release(&one);
    ac_buf_release(&two);
}

static void test_an_older_file_is_refused_and_changes_nothing(void **state)
{
    struct world *w = *state;
    struct ac_buf one = AC_BUF_INIT, two = AC_BUF_INIT;
    signed_file(1, &one);
    signed_file(2, &two);
    struct ac_reason why = AC_REASON_INIT;
    uint64_t serial = 0;
    assert_int_equal(0, ac__fed_consortium_adopt(w->f, two.data, two.len, 0, &serial, &why));
    assert_int_equal(AC_ECONFLICT,
                     ac__fed_consortium_adopt(w->f, one.data, one.len, 0, &serial, &why));
    assert_int_equal(2, serial);
    assert_int_equal(2, stored_serial(w));
    assert_int_equal(2, w->f->consortium->serial);
    ac_reason_release(&why);
    ac_buf_release(&one);
    ac_buf_release(&two);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_an_adoption_inside_a_batch_changes_no_peer_before_the_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_a_batch_that_rolls_back_leaves_the_table_on_the_stored_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_older_file_is_refused_and_changes_nothing, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
