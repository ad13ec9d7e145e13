/* cmd_remote.c - `accordctl remote ...`: a reviewer's certifications by other
 * nodes (docs/borrowing.md, "Cross-node certification"), followed from their
 * own node: the issuer's word, training, draws, answers, the signed record
 * and checking a presented one; and `accordctl reviewer suspend`, the
 * issuer's admin taking a certified reviewer out of the pool by hand.
 * (`accordctl reviewer apply --peer NODE CRED` applies: cmd_reviewer.c.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/buf.h"
#include "lifecycle_cli.h"

#define RECORD_TYPE "application/accord-reviewer-cert+cbor"

/* Parses positional |i| as an id named |what| into |*id|. */
static int pos_id(const struct cli *cli, int argc, char **argv, int i, const char *what,
                  long long *id)
{
    const char *s = lc_pos(argc, argv, i);
    return s ? cli_parse_id(cli, what, s, id) : CLI_USAGE;
}

int cmd_remote_list(const struct cli *cli, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    static const struct cli_column cols[] = {
        {"ID", "id"},         {"USER", "user_id"},
        {"ISSUER", "issuer"}, {"CREDENTIAL", "credential"},
        {"STATE", "state"},   {"PENDING", "pending"},
    };
    return lc_call(cli, "GET", "/v1/remote-certifications", NULL, cols, 6);
}

int cmd_remote_show(const struct cli *cli, int argc, char **argv)
{
    long long id;
    if (pos_id(cli, argc, argv, 0, "ID", &id))
        return lc_usage(cli, "remote show ID");
    char path[96];
    snprintf(path, sizeof path, "/v1/remote-certifications/%lld", id);
    return lc_call(cli, "GET", path, NULL, NULL, 0);
}

int cmd_remote_trained(const struct cli *cli, int argc, char **argv)
{
    long long id;
    if (pos_id(cli, argc, argv, 0, "ID", &id))
        return lc_usage(cli, "remote trained ID");
    char path[128];
    snprintf(path, sizeof path, "/v1/remote-certifications/%lld/training-complete", id);
    return lc_call(cli, "POST", path, NULL, NULL, 0);
}

int cmd_remote_attempt(const struct cli *cli, int argc, char **argv)
{
    long long id;
    if (pos_id(cli, argc, argv, 0, "ID", &id))
        return lc_usage(cli, "remote attempt ID");
    char path[128];
    snprintf(path, sizeof path, "/v1/remote-certifications/%lld/attempts", id);
    return lc_call(cli, "POST", path, NULL, NULL, 0);
}

int cmd_remote_answer(const struct cli *cli, int argc, char **argv)
{
    static const char usage[] =
        "remote answer ID ATTEMPT FILE.json   (FILE: [{\"item_id\", \"level\"}, ...])";
    long long id, attempt;
    const char *file = lc_pos(argc, argv, 2);
    if (!file || pos_id(cli, argc, argv, 0, "ID", &id) ||
        pos_id(cli, argc, argv, 1, "ATTEMPT", &attempt))
        return lc_usage(cli, usage);
    json_t *answers = lc_load(cli, file);
    if (!answers)
        return CLI_USAGE;
    char path[160];
    snprintf(path, sizeof path, "/v1/remote-certifications/%lld/attempts/%lld/answers", id,
             attempt);
    return lc_call(cli, "POST", path, json_pack("{s:o}", "answers", answers), NULL, 0);
}

int cmd_remote_record(const struct cli *cli, int argc, char **argv)
{
    long long id;
    const char *out = lc_opt(argc, argv, "--out");
    if (!out || pos_id(cli, argc, argv, 0, "ID", &id))
        return lc_usage(cli, "remote record ID --out FILE.cose");
    char path[128];
    snprintf(path, sizeof path, "/v1/remote-certifications/%lld/record", id);
    struct ac_buf b = AC_BUF_INIT;
    int rc = cli_request_raw(cli, path, &b);
    if (rc == CLI_OK) {
        FILE *f = fopen(out, "wb");
        if (!f || fwrite(b.data, 1, b.len, f) != b.len || fclose(f) != 0) {
            fprintf(stderr, "%s: cannot write %s\n", cli->prog, out);
            rc = CLI_USAGE;
        } else {
            printf("wrote %zu bytes to %s\n", b.len, out);
        }
    }
    ac_buf_release(&b);
    return rc;
}

int cmd_remote_verify(const struct cli *cli, int argc, char **argv)
{
    const char *file = lc_pos(argc, argv, 0);
    if (!file)
        return lc_usage(cli, "remote verify FILE.cose");
    FILE *f = fopen(file, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot read %s\n", cli->prog, file);
        return CLI_USAGE;
    }
    struct ac_buf b = AC_BUF_INIT;
    uint8_t chunk[4096];
    size_t got;
    int err = 0;
    while (!err && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        err = ac_buf_append(&b, chunk, got);
    fclose(f);
    json_t *out = NULL;
    int rc = err ? CLI_USAGE
                 : cli_request_bytes(cli, "POST", "/v1/certification-records/verify", RECORD_TYPE,
                                     b.data, b.len, &out);
    if (rc == CLI_OK && !cli_print_json(cli, out))
        cli_print_object(out);
    json_decref(out);
    ac_buf_release(&b);
    return rc;
}

int cmd_reviewer_suspend(const struct cli *cli, int argc, char **argv)
{
    static const char usage[] = "reviewer suspend ID@VERSION USER --reason TEXT [--decertify yes]";
    const char *ref = lc_pos(argc, argv, 0), *reason = lc_opt(argc, argv, "--reason");
    const char *decertify = lc_opt(argc, argv, "--decertify");
    long long uid;
    if (!ref || !reason || pos_id(cli, argc, argv, 1, "USER", &uid))
        return lc_usage(cli, usage);
    char path[256];
    snprintf(path, sizeof path, "/v1/definitions/%s/reviewers/%lld/suspend", ref, uid);
    return lc_call(cli, "POST", path,
                   json_pack("{s:s, s:b}", "reason", reason, "decertify",
                             decertify && strcmp(decertify, "yes") == 0),
                   NULL, 0);
}
