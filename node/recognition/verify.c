/* verify.c - the recognizer's own verification of presented credentials with
 * core/trust, the rules accord-verify applies: the issuer's keys, its current
 * status token, a signed checkpoint and the log proofs are fetched from the
 * issuer now through the HTTP/2 client. Fetching waits on another node (which
 * may be this one), so each batch runs on a thread of its own, with a
 * private loop per GET, and only its completion returns to the loop thread
 * (uv_async): the node keeps serving meanwhile. Not libuv's worker pool: each
 * private loop resolves its host name on that pool, which batches occupying
 * it would starve. The thread touches neither the store nor the node; it
 * reads only the batch it was given. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "accord/base/error.h"
#include "accord/net/h2_client.h"
#include "accord/trust/fetch.h"
#include "accord/trust/trust.h"
#include "accord/trust/verdict.h"
#include "internal.h"
#include "recognition/recognition.h"

/* An issuer that does not answer within these makes the checks that needed
 * it indeterminate; a teacher waits at most a few of them. */
#define CONNECT_TIMEOUT_MS 3000
#define REQUEST_TIMEOUT_MS 5000
/* Keys, a status token, a checkpoint and proofs are each far smaller. */
#define FETCH_MAX_BYTES (1024 * 1024)

/* One URL asked during a batch and its answer or failure. */
struct fetched {
    char *url;
    uint8_t *body; /* NUL-terminated after len bytes */
    size_t len;
    int rc;
    char *why;
};

/* The fetcher of one batch: each URL is asked once (core/trust asks the same
 * JWKS or status list for every record of one issuer). */
struct fetch_cache {
    struct fetched *items;
    size_t n;
    const char *scope; /* the record's issuer: URLs outside it are refused */
};

/* True when |url| is |scope| itself or a path under it. */
static int in_scope(const char *url, const char *scope)
{
    size_t n = strlen(scope);
    while (n > 0 && scope[n - 1] == '/')
        n--;
    return n > 0 && strncmp(url, scope, n) == 0 &&
           (url[n] == '\0' || url[n] == '/' || url[n] == '?');
}

static void cache_free(struct fetch_cache *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->items[i].url);
        free(c->items[i].body);
        free(c->items[i].why);
    }
    free(c->items);
}

/* Splits an absolute http(s) URL into its origin and path (with query). */
static int split_url(const char *url, char *origin, size_t olen, char *path, size_t plen)
{
    const char *rest;
    if (strncmp(url, "https://", 8) == 0)
        rest = url + 8;
    else if (strncmp(url, "http://", 7) == 0)
        rest = url + 7;
    else
        return AC_EINVAL;
    if (rest[0] == '\0' || rest[0] == '/')
        return AC_EINVAL;
    const char *slash = strchr(rest, '/');
    size_t n = slash ? (size_t)(slash - url) : strlen(url);
    if (n + 1 > olen)
        return AC_EINVAL;
    memcpy(origin, url, n);
    origin[n] = '\0';
    if ((size_t)snprintf(path, plen, "%s", slash ? slash : "/") >= plen)
        return AC_EINVAL;
    return 0;
}

/* Does one GET into |it|; on failure sets it->rc and an owned it->why. */
static void get(const char *url, struct fetched *it)
{
    char origin[300], path[1024], why[512];
    int rc = split_url(url, origin, sizeof origin, path, sizeof path);
    struct ac_h2_response *resp = NULL;
    if (rc) {
        snprintf(why, sizeof why, "\"%.300s\" is not an http(s) URL to fetch", url);
    } else {
        struct ac_h2_client_config cfg = {.connect_timeout_ms = CONNECT_TIMEOUT_MS,
                                          .request_timeout_ms = REQUEST_TIMEOUT_MS,
                                          .max_response_bytes = FETCH_MAX_BYTES};
        rc = ac_h2_fetch(origin, &cfg, "GET", path, NULL, 0, NULL, 0, &resp);
        if (rc) {
            snprintf(why, sizeof why, "could not fetch %.300s: %s", url, ac_strerror(rc));
        } else if (resp->status != 200) {
            snprintf(why, sizeof why, "fetching %.300s answered HTTP %d", url, resp->status);
            rc = AC_EPROTO;
        } else {
            it->body = resp->body; /* the client NUL-terminates it */
            it->len = resp->body_len;
            resp->body = NULL;
        }
        ac_h2_response_free(resp);
    }
    it->rc = rc;
    if (rc && !(it->why = strdup(why)))
        it->rc = AC_ENOMEM;
}

