/* api_artifacts.c - the artifact endpoints: an upload is a raw
 * application/octet-stream body, up to [limits] max_artifact_bytes, with
 * optional sha256 and media_type query parameters, taken in chunks as it
 * arrives (a streamed route) and handed to the artifacts service
 * (review/artifacts.c), which writes and hashes it on worker threads; the
 * peer may send more only as the chunks reach the file. A download is served
 * from the file piece by piece as the peer reads. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/artifact.h"
#include "accord/store/submission.h"
#include "readers.h"
#include "review/review.h"

/* Answers 400 for a query parameter that is present but unusable: too long
 * for |max| bytes (AC_E2BIG) or with a malformed %-escape (AC_EINVAL). The
 * raw query is quoted, since the decoded value is incomplete. */
static void query_refused(struct ac_http_exchange *x, const struct ac_http_req *req,
                          const char *field, int err, size_t max, const char *rule)
{
    const char *q = req->query ? req->query : "";
    if (err == AC_E2BIG)
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, field, NULL,
                    "%s: the value in \"%.80s\" is longer than %zu bytes; it must "
                    "be %s",
                    field, q, max, rule);
    else
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, field, NULL,
                    "%s: the value in \"%.80s\" is not valid percent-encoding; it "
                    "must be %s",
                    field, q, rule);
}

/* One upload in progress: the exchange it answers and the service's upload. */
struct upload {
    struct ac_http_exchange *x;
    struct ac__artifact_upload *up;
    struct ac_node *n;
};

/* Bytes reached the file: the peer may send as many more. */
static void on_written(void *arg, size_t n)
{
    struct upload *u = arg;
    ac_http_body_consume(u->x, n);
}

static void on_stored(void *arg, int err, const struct ac_artifact *art,
                      const struct ac_reason *why)
{
    struct upload *u = arg;
    if (err) {
        ac__respond_failure(u->x, err, why, "artifact");
    } else {
        json_t *j = json_pack("{s:s, s:I, s:s}", "sha256", art->hash, "size", (json_int_t)art->size,
                              "media_type", art->media_type);
        ac__respond_owned(u->x, 201, j);
    }
    free(u);
}

static void on_body(struct ac_http_exchange *x, const uint8_t *data, size_t len, int status,
                    void *arg)
{
    struct upload *u = arg;
    if (status == 0) {
        int err = ac__artifact_upload_write(u->up, data, len);
        if (err == 0)
            return;
        ac__artifact_upload_abort(u->up);
        ac__respond_error(x, err, "artifact");
        free(u);
        return;
    }
    if (status == 1) {
        struct ac_reason why = AC_REASON_INIT;
        int err = ac__artifact_upload_finish(u->up, on_stored, u, &why);
        if (err) {
            ac__respond_failure(x, err, &why, "artifact");
            ac_reason_release(&why);
            free(u);
        }
        return;
    }
    /* The body will not complete: nothing is recorded, and the file goes. */
    ac__artifact_upload_abort(u->up);
    if (status == AC_E2BIG)
        ac__problem(x, AC_PROBLEM_BODY_TOO_LARGE, "body", NULL,
                    "body: the artifact exceeds [limits] max_artifact_bytes (%" PRIu64
                    " bytes); nothing was stored",
                    (uint64_t)u->n->cfg->limits.max_stream_body_bytes);
    else if (status == AC_ETIMEDOUT)
        ac__problem(x, AC_PROBLEM_REQUEST_TIMEOUT, "body", NULL,
                    "body: no bytes arrived for %" PRIu64 " ms; nothing was stored",
                    u->n->cfg->limits.request_timeout_ms);
    else
        ac__respond_error(x, status, "artifact upload"); /* the stream is gone: dropped */
    free(u);
}

static void on_upload(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_EARNER | AC_ROLE_ADMIN))
        return;
    const struct ac_http_req *req = ac_http_exchange_req(x);
    const char *ct = ac_http_header(req, "content-type");
    if (!ct || strncmp(ct, "application/octet-stream", 24) != 0) {
        ac__problem(x, AC_PROBLEM_UNSUPPORTED_MEDIA_TYPE, "content-type", NULL,
                    "artifacts are uploaded as application/octet-stream, not %s",
                    ct ? ct : "(none)");
        return;
    }
    char want[AC_ARTIFACT_HASH_HEX + 8];
    int qerr = ac_http_query(req, "sha256", want, sizeof want);
    if (qerr != 0 && qerr != AC_ENOENT) {
        query_refused(x, req, "sha256", qerr, sizeof want - 1, "64 lowercase hex digits");
        return;
    }
    char mt[AC_SUB_NAME_MAX + 1] = "application/octet-stream";
    int merr = ac_http_query(req, "media_type", mt, sizeof mt);
    if (merr != 0 && merr != AC_ENOENT) {
        query_refused(x, req, "media_type", merr, sizeof mt - 1, "a media type");
        return;
    }
    struct upload *u = calloc(1, sizeof(*u));
    if (!u) {
        ac__respond_error(x, AC_ENOMEM, "artifact");
        return;
    }
    u->x = x;
    u->n = n;
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__artifact_upload_new(n, a.user.id, merr == 0 ? mt : NULL, qerr == 0 ? want : NULL,
                                      on_written, u, &u->up, &why);
    if (!err)
        err = ac_http_body_read(x, on_body, u);
    if (err) {
        ac__artifact_upload_abort(u->up);
        ac__respond_failure(x, err, &why, "artifact");
        ac_reason_release(&why);
        free(u);
    }
}

