/* assign.c - assigns queued submissions to reviewers under every hard constraint,
 * spreading load evenly: a convex-cost flow over a class graph, realised per group
 * by a stride fill, then checked slot by slot and repaired (docs/assignment.md). */
#include "accord/review/assign.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/base/log.h"
#include "maxflow.h"

/* ---- A small open-addressing map from 64-bit keys to dense indexes ---------- */

struct imap {
    uint64_t *keys;
    uint32_t *vals; /* UINT32_MAX: empty */
    size_t mask;
    uint32_t n;
};

static int imap_init(struct imap *m, size_t expect)
{
    size_t cap = 16;
    while (cap < expect * 2 + 1)
        cap *= 2;
    m->keys = malloc(cap * sizeof(*m->keys));
    m->vals = malloc(cap * sizeof(*m->vals));
    if (!m->keys || !m->vals)
        return AC_ENOMEM;
    memset(m->vals, 0xff, cap * sizeof(*m->vals));
    m->mask = cap - 1;
    m->n = 0;
    return 0;
}

static void imap_release(struct imap *m)
{
    free(m->keys);
    free(m->vals);
}

static size_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (size_t)k;
}

/* Returns the index of |key|, adding it as the next index if new. The map was sized
 * for every key it will see, so it never fills. */
static uint32_t imap_intern(struct imap *m, uint64_t key)
{
    size_t i = mix(key) & m->mask;
    while (m->vals[i] != UINT32_MAX) {
        if (m->keys[i] == key)
            return m->vals[i];
        i = (i + 1) & m->mask;
    }
    m->keys[i] = key;
    m->vals[i] = m->n;
    return m->n++;
}

/* ---- The constraint predicate ------------------------------------------------ */

static bool has_u32(const uint32_t *a, size_t n, uint32_t v)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] == v)
            return true;
    return false;
}

static bool has_u64(const uint64_t *a, size_t n, uint64_t v)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] == v)
            return true;
    return false;
}

static bool forbids_previous(const struct ac_assign_problem *p, uint32_t credential)
{
    for (size_t i = 0; i < p->n_credentials; i++)
        if (p->credentials[i].id == credential)
            return p->credentials[i].forbid_previous_reviewer;
    return false;
}

/* Qualification alone: certified for the credential, with the domain if one is asked. */
static bool qualified(const struct ac_assign_submission *s, const struct ac_assign_reviewer *r)
{
    return has_u32(r->credentials, r->n_credentials, s->credential) &&
           (s->domain == AC_ASSIGN_ANY_DOMAIN || has_u32(r->domains, r->n_domains, s->domain));
}

bool ac_assign_allowed(const struct ac_assign_problem *p, size_t si, size_t ri)
{
    const struct ac_assign_submission *s = &p->submissions[si];
    const struct ac_assign_reviewer *r = &p->reviewers[ri];
    if (!r->available || !qualified(s, r))
        return false;
    if (r->school == s->school || r->district == s->district)
        return false;
    if (has_u64(s->assigned_reviewers, s->n_assigned_reviewers, r->id))
        return false;
    if (has_u64(s->previous_reviewers, s->n_previous_reviewers, r->id) &&
        forbids_previous(p, s->credential))
        return false;
    return true;
}

const char *ac_assign_reason_name(enum ac_assign_reason reason)
{
    switch (reason) {
    case AC_ASSIGN_NO_QUALIFIED:
        return "too few qualified reviewers";
    case AC_ASSIGN_ALL_CONFLICTED:
        return "all qualified reviewers conflicted";
    case AC_ASSIGN_CAPACITY:
        return "capacity exhausted";
    }
    return "unknown reason";
}

int ac_assign_describe(const struct ac_assign_problem *p, const struct ac_assign_unassigned *u,
                       char *buf, size_t len)
{
    const struct ac_assign_submission *s = &p->submissions[u->submission];
    char dom[40] = "";
    if (s->domain != AC_ASSIGN_ANY_DOMAIN)
        snprintf(dom, sizeof(dom), " with domain %" PRIu32, s->domain);
    const char *plural = u->missing == 1 ? "review" : "reviews";
    switch (u->reason) {
    case AC_ASSIGN_NO_QUALIFIED:
        return snprintf(buf, len,
                        "submission %" PRIu64 ": %" PRIu32 " %s missing: fewer than %" PRIu32
                        " available reviewers are certified for credential %" PRIu32 "%s",
                        s->id, u->missing, plural, s->need, s->credential, dom);
    case AC_ASSIGN_ALL_CONFLICTED:
        return snprintf(buf, len,
                        "submission %" PRIu64 ": %" PRIu32 " %s missing: every available "
                        "reviewer certified for credential %" PRIu32 "%s has a conflict of "
                        "interest (school %" PRIu32 ", district %" PRIu32 ", or prior review)",
                        s->id, u->missing, plural, s->credential, dom, s->school, s->district);
    case AC_ASSIGN_CAPACITY:
        return snprintf(buf, len,
                        "submission %" PRIu64 ": %" PRIu32 " %s missing: the unconflicted "
                        "reviewers certified for credential %" PRIu32 "%s are at their caps",
                        s->id, u->missing, plural, s->credential, dom);
    }
    return snprintf(buf, len, "submission %" PRIu64 ": unknown reason", s->id);
}

