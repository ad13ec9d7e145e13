/* api_node.c - the node endpoints: /healthz and /v1/node (public), and /metrics
 * (an admin's token, public or off: [http] metrics), whose one store read (the
 * database's size) runs on a reader thread. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "accord/base/buf.h"
#include "accord/sign/did.h"
#include "accord/base/error.h"
#include "accord/net/h2_server.h"
#include "accord/sign/keyring.h"
#include "accord/store/sync.h"
#include "accord/store/writer.h"
#include "internal.h"
#include "readers.h"
#include "records/records.h"

/* 200 while the node serves; "degraded: <why>" when it serves reads only
 * (signing halted, records/tlog_guard.c), so monitoring sees the alarm
 * without a load balancer dropping the reads. */
static void on_healthz(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    static const struct ac_http_header ct = {"content-type", "text/plain; charset=utf-8"};
    if (n->records && n->records->halted) {
        char body[AC__HALT_REASON_MAX + 64];
        int len = snprintf(body, sizeof body, "degraded: transparency log signing halted: %s\n",
                           n->records->halt_reason);
        ac_http_respond(x, 200, &ct, 1, body,
                        len < (int)sizeof body ? (size_t)len : sizeof body - 1);
        return;
    }
    ac_http_respond(x, 200, &ct, 1, "ok\n", 3);
}

/* The body of GET /v1/node changes only when the signing key rotates, and it
 * is the node's most frequent public read, so it is built once per key. One
 * node runs per process; the cache names the node and kid it was built for. */
static struct {
    const struct ac_node *node;
    char kid_hex[2 * AC_KEY_ID_BYTES + 1];
    char *body; /* owned; compact JSON */
    size_t len;
} node_info;

