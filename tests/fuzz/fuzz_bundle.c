/* fuzz_bundle.c - feeds arbitrary bytes to the bundle decoder and, for what
 * decodes, the log check, the status token decoder, and the version 2 parts'
 * parsers (key hand-overs, cosignature lines), as accord-verify does with a
 * bundle a stranger hands over. */
#include <stdint.h>
#include <string.h>

#include "accord/records/bundle.h"
#include "accord/records/cosignature.h"
#include "accord/records/keyhistory.h"
#include "accord/records/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ac_bundle b;
    char why[AC_BUNDLE_WHY_MAX];
    if (ac_bundle_decode(data, size, &b, why, sizeof why) != 0)
        return 0;
    /* Re-encoding a strictly decoded bundle gives back the same bytes. */
    struct ac_buf out = AC_BUF_INIT;
    if (ac_bundle_encode(&b, &out) != 0 || out.len != size || memcmp(out.data, data, size) != 0)
        __builtin_trap();
    ac_buf_release(&out);
    /* Any key will do: the code paths up to the signature check are the point. */
    uint8_t pk[32] = {0};
    struct ac_note_verifier v;
    if (ac_note_verifier_init(&v, "accord.example/interop-log", pk) != 0)
        __builtin_trap();
    struct ac_checkpoint cp;
    if (ac_bundle_verify_log(&b, &v, 1, NULL, &cp, why, sizeof why) == 0)
        ac_checkpoint_release(&cp);
    struct ac_status_token t;
    if (ac_status_token_open(b.status, b.status_len, pk, &t, why, sizeof why) == 0)
        ac_status_token_release(&t);
    uint8_t kid[AC_STATUS_TOKEN_KID_MAX];
    size_t kid_len;
    (void)ac_status_token_kid(b.status, b.status_len, kid, &kid_len);
    for (size_t i = 0; i < b.nkeys; i++) {
        struct ac_key_handover h;
        if (ac_key_handover_parse(b.keys[i].data, b.keys[i].len, &h, why, sizeof why) == 0)
            (void)ac_key_handover_verify(&h, pk);
    }
    struct ac_cosig_witness w;
    if (ac_cosig_witness_init(&w, "b.example", pk) != 0)
        __builtin_trap();
    for (size_t i = 0; i < b.ncosigs; i++) {
        struct ac_cosig_line l;
        if (ac_cosig_line_parse((const char *)b.cosigs[i].data, b.cosigs[i].len, &l, why,
                                sizeof why) == 0)
            (void)ac_cosig_verify(&l, &w, b.checkpoint, b.checkpoint_len);
    }
    return 0;
}
