/* test_db_pg.c - the PostgreSQL engine (core/store/db_pg.c, its waits in
 * db_pg_wait.c) driven through the storage seam (db.h) against a throwaway
 * server: ctest runs this file under tests/lib/pgserver.py --tls, which
 * names it in ACCORD_TEST_PG_URL
 * (its unix socket), ACCORD_TEST_PG_TLS_URL (TLS on a loopback port) and
 * ACCORD_TEST_PG_TLS_RELAY_URL (TLS through a relay that fills 16 KiB
 * records), and can kill and restart it through ACCORD_TEST_PG_RESTART.
 * Also checks that the PostgreSQL migrations give every table the columns
 * SQLite's give it. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <sqlite3.h>
#include <time.h>

#include "../../../../core/store/db.h"
#include "../../../../core/store/internal.h"
#include "../../../../core/store/migrations_pg.h"
#include "accord/base/error.h"
#include "accord/base/fiber.h"
#include "accord/net/tls_pending.h"
#include "accord/store/store.h"
#include "accord/store/tls_probe.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *url, *tls_url, *relay_url;
static struct ac_db *db;

/* The probe the engine gets, as the node registers it (net/'s), counting
 * the times it found bytes held inside the TLS layer. */
static int tls_held;

static int counting_probe(void *ssl)
{
    int n = ac_tls_pending(ssl);
    if (n > 0)
        tls_held++;
    return n;
}

static struct ac_db *open_pg(void)
{
    struct ac_db *d = NULL;
    assert_int_equal(0, ac_db_open(AC_DB_POSTGRESQL, url, &d));
    assert_non_null(d);
    return d;
}

/* Each test starts from an empty public schema on a fresh connection. */
static int setup(void **state)
{
    (void)state;
    db = open_pg();
    assert_int_equal(0, ac_db_exec(db, "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"));
    return 0;
}

/* The same on a connection over TLS: straight to the server (|tls_url|)
 * or through the relay (|relay_url|), whose TLS is the client's side only. */
static int setup_on(const char *target, int server_tls)
{
    assert_int_equal(0, ac_db_open(AC_DB_POSTGRESQL, target, &db));
    assert_int_equal(0, ac_db_exec(db, "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"));
    if (server_tls) {
        struct ac_db_stmt *s;
        assert_int_equal(0, ac_db_prepare(db, "SELECT ssl FROM pg_stat_ssl"
                                              " WHERE pid = pg_backend_pid()", &s));
        assert_int_equal(AC_DB_ROW, ac_db_step(s));
        assert_int_equal(1, ac_db_col_int64(s, 0)); /* the server sees TLS */
        ac_db_reset(s);
    }
    tls_held = 0;
    return 0;
}

static int setup_tls(void **state)
{
    (void)state;
    return setup_on(tls_url, 1);
}

static int setup_relay(void **state)
{
    (void)state;
    return setup_on(relay_url, 0);
}

static int teardown(void **state)
{
    (void)state;
    ac_db_close(db);
    db = NULL;
    return 0;
}

static int64_t query_int(struct ac_db *d, const char *sql)
{
    struct ac_db_stmt *s;
    assert_int_equal(0, ac_db_prepare(d, sql, &s));
    assert_int_equal(AC_DB_ROW, ac_db_step(s));
    int64_t v = ac_db_col_int64(s, 0);
    ac_db_reset(s);
    return v;
}

static void test_the_four_value_kinds_come_back_as_they_were_bound(void **state)
{
    (void)state;
    static const unsigned char blob[] = {0x00, 0x01, 0x00, 0xff, 0x5c, 0x78};
    size_t big = 100000;
    char *text = malloc(big + 1);
    assert_non_null(text);
    for (size_t i = 0; i < big; i++)
        text[i] = (char)('a' + i % 26);
    text[big] = '\0';
    assert_int_equal(0, ac_db_exec(db, "CREATE TABLE v (i BIGINT, t TEXT, b BYTEA, n TEXT)"));

    struct ac_db_stmt *s;
    assert_int_equal(0, ac_db_prepare(db, "INSERT INTO v (i, t, b, n) VALUES ($1, $2, $3, $4)", &s));
    /* 2^53 + 1 is not a double: it must travel as an integer. */
    assert_int_equal(0, ac_db_bind_int64(s, 1, 9007199254740993LL));
    assert_int_equal(0, ac_db_bind_text(s, 2, text, -1));
    assert_int_equal(0, ac_db_bind_blob(s, 3, blob, sizeof blob));
    assert_int_equal(0, ac_db_bind_null(s, 4));
    assert_int_equal(AC_DB_DONE, ac_db_step(s));
    assert_int_equal(1, ac_db_changes(db));

    assert_int_equal(0, ac_db_prepare(db, "SELECT i, t, b, n FROM v", &s));
    assert_int_equal(AC_DB_ROW, ac_db_step(s));
    assert_int_equal(4, ac_db_col_count(s));
    assert_true(9007199254740993LL == ac_db_col_int64(s, 0));
    assert_string_equal(text, ac_db_col_text(s, 1));
    assert_int_equal(big, ac_db_col_bytes(s, 1));
    assert_int_equal(sizeof blob, ac_db_col_bytes(s, 2));
    assert_memory_equal(blob, ac_db_col_blob(s, 2), sizeof blob);
    assert_true(ac_db_col_is_null(s, 3));
    assert_null(ac_db_col_text(s, 3));
    assert_null(ac_db_col_blob(s, 3));
    assert_int_equal(0, ac_db_col_bytes(s, 3));
    assert_int_equal(0, ac_db_col_int64(s, 3));
    assert_int_equal(AC_DB_DONE, ac_db_step(s));
    ac_db_reset(s);
    free(text);
}

static void test_booleans_read_as_one_and_zero_and_integral_sums_as_integers(void **state)
{
    (void)state;
    struct ac_db_stmt *s;
    assert_int_equal(0, ac_db_prepare(db,
                                      "SELECT 1 < 2, 2 < 1, SUM(x), SUM(x) / 4"
                                      " FROM (VALUES (4000000000::bigint), (6)) AS t(x)",
                                      &s));
    assert_int_equal(AC_DB_ROW, ac_db_step(s));
    assert_int_equal(1, ac_db_col_int64(s, 0));
    assert_string_equal("0", ac_db_col_text(s, 1));
    assert_true(4000000006LL == ac_db_col_int64(s, 2)); /* numeric: SUM over bigint */
    assert_true(1000000001LL == ac_db_col_int64(s, 3)); /* 1000000001.5, integral part */
    ac_db_reset(s);
}

