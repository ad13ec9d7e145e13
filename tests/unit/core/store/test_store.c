/* test_store.c - tests core/store.c and core/store_user.c on either engine
 * (store_fixture.h): pragmas (SQLite), migrations, a newer schema refused,
 * commit numbers, transactions run again after a lost race (two connections
 * forcing a serialization failure or a busy lock), users, tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "accord/base/error.h"
#include "accord/review/people.h"
#include "accord/store/store.h"
#include "accord/store/user.h"
#include "accord/store/sync.h"
#include "store_fixture.h"
#include "../../../../core/store/db_sqlite.h"
#include "../../../../core/store/internal.h"

static int open_store(void **state)
{
    (void)state;
    return store_fixture_open("store");
}

/* Runs one query on a separate connection and returns its first column. */
static int64_t query_int(const char *sql)
{
    struct ac_db *db = store_fixture_raw();
    assert_non_null(db);
    struct ac_db_stmt *s;
    assert_int_equal(0, ac_db_prepare(db, sql, &s));
    assert_int_equal(AC_DB_ROW, ac_db_step(s));
    int64_t v = ac_db_col_int64(s, 0);
    ac_db_reset(s);
    ac_db_close(db);
    return v;
}

/* Runs one statement on a separate connection. */
static void exec_raw(const char *sql)
{
    struct ac_db *db = store_fixture_raw();
    assert_non_null(db);
    assert_int_equal(0, ac_db_exec(db, sql));
    ac_db_close(db);
}

static void test_a_new_database_is_at_the_latest_schema(void **state)
{
    (void)state;
    int v;
    assert_int_equal(0, ac_store_schema_version(st, &v));
    assert_int_equal(ac_store_schema_latest(), v);
    assert_int_equal(store_engine, ac_store_engine_of(st));
}

static void test_a_new_sqlite_database_is_in_wal_mode(void **state)
{
    (void)state;
    STORE_SQLITE_ONLY("journal_mode is a SQLite pragma");
    struct ac_db *db = store_fixture_raw();
    assert_non_null(db);
    struct ac_db_stmt *s;
    assert_int_equal(0, ac_db_prepare(db, "PRAGMA journal_mode", &s));
    assert_int_equal(AC_DB_ROW, ac_db_step(s));
    assert_string_equal("wal", ac_db_col_text(s, 0));
    ac_db_reset(s);
    ac_db_close(db);
}

static void test_each_outermost_commit_counts_once(void **state)
{
    (void)state;
    uint64_t c0 = ac_store_commits(st);
    struct ac_user u;
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_user_create(st, "ca", NULL, AC_ROLE_EARNER, 1, &u));
    assert_int_equal(0, ac_store_user_create(st, "cb", NULL, AC_ROLE_EARNER, 1, &u));
    assert_int_equal(c0, ac_store_commits(st)); /* savepoints count none */
    assert_int_equal(0, ac_store_tx_commit(st));
    assert_int_equal(c0 + 1, ac_store_commits(st));
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_user_create(st, "cc", NULL, AC_ROLE_EARNER, 1, &u));
    ac_store_tx_rollback(st);
    assert_int_equal(c0 + 1, ac_store_commits(st)); /* a rollback counts none */
    assert_int_equal(ac_store_commits(st), ac_store_durable(st));
}

static int durable_calls;
static void on_durable(void *arg)
{
    (void)arg;
    durable_calls++;
}

static void test_postgresql_commits_are_durable_without_a_storage_thread(void **state)
{
    (void)state;
    if (!store_fixture_pg()) {
        print_message("skipped on SQLite: test_store_sync.c covers its storage thread\n");
        skip();
    }
    durable_calls = 0;
    assert_int_equal(0, ac_store_sync_start(st, on_durable, NULL));
    struct ac_user u;
    assert_int_equal(0, ac_store_user_create(st, "da", NULL, AC_ROLE_EARNER, 1, &u));
    assert_true(ac_store_commits(st) > 0);
    assert_int_equal(ac_store_commits(st), ac_store_durable(st));
    assert_int_equal(0, ac_store_sync_fsyncs(st));
    ac_store_sync_stop(st);
    assert_int_equal(0, durable_calls);
}