/* ---- Validation ---------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Returns 0 when every id in |ids| is distinct, else AC_EINVAL after logging. */
static int check_unique(const char *field, const uint64_t *ids, size_t n)
{
    uint64_t *sorted = malloc((n ? n : 1) * sizeof(*sorted));
    if (!sorted)
        return AC_ENOMEM;
    memcpy(sorted, ids, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), cmp_u64);
    for (size_t i = 1; i < n; i++) {
        if (sorted[i] == sorted[i - 1]) {
            ac_log_warn("assign", "%s: id %" PRIu64 " appears twice; ids must be unique", field,
                        sorted[i]);
            free(sorted);
            return AC_EINVAL;
        }
    }
    free(sorted);
    return 0;
}

static int validate(const struct ac_assign_problem *p)
{
    if ((!p->submissions && p->n_submissions) || (!p->reviewers && p->n_reviewers) ||
        (!p->credentials && p->n_credentials)) {
        ac_log_warn("assign", "problem: an array is NULL but its count is not 0");
        return AC_EINVAL;
    }
    if (p->n_reviewers >= UINT32_MAX / 4 || p->n_submissions >= UINT32_MAX / 4) {
        ac_log_warn("assign", "problem: %zu submissions and %zu reviewers; at most %u each",
                    p->n_submissions, p->n_reviewers, UINT32_MAX / 4 - 1);
        return AC_EINVAL;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < p->n_submissions; i++) {
        const struct ac_assign_submission *s = &p->submissions[i];
        if ((!s->previous_reviewers && s->n_previous_reviewers) ||
            (!s->assigned_reviewers && s->n_assigned_reviewers)) {
            ac_log_warn("assign",
                        "submissions[%zu]: a reviewer list is NULL but its count is not 0", i);
            return AC_EINVAL;
        }
        if (s->need > UINT16_MAX) {
            ac_log_warn("assign", "submissions[%zu].need: %" PRIu32 "; at most %u reviews", i,
                        s->need, UINT16_MAX);
            return AC_EINVAL;
        }
        total += s->need;
    }
    if (total > INT32_MAX / 2) {
        ac_log_warn("assign", "submissions: %" PRIu64 " reviews needed in all; at most %d", total,
                    INT32_MAX / 2);
        return AC_EINVAL;
    }
    for (size_t i = 0; i < p->n_reviewers; i++) {
        const struct ac_assign_reviewer *r = &p->reviewers[i];
        if ((!r->credentials && r->n_credentials) || (!r->domains && r->n_domains)) {
            ac_log_warn("assign", "reviewers[%zu]: a list is NULL but its count is not 0", i);
            return AC_EINVAL;
        }
        if (r->load > r->cap) {
            ac_log_warn("assign", "reviewers[%zu].load: %" PRIu32 " exceeds its cap %" PRIu32, i,
                        r->load, r->cap);
            return AC_EINVAL;
        }
    }
    uint64_t *ids = malloc((p->n_submissions > p->n_reviewers ? p->n_submissions : p->n_reviewers) *
                               sizeof(*ids) +
                           sizeof(*ids));
    if (!ids)
        return AC_ENOMEM;
    for (size_t i = 0; i < p->n_submissions; i++)
        ids[i] = p->submissions[i].id;
    int rc = check_unique("submissions[].id", ids, p->n_submissions);
    if (rc == 0) {
        for (size_t i = 0; i < p->n_reviewers; i++)
            ids[i] = p->reviewers[i].id;
        rc = check_unique("reviewers[].id", ids, p->n_reviewers);
    }
    free(ids);
    return rc;
}

/* ---- The run ------------------------------------------------------------------- */

/* Everything one run allocates, released in one place. Index spaces: s submission,
 * r reviewer, q qualification (credential, domain) asked by some submission,
 * d district, h hub = (q, d) holding the reviewers of district d qualified for q,
 * g group = (q, d, need) of submissions with the same class-level constraints. */
