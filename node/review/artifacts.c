/* artifacts.c - the artifacts service: content-addressed evidence (student
 * work, videos) stored under <data_dir>/artifacts/<2 hex>/<hash> by writing a
 * temporary file, fsyncing and renaming it, and read back only by users with
 * a live right after re-checking the hash, so a corrupted file is never
 * served. */
#include <ctype.h>
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
#include "accord/store/artifact.h"
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

int ac__artifact_store(struct ac_node *n, int64_t uploader, const uint8_t *data, size_t len,
                       const char *media_type, const char *want_sha256, struct ac_artifact *out,
                       struct ac_reason *why)
{
    if (len == 0)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "body",
                              "body: an artifact cannot be empty");
    if (media_type && !media_type_ok(media_type))
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "media_type",
                              "media_type: \"%.80s\" is not a media type; it must be type/subtype "
                              "of letters, digits and !#$&-^_.+ (RFC 6838), without parameters",
                              media_type);
    uint8_t digest[32];
    char hash[AC_ARTIFACT_HASH_HEX + 1];
    crypto_hash_sha256(digest, data, len);
    hex(digest, sizeof digest, hash);
    /* The uploader may state the hash it expects: a mismatch means the
     * bytes were damaged on the way, and nothing is stored. */
    if (want_sha256 && strcmp(want_sha256, hash) != 0)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_HASH_MISMATCH, "sha256",
                              "sha256: the body hashes to %s, not %s; nothing was stored", hash,
                              want_sha256);
    /* A file whose row cannot be written is removed again, unless an earlier
     * upload of the same bytes already owns it. */
    struct ac_artifact prior;
    int existed = ac_store_artifact_get(n->store, hash, &prior) == 0;
    int err = write_durably(n, hash, data, len);
    if (err) {
        ac_log_error("artifacts", "%s: cannot store: %s", hash, strerror(-err));
        return AC_EIO;
    }
    struct ac_artifact art = {
        .size = (int64_t)len, .uploader_id = uploader, .created_ms = ac_clock_now_ms()};
    snprintf(art.hash, sizeof art.hash, "%s", hash);
    snprintf(art.media_type, sizeof art.media_type, "%s",
             media_type ? media_type : "application/octet-stream");
    err = ac_store_tx_begin(n->store);
    if (!err)
        err = ac__scheduler_commit(n, ac_store_artifact_put(n->store, &art));
    if (err && !existed) {
        char path[4200];
        artifact_path(n, hash, path, sizeof path);
        unlink(path);
    }
    /* The answer describes this uploader's upload only, so it cannot tell
     * whether somebody uploaded the same bytes before. */
    if (!err)
        err = ac_store_artifact_get_upload(n->store, hash, uploader, out);
    return err;
}

int ac__artifact_read(struct ac_node *n, int64_t user, int admin, const char *hash,
                      struct ac_artifact *art, uint8_t **data, size_t *len, struct ac_reason *why)
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
    if (err)
        return err;
    char path[4200];
    artifact_path(n, art->hash, path, sizeof path);
    FILE *f = fopen(path, "rb");
    uint8_t *buf = malloc((size_t)art->size + 1);
    size_t got = f && buf ? fread(buf, 1, (size_t)art->size + 1, f) : 0;
    if (f)
        fclose(f);
    uint8_t digest[32];
    char actual[AC_ARTIFACT_HASH_HEX + 1] = "";
    if (buf) {
        crypto_hash_sha256(digest, buf, got);
        hex(digest, sizeof digest, actual);
    }
    if (!buf || got != (size_t)art->size || strcmp(actual, art->hash) != 0) {
        ac_log_error("artifacts", "%s: stored bytes fail the hash check (%zu bytes read)", path,
                     got);
        free(buf);
        return ac_reason_fail(why, AC_EIO, AC_PROBLEM_ARTIFACT_CORRUPT, NULL,
                              "artifact %s failed its hash check on read; it is not served",
                              art->hash);
    }
    *data = buf;
    *len = got;
    return 0;
}
