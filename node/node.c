/* node.c - the node's lifecycle: `init` (prepare a data directory and the
 * first admin) and `run` (serve until SIGINT/SIGTERM, then drain and close). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/net/h2_server.h"
#include "accord/sign/keyring.h"
#include "accord/base/log.h"
#include "accord/store/user.h"
#include "node.h"
#include "readers.h"
#include "internal.h"
#include "lifecycle/suspend.h"
#include "accounts/accounts.h"
#include "lifecycle/lifecycle.h"
#include "records/ob3_serve.h"
#include "records/record_cache.h"
#include "accounts/token_cache.h"
#include "records/records.h"
#include "review/review.h"
#include "federation/borrow.h"
#include "federation/federation.h"
#include "web/web.h"

static int setup_log(const struct ac_node_config *cfg)
{
    ac_log_set_level(cfg->log_level);
    if (!cfg->log_file)
        return 0;
    int err = ac_log_open(cfg->log_file);
    if (err)
        fprintf(stderr, "accord-node: %s: cannot open the log file: %s\n", cfg->log_file,
                strerror(-err));
    return err;
}

int ac_node_init_data(const struct ac_node_config *cfg, const char *admin_name, FILE *out)
{
    struct ac_node n = {.cfg = cfg};
    if (setup_log(cfg))
        return 1;
    int err = ac__datadir_open(&n);
    if (err) {
        fprintf(stderr, "accord-node: %s: cannot prepare the data directory: %s (see log)\n",
                cfg->data_dir, ac_strerror(err));
        return 1;
    }
    int64_t users = 0;
    int rc = 1;
    err = ac_store_user_count(n.store, &users);
    if (!err && users > 0) {
        fprintf(stderr,
                "accord-node: %s already has users; create further admins and tokens with "
                "accordctl\n",
                cfg->data_dir);
        goto out;
    }
    struct ac_user u;
    if (!err)
        err = ac_store_user_create(n.store, admin_name, "Administrator", AC_ROLE_ADMIN,
                                   ac_clock_now_ms(), &u);
    if (err == AC_EINVAL) {
        fprintf(stderr, "accord-node: --admin: \"%s\" must be 1-64 of a-z, 0-9, '.', '_', '-'\n",
                admin_name);
        goto out;
    }
    struct ac_token t;
    char text[AC_TOKEN_TEXT_BYTES];
    if (!err)
        err = ac__token_issue(&n, u.id, "init", &t, text);
    if (err) {
        fprintf(stderr, "accord-node: cannot create the first admin: %s\n", ac_strerror(err));
        goto out;
    }
    fprintf(out,
            "node %s initialised in %s\n"
            "signing key: %s\n"
            "admin user: %s (id %lld)\n"
            "admin token (shown once; keep it safe):\n%s\n",
            cfg->node_id, cfg->data_dir, ac_keyring_current(n.keyring)->kid_hex, u.name,
            (long long)u.id, text);
    sodium_memzero(text, sizeof text);
    rc = 0;
out:
    ac__datadir_close(&n);
    ac_log_close();
    return rc;
}

static void on_handle_closed(uv_handle_t *h)
{
    (void)h;
}

static void close_signals(struct ac_node *n)
{
    uv_signal_t *hs[] = {&n->sigint, &n->sigterm, &n->sighup};
    /* The last group's COMMIT settles first, its hooks finding the
     * scheduler and the senders they wake still there. */
    ac__reqtx_stop(n);
    ac__scheduler_stop(n);
    ac__token_cache_stop(n->token_cache);
    ac__federation_stop(n);
    /* The server is closed: no request can queue a read any more, and the
     * reads still queued are answered (dropped by the closed server). */
    ac__readers_stop(n->readers);
    n->readers = NULL;
    ac__durability_stop(n);
    for (int i = 0; i < n->nsignals; i++)
        uv_close((uv_handle_t *)hs[i], on_handle_closed);
    n->nsignals = 0;
}

static void on_server_closed(struct ac_h2_server *srv, void *arg)
{
    (void)srv;
    struct ac_node *n = arg;
    n->server = NULL;
    close_signals(n);
    ac_log_info("node", "stopped");
}

static void on_signal(uv_signal_t *h, int signum)
{
    struct ac_node *n = h->data;
    if (signum == SIGHUP) {
        int err = ac_log_reopen();
        if (err)
            ac_log_error("node", "SIGHUP: cannot reopen the log: %s", strerror(-err));
        else
            ac_log_info("node", "SIGHUP: log reopened");
        return;
    }
    if (n->stopping) {
        ac_log_info("node", "%s again: already stopping", strsignal(signum));
        return;
    }
    n->stopping = 1;
    ac_log_info("node", "%s: stopping; in-flight requests get %llu ms", strsignal(signum),
                (unsigned long long)n->cfg->shutdown_grace_ms);
    ac_h2_server_close(n->server, n->cfg->shutdown_grace_ms, on_server_closed, n);
}

static int start_signals(struct ac_node *n)
{
    uv_signal_t *hs[] = {&n->sigint, &n->sigterm, &n->sighup};
    int nums[] = {SIGINT, SIGTERM, SIGHUP};
    for (int i = 0; i < 3; i++) {
        int err = uv_signal_init(n->loop, hs[i]);
        if (err)
            return err;
        n->nsignals++;
        hs[i]->data = n;
        err = uv_signal_start(hs[i], on_signal, nums[i]);
        if (err)
            return err;
    }
    return 0;
}

