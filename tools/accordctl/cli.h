/* cli.h - what accordctl's command files share: the parsed global options, the
 * exit codes, and one declaration per command (generated from commands.def). */
#ifndef ACCORDCTL_CLI_H
#define ACCORDCTL_CLI_H

/* Exit codes, documented in README: */
enum {
    CLI_OK = 0,          /* success */
    CLI_REFUSED = 1,     /* the node (or the input) refused the request */
    CLI_USAGE = 2,       /* bad command line */
    CLI_UNREACHABLE = 3, /* the node could not be reached */
};

struct cli {
    const char *node;  /* --node URL, ACCORD_NODE, or config file; may be NULL */
    const char *token; /* --token, ACCORD_TOKEN, or config file; may be NULL */
    int json;          /* --json: machine-readable output */
    int insecure;      /* --insecure: skip TLS verification (self-signed tests) */
    const char *prog;  /* argv[0] for messages */
};

/* A command gets the global options and the arguments after its verb
 * (argv[0] is the verb). It returns one of the exit codes above. */
typedef int (*cli_command_fn)(const struct cli *cli, int argc, char **argv);

#define AC_COMMAND(group, verb, fn, summary) int fn(const struct cli *cli, int argc, char **argv);
#include "commands.def"
#undef AC_COMMAND

#endif
