/* api_analytics.c - the issuer's analytics: per credential (volume, pass
 * rate, time to decision, agreement statistics, discrepancy rate, backlog
 * against pool capacity) and per reviewer (load, agreement, severity, trend),
 * as JSON or CSV, and SVG charts of the severity distribution and of agreement
 * over time. See docs/api-recognition.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/stats/agreement.h"
#include "accord/base/buf.h"
#include "accord/review/definition.h"
#include "accord/base/error.h"
#include "accord/review/monitor.h"
#include "accord/store/store_analytics.h"
#include "accord/render/svg_chart.h"
#include "accord/store/credential.h"
#include "internal.h"
#include "readers.h"

#define DAY_MS 86400000.0
/* Reviews compared in a reviewer's trend: the latest window against the rest. */
#define TREND_WINDOW 10
/* A review more than this many levels from its reference is a discrepancy. */
#define DISCREPANCY_LEVELS 1
/* Agreement over time is computed per week of decisions. */
#define WEEK_MS (7 * 86400000LL)

/* Everything one request computes from, loaded once. */
struct ctx {
    char def_id[AC_CREDENTIAL_ID_MAX + 1];
    struct ac_definition *def; /* latest version */
    struct ac_analytics_review *reviews;
    size_t nreviews;
    struct ac_monitor_report *monitor;
};

static void ctx_release(struct ctx *c)
{
    ac_def_free(c->def);
    free(c->reviews);
    ac_monitor_report_free(c->monitor);
}

/* The definition's maintenance thresholds as the monitor takes them. */
static void thresholds(const struct ac_definition *d, struct ac_monitor_thresholds *t)
{
    memset(t, 0, sizeof *t);
    t->min_sample = d->maintenance.min_sample;
    t->trend_window = TREND_WINDOW;
    t->discrepancy_levels = DISCREPANCY_LEVELS;
    for (size_t i = 0; i < d->maintenance.n_thresholds; i++) {
        const struct ac_def_threshold *th = &d->maintenance.thresholds[i];
        if (th->measure == AC_MEASURE_BENCHMARK_AGREEMENT)
            t->min_benchmark_agreement = th->bound;
        else if (th->measure == AC_MEASURE_CONSENSUS_AGREEMENT)
            t->min_consensus_agreement = th->bound;
        else if (th->measure == AC_MEASURE_SEVERITY)
            t->max_severity_z = th->bound;
        else
            t->max_discrepancy_rate = th->bound;
    }
}

/* ---- answers built on a reader thread (node/readers.h) ----
 *
 * Analytics read every review of a credential and compute statistics over
 * them: the cost grows with the data, so all of it runs on a reader thread
 * with that thread's store. The loop authenticates and copies the path's id
 * and the caller; the thread loads, computes and renders the answer (JSON,
 * CSV or SVG) into |ans|; done, on the loop, sends it. */

/* An answer rendered off the loop, sent by done. */
struct answer {
    int err; /* answered with ac__respond_error() when not 0 */
    char what[96];
    json_t *json;          /* a JSON answer (owned), or NULL */
    struct ac_buf body;    /* else this body, */
    const char *type;      /* of this content type (static), */
    char disposition[128]; /* with this content-disposition when not "" */
};

struct an_read {
    struct ac__read_job job; /* first */
    struct ac_http_exchange *x;
    void (*body)(struct an_read *r, struct ac_store *st); /* the route's part */
    char id[AC_CREDENTIAL_ID_MAX + 1];
    int has_id;     /* the path's id fits |id| */
    char shown[65]; /* the path's id as an error names it */
    int csv;
    struct ac_user me;
    struct answer ans;
};

static void ans_error(struct answer *a, int err, const char *what)
{
    a->err = err;
    snprintf(a->what, sizeof a->what, "%s", what);
}

/* Takes |j|; NULL answers 500 (no memory). */
static void ans_json(struct answer *a, json_t *j)
{
    if (!j)
        ans_error(a, AC_ENOMEM, "response");
    a->json = j;
}

/* Loads the credential |r| names, its reviews and the monitor's report on
 * them. Returns 0, or sets the error answer and returns -1. */
