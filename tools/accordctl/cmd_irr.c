/* cmd_irr.c - "accordctl irr FILE.csv": inter-rater reliability statistics of a
 * CSV of scores, computed locally (no node needed), as a table or as JSON. What
 * an issuer runs on a pilot validation or a benchmark scoring round. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "accord/stats/agreement.h"
#include "accord/base/buf.h"
#include "accord/base/error.h"
#include "accord/stats/irr_csv.h"
#include "cli.h"

struct irr_row {
    const char *key;   /* JSON name */
    const char *label; /* table label */
    struct ac_stat stat;
};

static void irr_usage(FILE *out, const char *prog)
{
    fprintf(out,
            "usage: %s irr FILE.csv [--scale LEVELS] [--level nominal|ordinal|interval|ratio] "
            "[--json]\n"
            "  FILE.csv  a row per item, a column per rater, an empty cell for a missing\n"
            "            rating, an optional header row of rater names; '-' reads stdin\n"
            "  --scale   the ordered levels, lowest first: a range such as 1-4, or names\n"
            "            such as \"not yet,almost there,pass,high pass\"; without it the\n"
            "            values must be whole numbers and the scale runs from min to max\n"
            "  --level   the level of measurement for Krippendorff's alpha (default: every\n"
            "            level that fits the scale)\n",
            prog);
}

static int read_all(const char *path, struct ac_buf *b)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return -errno;
    char chunk[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if ((rc = ac_buf_append(b, chunk, n)) < 0)
            break;
    if (rc == 0 && ferror(f))
        rc = AC_EIO;
    if (f != stdin)
        fclose(f);
    return rc;
}

static int parse_level(const char *s, enum ac_alpha_level *out)
{
    static const enum ac_alpha_level all[] = {AC_ALPHA_NOMINAL, AC_ALPHA_ORDINAL, AC_ALPHA_INTERVAL,
                                              AC_ALPHA_RATIO};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(s, ac_agreement_alpha_level_name(all[i])) == 0) {
            *out = all[i];
            return 0;
        }
    return -1;
}

/* Fills |rows| with every statistic that applies; returns how many, or a
 * negative AC_E* code. */
static int compute(const struct ac_irr_table *t, int have_level, enum ac_alpha_level level,
                   struct irr_row *rows)
{
    const struct ac_ratings *r = &t->ratings;
    int n = 0, rc;
    int ordered = !have_level || level != AC_ALPHA_NOMINAL;
#define ADD(k, l, call)                                                                            \
    do {                                                                                           \
        rows[n].key = (k);                                                                         \
        rows[n].label = (l);                                                                       \
        if ((rc = (call)) < 0)                                                                     \
            return rc;                                                                             \
        if (rows[n].stat.status != AC_STAT_NOT_APPLICABLE)                                         \
            n++;                                                                                   \
    } while (0)
    ADD("exact_agreement", "exact agreement", ac_agreement_pairwise(r, 0, &rows[n].stat));
    if (ordered)
        ADD("adjacent_agreement", "exact+adjacent agreement",
            ac_agreement_pairwise(r, 1, &rows[n].stat));
    ADD("cohen_kappa", "Cohen's kappa",
        ac_agreement_cohen_kappa(r, AC_KAPPA_UNWEIGHTED, &rows[n].stat));
    if (ordered) {
        ADD("cohen_kappa_linear", "weighted kappa (linear)",
            ac_agreement_cohen_kappa(r, AC_KAPPA_LINEAR, &rows[n].stat));
        ADD("cohen_kappa_quadratic", "weighted kappa (quadratic)",
            ac_agreement_cohen_kappa(r, AC_KAPPA_QUADRATIC, &rows[n].stat));
    }
    ADD("fleiss_kappa", "Fleiss' kappa", ac_agreement_fleiss_kappa(r, &rows[n].stat));
    if (have_level || !t->numeric) {
        static const enum ac_alpha_level named[] = {AC_ALPHA_NOMINAL, AC_ALPHA_ORDINAL};
        if (have_level) {
            ADD("krippendorff_alpha", "Krippendorff's alpha",
                ac_agreement_krippendorff_alpha(r, level, &rows[n].stat));
        } else {
            ADD("krippendorff_alpha_nominal", "Krippendorff's alpha (nominal)",
                ac_agreement_krippendorff_alpha(r, named[0], &rows[n].stat));
            ADD("krippendorff_alpha_ordinal", "Krippendorff's alpha (ordinal)",
                ac_agreement_krippendorff_alpha(r, named[1], &rows[n].stat));
        }
    } else {
        ADD("krippendorff_alpha_nominal", "Krippendorff's alpha (nominal)",
            ac_agreement_krippendorff_alpha(r, AC_ALPHA_NOMINAL, &rows[n].stat));
        ADD("krippendorff_alpha_ordinal", "Krippendorff's alpha (ordinal)",
            ac_agreement_krippendorff_alpha(r, AC_ALPHA_ORDINAL, &rows[n].stat));
        ADD("krippendorff_alpha_interval", "Krippendorff's alpha (interval)",
            ac_agreement_krippendorff_alpha(r, AC_ALPHA_INTERVAL, &rows[n].stat));
        ADD("krippendorff_alpha_ratio", "Krippendorff's alpha (ratio)",
            ac_agreement_krippendorff_alpha(r, AC_ALPHA_RATIO, &rows[n].stat));
    }
    ADD("gwet_ac1", "Gwet's AC1", ac_agreement_gwet_ac1(r, &rows[n].stat));
#undef ADD
    return n;
}

