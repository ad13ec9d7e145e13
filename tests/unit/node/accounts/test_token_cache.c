/* test_token_cache.c - tests node/accounts/token_cache.c: verified tokens
 * are served from memory, only usable ones are kept, memory is bounded, and
 * an entry goes at once when this process's services revoke the token or
 * disable its user, again when their transaction commits, and at the next
 * check when another connection to the
 * same database (another process) does. */
#include "node/node_fixture.h"

#include <sodium.h>

#include "accord/store/authgen.h"
#include "accounts/accounts.h"
#include "accounts/token_cache.h"

static struct node_fixture fx;
static struct ac_user ada, ben; /* admin, earner */

static int setup(void **state)
{
    (void)state;
    if (fixture_open_full(&fx))
        return -1;
    ada = fixture_user(&fx, "ada", AC_ROLE_ADMIN);
    ben = fixture_user(&fx, "ben", AC_ROLE_EARNER);
    if (ac__token_cache_new(16, &fx.node.token_cache))
        return -1;
    return ac__token_cache_check(fx.node.token_cache, fx.node.store) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ac__token_cache_free(fx.node.token_cache);
    fx.node.token_cache = NULL;
    return fixture_close(&fx);
}

/* Issues a token for |user| and caches it as ac__authenticate() would after
 * reading it from the store; fills |hash|. */
static struct ac_token cached_token(const struct ac_user *user, uint8_t hash[AC_TOKEN_HASH_BYTES])
{
    struct ac_token t, found;
    struct ac_user u;
    char text[AC_TOKEN_TEXT_BYTES];
    assert_int_equal(0, ac__token_issue(&fx.node, user->id, "laptop", &t, text));
    ac__token_hash(&fx.node, text, strlen(text), hash);
    assert_int_equal(0, ac_store_token_find(fx.node.store, hash, &found, &u));
    ac__token_cache_put(fx.node.token_cache, hash, &found, &u);
    return t;
}

static int is_cached(const uint8_t hash[AC_TOKEN_HASH_BYTES])
{
    struct ac_token t;
    struct ac_user u;
    return ac__token_cache_get(fx.node.token_cache, hash, &t, &u) == 0;
}

/* A second connection to the node's database, as another process has. */
static struct ac_store *other_process(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/accord.db", fx.dir);
    struct ac_store *st = NULL;
    assert_int_equal(0, ac_store_open(path, &st));
    return st;
}

static void test_a_cached_token_returns_its_user_roles_and_token_id(void **state)
{
    (void)state;
    uint8_t hash[AC_TOKEN_HASH_BYTES];
    struct ac_token t = cached_token(&ben, hash), got;
    struct ac_user u;
    assert_int_equal(0, ac__token_cache_get(fx.node.token_cache, hash, &got, &u));
    assert_int_equal(t.id, got.id);
    assert_int_equal(ben.id, u.id);
    assert_string_equal("ben", u.name);
    assert_int_equal(AC_ROLE_EARNER, u.roles);
}

static void test_an_unknown_hash_is_a_miss(void **state)
{
    (void)state;
    uint8_t hash[AC_TOKEN_HASH_BYTES], other[AC_TOKEN_HASH_BYTES];
    cached_token(&ben, hash);
    memcpy(other, hash, sizeof other);
    other[AC_TOKEN_HASH_BYTES - 1] ^= 1; /* same slot, different token */
    assert_false(is_cached(other));
}

static void test_a_revoked_token_or_a_disabled_user_is_never_cached(void **state)
{
    (void)state;
    uint8_t hash[AC_TOKEN_HASH_BYTES] = {1};
    struct ac_token t = {.id = 7, .user_id = ben.id, .revoked_ms = 5};
    struct ac_user u = ben;
    ac__token_cache_put(fx.node.token_cache, hash, &t, &u);
    assert_false(is_cached(hash));
    t.revoked_ms = 0;
    u.disabled_ms = 5;
    ac__token_cache_put(fx.node.token_cache, hash, &t, &u);
    assert_false(is_cached(hash));
}

static void test_nothing_is_cached_before_the_generation_was_read(void **state)
{
    (void)state;
    struct ac__token_cache *c;
    assert_int_equal(0, ac__token_cache_new(4, &c));
    uint8_t hash[AC_TOKEN_HASH_BYTES] = {2};
    struct ac_token t = {.id = 7, .user_id = ben.id};
    ac__token_cache_put(c, hash, &t, &ben);
    assert_int_equal(0, ac__token_cache_count(c));
    ac__token_cache_free(c);
}

