/* metrics.c - request counters and latency histograms by route, rendered in
 * the Prometheus text exposition format (version 0.0.4). */
#include <stdlib.h>
#include <string.h>

#include "accord/base/buf.h"
#include "accord/base/error.h"
#include "internal.h"

/* Upper bounds of the latency buckets in seconds; +Inf is implicit. */
static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                0.05,   0.1,   0.25,   0.5,   1,    2.5};
#define NBOUNDS (sizeof bounds / sizeof bounds[0])

/* One (method, route) pair: its status counts and its latency histogram. */
struct series {
    char *method, *route; /* owned */
    int statuses[8];      /* distinct statuses seen, in first-seen order */
    uint64_t counts[8];
    size_t nstatuses;
    uint64_t buckets[NBOUNDS]; /* non-cumulative; summed when rendered */
    uint64_t total;
    double sum;
};

struct ac__metrics {
    struct series *series;
    size_t n;
    struct ac__write_stats writes;
};

void ac__metrics_write_stats(struct ac__metrics *m, const struct ac__write_stats *s)
{
    if (m)
        m->writes = *s;
}

int ac__metrics_new(struct ac__metrics **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : AC_ENOMEM;
}

void ac__metrics_free(struct ac__metrics *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->series[i].method);
        free(m->series[i].route);
    }
    free(m->series);
    free(m);
}

static struct series *find(struct ac__metrics *m, const char *method, const char *route)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->series[i].method, method) == 0 && strcmp(m->series[i].route, route) == 0)
            return &m->series[i];
    /* Routes are a fixed set plus "unmatched", but methods come from clients:
     * fold unusual ones into one series so a client cannot grow memory. */
    static const char *const known[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"};
    int ok = 0;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        ok |= strcmp(known[i], method) == 0;
    if (!ok && strcmp(method, "OTHER") != 0)
        return find(m, "OTHER", route);
    struct series *s = realloc(m->series, (m->n + 1) * sizeof *s);
    if (!s)
        return NULL;
    m->series = s;
    s = &m->series[m->n];
    memset(s, 0, sizeof *s);
    s->method = strdup(method);
    s->route = strdup(route);
    if (!s->method || !s->route) {
        free(s->method);
        free(s->route);
        return NULL;
    }
    m->n++;
    return s;
}

void ac__metrics_observe(void *arg, const char *method, const char *route, int status,
                         double seconds)
{
    struct series *s = find(arg, method, route);
    if (!s)
        return; /* out of memory: a lost sample is better than a failed request */
    size_t i = 0;
    while (i < s->nstatuses && s->statuses[i] != status)
        i++;
    if (i == s->nstatuses) {
        if (s->nstatuses == sizeof s->statuses / sizeof s->statuses[0])
            i--; /* the last slot absorbs rare overflow of distinct statuses */
        else
            s->statuses[s->nstatuses++] = status;
    }
    s->counts[i]++;
    for (size_t b = 0; b < NBOUNDS; b++) {
        if (seconds <= bounds[b]) {
            s->buckets[b]++;
            break;
        }
    }
    s->total++;
    s->sum += seconds;
}

