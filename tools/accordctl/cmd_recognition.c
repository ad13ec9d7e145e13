/* cmd_recognition.c - `accordctl recognize ...`: a recognizer's policies, the
 * credentials teachers presented (verified by the node itself) and a
 * teacher's recognized total. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "list.h"

/* Largest record or bundle file read; the node refuses more than 64 KiB. */
#define MAX_FILE (64 * 1024)

static const struct cli_column policy_columns[] = {
    {"ID", "id"},
    {"RECOGNIZER", "recognizer_id"},
    {"ISSUER", "issuer"},
    {"CREDENTIAL", "credential_id"},
    {"MIN VERSION", "min_version"},
    {"PURPOSE", "purpose"},
    {"CEUS", "ceus"},
    {"APPROVAL", "requires_approval"},
};

static const struct cli_column presentation_columns[] = {
    {"ID", "id"},
    {"TEACHER", "teacher"},
    {"ISSUER", "issuer"},
    {"CREDENTIAL", "credential_id"},
    {"VERSION", "credential_version"},
    {"CEUS", "ceus"},
    {"VERDICT", "verdict"},
    {"STATUS", "status"},
    {"VERIFIED", "verified_at"},
};

static void print_policy(const json_t *p)
{
    const json_t *ceus = json_object_get(p, "ceus");
    printf("policy %lld: %s from %s (version >= %lld) counts toward %s",
           (long long)json_integer_value(json_object_get(p, "id")),
           json_string_value(json_object_get(p, "credential_id")),
           json_string_value(json_object_get(p, "issuer")),
           (long long)json_integer_value(json_object_get(p, "min_version")),
           json_string_value(json_object_get(p, "purpose")));
    if (json_is_number(ceus))
        printf(" for %.2f CEUs", json_number_value(ceus));
    else
        printf(" for the CEUs its record states");
    printf("%s%s\n",
           json_is_true(json_object_get(p, "requires_approval")) ? "; approval required" : "",
           json_is_true(json_object_get(p, "retired")) ? " (retired)" : "");
}

int cmd_recognize_policy_add(const struct cli *cli, int argc, char **argv)
{
    const char *cred = NULL, *purpose = NULL, *issuer = NULL, *note = NULL, *ceus = NULL;
    long long minv = 0;
    int approval = 0, bad = 0;
    for (int i = 1; i < argc && !bad; i++) {
        if (strcmp(argv[i], "--purpose") == 0 && i + 1 < argc)
            purpose = argv[++i];
        else if (strcmp(argv[i], "--issuer") == 0 && i + 1 < argc)
            issuer = argv[++i];
        else if (strcmp(argv[i], "--note") == 0 && i + 1 < argc)
            note = argv[++i];
        else if (strcmp(argv[i], "--ceus") == 0 && i + 1 < argc)
            ceus = argv[++i];
        else if (strcmp(argv[i], "--min-version") == 0 && i + 1 < argc)
            bad = cli_parse_id(cli, "--min-version", argv[++i], &minv) != 0;
        else if (strcmp(argv[i], "--requires-approval") == 0)
            approval = 1;
        else if (!cred && argv[i][0] != '-')
            cred = argv[i];
        else
            bad = 1;
    }
    char *end = NULL;
    double ceu_value = ceus ? strtod(ceus, &end) : 0;
    if (ceus && (end == ceus || *end)) {
        fprintf(stderr, "%s: --ceus: \"%s\" is not a number\n", cli->prog, ceus);
        bad = 1;
    }
    if (bad || !cred || !purpose) {
        fprintf(stderr,
                "usage: %s recognize policy-add CREDENTIAL_ID --purpose ceu|pay_scale|relicensure "
                "[--issuer NODE_ID] [--ceus N] [--min-version V] [--requires-approval] "
                "[--note TEXT]\n",
                cli->prog);
        return CLI_USAGE;
    }
    json_t *body = json_pack("{s:s, s:s, s:b}", "credential_id", cred, "purpose", purpose,
                             "requires_approval", approval);
    if (issuer)
        json_object_set_new(body, "issuer", json_string(issuer));
    if (note)
        json_object_set_new(body, "note", json_string(note));
    if (ceus)
        json_object_set_new(body, "ceus", json_real(ceu_value));
    if (minv)
        json_object_set_new(body, "min_version", json_integer(minv));
    json_t *resp;
    int rc = cli_request(cli, "POST", "/v1/recognition/policies", body, &resp);
    json_decref(body);
    if (rc != CLI_OK)
        return rc;
    if (!cli_print_json(cli, resp))
        print_policy(resp);
    json_decref(resp);
    return CLI_OK;
}

