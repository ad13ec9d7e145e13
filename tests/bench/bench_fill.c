/* bench_fill.c - fills a node's data directory with N credential records
 * through the node's own issuing code (ac__credential_issue(): signed record,
 * status entry, log leaf, signed checkpoint and audit row in one transaction
 * each), so the 1,000,000-record benchmark (bench_million.sh) measures a
 * database a real node would have written. The node must not be running.
 *
 * usage: bench_fill --config FILE --count N
 * Commits are made durable on the store's storage thread (group commit) and
 * all of them before it exits. Prints "issued N", the issue rate of the
 * first and of the last 1,000 records ("issue_rate_first_1k R",
 * "issue_rate_last_1k R") and their ratio, and "first_id"/"last_id". */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/store/sync.h"
#include "config.h"
#include "internal.h"
#include "records/records.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Nothing waits for durability here; the store needs a callback. */
static void on_durable(void *arg)
{
    (void)arg;
}

int main(int argc, char **argv)
{
    const char *config = NULL;
    long long count = 0;
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"count", required_argument, NULL, 'n'},
        {NULL, 0, NULL, 0},
    };
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o == 'c')
            config = optarg;
        else if (o == 'n')
            count = atoll(optarg);
        else
            return 2;
    }
    if (!config || count < 1) {
        fprintf(stderr, "usage: bench_fill --config FILE --count N\n");
        return 2;
    }
    struct ac_node_config cfg;
    char why[512];
    if (ac_config_load(config, &cfg, why, sizeof why)) {
        fprintf(stderr, "bench_fill: %s\n", why);
        return 1;
    }
    ac_log_set_level(cfg.log_level); /* a line per record at info would be the bottleneck */
    struct ac_node n = {.cfg = &cfg};
    int err = ac__datadir_open(&n);
    if (!err)
        err = ac__records_open(&n);
    if (!err)
        err = ac_store_sync_start(n.store, on_durable, NULL);
    if (err) {
        fprintf(stderr, "bench_fill: cannot open %s: %s\n", cfg.data_dir, ac_strerror(err));
        ac__records_close(&n);
        ac__datadir_close(&n);
        ac_config_release(&cfg);
        return 1;
    }
    struct ac__issue_req req = {
        .definition_id = "bench.fill",
        .definition_version = 1,
        .achieved_level = "pass",
        .has_ceu = 1,
        .ceu_hundredths = 150,
        .evidence = "filled by bench_fill",
    };
    crypto_hash_sha256(req.content_hash, (const uint8_t *)"bench.fill", 10);
    int64_t first_id = 0, id = 0;
    double t0 = now_s(), first_1k = 0, last_start = 0;
    long long last_from = count > 1000 ? count - 1000 : 0;
    for (long long i = 0; i < count && !err; i++) {
        char email[64];
        snprintf(email, sizeof email, "earner%lld@bench.example", i);
        req.email = email; /* admin-issued to an address: no account */
        if (i == last_from)
            last_start = now_s();
        err = ac__credential_issue(&n, &req, &id);
        if (i == 0)
            first_id = id;
        if (i == 999 || (i == count - 1 && count < 1000))
            first_1k = now_s() - t0;
        if (i % 100000 == 99999)
            fprintf(stderr, "bench_fill: %lld issued\n", i + 1);
    }
    double last_1k = now_s() - last_start;
    ac_store_sync_stop(n.store); /* every commit durable before the exit */
    if (err)
        fprintf(stderr, "bench_fill: issuing failed: %s\n", ac_strerror(err));
    long long firstn = count < 1000 ? count : 1000;
    long long lastn = count - last_from;
    printf("issued %lld\nfirst_id %lld\nlast_id %lld\n", err ? 0 : count, (long long)first_id,
           (long long)id);
    printf("issue_rate_first_1k %.1f\nissue_rate_last_1k %.1f\n", (double)firstn / first_1k,
           (double)lastn / last_1k);
    printf("bench_fill: ratio issue rate at %lld vs first 1k %.3f\n", count,
           ((double)lastn / last_1k) / ((double)firstn / first_1k));
    ac__records_close(&n);
    ac__datadir_close(&n);
    ac_config_release(&cfg);
    return err ? 1 : 0;
}
