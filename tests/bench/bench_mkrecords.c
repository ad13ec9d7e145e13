/* bench_mkrecords.c - makes signed native credential records for the verify
 * benchmark and the interop tests, and times raw libsodium verification of
 * exactly those signatures as the benchmark's baseline.
 *
 * usage: bench_mkrecords [--count N] [--seed HEX64] [--iss URL] [--level TEXT]
 *                        [--ceu HUNDREDTHS] [--iat SECONDS]
 *                        [--status-uri URI --status-idx N]
 *                        (--out FILE | --binary FILE | --bundle FILE)
 *                        [--set-status valid|revoked|suspended] [--time-raw]
 *                        [--origin TEXT] [--status-seed HEX64]
 *                        [--status-iat SECONDS] [--status-exp SECONDS]
 * --out writes N records as base64url lines; --binary writes one raw record;
 * --bundle writes one credential bundle (bundle.h): the record as entry 1 of a
 * two-entry log with its inclusion proof and a checkpoint signed by the same
 * key (origin: --origin, by default the issuer's, its URL without the scheme
 * plus "/log"), and a Status List Token of 131,072 entries, signed by the
 * --status-seed key (by default the same key), dated --status-iat (default
 * the record's iat) and expiring at --status-exp (default ten years later; 0
 * for none), in which the record's randomly assigned index has the
 * --set-status value.
 * Prints "public_key HEX", "kid HEX", "bytes N" (size of the first record) and,
 * with --time-raw, "raw_verify_per_sec R" and "raw_verify_per_cpu_sec C" (best of
 * three passes, by wall-clock and by process CPU time). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "accord/records/bundle.h"
#include "accord/records/checkpoint.h"
#include "accord/sign/cose.h"
#include "accord/records/merkle.h"
#include "accord/records/record.h"
#include "accord/records/status.h"

struct signed_rec {
    struct ac_buf cose;
    struct ac_buf tbs;
    const uint8_t *sig;
};

static double now_s(clockid_t which)
{
    struct timespec ts;
    clock_gettime(which, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What --bundle may vary beyond the record (see the usage at the top). */
struct bundle_opts {
    const char *origin;      /* NULL: the issuer's */
    const char *status_seed; /* NULL: the record's key */
    int64_t status_iat;      /* -1: the record's iat */
    int64_t status_exp;      /* -1: ten years after status_iat; 0: none */
};

