/* record_cache.c - the bounded, direct-mapped cache of signed credential
 * records by id that serves GET /v1/credentials/{id} without SQLite (see
 * record_cache.h for why it is safe and what it bounds). */
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "records/record_cache.h"

struct ac__record_cache {
    struct ac__cached_record **slots;
    size_t mask; /* slots - 1 */
    size_t max_bytes;
    size_t bytes; /* held by entries, headers included */
    size_t entries;
};

int ac__record_cache_new(size_t slots, size_t max_bytes, struct ac__record_cache **out)
{
    if (slots == 0 || (slots & (slots - 1)) != 0)
        return AC_EINVAL;
    struct ac__record_cache *c = calloc(1, sizeof *c);
    if (!c)
        return AC_ENOMEM;
    c->slots = calloc(slots, sizeof *c->slots);
    if (!c->slots) {
        free(c);
        return AC_ENOMEM;
    }
    c->mask = slots - 1;
    c->max_bytes = max_bytes;
    *out = c;
    return 0;
}

void ac__record_cache_free(struct ac__record_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i <= c->mask; i++)
        free(c->slots[i]);
    free(c->slots);
    free(c);
}

/* Ids are handed out in sequence, so the low bits alone spread any run of
 * consecutive records (the recent ones, which are the ones read most) over
 * distinct slots. */
static size_t slot_of(const struct ac__record_cache *c, int64_t id)
{
    return (size_t)(uint64_t)id & c->mask;
}

const struct ac__cached_record *ac__record_cache_get(const struct ac__record_cache *c, int64_t id)
{
    if (!c)
        return NULL;
    const struct ac__cached_record *e = c->slots[slot_of(c, id)];
    return e && e->id == id ? e : NULL;
}

static void drop(struct ac__record_cache *c, size_t i)
{
    struct ac__cached_record *e = c->slots[i];
    if (!e)
        return;
    c->bytes -= sizeof *e + e->len;
    c->entries--;
    free(e);
    c->slots[i] = NULL;
}

int ac__record_cache_put(struct ac__record_cache *c, int64_t id, const char *etag,
                         const uint8_t *bytes, size_t len)
{
    if (!c)
        return 0;
    size_t i = slot_of(c, id);
    size_t etag_len = strlen(etag);
    /* The slot's old entry goes first, so an id is never left stale. */
    drop(c, i);
    size_t need = sizeof(struct ac__cached_record) + len;
    if (len > AC__RECORD_CACHE_ENTRY_MAX || etag_len >= AC__ETAG_MAX ||
        c->bytes + need > c->max_bytes)
        return AC_E2BIG;
    struct ac__cached_record *e = malloc(need);
    if (!e)
        return AC_ENOMEM;
    e->id = id;
    e->len = len;
    memcpy(e->etag, etag, etag_len + 1);
    if (len)
        memcpy(e->bytes, bytes, len);
    c->slots[i] = e;
    c->bytes += need;
    c->entries++;
    return 0;
}

void ac__record_cache_usage(const struct ac__record_cache *c, size_t *entries, size_t *bytes)
{
    *entries = c ? c->entries : 0;
    *bytes = c ? c->bytes : 0;
}