/* One download in progress: the piece read ahead of the answer, and then
 * each piece the server pulls, read on a worker. */
struct download {
    struct ac_http_exchange *x;
    struct ac__artifact_reader *r;
    struct ac_artifact art;
    const uint8_t *piece; /* the first piece, until the first pull takes it */
    size_t len;
    int eof, have;
};

static void download_free(struct download *d)
{
    ac__artifact_reader_free(d->r);
    free(d);
}

static void on_piece(void *arg, int err, const uint8_t *data, size_t len, int eof,
                     const struct ac_reason *why)
{
    (void)why;
    struct download *d = arg;
    /* The headers are out: a file found damaged now can only be cut off. */
    if (err) {
        ac_http_stream_abort(d->x);
        download_free(d);
        return;
    }
    if (ac_http_stream_write(d->x, data, len, eof) != 0 || eof)
        download_free(d);
}

static void on_pull(struct ac_http_exchange *x, void *arg)
{
    struct download *d = arg;
    if (d->have) {
        d->have = 0;
        if (ac_http_stream_write(x, d->piece, d->len, d->eof) != 0 || d->eof)
            download_free(d);
        return;
    }
    if (ac__artifact_reader_next(d->r, on_piece, d) != 0) {
        ac_http_stream_abort(x);
        download_free(d);
    }
}

static void on_first_piece(void *arg, int err, const uint8_t *data, size_t len, int eof,
                           const struct ac_reason *why)
{
    struct download *d = arg;
    struct ac_http_exchange *x = d->x;
    /* Still before the headers: a missing or damaged file is a 500, and an
     * artifact of one piece has been checked whole. */
    if (err) {
        char what[96];
        snprintf(what, sizeof what, "artifact %.64s", d->art.hash);
        ac__respond_failure(x, err, why, what);
        download_free(d);
        return;
    }
    d->piece = data;
    d->len = len;
    d->eof = eof;
    d->have = 1;
    /* Uploaded bytes are never rendered by a browser on the node's origin:
     * downloaded as a file, with no type sniffing. */
    char disposition[AC_ARTIFACT_HASH_HEX + 40];
    snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"", d->art.hash);
    struct ac_http_header h[] = {{"content-type", d->art.media_type},
                                 {"x-content-sha256", d->art.hash},
                                 {"content-disposition", disposition},
                                 {"x-content-type-options", "nosniff"}};
    /* On 0 the pulls own |d| (the first may have come and gone already). */
    if (ac_http_respond_stream(x, 200, h, 4, (uint64_t)d->art.size, on_pull, d) != 0)
        download_free(d);
}

/* The artifact's row and the reader's right to it are read on a reader
 * thread (node/readers.h): on PostgreSQL three round trips the loop would
 * wait for. The file itself is read on libuv's workers, as before. */
struct find_read {
    struct ac__read_job job; /* first */
    struct download *d;
    struct ac_node *n; /* borrowed; used only in done, on the loop */
    const struct ac_node_config *cfg;
    int64_t user;
    int admin;
    char *hash; /* owned copy of the path's; NULL when absent */
    int err;    /* filled on the thread */
};

/* Reader thread: touches only |f|, its download's |art| and |st|
 * (ac__artifact_find() takes the node only for its store). */
static void find_work(struct ac__read_job *job, struct ac_store *st)
{
    struct find_read *f = (struct find_read *)job;
    struct ac_node view = {.cfg = f->cfg, .store = st};
    f->err = ac__artifact_find(&view, f->user, f->admin, f->hash, &f->d->art);
}

static void find_done(struct ac__read_job *job, int status)
{
    struct find_read *f = (struct find_read *)job;
    struct download *d = f->d;
    int err = status ? AC_EIO : f->err; /* cancelled at shutdown */
    if (!err)
        err = ac__artifact_reader_new(f->n, &d->art, &d->r);
    if (!err && ac__artifact_reader_next(d->r, on_first_piece, d) != 0)
        err = AC_EIO;
    if (err) {
        char what[96];
        snprintf(what, sizeof what, "artifact %.64s", f->hash ? f->hash : "");
        ac__respond_error(d->x, err, what);
        download_free(d);
    }
    free(f->hash);
    free(f);
}

static void on_download(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a))
        return;
    const char *hash = ac_http_param(x, "hash");
    struct download *d = calloc(1, sizeof(*d));
    struct find_read *f = calloc(1, sizeof(*f));
    char *copy = hash ? strdup(hash) : NULL;
    if (!d || !f || (hash && !copy)) {
        free(d);
        free(f);
        free(copy);
        ac__respond_error(x, AC_ENOMEM, "artifact");
        return;
    }
    d->x = x;
    f->job.work = find_work;
    f->job.done = find_done;
    f->d = d;
    f->n = n;
    f->cfg = n->cfg;
    f->user = a.user.id;
    f->admin = (a.user.roles & AC_ROLE_ADMIN) != 0;
    f->hash = copy;
    ac__read_submit(n, &f->job);
}

void ac__api_artifacts_register(struct ac_node *n)
{
    if (ac_router_add_stream(n->router, "POST", "/v1/artifacts", on_upload, n) != 0)
        AC_BUG("route registration failed");
    ac__route(n, "GET", "/v1/artifacts/{hash}", on_download);
}
