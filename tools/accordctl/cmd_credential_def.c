/* cmd_credential_def.c - `accordctl def ...`: credential definitions (the
 * issuer admin's authoring, framework audit, lifecycle transitions, audit trail). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle_cli.h"

static const struct cli_column def_columns[] = {
    {"ID", "id"},
    {"VERSION", "version"},
    {"STATE", "state"},
    {"TITLE", "title"},
};

int cmd_def_create(const struct cli *cli, int argc, char **argv)
{
    const char *file = lc_pos(argc, argv, 0);
    if (!file)
        return lc_usage(cli, "def create FILE.json");
    json_t *body = lc_load(cli, file);
    return body ? lc_call(cli, "POST", "/v1/definitions", body, NULL, 0) : CLI_USAGE;
}

int cmd_def_list(const struct cli *cli, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return lc_call(cli, "GET", "/v1/definitions?limit=200", NULL, def_columns, 4);
}

int cmd_def_show(const struct cli *cli, int argc, char **argv)
{
    const char *ref = lc_pos(argc, argv, 0);
    if (!ref)
        return lc_usage(cli, "def show ID[@VERSION]");
    char path[256];
    snprintf(path, sizeof path, "/v1/definitions/%s", ref);
    return lc_call(cli, "GET", path, NULL, NULL, 0);
}

int cmd_def_edit(const struct cli *cli, int argc, char **argv)
{
    const char *ref = lc_pos(argc, argv, 0), *file = lc_pos(argc, argv, 1);
    if (!ref || !file)
        return lc_usage(cli, "def edit ID@VERSION FILE.json   (drafts only)");
    json_t *body = lc_load(cli, file);
    char path[256];
    snprintf(path, sizeof path, "/v1/definitions/%s", ref);
    return body ? lc_call(cli, "PUT", path, body, NULL, 0) : CLI_USAGE;
}

int cmd_def_audit(const struct cli *cli, int argc, char **argv)
{
    const char *ref = lc_pos(argc, argv, 0), *file = lc_pos(argc, argv, 1);
    if (!ref || !file)
        return lc_usage(cli, "def audit ID@VERSION FILE.json   "
                             "({impact, equity, access, language, big_picture})");
    json_t *body = lc_load(cli, file);
    char path[256];
    snprintf(path, sizeof path, "/v1/definitions/%s/audit", ref);
    return body ? lc_call(cli, "PUT", path, body, NULL, 0) : CLI_USAGE;
}

int cmd_def_transition(const struct cli *cli, int argc, char **argv)
{
    const char *ref = lc_pos(argc, argv, 0), *to = lc_pos(argc, argv, 1);
    const char *stat = lc_opt(argc, argv, "--statistic");
    const char *threshold = lc_opt(argc, argv, "--threshold");
    if (!ref || !to)
        return lc_usage(cli, "def transition ID@VERSION STATE [--override] "
                             "[--statistic NAME --threshold X (entering piloting)]");
    json_t *body = json_pack("{s:s}", "to", to);
    if (lc_flag(argc, argv, "--override"))
        json_object_set_new(body, "override", json_true());
    if (stat || threshold) {
        double t = threshold ? strtod(threshold, NULL) : 0;
        json_object_set_new(body, "pilot",
                            json_pack("{s:s, s:f}", "statistic", stat ? stat : "", "threshold", t));
    }
    char path[256];
    snprintf(path, sizeof path, "/v1/definitions/%s/transition", ref);
    return lc_call(cli, "POST", path, body, NULL, 0);
}

int cmd_def_trail(const struct cli *cli, int argc, char **argv)
{
    static const struct cli_column cols[] = {
        {"AT", "at"},
        {"ACTOR", "actor"},
        {"NODE", "node"},
        {"ACTION", "action"},
    };
    const char *ref = lc_pos(argc, argv, 0);
    if (!ref)
        return lc_usage(cli, "def trail ID@VERSION");
    char path[256];
    snprintf(path, sizeof path, "/v1/definitions/%s/audit-trail?limit=200", ref);
    return lc_call(cli, "GET", path, NULL, cols, 4);
}
