/* cmd_borrowed.c - `accordctl borrowed list|accept|decline|show|score`: a
 * reviewer's side of borrowed review on their own node: batches another
 * node offered them, accepted or declined before any content is shown, the
 * items of an accepted batch, and their scores (sent to the issuer signed). */
#include <stdio.h>
#include <string.h>

#include "lifecycle_cli.h"

int cmd_borrowed_list(const struct cli *cli, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    static const struct cli_column cols[] = {
        {"ID", "id"},       {"ISSUER", "issuer"},     {"CREDENTIAL", "credential"},
        {"STATE", "state"}, {"DEADLINE", "deadline"}, {"REASON", "reason"}};
    return lc_call(cli, "GET", "/v1/borrowed/batches", NULL, cols, sizeof cols / sizeof cols[0]);
}

static int with_id(const struct cli *cli, const char *what, const char *arg, const char *fmt,
                   const char *method, json_t *body)
{
    long long id;
    if (!arg || cli_parse_id(cli, what, arg, &id) != CLI_OK) {
        json_decref(body);
        return CLI_USAGE;
    }
    char path[96];
    snprintf(path, sizeof path, fmt, id);
    return lc_call(cli, method, path, body, NULL, 0);
}

int cmd_borrowed_accept(const struct cli *cli, int argc, char **argv)
{
    if (!lc_pos(argc, argv, 0))
        return lc_usage(cli, "borrowed accept BATCH");
    return with_id(cli, "lent batch", lc_pos(argc, argv, 0), "/v1/borrowed/batches/%lld/accept",
                   "POST", NULL);
}

int cmd_borrowed_decline(const struct cli *cli, int argc, char **argv)
{
    if (!lc_pos(argc, argv, 0))
        return lc_usage(cli, "borrowed decline BATCH");
    return with_id(cli, "lent batch", lc_pos(argc, argv, 0), "/v1/borrowed/batches/%lld/decline",
                   "POST", NULL);
}

int cmd_borrowed_show(const struct cli *cli, int argc, char **argv)
{
    if (!lc_pos(argc, argv, 0))
        return lc_usage(cli, "borrowed show ITEM");
    return with_id(cli, "lent item", lc_pos(argc, argv, 0), "/v1/borrowed/items/%lld", "GET", NULL);
}

int cmd_borrowed_score(const struct cli *cli, int argc, char **argv)
{
    const char *level = lc_opt(argc, argv, "--level"), *fb = lc_opt(argc, argv, "--feedback");
    if (!lc_pos(argc, argv, 0) || !level)
        return lc_usage(cli, "borrowed score ITEM --level L[,L]... [--feedback TEXT]");
    /* A per-element rubric takes one level per element, in the rubric's
     * order, given as a comma list (no level name has a comma). */
    json_t *body = NULL;
    if (strchr(level, ',')) {
        json_t *levels = json_array();
        for (const char *p = level; levels;) {
            const char *end = strchr(p, ',');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            if (json_array_append_new(levels, json_stringn(p, len)))
                json_decref(levels), levels = NULL;
            if (!end)
                break;
            p = end + 1;
        }
        body = levels ? json_pack("{s:o}", "levels", levels) : NULL;
    } else
        body = json_pack("{s:s}", "level", level);
    if (!body) {
        fprintf(stderr, "accordctl: out of memory\n");
        return CLI_REFUSED;
    }
    if (fb)
        json_object_set_new(body, "feedback", json_string(fb));
    return with_id(cli, "lent item", lc_pos(argc, argv, 0), "/v1/borrowed/items/%lld/score", "POST",
                   body);
}
