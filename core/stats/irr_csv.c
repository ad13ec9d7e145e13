/* irr_csv.c - turns a CSV of scores into a ratings matrix on a given or inferred
 * scale (see include/accord/irr_csv.h). */
#include "accord/stats/irr_csv.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/array.h"
#include "accord/base/error.h"

struct field {
    char *text; /* owned, trimmed, NUL-terminated */
    size_t line;
};

struct record {
    struct field *fields;
    size_t n, cap;
};

struct records {
    struct record *rows;
    size_t n, cap;
};

struct scale {
    char **names;
    double *values; /* NULL for named levels */
    unsigned levels;
    long lo; /* first value of a numeric range */
};

static int fail(struct ac_irr_error *err, int code, size_t line, size_t column, const char *fmt,
                ...) __attribute__((format(printf, 5, 6)));

static int fail(struct ac_irr_error *err, int code, size_t line, size_t column, const char *fmt,
                ...)
{
    if (err) {
        err->line = line;
        err->column = column;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

static void records_free(struct records *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        for (size_t j = 0; j < rs->rows[i].n; j++)
            free(rs->rows[i].fields[j].text);
        free(rs->rows[i].fields);
    }
    free(rs->rows);
    rs->rows = NULL;
    rs->n = rs->cap = 0;
}

static void scale_free(struct scale *s)
{
    for (unsigned i = 0; s->names && i < s->levels; i++)
        free(s->names[i]);
    free(s->names);
    free(s->values);
    s->names = NULL;
    s->values = NULL;
}

/* Copies |len| bytes without leading and trailing ASCII whitespace. */
static char *trimmed_copy(const char *p, size_t len)
{
    while (len && isspace((unsigned char)*p)) {
        p++;
        len--;
    }
    while (len && isspace((unsigned char)p[len - 1]))
        len--;
    char *s = malloc(len + 1);
    if (s) {
        memcpy(s, p, len);
        s[len] = 0;
    }
    return s;
}

static int add_field(struct record *r, const char *p, size_t len, size_t line)
{
    if (ac_array_grow((void **)&r->fields, &r->cap, r->n + 1, sizeof *r->fields) < 0)
        return AC_ENOMEM;
    char *t = trimmed_copy(p, len);
    if (!t)
        return AC_ENOMEM;
    r->fields[r->n].text = t;
    r->fields[r->n].line = line;
    r->n++;
    return 0;
}

/* Splits |data| into records of fields (RFC 4180 quoting, LF or CRLF). */
static int tokenize(const char *data, size_t len, struct records *rs, struct ac_irr_error *err)
{
    size_t i = 0, line = 1, cells = 0;
    struct record cur = {NULL, 0, 0};
    char *buf = NULL; /* unescaped text of a quoted field */
    int rc = 0;
    while (i <= len) {
        /* One field starting at |i|. */
        size_t fline = line, start = i;
        while (i < len && (data[i] == ' ' || data[i] == '\t'))
            i++;
        if (i < len && data[i] == '"') {
            size_t blen = 0, qline = line, qcol = cur.n + 1;
            free(buf);
            buf = malloc(len - i + 1);
            if (!buf) {
                rc = AC_ENOMEM;
                goto out;
            }
            i++;
            for (;;) {
                if (i >= len) {
                    rc = fail(err, AC_EPARSE, qline, qcol, "quoted cell is never closed");
                    goto out;
                }
                if (data[i] == '"') {
                    if (i + 1 < len && data[i + 1] == '"') {
                        buf[blen++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                if (data[i] == '\n')
                    line++;
                buf[blen++] = data[i++];
            }
            while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r'))
                i++;
            if (i < len && data[i] != ',' && data[i] != '\n') {
                rc = fail(err, AC_EPARSE, line, qcol,
                          "text after a closing quote; a quote inside a cell is written \"\"");
                goto out;
            }
            rc = add_field(&cur, buf, blen, fline);
        } else {
            while (i < len && data[i] != ',' && data[i] != '\n') {
                if (data[i] == 0) {
                    rc = fail(err, AC_EPARSE, line, cur.n + 1, "NUL byte in a cell");
                    goto out;
                }
                i++;
            }
            rc = add_field(&cur, data + start, i - start, fline);
        }
        if (rc < 0)
            goto out;
        if (++cells > AC_IRR_MAX_CELLS || cur.n > AC_IRR_MAX_RATERS) {
            rc = fail(err, AC_E2BIG, line, cur.n, "more than %d cells or %d columns",
                      AC_IRR_MAX_CELLS, AC_IRR_MAX_RATERS);
            goto out;
        }
        if (i < len && data[i] == ',') {
            i++;
            continue;
        }
        /* End of record: a newline or the end of the input. */
        int blank = 1;
        for (size_t f = 0; f < cur.n; f++)
            blank = blank && cur.fields[f].text[0] == 0;
        if (blank) {
            for (size_t f = 0; f < cur.n; f++)
                free(cur.fields[f].text);
            cur.n = 0;
        } else {
            if (ac_array_grow((void **)&rs->rows, &rs->cap, rs->n + 1, sizeof *rs->rows) < 0) {
                rc = AC_ENOMEM;
                goto out;
            }
            rs->rows[rs->n++] = cur;
            cur.fields = NULL;
            cur.n = cur.cap = 0;
        }
        if (i >= len)
            break;
        i++; /* the newline */
        line++;
    }
out:
    free(buf);
    for (size_t f = 0; f < cur.n; f++)
        free(cur.fields[f].text);
    free(cur.fields);
    return rc;
}

static int parse_long(const char *s, long *out)
{
    if (!*s)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || isspace((unsigned char)*s))
        return -1;
    *out = v;
    return 0;
}

/* Parses a scale specification: "LO-HI" or "name,name,...". */
static int scale_parse(const char *spec, struct scale *s, struct ac_irr_error *err)
{
    memset(s, 0, sizeof *s);
    long lo, hi;
    const char *dash = strchr(spec + (spec[0] == '-'), '-');
    if (!strchr(spec, ',') && dash) {
        char *a = trimmed_copy(spec, (size_t)(dash - spec));
        char *b = trimmed_copy(dash + 1, strlen(dash + 1));
        int ok = a && b && parse_long(a, &lo) == 0 && parse_long(b, &hi) == 0;
        free(a);
        free(b);
        if (ok) {
            if (hi <= lo || hi - lo + 1 > AC_AGREEMENT_MAX_LEVELS)
                return fail(err, AC_EINVAL, 0, 0,
                            "--scale: \"%s\" must run from a lower to a higher whole number "
                            "with at most %d levels",
                            spec, AC_AGREEMENT_MAX_LEVELS);
            s->levels = (unsigned)(hi - lo + 1);
            s->lo = lo;
            s->names = calloc(s->levels, sizeof *s->names);
            s->values = calloc(s->levels, sizeof *s->values);
            if (!s->names || !s->values)
                return AC_ENOMEM;
            for (unsigned l = 0; l < s->levels; l++) {
                char tmp[32];
                snprintf(tmp, sizeof tmp, "%ld", lo + (long)l);
                s->values[l] = (double)(lo + (long)l);
                if (!(s->names[l] = strdup(tmp)))
                    return AC_ENOMEM;
            }
            return 0;
        }
    }
    if (!strchr(spec, ','))
        return fail(err, AC_EINVAL, 0, 0,
                    "--scale: \"%s\" is neither a range like 1-4 nor a comma-separated list "
                    "of levels, lowest first",
                    spec);
    size_t n = 1;
    for (const char *p = spec; *p; p++)
        n += *p == ',';
    if (n > AC_AGREEMENT_MAX_LEVELS)
        return fail(err, AC_EINVAL, 0, 0, "--scale: more than %d levels", AC_AGREEMENT_MAX_LEVELS);
    s->names = calloc(n, sizeof *s->names);
    if (!s->names)
        return AC_ENOMEM;
    const char *p = spec;
    for (size_t l = 0; l < n; l++) {
        const char *c = strchr(p, ',');
        size_t flen = c ? (size_t)(c - p) : strlen(p);
        if (!(s->names[l] = trimmed_copy(p, flen)))
            return AC_ENOMEM;
        s->levels = (unsigned)l + 1;
        if (!s->names[l][0])
            return fail(err, AC_EINVAL, 0, 0, "--scale: level %zu is empty", l + 1);
        for (size_t e = 0; e < l; e++)
            if (strcasecmp(s->names[e], s->names[l]) == 0)
                return fail(err, AC_EINVAL, 0, 0,
                            "--scale: \"%s\" appears twice; level names must be unique",
                            s->names[l]);
        p = c ? c + 1 : p + flen;
    }
    return 0;
}

/* The level index of |text| on |s|, or -1. */
static int scale_lookup(const struct scale *s, const char *text)
{
    if (s->values) {
        long v;
        if (parse_long(text, &v) < 0 || v < s->lo || v - s->lo >= (long)s->levels)
            return -1;
        return (int)(v - s->lo);
    }
    for (unsigned l = 0; l < s->levels; l++)
        if (strcasecmp(s->names[l], text) == 0)
            return (int)l;
    return -1;
}

/* A cell is valid when it is empty or on the scale (or, with no scale, a whole
 * number). */
static int valid_cell(const struct scale *s, int have_scale, const char *text)
{
    long v;
    if (!text[0])
        return 1;
    return have_scale ? scale_lookup(s, text) >= 0 : parse_long(text, &v) == 0;
}

static void describe_scale(const struct scale *s, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = 0;
    if (s->values) {
        snprintf(out, cap, "%s to %s", s->names[0], s->names[s->levels - 1]);
        return;
    }
    for (unsigned l = 0; l < s->levels && used + 1 < cap; l++) {
        int w = snprintf(out + used, cap - used, "%s%s", l ? ", " : "", s->names[l]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

int ac_irr_csv_parse(const char *data, size_t len, const char *scale_spec,
                     struct ac_irr_table **out, struct ac_irr_error *err)
{
    struct records rs = {NULL, 0, 0};
    struct scale sc;
    memset(&sc, 0, sizeof sc);
    struct ac_irr_table *t = NULL;
    int rc;
    if (!out || (!data && len))
        return AC_EINVAL;
    if (scale_spec && (rc = scale_parse(scale_spec, &sc, err)) < 0)
        goto fail;
    if ((rc = tokenize(data ? data : "", len, &rs, err)) < 0)
        goto fail;
    int have_scale = scale_spec != NULL;
    size_t first = 0;
    int header = 0;
    if (rs.n > 0)
        for (size_t f = 0; f < rs.rows[0].n && !header; f++)
            header = !valid_cell(&sc, have_scale, rs.rows[0].fields[f].text);
    first = header ? 1 : 0;
    if (rs.n <= first) {
        rc = fail(err, AC_EPARSE, rs.n ? rs.rows[0].fields[0].line : 1, 0,
                  "no rows of ratings (a row per item, a column per rater)");
        goto fail;
    }
    size_t raters = 0;
    for (size_t i = 0; i < rs.n; i++)
        if (rs.rows[i].n > raters)
            raters = rs.rows[i].n;
    size_t items = rs.n - first;
    if (items * raters > AC_IRR_MAX_CELLS) {
        rc = fail(err, AC_E2BIG, 0, 0, "more than %d cells", AC_IRR_MAX_CELLS);
        goto fail;
    }
    /* Check every cell, inferring the range when no scale was given. */
    long lo = LONG_MAX, hi = LONG_MIN;
    char scale_text[200];
    if (have_scale)
        describe_scale(&sc, scale_text, sizeof scale_text);
    for (size_t i = first; i < rs.n; i++)
        for (size_t f = 0; f < rs.rows[i].n; f++) {
            const struct field *fd = &rs.rows[i].fields[f];
            long v;
            if (!fd->text[0])
                continue;
            if (have_scale) {
                if (scale_lookup(&sc, fd->text) < 0) {
                    rc = fail(err, AC_EPARSE, fd->line, f + 1, "\"%.60s\" is not on the scale (%s)",
                              fd->text, scale_text);
                    goto fail;
                }
            } else if (parse_long(fd->text, &v) < 0) {
                rc =
                    fail(err, AC_EPARSE, fd->line, f + 1,
                         "\"%.60s\" is not a whole number; name the levels with --scale", fd->text);
                goto fail;
            } else {
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
            }
        }
    if (!have_scale) {
        if (lo > hi) {
            rc = fail(err, AC_EPARSE, rs.rows[first].fields[0].line, 0, "every rating is missing");
            goto fail;
        }
        if ((unsigned long)hi - (unsigned long)lo >= AC_AGREEMENT_MAX_LEVELS) {
            rc = fail(err, AC_EPARSE, 0, 0,
                      "values run from %ld to %ld, more than %d levels; give --scale", lo, hi,
                      AC_AGREEMENT_MAX_LEVELS);
            goto fail;
        }
        sc.levels = (unsigned)(hi - lo + 1);
        sc.lo = lo;
        sc.names = calloc(sc.levels, sizeof *sc.names);
        sc.values = calloc(sc.levels, sizeof *sc.values);
        if (!sc.names || !sc.values) {
            rc = AC_ENOMEM;
            goto fail;
        }
        for (unsigned l = 0; l < sc.levels; l++) {
            char tmp[32];
            snprintf(tmp, sizeof tmp, "%ld", lo + (long)l);
            sc.values[l] = (double)(lo + (long)l);
            if (!(sc.names[l] = strdup(tmp))) {
                rc = AC_ENOMEM;
                goto fail;
            }
        }
    }
    t = calloc(1, sizeof *t);
    if (!t) {
        rc = AC_ENOMEM;
        goto fail;
    }
    t->has_header = header;
    t->inferred = !have_scale;
    t->numeric = sc.values != NULL;
    size_t ncells = items * raters;
    t->cells_owned = malloc((ncells > 0 ? ncells : 1) * sizeof *t->cells_owned);
    t->rater_names = calloc(raters ? raters : 1, sizeof *t->rater_names);
    if (!t->cells_owned || !t->rater_names) {
        rc = AC_ENOMEM;
        goto fail;
    }
    t->ratings.raters = raters; /* so the failure path frees every name made */
    for (size_t i = 0; i < items; i++) {
        const struct record *row = &rs.rows[first + i];
        for (size_t f = 0; f < raters; f++) {
            const char *text = f < row->n ? row->fields[f].text : "";
            t->cells_owned[i * raters + f] = text[0] ? scale_lookup(&sc, text) : AC_RATING_MISSING;
        }
    }
    for (size_t f = 0; f < raters; f++) {
        const char *name = header && f < rs.rows[0].n ? rs.rows[0].fields[f].text : "";
        char tmp[32];
        if (!name[0]) {
            snprintf(tmp, sizeof tmp, "rater %zu", f + 1);
            name = tmp;
        }
        if (!(t->rater_names[f] = strdup(name))) {
            rc = AC_ENOMEM;
            goto fail;
        }
    }
    t->level_names = sc.names;
    t->values_owned = sc.values;
    t->ratings.items = items;
    t->ratings.raters = raters;
    t->ratings.cells = t->cells_owned;
    t->ratings.levels = sc.levels;
    t->ratings.level_values = sc.values;
    records_free(&rs);
    *out = t;
    return 0;
fail:
    if (t) {
        for (size_t f = 0; t->rater_names && f < t->ratings.raters; f++)
            free(t->rater_names[f]);
        free(t->rater_names);
        free(t->cells_owned);
        free(t);
    }
    scale_free(&sc);
    records_free(&rs);
    return rc;
}

void ac_irr_table_free(struct ac_irr_table *t)
{
    if (!t)
        return;
    for (unsigned l = 0; t->level_names && l < t->ratings.levels; l++)
        free(t->level_names[l]);
    free(t->level_names);
    for (size_t f = 0; t->rater_names && f < t->ratings.raters; f++)
        free(t->rater_names[f]);
    free(t->rater_names);
    free(t->cells_owned);
    free(t->values_owned);
    free(t);
}