/* Writes one credential bundle for |rec| (see the usage at the top). */
static int write_bundle(struct ac_record *rec, const uint8_t pk[32], uint8_t sk[64],
                        const uint8_t kid[8], enum ac_status set_status,
                        const struct bundle_opts *o, const char *path)
{
    struct ac_status_list *l;
    if (ac_status_list_new(AC_STATUS_MIN_ENTRIES, &l))
        return 1;
    uint64_t idx;
    if (ac_status_list_assign(l, &idx) || ac_status_list_set(l, idx, set_status))
        return 1;
    rec->has_status = true;
    rec->status_idx = idx;
    if (!rec->status_uri[0])
        snprintf(rec->status_uri, sizeof(rec->status_uri), "%.150s/statuslists/1", rec->iss);
    memset(rec->cti, 0x42, sizeof(rec->cti));
    strcpy(rec->sub, "sha256$bundle");
    memset(rec->content_hash, 0xc7, sizeof(rec->content_hash));
    rec->has_log_index = true;
    rec->log_index = 1;
    struct ac_buf record = AC_BUF_INIT, note = AC_BUF_INIT, token = AC_BUF_INIT, out = AC_BUF_INIT;
    if (ac_record_sign(rec, kid, 8, ac_cose_sign_with_secret_key, sk, &record))
        return 1;

    /* A two-entry log: some earlier entry, then the record. */
    static const char genesis[] = "an earlier record";
    uint8_t h0[AC_MERKLE_HASH_BYTES], h1[AC_MERKLE_HASH_BYTES];
    ac_merkle_leaf_hash((const uint8_t *)genesis, sizeof(genesis) - 1, h0);
    ac_merkle_leaf_hash(record.data, record.len, h1);
    char origin[AC_NOTE_NAME_MAX + 1];
    const char *host = strstr(rec->iss, "://");
    if (o->origin)
        snprintf(origin, sizeof(origin), "%s", o->origin);
    else
        snprintf(origin, sizeof(origin), "%s/log", host ? host + 3 : rec->iss);
    struct ac_checkpoint cp = {.origin = origin, .size = 2};
    ac_merkle_node_hash(h0, h1, cp.root);
    if (ac_checkpoint_sign(&cp, origin, pk, ac_cose_sign_with_secret_key, sk, &note))
        return 1;

    uint8_t spk[32], ssk[64], skid[8], seed[32], digest[32];
    size_t n = 0;
    if (o->status_seed) {
        if (sodium_hex2bin(seed, 32, o->status_seed, strlen(o->status_seed), NULL, &n, NULL) ||
            n != 32)
            return 64;
        crypto_sign_seed_keypair(spk, ssk, seed);
    } else {
        memcpy(spk, pk, 32);
        memcpy(ssk, sk, 64);
    }
    crypto_hash_sha256(digest, spk, 32);
    memcpy(skid, digest, 8);
    int64_t siat = o->status_iat >= 0 ? o->status_iat : rec->iat;
    int64_t sexp = o->status_exp >= 0 ? o->status_exp : siat + 3650LL * 86400;
    struct ac_status_token_claims claims = {
        .sub = rec->status_uri, .iat = siat, .exp = sexp, .ttl = 3600};
    if (ac_status_token_sign(l, &claims, skid, 8, ac_cose_sign_with_secret_key, ssk, &token))
        return 1;

    struct ac_bundle b = {.record = record.data,
                          .record_len = record.len,
                          .index = 1,
                          .size = 2,
                          .status = token.data,
                          .status_len = token.len,
                          .checkpoint = (const char *)note.data,
                          .checkpoint_len = note.len};
    b.proof.count = 1;
    memcpy(b.proof.hash[0], h0, sizeof(h0));
    if (ac_bundle_encode(&b, &out))
        return 1;
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(out.data, 1, out.len, f) != out.len || fclose(f) != 0)
        return 1;
    char hex[65];
    sodium_bin2hex(hex, sizeof(hex), pk, 32);
    printf("public_key %s\nbytes %zu\nbundle_bytes %zu\nstatus_idx %llu\n", hex, record.len,
           out.len, (unsigned long long)idx);
    ac_buf_release(&record);
    ac_buf_release(&note);
    ac_buf_release(&token);
    ac_buf_release(&out);
    ac_status_list_free(l);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"count", required_argument, NULL, 'n'},       {"seed", required_argument, NULL, 's'},
        {"iss", required_argument, NULL, 'i'},         {"level", required_argument, NULL, 'l'},
        {"ceu", required_argument, NULL, 'c'},         {"iat", required_argument, NULL, 'a'},
        {"status-uri", required_argument, NULL, 'u'},  {"status-idx", required_argument, NULL, 'x'},
        {"out", required_argument, NULL, 'o'},         {"binary", required_argument, NULL, 'b'},
        {"time-raw", no_argument, NULL, 'r'},          {"bundle", required_argument, NULL, 'B'},
        {"set-status", required_argument, NULL, 'S'},  {"origin", required_argument, NULL, 'O'},
        {"status-seed", required_argument, NULL, 'k'}, {"status-iat", required_argument, NULL, 'I'},
        {"status-exp", required_argument, NULL, 'E'},  {NULL, 0, NULL, 0}};
    struct bundle_opts bopts = {.status_iat = -1, .status_exp = -1};
    size_t count = 1;
    const char *seed_hex = NULL, *out_path = NULL, *bin_path = NULL, *bundle_path = NULL;
    enum ac_status set_status = AC_STATUS_VALID;
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
        case 'n':
            count = strtoull(optarg, NULL, 10);
            break;
        case 's':
            seed_hex = optarg;
            break;
        case 'i':
            snprintf(rec.iss, sizeof(rec.iss), "%s", optarg);
            break;
        case 'l':
            snprintf(rec.achieved_level, sizeof(rec.achieved_level), "%s", optarg);
            break;
        case 'c':
            rec.has_ceu = true;
            rec.ceu_hundredths = strtoull(optarg, NULL, 10);
            break;
        case 'a':
            rec.iat = strtoll(optarg, NULL, 10);
            break;
        case 'u':
            rec.has_status = true;
            snprintf(rec.status_uri, sizeof(rec.status_uri), "%s", optarg);
            break;
        case 'x':
            rec.status_idx = strtoull(optarg, NULL, 10);
            break;
        case 'o':
            out_path = optarg;
            break;
        case 'b':
            bin_path = optarg;
            break;
        case 'r':
            time_raw = 1;
            break;
        case 'B':
            bundle_path = optarg;
            break;
        case 'S':
            set_status = strcmp(optarg, "revoked") == 0     ? AC_STATUS_INVALID
                         : strcmp(optarg, "suspended") == 0 ? AC_STATUS_SUSPENDED
                                                            : AC_STATUS_VALID;
            break;
        case 'O':
            bopts.origin = optarg;
            break;
        case 'k':
            bopts.status_seed = optarg;
            break;
        case 'I':
            bopts.status_iat = strtoll(optarg, NULL, 10);
            break;
        case 'E':
            bopts.status_exp = strtoll(optarg, NULL, 10);
            break;
        default:
            fprintf(stderr, "bench_mkrecords: bad option\n");
            return 64;
        }
    }
    if ((out_path != NULL) + (bin_path != NULL) + (bundle_path != NULL) != 1 || count == 0 ||
        (!out_path && count != 1)) {
        fprintf(stderr, "bench_mkrecords: give --out FILE, or --binary/--bundle FILE with "
                        "--count 1\n");
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

    if (bundle_path)
        return write_bundle(&rec, pk, sk, kid, set_status, &bopts, bundle_path);

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
        /* Wall time and CPU time: on a shared machine the CPU time is the
         * steadier measure of the work itself. */
        double best = 0, best_cpu = 0;
        for (int pass = 0; pass < 3; pass++) {
            double t0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
            for (size_t i = 0; i < count; i++)
                if (crypto_sign_verify_detached(recs[i].sig, recs[i].tbs.data, recs[i].tbs.len,
                                                pk) != 0)
                    return 1;
            double rate = (double)count / (now_s(CLOCK_MONOTONIC) - t0);
            double cpu_rate = (double)count / (now_s(CLOCK_PROCESS_CPUTIME_ID) - c0);
            if (rate > best)
                best = rate;
            if (cpu_rate > best_cpu)
                best_cpu = cpu_rate;
        }
        printf("raw_verify_per_sec %.0f\nraw_verify_per_cpu_sec %.0f\n", best, best_cpu);
    }
    for (size_t i = 0; i < count; i++) {
        ac_buf_release(&recs[i].cose);
        ac_buf_release(&recs[i].tbs);
    }
    free(recs);
    return 0;
}