static int load_in(struct an_read *r, struct ac_store *st, struct ctx *c)
{
    memset(c, 0, sizeof *c);
    struct ac_credential cred;
    int err = r->has_id ? ac_store_credential_find(st, r->id, 0, &cred) : AC_ENOENT;
    if (err) {
        char what[96];
        snprintf(what, sizeof what, "credential \"%.64s\"", r->shown);
        ans_error(&r->ans, err, what);
        return -1;
    }
    snprintf(c->def_id, sizeof c->def_id, "%s", cred.def_id);
    struct ac_def_problems pr = {0};
    err = ac_def_from_json(cred.definition, strlen(cred.definition), &c->def, &pr);
    ac_def_problems_release(&pr);
    ac_credential_release(&cred);
    if (!err)
        err = ac_store_analytics_reviews(st, c->def_id, &c->reviews, &c->nreviews);
    struct ac_monitor_review *mr = NULL;
    if (!err && !(mr = calloc(c->nreviews + 1, sizeof *mr)))
        err = AC_ENOMEM;
    for (size_t i = 0; !err && i < c->nreviews; i++) {
        const struct ac_analytics_review *rv = &c->reviews[i];
        mr[i] = (struct ac_monitor_review){(uint32_t)rv->reviewer_id,
                                           1,
                                           (uint64_t)rv->scored_ms,
                                           rv->level,
                                           rv->consensus,
                                           rv->benchmark};
    }
    struct ac_monitor_thresholds t;
    if (!err) {
        thresholds(c->def, &t);
        err = ac_monitor_evaluate(mr, c->nreviews, &t, &c->monitor);
    }
    free(mr);
    if (err) {
        ans_error(&r->ans, err, "analytics");
        ctx_release(c);
        return -1;
    }
    return 0;
}

static void an_work(struct ac__read_job *job, struct ac_store *st)
{
    struct an_read *r = (struct an_read *)job;
    r->body(r, st);
}

static void an_done(struct ac__read_job *job, int status)
{
    struct an_read *r = (struct an_read *)job;
    struct answer *a = &r->ans;
    if (status) {
        ac__respond_error(r->x, AC_EIO, "analytics"); /* the pool stopped first */
    } else if (a->err) {
        ac__respond_error(r->x, a->err, a->what);
    } else if (a->json) {
        ac_http_respond_json(r->x, 200, a->json);
    } else {
        struct ac_http_header h[] = {{"content-type", a->type},
                                     {"content-disposition", a->disposition}};
        ac_http_respond(r->x, 200, h, a->disposition[0] ? 2 : 1, a->body.data, a->body.len);
    }
    json_decref(a->json);
    ac_buf_release(&a->body);
    free(r);
}

/* Loop: checks the caller holds one of |roles|, copies what the thread
 * needs and submits |body|. Answers |x| itself on any failure. */
static void submit(struct ac_node *n, struct ac_http_exchange *x, unsigned roles, int csv,
                   void (*body)(struct an_read *r, struct ac_store *st))
{
    struct ac__auth a;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, roles))
        return;
    struct an_read *r = calloc(1, sizeof *r);
    if (!r) {
        ac__respond_error(x, AC_ENOMEM, "analytics");
        return;
    }
    const char *id = ac_http_param(x, "id");
    r->has_id = id && strlen(id) <= AC_CREDENTIAL_ID_MAX;
    if (r->has_id)
        memcpy(r->id, id, strlen(id) + 1);
    snprintf(r->shown, sizeof r->shown, "%s", id ? id : "");
    r->job = (struct ac__read_job){an_work, an_done, NULL};
    r->x = x;
    r->body = body;
    r->csv = csv;
    r->me = a.user;
    ac_buf_init(&r->ans.body);
    ac__read_submit(n, &r->job);
}

/* Builds the items x raters matrix of submission reviews: one row per
 * submission (those accepted by |keep|), its reviews in columns, missing
 * cells for submissions reviewed fewer times. Rater identity is not needed by
 * the statistics reported (pairwise, Fleiss, Krippendorff, Gwet). */
