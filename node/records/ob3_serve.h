/* ob3_serve.h - the node's Open Badges 3.0 forms (node/records/ob3_serve.c):
 * a record as a signed OpenBadgeCredential, built on request from the stored
 * native record and its definition, and the two signed
 * BitstringStatusListCredentials, cached until the status bits or the
 * signing key change. Loop thread only, but for ac__ob3_parts_read(). */
#ifndef AC_NODE_OB3_SERVE_H
#define AC_NODE_OB3_SERVE_H

#include <stdint.h>

#include "accord/base/buf.h"
#include "accord/records/status.h"
#include "accord/store/record.h"
#include "records/records.h"

/* Where the status list credentials are served, under the node's base URL. */
#define AC__OB3_STATUS_PATH "/v1/status/ob3/"

struct ac__ob3;

/* Frees |o| (n->ob3, made on first use); NULL is a no-op. */
void ac__ob3_free(struct ac__ob3 *o);

/* Appends the signed OB 3.0 credential of record |id| (compact JSON) to
 * |out|, signed now by the node's current key. Returns 0, AC_ENOENT (no such
 * record), AC_ENOMEM, AC_EDB, or AC_EINVAL / AC_EPARSE (the record or its
 * definition cannot be expressed; |why| says why). */
int ac__ob3_credential(struct ac_node *n, int64_t id, struct ac_buf *out, char *why,
                       size_t whylen);

/* What the OB 3.0 form of a record is made from, read from the store alone,
 * so a reader thread may read it (node/readers.h) and the loop sign it. */
struct ac_definition;
struct ac__ob3_parts {
    struct ac_store_record row;
    struct ac_buf cose;        /* the record's signed bytes */
    struct ac_definition *def; /* owned: its definition */
    int err;                   /* the read's code */
    char why[384];             /* why the record could not be decoded */
};

void ac__ob3_parts_init(struct ac__ob3_parts *p);
void ac__ob3_parts_release(struct ac__ob3_parts *p);

/* Any thread: reads the parts of record |id| from |st| into |p| (inited).
 * Returns (and keeps in p->err) 0 or what ac__ob3_credential() would. */
int ac__ob3_parts_read(struct ac_store *st, int64_t id, struct ac__ob3_parts *p);

/* Loop: ac__ob3_credential() from parts read already (whose read error it
 * returns, with its |why|). */
int ac__ob3_credential_from(struct ac_node *n, int64_t id, const struct ac__ob3_parts *p,
                            struct ac_buf *out, char *why, size_t whylen);

/* Sets |*out| to the signed status list credential for |purpose| (borrowed
 * until the next call), rebuilding it when the status bits or the current
 * key changed since it was made. Returns 0 or an AC_E* code. */
int ac__ob3_status_list(struct ac_node *n, enum ac_status_purpose purpose,
                        const struct ac__published **out);

/* ---- the HTTP side (node/http/api_ob3.c) ---- */

/* True when the request asks for the OB 3.0 form: ?format=ob3, or an Accept
 * header naming application/vc+ld+json or application/vc. */
int ac__ob3_wanted(struct ac_http_exchange *x);

/* Answers a public GET of record |id| in its OB 3.0 form (200 with an ETag
 * and Cache-Control, or 304), or the problem that stops it; from |parts|
 * when they were read already (on a reader thread), else reading them. */
void ac__respond_ob3_credential(struct ac_http_exchange *x, struct ac_node *n, int64_t id,
                                const struct ac__ob3_parts *parts);

#endif
