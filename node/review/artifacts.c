/* artifacts.c - the artifacts service: content-addressed evidence (student
 * work, videos) stored under <data_dir>/artifacts/<2 hex>/<hash>. An upload
 * is written to artifacts/incoming/.<random>.tmp and hashed as it arrives,
 * then fsynced and renamed into place, all on libuv's worker threads; a
 * download is read and hashed piece by piece on a worker too, so a file that
 * no longer hashes to its name is caught while it is served. The loop thread
 * only moves pieces; the upload's row is a task of the request groups,
 * written on their fiber (below), and a download's rights are read on a
 * reader thread (node/http/api_artifacts.c).
 *
 * What a worker may touch: the upload or reader it was queued for (its fd,
 * paths, hash state and the buffer handed to it) and nothing else; the loop
 * does not touch those while the job is in flight (|busy|). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "accord/base/buf.h"
#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/store/artifact.h"
#include "review/review.h"

#define PATH_MAX_LEN 4200

static void hex(const uint8_t *in, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[in[i] >> 4];
        out[2 * i + 1] = d[in[i] & 15];
    }
    out[2 * n] = 0;
}

static void artifact_path(const char *data_dir, const char *hash, char *out, size_t size)
{
    snprintf(out, size, "%s/artifacts/%.2s/%s", data_dir, hash, hash);
}

/* Writes all |len| bytes of |data| to |fd|. Returns 0 or -errno. */
static int write_all(int fd, const uint8_t *data, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        off += (size_t)w;
    }
    return 0;
}

/* fsyncs directory |dir|, so a rename or mkdir in it survives a crash.
 * Returns 0 or -errno. */
static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) != 0 ? -errno : 0;
    close(fd);
    return rc;
}

/* Serialises the workers' mkdir of the artifact directories with the fsync
 * of their parent: a worker that finds a directory another one just made
 * waits until its entry is durable before it puts a file under it. */
static pthread_mutex_t dir_lock = PTHREAD_MUTEX_INITIALIZER;

/* Worker: makes directory |dir| in |parent| unless it exists, and then makes
 * its entry durable. Returns 0 or -errno. */
static int make_dir(const char *parent, const char *dir)
{
    pthread_mutex_lock(&dir_lock);
    int rc = mkdir(dir, 0700) == 0 ? sync_dir(parent) : errno == EEXIST ? 0 : -errno;
    pthread_mutex_unlock(&dir_lock);
    return rc;
}

/* RFC 6838 section 4.2: type "/" subtype, each a restricted-name of 1-127
 * characters starting with a letter or digit. No parameters, whitespace or
 * control bytes: the value is served back as a content-type header. */
static int media_type_ok(const char *mt)
{
    static const char extra[] = "!#$&-^_.+";
    const char *slash = strchr(mt, '/');
    if (!slash || strchr(slash + 1, '/'))
        return 0;
    const char *parts[2] = {mt, slash + 1};
    size_t lens[2] = {(size_t)(slash - mt), strlen(slash + 1)};
    for (int p = 0; p < 2; p++) {
        if (lens[p] < 1 || lens[p] > 127 || !isalnum((unsigned char)parts[p][0]))
            return 0;
        for (size_t i = 0; i < lens[p]; i++) {
            unsigned char c = (unsigned char)parts[p][i];
            if (!isalnum(c) && !strchr(extra, c))
                return 0;
        }
    }
    return 1;
}

/* ---- uploads ---- */

enum job { JOB_WRITE, JOB_FINISH, JOB_ABORT, JOB_DISCARD, JOB_RELEASE };

