/* cmd_peer.c - `accordctl peer ...`: the node's federation peers, their
 * delivery state, probes and dead letters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lifecycle_cli.h"

static const struct cli_column peer_columns[] = {
    {"NODE", "node"},
    {"SOURCE", "source"},
    {"RIGHTS", "rights"},
    {"STATE", "state"},
    {"LAST SUCCESS", "last_success"},
    {"NEXT ATTEMPT", "next_attempt"},
    {"OUTBOX", "outbox_depth"},
    {"OLDEST (S)", "oldest_undelivered_age_s"},
    {"LAST ERROR", "last_error"},
};

static const struct cli_column dead_columns[] = {
    {"ID", "id"},         {"PEER", "peer"},     {"TYPE", "type"},
    {"MSG ID", "msg_id"}, {"STATUS", "status"}, {"PROBLEM", "problem"},
};

static int usage(const struct cli *cli, const char *what)
{
    fprintf(stderr, "usage: %s peer %s\n", cli->prog, what);
    return CLI_USAGE;
}

/* A path with the node id, which node ids keep URL-safe ([a-z0-9.-]). */
static int peer_path(const struct cli *cli, char *out, size_t size, const char *node,
                     const char *tail)
{
    if (strspn(node, "abcdefghijklmnopqrstuvwxyz0123456789.-") != strlen(node) || !*node) {
        fprintf(stderr, "accordctl: \"%s\" is not a node id\n", node);
        (void)cli;
        return CLI_USAGE;
    }
    snprintf(out, size, "/v1/federation/peers/%s%s", node, tail);
    return CLI_OK;
}

/* "submit,lend" -> ["submit", "lend"] */
static json_t *rights_array(const char *list)
{
    json_t *a = json_array();
    char *copy = strdup(list), *save = NULL;
    for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; a && t; t = strtok_r(NULL, ",", &save))
        json_array_append_new(a, json_string(t));
    free(copy);
    return a;
}

int cmd_peer_add(const struct cli *cli, int argc, char **argv)
{
    const char *what = "add NODE --url URL --key HEX [--key HEX]... --rights R[,R]";
    if (argc < 2)
        return usage(cli, what);
    const char *url = NULL, *rights = NULL;
    json_t *keys = json_array();
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--url") == 0)
            url = argv[i + 1];
        else if (strcmp(argv[i], "--rights") == 0)
            rights = argv[i + 1];
        else if (strcmp(argv[i], "--key") == 0)
            json_array_append_new(keys, json_string(argv[i + 1]));
        else
            break;
    }
    if (!url || !rights || argc % 2 != 0) {
        json_decref(keys);
        return usage(cli, what);
    }
    json_t *body = json_pack("{s:s, s:s, s:o, s:o}", "node", argv[1], "url", url, "keys", keys,
                             "rights", rights_array(strcmp(rights, "none") ? rights : ""));
    return lc_call(cli, "POST", "/v1/federation/peers", body, NULL, 0);
}

int cmd_peer_list(const struct cli *cli, int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return usage(cli, "list");
    json_t *resp;
    int rc = cli_request(cli, "GET", "/v1/federation/peers", NULL, &resp);
    if (rc != CLI_OK)
        return rc;
    if (!cli_print_json(cli, resp))
        cli_print_table(json_object_get(resp, "items"), peer_columns,
                        sizeof peer_columns / sizeof peer_columns[0]);
    json_decref(resp);
    return CLI_OK;
}

int cmd_peer_show(const struct cli *cli, int argc, char **argv)
{
    char path[160];
    if (argc != 2)
        return usage(cli, "show NODE");
    int rc = peer_path(cli, path, sizeof path, argv[1], "");
    return rc ? rc : lc_call(cli, "GET", path, NULL, NULL, 0);
}

int cmd_peer_remove(const struct cli *cli, int argc, char **argv)
{
    char path[160];
    if (argc != 2)
        return usage(cli, "remove NODE");
    int rc = peer_path(cli, path, sizeof path, argv[1], "");
    if (rc)
        return rc;
    json_t *resp = NULL;
    rc = cli_request(cli, "DELETE", path, NULL, &resp);
    json_decref(resp);
    if (rc == CLI_OK && !cli->json)
        printf("removed %s\n", argv[1]);
    return rc;
}

