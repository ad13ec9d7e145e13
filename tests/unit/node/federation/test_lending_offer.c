/* test_lending_offer.c - tests node/federation/lending_offer.c without a
 * network: a capacity offer is one deterministic CBOR item naming, per
 * credential, exactly the reviewers the lending check lets through now,
 * with their profile and monthly slots, certified only while the lender
 * holds the issuer's unexpired record; inside a blackout it names nobody. */
#include "node/review/review_fixture.h"
#include "accord/base/buf.h"
#include "accord/sign/cbor.h"
#include "accord/store/assignment.h"
#include "accord/store/lending.h"
#include "accord/store/remote_cert.h"
#include "federation/lending.h"

#define ISSUER "state.example"
#define DAY_MS (24LL * 3600 * 1000)
/* 2026-12-20T00:00:00Z: 20 807 days after the epoch (test_lending.c). */
#define DEC_20_2026_MS (20807LL * DAY_MS)

static void put_all(uint32_t cap, int64_t bo_from, int64_t bo_until)
{
    struct ac_lending_policy *p = calloc(1, sizeof *p);
    snprintf(p->peer, sizeof p->peer, ISSUER);
    snprintf(p->credential_id, sizeof p->credential_id, "math-coach");
    p->all_reviewers = true;
    p->monthly_cap = cap;
    p->own_first = true;
    if (bo_from) {
        p->blackouts[0] = (struct ac_lending_blackout){bo_from, bo_until};
        p->n_blackouts = 1;
    }
    struct ac_user admin;
    assert_int_equal(0, ac_store_user_get(fx.nf.node.store, fx.admin, &admin));
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(0, ac__lending_policy_set(&fx.nf.node, &admin, p, &why));
    free(p);
}

/* Reads the offer into the user ids it names for its one credential, and
 * their slots; checks its shape on the way. Returns the count. */
static size_t offered(const struct ac_buf *b, int64_t *users, uint64_t *slots)
{
    assert_int_equal(0, ac_cbor_check(b->data, b->len, NULL, 0));
    struct ac_cbor_reader r;
    uint64_t n, k, nrev = 0;
    const char *s;
    size_t len;
    assert_int_equal(0, ac_cbor_reader_init(&r, b->data, b->len));
    assert_int_equal(0, ac_cbor_get_map(&r, &n));
    assert_int_equal(3, n);
    for (uint64_t i = 0; i < n; i++) {
        assert_int_equal(0, ac_cbor_get_text(&r, &s, &len));
        if (len == 11 && memcmp(s, "credentials", 11) == 0) {
            assert_int_equal(0, ac_cbor_get_array(&r, &k));
            assert_int_equal(1, k);
            assert_int_equal(0, ac_cbor_get_map(&r, &k));
            assert_int_equal(0, ac_cbor_get_text(&r, &s, &len)); /* "id" */
            assert_int_equal(0, ac_cbor_get_text(&r, &s, &len));
            assert_memory_equal("math-coach", s, len);
            assert_int_equal(0, ac_cbor_get_text(&r, &s, &len)); /* "reviewers" */
            assert_int_equal(0, ac_cbor_get_array(&r, &nrev));
            for (uint64_t v = 0; v < nrev; v++) {
                uint64_t np;
                assert_int_equal(0, ac_cbor_get_map(&r, &np));
                for (uint64_t f = 0; f < np; f++) {
                    assert_int_equal(0, ac_cbor_get_text(&r, &s, &len));
                    uint64_t u;
                    if (len == 4 && memcmp(s, "user", 4) == 0) {
                        assert_int_equal(0, ac_cbor_get_uint(&r, &u));
                        users[v] = (int64_t)u;
                    } else if (len == 5 && memcmp(s, "slots", 5) == 0) {
                        assert_int_equal(0, ac_cbor_get_uint(&r, &slots[v]));
                    } else {
                        assert_int_equal(0, ac_cbor_skip(&r, NULL, NULL));
                    }
                }
            }
        } else {
            assert_int_equal(0, ac_cbor_skip(&r, NULL, NULL));
        }
    }
    return (size_t)nrev;
}

