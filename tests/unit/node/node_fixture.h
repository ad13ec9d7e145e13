/* node_fixture.h - the one node every node/ unit test stands on: a struct
 * ac_node over a real store in a new directory under $TMPDIR (falling back
 * to /tmp), with no loop, server or HTTP, opened either with the store alone
 * or whole (store, keyring, node secret and record state, as accord-node
 * opens them); optionally an event loop; users; readers of the audit trail;
 * and one teardown. Role-specific extras are thin layers on top of it:
 * lifecycle/lifecycle_fixture.h (definitions, credentials, benchmarks) and
 * review/review_fixture.h (people, an active credential, submissions, jobs).
 * Header-only (static functions): each test file is its own executable. */
#ifndef AC_TEST_NODE_FIXTURE_H
#define AC_TEST_NODE_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/store/store.h"
#include "accord/store/audit.h"
#include "accord/store/notify.h"
#include "accord/store/reviewer.h"
#include "accord/store/user.h"
#include "internal.h"
#include "records/records.h"
#include "test_dir.h"

#define FIXTURE_NODE_ID "unit.test"
/* The issuer origin of a node opened whole (fixture_open_full()). */
#define FIXTURE_PUBLIC_URL "https://accord.test"

struct node_fixture {
    char dir[256]; /* the node's data directory, removed by fixture_close() */
    struct ac_node_config cfg;
    struct ac_node node;
    uv_loop_t loop; /* node.loop points here after fixture_loop() */
    bool whole;     /* opened by fixture_open_full() */
    bool has_loop;  /* fixture_loop() initialised |loop| */
};

/* The fixture fixture_teardown() closes: the one last opened. */
static struct node_fixture *fixture_current;

/* Makes |f|'s data directory and configuration; the store is not open yet.
 * Returns 0 or -1. */
static inline int fixture_dir(struct node_fixture *f)
{
    memset(f, 0, sizeof *f);
    ac_log_set_level(AC_LOG_WARN); /* the services' info lines only hide a failure */
    if (test_make_dir(f->dir, sizeof f->dir, "ac-node"))
        return -1;
    snprintf(f->cfg.node_id, sizeof f->cfg.node_id, "%s", FIXTURE_NODE_ID);
    f->cfg.data_dir = f->dir;
    f->node.cfg = &f->cfg;
    fixture_current = f;
    return 0;
}

/* Opens a node with its store alone (no keyring, secret or record state), for
 * services that only read and write the store. Returns 0 or -1 (for a cmocka
 * setup function). */
static inline int fixture_open(struct node_fixture *f)
{
    if (fixture_dir(f))
        return -1;
    char path[300];
    snprintf(path, sizeof path, "%s/accord.db", f->dir);
    return ac_store_open(path, &f->node.store) ? -1 : 0;
}

/* Opens a whole node, exactly as accord-node opens its data directory and
 * record state, with FIXTURE_PUBLIC_URL as its issuer origin. Returns 0 or
 * -1. */
static inline int fixture_open_full(struct node_fixture *f)
{
    if (fixture_dir(f))
        return -1;
    f->cfg.public_url = FIXTURE_PUBLIC_URL;
    f->whole = true;
    if (ac__datadir_open(&f->node) != 0)
        return -1;
    return ac__records_open(&f->node) == 0 ? 0 : -1;
}

/* Gives the node an event loop of its own (never run by the fixture until
 * fixture_close()). Returns 0 or -1. */
static inline int fixture_loop(struct node_fixture *f)
{
    if (uv_loop_init(&f->loop))
        return -1;
    f->has_loop = true;
    f->node.loop = &f->loop;
    return 0;
}

/* Closes what the fixture opened: runs the loop until the handles the test
 * closed are gone, closes it (the test's own handles must be closed
 * first), closes the store and the rest and removes the directory. Returns
 * 0, or -1 when the directory could not be removed or a handle was left open
 * on the loop. */
static inline int fixture_close(struct node_fixture *f)
{
    int rc = 0;
    if (f->has_loop) {
        uv_run(&f->loop, UV_RUN_DEFAULT);
        rc = uv_loop_close(&f->loop); /* nonzero: a handle was left open */
        f->has_loop = false;
        f->node.loop = NULL;
    }
    if (f->whole)
        ac__records_close(&f->node);
    ac__datadir_close(&f->node); /* the store, and the keyring and secret if any */
    if (fixture_current == f)
        fixture_current = NULL;
    char cmd[320];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    return system(cmd) == 0 && rc == 0 ? 0 : -1;
}

/* cmocka teardown: closes the fixture last opened. */
static inline int fixture_teardown(void **state)
{
    (void)state;
    return fixture_current ? fixture_close(fixture_current) : -1;
}

/* Creates user |name| with |roles| straight in the store (not through the
 * service under test). */
static inline struct ac_user fixture_user(struct node_fixture *f, const char *name, unsigned roles)
{
    struct ac_user u;
    assert_int_equal(0,
                     ac_store_user_create(f->node.store, name, NULL, roles, ac_clock_now_ms(), &u));
    return u;
}

