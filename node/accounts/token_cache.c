/* token_cache.c - verified bearer tokens kept in memory by keyed hash, with
 * the invalidation rules of token_cache.h. */
#include "accounts/token_cache.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/store/authgen.h"
#include "accord/store/store.h"
#include "readers.h"

struct slot {
    int used;
    uint8_t hash[AC_TOKEN_HASH_BYTES];
    struct ac_token token;
    struct ac_user user;
};

/* The timer's read of the auth generation, on a reader thread. */
struct check_read {
    struct ac__read_job job; /* first */
    struct ac__token_cache *c;
    int err; /* filled on the thread */
    int64_t gen;
};

struct ac__token_cache {
    uv_timer_t timer;            /* initialised only while |started| */
    struct ac__readers *readers; /* borrowed by the timer; outlives it */
    int started, closing;        /* the timer was initialised; its close was asked */
    struct check_read check;     /* the timer's read, while |in_flight| */
    int in_flight;
    int have_gen; /* |gen| holds a generation read from the store */
    int64_t gen;
    /* Moves whenever entries are dropped (ac__token_cache_epoch()). */
    uint64_t epoch;
    size_t mask; /* slots - 1 */
    struct slot *slots;
};

int ac__token_cache_new(size_t slots, struct ac__token_cache **out)
{
    if (slots == 0 || (slots & (slots - 1)) != 0)
        return AC_EINVAL;
    struct ac__token_cache *c = calloc(1, sizeof *c);
    if (!c)
        return AC_ENOMEM;
    c->slots = calloc(slots, sizeof *c->slots);
    if (!c->slots) {
        free(c);
        return AC_ENOMEM;
    }
    c->mask = slots - 1;
    *out = c;
    return 0;
}

void ac__token_cache_free(struct ac__token_cache *c)
{
    if (!c)
        return;
    if (c->in_flight) /* a bug: the pool is stopped before the cache is freed */
        ac_log_error("accounts", "the token cache is freed with its check in flight");
    sodium_memzero(c->slots, (c->mask + 1) * sizeof *c->slots);
    free(c->slots);
    free(c);
}

/* The hash is keyed with the node secret, so its first bytes are uniform and
 * beyond a client's choosing: enough to spread tokens over the slots. */
static struct slot *slot_for(const struct ac__token_cache *c, const uint8_t *hash)
{
    uint32_t h = (uint32_t)hash[0] | (uint32_t)hash[1] << 8 | (uint32_t)hash[2] << 16 |
                 (uint32_t)hash[3] << 24;
    return &c->slots[h & c->mask];
}

int ac__token_cache_get(const struct ac__token_cache *c, const uint8_t hash[AC_TOKEN_HASH_BYTES],
                        struct ac_token *tok, struct ac_user *user)
{
    if (!c)
        return AC_ENOENT;
    const struct slot *s = slot_for(c, hash);
    if (!s->used || sodium_memcmp(s->hash, hash, AC_TOKEN_HASH_BYTES) != 0)
        return AC_ENOENT;
    *tok = s->token;
    *user = s->user;
    return 0;
}

void ac__token_cache_put(struct ac__token_cache *c, const uint8_t hash[AC_TOKEN_HASH_BYTES],
                         const struct ac_token *tok, const struct ac_user *user)
{
    /* Without a generation read from the store, a change made by another
     * process could go unseen: cache nothing until the check succeeds. */
    if (!c || !c->have_gen || tok->revoked_ms || user->disabled_ms)
        return;
    struct slot *s = slot_for(c, hash);
    memcpy(s->hash, hash, AC_TOKEN_HASH_BYTES);
    s->token = *tok;
    s->user = *user;
    s->used = 1;
}

void ac__token_cache_forget_user(struct ac__token_cache *c, int64_t user_id)
{
    if (!c)
        return;
    c->epoch++;
    for (size_t i = 0; i <= c->mask; i++)
        if (c->slots[i].used && c->slots[i].user.id == user_id)
            memset(&c->slots[i], 0, sizeof c->slots[i]);
}

/* An after-commit forget (ac__token_cache_forget_at_commit()). */
struct forget {
    struct ac__token_cache *c;
    int64_t user_id;
};

