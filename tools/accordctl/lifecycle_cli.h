/* lifecycle_cli.h - what the credential-lifecycle commands of accordctl share
 * (def, pilot, expert, benchmark, training, reviewer): argument helpers and
 * one call-and-print routine. */
#ifndef ACCORDCTL_LIFECYCLE_CLI_H
#define ACCORDCTL_LIFECYCLE_CLI_H

#include <jansson.h>

#include "cli.h"

/* Sends |method| |path| with |body| (taken: released here; may be NULL) and
 * prints the answer: one JSON line with --json, else "key: value" lines, or a
 * table of its "items" with |cols| when |cols| is not NULL. Returns the
 * cli_request code. */
int lc_call(const struct cli *cli, const char *method, const char *path, json_t *body,
            const struct cli_column *cols, size_t ncols);

/* The value after option |name| in argv[1..argc), or NULL. Every option but
 * "--override" takes a value. */
const char *lc_opt(int argc, char **argv, const char *name);

/* Is the value-less flag |name| present? */
int lc_flag(int argc, char **argv, const char *name);

/* The |i|th positional argument (0-based, after the verb), or NULL. */
const char *lc_pos(int argc, char **argv, int i);

/* Reads a JSON file (or "-" for stdin); prints why and returns NULL on failure. */
json_t *lc_load(const struct cli *cli, const char *path);

/* "2,3" -> [2, 3]; NULL (after printing why) when an entry is not an id. */
json_t *lc_ids(const struct cli *cli, const char *csv);

/* Prints "usage: PROG |usage|" to stderr and returns CLI_USAGE. */
int lc_usage(const struct cli *cli, const char *usage);

#endif
