/* full_node.h - a whole struct ac_node for service tests: a fresh data
 * directory under /tmp with its store, keyring and node secret, and the
 * record state loaded, exactly as accord-node opens them, but no loop, no
 * server and no HTTP (node_fixture.h gives a node with a store alone).
 * Header-only so each test file stays one executable. */
#ifndef AC_TEST_FULL_NODE_H
#define AC_TEST_FULL_NODE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/store/store.h"
#include "accord/store/audit.h"
#include "accord/store/user.h"
#include "internal.h"
#include "records/records.h"

struct full_node {
    char dir[64];
    char public_url[32];
    struct ac_node_config cfg;
    struct ac_node n;
};

/* Opens a node in a new temporary directory. Returns 0 or -1. */
static inline int full_node_open(struct full_node *f)
{
    memset(f, 0, sizeof *f);
    ac_log_set_level(AC_LOG_WARN); /* the services' info lines only hide a failure */
    snprintf(f->dir, sizeof f->dir, "/tmp/ac-svc-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->cfg.node_id, sizeof f->cfg.node_id, "test-node");
    snprintf(f->public_url, sizeof f->public_url, "https://accord.test");
    f->cfg.data_dir = f->dir;
    f->cfg.public_url = f->public_url;
    f->n.cfg = &f->cfg;
    if (ac__datadir_open(&f->n) != 0)
        return -1;
    return ac__records_open(&f->n) == 0 ? 0 : -1;
}

/* Closes what full_node_open() opened and removes the directory. */
static inline int full_node_close(struct full_node *f)
{
    ac__records_close(&f->n);
    ac__datadir_close(&f->n);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Creates user |name| with |roles| straight in the store (not through the
 * service under test). */
static inline struct ac_user full_node_user(struct full_node *f, const char *name, unsigned roles)
{
    struct ac_user u;
    assert_int_equal(0, ac_store_user_create(f->n.store, name, NULL, roles, ac_clock_now_ms(), &u));
    return u;
}

/* The number of audit rows about |kind| |subject|. */
static inline size_t full_node_audits(struct full_node *f, const char *kind, const char *subject)
{
    struct ac_audit_entry rows[16];
    size_t n = 0;
    assert_int_equal(0, ac_store_audit_list(f->n.store, kind, subject, 0, rows, 16, &n));
    for (size_t i = 0; i < n; i++)
        ac_audit_entry_release(&rows[i]);
    return n;
}

/* The newest audit row about |kind| |subject| (the caller releases it);
 * fails the test when there is none. */
static inline struct ac_audit_entry full_node_last_audit(struct full_node *f, const char *kind,
                                                         const char *subject)
{
    struct ac_audit_entry rows[16];
    size_t n = 0;
    assert_int_equal(0, ac_store_audit_list(f->n.store, kind, subject, 0, rows, 16, &n));
    assert_true(n > 0);
    for (size_t i = 0; i + 1 < n; i++)
        ac_audit_entry_release(&rows[i]);
    return rows[n - 1];
}

#endif
