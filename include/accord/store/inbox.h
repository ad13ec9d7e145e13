/* inbox.h - the federation inbox's dedup rows: one per (sender, message id)
 * applied, written in the transaction of its effect, holding the signed
 * answer so a repeat gets the same answer. Not thread-safe. */
#ifndef AC_STORE_INBOX_H
#define AC_STORE_INBOX_H

#include <stddef.h>
#include <stdint.h>

struct ac_store;

struct ac_inbox_entry {
    char type[65];
    uint8_t body_hash[32]; /* SHA-256 of the envelope body's bytes */
    int status;            /* the HTTP status answered */
    uint8_t *answer;       /* owned: the signed answer envelope */
    size_t answer_len;
    int64_t received_ms;
};

/* Fills |*out| for (|sender|, |msg_id|); the caller frees out->answer.
 * Returns 0, AC_ENOENT, AC_ENOMEM or AC_EDB. */
int ac_store_inbox_get(struct ac_store *st, const char *sender, const char *msg_id,
                       struct ac_inbox_entry *out);

/* Inserts the row for (|sender|, |msg_id|) inside the caller's transaction.
 * Returns 0, AC_EBUG (no transaction), AC_EEXIST (already applied), AC_EIO or
 * AC_EDB. */
int ac_store_inbox_put(struct ac_store *st, const char *sender, const char *msg_id,
                       const struct ac_inbox_entry *e);

/* Deletes the dedup rows first received before |before_ms| (they have
 * outlived every sender's retry horizon) and sets |*deleted|. Returns 0, AC_EIO
 * or AC_EDB. */
int ac_store_inbox_prune(struct ac_store *st, int64_t before_ms, int64_t *deleted);

/* Sets |*n| to the number of dedup rows held for |sender|. Returns 0 or AC_EDB. */
int ac_store_inbox_count(struct ac_store *st, const char *sender, int64_t *n);

#endif