struct ac__artifact_upload {
    uv_work_t req; /* req.data is the upload */
    struct ac_node *n;
    int64_t uploader;
    char media_type[AC_SUB_NAME_MAX + 1];
    char want[AC_ARTIFACT_HASH_HEX + 1]; /* "" when the uploader stated none */
    ac__artifact_written_cb written;
    void *arg;
    ac__artifact_stored_cb done;
    void *done_arg;
    char tmp[PATH_MAX_LEN]; /* the temporary file, once a worker created it */
    int fd;                 /* -1 until then */
    crypto_hash_sha256_state sha;
    uint64_t size;       /* bytes queued so far */
    struct ac_buf queue; /* loop side: bytes waiting for the next write job */
    struct ac_buf work;  /* worker side: the bytes of the job in flight */
    enum job job;
    /* The first failure, -errno or AC_E*: |err| is the loop's (a worker only
     * reads it, while the loop leaves it alone: |busy|); a worker sets
     * |werr|, which on_upload_done() copies into |err| on the loop. */
    int err;
    int werr;
    char hash[AC_ARTIFACT_HASH_HEX + 1];           /* the bytes' SHA-256, once finished */
    unsigned busy : 1, finishing : 1, aborted : 1; /* loop side */
    /* Set by the finishing worker, not bit-fields: the loop reads another
     * upload's |busy| while its worker runs. */
    unsigned char mismatch; /* the bytes did not hash to |want| */
    /* Nothing had the name before the rename (so no earlier row can own the
     * file), and the file's identity, so that only this very file is ever
     * removed again. */
    unsigned char fresh;
    dev_t dev;
    ino_t ino;
    /* An fd on the file renamed into place, held until its row is done, so
     * that its inode cannot be freed and reused by another upload's file
     * while |dev| and |ino| may still decide a removal. -1 when none. */
    int placed;
    /* Loop side, while finishing and recording (|recording|): */
    unsigned recording : 1, owned : 1;
    struct ac__artifact_upload *rec_next;
    int64_t created_ms;
    struct ac_artifact out; /* the uploader's own row, for the answer */
};

/* Serialises, across the workers of every upload, what puts a name in place
 * or takes it away: a rename into artifacts/<xx>/<hash> (with the look at
 * what had the name before) and a failed upload's removal of its file (with
 * the look that the name is still its file). */
static pthread_mutex_t place_lock = PTHREAD_MUTEX_INITIALIZER;

/* Worker: creates the temporary file. A random name, so concurrent uploads of
 * the same bytes never share a file; ".tmp" under a subdirectory of
 * artifacts/, which the node removes at start (node/datadir.c). */
