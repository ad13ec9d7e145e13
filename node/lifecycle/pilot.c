/* pilot.c - pilot validation as services: the issuer adds pilot submissions
 * assigned to two experts, each expert scores their own, and the report
 * measures agreement (core/stats/agreement.h, plus exact agreement across the
 * pass boundary, computed here) against the issuer's threshold; the catalog
 * shows the summary of the validation an active credential went through. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/review/scoring.h"
#include "accord/stats/agreement.h"
#include "accord/store/pilot.h"
#include "audit.h"
#include "lifecycle.h"
#include "review/review.h"

#define PILOT_MAX_ROWS (AC_PILOT_MAX_SUBMISSIONS * 2)

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
    size_t subs = 0, complete = 0, same_side = 0, nexperts = 0;
    int64_t experts[PILOT_MAX_ROWS], latest = 0;
    size_t pass = c->def->passing_level;
    int *cells = calloc(k * 2 + 2, sizeof *cells);
    json_t *items = json_array();
    for (size_t i = 0; cells && i < k;) {
        size_t j = i;
        int pair[2] = {AC_RATING_MISSING, AC_RATING_MISSING};
        json_t *scores = json_array();
        for (; j < k && rows[j].submission_id == rows[i].submission_id; j++) {
            if (j - i < 2)
                pair[j - i] = rows[j].level < 0 ? AC_RATING_MISSING : rows[j].level;
            size_t e = 0;
            while (e < nexperts && experts[e] != rows[j].expert_id)
                e++;
            if (e == nexperts)
                experts[nexperts++] = rows[j].expert_id;
            if (rows[j].scored_ms > latest)
                latest = rows[j].scored_ms;
            json_t *sc =
                json_pack("{s:I, s:o}", "expert", (json_int_t)rows[j].expert_id, "level",
                          rows[j].level < 0 ? json_null()
                                            : json_string(c->def->levels[rows[j].level]));
            /* The expert's notes and element levels, for the issuer who
             * decides whether the rubric needs work. */
            json_t *detail = rows[j].level < 0
                                 ? NULL
                                 : ac__pilot_detail(n, rows[j].submission_id, rows[j].expert_id);
            if (sc && detail)
                json_object_update(sc, detail);
            json_decref(detail);
            json_array_append_new(scores, sc);
        }
        cells[subs * 2] = pair[0];
        cells[subs * 2 + 1] = pair[1];
        int both = pair[0] != AC_RATING_MISSING && pair[1] != AC_RATING_MISSING;
        complete += both;
        same_side += both && ((size_t)pair[0] >= pass) == ((size_t)pair[1] >= pass);
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
                   alpha = {0}, ac1 = {0}, boundary = {0};
    /* Exact agreement across the pass boundary: the share of fully scored
     * submissions both experts put on the same side of the passing level,
     * which is what an earner's outcome turns on. */
    if (complete > 0)
        boundary = (struct ac_stat){AC_STAT_OK, (double)same_side / (double)complete, NULL,
                                    complete, complete};
    else
        boundary = (struct ac_stat){AC_STAT_UNDEFINED, 0, "no submission has both expert scores",
                                    0, 0};
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
                           "gwet_ac1",     "pass_boundary"};
    const struct ac_stat *stats[] = {&exact, &adjacent, &cohen, &linear,
                                     &quadratic, &alpha, &ac1, &boundary};
    json_t *agreement = json_object();
    const struct ac_stat *chosen = NULL;
    for (size_t i = 0; i < 8; i++) {
        if (subs > 0)
            json_object_set_new(agreement, names[i], stat_json(stats[i]));
        if (strcmp(names[i], c->row.pilot_statistic) == 0)
            chosen = stats[i];
    }
    char verdict[200];
    *met = false;
    if (c->row.pilot_round == 0)
        snprintf(verdict, sizeof verdict, "no pilot has started");
    else if (subs < AC_PILOT_MIN_SUBMISSIONS)
        snprintf(verdict, sizeof verdict, "%zu pilot submissions; at least %d are needed", subs,
                 AC_PILOT_MIN_SUBMISSIONS);
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
    if (*out) {
        json_object_set_new(*out, "experts", json_integer((json_int_t)nexperts));
        ac__json_time(*out, "scored_at", latest);
    }
    return *out ? 0 : AC_ENOMEM;
}

json_t *ac__pilot_validation(struct ac_node *n, int64_t row)
{
    struct ac__cred c;
    if (ac__cred_load_id(n, row, &c) != 0)
        return NULL;
    json_t *report = NULL;
    bool met = false;
    json_t *j = NULL;
    if (c.row.pilot_round > 0 && ac__pilot_report(n, &c, &report, &met) == 0) {
        char approach[300];
        snprintf(approach, sizeof approach,
                 "%" PRId64 " pilot submissions were each scored independently by two experts (%" PRId64
                 " took part); the issuer required %s of at least %g",
                 (int64_t)json_integer_value(json_object_get(report, "submissions")),
                 (int64_t)json_integer_value(json_object_get(report, "experts")),
                 c.row.pilot_statistic, c.row.pilot_threshold);
        j = json_pack("{s:s, s:O, s:O, s:s, s:f, s:O, s:b}", "approach", approach, "experts",
                      json_object_get(report, "experts"), "items",
                      json_object_get(report, "submissions"), "statistic",
                      c.row.pilot_statistic, "threshold", c.row.pilot_threshold, "agreement",
                      json_object_get(report, "agreement"), "threshold_met", met);
        json_t *at = json_object_get(report, "scored_at");
        if (j && at)
            json_object_set(j, "date", at);
    }
    json_decref(report);
    ac__cred_release(&c);
    return j;
}

