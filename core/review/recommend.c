/* recommend.c - next credentials for an earner: same stack, co-earned, shared
 * tags (see include/accord/recommend.h). */
#include "accord/review/recommend.h"

#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"

struct earned_ix {
    const char *earner;
    size_t cred; /* catalog index */
};

struct cand {
    size_t cred;
    double score, lift;
    size_t because; /* catalog index of a held credential */
};

/* Catalog indexes sorted by id, for lookups by binary search. */
struct lookup {
    const struct ac_rec_catalog *c;
    size_t *order;
};

/* glibc's qsort_r passes the catalog, so no global state is needed. */
static int by_id(const void *a, const void *b, void *arg)
{
    const struct ac_rec_catalog *c = arg;
    const size_t *x = a, *y = b;
    return strcmp(c->credentials[*x].id, c->credentials[*y].id);
}

static long find(const struct lookup *lk, const char *id)
{
    size_t lo = 0, hi = lk->c->n_credentials;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(lk->c->credentials[lk->order[mid]].id, id);
        if (cmp == 0)
            return (long)lk->order[mid];
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static int by_earner_cred(const void *a, const void *b)
{
    const struct earned_ix *x = a, *y = b;
    int c = strcmp(x->earner, y->earner);
    if (c)
        return c;
    return x->cred < y->cred ? -1 : x->cred > y->cred;
}

static int by_score(const void *a, const void *b, void *arg)
{
    const struct ac_rec_catalog *c = arg;
    const struct cand *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    if (x->lift != y->lift)
        return x->lift > y->lift ? -1 : 1;
    return strcmp(c->credentials[x->cred].id, c->credentials[y->cred].id);
}

const char *ac_recommend_reason_name(enum ac_rec_reason reason)
{
    switch (reason) {
    case AC_REC_NEXT_IN_STACK:
        return "next_in_stack";
    case AC_REC_CO_EARNED:
        return "co_earned";
    case AC_REC_SHARED_TAGS:
        return "shared_tags";
    }
    return "unknown";
}

static int has_tag(const struct ac_rec_credential *c, const char *tag)
{
    for (size_t i = 0; i < c->n_tags; i++)
        if (strcmp(c->tags[i], tag) == 0)
            return 1;
    return 0;
}

int ac_recommend(const struct ac_rec_catalog *c, const char *const *held, size_t n_held,
                 const struct ac_rec_params *p, struct ac_recommendation **out, size_t *n_out)
{
    if (!c || !p || !out || !n_out || (n_held && !held) || (c->n_credentials && !c->credentials) ||
        (c->n_stacks && !c->stacks) || (c->n_earned && !c->earned))
        return AC_EINVAL;
    size_t nc = c->n_credentials;
    struct lookup lk = {c, malloc((nc ? nc : 1) * sizeof(size_t))};
    /* state[i]: 0 candidate, 1 held, 2 already recommended. */
    unsigned char *state = calloc(nc ? nc : 1, 1);
    long *held_ix = malloc((n_held ? n_held : 1) * sizeof *held_ix);
    struct ac_recommendation *recs = malloc((nc ? nc : 1) * sizeof *recs);
    struct cand *cands = malloc((nc ? nc : 1) * sizeof *cands);
    size_t *pair = calloc((n_held ? n_held : 1) * (nc ? nc : 1), sizeof *pair);
    size_t *with_held = calloc(nc ? nc : 1, sizeof *with_held);
    size_t *earners_of = calloc(nc ? nc : 1, sizeof *earners_of);
    struct earned_ix *ev = malloc((c->n_earned ? c->n_earned : 1) * sizeof *ev);
    size_t n = 0, nv = 0;
    int rc = AC_ENOMEM;
    if (!lk.order || !state || !held_ix || !recs || !cands || !pair || !with_held || !earners_of ||
        !ev)
        goto out;
    for (size_t i = 0; i < nc; i++)
        lk.order[i] = i;
    qsort_r(lk.order, nc, sizeof *lk.order, by_id, (void *)c);
    for (size_t h = 0; h < n_held; h++) {
        held_ix[h] = held[h] ? find(&lk, held[h]) : -1;
        if (held_ix[h] >= 0)
            state[held_ix[h]] = 1;
    }
#define ELIGIBLE(i) (state[i] == 0 && !c->credentials[i].inactive)
    /* 1. The next credential after the furthest one held in each stack. */
    for (size_t s = 0; s < c->n_stacks; s++) {
        const struct ac_rec_stack *st = &c->stacks[s];
        long top = -1;
        for (size_t m = 0; m < st->n_members; m++) {
            long ix = st->members[m] ? find(&lk, st->members[m]) : -1;
            if (ix >= 0 && state[ix] == 1)
                top = (long)m;
        }
        if (top < 0)
            continue;
        for (size_t m = (size_t)top + 1; m < st->n_members; m++) {
            long ix = st->members[m] ? find(&lk, st->members[m]) : -1;
            if (ix < 0 || state[ix] == 1)
                continue;
            if (ELIGIBLE(ix)) {
                recs[n++] = (struct ac_recommendation){c->credentials[ix].id, AC_REC_NEXT_IN_STACK,
                                                       st->id, (double)(m + 1), 0.0};
                state[ix] = 2;
            }
            break;
        }
    }
    /* 2. Co-earned: per distinct earner, which held credentials they share. */
    for (size_t e = 0; e < c->n_earned; e++) {
        long ix = c->earned[e].credential && c->earned[e].earner
                      ? find(&lk, c->earned[e].credential)
                      : -1;
        if (ix >= 0)
            ev[nv++] = (struct earned_ix){c->earned[e].earner, (size_t)ix};
    }
    qsort(ev, nv, sizeof *ev, by_earner_cred);
    size_t earners = 0, earners_with_held = 0;
    for (size_t i = 0; i < nv;) {
        size_t j = i;
        while (j < nv && strcmp(ev[j].earner, ev[i].earner) == 0)
            j++;
        earners++;
        int any = 0;
        for (size_t k = i; k < j; k++) {
            if (k > i && ev[k].cred == ev[k - 1].cred)
                continue;
            earners_of[ev[k].cred]++;
            any = any || state[ev[k].cred] == 1;
        }
        if (any) {
            earners_with_held++;
            for (size_t k = i; k < j; k++) {
                if ((k > i && ev[k].cred == ev[k - 1].cred) || state[ev[k].cred] == 1)
                    continue;
                with_held[ev[k].cred]++;
                for (size_t h = 0; h < n_held; h++)
                    for (size_t q = i; q < j; q++)
                        if (held_ix[h] >= 0 && ev[q].cred == (size_t)held_ix[h]) {
                            pair[h * nc + ev[k].cred]++;
                            break;
                        }
            }
        }
        i = j;
    }
    unsigned min_co = p->min_co_earners ? p->min_co_earners : 1;
    size_t ncand = 0;
    for (size_t i = 0; i < nc; i++) {
        if (!ELIGIBLE(i) || with_held[i] < min_co)
            continue;
        size_t best = 0, because = 0;
        for (size_t h = 0; h < n_held; h++)
            if (held_ix[h] >= 0 &&
                (pair[h * nc + i] > best || (pair[h * nc + i] == best && best > 0 &&
                                             strcmp(held[h], c->credentials[because].id) < 0))) {
                best = pair[h * nc + i];
                because = (size_t)held_ix[h];
            }
        double lift = ((double)with_held[i] / (double)earners_with_held) /
                      ((double)earners_of[i] / (double)earners);
        cands[ncand++] = (struct cand){i, (double)with_held[i], lift, because};
    }
    qsort_r(cands, ncand, sizeof *cands, by_score, (void *)c);
    for (size_t k = 0; k < ncand; k++) {
        recs[n++] = (struct ac_recommendation){c->credentials[cands[k].cred].id, AC_REC_CO_EARNED,
                                               c->credentials[cands[k].because].id, cands[k].score,
                                               cands[k].lift};
        state[cands[k].cred] = 2;
    }
    /* 3. Shared competency and domain tags. */
    ncand = 0;
    for (size_t i = 0; i < nc; i++) {
        if (!ELIGIBLE(i))
            continue;
        const struct ac_rec_credential *y = &c->credentials[i];
        size_t shared = 0, best = 0, because = 0;
        for (size_t t = 0; t < y->n_tags; t++)
            for (size_t h = 0; h < n_held; h++)
                if (held_ix[h] >= 0 && has_tag(&c->credentials[held_ix[h]], y->tags[t])) {
                    shared++;
                    break;
                }
        for (size_t h = 0; h < n_held; h++) {
            if (held_ix[h] < 0)
                continue;
            size_t s = 0;
            for (size_t t = 0; t < y->n_tags; t++)
                s += (size_t)has_tag(&c->credentials[held_ix[h]], y->tags[t]);
            if (s > best ||
                (s == best && s > 0 && strcmp(held[h], c->credentials[because].id) < 0)) {
                best = s;
                because = (size_t)held_ix[h];
            }
        }
        if (shared > 0)
            cands[ncand++] = (struct cand){i, (double)shared, 0.0, because};
    }
    qsort_r(cands, ncand, sizeof *cands, by_score, (void *)c);
    for (size_t k = 0; k < ncand; k++)
        recs[n++] =
            (struct ac_recommendation){c->credentials[cands[k].cred].id, AC_REC_SHARED_TAGS,
                                       c->credentials[cands[k].because].id, cands[k].score, 0.0};
#undef ELIGIBLE
    if (p->max && n > p->max)
        n = p->max;
    if (n == 0) {
        free(recs);
        recs = NULL;
    }
    *out = recs;
    *n_out = n;
    recs = NULL;
    rc = 0;
out:
    free(recs);
    free(lk.order);
    free(state);
    free(held_ix);
    free(cands);
    free(pair);
    free(with_held);
    free(earners_of);
    free(ev);
    return rc;
}