static void test_an_offer_names_exactly_the_reviewers_the_check_lets_through(void **state)
{
    (void)state;
    int64_t rita = fx_reviewer("rita"), sam = fx_reviewer("sam");
    put_all(3, 0, 0);
    /* Sam has open work here and the policy puts the own queue first. */
    fx_open_assignment(sam, "my feedback practice", 1);
    struct ac_buf b = AC_BUF_INIT;
    assert_int_equal(0, ac__lending_offer_body(&fx.nf.node, ISSUER, DEC_20_2026_MS, &b));
    int64_t users[8];
    uint64_t slots[8];
    assert_int_equal(1, offered(&b, users, slots));
    assert_int_equal(rita, users[0]);
    assert_int_equal(3, slots[0]);
    /* The profile travels: school and district are conflict facts. */
    assert_non_null(memmem(b.data, b.len, "rita district", 13));
    ac_buf_release(&b);
}

/* Reads the "certified" flag of the one reviewer an offer names. */
static bool certified_flag(const struct ac_buf *b)
{
    static const uint8_t key[] = {0x69, 'c', 'e', 'r', 't', 'i', 'f', 'i', 'e', 'd'};
    const uint8_t *at = memmem(b->data, b->len, key, sizeof key);
    assert_non_null(at);
    assert_true(at[sizeof key] == 0xf5 || at[sizeof key] == 0xf4); /* true, false */
    return at[sizeof key] == 0xf5;
}

static void test_an_offer_says_certified_only_with_the_issuers_unexpired_record(void **state)
{
    (void)state;
    int64_t rita = fx_reviewer("rita");
    put_all(3, 0, 0);
    struct ac_store *st = fx.nf.node.store;
    int64_t id;
    assert_int_equal(0,
                     ac_store_remote_cert_create(st, rita, ISSUER, "math-coach", "apply", 1, &id));
    struct ac_buf b = AC_BUF_INIT;
    assert_int_equal(0, ac__lending_offer_body(&fx.nf.node, ISSUER, DEC_20_2026_MS, &b));
    assert_false(certified_flag(&b)); /* applied, no record yet */
    ac_buf_release(&b);
    static const uint8_t record[] = {0xd2, 0x84}; /* kept as given; verified on arrival */
    assert_int_equal(0, ac_store_remote_cert_update(st, id, 1, "certified", "{}", record,
                                                    sizeof record, DEC_20_2026_MS + DAY_MS, 0, 2));
    assert_int_equal(0, ac__lending_offer_body(&fx.nf.node, ISSUER, DEC_20_2026_MS, &b));
    assert_true(certified_flag(&b));
    ac_buf_release(&b);
    /* A day later the record has expired. */
    assert_int_equal(0, ac__lending_offer_body(&fx.nf.node, ISSUER, DEC_20_2026_MS + DAY_MS, &b));
    assert_false(certified_flag(&b));
    ac_buf_release(&b);
}

static void test_inside_a_blackout_an_offer_names_nobody(void **state)
{
    (void)state;
    fx_reviewer("rita");
    put_all(3, DEC_20_2026_MS, DEC_20_2026_MS + DAY_MS);
    struct ac_buf b = AC_BUF_INIT;
    assert_int_equal(0, ac__lending_offer_body(&fx.nf.node, ISSUER, DEC_20_2026_MS + 1, &b));
    int64_t users[8];
    uint64_t slots[8];
    assert_int_equal(0, offered(&b, users, slots));
    ac_buf_release(&b);
}

static void test_an_offer_to_a_peer_without_a_policy_lists_no_credential(void **state)
{
    (void)state;
    fx_reviewer("rita");
    put_all(3, 0, 0);
    struct ac_buf b = AC_BUF_INIT;
    assert_int_equal(0, ac__lending_offer_body(&fx.nf.node, "other.example", DEC_20_2026_MS, &b));
    /* {at, period, credentials: []}: the empty array is the last byte. */
    assert_int_equal(0, ac_cbor_check(b.data, b.len, NULL, 0));
    assert_int_equal(0x80, b.data[b.len - 1]);
    ac_buf_release(&b);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fx_open, fx_close)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_an_offer_names_exactly_the_reviewers_the_check_lets_through),
        T(test_an_offer_says_certified_only_with_the_issuers_unexpired_record),
        T(test_inside_a_blackout_an_offer_names_nobody),
        T(test_an_offer_to_a_peer_without_a_policy_lists_no_credential),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
