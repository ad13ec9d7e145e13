/* cmd_credential.c - `accordctl credential issue|show|revoke|suspend|
 * reinstate|export`: earned-credential records and their status. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "accord/base/buf.h"
#include "accord/render/qrpng.h"
#include "cli.h"
#include "lifecycle_cli.h"

#define QR_SCALE 4

/* Parses "1", "1.5" or "1.25" CEUs into hundredths. Returns 0 or -1. */
static int parse_ceu(const char *s, long long *out)
{
    long long whole = 0, frac = 0;
    int digits = 0, fdigits = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9' && digits < 12; p++, digits++)
        whole = whole * 10 + (*p - '0');
    if (digits == 0)
        return -1;
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9' && fdigits < 2; p++, fdigits++)
            frac = frac * 10 + (*p - '0');
        if (fdigits == 0)
            return -1;
        if (fdigits == 1)
            frac *= 10;
    }
    if (*p)
        return -1;
    *out = whole * 100 + frac;
    return 0;
}

int cmd_credential_issue(const struct cli *cli, int argc, char **argv)
{
    const char *email = NULL, *earner = NULL, *def = NULL, *version = NULL, *hash = NULL,
               *level = NULL, *ceu = NULL, *evidence = NULL;
    struct {
        const char *flag;
        const char **dst;
    } opts[] = {{"--email", &email},     {"--earner", &earner},     {"--definition", &def},
                {"--version", &version}, {"--content-hash", &hash}, {"--level", &level},
                {"--ceu", &ceu},         {"--evidence", &evidence}};
    int bad = 0;
    for (int i = 1; i < argc && !bad; i++) {
        bad = 1;
        for (size_t o = 0; o < sizeof opts / sizeof opts[0]; o++)
            if (strcmp(argv[i], opts[o].flag) == 0 && i + 1 < argc) {
                *opts[o].dst = argv[++i];
                bad = 0;
                break;
            }
    }
    long long v = 0, ceu_h = 0, earner_id = 0;
    if (!bad && version && cli_parse_id(cli, "--version", version, &v))
        return CLI_USAGE;
    if (!bad && earner && cli_parse_id(cli, "--earner", earner, &earner_id))
        return CLI_USAGE;
    if (!bad && ceu && parse_ceu(ceu, &ceu_h)) {
        fprintf(stderr, "%s: --ceu: \"%s\" must be a number with at most two decimals\n", cli->prog,
                ceu);
        return CLI_USAGE;
    }
    if (bad || !email == !earner || !def || !version || !hash || !level) {
        fprintf(stderr,
                "usage: %s credential issue (--email ADDRESS | --earner USER_ID) --definition ID "
                "--version N --content-hash HEX64 --level LEVEL [--ceu 1.5] [--evidence TEXT]\n"
                "the record names the earner by the salted hash of the address (one you vouch\n"
                "for) or of the user's verified address\n",
                cli->prog);
        return CLI_USAGE;
    }
    json_t *body = json_pack("{s:s, s:I, s:s, s:s}", "definition_id", def, "definition_version",
                             (json_int_t)v, "content_hash", hash, "achieved_level", level);
    if (body && email)
        json_object_set_new(body, "email", json_string(email));
    if (body && earner)
        json_object_set_new(body, "earner", json_integer(earner_id));
    if (body && ceu)
        json_object_set_new(body, "ceu_hundredths", json_integer(ceu_h));
    if (body && evidence)
        json_object_set_new(body, "evidence", json_string(evidence));
    return lc_call(cli, "POST", "/v1/credentials/issue", body, NULL, 0);
}

int cmd_credential_show(const struct cli *cli, int argc, char **argv)
{
    long long id;
    if (argc != 2 || cli_parse_id(cli, "ID", argv[1], &id)) {
        fprintf(stderr, "usage: %s credential show ID\n", cli->prog);
        return CLI_USAGE;
    }
    char path[96];
    snprintf(path, sizeof path, "/v1/credentials/%lld?format=json", id);
    return lc_call(cli, "GET", path, NULL, NULL, 0);
}

