/* neardup.c - winnowing fingerprints and an index of prior submissions for
 * near-duplicate detection (see include/accord/neardup.h). */
#include "accord/review/neardup.h"

#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"

/* One normalised character and the bytes of the original it came from. */
struct ch {
    uint32_t cp;
    size_t start, end;
};

struct fp {
    uint64_t hash;
    size_t kidx;       /* index of the k-gram in the normalised text */
    size_t start, end; /* its bytes in the original text */
};

struct posting {
    uint32_t doc; /* slot in ix->docs */
    size_t kidx, start, end;
    size_t next; /* next posting of the same hash, or SIZE_MAX */
};

struct entry {
    uint64_t hash;
    size_t head;   /* first posting, or SIZE_MAX */
    uint32_t df;   /* distinct submissions holding the hash */
    uint32_t last; /* slot + 1 of the last submission counted in df */
    uint8_t used, ignored;
};

struct doc {
    uint64_t id, team;
};

struct ac_neardup_index {
    struct ac_neardup_params p;
    struct entry *table; /* open addressing, power-of-two capacity, load <= 1/2 */
    size_t cap, count;
    struct posting *post;
    size_t n_post, cap_post;
    struct doc *docs;
    size_t n_docs, cap_docs;
};

/* Decodes one UTF-8 character at |s[i]|; a malformed byte stands for itself
 * (as U+FFFD would) so positions stay exact and nothing is skipped silently. */
static uint32_t utf8_next(const unsigned char *s, size_t len, size_t *i)
{
    unsigned char c = s[*i];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || *i + n > len) {
        (*i)++;
        return 0xFFFD;
    }
    uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
    for (size_t k = 1; k < n; k++) {
        if ((s[*i + k] & 0xC0) != 0x80) {
            (*i)++;
            return 0xFFFD;
        }
        cp = (cp << 6) | (s[*i + k] & 0x3F);
    }
    *i += n;
    return cp;
}

/* Folds case and drops separators, so "Hello, World" and "hello world" are the
 * same text: ASCII and Latin-1 letters are lower-cased; ASCII punctuation and
 * spaces, Latin-1 punctuation (NBSP, guillemets, ...), General Punctuation (smart
 * quotes, dashes, ellipsis), CJK punctuation and the BOM are dropped. Returns
 * the folded character or 0 to drop it. */
static uint32_t fold(uint32_t cp)
{
    if (cp < 0x80) {
        if (cp >= 'A' && cp <= 'Z')
            return cp + 32;
        if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9'))
            return cp;
        return 0;
    }
    if (cp <= 0xBF || cp == 0xD7 || cp == 0xF7)
        return 0;
    if (cp >= 0xC0 && cp <= 0xDE)
        return cp + 32;
    if ((cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x3000 && cp <= 0x303F) || cp == 0xFEFF)
        return 0;
    return cp;
}

