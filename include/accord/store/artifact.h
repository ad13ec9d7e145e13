/* artifact.h - submitted files by content hash, and who may read them
 * (core/store/store_artifact.c).
 * Write functions here are steps of a unit of work: the caller opens a
 * transaction with ac_store_tx_begin() (store.h), makes every change one event
 * causes (the state change, its audit row, its outbox notification, its next
 * due job) and commits them together; a step called outside a transaction
 * returns AC_EBUG. Reads work either way.
 * Not thread-safe: use from the loop thread. */
#ifndef AC_STORE_ARTIFACT_H
#define AC_STORE_ARTIFACT_H

#include <stddef.h>
#include <stdint.h>

#include "accord/store/submission.h"

struct ac_store; /* store.h */

/* ---- artifacts ---- */

#define AC_ARTIFACT_HASH_HEX 64

struct ac_artifact {
    char hash[AC_ARTIFACT_HASH_HEX + 1]; /* SHA-256, lowercase hex */
    int64_t size;
    char media_type[AC_SUB_NAME_MAX + 1];
    int64_t uploader_id;
    int64_t created_ms;
};

/* Records an artifact and |a|->uploader_id's upload of it (in its own
 * transaction: the file is already durable). The bytes are stored once; each
 * uploader gets its own right to them, with its own media type; recording an
 * upload again changes nothing. Returns 0, AC_EINVAL (hash not 64 lowercase
 * hex), AC_EIO or AC_EDB. */
int ac_store_artifact_put(struct ac_store *st, const struct ac_artifact *a);

/* Fills |*out|. Returns 0, AC_ENOENT or AC_EDB. */
int ac_store_artifact_get(struct ac_store *st, const char *hash, struct ac_artifact *out);

/* Fills |*out| with |uploader_id|'s upload of |hash| (its media type and
 * time). Returns 0, AC_ENOENT (that user never uploaded those bytes) or
 * AC_EDB. */
int ac_store_artifact_get_upload(struct ac_store *st, const char *hash, int64_t uploader_id,
                                 struct ac_artifact *out);

/* Writes the media type |reader_id| should be served |hash| with: its own
 * upload's, else that of the earner of a submission it reviews, else the
 * first upload's. Returns 0, AC_ENOENT or AC_EDB. */
int ac_store_artifact_media_type_for(struct ac_store *st, const char *hash, int64_t reader_id,
                                     char *out, size_t size);

/* Sets |*allowed| to 1 when |user_id| has a live right to read |hash|: it
 * uploaded it or submitted a submission citing it, or it holds an accepted
 * assignment, not yet scored or expired, of a submission citing it.
 * Returns 0 or AC_EDB. */
int ac_store_artifact_may_read(struct ac_store *st, const char *hash, int64_t user_id,
                               int *allowed);

#endif
