/* rdfc.c - RDF Dataset Canonicalization RDFC-1.0 with SHA-256 (W3C
 * Recommendation, https://www.w3.org/TR/rdf-canon/; section numbers below
 * are that document's).
 *
 * Shape: blank nodes are interned to small integers once, every non-blank
 * term is serialized once, and each quad is listed under the blank nodes it
 * mentions, so the common path (every blank node told apart by its first
 * degree hash) costs one pass over the quads plus a sort of the output lines.
 * Only blank nodes that share a first degree hash reach Hash N-Degree Quads,
 * whose permutation search is bounded by struct ac_rdfc_limits. Where the
 * specification leaves an order open (the permutation order, ties when
 * sorting hash paths) this follows the reference implementation
 * (digitalbazaar/rdf-canonize) so that the issued identifiers map matches
 * other implementations even for graphs with automorphisms. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/error.h"
#include "accord/records/rdfc.h"
#include "accord/records/sha256.h"

#define HEX_LEN (crypto_hash_sha256_BYTES * 2)

/* Positions within a quad; the predicate is never a blank node. */
enum { POS_S, POS_P, POS_O, POS_G, NPOS };
static const char POS_NAME[NPOS] = {'s', 'p', 'o', 'g'};

struct quad_info {
    long bn[NPOS];    /* interned blank node at each position, or -1 */
    size_t off[NPOS]; /* non-blank terms: serialized form in ctx.terms, one
                         place per distinct term (see term_serialized()) */
    size_t len[NPOS]; /* 0 for an absent graph name */
    int repeat;       /* an earlier quad is this one: read once (see index_dataset()) */
};

struct bnode {
    const char *label;      /* borrowed from the dataset */
    size_t first, nq;       /* its quads: ctx.bq[first .. first + nq) */
    char hash[HEX_LEN + 1]; /* Hash First Degree Quads, lower-case hex */
    long canon;             /* canonical number, or -1 before it is issued */
};

/* An identifier issuer (section 4.5) whose map is a small open-addressing
 * table, so that copying one (once per permutation) costs what it holds, not
 * the number of blank nodes in the dataset. */
struct islot {
    uint32_t key; /* blank node + 1; 0 is an empty slot */
    uint32_t num; /* the issued number */
};
struct issuer {
    struct islot *slots; /* owned; cap slots, cap 0 or a power of two */
    size_t *order;       /* owned; blank nodes in issue order */
    size_t count, cap;
};

struct line;

struct ctx {
    const struct ac_rdf_dataset *d;
    struct ac_rdfc_limits lim;
    struct quad_info *qi;
    struct bnode *bn;
    size_t nbn;
    size_t *bq;          /* quads by blank node (see struct bnode) */
    struct ac_buf terms; /* serialized non-blank terms */
    size_t *canon_order; /* blank nodes in canonical issue order */
    size_t ncanon;
    size_t calls, perms; /* work done so far, against |lim| */
    size_t steps;        /* see struct ac_rdfc_limits.max_steps */
    struct line *lines;  /* sorted_lines()'s result and scratch, reused */
    size_t lines_cap;
    char *why;
    size_t whylen;
};

__attribute__((format(printf, 3, 4))) static int refuse(struct ctx *c, int rc, const char *fmt, ...)
{
    if (c->why && c->whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->why, c->whylen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* Counts |n| elementary steps of the N-degree search against max_steps. */
static int charge(struct ctx *c, size_t n)
{
    c->steps += n;
    if (c->steps <= c->lim.max_steps)
        return 0;
    return refuse(c, AC_E2BIG,
                  "RDFC-1.0: the N-degree search took more than %zu steps (limit max_steps); "
                  "the dataset has too many blank nodes that only the permutation search can "
                  "tell apart (a poison graph?)",
                  c->lim.max_steps);
}

/* ---- issuers ---------------------------------------------------------------- */

static void issuer_release(struct issuer *is)
{
    free(is->slots);
    free(is->order);
    memset(is, 0, sizeof *is);
}

static long issuer_get(const struct issuer *is, size_t b)
{
    if (!is->cap)
        return -1;
    for (size_t i = (b * 0x9e3779b9u) & (is->cap - 1);; i = (i + 1) & (is->cap - 1)) {
        if (is->slots[i].key == 0)
            return -1;
        if (is->slots[i].key == b + 1)
            return is->slots[i].num;
    }
}

static void slot_put(struct islot *slots, size_t cap, size_t b, uint32_t num)
{
    size_t i = (b * 0x9e3779b9u) & (cap - 1);
    while (slots[i].key)
        i = (i + 1) & (cap - 1);
    slots[i].key = (uint32_t)(b + 1);
    slots[i].num = num;
}

/* Issues the next number to |b| unless it has one; sets |*num| either way. */
static int issuer_issue(struct issuer *is, size_t b, long *num)
{
    long have = issuer_get(is, b);
    if (have >= 0) {
        *num = have;
        return 0;
    }
    if (2 * (is->count + 1) > is->cap) {
        size_t cap = is->cap ? is->cap * 2 : 8;
        struct islot *slots = calloc(cap, sizeof *slots);
        size_t *order = realloc(is->order, (cap / 2) * sizeof *order);
        if (!slots || !order) {
            free(slots);
            if (order)
                is->order = order;
            return AC_ENOMEM;
        }
        is->order = order;
        for (size_t i = 0; i < is->count; i++)
            slot_put(slots, cap, order[i], (uint32_t)i);
        free(is->slots);
        is->slots = slots;
        is->cap = cap;
    }
    slot_put(is->slots, is->cap, b, (uint32_t)is->count);
    is->order[is->count] = b;
    *num = (long)is->count++;
    return 0;
}

static int issuer_copy(struct issuer *dst, const struct issuer *src)
{
    if (dst->cap != src->cap) {
        struct islot *slots = malloc(src->cap * sizeof *slots + 1);
        size_t *order = malloc((src->cap / 2) * sizeof *order + 1);
        if (!slots || !order) {
            free(slots);
            free(order);
            return AC_ENOMEM;
        }
        issuer_release(dst);
        dst->slots = slots;
        dst->order = order;
        dst->cap = src->cap;
    }
    if (src->cap) {
        memcpy(dst->slots, src->slots, src->cap * sizeof *src->slots);
        memcpy(dst->order, src->order, src->count * sizeof *src->order);
    }
    dst->count = src->count;
    return 0;
}

static void issuer_swap(struct issuer *a, struct issuer *b)
{
    struct issuer t = *a;
    *a = *b;
    *b = t;
}

/* ---- small helpers ------------------------------------------------------------ */

/* Appends |prefix| and the decimal |n|; called for every blank node of every
 * output line, so it avoids snprintf. */
static int append_num(struct ac_buf *b, const char *prefix, long n)
{
    char tmp[40];
    size_t plen = strlen(prefix), i = sizeof tmp;
    unsigned long v = (unsigned long)n;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i > plen);
    memcpy(tmp + i - plen, prefix, plen);
    return ac_buf_append(b, tmp + i - plen, sizeof tmp - i + plen);
}

static void hash_hex(struct ac_sha256 *st, char hex[HEX_LEN + 1])
{
    /* Public hashes: a plain table, not libsodium's constant-time
     * sodium_bin2hex() (a measurable share of Hash First Degree Quads). */
    static const char digits[] = "0123456789abcdef";
    unsigned char h[crypto_hash_sha256_BYTES];
    ac_sha256_final(st, h);
    for (size_t i = 0; i < sizeof h; i++) {
        hex[2 * i] = digits[h[i] >> 4];
        hex[2 * i + 1] = digits[h[i] & 15];
    }
    hex[HEX_LEN] = 0;
}

struct line {
    const uint8_t *p;
    size_t len;
    /* Where the line's subject and predicate come from (see sorted_lines()):
     * two lines with equal non-zero |ks| begin with the same |ls| bytes
     * (subject and space), and with equal |kp| too, the same |lsp| bytes
     * (subject, predicate, spaces). Lines sort mostly among quads of one
     * subject and a few predicates, long IRIs all, so comparisons skip what
     * is known equal instead of comparing it again. */
    uint32_t ks, kp, ls, lsp;
};

/* Code point order of UTF-8 strings is their byte order. */
static int line_cmp(const void *a, const void *b)
{
    const struct line *x = a, *y = b;
    int r = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);
    if (r)
        return r;
    return (x->len > y->len) - (x->len < y->len);
}