static int normalise(const char *text, size_t len, struct ch **out, size_t *n)
{
    struct ch *v = malloc((len ? len : 1) * sizeof *v);
    if (!v)
        return AC_ENOMEM;
    size_t i = 0, m = 0;
    while (i < len) {
        size_t start = i;
        uint32_t cp = fold(utf8_next((const unsigned char *)text, len, &i));
        if (cp) {
            v[m].cp = cp;
            v[m].start = start;
            v[m].end = i;
            m++;
        }
    }
    *out = v;
    *n = m;
    return 0;
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* Winnows |text| into fingerprints: in every window of w consecutive k-gram
 * hashes the minimum (the rightmost on ties) is kept, once per position
 * (Schleimer et al. 2003, "robust winnowing"). */
static int fingerprint(const struct ac_neardup_params *p, const char *text, size_t len,
                       struct fp **out, size_t *n)
{
    struct ch *c;
    size_t nc;
    int rc = normalise(text, len, &c, &nc);
    if (rc < 0)
        return rc;
    *out = NULL;
    *n = 0;
    if (nc < p->k) {
        free(c);
        return 0;
    }
    size_t ng = nc - p->k + 1;
    uint64_t *h = malloc(ng * sizeof *h);
    struct fp *f = malloc(ng * sizeof *f);
    if (!h || !f) {
        free(c);
        free(h);
        free(f);
        return AC_ENOMEM;
    }
    for (size_t g = 0; g < ng; g++) {
        uint64_t x = 1469598103934665603ULL; /* FNV-1a over the k characters */
        for (size_t j = 0; j < p->k; j++) {
            x ^= c[g + j].cp;
            x *= 1099511628211ULL;
        }
        h[g] = mix(x);
    }
    size_t w = p->w < ng ? p->w : ng, m = 0, last = SIZE_MAX;
    for (size_t s = 0; s + w <= ng; s++) {
        size_t best = s;
        for (size_t j = s + 1; j < s + w; j++)
            if (h[j] <= h[best])
                best = j;
        if (best == last)
            continue;
        last = best;
        f[m].hash = h[best];
        f[m].kidx = best;
        f[m].start = c[best].start;
        f[m].end = c[best + p->k - 1].end;
        m++;
    }
    free(h);
    free(c);
    *out = f;
    *n = m;
    return 0;
}

int ac_neardup_index_new(const struct ac_neardup_params *p, struct ac_neardup_index **out)
{
    if (!p || !out || p->k == 0 || p->k > 1000 || p->w == 0 || !(p->min_similarity >= 0.0) ||
        p->min_similarity > 1.0)
        return AC_EINVAL;
    struct ac_neardup_index *ix = calloc(1, sizeof *ix);
    if (!ix)
        return AC_ENOMEM;
    ix->p = *p;
    ix->cap = 1024;
    ix->table = calloc(ix->cap, sizeof *ix->table);
    if (!ix->table) {
        free(ix);
        return AC_ENOMEM;
    }
    *out = ix;
    return 0;
}

void ac_neardup_index_free(struct ac_neardup_index *ix)
{
    if (!ix)
        return;
    free(ix->table);
    free(ix->post);
    free(ix->docs);
    free(ix);
}

static struct entry *lookup(const struct ac_neardup_index *ix, uint64_t hash)
{
    size_t mask = ix->cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        struct entry *e = &ix->table[i];
        if (!e->used || e->hash == hash)
            return e;
    }
}

static int grow_table(struct ac_neardup_index *ix)
{
    if ((ix->count + 1) * 2 <= ix->cap)
        return 0;
    struct ac_neardup_index tmp = *ix;
    tmp.cap = ix->cap * 2;
    tmp.table = calloc(tmp.cap, sizeof *tmp.table);
    if (!tmp.table)
        return AC_ENOMEM;
    for (size_t i = 0; i < ix->cap; i++)
        if (ix->table[i].used)
            *lookup(&tmp, ix->table[i].hash) = ix->table[i];
    free(ix->table);
    ix->table = tmp.table;
    ix->cap = tmp.cap;
    return 0;
}

static struct entry *insert(struct ac_neardup_index *ix, uint64_t hash)
{
    if (grow_table(ix) < 0)
        return NULL;
    struct entry *e = lookup(ix, hash);
    if (!e->used) {
        e->used = 1;
        e->hash = hash;
        e->head = SIZE_MAX;
        ix->count++;
    }
    return e;
}

int ac_neardup_ignore_text(struct ac_neardup_index *ix, const char *text, size_t len)
{
    if (!ix || (!text && len))
        return AC_EINVAL;
    struct fp *f;
    size_t n;
    int rc = fingerprint(&ix->p, text, len, &f, &n);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        struct entry *e = insert(ix, f[i].hash);
        if (!e) {
            free(f);
            return AC_ENOMEM;
        }
        e->ignored = 1;
    }
    free(f);
    return 0;
}