static int matrix(const struct ctx *c, int (*keep)(const struct ac_analytics_review *, void *),
                  void *arg, int **cells, size_t *items, size_t *raters)
{
    /* Reviews come ordered by time; group them by submission id. */
    size_t n = 0, width = 0;
    int64_t *ids = calloc(c->nreviews + 1, sizeof *ids);
    size_t *count = calloc(c->nreviews + 1, sizeof *count);
    if (!ids || !count) {
        free(ids);
        free(count);
        return AC_ENOMEM;
    }
    for (size_t i = 0; i < c->nreviews; i++) {
        const struct ac_analytics_review *r = &c->reviews[i];
        if (!r->submission_id || !keep(r, arg))
            continue;
        size_t k = 0;
        while (k < n && ids[k] != r->submission_id)
            k++;
        if (k == n)
            ids[n++] = r->submission_id;
        if (++count[k] > width)
            width = count[k];
    }
    int *m = calloc(n * width + 1, sizeof *m);
    if (!m) {
        free(ids);
        free(count);
        return AC_ENOMEM;
    }
    for (size_t i = 0; i < n * width; i++)
        m[i] = AC_RATING_MISSING;
    memset(count, 0, (c->nreviews + 1) * sizeof *count);
    for (size_t i = 0; i < c->nreviews; i++) {
        const struct ac_analytics_review *r = &c->reviews[i];
        if (!r->submission_id || !keep(r, arg))
            continue;
        size_t k = 0;
        while (ids[k] != r->submission_id)
            k++;
        m[k * width + count[k]++] = r->level;
    }
    free(ids);
    free(count);
    *cells = m;
    *items = n;
    *raters = width;
    return 0;
}

static int keep_all(const struct ac_analytics_review *r, void *arg)
{
    (void)r;
    (void)arg;
    return 1;
}

static json_t *stat_json(const struct ac_stat *s)
{
    json_t *j =
        json_pack("{s:I, s:I}", "items", (json_int_t)s->items, "pairs", (json_int_t)s->pairs);
    if (!j)
        return NULL;
    json_object_set_new(j, "value", s->status == AC_STAT_OK ? json_real(s->value) : json_null());
    if (s->status != AC_STAT_OK)
        json_object_set_new(j, "why", json_string(s->why ? s->why : "undefined"));
    return j;
}

struct stats {
    struct ac_stat exact, adjacent, fleiss, alpha, ac1;
};

static int compute_stats(const struct ctx *c,
                         int (*keep)(const struct ac_analytics_review *, void *), void *arg,
                         struct stats *out)
{
    int *cells;
    size_t items, raters;
    int err = matrix(c, keep, arg, &cells, &items, &raters);
    if (err)
        return err;
    struct ac_ratings r = {items, raters, cells, (unsigned)c->def->n_levels, NULL};
    /* An empty matrix is valid input: every statistic says it is undefined. */
    if (items == 0)
        r.raters = 1;
    err = ac_agreement_pairwise(&r, 0, &out->exact);
    if (!err)
        err = ac_agreement_pairwise(&r, 1, &out->adjacent);
    if (!err)
        err = ac_agreement_fleiss_kappa(&r, &out->fleiss);
    if (!err)
        err = ac_agreement_krippendorff_alpha(&r, AC_ALPHA_ORDINAL, &out->alpha);
    if (!err)
        err = ac_agreement_gwet_ac1(&r, &out->ac1);
    free(cells);
    return err;
}

static const struct ac_monitor_credential *cred_report(const struct ctx *c)
{
    return c->monitor->n_credentials ? &c->monitor->credentials[0] : NULL;
}

/* Capacity per period: certified reviewers times assignments each takes,
 * divided by the reviews a submission needs (the pool-sizing formula read
 * backwards). */
static double capacity(const struct ctx *c, const struct ac_analytics_volume *v)
{
    unsigned per = c->def->per_submission ? c->def->per_submission : 1;
    return (double)v->certified_reviewers * c->def->pool.assignments_per_reviewer / per;
}

static json_t *ratio(int64_t num, int64_t den)
{
    return den ? json_real((double)num / (double)den) : json_null();
}

