/* cmd_ledger.c - `accordctl ledger [--peer NODE] [--csv]`, `ledger receipts`
 * and `ledger cap`: the reciprocity ledger of borrowed review as the node's
 * admin reads it (reviews lent to and borrowed from each peer, per credential
 * and month, with the balance), the receipts both nodes signed, and the debt
 * cap past which a peer's batch offers are declined. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle_cli.h"

/* "?peer=NODE" or "" into |out|; the node refuses a bad node id itself. */
static void peer_query(int argc, char **argv, char *out, size_t size)
{
    const char *peer = lc_opt(argc, argv, "--peer");
    snprintf(out, size, "%s%s", peer ? "?peer=" : "", peer ? peer : "");
}

/* A CSV field: quoted, inner quotes doubled (RFC 4180). */
static void csv_field(const char *s, int last)
{
    putchar('"');
    for (; s && *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
    putchar(last ? '\n' : ',');
}

int cmd_ledger(const struct cli *cli, int argc, char **argv)
{
    char path[160];
    peer_query(argc, argv, path + snprintf(path, sizeof path, "/v1/federation/ledger"),
               sizeof path - strlen("/v1/federation/ledger"));
    json_t *resp = NULL;
    int rc = cli_request(cli, "GET", path, NULL, &resp);
    if (rc != CLI_OK)
        return rc;
    json_t *lines = json_object_get(resp, "lines"), *peers = json_object_get(resp, "peers");
    if (lc_flag(argc, argv, "--csv")) {
        printf("peer,credential,month,lent,borrowed,balance\n");
        size_t i;
        json_t *l;
        json_array_foreach(lines, i, l)
        {
            csv_field(json_string_value(json_object_get(l, "peer")), 0);
            csv_field(json_string_value(json_object_get(l, "credential")), 0);
            csv_field(json_string_value(json_object_get(l, "month")), 0);
            printf("%" JSON_INTEGER_FORMAT ",%" JSON_INTEGER_FORMAT ",%" JSON_INTEGER_FORMAT "\n",
                   json_integer_value(json_object_get(l, "lent")),
                   json_integer_value(json_object_get(l, "borrowed")),
                   json_integer_value(json_object_get(l, "balance")));
        }
    } else if (!cli_print_json(cli, resp)) {
        static const struct cli_column pc[] = {
            {"PEER", "peer"},       {"LENT", "lent"},    {"BORROWED", "borrowed"},
            {"BALANCE", "balance"}, {"CAP", "max_debt"}, {"LATE REFUSED", "late_results_refused"}};
        static const struct cli_column lc[] = {
            {"PEER", "peer"}, {"CREDENTIAL", "credential"}, {"MONTH", "month"},
            {"LENT", "lent"}, {"BORROWED", "borrowed"},     {"BALANCE", "balance"}};
        cli_print_table(peers, pc, sizeof pc / sizeof pc[0]);
        printf("\n");
        cli_print_table(lines, lc, sizeof lc / sizeof lc[0]);
    }
    json_decref(resp);
    return CLI_OK;
}

int cmd_ledger_receipts(const struct cli *cli, int argc, char **argv)
{
    static const struct cli_column cols[] = {{"ID", "id"},
                                             {"PEER", "peer"},
                                             {"DIRECTION", "direction"},
                                             {"CREDENTIAL", "credential"},
                                             {"MONTH", "month"},
                                             {"RESULT", "result"},
                                             {"RECEIPT SHA-256", "receipt_sha256"}};
    char path[160];
    peer_query(argc, argv, path + snprintf(path, sizeof path, "/v1/federation/ledger/receipts"),
               sizeof path - strlen("/v1/federation/ledger/receipts"));
    return lc_call(cli, "GET", path, NULL, cols, sizeof cols / sizeof cols[0]);
}

int cmd_ledger_cap(const struct cli *cli, int argc, char **argv)
{
    const char *peer = lc_pos(argc, argv, 0), *n = lc_pos(argc, argv, 1);
    long long v = -1;
    if (!peer || !n)
        return lc_usage(cli, "ledger cap NODE|'*' N|none");
    if (strcmp(n, "none") != 0) {
        char *end;
        v = strtoll(n, &end, 10);
        if (*end || end == n || v < 0) {
            fprintf(stderr, "%s: ledger cap: \"%s\" is not a number of reviews >= 0 or none\n",
                    cli->prog, n);
            return CLI_USAGE;
        }
    }
    json_t *body = json_pack("{s:s}", "peer", peer);
    json_object_set_new(body, "max_debt", v < 0 ? json_null() : json_integer(v));
    return lc_call(cli, "PUT", "/v1/federation/ledger/policy", body, NULL, 0);
}
