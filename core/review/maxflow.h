/* maxflow.h - the max-flow engine behind ac_assign_run(), shared by the files of
 * core/ that implement assignment only (not a public interface).
 *
 * Dinic's algorithm on a compressed-sparse-row residual graph. Arcs are added first,
 * then frozen with ac__flow_finish(); afterwards capacities may only be raised, and
 * ac__flow_augment() extends the current flow to a maximum one. Raising sink-arc
 * capacities one load level at a time and augmenting after each rise is how
 * core/assign.c obtains a minimum convex-cost flow (docs/assignment.md). */
#ifndef AC_ASSIGN_FLOW_H
#define AC_ASSIGN_FLOW_H

#include <stdbool.h>
#include <stdint.h>

struct ac__flow {
    uint32_t n_nodes;
    /* Staging, valid until ac__flow_finish(): one entry per added arc. */
    uint32_t *arc_from, *arc_to;
    int32_t *arc_cap; /* capacity as last set; kept after finish for raises */
    uint32_t n_arcs, arc_alloc;
    /* Residual graph, valid after ac__flow_finish(): 2 entries per arc. */
    uint32_t *start; /* n_nodes + 1 offsets into the entry arrays */
    uint32_t *to;
    int32_t *res;      /* residual capacity */
    uint32_t *rev;     /* index of the paired entry */
    uint32_t *arc_pos; /* entry index of each arc's forward direction */
    int32_t *level;    /* BFS level, -1 unreached; after augment: reachability from s */
    uint32_t *iter, *queue, *stack;
};

/* Prepares |f| for |n_nodes| nodes. Returns 0 or AC_ENOMEM. */
int ac__flow_init(struct ac__flow *f, uint32_t n_nodes);

/* Adds an arc u->v of capacity |cap| >= 0 and sets |*id| to its index.
 * Returns 0 or AC_ENOMEM. Only before ac__flow_finish(). */
int ac__flow_arc(struct ac__flow *f, uint32_t u, uint32_t v, int32_t cap, uint32_t *id);

/* Builds the residual graph. Returns 0 or AC_ENOMEM. */
int ac__flow_finish(struct ac__flow *f);

/* Raises arc |id|'s capacity to |cap| (never lowers it), keeping the flow. */
void ac__flow_raise(struct ac__flow *f, uint32_t id, int32_t cap);

/* Augments the flow from |s| to |t| until it is maximum; returns the amount added.
 * Afterwards level[v] >= 0 exactly for the nodes reachable from |s| in the residual. */
int64_t ac__flow_augment(struct ac__flow *f, uint32_t s, uint32_t t);

/* Flow on arc |id|. */
int32_t ac__flow_of(const struct ac__flow *f, uint32_t id);

/* Frees everything |f| holds. */
void ac__flow_release(struct ac__flow *f);

#endif
