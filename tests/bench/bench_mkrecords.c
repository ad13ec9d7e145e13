/* bench_mkrecords.c - makes signed native credential records for the verify
 * benchmark and the interop tests, and times raw libsodium verification of
 * exactly those signatures as the benchmark's baseline.
 *
 * usage: bench_mkrecords [--count N] [--seed HEX64] [--iss URL] [--level TEXT]
 *                        [--ceu HUNDREDTHS] [--iat SECONDS]
 *                        [--status-uri URI --status-idx N]
 *                        (--out FILE | --binary FILE) [--time-raw]
 * --out writes N records as base64url lines; --binary writes one raw record.
 * Prints "public_key HEX", "kid HEX", "bytes N" (size of the first record) and,
 * with --time-raw, "raw_verify_per_sec R" (best of three passes). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "accord/cose.h"
#include "accord/record.h"

struct signed_rec {
    struct ac_buf cose;
    struct ac_buf tbs;
    const uint8_t *sig;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"count", required_argument, NULL, 'n'},      {"seed", required_argument, NULL, 's'},
        {"iss", required_argument, NULL, 'i'},        {"level", required_argument, NULL, 'l'},
        {"ceu", required_argument, NULL, 'c'},        {"iat", required_argument, NULL, 'a'},
        {"status-uri", required_argument, NULL, 'u'}, {"status-idx", required_argument, NULL, 'x'},
        {"out", required_argument, NULL, 'o'},        {"binary", required_argument, NULL, 'b'},
        {"time-raw", no_argument, NULL, 'r'},         {NULL, 0, NULL, 0}};
    size_t count = 1;
    const char *seed_hex = NULL, *out_path = NULL, *bin_path = NULL;
    int time_raw = 0;
    struct ac_record rec;
    memset(&rec, 0, sizeof(rec));
    strcpy(rec.iss, "https://accord.example");
    strcpy(rec.definition_id, "formative-assessment-feedback");
    rec.definition_version = 3;
    strcpy(rec.achieved_level, "proficient");
    rec.iat = (int64_t)time(NULL);
    strcpy(rec.evidence, "Two classroom videos and student work; two certified reviewers agreed.");
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 'n': count = strtoull(optarg, NULL, 10); break;
        case 's': seed_hex = optarg; break;
        case 'i': snprintf(rec.iss, sizeof(rec.iss), "%s", optarg); break;
        case 'l': snprintf(rec.achieved_level, sizeof(rec.achieved_level), "%s", optarg); break;
        case 'c':
            rec.has_ceu = true;
            rec.ceu_hundredths = strtoull(optarg, NULL, 10);
            break;
        case 'a': rec.iat = strtoll(optarg, NULL, 10); break;
        case 'u':
            rec.has_status = true;
            snprintf(rec.status_uri, sizeof(rec.status_uri), "%s", optarg);
            break;
        case 'x': rec.status_idx = strtoull(optarg, NULL, 10); break;
        case 'o': out_path = optarg; break;
        case 'b': bin_path = optarg; break;
        case 'r': time_raw = 1; break;
        default: fprintf(stderr, "bench_mkrecords: bad option\n"); return 64;
        }
    }
    if (!out_path == !bin_path || count == 0 || (bin_path && count != 1)) {
        fprintf(stderr, "bench_mkrecords: give --out FILE, or --binary FILE with --count 1\n");
        return 64;
    }
    if (sodium_init() < 0)
        return 1;
    uint8_t seed[32], pk[32], sk[64];
    size_t n;
    if (seed_hex) {
        if (sodium_hex2bin(seed, 32, seed_hex, strlen(seed_hex), NULL, &n, NULL) || n != 32) {
            fprintf(stderr, "bench_mkrecords: --seed must be 64 hex digits\n");
            return 64;
        }
    } else {
        randombytes_buf(seed, sizeof(seed));
    }
    crypto_sign_seed_keypair(pk, sk, seed);
    uint8_t digest[32], kid[8];
    crypto_hash_sha256(digest, pk, 32);
    memcpy(kid, digest, 8);

    struct signed_rec *recs = calloc(count, sizeof(*recs));
    if (!recs)
        return 1;
    for (size_t i = 0; i < count; i++) {
        /* Each record differs (cti, subject, log index), so every signature does. */
        memset(rec.cti, 0, sizeof(rec.cti));
        memcpy(rec.cti, &i, sizeof(i));
        snprintf(rec.sub, sizeof(rec.sub), "sha256$%064zx", i);
        rec.has_log_index = true;
        rec.log_index = i;
        memset(rec.content_hash, 0xc7, sizeof(rec.content_hash));
        if (ac_record_sign(&rec, kid, sizeof(kid), ac_cose_sign_with_secret_key, sk,
                           &recs[i].cose)) {
            fprintf(stderr, "bench_mkrecords: signing failed\n");
            return 1;
        }
        struct ac_cose_sign1 msg;
        if (ac_cose_sign1_parse(recs[i].cose.data, recs[i].cose.len, &msg, NULL, 0) ||
            ac_cose_sig_structure(&msg, &recs[i].tbs))
            return 1;
        recs[i].sig = msg.signature;
    }

    FILE *f = fopen(out_path ? out_path : bin_path, "wb");
    if (!f)
        return 1;
    for (size_t i = 0; i < count; i++) {
        if (bin_path) {
            fwrite(recs[i].cose.data, 1, recs[i].cose.len, f);
            continue;
        }
        char line[4096];
        sodium_bin2base64(line, sizeof(line), recs[i].cose.data, recs[i].cose.len,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        fprintf(f, "%s\n", line);
    }
    if (fclose(f) != 0)
        return 1;

    char hex[65], kid_hex[17];
    sodium_bin2hex(hex, sizeof(hex), pk, 32);
    sodium_bin2hex(kid_hex, sizeof(kid_hex), kid, 8);
    printf("public_key %s\nkid %s\nbytes %zu\n", hex, kid_hex, recs[0].cose.len);

    if (time_raw) {
        double best = 0;
        for (int pass = 0; pass < 3; pass++) {
            double t0 = now_s();
            for (size_t i = 0; i < count; i++)
                if (crypto_sign_verify_detached(recs[i].sig, recs[i].tbs.data, recs[i].tbs.len,
                                                pk) != 0)
                    return 1;
            double rate = (double)count / (now_s() - t0);
            if (rate > best)
                best = rate;
        }
        printf("raw_verify_per_sec %.0f\n", best);
    }
    for (size_t i = 0; i < count; i++) {
        ac_buf_release(&recs[i].cose);
        ac_buf_release(&recs[i].tbs);
    }
    free(recs);
    return 0;
}
