/* tool_envelope.c - signs and checks federation envelopes with
 * core/sign/envelope.c, for tests/interop/test_envelope_python.py to check
 * against independent Python code (cbor2, PyNaCl).
 *
 *   tool_envelope sign SEED TYPE ID FROM TO TS BODYHEX
 *       prints the envelope (hex) signed by the Ed25519 key from the 32-byte
 *       hex SEED, with kid = first 8 bytes of SHA-256(public key)
 *   tool_envelope verify PUBHEX    envelope hex on stdin; prints
 *       "ok TYPE ID FROM TO TS BODYHEX" or "refused: <reason>", exit 1 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/error.h"
#include "accord/sign/envelope.h"
#include "accord/sign/keyring.h"

static int unhex(const char *hex, uint8_t *out, size_t cap, size_t *n)
{
    size_t len;
    if (sodium_hex2bin(out, cap, hex, strlen(hex), NULL, &len, NULL) != 0)
        return -1;
    *n = len;
    return 0;
}

static int do_sign(char **argv)
{
    uint8_t seed[32], pk[32], sk[64], body[4096], kid[AC_KEY_ID_BYTES];
    size_t n, body_len;
    if (unhex(argv[0], seed, sizeof seed, &n) || n != 32 ||
        unhex(argv[6], body, sizeof body, &body_len))
        return 2;
    crypto_sign_seed_keypair(pk, sk, seed);
    ac_key_id(pk, kid);
    struct ac_envelope e = {.ts_ms = strtoll(argv[5], NULL, 10), .body = body,
                            .body_len = body_len};
    snprintf(e.type, sizeof e.type, "%s", argv[1]);
    snprintf(e.id, sizeof e.id, "%s", argv[2]);
    snprintf(e.from, sizeof e.from, "%s", argv[3]);
    snprintf(e.to, sizeof e.to, "%s", argv[4]);
    struct ac_buf out = AC_BUF_INIT;
    int rc = ac_envelope_sign(&e, kid, sizeof kid, ac_cose_sign_with_secret_key, sk, &out);
    sodium_memzero(sk, sizeof sk);
    if (rc) {
        fprintf(stderr, "sign: %s\n", ac_strerror(rc));
        return 1;
    }
    for (size_t i = 0; i < out.len; i++)
        printf("%02x", out.data[i]);
    printf("\n");
    ac_buf_release(&out);
    return 0;
}

static int do_verify(const char *pubhex)
{
    uint8_t pk[32];
    size_t n;
    static char hex[1 << 16];
    static uint8_t msg[1 << 15];
    if (unhex(pubhex, pk, sizeof pk, &n) || n != 32 || !fgets(hex, sizeof hex, stdin))
        return 2;
    hex[strcspn(hex, "\r\n")] = 0;
    if (unhex(hex, msg, sizeof msg, &n))
        return 2;
    struct ac_cose_sign1 m;
    struct ac_envelope e;
    char why[AC_ENVELOPE_WHY_LEN];
    if (ac_envelope_parse(msg, n, &m, why, sizeof why)) {
        printf("refused: %s\n", why);
        return 1;
    }
    if (ac_envelope_verify(&m, pk)) {
        printf("refused: bad signature\n");
        return 1;
    }
    if (ac_envelope_decode(&m, &e, why, sizeof why)) {
        printf("refused: %s\n", why);
        return 1;
    }
    printf("ok %s %s %s %s %lld ", e.type, e.id, e.from, e.to, (long long)e.ts_ms);
    for (size_t i = 0; i < e.body_len; i++)
        printf("%02x", e.body[i]);
    printf("\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0)
        return 2;
    if (argc == 9 && strcmp(argv[1], "sign") == 0)
        return do_sign(argv + 2);
    if (argc == 3 && strcmp(argv[1], "verify") == 0)
        return do_verify(argv[2]);
    fprintf(stderr, "usage: tool_envelope sign SEED TYPE ID FROM TO TS BODYHEX\n"
                    "       tool_envelope verify PUBHEX < envelope.hex\n");
    return 2;
}
