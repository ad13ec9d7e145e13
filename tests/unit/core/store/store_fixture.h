/* store_fixture.h - the store every core/store unit test runs against: a
 * fresh database in a new directory under $TMPDIR (falling back to /tmp),
 * closed and removed after each test. Header-only (static), since each test
 * file is its own program; include it once, after the store headers. */
#ifndef AC_TEST_STORE_FIXTURE_H
#define AC_TEST_STORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "accord/store/store.h"

static char store_dir[256];
static char store_path[300]; /* the database file, for tests that open it raw */
static struct ac_store *st;

/* Opens |st| on a new database in a directory named after |tag|.
 * Returns 0 or -1. */
static int store_fixture_open(const char *tag)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(store_dir, sizeof store_dir, "%s/ac-%s-XXXXXX", tmp && tmp[0] ? tmp : "/tmp", tag);
    if (!mkdtemp(store_dir))
        return -1;
    snprintf(store_path, sizeof store_path, "%s/accord.db", store_dir);
    return ac_store_open(store_path, &st) ? -1 : 0;
}

/* The teardown: closes |st| and removes its directory. */
static int close_store(void **state)
{
    (void)state;
    ac_store_close(st);
    st = NULL;
    char cmd[320];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", store_dir);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
