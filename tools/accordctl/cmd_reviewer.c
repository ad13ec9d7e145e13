/* cmd_reviewer.c - `accordctl reviewer ...`: a reviewer's profile,
 * application, certification attempts; the admin's screening, registry of
 * credentials held elsewhere, pool status with each member and where they
 * live (this node or a lender), and reinstating a reviewer
 * monitoring took out of the pool. */
#include <stdio.h>
#include <string.h>

#include "lifecycle_cli.h"

int cmd_reviewer_profile(const struct cli *cli, int argc, char **argv)
{
    const char *school = lc_opt(argc, argv, "--school");
    const char *district = lc_opt(argc, argv, "--district");
    const char *domains = lc_opt(argc, argv, "--domains");
    const char *available = lc_opt(argc, argv, "--available");
    if (!school && !district && !domains && !available)
        return lc_call(cli, "GET", "/v1/reviewers/me", NULL, NULL, 0);
    json_t *body = json_object();
    if (school)
        json_object_set_new(body, "school", json_string(school));
    if (district)
        json_object_set_new(body, "district", json_string(district));
    if (available)
        json_object_set_new(body, "available", json_boolean(strcmp(available, "yes") == 0));
    if (domains) {
        json_t *a = json_array();
        char copy[1024], *save = NULL;
        snprintf(copy, sizeof copy, "%s", domains);
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
            json_array_append_new(a, json_string(t));
        json_object_set_new(body, "domains", a);
    }
    return lc_call(cli, "PUT", "/v1/reviewers/me", body, NULL, 0);
}

int cmd_reviewer_apply(const struct cli *cli, int argc, char **argv)
{
    const char *ref = lc_pos(argc, argv, 0), *peer = lc_opt(argc, argv, "--peer");
    if (!ref)
        return lc_usage(cli, "reviewer apply [--peer NODE] ID@VERSION [--answer KEY=TEXT]...");
    json_t *answers = json_object();
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--answer") != 0)
            continue;
        const char *eq = strchr(argv[i + 1], '=');
        if (!eq) {
            json_decref(answers);
            return lc_usage(cli, "reviewer apply [--peer NODE] ID@VERSION [--answer KEY=TEXT]...");
        }
        char key[128];
        snprintf(key, sizeof key, "%.*s", (int)(eq - argv[i + 1]), argv[i + 1]);
        json_object_set_new(answers, key, json_string(eq + 1));
    }
    /* --held CRED=RECORD: a record the peer issued, which it checks itself
     * for a "holds credential" qualification. */
    json_t *held = json_array();
    for (int i = 1; peer && i + 1 < argc; i++) {
        if (strcmp(argv[i], "--held") != 0)
            continue;
        const char *eq = strchr(argv[i + 1], '=');
        long long rec;
        if (!eq || cli_parse_id(cli, "RECORD", eq + 1, &rec)) {
            json_decref(held);
            json_decref(answers);
            return lc_usage(cli, "reviewer apply --peer NODE CRED [--held CRED=RECORD]...");
        }
        json_array_append_new(held, json_pack("{s:s%, s:I}", "credential", argv[i + 1],
                                              (size_t)(eq - argv[i + 1]), "record",
                                              (json_int_t)rec));
    }
    json_t *body = json_pack("{s:o}", "answers", answers);
    if (json_array_size(held))
        json_object_set(body, "held", held);
    json_decref(held);
    char path[256];
    /* With --peer the reviewer applies, from here, for a peer's credential
     * (cross-node certification: REF is then the peer's definition id). */
    if (peer)
        snprintf(path, sizeof path, "/v1/peers/%s/credentials/%s/apply", peer, ref);
    else
        snprintf(path, sizeof path, "/v1/definitions/%s/applications", ref);
    return lc_call(cli, "POST", path, body, NULL, 0);
}

int cmd_reviewer_applications(const struct cli *cli, int argc, char **argv)
{
    static const struct cli_column cols[] = {
        {"USER", "user_id"},
        {"STATE", "state"},
        {"ATTEMPTS", "attempts"},
        {"APPLIED", "applied_at"},
    };
    const char *ref = lc_pos(argc, argv, 0), *state = lc_opt(argc, argv, "--state");
    if (!ref)
        return lc_usage(cli, "reviewer applications ID@VERSION [--state STATE]");
    char path[256];
    snprintf(path, sizeof path, "/v1/definitions/%s/applications?limit=200%s%s", ref,
             state ? "&state=" : "", state ? state : "");
    return lc_call(cli, "GET", path, NULL, cols, 4);
}

int cmd_reviewer_screen(const struct cli *cli, int argc, char **argv)
{
    const char *ref = lc_pos(argc, argv, 0), *user = lc_pos(argc, argv, 1);
    const char *decision = lc_pos(argc, argv, 2), *reason = lc_opt(argc, argv, "--reason");
    long long uid;
    if (!ref || !user || !decision ||
        (strcmp(decision, "approve") != 0 && strcmp(decision, "reject") != 0))
        return lc_usage(cli, "reviewer screen ID@VERSION USER approve|reject [--reason TEXT]");
    if (cli_parse_id(cli, "USER", user, &uid))
        return CLI_USAGE;
    json_t *body = json_pack("{s:b}", "approve", strcmp(decision, "approve") == 0);
    if (reason)
        json_object_set_new(body, "reason", json_string(reason));
    char path[256];
    snprintf(path, sizeof path, "/v1/definitions/%s/applications/%lld/screen", ref, uid);
    return lc_call(cli, "POST", path, body, NULL, 0);
}