/* Writes the blank node label of |bn| ("_:..." at most LABEL_MAX bytes)
 * to |out|; returns its length. */
#define LABEL_MAX 32
typedef size_t (*label_fn)(const struct ctx *c, long bn, void *arg, char *out);

/* Appends quad |q|'s N-Quads line, writing blank nodes with |label|, to
 * |out|: its length is known within LABEL_MAX per blank node, so one
 * reservation and plain copies (this runs for every quad twice, and for
 * every quad of every blank node). */
static int quad_line(const struct ctx *c, size_t q, label_fn label, void *arg, struct ac_buf *out,
                     size_t *slen)
{
    const struct quad_info *qi = &c->qi[q];
    int rc = ac_buf_reserve(out, qi->len[0] + qi->len[1] + qi->len[2] + qi->len[3] +
                                     NPOS * (LABEL_MAX + 1) + 3);
    if (rc)
        return rc;
    char *start = (char *)out->data + out->len, *o = start;
    for (int pos = 0; pos < NPOS; pos++) {
        if (qi->bn[pos] < 0 && qi->len[pos] == 0)
            continue; /* the default graph */
        if (pos > 0)
            *o++ = ' ';
        if (qi->bn[pos] >= 0) {
            o += label(c, qi->bn[pos], arg, o);
        } else {
            memcpy(o, c->terms.data + qi->off[pos], qi->len[pos]);
            o += qi->len[pos];
        }
        if (pos == POS_S)
            *slen = (size_t)(o - start);
    }
    memcpy(o, " .\n", 3);
    out->len += (size_t)(o + 3 - start);
    return 0;
}

static int line_less(const struct line *x, const struct line *y)
{
    size_t from = 0;
    if (x->ks && x->ks == y->ks)
        from = x->kp && x->kp == y->kp ? x->lsp : x->ls;
    size_t n = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->p + from, y->p + from, n - from);
    return r < 0 || (r == 0 && x->len < y->len);
}

/* Sorts |v| (|n| lines) by line_cmp() order using |tmp| (room for |n|): a
 * merge sort, stable, with insertion sort for short runs. Hash First Degree
 * Quads sorts a few lines per blank node and the output sorts every line;
 * qsort()'s indirect comparisons and temporary buffer cost more than the
 * comparisons themselves at these sizes. */
static void sort_lines(struct line *v, size_t n, struct line *tmp)
{
    if (n <= 12) {
        for (size_t i = 1; i < n; i++) {
            struct line x = v[i];
            size_t j = i;
            for (; j > 0 && line_less(&x, &v[j - 1]); j--)
                v[j] = v[j - 1];
            v[j] = x;
        }
        return;
    }
    size_t h = n / 2, i = 0, j = h, k = 0;
    sort_lines(v, h, tmp);
    sort_lines(v + h, n - h, tmp);
    while (i < h && j < n)
        tmp[k++] = line_less(&v[j], &v[i]) ? v[j++] : v[i++];
    while (i < h)
        tmp[k++] = v[i++];
    /* v[j..n) is already in place. */
    memcpy(v, tmp, k * sizeof *v);
}

/* Builds the lines of quads |qs| into |buf| and sorts them into |*lines_out|
 * (c->lines: valid until the next call). */
