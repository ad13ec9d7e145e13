/* client.c - accordctl's one way to talk to a node: resolve the node URL and
 * token, send one HTTP/2 request, parse the JSON answer, print problems
 * readably and map outcomes to exit codes (readable tables and objects are
 * printed by output.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

#include "accord/base/buf.h"
#include "accord/base/error.h"
#include "accord/net/h2_client.h"
#include "accord/base/log.h"
#include "cli.h"

/* Values read from the accordctl config file (static: one request per run). */
static char conf_node[512], conf_token[256], conf_ca[512];

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = 0;
    return s;
}

/* Warns when the file open as |f| at |path|, which holds a token, may be read
 * by group or others: any local account could then act as its owner. */
static void warn_if_readable_by_others(const char *prog, FILE *f, const char *path,
                                       const char *what)
{
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
        fprintf(stderr,
                "%s: warning: %s %s holds a token and is readable by group or others (mode "
                "%04o): anyone who can read it can act as you; chmod 600 %s\n",
                prog, what, path, (unsigned)(st.st_mode & 07777), path);
}

int cli_read_token_file(const char *prog, const char *path, char *out, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: --token-file %s: %s\n", prog, path, strerror(errno));
        return CLI_USAGE;
    }
    char line[1024];
    int got = fgets(line, sizeof line, f) != NULL;
    if (got)
        warn_if_readable_by_others(prog, f, path, "token file");
    fclose(f);
    size_t n = got ? strlen(line) : 0;
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
                 line[n - 1] == '\t'))
        line[--n] = 0;
    const char *why = NULL;
    if (n == 0)
        why = "its first line must hold the token";
    else if (n >= len)
        why = "the token is longer than any token a node issues";
    for (size_t i = 0; !why && i < n; i++)
        if ((unsigned char)line[i] <= 0x20 || (unsigned char)line[i] >= 0x7f)
            why = "a token is printable ASCII without spaces";
    if (why) {
        fprintf(stderr, "%s: --token-file %s: %s\n", prog, path, why);
        return CLI_USAGE;
    }
    memcpy(out, line, n + 1);
    return CLI_OK;
}

/* Reads the config file once; a missing file is fine, a bad line is reported. */
static int load_config(const struct cli *cli)
{
    static int loaded;
    if (loaded)
        return 0;
    loaded = 1;
    char path[1024];
    const char *env = getenv("ACCORDCTL_CONFIG");
    if (env)
        snprintf(path, sizeof path, "%s", env);
    else if (getenv("HOME"))
        snprintf(path, sizeof path, "%s/.config/accord/accordctl.conf", getenv("HOME"));
    else
        return 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[1024];
    int lineno = 0, rc = 0, warned = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (eq) {
            *eq = 0;
            char *key = trim(s), *value = trim(eq + 1);
            if (strcmp(key, "node") == 0)
                snprintf(conf_node, sizeof conf_node, "%s", value);
            else if (strcmp(key, "token") == 0) {
                snprintf(conf_token, sizeof conf_token, "%s", value);
                if (!warned++)
                    warn_if_readable_by_others(cli->prog, f, path, "config file");
            } else if (strcmp(key, "ca_file") == 0)
                snprintf(conf_ca, sizeof conf_ca, "%s", value);
            else
                eq = NULL;
        }
        if (!eq) {
            fprintf(stderr, "%s: %s:%d: expected node, token or ca_file = VALUE\n", cli->prog, path,
                    lineno);
            rc = CLI_USAGE;
        }
    }
    fclose(f);
    return rc;
}

/* Prints an error answer: the problem's title, detail and field when it is
 * problem+json, else the status and the start of the body. */
