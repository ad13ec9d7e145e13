/* store_fixture.h - the store every core/store unit test runs against, on
 * either engine: SQLite (a fresh database file in a new directory under
 * $TMPDIR, falling back to /tmp) or, when ACCORD_TEST_PG_URL names a
 * throwaway PostgreSQL server (ctest's unit.core.store.pg.* runs, through
 * tests/lib/pgserver.py), a fresh database on it. Closed and removed after
 * each test. Header-only (static), since each test file is its own program;
 * include it once, after the store headers.
 *
 * On PostgreSQL the first test of a program creates one database from
 * template0 and migrates it (the whole migration list, as a node would);
 * every test then gets its own copy of it (CREATE DATABASE ... TEMPLATE),
 * dropped afterwards, which is much faster than migrating per test. */
#ifndef AC_TEST_STORE_FIXTURE_H
#define AC_TEST_STORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../../../core/store/db.h"
#include "accord/store/record.h"
#include "accord/store/store.h"
#include "test_dir.h"

static char store_dir[256];
static char store_path[300]; /* the SQLite file, for tests that open it raw */
static struct ac_store *st;
static enum ac_store_engine store_engine;
/* What ac_store_open_engine() opens: |store_path|, or the test database's
 * libpq URL. */
static char store_target[1200];
static char store_pg_db[64]; /* the test database on PostgreSQL; "" when none */
static int store_pg_count;   /* databases made so far, for unique names */

/* The PostgreSQL server's URL from the environment, or NULL for SQLite. */
static const char *store_pg_url(void)
{
    const char *u = getenv("ACCORD_TEST_PG_URL");
    return u && u[0] ? u : NULL;
}

/* Writes to |out| the URL of the server's database |name|: |url| with its
 * path (the database) replaced. Returns 0 or -1. */
static int store_pg_url_for(const char *url, const char *name, char *out, size_t size)
{
    const char *scheme = strstr(url, "://");
    if (!scheme)
        return -1;
    const char *query = strchr(scheme + 3, '?');
    size_t end = query ? (size_t)(query - url) : strlen(url);
    const char *slash = NULL;
    for (const char *p = scheme + 3; p < url + end; p++)
        if (*p == '/')
            slash = p;
    size_t host_end = slash ? (size_t)(slash - url) : end;
    int n = snprintf(out, size, "%.*s/%s%s", (int)host_end, url, name, query ? query : "");
    return n > 0 && (size_t)n < size ? 0 : -1;
}

/* Runs |sql| on the server's maintenance database. Returns 0 or -1. */
static int store_pg_admin(const char *sql)
{
    struct ac_db *db = NULL;
    int err = ac_db_open(AC_DB_POSTGRESQL, store_pg_url(), &db);
    if (!err)
        err = ac_db_exec(db, sql);
    if (err)
        fprintf(stderr, "store_fixture: %s: %s\n", sql, db ? ac_db_errmsg(db) : "no connection");
    ac_db_close(db);
    return err ? -1 : 0;
}

/* Creates (once per program) the migrated database every test copies. */
static int store_pg_template(void)
{
    static int ready;
    if (ready)
        return 0;
    char sql[160], url[1200];
    snprintf(sql, sizeof sql, "CREATE DATABASE ac_template_%d TEMPLATE template0", (int)getpid());
    if (store_pg_admin(sql))
        return -1;
    snprintf(sql, sizeof sql, "ac_template_%d", (int)getpid());
    struct ac_store *t = NULL;
    if (store_pg_url_for(store_pg_url(), sql, url, sizeof url) ||
        ac_store_open_engine(AC_STORE_POSTGRESQL, url, &t))
        return -1;
    ac_store_close(t);
    ready = 1;
    return 0;
}