int cmd_recognize_policies(const struct cli *cli, int argc, char **argv)
{
    const char *recognizer = NULL;
    long long limit = 0, rid;
    int bad = 0;
    for (int i = 1; i < argc && !bad; i++) {
        if (strcmp(argv[i], "--recognizer") == 0 && i + 1 < argc)
            bad = cli_parse_id(cli, "--recognizer", recognizer = argv[++i], &rid) != 0;
        else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc)
            bad = cli_parse_id(cli, "--limit", argv[++i], &limit) != 0;
        else
            bad = 1;
    }
    if (bad) {
        fprintf(stderr, "usage: %s recognize policies [--recognizer USER_ID] [--limit N]\n",
                cli->prog);
        return CLI_USAGE;
    }
    char path[128] = "/v1/recognition/policies";
    cli_query_add(path, sizeof path, "recognizer", recognizer);
    return cli_list_all(cli, path, limit, policy_columns,
                        sizeof policy_columns / sizeof policy_columns[0]);
}

int cmd_recognize_policy_retire(const struct cli *cli, int argc, char **argv)
{
    long long id;
    if (argc != 2 || cli_parse_id(cli, "POLICY_ID", argv[1], &id)) {
        fprintf(stderr, "usage: %s recognize policy-retire POLICY_ID\n", cli->prog);
        return CLI_USAGE;
    }
    char path[80];
    snprintf(path, sizeof path, "/v1/recognition/policies/%lld/retire", id);
    json_t *resp;
    int rc = cli_request(cli, "POST", path, NULL, &resp);
    if (rc != CLI_OK)
        return rc;
    if (!cli_print_json(cli, resp))
        print_policy(resp);
    json_decref(resp);
    return CLI_OK;
}

/* Reads all of |path| ("-" for stdin), at most MAX_FILE bytes, into |buf|.
 * Returns the length, or -1 after printing why. */
static long read_file(const struct cli *cli, const char *path, unsigned char *buf)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: %s: %s\n", cli->prog, path, strerror(errno));
        return -1;
    }
    size_t n = fread(buf, 1, MAX_FILE + 1, f);
    int failed = ferror(f);
    if (f != stdin)
        fclose(f);
    if (failed || n > MAX_FILE) {
        fprintf(stderr, "%s: %s: %s\n", cli->prog, path,
                failed ? "read error" : "larger than 64 KiB");
        return -1;
    }
    return (long)n;
}