struct run {
    const struct ac_assign_problem *p;
    size_t ns, nr;
    uint32_t nq, nd, nh, ng;
    struct imap qmap, dmap, hmap, gmap;
    uint32_t *sq, *sg;        /* per submission: q and g (UINT32_MAX when need is 0) */
    uint32_t *rd;             /* per reviewer: district index */
    uint32_t *q_cred, *q_dom; /* per q */
    uint32_t *q_ndist;        /* per q: districts with submissions (capped at 2) */
    uint32_t *q_dist;         /* per q: one such district */
    bool *q_exhausted;        /* repair found no reviewer of q below cap */
    uint32_t *qr_start, *qr;  /* per q: available qualified reviewers (CSR) */
    uint32_t *h_q, *h_d;      /* per hub */
    uint32_t *hr_start, *hr;  /* per hub: reviewers below cap (CSR) */
    uint32_t *qh_start, *qh;  /* per q: its hubs (CSR) */
    uint32_t *g_q, *g_d, *g_need, *g_n;
    uint32_t *gs_start, *gs;              /* per group: submissions (CSR, input order) */
    uint32_t *gt_start, *gt_n, *gt;       /* per group: planned reviewer tokens */
    uint32_t *slot_start, *slot_n, *slot; /* per submission: reviewers added */
    uint32_t *added;
    bool *eligible;
    size_t repaired;
    struct imap qdmap;
    struct ac__flow f;
    /* Scratch, here so that every early return frees it in run_release(). */
    uint32_t *sd, *fill, *pair_h, *hn, *qfill, *cursor, *rem;
    uint32_t *g_arc, *gh_first, *r_arc, *hr_arc;
};

static void run_release(struct run *x)
{
    imap_release(&x->qmap);
    imap_release(&x->dmap);
    imap_release(&x->hmap);
    imap_release(&x->gmap);
    imap_release(&x->qdmap);
    ac__flow_release(&x->f);
    void *ptrs[] = {x->sd,          x->fill,     x->pair_h,   x->hn,       x->qfill,   x->cursor,
                    x->rem,         x->g_arc,    x->gh_first, x->r_arc,    x->hr_arc,  x->sq,
                    x->sg,          x->rd,       x->q_cred,   x->q_dom,    x->q_ndist, x->q_dist,
                    x->q_exhausted, x->qr_start, x->qr,       x->h_q,      x->h_d,     x->hr_start,
                    x->hr,          x->qh_start, x->qh,       x->g_q,      x->g_d,     x->g_need,
                    x->g_n,         x->gs_start, x->gs,       x->gt_start, x->gt_n,    x->gt,
                    x->slot_start,  x->slot_n,   x->slot,     x->added,    x->eligible};
    for (size_t i = 0; i < sizeof(ptrs) / sizeof(ptrs[0]); i++)
        free(ptrs[i]);
}

#define ALLOC(ptr, count)                                                                          \
    do {                                                                                           \
        (ptr) = calloc((count) ? (size_t)(count) : 1, sizeof(*(ptr)));                             \
        if (!(ptr))                                                                                \
            return AC_ENOMEM;                                                                      \
    } while (0)

static uint32_t spare(const struct ac_assign_reviewer *r)
{
    return r->cap - r->load;
}

