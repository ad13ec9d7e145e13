/* bench_writes.c - the raw side of tests/bench/bench_writes.sh: the
 * transaction of POST /v1/users/{id}/tokens (node/accounts/tokens.c,
 * ac__tokens_create) run straight on the store, with no HTTP, no loop and
 * no node between the program and the engine:
 *
 *   bench_writes sqlite|postgresql TARGET NODE_ID SECONDS [group]
 *
 * TARGET is a database `accord-node init` made (a file for SQLite, a libpq
 * URL for PostgreSQL), so user 1 (the admin) exists. For SECONDS it runs,
 * one after another on one connection, what the service runs: begin, read
 * the user, look for a remote-reviewer row (none), hash a fresh random
 * token, insert it, add the audit row, commit - the same core/store
 * functions and so the same SQL statements. Every commit is durable before
 * the next begins (SQLite: WAL, synchronous=FULL; PostgreSQL: the server's
 * synchronous commit), as ac_store_open_engine() leaves a store without
 * the node's storage thread. With "group" (SQLite) the store's storage
 * thread runs, as in the node with durability = async: commits return
 * without an fsync and the thread fsyncs the WAL for every commit made
 * before each fsync began; the time then ends once all are durable
 * (ac_store_sync_stop()). Prints "raw <commits> <seconds> <per second>". */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/net/tls_pending.h"
#include "accord/store/audit.h"
#include "accord/store/remote.h"
#include "accord/store/store.h"
#include "accord/store/sync.h"
#include "accord/store/tls_probe.h"
#include "accord/store/user.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One token creation, as ac__tokens_create() makes it. Returns 0 or an
 * AC_E* code. */
static int create_token(struct ac_store *st, const char *node_id)
{
    int err = ac_store_tx_begin(st);
    if (err)
        return err;
    struct ac_user u;
    err = ac_store_user_get(st, 1, &u);
    if (!err) {
        struct ac_remote_reviewer home;
        int remote = ac_store_remote_reviewer_get(st, u.id, &home);
        err = remote == AC_ENOENT ? 0 : remote == 0 ? AC_ECONFLICT : remote;
    }
    struct ac_token tok;
    if (!err) {
        uint8_t raw[32], hash[AC_TOKEN_HASH_BYTES];
        randombytes_buf(raw, sizeof raw);
        crypto_generichash(hash, sizeof hash, raw, sizeof raw, NULL, 0);
        err = ac_store_token_create(st, u.id, "storm", hash, ac_clock_now_ms(), &tok);
    }
    if (!err) {
        char subject[24], detail[96];
        snprintf(subject, sizeof subject, "%" PRId64, tok.id);
        snprintf(detail, sizeof detail, "{\"label\":\"storm\",\"user_id\":%" PRId64 "}", u.id);
        err = ac_store_audit_add(st, "token", subject, u.id, node_id, "create", detail,
                                 ac_clock_now_ms());
    }
    if (err) {
        ac_store_tx_rollback(st);
        return err;
    }
    return ac_store_tx_commit(st);
}

/* The storage thread's report that commits became durable: the benchmark
 * waits for all of them at the end instead (ac_store_sync_stop()). */
static void on_durable(void *arg)
{
    (void)arg;
}

int main(int argc, char **argv)
{
    int group = argc == 6 && !strcmp(argv[5], "group");
    if ((argc != 5 && !group) || (strcmp(argv[1], "sqlite") && strcmp(argv[1], "postgresql"))) {
        fprintf(stderr, "usage: bench_writes sqlite|postgresql TARGET NODE_ID SECONDS [group]\n");
        return 2;
    }
    double seconds = atof(argv[4]);
    if (seconds <= 0) {
        fprintf(stderr, "bench_writes: SECONDS must be more than 0, not %s\n", argv[4]);
        return 2;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "bench_writes: libsodium cannot start\n");
        return 1;
    }
    /* As the node does (node/datadir.c): over TLS the engine then waits on
     * the socket itself and sees the bytes the TLS layer holds. */
    ac_store_set_tls_pending(ac_tls_pending);
    enum ac_store_engine engine = strcmp(argv[1], "sqlite") ? AC_STORE_POSTGRESQL
                                                            : AC_STORE_SQLITE;
    struct ac_store *st;
    int err = ac_store_open_engine(engine, argv[2], &st);
    if (err) {
        fprintf(stderr, "bench_writes: cannot open %s: %s\n", argv[2], ac_strerror(err));
        return 1;
    }
    if (group && (err = ac_store_sync_start(st, on_durable, NULL)) != 0) {
        fprintf(stderr, "bench_writes: no storage thread: %s\n", ac_strerror(err));
        ac_store_close(st);
        return 1;
    }
    uint64_t commits = 0;
    double start = now_s();
    while (!err && now_s() - start < seconds) {
        err = create_token(st, argv[3]);
        commits += !err;
    }
    if (group) {
        ac_store_sync_stop(st); /* every commit so far durable */
        if (!err)
            err = ac_store_sync_error(st);
    }
    double elapsed = now_s() - start;
    ac_store_close(st);
    if (err) {
        fprintf(stderr, "bench_writes: transaction %" PRIu64 " failed: %s\n", commits + 1,
                ac_strerror(err));
        return 1;
    }
    printf("raw %" PRIu64 " %.3f %.1f\n", commits, elapsed, (double)commits / elapsed);
    return 0;
}