int ac_pilot_add(struct ac_node *n, const struct ac_user *actor, const char *ref,
                 const int64_t experts[2], const struct ac_text_item *subs, size_t k, int64_t *ids,
                 struct ac__cred *out, struct ac_reason *why)
{
    static const enum ac_def_state piloting[] = {AC_DEF_PILOTING};
    struct ac__cred *c = out;
    memset(out, 0, sizeof *out);
    int err = ac__actor_require(actor, AC_ROLE_ADMIN, why);
    if (err || (err = ac__cred_find(n, ref, c, why)) != 0)
        return err;
    if ((err = ac__cred_require_state(c, piloting, 1, "add pilot submissions", why)) ||
        (err = ac__users_check(n, "experts", experts, 2, AC_ROLE_EXPERT, why)))
        goto out;
    /* Count the round's submissions so far (two rows each). */
    struct ac_pilot_score *have = calloc(PILOT_MAX_ROWS, sizeof *have);
    size_t nhave = 0;
    err = have ? ac_store_pilot_list(n->store, 0, c->row.id, c->row.pilot_round, 0, have,
                                     PILOT_MAX_ROWS, &nhave)
               : AC_ENOMEM;
    for (size_t r = 0; !err && r < nhave; r++)
        ac_pilot_score_release(&have[r]);
    free(have);
    if (err)
        goto out;
    if (nhave / 2 + k > AC_PILOT_MAX_SUBMISSIONS) {
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_PILOT_FULL, "submissions",
                             "submissions: round %lld of %s has %zu; at most %d per round",
                             (long long)c->row.pilot_round, c->ref, nhave / 2,
                             AC_PILOT_MAX_SUBMISSIONS);
        goto out;
    }
    json_t *d = json_pack("{s:I, s:[I,I], s:I}", "round", (json_int_t)c->row.pilot_round, "experts",
                          (json_int_t)experts[0], (json_int_t)experts[1], "count", (json_int_t)k);
    int64_t now = ac_clock_now_ms();
    err = d ? ac_store_tx_begin(n->store) : AC_ENOMEM;
    if (!err) {
        for (size_t i = 0; !err && i < k; i++)
            err = ac_store_pilot_add(n->store, c->row.id, c->row.pilot_round, subs[i].label,
                                     subs[i].content, experts, 2, now, &ids[i]);
        if (!err)
            err = ac_audit(n, "credential", c->ref, actor->id, "pilot-assign", d);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    json_decref(d);
    if (err == AC_EEXIST)
        ac_reason_fail(why, err, AC_PROBLEM_CONFLICT, "submissions",
                       "submissions: a label is already used in pilot round %lld of %s",
                       (long long)c->row.pilot_round, c->ref);
out:
    if (err)
        ac__cred_release(c);
    return err;
}

/* Resolves the level of a pilot score from |level| or |extra|->levels
 * (combined by |def|'s rule) into |*lv|, checks the notes of |extra| (may
 * be NULL), and sets |*detail| to what is stored beside the score (a new
 * object, or NULL when |extra| adds nothing). Returns 0 or AC_EINVAL with
 * |why|. */
