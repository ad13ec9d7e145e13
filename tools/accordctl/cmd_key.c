/* cmd_key.c - `accordctl key list|rotate`: the node's signing keys. */
#include <stdio.h>

#include "cli.h"

static const struct cli_column key_columns[] = {
    {"KID", "kid"},
    {"CURRENT", "current"},
    {"VALID FROM", "valid_from"},
    {"VALID UNTIL", "valid_until"},
    {"DID:KEY", "did_key"},
};

static int keys(const struct cli *cli, int argc, const char *method, const char *path,
                const char *usage)
{
    if (argc != 1) {
        fprintf(stderr, "usage: %s %s\n", cli->prog, usage);
        return CLI_USAGE;
    }
    json_t *resp;
    int rc = cli_request(cli, method, path, NULL, &resp);
    if (rc != CLI_OK)
        return rc;
    if (!cli_print_json(cli, resp))
        cli_print_table(json_object_get(resp, "keys"), key_columns,
                        sizeof key_columns / sizeof key_columns[0]);
    json_decref(resp);
    return CLI_OK;
}

int cmd_key_list(const struct cli *cli, int argc, char **argv)
{
    (void)argv;
    return keys(cli, argc, "GET", "/v1/keys", "key list");
}

int cmd_key_rotate(const struct cli *cli, int argc, char **argv)
{
    (void)argv;
    return keys(cli, argc, "POST", "/v1/keys/rotate", "key rotate");
}
