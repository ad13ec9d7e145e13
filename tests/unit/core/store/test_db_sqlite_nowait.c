/* test_db_sqlite_nowait.c - tests the reads that never wait for the disk
 * (accord/store/nowait.h, the VFS in core/store/db_sqlite.c) through the
 * storage seam and the store: a read whose pages the kernel does not hold
 * is refused at once (the statement fails, nothing is waited for) and read
 * as before outside nowait; once its pages are in memory the same read
 * succeeds under nowait with the same answer; other threads are unaffected;
 * a store on a file system with RWF_NOWAIT says it is ready. Pages are
 * dropped from the page cache with fsync and posix_fadvise(DONTNEED).
 * On a file system that takes no RWF_NOWAIT reads (tmpfs on older kernels)
 * the refusal tests are skipped: every nowait read is refused there. */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../../../core/store/db.h"
#include "accord/base/error.h"
#include "accord/store/nowait.h"
#include "accord/store/store.h"
#include "test_dir.h"

#define ROWS 2000
#define BLOB 900 /* about 4 rows a page: the rows span 500 pages */

static char dir[256], path[300];
static struct ac_db *db;
static int ready; /* the file system takes RWF_NOWAIT reads */

/* Drops |name|'s pages from the page cache (written first: a dirty page
 * stays). A missing file is fine (no WAL). */
static void evict(const char *name)
{
    int fd = open(name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    assert_int_equal(0, fsync(fd));
    assert_int_equal(0, posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED));
    close(fd);
}