/* Opens |st| on a new database named after |tag|. Returns 0 or -1. */
static int store_fixture_open(const char *tag)
{
    store_pg_db[0] = '\0';
    store_dir[0] = '\0';
    if (store_pg_url()) {
        store_engine = AC_STORE_POSTGRESQL;
        if (store_pg_template())
            return -1;
        char sql[200];
        snprintf(store_pg_db, sizeof store_pg_db, "ac_%.20s_%d_%d", tag, (int)getpid(),
                 ++store_pg_count);
        for (char *p = store_pg_db; *p; p++)
            if (*p == '-')
                *p = '_';
        snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE ac_template_%d STRATEGY FILE_COPY", store_pg_db,
                 (int)getpid());
        if (store_pg_admin(sql) ||
            store_pg_url_for(store_pg_url(), store_pg_db, store_target, sizeof store_target))
            return -1;
    } else {
        store_engine = AC_STORE_SQLITE;
        char prefix[64];
        snprintf(prefix, sizeof prefix, "ac-%s", tag);
        if (test_make_dir(store_dir, sizeof store_dir, prefix))
            return -1;
        snprintf(store_path, sizeof store_path, "%s/accord.db", store_dir);
        snprintf(store_target, sizeof store_target, "%s", store_path);
    }
    return ac_store_open_engine(store_engine, store_target, &st) ? -1 : 0;
}

/* Opens |st| again on the test's database (after the test closed it). */
__attribute__((unused)) static int store_fixture_reopen(void)
{
    return ac_store_open_engine(store_engine, store_target, &st);
}

/* Returns 1 when the tests run on PostgreSQL. */
__attribute__((unused)) static int store_fixture_pg(void)
{
    return store_engine == AC_STORE_POSTGRESQL;
}

/* Opens a second, raw connection (db.h) to the test's database, for tests
 * that look past the store or race it. The caller closes it. */
__attribute__((unused)) static struct ac_db *store_fixture_raw(void)
{
    struct ac_db *db = NULL;
    if (ac_db_open(store_fixture_pg() ? AC_DB_POSTGRESQL : AC_DB_SQLITE, store_target, &db))
        return NULL;
    return db;
}

/* Skips the running test on PostgreSQL, printing |why| (what is SQLite's
 * alone). Use as the test's first statement. */
#define STORE_SQLITE_ONLY(why)                                                                     \
    do {                                                                                           \
        if (store_fixture_pg()) {                                                                  \
            print_message("skipped on PostgreSQL: %s\n", why);                                     \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

/* The teardown: closes |st| and removes its directory or database. */
/* Issues a record through |s|: byte |n| in its cti, leaf and root hashes,
 * COSE bytes and status index (100 + n), at |log_index|, for |earner| (0:
 * none) and |email| (NULL: none), all at |now_ms|; sets |*id|. Returns the
 * store's code. */
__attribute__((unused)) static int store_fixture_issue(struct ac_store *s, uint8_t n,
                                                       uint64_t log_index, int64_t earner,
                                                       const char *email, int64_t now_ms,
                                                       int64_t *id)
{
    uint8_t cti[16], leaf[32], root[32], cose[8] = {0xd2, 0x84, n};
    memset(cti, n, sizeof cti);
    memset(leaf, n, sizeof leaf);
    memset(root, n + 1, sizeof root);
    struct ac_store_issue in = {.cti = cti,
                                .subject = "sha256$"
                                           "0123456789abcdef0123456789abcdef"
                                           "0123456789abcdef0123456789abcdef",
                                .earner_id = earner,
                                .subject_email = email,
                                .definition_id = "feedback",
                                .definition_version = 1,
                                .achieved_level = "pass",
                                .kid = "0011223344556677",
                                .iat = now_ms / 1000,
                                .cose = cose,
                                .cose_len = sizeof cose,
                                .log_index = log_index,
                                .leaf_hash = leaf,
                                .status_idx = 100 + n,
                                .new_root = root,
                                .checkpoint_note = "note\n",
                                .now_ms = now_ms};
    return ac_store_record_issue(s, &in, id);
}

static int close_store(void **state)
{
    (void)state;
    ac_store_close(st);
    st = NULL;
    if (store_pg_db[0]) {
        char sql[160];
        snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", store_pg_db);
        store_pg_db[0] = '\0';
        return store_pg_admin(sql);
    }
    if (!store_dir[0])
        return 0;
    char cmd[320];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", store_dir);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
