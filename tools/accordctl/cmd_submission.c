/* cmd_submission.c - `accordctl submission create|resubmit|show|list|
 * recommendations`: an earner's work for a credential, its status and
 * outcome, and what to earn next. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle_cli.h"

#define SUBMIT_USAGE                                                                               \
    "[--text ELEMENT=TEXT]... [--artifact ELEMENT=SHA256]... [--team NAME] [--domain D] "          \
    "[--school S] [--district D] [--version N]"

/* Adds the --text and --artifact elements and the optional fields to |body|.
 * Returns CLI_OK or CLI_USAGE (after saying which argument is wrong). */
static int fill_body(const struct cli *cli, int argc, char **argv, json_t *body)
{
    json_t *elements = json_array();
    json_object_set_new(body, "elements", elements);
    for (int i = 1; i + 1 < argc; i++) {
        int text = strcmp(argv[i], "--text") == 0;
        if (!text && strcmp(argv[i], "--artifact") != 0)
            continue;
        const char *eq = strchr(argv[i + 1], '=');
        if (!eq || eq == argv[i + 1]) {
            fprintf(stderr, "%s: %s \"%s\": expected ELEMENT=%s\n", cli->prog, argv[i], argv[i + 1],
                    text ? "TEXT" : "SHA256");
            return CLI_USAGE;
        }
        char id[128];
        snprintf(id, sizeof id, "%.*s", (int)(eq - argv[i + 1]), argv[i + 1]);
        json_array_append_new(
            elements, json_pack("{s:s, s:s}", "id", id, text ? "text" : "artifact", eq + 1));
    }
    static const char *const fields[] = {"team", "domain", "school", "district"};
    for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
        char opt[32];
        snprintf(opt, sizeof opt, "--%s", fields[f]);
        const char *v = lc_opt(argc, argv, opt);
        if (v)
            json_object_set_new(body, fields[f], json_string(v));
    }
    const char *version = lc_opt(argc, argv, "--version");
    if (version) {
        long long v;
        if (cli_parse_id(cli, "version", version, &v) != CLI_OK)
            return CLI_USAGE;
        json_object_set_new(body, "version", json_integer(v));
    }
    return CLI_OK;
}

static const struct cli_column sub_cols[] = {
    {"ID", "id"},       {"CREDENTIAL", "credential"}, {"STATE", "state"},
    {"LEVEL", "level"}, {"PASSED", "passed"},         {"CREATED", "created_at"},
};

int cmd_submission_create(const struct cli *cli, int argc, char **argv)
{
    const char *cred = lc_pos(argc, argv, 0);
    if (!cred)
        return lc_usage(cli, "submission create CREDENTIAL " SUBMIT_USAGE);
    json_t *body = json_pack("{s:s}", "credential", cred);
    if (fill_body(cli, argc, argv, body) != CLI_OK) {
        json_decref(body);
        return CLI_USAGE;
    }
    return lc_call(cli, "POST", "/v1/submissions", body, NULL, 0);
}

int cmd_submission_resubmit(const struct cli *cli, int argc, char **argv)
{
    const char *prev = lc_pos(argc, argv, 0);
    long long id;
    if (!prev)
        return lc_usage(cli, "submission resubmit PREVIOUS_ID " SUBMIT_USAGE);
    if (cli_parse_id(cli, "submission id", prev, &id) != CLI_OK)
        return CLI_USAGE;
    /* The new attempt is for the credential (and version) of the failed one. */
    char path[64];
    snprintf(path, sizeof path, "/v1/submissions/%lld", id);
    json_t *old = NULL;
    int rc = cli_request(cli, "GET", path, NULL, &old);
    if (rc != CLI_OK)
        return rc;
    const char *cred = json_string_value(json_object_get(old, "credential"));
    json_t *body = json_pack("{s:s, s:I, s:O}", "credential", cred ? cred : "", "previous",
                             (json_int_t)id, "version", json_object_get(old, "version"));
    json_decref(old);
    if (!body || fill_body(cli, argc, argv, body) != CLI_OK) {
        json_decref(body);
        return CLI_USAGE;
    }
    return lc_call(cli, "POST", "/v1/submissions", body, NULL, 0);
}

int cmd_submission_show(const struct cli *cli, int argc, char **argv)
{
    const char *sid = lc_pos(argc, argv, 0);
    long long id;
    if (!sid)
        return lc_usage(cli, "submission show ID");
    if (cli_parse_id(cli, "submission id", sid, &id) != CLI_OK)
        return CLI_USAGE;
    char path[64];
    snprintf(path, sizeof path, "/v1/submissions/%lld", id);
    return lc_call(cli, "GET", path, NULL, NULL, 0);
}

int cmd_submission_list(const struct cli *cli, int argc, char **argv)
{
    const char *cred = lc_opt(argc, argv, "--credential");
    const char *state = lc_opt(argc, argv, "--state");
    const char *limit = lc_opt(argc, argv, "--limit");
    char path[512];
    int k = snprintf(path, sizeof path, "/v1/submissions?limit=%s", limit ? limit : "100");
    if (cred)
        k += snprintf(path + k, sizeof path - (size_t)k, "&credential=%s", cred);
    if (state)
        snprintf(path + k, sizeof path - (size_t)k, "&state=%s", state);
    return lc_call(cli, "GET", path, NULL, sub_cols, sizeof sub_cols / sizeof sub_cols[0]);
}

int cmd_submission_recommendations(const struct cli *cli, int argc, char **argv)
{
    static const struct cli_column cols[] = {
        {"CREDENTIAL", "credential"}, {"REASON", "reason"}, {"BECAUSE", "because"}};
    const char *sid = lc_pos(argc, argv, 0);
    long long id;
    if (!sid)
        return lc_usage(cli, "submission recommendations ID");
    if (cli_parse_id(cli, "submission id", sid, &id) != CLI_OK)
        return CLI_USAGE;
    char path[80];
    snprintf(path, sizeof path, "/v1/submissions/%lld/recommendations", id);
    return lc_call(cli, "GET", path, NULL, cols, sizeof cols / sizeof cols[0]);
}

int cmd_submission_notifications(const struct cli *cli, int argc, char **argv)
{
    static const struct cli_column cols[] = {{"ID", "id"},
                                             {"KIND", "kind"},
                                             {"SUBMISSION", "submission"},
                                             {"SUBJECT", "subject"},
                                             {"DELIVERED", "delivered"}};
    (void)argc;
    (void)argv;
    return lc_call(cli, "GET", "/v1/notifications", NULL, cols, sizeof cols / sizeof cols[0]);
}
