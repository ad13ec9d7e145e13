/* records.h - what the node's record files (issue.c, api_records.c,
 * api_log.c, api_status.c, api_wellknown.c) share: the in-memory record
 * state beside the store, and the published bodies cached with their ETags. */
#ifndef AC_NODE_RECORDS_H
#define AC_NODE_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "accord/base/buf.h"
#include "accord/records/merkle.h"
#include "accord/records/status.h"
#include "internal.h"

#define AC__URL_MAX 288     /* scheme, a 255-byte host, brackets and a port */
#define AC__ETAG_MAX 40     /* "\"" + up to 32 hex + "\"" + NUL */
#define AC__MAX_AGE_S 60    /* Cache-Control max-age of every public read */
#define AC__STATUS_TTL_S 60 /* the status token's ttl claim: re-fetch after this */
/* A cached status token is re-signed after this long even without changes,
 * so its iat stays recent and its exp (iat + one day) never passes. */
#define AC__TOKEN_REFRESH_MS (60 * 60 * 1000)
#define AC__TOKEN_LIFETIME_S (24 * 60 * 60)

/* A published body and its strong ETag (hex of the first 16 bytes of its
 * SHA-256). Empty (len 0) until first built; |stale| asks for a rebuild. */
struct ac__published {
    struct ac_buf body;
    char etag[AC__ETAG_MAX];
    int64_t made_ms;
    int stale;
};

struct ac__records {
    struct ac_status_list *status;     /* owned */
    struct ac_merkle_tree tree;        /* head of the persisted log */
    char issuer[AC__URL_MAX];          /* the records' iss: the node's base URL */
    char origin[AC__URL_MAX + 8];      /* the checkpoint origin and signed-note key name */
    char status_uri[AC__URL_MAX + 20]; /* where the status token is published */
    struct ac__published checkpoint;   /* the newest signed checkpoint note */
    struct ac__published token;        /* the Token Status List CWT */
    struct ac__published bitstring;    /* the W3C encodedList JSON */
    struct ac__ob3 *ob3;               /* owned: OB 3.0 forms (ob3_serve.h); NULL until used */
};

struct ac__ob3;

/* Sets |p|'s ETag from its body. */
void ac__published_seal(struct ac__published *p, int64_t now_ms);

/* Answers a public GET of |p| (which must be built): 304 when the request's
 * If-None-Match holds the ETag, else 200 with |content_type|; both with ETag
 * and Cache-Control. */
void ac__respond_published(struct ac_http_exchange *x, const struct ac__published *p,
                           const char *content_type);

/* Answers |len| bytes of a public body with |etag| (quoted) as above. */
void ac__respond_public(struct ac_http_exchange *x, const char *etag, const char *content_type,
                        const void *body, size_t len);

/* Answers a public GET with |j| (taken; may be NULL: 500) as compact JSON,
 * with an ETag of its bytes and Cache-Control, or 304. */
void ac__respond_public_json(struct ac_http_exchange *x, json_t *j);

/* The keyring as a COSE / signed-note signing callback (|ctx| is the keyring). */
int ac__keyring_sign_cb(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64]);

/* Re-signs the current tree head with the (new) current key and stores it as
 * the newest checkpoint; called after a key rotation. Returns 0 or an AC_E*
 * code (nothing published changes on failure). */
int ac__records_resign_checkpoint(struct ac_node *n);

/* Changes the status of record |record_id| to |to| with |reason| (checked by
 * the caller: 1-200 bytes) by |by_user|. Refuses a change a revoked record
 * cannot take, and reinstating one that is not suspended, with AC_ECONFLICT and
 * the reason in |why|: any change to a revoked record (revocation is final),
 * suspending a suspended one, reinstating one that is not suspended.
 * Returns 0, AC_ENOENT (no such record), AC_ECONFLICT, AC_EIO or AC_EDB. */
int ac__credential_set_status(struct ac_node *n, int64_t record_id, enum ac_status to,
                              const char *reason, int64_t by_user, char *why, size_t whylen);

/* Builds (or refreshes) the status token and the bitstring JSON when stale.
 * Returns 0 or an AC_E* code. */
int ac__status_publish(struct ac_node *n);

/* Reloads the published checkpoint from the store when a publish failed.
 * Returns 0 or an AC_E* code. */
int ac__checkpoint_refresh(struct ac_node *n);

/* Answers the inclusion proof of leaf |index| in the tree of |size| leaves
 * as JSON {"index", "size", "leaf_hash", "hashes": [base64...]} (400 when
 * index >= size or size is past the log). */
void ac__respond_inclusion(struct ac_http_exchange *x, struct ac_node *n, uint64_t index,
                           uint64_t size);

/* The log as a Merkle source for proofs (reads leaf hashes from the store). */
void ac__log_source(struct ac_node *n, struct ac_merkle_source *src);

#endif