/* Appends one CSV field, quoted when it holds a comma, quote or line break. */
static void csv_field(struct ac_buf *b, const char *s, int last)
{
    if (strpbrk(s, ",\"\r\n")) {
        ac_buf_push(b, '"');
        for (; *s; s++) {
            if (*s == '"')
                ac_buf_push(b, '"');
            ac_buf_push(b, (uint8_t)*s);
        }
        ac_buf_push(b, '"');
    } else {
        ac_buf_append_str(b, s);
    }
    ac_buf_append_str(b, last ? "\r\n" : ",");
}

/* Appends one CSV field for |v|: a number, text (whole: a credential id may
 * be 64 bytes), or empty for null. */
static void csv_value(struct ac_buf *b, const json_t *v, int last)
{
    char text[32] = "";
    if (json_is_string(v)) {
        csv_field(b, json_string_value(v), last);
        return;
    }
    if (json_is_integer(v))
        snprintf(text, sizeof text, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(text, sizeof text, "%.6g", json_real_value(v));
    csv_field(b, text, last);
}

/* Answers |rows| (an array of flat objects sharing |cols|) as RFC 4180 CSV. */
static void ans_csv(struct answer *a, const char *const *cols, size_t ncols, const json_t *rows,
                    const char *filename)
{
    struct ac_buf *b = &a->body;
    for (size_t i = 0; i < ncols; i++)
        csv_field(b, cols[i], i + 1 == ncols);
    size_t r;
    const json_t *row;
    json_array_foreach(rows, r, row) for (size_t i = 0; i < ncols; i++)
        csv_value(b, json_object_get(row, cols[i]), i + 1 == ncols);
    snprintf(a->disposition, sizeof a->disposition, "attachment; filename=\"%s\"", filename);
    a->type = "text/csv; charset=utf-8; header=present";
}

/* Reads ?format=json|csv. Returns 0 (JSON), 1 (CSV), or answers 400 and -1. */
static int want_csv(struct ac_http_exchange *x)
{
    char v[8];
    int rc = ac_http_query(ac_http_exchange_req(x), "format", v, sizeof v);
    if (rc == AC_ENOENT || (rc == 0 && strcmp(v, "json") == 0))
        return 0;
    if (rc == 0 && strcmp(v, "csv") == 0)
        return 1;
    ac__problem(x, AC_PROBLEM_INVALID_FIELD, "format", NULL, "format: must be json or csv");
    return -1;
}

static void credential_body(struct an_read *r, struct ac_store *st)
{
    struct ctx c;
    int csv = r->csv;
    if (load_in(r, st, &c))
        return;
    struct ac_analytics_volume v;
    struct stats s;
    int err = ac_store_analytics_volume(st, c.def_id, &v);
    if (!err)
        err = compute_stats(&c, keep_all, NULL, &s);
    if (err) {
        ans_error(&r->ans, err, "analytics");
        ctx_release(&c);
        return;
    }
    const struct ac_monitor_credential *mc = cred_report(&c);
    double cap = capacity(&c, &v);
    json_t *j = json_pack(
        "{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "credential_id", c.def_id, "submissions",
        (json_int_t)v.submissions, "decided", (json_int_t)v.decided, "passed", (json_int_t)v.passed,
        "escalated", (json_int_t)v.escalated, "flagged", (json_int_t)v.flagged, "backlog",
        (json_int_t)v.backlog, "certified_reviewers", (json_int_t)v.certified_reviewers,
        "open_assignments", (json_int_t)v.open_assignments);
    if (j) {
        json_object_set_new(j, "pass_rate", ratio(v.passed, v.decided));
        json_object_set_new(j, "mean_days_to_decision",
                            v.decided ? json_real(v.mean_decision_ms / DAY_MS) : json_null());
        json_object_set_new(j, "median_days_to_decision",
                            v.decided ? json_real((double)v.median_decision_ms / DAY_MS)
                                      : json_null());
        json_object_set_new(j, "reviews", json_integer(mc ? (json_int_t)mc->reviews : 0));
        json_object_set_new(j, "discrepancies",
                            json_integer(mc ? (json_int_t)mc->discrepancies : 0));
        json_object_set_new(j, "discrepancy_rate",
                            mc && mc->reviews ? json_real(mc->rate) : json_null());
        /* Where the certified pool lives: this node, or lenders. */
        json_object_set_new(j, "own_reviewers",
                            json_integer(v.certified_reviewers - v.borrowed_reviewers));
        json_object_set_new(j, "borrowed_reviewers", json_integer(v.borrowed_reviewers));
        json_object_set_new(j, "capacity_per_period", json_real(cap));
        json_object_set_new(j, "period_days", json_integer(c.def->pool.period_days));
        /* Periods the certified pool needs to clear today's backlog. */
        json_object_set_new(j, "backlog_periods",
                            cap > 0 ? json_real((double)v.backlog / cap) : json_null());
    }
    if (csv) {
        /* CSV flattens the statistics to their values. */
        static const char *const cols[] = {"credential_id",
                                           "submissions",
                                           "decided",
                                           "passed",
                                           "pass_rate",
                                           "mean_days_to_decision",
                                           "median_days_to_decision",
                                           "backlog",
                                           "capacity_per_period",
                                           "backlog_periods",
                                           "certified_reviewers",
                                           "reviews",
                                           "discrepancy_rate",
                                           "exact_agreement",
                                           "adjacent_agreement",
                                           "fleiss_kappa",
                                           "krippendorff_alpha_ordinal",
                                           "gwet_ac1"};
        const struct ac_stat *vals[] = {&s.exact, &s.adjacent, &s.fleiss, &s.alpha, &s.ac1};
        for (size_t i = 0; j && i < 5; i++)
            json_object_set_new(j, cols[13 + i],
                                vals[i]->status == AC_STAT_OK ? json_real(vals[i]->value)
                                                              : json_null());
        json_t *rows = json_pack("[O]", j);
        char name[96];
        snprintf(name, sizeof name, "%s-analytics.csv", c.def_id);
        if (rows)
            ans_csv(&r->ans, cols, sizeof cols / sizeof cols[0], rows, name);
        else
            ans_error(&r->ans, AC_ENOMEM, "analytics");
        json_decref(rows);
        json_decref(j);
    } else {
        if (j)
            json_object_set_new(j, "agreement",
                                json_pack("{s:o, s:o, s:o, s:o, s:o}", "exact", stat_json(&s.exact),
                                          "adjacent", stat_json(&s.adjacent), "fleiss_kappa",
                                          stat_json(&s.fleiss), "krippendorff_alpha_ordinal",
                                          stat_json(&s.alpha), "gwet_ac1", stat_json(&s.ac1)));
        ans_json(&r->ans, j);
    }
    ctx_release(&c);
}

static void on_credential(struct ac_http_exchange *x, void *arg)
{
    int csv = want_csv(x);
    if (csv >= 0)
        submit(arg, x, AC_ROLE_ADMIN, csv, credential_body);
}

static json_t *real_or_null(int valid, double v)
{
    return valid ? json_real(v) : json_null();
}

/* One reviewer's row: load, agreement with consensus and benchmarks,
 * severity, trend. NULL when out of memory. */
static json_t *reviewer_json(const struct ctx *c, const struct ac_analytics_load *ld)
{
    const struct ac_monitor_reviewer *m = NULL;
    for (size_t k = 0; k < c->monitor->n_reviewers && !m; k++)
        if (c->monitor->reviewers[k].reviewer == (uint32_t)ld->reviewer_id)
            m = &c->monitor->reviewers[k];
    json_t *r = json_pack("{s:I, s:I, s:I, s:I}", "reviewer_id", (json_int_t)ld->reviewer_id,
                          "open", (json_int_t)ld->open, "done", (json_int_t)ld->done,
                          "declined_or_expired", (json_int_t)ld->declined);
    if (!r)
        return NULL;
    json_object_set_new(r, "consensus_agreement",
                        m ? ratio((int64_t)m->consensus_agree, (int64_t)m->consensus_n)
                          : json_null());
    json_object_set_new(r, "benchmark_agreement",
                        m ? ratio((int64_t)m->benchmark_agree, (int64_t)m->benchmark_n)
                          : json_null());
    json_object_set_new(r, "mean_deviation",
                        real_or_null(m && m->reviews, m ? m->mean_deviation : 0));
    json_object_set_new(r, "severity_z",
                        real_or_null(m && m->severity_valid, m ? m->severity_z : 0));
    json_object_set_new(r, "trend_drop", real_or_null(m && m->trend_valid, m ? m->trend_drop : 0));
    json_object_set_new(r, "judged", json_boolean(m && m->judged));
    return r;
}

static void reviewers_body(struct an_read *r, struct ac_store *st)
{
    struct ctx c;
    int csv = r->csv;
    if (load_in(r, st, &c))
        return;
    struct ac_analytics_load *ld = NULL;
    size_t nld = 0;
    int err = ac_store_analytics_load(st, c.def_id, &ld, &nld);
    if (err) {
        ans_error(&r->ans, err, "analytics");
        ctx_release(&c);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < nld; i++)
        json_array_append_new(items, reviewer_json(&c, &ld[i]));
    free(ld);
    if (csv) {
        static const char *const cols[] = {"reviewer_id",
                                           "open",
                                           "done",
                                           "declined_or_expired",
                                           "consensus_agreement",
                                           "benchmark_agreement",
                                           "mean_deviation",
                                           "severity_z",
                                           "trend_drop"};
        char name[96];
        snprintf(name, sizeof name, "%s-reviewers.csv", c.def_id);
        ans_csv(&r->ans, cols, sizeof cols / sizeof cols[0], items, name);
        json_decref(items);
    } else {
        ans_json(&r->ans, json_pack("{s:s, s:o}", "credential_id", c.def_id, "items", items));
    }
    ctx_release(&c);
}

static void on_reviewers(struct ac_http_exchange *x, void *arg)
{
    int csv = want_csv(x);
    if (csv >= 0)
        submit(arg, x, AC_ROLE_ADMIN, csv, reviewers_body);
}

/* GET /v1/analytics/credentials/{id}/reviewers/me: a reviewer's own row of
 * the reviewers' analytics (the same figures the issuer sees, and nobody
 * else's), so they can follow their agreement and severity. A reviewer with
 * no review of the credential yet gets zeros and nulls. */
static void reviewer_me_body(struct an_read *r, struct ac_store *st)
{
    struct ctx c;
    const struct ac_user me = r->me;
    if (load_in(r, st, &c))
        return;
    struct ac_analytics_load *ld = NULL;
    size_t nld = 0;
    int err = ac_store_analytics_load(st, c.def_id, &ld, &nld);
    if (err) {
        ans_error(&r->ans, err, "analytics");
        ctx_release(&c);
        return;
    }
    struct ac_analytics_load mine = {.reviewer_id = me.id};
    for (size_t i = 0; i < nld; i++)
        if (ld[i].reviewer_id == me.id)
            mine = ld[i];
    free(ld);
    json_t *row = reviewer_json(&c, &mine);
    ans_json(&r->ans,
             row ? json_pack("{s:s, s:o}", "credential_id", c.def_id, "reviewer", row) : NULL);
    ctx_release(&c);
}

static void on_reviewer_me(struct ac_http_exchange *x, void *arg)
{
    submit(arg, x, AC_ROLE_REVIEWER, 0, reviewer_me_body);
}

/* Takes |b| (released here) as an SVG answer, or answers |err|. */
static void ans_svg(struct answer *a, int err, struct ac_buf *b)
{
    if (err) {
        ans_error(a, err, "chart");
        ac_buf_release(b);
        return;
    }
    ac_buf_release(&a->body);
    a->body = *b;
    a->type = "image/svg+xml";
}

static void severity_body(struct an_read *r, struct ac_store *st)
{
    struct ctx c;
    if (load_in(r, st, &c))
        return;
    double *z = calloc(c.monitor->n_reviewers + 1, sizeof *z);
    size_t nz = 0;
    for (size_t i = 0; z && i < c.monitor->n_reviewers; i++)
        if (c.monitor->reviewers[i].severity_valid)
            z[nz++] = c.monitor->reviewers[i].severity_z;
    char title[160];
    snprintf(title, sizeof title, "Reviewer severity: %s", c.def_id);
    struct ac_svg_histogram h = {
        title,      "severity (z; above 0 lenient, below 0 severe)", "reviewers", z, nz, 0.5,
        "pool mean"};
    struct ac_buf b;
    ac_buf_init(&b);
    int err = z ? ac_svg_histogram(&h, &b) : AC_ENOMEM;
    free(z);
    ans_svg(&r->ans, err, &b);
    ctx_release(&c);
}

static void on_severity_svg(struct ac_http_exchange *x, void *arg)
{
    submit(arg, x, AC_ROLE_ADMIN, 0, severity_body);
}

static int keep_week(const struct ac_analytics_review *r, void *arg)
{
    return r->decided_ms && r->decided_ms / WEEK_MS == *(const int64_t *)arg;
}

static void agreement_body(struct an_read *r, struct ac_store *st)
{
    struct ctx c;
    if (load_in(r, st, &c))
        return;
    /* One point per week in which submissions were decided. */
    int64_t *weeks = calloc(c.nreviews + 1, sizeof *weeks), *xs = NULL;
    size_t nw = 0;
    for (size_t i = 0; weeks && i < c.nreviews; i++) {
        int64_t w = c.reviews[i].decided_ms / WEEK_MS;
        if (!c.reviews[i].decided_ms)
            continue;
        size_t k = 0;
        while (k < nw && weeks[k] != w)
            k++;
        if (k == nw)
            weeks[nw++] = w;
    }
    double *exact = calloc(nw + 1, sizeof *exact), *alpha = calloc(nw + 1, sizeof *alpha);
    xs = calloc(nw + 1, sizeof *xs);
    int err = weeks && exact && alpha && xs ? 0 : AC_ENOMEM;
    /* Weeks in time order (insertion sort: there are few). */
    for (size_t i = 1; !err && i < nw; i++)
        for (size_t k = i; k > 0 && weeks[k - 1] > weeks[k]; k--) {
            int64_t t = weeks[k];
            weeks[k] = weeks[k - 1];
            weeks[k - 1] = t;
        }
    double lowest = 0;
    for (size_t i = 0; !err && i < nw; i++) {
        struct stats s;
        err = compute_stats(&c, keep_week, &weeks[i], &s);
        xs[i] = weeks[i] * WEEK_MS;
        exact[i] = s.exact.status == AC_STAT_OK ? s.exact.value : NAN;
        alpha[i] = s.alpha.status == AC_STAT_OK ? s.alpha.value : NAN;
        if (isfinite(alpha[i]) && alpha[i] < lowest)
            lowest = alpha[i];
    }
    char title[160];
    snprintf(title, sizeof title, "Agreement over time: %s", c.def_id);
    struct ac_svg_series series[] = {{"exact agreement", xs, exact, nw},
                                     {"Krippendorff's alpha (ordinal)", xs, alpha, nw}};
    /* Alpha can fall below 0; the axis grows down in steps of 0.5 to show it. */
    struct ac_svg_line_chart chart = {
        title, "agreement (per week of decisions)", floor(lowest * 2) / 2, 1, series, 2};
    struct ac_buf b;
    ac_buf_init(&b);
    if (!err)
        err = ac_svg_line_chart(&chart, &b);
    free(weeks);
    free(xs);
    free(exact);
    free(alpha);
    ans_svg(&r->ans, err, &b);
    ctx_release(&c);
}

static void on_agreement_svg(struct ac_http_exchange *x, void *arg)
{
    submit(arg, x, AC_ROLE_ADMIN, 0, agreement_body);
}

void ac__api_analytics_register(struct ac_node *n)
{
    ac__route(n, "GET", "/v1/analytics/credentials/{id}", on_credential);
    ac__route(n, "GET", "/v1/analytics/credentials/{id}/reviewers", on_reviewers);
    ac__route(n, "GET", "/v1/analytics/credentials/{id}/reviewers/me", on_reviewer_me);
    ac__route(n, "GET", "/v1/analytics/credentials/{id}/severity.svg", on_severity_svg);
    ac__route(n, "GET", "/v1/analytics/credentials/{id}/agreement.svg", on_agreement_svg);
}