static void test_parameters_bind_by_number_out_of_order_and_repeated(void **state)
{
    (void)state;
    struct ac_db_stmt *s;
    assert_int_equal(0, ac_db_prepare(db, "SELECT $2 || '-' || $1 || '-' || $2, $3 + $3", &s));
    assert_int_equal(0, ac_db_bind_text(s, 2, "bee", -1));
    assert_int_equal(0, ac_db_bind_text(s, 1, "ant", 2)); /* "an": len counts */
    /* 3e9 + 3e9 overflows int4: only an int8 parameter holds it. */
    assert_int_equal(0, ac_db_bind_int64(s, 3, 3000000000LL));
    assert_int_equal(AC_ERANGE, ac_db_bind_int64(s, 4, 1));
    assert_int_equal(AC_ERANGE, ac_db_bind_int64(s, 0, 1));
    assert_int_equal(AC_DB_ROW, ac_db_step(s));
    assert_string_equal("bee-an-bee", ac_db_col_text(s, 0));
    assert_true(6000000000LL == ac_db_col_int64(s, 1));
    ac_db_reset(s);
}

static void test_a_statement_is_cached_by_its_text_and_reset_mid_rows(void **state)
{
    (void)state;
    static const char sql[] = "SELECT g FROM generate_series(1, $1::int) AS g ORDER BY g";
    char *copy = strdup(sql); /* the same text at another address */
    assert_non_null(copy);
    struct ac_db_stmt *a, *b;
    assert_int_equal(0, ac_db_prepare(db, sql, &a));
    assert_int_equal(0, ac_db_bind_int64(a, 1, 3));
    assert_int_equal(AC_DB_ROW, ac_db_step(a));
    assert_int_equal(1, ac_db_col_int64(a, 0));
    assert_int_equal(AC_DB_ROW, ac_db_step(a));
    assert_int_equal(2, ac_db_col_int64(a, 0));
    /* Asking again mid-rows hands back the same statement, reset. */
    assert_int_equal(0, ac_db_prepare(db, copy, &b));
    assert_ptr_equal(a, b);
    assert_int_equal(0, ac_db_col_count(b));
    assert_int_equal(0, ac_db_bind_int64(b, 1, 2));
    assert_int_equal(AC_DB_ROW, ac_db_step(b));
    assert_int_equal(1, ac_db_col_int64(b, 0));
    assert_int_equal(AC_DB_ROW, ac_db_step(b));
    assert_int_equal(2, ac_db_col_int64(b, 0));
    assert_int_equal(AC_DB_DONE, ac_db_step(b));
    ac_db_reset(b);
    free(copy);
}

static void test_changes_counts_the_rows_the_last_statement_touched(void **state)
{
    (void)state;
    assert_int_equal(0, ac_db_exec(db, "CREATE TABLE c (x BIGINT);"
                                       "INSERT INTO c VALUES (1), (2), (3), (4)"));
    assert_int_equal(4, ac_db_changes(db));
    struct ac_db_stmt *s;
    assert_int_equal(0, ac_db_prepare(db, "UPDATE c SET x = x + 10 WHERE x > $1", &s));
    assert_int_equal(0, ac_db_bind_int64(s, 1, 2));
    assert_int_equal(AC_DB_DONE, ac_db_step(s));
    assert_int_equal(2, ac_db_changes(db));
    assert_int_equal(0, ac_db_prepare(db, "DELETE FROM c WHERE x = $1", &s));
    assert_int_equal(0, ac_db_bind_int64(s, 1, 99));
    assert_int_equal(AC_DB_DONE, ac_db_step(s));
    assert_int_equal(0, ac_db_changes(db));
}

static void test_a_duplicate_key_is_eexist(void **state)
{
    (void)state;
    assert_int_equal(0, ac_db_exec(db, "CREATE TABLE u (name TEXT PRIMARY KEY)"));
    struct ac_db_stmt *s;
    assert_int_equal(0, ac_db_prepare(db, "INSERT INTO u (name) VALUES ($1)", &s));
    assert_int_equal(0, ac_db_bind_text(s, 1, "ana", -1));
    assert_int_equal(AC_DB_DONE, ac_db_step(s));
    assert_int_equal(0, ac_db_prepare(db, "INSERT INTO u (name) VALUES ($1)", &s));
    assert_int_equal(0, ac_db_bind_text(s, 1, "ana", -1));
    assert_int_equal(AC_EEXIST, ac_db_step(s));
    assert_non_null(strstr(ac_db_errmsg(db), "duplicate key"));
}

static void test_a_row_naming_a_missing_parent_is_enoent(void **state)
{
    (void)state;
    assert_int_equal(0, ac_db_exec(db, "CREATE TABLE p (id BIGINT PRIMARY KEY);"
                                       "CREATE TABLE k (p BIGINT NOT NULL REFERENCES p(id))"));
    struct ac_db_stmt *s;
    assert_int_equal(0, ac_db_prepare(db, "INSERT INTO k (p) VALUES ($1)", &s));
    assert_int_equal(0, ac_db_bind_int64(s, 1, 7));
    assert_int_equal(AC_ENOENT, ac_db_step(s));
}

static void test_bad_sql_is_edb_with_the_servers_message(void **state)
{
    (void)state;
    struct ac_db_stmt *s;
    assert_int_equal(0, ac_db_prepare(db, "SELEC 1", &s));
    assert_int_equal(AC_EDB, ac_db_step(s));
    assert_non_null(strstr(ac_db_errmsg(db), "syntax error"));
}

/* Write skew: each transaction reads the whole table and inserts what it
 * read; run one after the other either result is fine, interleaved one
 * must lose under SERIALIZABLE. */