int cmd_reviewer_reinstate(const struct cli *cli, int argc, char **argv)
{
    const char *ref = lc_pos(argc, argv, 0), *user = lc_pos(argc, argv, 1);
    const char *reason = lc_opt(argc, argv, "--reason");
    long long uid;
    if (!ref || !user)
        return lc_usage(cli, "reviewer reinstate ID@VERSION USER [--reason TEXT]");
    if (cli_parse_id(cli, "USER", user, &uid))
        return CLI_USAGE;
    json_t *body = json_object();
    if (reason)
        json_object_set_new(body, "reason", json_string(reason));
    char path[256];
    snprintf(path, sizeof path, "/v1/definitions/%s/reviewers/%lld/reinstate", ref, uid);
    return lc_call(cli, "POST", path, body, NULL, 0);
}

int cmd_reviewer_hold(const struct cli *cli, int argc, char **argv)
{
    const char *user = lc_pos(argc, argv, 0), *cred = lc_pos(argc, argv, 1);
    const char *issuer = lc_opt(argc, argv, "--issuer");
    long long uid;
    if (!user || !cred)
        return lc_usage(cli, "reviewer hold USER CREDENTIAL_ID [--issuer DID]");
    if (cli_parse_id(cli, "USER", user, &uid))
        return CLI_USAGE;
    return lc_call(cli, "POST", "/v1/held-credentials",
                   json_pack("{s:I, s:s, s:s}", "user_id", (json_int_t)uid, "credential", cred,
                             "issuer", issuer ? issuer : ""),
                   NULL, 0);
}

int cmd_reviewer_status(const struct cli *cli, int argc, char **argv)
{
    const char *ref = lc_pos(argc, argv, 0);
    if (!ref)
        return lc_usage(cli, "reviewer status ID@VERSION");
    char path[256];
    snprintf(path, sizeof path, "/v1/definitions/%s/certification", ref);
    return lc_call(cli, "GET", path, NULL, NULL, 0);
}

int cmd_reviewer_attempt(const struct cli *cli, int argc, char **argv)
{
    const char *ref = lc_pos(argc, argv, 0);
    if (!ref)
        return lc_usage(cli, "reviewer attempt ID@VERSION   (prints the items to score)");
    char path[256];
    snprintf(path, sizeof path, "/v1/definitions/%s/certification/attempts", ref);
    return lc_call(cli, "POST", path, NULL, NULL, 0);
}

int cmd_reviewer_answer(const struct cli *cli, int argc, char **argv)
{
    const char *id = lc_pos(argc, argv, 0), *file = lc_pos(argc, argv, 1);
    long long n;
    if (!id || !file)
        return lc_usage(cli, "reviewer answer ATTEMPT FILE.json   "
                             "(FILE: [{\"item_id\", \"level\"}, ...])");
    if (cli_parse_id(cli, "ATTEMPT", id, &n))
        return CLI_USAGE;
    json_t *answers = lc_load(cli, file);
    if (!answers)
        return CLI_USAGE;
    char path[128];
    snprintf(path, sizeof path, "/v1/certification/attempts/%lld/answers", n);
    return lc_call(cli, "POST", path, json_pack("{s:o}", "answers", answers), NULL, 0);
}

/* The pool's figures as lines, then its members as a table: own reviewers
 * ("local") and borrowed ones (their home node). */
int cmd_reviewer_pool(const struct cli *cli, int argc, char **argv)
{
    static const struct cli_column cols[] = {
        {"USER", "user_id"},
        {"NAME", "name"},
        {"DISPLAY NAME", "display_name"},
        {"LIVES", "lives"},
        {"STATE", "state"},
        {"HOME USER", "home_user"},
        {"SLOTS/MONTH", "slots_per_month"},
    };
    const char *ref = lc_pos(argc, argv, 0);
    if (!ref)
        return lc_usage(cli, "reviewer pool ID@VERSION");
    char path[256];
    snprintf(path, sizeof path, "/v1/definitions/%s/pool", ref);
    json_t *resp = NULL;
    int rc = cli_request(cli, "GET", path, NULL, &resp);
    if (rc != CLI_OK)
        return rc;
    if (resp && !cli_print_json(cli, resp)) {
        json_t *members = json_incref(json_object_get(resp, "reviewers"));
        json_object_del(resp, "reviewers");
        cli_print_object(resp);
        if (json_array_size(members)) {
            printf("\n");
            cli_print_table(members, cols, sizeof cols / sizeof cols[0]);
        }
        json_decref(members);
    }
    json_decref(resp);
    return CLI_OK;
}