/* Interns qualifications, districts, hubs and groups and builds their member lists. */
static int build_classes(struct run *x)
{
    const struct ac_assign_problem *p = x->p;
    int rc;
    if ((rc = imap_init(&x->qmap, x->ns)) || (rc = imap_init(&x->dmap, x->ns + x->nr)) ||
        (rc = imap_init(&x->gmap, x->ns)) || (rc = imap_init(&x->qdmap, x->ns)))
        return rc;
    ALLOC(x->sq, x->ns);
    ALLOC(x->sg, x->ns);
    ALLOC(x->rd, x->nr);
    ALLOC(x->sd, x->ns);
    uint32_t *sd = x->sd;
    for (size_t s = 0; s < x->ns; s++) {
        const struct ac_assign_submission *sub = &p->submissions[s];
        sd[s] = imap_intern(&x->dmap, sub->district);
        if (sub->need == 0) {
            x->sq[s] = x->sg[s] = UINT32_MAX;
            continue;
        }
        x->sq[s] = imap_intern(&x->qmap, (uint64_t)sub->credential << 32 | sub->domain);
    }
    for (size_t r = 0; r < x->nr; r++)
        x->rd[r] = imap_intern(&x->dmap, p->reviewers[r].district);
    x->nq = x->qmap.n;
    x->nd = x->dmap.n;
    /* Per qualification: its credential and domain, and whether its submissions span
     * more than one district (a reviewer is eligible if some are outside its own). */
    ALLOC(x->q_cred, x->nq);
    ALLOC(x->q_dom, x->nq);
    ALLOC(x->q_ndist, x->nq);
    ALLOC(x->q_dist, x->nq);
    ALLOC(x->q_exhausted, x->nq);
    for (size_t s = 0; s < x->ns; s++) {
        uint32_t q = x->sq[s];
        if (q == UINT32_MAX)
            continue;
        x->q_cred[q] = p->submissions[s].credential;
        x->q_dom[q] = p->submissions[s].domain;
        if (x->q_ndist[q] == 0) {
            x->q_ndist[q] = 1;
            x->q_dist[q] = sd[s];
        } else if (x->q_ndist[q] == 1 && x->q_dist[q] != sd[s]) {
            x->q_ndist[q] = 2;
        }
    }
    /* Groups: (q, district, need), members in input order. */
    for (size_t s = 0; s < x->ns; s++) {
        if (x->sq[s] == UINT32_MAX)
            continue;
        /* q < 2^30 and d < 2^31 (validated sizes); need < 2^16 (validated). */
        uint64_t qd = imap_intern(&x->qdmap, (uint64_t)x->sq[s] << 32 | sd[s]);
        x->sg[s] = imap_intern(&x->gmap, qd << 16 | p->submissions[s].need);
    }
    x->ng = x->gmap.n;
    ALLOC(x->g_q, x->ng);
    ALLOC(x->g_d, x->ng);
    ALLOC(x->g_need, x->ng);
    ALLOC(x->g_n, x->ng);
    ALLOC(x->gs_start, x->ng + 1);
    ALLOC(x->gs, x->ns);
    for (size_t s = 0; s < x->ns; s++) {
        uint32_t g = x->sg[s];
        if (g == UINT32_MAX)
            continue;
        x->g_q[g] = x->sq[s];
        x->g_d[g] = sd[s];
        x->g_need[g] = p->submissions[s].need;
        x->g_n[g]++;
    }
    for (uint32_t g = 0; g < x->ng; g++)
        x->gs_start[g + 1] = x->gs_start[g] + x->g_n[g];
    ALLOC(x->fill, x->ng);
    uint32_t *fill = x->fill;
    for (size_t s = 0; s < x->ns; s++)
        if (x->sg[s] != UINT32_MAX)
            x->gs[x->gs_start[x->sg[s]] + fill[x->sg[s]]++] = (uint32_t)s;

    /* Qualified reviewers per q, and hubs (q, reviewer district) of those below cap. */
    size_t n_pairs = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            ALLOC(x->qr, n_pairs);
            ALLOC(x->qr_start, x->nq + 1);
        }
        n_pairs = 0;
        for (uint32_t q = 0; q < x->nq; q++) {
            if (pass == 1)
                x->qr_start[q] = (uint32_t)n_pairs;
            struct ac_assign_submission probe = {.credential = x->q_cred[q], .domain = x->q_dom[q]};
            for (size_t r = 0; r < x->nr; r++) {
                if (!p->reviewers[r].available || !qualified(&probe, &p->reviewers[r]))
                    continue;
                if (pass == 1)
                    x->qr[n_pairs] = (uint32_t)r;
                n_pairs++;
            }
        }
        if (pass == 1)
            x->qr_start[x->nq] = (uint32_t)n_pairs;
    }
    if ((rc = imap_init(&x->hmap, n_pairs)))
        return rc;
    ALLOC(x->pair_h, n_pairs);
    uint32_t *pair_h = x->pair_h;
    for (uint32_t q = 0; q < x->nq; q++)
        for (uint32_t i = x->qr_start[q]; i < x->qr_start[q + 1]; i++) {
            const struct ac_assign_reviewer *r = &p->reviewers[x->qr[i]];
            pair_h[i] = spare(r) ? imap_intern(&x->hmap, (uint64_t)q * x->nd + x->rd[x->qr[i]])
                                 : UINT32_MAX;
        }
    x->nh = x->hmap.n;
    ALLOC(x->h_q, x->nh);
    ALLOC(x->h_d, x->nh);
    ALLOC(x->hr_start, x->nh + 1);
    ALLOC(x->hr, n_pairs);
    ALLOC(x->qh_start, x->nq + 1);
    ALLOC(x->qh, x->nh);
    ALLOC(x->hn, x->nh);
    uint32_t *hn = x->hn;
    for (uint32_t q = 0; q < x->nq; q++)
        for (uint32_t i = x->qr_start[q]; i < x->qr_start[q + 1]; i++) {
            uint32_t h = pair_h[i];
            if (h == UINT32_MAX)
                continue;
            x->h_q[h] = q;
            x->h_d[h] = x->rd[x->qr[i]];
            hn[h]++;
        }
    for (uint32_t h = 0; h < x->nh; h++) {
        x->hr_start[h + 1] = x->hr_start[h] + hn[h];
        x->qh_start[x->h_q[h] + 1]++;
        hn[h] = 0;
    }
    for (uint32_t q = 0; q < x->nq; q++)
        x->qh_start[q + 1] += x->qh_start[q];
    ALLOC(x->qfill, x->nq);
    uint32_t *qfill = x->qfill;
    for (uint32_t h = 0; h < x->nh; h++)
        x->qh[x->qh_start[x->h_q[h]] + qfill[x->h_q[h]]++] = h;
    for (uint32_t q = 0; q < x->nq; q++)
        for (uint32_t i = x->qr_start[q]; i < x->qr_start[q + 1]; i++)
            if (pair_h[i] != UINT32_MAX)
                x->hr[x->hr_start[pair_h[i]] + hn[pair_h[i]]++] = x->qr[i];

    /* Eligible for the spread: in a hub whose q has submissions outside its district. */
    ALLOC(x->eligible, x->nr);
    for (uint32_t h = 0; h < x->nh; h++) {
        uint32_t q = x->h_q[h];
        if (x->q_ndist[q] < 2 && x->q_dist[q] == x->h_d[h])
            continue;
        for (uint32_t i = x->hr_start[h]; i < x->hr_start[h + 1]; i++)
            x->eligible[x->hr[i]] = true;
    }
    return 0;
}

