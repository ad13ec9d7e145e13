/* test_db_sqlite.c - tests core/store/db_sqlite.c through the storage seam
 * (core/store/db.h): $n parameters in any order, the four value kinds, the
 * error meanings db.h promises, the statement cache and transactions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../../../core/store/db.h"
#include "accord/base/error.h"
#include "test_dir.h"

static struct ac_db *db;

static int open_db(void **state)
{
    (void)state;
    if (ac_db_open(AC_DB_SQLITE, ":memory:", &db))
        return -1;
    return ac_db_exec(db, "CREATE TABLE parents (id INTEGER PRIMARY KEY, name TEXT UNIQUE);"
                          "CREATE TABLE kids (id INTEGER PRIMARY KEY,"
                          " parent INTEGER REFERENCES parents(id), i INTEGER, t TEXT, b BLOB)")
               ? -1
               : 0;
}

static int close_db(void **state)
{
    (void)state;
    ac_db_close(db);
    db = NULL;
    return 0;
}

/* Runs |sql| with int64 parameters v[0..n) as $1..$n; returns ac_db_step's result. */
static int run(const char *sql, const int64_t *v, int n)
{
    struct ac_db_stmt *s;
    int err = ac_db_prepare(db, sql, &s);
    if (err)
        return err;
    for (int i = 0; i < n; i++)
        assert_int_equal(0, ac_db_bind_int64(s, i + 1, v[i]));
    int rc = ac_db_step(s);
    ac_db_reset(s);
    return rc;
}

static void test_parameters_bind_by_number_whatever_their_order_and_repeats(void **state)
{
    (void)state;
    struct ac_db_stmt *s;
    /* SQLite would number these by first appearance: $2 first. */
    assert_int_equal(0, ac_db_prepare(db, "SELECT $2, $1, $2 * 100 + $1, $3", &s));
    assert_int_equal(0, ac_db_bind_int64(s, 1, 7));
    assert_int_equal(0, ac_db_bind_int64(s, 2, 3));
    assert_int_equal(0, ac_db_bind_text(s, 3, "three", -1));
    assert_int_equal(AC_DB_ROW, ac_db_step(s));
    assert_int_equal(4, ac_db_col_count(s));
    assert_int_equal(3, ac_db_col_int64(s, 0));
    assert_int_equal(7, ac_db_col_int64(s, 1));
    assert_int_equal(307, ac_db_col_int64(s, 2));
    assert_string_equal("three", ac_db_col_text(s, 3));
    assert_int_equal(AC_DB_DONE, ac_db_step(s));
    ac_db_reset(s);
}

static void test_a_parameter_the_text_lacks_is_out_of_range(void **state)
{
    (void)state;
    struct ac_db_stmt *s;
    assert_int_equal(0, ac_db_prepare(db, "SELECT $1, $3", &s));
    assert_int_equal(AC_ERANGE, ac_db_bind_int64(s, 2, 1));
    assert_int_equal(AC_ERANGE, ac_db_bind_int64(s, 4, 1));
    assert_int_equal(AC_ERANGE, ac_db_bind_null(s, 0));
    assert_int_equal(0, ac_db_bind_int64(s, 3, 1));
    /* $1 left unbound reads as null. */
    assert_int_equal(AC_DB_ROW, ac_db_step(s));
    assert_true(ac_db_col_is_null(s, 0));
    assert_false(ac_db_col_is_null(s, 1));
    ac_db_reset(s);
}

static void test_sql_with_question_mark_parameters_is_refused(void **state)
{
    (void)state;
    struct ac_db_stmt *s;
    assert_int_equal(AC_EDB, ac_db_prepare(db, "SELECT ?", &s));
    assert_int_equal(AC_EDB, ac_db_prepare(db, "SELECT ?1", &s));
    assert_int_equal(AC_EDB, ac_db_prepare(db, "SELECT :name", &s));
    assert_int_equal(AC_EDB, ac_db_prepare(db, "SELEKT 1", &s));
}

static void test_all_four_value_kinds_come_back_as_stored(void **state)
{
    (void)state;
    static const uint8_t blob[] = {0, 1, 0, 2, 0};
    struct ac_db_stmt *s;
    assert_int_equal(0, ac_db_prepare(db,
                                      "INSERT INTO kids (i, t, b, parent) VALUES ($1, $2, $3, $4)"
                                      " RETURNING id",
                                      &s));
    assert_int_equal(0, ac_db_bind_int64(s, 1, INT64_MIN));
    assert_int_equal(0, ac_db_bind_text(s, 2, "h\xc3\xa9llo world", 6));
    assert_int_equal(0, ac_db_bind_blob(s, 3, blob, sizeof blob));
    assert_int_equal(0, ac_db_bind_null(s, 4));
    assert_int_equal(AC_DB_ROW, ac_db_step(s));
    int64_t id = ac_db_col_int64(s, 0);
    assert_true(id > 0);
    assert_int_equal(AC_DB_DONE, ac_db_step(s));
    ac_db_reset(s);

    assert_int_equal(0, ac_db_prepare(db, "SELECT i, t, b, parent FROM kids WHERE id = $1", &s));
    assert_int_equal(0, ac_db_bind_int64(s, 1, id));
    assert_int_equal(AC_DB_ROW, ac_db_step(s));
    assert_true(ac_db_col_int64(s, 0) == INT64_MIN);
    assert_string_equal("h\xc3\xa9llo", ac_db_col_text(s, 1));
    assert_int_equal(sizeof blob, ac_db_col_bytes(s, 2));
    assert_memory_equal(blob, ac_db_col_blob(s, 2), sizeof blob);
    assert_true(ac_db_col_is_null(s, 3));
    assert_null(ac_db_col_text(s, 3));
    assert_int_equal(0, ac_db_col_int64(s, 3));
    assert_null(ac_db_col_blob(s, 3));
    assert_int_equal(0, ac_db_col_bytes(s, 3));
    ac_db_reset(s);
}