static void print_table(const char *path, const struct ac_irr_table *t, int have_level,
                        enum ac_alpha_level level, const struct irr_row *rows, int n)
{
    const struct ac_ratings *r = &t->ratings;
    printf("%s: %zu items, %zu raters%s\n", path, r->items, r->raters,
           t->has_header ? " (names from the header row)" : "");
    printf("scale: ");
    for (unsigned l = 0; l < r->levels; l++)
        printf("%s%s", l ? (t->numeric ? " " : ", ") : "", t->level_names[l]);
    printf(" (%u levels%s)\n", r->levels,
           t->inferred ? ", inferred from the smallest to the largest value; give --scale if the "
                         "rubric has more"
                       : "");
    if (have_level)
        printf("level of measurement for alpha: %s\n", ac_agreement_alpha_level_name(level));
    printf("\n%-34s %8s %7s %7s\n", "statistic", "value", "items", "pairs");
    for (int i = 0; i < n; i++) {
        const struct ac_stat *s = &rows[i].stat;
        if (s->status == AC_STAT_OK)
            printf("%-34s %8.4f %7zu %7zu\n", rows[i].label, s->value, s->items, s->pairs);
        else
            printf("%-34s %8s %7zu %7zu  (%s)\n", rows[i].label, "undef", s->items, s->pairs,
                   s->why);
    }
    printf("\npairs: rater pairs, or pairable values for Krippendorff's alpha\n");
}

static int print_json(const char *path, const struct ac_irr_table *t, const struct irr_row *rows,
                      int n)
{
    const struct ac_ratings *r = &t->ratings;
    json_t *root = json_object(), *levels = json_array(), *raters = json_array(),
           *stats = json_object();
    if (!root || !levels || !raters || !stats) {
        json_decref(root);
        json_decref(levels);
        json_decref(raters);
        json_decref(stats);
        return AC_ENOMEM;
    }
    for (unsigned l = 0; l < r->levels; l++)
        json_array_append_new(levels, json_string(t->level_names[l]));
    for (size_t f = 0; f < r->raters; f++)
        json_array_append_new(raters, json_string(t->rater_names[f]));
    json_object_set_new(root, "file", json_string(path));
    json_object_set_new(root, "items", json_integer((json_int_t)r->items));
    json_object_set_new(root, "raters", raters);
    json_object_set_new(root, "levels", levels);
    json_object_set_new(root, "scale_inferred", json_boolean(t->inferred));
    for (int i = 0; i < n; i++) {
        const struct ac_stat *s = &rows[i].stat;
        json_t *o = json_object();
        if (!o)
            continue;
        if (s->status == AC_STAT_OK)
            json_object_set_new(o, "value", json_real(s->value));
        else {
            json_object_set_new(o, "value", json_null());
            json_object_set_new(o, "undefined", json_string(s->why));
        }
        json_object_set_new(o, "items", json_integer((json_int_t)s->items));
        json_object_set_new(o, "pairs", json_integer((json_int_t)s->pairs));
        json_object_set_new(stats, rows[i].key, o);
    }
    json_object_set_new(root, "statistics", stats);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
    json_decref(root);
    if (!text)
        return AC_ENOMEM;
    printf("%s\n", text);
    free(text);
    return 0;
}