static int32_t clamp32(uint64_t v)
{
    return v > INT32_MAX ? INT32_MAX : (int32_t)v;
}

/* Solves the class-level flow and turns it into per-group reviewer tokens.
 * Nodes: 0 source, 1 sink, then groups, hubs, reviewers. */
static int plan(struct run *x)
{
    const struct ac_assign_problem *p = x->p;
    struct ac__flow *f = &x->f;
    uint32_t n_nodes = 2 + x->ng + x->nh + (uint32_t)x->nr;
    uint32_t G0 = 2, H0 = 2 + x->ng, R0 = 2 + x->ng + x->nh;
    int rc = ac__flow_init(f, n_nodes);
    uint64_t demand = 0;
    ALLOC(x->g_arc, x->ng);
    ALLOC(x->gh_first, x->ng + 1);
    ALLOC(x->r_arc, x->nr);
    ALLOC(x->hr_arc, x->hr_start[x->nh]);
    uint32_t *g_arc = x->g_arc, *r_arc = x->r_arc, *hr_arc = x->hr_arc;
    for (uint32_t g = 0; g < x->ng && !rc; g++) {
        uint64_t dg = (uint64_t)x->g_n[g] * x->g_need[g];
        demand += dg;
        rc = ac__flow_arc(f, 0, G0 + g, clamp32(dg), &g_arc[g]);
    }
    /* Group -> every hub of its q in another district: the district conflict is a
     * missing arc. A reviewer takes at most one slot per submission, so a hub of m
     * reviewers can serve a group of n submissions at most m * n times. */
    for (uint32_t g = 0; g < x->ng && !rc; g++) {
        x->gh_first[g] = f->n_arcs;
        uint32_t q = x->g_q[g];
        for (uint32_t i = x->qh_start[q]; i < x->qh_start[q + 1] && !rc; i++) {
            uint32_t h = x->qh[i], id;
            if (x->h_d[h] == x->g_d[g])
                continue;
            uint64_t m = x->hr_start[h + 1] - x->hr_start[h];
            uint64_t c = m * x->g_n[g];
            uint64_t dg = (uint64_t)x->g_n[g] * x->g_need[g];
            rc = ac__flow_arc(f, G0 + g, H0 + h, clamp32(c < dg ? c : dg), &id);
        }
    }
    for (uint32_t h = 0; h < x->nh && !rc; h++)
        for (uint32_t i = x->hr_start[h]; i < x->hr_start[h + 1] && !rc; i++)
            rc = ac__flow_arc(f, H0 + h, R0 + x->hr[i], clamp32(spare(&p->reviewers[x->hr[i]])),
                              &hr_arc[i]);
    uint32_t lo = UINT32_MAX, hi = 0;
    for (size_t r = 0; r < x->nr && !rc; r++) {
        rc = ac__flow_arc(f, R0 + (uint32_t)r, 1, 0, &r_arc[r]);
        const struct ac_assign_reviewer *rv = &p->reviewers[r];
        if (rv->available && spare(rv)) {
            lo = rv->load < lo ? rv->load : lo;
            hi = rv->cap > hi ? rv->cap : hi;
        }
    }
    if (rc || (rc = ac__flow_finish(f)))
        return rc;

    /* Successive load levels: at level L every reviewer may hold min(cap, L) in all.
     * Each augmentation is a shortest path for the convex cost (docs/assignment.md). */
    uint64_t flow = 0;
    for (uint64_t level = (uint64_t)lo + 1; level <= hi && flow < demand; level++) {
        for (size_t r = 0; r < x->nr; r++) {
            const struct ac_assign_reviewer *rv = &p->reviewers[r];
            uint64_t top = rv->cap < level ? rv->cap : level;
            if (top > rv->load)
                ac__flow_raise(f, r_arc[r], (int32_t)(top - rv->load));
        }
        flow += (uint64_t)ac__flow_augment(f, 0, 1);
        /* No reviewer reachable from the source can grow any more: later levels
         * would find no augmenting path either. */
        bool more = false;
        for (size_t r = 0; r < x->nr && !more; r++)
            if (f->level[R0 + r] >= 0 &&
                p->reviewers[r].load + (uint32_t)ac__flow_of(f, r_arc[r]) < p->reviewers[r].cap)
                more = true;
        if (!more)
            break;
    }

    /* Realise: each hub hands its reviewers' planned slots to the groups feeding it,
     * at most one per submission per reviewer, so each group's tokens come in runs of
     * one reviewer no longer than the group. */
    ALLOC(x->gt_start, x->ng + 1);
    ALLOC(x->gt_n, x->ng);
    ALLOC(x->added, x->nr);
    for (uint32_t g = 0; g < x->ng; g++)
        x->gt_start[g + 1] = x->gt_start[g] + (uint32_t)ac__flow_of(f, g_arc[g]);
    ALLOC(x->gt, x->gt_start[x->ng]);
    ALLOC(x->rem, x->hr_start[x->nh]);
    ALLOC(x->cursor, x->nh);
    uint32_t *rem = x->rem, *cursor = x->cursor;
    for (uint32_t i = 0; i < x->hr_start[x->nh]; i++)
        rem[i] = (uint32_t)ac__flow_of(f, hr_arc[i]);
    for (uint32_t g = 0; g < x->ng; g++) {
        uint32_t a = x->gh_first[g];
        uint32_t q = x->g_q[g];
        for (uint32_t i = x->qh_start[q]; i < x->qh_start[q + 1]; i++) {
            uint32_t h = x->qh[i];
            if (x->h_d[h] == x->g_d[g])
                continue;
            uint32_t want = (uint32_t)ac__flow_of(f, a++);
            uint32_t b = x->hr_start[h], m = x->hr_start[h + 1] - b;
            for (uint32_t step = 0; step < m && want; step++) {
                uint32_t j = b + (cursor[h] + step) % m;
                uint32_t t = rem[j] < want ? rem[j] : want;
                t = t < x->g_n[g] ? t : x->g_n[g];
                for (uint32_t k = 0; k < t; k++)
                    x->gt[x->gt_start[g] + x->gt_n[g]++] = x->hr[j];
                rem[j] -= t;
                want -= t;
                if (!want)
                    cursor[h] = (cursor[h] + step + (rem[j] == 0)) % m;
            }
        }
    }
    return 0;
}