static int open_tmp(struct ac__artifact_upload *up)
{
    const char *dd = up->n->cfg->data_dir;
    char dir[PATH_MAX_LEN - 64];
    snprintf(dir, sizeof dir, "%s/artifacts", dd);
    int rc = make_dir(dd, dir);
    if (rc)
        return rc;
    /* Temporary files only, removed at start: its own entry need not last. */
    snprintf(dir, sizeof dir, "%s/artifacts/incoming", dd);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return -errno;
    uint8_t rnd[16];
    char name[33];
    randombytes_buf(rnd, sizeof rnd);
    hex(rnd, sizeof rnd, name);
    snprintf(up->tmp, sizeof up->tmp, "%s/.%s.tmp", dir, name);
    up->fd = open(up->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (up->fd < 0) {
        up->tmp[0] = 0;
        return -errno;
    }
    return 0;
}

/* Worker: fsyncs the file, names it by its hash and renames it into place. */
static int finish_file(struct ac__artifact_upload *up)
{
    uint8_t digest[32];
    crypto_hash_sha256_final(&up->sha, digest);
    hex(digest, sizeof digest, up->hash);
    int fd = up->fd;
    up->fd = -1;
    struct stat sb;
    if (fsync(fd) != 0 || fstat(fd, &sb) != 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    up->dev = sb.st_dev;
    up->ino = sb.st_ino;
    /* The uploader may state the hash it expects: a mismatch means the
     * bytes were damaged on the way, and nothing is stored. */
    if (up->want[0] && strcmp(up->want, up->hash) != 0) {
        up->mismatch = 1;
        close(fd);
        return AC_EINVAL;
    }
    const char *dd = up->n->cfg->data_dir;
    char top[PATH_MAX_LEN], dir[PATH_MAX_LEN], dst[PATH_MAX_LEN];
    snprintf(top, sizeof top, "%s/artifacts", dd);
    snprintf(dir, sizeof dir, "%s/artifacts/%.2s", dd, up->hash);
    int rc = make_dir(top, dir);
    if (rc) {
        close(fd);
        return rc;
    }
    artifact_path(dd, up->hash, dst, sizeof dst);
    pthread_mutex_lock(&place_lock);
    up->fresh = lstat(dst, &sb) != 0 && errno == ENOENT;
    rc = rename(up->tmp, dst) != 0 ? -errno : 0;
    pthread_mutex_unlock(&place_lock);
    if (rc) {
        close(fd);
        return rc;
    }
    up->tmp[0] = 0;
    up->placed = fd;
    /* Not durable in place, so no row may name it: record() treats the file
     * as one whose row failed (row_done()), which removes it if it may. */
    return sync_dir(dir);
}

static void remove_tmp(struct ac__artifact_upload *up);

/* Worker (or the loop once nothing else can): closes the fd on the file in
 * place. On a worker because it may be the last link to the inode (another
 * upload's file renamed over it), and freeing a large file takes a while. */
static void release_placed(struct ac__artifact_upload *up)
{
    if (up->placed >= 0) {
        close(up->placed);
        up->placed = -1;
    }
}

/* Worker: a failed row's file goes, if the name is still this very file
 * (another upload of the same bytes may have renamed its own over it; the
 * inode is this file's while |placed| holds it open, so it is no other
 * upload's file either). */
static void discard_file(struct ac__artifact_upload *up)
{
    char path[PATH_MAX_LEN];
    artifact_path(up->n->cfg->data_dir, up->hash, path, sizeof path);
    struct stat sb;
    pthread_mutex_lock(&place_lock);
    if (lstat(path, &sb) == 0 && sb.st_dev == up->dev && sb.st_ino == up->ino)
        unlink(path);
    pthread_mutex_unlock(&place_lock);
}

static void on_upload_work(uv_work_t *req)
{
    struct ac__artifact_upload *up = req->data;
    switch (up->job) {
    case JOB_WRITE:
        if (up->err)
            break;
        if (up->fd < 0)
            up->werr = open_tmp(up);
        if (!up->werr)
            up->werr = write_all(up->fd, up->work.data, up->work.len);
        if (!up->werr)
            crypto_hash_sha256_update(&up->sha, up->work.data, up->work.len);
        break;
    case JOB_FINISH:
        if (!up->err)
            up->werr = up->fd < 0 ? AC_EIO : finish_file(up);
        remove_tmp(up); /* whatever did not end in place */
        break;
    case JOB_ABORT:
        remove_tmp(up);
        break;
    case JOB_DISCARD:
        discard_file(up);
        release_placed(up);
        break;
    case JOB_RELEASE:
        release_placed(up);
        break;
    }
}

/* Worker: closes and removes the temporary file, if there is one. */
static void remove_tmp(struct ac__artifact_upload *up)
{
    if (up->fd >= 0) {
        close(up->fd);
        up->fd = -1;
    }
    if (up->tmp[0]) {
        unlink(up->tmp);
        up->tmp[0] = 0;
    }
}

/* Uploads of this process from the queueing of their JOB_FINISH to their
 * answer, on the loop only: a failed row removes its file only when no other
 * upload of the same bytes may have renamed it into place or be recording
 * it. */
static struct ac__artifact_upload *recording;

static void recording_add(struct ac__artifact_upload *up)
{
    up->rec_next = recording;
    recording = up;
    up->recording = 1;
}

static void recording_remove(struct ac__artifact_upload *up)
{
    if (!up->recording)
        return;
    for (struct ac__artifact_upload **pp = &recording; *pp; pp = &(*pp)->rec_next)
        if (*pp == up) {
            *pp = up->rec_next;
            break;
        }
    up->recording = 0;
}

static void upload_free(struct ac__artifact_upload *up)
{
    recording_remove(up);
    release_placed(up); /* only if no worker could be queued for it */
    ac_buf_release(&up->queue);
    ac_buf_release(&up->work);
    free(up);
}

static void on_upload_done(uv_work_t *req, int status);

/* Starts job |job|. Returns 0 or a libuv error. */
static int queue_job(struct ac__artifact_upload *up, enum job job)
{
    up->job = job;
    int rc = uv_queue_work(up->n->loop, &up->req, on_upload_work, on_upload_done);
    if (rc == 0)
        up->busy = 1;
    if (rc == 0 && job == JOB_FINISH)
        recording_add(up);
    return rc;
}

/* Hands the queued bytes to a write job. */
static int queue_write(struct ac__artifact_upload *up)
{
    struct ac_buf t = up->work;
    up->work = up->queue;
    up->queue = t;
    up->queue.len = 0;
    return queue_job(up, JOB_WRITE);
}

/* ---- the row ----
 *
 * The row is written as a task of the request groups (ac__reqtx_task(),
 * node/http/reqtx.c): on the write handlers' fiber, in the group's
 * transaction, so on PostgreSQL the loop waits on none of its round trips
 * and it joins the open group instead of closing it. The file is already
 * durable in place when the task is queued. */

/* Another upload on |up|'s node may be of the same bytes: one whose finish
 * is on a worker (its hash not known here yet), or one of the same hash
 * recording its row. */
static int recording_other(const struct ac__artifact_upload *up)
{
    for (const struct ac__artifact_upload *o = recording; o; o = o->rec_next)
        if (o != up && o->n == up->n && (o->busy || strcmp(o->hash, up->hash) == 0))
            return 1;
    return 0;
}

/* |up|'s row committed: the other uploads of its bytes under way must not
 * remove the file if theirs fail. */
static void recording_owned(const struct ac__artifact_upload *up)
{
    for (struct ac__artifact_upload *o = recording; o; o = o->rec_next)
        if (o != up && o->n == up->n && !o->busy && strcmp(o->hash, up->hash) == 0)
            o->owned = 1;
}

/* Fiber (a task's run): records the upload and reads back the uploader's
 * own row for the answer. A transaction body: it touches only the store
 * and |up|'s |out|, which a re-run fills again. */
static int row_run(void *arg)
{
    struct ac__artifact_upload *up = arg;
    struct ac_store *st = up->n->store;
    struct ac_artifact art = {
        .size = (int64_t)up->size, .uploader_id = up->uploader, .created_ms = up->created_ms};
    snprintf(art.hash, sizeof art.hash, "%s", up->hash);
    snprintf(art.media_type, sizeof art.media_type, "%s", up->media_type);
    int err = ac_store_artifact_put(st, &art);
    /* The answer describes this uploader's upload only, so it cannot tell
     * whether somebody uploaded the same bytes before. */
    if (!err)
        err = ac_store_artifact_get_upload(st, up->hash, up->uploader, &up->out);
    return err;
}

static void answer(struct ac__artifact_upload *up, int err, struct ac_reason *why)
{
    up->done(up->done_arg, err, &up->out, why);
    ac_reason_release(why);
}

/* Loop: the task's group committed (0) or the row failed. A file whose row
 * was not written is removed again (on a worker), unless a row of the same
 * bytes may own it: its file was there before this upload's (|fresh| unset),
 * its row committed meanwhile (|owned|), its COMMIT is unconfirmed
 * (AC_EUNKNOWN), or another upload of them is under way. */
static void row_done(void *arg, int err)
{
    struct ac__artifact_upload *up = arg;
    struct ac_reason why = AC_REASON_INIT;
    recording_remove(up);
    if (!err)
        recording_owned(up);
    if (err == AC_ECANCELED)
        ac_reason_fail(&why, err, AC_PROBLEM_STORAGE_UNAVAILABLE, NULL,
                       "the node is stopping; the artifact was not stored: send it again");
    else if (err == AC_EAGAIN)
        ac_reason_fail(&why, err, AC_PROBLEM_BUSY, NULL,
                       "the artifact's row lost a race with concurrent writes; send it again");
    if (err)
        ac_log_error("artifacts", "upload of %.16s... by user %" PRId64 ": row not written: %s",
                     up->hash, up->uploader, ac_strerror(err));
    answer(up, err, &why);
    if (up->placed >= 0) {
        int discard = err && up->fresh && !up->owned && err != AC_EUNKNOWN && !recording_other(up);
        if (queue_job(up, discard ? JOB_DISCARD : JOB_RELEASE) == 0)
            return; /* on_upload_done frees it */
    }
    upload_free(up);
}

/* Loop: the file is in place (or failed): records it and tells the caller;
 * frees |up| once done. */
static void record(struct ac__artifact_upload *up)
{
    struct ac_reason why = AC_REASON_INIT;
    int err = up->err;
    if (up->mismatch) {
        err = ac_reason_fail(&why, AC_EINVAL, AC_PROBLEM_HASH_MISMATCH, "sha256",
                             "sha256: the body hashes to %s, not %s; nothing was stored", up->hash,
                             up->want);
    } else if (err && up->placed >= 0) {
        /* In place but not durable there: handled as a failed row. */
        ac_log_error("artifacts", "upload of %.16s... by user %" PRId64 ": cannot sync it: %s",
                     up->hash, up->uploader, strerror(-err));
        row_done(up, AC_EIO);
        return;
    } else if (err) {
        ac_log_error("artifacts", "upload by user %" PRId64 ": cannot store: %s", up->uploader,
                     strerror(-err));
        err = AC_EIO;
    } else {
        up->created_ms = ac_clock_now_ms();
        err = ac__reqtx_task(up->n, "artifact upload", row_run, row_done, up);
        if (err)
            row_done(up, err); /* the task never ran */
        return;
    }
    recording_remove(up);
    answer(up, err, &why);
    upload_free(up);
}

static void on_upload_done(uv_work_t *req, int status)
{
    (void)status; /* work is never cancelled: uv_cancel is not used */
    struct ac__artifact_upload *up = req->data;
    up->busy = 0;
    if (up->werr && !up->err)
        up->err = up->werr;
    up->werr = 0;
    enum job job = up->job;
    if (job == JOB_ABORT || job == JOB_DISCARD || job == JOB_RELEASE) {
        upload_free(up);
        return;
    }
    if (job == JOB_FINISH) {
        record(up); /* frees |up| once answered */
        return;
    }
    size_t n = up->work.len;
    up->work.len = 0;
    if (up->aborted) {
        if (queue_job(up, JOB_ABORT) != 0)
            upload_free(up); /* cannot happen with a live loop; the file is left for start */
        return;
    }
    int rc = 0;
    if (up->queue.len)
        rc = queue_write(up);
    else if (up->finishing)
        rc = queue_job(up, JOB_FINISH);
    if (rc && !up->err)
        up->err = rc;
    if (rc && up->finishing) {
        /* Nothing is queued: finish on the loop with the error. */
        record(up);
        return;
    }
    /* Told last: the caller may write more or finish from inside. */
    if (up->written)
        up->written(up->arg, n);
}

int ac__artifact_upload_new(struct ac_node *n, int64_t uploader, const char *media_type,
                            const char *want_sha256, ac__artifact_written_cb written, void *arg,
                            struct ac__artifact_upload **out, struct ac_reason *why)
{
    if (media_type && !media_type_ok(media_type))
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "media_type",
                              "media_type: \"%.80s\" is not a media type; it must be type/subtype "
                              "of letters, digits and !#$&-^_.+ (RFC 6838), without parameters",
                              media_type);
    struct ac__artifact_upload *up = calloc(1, sizeof(*up));
    if (!up)
        return AC_ENOMEM;
    up->req.data = up;
    up->n = n;
    up->uploader = uploader;
    up->fd = -1;
    up->placed = -1;
    snprintf(up->media_type, sizeof up->media_type, "%s",
             media_type ? media_type : "application/octet-stream");
    snprintf(up->want, sizeof up->want, "%s", want_sha256 ? want_sha256 : "");
    up->written = written;
    up->arg = arg;
    ac_buf_init(&up->queue);
    ac_buf_init(&up->work);
    crypto_hash_sha256_init(&up->sha);
    *out = up;
    return 0;
}

int ac__artifact_upload_write(struct ac__artifact_upload *up, const uint8_t *data, size_t len)
{
    if (up->err)
        return up->err == AC_ENOMEM ? AC_ENOMEM : AC_EIO;
    if (len == 0)
        return 0;
    if (ac_buf_append(&up->queue, data, len))
        return AC_ENOMEM;
    up->size += len;
    if (!up->busy) {
        int rc = queue_write(up);
        if (rc)
            return up->err = rc;
    }
    return 0;
}

int ac__artifact_upload_finish(struct ac__artifact_upload *up, ac__artifact_stored_cb done,
                               void *arg, struct ac_reason *why)
{
    if (up->size == 0) {
        /* No byte was queued, so no job ever ran and nothing is on disk. */
        upload_free(up);
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "body",
                              "body: an artifact cannot be empty");
    }
    up->done = done;
    up->done_arg = arg;
    up->finishing = 1;
    up->written = NULL; /* the caller has no more use for it */
    if (up->busy)
        return 0; /* on_upload_done goes on from here */
    int rc = up->queue.len ? queue_write(up) : queue_job(up, JOB_FINISH);
    if (rc) {
        /* The callback must not fire from inside this call; the file (if
         * any) is left for the next start to remove. */
        up->finishing = 0;
        up->aborted = 1;
        ac__artifact_upload_abort(up);
        return rc;
    }
    return 0;
}

