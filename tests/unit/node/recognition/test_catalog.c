/* test_catalog.c - tests the catalog read of node/recognition/catalog.c
 * without HTTP: only active credentials are listed, the district filters
 * (domain, stack, recognizer) narrow the page, each entry carries the
 * policies that count it, pages follow one another, and the cursor into
 * peers' entries reads back as its key. Pages are read the way a reader
 * thread reads them (node/readers.h): with a read-only connection of their
 * own and the sources copied from the node first, never the node itself. */
#include "node/node_fixture.h"

#include "accord/review/definition.h"
#include "accord/store/credential.h"
#include "accord/store/store.h"
#include "accord/store/store_recognition.h"
#include "recognition/recognition.h"

static struct node_fixture fx;
static struct ac_store *reader; /* read-only, as a reader thread's */
static struct ac_user ada, rita; /* admin, recognizer */

/* Stores credential |def_id| v1 with |definition| and moves it to |state|. */
static int64_t credential(const char *def_id, const char *definition, enum ac_def_state state)
{
    int64_t id = 0;
    assert_int_equal(0, ac_store_credential_create(fx.node.store, def_id, 1, def_id, definition,
                                                   "h", ada.id, ac_clock_now_ms(), &id));
    if (state != AC_DEF_DRAFT)
        assert_int_equal(0, ac_store_credential_transition(fx.node.store, id, AC_DEF_DRAFT, state,
                                                           false, ac_clock_now_ms()));
    return id;
}

/* One page of this node's own credentials (no federation here). */
static int page(const char *domain, const char *stack, int64_t recognizer, int64_t after,
                size_t limit, struct ac__catalog_item **it, size_t *n, int *more)
{
    struct ac__catalog_query q = {
        .domain = domain, .stack = stack, .recognizer_id = recognizer, .limit = limit};
    q.after.local_id = after;
    struct ac_reason why = AC_REASON_INIT;
    struct ac__catalog_sources src;
    int err = ac__catalog_sources_init(&fx.node, &q, &src, &why);
    assert_int_equal(0, err);
    err = ac__catalog_page(reader, &src, &q, it, n, more);
    ac__catalog_sources_release(&src);
    ac_reason_release(&why);
    return err;
}

static int setup(void **state)
{
    (void)state;
    if (fixture_open_full(&fx))
        return -1;
    ada = fixture_user(&fx, "ada", AC_ROLE_ADMIN);
    rita = fixture_user(&fx, "rita", AC_ROLE_RECOGNIZER);
    credential("feedback", "{\"domains\":[\"math\"],\"stacks\":[\"assessment\"],\"ceus\":1.5}",
               AC_DEF_ACTIVE);
    credential("questioning", "{\"domains\":[\"science\"],\"stacks\":[\"assessment\"]}",
               AC_DEF_ACTIVE);
    credential("drafted", "{\"domains\":[\"math\"]}", AC_DEF_DRAFT);
    /* Rita counts "feedback" from this node, named by its base URL. */
    struct ac_policy p;
    memset(&p, 0, sizeof p);
    p.recognizer_id = rita.id;
    snprintf(p.issuer, sizeof p.issuer, "https://accord.test");
    snprintf(p.credential_id, sizeof p.credential_id, "feedback");
    p.min_version = 1;
    p.purpose = AC_PURPOSE_CEU;
    p.requires_approval = 1;
    assert_int_equal(0, ac_store_policy_create(fx.node.store, &p, ac_clock_now_ms()));
    char path[300];
    snprintf(path, sizeof path, "%s/accord.db", fx.dir);
    assert_int_equal(0, ac_store_open_readonly(path, &reader));
    return 0;
}

static int teardown(void **state)
{
    ac_store_close(reader);
    reader = NULL;
    return fixture_teardown(state);
}

static void test_only_active_credentials_are_listed_each_with_its_policies(void **state)
{
    (void)state;
    struct ac__catalog_item *it = NULL;
    size_t n = 0;
    int more = -1;
    assert_int_equal(0, page(NULL, NULL, 0, 0, 50, &it, &n, &more));
    assert_int_equal(2, n);
    assert_int_equal(0, more);
    assert_string_equal("feedback", it[0].entry.def_id);
    assert_int_equal(1, it[0].entry.has_ceu);
    assert_int_equal(150, it[0].entry.ceu_hundredths);
    assert_int_equal(1, it[0].npolicies);
    assert_int_equal(rita.id, it[0].policies[0].recognizer_id);
    assert_string_equal("questioning", it[1].entry.def_id);
    assert_int_equal(0, it[1].npolicies);
    ac__catalog_items_free(it, n);
}

