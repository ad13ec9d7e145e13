/* config.h - the node's configuration file: parsing, checking and defaults.
 *
 * The format (documented in docs/node.md) is lines of `key = value` under
 * `[section]` headers; `#` or `;` starts a comment line. Unknown sections or
 * keys are errors, so a typo never silently falls back to a default. Relative
 * paths are resolved against the directory of the file. */
#ifndef AC_NODE_CONFIG_H
#define AC_NODE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "accord/net/h2_server.h"
#include "accord/base/log.h"
#include "accord/store/store.h"

#define AC_CONFIG_MAX_LISTEN 8
#define AC_NODE_ID_MAX 64
#define AC_CONFIG_MAX_PEERS 64
#define AC_CONFIG_PEER_KEYS 16

/* A [peer NODE_ID] section: a peer pinned here, or (with rights only) a
 * narrowing of what the consortium file grants that member. */
struct ac_config_peer {
    char node_id[AC_NODE_ID_MAX + 1];
    char url[201];   /* "" when only narrowing a consortium member */
    unsigned rights; /* enum ac_right bits (accord/trust/consortium.h) */
    uint8_t keys[AC_CONFIG_PEER_KEYS][32];
    size_t nkeys;
    /* TLS trust for the peer's https origin (also allowed in a narrowing
     * section, for a consortium member): a CA bundle instead of [node]
     * ca_file or the system store, and the SHA-256 of the server's
     * SubjectPublicKeyInfo, refused when the key differs even if the chain
     * verifies. */
    char *ca_file; /* owned; NULL: [node] ca_file, else the system store */
    int has_pin;
    uint8_t pin_spki_sha256[32];
};

/* True when |url| is "http://" to a loopback IP literal (127.x.x.x or
 * [::1]) with an optional port: the only place a peer may be reached over
 * h2c; everywhere else a peer is https with certificate verification. */
int ac_config_url_is_loopback_http(const char *url);

struct ac_config_listen {
    char host[256]; /* without brackets for IPv6 */
    int port;       /* 1-65535 */
};

/* Who may read GET /metrics ([http] metrics): its per-route counts (401s
 * included) tell an outsider what is being probed. */
enum ac_metrics_access {
    AC_METRICS_ADMIN = 0, /* default: an admin's bearer token */
    AC_METRICS_PUBLIC,    /* anyone: for a scraper on a private network */
    AC_METRICS_OFF,       /* not served */
};

/* [node] readers: at most this many reader threads. */
#define AC_CONFIG_MAX_READERS 16

/* [node] durability: where a commit is made durable (docs/node.md). */
enum ac_durability {
    AC_DURABILITY_ASYNC,  /* fsynced by the storage thread; answers wait for it (default) */
    AC_DURABILITY_INLINE, /* fsynced by COMMIT on the loop thread */
};

struct ac_node_config {
    char *path; /* the file read (owned) */
    char node_id[AC_NODE_ID_MAX + 1];
    char *data_dir; /* owned; absolute or relative to the working directory */
    /* owned; NULL: derived from the first listen address. The origin records
     * name as their issuer ("https://accord.example.org"). */
    char *public_url;
    /* owned; NULL: the system store. PEM certificates trusted when the node
     * fetches over https (an issuer's keys, status and log when it verifies
     * a presented credential). */
    char *ca_file;
    struct ac_config_listen listen[AC_CONFIG_MAX_LISTEN];
    size_t nlisten;
    char *tls_cert; /* owned; NULL for h2c */
    char *tls_key;  /* owned; NULL for h2c */
    enum ac_metrics_access metrics;
    /* owned; NULL: the web/ folder beside the binary's build or install tree
     * (node/http/web.c). The static pages the node serves. */
    char *web_root;
    struct ac_h2_server_limits limits;
    uint64_t shutdown_grace_ms; /* in-flight requests get this long on SIGTERM */
    enum ac_durability durability;
    /* [store]: the database engine (default SQLite, the file accord.db in
     * data_dir) and, for PostgreSQL, its libpq URL or connection string
     * (required then, refused with SQLite). Keys and artifacts stay in
     * data_dir on either engine. */
    enum ac_store_engine store_engine;
    char *store_url; /* owned; NULL with SQLite */

    /* [node] readers: reader threads, each with its own read-only connection
     * (node/readers.h); 0 answers every read on the loop thread. */
    unsigned readers;
    /* [node] idempotency_key_hours: how long a write's Idempotency-Key and
     * its stored answer are kept (1-720; default 24; docs/api.md). */
    unsigned idempotency_key_hours;
    enum ac_log_level log_level;
    char *log_file; /* owned; NULL for stderr */
    /* [notify] (review lifecycle): SMTP delivery when |notify_smtp_url| is set
     * (e.g. "smtp://127.0.0.1:2525"), else a maildir under the data directory. */
    char *notify_smtp_url;    /* owned; NULL: maildir */
    char *notify_from;        /* owned; NULL: "accord@<node id>" */
    char *notify_mail_domain; /* owned; NULL: the node id */
    /* [peer NAME] sections (federation, docs/federation.md). */
    struct ac_config_peer peers[AC_CONFIG_MAX_PEERS];
    size_t npeers;
    /* [consortium]: the consortium's pinned Ed25519 key, and a file to adopt
     * at start when it is newer than the one held. */
    int has_consortium_key;
    uint8_t consortium_key[32];
    char *consortium_file; /* owned; NULL: none */
};

/* Reads and checks the file at |path| into |cfg| (which the caller releases
 * with ac_config_release() on 0). On failure writes one line to |err|
 * (|errsize| bytes) naming file, line, key, value and rule, e.g.
 *   node.conf:7: listen: "127.0.0.1:99999" port must be 1-65535
 * Returns 0, AC_EIO (unreadable; |err| says why), AC_EPARSE or AC_ENOMEM. */
int ac_config_load(const char *path, struct ac_node_config *cfg, char *err, size_t errsize);

/* Like ac_config_load() for |text|; |name| names it in errors and |base_dir|
 * anchors relative paths. */
int ac_config_parse(const char *text, const char *name, const char *base_dir,
                    struct ac_node_config *cfg, char *err, size_t errsize);

/* Frees what |cfg| owns and zeroes it. */
void ac_config_release(struct ac_node_config *cfg);

/* Checks a node id: 1-64 of [a-z0-9.-], starting and ending alphanumeric.
 * Returns 0 or AC_EINVAL. */
int ac_node_id_check(const char *id);

#endif