static void forget_run(void *arg)
{
    struct forget *f = arg;
    ac__token_cache_forget_user(f->c, f->user_id);
}

int ac__token_cache_forget_at_commit(struct ac__token_cache *c, struct ac_store *st,
                                     int64_t user_id)
{
    if (!c)
        return 0;
    struct forget *f = malloc(sizeof *f);
    if (!f)
        return AC_ENOMEM;
    *f = (struct forget){c, user_id};
    return ac_store_after_commit(st, forget_run, free, f);
}

void ac__token_cache_clear(struct ac__token_cache *c)
{
    if (!c)
        return;
    c->epoch++;
    memset(c->slots, 0, (c->mask + 1) * sizeof *c->slots);
}

uint64_t ac__token_cache_epoch(const struct ac__token_cache *c)
{
    return c ? c->epoch : 0;
}

void ac__token_cache_seen(struct ac__token_cache *c, int err, int64_t gen)
{
    if (!c)
        return;
    if (err) {
        ac__token_cache_clear(c);
        c->have_gen = 0;
        return;
    }
    /* A generation not held before empties the cache (moving the epoch),
     * even after a failed check: a row read in flight while it failed may
     * predate a change this generation already counts, and its request must
     * not cache it (auth.c compares the epoch). */
    if (!c->have_gen || gen != c->gen)
        ac__token_cache_clear(c);
    c->gen = gen;
    c->have_gen = 1;
}

int ac__token_cache_check(struct ac__token_cache *c, struct ac_store *st)
{
    int64_t gen = 0;
    int err = ac_store_authgen_get(st, &gen);
    ac__token_cache_seen(c, err, gen);
    return err;
}

/* Reader thread: touches only the job. */
static void check_work(struct ac__read_job *job, struct ac_store *st)
{
    struct check_read *r = (struct check_read *)job;
    r->err = ac_store_authgen_get(st, &r->gen);
}

static void check_done(struct ac__read_job *job, int status)
{
    struct check_read *r = (struct check_read *)job;
    struct ac__token_cache *c = r->c;
    c->in_flight = 0;
    /* Stopping (the pool, or the cache, emptied for good). */
    if (status || c->closing)
        return;
    ac__token_cache_seen(c, r->err, r->gen);
    if (r->err)
        ac_log_warn("accounts",
                    "cannot read the auth generation (%s); tokens are read from"
                    " the store until it can be read",
                    ac_strerror(r->err));
}

static void on_check(uv_timer_t *t)
{
    struct ac__token_cache *c = t->data;
    /* One read at a time: a slow one (a busy database) is not queued behind
     * by more. */
    if (c->in_flight || c->closing)
        return;
    c->check = (struct check_read){.job = {.work = check_work, .done = check_done}, .c = c};
    c->in_flight = 1;
    if (ac__readers_submit(c->readers, &c->check.job) != 0)
        c->in_flight = 0; /* the pool is stopping: so is the node */
}

int ac__token_cache_start(struct ac__token_cache *c, uv_loop_t *loop, struct ac_store *st,
                          struct ac__readers *readers)
{
    /* Once on the loop, before the node serves: a cache that starts
     * caching at once. */
    int err = ac__token_cache_check(c, st);
    if (err)
        return err;
    err = uv_timer_init(loop, &c->timer);
    if (err)
        return err;
    c->timer.data = c;
    c->readers = readers;
    c->started = 1;
    err = uv_timer_start(&c->timer, on_check, AC__TOKEN_CACHE_CHECK_MS, AC__TOKEN_CACHE_CHECK_MS);
    if (err)
        ac__token_cache_stop(c);
    return err;
}

void ac__token_cache_stop(struct ac__token_cache *c)
{
    if (!c)
        return;
    ac__token_cache_clear(c);
    c->have_gen = 0; /* nothing is cached any more */
    if (!c->started || c->closing)
        return;
    c->closing = 1;
    uv_close((uv_handle_t *)&c->timer, NULL);
}

size_t ac__token_cache_count(const struct ac__token_cache *c)
{
    size_t n = 0;
    for (size_t i = 0; c && i <= c->mask; i++)
        n += c->slots[i].used != 0;
    return n;
}
