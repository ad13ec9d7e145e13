/* cmd_artifact.c - `accordctl artifact upload|get`: evidence files stored on
 * the node by their SHA-256, checked on both ends of the wire. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/buf.h"
#include "lifecycle_cli.h"
#include "review_cli.h"

/* Writes the lowercase hex SHA-256 of |data| into |hex| (65 bytes). */
static void sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, data, len);
    sodium_bin2hex(hex, 65, d, sizeof d);
}

static int read_file(const struct cli *cli, const char *path, struct ac_buf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: %s: %s\n", cli->prog, path, strerror(errno));
        return CLI_USAGE;
    }
    char chunk[65536];
    size_t got;
    int err = 0;
    while (!err && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        err = ac_buf_append(out, chunk, got);
    int bad = ferror(f);
    fclose(f);
    if (err || bad) {
        fprintf(stderr, "%s: %s: cannot read the file\n", cli->prog, path);
        return CLI_USAGE;
    }
    return CLI_OK;
}

int cmd_artifact_upload(const struct cli *cli, int argc, char **argv)
{
    const char *path = lc_pos(argc, argv, 0);
    const char *media = lc_opt(argc, argv, "--media-type");
    if (!path)
        return lc_usage(cli, "artifact upload FILE [--media-type TYPE]");
    struct ac_buf data = AC_BUF_INIT;
    int rc = read_file(cli, path, &data);
    if (rc != CLI_OK) {
        ac_buf_release(&data);
        return rc;
    }
    /* The node recomputes the hash and refuses a mismatch, so damage on the
     * way is caught rather than stored under the wrong name. */
    char hex[65], url[512];
    sha256_hex(data.data, data.len, hex);
    int k = snprintf(url, sizeof url, "/v1/artifacts?sha256=%s", hex);
    if (media)
        snprintf(url + k, sizeof url - (size_t)k, "&media_type=%s", media);
    json_t *resp = NULL;
    rc =
        cli_request_bytes(cli, "POST", url, "application/octet-stream", data.data, data.len, &resp);
    ac_buf_release(&data);
    if (rc == CLI_OK && resp && !cli_print_json(cli, resp))
        cli_print_object(resp);
    json_decref(resp);
    return rc;
}

int artifact_save(const struct cli *cli, const char *hash, const char *file, size_t *len)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/artifacts/%s", hash);
    struct ac_buf data = AC_BUF_INIT;
    int rc = cli_request_raw(cli, path, &data);
    char hex[65];
    if (rc == CLI_OK) {
        sha256_hex(data.data, data.len, hex);
        if (strcmp(hex, hash) != 0) {
            fprintf(stderr, "%s: the node sent %zu bytes hashing to %s, not %s; nothing written\n",
                    cli->prog, data.len, hex, hash);
            rc = CLI_REFUSED;
        }
    }
    if (rc == CLI_OK) {
        FILE *f = fopen(file, "wb");
        int bad = !f;
        if (f) {
            bad = data.len && fwrite(data.data, 1, data.len, f) != data.len;
            bad |= fclose(f) != 0;
        }
        if (bad) {
            fprintf(stderr, "%s: %s: cannot write the file\n", cli->prog, file);
            rc = CLI_REFUSED;
        }
    }
    if (rc == CLI_OK && len)
        *len = data.len;
    ac_buf_release(&data);
    return rc;
}

int cmd_artifact_get(const struct cli *cli, int argc, char **argv)
{
    const char *hash = lc_pos(argc, argv, 0);
    const char *out = lc_opt(argc, argv, "--out");
    if (!hash || !out || strlen(hash) != 64)
        return lc_usage(cli, "artifact get SHA256 --out FILE");
    size_t len = 0;
    int rc = artifact_save(cli, hash, out, &len);
    if (rc != CLI_OK)
        return rc;
    json_t *j = json_pack("{s:s, s:s, s:I}", "sha256", hash, "file", out, "bytes", (json_int_t)len);
    if (!cli_print_json(cli, j))
        printf("%s: %zu bytes, SHA-256 checked\n", out, len);
    json_decref(j);
    return CLI_OK;
}