static void test_the_cache_never_holds_more_entries_than_slots(void **state)
{
    (void)state;
    struct ac_token t = {.id = 1, .user_id = ben.id};
    for (int i = 0; i < 200; i++) {
        uint8_t hash[AC_TOKEN_HASH_BYTES];
        randombytes_buf(hash, sizeof hash);
        ac__token_cache_put(fx.node.token_cache, hash, &t, &ben);
    }
    assert_true(ac__token_cache_count(fx.node.token_cache) <= 16);
}

static void test_a_slot_count_that_is_not_a_power_of_two_is_refused(void **state)
{
    (void)state;
    struct ac__token_cache *c = NULL;
    assert_int_equal(AC_EINVAL, ac__token_cache_new(12, &c));
    assert_int_equal(AC_EINVAL, ac__token_cache_new(0, &c));
    assert_null(c);
}

static void test_revoking_through_the_service_drops_the_entry_at_once(void **state)
{
    (void)state;
    uint8_t hash[AC_TOKEN_HASH_BYTES];
    struct ac_token t = cached_token(&ben, hash), out;
    assert_true(is_cached(hash));
    assert_int_equal(0, ac__tokens_revoke(&fx.node, &ben, t.id, &out, NULL));
    assert_false(is_cached(hash));
}

/* A token row read off the loop (node/http/auth_rows.c) is cached only when
 * the epoch did not move since the read was asked for: it moves with every
 * drop (a revocation through the service, a forget at commit, a clear), and
 * not with a put. */
static void test_the_epoch_moves_with_every_drop_and_not_with_a_put(void **state)
{
    (void)state;
    uint8_t hash[AC_TOKEN_HASH_BYTES];
    uint64_t e0 = ac__token_cache_epoch(fx.node.token_cache);
    struct ac_token t = cached_token(&ben, hash), out;
    assert_int_equal(e0, ac__token_cache_epoch(fx.node.token_cache));
    ac__token_cache_clear(fx.node.token_cache);
    uint64_t e1 = ac__token_cache_epoch(fx.node.token_cache);
    assert_true(e1 != e0);
    /* The revocation of a token no longer cached moves it too: a read in
     * flight may bring that token back. */
    assert_false(is_cached(hash));
    assert_int_equal(0, ac__tokens_revoke(&fx.node, &ben, t.id, &out, NULL));
    assert_true(ac__token_cache_epoch(fx.node.token_cache) != e1);
    assert_int_equal(0, ac__token_cache_epoch(NULL));
}

/* Inside a request group the service's commit is a savepoint: a request
 * served before the group's COMMIT still reads the token as usable and may
 * cache it again; the group's COMMIT drops it once more. */
static void test_a_token_cached_again_before_the_revocation_commits_goes_at_the_commit(
    void **state)
{
    (void)state;
    uint8_t hash[AC_TOKEN_HASH_BYTES];
    struct ac_token t = cached_token(&ben, hash), out;
    struct ac_token before = t;
    before.revoked_ms = 0;
    assert_int_equal(0, ac_store_tx_begin(fx.node.store)); /* the group's */
    assert_int_equal(0, ac__tokens_revoke(&fx.node, &ben, t.id, &out, NULL));
    assert_false(is_cached(hash));
    ac__token_cache_put(fx.node.token_cache, hash, &before, &ben); /* a read meanwhile */
    assert_true(is_cached(hash));
    assert_int_equal(0, ac_store_tx_commit(fx.node.store));
    assert_false(is_cached(hash));
}

static void test_a_revocation_rolled_back_with_its_group_leaves_the_cache_alone(void **state)
{
    (void)state;
    uint8_t hash[AC_TOKEN_HASH_BYTES];
    struct ac_token t = cached_token(&ben, hash), out;
    struct ac_token before = t;
    before.revoked_ms = 0;
    assert_int_equal(0, ac_store_tx_begin(fx.node.store));
    assert_int_equal(0, ac__tokens_revoke(&fx.node, &ben, t.id, &out, NULL));
    ac__token_cache_put(fx.node.token_cache, hash, &before, &ben);
    ac_store_tx_rollback(fx.node.store);
    assert_true(is_cached(hash)); /* still usable: the revocation never happened */
    assert_int_equal(0, ac_store_token_find(fx.node.store, hash, &out, &(struct ac_user){0}));
    assert_int_equal(0, out.revoked_ms);
}

static void test_disabling_through_the_service_drops_the_users_entries_only(void **state)
{
    (void)state;
    uint8_t bens[AC_TOKEN_HASH_BYTES], adas[AC_TOKEN_HASH_BYTES];
    cached_token(&ben, bens);
    cached_token(&ada, adas);
    if (memcmp(bens, adas, 4) == 0)
        skip(); /* the two landed in one slot: nothing to tell apart */
    struct ac_user out;
    assert_int_equal(0, ac__users_disable(&fx.node, &ada, ben.id, &out, NULL));
    assert_false(is_cached(bens));
    assert_true(is_cached(adas));
}