static int fetch_cb(void *ctx, const char *url, const uint8_t **body, size_t *len, const char **why)
{
    struct fetch_cache *c = ctx;
    struct fetched *it = NULL;
    if (!in_scope(url, c->scope)) {
        /* A record's status uri is the issuer's to name, but not outside
         * its own site: the node fetches nothing else a record points to. */
        *why = "the URL is not under the record's issuer, so the node does not fetch it";
        return AC_EINVAL;
    }
    for (size_t i = 0; i < c->n && !it; i++)
        if (strcmp(c->items[i].url, url) == 0)
            it = &c->items[i];
    if (!it) {
        struct fetched *v = realloc(c->items, (c->n + 1) * sizeof *v);
        if (!v)
            return AC_ENOMEM;
        c->items = v;
        it = &v[c->n];
        memset(it, 0, sizeof *it);
        if (!(it->url = strdup(url)))
            return AC_ENOMEM;
        c->n++;
        get(url, it);
    }
    if (it->rc) {
        *why = it->why;
        return it->rc;
    }
    *body = it->body;
    *len = it->len;
    return 0;
}

/* Writes the report's checks as accord-verify --json does, with the status
 * result on its own. Returns 0 or AC_ENOMEM. */
static int take_report(const struct ac_trust_report *rep, struct ac__verify_item *it)
{
    json_t *checks = json_array();
    if (!checks)
        return AC_ENOMEM;
    snprintf(it->status, sizeof it->status, "absent");
    for (size_t i = 0; i < rep->n; i++) {
        const struct ac_trust_check *c = &rep->checks[i];
        if (json_array_append_new(checks, json_pack("{s:s, s:s, s:s}", "check", c->name, "result",
                                                    ac_trust_result_name(c->result), "reason",
                                                    c->reason))) {
            json_decref(checks);
            return AC_ENOMEM;
        }
        if (strcmp(c->name, "status") == 0)
            snprintf(it->status, sizeof it->status, "%s", ac_trust_result_name(c->result));
    }
    it->checks = json_dumps(checks, JSON_COMPACT);
    json_decref(checks);
    if (!it->checks)
        return AC_ENOMEM;
    /* Reasons are bounded (256 bytes each, 10 checks), but the column is
     * smaller than their worst case: keep the verdict, shorten the reasons. */
    if (strlen(it->checks) > AC_PRESENTATION_CHECKS_MAX) {
        free(it->checks);
        it->checks = strdup("[{\"check\":\"report\",\"result\":\"skipped\","
                            "\"reason\":\"the checks were too long to keep\"}]");
        if (!it->checks)
            return AC_ENOMEM;
    }
    switch (ac_trust_verdict(rep)) {
    case AC_TRUST_PASS:
        it->verdict = AC_VERDICT_VALID;
        break;
    case AC_TRUST_FAIL:
        it->verdict = AC_VERDICT_INVALID;
        break;
    default:
        it->verdict = AC_VERDICT_INDETERMINATE;
        break;
    }
    return 0;
}

/* An indeterminate verdict with one "issuer" check saying |reason|: the
 * record could not be checked at all. Returns 0 or AC_ENOMEM. */
static int indeterminate(struct ac__verify_item *it, const char *reason)
{
    it->verdict = AC_VERDICT_INDETERMINATE;
    snprintf(it->status, sizeof it->status, "indeterminate");
    json_t *c = json_pack("[{s:s, s:s, s:s}]", "check", "issuer", "result", "indeterminate",
                          "reason", reason);
    it->checks = c ? json_dumps(c, JSON_COMPACT) : NULL;
    json_decref(c);
    return it->checks ? 0 : AC_ENOMEM;
}

