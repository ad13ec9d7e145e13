/* tool_tlog.c - prints what core/merkle.c, core/checkpoint.c and core/status.c
 * produce, as JSON on stdout, for tests/interop/test_log_python.py to check
 * with independent Python code.
 *
 *   tool_tlog proofs            leaves (hex, one a line) on stdin: every root,
 *                               inclusion proof and consistency proof
 *   tool_tlog note SEED ORIGIN  leaves on stdin: a checkpoint of them signed by
 *                               the Ed25519 key from the 32-byte hex SEED
 *   tool_tlog status            a list with some entries revoked/suspended:
 *                               its ZLIB bytes and W3C encoded lists
 *   tool_tlog bundle SEED       leaves on stdin: a bundle for leaf 0 with a
 *                               status token, both signed by SEED's key */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/records/bundle.h"
#include "accord/records/checkpoint.h"
#include "accord/records/merkle.h"
#include "accord/records/status.h"

#define MAX_LEAVES 256
#define H AC_MERKLE_HASH_BYTES

static uint8_t leaf_hash[MAX_LEAVES][H];
static size_t nleaves;
static uint8_t leaf0[2048]; /* the first leaf's bytes, for the bundle */
static size_t leaf0_len;

static int read_leaves(void)
{
    char line[4096];
    while (fgets(line, sizeof line, stdin)) {
        size_t n = strcspn(line, "\r\n");
        line[n] = '\0';
        uint8_t bin[2048];
        size_t len;
        if (nleaves == MAX_LEAVES ||
            sodium_hex2bin(bin, sizeof bin, line, n, NULL, &len, NULL) != 0)
            return -1;
        if (nleaves == 0) {
            memcpy(leaf0, bin, len);
            leaf0_len = len;
        }
        ac_merkle_leaf_hash(bin, len, leaf_hash[nleaves++]);
    }
    return 0;
}

static int mem_leaf(void *ctx, uint64_t index, uint8_t out[H])
{
    (void)ctx;
    memcpy(out, leaf_hash[index], H);
    return 0;
}

static void print_hex(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        printf("%02x", p[i]);
}

static void print_proof(const struct ac_merkle_proof *p)
{
    printf("[");
    for (size_t i = 0; i < p->count; i++) {
        printf(i ? ",\"" : "\"");
        print_hex(p->hash[i], H);
        printf("\"");
    }
    printf("]");
}

/* Prints |s| as a JSON string; our notes hold only printable UTF-8 and '\n'. */
static void print_json_string(const char *s, size_t len)
{
    putchar('"');
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n')
            fputs("\\n", stdout);
        else if (s[i] == '"' || s[i] == '\\')
            printf("\\%c", s[i]);
        else
            putchar(s[i]);
    }
    putchar('"');
}

static int cmd_proofs(void)
{
    struct ac_merkle_source src = {mem_leaf, NULL, NULL};
    uint8_t root[H];
    printf("{\"roots\":[");
    for (size_t n = 0; n <= nleaves; n++) {
        if (ac_merkle_root(&src, n, root))
            return 1;
        printf(n ? ",\"" : "\"");
        print_hex(root, H);
        printf("\"");
    }
    printf("],\"inclusion\":[");
    int first = 1;
    for (size_t n = 1; n <= nleaves; n++)
        for (size_t i = 0; i < n; i++) {
            struct ac_merkle_proof p;
            if (ac_merkle_inclusion_proof(&src, i, n, &p))
                return 1;
            printf("%s[%zu,%zu,", first ? "" : ",", i, n);
            print_proof(&p);
            printf("]");
            first = 0;
        }
    printf("],\"consistency\":[");
    first = 1;
    for (size_t n = 0; n <= nleaves; n++)
        for (size_t m = 0; m <= n; m++) {
            struct ac_merkle_proof p;
            if (ac_merkle_consistency_proof(&src, m, n, &p))
                return 1;
            printf("%s[%zu,%zu,", first ? "" : ",", m, n);
            print_proof(&p);
            printf("]");
            first = 0;
        }
    printf("]}\n");
    return 0;
}

static int cmd_note(const char *seed_hex, const char *origin)
{
    uint8_t seed[32], pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    size_t len;
    if (sodium_hex2bin(seed, sizeof seed, seed_hex, strlen(seed_hex), NULL, &len, NULL) != 0 ||
        len != sizeof seed)
        return 2;
    crypto_sign_seed_keypair(pk, sk, seed);
    struct ac_merkle_source src = {mem_leaf, NULL, NULL};
    char origin_copy[256];
    snprintf(origin_copy, sizeof origin_copy, "%s", origin);
    struct ac_checkpoint cp = {.origin = origin_copy, .size = nleaves};
    if (ac_merkle_root(&src, nleaves, cp.root))
        return 1;
    struct ac_buf note = AC_BUF_INIT, vkey = AC_BUF_INIT;
    struct ac_note_verifier v;
    if (ac_checkpoint_sign(&cp, origin, pk, ac_note_sign_secret_key, sk, &note) ||
        ac_note_verifier_init(&v, origin, pk) || ac_note_verifier_format(&v, &vkey))
        return 1;
    printf("{\"public_key\":\"");
    print_hex(pk, sizeof pk);
    printf("\",\"vkey\":");
    print_json_string((const char *)vkey.data, vkey.len);
    printf(",\"note\":");
    print_json_string((const char *)note.data, note.len);
    printf("}\n");
    ac_buf_release(&note);
    ac_buf_release(&vkey);
    return 0;
}

