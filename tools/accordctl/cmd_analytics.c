/* cmd_analytics.c - `accordctl analytics credential|reviewers`: the issuer's
 * per-credential and per-reviewer figures. CSV and the SVG charts are plain
 * HTTP resources a browser or curl opens (docs/api-recognition.md). */
#include <stdio.h>
#include <string.h>

#include "list.h"

/* GETs /v1/analytics/credentials/ID plus |suffix| into |*out|. */
static int fetch(const struct cli *cli, int argc, char **argv, const char *suffix, const char *verb,
                 json_t **out)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s analytics %s CREDENTIAL_ID\n", cli->prog, verb);
        return CLI_USAGE;
    }
    char enc[256] = "", path[384];
    if (cli_query_add(enc, sizeof enc, "c", argv[1])) {
        fprintf(stderr, "%s: CREDENTIAL_ID too long\n", cli->prog);
        return CLI_USAGE;
    }
    snprintf(path, sizeof path, "/v1/analytics/credentials/%s%s", enc + 3, suffix);
    return cli_request(cli, "GET", path, NULL, out);
}

int cmd_analytics_credential(const struct cli *cli, int argc, char **argv)
{
    json_t *resp;
    int rc = fetch(cli, argc, argv, "", "credential", &resp);
    if (rc != CLI_OK)
        return rc;
    if (!cli_print_json(cli, resp))
        cli_print_object(resp);
    json_decref(resp);
    return CLI_OK;
}

int cmd_analytics_reviewers(const struct cli *cli, int argc, char **argv)
{
    json_t *resp;
    int rc = fetch(cli, argc, argv, "/reviewers", "reviewers", &resp);
    if (rc != CLI_OK)
        return rc;
    static const struct cli_column cols[] = {
        {"REVIEWER", "reviewer_id"},
        {"OPEN", "open"},
        {"DONE", "done"},
        {"CONSENSUS", "consensus_agreement"},
        {"BENCHMARK", "benchmark_agreement"},
        {"SEVERITY Z", "severity_z"},
        {"TREND DROP", "trend_drop"},
    };
    if (!cli_print_json(cli, resp))
        cli_print_table(json_object_get(resp, "items"), cols, sizeof cols / sizeof cols[0]);
    json_decref(resp);
    return CLI_OK;
}
