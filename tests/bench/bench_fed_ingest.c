/* bench_fed_ingest.c - the C half of tests/bench/bench_federation.py, so
 * neither half of the ingest ratio is measured through Python:
 *
 *   bench_fed_ingest verify FILE
 *       times crypto_sign_verify_detached over every envelope's
 *       Sig_structure and signature in FILE on this one thread (best of 3
 *       rounds) and prints "verify <per second>";
 *   bench_fed_ingest send URL FILE WIDTH
 *       posts every envelope in FILE to URL's /v1/federation/inbox over one
 *       HTTP/2 connection with WIDTH requests in flight, each counted when
 *       its (post-commit) answer arrives, and prints "send <n> <ok>
 *       <seconds>".
 *
 * FILE, written by the Python half: the sender's 32-byte public key, then
 * per envelope: u32 length, the envelope, u32 length, its Sig_structure,
 * the 64-byte signature (lengths little-endian). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <uv.h>

#include "accord/base/error.h"
#include "accord/net/h2_client.h"

struct item {
    uint8_t *env, *tbs;
    uint32_t env_len, tbs_len;
    uint8_t sig[64];
};

struct set {
    uint8_t pk[32];
    struct item *items;
    size_t n;
};

static int read_u32(FILE *fp, uint32_t *v)
{
    uint8_t b[4];
    if (fread(b, 1, 4, fp) != 4)
        return -1;
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return 0;
}

static int read_blob(FILE *fp, uint8_t **p, uint32_t *len)
{
    if (read_u32(fp, len) || *len > (1u << 20))
        return -1;
    *p = malloc(*len ? *len : 1);
    return *p && fread(*p, 1, *len, fp) == *len ? 0 : -1;
}

static void set_free(struct set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->items[i].env);
        free(s->items[i].tbs);
    }
    free(s->items);
}

static int set_load(const char *path, struct set *s)
{
    memset(s, 0, sizeof *s);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "%s: cannot open\n", path);
        return -1;
    }
    int err = fread(s->pk, 1, 32, fp) == 32 ? 0 : -1;
    size_t cap = 0;
    while (!err) {
        int c = fgetc(fp);
        if (c == EOF)
            break;
        ungetc(c, fp);
        if (s->n == cap) {
            cap = cap ? 2 * cap : 1024;
            struct item *grown = realloc(s->items, cap * sizeof *grown);
            if (!grown) {
                err = -1;
                break;
            }
            s->items = grown;
        }
        struct item *it = &s->items[s->n];
        memset(it, 0, sizeof *it);
        s->n++;
        err = read_blob(fp, &it->env, &it->env_len) || read_blob(fp, &it->tbs, &it->tbs_len) ||
                      fread(it->sig, 1, 64, fp) != 64
                  ? -1
                  : 0;
    }
    fclose(fp);
    if (err)
        fprintf(stderr, "%s: truncated or malformed\n", path);
    return err;
}

/* CPU time of this process, in seconds: on a shared machine wall time also
 * counts other processes' turns. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int verify(const struct set *s)
{
    double best = 0, best_cpu = 0;
    for (int round = 0; round < 3; round++) {
        uint64_t t0 = uv_hrtime();
        double c0 = cpu_now();
        for (size_t i = 0; i < s->n; i++) {
            const struct item *it = &s->items[i];
            if (crypto_sign_verify_detached(it->sig, it->tbs, it->tbs_len, s->pk)) {
                fprintf(stderr, "envelope %zu: the signature does not verify\n", i);
                return -1;
            }
        }
        double took = (double)(uv_hrtime() - t0) / 1e9;
        double cpu = cpu_now() - c0;
        double rate = (double)s->n / took;
        if (rate > best)
            best = rate;
        if (cpu > 0 && (double)s->n / cpu > best_cpu)
            best_cpu = (double)s->n / cpu;
    }
    printf("verify %.0f %.0f\n", best, best_cpu);
    return 0;
}

struct sender {
    struct ac_h2_client *client;
    const struct set *s;
    size_t next, done, ok;
    int failed;
};

static void send_next(struct sender *sd);

static void on_answer(void *arg, int err, const struct ac_h2_response *resp)
{
    struct sender *sd = arg;
    sd->done++;
    if (!err && resp->status == 200)
        sd->ok++;
    else if (!sd->failed++)
        fprintf(stderr, "first failure: %s %d\n", err ? ac_strerror(err) : "status",
                err ? 0 : resp->status);
    if (sd->done == sd->s->n)
        ac_h2_client_close(sd->client);
    else
        send_next(sd);
}

static void send_next(struct sender *sd)
{
    if (sd->next >= sd->s->n)
        return;
    const struct item *it = &sd->s->items[sd->next++];
    const struct ac_http_header h[] = {{"content-type", "application/accord-envelope+cbor"}};
    if (ac_h2_client_request(sd->client, "POST", "/v1/federation/inbox", h, 1, it->env,
                             it->env_len, on_answer, sd)) {
        fprintf(stderr, "cannot queue a request\n");
        sd->done++;
        sd->failed++;
    }
}

static int send_all(const char *url, const struct set *s, size_t width)
{
    uv_loop_t loop;
    if (uv_loop_init(&loop))
        return -1;
    struct sender sd = {.s = s};
    struct ac_h2_client_config cfg = {.request_timeout_ms = 120000};
    if (ac_h2_client_new(&loop, url, &cfg, &sd.client)) {
        uv_loop_close(&loop);
        return -1;
    }
    uint64_t t0 = uv_hrtime();
    for (size_t i = 0; i < width; i++)
        send_next(&sd);
    uv_run(&loop, UV_RUN_DEFAULT);
    double took = (double)(uv_hrtime() - t0) / 1e9;
    uv_loop_close(&loop);
    printf("send %zu %zu %.3f\n", s->n, sd.ok, took);
    return sd.ok == s->n ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0)
        return 1;
    struct set s;
    memset(&s, 0, sizeof s);
    int rc;
    if (argc == 3 && strcmp(argv[1], "verify") == 0) {
        rc = set_load(argv[2], &s) || verify(&s);
    } else if (argc == 5 && strcmp(argv[1], "send") == 0) {
        long width = strtol(argv[4], NULL, 10);
        rc = width < 1 || set_load(argv[3], &s) || send_all(argv[2], &s, (size_t)width);
    } else {
        fprintf(stderr, "usage: bench_fed_ingest verify FILE | send URL FILE WIDTH\n");
        return 2;
    }
    set_free(&s);
    return rc ? 1 : 0;
}
