/* config.c - parses and checks the node's `key = value` configuration file. */
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/buf.h"
#include "accord/base/error.h"
#include "accord/records/record.h"
#include "accord/trust/consortium.h"
#include "config.h"

/* The path records append to public_url for their status list (node/issue.c). */
#define STATUS_PATH "/v1/status/token"
#define PUBLIC_URL_MAX (AC_RECORD_URI_MAX - (sizeof STATUS_PATH - 1))

/* More than the [section] key pairs that exist, so every one set can be noted. */
#define MAX_SEEN 32

/* Parser state: where we are, for error messages. */
struct parse {
    const char *name;
    const char *base_dir;
    int line;
    char *err;
    size_t errsize;
    struct ac_node_config *cfg;
    struct {
        char key[128]; /* "section.key" */
        int line;
    } seen[MAX_SEEN]; /* keys set so far, to refuse a second setting */
    size_t nseen;
};

static int fail(struct parse *p, const char *key, const char *value, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Writes "<file>:<line>: <key>: "<value>" <rule>" and returns AC_EPARSE. */
static int fail(struct parse *p, const char *key, const char *value, const char *fmt, ...)
{
    char rule[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rule, sizeof rule, fmt, ap);
    va_end(ap);
    if (value)
        snprintf(p->err, p->errsize, "%s:%d: %s: \"%s\" %s", p->name, p->line, key, value, rule);
    else
        snprintf(p->err, p->errsize, "%s:%d: %s: %s", p->name, p->line, key, rule);
    return AC_EPARSE;
}

int ac_node_id_check(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > AC_NODE_ID_MAX)
        return AC_EINVAL;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || i == n - 1 || (c != '.' && c != '-')))
            return AC_EINVAL;
    }
    return 0;
}

static int set_path(struct parse *p, const char *key, const char *value, char **slot)
{
    if (!value[0])
        return fail(p, key, value, "must be a path");
    struct ac_buf b = AC_BUF_INIT;
    int err = value[0] == '/' || !p->base_dir ? ac_buf_append_str(&b, value)
                                              : ac_buf_printf(&b, "%s/%s", p->base_dir, value);
    if (!err)
        err = ac_buf_terminate(&b);
    if (err) {
        ac_buf_release(&b);
        return err;
    }
    free(*slot);
    *slot = (char *)ac_buf_steal(&b, NULL);
    return 0;
}

static int parse_u64(struct parse *p, const char *key, const char *value, uint64_t min,
                     uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(value, &end, 10);
    if (!value[0] || value[0] == '-' || *end || errno || v < min || v > max)
        return fail(p, key, value, "must be a whole number from %llu to %llu",
                    (unsigned long long)min, (unsigned long long)max);
    *out = v;
    return 0;
}

static int parse_listen(struct parse *p, const char *key, const char *value)
{
    struct ac_node_config *cfg = p->cfg;
    if (cfg->nlisten == AC_CONFIG_MAX_LISTEN)
        return fail(p, key, value, "is one too many; at most %d listen addresses",
                    AC_CONFIG_MAX_LISTEN);
    const char *host = value, *colon;
    size_t hlen;
    if (value[0] == '[') {
        const char *close = strchr(value, ']');
        if (!close || close[1] != ':')
            return fail(p, key, value, "must be [IPv6]:port");
        host = value + 1;
        hlen = (size_t)(close - host);
        colon = close + 1;
    } else {
        colon = strrchr(value, ':');
        if (!colon || strchr(value, ':') != colon)
            return fail(p, key, value, "must be host:port (IPv6 as [addr]:port)");
        hlen = (size_t)(colon - value);
    }
    if (hlen == 0 || hlen >= sizeof cfg->listen[0].host)
        return fail(p, key, value, "needs a host (e.g. 127.0.0.1 or 0.0.0.0)");
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || errno || port < 1 || port > 65535)
        return fail(p, key, value, "port must be 1-65535");
    struct ac_config_listen *l = &cfg->listen[cfg->nlisten++];
    memcpy(l->host, host, hlen);
    l->host[hlen] = 0;
    l->port = (int)port;
    return 0;
}

static int set_limit_size(struct parse *p, const char *key, const char *value, size_t *slot,
                          uint64_t min, uint64_t max)
{
    uint64_t v = 0;
    int err = parse_u64(p, key, value, min, max, &v);
    if (!err)
        *slot = (size_t)v;
    return err;
}

