/* cmd_approval.c - `accordctl approval request|list|show|approve|deny`: an
 * earner asks a recognizer before pursuing a credential; the recognizer
 * decides with a reason. */
#include <stdio.h>
#include <string.h>

#include "list.h"
#include "lifecycle_cli.h"

static const struct cli_column approval_columns[] = {
    {"ID", "id"},
    {"EARNER", "earner_id"},
    {"RECOGNIZER", "recognizer_id"},
    {"CREDENTIAL", "credential_id"},
    {"ISSUER", "issuer"},
    {"STATE", "state"},
    {"REASON", "reason"},
    {"REQUESTED", "requested_at"},
};

static int print_one(const struct cli *cli, json_t *resp, const char *what)
{
    if (!cli_print_json(cli, resp))
        printf("approval %lld %s: %s %s from recognizer %lld\n",
               (long long)json_integer_value(json_object_get(resp, "id")), what,
               json_string_value(json_object_get(resp, "state")),
               json_string_value(json_object_get(resp, "credential_id")),
               (long long)json_integer_value(json_object_get(resp, "recognizer_id")));
    json_decref(resp);
    return CLI_OK;
}

int cmd_approval_request(const struct cli *cli, int argc, char **argv)
{
    const char *issuer = NULL, *note = NULL, *pos[2] = {NULL, NULL};
    int npos = 0, bad = 0;
    for (int i = 1; i < argc && !bad; i++) {
        if (strcmp(argv[i], "--issuer") == 0 && i + 1 < argc)
            issuer = argv[++i];
        else if (strcmp(argv[i], "--note") == 0 && i + 1 < argc)
            note = argv[++i];
        else if (argv[i][0] != '-' && npos < 2)
            pos[npos++] = argv[i];
        else
            bad = 1;
    }
    long long rid;
    if (bad || npos != 2 || cli_parse_id(cli, "RECOGNIZER_ID", pos[0], &rid)) {
        fprintf(stderr,
                "usage: %s approval request RECOGNIZER_ID CREDENTIAL_ID [--issuer NODE_ID] "
                "[--note TEXT]\n",
                cli->prog);
        return CLI_USAGE;
    }
    json_t *body =
        json_pack("{s:I, s:s}", "recognizer_id", (json_int_t)rid, "credential_id", pos[1]);
    if (issuer)
        json_object_set_new(body, "issuer", json_string(issuer));
    if (note)
        json_object_set_new(body, "note", json_string(note));
    json_t *resp;
    int rc = cli_request(cli, "POST", "/v1/approvals", body, &resp);
    json_decref(body);
    return rc == CLI_OK ? print_one(cli, resp, "requested") : rc;
}

int cmd_approval_list(const struct cli *cli, int argc, char **argv)
{
    const char *state = NULL;
    long long limit = 0;
    int bad = 0;
    for (int i = 1; i < argc && !bad; i++) {
        if (strcmp(argv[i], "--state") == 0 && i + 1 < argc)
            state = argv[++i];
        else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc)
            bad = cli_parse_id(cli, "--limit", argv[++i], &limit) != 0;
        else
            bad = 1;
    }
    if (bad) {
        fprintf(stderr, "usage: %s approval list [--state pending|approved|denied] [--limit N]\n",
                cli->prog);
        return CLI_USAGE;
    }
    char path[128] = "/v1/approvals";
    cli_query_add(path, sizeof path, "state", state);
    return cli_list_all(cli, path, limit, approval_columns,
                        sizeof approval_columns / sizeof approval_columns[0]);
}

int cmd_approval_show(const struct cli *cli, int argc, char **argv)
{
    long long id;
    if (argc != 2 || cli_parse_id(cli, "ID", argv[1], &id)) {
        fprintf(stderr, "usage: %s approval show ID\n", cli->prog);
        return CLI_USAGE;
    }
    char path[64];
    snprintf(path, sizeof path, "/v1/approvals/%lld", id);
    return lc_call(cli, "GET", path, NULL, NULL, 0);
}

static int decide(const struct cli *cli, int argc, char **argv, const char *decision)
{
    const char *reason = NULL;
    long long id = 0;
    int have_id = 0, bad = 0;
    for (int i = 1; i < argc && !bad; i++) {
        if (strcmp(argv[i], "--reason") == 0 && i + 1 < argc)
            reason = argv[++i];
        else if (!have_id && argv[i][0] != '-')
            bad = cli_parse_id(cli, "ID", argv[i], &id) != 0, have_id = 1;
        else
            bad = 1;
    }
    int deny = strcmp(decision, "deny") == 0;
    if (bad || !have_id || (deny && !reason)) {
        fprintf(stderr, "usage: %s approval %s ID %s\n", cli->prog, deny ? "deny" : "approve",
                deny ? "--reason TEXT" : "[--reason TEXT]");
        return CLI_USAGE;
    }
    json_t *body = json_pack("{s:s}", "decision", decision);
    if (reason)
        json_object_set_new(body, "reason", json_string(reason));
    char path[80];
    snprintf(path, sizeof path, "/v1/approvals/%lld/decision", id);
    json_t *resp;
    int rc = cli_request(cli, "POST", path, body, &resp);
    json_decref(body);
    return rc == CLI_OK ? print_one(cli, resp, "decided") : rc;
}

int cmd_approval_approve(const struct cli *cli, int argc, char **argv)
{
    return decide(cli, argc, argv, "approve");
}

int cmd_approval_deny(const struct cli *cli, int argc, char **argv)
{
    return decide(cli, argc, argv, "deny");
}