static bool on_slots(const struct run *x, size_t s, uint32_t r, uint32_t except)
{
    for (uint32_t i = 0; i < x->slot_n[s]; i++)
        if (i != except && x->slot[x->slot_start[s] + i] == r)
            return true;
    return false;
}

/* Whether |r| may take slot |i| of |s|: every constraint, and distinct on |s|. */
static bool fits(const struct run *x, size_t s, uint32_t r, uint32_t i)
{
    return ac_assign_allowed(x->p, s, r) && !on_slots(x, s, r, i);
}

static void drop_slot(struct run *x, size_t s, uint32_t i)
{
    uint32_t *sl = &x->slot[x->slot_start[s]];
    x->added[sl[i]]--;
    sl[i] = sl[--x->slot_n[s]];
}

/* Stride-fills each group's tokens onto its submissions, then checks every slot
 * against the full predicate (school and individual conflicts are not in the class
 * graph) and fixes a failing slot by a swap inside the group, or drops it. */
static int realise(struct run *x)
{
    ALLOC(x->slot_start, x->ns + 1);
    ALLOC(x->slot_n, x->ns);
    for (size_t s = 0; s < x->ns; s++)
        x->slot_start[s + 1] = x->slot_start[s] + x->p->submissions[s].need;
    ALLOC(x->slot, x->slot_start[x->ns]);
    for (uint32_t g = 0; g < x->ng; g++) {
        uint32_t n = x->g_n[g];
        const uint32_t *mem = &x->gs[x->gs_start[g]];
        for (uint32_t j = 0; j < x->gt_n[g]; j++) {
            uint32_t s = mem[j % n], r = x->gt[x->gt_start[g] + j];
            x->slot[x->slot_start[s] + x->slot_n[s]++] = r;
            x->added[r]++;
        }
        for (uint32_t a = 0; a < n; a++) {
            uint32_t s = mem[a];
            for (uint32_t i = 0; i < x->slot_n[s]; i++) {
                uint32_t r = x->slot[x->slot_start[s] + i];
                if (fits(x, s, r, i))
                    continue;
                bool swapped = false;
                for (uint32_t b = 0; b < n && !swapped; b++) {
                    uint32_t s2 = mem[b];
                    if (s2 == s)
                        continue;
                    for (uint32_t i2 = 0; i2 < x->slot_n[s2] && !swapped; i2++) {
                        uint32_t r2 = x->slot[x->slot_start[s2] + i2];
                        if (fits(x, s, r2, i) && fits(x, s2, r, i2)) {
                            x->slot[x->slot_start[s] + i] = r2;
                            x->slot[x->slot_start[s2] + i2] = r;
                            swapped = true;
                        }
                    }
                }
                if (!swapped) {
                    drop_slot(x, s, i);
                    i--; /* the last slot moved into |i|; check it too */
                }
            }
        }
    }
    return 0;
}