int cmd_recognize_present(const struct cli *cli, int argc, char **argv)
{
    const char *teacher = NULL, *file = NULL, *earner = NULL, *email = NULL;
    int bundle = 0, bad = 0;
    for (int i = 1; i < argc && !bad; i++) {
        if (strcmp(argv[i], "--bundle") == 0)
            bundle = 1;
        else if (strcmp(argv[i], "--email") == 0 && i + 1 < argc)
            email = argv[++i];
        else if (strcmp(argv[i], "--earner") == 0 && i + 1 < argc)
            earner = argv[++i];
        else if (!teacher && argv[i][0] != '-')
            teacher = argv[i];
        else if (!file && (argv[i][0] != '-' || strcmp(argv[i], "-") == 0))
            file = argv[i];
        else
            bad = 1;
    }
    long long earner_id = 0;
    if (!bad && earner && cli_parse_id(cli, "--earner", earner, &earner_id))
        bad = 1;
    if (bad || !teacher || !file) {
        fprintf(stderr,
                "usage: %s recognize present TEACHER FILE [--bundle] [--email ADDRESS]\n"
                "       [--earner USER_ID]\n"
                "  --email is the teacher's verified address: the record counts only when its\n"
                "  subject is that address's salted hash (without it, the verified address of\n"
                "  the --earner account is used);\n"
                "  --earner names the teacher's earner account here (for policies that\n"
                "  require approval);\n"
                "  FILE is the signed record (or, with --bundle, the credential bundle);\n"
                "  the node verifies it itself, asking its issuer for keys, log and status\n",
                cli->prog);
        return CLI_USAGE;
    }
    static unsigned char data[MAX_FILE + 1];
    long n = read_file(cli, file, data);
    if (n < 0)
        return CLI_USAGE;
    size_t b64len = sodium_base64_ENCODED_LEN((size_t)n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *b64 = malloc(b64len);
    if (!b64)
        return CLI_REFUSED;
    sodium_bin2base64(b64, b64len, data, (size_t)n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    json_t *body = json_pack("{s:s, s:s}", "teacher", teacher, bundle ? "bundle" : "record", b64);
    if (body && earner_id)
        json_object_set_new(body, "earner_id", json_integer(earner_id));
    if (body && email)
        json_object_set_new(body, "email", json_string(email));
    free(b64);
    json_t *resp;
    int rc = cli_request(cli, "POST", "/v1/recognition/presentations", body, &resp);
    json_decref(body);
    if (rc != CLI_OK)
        return rc;
    if (!cli_print_json(cli, resp))
        printf("presentation %lld: %s %s (version %lld) from %s for %s: %s, status %s\n",
               (long long)json_integer_value(json_object_get(resp, "id")),
               json_string_value(json_object_get(resp, "credential_id")),
               json_string_value(json_object_get(resp, "achieved_level")),
               (long long)json_integer_value(json_object_get(resp, "credential_version")),
               json_string_value(json_object_get(resp, "issuer")),
               json_string_value(json_object_get(resp, "teacher")),
               json_string_value(json_object_get(resp, "verdict")),
               json_string_value(json_object_get(resp, "status")));
    json_decref(resp);
    return CLI_OK;
}

int cmd_recognize_presentations(const struct cli *cli, int argc, char **argv)
{
    const char *teacher = NULL;
    long long limit = 0;
    int bad = 0;
    for (int i = 1; i < argc && !bad; i++) {
        if (strcmp(argv[i], "--teacher") == 0 && i + 1 < argc)
            teacher = argv[++i];
        else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc)
            bad = cli_parse_id(cli, "--limit", argv[++i], &limit) != 0;
        else
            bad = 1;
    }
    if (bad) {
        fprintf(stderr, "usage: %s recognize presentations [--teacher TEACHER] [--limit N]\n",
                cli->prog);
        return CLI_USAGE;
    }
    char path[512] = "/v1/recognition/presentations";
    if (cli_query_add(path, sizeof path, "teacher", teacher)) {
        fprintf(stderr, "%s: --teacher too long\n", cli->prog);
        return CLI_USAGE;
    }
    return cli_list_all(cli, path, limit, presentation_columns,
                        sizeof presentation_columns / sizeof presentation_columns[0]);
}

int cmd_recognize_total(const struct cli *cli, int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s recognize total TEACHER\n", cli->prog);
        return CLI_USAGE;
    }
    char path[512] = "", enc[480] = "";
    /* Percent-encode the teacher as a path segment by borrowing the query encoder. */
    if (cli_query_add(enc, sizeof enc, "t", argv[1])) {
        fprintf(stderr, "%s: TEACHER too long\n", cli->prog);
        return CLI_USAGE;
    }
    snprintf(path, sizeof path, "/v1/recognition/teachers/%s/total", enc + 3);
    json_t *resp;
    int rc = cli_request(cli, "GET", path, NULL, &resp);
    if (rc != CLI_OK)
        return rc;
    if (!cli_print_json(cli, resp)) {
        const json_t *t = json_object_get(resp, "totals");
        printf("teacher %s: %.2f CEUs, %.2f toward pay scale, %.2f toward relicensure\n", argv[1],
               json_number_value(json_object_get(t, "ceu")),
               json_number_value(json_object_get(t, "pay_scale")),
               json_number_value(json_object_get(t, "relicensure")));
        static const struct cli_column cols[] = {
            {"PURPOSE", "purpose"},
            {"ISSUER", "issuer"},
            {"CREDENTIAL", "credential_id"},
            {"VERSION", "credential_version"},
            {"CEUS", "ceus"},
            {"PRESENTATION", "presentation_id"},
            {"POLICY", "policy_id"},
        };
        cli_print_table(json_object_get(resp, "credentials"), cols, sizeof cols / sizeof cols[0]);
    }
    json_decref(resp);
    return CLI_OK;
}