void ac__artifact_upload_abort(struct ac__artifact_upload *up)
{
    if (!up)
        return;
    up->aborted = 1;
    up->written = NULL;
    if (up->busy)
        return; /* on_upload_done removes the file once the job is back */
    if (up->fd < 0 && !up->tmp[0]) {
        upload_free(up);
        return;
    }
    if (queue_job(up, JOB_ABORT) != 0)
        upload_free(up);
}

/* ---- downloads ---- */

int ac__artifact_find(struct ac_node *n, int64_t user, int admin, const char *hash,
                      struct ac_artifact *art)
{
    int allowed = admin;
    int err = hash ? ac_store_artifact_get(n->store, hash, art) : AC_ENOENT;
    if (!err && !admin)
        err = ac_store_artifact_may_read(n->store, hash, user, &allowed);
    /* No live right reads the same as no such artifact. */
    if (!err && !allowed)
        err = AC_ENOENT;
    if (!err)
        err = ac_store_artifact_media_type_for(n->store, hash, user, art->media_type,
                                               sizeof art->media_type);
    return err;
}

struct ac__artifact_reader {
    uv_work_t req; /* req.data is the reader */
    struct ac_node *n;
    struct ac_artifact art;
    int fd; /* -1 until the first read opens it */
    crypto_hash_sha256_state sha;
    uint64_t off;
    uint8_t *buf; /* AC__ARTIFACT_PIECE bytes */
    size_t len;   /* of the last piece */
    int err;      /* set by the worker: 0, or AC_EIO with |what| */
    char what[96];
    ac__artifact_piece_cb cb;
    void *arg;
};