/* Fills slots the plan left open with the least-loaded reviewer that fits. */
static void repair(struct run *x)
{
    const struct ac_assign_problem *p = x->p;
    for (size_t s = 0; s < x->ns; s++) {
        uint32_t q = x->sq[s];
        while (q != UINT32_MAX && !x->q_exhausted[q] && x->slot_n[s] < p->submissions[s].need) {
            uint32_t best = UINT32_MAX, best_load = UINT32_MAX;
            bool any_spare = false;
            for (uint32_t i = x->qr_start[q]; i < x->qr_start[q + 1]; i++) {
                uint32_t r = x->qr[i];
                const struct ac_assign_reviewer *rv = &p->reviewers[r];
                uint32_t total = rv->load + x->added[r];
                if (total >= rv->cap)
                    continue;
                any_spare = true;
                if (total < best_load && fits(x, s, r, UINT32_MAX)) {
                    best = r;
                    best_load = total;
                }
            }
            if (!any_spare)
                x->q_exhausted[q] = true;
            if (best == UINT32_MAX)
                break;
            x->slot[x->slot_start[s] + x->slot_n[s]++] = best;
            x->added[best]++;
            x->repaired++;
        }
    }
}

static uint32_t total_of(const struct run *x, uint32_t r)
{
    return x->p->reviewers[r].load + x->added[r];
}

/* Moves single slots to reviewers the realisation left low: a slot of |s| held by w
 * goes to v when v fits |s| and total(w) >= total(v) + 2. Each move lowers the sum
 * of squared loads by at least 2, so the loop ends; a pass that moves nothing ends
 * it early. Only low reviewers are scanned for, so the cost is a pass over the
 * slots per low reviewer, with a cheap qualification filter in front. */
static int rebalance(struct run *x)
{
    const struct ac_assign_problem *p = x->p;
    bool *qok, *stuck;
    ALLOC(qok, x->nq);
    stuck = calloc(x->nr + 1, sizeof(*stuck));
    if (!stuck) {
        free(qok);
        return AC_ENOMEM;
    }
    for (int round = 0; round < 8; round++) {
        uint32_t max = 0;
        for (uint32_t r = 0; r < x->nr; r++)
            if (x->eligible[r] && total_of(x, r) > max)
                max = total_of(x, r);
        size_t moved = 0;
        for (uint32_t v = 0; v < x->nr; v++) {
            const struct ac_assign_reviewer *rv = &p->reviewers[v];
            if (stuck[v] || !x->eligible[v] || total_of(x, v) + 2 > max ||
                total_of(x, v) >= rv->cap)
                continue;
            for (uint32_t q = 0; q < x->nq; q++) {
                struct ac_assign_submission probe = {.credential = x->q_cred[q],
                                                     .domain = x->q_dom[q]};
                qok[q] = qualified(&probe, rv);
            }
            size_t before = moved;
            for (uint32_t g = 0; g < x->ng && total_of(x, v) + 2 <= max; g++) {
                if (!qok[x->g_q[g]] || x->g_d[g] == x->rd[v])
                    continue;
                for (uint32_t a = 0; a < x->g_n[g] && total_of(x, v) + 2 <= max; a++) {
                    uint32_t s = x->gs[x->gs_start[g] + a];
                    for (uint32_t i = 0; i < x->slot_n[s]; i++) {
                        uint32_t w = x->slot[x->slot_start[s] + i];
                        if (total_of(x, w) < total_of(x, v) + 2 || total_of(x, v) >= rv->cap ||
                            !fits(x, s, v, i))
                            continue;
                        x->slot[x->slot_start[s] + i] = v;
                        x->added[w]--;
                        x->added[v]++;
                        x->repaired++;
                        moved++;
                        break;
                    }
                }
            }
            /* Holders only lose slots, except other low reviewers gaining a few, so a
             * reviewer that found no slot is skipped from now on: that bounds the cost
             * at one pass per low reviewer, at the price of rarely missing a late move. */
            if (moved == before)
                stuck[v] = true;
        }
        if (!moved)
            break;
    }
    free(qok);
    free(stuck);
    return 0;
}