/* Reads |name| whole, so every page of it is in the page cache. */
static void warm(const char *name)
{
    int fd = open(name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    char buf[65536];
    while (read(fd, buf, sizeof buf) > 0)
        ;
    close(fd);
}

static void evict_all(void)
{
    char wal[320];
    snprintf(wal, sizeof wal, "%s-wal", path);
    evict(path);
    evict(wal);
}

static void warm_all(void)
{
    char wal[320];
    snprintf(wal, sizeof wal, "%s-wal", path);
    warm(path);
    warm(wal);
}

/* The blob of row |id|: its bytes say which row they belong to. */
static void fill(uint8_t *b, int64_t id)
{
    for (int i = 0; i < BLOB; i++)
        b[i] = (uint8_t)(id * 7 + i);
}

static int setup(void **state)
{
    (void)state;
    if (test_make_dir(dir, sizeof dir, "accord-nowait") != 0)
        return -1;
    snprintf(path, sizeof path, "%s/accord.db", dir);
    /* The store makes the file as the node does (WAL, migrated): what
     * ac_store_open_readonly() then opens, as the node's loop does. */
    struct ac_store *st = NULL, *ro = NULL;
    if (ac_store_open(path, &st) || ac_store_open_readonly(path, &ro))
        return -1;
    ready = ac_store_nowait_ready(ro);
    ac_store_close(ro);
    ac_store_close(st);
    if (ac_db_open(AC_DB_SQLITE, path, &db) ||
        ac_db_exec(db, "PRAGMA journal_mode = WAL; "
                       "CREATE TABLE rows_ (id INTEGER PRIMARY KEY, b BLOB NOT NULL)") ||
        ac_db_begin(db, AC_DB_TX_WRITE))
        return -1;
    struct ac_db_stmt *s;
    if (ac_db_prepare(db, "INSERT INTO rows_ (id, b) VALUES ($1, $2)", &s))
        return -1;
    uint8_t b[BLOB];
    for (int64_t id = 1; id <= ROWS; id++) {
        fill(b, id);
        if (ac_db_bind_int64(s, 1, id) || ac_db_bind_blob(s, 2, b, sizeof b) ||
            ac_db_step(s) != AC_DB_DONE)
            return -1;
        ac_db_reset(s);
    }
    return ac_db_commit(db) ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    ac_db_close(db);
    char cmd[320];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Reads row |id| through |d|: 0 when its blob is the right one, else the
 * error (AC_ENOENT: no row). */
static int read_row(struct ac_db *d, int64_t id)
{
    struct ac_db_stmt *s;
    /* Preparing may read the schema's pages: refused too under nowait. */
    int err = ac_db_prepare(d, "SELECT b FROM rows_ WHERE id = $1", &s);
    if (err)
        return err;
    err = ac_db_bind_int64(s, 1, id);
    int rc = err ? err : ac_db_step(s);
    if (rc == AC_DB_ROW) {
        uint8_t want[BLOB];
        fill(want, id);
        rc = ac_db_col_bytes(s, 0) == BLOB && memcmp(ac_db_col_blob(s, 0), want, BLOB) == 0
                 ? 0
                 : AC_EDB;
    } else if (rc == AC_DB_DONE) {
        rc = AC_ENOENT;
    }
    ac_db_reset(s);
    return rc;
}

static void test_a_store_on_this_file_system_says_whether_it_can_read_without_waiting(void **state)
{
    (void)state;
    /* Printed, not asserted: it is a fact of the machine. */
    print_message("# RWF_NOWAIT reads on %s: %s\n", dir, ready ? "yes" : "no");
    assert_int_equal(0, ac_store_nowait_ready(NULL));
}

static void test_a_read_whose_pages_are_not_in_memory_is_refused_then_read_as_before(void **state)
{
    (void)state;
    if (!ready)
        skip();
    /* A second connection, as the loop's: it has cached none of the pages. */
    struct ac_db *r;
    assert_int_equal(0, ac_db_open(AC_DB_SQLITE, path, &r));
    evict_all();
    ac_store_nowait_begin();
    int err = read_row(r, ROWS / 2);
    unsigned refused = ac_store_nowait_end();
    assert_true(refused > 0);
    assert_int_equal(AC_EAGAIN, err);
    /* The refusal left nothing behind: outside nowait the read waits and
     * answers, and the same read under nowait now finds its pages. */
    assert_int_equal(0, read_row(r, ROWS / 2));
    ac_store_nowait_begin();
    err = read_row(r, ROWS / 2);
    assert_int_equal(0, ac_store_nowait_end());
    assert_int_equal(0, err);
    ac_db_close(r);
}

static void test_a_read_whose_pages_are_in_memory_answers_under_nowait(void **state)
{
    (void)state;
    if (!ready)
        skip();
    struct ac_db *r;
    assert_int_equal(0, ac_db_open(AC_DB_SQLITE, path, &r));
    /* Every page of the database and its WAL in the page cache. */
    warm_all();
    ac_store_nowait_begin();
    int bad = 0;
    for (int64_t id = 1; id <= ROWS; id += 37)
        bad += read_row(r, id) != 0;
    int missing = read_row(r, ROWS + 1);
    unsigned refused = ac_store_nowait_end();
    assert_int_equal(0, refused);
    assert_int_equal(0, bad);
    assert_int_equal(AC_ENOENT, missing);
    ac_db_close(r);
}

struct other {
    struct ac_db *d;
    int err;
};

static void *read_elsewhere(void *arg)
{
    struct other *o = arg;
    o->err = read_row(o->d, ROWS - 3);
    return NULL;
}

static void test_nowait_is_the_calling_threads_alone(void **state)
{
    (void)state;
    if (!ready)
        skip();
    struct other o = {0};
    assert_int_equal(0, ac_db_open(AC_DB_SQLITE, path, &o.d));
    evict_all();
    /* This thread is in nowait while another reads pages that are not in
     * memory: that read waits for the disk and answers. */
    ac_store_nowait_begin();
    pthread_t t;
    assert_int_equal(0, pthread_create(&t, NULL, read_elsewhere, &o));
    assert_int_equal(0, pthread_join(t, NULL));
    assert_int_equal(0, ac_store_nowait_end());
    assert_int_equal(0, o.err);
    ac_db_close(o.d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_a_store_on_this_file_system_says_whether_it_can_read_without_waiting),
        cmocka_unit_test(test_a_read_whose_pages_are_not_in_memory_is_refused_then_read_as_before),
        cmocka_unit_test(test_a_read_whose_pages_are_in_memory_answers_under_nowait),
        cmocka_unit_test(test_nowait_is_the_calling_threads_alone),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
