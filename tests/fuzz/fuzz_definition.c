/* fuzz_definition.c - fuzzes the credential definition reader: any input gets
 * a definition or a list of problems, never a crash, and every definition it
 * accepts survives a write/read round trip with the same content hash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accord/review/definition.h"
#include "accord/base/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ac_def_problems pr = {0};
    struct ac_definition *d = NULL;
    int r = ac_def_from_json((const char *)data, size, &d, &pr);
    if (r == 0 && pr.n != 0)
        abort(); /* success must come with no problems */
    if (r != 0 && r != AC_ENOMEM && pr.n == 0)
        abort(); /* every refusal must say why */
    char *json = NULL;
    if (ac_def_problems_to_json(&pr, &json) == 0)
        free(json);
    ac_def_problems_release(&pr);
    if (r != 0)
        return 0;

    uint8_t h1[AC_DEF_HASH_LEN], h2[AC_DEF_HASH_LEN];
    if (ac_def_hash(d, h1) != 0 || ac_def_to_json(d, false, &json) != 0)
        abort();
    struct ac_definition *again = NULL;
    r = ac_def_from_json(json, strlen(json), &again, &pr);
    if (r != 0 || ac_def_hash(again, h2) != 0 || memcmp(h1, h2, sizeof(h1)) != 0)
        abort(); /* what we write we must read back to the same content */
    free(json);
    ac_def_problems_release(&pr);
    ac_def_free(again);
    ac_def_free(d);
    return 0;
}