/* Row id |id| as the string an audit row names its subject by, in a
 * static buffer: good until the next call. */
static inline const char *fixture_sid(int64_t id)
{
    static char buf[24];
    snprintf(buf, sizeof buf, "%lld", (long long)id);
    return buf;
}

/* Walks |user|'s certification for credential row |row| from screened
 * through trained to |to| (AC_RCERT_SCREENED stops at once), dated |now_ms|,
 * straight in the store. */
static inline void fixture_certify_to(struct node_fixture *f, int64_t row, int64_t user,
                                      enum ac_rcert_state to, int64_t now_ms)
{
    struct ac_store *st = f->node.store;
    assert_int_equal(
        0, ac_store_reviewer_cert_create(st, row, user, AC_RCERT_SCREENED, "{}", "[]", now_ms));
    if (to == AC_RCERT_SCREENED)
        return;
    assert_int_equal(0, ac_store_reviewer_cert_transition(st, row, user, AC_RCERT_SCREENED,
                                                          AC_RCERT_TRAINED, NULL, now_ms));
    if (to == AC_RCERT_TRAINED)
        return;
    assert_int_equal(0, ac_store_reviewer_cert_transition(st, row, user, AC_RCERT_TRAINED,
                                                          AC_RCERT_CERTIFIED, NULL, now_ms));
}

/* How many notifications are queued for |user| (of |kind| only, unless
 * NULL). */
static inline size_t fixture_notifications(struct node_fixture *f, int64_t user, const char *kind)
{
    struct ac_notification *ms = NULL;
    size_t got = 0, n = 0;
    assert_int_equal(0, ac_store_notify_list(f->node.store, user, 200, &ms, &got));
    for (size_t i = 0; i < got; i++) {
        n += !kind || strcmp(ms[i].kind, kind) == 0;
        ac_notification_release(&ms[i]);
    }
    free(ms);
    return n;
}

#define FIXTURE_AUDIT_MAX 64

/* Reads the audit rows of |kind| |subject|, oldest first, into |rows|;
 * returns how many (the caller releases them). */
static inline size_t fixture_audits(struct node_fixture *f, const char *kind, const char *subject,
                                    struct ac_audit_entry rows[FIXTURE_AUDIT_MAX])
{
    size_t n = 0;
    assert_int_equal(
        0, ac_store_audit_list(f->node.store, kind, subject, 0, rows, FIXTURE_AUDIT_MAX, &n));
    return n;
}

/* How many audit rows |kind| |subject| has. */
static inline size_t fixture_audit_count(struct node_fixture *f, const char *kind,
                                         const char *subject)
{
    struct ac_audit_entry rows[FIXTURE_AUDIT_MAX];
    size_t n = fixture_audits(f, kind, subject, rows);
    for (size_t i = 0; i < n; i++)
        ac_audit_entry_release(&rows[i]);
    return n;
}

/* The newest audit row about |kind| |subject| (the caller releases it);
 * fails the test when there is none. */
static inline struct ac_audit_entry fixture_audit_newest(struct node_fixture *f, const char *kind,
                                                         const char *subject)
{
    struct ac_audit_entry rows[FIXTURE_AUDIT_MAX];
    size_t n = fixture_audits(f, kind, subject, rows);
    assert_true(n > 0);
    for (size_t i = 0; i + 1 < n; i++)
        ac_audit_entry_release(&rows[i]);
    return rows[n - 1];
}

/* The last audit row of |kind| |subject|: checks its |action| and |actor|
 * and this node, and returns its detail parsed (caller json_decref()s). */
static inline json_t *fixture_audit_last(struct node_fixture *f, const char *kind,
                                         const char *subject, const char *action, int64_t actor)
{
    struct ac_audit_entry last = fixture_audit_newest(f, kind, subject);
    assert_string_equal(action, last.action);
    assert_int_equal(actor, last.actor_user_id);
    assert_string_equal(FIXTURE_NODE_ID, last.node_id);
    json_t *d = json_loads(last.detail, 0, NULL);
    ac_audit_entry_release(&last);
    assert_non_null(d);
    return d;
}

/* The detail of the last audit row of |action| about |kind| |subject| as
 * parsed JSON (caller json_decref()s), or NULL when there is none. */
static inline json_t *fixture_audit_detail(struct node_fixture *f, const char *kind,
                                           const char *subject, const char *action)
{
    struct ac_audit_entry rows[FIXTURE_AUDIT_MAX];
    size_t n = fixture_audits(f, kind, subject, rows);
    json_t *found = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].action, action) == 0) {
            json_decref(found);
            found = json_loads(rows[i].detail, 0, NULL);
            assert_non_null(found);
        }
        ac_audit_entry_release(&rows[i]);
    }
    return found;
}

/* Checks that |why| names |problem| about |field| ("" for none). */
static inline void fixture_reason_is(const struct ac_reason *why, enum ac_problem problem,
                                     const char *field)
{
    assert_int_equal(problem, why->problem);
    assert_string_equal(field, why->field);
    assert_true(why->detail[0] != '\0');
}

#endif