static void test_null_pointers_bind_null_and_text_is_copied(void **state)
{
    (void)state;
    struct ac_db_stmt *s;
    char text[8] = "before";
    assert_int_equal(0, ac_db_prepare(db, "SELECT $1, $2, $3", &s));
    assert_int_equal(0, ac_db_bind_text(s, 1, NULL, -1));
    assert_int_equal(0, ac_db_bind_blob(s, 2, NULL, 4));
    assert_int_equal(0, ac_db_bind_text(s, 3, text, -1));
    strcpy(text, "after");
    assert_int_equal(AC_DB_ROW, ac_db_step(s));
    assert_true(ac_db_col_is_null(s, 0));
    assert_true(ac_db_col_is_null(s, 1));
    assert_string_equal("before", ac_db_col_text(s, 2));
    ac_db_reset(s);
}

static void test_constraint_refusals_map_to_eexist_and_enoent(void **state)
{
    (void)state;
    int64_t v[] = {1};
    assert_int_equal(AC_DB_DONE, run("INSERT INTO parents (id, name) VALUES ($1, 'a')", v, 1));
    /* Primary key, then a unique column. */
    assert_int_equal(AC_EEXIST, run("INSERT INTO parents (id, name) VALUES ($1, 'b')", v, 1));
    int64_t w[] = {2};
    assert_int_equal(AC_EEXIST, run("INSERT INTO parents (id, name) VALUES ($1, 'a')", w, 1));
    /* A foreign key naming no row. */
    int64_t missing[] = {99};
    assert_int_equal(AC_ENOENT, run("INSERT INTO kids (parent) VALUES ($1)", missing, 1));
    /* A statement that failed runs again after its reset. */
    assert_int_equal(AC_DB_DONE, run("INSERT INTO kids (parent) VALUES ($1)", v, 1));
}

static void test_changes_counts_the_rows_the_last_statement_touched(void **state)
{
    (void)state;
    for (int64_t i = 1; i <= 3; i++)
        assert_int_equal(AC_DB_DONE, run("INSERT INTO kids (i) VALUES ($1)", &i, 1));
    assert_int_equal(1, ac_db_changes(db));
    int64_t v[] = {2};
    assert_int_equal(AC_DB_DONE, run("UPDATE kids SET t = 'x' WHERE i >= $1", v, 1));
    assert_int_equal(2, ac_db_changes(db));
    int64_t none[] = {9};
    assert_int_equal(AC_DB_DONE, run("DELETE FROM kids WHERE i = $1", none, 1));
    assert_int_equal(0, ac_db_changes(db));
}

static void test_a_cached_statement_comes_back_reset_without_bindings(void **state)
{
    (void)state;
    static const char sql[] = "SELECT $1";
    struct ac_db_stmt *a, *b;
    assert_int_equal(0, ac_db_prepare(db, sql, &a));
    assert_int_equal(0, ac_db_bind_int64(a, 1, 42));
    assert_int_equal(AC_DB_ROW, ac_db_step(a));
    /* Asked for again mid-run: the same statement, reset, its binding gone. */
    assert_int_equal(0, ac_db_prepare(db, sql, &b));
    assert_ptr_equal(a, b);
    assert_int_equal(AC_DB_ROW, ac_db_step(b));
    assert_true(ac_db_col_is_null(b, 0));
    ac_db_reset(b);
    /* A different text is a different statement. */
    assert_int_equal(0, ac_db_prepare(db, "SELECT $1 ", &b));
    assert_ptr_not_equal(a, b);
}

static void test_reset_mid_rows_starts_the_statement_over(void **state)
{
    (void)state;
    for (int64_t i = 1; i <= 3; i++)
        assert_int_equal(AC_DB_DONE, run("INSERT INTO kids (i) VALUES ($1)", &i, 1));
    struct ac_db_stmt *s;
    assert_int_equal(0, ac_db_prepare(db, "SELECT i FROM kids WHERE i >= $1 ORDER BY i", &s));
    assert_int_equal(0, ac_db_bind_int64(s, 1, 1));
    assert_int_equal(AC_DB_ROW, ac_db_step(s));
    assert_int_equal(1, ac_db_col_int64(s, 0));
    assert_int_equal(AC_DB_ROW, ac_db_step(s));
    assert_int_equal(2, ac_db_col_int64(s, 0));
    ac_db_reset(s);
    /* The reset cleared $1 (null: no row compares >= null); bound again, the
     * rows start from the first. */
    assert_int_equal(AC_DB_DONE, ac_db_step(s));
    ac_db_reset(s);
    assert_int_equal(0, ac_db_bind_int64(s, 1, 2));
    assert_int_equal(AC_DB_ROW, ac_db_step(s));
    assert_int_equal(2, ac_db_col_int64(s, 0));
    ac_db_reset(s);
}

