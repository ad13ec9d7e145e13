/* peer.h - federation peers in storage: peers an admin or the config pinned,
 * the newest verified consortium file, each peer's delivery state (durable
 * cursor and back-off) and raw signed documents fetched from peers.
 * Not thread-safe: use from the loop thread. */
#ifndef AC_STORE_PEER_H
#define AC_STORE_PEER_H

#include <stddef.h>
#include <stdint.h>

struct ac_store;

#define AC_PEER_URL_MAX 200
#define AC_PEER_KEYS_MAX 16

/* A locally pinned peer. |keys| is lowercase hex public keys, comma-separated. */
struct ac_peer_row {
    char node_id[65];
    char base_url[AC_PEER_URL_MAX + 1];
    unsigned rights; /* enum ac_right bits (accord/trust/consortium.h) */
    char keys[AC_PEER_KEYS_MAX * 65];
    char source[8]; /* "config" or "admin" */
    int64_t added_ms;
};

/* Inserts or replaces the pinned peer |p|. Returns 0, AC_EINVAL (a source
 * other than config/admin, rights above 31), AC_EIO or AC_EDB. */
int ac_store_peer_put(struct ac_store *st, const struct ac_peer_row *p);

/* Removes the pinned peer |node_id|. Returns 0, AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_peer_delete(struct ac_store *st, const char *node_id);

/* Sets |*out| to a malloc'd array of every pinned peer by node id (caller
 * frees; NULL when none) and |*n|. Returns 0, AC_ENOMEM or AC_EDB. */
int ac_store_peer_list(struct ac_store *st, struct ac_peer_row **out, size_t *n);

/* Sets |*file| to a malloc'd copy of the adopted consortium file (caller
 * frees) and |*len|, |*serial|. Returns 0, AC_ENOENT (none adopted yet),
 * AC_ENOMEM or AC_EDB. */
int ac_store_consortium_get(struct ac_store *st, uint8_t **file, size_t *len, uint64_t *serial);

/* Stores |file| as the adopted consortium file when |serial| is higher than
 * the one held (the caller has verified it). Returns 0, AC_ECONFLICT (not
 * newer: nothing changed), AC_EIO or AC_EDB. */
int ac_store_consortium_put(struct ac_store *st, uint64_t serial, const uint8_t *file, size_t len,
                            int64_t now_ms);

/* Delivery state of one peer; all zero for a peer never tried. */
struct ac_peer_state {
    int64_t cursor;          /* highest outbox id delivered or dead-lettered */
    int64_t attempts;        /* failed attempts since the last success */
    int64_t next_attempt_ms; /* 0: now */
    int64_t last_success_ms;
    char last_error[200];
    int64_t received; /* messages from this peer applied (inbox rows) */
};

/* Fills |*out| (zeroes when the peer has no row). Returns 0 or AC_EDB. */
int ac_store_peer_state_get(struct ac_store *st, const char *node_id, struct ac_peer_state *out);

/* Records an outbound success: the cursor moves to |cursor| (never back),
 * attempts and next attempt reset. Returns 0, AC_EIO or AC_EDB. */
int ac_store_peer_state_success(struct ac_store *st, const char *node_id, int64_t cursor,
                                int64_t now_ms);

/* Records a failed attempt: |attempts|, |next_attempt_ms| and |error|.
 * Returns 0, AC_EIO or AC_EDB. */
int ac_store_peer_state_failure(struct ac_store *st, const char *node_id, int64_t attempts,
                                int64_t next_attempt_ms, const char *error);

/* Moves the next attempt of |node_id| to |when_ms| if it is later (a probe
 * when the peer reached us). Returns 0, AC_EIO or AC_EDB. */
int ac_store_peer_state_probe(struct ac_store *st, const char *node_id, int64_t when_ms);

/* Counts one applied message from |node_id|; call inside the transaction of
 * its inbox row. Returns 0, AC_EBUG (no transaction), AC_EIO or AC_EDB. */
int ac_store_peer_state_received(struct ac_store *st, const char *node_id);

/* Stores the raw signed document |kind| ("node", "catalog") of |node_id|.
 * Returns 0, AC_EIO or AC_EDB. */
int ac_store_peer_doc_put(struct ac_store *st, const char *node_id, const char *kind,
                          const uint8_t *doc, size_t len, int64_t now_ms);

/* Sets |*doc| to a malloc'd copy (caller frees), |*len| and |*fetched_ms|.
 * Returns 0, AC_ENOENT, AC_ENOMEM or AC_EDB. */
int ac_store_peer_doc_get(struct ac_store *st, const char *node_id, const char *kind,
                          uint8_t **doc, size_t *len, int64_t *fetched_ms);

/* Stores witness |witness|'s cosignature |line| on our checkpoint of |size|
 * (replacing one it made earlier for that size). Returns 0, AC_EIO or AC_EDB. */
int ac_store_cosignature_put(struct ac_store *st, uint64_t size, const char *witness,
                             const char *line, int64_t now_ms);

/* Appends every cosignature line on the checkpoint of |size| to |out| (text,
 * one line each, by witness). Returns 0, AC_ENOMEM or AC_EDB. */
struct ac_buf;
int ac_store_cosignature_lines(struct ac_store *st, uint64_t size, struct ac_buf *out);

#endif