static void test_two_interleaved_writers_make_one_lose_with_eagain(void **state)
{
    (void)state;
    static const char sum[] = "SELECT COALESCE(SUM(x), 0) FROM w";
    static const char ins[] = "INSERT INTO w (x) VALUES ($1)";
    assert_int_equal(0, ac_db_exec(db, "CREATE TABLE w (x BIGINT)"));
    struct ac_db *other = open_pg();
    struct ac_db_stmt *s;

    assert_int_equal(0, ac_db_begin(db, AC_DB_TX_WRITE));
    assert_int_equal(0, ac_db_begin(other, AC_DB_TX_WRITE));
    assert_int_equal(1, ac_db_in_tx(db));
    assert_int_equal(0, query_int(db, sum));
    assert_int_equal(0, query_int(other, sum));
    assert_int_equal(0, ac_db_prepare(db, ins, &s));
    assert_int_equal(0, ac_db_bind_int64(s, 1, 1));
    assert_int_equal(AC_DB_DONE, ac_db_step(s));
    assert_int_equal(0, ac_db_prepare(other, ins, &s));
    assert_int_equal(0, ac_db_bind_int64(s, 1, 2));
    assert_int_equal(AC_DB_DONE, ac_db_step(s));
    assert_int_equal(0, ac_db_commit(db));
    assert_int_equal(AC_EAGAIN, ac_db_commit(other));
    assert_int_equal(0, ac_db_in_tx(other));
    assert_int_equal(1, query_int(other, sum)); /* only the winner's row */
    ac_db_close(other);
}

/* What a fiber runs: a write transaction of three statements on |db|.
 * Results are kept, not asserted: a failed cmocka assert cannot longjmp
 * out of a fiber. */
struct fiber_tx {
    int begin, insert, commit;
};

static void insert_on_fiber(void *arg)
{
    struct fiber_tx *r = arg;
    r->begin = ac_db_begin(db, AC_DB_TX_WRITE);
    struct ac_db_stmt *s = NULL;
    int err = ac_db_prepare(db, "INSERT INTO f (x) VALUES ($1)", &s);
    if (!err)
        err = ac_db_bind_int64(s, 1, 7);
    if (!err)
        err = ac_db_step(s) == AC_DB_DONE ? 0 : AC_EDB;
    r->insert = err; /* set once the INSERT has run */
    r->commit = ac_db_commit(db);
}

/* Drives |f| as the loop does: poll the descriptor it waits on, resume.
 * Returns how many times it waited. */
static int drive(struct ac_fiber *f, int started)
{
    int waits = 0;
    for (int ended = started; ended == 0; ended = ac_fiber_resume(f, 0)) {
        short events = 0;
        int fd = ac_fiber_waiting(f, &events);
        assert_true(fd >= 0);
        struct pollfd p = {.fd = fd, .events = events};
        assert_int_equal(1, poll(&p, 1, 30000));
        waits++;
    }
    return waits;
}

static void test_on_a_fiber_every_round_trip_yields_to_the_caller(void **state)
{
    (void)state;
    assert_int_equal(0, ac_db_exec(db, "CREATE TABLE f (x BIGINT)"));
    struct ac_fiber *f;
    assert_int_equal(0, ac_fiber_new(256 * 1024, &f));
    struct fiber_tx r = {-1, -1, -1};
    int waits = drive(f, ac_fiber_run(f, insert_on_fiber, &r));
    /* BEGIN, PREPARE, the savepoint, the INSERT: each a wait. COMMIT is
     * not: it runs inline and waits in place (ac__pg_commit_bounded()). */
    assert_true(waits >= 4);
    assert_int_equal(0, r.begin);
    assert_int_equal(0, r.insert);
    assert_int_equal(0, r.commit);
    assert_int_equal(1, query_int(db, "SELECT count(*) FROM f WHERE x = 7"));
    ac_fiber_free(f);
}

static void test_a_fiber_waiting_on_a_lock_yields_until_the_holder_lets_go(void **state)
{
    (void)state;
    assert_int_equal(0, ac_db_exec(db, "CREATE TABLE f (x BIGINT)"));
    struct ac_db *holder = open_pg();
    assert_int_equal(0, ac_db_begin(holder, AC_DB_TX_WRITE));
    assert_int_equal(0, ac_db_exec(holder, "LOCK TABLE f IN ACCESS EXCLUSIVE MODE"));
    struct ac_fiber *f;
    assert_int_equal(0, ac_fiber_new(256 * 1024, &f));
    struct fiber_tx r = {-1, -1, -1};
    assert_int_equal(0, ac_fiber_run(f, insert_on_fiber, &r));
    /* Driven until the server says the INSERT waits on the lock: the
     * thread is back here meanwhile, free to use another connection. */
    int waiting = 0;
    for (int i = 0; i < 1000 && !waiting; i++) {
        short events = 0;
        int fd = ac_fiber_waiting(f, &events);
        assert_true(fd >= 0);
        struct pollfd p = {.fd = fd, .events = events};
        if (poll(&p, 1, 10) == 1)
            assert_int_equal(0, ac_fiber_resume(f, 0));
        waiting = query_int(holder, "SELECT count(*) FROM pg_locks WHERE NOT granted") > 0;
    }
    assert_true(waiting);
    assert_int_equal(-1, r.insert); /* still waiting on the lock */
    assert_int_equal(0, query_int(holder, "SELECT count(*) FROM f"));
    assert_int_equal(0, ac_db_commit(holder));
    /* Let go: resumed to its end, the fiber's waits now poll in place. */
    assert_int_equal(1, ac_fiber_resume(f, 1));
    assert_int_equal(0, r.insert);
    assert_int_equal(0, r.commit);
    assert_int_equal(1, query_int(holder, "SELECT count(*) FROM f WHERE x = 7"));
    ac_fiber_free(f);
    ac_db_close(holder);
}

/* What a fiber reads: every row of |sql|, whose rows are (integer, text
 * of 'x's). Kept, not asserted, as in insert_on_fiber(). */
struct fiber_read {
    const char *sql;
    int rc;
    int64_t rows, sum, bytes, bad;
};

static void read_on_fiber(void *arg)
{
    struct fiber_read *r = arg;
    struct ac_db_stmt *s = NULL;
    r->rc = ac_db_prepare(db, r->sql, &s);
    if (r->rc)
        return;
    int rc;
    while ((rc = ac_db_step(s)) == AC_DB_ROW) {
        const char *t = ac_db_col_text(s, 1);
        size_t n = ac_db_col_bytes(s, 1);
        r->rows++;
        r->sum += ac_db_col_int64(s, 0);
        r->bytes += (int64_t)n;
        if (!t || strspn(t, "x") != n)
            r->bad++;
    }
    r->rc = rc == AC_DB_DONE ? 0 : rc;
    ac_db_reset(s);
}

