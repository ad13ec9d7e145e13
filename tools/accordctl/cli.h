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
    const char *token; /* --token-file, --token, ACCORD_TOKEN, or config file; may be NULL */
    int json;          /* --json: machine-readable output */
    int insecure;      /* --insecure: skip TLS verification (self-signed tests) */
    const char *prog;  /* argv[0] for messages */
};

/* A command gets the global options and the arguments after its verb
 * (argv[0] is the verb). It returns one of the exit codes above. */
typedef int (*cli_command_fn)(const struct cli *cli, int argc, char **argv);

/* ---- talking to the node (client.c) ----
 *
 * A command usually does:
 *     json_t *resp;
 *     int rc = cli_request(cli, "GET", "/v1/node", NULL, &resp);
 *     if (rc != CLI_OK)
 *         return rc;               // the problem was already printed
 *     if (!cli_print_json(cli, resp))
 *         ...print a table or key/value lines...
 *     json_decref(resp);
 *     return CLI_OK;
 */

#include <jansson.h>
#include <stddef.h>

/* Sends |method| |path| (with query, if any) to the node, with the bearer token
 * and, when |body| is non-NULL, that JSON as an application/json body (borrowed).
 * The node URL comes from --node, ACCORD_NODE or the config file; the token from
 * --token-file or --token, ACCORD_TOKEN or the config file (ACCORDCTL_CONFIG,
 * else ~/.config/accord/accordctl.conf: lines `node = URL`, `token = TOKEN`,
 * `ca_file = PATH`; a config file holding a token that group or others may
 * read gets a warning on stderr).
 * On a 2xx answer sets |*out| to the parsed body (NULL when empty or not JSON;
 * the caller json_decref()s) and returns CLI_OK. Otherwise prints why to stderr
 * (an RFC 9457 problem as "STATUS TITLE: DETAIL (field: F)"; with --json the
 * raw problem also goes to stdout) and returns CLI_REFUSED (the node answered
 * 4xx/5xx), CLI_UNREACHABLE (no connection, timeout, TLS failure) or CLI_USAGE
 * (no node URL configured). */
int cli_request(const struct cli *cli, const char *method, const char *path, const json_t *body,
                json_t **out);

/* GETs |path| like cli_request() and appends the raw 2xx body (any content
 * type: COSE, CBOR, text) to |out|. Returns as cli_request(). */
struct ac_buf;
int cli_request_raw(const struct cli *cli, const char *path, struct ac_buf *out);

/* Like cli_request(), but sends |len| bytes of |data| (borrowed; any
 * |content_type|, e.g. application/octet-stream) as the body. */
int cli_request_bytes(const struct cli *cli, const char *method, const char *path,
                      const char *content_type, const void *data, size_t len, json_t **out);

/* Reads the token of --token-file |path|: its first line, without trailing
 * whitespace, into |out| (|len| bytes). Warns on stderr when group or others
 * may read the file. Returns CLI_OK, or prints why (naming the file and the
 * rule) and returns CLI_USAGE. */
int cli_read_token_file(const char *prog, const char *path, char *out, size_t len);

/* With --json, prints |j| on one line to stdout and returns 1; otherwise
 * prints nothing and returns 0 (the caller prints a readable form). */
int cli_print_json(const struct cli *cli, const json_t *j);

/* A table column: its heading and the member of each item to show. Arrays of
 * strings print comma-separated; booleans as yes/no; missing members as "-". */
struct cli_column {
    const char *heading;
    const char *key;
};

/* Prints |items| (an array of objects) as an aligned table with |cols|. */
void cli_print_table(const json_t *items, const struct cli_column *cols, size_t ncols);

/* Prints the members of |obj| as "key: value" lines (nested objects indented). */
void cli_print_object(const json_t *obj);

/* Parses a positive decimal id for |what| from |s|. Returns 0 and sets |*id|,
 * or prints a usage error and returns CLI_USAGE. */
int cli_parse_id(const struct cli *cli, const char *what, const char *s, long long *id);

#define AC_COMMAND(group, verb, fn, summary) int fn(const struct cli *cli, int argc, char **argv);
#include "commands.def"
#undef AC_COMMAND

#endif
