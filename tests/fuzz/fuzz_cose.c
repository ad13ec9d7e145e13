/* fuzz_cose.c - fuzz target for the strict COSE_Sign1 parser: any input is
 * refused with a reason, or parses into fields that lie inside the input and
 * whose Sig_structure can be built and checked against a key. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/sign/cose.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int inside(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
    return p >= data && n <= size && (size_t)(p - data) <= size - n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        if (sodium_init() < 0)
            abort();
        ready = 1;
    }
    struct ac_cose_sign1 msg;
    char why[AC_COSE_WHY_LEN];
    if (ac_cose_sign1_parse(data, size, &msg, why, sizeof(why))) {
        if (why[0] == '\0')
            abort(); /* every refusal carries a reason */
        return 0;
    }
    if (!inside(msg.protected_hdr, msg.protected_len, data, size) ||
        !inside(msg.payload, msg.payload_len, data, size) ||
        !inside(msg.signature, msg.signature_len, data, size) || msg.signature_len != 64 ||
        (msg.kid && !inside(msg.kid, msg.kid_len, data, size)))
        abort();
    struct ac_buf tbs = AC_BUF_INIT;
    if (ac_cose_sig_structure(&msg, &tbs) == 0)
        ac_buf_release(&tbs);
    static const uint8_t key[32] = {0xd7, 0x5a, 0x98, 0x01}; /* arbitrary */
    (void)ac_cose_sign1_verify(&msg, key);
    return 0;
}
