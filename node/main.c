/* main.c - accord-node's command line: run a node, or `init` its data directory. */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "node.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: accord-node --config FILE          run the node\n"
                 "       accord-node init --config FILE [--admin NAME]\n"
                 "                                          prepare the data directory and print\n"
                 "                                          the first admin's token (once)\n"
                 "       accord-node --version | --help\n"
                 "\n"
                 "The configuration format is described in docs/node.md; examples are in conf/.\n"
                 "SIGINT/SIGTERM stop the node gracefully; SIGHUP reopens the log file.\n");
}

int main(int argc, char **argv)
{
    const char *config = NULL, *admin = "admin";
    int init = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "--version") == 0) {
            printf("accord-node %s\n", ACCORD_VERSION);
            return 0;
        }
        if (strcmp(a, "init") == 0 && i == 1) {
            init = 1;
        } else if ((strcmp(a, "--config") == 0 || strcmp(a, "-c") == 0) && i + 1 < argc) {
            config = argv[++i];
        } else if (strncmp(a, "--config=", 9) == 0) {
            config = a + 9;
        } else if (strcmp(a, "--admin") == 0 && init && i + 1 < argc) {
            admin = argv[++i];
        } else {
            fprintf(stderr, "accord-node: unexpected argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!config) {
        fprintf(stderr, "accord-node: --config FILE is required\n");
        usage(stderr);
        return 2;
    }
    struct ac_node_config cfg;
    char err[512];
    if (ac_config_load(config, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "accord-node: %s\n", err);
        return 2;
    }
    int rc = init ? ac_node_init_data(&cfg, admin, stdout) : ac_node_run(&cfg);
    ac_config_release(&cfg);
    return rc;
}