int cmd_credential_share(const struct cli *cli, int argc, char **argv)
{
    long long id;
    if (argc != 2 || cli_parse_id(cli, "ID", argv[1], &id)) {
        fprintf(stderr, "usage: %s credential share ID\n", cli->prog);
        return CLI_USAGE;
    }
    char path[96];
    snprintf(path, sizeof path, "/v1/credentials/%lld/shares", id);
    json_t *body = json_object();
    json_t *resp;
    int rc = body ? cli_request(cli, "POST", path, body, &resp) : CLI_REFUSED;
    json_decref(body);
    if (rc != CLI_OK)
        return rc;
    if (!cli_print_json(cli, resp))
        printf("credential %lld shared: %s\n(withdraw with: credential unshare %lld %s)\n", id,
               json_string_value(json_object_get(resp, "url")), id,
               json_string_value(json_object_get(resp, "token")));
    json_decref(resp);
    return CLI_OK;
}

int cmd_credential_unshare(const struct cli *cli, int argc, char **argv)
{
    long long id;
    if (argc != 3 || cli_parse_id(cli, "ID", argv[1], &id) || strlen(argv[2]) > 64 ||
        strspn(argv[2], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
            strlen(argv[2])) {
        fprintf(stderr, "usage: %s credential unshare ID TOKEN\n", cli->prog);
        return CLI_USAGE;
    }
    char path[160];
    snprintf(path, sizeof path, "/v1/credentials/%lld/shares/%s/withdraw", id, argv[2]);
    json_t *body = json_object();
    json_t *resp;
    int rc = body ? cli_request(cli, "POST", path, body, &resp) : CLI_REFUSED;
    json_decref(body);
    if (rc != CLI_OK)
        return rc;
    if (!cli_print_json(cli, resp))
        printf("credential %lld: share link withdrawn\n", id);
    json_decref(resp);
    return CLI_OK;
}

static int change(const struct cli *cli, int argc, char **argv, const char *verb)
{
    const char *reason = NULL, *ids = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--reason") == 0 && i + 1 < argc)
            reason = argv[++i];
        else if (!ids && argv[i][0] != '-')
            ids = argv[i];
        else
            ids = NULL, i = argc;
    }
    long long id;
    if (!ids || !reason || cli_parse_id(cli, "ID", ids, &id)) {
        fprintf(stderr, "usage: %s credential %s ID --reason TEXT\n", cli->prog, verb);
        return CLI_USAGE;
    }
    char path[96];
    snprintf(path, sizeof path, "/v1/credentials/%lld/%s", id, verb);
    json_t *body = json_pack("{s:s}", "reason", reason);
    return lc_call(cli, "POST", path, body, NULL, 0);
}

int cmd_credential_revoke(const struct cli *cli, int argc, char **argv)
{
    return change(cli, argc, argv, "revoke");
}

int cmd_credential_suspend(const struct cli *cli, int argc, char **argv)
{
    return change(cli, argc, argv, "suspend");
}

int cmd_credential_reinstate(const struct cli *cli, int argc, char **argv)
{
    return change(cli, argc, argv, "reinstate");
}

static int write_file(const struct cli *cli, const char *path, const void *p, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "%s: %s: %s\n", cli->prog, path, strerror(errno));
        return CLI_REFUSED;
    }
    return CLI_OK;
}

/* The readable summary: what a person reads before trusting the files. */
static void summary(const json_t *j, long long id, const char *qr, struct ac_buf *out)
{
    const char *keys[] = {"iss",
                          "sub",
                          "definition_id",
                          "definition_version",
                          "content_hash",
                          "achieved_level",
                          "ceu_hundredths",
                          "evidence",
                          "issued_at",
                          "kid",
                          "log_index",
                          "status_index",
                          "status",
                          "cti"};
    ac_buf_printf(out, "Accord credential %lld\n\n", id);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(j, keys[i]);
        if (json_is_string(v))
            ac_buf_printf(out, "%-19s %s\n", keys[i], json_string_value(v));
        else if (json_is_integer(v))
            ac_buf_printf(out, "%-19s %lld\n", keys[i], (long long)json_integer_value(v));
    }
    ac_buf_printf(out,
                  "\nFiles: credential-%lld.bundle.cbor (record, log inclusion proof, signed "
                  "checkpoint and status token: verify offline with accord-verify), "
                  "credential-%lld.cose (the signed record)%s%s.\n",
                  id, id, qr ? ", " : "; the record is too large for a QR code", qr ? qr : "");
}

