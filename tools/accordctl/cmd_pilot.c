/* cmd_pilot.c - `accordctl pilot ...`: the issuer's pilot validation
 * (assigning pilot submissions to two experts, the agreement report). */
#include <stdio.h>

#include "lifecycle_cli.h"

int cmd_pilot_assign(const struct cli *cli, int argc, char **argv)
{
    const char *ref = lc_pos(argc, argv, 0), *file = lc_pos(argc, argv, 1);
    const char *experts = lc_opt(argc, argv, "--experts");
    if (!ref || !file || !experts)
        return lc_usage(cli, "pilot assign ID@VERSION FILE.json --experts ID,ID   "
                             "(FILE: [{\"label\", \"content\"}, ...])");
    json_t *subs = lc_load(cli, file), *ids = lc_ids(cli, experts);
    if (!subs || !ids) {
        json_decref(subs);
        json_decref(ids);
        return CLI_USAGE;
    }
    char path[256];
    snprintf(path, sizeof path, "/v1/definitions/%s/pilot/submissions", ref);
    return lc_call(cli, "POST", path, json_pack("{s:o, s:o}", "experts", ids, "submissions", subs),
                   NULL, 0);
}

int cmd_pilot_report(const struct cli *cli, int argc, char **argv)
{
    const char *ref = lc_pos(argc, argv, 0);
    if (!ref)
        return lc_usage(cli, "pilot report ID@VERSION");
    char path[256];
    snprintf(path, sizeof path, "/v1/definitions/%s/pilot", ref);
    return lc_call(cli, "GET", path, NULL, NULL, 0);
}