/* 300,000 bytes in one value: one message of many TLS records. */
static const char big_value[] = "SELECT 1, repeat('x', 300000)";
/* 20,000 rows of 100 bytes: 2 MB in many small messages. */
static const char many_rows[] = "SELECT g, repeat('x', 100) FROM generate_series(1, 20000) AS g";

/* Reads |sql| on a fiber, driven as the loop drives it, or (|to_end|)
 * resumed to its end at its first wait. */
static void read_on_a_fiber(struct fiber_read *r, int to_end)
{
    struct ac_fiber *f;
    assert_int_equal(0, ac_fiber_new(256 * 1024, &f));
    int ended = ac_fiber_run(f, read_on_fiber, r);
    assert_int_equal(0, ended); /* it waited */
    if (to_end)
        assert_int_equal(1, ac_fiber_resume(f, 1)); /* the rest polls in place */
    else
        assert_true(drive(f, ended) >= 1);
    ac_fiber_free(f);
}

/* The many rows first: libpq's input buffer is then still 16 KiB, and
 * grows to hold the big value only after. */
static void read_big_answers_on_a_fiber(int to_end)
{
    struct fiber_read many = {.sql = many_rows, .rc = -1};
    read_on_a_fiber(&many, to_end);
    assert_int_equal(0, many.rc);
    assert_int_equal(20000, many.rows);
    assert_true(200010000 == many.sum); /* 1 + 2 + ... + 20000 = 20000 * 20001 / 2 */
    assert_int_equal(2000000, many.bytes);
    assert_int_equal(0, many.bad);

    struct fiber_read one = {.sql = big_value, .rc = -1};
    read_on_a_fiber(&one, to_end);
    assert_int_equal(0, one.rc);
    assert_int_equal(1, one.rows);
    assert_int_equal(1, one.sum);
    assert_int_equal(300000, one.bytes);
    assert_int_equal(0, one.bad);
}

static void test_over_tls_answers_of_many_records_read_on_a_fiber_yield_and_arrive_whole(
    void **state)
{
    (void)state;
    read_big_answers_on_a_fiber(0);
}

/* Records of 16 KiB do not fit the room libpq keeps (8 KiB and up), so
 * their rest stays decrypted inside OpenSSL, where the socket's readiness
 * does not show it: read on at once, or the wait lasts until the server
 * sends again (for the answer's last bytes, never; drive() gives up after
 * 30 s). */
static void test_over_tls_bytes_held_inside_the_tls_layer_are_read_without_waiting(void **state)
{
    (void)state;
    read_big_answers_on_a_fiber(0);
    assert_true(tls_held > 0); /* the relay's records did leave bytes there */
}

/* A fiber resumed to its end polls in place: the same holds there. */
static void test_over_tls_a_fiber_resumed_to_its_end_reads_the_held_bytes_too(void **state)
{
    (void)state;
    read_big_answers_on_a_fiber(1);
    assert_true(tls_held > 0);
}

struct fiber_big_write {
    const char *text;
    int rc;
};

static void big_insert_on_fiber(void *arg)
{
    struct fiber_big_write *w = arg;
    struct ac_db_stmt *s = NULL;
    w->rc = ac_db_prepare(db, "INSERT INTO b (t) VALUES ($1)", &s);
    if (!w->rc)
        w->rc = ac_db_bind_text(s, 1, w->text, -1);
    if (!w->rc)
        w->rc = ac_db_step(s) == AC_DB_DONE ? 0 : AC_EDB;
}

/* 8 MB in one parameter: more than the socket takes at once, so libpq
 * keeps the rest (the connection is non-blocking) and the engine sends it
 * as the socket drains, waiting on a fiber like any round trip. */
static void test_over_tls_a_value_larger_than_the_socket_buffer_is_sent_whole_from_a_fiber(
    void **state)
{
    (void)state;
    size_t big = 8 * 1024 * 1024;
    char *text = malloc(big + 1);
    assert_non_null(text);
    for (size_t i = 0; i < big; i++)
        text[i] = (char)('a' + i % 26);
    text[big] = '\0';
    assert_int_equal(0, ac_db_exec(db, "CREATE TABLE b (t TEXT)"));
    struct ac_fiber *f;
    assert_int_equal(0, ac_fiber_new(256 * 1024, &f));
    struct fiber_big_write w = {text, -1};
    assert_true(drive(f, ac_fiber_run(f, big_insert_on_fiber, &w)) >= 1);
    assert_int_equal(0, w.rc);
    /* The server's own view of what arrived: its length and its md5. */
    assert_int_equal((int64_t)big, query_int(db, "SELECT length(t) FROM b"));
    assert_int_equal(1, query_int(db, "SELECT count(*) FROM b WHERE t = repeat("
                                      "'abcdefghijklmnopqrstuvwxyz', 8388608 / 26) ||"
                                      " left('abcdefghijklmnopqrstuvwxyz', 8388608 % 26)"));
    ac_fiber_free(f);
    free(text);
}

/* Without a probe the engine cannot see inside the TLS layer, so libpq
 * waits for each answer itself, as before the probe: nothing yields, and
 * the answer is still right. */
static void test_over_tls_without_a_probe_libpq_waits_itself(void **state)
{
    (void)state;
    assert_int_equal(0, ac_db_exec(db, "CREATE TABLE f (x BIGINT)"));
    ac_store_set_tls_pending(NULL);
    struct ac_fiber *f;
    assert_int_equal(0, ac_fiber_new(256 * 1024, &f));
    struct fiber_tx r = {-1, -1, -1};
    int ended = ac_fiber_run(f, insert_on_fiber, &r);
    ac_store_set_tls_pending(counting_probe);
    assert_int_equal(1, ended);
    assert_int_equal(0, r.begin);
    assert_int_equal(0, r.insert);
    assert_int_equal(0, r.commit);
    assert_int_equal(1, query_int(db, "SELECT count(*) FROM f WHERE x = 7"));
    ac_fiber_free(f);
}

static void test_a_read_transaction_refuses_a_write(void **state)
{
    (void)state;
    assert_int_equal(0, ac_db_exec(db, "CREATE TABLE r (x BIGINT)"));
    assert_int_equal(0, ac_db_begin(db, AC_DB_TX_READ));
    assert_int_equal(AC_EIO, ac_db_exec(db, "INSERT INTO r VALUES (1)"));
    ac_db_rollback(db);
    assert_int_equal(0, ac_db_in_tx(db));
    assert_int_equal(0, query_int(db, "SELECT COUNT(*) FROM r"));
}