static void test_every_migration_is_recorded_once(void **state)
{
    (void)state;
    ac_store_close(st);
    assert_int_equal(0, store_fixture_reopen()); /* a second open applies nothing */
    /* Versions run 1..latest with none missing and none repeated. */
    assert_int_equal(0,
                     query_int("SELECT COUNT(*) - COUNT(DISTINCT version) FROM schema_migrations"));
    assert_int_equal(ac_store_schema_latest(), query_int("SELECT COUNT(*) FROM schema_migrations"));
    assert_int_equal(ac_store_schema_latest(),
                     query_int("SELECT MAX(version) FROM schema_migrations"));
}

static void test_a_database_from_a_newer_version_is_refused(void **state)
{
    (void)state;
    ac_store_close(st);
    st = NULL;
    exec_raw("INSERT INTO schema_migrations VALUES (9999, 'future', 0)");
    assert_int_equal(AC_ESCHEMA, store_fixture_reopen());
    assert_null(st);
}

static void test_a_created_user_reads_back_with_its_roles(void **state)
{
    (void)state;
    struct ac_user u, got;
    assert_int_equal(
        0, ac_store_user_create(st, "ada", "Ada L.", AC_ROLE_ADMIN | AC_ROLE_EXPERT, 1000, &u));
    assert_int_equal(0, ac_store_user_get(st, u.id, &got));
    assert_string_equal("ada", got.name);
    assert_string_equal("Ada L.", got.display_name);
    assert_int_equal(AC_ROLE_ADMIN | AC_ROLE_EXPERT, got.roles);
    assert_int_equal(1000, got.created_ms);
    assert_int_equal(0, got.disabled_ms);
}

static void test_a_taken_user_name_is_refused(void **state)
{
    (void)state;
    struct ac_user u;
    assert_int_equal(0, ac_store_user_create(st, "bo", NULL, AC_ROLE_EARNER, 1, &u));
    assert_int_equal(AC_EEXIST, ac_store_user_create(st, "bo", NULL, AC_ROLE_EARNER, 1, &u));
}

static void test_user_names_follow_the_rule(void **state)
{
    (void)state;
    assert_int_equal(0, ac_user_name_check("a.b_c-9"));
    assert_int_equal(AC_EINVAL, ac_user_name_check(""));
    assert_int_equal(AC_EINVAL, ac_user_name_check("-lead"));
    assert_int_equal(AC_EINVAL, ac_user_name_check("Upper"));
    assert_int_equal(AC_EINVAL, ac_user_name_check("sp ace"));
}

static void test_a_user_without_roles_is_refused(void **state)
{
    (void)state;
    struct ac_user u;
    assert_int_equal(AC_EINVAL, ac_store_user_create(st, "nobody", NULL, 0, 1, &u));
}

static void test_listing_pages_by_id_after_the_cursor(void **state)
{
    (void)state;
    struct ac_user u[5];
    char name[8];
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "u%d", i);
        assert_int_equal(0, ac_store_user_create(st, name, NULL, AC_ROLE_EARNER, 1, &u[i]));
    }
    struct ac_user page[2];
    size_t n;
    assert_int_equal(0, ac_store_user_list(st, 0, page, 2, &n));
    assert_int_equal(2, n);
    assert_string_equal("u0", page[0].name);
    assert_int_equal(0, ac_store_user_list(st, page[1].id, page, 2, &n));
    assert_string_equal("u2", page[0].name);
    assert_string_equal("u3", page[1].name);
    assert_int_equal(0, ac_store_user_list(st, page[1].id, page, 2, &n));
    assert_int_equal(1, n);
    assert_string_equal("u4", page[0].name);
}

