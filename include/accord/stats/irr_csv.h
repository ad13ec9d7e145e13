/* irr_csv.h - reads a CSV of scores (a row per item, a column per rater, an
 * empty cell for a missing rating, an optional header row of rater names) into
 * a ratings matrix on a given or inferred scale, for the agreement statistics of
 * agreement.h. Parses bytes already in memory: no I/O. */
#ifndef AC_IRR_CSV_H
#define AC_IRR_CSV_H

#include <stddef.h>

#include "accord/stats/agreement.h"

/* Limits that keep a hostile file from costing unbounded memory. */
#define AC_IRR_MAX_RATERS 10000
#define AC_IRR_MAX_CELLS 20000000

struct ac_irr_table {
    /* The matrix; its cells and level_values point into this table. */
    struct ac_ratings ratings;
    char **level_names; /* ratings.levels names, lowest first */
    char **rater_names; /* ratings.raters names: the header's, or "rater N" */
    int has_header;     /* the first row held rater names */
    int inferred;       /* no scale was given: whole numbers, levels = min..max */
    int numeric;        /* levels are numbers (a range or inferred), so level_values is set */
    int *cells_owned;
    double *values_owned;
};

/* Where and why the input was refused. |line| is 1-based (0 when the problem is
 * the scale specification itself); |column| is 1-based (0 when not about a cell). */
struct ac_irr_error {
    size_t line;
    size_t column;
    char message[256];
};

/* Parses |len| bytes of CSV at |data| (borrowed). |scale| is NULL to infer a
 * whole-number scale from the smallest to the largest value, "LO-HI" for a range
 * of whole numbers (e.g. "1-4"), or a comma-separated list of level names lowest
 * first (e.g. "not yet,almost there,pass,high pass"; matched without regard to
 * ASCII case or surrounding spaces). The first row is a header when any of its
 * non-empty cells is not a valid value. Rows shorter than the widest row have
 * missing ratings at the end; blank lines are skipped.
 * On 0 sets |*out| to a table the caller frees with ac_irr_table_free(). On
 * failure fills |*err| (if not NULL) and returns AC_EINVAL (bad scale
 * specification), AC_EPARSE (bad CSV or a value not on the scale), AC_E2BIG (over
 * a limit above) or AC_ENOMEM. */
int ac_irr_csv_parse(const char *data, size_t len, const char *scale, struct ac_irr_table **out,
                     struct ac_irr_error *err);

/* Frees |t|; NULL is a no-op. */
void ac_irr_table_free(struct ac_irr_table *t);

#endif