static int cmd_status(void)
{
    struct ac_status_list *l;
    if (ac_status_list_new(AC_STATUS_MIN_ENTRIES, &l))
        return 1;
    printf("{\"entries\":%u,\"statuses\":[", AC_STATUS_MIN_ENTRIES);
    for (int k = 0; k < 60; k++) {
        uint64_t i;
        if (ac_status_list_assign(l, &i))
            return 1;
        /* Cycle through: valid, revoked, suspended, suspended then reinstated. */
        int st = k % 4 == 3 ? AC_STATUS_VALID : k % 4;
        if (k % 4 == 3 && ac_status_list_set(l, i, AC_STATUS_SUSPENDED))
            return 1;
        if (ac_status_list_set(l, i, (enum ac_status)st))
            return 1;
        printf("%s[%llu,%d]", k ? "," : "", (unsigned long long)i, st);
    }
    struct ac_buf z = AC_BUF_INIT, rev = AC_BUF_INIT, sus = AC_BUF_INIT;
    if (ac_status_list_compress(l, &z) ||
        ac_status_w3c_encode(l, AC_STATUS_PURPOSE_REVOCATION, &rev) ||
        ac_status_w3c_encode(l, AC_STATUS_PURPOSE_SUSPENSION, &sus))
        return 1;
    printf("],\"lst\":\"");
    print_hex(z.data, z.len);
    printf("\",\"w3c_revocation\":");
    print_json_string((const char *)rev.data, rev.len);
    printf(",\"w3c_suspension\":");
    print_json_string((const char *)sus.data, sus.len);
    printf("}\n");
    ac_buf_release(&z);
    ac_buf_release(&rev);
    ac_buf_release(&sus);
    ac_status_list_free(l);
    return 0;
}

static int cmd_bundle(const char *seed_hex)
{
    uint8_t seed[32], pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    size_t len;
    if (nleaves == 0 ||
        sodium_hex2bin(seed, sizeof seed, seed_hex, strlen(seed_hex), NULL, &len, NULL) != 0 ||
        len != sizeof seed)
        return 2;
    crypto_sign_seed_keypair(pk, sk, seed);
    struct ac_merkle_source src = {mem_leaf, NULL, NULL};
    char origin[] = "accord.example/interop-log";
    struct ac_checkpoint cp = {.origin = origin, .size = nleaves};
    struct ac_status_list *l;
    struct ac_buf note = AC_BUF_INIT, token = AC_BUF_INIT, enc = AC_BUF_INIT;
    struct ac_status_token_claims c = {
        .sub = "https://accord.example/status/1", .iat = 1700000000, .ttl = 300};
    static const uint8_t kid[8] = {0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18};
    uint64_t idx;
    if (ac_merkle_root(&src, nleaves, cp.root) ||
        ac_checkpoint_sign(&cp, origin, pk, ac_note_sign_secret_key, sk, &note) ||
        ac_status_list_new(AC_STATUS_MIN_ENTRIES, &l) || ac_status_list_assign(l, &idx) ||
        ac_status_list_set(l, idx, AC_STATUS_SUSPENDED) ||
        ac_status_token_sign(l, &c, kid, sizeof kid, ac_note_sign_secret_key, sk, &token))
        return 1;
    /* The record is leaf 0; the test feeds its bytes as the first line. */
    struct ac_bundle b = {.index = 0, .size = nleaves};
    b.record = leaf0;
    b.record_len = leaf0_len;
    if (ac_merkle_inclusion_proof(&src, 0, nleaves, &b.proof))
        return 1;
    b.status = token.data;
    b.status_len = token.len;
    b.checkpoint = (const char *)note.data;
    b.checkpoint_len = note.len;
    if (ac_bundle_encode(&b, &enc))
        return 1;
    printf("{\"public_key\":\"");
    print_hex(pk, sizeof pk);
    printf("\",\"suspended\":%llu,\"bundle\":\"", (unsigned long long)idx);
    print_hex(enc.data, enc.len);
    printf("\"}\n");
    ac_buf_release(&note);
    ac_buf_release(&token);
    ac_buf_release(&enc);
    ac_status_list_free(l);
    return 0;
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0)
        return 1;
    if (argc == 2 && strcmp(argv[1], "proofs") == 0)
        return read_leaves() ? 2 : cmd_proofs();
    if (argc == 4 && strcmp(argv[1], "note") == 0)
        return read_leaves() ? 2 : cmd_note(argv[2], argv[3]);
    if (argc == 3 && strcmp(argv[1], "bundle") == 0)
        return read_leaves() ? 2 : cmd_bundle(argv[2]);
    if (argc == 2 && strcmp(argv[1], "status") == 0)
        return cmd_status();
    fprintf(stderr, "usage: tool_tlog proofs | note SEED ORIGIN | status | bundle SEED\n");
    return 2;
}
