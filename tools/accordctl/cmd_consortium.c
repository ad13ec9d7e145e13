/* cmd_consortium.c - `accordctl consortium keygen|sign|show|publish`: the
 * operator's consortium trust file, signed offline with the consortium key
 * and published to a member node, which passes it on to the others. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "accord/base/buf.h"
#include "accord/base/clock.h"
#include "accord/sign/keyring.h"
#include "accord/trust/consortium.h"
#include "cli.h"

static int read_file(const char *path, struct ac_buf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "accordctl: %s: %s\n", path, strerror(errno));
        return CLI_USAGE;
    }
    uint8_t chunk[4096];
    size_t n;
    int rc = 0;
    while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = ac_buf_append(out, chunk, n);
    int bad = ferror(f);
    fclose(f);
    if (rc || bad) {
        fprintf(stderr, "accordctl: %s: cannot read\n", path);
        return CLI_REFUSED;
    }
    return CLI_OK;
}

static int write_file(const char *path, const void *p, size_t n, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0 || write(fd, p, n) != (ssize_t)n || fsync(fd) != 0) {
        fprintf(stderr, "accordctl: %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return CLI_REFUSED;
    }
    close(fd);
    return CLI_OK;
}

/* Reads the consortium key file: the 32-byte seed as 64 hex digits. */
static int read_seed(const char *path, uint8_t pk[32], uint8_t sk[64])
{
    struct ac_buf b = AC_BUF_INIT;
    int rc = read_file(path, &b);
    uint8_t seed[32];
    size_t n = 0;
    if (!rc && (b.len < 64 || sodium_hex2bin(seed, 32, (const char *)b.data, 64, NULL, &n, NULL) ||
                n != 32)) {
        fprintf(stderr, "accordctl: %s: must hold the key seed as 64 hex digits\n", path);
        rc = CLI_USAGE;
    }
    if (!rc)
        crypto_sign_seed_keypair(pk, sk, seed);
    sodium_memzero(seed, sizeof seed);
    if (b.data)
        sodium_memzero(b.data, b.len);
    ac_buf_release(&b);
    return rc;
}

int cmd_consortium_keygen(const struct cli *cli, int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s consortium keygen KEYFILE\n", cli->prog);
        return CLI_USAGE;
    }
    if (sodium_init() < 0)
        return CLI_REFUSED;
    uint8_t seed[32], pk[32], sk[64];
    char hex[65], pkhex[65];
    randombytes_buf(seed, sizeof seed);
    crypto_sign_seed_keypair(pk, sk, seed);
    sodium_bin2hex(hex, sizeof hex, seed, sizeof seed);
    hex[64] = '\n';
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_EXCL, 0600);
    int rc = CLI_OK;
    if (fd < 0 || write(fd, hex, 65) != 65 || fsync(fd) != 0) {
        fprintf(stderr, "accordctl: %s: %s (an existing key file is never overwritten)\n",
                argv[1], strerror(errno));
        rc = CLI_REFUSED;
    }
    if (fd >= 0)
        close(fd);
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(hex, sizeof hex);
    if (rc)
        return rc;
    sodium_bin2hex(pkhex, sizeof pkhex, pk, 32);
    if (cli->json)
        printf("{\"public_key\": \"%s\"}\n", pkhex);
    else
        printf("consortium public key (pin it in every member's [consortium] key):\n%s\n",
               pkhex);
    return CLI_OK;
}

int cmd_consortium_sign(const struct cli *cli, int argc, char **argv)
{
    if (argc != 6 || strcmp(argv[2], "--key") || strcmp(argv[4], "--out")) {
        fprintf(stderr, "usage: %s consortium sign FILE.json --key KEYFILE --out FILE.cose\n",
                cli->prog);
        return CLI_USAGE;
    }
    if (sodium_init() < 0)
        return CLI_REFUSED;
    struct ac_buf json = AC_BUF_INIT, out = AC_BUF_INIT;
    struct ac_consortium *c = NULL;
    uint8_t pk[32], sk[64], kid[8];
    char why[AC_CONSORTIUM_WHY_LEN];
    int rc = read_file(argv[1], &json);
    if (!rc && ac_consortium_from_json((const char *)json.data, json.len, &c, why, sizeof why)) {
        fprintf(stderr, "accordctl: %s: %s\n", argv[1], why);
        rc = CLI_REFUSED;
    }
    if (!rc)
        rc = read_seed(argv[3], pk, sk);
    if (!rc) {
        if (c->issued_ms == 0)
            c->issued_ms = ac_clock_now_ms();
        ac_key_id(pk, kid);
        if (ac_consortium_sign(c, kid, sizeof kid, ac_cose_sign_with_secret_key, sk, &out)) {
            fprintf(stderr, "accordctl: cannot sign the consortium file\n");
            rc = CLI_REFUSED;
        }
        sodium_memzero(sk, sizeof sk);
    }
    if (!rc)
        rc = write_file(argv[5], out.data, out.len, 0644);
    if (!rc && !cli->json)
        printf("signed consortium \"%s\" serial %llu (%zu members) into %s\n", c->name,
               (unsigned long long)c->serial, c->nmembers, argv[5]);
    else if (!rc)
        printf("{\"serial\": %llu, \"members\": %zu}\n", (unsigned long long)c->serial,
               c->nmembers);
    ac_consortium_free(c);
    ac_buf_release(&json);
    ac_buf_release(&out);
    return rc;
}

int cmd_consortium_show(const struct cli *cli, int argc, char **argv)
{
    (void)cli;
    if (argc != 4 || strcmp(argv[2], "--key")) {
        fprintf(stderr, "usage: %s consortium show FILE.cose --key PUBLIC_KEY_HEX\n", cli->prog);
        return CLI_USAGE;
    }
    if (sodium_init() < 0)
        return CLI_REFUSED;
    uint8_t pk[32];
    size_t n = 0;
    if (strlen(argv[3]) != 64 || sodium_hex2bin(pk, 32, argv[3], 64, NULL, &n, NULL) || n != 32) {
        fprintf(stderr, "accordctl: --key: \"%s\" must be 64 hex digits\n", argv[3]);
        return CLI_USAGE;
    }
    struct ac_buf file = AC_BUF_INIT, out = AC_BUF_INIT;
    struct ac_consortium *c = NULL;
    char why[AC_CONSORTIUM_WHY_LEN];
    int rc = read_file(argv[1], &file);
    if (!rc && ac_consortium_open(file.data, file.len, pk, &c, why, sizeof why)) {
        fprintf(stderr, "accordctl: %s: %s\n", argv[1], why);
        rc = CLI_REFUSED;
    }
    if (!rc && ac_consortium_to_json(c, &out))
        rc = CLI_REFUSED;
    if (!rc)
        printf("%s\n", (const char *)out.data);
    ac_consortium_free(c);
    ac_buf_release(&file);
    ac_buf_release(&out);
    return rc;
}

int cmd_consortium_publish(const struct cli *cli, int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s consortium publish FILE.cose\n", cli->prog);
        return CLI_USAGE;
    }
    struct ac_buf file = AC_BUF_INIT;
    int rc = read_file(argv[1], &file);
    json_t *resp = NULL;
    if (!rc)
        rc = cli_request_bytes(cli, "POST", "/v1/federation/consortium",
                               AC_CONSORTIUM_CONTENT_TYPE, file.data, file.len, &resp);
    ac_buf_release(&file);
    if (rc)
        return rc;
    if (!cli_print_json(cli, resp))
        printf("adopted: serial %lld\n",
               (long long)json_integer_value(json_object_get(resp, "serial")));
    json_decref(resp);
    return CLI_OK;
}
