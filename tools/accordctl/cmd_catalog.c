/* cmd_catalog.c - `accordctl catalog`: the active credentials an earner may
 * pursue, this node's and those its issuer peers' signed catalogs list
 * (FROM: "self" or the peer's node id), filtered by domain, stack, the
 * recognizer that counts them or the peer they come from. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "list.h"

static const struct cli_column catalog_columns[] = {
    {"ID", "id"},           {"CREDENTIAL", "credential_id"},
    {"VERSION", "version"}, {"CEUS", "ceus"},
    {"DOMAINS", "domains"}, {"STACKS", "stacks"},
    {"FROM", "from"},       {"TITLE", "title"},
};

int cmd_catalog(const struct cli *cli, int argc, char **argv)
{
    const char *domain = NULL, *stack = NULL, *recognizer = NULL, *peer = NULL;
    long long limit = 0, rid;
    int bad = 0;
    for (int i = 1; i < argc && !bad; i++) {
        if (strcmp(argv[i], "--domain") == 0 && i + 1 < argc)
            domain = argv[++i];
        else if (strcmp(argv[i], "--stack") == 0 && i + 1 < argc)
            stack = argv[++i];
        else if (strcmp(argv[i], "--recognizer") == 0 && i + 1 < argc)
            bad = cli_parse_id(cli, "--recognizer", recognizer = argv[++i], &rid) != 0;
        else if (strcmp(argv[i], "--peer") == 0 && i + 1 < argc)
            peer = argv[++i];
        else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc)
            bad = cli_parse_id(cli, "--limit", argv[++i], &limit) != 0;
        else
            bad = 1;
    }
    if (bad) {
        fprintf(stderr,
                "usage: %s catalog [--domain DOMAIN] [--stack STACK] [--recognizer USER_ID] "
                "[--peer NODE|self] [--limit N]\n",
                cli->prog);
        return CLI_USAGE;
    }
    char path[512] = "/v1/catalog";
    if (cli_query_add(path, sizeof path, "domain", domain) ||
        cli_query_add(path, sizeof path, "stack", stack) ||
        cli_query_add(path, sizeof path, "recognizer", recognizer) ||
        cli_query_add(path, sizeof path, "peer", peer)) {
        fprintf(stderr, "%s catalog: filters too long\n", cli->prog);
        return CLI_USAGE;
    }
    return cli_list_all(cli, path, limit, catalog_columns,
                        sizeof catalog_columns / sizeof catalog_columns[0]);
}
