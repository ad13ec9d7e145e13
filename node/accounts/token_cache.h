/* token_cache.h - a bounded in-memory cache of verified bearer tokens by
 * their keyed hash: the token, its user and the user's roles, so that an
 * authenticated request costs no store read when its token was seen lately.
 *
 * Why it exists: without it every authenticated request ran a token lookup
 * (an SQLite read transaction: two fcntl locks on the WAL index and a join),
 * which made GET /v1/users/me cost about three times a public read.
 *
 * Why it is safe: only usable tokens of enabled users are cached, and an
 * entry is dropped
 *  - in this process, by the service that revokes a token, disables a user
 *    or changes its roles: at once (ac__token_cache_forget_user()), and
 *    again when its transaction commits (ac__token_cache_forget_at_commit()):
 *    inside a request group the service's own commit is a savepoint, and a
 *    request served before the group's COMMIT reads the token where the
 *    change is not yet seen (the side connection) and may cache it again;
 *  - within AC__TOKEN_CACHE_CHECK_MS when another process sharing the
 *    database makes such a change: a timer reads the stored auth generation
 *    (accord/store/authgen.h, bumped by triggers in the changing transaction)
 *    on a reader thread and empties the cache when it moved. The check runs
 *    from the timer only, never per request, and never on the loop.
 *
 * Shape: direct-mapped slots indexed by the first bytes of the keyed hash
 * (a client cannot choose where its token lands without the node secret); a
 * new entry replaces the slot's old one, so memory is fixed at creation.
 * Runs on the loop thread. */
#ifndef AC_NODE_TOKEN_CACHE_H
#define AC_NODE_TOKEN_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "accord/store/user.h"

struct ac_store;
struct ac__readers;

/* The node's cache: 1024 slots of about 400 bytes each. */
#define AC__TOKEN_CACHE_SLOTS 1024
/* How often the stored auth generation is read: the longest another
 * process's revocation can go unseen here (plus one timer period of slack). */
#define AC__TOKEN_CACHE_CHECK_MS 1000

struct ac__token_cache;

/* Makes an empty cache of |slots| slots (a power of two, at least 1) into
 * |*out|. Returns 0, AC_EINVAL (|slots| not a power of two) or AC_ENOMEM. */
int ac__token_cache_new(size_t slots, struct ac__token_cache **out);

/* Frees |c|; NULL is a no-op. Its timer must be closed (ac__token_cache_stop()
 * and the loop run since), or never started, and its reader pool stopped. */
void ac__token_cache_free(struct ac__token_cache *c);

/* Copies the token and user cached for |hash| into |*tok| and |*user|.
 * Returns 0 (hit) or AC_ENOENT (not cached, or |c| is NULL); on AC_ENOENT
 * neither is touched. */
int ac__token_cache_get(const struct ac__token_cache *c, const uint8_t hash[AC_TOKEN_HASH_BYTES],
                        struct ac_token *tok, struct ac_user *user);

/* Caches |tok| and |user| (borrowed; copied) for |hash|, replacing whatever
 * held its slot. A revoked token or a disabled user is not cached (their
 * refusal is read from the store each time, so its message stays exact), nor
 * is anything before ac__token_cache_check() has succeeded (or after it
 * failed). NULL |c| is a no-op. */
void ac__token_cache_put(struct ac__token_cache *c, const uint8_t hash[AC_TOKEN_HASH_BYTES],
                         const struct ac_token *tok, const struct ac_user *user);

/* Drops every entry of user |user_id|: call after committing a change to the
 * user (disabled, roles) or to one of its tokens (revoked). NULL is a no-op. */
void ac__token_cache_forget_user(struct ac__token_cache *c, int64_t user_id);

/* Inside the transaction that changes user |user_id| or one of its tokens:
 * drops the user's entries again once that transaction's outermost COMMIT
 * succeeded (an after-commit hook of |st|), since what was cached until
 * then may have been read without the change. The caller still calls
 * ac__token_cache_forget_user() after its own commit. Returns 0 (also for
 * a NULL |c|), AC_ENOMEM, or AC_EBUG outside a transaction. */
int ac__token_cache_forget_at_commit(struct ac__token_cache *c, struct ac_store *st,
                                     int64_t user_id);

/* Drops every entry. NULL is a no-op. */
void ac__token_cache_clear(struct ac__token_cache *c);

/* A number that moves whenever entries are dropped (forget, clear): a token
 * read off the loop (node/http/auth.c, on a reader thread) is cached only
 * when it has not moved since the read was asked for, since a revocation
 * committed meanwhile may not be in what the read saw. 0 for NULL. */
uint64_t ac__token_cache_epoch(const struct ac__token_cache *c);

/* Applies a read of the auth generation: |err| 0 and the generation |gen|
 * read, or the read's error. Empties |c| (moving the epoch) on an error,
 * and when |gen| is not a generation it held: one that differs from the
 * last, or the first after none or a failed read (a row read while the
 * check failed may predate a change |gen| counts). Loop thread; NULL is a
 * no-op. */
void ac__token_cache_seen(struct ac__token_cache *c, int err, int64_t gen);

/* Reads the auth generation from |st| on the calling thread and applies it
 * (ac__token_cache_seen()). Returns 0 or the store's error. */
int ac__token_cache_check(struct ac__token_cache *c, struct ac_store *st);

/* Checks |c| against |st| now (on the loop, before the node serves), then
 * every AC__TOKEN_CACHE_CHECK_MS on one of the reader threads of |readers|
 * (borrowed; stopped after ac__token_cache_stop()), the result applied on
 * the loop when it comes back: the loop never waits for the check (issue
 * 15). One check is in flight at a time; a tick that finds one still out is
 * skipped. Returns 0 or a libuv/store error (nothing started then). */
int ac__token_cache_start(struct ac__token_cache *c, uv_loop_t *loop, struct ac_store *st,
                          struct ac__readers *readers);

/* Closes the timer (the close completes in the loop) and empties the cache,
 * which caches nothing more; a check still in flight is ignored when it
 * comes back. Idempotent; NULL or a cache never started is a no-op for the
 * timer. */
void ac__token_cache_stop(struct ac__token_cache *c);

/* How many slots hold an entry. */
size_t ac__token_cache_count(const struct ac__token_cache *c);

#endif
