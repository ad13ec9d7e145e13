/* outbox.h - the federation outbox and its dead letters: messages to peers
 * written in the transaction of the change that causes them, read by each
 * peer's sender in pages after its durable cursor. Not thread-safe. */
#ifndef AC_STORE_OUTBOX_H
#define AC_STORE_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

struct ac_store;

struct ac_outbox_msg {
    int64_t id;
    char peer[65];
    char type[65];
    char msg_id[65];
    uint8_t *body; /* owned: one deterministic CBOR item */
    size_t body_len;
    int64_t created_ms;
    int status;        /* dead letters only: the peer's HTTP status */
    char problem[200]; /* dead letters only: why */
};

/* Frees what each of |n| messages owns, then |msgs|; NULL is a no-op. */
void ac_outbox_msgs_free(struct ac_outbox_msg *msgs, size_t n);

/* Queues |body| (copied) as message |msg_id| of |type| to |peer|. Call inside
 * the transaction of the change that causes it (ac_store_tx_begin). Sets
 * |*id| when not NULL. Returns 0, AC_EBUG (no transaction), AC_EINVAL, AC_EIO
 * or AC_EDB. */
int ac_store_outbox_add(struct ac_store *st, const char *peer, const char *type,
                        const char *msg_id, const uint8_t *body, size_t len, int64_t now_ms,
                        int64_t *id);

/* Sets |*out| to a malloc'd array of at most |limit| messages to |peer| with
 * ids above |after| in id order (caller frees with ac_outbox_msgs_free()).
 * Returns 0, AC_ENOMEM or AC_EDB. */
int ac_store_outbox_page(struct ac_store *st, const char *peer, int64_t after, size_t limit,
                         struct ac_outbox_msg **out, size_t *n);

/* Sets |*depth| to the number of messages to |peer| above |after| and
 * |*oldest_ms| to the oldest one's creation time (0 when none).
 * Returns 0 or AC_EDB. */
int ac_store_outbox_depth(struct ac_store *st, const char *peer, int64_t after, int64_t *depth,
                          int64_t *oldest_ms);

/* Copies outbox message |m| to the dead letters with the peer's |status| and
 * |problem| and moves the peer's cursor past it, in one transaction. A dead
 * letter of that id already there (a retry after an unknown COMMIT outcome)
 * is kept as it is; |*added| (may be NULL) says whether this call added it.
 * Returns 0, AC_EIO or AC_EDB. */
int ac_store_outbox_dead(struct ac_store *st, const struct ac_outbox_msg *m, int status,
                         const char *problem, int64_t now_ms, int *added);

/* Moves |peer|'s durable cursor forward to |cursor| (never back), touching
 * nothing else of its delivery state. Returns 0, AC_EIO or AC_EDB. */
int ac_store_outbox_cursor(struct ac_store *st, const char *peer, int64_t cursor);

/* Sets |*out| to the dead letters of |peer| (all peers when NULL) by id.
 * Returns 0, AC_ENOMEM or AC_EDB. */
int ac_store_dead_list(struct ac_store *st, const char *peer, struct ac_outbox_msg **out,
                       size_t *n);

/* Queues dead letter |id| again (a new outbox row, same message id) and
 * removes it from the dead letters, in one transaction. Sets |*peer| (65
 * bytes). Returns 0, AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_dead_retry(struct ac_store *st, int64_t id, int64_t now_ms, char *peer);

/* Deletes dead letter |id|. Returns 0, AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_dead_drop(struct ac_store *st, int64_t id);

/* Deletes the outbox rows created before |before_ms| that are behind their
 * peer's cursor (delivered or dead-lettered; a dead letter keeps its own
 * copy) and sets |*deleted|. Rows still to deliver are never deleted, nor
 * the newest row (so ids keep growing past every cursor).
 * Returns 0, AC_EIO or AC_EDB. */
int ac_store_outbox_prune(struct ac_store *st, int64_t before_ms, int64_t *deleted);

/* Sets |*n| to the number of outbox rows held for |peer|, delivered or not.
 * Returns 0 or AC_EDB. */
int ac_store_outbox_count(struct ac_store *st, const char *peer, int64_t *n);

#endif