int ac__metrics_render(const struct ac__metrics *m, size_t open_connections, int64_t db_bytes,
                       struct ac_buf *out)
{
    int err = ac_buf_append_str(out, "# HELP accord_http_requests_total HTTP requests answered, "
                                     "by method, route pattern and status.\n"
                                     "# TYPE accord_http_requests_total counter\n");
    for (size_t i = 0; !err && i < m->n; i++) {
        const struct series *s = &m->series[i];
        for (size_t k = 0; !err && k < s->nstatuses; k++)
            err = ac_buf_printf(out,
                                "accord_http_requests_total{method=\"%s\",route=\"%s\","
                                "status=\"%d\"} %llu\n",
                                s->method, s->route, s->statuses[k],
                                (unsigned long long)s->counts[k]);
    }
    if (!err)
        err = ac_buf_append_str(out, "# HELP accord_http_request_duration_seconds Time from a "
                                     "request's arrival to its response, by route.\n"
                                     "# TYPE accord_http_request_duration_seconds histogram\n");
    for (size_t i = 0; !err && i < m->n; i++) {
        const struct series *s = &m->series[i];
        uint64_t cum = 0;
        for (size_t b = 0; !err && b < NBOUNDS; b++) {
            cum += s->buckets[b];
            err = ac_buf_printf(out,
                                "accord_http_request_duration_seconds_bucket{method=\"%s\","
                                "route=\"%s\",le=\"%g\"} %llu\n",
                                s->method, s->route, bounds[b], (unsigned long long)cum);
        }
        if (!err)
            err =
                ac_buf_printf(out,
                              "accord_http_request_duration_seconds_bucket{method=\"%s\","
                              "route=\"%s\",le=\"+Inf\"} %llu\n"
                              "accord_http_request_duration_seconds_sum{method=\"%s\","
                              "route=\"%s\"} %.6f\n"
                              "accord_http_request_duration_seconds_count{method=\"%s\","
                              "route=\"%s\"} %llu\n",
                              s->method, s->route, (unsigned long long)s->total, s->method,
                              s->route, s->sum, s->method, s->route, (unsigned long long)s->total);
    }
    if (!err)
        err = ac_buf_printf(out,
                            "# HELP accord_http_open_connections HTTP/2 connections open now.\n"
                            "# TYPE accord_http_open_connections gauge\n"
                            "accord_http_open_connections %zu\n"
                            "# HELP accord_database_size_bytes Size of the SQLite database "
                            "file (without its WAL).\n"
                            "# TYPE accord_database_size_bytes gauge\n"
                            "accord_database_size_bytes %lld\n",
                            open_connections, (long long)db_bytes);
    /* The loop's share of write requests (node/http/reqtx.c): a read waits
     * behind at most |turn_max| write handlers. */
    const struct ac__write_stats *w = &m->writes;
    if (!err)
        err = ac_buf_printf(out,
                            "# HELP accord_write_handlers_per_loop_turn_max The most write "
                            "handlers the event loop ran between two polls for I/O.\n"
                            "# TYPE accord_write_handlers_per_loop_turn_max gauge\n"
                            "accord_write_handlers_per_loop_turn_max %u\n"
                            "# HELP accord_write_groups_total Groups of write requests whose "
                            "COMMIT went to the storage writer thread.\n"
                            "# TYPE accord_write_groups_total counter\n"
                            "accord_write_groups_total %llu\n"
                            "# HELP accord_write_group_closes_total Open groups closed early "
                            "because another store call needed the connection.\n"
                            "# TYPE accord_write_group_closes_total counter\n"
                            "accord_write_group_closes_total %llu\n"
                            "# HELP accord_store_side_reads_total Reads on the loop run on the "
                            "side connection while a group was open or committing.\n"
                            "# TYPE accord_store_side_reads_total counter\n"
                            "accord_store_side_reads_total %llu\n"
                            "# HELP accord_store_commit_waits_total Store calls on the loop "
                            "that waited for a COMMIT in flight.\n"
                            "# TYPE accord_store_commit_waits_total counter\n"
                            "accord_store_commit_waits_total %llu\n"
                            "# HELP accord_write_handler_yields_total Waits of a write handler "
                            "on the database during which the event loop went on serving.\n"
                            "# TYPE accord_write_handler_yields_total counter\n"
                            "accord_write_handler_yields_total %llu\n"
                            "# HELP accord_write_handler_finished_in_place_total Write handlers "
                            "waiting on the database that another store call on the loop had "
                            "to finish first (the loop waited for them).\n"
                            "# TYPE accord_write_handler_finished_in_place_total counter\n"
                            "accord_write_handler_finished_in_place_total %llu\n"
                            "# HELP accord_write_tasks_total Writes of the node's own (a "
                            "session started after a password check) committed in a group of "
                            "write requests instead of closing it.\n"
                            "# TYPE accord_write_tasks_total counter\n"
                            "accord_write_tasks_total %llu\n",
                            w->turn_max, w->groups, w->closes, w->side_reads, w->waits, w->yields,
                            w->finished, w->tasks);
    return err;
}