static void test_the_domain_filter_keeps_credentials_listing_that_domain(void **state)
{
    (void)state;
    struct ac__catalog_item *it = NULL;
    size_t n = 0;
    int more = -1;
    assert_int_equal(0, page("science", NULL, 0, 0, 50, &it, &n, &more));
    assert_int_equal(1, n);
    assert_string_equal("questioning", it[0].entry.def_id);
    ac__catalog_items_free(it, n);
    assert_int_equal(0, page(NULL, "assessment", 0, 0, 50, &it, &n, &more));
    assert_int_equal(2, n);
    ac__catalog_items_free(it, n);
}

static void test_the_recognizer_filter_keeps_what_it_counts(void **state)
{
    (void)state;
    struct ac__catalog_item *it = NULL;
    size_t n = 0;
    int more = -1;
    assert_int_equal(0, page(NULL, NULL, rita.id, 0, 50, &it, &n, &more));
    assert_int_equal(1, n);
    assert_string_equal("feedback", it[0].entry.def_id);
    ac__catalog_items_free(it, n);
}

static void test_a_page_of_one_says_another_follows(void **state)
{
    (void)state;
    struct ac__catalog_item *it = NULL;
    size_t n = 0;
    int more = -1;
    assert_int_equal(0, page(NULL, NULL, 0, 0, 1, &it, &n, &more));
    assert_int_equal(1, n);
    assert_int_equal(1, more);
    int64_t last = it[0].entry.id;
    ac__catalog_items_free(it, n);
    assert_int_equal(0, page(NULL, NULL, 0, last, 1, &it, &n, &more));
    assert_int_equal(1, n);
    assert_int_equal(0, more);
    assert_string_equal("questioning", it[0].entry.def_id);
    ac__catalog_items_free(it, n);
}

static void test_a_peer_cursor_reads_back_as_the_key_it_was_made_from(void **state)
{
    (void)state;
    struct ac__catalog_item it = {.peer = "state-node",
                                  .entry = {.def_id = "reading", .version = 3}};
    char text[AC__CATALOG_CURSOR_MAX + 1];
    ac__catalog_cursor_format(&it, text, sizeof text);
    struct ac__catalog_cursor c;
    assert_int_equal(0, ac__catalog_cursor_parse(text, &c));
    assert_int_equal(1, c.in_peers);
    assert_string_equal("state-node", c.peer);
    assert_string_equal("reading", c.credential_id);
    assert_int_equal(3, c.version);
    assert_int_equal(0, ac__catalog_cursor_parse("17", &c));
    assert_int_equal(0, c.in_peers);
    assert_int_equal(17, c.local_id);
    assert_int_equal(AC_EINVAL, ac__catalog_cursor_parse("p.zz", &c));
    assert_int_equal(AC_EINVAL, ac__catalog_cursor_parse("p.6162", &c)); /* "ab": no key */
    assert_int_equal(AC_EINVAL, ac__catalog_cursor_parse("-1", &c));
}

static void test_a_peer_filter_naming_no_issuer_peer_is_refused_on_peer(void **state)
{
    (void)state;
    struct ac__catalog_query q = {.peer = "nobody", .limit = 5};
    struct ac__catalog_sources src;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_EINVAL, ac__catalog_sources_init(&fx.node, &q, &src, &why));
    assert_string_equal("peer", why.field);
    ac_reason_release(&why);
}

static void test_the_sources_name_this_nodes_issuer_and_self_lists_no_peers(void **state)
{
    (void)state;
    struct ac__catalog_query q = {.peer = "self", .limit = 5};
    struct ac__catalog_sources src;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(0, ac__catalog_sources_init(&fx.node, &q, &src, &why));
    assert_string_equal("https://accord.test", src.issuer);
    assert_int_equal(1, src.self);
    assert_null(src.peers);
    ac__catalog_sources_release(&src);
    q.peer = NULL;
    assert_int_equal(0, ac__catalog_sources_init(&fx.node, &q, &src, &why));
    assert_int_equal(1, src.self);
    assert_non_null(src.peers); /* empty: this fixture runs no federation */
    ac__catalog_sources_release(&src);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_only_active_credentials_are_listed_each_with_its_policies),
        T(test_the_domain_filter_keeps_credentials_listing_that_domain),
        T(test_the_recognizer_filter_keeps_what_it_counts),
        T(test_a_page_of_one_says_another_follows),
        T(test_a_peer_cursor_reads_back_as_the_key_it_was_made_from),
        T(test_a_peer_filter_naming_no_issuer_peer_is_refused_on_peer),
        T(test_the_sources_name_this_nodes_issuer_and_self_lists_no_peers),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
