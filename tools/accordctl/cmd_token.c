/* cmd_token.c - `accordctl token create|list|revoke`: users' bearer tokens. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct cli_column token_columns[] = {
    {"ID", "id"},           {"USER", "user_id"},       {"LABEL", "label"},
    {"REVOKED", "revoked"}, {"CREATED", "created_at"}, {"REVOKED AT", "revoked_at"},
};

int cmd_token_create(const struct cli *cli, int argc, char **argv)
{
    const char *user = NULL, *label = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--label") == 0 && i + 1 < argc)
            label = argv[++i];
        else if (!user && argv[i][0] != '-')
            user = argv[i];
        else
            user = NULL, i = argc;
    }
    long long id;
    if (!user || cli_parse_id(cli, "USER_ID", user, &id)) {
        fprintf(stderr, "usage: %s token create USER_ID [--label TEXT]\n", cli->prog);
        return CLI_USAGE;
    }
    json_t *body = label ? json_pack("{s:s}", "label", label) : json_object();
    char path[96];
    snprintf(path, sizeof path, "/v1/users/%lld/tokens", id);
    json_t *resp;
    int rc = cli_request(cli, "POST", path, body, &resp);
    json_decref(body);
    if (rc != CLI_OK)
        return rc;
    if (!cli_print_json(cli, resp)) {
        /* The token alone on stdout, so `TOKEN=$(accordctl token create 3)` works;
         * the note goes to stderr. */
        fprintf(stderr, "token %lld for user %lld (shown once; keep it safe):\n",
                (long long)json_integer_value(json_object_get(resp, "id")), id);
        printf("%s\n", json_string_value(json_object_get(resp, "token")));
    }
    json_decref(resp);
    return CLI_OK;
}

int cmd_token_list(const struct cli *cli, int argc, char **argv)
{
    long long id;
    if (argc != 2 || cli_parse_id(cli, "USER_ID", argv[1], &id)) {
        fprintf(stderr, "usage: %s token list USER_ID\n", cli->prog);
        return CLI_USAGE;
    }
    char path[128];
    snprintf(path, sizeof path, "/v1/users/%lld/tokens?limit=200", id);
    json_t *resp;
    int rc = cli_request(cli, "GET", path, NULL, &resp);
    if (rc != CLI_OK)
        return rc;
    if (!cli_print_json(cli, resp))
        cli_print_table(json_object_get(resp, "items"), token_columns,
                        sizeof token_columns / sizeof token_columns[0]);
    json_decref(resp);
    return CLI_OK;
}

int cmd_token_revoke(const struct cli *cli, int argc, char **argv)
{
    long long id;
    if (argc != 2 || cli_parse_id(cli, "TOKEN_ID", argv[1], &id)) {
        fprintf(stderr, "usage: %s token revoke TOKEN_ID\n", cli->prog);
        return CLI_USAGE;
    }
    char path[96];
    snprintf(path, sizeof path, "/v1/tokens/%lld", id);
    json_t *resp;
    int rc = cli_request(cli, "DELETE", path, NULL, &resp);
    if (rc != CLI_OK)
        return rc;
    if (!cli_print_json(cli, resp))
        printf("token %lld revoked\n", id);
    json_decref(resp);
    return CLI_OK;
}