int ac__artifact_reader_new(struct ac_node *n, const struct ac_artifact *art,
                            struct ac__artifact_reader **out)
{
    struct ac__artifact_reader *r = calloc(1, sizeof(*r));
    uint8_t *buf = malloc(AC__ARTIFACT_PIECE);
    if (!r || !buf) {
        free(r);
        free(buf);
        return AC_ENOMEM;
    }
    r->req.data = r;
    r->n = n;
    r->art = *art;
    r->fd = -1;
    r->buf = buf;
    crypto_hash_sha256_init(&r->sha);
    *out = r;
    return 0;
}

void ac__artifact_reader_free(struct ac__artifact_reader *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    free(r->buf);
    free(r);
}

/* Worker: reads the next piece into |r->buf| and hashes it; at the end,
 * checks the whole. */
static void on_read_work(uv_work_t *req)
{
    struct ac__artifact_reader *r = req->data;
    uint64_t size = (uint64_t)r->art.size;
    r->len = 0;
    if (r->fd < 0) {
        char path[PATH_MAX_LEN];
        artifact_path(r->n->cfg->data_dir, r->art.hash, path, sizeof path);
        r->fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat sb;
        if (r->fd < 0 || fstat(r->fd, &sb) != 0) {
            snprintf(r->what, sizeof r->what, "cannot open it: %s", strerror(errno));
            r->err = AC_EIO;
            return;
        }
        if ((uint64_t)sb.st_size != size) {
            snprintf(r->what, sizeof r->what, "it is %jd bytes, not %" PRIu64, (intmax_t)sb.st_size,
                     size);
            r->err = AC_EIO;
            return;
        }
    }
    size_t want = size - r->off < AC__ARTIFACT_PIECE ? (size_t)(size - r->off) : AC__ARTIFACT_PIECE;
    while (r->len < want) {
        ssize_t got = pread(r->fd, r->buf + r->len, want - r->len, (off_t)(r->off + r->len));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            snprintf(r->what, sizeof r->what, "reading at %" PRIu64 ": %s", r->off + r->len,
                     got < 0 ? strerror(errno) : "unexpected end of file");
            r->err = AC_EIO;
            return;
        }
        r->len += (size_t)got;
    }
    crypto_hash_sha256_update(&r->sha, r->buf, r->len);
    r->off += r->len;
    if (r->off == size) {
        uint8_t digest[32];
        char actual[AC_ARTIFACT_HASH_HEX + 1];
        crypto_hash_sha256_final(&r->sha, digest);
        hex(digest, sizeof digest, actual);
        if (strcmp(actual, r->art.hash) != 0) {
            snprintf(r->what, sizeof r->what, "its bytes hash to %.16s...", actual);
            r->err = AC_EIO;
        }
    }
}

static void on_read_done(uv_work_t *req, int status)
{
    (void)status;
    struct ac__artifact_reader *r = req->data;
    struct ac_reason why = AC_REASON_INIT;
    if (r->err) {
        ac_log_error("artifacts", "artifact %s fails its check on read: %s", r->art.hash, r->what);
        ac_reason_fail(&why, AC_EIO, AC_PROBLEM_ARTIFACT_CORRUPT, NULL,
                       "artifact %s failed its hash check on read; it is not served", r->art.hash);
        r->cb(r->arg, AC_EIO, NULL, 0, 1, &why);
    } else {
        r->cb(r->arg, 0, r->buf, r->len, r->off == (uint64_t)r->art.size, &why);
    }
    ac_reason_release(&why);
}

int ac__artifact_reader_next(struct ac__artifact_reader *r, ac__artifact_piece_cb cb, void *arg)
{
    r->cb = cb;
    r->arg = arg;
    return uv_queue_work(r->n->loop, &r->req, on_read_work, on_read_done);
}