static void print_problem(const struct cli *cli, const struct ac_h2_response *resp)
{
    json_t *j = json_loadb((const char *)resp->body, resp->body_len, 0, NULL);
    const char *title = json_string_value(json_object_get(j, "title"));
    const char *detail = json_string_value(json_object_get(j, "detail"));
    const char *field = json_string_value(json_object_get(j, "field"));
    const char *server_time = json_string_value(json_object_get(j, "server_time"));
    if (title || detail) {
        fprintf(stderr, "%s: %d %s: %s", cli->prog, resp->status, title ? title : "",
                detail ? detail : "");
        if (field)
            fprintf(stderr, " (field: %s)", field);
        if (server_time)
            fprintf(stderr, " [node time %s]", server_time);
        fputc('\n', stderr);
    } else {
        fprintf(stderr, "%s: the node answered %d: %.200s\n", cli->prog, resp->status,
                resp->body_len ? (const char *)resp->body : "(no body)");
    }
    /* A definition refused for several reasons lists them all; the detail
     * names only the first. */
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(j, "errors"), i, e)
    {
        const char *path = json_string_value(json_object_get(e, "path"));
        const char *message = json_string_value(json_object_get(e, "message"));
        fprintf(stderr, "  %s: %s\n", path ? path : "$", message ? message : "?");
    }
    if (cli->json && j)
        cli_print_json(cli, j);
    json_decref(j);
}

/* How often a write is sent in all when the node could not say whether it
 * was applied, and the pause before each repeat (ms, doubling). */
#define WRITE_SENDS 3
#define WRITE_PAUSE_MS 250

static int is_write(const char *method)
{
    return !strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "PATCH") ||
           !strcmp(method, "DELETE");
}

/* Whether |resp| says the write may be sent again with its key: the node
 * could not learn the outcome of its COMMIT (outcome-unknown), kept losing
 * races (busy), or could not reach its database (storage-unavailable). */
static int worth_repeating(const struct ac_h2_response *resp)
{
    if (resp->status != 503)
        return 0;
    json_t *j = json_loadb((const char *)resp->body, resp->body_len, 0, NULL);
    const char *type = json_string_value(json_object_get(j, "type"));
    const char *slash = type ? strrchr(type, '/') : NULL;
    int yes = slash && (!strcmp(slash, "/outcome-unknown") || !strcmp(slash, "/busy") ||
                        !strcmp(slash, "/storage-unavailable"));
    json_decref(j);
    return yes;
}

/* Whether a transport failure may have come after the request left: a
 * refused connection or a bad URL never sent it. */
static int may_have_been_sent(int err)
{
    return err != AC_EINVAL && err != UV_ECONNREFUSED && err != UV_ENOENT &&
           err != UV_EAI_NONAME && err != UV_EHOSTUNREACH && err != UV_ENETUNREACH;
}

/* Sends the request; on CLI_OK sets |*out| to the 2xx response. A write
 * carries a fresh Idempotency-Key (docs/api.md) and is sent again with the
 * same key, a bounded number of times, when the node could not confirm it
 * or the connection went while it was under way: the node answers a
 * repeat from what it stored, so the write is applied at most once. */
