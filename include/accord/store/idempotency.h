/* idempotency.h - the stored answers of write requests that carried an
 * Idempotency-Key (docs/api.md): one row per (principal, key) with what the
 * request was and what it was answered, written inside the request's own
 * transaction so the answer is stored exactly when the write commits. */
#ifndef AC_STORE_IDEMPOTENCY_H
#define AC_STORE_IDEMPOTENCY_H

#include <stddef.h>
#include <stdint.h>

struct ac_store;

#define AC_IDEM_HASH_BYTES 32 /* SHA-256 of the request body */

struct ac_store_idem {
    char *method;  /* owned */
    char *path;    /* owned; with the query, as sent */
    uint8_t body_hash[AC_IDEM_HASH_BYTES];
    int status;
    char *headers; /* owned: the answer's headers that matter, "name: value\n" lines */
    uint8_t *body; /* owned; NULL when empty */
    size_t body_len;
    int64_t created_ms;
};

/* Reads the answer stored for |key| sent by |principal|. On 0 |*out| owns
 * its strings (ac_store_idem_release()). Returns 0, AC_ENOENT, AC_ENOMEM,
 * AC_EIO or AC_EDB. */
int ac_store_idem_get(struct ac_store *st, const char *principal, const char *key,
                      struct ac_store_idem *out);

/* Stores |in| (created_ms included) for |key| of |principal|. Returns 0,
 * AC_EEXIST (a row for the pair is stored: a concurrent request with the
 * key committed first), AC_EIO or AC_EDB. */
int ac_store_idem_put(struct ac_store *st, const char *principal, const char *key,
                      const struct ac_store_idem *in);

/* Deletes the row of |key| of |principal| (an expired one, before it is
 * used again). Returns 0, AC_EIO or AC_EDB; a missing row is no error. */
int ac_store_idem_delete(struct ac_store *st, const char *principal, const char *key);

/* Writes the row of |key| of |principal| again, unchanged. Outside a
 * transaction it commits at once, and its COMMIT returns only once the
 * database has made it durable, and with it every commit before it
 * (PostgreSQL: the synchronous standbys confirmed them); inside one, the
 * enclosing COMMIT does. So a row found after an unknown COMMIT outcome, or
 * replayed to a repeat, is known to survive a failover before its answer
 * is given. Returns 0, AC_ENOENT, AC_EUNKNOWN (still unconfirmed),
 * AC_EAGAIN, AC_EIO or AC_EDB. */
int ac_store_idem_confirm(struct ac_store *st, const char *principal, const char *key);

/* Deletes every row created before |before_ms| and sets |*removed| (may be
 * NULL) to how many. Returns 0, AC_EIO or AC_EDB. */
int ac_store_idem_prune(struct ac_store *st, int64_t before_ms, int64_t *removed);

/* Frees what |r| owns; it may then be reused. */
void ac_store_idem_release(struct ac_store_idem *r);

#endif
