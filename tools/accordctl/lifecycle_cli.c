/* lifecycle_cli.c - argument helpers and the call-and-print routine shared by
 * the credential-lifecycle commands of accordctl. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle_cli.h"

int lc_usage(const struct cli *cli, const char *usage)
{
    fprintf(stderr, "usage: %s %s\n", cli->prog, usage);
    return CLI_USAGE;
}

int lc_call(const struct cli *cli, const char *method, const char *path, json_t *body,
            const struct cli_column *cols, size_t ncols)
{
    json_t *resp = NULL;
    int rc = cli_request(cli, method, path, body, &resp);
    json_decref(body);
    if (rc != CLI_OK)
        return rc;
    if (!resp)
        return CLI_OK;
    if (!cli_print_json(cli, resp)) {
        if (cols && json_is_array(json_object_get(resp, "items")))
            cli_print_table(json_object_get(resp, "items"), cols, ncols);
        else
            cli_print_object(resp);
    }
    json_decref(resp);
    return CLI_OK;
}

static int takes_value(const char *arg)
{
    return strncmp(arg, "--", 2) == 0 && strcmp(arg, "--override") != 0;
}

const char *lc_opt(int argc, char **argv, const char *name)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

int lc_flag(int argc, char **argv, const char *name)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return 0;
}

const char *lc_pos(int argc, char **argv, int want)
{
    int k = 0;
    for (int i = 1; i < argc; i++) {
        if (takes_value(argv[i])) {
            i++;
            continue;
        }
        if (strncmp(argv[i], "--", 2) == 0)
            continue;
        if (k++ == want)
            return argv[i];
    }
    return NULL;
}

json_t *lc_load(const struct cli *cli, const char *path)
{
    json_error_t e;
    json_t *j = strcmp(path, "-") == 0 ? json_loadf(stdin, 0, &e) : json_load_file(path, 0, &e);
    if (!j)
        fprintf(stderr, "%s: %s: line %d: %s\n", cli->prog, path, e.line, e.text);
    return j;
}

json_t *lc_ids(const struct cli *cli, const char *csv)
{
    json_t *a = json_array();
    char *copy = strdup(csv ? csv : ""), *save = NULL;
    for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
        long long id;
        if (cli_parse_id(cli, "user id", t, &id) != 0) {
            json_decref(a);
            a = NULL;
            break;
        }
        json_array_append_new(a, json_integer(id));
    }
    free(copy);
    return a;
}