static int pilot_extra(const struct ac_definition *def, const struct ac_level_arg *level,
                       const struct ac_pilot_extra *extra, int *lv, json_t **detail,
                       struct ac_reason *why)
{
    *detail = NULL;
    const struct ac_levels_given *g = extra ? extra->levels : NULL;
    int per[AC_ASG_LEVELS_MAX];
    size_t nper = 0;
    int err;
    if (g && level && level->kind != AC_LEVEL_ABSENT)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "level",
                              "level: give one \"level\" or \"levels\" per element, not both");
    if (g) {
        if (def->grain != AC_GRAIN_PER_ELEMENT)
            return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "levels",
                                  "levels: %s is scored holistically; give one \"level\"",
                                  def->id);
        if ((err = ac__levels_check(def, g, per, &nper, why)) != 0)
            return err;
        /* The pilot measures agreement on the level a reviewer's scores
         * would come to, so the expert's element levels are combined by the
         * rule reviews are. */
        struct ac_review r = {per, nper};
        size_t combined;
        bool pass;
        if (ac_scoring_combine(def, &r, &combined, &pass) != 0)
            return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "levels",
                                  "levels: a required element of %s is unscored", def->id);
        *lv = (int)combined;
    } else if ((err = ac__level_resolve(def, level, "level", lv, why)) != 0) {
        return err;
    }
    const char *notes = extra ? extra->notes : NULL;
    const json_t *en = extra ? extra->element_notes : NULL;
    if (notes && strlen(notes) > AC_PILOT_NOTES_MAX)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "notes",
                              "notes: at most %d bytes", AC_PILOT_NOTES_MAX);
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)en, key, v) {
        size_t i = 0;
        while (i < def->n_elements && strcmp(def->elements[i].id, key) != 0)
            i++;
        if (i == def->n_elements)
            return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "element_notes",
                                  "element_notes.%s: not an element of %s", key, def->id);
        if (!json_is_string(v) || json_string_length(v) > AC_PILOT_NOTES_MAX)
            return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "element_notes",
                                  "element_notes.%s: a text of at most %d bytes", key,
                                  AC_PILOT_NOTES_MAX);
    }
    json_t *d = json_object(), *elements = json_array();
    if (!d || !elements) {
        json_decref(d);
        json_decref(elements);
        return AC_ENOMEM;
    }
    if (notes && notes[0])
        json_object_set_new(d, "notes", json_string(notes));
    for (size_t i = 0; i < def->n_elements; i++) {
        const char *note = json_string_value(json_object_get(en, def->elements[i].id));
        if (!nper && !(note && note[0]))
            continue;
        json_t *e = json_pack("{s:s, s:o}", "element", def->elements[i].id, "level",
                              nper && per[i] >= 0 ? json_string(def->levels[per[i]]) : json_null());
        if (e && note && note[0])
            json_object_set_new(e, "notes", json_string(note));
        json_array_append_new(elements, e);
    }
    if (json_array_size(elements))
        json_object_set_new(d, "elements", elements);
    else
        json_decref(elements);
    if (json_object_size(d) == 0) {
        json_decref(d);
        d = NULL;
    }
    *detail = d;
    return 0;
}

json_t *ac__pilot_detail(struct ac_node *n, int64_t sub, int64_t expert_id)
{
    char *text = NULL;
    if (ac_store_pilot_notes_get(n->store, sub, expert_id, &text) != 0)
        return NULL;
    json_t *j = json_loads(text, 0, NULL);
    free(text);
    if (j && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

int ac_pilot_score_submission(struct ac_node *n, const struct ac_user *actor, int64_t sub,
                              const struct ac_level_arg *level, struct ac__cred *out,
                              int *level_out, struct ac_reason *why)
{
    return ac_pilot_score_detailed(n, actor, sub, level, NULL, out, level_out, NULL, why);
}

int ac_pilot_score_detailed(struct ac_node *n, const struct ac_user *actor, int64_t sub,
                            const struct ac_level_arg *level, const struct ac_pilot_extra *extra,
                            struct ac__cred *out, int *level_out, json_t **detail_out,
                            struct ac_reason *why)
{
    static const enum ac_def_state piloting[] = {AC_DEF_PILOTING};
    struct ac_pilot_score p = {0};
    json_t *detail = NULL;
    char *detail_text = NULL;
    memset(out, 0, sizeof *out);
    if (detail_out)
        *detail_out = NULL;
    int err = ac__actor_require(actor, AC_ROLE_EXPERT, why);
    if (err)
        return err;
    err = ac_store_pilot_get(n->store, sub, actor->id, &p);
    if (err == AC_ENOENT)
        return ac_reason_fail(why, AC_EACCES, AC_PROBLEM_NOT_ASSIGNED, "id",
                              "pilot submission %lld is not assigned to you (%s)", (long long)sub,
                              actor->name);
    if (!err)
        err = ac__cred_load_id(n, p.credential_id, out);
    int lv;
    if (err || (err = ac__cred_require_state(out, piloting, 1, "score a pilot submission", why)) ||
        (err = pilot_extra(out->def, level, extra, &lv, &detail, why)))
        goto out;
    if (p.round != out->row.pilot_round) {
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_WRONG_STATE, "id",
                             "pilot submission %lld belongs to round %lld; round %lld is current",
                             (long long)sub, (long long)p.round, (long long)out->row.pilot_round);
        goto out;
    }
    if (detail && !(detail_text = json_dumps(detail, JSON_COMPACT))) {
        err = AC_ENOMEM;
        goto out;
    }
    json_t *d = json_pack("{s:I, s:b}", "submission_id", (json_int_t)sub, "notes", detail != NULL);
    err = d ? ac_store_tx_begin(n->store) : AC_ENOMEM;
    if (!err) {
        err = ac_store_pilot_score(n->store, sub, actor->id, lv, ac_clock_now_ms());
        if (!err && detail_text)
            err = ac_store_pilot_notes_set(n->store, sub, actor->id, detail_text);
        if (!err)
            err = ac_audit(n, "credential", out->ref, actor->id, "pilot-score", d);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    json_decref(d);
    if (err == AC_ECONFLICT)
        ac_reason_fail(why, err, AC_PROBLEM_ALREADY_SCORED, "level",
                       "you already scored pilot submission %lld; independent scores are final",
                       (long long)sub);
    *level_out = lv;
out:
    free(detail_text);
    ac_pilot_score_release(&p);
    if (err) {
        json_decref(detail);
        ac__cred_release(out);
    } else if (detail_out) {
        *detail_out = detail;
    } else {
        json_decref(detail);
    }
    return err;
}
