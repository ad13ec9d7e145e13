/* fuzz_envelope.c - fuzz target for the federation envelope parser and payload
 * decoder (core/sign/envelope.c), the first code a peer's bytes reach: any
 * input is refused with a reason, or decodes into fields that keep their rules
 * and sign again into an envelope that decodes to the same fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/buf.h"
#include "accord/sign/cose.h"
#include "accord/sign/envelope.h"
#include "accord/sign/keyring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t pk[32], sk[64], kid[AC_KEY_ID_BYTES];

static int same(const struct ac_envelope *a, const struct ac_envelope *b)
{
    return strcmp(a->type, b->type) == 0 && strcmp(a->id, b->id) == 0 &&
           strcmp(a->from, b->from) == 0 && strcmp(a->to, b->to) == 0 && a->ts_ms == b->ts_ms &&
           a->body_len == b->body_len && memcmp(a->body, b->body, a->body_len) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        uint8_t seed[32] = {7};
        if (sodium_init() < 0)
            abort();
        crypto_sign_seed_keypair(pk, sk, seed);
        ac_key_id(pk, kid);
        ready = 1;
    }
    struct ac_cose_sign1 msg;
    char why[256];
    why[0] = '\0';
    if (ac_envelope_parse(data, size, &msg, why, sizeof why)) {
        if (why[0] == '\0')
            abort(); /* every refusal names its reason */
        return 0;
    }
    /* The signature is someone else's, so it fails; the decoder must still
     * hold up, since a receiver's bug could call it first. */
    (void)ac_envelope_verify(&msg, pk);
    struct ac_envelope env;
    why[0] = '\0';
    if (ac_envelope_decode(&msg, &env, why, sizeof why)) {
        if (why[0] == '\0')
            abort();
        return 0;
    }
    if (ac_envelope_check(&env, NULL, 0) != 0)
        abort(); /* decoded fields always keep the rules */
    struct ac_buf again = AC_BUF_INIT;
    if (ac_envelope_sign(&env, kid, sizeof kid, ac_cose_sign_with_secret_key, sk, &again))
        abort();
    struct ac_cose_sign1 msg2;
    struct ac_envelope env2;
    if (ac_envelope_parse(again.data, again.len, &msg2, NULL, 0) || ac_envelope_verify(&msg2, pk) ||
        ac_envelope_decode(&msg2, &env2, NULL, 0) || !same(&env, &env2))
        abort();
    ac_buf_release(&again);
    return 0;
}