static void test_a_rolled_back_write_leaves_nothing_and_a_committed_one_stays(void **state)
{
    (void)state;
    int64_t v[] = {5};
    assert_int_equal(0, ac_db_in_tx(db));
    assert_int_equal(0, ac_db_begin(db, AC_DB_TX_WRITE));
    assert_int_equal(1, ac_db_in_tx(db));
    assert_int_equal(AC_DB_DONE, run("INSERT INTO parents (id) VALUES ($1)", v, 1));
    ac_db_rollback(db);
    assert_int_equal(0, ac_db_in_tx(db));
    ac_db_rollback(db); /* a no-op with no transaction open */
    assert_int_equal(AC_DB_DONE, run("SELECT id FROM parents WHERE id = $1", v, 1));

    assert_int_equal(0, ac_db_begin(db, AC_DB_TX_WRITE));
    assert_int_equal(AC_DB_DONE, run("INSERT INTO parents (id) VALUES ($1)", v, 1));
    assert_int_equal(0, ac_db_commit(db));
    assert_int_equal(0, ac_db_in_tx(db));
    assert_int_equal(AC_DB_ROW, run("SELECT id FROM parents WHERE id = $1", v, 1));
}

static void test_a_second_writer_on_one_file_gets_eagain(void **state)
{
    (void)state;
    char dir[256], path[300];
    assert_int_equal(0, test_make_dir(dir, sizeof dir, "ac-tdb"));
    snprintf(path, sizeof path, "%s/db", dir);
    struct ac_db *a, *b;
    assert_int_equal(0, ac_db_open(AC_DB_SQLITE, path, &a));
    assert_int_equal(0, ac_db_open(AC_DB_SQLITE, path, &b));
    assert_int_equal(AC_DB_SQLITE, ac_db_engine(b));
    assert_int_equal(0, ac_db_exec(a, "CREATE TABLE t (x INTEGER)"));
    assert_int_equal(0, ac_db_begin(a, AC_DB_TX_WRITE));
    /* The write lock is taken at BEGIN, so the race is lost there. */
    assert_int_equal(AC_EAGAIN, ac_db_begin(b, AC_DB_TX_WRITE));
    assert_int_equal(0, ac_db_in_tx(b));
    assert_int_equal(0, ac_db_commit(a));
    assert_int_equal(0, ac_db_begin(b, AC_DB_TX_WRITE));
    assert_int_equal(0, ac_db_commit(b));
    ac_db_close(a);
    ac_db_close(b);
    char cmd[320];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(0, system(cmd));
}

static void test_an_engine_this_build_lacks_or_no_target_is_invalid(void **state)
{
    (void)state;
    struct ac_db *d = NULL;
    assert_int_equal(AC_EINVAL, ac_db_open((enum ac_db_engine)7, ":memory:", &d));
    assert_int_equal(AC_EINVAL, ac_db_open(AC_DB_SQLITE, NULL, &d));
    assert_null(d);
    ac_db_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_parameters_bind_by_number_whatever_their_order_and_repeats, open_db, close_db),
        cmocka_unit_test_setup_teardown(test_a_parameter_the_text_lacks_is_out_of_range, open_db,
                                        close_db),
        cmocka_unit_test_setup_teardown(test_sql_with_question_mark_parameters_is_refused, open_db,
                                        close_db),
        cmocka_unit_test_setup_teardown(test_all_four_value_kinds_come_back_as_stored, open_db,
                                        close_db),
        cmocka_unit_test_setup_teardown(test_null_pointers_bind_null_and_text_is_copied, open_db,
                                        close_db),
        cmocka_unit_test_setup_teardown(test_constraint_refusals_map_to_eexist_and_enoent, open_db,
                                        close_db),
        cmocka_unit_test_setup_teardown(test_changes_counts_the_rows_the_last_statement_touched,
                                        open_db, close_db),
        cmocka_unit_test_setup_teardown(test_a_cached_statement_comes_back_reset_without_bindings,
                                        open_db, close_db),
        cmocka_unit_test_setup_teardown(test_reset_mid_rows_starts_the_statement_over, open_db,
                                        close_db),
        cmocka_unit_test_setup_teardown(
            test_a_rolled_back_write_leaves_nothing_and_a_committed_one_stays, open_db, close_db),
        cmocka_unit_test(test_a_second_writer_on_one_file_gets_eagain),
        cmocka_unit_test(test_an_engine_this_build_lacks_or_no_target_is_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
