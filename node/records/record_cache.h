/* record_cache.h - a bounded in-memory cache of signed credential records by
 * id, with each record's ETag, for the public GET /v1/credentials/{id}.
 *
 * Why it is safe: a record's bytes are signed once at issue and never change
 * (no UPDATE or DELETE of records exists), and the ETag comes from the
 * record's cti. The record's status is NOT in those bytes, so a status change
 * never makes a cached entry wrong; the JSON summary (which includes the
 * status) is never cached here.
 *
 * Why it exists: without it every read opens and closes an SQLite read
 * transaction (two fcntl locks on the WAL index), which was over half of the
 * node's CPU time under h2load.
 *
 * Shape: direct-mapped slots indexed by id, so a lookup is one array access
 * and a hit allocates nothing; a new entry replaces the slot's old one. The
 * total bytes held are capped: an entry that would pass the cap, or one
 * larger than AC__RECORD_CACHE_ENTRY_MAX, is simply not cached. */
#ifndef AC_NODE_RECORD_CACHE_H
#define AC_NODE_RECORD_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "records/records.h"

/* The node's cache: 32,768 slots, at most 16 MiB of entries (a record of
 * about 400 bytes takes about 460 with its header, so the cap fits every
 * slot), so a node with a million records stays well inside its 64 MiB
 * budget (tests/bench/bench_million.sh measures it). 4,096 slots missed on
 * most reads by random id at a million records. */
#define AC__RECORD_CACHE_SLOTS 32768
#define AC__RECORD_CACHE_BYTES (16u << 20)
/* Records above this are read from the store each time. */
#define AC__RECORD_CACHE_ENTRY_MAX 8192

struct ac__record_cache;

/* One cached record: |len| signed bytes and the quoted ETag to send with them. */
struct ac__cached_record {
    int64_t id;
    size_t len;
    char etag[AC__ETAG_MAX];
    uint8_t bytes[];
};

/* Makes an empty cache of |slots| slots (a power of two, at least 1) holding
 * at most |max_bytes| bytes of entries (counted with their headers), into
 * |*out|. Returns 0, AC_EINVAL (|slots| not a power of two) or AC_ENOMEM. */
int ac__record_cache_new(size_t slots, size_t max_bytes, struct ac__record_cache **out);

/* Frees |c| and every entry; NULL is a no-op. */
void ac__record_cache_free(struct ac__record_cache *c);

/* The entry for record |id|, or NULL when it is not cached (or |c| is NULL).
 * The entry is borrowed until the next ac__record_cache_put() or free. */
const struct ac__cached_record *ac__record_cache_get(const struct ac__record_cache *c, int64_t id);

/* Caches a copy of record |id|'s |len| bytes and its quoted |etag| (at most
 * AC__ETAG_MAX - 1 characters), replacing whatever held its slot. Returns 0
 * (cached), AC_E2BIG (not cached: the entry is larger than
 * AC__RECORD_CACHE_ENTRY_MAX, or would pass the byte cap, or |etag| is too
 * long) or AC_ENOMEM (not cached). On any error the cache still holds only
 * correct entries, and none for |id|. A NULL |c| caches nothing and returns 0. */
int ac__record_cache_put(struct ac__record_cache *c, int64_t id, const char *etag,
                         const uint8_t *bytes, size_t len);

/* How many entries and bytes (entries with their headers) the cache holds. */
void ac__record_cache_usage(const struct ac__record_cache *c, size_t *entries, size_t *bytes);

#endif