static void test_a_token_is_found_by_its_hash_with_its_user(void **state)
{
    (void)state;
    struct ac_user u, fu;
    struct ac_token t, ft;
    uint8_t hash[32];
    memset(hash, 7, sizeof hash);
    assert_int_equal(0, ac_store_user_create(st, "cy", NULL, AC_ROLE_REVIEWER, 1, &u));
    assert_int_equal(0, ac_store_token_create(st, u.id, "laptop", hash, 2, &t));
    assert_int_equal(0, ac_store_token_find(st, hash, &ft, &fu));
    assert_int_equal(t.id, ft.id);
    assert_string_equal("laptop", ft.label);
    assert_string_equal("cy", fu.name);
    hash[0] = 8;
    assert_int_equal(AC_ENOENT, ac_store_token_find(st, hash, &ft, &fu));
}

static void test_a_token_for_a_missing_user_is_refused(void **state)
{
    (void)state;
    uint8_t hash[32] = {1};
    struct ac_token t;
    assert_int_equal(AC_ENOENT, ac_store_token_create(st, 4242, NULL, hash, 1, &t));
}

static void test_revoking_a_token_records_when(void **state)
{
    (void)state;
    struct ac_user u;
    struct ac_token t, got;
    uint8_t hash[32] = {2};
    assert_int_equal(0, ac_store_user_create(st, "di", NULL, AC_ROLE_EARNER, 1, &u));
    assert_int_equal(0, ac_store_token_create(st, u.id, NULL, hash, 2, &t));
    assert_int_equal(0, ac_store_token_revoke(st, t.id, 3));
    assert_int_equal(0, ac_store_token_get(st, t.id, &got));
    assert_int_equal(3, got.revoked_ms);
    assert_int_equal(AC_ENOENT, ac_store_token_revoke(st, t.id + 100, 3));
}

static void test_disabling_a_user_revokes_its_tokens(void **state)
{
    (void)state;
    struct ac_user u, got;
    struct ac_token t, ft;
    uint8_t hash[32] = {3};
    assert_int_equal(0, ac_store_user_create(st, "ed", NULL, AC_ROLE_EARNER, 1, &u));
    assert_int_equal(0, ac_store_token_create(st, u.id, NULL, hash, 2, &t));
    assert_int_equal(0, ac_store_user_disable(st, u.id, 5));
    assert_int_equal(0, ac_store_token_find(st, hash, &ft, &got));
    assert_int_equal(5, got.disabled_ms);
    assert_int_equal(5, ft.revoked_ms);
}

static void test_token_lists_hold_only_that_users_tokens(void **state)
{
    (void)state;
    struct ac_user a, b;
    struct ac_token t, list[4];
    uint8_t hash[32] = {0};
    assert_int_equal(0, ac_store_user_create(st, "fa", NULL, AC_ROLE_EARNER, 1, &a));
    assert_int_equal(0, ac_store_user_create(st, "fb", NULL, AC_ROLE_EARNER, 1, &b));
    for (uint8_t i = 0; i < 3; i++) {
        hash[0] = i;
        assert_int_equal(0, ac_store_token_create(st, i == 1 ? b.id : a.id, NULL, hash, 1, &t));
    }
    size_t n;
    assert_int_equal(0, ac_store_token_list(st, a.id, 0, list, 4, &n));
    assert_int_equal(2, n);
    assert_int_equal(a.id, list[0].user_id);
    assert_int_equal(a.id, list[1].user_id);
}

static void test_role_names_round_trip(void **state)
{
    (void)state;
    unsigned r;
    assert_int_equal(0, ac_role_parse("recognizer", &r));
    assert_int_equal(AC_ROLE_RECOGNIZER, r);
    assert_string_equal("reviewer", ac_role_name(AC_ROLE_REVIEWER));
    assert_int_equal(AC_EINVAL, ac_role_parse("root", &r));
    assert_null(ac_role_name(AC_ROLE_ADMIN | AC_ROLE_EXPERT));
}

static void test_a_reader_sees_the_writers_commits_and_refuses_writes(void **state)
{
    (void)state;
    struct ac_user u, got;
    assert_int_equal(0, ac_store_user_create(st, "rd", NULL, AC_ROLE_EARNER, 1, &u));
    struct ac_store *reader = NULL;
    assert_int_equal(0, ac_store_open_reader(st, &reader));
    assert_int_equal(store_engine, ac_store_engine_of(reader));
    assert_int_equal(0, ac_store_user_get(reader, u.id, &got));
    assert_string_equal("rd", got.name);
    struct ac_user later;
    assert_int_equal(0, ac_store_user_create(st, "rd2", NULL, AC_ROLE_EARNER, 1, &later));
    assert_int_equal(0, ac_store_user_get(reader, later.id, &got)); /* a later commit */
    assert_true(ac_store_user_create(reader, "rd3", NULL, AC_ROLE_EARNER, 1, &got) < 0);
    assert_int_equal(AC_EINVAL, ac_store_open_reader(reader, &(struct ac_store *){NULL}));
    ac_store_close(reader);
}