static int send_request(const struct cli *cli, const char *method, const char *path,
                        const json_t *body, const char *raw_type, const void *raw, size_t raw_len,
                        struct ac_h2_response **out)
{
    int rc = load_config(cli);
    if (rc)
        return rc;
    const char *node = cli->node ? cli->node : conf_node[0] ? conf_node : NULL;
    const char *token = cli->token ? cli->token : conf_token[0] ? conf_token : NULL;
    if (!node) {
        fprintf(stderr,
                "%s: which node? pass --node URL (e.g. http://127.0.0.1:8440), set ACCORD_NODE, "
                "or put node = URL in the config file\n",
                cli->prog);
        return CLI_USAGE;
    }
    struct ac_http_header headers[4];
    size_t nh = 0;
    char key[2 * 16 + 1];
    if (is_write(method)) {
        uint8_t random[16];
        randombytes_buf(random, sizeof random);
        sodium_bin2hex(key, sizeof key, random, sizeof random);
        headers[nh++] = (struct ac_http_header){"idempotency-key", key};
    }
    char auth[300];
    if (token) {
        snprintf(auth, sizeof auth, "Bearer %s", token);
        headers[nh++] = (struct ac_http_header){"authorization", auth};
    }
    headers[nh++] = (struct ac_http_header){"accept", "application/json"};
    char *text = NULL;
    if (body) {
        text = json_dumps(body, JSON_COMPACT);
        if (!text) {
            fprintf(stderr, "%s: out of memory\n", cli->prog);
            return CLI_REFUSED;
        }
        headers[nh++] = (struct ac_http_header){"content-type", "application/json"};
    } else if (raw_type) {
        headers[nh++] = (struct ac_http_header){"content-type", raw_type};
    }
    struct ac_h2_client_config cfg = {
        .insecure = cli->insecure,
        .ca_file = conf_ca[0] ? conf_ca : getenv("ACCORD_CA_FILE"),
    };
    /* The client library logs connection events at info; a command-line
     * user wants only warnings, and our own messages below. */
    ac_log_set_level(AC_LOG_WARN);
    struct ac_h2_response *resp = NULL;
    int err = 0;
    for (int sends = 1;; sends++) {
        resp = NULL;
        err = text ? ac_h2_fetch(node, &cfg, method, path, headers, nh, text, strlen(text), &resp)
                   : ac_h2_fetch(node, &cfg, method, path, headers, nh, raw, raw_len, &resp);
        int again = is_write(method) && sends < WRITE_SENDS &&
                    (err ? may_have_been_sent(err) : worth_repeating(resp));
        if (!again)
            break;
        fprintf(stderr, "%s: the node could not confirm the %s (%s); sending it again with "
                "the same Idempotency-Key\n",
                cli->prog, method,
                err ? (err > -1000 ? uv_strerror(err) : ac_strerror(err)) : "503");
        ac_h2_response_free(resp);
        long ms = (long)WRITE_PAUSE_MS << (sends - 1);
        nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000L}, NULL);
    }
    free(text);
    if (err == AC_EINVAL) {
        fprintf(stderr, "%s: --node: \"%s\" must be http://HOST:PORT or https://HOST:PORT\n",
                cli->prog, node);
        return CLI_USAGE;
    }
    if (err) {
        fprintf(stderr, "%s: cannot reach %s: %s\n", cli->prog, node,
                err > -1000 ? uv_strerror(err) : ac_strerror(err));
        return CLI_UNREACHABLE;
    }
    if (resp->status < 200 || resp->status > 299) {
        print_problem(cli, resp);
        ac_h2_response_free(resp);
        return CLI_REFUSED;
    }
    *out = resp;
    return CLI_OK;
}

int cli_request(const struct cli *cli, const char *method, const char *path, const json_t *body,
                json_t **out)
{
    *out = NULL;
    struct ac_h2_response *resp;
    int rc = send_request(cli, method, path, body, NULL, NULL, 0, &resp);
    if (rc != CLI_OK)
        return rc;
    if (resp->body_len)
        *out = json_loadb((const char *)resp->body, resp->body_len, 0, NULL);
    ac_h2_response_free(resp);
    return CLI_OK;
}

int cli_request_raw(const struct cli *cli, const char *path, struct ac_buf *out)
{
    struct ac_h2_response *resp;
    int rc = send_request(cli, "GET", path, NULL, NULL, NULL, 0, &resp);
    if (rc != CLI_OK)
        return rc;
    int err = ac_buf_append(out, resp->body, resp->body_len);
    ac_h2_response_free(resp);
    if (err) {
        fprintf(stderr, "%s: out of memory\n", cli->prog);
        return CLI_REFUSED;
    }
    return CLI_OK;
}

int cli_request_bytes(const struct cli *cli, const char *method, const char *path,
                      const char *content_type, const void *data, size_t len, json_t **out)
{
    *out = NULL;
    struct ac_h2_response *resp;
    int rc = send_request(cli, method, path, NULL, content_type, data, len, &resp);
    if (rc != CLI_OK)
        return rc;
    if (resp->body_len)
        *out = json_loadb((const char *)resp->body, resp->body_len, 0, NULL);
    ac_h2_response_free(resp);
    return CLI_OK;
}

int cli_print_json(const struct cli *cli, const json_t *j)
{
    if (!cli->json)
        return 0;
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    puts(s ? s : "null");
    free(s);
    return 1;
}

int cli_parse_id(const struct cli *cli, const char *what, const char *s, long long *id)
{
    char *end;
    long long v = s ? strtoll(s, &end, 10) : 0;
    if (!s || !*s || *end || v <= 0) {
        fprintf(stderr, "%s: %s: \"%s\" must be a positive whole number\n", cli->prog, what,
                s ? s : "");
        return CLI_USAGE;
    }
    *id = v;
    return CLI_OK;
}