/* Keys come from the issuer's own JWKS, fetched now, for an issuer one of
 * the recognizer's policies names: that policy is the recognizer's decision
 * to trust the issuer at that URL, as a trust file is for accord-verify, so
 * the keys are passed to core/trust as trusted. An issuer no policy names is
 * not asked at all. */
static void run(void *arg)
{
    struct ac__verify_job *job = arg;
    struct fetch_cache cache = {0};
    struct ac_trust_fetcher fetcher = {.fetch = fetch_cb, .ctx = &cache};
    struct ac_trust *named = NULL;
    struct ac_trust_report *rep = malloc(sizeof *rep);
    /* Keys are fetched afresh for every batch: a key the issuer retired or
     * withdrew since the last batch is seen as it is now. */
    job->err = rep ? ac_trust_new(&named) : AC_ENOMEM;
    for (size_t i = 0; !job->err && i < job->count; i++) {
        struct ac__verify_item *it = &job->items[i];
        if (!it->iss[0]) {
            job->err = indeterminate(it, "no active policy of yours names this record's issuer, "
                                         "so the node did not ask it (it fetches only from "
                                         "issuers you count)");
            continue;
        }
        cache.scope = it->iss;
        const struct ac_trust_issuer *is = ac_trust_fetch_issuer(named, &fetcher, it->iss);
        if (!is) {
            job->err = AC_ENOMEM;
        } else if (is->fetch_error) {
            job->err = indeterminate(it, is->fetch_error);
        } else {
            struct ac_trust_options opt = {
                .trust = named, .fetcher = &fetcher, .pass_reasons = true, .now_ms = job->now_ms};
            ac_trust_verify_input(it->data, it->len, &opt, rep);
            job->err = take_report(rep, it);
        }
    }
    ac_trust_free(named);
    free(rep);
    cache_free(&cache);
}

/* Batches running now. Touched on the loop thread only (start and close);
 * node-wide, which in a process of several nodes (tests) they share. */
static size_t running;

static void closed(uv_handle_t *h)
{
    struct ac__verify_job *job = h->data;
    running--;
    job->done(job);
}

static void finished(uv_async_t *a)
{
    struct ac__verify_job *job = a->data;
    uv_thread_join(&job->thread);
    uv_close((uv_handle_t *)&job->async, closed);
}

static void thread_main(void *arg)
{
    struct ac__verify_job *job = arg;
    run(job);
    uv_async_send(&job->async);
}

struct ac__verify_job *ac__verify_job_new(size_t count)
{
    struct ac__verify_job *job = calloc(1, sizeof *job);
    if (!job)
        return NULL;
    job->items = calloc(count ? count : 1, sizeof *job->items);
    if (!job->items) {
        free(job);
        return NULL;
    }
    job->count = count;
    return job;
}

void ac__verify_job_free(struct ac__verify_job *job)
{
    if (!job)
        return;
    for (size_t i = 0; i < job->count; i++) {
        free(job->items[i].data);
        free(job->items[i].checks);
    }
    free(job->items);
    free(job);
}

int ac__verify_start(struct ac_node *n, struct ac__verify_job *job, int64_t now_ms,
                     void (*done)(struct ac__verify_job *job), void *arg)
{
    if (running >= AC__VERIFY_RUNNING_MAX)
        return AC_EAGAIN;
    job->n = n;
    job->now_ms = now_ms;
    job->done = done;
    job->arg = arg;
    job->async.data = job;
    if (uv_async_init(n->loop, &job->async, finished))
        return AC_EIO;
    running++;
    if (uv_thread_create(&job->thread, thread_main, job)) {
        /* The handle is open: it must close on the loop before the job
         * goes, so the failure is reported through |done| like any other. */
        job->err = AC_EIO;
        uv_close((uv_handle_t *)&job->async, closed);
    }
    return 0;
}