int cmd_peer_rights(const struct cli *cli, int argc, char **argv)
{
    char path[160];
    if (argc != 3)
        return usage(cli, "rights NODE R[,R]|none");
    int rc = peer_path(cli, path, sizeof path, argv[1], "/rights");
    if (rc)
        return rc;
    json_t *body =
        json_pack("{s:o}", "rights", rights_array(strcmp(argv[2], "none") ? argv[2] : ""));
    return lc_call(cli, "PUT", path, body, NULL, 0);
}

int cmd_peer_probe(const struct cli *cli, int argc, char **argv)
{
    char path[160];
    if (argc != 2)
        return usage(cli, "probe NODE");
    int rc = peer_path(cli, path, sizeof path, argv[1], "/probe");
    return rc ? rc : lc_call(cli, "POST", path, json_object(), NULL, 0);
}

static const struct cli_column status_columns[] = {
    {"INDEX", "index"},
    {"STATUS", "status"},
};

int cmd_peer_status(const struct cli *cli, int argc, char **argv)
{
    char path[160];
    if (argc < 3)
        return usage(cli, "status NODE INDEX [INDEX]...");
    int rc = peer_path(cli, path, sizeof path, argv[1], "/status");
    if (rc)
        return rc;
    json_t *indexes = json_array();
    for (int i = 2; indexes && i < argc; i++) {
        char *end;
        long long v = strtoll(argv[i], &end, 10);
        if (!argv[i][0] || *end || v < 0) {
            json_decref(indexes);
            fprintf(stderr, "accordctl: \"%s\" is not a status list index (a whole number)\n",
                    argv[i]);
            return CLI_USAGE;
        }
        json_array_append_new(indexes, json_integer(v));
    }
    json_t *resp = NULL, *body = json_pack("{s:o}", "indexes", indexes);
    rc = cli_request(cli, "POST", path, body, &resp);
    json_decref(body);
    if (rc != CLI_OK)
        return rc;
    if (!cli_print_json(cli, resp)) {
        printf("%s status token issued %s (%s), verified with its key\n",
               json_string_value(json_object_get(resp, "node")),
               json_string_value(json_object_get(resp, "token_iat")),
               json_string_value(json_object_get(resp, "sub")));
        cli_print_table(json_object_get(resp, "statuses"), status_columns,
                        sizeof status_columns / sizeof status_columns[0]);
    }
    json_decref(resp);
    return CLI_OK;
}

int cmd_peer_dead_letters(const struct cli *cli, int argc, char **argv)
{
    char path[160] = "/v1/federation/dead-letters";
    if (argc == 3 && strcmp(argv[1], "--peer") == 0)
        snprintf(path, sizeof path, "/v1/federation/dead-letters?peer=%s", argv[2]);
    else if (argc != 1)
        return usage(cli, "dead-letters [--peer NODE]");
    json_t *resp;
    int rc = cli_request(cli, "GET", path, NULL, &resp);
    if (rc != CLI_OK)
        return rc;
    if (!cli_print_json(cli, resp))
        cli_print_table(json_object_get(resp, "items"), dead_columns,
                        sizeof dead_columns / sizeof dead_columns[0]);
    json_decref(resp);
    return CLI_OK;
}

int cmd_peer_retry(const struct cli *cli, int argc, char **argv)
{
    long long id;
    char path[96];
    if (argc != 2)
        return usage(cli, "retry DEAD_LETTER_ID");
    int rc = cli_parse_id(cli, "dead letter", argv[1], &id);
    if (rc)
        return rc;
    snprintf(path, sizeof path, "/v1/federation/dead-letters/%lld/retry", id);
    return lc_call(cli, "POST", path, json_object(), NULL, 0);
}

int cmd_peer_drop(const struct cli *cli, int argc, char **argv)
{
    long long id;
    char path[96];
    if (argc != 2)
        return usage(cli, "drop DEAD_LETTER_ID");
    int rc = cli_parse_id(cli, "dead letter", argv[1], &id);
    if (rc)
        return rc;
    snprintf(path, sizeof path, "/v1/federation/dead-letters/%lld", id);
    json_t *resp = NULL;
    rc = cli_request(cli, "DELETE", path, NULL, &resp);
    json_decref(resp);
    if (rc == CLI_OK && !cli->json)
        printf("dropped dead letter %lld\n", id);
    return rc;
}
