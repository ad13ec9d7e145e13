/* cmd_review.c - `accordctl review ...`: a reviewer's invitations, accepting
 * or declining a batch before seeing its content, reading an accepted
 * assignment (and its artifacts), scoring, and availability. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lifecycle_cli.h"
#include "review_cli.h"

int cmd_review_invitations(const struct cli *cli, int argc, char **argv)
{
    static const struct cli_column cols[] = {{"BATCH", "id"},
                                             {"CREDENTIAL", "credential"},
                                             {"STATE", "state"},
                                             {"DEADLINE", "deadline"}};
    (void)argc;
    (void)argv;
    json_t *resp = NULL;
    int rc = cli_request(cli, "GET", "/v1/reviews/batches", NULL, &resp);
    if (rc != CLI_OK || !resp || cli_print_json(cli, resp)) {
        json_decref(resp);
        return rc;
    }
    json_t *items = json_object_get(resp, "items");
    cli_print_table(items, cols, sizeof cols / sizeof cols[0]);
    /* The assignments of each batch, so the reviewer knows what to open. */
    size_t i;
    json_t *b;
    json_array_foreach(items, i, b)
    {
        size_t k;
        json_t *a;
        printf("batch %lld:", (long long)json_integer_value(json_object_get(b, "id")));
        json_array_foreach(json_object_get(b, "items"), k, a)
            printf(" %lld (%s)", (long long)json_integer_value(json_object_get(a, "assignment")),
                   json_string_value(json_object_get(a, "state")));
        putchar('\n');
    }
    json_decref(resp);
    return CLI_OK;
}

static int respond(const struct cli *cli, int argc, char **argv, const char *verb)
{
    const char *bid = lc_pos(argc, argv, 0);
    long long id;
    if (!bid) {
        char usage[64];
        snprintf(usage, sizeof usage, "review %s BATCH", verb);
        return lc_usage(cli, usage);
    }
    if (cli_parse_id(cli, "batch id", bid, &id) != CLI_OK)
        return CLI_USAGE;
    char path[80];
    snprintf(path, sizeof path, "/v1/reviews/batches/%lld/%s", id, verb);
    return lc_call(cli, "POST", path, NULL, NULL, 0);
}

int cmd_review_accept(const struct cli *cli, int argc, char **argv)
{
    return respond(cli, argc, argv, "accept");
}

int cmd_review_decline(const struct cli *cli, int argc, char **argv)
{
    return respond(cli, argc, argv, "decline");
}

int cmd_review_show(const struct cli *cli, int argc, char **argv)
{
    const char *aid = lc_pos(argc, argv, 0);
    const char *dir = lc_opt(argc, argv, "--artifacts");
    long long id;
    if (!aid)
        return lc_usage(cli, "review show ASSIGNMENT [--artifacts DIR]");
    if (cli_parse_id(cli, "assignment id", aid, &id) != CLI_OK)
        return CLI_USAGE;
    char path[80];
    snprintf(path, sizeof path, "/v1/reviews/assignments/%lld", id);
    json_t *resp = NULL;
    int rc = cli_request(cli, "GET", path, NULL, &resp);
    if (rc != CLI_OK)
        return rc;
    json_t *elements = json_object_get(resp, "elements");
    size_t i;
    json_t *e;
    /* Artifacts first: they are readable only while the assignment lasts. */
    if (dir && mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "%s: --artifacts: %s: %s\n", cli->prog, dir, strerror(errno));
        rc = CLI_USAGE;
    }
    json_array_foreach(elements, i, e)
    {
        const char *art = json_string_value(json_object_get(e, "artifact"));
        if (dir && rc == CLI_OK && art) {
            char file[1024];
            snprintf(file, sizeof file, "%s/%s", dir, art);
            rc = artifact_save(cli, art, file, NULL);
        }
    }
    if (rc == CLI_OK && !cli_print_json(cli, resp)) {
        printf("assignment %lld (batch %lld, %s)\n", id,
               (long long)json_integer_value(json_object_get(resp, "batch")),
               json_string_value(json_object_get(resp, "credential")));
        json_array_foreach(elements, i, e)
        {
            const char *text = json_string_value(json_object_get(e, "text"));
            const char *art = json_string_value(json_object_get(e, "artifact"));
            printf("\n[%s]\n", json_string_value(json_object_get(e, "id")));
            if (text)
                printf("%s\n", text);
            if (art && dir)
                printf("artifact %s, saved as %s/%s (SHA-256 checked)\n", art, dir, art);
            else if (art)
                printf("artifact %s (--artifacts DIR saves it)\n", art);
        }
    }
    json_decref(resp);
    return rc;
}

int cmd_review_score(const struct cli *cli, int argc, char **argv)
{
    static const char usage[] =
        "review score ASSIGNMENT --level LEVEL | --element ELEMENT=LEVEL... [--feedback TEXT]";
    const char *aid = lc_pos(argc, argv, 0);
    const char *level = lc_opt(argc, argv, "--level");
    const char *feedback = lc_opt(argc, argv, "--feedback");
    long long id;
    if (!aid)
        return lc_usage(cli, usage);
    if (cli_parse_id(cli, "assignment id", aid, &id) != CLI_OK)
        return CLI_USAGE;
    json_t *levels = json_object();
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--element") != 0)
            continue;
        const char *eq = strchr(argv[i + 1], '=');
        if (!eq || eq == argv[i + 1]) {
            json_decref(levels);
            fprintf(stderr, "%s: --element \"%s\": expected ELEMENT=LEVEL\n", cli->prog,
                    argv[i + 1]);
            return CLI_USAGE;
        }
        char el[128];
        snprintf(el, sizeof el, "%.*s", (int)(eq - argv[i + 1]), argv[i + 1]);
        json_object_set_new(levels, el, json_string(eq + 1));
    }
    if (!level == !json_object_size(levels)) {
        json_decref(levels);
        return lc_usage(cli, usage);
    }
    json_t *body = json_object();
    if (level) {
        json_object_set_new(body, "level", json_string(level));
        json_decref(levels);
    } else {
        json_object_set_new(body, "levels", levels);
    }
    if (feedback)
        json_object_set_new(body, "feedback", json_string(feedback));
    char path[80];
    snprintf(path, sizeof path, "/v1/reviews/assignments/%lld/score", id);
    return lc_call(cli, "POST", path, body, NULL, 0);
}

int cmd_review_availability(const struct cli *cli, int argc, char **argv)
{
    const char *v = lc_pos(argc, argv, 0);
    if (!v || (strcmp(v, "on") != 0 && strcmp(v, "off") != 0))
        return lc_usage(cli, "review availability on|off");
    return lc_call(cli, "PUT", "/v1/reviewers/me",
                   json_pack("{s:b}", "available", strcmp(v, "on") == 0), NULL, 0);
}
