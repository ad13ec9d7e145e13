/* cmd_node.c - `accordctl node info`: the node's id, version and signing key. */
#include <stdio.h>

#include "cli.h"
#include "lifecycle_cli.h"

int cmd_node_info(const struct cli *cli, int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "usage: %s node info\n", cli->prog);
        return CLI_USAGE;
    }
    return lc_call(cli, "GET", "/v1/node", NULL, NULL, 0);
}
