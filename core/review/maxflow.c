/* maxflow.c - Dinic's maximum flow on a residual graph in CSR form, for assignment. */
#include "maxflow.h"

#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"

int ac__flow_init(struct ac__flow *f, uint32_t n_nodes)
{
    memset(f, 0, sizeof(*f));
    f->n_nodes = n_nodes;
    return 0;
}

int ac__flow_arc(struct ac__flow *f, uint32_t u, uint32_t v, int32_t cap, uint32_t *id)
{
    if (u >= f->n_nodes || v >= f->n_nodes || cap < 0 || f->start)
        AC_BUG("flow arc out of range or added after finish");
    if (f->n_arcs == f->arc_alloc) {
        uint32_t na = f->arc_alloc ? f->arc_alloc * 2 : 1024;
        if (na < f->arc_alloc || na > UINT32_MAX / 2)
            return AC_ENOMEM;
        uint32_t *from = realloc(f->arc_from, (size_t)na * sizeof(*from));
        if (!from)
            return AC_ENOMEM;
        f->arc_from = from;
        uint32_t *to = realloc(f->arc_to, (size_t)na * sizeof(*to));
        if (!to)
            return AC_ENOMEM;
        f->arc_to = to;
        int32_t *cp = realloc(f->arc_cap, (size_t)na * sizeof(*cp));
        if (!cp)
            return AC_ENOMEM;
        f->arc_cap = cp;
        f->arc_alloc = na;
    }
    f->arc_from[f->n_arcs] = u;
    f->arc_to[f->n_arcs] = v;
    f->arc_cap[f->n_arcs] = cap;
    *id = f->n_arcs++;
    return 0;
}

int ac__flow_finish(struct ac__flow *f)
{
    size_t n = f->n_nodes, m = (size_t)f->n_arcs * 2;
    f->start = calloc(n + 1, sizeof(*f->start));
    f->to = malloc((m ? m : 1) * sizeof(*f->to));
    f->res = malloc((m ? m : 1) * sizeof(*f->res));
    f->rev = malloc((m ? m : 1) * sizeof(*f->rev));
    f->arc_pos = malloc((f->n_arcs ? f->n_arcs : 1) * sizeof(*f->arc_pos));
    f->level = malloc((n ? n : 1) * sizeof(*f->level));
    f->iter = malloc((n ? n : 1) * sizeof(*f->iter));
    f->queue = malloc((n ? n : 1) * sizeof(*f->queue));
    f->stack = malloc((n ? n : 1) * sizeof(*f->stack));
    if (!f->start || !f->to || !f->res || !f->rev || !f->arc_pos || !f->level || !f->iter ||
        !f->queue || !f->stack)
        return AC_ENOMEM;
    /* Counting sort of both directions of every arc by tail node. */
    for (uint32_t a = 0; a < f->n_arcs; a++) {
        f->start[f->arc_from[a] + 1]++;
        f->start[f->arc_to[a] + 1]++;
    }
    for (size_t v = 0; v < n; v++)
        f->start[v + 1] += f->start[v];
    memcpy(f->iter, f->start, n * sizeof(*f->iter));
    for (uint32_t a = 0; a < f->n_arcs; a++) {
        uint32_t u = f->arc_from[a], v = f->arc_to[a];
        uint32_t eu = f->iter[u]++, ev = f->iter[v]++;
        f->to[eu] = v;
        f->res[eu] = f->arc_cap[a];
        f->rev[eu] = ev;
        f->to[ev] = u;
        f->res[ev] = 0;
        f->rev[ev] = eu;
        f->arc_pos[a] = eu;
    }
    free(f->arc_from);
    free(f->arc_to);
    f->arc_from = f->arc_to = NULL;
    return 0;
}

void ac__flow_raise(struct ac__flow *f, uint32_t id, int32_t cap)
{
    if (cap <= f->arc_cap[id])
        return;
    f->res[f->arc_pos[id]] += cap - f->arc_cap[id];
    f->arc_cap[id] = cap;
}

int32_t ac__flow_of(const struct ac__flow *f, uint32_t id)
{
    return f->res[f->rev[f->arc_pos[id]]];
}

/* Labels every node with its distance from |s| over arcs with residual capacity.
 * Returns whether |t| was reached. */
static bool bfs(struct ac__flow *f, uint32_t s, uint32_t t)
{
    for (uint32_t v = 0; v < f->n_nodes; v++)
        f->level[v] = -1;
    uint32_t head = 0, tail = 0;
    f->level[s] = 0;
    f->queue[tail++] = s;
    while (head < tail) {
        uint32_t v = f->queue[head++];
        for (uint32_t e = f->start[v]; e < f->start[v + 1]; e++) {
            uint32_t w = f->to[e];
            if (f->res[e] > 0 && f->level[w] < 0) {
                f->level[w] = f->level[v] + 1;
                f->queue[tail++] = w;
            }
        }
    }
    return f->level[t] >= 0;
}

/* Finds a blocking flow in the level graph, one path at a time, with an explicit
 * stack: residual paths through the class graph can be thousands of arcs long. */
static int64_t blocking_flow(struct ac__flow *f, uint32_t s, uint32_t t)
{
    int64_t total = 0;
    memcpy(f->iter, f->start, f->n_nodes * sizeof(*f->iter));
    uint32_t sp = 0, v = s;
    for (;;) {
        if (v == t) {
            int32_t b = INT32_MAX;
            for (uint32_t i = 0; i < sp; i++)
                if (f->res[f->stack[i]] < b)
                    b = f->res[f->stack[i]];
            uint32_t first_sat = sp;
            for (uint32_t i = 0; i < sp; i++) {
                uint32_t e = f->stack[i];
                f->res[e] -= b;
                f->res[f->rev[e]] += b;
                if (f->res[e] == 0 && first_sat == sp)
                    first_sat = i;
            }
            total += b;
            sp = first_sat;
            v = sp ? f->to[f->stack[sp - 1]] : s;
            continue;
        }
        uint32_t e = f->iter[v];
        for (; e < f->start[v + 1]; e++)
            if (f->res[e] > 0 && f->level[f->to[e]] == f->level[v] + 1)
                break;
        f->iter[v] = e;
        if (e < f->start[v + 1]) {
            f->stack[sp++] = e;
            v = f->to[e];
            continue;
        }
        /* Dead end: no path to |t| leaves |v| in this level graph. */
        if (v == s)
            break;
        f->level[v] = -1;
        sp--;
        v = f->to[f->rev[f->stack[sp]]];
        f->iter[v]++;
    }
    return total;
}

int64_t ac__flow_augment(struct ac__flow *f, uint32_t s, uint32_t t)
{
    int64_t total = 0;
    while (bfs(f, s, t))
        total += blocking_flow(f, s, t);
    return total;
}

void ac__flow_release(struct ac__flow *f)
{
    free(f->arc_from);
    free(f->arc_to);
    free(f->arc_cap);
    free(f->start);
    free(f->to);
    free(f->res);
    free(f->rev);
    free(f->arc_pos);
    free(f->level);
    free(f->iter);
    free(f->queue);
    free(f->stack);
    memset(f, 0, sizeof(*f));
}