static void test_a_revocation_by_another_process_empties_the_cache_at_the_next_check(void **state)
{
    (void)state;
    uint8_t hash[AC_TOKEN_HASH_BYTES];
    struct ac_token t = cached_token(&ben, hash);
    struct ac_store *other = other_process();
    assert_int_equal(0, ac_store_token_revoke(other, t.id, ac_clock_now_ms()));
    assert_true(is_cached(hash)); /* unseen until the timer's check */
    assert_int_equal(0, ac__token_cache_check(fx.node.token_cache, fx.node.store));
    assert_false(is_cached(hash));
    ac_store_close(other);
}

static void test_disabling_by_another_process_moves_the_stored_generation(void **state)
{
    (void)state;
    int64_t before, after;
    assert_int_equal(0, ac_store_authgen_get(fx.node.store, &before));
    struct ac_store *other = other_process();
    assert_int_equal(0, ac_store_user_disable(other, ben.id, ac_clock_now_ms()));
    ac_store_close(other);
    assert_int_equal(0, ac_store_authgen_get(fx.node.store, &after));
    assert_true(after > before);
}

static void test_a_new_token_elsewhere_keeps_what_is_cached(void **state)
{
    (void)state;
    uint8_t hash[AC_TOKEN_HASH_BYTES];
    cached_token(&ben, hash);
    struct ac_token t;
    char text[AC_TOKEN_TEXT_BYTES];
    assert_int_equal(0, ac__token_issue(&fx.node, ada.id, NULL, &t, text));
    assert_int_equal(0, ac__token_cache_check(fx.node.token_cache, fx.node.store));
    assert_true(is_cached(hash));
}

/* A check fails (the cache empties and caches nothing); a token row is read
 * off the loop meanwhile, before another process revokes it; the next check
 * succeeds with the generation that counts the revocation. The request of
 * that row must not cache it: the epoch it took moved. */
static void test_a_generation_read_after_a_failed_check_moves_the_epoch(void **state)
{
    (void)state;
    uint8_t hash[AC_TOKEN_HASH_BYTES];
    struct ac_token t = cached_token(&ben, hash);
    ac__token_cache_seen(fx.node.token_cache, AC_EIO, 0);
    assert_false(is_cached(hash));
    uint64_t asked = ac__token_cache_epoch(fx.node.token_cache); /* the row's read */
    struct ac_store *other = other_process();
    assert_int_equal(0, ac_store_token_revoke(other, t.id, ac_clock_now_ms()));
    ac_store_close(other);
    assert_int_equal(0, ac__token_cache_check(fx.node.token_cache, fx.node.store));
    assert_true(ac__token_cache_epoch(fx.node.token_cache) != asked);
    /* Caching works again once a generation is held. */
    uint8_t again[AC_TOKEN_HASH_BYTES];
    cached_token(&ada, again);
    assert_true(is_cached(again));
}

/* An unchanged generation read in turn keeps the entries and the epoch. */
static void test_an_unchanged_generation_keeps_the_epoch(void **state)
{
    (void)state;
    uint8_t hash[AC_TOKEN_HASH_BYTES];
    cached_token(&ben, hash);
    uint64_t e = ac__token_cache_epoch(fx.node.token_cache);
    assert_int_equal(0, ac__token_cache_check(fx.node.token_cache, fx.node.store));
    assert_int_equal(e, ac__token_cache_epoch(fx.node.token_cache));
    assert_true(is_cached(hash));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_a_cached_token_returns_its_user_roles_and_token_id),
        T(test_an_unknown_hash_is_a_miss),
        T(test_a_revoked_token_or_a_disabled_user_is_never_cached),
        T(test_nothing_is_cached_before_the_generation_was_read),
        T(test_the_cache_never_holds_more_entries_than_slots),
        T(test_a_slot_count_that_is_not_a_power_of_two_is_refused),
        T(test_revoking_through_the_service_drops_the_entry_at_once),
        T(test_the_epoch_moves_with_every_drop_and_not_with_a_put),
        T(test_a_token_cached_again_before_the_revocation_commits_goes_at_the_commit),
        T(test_a_revocation_rolled_back_with_its_group_leaves_the_cache_alone),
        T(test_disabling_through_the_service_drops_the_users_entries_only),
        T(test_a_revocation_by_another_process_empties_the_cache_at_the_next_check),
        T(test_disabling_by_another_process_moves_the_stored_generation),
        T(test_a_new_token_elsewhere_keeps_what_is_cached),
        T(test_a_generation_read_after_a_failed_check_moves_the_epoch),
        T(test_an_unchanged_generation_keeps_the_epoch),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