static int sorted_lines(struct ctx *c, const size_t *qs, size_t n, label_fn label, void *arg,
                        struct ac_buf *buf, struct line **lines_out)
{
    /* The second half is sort_lines()'s scratch; one array for the whole
     * call, not one per blank node. */
    if (2 * n + 1 > c->lines_cap) {
        size_t cap = 2 * n + 1 > 256 ? 2 * n + 1 : 256;
        struct line *nl = realloc(c->lines, cap * sizeof *nl);
        if (!nl)
            return AC_ENOMEM;
        c->lines = nl;
        c->lines_cap = cap;
    }
    struct line *lines = c->lines;
    int rc = 0;
    buf->len = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct quad_info *qi = &c->qi[qs[i]];
        size_t slen = 0;
        lines[i].len = buf->len; /* its start, until |buf| stops moving */
        rc = quad_line(c, qs[i], label, arg, buf, &slen);
        /* The keys: a blank subject by its node (|label| writes one node
         * the same way throughout a call), any other subject and the
         * predicate by their place in c->terms (one place per distinct
         * term). 0 where a value does not fit: never equal. */
        size_t ks = qi->bn[POS_S] >= 0 ? 2 * (size_t)qi->bn[POS_S] + 1 : 2 * qi->off[POS_S] + 2;
        size_t kp = qi->off[POS_P] + 1, lsp = slen + 1 + qi->len[POS_P] + 1;
        int fits = ks < UINT32_MAX && kp < UINT32_MAX && lsp < UINT32_MAX;
        lines[i].ks = fits ? (uint32_t)ks : 0;
        lines[i].kp = fits ? (uint32_t)kp : 0;
        lines[i].ls = fits ? (uint32_t)(slen + 1) : 0;
        lines[i].lsp = fits ? (uint32_t)lsp : 0;
    }
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        size_t start = lines[i].len, end = i + 1 < n ? lines[i + 1].len : buf->len;
        lines[i].p = buf->data + start;
        lines[i].len = end - start;
    }
    sort_lines(lines, n, lines + n);
    *lines_out = lines;
    return 0;
}

/* ---- 4.6 Hash First Degree Quads ------------------------------------------------ */

static size_t label_first_degree(const struct ctx *c, long bn, void *arg, char *out)
{
    (void)c;
    memcpy(out, bn == *(const long *)arg ? "_:a" : "_:z", 3);
    return 3;
}

static int hash_first_degree(struct ctx *c, size_t b, struct ac_buf *scratch)
{
    struct line *lines;
    long self = (long)b;
    int rc = sorted_lines(c, c->bq + c->bn[b].first, c->bn[b].nq, label_first_degree, &self,
                          scratch, &lines);
    if (rc)
        return rc;
    struct ac_sha256 st;
    ac_sha256_init(&st);
    for (size_t i = 0; i < c->bn[b].nq; i++)
        ac_sha256_update(&st, lines[i].p, lines[i].len);
    hash_hex(&st, c->bn[b].hash);
    return 0;
}

/* ---- 4.7 Hash Related Blank Node -------------------------------------------------- */

static void hash_related(const struct ctx *c, size_t related, size_t q, int pos,
                         const struct issuer *is, char hex[HEX_LEN + 1])
{
    struct ac_sha256 st;
    char id[40];
    long n;
    ac_sha256_init(&st);
    ac_sha256_update(&st, (const unsigned char *)&POS_NAME[pos], 1);
    if (pos != POS_G) {
        const char *p = c->d->quads[q].p.value;
        ac_sha256_update(&st, (const unsigned char *)"<", 1);
        ac_sha256_update(&st, (const unsigned char *)p, strlen(p));
        ac_sha256_update(&st, (const unsigned char *)">", 1);
    }
    if (c->bn[related].canon >= 0) {
        int len = snprintf(id, sizeof id, "_:c14n%ld", c->bn[related].canon);
        ac_sha256_update(&st, (const unsigned char *)id, (size_t)len);
    } else if ((n = issuer_get(is, related)) >= 0) {
        int len = snprintf(id, sizeof id, "_:b%ld", n);
        ac_sha256_update(&st, (const unsigned char *)id, (size_t)len);
    } else {
        ac_sha256_update(&st, (const unsigned char *)c->bn[related].hash, HEX_LEN);
    }
    hash_hex(&st, hex);
}

/* ---- 4.8 Hash N-Degree Quads ------------------------------------------------------- */

struct related {
    char hash[HEX_LEN + 1];
    size_t bn;
    size_t seq; /* discovery order, to keep the sort stable */
};

