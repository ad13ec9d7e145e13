/* cmd_training.c - `accordctl training ...`: a credential's training module
 * and the node's general module (viewing, writing, completing). */
#include <stdio.h>
#include <string.h>

#include "lifecycle_cli.h"

static int with_ref(const struct cli *cli, int argc, char **argv, const char *method,
                    const char *suffix, const char *usage)
{
    const char *ref = lc_pos(argc, argv, 0);
    if (!ref)
        return lc_usage(cli, usage);
    char path[256];
    snprintf(path, sizeof path, "/v1/definitions/%s/training-module%s", ref, suffix);
    return lc_call(cli, method, path, NULL, NULL, 0);
}

int cmd_training_show(const struct cli *cli, int argc, char **argv)
{
    return with_ref(cli, argc, argv, "GET", "", "training show ID@VERSION");
}

int cmd_training_generate(const struct cli *cli, int argc, char **argv)
{
    return with_ref(cli, argc, argv, "POST", "", "training generate ID@VERSION");
}

int cmd_training_complete(const struct cli *cli, int argc, char **argv)
{
    return with_ref(cli, argc, argv, "POST", "/complete", "training complete ID@VERSION");
}

int cmd_training_general(const struct cli *cli, int argc, char **argv)
{
    const char *verb = lc_pos(argc, argv, 0), *file = lc_pos(argc, argv, 1);
    if (verb && strcmp(verb, "show") == 0)
        return lc_call(cli, "GET", "/v1/general-module", NULL, NULL, 0);
    if (verb && strcmp(verb, "complete") == 0)
        return lc_call(cli, "POST", "/v1/general-module/complete", NULL, NULL, 0);
    if (verb && strcmp(verb, "set") == 0 && file) {
        json_t *body = lc_load(cli, file);
        return body ? lc_call(cli, "PUT", "/v1/general-module", body, NULL, 0) : CLI_USAGE;
    }
    return lc_usage(cli, "training general show | complete | set FILE.json   "
                         "(FILE: {\"title\", \"sections\": [{\"heading\", \"body\"}]})");
}