int ac_neardup_add(struct ac_neardup_index *ix, uint64_t doc, uint64_t team, const char *text,
                   size_t len)
{
    if (!ix || (!text && len) || ix->n_docs >= UINT32_MAX - 1)
        return AC_EINVAL;
    struct fp *f;
    size_t n;
    int rc = fingerprint(&ix->p, text, len, &f, &n);
    if (rc < 0)
        return rc;
    if (ix->n_docs == ix->cap_docs || ix->n_post + n > ix->cap_post) {
        size_t cd = ix->cap_docs ? ix->cap_docs * 2 : 16;
        size_t cp = ix->cap_post ? ix->cap_post : 1024;
        while (cp < ix->n_post + n)
            cp *= 2;
        struct doc *d = ix->n_docs == ix->cap_docs ? realloc(ix->docs, cd * sizeof *d) : ix->docs;
        if (d) {
            ix->docs = d;
            if (ix->n_docs == ix->cap_docs)
                ix->cap_docs = cd;
        }
        struct posting *ps = cp > ix->cap_post ? realloc(ix->post, cp * sizeof *ps) : ix->post;
        if (ps) {
            ix->post = ps;
            ix->cap_post = cp > ix->cap_post ? cp : ix->cap_post;
        }
        if (!d || !ps) {
            free(f);
            return AC_ENOMEM;
        }
    }
    uint32_t slot = (uint32_t)ix->n_docs;
    for (size_t i = 0; i < n; i++) {
        struct entry *e = insert(ix, f[i].hash);
        if (!e) {
            /* Postings already linked stay valid; the document is counted so
             * they never point at a missing slot. */
            ix->docs[ix->n_docs++] = (struct doc){doc, team};
            free(f);
            return AC_ENOMEM;
        }
        if (e->last != slot + 1) {
            e->df++;
            e->last = slot + 1;
        }
        struct posting *ps = &ix->post[ix->n_post];
        ps->doc = slot;
        ps->kidx = f[i].kidx;
        ps->start = f[i].start;
        ps->end = f[i].end;
        ps->next = e->head;
        e->head = ix->n_post++;
    }
    ix->docs[ix->n_docs++] = (struct doc){doc, team};
    free(f);
    return 0;
}

struct pair {
    uint32_t doc;
    size_t qhash; /* index of the query's distinct hash */
    size_t qk, qs, qe;
    size_t dk, ds, de;
};

static int by_doc_hash(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;
    if (x->doc != y->doc)
        return x->doc < y->doc ? -1 : 1;
    return x->qhash < y->qhash ? -1 : x->qhash > y->qhash;
}

/* Same document, then the same diagonal (offset between the two texts), then
 * position: a verbatim copy is one run along one diagonal. */
static int by_doc_diag_pos(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;
    if (x->doc != y->doc)
        return x->doc < y->doc ? -1 : 1;
    long long dx = (long long)x->dk - (long long)x->qk, dy = (long long)y->dk - (long long)y->qk;
    if (dx != dy)
        return dx < dy ? -1 : 1;
    return x->qk < y->qk ? -1 : x->qk > y->qk;
}

static int by_hash(const void *a, const void *b)
{
    const struct fp *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return x->kidx < y->kidx ? -1 : x->kidx > y->kidx;
}

static int by_passage_start(const void *a, const void *b)
{
    const struct ac_neardup_passage *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->prior_start < y->prior_start ? -1 : x->prior_start > y->prior_start;
}

static int by_similarity(const void *a, const void *b)
{
    const struct ac_neardup_match *x = a, *y = b;
    if (x->similarity != y->similarity)
        return x->similarity > y->similarity ? -1 : 1;
    return x->doc < y->doc ? -1 : x->doc > y->doc;
}

void ac_neardup_result_free(struct ac_neardup_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_matches; i++)
        free(r->matches[i].passages);
    free(r->matches);
    free(r);
}