static int related_cmp(const void *a, const void *b)
{
    const struct related *x = a, *y = b;
    int r = memcmp(x->hash, y->hash, HEX_LEN);
    if (r)
        return r;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

struct by_label {
    const char *label;
    size_t bn;
};

static int by_label_cmp(const void *a, const void *b)
{
    return strcmp(((const struct by_label *)a)->label, ((const struct by_label *)b)->label);
}

/* True when |path| (at least as long as |chosen|) sorts after it: the prune
 * of steps 5.4.4.3 and 5.4.5.5. */
static int worse_than(const struct ac_buf *path, const struct ac_buf *chosen, int have_chosen)
{
    if (!have_chosen || path->len < chosen->len)
        return 0;
    int r = memcmp(path->data, chosen->data, chosen->len);
    return r > 0 || (r == 0 && path->len > chosen->len);
}

static int less_than(const struct ac_buf *a, const struct ac_buf *b)
{
    struct line x = {.p = a->data, .len = a->len}, y = {.p = b->data, .len = b->len};
    return line_cmp(&x, &y) < 0;
}

/* The Steinhaus-Johnson-Trotter step of rdf-canonize's Permuter, over ranks
 * of the sorted labels (equal labels share a rank and a direction, as they
 * share a Map key there). Returns 0 when |cur| was the last permutation. */
static int next_permutation(size_t *cur, unsigned char *left, size_t m)
{
    size_t k = 0, pos = 0;
    int found = 0;
    for (size_t i = 0; i < m; i++) {
        size_t e = cur[i];
        if ((!found || e > k) &&
            ((left[e] && i > 0 && e > cur[i - 1]) || (!left[e] && i + 1 < m && e > cur[i + 1]))) {
            k = e, pos = i, found = 1;
        }
    }
    if (!found)
        return 0;
    size_t swap = left[k] ? pos - 1 : pos + 1;
    cur[pos] = cur[swap];
    cur[swap] = k;
    for (size_t i = 0; i < m; i++) {
        if (cur[i] > k)
            left[cur[i]] = !left[cur[i]];
    }
    return 1;
}

static int hash_ndegree(struct ctx *c, size_t id, struct issuer *is, char out[HEX_LEN + 1],
                        size_t depth);

/* Steps 5.4.1 to 5.4.6 for one related hash: tries every permutation of the
 * |m| blank nodes in |group| and leaves the least path in |chosen| and its
 * issuer in |chosen_is|. */
static int try_permutations(struct ctx *c, const struct related *group, size_t m,
                            const struct issuer *is, struct ac_buf *chosen,
                            struct issuer *chosen_is, size_t depth)
{
    struct by_label *sorted = malloc(m * sizeof *sorted);
    size_t *rank_bn = malloc(m * sizeof *rank_bn), *cur = malloc(m * sizeof *cur);
    size_t *rec = malloc(m * sizeof *rec);
    unsigned char *left = malloc(m);
    struct issuer ic = {0};
    struct ac_buf path = AC_BUF_INIT;
    int rc = sorted && rank_bn && cur && rec && left ? 0 : AC_ENOMEM, have_chosen = 0;
    if (rc)
        goto out;
    for (size_t i = 0; i < m; i++) {
        sorted[i].bn = group[i].bn;
        sorted[i].label = c->bn[group[i].bn].label;
    }
    qsort(sorted, m, sizeof *sorted, by_label_cmp);
    for (size_t i = 0, r = 0; i < m; i++) {
        if (i > 0 && strcmp(sorted[i].label, sorted[i - 1].label) != 0)
            r++;
        cur[i] = r;
        rank_bn[r] = sorted[i].bn;
        left[r] = 1;
    }
    chosen->len = 0;
    do {
        size_t nrec = 0;
        int skip = 0;
        long num;
        if (++c->perms > c->lim.max_permutations) {
            rc = refuse(c, AC_E2BIG,
                        "RDFC-1.0: more than %zu permutations of blank nodes tried "
                        "(limit max_permutations); the dataset has too many blank nodes that "
                        "only the permutation search can tell apart (a poison graph?)",
                        c->lim.max_permutations);
            goto out;
        }
        if ((rc = charge(c, m + is->count)) || (rc = issuer_copy(&ic, is)))
            goto out;
        path.len = 0;
        for (size_t i = 0; i < m && !skip; i++) {
            size_t r = rank_bn[cur[i]];
            if (c->bn[r].canon >= 0) {
                rc = append_num(&path, "_:c14n", c->bn[r].canon);
            } else {
                if (issuer_get(&ic, r) < 0)
                    rec[nrec++] = r;
                if ((rc = issuer_issue(&ic, r, &num)) == 0)
                    rc = append_num(&path, "_:b", num);
            }
            if (rc)
                goto out;
            skip = worse_than(&path, chosen, have_chosen);
        }
        for (size_t i = 0; i < nrec && !skip; i++) {
            char h[HEX_LEN + 1];
            if ((rc = hash_ndegree(c, rec[i], &ic, h, depth + 1)))
                goto out;
            if ((rc = append_num(&path, "_:b", issuer_get(&ic, rec[i]))) ||
                (rc = ac_buf_push(&path, '<')) || (rc = ac_buf_append(&path, h, HEX_LEN)) ||
                (rc = ac_buf_push(&path, '>')))
                goto out;
            skip = worse_than(&path, chosen, have_chosen);
        }
        if (!skip && (!have_chosen || less_than(&path, chosen))) {
            struct ac_buf t = *chosen;
            *chosen = path;
            path = t;
            issuer_swap(chosen_is, &ic);
            have_chosen = 1;
        }
    } while (next_permutation(cur, left, m));
out:
    free(sorted);
    free(rank_bn);
    free(cur);
    free(rec);
    free(left);
    issuer_release(&ic);
    ac_buf_release(&path);
    return rc;
}

/* Runs Hash N-Degree Quads for blank node |id| with the path identifier
 * issuer |is|, which it replaces by the issuer the algorithm returns. */
static int hash_ndegree(struct ctx *c, size_t id, struct issuer *is, char out[HEX_LEN + 1],
                        size_t depth)
{
    if (++c->calls > c->lim.max_ndegree_calls)
        return refuse(c, AC_E2BIG,
                      "RDFC-1.0: Hash N-Degree Quads called more than %zu times (limit "
                      "max_ndegree_calls); the dataset has too many blank nodes that only the "
                      "permutation search can tell apart (a poison graph?)",
                      c->lim.max_ndegree_calls);
    if (depth > c->lim.max_depth)
        return refuse(c, AC_E2BIG,
                      "RDFC-1.0: Hash N-Degree Quads nested deeper than %zu (limit max_depth) "
                      "at call %zu; the dataset is a poison graph or too deep to canonicalize",
                      c->lim.max_depth, c->calls);
    const struct bnode *b = &c->bn[id];
    struct related *rel = malloc(3 * b->nq * sizeof *rel + 1);
    struct ac_buf chosen = AC_BUF_INIT;
    struct issuer chosen_is = {0};
    struct ac_sha256 data;
    size_t nrel = 0;
    int rc = rel ? charge(c, 3 * b->nq) : AC_ENOMEM;
    if (rc) {
        free(rel);
        return rc;
    }
    /* Steps 1 to 3: related blank nodes grouped by their related hash. */
    for (size_t i = 0; i < b->nq; i++) {
        size_t q = c->bq[b->first + i];
        static const int pos[] = {POS_S, POS_O, POS_G};
        for (size_t j = 0; j < 3; j++) {
            long r = c->qi[q].bn[pos[j]];
            if (r < 0 || (size_t)r == id)
                continue;
            hash_related(c, (size_t)r, q, pos[j], is, rel[nrel].hash);
            rel[nrel].bn = (size_t)r;
            rel[nrel].seq = nrel;
            nrel++;
        }
    }
    qsort(rel, nrel, sizeof *rel, related_cmp);
    /* Step 5: for each related hash in code point order. */
    ac_sha256_init(&data);
    for (size_t g = 0; g < nrel && rc == 0;) {
        size_t e = g + 1;
        while (e < nrel && memcmp(rel[e].hash, rel[g].hash, HEX_LEN) == 0)
            e++;
        ac_sha256_update(&data, (const unsigned char *)rel[g].hash, HEX_LEN);
        rc = try_permutations(c, rel + g, e - g, is, &chosen, &chosen_is, depth);
        if (rc == 0) {
            ac_sha256_update(&data, chosen.data, chosen.len);
            rc = issuer_copy(is, &chosen_is);
        }
        g = e;
    }
    if (rc == 0)
        hash_hex(&data, out);
    free(rel);
    ac_buf_release(&chosen);
    issuer_release(&chosen_is);
    return rc;
}

/* ---- 4.4 the canonicalization algorithm --------------------------------------------- */

static int issue_canonical(struct ctx *c, size_t b)
{
    if (c->bn[b].canon >= 0)
        return 0;
    c->bn[b].canon = (long)c->ncanon;
    c->canon_order[c->ncanon++] = b;
    return 0;
}

static uint64_t label_hash(const char *s)
{
    uint64_t h = 14695981039346656037u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211u;
    return h;
}

/* Returns NULL when |t| may stand at a position that allows the kinds in
 * |allowed| (bit 1 << kind) and be written unambiguously, else the rule it
 * breaks. An IRI or language tag holding, say, "> <" would let two different
 * datasets share one canonical form, and so one signature. */
static const char *term_problem(const struct ac_rdf_term *t, unsigned allowed, int iri_checked)
{
    if (!(allowed & (1u << t->kind)))
        return "a kind of term that this position does not allow (subject: IRI or blank node; "
               "predicate: IRI; graph name: absent, IRI or blank node)";
    if (t->kind == 0)
        return NULL;
    if (!t->value)
        return "a term without a value";
    if (t->kind == AC_RDF_IRI && !iri_checked && !ac_rdf_iri_ok(t->value))
        return "an IRI that is relative or holds a character IRIs may not contain "
               "(U+0000 to U+0020 or <>\"{}|^`\\)";
    if (t->kind == AC_RDF_LITERAL && t->language && !ac_rdf_langtag_ok(t->language))
        return "a language tag that is not [a-zA-Z]+ ('-' [a-zA-Z0-9]+)*";
    if (t->kind == AC_RDF_LITERAL && !t->language && t->datatype && !ac_rdf_iri_ok(t->datatype))
        return "a datatype that is not an IRI N-Quads can hold";
    return NULL;
}

/* The serialized non-blank terms, each found again by its string pointers:
 * a dataset whose quads share pointers (JSON-LD expansion's borrowed strings:
 * one predicate IRI, datatype or subject in many quads) has each term checked
 * and written once, not once per quad. Equal pointers mean equal strings
 * because the dataset does not change during the call. Equal terms at
 * different pointers are two entries that share one place in ctx.terms (by
 * the serialized bytes, |cslots|): the canonical N-Quads form of a term is
 * one-to-one, so equal places mean equal terms, which is how index_dataset()
 * finds a repeated quad by numbers alone. */
struct term_entry {
    const char *value, *datatype, *language;
    int kind;
    size_t off, len; /* in ctx.terms */
};
struct term_table {
    uint32_t *slots;  /* entry + 1 by string pointers; 0: empty */
    uint32_t *cslots; /* entry + 1 by serialized bytes, first of each form */
    size_t mask;
    struct term_entry *e;
    size_t n, cap;
    const char *dt_ok[8]; /* literal datatypes already checked */
    size_t dt_next;
};

static size_t term_ptr_hash(const struct ac_rdf_term *t)
{
    uint64_t h = (uint64_t)(uintptr_t)t->value * 0x9e3779b97f4a7c15u;
    h ^= (uint64_t)(uintptr_t)t->datatype * 0xc2b2ae3d27d4eb4fu;
    h ^= (uint64_t)(uintptr_t)t->language * 0x165667b19e3779f9u + (uint64_t)t->kind;
    return (size_t)(h ^ (h >> 32));
}

/* A spread of |n| bytes for |cslots| (no resistance to chosen inputs
 * needed: a collision costs one comparison), sixteen bytes a step in two
 * independent lanes: each step's multiply waits for the one before it, so
 * one lane left the core idle most of the time on long literals and IRIs. */
static size_t bytes_hash(const uint8_t *p, size_t n)
{
    uint64_t a = 0x9e3779b97f4a7c15u ^ n, b = 0xc2b2ae3d27d4eb4fu, w, x;
    for (; n >= 16; n -= 16, p += 16) {
        memcpy(&w, p, 8);
        memcpy(&x, p + 8, 8);
        a = (a ^ w) * 0xff51afd7ed558ccdu;
        b = (b ^ x) * 0xc4ceb9fe1a85ec53u;
        a ^= a >> 32;
        b ^= b >> 29;
    }
    if (n >= 8) {
        memcpy(&w, p, 8);
        a = (a ^ w) * 0xff51afd7ed558ccdu;
        a ^= a >> 32;
        n -= 8, p += 8;
    }
    w = 0;
    memcpy(&w, p, n);
    a = (a ^ w ^ b) * 0xc4ceb9fe1a85ec53u;
    return (size_t)(a ^ (a >> 29));
}

/* Sets |*off| and |*len| to |t|'s N-Quads form in c->terms, writing it (and
 * checking it: |*problem| is set to the rule it breaks, if any) only the
 * first time these pointers are met, and keeping the written copy only the
 * first time these bytes are met. */
static int term_serialized(struct ctx *c, struct term_table *tt, const struct ac_rdf_term *t,
                           unsigned allowed, int iri_checked, const char **problem, size_t *off,
                           size_t *len)
{
    size_t i = term_ptr_hash(t) & tt->mask;
    for (; tt->slots[i]; i = (i + 1) & tt->mask) {
        const struct term_entry *e = &tt->e[tt->slots[i] - 1];
        if (e->value == t->value && e->datatype == t->datatype && e->language == t->language &&
            e->kind == (int)t->kind) {
            *off = e->off;
            *len = e->len;
            return 0;
        }
    }
    /* A literal's datatype is one of a few IRIs that many literals share:
     * checked once per pointer (the last few remembered), the rest of the
     * term as usual. */
    struct ac_rdf_term plain = *t;
    if (t->kind == AC_RDF_LITERAL && !t->language && t->datatype) {
        for (size_t k = 0; k < sizeof tt->dt_ok / sizeof tt->dt_ok[0]; k++)
            if (tt->dt_ok[k] == t->datatype)
                plain.datatype = NULL;
    }
    if ((*problem = term_problem(&plain, allowed, iri_checked)))
        return 0;
    if (plain.datatype && t->kind == AC_RDF_LITERAL && !t->language)
        tt->dt_ok[tt->dt_next++ % (sizeof tt->dt_ok / sizeof tt->dt_ok[0])] = t->datatype;
    if (tt->n == tt->cap) {
        size_t cap = tt->cap ? 2 * tt->cap : 64;
        struct term_entry *ne = realloc(tt->e, cap * sizeof *ne);
        if (!ne)
            return AC_ENOMEM;
        tt->e = ne;
        tt->cap = cap;
    }
    *off = c->terms.len;
    int rc = ac_rdf_term_nquads(t, &c->terms);
    if (rc)
        return rc;
    *len = c->terms.len - *off;
    size_t j = bytes_hash(c->terms.data + *off, *len) & tt->mask;
    for (; tt->cslots[j]; j = (j + 1) & tt->mask) {
        const struct term_entry *e = &tt->e[tt->cslots[j] - 1];
        if (e->len == *len && memcmp(c->terms.data + e->off, c->terms.data + *off, *len) == 0) {
            c->terms.len = *off; /* met before at other pointers */
            *off = e->off;
            break;
        }
    }
    tt->e[tt->n] =
        (struct term_entry){t->value, t->datatype, t->language, (int)t->kind, *off, *len};
    if (!tt->cslots[j])
        tt->cslots[j] = (uint32_t)tt->n + 1;
    tt->slots[i] = (uint32_t)++tt->n;
    return 0;
}

static int same_quad(const struct quad_info *a, const struct quad_info *b)
{
    for (int pos = 0; pos < NPOS; pos++)
        if (a->bn[pos] != b->bn[pos] || a->off[pos] != b->off[pos] || a->len[pos] != b->len[pos])
            return 0;
    return 1;
}

static size_t quad_key_hash(const struct quad_info *qi)
{
    uint64_t h = 0;
    for (int pos = 0; pos < NPOS; pos++)
        h = (h ^ ((uint64_t)qi->bn[pos] * 0x9e3779b97f4a7c15u) ^ qi->off[pos]) *
            0xff51afd7ed558ccdu;
    return (size_t)(h ^ (h >> 31));
}

/* Step 2: interns blank nodes in order of first appearance (subject, object,
 * graph name of each quad in turn) and lists each quad under the blank nodes
 * it mentions, once per quad. Also checks and serializes every non-blank
 * term (once per distinct term: struct term_table), and marks a quad that
 * repeats an earlier one (a dataset from ac_rdf_dataset_append_borrowed()
 * may list one twice; a dataset is a set, so it is read once). With every
 * term numbered (a blank node, or one place in c->terms per distinct term)
 * that check compares numbers, where the dataset's own check hashed every
 * term's strings. */
static int index_dataset(struct ctx *c)
{
    const struct ac_rdf_dataset *d = c->d;
    size_t cap = 16, *count = NULL, bn_cap = 0;
    struct term_table tt = {0};
    uint32_t *slots = NULL, *quads, *table;
    int rc = 0;
    while (cap < 6 * d->n + 16)
        cap *= 2;
    c->qi = calloc(d->n + 1, sizeof *c->qi);
    /* At most 3 distinct non-blank terms per quad (the predicate, and at
     * most two of subject, object, graph name), and at most 3 blank nodes;
     * each table at most half full. One block for the two term tables, the
     * quads' table and the blank nodes' table; the term entries sized for
     * the usual case up front (one per distinct pointer: a credential's
     * quads share most of theirs). */
    slots = d->n <= UINT32_MAX / 4 ? calloc(4 * cap, sizeof *slots) : NULL;
    tt.slots = slots;
    tt.cslots = slots ? slots + cap : NULL;
    quads = slots ? slots + 2 * cap : NULL;
    table = slots ? slots + 3 * cap : NULL;
    tt.mask = cap - 1;
    tt.cap = d->n + 16;
    tt.e = malloc(tt.cap * sizeof *tt.e);
    if (!c->qi || !slots || !tt.e) {
        rc = AC_ENOMEM;
        goto out;
    }
    for (size_t q = 0; q < d->n && rc == 0; q++) {
        const struct ac_rdf_quad *quad = &d->quads[q];
        const struct ac_rdf_term *t[NPOS] = {&quad->s, &quad->p, &quad->o, &quad->g};
        const unsigned iri = 1u << AC_RDF_IRI, blank = 1u << AC_RDF_BLANK;
        static const char *const pos_name[NPOS] = {"subject", "predicate", "object", "graph name"};
        const unsigned allowed[NPOS] = {iri | blank, iri, iri | blank | (1u << AC_RDF_LITERAL),
                                        1u | iri | blank};
        struct quad_info *qi = &c->qi[q];
        for (int pos = 0; pos < NPOS && rc == 0; pos++) {
            const char *problem = NULL;
            qi->bn[pos] = -1;
            if (t[pos]->kind == 0 || t[pos]->kind == AC_RDF_BLANK ||
                !(allowed[pos] & (1u << t[pos]->kind)))
                problem = term_problem(t[pos], allowed[pos], 0);
            else
                rc = term_serialized(c, &tt, t[pos], allowed[pos], q < d->iris_checked, &problem,
                                     &qi->off[pos], &qi->len[pos]);
            if (!rc && problem)
                rc = refuse(c, AC_EINVAL, "RDFC-1.0: quad %zu, %s: %s", q, pos_name[pos], problem);
        }
        if (rc)
            break;
        static const int scan[] = {POS_S, POS_O, POS_G};
        for (size_t j = 0; j < sizeof scan / sizeof scan[0] && rc == 0; j++) {
            int pos = scan[j];
            if (t[pos]->kind != AC_RDF_BLANK)
                continue;
            size_t i = (size_t)label_hash(t[pos]->value) & (cap - 1);
            while (table[i] && strcmp(c->bn[table[i] - 1].label, t[pos]->value) != 0)
                i = (i + 1) & (cap - 1);
            if (!table[i]) {
                if (c->nbn == bn_cap) {
                    size_t ncap = bn_cap ? 2 * bn_cap : 16;
                    struct bnode *nb = realloc(c->bn, ncap * sizeof *nb);
                    if (!nb) {
                        rc = AC_ENOMEM;
                        break;
                    }
                    c->bn = nb;
                    bn_cap = ncap;
                }
                memset(&c->bn[c->nbn], 0, sizeof c->bn[c->nbn]);
                c->bn[c->nbn].label = t[pos]->value;
                c->bn[c->nbn].canon = -1;
                table[i] = (uint32_t)++c->nbn;
            }
            qi->bn[pos] = (long)(table[i] - 1);
        }
        if (rc)
            break;
        size_t k = quad_key_hash(qi) & (cap - 1);
        for (; quads[k]; k = (k + 1) & (cap - 1)) {
            if (same_quad(&c->qi[quads[k] - 1], qi)) {
                qi->repeat = 1;
                break;
            }
        }
        if (!qi->repeat)
            quads[k] = (uint32_t)q + 1;
    }
    if (rc)
        goto out;
    /* Each quad under each distinct blank node it mentions. */
    count = calloc(c->nbn + 1, sizeof *count);
    c->bq = malloc(3 * d->n * sizeof *c->bq + 1);
    c->canon_order = malloc(c->nbn * sizeof *c->canon_order + 1);
    if (!count || !c->bq || !c->canon_order) {
        rc = AC_ENOMEM;
        goto out;
    }
    for (int pass = 0; pass < 2; pass++) {
        for (size_t q = 0; q < d->n; q++) {
            const long *bn = c->qi[q].bn;
            if (c->qi[q].repeat)
                continue;
            for (int pos = 0; pos < NPOS; pos++) {
                long b = bn[pos];
                if (b < 0 || (pos > POS_S && bn[POS_S] == b) || (pos == POS_G && bn[POS_O] == b))
                    continue;
                if (pass == 0)
                    c->bn[b].nq++;
                else
                    c->bq[c->bn[b].first + count[b]++] = q;
            }
        }
        if (pass == 0) {
            for (size_t b = 1; b < c->nbn; b++)
                c->bn[b].first = c->bn[b - 1].first + c->bn[b - 1].nq;
        }
    }
out:
    free(count);
    free(slots);
    free(tt.e);
    return rc;
}

struct hash_entry {
    const char *hash;
    size_t bn;
};

static int hash_entry_cmp(const void *a, const void *b)
{
    const struct hash_entry *x = a, *y = b;
    int r = memcmp(x->hash, y->hash, HEX_LEN);
    if (r)
        return r;
    return (x->bn > y->bn) - (x->bn < y->bn);
}

struct path_result {
    char hash[HEX_LEN + 1];
    struct issuer is;
    size_t seq;
};

static int path_result_cmp(const void *a, const void *b)
{
    const struct path_result *x = a, *y = b;
    int r = memcmp(x->hash, y->hash, HEX_LEN);
    if (r)
        return r;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Steps 5.1 to 5.3 for one group of blank nodes sharing a first degree hash. */
static int issue_group(struct ctx *c, const struct hash_entry *group, size_t m)
{
    struct path_result *res = calloc(m, sizeof *res);
    size_t nres = 0;
    int rc = res ? 0 : AC_ENOMEM;
    for (size_t i = 0; i < m && rc == 0; i++) {
        size_t b = group[i].bn;
        long num;
        if (c->bn[b].canon >= 0)
            continue;
        struct path_result *r = &res[nres++];
        r->seq = i;
        if ((rc = issuer_issue(&r->is, b, &num)) == 0)
            rc = hash_ndegree(c, b, &r->is, r->hash, 0);
    }
    if (rc == 0) {
        qsort(res, nres, sizeof *res, path_result_cmp);
        for (size_t i = 0; i < nres; i++) {
            for (size_t j = 0; j < res[i].is.count; j++)
                issue_canonical(c, res[i].is.order[j]);
        }
    }
    for (size_t i = 0; res && i < nres; i++)
        issuer_release(&res[i].is);
    free(res);
    return rc;
}

static size_t label_canonical(const struct ctx *c, long bn, void *arg, char *out)
{
    (void)arg;
    char tmp[24];
    size_t i = sizeof tmp;
    unsigned long v = (unsigned long)c->bn[bn].canon;
    do
        tmp[--i] = (char)('0' + v % 10);
    while ((v /= 10) && i > 0);
    memcpy(out, "_:c14n", 6);
    memcpy(out + 6, tmp + i, sizeof tmp - i);
    return 6 + sizeof tmp - i;
}

static int fill_map(const struct ctx *c, struct ac_rdfc_map *map)
{
    map->entries = calloc(c->ncanon + 1, sizeof *map->entries);
    if (!map->entries)
        return AC_ENOMEM;
    for (size_t i = 0; i < c->ncanon; i++) {
        char name[32];
        snprintf(name, sizeof name, "c14n%zu", i);
        map->entries[i].input = strdup(c->bn[c->canon_order[i]].label);
        map->entries[i].canonical = strdup(name);
        map->n = i + 1;
        if (!map->entries[i].input || !map->entries[i].canonical)
            return AC_ENOMEM;
    }
    return 0;
}

void ac_rdfc_map_release(struct ac_rdfc_map *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->entries[i].input);
        free(m->entries[i].canonical);
    }
    free(m->entries);
    m->entries = NULL;
    m->n = 0;
}