/* --format ob3: the Open Badges 3.0 credential the node signs for the
 * record (docs/ob3.md), written as credential-ID.ob3.json. */
static int export_ob3(const struct cli *cli, long long id, const char *dir)
{
    char path[128], file[4096];
    struct ac_buf body = AC_BUF_INIT;
    snprintf(path, sizeof path, "/v1/credentials/%lld?format=ob3", id);
    int rc = cli_request_raw(cli, path, &body);
    if (rc == CLI_OK) {
        snprintf(file, sizeof file, "%s/credential-%lld.ob3.json", dir, id);
        rc = write_file(cli, file, body.data, body.len);
    }
    if (rc == CLI_OK) {
        json_t *j = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "file", file, "format",
                              "ob3");
        if (!cli_print_json(cli, j))
            printf("exported credential %lld as Open Badges 3.0 to %s\n", id, file);
        json_decref(j);
    }
    ac_buf_release(&body);
    return rc;
}

int cmd_credential_export(const struct cli *cli, int argc, char **argv)
{
    const char *dir = NULL, *ids = NULL, *format = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
            format = argv[++i];
        else if (!ids && argv[i][0] != '-')
            ids = argv[i];
        else
            ids = NULL, i = argc;
    }
    long long id;
    if (!ids || !dir || cli_parse_id(cli, "ID", ids, &id) ||
        (format && strcmp(format, "ob3") != 0)) {
        fprintf(stderr, "usage: %s credential export ID --out DIR [--format ob3]\n", cli->prog);
        return CLI_USAGE;
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "%s: --out: %s: %s\n", cli->prog, dir, strerror(errno));
        return CLI_REFUSED;
    }
    if (format)
        return export_ob3(cli, id, dir);
    char path[128], file[4096];
    struct ac_buf bundle = AC_BUF_INIT, cose = AC_BUF_INIT, png = AC_BUF_INIT, text = AC_BUF_INIT;
    json_t *info = NULL;
    snprintf(path, sizeof path, "/v1/credentials/%lld/bundle", id);
    int rc = cli_request_raw(cli, path, &bundle);
    if (rc == CLI_OK) {
        snprintf(path, sizeof path, "/v1/credentials/%lld", id);
        rc = cli_request_raw(cli, path, &cose);
    }
    if (rc == CLI_OK) {
        snprintf(path, sizeof path, "/v1/credentials/%lld?format=json", id);
        rc = cli_request(cli, "GET", path, NULL, &info);
    }
    if (rc == CLI_OK) {
        snprintf(file, sizeof file, "%s/credential-%lld.bundle.cbor", dir, id);
        rc = write_file(cli, file, bundle.data, bundle.len);
    }
    if (rc == CLI_OK) {
        snprintf(file, sizeof file, "%s/credential-%lld.cose", dir, id);
        rc = write_file(cli, file, cose.data, cose.len);
    }
    char qrname[96] = "";
    int modules = 0;
    if (rc == CLI_OK && ac_qrpng_encode(cose.data, cose.len, QR_SCALE, &png, &modules) == 0) {
        snprintf(qrname, sizeof qrname, "credential-%lld.png (QR code, %d modules)", id, modules);
        snprintf(file, sizeof file, "%s/credential-%lld.png", dir, id);
        rc = write_file(cli, file, png.data, png.len);
    }
    if (rc == CLI_OK) {
        summary(info, id, qrname[0] ? qrname : NULL, &text);
        snprintf(file, sizeof file, "%s/credential-%lld.txt", dir, id);
        rc = write_file(cli, file, text.data, text.len);
    }
    if (rc == CLI_OK) {
        json_t *j = json_pack("{s:I, s:s, s:I, s:b}", "id", (json_int_t)id, "dir", dir,
                              "bundle_bytes", (json_int_t)bundle.len, "qr", qrname[0] != 0);
        if (!cli_print_json(cli, j))
            printf("exported credential %lld to %s: bundle (%zu bytes), record, %s, summary\n", id,
                   dir, bundle.len, qrname[0] ? "QR code" : "no QR code (too large)");
        json_decref(j);
    }
    json_decref(info);
    ac_buf_release(&bundle);
    ac_buf_release(&cose);
    ac_buf_release(&png);
    ac_buf_release(&text);
    return rc;
}
