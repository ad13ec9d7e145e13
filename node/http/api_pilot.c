/* api_pilot.c - pilot validation: the issuer assigns pilot submissions to two
 * experts, each expert sees and scores only their own assignments, and the
 * report measures agreement (core/agreement.h) against the issuer's threshold. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/stats/agreement.h"
#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "lifecycle/lifecycle.h"

#define PILOT_MIN_SUBMISSIONS 10  /* the seed's Step 1: at least ten */
#define PILOT_MAX_SUBMISSIONS 500 /* per round: the report reads a round in one go */
#define PILOT_MAX_ROWS (PILOT_MAX_SUBMISSIONS * 2)

static json_t *stat_json(const struct ac_stat *s)
{
    if (s->status == AC_STAT_OK)
        return json_real(s->value);
    return json_pack("{s:s, s:s}", "status",
                     s->status == AC_STAT_UNDEFINED ? "undefined" : "not_applicable", "why",
                     s->why ? s->why : "");
}

int ac__pilot_report(struct ac_node *n, const struct ac__cred *c, json_t **out, bool *met)
{
    struct ac_pilot_score *rows = calloc(PILOT_MAX_ROWS, sizeof *rows);
    if (!rows)
        return AC_ENOMEM;
    size_t k;
    int err = ac_store_pilot_list(n->store, 0, c->row.id, c->row.pilot_round, 0, rows,
                                  PILOT_MAX_ROWS, &k);
    if (err) {
        free(rows);
        return err;
    }
    /* One matrix row per submission: its first and second expert (by id). */
    size_t subs = 0, complete = 0;
    int *cells = calloc(k * 2 + 2, sizeof *cells);
    json_t *items = json_array();
    for (size_t i = 0; cells && i < k;) {
        size_t j = i;
        int pair[2] = {AC_RATING_MISSING, AC_RATING_MISSING};
        json_t *scores = json_array();
        for (; j < k && rows[j].submission_id == rows[i].submission_id; j++) {
            if (j - i < 2)
                pair[j - i] = rows[j].level < 0 ? AC_RATING_MISSING : rows[j].level;
            json_array_append_new(
                scores, json_pack("{s:I, s:o}", "expert", (json_int_t)rows[j].expert_id, "level",
                                  rows[j].level < 0 ? json_null()
                                                    : json_string(c->def->levels[rows[j].level])));
        }
        cells[subs * 2] = pair[0];
        cells[subs * 2 + 1] = pair[1];
        complete += pair[0] != AC_RATING_MISSING && pair[1] != AC_RATING_MISSING;
        json_array_append_new(items, json_pack("{s:I, s:s, s:o}", "submission_id",
                                               (json_int_t)rows[i].submission_id, "label",
                                               rows[i].label, "scores", scores));
        subs++;
        i = j;
    }
    for (size_t i = 0; i < k; i++)
        ac_pilot_score_release(&rows[i]);
    free(rows);
    if (!cells) {
        json_decref(items);
        return AC_ENOMEM;
    }
    struct ac_ratings r = {
        .items = subs, .raters = 2, .cells = cells, .levels = (unsigned)c->def->n_levels};
    struct ac_stat exact = {0}, adjacent = {0}, cohen = {0}, linear = {0}, quadratic = {0},
                   alpha = {0}, ac1 = {0};
    if (subs > 0) {
        ac_agreement_pairwise(&r, 0, &exact);
        ac_agreement_pairwise(&r, 1, &adjacent);
        ac_agreement_cohen_kappa(&r, AC_KAPPA_UNWEIGHTED, &cohen);
        ac_agreement_cohen_kappa(&r, AC_KAPPA_LINEAR, &linear);
        ac_agreement_cohen_kappa(&r, AC_KAPPA_QUADRATIC, &quadratic);
        ac_agreement_krippendorff_alpha(&r, AC_ALPHA_ORDINAL, &alpha);
        ac_agreement_gwet_ac1(&r, &ac1);
    }
    free(cells);
    const char *names[] = {"exact",        "adjacent",        "cohen_kappa",
                           "linear_kappa", "quadratic_kappa", "krippendorff_ordinal",
                           "gwet_ac1"};
    const struct ac_stat *stats[] = {&exact, &adjacent, &cohen, &linear, &quadratic, &alpha, &ac1};
    json_t *agreement = json_object();
    const struct ac_stat *chosen = NULL;
    for (size_t i = 0; i < 7; i++) {
        if (subs > 0)
            json_object_set_new(agreement, names[i], stat_json(stats[i]));
        if (strcmp(names[i], c->row.pilot_statistic) == 0)
            chosen = stats[i];
    }
    char verdict[200];
    *met = false;
    if (c->row.pilot_round == 0)
        snprintf(verdict, sizeof verdict, "no pilot has started");
    else if (subs < PILOT_MIN_SUBMISSIONS)
        snprintf(verdict, sizeof verdict, "%zu pilot submissions; at least %d are needed", subs,
                 PILOT_MIN_SUBMISSIONS);
    else if (complete < subs)
        snprintf(verdict, sizeof verdict, "%zu of %zu submissions have both expert scores",
                 complete, subs);
    else if (!chosen || chosen->status != AC_STAT_OK)
        snprintf(verdict, sizeof verdict, "%s is undefined on these scores: %s",
                 c->row.pilot_statistic, chosen && chosen->why ? chosen->why : "no data");
    else if (chosen->value < c->row.pilot_threshold)
        snprintf(verdict, sizeof verdict, "%s %.4f is below the threshold %.4f",
                 c->row.pilot_statistic, chosen->value, c->row.pilot_threshold);
    else {
        snprintf(verdict, sizeof verdict, "%s %.4f meets the threshold %.4f",
                 c->row.pilot_statistic, chosen->value, c->row.pilot_threshold);
        *met = true;
    }
    *out = json_pack("{s:s, s:I, s:s, s:f, s:I, s:I, s:o, s:o, s:b, s:s}", "credential", c->ref,
                     "round", (json_int_t)c->row.pilot_round, "statistic", c->row.pilot_statistic,
                     "threshold", c->row.pilot_threshold, "submissions", (json_int_t)subs,
                     "fully_scored", (json_int_t)complete, "agreement", agreement, "items", items,
                     "threshold_met", *met, "verdict", verdict);
    return *out ? 0 : AC_ENOMEM;
}

