/* cmd_expert.c - `accordctl expert ...`: an expert's own pilot and benchmark
 * assignments, independent scores, and conference resolution of conflicts. */
#include <stdio.h>
#include <string.h>

#include "lifecycle_cli.h"

static const struct cli_column task_columns[] = {
    {"ID", "submission_id"}, {"ITEM", "item_id"},      {"CREDENTIAL", "credential"},
    {"LABEL", "label"},      {"MY LEVEL", "my_level"},
};

int cmd_expert_tasks(const struct cli *cli, int argc, char **argv)
{
    const char *what = lc_pos(argc, argv, 0);
    if (!what || (strcmp(what, "pilot") != 0 && strcmp(what, "benchmark") != 0))
        return lc_usage(cli, "expert tasks pilot|benchmark");
    return lc_call(cli, "GET",
                   what[0] == 'p' ? "/v1/pilot/assignments?limit=200"
                                  : "/v1/benchmarks/assignments?limit=200",
                   NULL, task_columns, 5);
}

int cmd_expert_score(const struct cli *cli, int argc, char **argv)
{
    const char *what = lc_pos(argc, argv, 0), *id = lc_pos(argc, argv, 1);
    const char *level = lc_pos(argc, argv, 2), *notes = lc_opt(argc, argv, "--notes");
    long long n;
    if (!what || !id || !level || (strcmp(what, "pilot") != 0 && strcmp(what, "benchmark") != 0) ||
        (notes && what[0] != 'p'))
        return lc_usage(cli, "expert score pilot ID LEVEL [--notes TEXT] | benchmark ID LEVEL");
    if (cli_parse_id(cli, "ID", id, &n))
        return CLI_USAGE;
    char path[128];
    snprintf(
        path, sizeof path,
        what[0] == 'p' ? "/v1/pilot/submissions/%lld/score" : "/v1/benchmarks/items/%lld/score", n);
    json_t *body = json_pack("{s:s}", "level", level);
    /* Notes for the issuer, kept beside a pilot score (docs/api-lifecycle.md). */
    if (body && notes)
        json_object_set_new(body, "notes", json_string(notes));
    return lc_call(cli, "POST", path, body, NULL, 0);
}

int cmd_expert_conflicts(const struct cli *cli, int argc, char **argv)
{
    static const struct cli_column cols[] = {
        {"ITEM", "item_id"},
        {"LABEL", "label"},
        {"FINAL", "final_level"},
    };
    const char *ref = lc_pos(argc, argv, 0);
    if (!ref)
        return lc_usage(cli, "expert conflicts ID@VERSION");
    char path[256];
    snprintf(path, sizeof path, "/v1/definitions/%s/benchmarks/conflicts", ref);
    return lc_call(cli, "GET", path, NULL, cols, 3);
}

int cmd_expert_resolve(const struct cli *cli, int argc, char **argv)
{
    const char *id = lc_pos(argc, argv, 0), *level = lc_pos(argc, argv, 1);
    const char *key = lc_opt(argc, argv, "--key"), *errors = lc_opt(argc, argv, "--errors");
    long long n;
    if (!id || !level)
        return lc_usage(cli, "expert resolve ITEM LEVEL [--key TEXT] [--errors TEXT]");
    if (cli_parse_id(cli, "ITEM", id, &n))
        return CLI_USAGE;
    json_t *body = json_pack("{s:s}", "level", level);
    if (key)
        json_object_set_new(body, "key_characteristics", json_string(key));
    if (errors)
        json_object_set_new(body, "common_errors", json_string(errors));
    char path[128];
    snprintf(path, sizeof path, "/v1/benchmarks/items/%lld/resolve", n);
    return lc_call(cli, "POST", path, body, NULL, 0);
}
