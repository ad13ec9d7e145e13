/* cmd_bench.c - `accordctl benchmark ...`: the issuer's benchmark database
 * (import, every item with its scores, the sufficiency report). */
#include <stdio.h>

#include "lifecycle_cli.h"

int cmd_benchmark_import(const struct cli *cli, int argc, char **argv)
{
    const char *ref = lc_pos(argc, argv, 0), *file = lc_pos(argc, argv, 1);
    const char *experts = lc_opt(argc, argv, "--experts");
    if (!ref || !file || !experts)
        return lc_usage(cli, "benchmark import ID@VERSION FILE.json --experts ID,ID[,...]   "
                             "(FILE: [{\"label\", \"content\"}, ...])");
    json_t *items = lc_load(cli, file), *ids = lc_ids(cli, experts);
    if (!items || !ids) {
        json_decref(items);
        json_decref(ids);
        return CLI_USAGE;
    }
    char path[256];
    snprintf(path, sizeof path, "/v1/definitions/%s/benchmarks", ref);
    return lc_call(cli, "POST", path, json_pack("{s:o, s:o}", "experts", ids, "items", items), NULL,
                   0);
}

int cmd_benchmark_list(const struct cli *cli, int argc, char **argv)
{
    static const struct cli_column cols[] = {
        {"ITEM", "item_id"},
        {"LABEL", "label"},
        {"FINAL", "final_level"},
        {"EXPOSURES", "exposures"},
    };
    const char *ref = lc_pos(argc, argv, 0);
    if (!ref)
        return lc_usage(cli, "benchmark list ID@VERSION");
    char path[256];
    snprintf(path, sizeof path, "/v1/definitions/%s/benchmarks", ref);
    return lc_call(cli, "GET", path, NULL, cols, 4);
}

int cmd_benchmark_report(const struct cli *cli, int argc, char **argv)
{
    const char *ref = lc_pos(argc, argv, 0);
    if (!ref)
        return lc_usage(cli, "benchmark report ID@VERSION");
    char path[256];
    snprintf(path, sizeof path, "/v1/definitions/%s/benchmarks/report", ref);
    return lc_call(cli, "GET", path, NULL, NULL, 0);
}