static void on_add(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    struct ac__cred c;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__json_body(x, 0, &body))
        return;
    if (ac__cred_load(n, x, &c)) {
        json_decref(body);
        return;
    }
    static const char *const allowed[] = {"experts", "submissions", NULL};
    static const enum ac_def_state piloting[] = {AC_DEF_PILOTING};
    int64_t experts[2];
    json_t *subs = json_object_get(body, "submissions");
    if (ac__json_only(x, body, allowed) ||
        ac__cred_require_state(x, &c, piloting, 1, "add pilot submissions") ||
        ac__users_get(n, x, body, "experts", AC_ROLE_EXPERT, 2, experts, 2) < 0)
        goto out;
    if (!json_is_array(subs) || json_array_size(subs) == 0 ||
        json_array_size(subs) > PILOT_MAX_SUBMISSIONS) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "submissions", NULL,
                    "submissions: a list of 1 to 500 {\"label\", \"content\"} objects");
        goto out;
    }
    if (ac__labelled_texts_check(x, subs, "submissions"))
        goto out;
    size_t i;
    json_t *v;
    /* Count the round's submissions so far (two rows each). */
    struct ac_pilot_score *have = calloc(PILOT_MAX_ROWS, sizeof *have);
    size_t nhave = 0;
    int err = have ? ac_store_pilot_list(n->store, 0, c.row.id, c.row.pilot_round, 0, have,
                                         PILOT_MAX_ROWS, &nhave)
                   : AC_ENOMEM;
    for (size_t r = 0; !err && r < nhave; r++)
        ac_pilot_score_release(&have[r]);
    free(have);
    if (err) {
        ac__respond_error(x, err, "pilot submissions");
        goto out;
    }
    if (nhave / 2 + json_array_size(subs) > PILOT_MAX_SUBMISSIONS) {
        ac__problem(x, AC_PROBLEM_PILOT_FULL, "submissions", NULL,
                    "submissions: round %lld of %s has %zu; at most %d per round",
                    (long long)c.row.pilot_round, c.ref, nhave / 2, PILOT_MAX_SUBMISSIONS);
        goto out;
    }
    err = ac_store_tx_begin(n->store);
    int64_t now = ac_clock_now_ms(), id;
    json_t *ids = json_array();
    json_array_foreach(subs, i, v)
    {
        if (err)
            break;
        err = ac_store_pilot_add(
            n->store, c.row.id, c.row.pilot_round, json_string_value(json_object_get(v, "label")),
            json_string_value(json_object_get(v, "content")), experts, 2, now, &id);
        json_array_append_new(ids, json_integer(id));
    }
    json_t *d = json_pack("{s:I, s:[I,I], s:I}", "round", (json_int_t)c.row.pilot_round, "experts",
                          (json_int_t)experts[0], (json_int_t)experts[1], "count",
                          (json_int_t)json_array_size(subs));
    if (!err)
        err = ac__audit(n, "credential", c.ref, a.user.id, "pilot-assign", d);
    json_decref(d);
    if (!err)
        err = ac_store_tx_commit(n->store);
    else
        ac_store_tx_rollback(n->store);
    if (err == AC_EEXIST)
        ac__problem(x, AC_PROBLEM_CONFLICT, "submissions", NULL,
                    "submissions: a label is already used in pilot round %lld of %s",
                    (long long)c.row.pilot_round, c.ref);
    else if (err)
        ac__respond_error(x, err, "pilot submissions");
    else
        ac__respond_owned(x, 201,
                          json_pack("{s:s, s:I, s:O}", "credential", c.ref, "round",
                                    (json_int_t)c.row.pilot_round, "submission_ids", ids));
    json_decref(ids);
