/* fuzz_irr_csv.c - fuzzes core/irr_csv.c and runs every agreement statistic on
 * whatever it accepts: the first input byte picks the scale specification. */
#include <stddef.h>
#include <stdint.h>

#include "accord/stats/agreement.h"
#include "accord/stats/irr_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *scales[] = {NULL, "1-4", "not yet,almost there,pass,high pass", "0-1"};
    const char *scale = size ? scales[data[0] % 4] : NULL;
    struct ac_irr_table *t = NULL;
    struct ac_irr_error err;
    if (ac_irr_csv_parse((const char *)data + (size ? 1 : 0), size ? size - 1 : 0, scale, &t,
                         &err) != 0)
        return 0;
    struct ac_stat s;
    ac_agreement_pairwise(&t->ratings, 1, &s);
    ac_agreement_cohen_kappa(&t->ratings, AC_KAPPA_QUADRATIC, &s);
    ac_agreement_fleiss_kappa(&t->ratings, &s);
    ac_agreement_gwet_ac1(&t->ratings, &s);
    for (int l = AC_ALPHA_NOMINAL; l <= AC_ALPHA_RATIO; l++)
        ac_agreement_krippendorff_alpha(&t->ratings, (enum ac_alpha_level)l, &s);
    ac_irr_table_free(t);
    return 0;
}