/* Turns the pairs of one document into merged passages. */
static int passages(const struct ac_neardup_params *p, struct pair *pr, size_t n,
                    struct ac_neardup_match *m)
{
    qsort(pr, n, sizeof *pr, by_doc_diag_pos);
    m->passages = malloc(n * sizeof *m->passages);
    if (!m->passages)
        return AC_ENOMEM;
    size_t np = 0, last_qk = 0;
    long long diag = 0;
    for (size_t i = 0; i < n; i++) {
        long long d = (long long)pr[i].dk - (long long)pr[i].qk;
        /* Along one diagonal, winnowing leaves at most w-1 k-grams between
         * fingerprints of a shared run, so a gap up to k + w keeps one passage. */
        if (np > 0 && d == diag && pr[i].qk - last_qk <= (size_t)p->k + p->w) {
            struct ac_neardup_passage *ps = &m->passages[np - 1];
            if (pr[i].qe > ps->end)
                ps->end = pr[i].qe;
            if (pr[i].de > ps->prior_end)
                ps->prior_end = pr[i].de;
        } else {
            m->passages[np++] = (struct ac_neardup_passage){pr[i].qs, pr[i].qe, pr[i].ds, pr[i].de};
            diag = d;
        }
        last_qk = pr[i].qk;
    }
    qsort(m->passages, np, sizeof *m->passages, by_passage_start);
    m->n_passages = np;
    return 0;
}

int ac_neardup_check(const struct ac_neardup_index *ix, uint64_t doc, uint64_t team,
                     const char *text, size_t len, struct ac_neardup_result **out)
{
    if (!ix || !out || (!text && len))
        return AC_EINVAL;
    struct fp *f = NULL;
    size_t n = 0, np = 0, capp = 0;
    struct pair *pr = NULL;
    int rc = fingerprint(&ix->p, text, len, &f, &n);
    if (rc < 0)
        return rc;
    struct ac_neardup_result *res = calloc(1, sizeof *res);
    if (!res) {
        free(f);
        return AC_ENOMEM;
    }
    if (n)
        qsort(f, n, sizeof *f, by_hash);
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++) {
        int first = i == 0 || f[i].hash != f[i - 1].hash;
        const struct entry *e = lookup(ix, f[i].hash);
        int common = e->used && (e->ignored || (ix->p.common_docs && e->df >= ix->p.common_docs));
        if (common)
            continue;
        distinct += first;
        if (!e->used)
            continue;
        for (size_t k = e->head; k != SIZE_MAX; k = ix->post[k].next) {
            const struct posting *ps = &ix->post[k];
            const struct doc *d = &ix->docs[ps->doc];
            if (d->id == doc || (team != 0 && d->team == team))
                continue;
            if (np == capp) {
                size_t nc = capp ? capp * 2 : 64;
                struct pair *t = realloc(pr, nc * sizeof *t);
                if (!t) {
                    rc = AC_ENOMEM;
                    goto fail;
                }
                pr = t;
                capp = nc;
            }
            pr[np++] = (struct pair){ps->doc,  distinct - 1, f[i].kidx, f[i].start,
                                     f[i].end, ps->kidx,     ps->start, ps->end};
        }
    }
    res->fingerprints = distinct;
    if (np)
        qsort(pr, np, sizeof *pr, by_doc_hash);
    size_t ndocs = 0;
    for (size_t i = 0; i < np; i++)
        ndocs += i == 0 || pr[i].doc != pr[i - 1].doc;
    res->matches = calloc(ndocs ? ndocs : 1, sizeof *res->matches);
    if (!res->matches) {
        rc = AC_ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < np;) {
        size_t j = i, shared = 0;
        for (; j < np && pr[j].doc == pr[i].doc; j++)
            shared += j == i || pr[j].qhash != pr[j - 1].qhash;
        double sim = (double)shared / (double)distinct;
        if (sim >= ix->p.min_similarity) {
            struct ac_neardup_match *m = &res->matches[res->n_matches++];
            m->doc = ix->docs[pr[i].doc].id;
            m->shared = shared;
            m->similarity = sim;
            if ((rc = passages(&ix->p, pr + i, j - i, m)) < 0)
                goto fail;
        }
        i = j;
    }
    if (res->n_matches)
        qsort(res->matches, res->n_matches, sizeof *res->matches, by_similarity);
    free(pr);
    free(f);
    *out = res;
    return 0;
fail:
    free(pr);
    free(f);
    ac_neardup_result_free(res);
    return rc;
}
