/* benchmark.h - the benchmark database of a credential: items, the experts'
 * independent scores and the conference result (core/store/store_benchmark.c).
 * Not thread-safe: use from the loop thread. */
#ifndef AC_STORE_BENCHMARK_H
#define AC_STORE_BENCHMARK_H

#include <stddef.h>
#include <stdint.h>

#include "accord/store/credential.h"

struct ac_store; /* store.h */

/* ---- benchmark database ---- */

#define AC_STORE_BENCH_EXPERTS 8 /* as AC_BENCH_MAX_EXPERTS */

struct ac_bench_row {
    int64_t id, credential_id;
    char label[AC_ITEM_LABEL_MAX + 1];
    char *content;                           /* owned */
    int64_t experts[AC_STORE_BENCH_EXPERTS]; /* assigned experts, in id order */
    int levels[AC_STORE_BENCH_EXPERTS];      /* their levels, -1 until scored */
    size_t n_experts;
    int final_level;           /* -1 until resolved */
    char *key_characteristics; /* owned, "" when none */
    char *common_errors;       /* owned, "" when none */
    int64_t resolved_by;       /* 0 when it resolved itself (experts agreed) */
    int64_t exposures;
};

/* Frees what |b| owns; NULL is a no-op. */
void ac_bench_row_release(struct ac_bench_row *b);

/* Adds item |label| with |content| to |credential_id|'s database, assigned to
 * the |n| (2..8) experts |experts|. Sets |*id|. Returns 0, AC_EINVAL,
 * AC_EEXIST (label taken or an expert twice), AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_bench_add(struct ac_store *st, int64_t credential_id, const char *label,
                       const char *content, const int64_t *experts, size_t n, int64_t now_ms,
                       int64_t *id);

/* Fills |*out| (release it). Returns 0, AC_ENOENT, AC_ENOMEM or AC_EDB. */
int ac_store_bench_get(struct ac_store *st, int64_t item_id, struct ac_bench_row *out);

/* Lists items with id > |after| in id order, at most |max|: of |credential_id|
 * when |expert_id| is 0, else those assigned to |expert_id| (any credential
 * when |credential_id| is 0). Sets |*n|; the caller releases out[0..n).
 * Returns 0, AC_ENOMEM or AC_EDB. */
int ac_store_bench_list(struct ac_store *st, int64_t credential_id, int64_t expert_id,
                        int64_t after, struct ac_bench_row *out, size_t max, size_t *n);

/* Records |expert_id|'s independent |level| for |item_id|. When that makes
 * every assigned expert agree, the item resolves to that level. Returns 0,
 * AC_ENOENT (not assigned), AC_ECONFLICT (already scored), AC_EIO or AC_EDB. */
int ac_store_bench_score(struct ac_store *st, int64_t item_id, int64_t expert_id, int level,
                         int64_t now_ms);

/* Records the conference result of |item_id|: |level| with annotations
 * (copied; NULL keeps the current). Returns 0, AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_bench_resolve(struct ac_store *st, int64_t item_id, int level,
                           const char *key_characteristics, const char *common_errors, int64_t by,
                           int64_t now_ms);

#endif