int cmd_irr(const struct cli *cli, int argc, char **argv)
{
    const char *path = NULL, *scale = NULL, *level_name = NULL;
    int json = cli->json;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0)
            json = 1;
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            irr_usage(stdout, cli->prog);
            return CLI_OK;
        } else if (strncmp(a, "--scale=", 8) == 0)
            scale = a + 8;
        else if (strcmp(a, "--scale") == 0 && i + 1 < argc)
            scale = argv[++i];
        else if (strncmp(a, "--level=", 8) == 0)
            level_name = a + 8;
        else if (strcmp(a, "--level") == 0 && i + 1 < argc)
            level_name = argv[++i];
        else if (a[0] == '-' && a[1] != 0) {
            fprintf(stderr, "%s irr: unknown or incomplete option '%s'\n", cli->prog, a);
            irr_usage(stderr, cli->prog);
            return CLI_USAGE;
        } else if (!path)
            path = a;
        else {
            fprintf(stderr, "%s irr: one FILE.csv only ('%s' is a second)\n", cli->prog, a);
            return CLI_USAGE;
        }
    }
    if (!path) {
        irr_usage(stderr, cli->prog);
        return CLI_USAGE;
    }
    enum ac_alpha_level level = AC_ALPHA_ORDINAL;
    if (level_name && parse_level(level_name, &level) < 0) {
        fprintf(stderr, "%s irr: --level: \"%s\" is not one of nominal, ordinal, interval, ratio\n",
                cli->prog, level_name);
        return CLI_USAGE;
    }
    struct ac_buf data = AC_BUF_INIT;
    int rc = read_all(path, &data);
    if (rc < 0) {
        fprintf(stderr, "%s: cannot read: %s\n", path, ac_strerror(rc));
        ac_buf_release(&data);
        return CLI_REFUSED;
    }
    struct ac_irr_table *t = NULL;
    struct ac_irr_error err = {0, 0, ""};
    rc = ac_irr_csv_parse((const char *)data.data, data.len, scale, &t, &err);
    ac_buf_release(&data);
    if (rc == AC_EINVAL) {
        fprintf(stderr, "%s irr: %s\n", cli->prog, err.message);
        return CLI_USAGE;
    }
    if (rc < 0) {
        if (err.line && err.column)
            fprintf(stderr, "%s:%zu: column %zu: %s\n", path, err.line, err.column, err.message);
        else if (err.line)
            fprintf(stderr, "%s:%zu: %s\n", path, err.line, err.message);
        else
            fprintf(stderr, "%s: %s\n", path, err.message[0] ? err.message : ac_strerror(rc));
        return CLI_REFUSED;
    }
    struct irr_row rows[16];
    int n = compute(t, level_name != NULL, level, rows);
    if (n < 0) {
        fprintf(stderr, "%s: %s\n", path, ac_strerror(n));
        ac_irr_table_free(t);
        return CLI_REFUSED;
    }
    if (json)
        rc = print_json(path, t, rows, n);
    else
        print_table(path, t, level_name != NULL, level, rows, n);
    ac_irr_table_free(t);
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", path, ac_strerror(rc));
        return CLI_REFUSED;
    }
    return CLI_OK;
}