out:
    json_decref(body);
    ac__cred_release(&c);
}

static void on_report(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    struct ac__cred c;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__cred_load(n, x, &c))
        return;
    json_t *j;
    bool met;
    int err = ac__pilot_report(n, &c, &j, &met);
    if (err)
        ac__respond_error(x, err, "pilot report");
    else
        ac__respond_owned(x, 200, j);
    ac__cred_release(&c);
}

/* An expert's own assignments; the other expert's score is never shown. */
static void on_assignments(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    size_t limit;
    int64_t after;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_EXPERT) ||
        ac__page_params(x, &limit, &after))
        return;
    struct ac_pilot_score rows[200];
    size_t k;
    int err = ac_store_pilot_list(n->store, a.user.id, 0, 0, after, rows, limit, &k);
    if (err) {
        ac__respond_error(x, err, "pilot assignments");
        return;
    }
    json_t *items = json_array();
    struct ac__cred c = {0};
    for (size_t i = 0; i < k; i++) {
        if (c.row.id != rows[i].credential_id) {
            ac__cred_release(&c);
            if (ac__cred_load_id(n, rows[i].credential_id, &c) != 0)
                continue;
        }
        json_t *e = json_pack(
            "{s:I, s:s, s:s, s:s, s:o}", "submission_id", (json_int_t)rows[i].submission_id,
            "credential", c.ref, "label", rows[i].label, "content", rows[i].content, "my_level",
            rows[i].level < 0 ? json_null() : json_string(c.def->levels[rows[i].level]));
        json_array_append_new(items, e);
    }
    ac__cred_release(&c);
    int more = k == limit;
    json_t *j = ac__page_json(items, more, more ? rows[k - 1].submission_id : 0);
    for (size_t i = 0; i < k; i++)
        ac_pilot_score_release(&rows[i]);
    ac__respond_owned(x, 200, j);
}

static void on_score(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    int64_t sub;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_EXPERT) ||
        ac__param_id(x, "id", "pilot submission", &sub) || ac__json_body(x, 0, &body))
        return;
    struct ac_pilot_score p = {0};
    struct ac__cred c = {0};
    static const char *const allowed[] = {"level", NULL};
    static const enum ac_def_state piloting[] = {AC_DEF_PILOTING};
    if (ac__json_only(x, body, allowed))
        goto out;
    int err = ac_store_pilot_get(n->store, sub, a.user.id, &p);
    if (err == AC_ENOENT) {
        ac__problem(x, AC_PROBLEM_NOT_ASSIGNED, "id", NULL,
                    "pilot submission %lld is not assigned to you (%s)", (long long)sub,
                    a.user.name);
        goto out;
    }
    if (!err)
        err = ac__cred_load_id(n, p.credential_id, &c);
    if (err) {
        ac__respond_error(x, err, "pilot submission");
        goto out;
    }
    int level;
    if (ac__cred_require_state(x, &c, piloting, 1, "score a pilot submission") ||
        ac__level_get(x, c.def, body, "level", &level))
        goto out;
    if (p.round != c.row.pilot_round) {
        ac__problem(x, AC_PROBLEM_WRONG_STATE, "id", NULL,
                    "pilot submission %lld belongs to round %lld; round %lld is current",
                    (long long)sub, (long long)p.round, (long long)c.row.pilot_round);
        goto out;
    }
    err = ac_store_tx_begin(n->store);
    if (!err) {
        err = ac_store_pilot_score(n->store, sub, a.user.id, level, ac_clock_now_ms());
        json_t *d = json_pack("{s:I}", "submission_id", (json_int_t)sub);
        if (!err)
            err = ac__audit(n, "credential", c.ref, a.user.id, "pilot-score", d);
        json_decref(d);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    if (err == AC_ECONFLICT)
        ac__problem(x, AC_PROBLEM_ALREADY_SCORED, "level", NULL,
                    "you already scored pilot submission %lld; independent scores are final",
                    (long long)sub);
    else if (err)
        ac__respond_error(x, err, "pilot score");
    else
        ac__respond_owned(x, 200,
                          json_pack("{s:I, s:s, s:s}", "submission_id", (json_int_t)sub,
                                    "credential", c.ref, "my_level", c.def->levels[level]));
out:
    ac_pilot_score_release(&p);
    ac__cred_release(&c);
    json_decref(body);
}

void ac__api_pilot_register(struct ac_node *n)
{
    ac__route(n, "POST", "/v1/definitions/{ref}/pilot/submissions", on_add);
    ac__route(n, "GET", "/v1/definitions/{ref}/pilot", on_report);
    ac__route(n, "GET", "/v1/pilot/assignments", on_assignments);
    ac__route(n, "POST", "/v1/pilot/submissions/{id}/score", on_score);
}