/* Replaces the owned string |*slot| with a copy of |value|. */
static int set_text(char **slot, const char *value)
{
    char *c = strdup(value);
    if (!c)
        return AC_ENOMEM;
    free(*slot);
    *slot = c;
    return 0;
}

/* A public base URL is what records name as their issuer and where verifiers
 * fetch keys, so it must be an origin only: a path would make every derived URL
 * ("<base>/.well-known/jwks.json") ambiguous. */
static int public_url_check(const char *v)
{
    const char *host;
    if (strncmp(v, "https://", 8) == 0)
        host = v + 8;
    else if (strncmp(v, "http://", 7) == 0)
        host = v + 7;
    else
        return -1;
    size_t n = strlen(host);
    if (n == 0 || n > 255)
        return -1;
    for (const char *c = host; *c; c++)
        if (!isalnum((unsigned char)*c) && !strchr(".-:[]", *c))
            return -1;
    return 0;
}

static int parse_key_hex(const char *value, uint8_t out[32])
{
    if (strlen(value) != 64)
        return -1;
    for (int i = 0; i < 32; i++) {
        unsigned v;
        if (!isxdigit((unsigned char)value[2 * i]) || !isxdigit((unsigned char)value[2 * i + 1]) ||
            sscanf(value + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

/* Returns the [peer NODE_ID] entry, adding it on first sight. */
static struct ac_config_peer *peer_entry(struct ac_node_config *cfg, const char *node_id)
{
    for (size_t i = 0; i < cfg->npeers; i++)
        if (strcmp(cfg->peers[i].node_id, node_id) == 0)
            return &cfg->peers[i];
    if (cfg->npeers == AC_CONFIG_MAX_PEERS)
        return NULL;
    struct ac_config_peer *e = &cfg->peers[cfg->npeers++];
    memset(e, 0, sizeof *e);
    strcpy(e->node_id, node_id);
    return e;
}

int ac_config_url_is_loopback_http(const char *url)
{
    if (strncmp(url, "http://", 7) != 0)
        return 0;
    const char *host = url + 7;
    if (strncmp(host, "[::1]", 5) == 0)
        return host[5] == 0 || host[5] == ':';
    /* An IPv4 literal in 127.0.0.0/8: digits and dots up to the port, so
     * "127.0.0.1.example.org" is a name, not loopback. */
    if (strncmp(host, "127.", 4) != 0)
        return 0;
    const char *c = host;
    while (isdigit((unsigned char)*c) || *c == '.')
        c++;
    return *c == 0 || *c == ':';
}

static int set_peer_key(struct parse *p, const char *node_id, const char *key, const char *value)
{
    struct ac_config_peer *e = peer_entry(p->cfg, node_id);
    if (!e)
        return fail(p, node_id, NULL, "is one peer too many; at most %d [peer] sections",
                    AC_CONFIG_MAX_PEERS);
    if (strcmp(key, "url") == 0) {
        if (public_url_check(value) || strlen(value) >= sizeof e->url)
            return fail(p, key, value,
                        "must be http:// or https:// followed by a host and optional port, with "
                        "no path");
        if (strncmp(value, "http://", 7) == 0 && !ac_config_url_is_loopback_http(value))
            return fail(p, key, value,
                        "must be https:// (TLS with certificate verification); http:// (h2c) "
                        "is allowed only to a loopback address such as 127.0.0.1 or [::1]");
        strcpy(e->url, value);
        return 0;
    }
    if (strcmp(key, "ca_file") == 0)
        return set_path(p, key, value, &e->ca_file);
    if (strcmp(key, "pin_spki_sha256") == 0) {
        if (parse_key_hex(value, e->pin_spki_sha256))
            return fail(p, key, value,
                        "must be 64 hex digits: the SHA-256 of the server certificate's "
                        "SubjectPublicKeyInfo (openssl x509 -pubkey -noout | openssl pkey "
                        "-pubin -outform der | sha256sum)");
        e->has_pin = 1;
        return 0;
    }
    if (strcmp(key, "key") == 0) {
        if (e->nkeys == AC_CONFIG_PEER_KEYS)
            return fail(p, key, value, "is one key too many; at most %d per peer",
                        AC_CONFIG_PEER_KEYS);
        if (parse_key_hex(value, e->keys[e->nkeys]))
            return fail(p, key, value, "must be 64 hex digits (an Ed25519 public key)");
        e->nkeys++;
        return 0;
    }
    if (strcmp(key, "rights") == 0) {
        char why[160];
        if (ac_rights_parse(value, &e->rights, why, sizeof why))
            return fail(p, key, value, "%s", why);
        return 0;
    }
    return fail(p, key, NULL, "unknown key in [peer %s]; expected url, key, rights, ca_file or "
                "pin_spki_sha256",
                node_id);
}

static int set_key(struct parse *p, const char *section, const char *key, const char *value)
{
    struct ac_node_config *cfg = p->cfg;
    uint64_t v = 0;
    int err;
    if (strcmp(section, "node") == 0) {
        if (strcmp(key, "id") == 0) {
            if (ac_node_id_check(value))
                return fail(p, key, value,
                            "must be 1-64 of a-z, 0-9, '.' and '-', starting and ending with a "
                            "letter or digit");
            strcpy(cfg->node_id, value);
            return 0;
        }
        if (strcmp(key, "data_dir") == 0)
            return set_path(p, key, value, &cfg->data_dir);
        if (strcmp(key, "ca_file") == 0)
            return set_path(p, key, value, &cfg->ca_file);
        if (strcmp(key, "durability") == 0) {
            if (strcmp(value, "async") == 0)
                cfg->durability = AC_DURABILITY_ASYNC;
            else if (strcmp(value, "inline") == 0)
                cfg->durability = AC_DURABILITY_INLINE;
            else
                return fail(p, key, value, "must be \"async\" or \"inline\"");
            return 0;
        }
        if (strcmp(key, "readers") == 0) {
            err = parse_u64(p, key, value, 0, AC_CONFIG_MAX_READERS, &v);
            if (!err)
                cfg->readers = (unsigned)v;
            return err;
        }
        if (strcmp(key, "idempotency_key_hours") == 0) {
            err = parse_u64(p, key, value, 1, 720, &v);
            if (!err)
                cfg->idempotency_key_hours = (unsigned)v;
            return err;
        }
        if (strcmp(key, "public_url") == 0) {
            /* Records carry it as their issuer (at most AC_RECORD_ISS_MAX
             * bytes) and "<it>/v1/status/token" as their status list URI (at
             * most AC_RECORD_URI_MAX): a longer one could never issue. */
            if (strlen(value) > PUBLIC_URL_MAX)
                return fail(p, key, value,
                            "is %zu bytes; at most %zu, so that records can carry it as "
                            "issuer and \"%s\" after it as status list URI",
                            strlen(value), PUBLIC_URL_MAX, STATUS_PATH);

            if (public_url_check(value))
                return fail(p, key, value,
                            "must be http:// or https:// followed by a host and optional "
                            "port, with no path, query or trailing slash");
            return set_text(&cfg->public_url, value);
        }
    } else if (strcmp(section, "http") == 0) {
        if (strcmp(key, "listen") == 0)
            return parse_listen(p, key, value);
        if (strcmp(key, "tls_cert") == 0)
            return set_path(p, key, value, &cfg->tls_cert);
        if (strcmp(key, "tls_key") == 0)
            return set_path(p, key, value, &cfg->tls_key);
        if (strcmp(key, "metrics") == 0) {
            static const char *const names[] = {"admin", "public", "off"};
            for (int i = 0; i < 3; i++)
                if (strcmp(value, names[i]) == 0) {
                    cfg->metrics = (enum ac_metrics_access)i;
                    return 0;
                }
            return fail(p, key, value, "must be admin, public or off");
        }
        if (strcmp(key, "web_root") == 0)
            return set_path(p, key, value, &cfg->web_root);
    } else if (strcmp(section, "limits") == 0) {
        struct ac_h2_server_limits *l = &cfg->limits;
        if (strcmp(key, "max_body_bytes") == 0)
            return set_limit_size(p, key, value, &l->max_body_bytes, 1024, 1ull << 30);
        if (strcmp(key, "max_header_bytes") == 0)
            return set_limit_size(p, key, value, &l->max_header_bytes, 1024, 1 << 20);
        if (strcmp(key, "max_artifact_bytes") == 0) /* streamed to disk, never held */
            return parse_u64(p, key, value, 1, 1ull << 40, &l->max_stream_body_bytes);
        if (strcmp(key, "max_concurrent_streams") == 0) {
            err = parse_u64(p, key, value, 1, 10000, &v);
            l->max_concurrent_streams = err ? l->max_concurrent_streams : (uint32_t)v;
            return err;
        }
        if (strcmp(key, "max_connections") == 0) {
            err = parse_u64(p, key, value, 1, 1000000, &v);
            l->max_connections = err ? l->max_connections : (uint32_t)v;
            return err;
        }
        if (strcmp(key, "max_connections_per_client") == 0) {
            err = parse_u64(p, key, value, 1, 1000000, &v);
            l->max_connections_per_client = err ? l->max_connections_per_client : (uint32_t)v;
            return err;
        }
        if (strcmp(key, "max_pings_per_second") == 0) {
            err = parse_u64(p, key, value, 1, 10000, &v);
            l->max_pings_per_second = err ? l->max_pings_per_second : (uint32_t)v;
            return err;
        }
        if (strcmp(key, "max_connection_lifetime_ms") == 0)
            return parse_u64(p, key, value, 100, 604800000, &l->max_connection_lifetime_ms);
        if (strcmp(key, "max_response_buffer_bytes") == 0)
            return set_limit_size(p, key, value, &l->max_response_buffer_bytes, 1, 1ull << 32);
        if (strcmp(key, "max_response_buffer_total") == 0)
            return set_limit_size(p, key, value, &l->max_response_buffer_total, 1, 1ull << 36);
        if (strcmp(key, "max_body_buffer_bytes") == 0)
            return set_limit_size(p, key, value, &l->max_body_buffer_bytes, 1024, 1ull << 36);
        if (strcmp(key, "max_body_buffer_total") == 0)
            return set_limit_size(p, key, value, &l->max_body_buffer_total, 1024, 1ull << 38);
        if (strcmp(key, "idle_timeout_ms") == 0)
            return parse_u64(p, key, value, 100, 86400000, &l->idle_timeout_ms);
        if (strcmp(key, "request_timeout_ms") == 0)
            return parse_u64(p, key, value, 100, 86400000, &l->request_timeout_ms);
        if (strcmp(key, "shutdown_grace_ms") == 0)
            return parse_u64(p, key, value, 0, 600000, &cfg->shutdown_grace_ms);
    } else if (strcmp(section, "log") == 0) {
        if (strcmp(key, "level") == 0) {
            if (ac_log_level_parse(value, &cfg->log_level))
                return fail(p, key, value, "must be debug, info, warn or error");
            return 0;
        }
        if (strcmp(key, "file") == 0) {
            if (strcmp(value, "stderr") == 0) {
                free(cfg->log_file);
                cfg->log_file = NULL;
                return 0;
            }
            return set_path(p, key, value, &cfg->log_file);
        }
    } else if (strcmp(section, "notify") == 0) {
        /* [notify] (review lifecycle, node/notify.c): where notifications go. */
        if (strcmp(key, "smtp_url") == 0)
            return set_text(&cfg->notify_smtp_url, value);
        if (strcmp(key, "from") == 0)
            return set_text(&cfg->notify_from, value);
        if (strcmp(key, "mail_domain") == 0)
            return set_text(&cfg->notify_mail_domain, value);
    } else if (strcmp(section, "store") == 0) {
        if (strcmp(key, "engine") == 0) {
            if (strcmp(value, "sqlite") == 0)
                cfg->store_engine = AC_STORE_SQLITE;
            else if (strcmp(value, "postgresql") == 0)
                cfg->store_engine = AC_STORE_POSTGRESQL;
            else
                return fail(p, key, value, "must be \"sqlite\" or \"postgresql\"");
            return 0;
        }
        if (strcmp(key, "url") == 0) {
            /* libpq reads both forms: a URL (several hosts as host1,host2
             * and target_session_attrs=read-write) or key=value pairs. */
            if (!value[0])
                return fail(p, key, value, "must be a libpq connection URL or string");
            return set_text(&cfg->store_url, value);
        }
    } else if (strncmp(section, "peer ", 5) == 0) {
        return set_peer_key(p, section + 5, key, value);
    } else if (strcmp(section, "consortium") == 0) {
        if (strcmp(key, "key") == 0) {
            if (parse_key_hex(value, cfg->consortium_key))
                return fail(p, key, value, "must be 64 hex digits (an Ed25519 public key)");
            cfg->has_consortium_key = 1;
            return 0;
        }
        if (strcmp(key, "file") == 0)
            return set_path(p, key, value, &cfg->consortium_file);
    } else {
        return fail(p, section, NULL,
                    "unknown section; expected [node], [http], [limits], [log], [notify], "
                    "[store], [consortium] or [peer NODE_ID]");
    }
    return fail(p, key, NULL, "unknown key in [%s]", section);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = 0;
    return s;
}

static int parse_lines(struct parse *p, char *text)
{
    char section[80] = "";
    char *save = NULL;
    p->line = 0;
    /* strtok_r would skip empty lines and so miscount; split by hand. */
    for (char *line = text; line; line = save) {
        char *nl = strchr(line, '\n');
        save = nl ? nl + 1 : NULL;
        if (nl)
            *nl = 0;
        p->line++;
        char *s = trim(line);
        if (!*s || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            char *close = strchr(s, ']');
            if (!close || close[1] || close - s - 1 <= 0 ||
                (size_t)(close - s - 1) >= sizeof section)
                return fail(p, s, NULL, "a section header must be [name]");
            *close = 0;
            strcpy(section, s + 1);
            if (strncmp(section, "peer ", 5) == 0) {
                if (ac_node_id_check(section + 5))
                    return fail(p, section, NULL,
                                "must be [peer NODE_ID] with a node id of 1-64 of a-z, 0-9, '.' "
                                "and '-'");
                if (!peer_entry(p->cfg, section + 5))
                    return fail(p, section, NULL, "is one peer too many; at most %d",
                                AC_CONFIG_MAX_PEERS);
                continue;
            }
            if (strcmp(section, "node") && strcmp(section, "http") && strcmp(section, "limits") &&
                strcmp(section, "log") && strcmp(section, "notify") &&
                strcmp(section, "store") && strcmp(section, "consortium"))
                return fail(p, section, NULL,
                            "unknown section; expected [node], [http], [limits], [log], "
                            "[notify], [store], [consortium] or [peer NODE_ID]");
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq)
            return fail(p, s, NULL, "expected key = value");
        *eq = 0;
        char *key = trim(s), *value = trim(eq + 1);
        size_t vlen = strlen(value);
        if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
            value[vlen - 1] = 0;
            value++;
        }
        if (!*key)
            return fail(p, "=", NULL, "a key is missing before '='");
        if (!section[0])
            return fail(p, key, NULL, "must be inside a section such as [node]");
        /* A key set twice is most likely a pasted block or an edit in the
         * wrong place; silently taking the last would hide it. listen is the
         * one key meant to repeat. */
        char full[128];
        snprintf(full, sizeof full, "%s.%.30s", section, key);
        int repeatable = strcmp(full, "http.listen") == 0 ||
                         (strncmp(section, "peer ", 5) == 0 && strcmp(key, "key") == 0);
        for (size_t i = 0; !repeatable && i < p->nseen; i++) {
            if (strcmp(p->seen[i].key, full) == 0)
                return fail(p, key, value, "is set twice in [%s] (first on line %d); set it once",
                            section, p->seen[i].line);
        }
        int err = set_key(p, section, key, value);
        if (err)
            return err;
        if (!repeatable && p->nseen < MAX_SEEN) {
            snprintf(p->seen[p->nseen].key, sizeof p->seen[0].key, "%s", full);
            p->seen[p->nseen++].line = p->line;
        }
    }
    return 0;
}

static int check_complete(struct parse *p)
{
    struct ac_node_config *cfg = p->cfg;
    p->line++; /* report missing keys at the end of the file */
    if (!cfg->node_id[0])
        return fail(p, "id", NULL, "is required in [node]");
    if (!cfg->data_dir)
        return fail(p, "data_dir", NULL, "is required in [node]");
    if (cfg->nlisten == 0)
        return fail(p, "listen", NULL, "at least one is required in [http]");
    if (!cfg->tls_cert != !cfg->tls_key)
        return fail(p, cfg->tls_cert ? "tls_key" : "tls_cert", NULL,
                    "is required in [http] when the other TLS file is set");
    for (size_t i = 0; i < cfg->npeers; i++) {
        const struct ac_config_peer *e = &cfg->peers[i];
        /* A section with neither url nor key only narrows what the
         * consortium file grants that member; one with either pins a peer. */
        if ((e->url[0] || e->nkeys) && (!e->url[0] || !e->nkeys))
            return fail(p, e->node_id, NULL,
                        "[peer %s] pins a peer only with both url and at least one key (or "
                        "neither, to narrow a consortium member's rights)",
                        e->node_id);
        if (strcmp(e->node_id, cfg->node_id) == 0)
            return fail(p, e->node_id, NULL, "[peer %s] is this node itself", e->node_id);
        if ((e->has_pin || e->ca_file) && e->url[0] && strncmp(e->url, "https://", 8) != 0)
            return fail(p, e->has_pin ? "pin_spki_sha256" : "ca_file", NULL,
                        "[peer %s] sets TLS trust but its url %s is not https://", e->node_id,
                        e->url);
    }
    if (cfg->store_engine == AC_STORE_POSTGRESQL && !cfg->store_url)
        return fail(p, "url", NULL,
                    "is required in [store] when engine = postgresql (a libpq URL such as "
                    "postgresql://accord@db1,db2/accord?target_session_attrs=read-write)");
    if (cfg->store_engine == AC_STORE_SQLITE && cfg->store_url)
        return fail(p, "url", NULL,
                    "[store] url is only for engine = postgresql; SQLite keeps accord.db in "
                    "[node] data_dir");
    if (cfg->consortium_file && !cfg->has_consortium_key)
        return fail(p, "file", NULL,
                    "[consortium] file needs key, the consortium's pinned public key");
    return 0;
}

static void set_defaults(struct ac_node_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->limits.max_body_bytes = 1 << 20;
    cfg->limits.max_stream_body_bytes = 2ull << 30;
    cfg->limits.max_header_bytes = 16 << 10;
    cfg->limits.max_concurrent_streams = 100;
    cfg->limits.max_connections = 1024;
    cfg->limits.idle_timeout_ms = 60000;
    cfg->limits.request_timeout_ms = 30000;
    cfg->shutdown_grace_ms = 10000;
    cfg->durability = AC_DURABILITY_ASYNC;
    cfg->readers = 2;
    cfg->idempotency_key_hours = 24;
    cfg->log_level = AC_LOG_INFO;
}

int ac_config_parse(const char *text, const char *name, const char *base_dir,
                    struct ac_node_config *cfg, char *err, size_t errsize)
{
    set_defaults(cfg);
    struct parse p = {
        .name = name, .base_dir = base_dir, .err = err, .errsize = errsize, .cfg = cfg};
    char *copy = strdup(text);
    cfg->path = strdup(name);
    if (!copy || !cfg->path) {
        free(copy);
        ac_config_release(cfg);
        snprintf(err, errsize, "%s: out of memory", name);
        return AC_ENOMEM;
    }
    int rc = parse_lines(&p, copy);
    free(copy);
    if (!rc)
        rc = check_complete(&p);
    if (rc)
        ac_config_release(cfg);
    return rc;
}

int ac_config_load(const char *path, struct ac_node_config *cfg, char *err, size_t errsize)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errsize, "%s: cannot read: %s", path, strerror(errno));
        return AC_EIO;
    }
    struct ac_buf b = AC_BUF_INIT;
    char chunk[4096];
    size_t n;
    int rc = 0;
    while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = ac_buf_append(&b, chunk, n);
    int bad = ferror(f);
    fclose(f);
    if (!rc)
        rc = ac_buf_terminate(&b);
    if (rc || bad) {
        ac_buf_release(&b);
        snprintf(err, errsize, "%s: cannot read", path);
        return rc ? rc : AC_EIO;
    }
    if (memchr(b.data, 0, b.len)) {
        ac_buf_release(&b);
        snprintf(err, errsize, "%s: is not a text file", path);
        return AC_EPARSE;
    }
    char *pathcopy = strdup(path);
    if (!pathcopy) {
        ac_buf_release(&b);
        return AC_ENOMEM;
    }
    rc = ac_config_parse((const char *)b.data, path, dirname(pathcopy), cfg, err, errsize);
    free(pathcopy);
    ac_buf_release(&b);
    return rc;
}

void ac_config_release(struct ac_node_config *cfg)
{
    free(cfg->path);
    free(cfg->data_dir);
    free(cfg->tls_cert);
    free(cfg->tls_key);
    free(cfg->web_root);
    free(cfg->log_file);
    free(cfg->public_url);
    free(cfg->ca_file);
    free(cfg->notify_smtp_url);
    free(cfg->notify_from);
    free(cfg->notify_mail_domain);
    free(cfg->consortium_file);
    free(cfg->store_url);
    for (size_t i = 0; i < cfg->npeers && i < AC_CONFIG_MAX_PEERS; i++)
        free(cfg->peers[i].ca_file);
    memset(cfg, 0, sizeof *cfg);
}