static void register_routes(struct ac_node *n)
{
    ac__api_node_register(n);
    ac__api_users_register(n);
    ac__api_credentials_register(n);
    ac__api_pilot_register(n);
    ac__api_benchmarks_register(n);
    ac__api_training_register(n);
    ac__api_reviewers_register(n);
    ac__api_suspend_register(n);
#ifdef ACCORD_TEST_CLOCK
    ac__api_testclock_register(n);
#endif
    ac__api_recognition_register(n);
    ac__api_catalog_register(n);
    ac__api_analytics_register(n);
    ac__api_records_register(n);
    ac__api_tlog_register(n);
    ac__api_status_register(n);
    ac__api_ob3_register(n);
    ac__api_wellknown_register(n);
    ac__api_submissions_register(n);
    ac__api_reviews_register(n);
    ac__api_flags_register(n);
    ac__api_artifacts_register(n);
    ac__federation_register(n);
    ac__api_session_register(n);
    ac__web_register(n);
}

static int serve(struct ac_node *n)
{
    int err = ac_router_new(&n->router);
    if (err)
        return err;
    register_routes(n);
    /* The scheduler: fires stored due jobs of the kinds the folders
     * register, delivers notifications. */
    err = ac__scheduler_start(n);
    if (!err)
        err = ac__review_jobs_register(n);
    if (!err)
        err = ac__borrow_jobs_register(n);
    if (err) {
        ac_log_error("node", "cannot start the scheduler: %s", ac_strerror(err));
        return err;
    }
    /* A peer that resets its connection while the node writes would kill the
     * process with SIGPIPE; ignored, the write fails with EPIPE instead and
     * only that connection ends. */
    signal(SIGPIPE, SIG_IGN);
    err = start_signals(n);
    if (err) {
        ac_log_error("node", "cannot watch signals: %s", uv_strerror(err));
        close_signals(n);
        return err;
    }
    err = ac__durability_start(n);
    if (!err)
        err = ac__reqtx_start(n);
    if (!err)
        err = ac__readers_open(n);
    if (err) {
        close_signals(n);
        return err;
    }
    /* After the reader threads: its check of the auth generation runs there. */
    err = ac__token_cache_start(n->token_cache, n->loop, n->store, n->readers);
    if (err) {
        ac_log_error("node", "cannot start the token cache's check: %s", ac_strerror(err));
        close_signals(n);
        return err;
    }
    struct ac_h2_server_config scfg = {
        .limits = n->cfg->limits,
        .tls_cert_file = n->cfg->tls_cert,
        .tls_key_file = n->cfg->tls_key,
    };
    err = ac_h2_server_new(n->loop, &scfg, n->router, &n->server);
    if (err) {
        ac_log_error("node", "cannot start the HTTP/2 server: %s", ac_strerror(err));
        close_signals(n);
        return err;
    }
    ac_h2_server_set_observer(n->server, ac__metrics_observe, n->metrics);
    ac_h2_server_set_headers_check(n->server, ac__early_auth, n);
    ac__durability_attach(n);
    for (size_t i = 0; i < n->cfg->nlisten; i++) {
        const struct ac_config_listen *l = &n->cfg->listen[i];
        err = ac_h2_server_listen(n->server, l->host, l->port);
        if (err) {
            ac_log_error("node", "%s: listen %s:%d: %s", n->cfg->path, l->host, l->port,
                         uv_strerror(err));
            break;
        }
    }
    if (err) {
        /* Close what was opened; the loop run below finishes the close. */
        n->stopping = 1;
        ac_h2_server_close(n->server, 0, on_server_closed, n);
        n->exit_code = 1;
    }
    return 0;
}

int ac_node_run(const struct ac_node_config *cfg)
{
    if (setup_log(cfg))
        return 1;
    uv_loop_t loop;
    int err = uv_loop_init(&loop);
    if (err) {
        ac_log_error("node", "cannot create the event loop: %s", uv_strerror(err));
        return 1;
    }
    struct ac_node n = {.cfg = cfg, .loop = &loop};
    err = ac__datadir_open(&n);
    if (!err)
        err = ac__metrics_new(&n.metrics);
    if (!err)
        err = ac__records_open(&n);
    if (!err)
        err = ac__record_cache_new(AC__RECORD_CACHE_SLOTS, AC__RECORD_CACHE_BYTES, &n.record_cache);
    if (!err)
        err = ac__token_cache_new(AC__TOKEN_CACHE_SLOTS, &n.token_cache);
    if (!err) {
        int64_t users = 0;
        ac_store_user_count(n.store, &users);
        if (users == 0)
            ac_log_warn("node", "no users yet: run `accord-node init --config %s` for an admin",
                        cfg->path);
        ac_log_info("node", "node %s, accord %s, schema %d, signing key %s", cfg->node_id,
                    ACCORD_VERSION, ac_store_schema_latest(),
                    ac_keyring_current(n.keyring)->kid_hex);
        err = serve(&n);
    }
    if (err)
        n.exit_code = 1;
    /* Runs until the server and signal handles are closed (also after a
     * failed start, to finish closing what was opened). */
    uv_run(&loop, UV_RUN_DEFAULT);
    ac_router_free(n.router);
    ac__reqtx_free(&n);
    ac__web_free(n.web);
    ac__metrics_free(n.metrics);
    ac__record_cache_free(n.record_cache);
    ac__token_cache_free(n.token_cache);
    ac__ob3_free(n.ob3);
    ac__records_close(&n);
    ac__datadir_close(&n);
    if (uv_loop_close(&loop) != 0)
        ac_log_warn("node", "event loop closed with handles still open");
    ac_log_info("node", "exit %d", n.exit_code);
    ac_log_close();
    return n.exit_code;
}