static void restart_server(void)
{
    const char *cmd = getenv("ACCORD_TEST_PG_RESTART");
    assert_non_null(cmd);
    assert_int_equal(0, system(cmd));
}

static void test_the_first_transaction_after_a_server_restart_reconnects(void **state)
{
    (void)state;
    static const char sql[] = "SELECT $1::bigint * 2";
    struct ac_db_stmt *s;
    assert_int_equal(0, ac_db_prepare(db, sql, &s));
    assert_int_equal(0, ac_db_bind_int64(s, 1, 21));
    assert_int_equal(AC_DB_ROW, ac_db_step(s));
    assert_int_equal(42, ac_db_col_int64(s, 0));
    restart_server();
    /* The statement prepared on the old connection is prepared again. */
    assert_int_equal(0, ac_db_begin(db, AC_DB_TX_WRITE));
    assert_int_equal(0, ac_db_prepare(db, sql, &s));
    assert_int_equal(0, ac_db_bind_int64(s, 1, 5));
    assert_int_equal(AC_DB_ROW, ac_db_step(s));
    assert_int_equal(10, ac_db_col_int64(s, 0));
    assert_int_equal(0, ac_db_commit(db));
}

static void test_a_server_lost_inside_a_transaction_fails_it_until_rollback(void **state)
{
    (void)state;
    assert_int_equal(0, ac_db_begin(db, AC_DB_TX_WRITE));
    restart_server();
    assert_int_equal(AC_EIO, ac_db_exec(db, "SELECT 1"));
    assert_int_equal(1, ac_db_in_tx(db));
    assert_int_equal(AC_EIO, ac_db_exec(db, "SELECT 1")); /* not reconnected mid-transaction */
    ac_db_rollback(db);
    assert_int_equal(0, ac_db_exec(db, "SELECT 1"));
}

struct killer {
    int64_t victim;
};

