/* cmd_flag.c - `accordctl flag list|resolve|decide`: the issuer's inbox of
 * near-duplicate submissions, escalated decisions and reviewer monitoring. */
#include <stdio.h>
#include <string.h>

#include "lifecycle_cli.h"

int cmd_flag_list(const struct cli *cli, int argc, char **argv)
{
    static const struct cli_column cols[] = {{"ID", "id"},
                                             {"KIND", "kind"},
                                             {"CREDENTIAL", "credential"},
                                             {"SUBMISSION", "submission"},
                                             {"REVIEWER", "reviewer"},
                                             {"RESOLVED", "resolved"},
                                             {"RESOLUTION", "resolution"}};
    return lc_call(cli, "GET", lc_flag(argc, argv, "--all") ? "/v1/flags?all=1" : "/v1/flags", NULL,
                   cols, sizeof cols / sizeof cols[0]);
}

static int resolve(const struct cli *cli, const char *fid, const char *action, const char *level)
{
    long long id;
    if (cli_parse_id(cli, "flag id", fid, &id) != CLI_OK)
        return CLI_USAGE;
    json_t *body = json_pack("{s:s}", "action", action);
    if (level)
        json_object_set_new(body, "level", json_string(level));
    char path[80];
    snprintf(path, sizeof path, "/v1/flags/%lld/resolve", id);
    return lc_call(cli, "POST", path, body, NULL, 0);
}

int cmd_flag_resolve(const struct cli *cli, int argc, char **argv)
{
    const char *fid = lc_pos(argc, argv, 0);
    const char *action = lc_pos(argc, argv, 1);
    if (!fid || !action)
        return lc_usage(cli, "flag resolve FLAG dismiss|reject|acknowledge|decide [--level L]");
    return resolve(cli, fid, action, lc_opt(argc, argv, "--level"));
}

int cmd_flag_decide(const struct cli *cli, int argc, char **argv)
{
    const char *fid = lc_pos(argc, argv, 0);
    const char *level = lc_pos(argc, argv, 1);
    if (!fid || !level)
        return lc_usage(cli, "flag decide FLAG LEVEL");
    return resolve(cli, fid, "decide", level);
}
