/* api_artifacts.c - content-addressed artifacts (student work, videos):
 * uploaded as a raw application/octet-stream body (the HTTP layer caps it at
 * [limits] max_body_bytes), stored under <data_dir>/artifacts/<2 hex>/<hash>
 * by writing a temporary file, fsyncing and renaming it, and served only to
 * users with a live right after re-checking the hash, so a corrupted file is
 * never served. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "review/review.h"

static void hex(const uint8_t *in, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[in[i] >> 4];
        out[2 * i + 1] = d[in[i] & 15];
    }
    out[2 * n] = 0;
}

static void artifact_path(const struct ac_node *n, const char *hash, char *out, size_t size)
{
    snprintf(out, size, "%s/artifacts/%.2s/%s", n->cfg->data_dir, hash, hash);
}

static int write_durably(const struct ac_node *n, const char *hash, const uint8_t *data, size_t len)
{
    char dir[4096], tmp[4200], dst[4200];
    snprintf(dir, sizeof dir, "%s/artifacts", n->cfg->data_dir);
    mkdir(dir, 0700);
    snprintf(dir, sizeof dir, "%s/artifacts/%.2s", n->cfg->data_dir, hash);
    mkdir(dir, 0700);
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, hash);
    artifact_path(n, hash, dst, sizeof dst);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            int e = -errno;
            close(fd);
            unlink(tmp);
            return e;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, dst) != 0) {
        int e = -errno;
        unlink(tmp);
        return e;
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    return 0;
}

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
    if (req->body_len == 0) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "body", NULL, "body: an artifact cannot be empty");
        return;
    }
    uint8_t digest[32];
    char hash[AC_ARTIFACT_HASH_HEX + 1], want[AC_ARTIFACT_HASH_HEX + 8];
    crypto_hash_sha256(digest, req->body, req->body_len);
    hex(digest, sizeof digest, hash);
    /* The uploader may state the hash it expects: a mismatch means the
     * bytes were damaged on the way, and nothing is stored. */
    int qerr = ac_http_query(req, "sha256", want, sizeof want);
    if (qerr != 0 && qerr != AC_ENOENT) {
        query_refused(x, req, "sha256", qerr, sizeof want - 1, "64 lowercase hex digits");
        return;
    }
    if (qerr == 0 && strcmp(want, hash) != 0) {
        ac__problem(x, AC_PROBLEM_HASH_MISMATCH, "sha256", NULL,
                    "sha256: the body hashes to %s, not %s; nothing was stored", hash, want);
        return;
    }
    char mt[AC_SUB_NAME_MAX + 1] = "application/octet-stream";
    qerr = ac_http_query(req, "media_type", mt, sizeof mt);
    if (qerr != 0 && qerr != AC_ENOENT) {
        query_refused(x, req, "media_type", qerr, sizeof mt - 1, "a media type");
        return;
    }
    if (qerr == AC_ENOENT)
        snprintf(mt, sizeof mt, "application/octet-stream");
    /* A file whose row cannot be written is removed again, unless an earlier
     * upload of the same bytes already owns it. */
    struct ac_artifact prior;
    int existed = ac_store_artifact_get(n->store, hash, &prior) == 0;
    int err = write_durably(n, hash, req->body, req->body_len);
    if (err) {
        ac_log_error("artifacts", "%s: cannot store: %s", hash, strerror(-err));
        ac__respond_error(x, AC_EIO, "artifact");
        return;
    }
    struct ac_artifact art = {
        .size = (int64_t)req->body_len, .uploader_id = a.user.id, .created_ms = ac_clock_now_ms()};
    snprintf(art.hash, sizeof art.hash, "%s", hash);
    snprintf(art.media_type, sizeof art.media_type, "%s", mt);
    err = ac_store_artifact_put(n->store, &art);
    if (err && !existed) {
        char path[4200];
        artifact_path(n, hash, path, sizeof path);
        unlink(path);
    }
    if (!err)
        err = ac_store_artifact_get(n->store, hash, &art);
    if (err) {
        ac__respond_error(x, err, "artifact");
        return;
    }
    json_t *j = json_pack("{s:s, s:I, s:s}", "sha256", art.hash, "size", (json_int_t)art.size,
                          "media_type", art.media_type);
    ac_http_respond_json(x, 201, j);
    json_decref(j);
}

static void on_download(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a))
        return;
    const char *hash = ac_http_param(x, "hash");
    struct ac_artifact art;
    int allowed = 0;
    int err = hash ? ac_store_artifact_get(n->store, hash, &art) : AC_ENOENT;
    if (!err && !(a.user.roles & AC_ROLE_ADMIN))
        err = ac_store_artifact_may_read(n->store, hash, a.user.id, &allowed);
    else
        allowed = 1;
    /* No live right reads the same as no such artifact. */
    if (!err && !allowed)
        err = AC_ENOENT;
    char what[96];
    snprintf(what, sizeof what, "artifact %.64s", hash ? hash : "");
    if (err) {
        ac__respond_error(x, err, what);
        return;
    }
    char path[4200];
    artifact_path(n, art.hash, path, sizeof path);
    FILE *f = fopen(path, "rb");
    uint8_t *data = malloc((size_t)art.size + 1);
    size_t got = f && data ? fread(data, 1, (size_t)art.size + 1, f) : 0;
    if (f)
        fclose(f);
    uint8_t digest[32];
    char actual[AC_ARTIFACT_HASH_HEX + 1] = "";
    if (data) {
        crypto_hash_sha256(digest, data, got);
        hex(digest, sizeof digest, actual);
    }
    if (!data || got != (size_t)art.size || strcmp(actual, art.hash) != 0) {
        ac_log_error("artifacts", "%s: stored bytes fail the hash check (%zu bytes read)", path,
                     got);
        ac__problem(x, AC_PROBLEM_ARTIFACT_CORRUPT, NULL, NULL,
                    "artifact %s failed its hash check on read; it is not served", art.hash);
        free(data);
        return;
    }
    struct ac_http_header h[] = {{"content-type", art.media_type}, {"x-content-sha256", art.hash}};
    ac_http_respond(x, 200, h, 2, data, got);
    free(data);
}

void ac__api_artifacts_register(struct ac_node *n)
{
    ac__route(n, "POST", "/v1/artifacts", on_upload);
    ac__route(n, "GET", "/v1/artifacts/{hash}", on_download);
}