int ac_rdfc_canonicalize(const struct ac_rdf_dataset *in, const struct ac_rdfc_limits *lim,
                         struct ac_buf *out_nquads, struct ac_rdfc_map *map, char *why,
                         size_t whylen)
{
    struct ctx c = {.d = in, .why = why, .whylen = whylen};
    struct ac_buf scratch = AC_BUF_INIT;
    struct hash_entry *by_hash = NULL;
    struct line *lines = NULL;
    size_t *all = NULL;
    size_t out_len = out_nquads->len;
    int rc;

    if (lim)
        c.lim = *lim;
    if (!c.lim.max_ndegree_calls)
        c.lim.max_ndegree_calls = AC_RDFC_DEFAULT_MAX_NDEGREE_CALLS;
    if (!c.lim.max_permutations)
        c.lim.max_permutations = AC_RDFC_DEFAULT_MAX_PERMUTATIONS;
    if (!c.lim.max_depth)
        c.lim.max_depth = AC_RDFC_DEFAULT_MAX_DEPTH;
    if (!c.lim.max_steps)
        c.lim.max_steps = AC_RDFC_DEFAULT_MAX_STEPS;
    if (sodium_init() < 0) {
        rc = refuse(&c, AC_ECRYPTO, "libsodium failed to initialise");
        goto out;
    }
    /* Room for the usual sizes up front (a credential's terms average under
     * 64 bytes, its lines under 128) instead of growing by steps. */
    if ((rc = ac_buf_reserve(&c.terms, 64 * in->n)) || (rc = ac_buf_reserve(&scratch, 128 * in->n)))
        goto out;
    if ((rc = index_dataset(&c)))
        goto out;

    /* Step 3: first degree hashes, and the map from hash to blank nodes. */
    by_hash = malloc(c.nbn * sizeof *by_hash + 1);
    if (!by_hash) {
        rc = AC_ENOMEM;
        goto out;
    }
    for (size_t b = 0; b < c.nbn && rc == 0; b++) {
        rc = hash_first_degree(&c, b, &scratch);
        by_hash[b].hash = c.bn[b].hash;
        by_hash[b].bn = b;
    }
    if (rc)
        goto out;
    qsort(by_hash, c.nbn, sizeof *by_hash, hash_entry_cmp);

    /* Step 4: blank nodes with a unique first degree hash, in hash order. */
    for (size_t i = 0; i < c.nbn; i++) {
        int alone = (i == 0 || memcmp(by_hash[i].hash, by_hash[i - 1].hash, HEX_LEN) != 0) &&
                    (i + 1 == c.nbn || memcmp(by_hash[i].hash, by_hash[i + 1].hash, HEX_LEN) != 0);
        if (alone)
            issue_canonical(&c, by_hash[i].bn);
    }
    /* Step 5: the rest, one group of equal first degree hashes at a time. */
    for (size_t g = 0; g < c.nbn && rc == 0;) {
        size_t e = g + 1;
        while (e < c.nbn && memcmp(by_hash[e].hash, by_hash[g].hash, HEX_LEN) == 0)
            e++;
        if (e - g > 1)
            rc = issue_group(&c, by_hash + g, e - g);
        g = e;
    }
    if (rc)
        goto out;

    /* Steps 6 and 7: relabel, sort, drop repeated lines. */
    all = malloc(in->n * sizeof *all + 1);
    if (!all) {
        rc = AC_ENOMEM;
        goto out;
    }
    size_t nall = 0;
    for (size_t q = 0; q < in->n; q++)
        if (!c.qi[q].repeat)
            all[nall++] = q;
    if ((rc = sorted_lines(&c, all, nall, label_canonical, NULL, &scratch, &lines)))
        goto out;
    if ((rc = ac_buf_reserve(out_nquads, scratch.len)))
        goto out;
    for (size_t i = 0; i < nall; i++) {
        if (i > 0 && line_cmp(&lines[i], &lines[i - 1]) == 0)
            continue;
        ac_buf_append(out_nquads, lines[i].p, lines[i].len); /* reserved above */
    }
    if (map && (rc = fill_map(&c, map)))
        ac_rdfc_map_release(map);
out:
    if (rc) {
        out_nquads->len = out_len;
        if (rc == AC_ENOMEM && why && whylen)
            snprintf(why, whylen, "RDFC-1.0: out of memory");
    }
    free(c.lines);
    free(all);
    free(by_hash);
    ac_buf_release(&scratch);
    ac_buf_release(&c.terms);
    free(c.qi);
    free(c.bn);
    free(c.bq);
    free(c.canon_order);
    return rc;
}
