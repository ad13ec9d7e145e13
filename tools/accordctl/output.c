/* output.c - accordctl's readable output: tables whose long cells wrap onto
 * further lines instead of being cut, objects printed member by member with
 * nested lists in full, and numbers as a person writes them (0.3, not
 * 0.29999999999999999). --json output is not touched here. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The widest a table column grows before its cells wrap. */
#define COLUMN_MAX 48

/* Writes |d| with the fewest significant digits that read back as |d|. */
static void print_real(FILE *f, double d)
{
    char text[40];
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(text, sizeof text, "%.*g", digits, d);
        if (strtod(text, NULL) == d)
            break;
    }
    fputs(text, f);
}

/* Writes a compact JSON form of |v| with readable numbers (a nested object
 * or array in a table cell). */
static void print_compact(FILE *f, const json_t *v)
{
    size_t i;
    const char *key;
    json_t *e;
    if (json_is_object(v)) {
        fputc('{', f);
        i = 0;
        json_object_foreach((json_t *)v, key, e)
        {
            json_t *name = json_string(key);
            char *k = json_dumps(name, JSON_ENCODE_ANY | JSON_COMPACT);
            json_decref(name);
            fprintf(f, "%s%s:", i++ ? "," : "", k ? k : "\"?\"");
            free(k);
            print_compact(f, e);
        }
        fputc('}', f);
    } else if (json_is_array(v)) {
        fputc('[', f);
        json_array_foreach(v, i, e)
        {
            if (i)
                fputc(',', f);
            print_compact(f, e);
        }
        fputc(']', f);
    } else if (json_is_real(v)) {
        print_real(f, json_real_value(v));
    } else {
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        fputs(s ? s : "?", f);
        free(s);
    }
}

/* Writes the readable form of a scalar or list |v|. */
static void print_cell(FILE *f, const json_t *v)
{
    if (!v || json_is_null(v)) {
        fputc('-', f);
    } else if (json_is_string(v)) {
        fputs(json_string_value(v), f);
    } else if (json_is_integer(v)) {
        fprintf(f, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        print_real(f, json_real_value(v));
    } else if (json_is_boolean(v)) {
        fputs(json_is_true(v) ? "yes" : "no", f);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            if (i)
                fputc(',', f);
            if (json_is_object(e) || json_is_array(e))
                print_compact(f, e);
            else
                print_cell(f, e);
        }
    } else {
        print_compact(f, v);
    }
}

/* Sets |*out| to the readable form of |v| (the caller frees), never NULL. */
static char *cell_text(const json_t *v)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return strdup("?");
    print_cell(f, v);
    fclose(f);
    return text ? text : strdup("?");
}

void cli_print_table(const json_t *items, const struct cli_column *cols, size_t ncols)
{
    size_t width[16] = {0};
    if (ncols > 16)
        ncols = 16;
    for (size_t c = 0; c < ncols; c++)
        width[c] = strlen(cols[c].heading);
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item)
    {
        for (size_t c = 0; c < ncols; c++) {
            char *t = cell_text(json_object_get(item, cols[c].key));
            size_t len = t ? strlen(t) : 0;
            if (len > width[c])
                width[c] = len < COLUMN_MAX ? len : COLUMN_MAX;
            free(t);
        }
    }
    for (size_t c = 0; c < ncols; c++)
        printf("%-*s%s", c + 1 < ncols ? (int)width[c] : 0, cols[c].heading,
               c + 1 < ncols ? "  " : "\n");
    json_array_foreach(items, i, item)
    {
        char *text[16] = {0};
        size_t done[16] = {0}, len[16] = {0};
        for (size_t c = 0; c < ncols; c++) {
            text[c] = cell_text(json_object_get(item, cols[c].key));
            len[c] = text[c] ? strlen(text[c]) : 0;
        }
        /* One printed line per pass; a cell longer than its column goes on
         * in the same column on the next line. */
        for (int more = 1; more;) {
            more = 0;
            for (size_t c = 0; c < ncols; c++) {
                size_t take = len[c] - done[c] < width[c] ? len[c] - done[c] : width[c];
                /* Break after the last space that fits, not inside a word. */
                if (done[c] + take < len[c]) {
                    size_t at = take;
                    while (at > 0 && text[c][done[c] + at - 1] != ' ')
                        at--;
                    if (at > 0)
                        take = at;
                }
                if (c + 1 == ncols)
                    printf("%.*s\n", (int)take, text[c] ? text[c] + done[c] : "");
                else
                    printf("%-*.*s  ", (int)width[c], (int)take,
                           text[c] ? text[c] + done[c] : "");
                done[c] += take;
                more |= done[c] < len[c];
            }
        }
        for (size_t c = 0; c < ncols; c++)
            free(text[c]);
    }
}

static void print_members(const json_t *obj, int indent);

/* Prints list |arr| under its heading: scalars on one line, a list of
 * objects as one "-" entry per object with its members below, in full. */
static void print_list(const char *key, const json_t *arr, int indent)
{
    size_t i;
    json_t *e;
    int nested = 0;
    json_array_foreach(arr, i, e) nested |= json_is_object(e) || json_is_array(e);
    if (!nested) {
        char *t = cell_text(arr);
        printf("%*s%s: %s\n", indent, "", key, t ? t : "?");
        free(t);
        return;
    }
    printf("%*s%s:\n", indent, "", key);
    json_array_foreach(arr, i, e)
    {
        if (json_is_object(e)) {
            printf("%*s- #%zu\n", indent + 2, "", i + 1);
            print_members(e, indent + 4);
        } else {
            char *t = cell_text(e);
            printf("%*s- %s\n", indent + 2, "", t ? t : "?");
            free(t);
        }
    }
}

static void print_members(const json_t *obj, int indent)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        if (json_is_object(v)) {
            printf("%*s%s:\n", indent, "", key);
            print_members(v, indent + 2);
        } else if (json_is_array(v)) {
            print_list(key, v, indent);
        } else {
            char *t = cell_text(v);
            printf("%*s%s: %s\n", indent, "", key, t ? t : "?");
            free(t);
        }
    }
}

void cli_print_object(const json_t *obj)
{
    print_members(obj, 0);
}
