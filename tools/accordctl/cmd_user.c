/* cmd_user.c - `accordctl user add|list|show|disable|roles|email|
 * verify-email`: the node's users, the set of roles each holds, and the
 * verified e-mail address its records name it by. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lifecycle_cli.h"
#include "list.h"

static const struct cli_column user_columns[] = {
    {"ID", "id"},
    {"NAME", "name"},
    {"ROLES", "roles"},
    {"DISABLED", "disabled"},
    {"CREATED", "created_at"},
    {"DISPLAY NAME", "display_name"},
};
#define NCOLS (sizeof user_columns / sizeof user_columns[0])

/* Adds each comma-separated role in |list| to the JSON array |roles|. */
static void add_roles(json_t *roles, const char *list)
{
    char *copy = strdup(list), *save = NULL;
    for (char *r = copy ? strtok_r(copy, ",", &save) : NULL; r; r = strtok_r(NULL, ",", &save))
        json_array_append_new(roles, json_string(r));
    free(copy);
}

int cmd_user_add(const struct cli *cli, int argc, char **argv)
{
    const char *name = NULL, *display = NULL, *email = NULL;
    json_t *roles = json_array();
    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "--role") == 0 || strcmp(argv[i], "--roles") == 0) && i + 1 < argc)
            add_roles(roles, argv[++i]);
        else if (strcmp(argv[i], "--email") == 0 && i + 1 < argc)
            email = argv[++i];
        else if (strcmp(argv[i], "--display-name") == 0 && i + 1 < argc)
            display = argv[++i];
        else if (argv[i][0] != '-' && !name)
            name = argv[i];
        else
            name = NULL, i = argc;
    }
    if (!name || json_array_size(roles) == 0) {
        fprintf(stderr,
                "usage: %s user add NAME --role ROLE[,ROLE...] [--display-name TEXT] "
                "[--email ADDRESS]\n"
                "roles: admin, expert, reviewer, earner, recognizer\n"
                "--email: the user's address, which you vouch for (it counts as verified)\n",
                cli->prog);
        json_decref(roles);
        return CLI_USAGE;
    }
    json_t *body = json_pack("{s:s, s:o}", "name", name, "roles", roles);
    if (display)
        json_object_set_new(body, "display_name", json_string(display));
    if (email)
        json_object_set_new(body, "email", json_string(email));
    json_t *resp;
    int rc = cli_request(cli, "POST", "/v1/users", body, &resp);
    json_decref(body);
    if (rc != CLI_OK)
        return rc;
    if (!cli_print_json(cli, resp))
        printf("added user %s (id %lld)\n", json_string_value(json_object_get(resp, "name")),
               (long long)json_integer_value(json_object_get(resp, "id")));
    json_decref(resp);
    return CLI_OK;
}

int cmd_user_list(const struct cli *cli, int argc, char **argv)
{
    long long limit = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
            if (cli_parse_id(cli, "--limit", argv[++i], &limit))
                return CLI_USAGE;
        } else {
            fprintf(stderr, "usage: %s user list [--limit N]\n", cli->prog);
            return CLI_USAGE;
        }
    }
    return cli_list_all(cli, "/v1/users", limit, user_columns, NCOLS);
}

/* GETs or POSTs |path_fmt| for the id in argv[1] and prints the user. */
static int one_user(const struct cli *cli, int argc, char **argv, const char *method,
                    const char *suffix, const char *verb)
{
    long long id = 0;
    int me = argc == 2 && strcmp(argv[1], "me") == 0 && strcmp(method, "GET") == 0;
    if (argc != 2 || (!me && cli_parse_id(cli, "ID", argv[1], &id))) {
        fprintf(stderr, "usage: %s user %s ID%s\n", cli->prog, verb,
                strcmp(method, "GET") == 0 ? "|me" : "");
        return CLI_USAGE;
    }
    char path[96];
    if (me)
        snprintf(path, sizeof path, "/v1/users/me");
    else
        snprintf(path, sizeof path, "/v1/users/%lld%s", id, suffix);
    return lc_call(cli, method, path, NULL, NULL, 0);
}

int cmd_user_show(const struct cli *cli, int argc, char **argv)
{
    return one_user(cli, argc, argv, "GET", "", "show");
}

int cmd_user_disable(const struct cli *cli, int argc, char **argv)
{
    return one_user(cli, argc, argv, "POST", "/disable", "disable");
}

/* Roles are a set: `user roles ID --add reviewer` gives an earner a second
 * role; --remove takes one away. */
