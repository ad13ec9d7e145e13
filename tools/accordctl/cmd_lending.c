/* cmd_lending.c - `accordctl lending ...`: on a lender, the lending policy
 * per peer and credential and capacity offers sent on demand; on an issuer,
 * the capacity lenders offer and the borrowing mode per credential. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle_cli.h"

static const struct cli_column policy_cols[] = {
    {"PEER", "peer"},           {"CREDENTIAL", "credential"},
    {"REVIEWERS", "reviewers"}, {"CAP/MONTH", "monthly_cap"},
    {"OWN FIRST", "own_first"}, {"BLACKOUTS", "blackouts"},
};

static const struct cli_column capacity_cols[] = {
    {"PEER", "peer"},
    {"CREDENTIAL", "credential"},
    {"HOME USER", "home_user"},
    {"STAND-IN", "user_id"},
    {"CERTIFIED THERE", "certified_at_home"},
    {"SLOTS/MONTH", "slots"},
};

/* Node ids and credential ids travel in the path: refuse what would not. */
static int path_safe(const char *what, const char *s)
{
    if (!s || !*s || strcspn(s, "/?#% ") != strlen(s)) {
        fprintf(stderr, "accordctl: %s \"%s\" cannot be part of a path\n", what, s ? s : "");
        return 0;
    }
    return 1;
}

int cmd_lending_set(const struct cli *cli, int argc, char **argv)
{
    static const char *use = "lending set PEER CREDENTIAL_ID --reviewers all|ID[,ID]... "
                             "--cap N [--blackout YYYY-MM-DD..YYYY-MM-DD]... "
                             "[--own-first yes|no]";
    const char *peer = lc_pos(argc, argv, 0), *cred = lc_pos(argc, argv, 1);
    const char *reviewers = lc_opt(argc, argv, "--reviewers");
    const char *cap = lc_opt(argc, argv, "--cap");
    const char *own = lc_opt(argc, argv, "--own-first");
    if (!peer || !cred || !reviewers || !cap)
        return lc_usage(cli, use);
    if (!path_safe("peer", peer) || !path_safe("credential", cred))
        return CLI_USAGE;
    json_t *body = json_object();
    if (strcmp(reviewers, "all") == 0) {
        json_object_set_new(body, "reviewers", json_string("all"));
    } else {
        json_t *ids = lc_ids(cli, reviewers);
        if (!ids) {
            json_decref(body);
            return CLI_USAGE;
        }
        json_object_set_new(body, "reviewers", ids);
    }
    /* The cap goes as given; the node names what is wrong with it. */
    char *end;
    long long c = strtoll(cap, &end, 10);
    json_object_set_new(body, "monthly_cap",
                        *end || end == cap ? json_string(cap) : json_integer(c));
    json_t *blackouts = json_array();
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--blackout") != 0)
            continue;
        const char *dots = strstr(argv[i + 1], "..");
        if (!dots) {
            json_decref(blackouts);
            json_decref(body);
            fprintf(stderr, "accordctl: --blackout \"%s\": FROM..UNTIL, both dates included\n",
                    argv[i + 1]);
            return CLI_USAGE;
        }
        char from[64];
        snprintf(from, sizeof from, "%.*s", (int)(dots - argv[i + 1]), argv[i + 1]);
        json_array_append_new(blackouts, json_pack("{s:s, s:s}", "from", from, "until", dots + 2));
    }
    json_object_set_new(body, "blackouts", blackouts);
    if (own)
        json_object_set_new(body, "own_first",
                            strcmp(own, "yes") == 0  ? json_true()
                            : strcmp(own, "no") == 0 ? json_false()
                                                     : json_string(own));
    char path[256];
    snprintf(path, sizeof path, "/v1/federation/lending/%s/%s", peer, cred);
    return lc_call(cli, "PUT", path, body, NULL, 0);
}

int cmd_lending_show(const struct cli *cli, int argc, char **argv)
{
    const char *peer = lc_pos(argc, argv, 0), *cred = lc_pos(argc, argv, 1);
    char path[256];
    if (peer && !path_safe("peer", peer))
        return CLI_USAGE;
    if (peer && cred) {
        if (!path_safe("credential", cred))
            return CLI_USAGE;
        snprintf(path, sizeof path, "/v1/federation/lending/%s/%s", peer, cred);
        return lc_call(cli, "GET", path, NULL, NULL, 0);
    }
    snprintf(path, sizeof path, "/v1/federation/lending%s%s", peer ? "?peer=" : "",
             peer ? peer : "");
    return lc_call(cli, "GET", path, NULL, policy_cols, sizeof policy_cols / sizeof policy_cols[0]);
}

int cmd_lending_remove(const struct cli *cli, int argc, char **argv)
{
    const char *peer = lc_pos(argc, argv, 0), *cred = lc_pos(argc, argv, 1);
    if (!peer || !cred)
        return lc_usage(cli, "lending remove PEER CREDENTIAL_ID");
    if (!path_safe("peer", peer) || !path_safe("credential", cred))
        return CLI_USAGE;
    char path[256];
    snprintf(path, sizeof path, "/v1/federation/lending/%s/%s", peer, cred);
    return lc_call(cli, "DELETE", path, NULL, NULL, 0);
}

int cmd_lending_offer(const struct cli *cli, int argc, char **argv)
{
    const char *peer = lc_pos(argc, argv, 0);
    if (!peer)
        return lc_usage(cli, "lending offer PEER");
    if (!path_safe("peer", peer))
        return CLI_USAGE;
    char path[256];
    snprintf(path, sizeof path, "/v1/federation/lending/%s/offer", peer);
    return lc_call(cli, "POST", path, NULL, NULL, 0);
}

int cmd_lending_capacity(const struct cli *cli, int argc, char **argv)
{
    const char *cred = lc_opt(argc, argv, "--credential");
    if (cred && !path_safe("credential", cred))
        return CLI_USAGE;
    char path[256];
    snprintf(path, sizeof path, "/v1/federation/capacity%s%s", cred ? "?credential=" : "",
             cred ? cred : "");
    return lc_call(cli, "GET", path, NULL, capacity_cols,
                   sizeof capacity_cols / sizeof capacity_cols[0]);
}

int cmd_lending_borrowing(const struct cli *cli, int argc, char **argv)
{
    const char *cred = lc_pos(argc, argv, 0), *mode = lc_pos(argc, argv, 1);
    if (!cred)
        return lc_usage(cli, "lending borrowing CREDENTIAL_ID|'*' [above_capacity|always|default]");
    if (!path_safe("credential", cred))
        return CLI_USAGE;
    char path[256];
    snprintf(path, sizeof path, "/v1/federation/borrowing/%s", cred);
    if (!mode)
        return lc_call(cli, "GET", path, NULL, NULL, 0);
    if (strcmp(mode, "default") == 0)
        return lc_call(cli, "DELETE", path, NULL, NULL, 0);
    return lc_call(cli, "PUT", path, json_pack("{s:s}", "mode", mode), NULL, 0);
}
