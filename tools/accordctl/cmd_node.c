/* cmd_node.c - `accordctl node info`: the node's id, version and signing key. */
#include <stdio.h>

#include "cli.h"

int cmd_node_info(const struct cli *cli, int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "usage: %s node info\n", cli->prog);
        return CLI_USAGE;
    }
    json_t *resp;
    int rc = cli_request(cli, "GET", "/v1/node", NULL, &resp);
    if (rc != CLI_OK)
        return rc;
    if (!cli_print_json(cli, resp))
        cli_print_object(resp);
    json_decref(resp);
    return CLI_OK;
}