static int node_info_build(const struct ac_node *n, const struct ac_key_info *k)
{
    char pub[sodium_base64_ENCODED_LEN(AC_KEY_PUBLIC_BYTES,
                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64(pub, sizeof pub, k->public_key, AC_KEY_PUBLIC_BYTES,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    json_t *key = json_pack("{s:s, s:s, s:s, s:s}", "kid", k->kid_hex, "alg", "EdDSA", "crv",
                            "Ed25519", "x", pub);
    if (!key)
        return AC_ENOMEM;
    ac__json_time(key, "not_before", k->not_before_ms);
    char did_key[AC_DID_KEY_MAX];
    ac_did_key(k->public_key, did_key);
    json_object_set_new(key, "did_key", json_string(did_key));
    json_t *j = json_pack("{s:s, s:s, s:i, s:o}", "node_id", n->cfg->node_id, "version",
                          ACCORD_VERSION, "schema_version", n->schema_version, "public_key", key);
    char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!body)
        return AC_ENOMEM;
    free(node_info.body);
    node_info.body = body;
    node_info.len = strlen(body);
    node_info.node = n;
    memcpy(node_info.kid_hex, k->kid_hex, sizeof node_info.kid_hex);
    return 0;
}

static void on_node(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    const struct ac_key_info *k = ac_keyring_current(n->keyring);
    if (node_info.node != n || strcmp(node_info.kid_hex, k->kid_hex) != 0) {
        int err = node_info_build(n, k);
        if (err) {
            ac__respond_error(x, err, "node info");
            return;
        }
    }
    static const struct ac_http_header ct = {"content-type", "application/json"};
    ac_http_respond(x, 200, &ct, 1, node_info.body, node_info.len);
}

/* The database's size is the one thing /metrics reads from the store: on
 * PostgreSQL (pg_database_size) a round trip, so it is read on a reader
 * thread and the rest is rendered on the loop when it is back. */
struct size_read {
    struct ac__read_job job; /* first */
    struct ac_http_exchange *x;
    struct ac_node *n;
    int64_t db_bytes; /* 0 when it cannot be read */
};

/* Reader thread: touches only |s| and |st|. */
static void size_work(struct ac__read_job *job, struct ac_store *st)
{
    struct size_read *s = (struct size_read *)job;
    if (ac_store_size(st, &s->db_bytes))
        s->db_bytes = 0;
}

static void size_done(struct ac__read_job *job, int status)
{
    struct size_read *s = (struct size_read *)job;
    struct ac_http_exchange *x = s->x;
    struct ac_node *n = s->n;
    int64_t db_bytes = status ? 0 : s->db_bytes;
    free(s);
    unsigned long long loop_stmts = ac_store_loop_statements(n->store);
    struct ac_buf b = AC_BUF_INIT;
    size_t conns = n->server ? ac_h2_server_connections(n->server) : 0;
    int err = ac__metrics_render(n->metrics, conns, db_bytes, &b);
    if (!err)
        err = ac__readers_metrics(n->readers, &b);
    if (!err)
        err = ac_buf_printf(
            &b,
            "# HELP accord_store_loop_statements_total Statements the event loop ran on the "
            "database itself and waited for (on PostgreSQL each a round trip; write handlers "
            "and tasks run theirs on a fiber and are not counted).\n"
            "# TYPE accord_store_loop_statements_total counter\n"
            "accord_store_loop_statements_total %llu\n"
            "# HELP accord_store_commits_total Transactions committed since start.\n"
            "# TYPE accord_store_commits_total counter\n"
            "accord_store_commits_total %llu\n"
            "# HELP accord_store_durable_commits Commits known to be on disk (docs/node.md).\n"
            "# TYPE accord_store_durable_commits counter\n"
            "accord_store_durable_commits %llu\n"
            "# HELP accord_store_fsyncs_total WAL fsyncs by the storage thread, each "
            "covering a group of commits (0 with durability = inline).\n"
            "# TYPE accord_store_fsyncs_total counter\n"
            "accord_store_fsyncs_total %llu\n"
            "# HELP accord_store_checkpoints_total Checkpoints run by the storage thread.\n"
            "# TYPE accord_store_checkpoints_total counter\n"
            "accord_store_checkpoints_total %llu\n"
            "# HELP accord_http_answers_held Answers to writes waiting for their commit "
            "to be durable.\n"
            "# TYPE accord_http_answers_held gauge\n"
            "accord_http_answers_held %zu\n"
            "# HELP accord_tlog_signing_halted 1 when the database's transparency log does "
            "not extend a checkpoint this node published: issuing stopped (docs/records.md).\n"
            "# TYPE accord_tlog_signing_halted gauge\n"
            "accord_tlog_signing_halted %d\n"
            "# HELP accord_tlog_published_size Leaves in the newest checkpoint this node "
            "published.\n"
            "# TYPE accord_tlog_published_size gauge\n"
            "accord_tlog_published_size %llu\n",
            loop_stmts, (unsigned long long)ac_store_commits(n->store),
            (unsigned long long)ac_store_durable(n->store),
            (unsigned long long)ac_store_sync_fsyncs(n->store),
            (unsigned long long)ac_store_sync_checkpoints(n->store),
            n->server ? ac_h2_server_held(n->server) : 0, n->records->halted,
            (unsigned long long)n->records->published.size);
    if (err) {
        ac_buf_release(&b);
        ac__respond_error(x, err, "metrics");
        return;
    }
    static const struct ac_http_header ct = {"content-type", "text/plain; version=0.0.4"};
    ac_http_respond(x, 200, &ct, 1, b.data, b.len);
    ac_buf_release(&b);
}

static void on_metrics(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    if (n->cfg->metrics == AC_METRICS_ADMIN) {
        struct ac__auth a;
        if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN))
            return;
    }
    struct size_read *s = calloc(1, sizeof *s);
    if (!s) {
        ac__respond_error(x, AC_ENOMEM, "metrics");
        return;
    }
    s->job.work = size_work;
    s->job.done = size_done;
    s->x = x;
    s->n = n;
    ac__read_submit(n, &s->job);
}

void ac__api_node_register(struct ac_node *n)
{
    ac__route(n, "GET", "/healthz", on_healthz);
    ac__route(n, "GET", "/v1/node", on_node);
    if (n->cfg->metrics != AC_METRICS_OFF)
        ac__route(n, "GET", "/metrics", on_metrics);
}