/* ---- ac_store_tx_run ---- */

struct race {
    int calls;       /* times the body ran */
    int64_t user_id; /* the user the body disables */
    int fail_with;   /* an error the body returns every time; 0: none */
    int interfere;   /* PostgreSQL: a second connection updates the row on the first run */
};

/* Reads the user (the transaction's snapshot starts here), lets a second
 * connection commit a change to the same row on the first run, then writes
 * the row: on PostgreSQL the write loses the serialization race. */
static int race_body(struct ac_store *s, void *arg)
{
    struct race *r = arg;
    r->calls++;
    struct ac_user u;
    int err = ac_store_user_get(s, r->user_id, &u);
    if (err)
        return err;
    if (r->interfere && r->calls == 1) {
        struct ac_db *other = store_fixture_raw();
        assert_non_null(other);
        assert_int_equal(0, ac_db_exec(other, "UPDATE users SET display_name = 'changed'"
                                              " WHERE name = 'racer'"));
        ac_db_close(other);
    }
    err = ac_store_user_disable(s, r->user_id, 77);
    if (!err && r->fail_with) {
        struct ac_user extra;
        err = ac_store_user_create(s, "extra", NULL, AC_ROLE_EARNER, 1, &extra);
        if (!err)
            err = r->fail_with;
    }
    return err;
}

static int64_t make_racer(void)
{
    struct ac_user u;
    assert_int_equal(0, ac_store_user_create(st, "racer", NULL, AC_ROLE_EARNER, 1, &u));
    return u.id;
}

static void test_a_body_that_loses_a_serialization_race_runs_again_whole(void **state)
{
    (void)state;
    if (!store_fixture_pg()) {
        print_message("skipped on SQLite: its write lock is taken at BEGIN, so no race "
                      "is lost mid-transaction (see the busy test)\n");
        skip();
    }
    struct race r = {.user_id = make_racer(), .interfere = 1};
    assert_int_equal(0, ac_store_tx_run(st, race_body, &r));
    assert_int_equal(2, r.calls);
    struct ac_user got;
    assert_int_equal(0, ac_store_user_get(st, r.user_id, &got));
    assert_int_equal(77, got.disabled_ms);
    assert_string_equal("changed", got.display_name); /* the winner's change stands */
}

static int busy_calls;
static struct ac_db *busy_holder; /* a second connection holding SQLite's write lock */

/* The store's busy handler for the SQLite test: the first time the store
 * meets the lock, the holder lets go, and the store is told "busy" at once
 * (it returns 0), as when busy_timeout runs out. */
static int release_on_busy(void *arg, int count)
{
    (void)arg;
    (void)count;
    busy_calls++;
    if (busy_holder) {
        assert_int_equal(0, ac_db_commit(busy_holder));
        ac_db_close(busy_holder);
        busy_holder = NULL;
    }
    return 0;
}

static void test_a_transaction_that_finds_sqlite_busy_begins_again(void **state)
{
    (void)state;
    STORE_SQLITE_ONLY("SQLITE_BUSY is SQLite's; the PostgreSQL race is the serialization test");
    struct race r = {.user_id = make_racer()};
    busy_calls = 0;
    busy_holder = store_fixture_raw();
    assert_non_null(busy_holder);
    assert_int_equal(0, ac_db_begin(busy_holder, AC_DB_TX_WRITE));
    sqlite3_busy_handler(ac__db_sqlite_handle(ac__store_db(st)), release_on_busy, NULL);
    assert_int_equal(0, ac_store_tx_run(st, race_body, &r));
    assert_int_equal(1, busy_calls); /* the first BEGIN was busy */
    assert_int_equal(1, r.calls);    /* the body ran once, in the second attempt */
    assert_null(busy_holder);
    struct ac_user got;
    assert_int_equal(0, ac_store_user_get(st, r.user_id, &got));
    assert_int_equal(77, got.disabled_ms);
}