int cmd_user_roles(const struct cli *cli, int argc, char **argv)
{
    long long id = 0;
    json_t *add = json_array(), *remove = json_array();
    int ok = argc >= 4 && cli_parse_id(cli, "ID", argv[1], &id) == CLI_OK;
    for (int i = 2; ok && i < argc; i++) {
        if (strcmp(argv[i], "--add") == 0 && i + 1 < argc)
            add_roles(add, argv[++i]);
        else if (strcmp(argv[i], "--remove") == 0 && i + 1 < argc)
            add_roles(remove, argv[++i]);
        else
            ok = 0;
    }
    if (!ok) {
        fprintf(stderr,
                "usage: %s user roles ID [--add ROLE[,ROLE...]] [--remove ROLE[,ROLE...]]\n"
                "roles: admin, expert, reviewer, earner, recognizer\n",
                cli->prog);
        json_decref(add);
        json_decref(remove);
        return CLI_USAGE;
    }
    json_t *body = json_pack("{s:o, s:o}", "add", add, "remove", remove);
    char path[64];
    snprintf(path, sizeof path, "/v1/users/%lld/roles", id);
    return lc_call(cli, "POST", path, body, NULL, 0);
}

/* An earner invited to review (their pass qualifies them) takes the
 * reviewer role beside their own. */
int cmd_reviewer_accept_invitation(const struct cli *cli, int argc, char **argv)
{
    (void)argv;
    if (argc != 1) {
        fprintf(stderr, "usage: %s reviewer accept-invitation\n", cli->prog);
        return CLI_USAGE;
    }
    return lc_call(cli, "POST", "/v1/reviewer-invitations/accept", NULL, NULL, 0);
}

/* `user email ID|me [ADDRESS [--vouch]]`: shows the address, or sets it. A
 * user setting its own gets a link mailed to it; an admin may vouch. */
int cmd_user_email(const struct cli *cli, int argc, char **argv)
{
    const char *who = argc >= 2 ? argv[1] : NULL, *address = NULL;
    int vouch = 0, ok = who != NULL;
    for (int i = 2; ok && i < argc; i++) {
        if (strcmp(argv[i], "--vouch") == 0)
            vouch = 1;
        else if (argv[i][0] != '-' && !address)
            address = argv[i];
        else
            ok = 0;
    }
    long long id = 0;
    if (ok && strcmp(who, "me") != 0 && cli_parse_id(cli, "ID", who, &id))
        ok = 0;
    if (!ok || (vouch && !address)) {
        fprintf(stderr,
                "usage: %s user email ID|me [ADDRESS [--vouch]]\n"
                "without ADDRESS: shows the address and whether it is verified; with it: sets\n"
                "it and mails a one-time link to it (accordctl user verify-email TOKEN), or,\n"
                "with --vouch (an admin), counts it as verified at once\n",
                cli->prog);
        return CLI_USAGE;
    }
    json_t *resp;
    int rc;
    if (!id) {
        rc = cli_request(cli, "GET", "/v1/users/me", NULL, &resp);
        if (rc != CLI_OK)
            return rc;
        id = (long long)json_integer_value(json_object_get(resp, "id"));
        json_decref(resp);
    }
    char path[64];
    snprintf(path, sizeof path, "/v1/users/%lld/email", id);
    json_t *body = address ? json_pack("{s:s, s:b}", "email", address, "vouch", vouch) : NULL;
    rc = cli_request(cli, address ? "PUT" : "GET", path, body, &resp);
    json_decref(body);
    if (rc != CLI_OK)
        return rc;
    if (!cli_print_json(cli, resp)) {
        cli_print_object(resp);
        if (address && !json_is_true(json_object_get(resp, "verified")))
            printf("a one-time link was mailed to %s; run accordctl user verify-email TOKEN\n",
                   address);
    }
    json_decref(resp);
    return CLI_OK;
}

/* `user verify-email TOKEN`: redeems the link mailed to the caller's address. */
int cmd_user_verify_email(const struct cli *cli, int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s user verify-email TOKEN (from the mail: ace_...)\n", cli->prog);
        return CLI_USAGE;
    }
    json_t *body = json_pack("{s:s}", "token", argv[1]), *resp;
    int rc = cli_request(cli, "POST", "/v1/email/verify", body, &resp);
    json_decref(body);
    if (rc != CLI_OK)
        return rc;
    if (!cli_print_json(cli, resp))
        printf("verified %s\n", json_string_value(json_object_get(resp, "email")));
    json_decref(resp);
    return CLI_OK;
}
