/* main.c - accordctl: every user action from a shell, over HTTP/2 to a node
 * (and a few local computations, such as irr, that need no node). This file
 * parses the global options and dispatches to the command named by
 * "GROUP VERB" or "GROUP". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct command {
    const char *group;
    const char *verb; /* "" for a group that is a command by itself */
    cli_command_fn fn;
    const char *summary;
};

static const struct command commands[] = {
#define AC_COMMAND(group, verb, fn, summary) {group, verb, fn, summary},
#include "commands.def"
#undef AC_COMMAND
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out, const char *prog)
{
    fprintf(out,
            "usage: %s [--node URL] [--token-file PATH] [--json] [--insecure] COMMAND ...\n"
            "\n"
            "Global options may also come from ACCORD_NODE and ACCORD_TOKEN.\n"
            "The token: --token-file PATH (first line), ACCORD_TOKEN, or the config file.\n"
            "--token TOKEN still works but shows the token to every local user (ps).\n"
            "Exit codes: 0 ok, 1 refused, 2 usage, 3 node unreachable.\n\ncommands:\n",
            prog);
    for (size_t i = 0; i < NCOMMANDS; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s%s%s", commands[i].group, commands[i].verb[0] ? " " : "",
                 commands[i].verb);
        fprintf(out, "  %-22s %s\n", name, commands[i].summary);
    }
}

static const char *option_value(int *i, int argc, char **argv, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (strcmp(argv[*i], name) == 0 && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

int main(int argc, char **argv)
{
    struct cli cli = {.prog = argv[0]};
    cli.node = getenv("ACCORD_NODE");
    cli.token = getenv("ACCORD_TOKEN");
    static char token_buf[512];
    const char *token_arg = NULL, *token_file = NULL;

    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *v;
        if (strcmp(argv[i], "--json") == 0)
            cli.json = 1;
        else if (strcmp(argv[i], "--insecure") == 0)
            cli.insecure = 1;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout, argv[0]);
            return CLI_OK;
        } else if ((v = option_value(&i, argc, argv, "--node")))
            cli.node = v;
        else if ((v = option_value(&i, argc, argv, "--token-file")))
            token_file = v;
        else if ((v = option_value(&i, argc, argv, "--token")))
            token_arg = v;
        else {
            fprintf(stderr, "%s: unknown option '%s'\n", argv[0], argv[i]);
            return CLI_USAGE;
        }
    }
    if (token_arg && token_file) {
        fprintf(stderr, "%s: give --token-file or --token, not both\n", argv[0]);
        return CLI_USAGE;
    }
    if (token_file) {
        int rc = cli_read_token_file(argv[0], token_file, token_buf, sizeof token_buf);
        if (rc != CLI_OK)
            return rc;
        cli.token = token_buf;
    } else if (token_arg) {
        /* The command line of every process is public on this machine. */
        fprintf(stderr,
                "%s: warning: --token puts the token on the command line, where any local "
                "user can read it (ps, /proc/PID/cmdline) and shell history keeps it; use "
                "--token-file PATH or ACCORD_TOKEN\n",
                argv[0]);
        cli.token = token_arg;
    }
    if (i >= argc) {
        usage(stderr, argv[0]);
        return CLI_USAGE;
    }
    const char *group = argv[i];
    const char *verb = i + 1 < argc ? argv[i + 1] : "";
    for (size_t k = 0; k < NCOMMANDS; k++) {
        if (strcmp(commands[k].group, group) != 0)
            continue;
        if (commands[k].verb[0] == 0)
            return commands[k].fn(&cli, argc - i, argv + i);
        if (strcmp(commands[k].verb, verb) == 0)
            return commands[k].fn(&cli, argc - i - 1, argv + i + 1);
    }
    fprintf(stderr, "%s: unknown command '%s%s%s' (see --help)\n", argv[0], group,
            verb[0] ? " " : "", verb);
    return CLI_USAGE;
}