static void test_a_body_that_keeps_losing_gives_up_after_the_bounded_attempts(void **state)
{
    (void)state;
    struct race r = {.user_id = make_racer(), .fail_with = AC_EAGAIN};
    uint64_t c0 = ac_store_commits(st);
    assert_int_equal(AC_EAGAIN, ac_store_tx_run(st, race_body, &r));
    assert_int_equal(AC_STORE_TX_ATTEMPTS, r.calls);
    assert_int_equal(c0, ac_store_commits(st));
    struct ac_user got;
    assert_int_equal(0, ac_store_user_get(st, r.user_id, &got));
    assert_int_equal(0, got.disabled_ms); /* every attempt rolled back */
}

static void test_an_unknown_outcome_or_other_error_is_never_run_again(void **state)
{
    (void)state;
    static const int errors[] = {AC_EUNKNOWN, AC_EINVAL, AC_EIO};
    int64_t id = make_racer();
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
        struct race r = {.user_id = id, .fail_with = errors[i]};
        assert_int_equal(errors[i], ac_store_tx_run(st, race_body, &r));
        assert_int_equal(1, r.calls);
        struct ac_user got;
        assert_int_equal(0, ac_store_user_get(st, id, &got));
        assert_int_equal(0, got.disabled_ms);
    }
    struct ac_user u;
    /* "extra" was rolled back each time, so the name is free. */
    assert_int_equal(0, ac_store_user_create(st, "extra", NULL, AC_ROLE_EARNER, 1, &u));
}

static int unbalanced_body(struct ac_store *s, void *arg)
{
    (void)arg;
    return ac_store_tx_begin(s); /* a begin left open */
}

static void test_running_a_transaction_inside_one_or_unbalanced_is_a_bug(void **state)
{
    (void)state;
    struct race r = {.user_id = make_racer()};
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(AC_EBUG, ac_store_tx_run(st, race_body, &r));
    assert_int_equal(0, r.calls);
    ac_store_tx_rollback(st);
    assert_int_equal(AC_EBUG, ac_store_tx_run(st, unbalanced_body, NULL));
    /* Everything was rolled back: a new transaction opens. */
    assert_int_equal(0, ac_store_tx_run(st, race_body, &r));
    assert_int_equal(1, r.calls);
}


/* ---- after-commit hooks ---- */

/* What the hooks did, in order: 'A' ran, 'a' released (and so on). */
static char hook_trace[64];

static void hook_note(char c)
{
    size_t n = strlen(hook_trace);
    assert_true(n + 1 < sizeof hook_trace);
    hook_trace[n] = c;
    hook_trace[n + 1] = '\0';
}

static void hook_run(void *arg)
{
    hook_note(*(const char *)arg);
}

static void hook_release(void *arg)
{
    hook_note((char)(*(const char *)arg - 'A' + 'a'));
}

static void test_hooks_run_in_order_only_after_the_outermost_commit(void **state)
{
    (void)state;
    hook_trace[0] = '\0';
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_after_commit(st, hook_run, hook_release, "A"));
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_after_commit(st, hook_run, hook_release, "B"));
    assert_int_equal(0, ac_store_tx_commit(st)); /* a savepoint: nothing runs yet */
    assert_string_equal("", hook_trace);
    assert_int_equal(0, ac_store_after_commit(st, hook_run, NULL, "C"));
    assert_int_equal(0, ac_store_tx_commit(st));
    assert_string_equal("AaBbC", hook_trace);
    /* They ran once: the next transaction starts with none. */
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_tx_commit(st));
    assert_string_equal("AaBbC", hook_trace);
}