/* Ends the victim's backend while its COMMIT waits in a deferred trigger. */
static void *kill_backend(void *arg)
{
    struct killer *k = arg;
    struct ac_db *d = NULL;
    if (ac_db_open(AC_DB_POSTGRESQL, url, &d) != 0)
        return NULL;
    for (int i = 0; i < 200; i++) { /* up to 10 s for the COMMIT to start */
        struct ac_db_stmt *s;
        if (ac_db_prepare(d, "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = $1"
                             " AND query = 'COMMIT' AND state = 'active'", &s) != 0)
            break;
        ac_db_bind_int64(s, 1, k->victim);
        int found = ac_db_step(s) == AC_DB_ROW && ac_db_col_int64(s, 0) == 1;
        ac_db_reset(s);
        if (found) {
            if (ac_db_prepare(d, "SELECT pg_terminate_backend($1::int)", &s) == 0) {
                ac_db_bind_int64(s, 1, k->victim);
                ac_db_step(s);
                ac_db_reset(s);
            }
            break;
        }
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    ac_db_close(d);
    return NULL;
}

static void test_a_connection_lost_during_commit_is_eunknown(void **state)
{
    (void)state;
    /* A deferred constraint trigger runs inside COMMIT; it sleeps so that
     * the connection can be cut while COMMIT is in flight. */
    assert_int_equal(0, ac_db_exec(db,
        "CREATE TABLE slow (x BIGINT);"
        "CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN PERFORM pg_sleep(10); RETURN NULL; END $$;"
        "CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON slow"
        " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit();"));
    struct killer k = {query_int(db, "SELECT pg_backend_pid()")};
    assert_int_equal(0, ac_db_begin(db, AC_DB_TX_WRITE));
    assert_int_equal(0, ac_db_exec(db, "INSERT INTO slow VALUES (1)"));
    pthread_t t;
    assert_int_equal(0, pthread_create(&t, NULL, kill_backend, &k));
    assert_int_equal(AC_EUNKNOWN, ac_db_commit(db));
    assert_int_equal(0, pthread_join(t, NULL));
    assert_int_equal(0, ac_db_in_tx(db));
    /* The next call reconnects; the cut COMMIT in fact rolled back. */
    assert_int_equal(0, query_int(db, "SELECT COUNT(*) FROM slow"));
}

/* A deferred constraint trigger that raises 300 NOTICEs of 100 bytes at
 * COMMIT: the answer to COMMIT comes in several TLS records, and through
 * the relay (16 KiB records) its end is left inside the TLS layer after
 * libpq's read. COMMIT's bounded wait must find it there, with the probe
 * and without: polling the socket alone would wait until the bound,
 * cancel a COMMIT that had finished and call it unknown. */
static void commit_with_notices(void)
{
    assert_int_equal(0, ac_db_exec(db,
        "CREATE TABLE loud (x BIGINT);"
        "CREATE FUNCTION loud_commit() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN FOR i IN 1..300 LOOP RAISE NOTICE '%', repeat('n', 100); END LOOP;"
        " RETURN NULL; END $$;"
        "CREATE CONSTRAINT TRIGGER loud_commit AFTER INSERT ON loud"
        " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION loud_commit();"));
    assert_int_equal(0, ac_db_begin(db, AC_DB_TX_WRITE));
    assert_int_equal(0, ac_db_exec(db, "INSERT INTO loud VALUES (1)"));
    assert_int_equal(0, ac_db_commit(db));
    assert_int_equal(1, query_int(db, "SELECT COUNT(*) FROM loud"));
}

static void test_over_tls_a_commit_whose_answer_ends_inside_the_tls_layer_is_confirmed(
    void **state)
{
    (void)state;
    commit_with_notices();
}

static void test_over_tls_without_a_probe_such_a_commit_is_confirmed_too(void **state)
{
    (void)state;
    ac_store_set_tls_pending(NULL);
    commit_with_notices();
    ac_store_set_tls_pending(counting_probe);
}

/* A COMMIT that never answers (a deferred trigger sleeping an hour stands
 * for a primary waiting for a synchronous standby that is gone) on a
 * connection whose cancel cannot reach the server (the relay speaks TLS
 * only and drops the plain cancel request, as TLS-only fronts do): the
 * engine gives up after its bounds, drops the connection and calls the
 * outcome unknown, instead of waiting for an answer for ever. */
static void test_a_commit_neither_answered_nor_cancelled_is_dropped_as_unknown(void **state)
{
    (void)state;
    assert_int_equal(0, ac_db_exec(db,
        "CREATE TABLE stuck (x BIGINT);"
        "CREATE FUNCTION stuck_commit() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN PERFORM pg_sleep(3600); RETURN NULL; END $$;"
        "CREATE CONSTRAINT TRIGGER stuck_commit AFTER INSERT ON stuck"
        " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION stuck_commit();"));
    int64_t pid = query_int(db, "SELECT pg_backend_pid()");
    assert_int_equal(0, ac_db_begin(db, AC_DB_TX_WRITE));
    assert_int_equal(0, ac_db_exec(db, "INSERT INTO stuck VALUES (1)"));
    assert_int_equal(AC_EUNKNOWN, ac_db_commit(db));
    assert_int_equal(0, ac_db_in_tx(db));
    /* The backend still sleeps in its COMMIT: end it, so that the
     * transaction rolls back and the next test finds no lock. */
    struct ac_db *d = open_pg();
    struct ac_db_stmt *s;
    assert_int_equal(0, ac_db_prepare(d, "SELECT pg_terminate_backend($1::int)", &s));
    assert_int_equal(0, ac_db_bind_int64(s, 1, pid));
    assert_int_equal(AC_DB_ROW, ac_db_step(s));
    assert_int_equal(1, ac_db_col_int64(s, 0)); /* it was still there */
    ac_db_reset(s);
    ac_db_close(d);
    /* The engine reconnects on its next call. */
    assert_int_equal(0, query_int(db, "SELECT COUNT(*) FROM stuck"));
}

/* A reader's connection (ac_store_open_reader()) refuses writes, also on
 * the session a reconnect opens after the server restarted. */
static void test_a_reader_stays_read_only_after_it_reconnects(void **state)
{
    (void)state;
    struct ac_store *writer = NULL, *reader = NULL;
    assert_int_equal(0, ac_store_open_engine(AC_STORE_POSTGRESQL, url, &writer));
    assert_int_equal(0, ac_store_open_reader(writer, &reader));
    struct ac_db *r = ac__store_db(reader);
    assert_int_equal(AC_EIO, ac_db_exec(r, "CREATE TABLE w1 (x BIGINT)"));
    assert_non_null(strstr(ac_db_errmsg(r), "read-only"));
    restart_server();
    /* The reader's first transaction finds the connection gone and opens
     * a new one; a write there is refused by the server as before. */
    assert_int_equal(0, ac_db_begin(r, AC_DB_TX_READ));
    ac_db_rollback(r);
    assert_int_equal(AC_EIO, ac_db_exec(r, "CREATE TABLE w2 (x BIGINT)"));
    assert_non_null(strstr(ac_db_errmsg(r), "read-only"));
    ac_store_close(reader);
    ac_store_close(writer);
    assert_int_equal(0, query_int(db, "SELECT COUNT(*) FROM pg_tables WHERE tablename LIKE 'w_'"));
}

/* ---- connecting on a fiber ---- */

/* What a fiber opens: a connection to |target| (ac_db_open() connects). */
struct fiber_open {
    const char *target;
    struct ac_db *d;
    int rc;
};

static void open_on_fiber(void *arg)
{
    struct fiber_open *o = arg;
    o->rc = ac_db_open(AC_DB_POSTGRESQL, o->target, &o->d);
}

/* Drives |f| as the loop does a wait with a deadline: poll its descriptor
 * until its deadline (ac_fiber_deadline()), in slices of 20 ms, doing
 * "other work" between slices (a query on |db|, another connection, as
 * the loop serves a read meanwhile), and resume it when the descriptor is
 * ready or the deadline came. Returns how many times it waited; |*other|
 * counts the other work done. */
static int drive_timed(struct ac_fiber *f, int started, int *other)
{
    int waits = 0;
    for (int ended = started; ended == 0; ended = ac_fiber_resume(f, 0)) {
        short events = 0;
        int fd = ac_fiber_waiting(f, &events);
        assert_true(fd >= 0);
        int64_t deadline = ac_fiber_deadline(f);
        waits++;
        for (;;) {
            struct pollfd p = {.fd = fd, .events = events};
            if (poll(&p, 1, 20) > 0)
                break;
            if (deadline >= 0 && ac_fiber_now_ms() >= deadline)
                break;
            assert_int_equal(1, query_int(db, "SELECT 1"));
            (*other)++;
        }
    }
    return waits;
}

/* Connecting on a fiber: every wait of the connect (TCP, TLS handshake,
 * authentication, startup) yields, and the connection works. */
static void connect_on_a_fiber(const char *target)
{
    struct ac_fiber *f;
    assert_int_equal(0, ac_fiber_new(256 * 1024, &f));
    struct fiber_open o = {.target = target, .rc = -1};
    int other = 0;
    int waits = drive_timed(f, ac_fiber_run(f, open_on_fiber, &o), &other);
    ac_fiber_free(f);
    assert_int_equal(0, o.rc);
    assert_true(waits >= 1);
    assert_int_equal(7, query_int(o.d, "SELECT 7"));
    ac_db_close(o.d);
}

static void test_on_a_fiber_a_connect_yields_and_completes(void **state)
{
    (void)state;
    connect_on_a_fiber(url);
}

static void test_over_tls_a_connect_on_a_fiber_yields_and_completes(void **state)
{
    (void)state;
    connect_on_a_fiber(tls_url);
}

/* The reconnect a transaction makes after a server restart, on a fiber:
 * its waits yield too, and the transaction runs. */
static void test_on_a_fiber_the_reconnect_after_a_server_restart_yields(void **state)
{
    (void)state;
    assert_int_equal(0, ac_db_exec(db, "CREATE TABLE f (x BIGINT)"));
    restart_server();
    struct ac_fiber *f;
    assert_int_equal(0, ac_fiber_new(256 * 1024, &f));
    struct fiber_tx r = {-1, -1, -1};
    int other = 0;
    int waits = drive_timed(f, ac_fiber_run(f, insert_on_fiber, &r), &other);
    ac_fiber_free(f);
    assert_int_equal(0, r.begin);
    assert_int_equal(0, r.insert);
    assert_int_equal(0, r.commit);
    assert_true(waits >= 4); /* the connect's, then BEGIN, INSERT, COMMIT's */
    assert_int_equal(1, query_int(db, "SELECT COUNT(*) FROM f WHERE x = 7"));
}

/* A loopback port whose kernel completes TCP handshakes but where nobody
 * ever answers: listening, never accepting. Returns the socket; |*port|. */
static int silent_listener(int *port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(0, bind(s, (struct sockaddr *)&a, sizeof a));
    assert_int_equal(0, listen(s, 8));
    socklen_t n = sizeof a;
    assert_int_equal(0, getsockname(s, (struct sockaddr *)&a, &n));
    *port = ntohs(a.sin_port);
    return s;
}

/* A server that never answers: on a fiber the connect fails at
 * connect_timeout with the host named, and the thread went on with other
 * work meanwhile. */
static void test_on_a_fiber_a_silent_server_times_out_and_the_loop_goes_on(void **state)
{
    (void)state;
    int port;
    int s = silent_listener(&port);
    char target[160];
    snprintf(target, sizeof target,
             "postgresql://accord@127.0.0.1:%d/x?connect_timeout=1&sslmode=disable", port);
    struct ac_fiber *f;
    assert_int_equal(0, ac_fiber_new(256 * 1024, &f));
    struct fiber_open o = {.target = target, .rc = -1};
    int other = 0;
    int waits = drive_timed(f, ac_fiber_run(f, open_on_fiber, &o), &other);
    ac_fiber_free(f);
    assert_int_equal(AC_EIO, o.rc);
    assert_null(o.d);
    assert_true(waits >= 1);
    assert_true(other >= 1);
    /* Off a fiber the same bound holds (poll() in place). */
    struct ac_db *d = NULL;
    assert_int_equal(AC_EIO, ac_db_open(AC_DB_POSTGRESQL, target, &d));
    assert_null(d);
    close(s);
}

static void test_a_bad_connection_string_is_einval_and_no_server_is_eio(void **state)
{
    (void)state;
    struct ac_db *d = NULL;
    assert_int_equal(AC_EINVAL, ac_db_open(AC_DB_POSTGRESQL, "host=x nonsense_key=1", &d));
    assert_int_equal(AC_EIO,
                     ac_db_open(AC_DB_POSTGRESQL,
                                "postgresql:///postgres?host=/nonexistent-accord-dir", &d));
    assert_null(d);
}

/* ---- the migrations ---- */

/* Appends the names of |table|'s columns, in order and joined by ',', to
 * |out| (of |cap| bytes). */
static void sqlite_columns(sqlite3 *lite, const char *table, char *out, size_t cap)
{
    char sql[256];
    snprintf(sql, sizeof sql, "PRAGMA table_info(\"%s\")", table);
    sqlite3_stmt *s;
    assert_int_equal(SQLITE_OK, sqlite3_prepare_v2(lite, sql, -1, &s, NULL));
    out[0] = '\0';
    while (sqlite3_step(s) == SQLITE_ROW) {
        size_t n = strlen(out);
        snprintf(out + n, cap - n, "%s%s", n ? "," : "", (const char *)sqlite3_column_text(s, 1));
    }
    sqlite3_finalize(s);
}

static void pg_columns(const char *table, char *out, size_t cap)
{
    struct ac_db_stmt *s;
    assert_int_equal(0, ac_db_prepare(db,
                                      "SELECT column_name FROM information_schema.columns"
                                      " WHERE table_schema = 'public' AND table_name = $1"
                                      " ORDER BY ordinal_position",
                                      &s));
    assert_int_equal(0, ac_db_bind_text(s, 1, table, -1));
    out[0] = '\0';
    int rc;
    while ((rc = ac_db_step(s)) == AC_DB_ROW) {
        size_t n = strlen(out);
        snprintf(out + n, cap - n, "%s%s", n ? "," : "", ac_db_col_text(s, 0));
    }
    assert_int_equal(AC_DB_DONE, rc);
    ac_db_reset(s);
}

static void test_both_migration_lists_have_the_same_numbers_and_descriptions(void **state)
{
    (void)state;
    assert_int_equal(ac__nmigrations, ac__nmigrations_pg);
    for (size_t i = 0; i < ac__nmigrations; i++) {
        assert_int_equal(ac__migrations[i].version, ac__migrations_pg[i].version);
        assert_string_equal(ac__migrations[i].description, ac__migrations_pg[i].description);
    }
}

/* Applies every migration to an in-memory SQLite database (returned) and
 * every PostgreSQL migration, each in its own transaction, to the test's
 * empty schema. */
static sqlite3 *apply_both_lists(void)
{
    sqlite3 *lite;
    assert_int_equal(SQLITE_OK, sqlite3_open(":memory:", &lite));
    assert_int_equal(SQLITE_OK, sqlite3_exec(lite, "PRAGMA foreign_keys = ON", NULL, NULL, NULL));
    for (size_t i = 0; i < ac__nmigrations; i++) {
        char *err = NULL;
        int rc = sqlite3_exec(lite, ac__migrations[i].sql, NULL, NULL, &err);
        if (rc != SQLITE_OK)
            fail_msg("sqlite migration %d: %s", ac__migrations[i].version, err);
    }
    for (size_t i = 0; i < ac__nmigrations_pg; i++) {
        assert_int_equal(0, ac_db_begin(db, AC_DB_TX_WRITE));
        int rc = ac_db_exec(db, ac__migrations_pg[i].sql);
        if (rc != 0)
            fail_msg("postgresql migration %d: %s", ac__migrations_pg[i].version,
                     ac_db_errmsg(db));
        assert_int_equal(0, ac_db_commit(db));
    }
    return lite;
}

static void test_every_postgresql_table_has_the_columns_sqlite_gives_it(void **state)
{
    (void)state;
    sqlite3 *lite = apply_both_lists();
    sqlite3_stmt *t;
    assert_int_equal(SQLITE_OK,
                     sqlite3_prepare_v2(lite,
                                        "SELECT name FROM sqlite_master WHERE type = 'table'"
                                        " AND name NOT LIKE 'sqlite_%' ORDER BY name",
                                        -1, &t, NULL));
    int64_t tables = 0;
    static char want[4096], got[4096];
    while (sqlite3_step(t) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(t, 0);
        sqlite_columns(lite, name, want, sizeof want);
        pg_columns(name, got, sizeof got);
        if (strcmp(want, got) != 0)
            fail_msg("table %s: sqlite has (%s), postgresql has (%s)", name, want, got);
        tables++;
    }
    sqlite3_finalize(t);
    sqlite3_close(lite);
    assert_true(tables > 40);
    assert_int_equal(tables, query_int(db, "SELECT COUNT(*) FROM information_schema.tables"
                                           " WHERE table_schema = 'public'"));
}

/* Named indexes and triggers: SQLite's unnamed ones (sqlite_autoindex_*,
 * from UNIQUE and PRIMARY KEY) have PostgreSQL's own names instead. */
static void test_every_named_sqlite_index_and_trigger_exists_on_the_same_table(void **state)
{
    (void)state;
    sqlite3 *lite = apply_both_lists();
    sqlite3_stmt *t;
    assert_int_equal(SQLITE_OK,
                     sqlite3_prepare_v2(lite,
                                        "SELECT type, name, tbl_name FROM sqlite_master"
                                        " WHERE type IN ('index', 'trigger')"
                                        " AND name NOT LIKE 'sqlite_%' ORDER BY name",
                                        -1, &t, NULL));
    int named = 0;
    while (sqlite3_step(t) == SQLITE_ROW) {
        const char *type = (const char *)sqlite3_column_text(t, 0);
        const char *name = (const char *)sqlite3_column_text(t, 1);
        const char *table = (const char *)sqlite3_column_text(t, 2);
        struct ac_db_stmt *s;
        assert_int_equal(0, ac_db_prepare(db,
                                          "SELECT COUNT(*) FROM pg_indexes WHERE schemaname = 'public'"
                                          " AND indexname = $1 AND tablename = $2",
                                          &s));
        if (!strcmp(type, "trigger"))
            assert_int_equal(0, ac_db_prepare(db,
                                              "SELECT COUNT(DISTINCT trigger_name)"
                                              " FROM information_schema.triggers"
                                              " WHERE trigger_name = $1 AND event_object_table = $2",
                                              &s));
        assert_int_equal(0, ac_db_bind_text(s, 1, name, -1));
        assert_int_equal(0, ac_db_bind_text(s, 2, table, -1));
        assert_int_equal(AC_DB_ROW, ac_db_step(s));
        if (ac_db_col_int64(s, 0) != 1)
            fail_msg("%s %s on %s: not in postgresql", type, name, table);
        ac_db_reset(s);
        named++;
    }
    sqlite3_finalize(t);
    sqlite3_close(lite);
    assert_true(named > 30);
}

int main(void)
{
    url = getenv("ACCORD_TEST_PG_URL");
    if (!url) {
        fprintf(stderr, "test_db_pg: ACCORD_TEST_PG_URL is not set; run it through "
                        "tests/lib/pgserver.py -- (ctest does)\n");
        return 1;
    }
    tls_url = getenv("ACCORD_TEST_PG_TLS_URL");
    relay_url = getenv("ACCORD_TEST_PG_TLS_RELAY_URL");
    if (!tls_url || !relay_url) {
        fprintf(stderr, "test_db_pg: ACCORD_TEST_PG_TLS_URL or ACCORD_TEST_PG_TLS_RELAY_URL is "
                        "not set; run it through tests/lib/pgserver.py --tls -- (ctest does)\n");
        return 1;
    }
    ac_store_set_tls_pending(counting_probe);
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
#define TLS(f) cmocka_unit_test_setup_teardown(f, setup_tls, teardown)
#define RELAY(f) cmocka_unit_test_setup_teardown(f, setup_relay, teardown)
    const struct CMUnitTest tests[] = {
        T(test_the_four_value_kinds_come_back_as_they_were_bound),
        T(test_booleans_read_as_one_and_zero_and_integral_sums_as_integers),
        T(test_parameters_bind_by_number_out_of_order_and_repeated),
        T(test_a_statement_is_cached_by_its_text_and_reset_mid_rows),
        T(test_changes_counts_the_rows_the_last_statement_touched),
        T(test_a_duplicate_key_is_eexist),
        T(test_a_row_naming_a_missing_parent_is_enoent),
        T(test_bad_sql_is_edb_with_the_servers_message),
        T(test_two_interleaved_writers_make_one_lose_with_eagain),
        T(test_a_read_transaction_refuses_a_write),
        T(test_on_a_fiber_every_round_trip_yields_to_the_caller),
        T(test_a_fiber_waiting_on_a_lock_yields_until_the_holder_lets_go),
        TLS(test_on_a_fiber_every_round_trip_yields_to_the_caller),
        TLS(test_a_fiber_waiting_on_a_lock_yields_until_the_holder_lets_go),
        TLS(test_over_tls_answers_of_many_records_read_on_a_fiber_yield_and_arrive_whole),
        TLS(test_over_tls_a_value_larger_than_the_socket_buffer_is_sent_whole_from_a_fiber),
        TLS(test_over_tls_without_a_probe_libpq_waits_itself),
        RELAY(test_over_tls_bytes_held_inside_the_tls_layer_are_read_without_waiting),
        RELAY(test_over_tls_a_fiber_resumed_to_its_end_reads_the_held_bytes_too),
        T(test_the_first_transaction_after_a_server_restart_reconnects),
        T(test_a_server_lost_inside_a_transaction_fails_it_until_rollback),
        T(test_a_connection_lost_during_commit_is_eunknown),
        TLS(test_the_first_transaction_after_a_server_restart_reconnects),
        TLS(test_a_server_lost_inside_a_transaction_fails_it_until_rollback),
        TLS(test_a_connection_lost_during_commit_is_eunknown),
        RELAY(test_over_tls_a_commit_whose_answer_ends_inside_the_tls_layer_is_confirmed),
        RELAY(test_over_tls_without_a_probe_such_a_commit_is_confirmed_too),
        RELAY(test_a_commit_neither_answered_nor_cancelled_is_dropped_as_unknown),
        T(test_a_reader_stays_read_only_after_it_reconnects),
        T(test_a_bad_connection_string_is_einval_and_no_server_is_eio),
        T(test_on_a_fiber_a_connect_yields_and_completes),
        T(test_over_tls_a_connect_on_a_fiber_yields_and_completes),
        T(test_on_a_fiber_the_reconnect_after_a_server_restart_yields),
        T(test_on_a_fiber_a_silent_server_times_out_and_the_loop_goes_on),
        T(test_both_migration_lists_have_the_same_numbers_and_descriptions),
        T(test_every_postgresql_table_has_the_columns_sqlite_gives_it),
        T(test_every_named_sqlite_index_and_trigger_exists_on_the_same_table),
    };
#undef T
#undef TLS
#undef RELAY
    return cmocka_run_group_tests(tests, NULL, NULL);
}
