/* fuzz_checkpoint.c - feeds arbitrary bytes to the signed-note verifier and
 * the checkpoint body parser, which take text from other logs and witnesses. */
#include <stdint.h>
#include <string.h>

#include "accord/records/checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The Go reference example key (golang.org/x/mod/sumdb/note), so corpus
     * notes signed by it reach the signature check. */
    static const char vkey[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    struct ac_note_verifier v;
    if (ac_note_verifier_parse(vkey, &v) != 0)
        __builtin_trap();
    const char *text = (const char *)data;
    size_t text_len;
    char why[AC_NOTE_WHY_MAX];
    if (ac_note_verify(text, size, &v, 1, &text_len, why, sizeof why) == 0 && text_len >= size)
        __builtin_trap(); /* the text is a strict prefix of the note */

    struct ac_checkpoint cp;
    if (ac_checkpoint_parse(text, size, &cp, why, sizeof why) == 0) {
        /* What parses must format back to the same bytes. */
        struct ac_buf out = AC_BUF_INIT;
        if (ac_checkpoint_format(&cp, &out) != 0 || out.len != size || memcmp(out.data, data, size))
            __builtin_trap();
        ac_buf_release(&out);
        ac_checkpoint_release(&cp);
    }
    if (ac_checkpoint_open(text, size, &v, 1, NULL, &cp, why, sizeof why) == 0)
        ac_checkpoint_release(&cp);
    return 0;
}