static void test_a_savepoint_rollback_drops_only_the_hooks_registered_inside_it(void **state)
{
    (void)state;
    hook_trace[0] = '\0';
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_after_commit(st, hook_run, hook_release, "A"));
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_after_commit(st, hook_run, hook_release, "B"));
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_after_commit(st, hook_run, hook_release, "C"));
    assert_int_equal(0, ac_store_tx_commit(st)); /* C now belongs to B's savepoint */
    ac_store_tx_rollback(st);                    /* drops B and C, newest first */
    assert_string_equal("cb", hook_trace);
    assert_int_equal(0, ac_store_after_commit(st, hook_run, hook_release, "D"));
    assert_int_equal(0, ac_store_tx_commit(st));
    assert_string_equal("cbAaDd", hook_trace);
}

static void test_a_rolled_back_transaction_runs_none_of_its_hooks(void **state)
{
    (void)state;
    hook_trace[0] = '\0';
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_after_commit(st, hook_run, hook_release, "A"));
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_after_commit(st, hook_run, hook_release, "B"));
    assert_int_equal(0, ac_store_tx_commit(st));
    ac_store_tx_rollback(st);
    assert_string_equal("ba", hook_trace);
}

static void test_a_hook_outside_a_transaction_is_refused_and_released(void **state)
{
    (void)state;
    hook_trace[0] = '\0';
    assert_int_equal(AC_EBUG, ac_store_after_commit(st, hook_run, hook_release, "A"));
    assert_string_equal("a", hook_trace);
}

struct hooked {
    int calls;
    int lose_first; /* the first run returns AC_EAGAIN */
    int64_t user_id;
};

/* Registers one hook per run, inside a savepoint of its own as a service
 * would, and loses the first run when asked. */
static int hooked_body(struct ac_store *s, void *arg)
{
    struct hooked *h = arg;
    h->calls++;
    int err = ac_store_tx_begin(s);
    if (err)
        return err;
    err = ac_store_user_disable(s, h->user_id, 100 + h->calls);
    if (!err)
        err = ac_store_after_commit(s, hook_run, hook_release, h->calls == 1 ? "A" : "B");
    if (err) {
        ac_store_tx_rollback(s);
        return err;
    }
    err = ac_store_tx_commit(s);
    if (!err && h->lose_first && h->calls == 1)
        err = AC_EAGAIN;
    return err;
}

static void test_a_body_run_again_keeps_only_the_hooks_of_the_run_that_committed(void **state)
{
    (void)state;
    hook_trace[0] = '\0';
    struct hooked h = {.lose_first = 1, .user_id = make_racer()};
    assert_int_equal(0, ac_store_tx_run(st, hooked_body, &h));
    assert_int_equal(2, h.calls);
    assert_string_equal("aBb", hook_trace);
    struct ac_user got;
    assert_int_equal(0, ac_store_user_get(st, h.user_id, &got));
    assert_int_equal(102, got.disabled_ms);
}

/* Loses the serialization race inside a savepoint and hides it, as a
 * service that answers a failure of its own would. */
static int swallowing_body(struct ac_store *s, void *arg)
{
    struct race *r = arg;
    r->calls++;
    struct ac_user u;
    int err = ac_store_user_get(s, r->user_id, &u);
    if (err)
        return err;
    if (r->calls == 1) {
        struct ac_db *other = store_fixture_raw();
        assert_non_null(other);
        assert_int_equal(0, ac_db_exec(other, "UPDATE users SET display_name = 'changed'"
                                              " WHERE name = 'racer'"));
        ac_db_close(other);
    }
    err = ac_store_tx_begin(s);
    if (err)
        return err;
    err = ac_store_user_disable(s, r->user_id, 77);
    if (err) {
        ac_store_tx_rollback(s);
        if (r->calls == 1)
            assert_int_equal(AC_EAGAIN, err);
        return 0; /* swallowed: the caller would answer "not changed" */
    }
    return ac_store_tx_commit(s);
}