/* Too few qualified reviewers at all; else too few once conflicts are removed; else
 * enough exist but their caps ran out. */
static enum ac_assign_reason reason_for(const struct run *x, size_t s)
{
    uint32_t q = x->sq[s];
    uint32_t n_qualified = x->qr_start[q + 1] - x->qr_start[q];
    uint32_t need = x->p->submissions[s].need;
    if (n_qualified < need)
        return AC_ASSIGN_NO_QUALIFIED;
    /* Stops at |need|: only whether enough exist matters, and most do. */
    uint32_t free_of_conflict = 0;
    for (uint32_t i = x->qr_start[q]; i < x->qr_start[q + 1] && free_of_conflict < need; i++)
        if (ac_assign_allowed(x->p, s, x->qr[i]))
            free_of_conflict++;
    return free_of_conflict < need ? AC_ASSIGN_ALL_CONFLICTED : AC_ASSIGN_CAPACITY;
}

static int collect(struct run *x, struct ac_assign_result *res)
{
    const struct ac_assign_problem *p = x->p;
    size_t na = 0, nu = 0;
    for (size_t s = 0; s < x->ns; s++) {
        na += x->slot_n[s];
        nu += x->slot_n[s] < p->submissions[s].need;
    }
    ALLOC(res->assignments, na);
    ALLOC(res->unassigned, nu);
    for (size_t s = 0; s < x->ns; s++) {
        for (uint32_t i = 0; i < x->slot_n[s]; i++)
            res->assignments[res->n_assignments++] =
                (struct ac_assignment){.submission = s, .reviewer = x->slot[x->slot_start[s] + i]};
        if (x->slot_n[s] < p->submissions[s].need)
            res->unassigned[res->n_unassigned++] = (struct ac_assign_unassigned){
                .submission = s,
                .missing = p->submissions[s].need - x->slot_n[s],
                .reason = reason_for(x, s),
            };
    }
    res->added = x->added;
    res->eligible = x->eligible;
    x->added = NULL;
    x->eligible = NULL;
    res->n_reviewers = x->nr;
    res->n_repaired = x->repaired;
    res->load_spread = ac_assign_spread(p, res);
    for (size_t r = 0; r < x->nr; r++)
        res->n_eligible += res->eligible[r];
    return 0;
}

uint32_t ac_assign_spread(const struct ac_assign_problem *p, const struct ac_assign_result *r)
{
    uint32_t max = 0, min = UINT32_MAX;
    size_t n = 0;
    for (size_t i = 0; i < r->n_reviewers; i++) {
        if (!r->eligible[i])
            continue;
        const struct ac_assign_reviewer *rv = &p->reviewers[i];
        uint32_t total = rv->load + r->added[i];
        n++;
        max = total > max ? total : max;
        if (total < rv->cap && total < min)
            min = total;
    }
    if (!n || min == UINT32_MAX || min > max)
        return 0;
    return max - min;
}

int ac_assign_run(const struct ac_assign_problem *p, struct ac_assign_result **out)
{
    int rc = validate(p);
    if (rc)
        return rc;
    struct run x = {.p = p, .ns = p->n_submissions, .nr = p->n_reviewers};
    struct ac_assign_result *res = calloc(1, sizeof(*res));
    if (!res)
        return AC_ENOMEM;
    if (!(rc = build_classes(&x)) && !(rc = plan(&x)) && !(rc = realise(&x))) {
        repair(&x);
        if (!(rc = rebalance(&x)))
            rc = collect(&x, res);
    }
    run_release(&x);
    if (rc) {
        ac_assign_result_free(res);
        return rc;
    }
    *out = res;
    return 0;
}

void ac_assign_result_free(struct ac_assign_result *r)
{
    if (!r)
        return;
    free(r->assignments);
    free(r->unassigned);
    free(r->added);
    free(r->eligible);
    free(r->second_master_drawn);
    free(r);
}