static void test_a_race_lost_and_swallowed_inside_a_savepoint_still_runs_the_body_again(
    void **state)
{
    (void)state;
    if (!store_fixture_pg()) {
        print_message("skipped on SQLite: its write lock is taken at BEGIN\n");
        skip();
    }
    struct race r = {.user_id = make_racer()};
    assert_int_equal(0, ac_store_tx_run(st, swallowing_body, &r));
    assert_int_equal(2, r.calls);
    struct ac_user got;
    assert_int_equal(0, ac_store_user_get(st, r.user_id, &got));
    assert_int_equal(77, got.disabled_ms); /* the second run's write committed */
    /* Committed by hand, the same transaction is refused, not half-applied. */
    r.calls = 0;
    exec_raw("UPDATE users SET disabled_ms = 0 WHERE name = 'racer'");
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, swallowing_body(st, &r));
    assert_int_equal(AC_EAGAIN, ac_store_tx_commit(st));
    assert_int_equal(0, ac_store_tx_open(st));
}

static void test_hooks_of_a_commit_with_an_unknown_outcome_wait_for_the_callers_word(
    void **state)
{
    (void)state;
    if (!store_fixture_pg()) {
        print_message("skipped on SQLite: an embedded COMMIT cannot lose its connection\n");
        skip();
    }
    for (int committed = 0; committed <= 1; committed++) {
        hook_trace[0] = '\0';
        assert_int_equal(0, ac_store_tx_begin(st));
        struct ac_db_stmt *s;
        int64_t pid = 0;
        assert_int_equal(0, ac__store_stmt(st, "SELECT pg_backend_pid()", &s));
        assert_int_equal(0, ac__store_int64(st, s, &pid));
        assert_int_equal(0, ac_store_after_commit(st, hook_run, hook_release, "A"));
        /* The server ends the session before COMMIT arrives: the store
         * cannot tell whether it committed. */
        struct ac_db *other = store_fixture_raw();
        assert_non_null(other);
        char sql[96];
        snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)", (long long)pid);
        assert_int_equal(0, ac_db_exec(other, sql));
        ac_db_close(other);
        assert_int_equal(AC_EUNKNOWN, ac_store_tx_commit(st));
        assert_string_equal("", hook_trace);
        ac_store_tx_resolve(st, committed);
        assert_string_equal(committed ? "Aa" : "a", hook_trace);
    }
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, open_store, close_store)
    const struct CMUnitTest tests[] = {
        T(test_a_new_database_is_at_the_latest_schema),
        T(test_a_new_sqlite_database_is_in_wal_mode),
        T(test_each_outermost_commit_counts_once),
        T(test_postgresql_commits_are_durable_without_a_storage_thread),
        T(test_every_migration_is_recorded_once),
        T(test_a_database_from_a_newer_version_is_refused),
        T(test_a_created_user_reads_back_with_its_roles),
        T(test_a_taken_user_name_is_refused),
        T(test_user_names_follow_the_rule),
        T(test_a_user_without_roles_is_refused),
        T(test_listing_pages_by_id_after_the_cursor),
        T(test_a_token_is_found_by_its_hash_with_its_user),
        T(test_a_token_for_a_missing_user_is_refused),
        T(test_revoking_a_token_records_when),
        T(test_disabling_a_user_revokes_its_tokens),
        T(test_token_lists_hold_only_that_users_tokens),
        T(test_role_names_round_trip),
        T(test_a_reader_sees_the_writers_commits_and_refuses_writes),
        T(test_a_body_that_loses_a_serialization_race_runs_again_whole),
        T(test_a_transaction_that_finds_sqlite_busy_begins_again),
        T(test_a_body_that_keeps_losing_gives_up_after_the_bounded_attempts),
        T(test_an_unknown_outcome_or_other_error_is_never_run_again),
        T(test_running_a_transaction_inside_one_or_unbalanced_is_a_bug),
        T(test_hooks_run_in_order_only_after_the_outermost_commit),
        T(test_a_savepoint_rollback_drops_only_the_hooks_registered_inside_it),
        T(test_a_rolled_back_transaction_runs_none_of_its_hooks),
        T(test_a_hook_outside_a_transaction_is_refused_and_released),
        T(test_a_body_run_again_keeps_only_the_hooks_of_the_run_that_committed),
        T(test_a_race_lost_and_swallowed_inside_a_savepoint_still_runs_the_body_again),
        T(test_hooks_of_a_commit_with_an_unknown_outcome_wait_for_the_callers_word),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
