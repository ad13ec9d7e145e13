/* test_artifacts.c - tests node/review/artifacts.c without HTTP: bytes written
 * in chunks on worker threads are stored under their SHA-256 and read back in
 * pieces by their uploader; a stated hash that does not match stores nothing;
 * an abandoned upload leaves no file; someone without a right finds nothing;
 * bytes damaged on disk are refused as corrupt, never served whole; a file
 * that cannot be made is refused; a stored upload keeps no descriptor open.
 * An upload's row is a task of the request layer (node/http/reqtx.c):
 * without its writer thread it runs at once, as the upload finishes. */
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "review_fixture.h"
#include "accord/base/buf.h"
#include "accord/net/router.h"
#include "accord/store/artifact.h"

/* SHA-256("hello"), from `printf hello | sha256sum`. */
#define SHA256_HELLO "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
/* SHA-256("world"), from `printf world | sha256sum`. */
#define SHA256_WORLD "486ea46224d1bb4fb680f34f7c9ad96a8f24ec88be73ea8e5a6c65260e9cb8a7"

struct stored {
    int called, err;
    struct ac_artifact art;
    enum ac_problem problem;
    char field[128];
};

static void on_stored(void *arg, int err, const struct ac_artifact *art,
                      const struct ac_reason *why)
{
    struct stored *r = arg;
    r->called++;
    r->err = err;
    r->art = *art;
    r->problem = why->problem;
    snprintf(r->field, sizeof r->field, "%s", why->field);
}

static size_t written_total;

static void on_written(void *arg, size_t n)
{
    (void)arg;
    written_total += n;
}

/* Uploads |len| bytes of |data| in two chunks as |user| and runs the loop
 * until the service answers. Returns the service's code. */
static int upload(int64_t user, const void *data, size_t len, const char *mt, const char *want,
                  struct stored *r)
{
    struct ac__artifact_upload *up;
    struct ac_reason why = AC_REASON_INIT;
    memset(r, 0, sizeof *r);
    int err = ac__artifact_upload_new(&fx.nf.node, user, mt, want, on_written, NULL, &up, &why);
    if (!err)
        err = ac__artifact_upload_write(up, data, len / 2);
    /* The first chunk reaches the file before the second is given. */
    uv_run(&fx.nf.loop, UV_RUN_DEFAULT);
    if (!err)
        err = ac__artifact_upload_write(up, (const uint8_t *)data + len / 2, len - len / 2);
    if (!err)
        err = ac__artifact_upload_finish(up, on_stored, r, &why);
    if (err) {
        r->err = err;
        r->problem = why.problem;
        snprintf(r->field, sizeof r->field, "%s", why.field);
        ac_reason_release(&why);
        return err;
    }
    uv_run(&fx.nf.loop, UV_RUN_DEFAULT);
    assert_int_equal(1, r->called);
    return r->err;
}

struct readback {
    struct ac_buf got;
    int err, eof, pieces;
    enum ac_problem problem;
};

static void on_piece(void *arg, int err, const uint8_t *data, size_t len, int eof,
                     const struct ac_reason *why)
{
    struct readback *rb = arg;
    rb->pieces++;
    rb->err = err;
    rb->eof = eof;
    rb->problem = why->problem;
    if (!err)
        assert_int_equal(0, ac_buf_append(&rb->got, data, len));
}

/* Reads artifact |hash| as |user| piece by piece into |rb|. Returns the
 * first error (of the rights check or of a piece). */
static int read_back(int64_t user, int admin, const char *hash, struct readback *rb)
{
    memset(rb, 0, sizeof *rb);
    ac_buf_init(&rb->got);
    struct ac_artifact art;
    int err = ac__artifact_find(&fx.nf.node, user, admin, hash, &art);
    if (err)
        return err;
    struct ac__artifact_reader *r;
    assert_int_equal(0, ac__artifact_reader_new(&fx.nf.node, &art, &r));
    while (!rb->eof && !rb->err) {
        assert_int_equal(0, ac__artifact_reader_next(r, on_piece, rb));
        uv_run(&fx.nf.loop, UV_RUN_DEFAULT);
    }
    ac__artifact_reader_free(r);
    return rb->err;
}

/* Returns the number of files in artifacts/incoming (0 when it is absent). */
static int incoming_files(void)
{
    char path[400];
    snprintf(path, sizeof path, "%s/artifacts/incoming", fx.nf.dir);
    DIR *d = opendir(path);
    int n = 0;
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

static void test_stored_bytes_are_read_back_by_their_uploader(void **state)
{
    (void)state;
    struct stored r;
    written_total = 0;
    assert_int_equal(0, upload(fx.earner, "hello", 5, "text/plain", SHA256_HELLO, &r));
    assert_string_equal(SHA256_HELLO, r.art.hash);
    assert_int_equal(5, r.art.size);
    assert_string_equal("text/plain", r.art.media_type);
    assert_int_equal(2, written_total); /* the first chunk; the rest came with the finish */
    assert_int_equal(0, incoming_files());
    struct readback rb;
    assert_int_equal(0, read_back(fx.earner, 0, SHA256_HELLO, &rb));
    assert_int_equal(5, rb.got.len);
    assert_memory_equal("hello", rb.got.data, 5);
    ac_buf_release(&rb.got);
    /* Another earner has no right to it: it does not exist for them. */
    int64_t other = fx_user("mallory", AC_ROLE_EARNER);
    assert_int_equal(AC_ENOENT, read_back(other, 0, SHA256_HELLO, &rb));
    assert_int_equal(0, read_back(fx.admin, 1, SHA256_HELLO, &rb));
    ac_buf_release(&rb.got);
}

static void test_an_artifact_of_many_pieces_is_read_back_whole(void **state)
{
    (void)state;
    size_t len = 3 * AC__ARTIFACT_PIECE + 100;
    uint8_t *data = malloc(len);
    assert_non_null(data);
    for (size_t i = 0; i < len; i++)
        data[i] = (uint8_t)(i * 7 + i / 251);
    struct stored r;
    assert_int_equal(0, upload(fx.earner, data, len, NULL, NULL, &r));
    struct readback rb;
    assert_int_equal(0, read_back(fx.earner, 0, r.art.hash, &rb));
    assert_int_equal(4, rb.pieces);
    assert_int_equal(len, rb.got.len);
    assert_memory_equal(data, rb.got.data, len);
    ac_buf_release(&rb.got);
    free(data);
}

static void test_a_hash_that_does_not_match_stores_nothing(void **state)
{
    (void)state;
    struct stored r;
    const char *wrong = "0000000000000000000000000000000000000000000000000000000000000000";
    assert_int_equal(AC_EINVAL, upload(fx.earner, "hello", 5, NULL, wrong, &r));
    assert_int_equal(AC_PROBLEM_HASH_MISMATCH, r.problem);
    assert_string_equal("sha256", r.field);
    struct ac_artifact art;
    assert_int_equal(AC_ENOENT, ac_store_artifact_get(fx.nf.node.store, SHA256_HELLO, &art));
    assert_int_equal(0, incoming_files());
    assert_int_equal(AC_EINVAL, upload(fx.earner, "", 0, NULL, NULL, &r));
    assert_string_equal("body", r.field);
}

static void test_an_abandoned_upload_leaves_no_file_and_no_row(void **state)
{
    (void)state;
    struct ac__artifact_upload *up;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(
        0, ac__artifact_upload_new(&fx.nf.node, fx.earner, NULL, NULL, NULL, NULL, &up, &why));
    assert_int_equal(0, ac__artifact_upload_write(up, (const uint8_t *)"hel", 3));
    ac__artifact_upload_abort(up);
    uv_run(&fx.nf.loop, UV_RUN_DEFAULT);
    assert_int_equal(0, incoming_files());
    struct ac_artifact art;
    assert_int_equal(AC_ENOENT, ac_store_artifact_get(fx.nf.node.store, SHA256_HELLO, &art));
}

static void test_a_media_type_with_a_line_break_is_refused(void **state)
{
    (void)state;
    struct stored r;
    assert_int_equal(AC_EINVAL, upload(fx.earner, "hello", 5, "text/html\r\nx: y", NULL, &r));
    assert_string_equal("media_type", r.field);
}

static void test_bytes_damaged_on_disk_are_refused_as_corrupt(void **state)
{
    (void)state;
    struct stored r;
    assert_int_equal(0, upload(fx.earner, "hello", 5, NULL, NULL, &r));
    assert_string_equal("application/octet-stream", r.art.media_type);
    char path[400];
    snprintf(path, sizeof path, "%s/artifacts/%.2s/%s", fx.nf.dir, SHA256_HELLO, SHA256_HELLO);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("jello", f);
    fclose(f);
    struct readback rb;
    assert_int_equal(AC_EIO, read_back(fx.earner, 0, SHA256_HELLO, &rb));
    assert_int_equal(AC_PROBLEM_ARTIFACT_CORRUPT, rb.problem);
    assert_int_equal(0, rb.got.len);
    ac_buf_release(&rb.got);
}

static void test_damage_in_the_last_piece_is_found_before_the_end_is_served(void **state)
{
    (void)state;
    size_t len = 2 * AC__ARTIFACT_PIECE + 10;
    uint8_t *data = calloc(1, len);
    assert_non_null(data);
    struct stored r;
    assert_int_equal(0, upload(fx.earner, data, len, NULL, NULL, &r));
    char path[400];
    snprintf(path, sizeof path, "%s/artifacts/%.2s/%s", fx.nf.dir, r.art.hash, r.art.hash);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, (long)len - 1, SEEK_SET);
    fputc('x', f);
    fclose(f);
    struct readback rb;
    assert_int_equal(AC_EIO, read_back(fx.earner, 0, r.art.hash, &rb));
    /* The first two pieces went out; the third, which completes the hash,
     * is refused instead of served. */
    assert_int_equal(3, rb.pieces);
    assert_int_equal(2 * AC__ARTIFACT_PIECE, rb.got.len);
    ac_buf_release(&rb.got);
    free(data);
}

/* Returns 1 when artifacts/<xx>/|hash| exists. */
static int stored_file(const char *hash)
{
    char path[400];
    snprintf(path, sizeof path, "%s/artifacts/%.2s/%s", fx.nf.dir, hash, hash);
    return access(path, F_OK) == 0;
}

static void test_a_row_the_stopping_node_cannot_write_leaves_no_new_file(void **state)
{
    (void)state;
    struct ac_node *n = &fx.nf.node;
    struct stored r;
    /* Bytes stored before the stop keep their file whatever comes after. */
    assert_int_equal(0, upload(fx.earner, "hello", 5, "text/plain", NULL, &r));
    assert_int_equal(0, ac__reqtx_start(n));
    ac__reqtx_stop(n);
    uv_run(n->loop, UV_RUN_NOWAIT);
    /* New bytes: the file is in place, the row's task is refused. */
    assert_int_equal(AC_ECANCELED, upload(fx.earner, "world", 5, NULL, NULL, &r));
    assert_int_equal(AC_PROBLEM_STORAGE_UNAVAILABLE, r.problem);
    assert_false(stored_file(SHA256_WORLD));
    struct readback rb;
    assert_int_equal(AC_ENOENT, read_back(fx.admin, 1, SHA256_WORLD, &rb));
    /* The same bytes as an earlier row by someone else: that row owns the
     * file, which stays. */
    int64_t other = fx_user("otto", AC_ROLE_EARNER);
    assert_int_equal(AC_ECANCELED, upload(other, "hello", 5, NULL, NULL, &r));
    assert_true(stored_file(SHA256_HELLO));
    assert_int_equal(AC_ENOENT, read_back(other, 0, SHA256_HELLO, &rb));
    assert_int_equal(0, read_back(fx.earner, 0, SHA256_HELLO, &rb));
    assert_memory_equal("hello", rb.got.data, 5);
    ac_buf_release(&rb.got);
    assert_int_equal(0, incoming_files());
}

/* Returns the number of descriptors this process has open. */
static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void test_an_upload_whose_file_cannot_be_made_is_refused_and_stores_nothing(void **state)
{
    (void)state;
    /* artifacts/incoming is a file, so no temporary file can be made in it:
     * the worker's failure reaches the loop. */
    char path[400];
    snprintf(path, sizeof path, "%s/artifacts", fx.nf.dir);
    assert_int_equal(0, mkdir(path, 0700));
    snprintf(path, sizeof path, "%s/artifacts/incoming", fx.nf.dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fclose(f);
    struct ac__artifact_upload *up;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(
        0, ac__artifact_upload_new(&fx.nf.node, fx.earner, NULL, NULL, NULL, NULL, &up, &why));
    assert_int_equal(0, ac__artifact_upload_write(up, (const uint8_t *)"hel", 3));
    uv_run(&fx.nf.loop, UV_RUN_DEFAULT);
    /* More bytes after the failure are refused at once. */
    assert_int_equal(AC_EIO, ac__artifact_upload_write(up, (const uint8_t *)"lo", 2));
    struct stored r = {0};
    assert_int_equal(0, ac__artifact_upload_finish(up, on_stored, &r, &why));
    uv_run(&fx.nf.loop, UV_RUN_DEFAULT);
    assert_int_equal(1, r.called);
    assert_int_equal(AC_EIO, r.err);
    struct ac_artifact art;
    assert_int_equal(AC_ENOENT, ac_store_artifact_get(fx.nf.node.store, SHA256_HELLO, &art));
    assert_false(stored_file(SHA256_HELLO));
}

static void test_a_stored_upload_leaves_no_descriptor_open(void **state)
{
    (void)state;
    struct stored r;
    /* The first upload opens what the node keeps open (the store's files). */
    assert_int_equal(0, upload(fx.earner, "hello", 5, NULL, NULL, &r));
    int before = open_fds();
    assert_int_equal(0, upload(fx.earner, "world", 5, NULL, NULL, &r));
    /* The same bytes again, renamed over the first file. */
    int64_t other = fx_user("otto", AC_ROLE_EARNER);
    assert_int_equal(0, upload(other, "world", 5, NULL, NULL, &r));
    assert_int_equal(before, open_fds());
    struct readback rb;
    assert_int_equal(0, read_back(other, 0, SHA256_WORLD, &rb));
    assert_memory_equal("world", rb.got.data, 5);
    ac_buf_release(&rb.got);
}

/* The review fixture, with the request layer a write route makes, as the
 * node's routes do. */
static int open_with_reqtx(void **state)
{
    if (fx_open(state) || ac_router_new(&fx.nf.node.router))
        return -1;
    ac__route_write(&fx.nf.node, "POST", "/unused", NULL);
    return 0;
}

static int close_with_reqtx(void **state)
{
    struct ac_node *n = &fx.nf.node;
    ac__reqtx_stop(n);
    /* The request layer's handles close on the loop's next turn. */
    uv_run(n->loop, UV_RUN_NOWAIT);
    ac__reqtx_free(n);
    ac_router_free(n->router);
    n->router = NULL;
    return fx_close(state);
}

#define T(f) cmocka_unit_test_setup_teardown(f, open_with_reqtx, close_with_reqtx)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_stored_bytes_are_read_back_by_their_uploader),
        T(test_an_artifact_of_many_pieces_is_read_back_whole),
        T(test_a_hash_that_does_not_match_stores_nothing),
        T(test_an_abandoned_upload_leaves_no_file_and_no_row),
        T(test_a_media_type_with_a_line_break_is_refused),
        T(test_bytes_damaged_on_disk_are_refused_as_corrupt),
        T(test_damage_in_the_last_piece_is_found_before_the_end_is_served),
        T(test_a_row_the_stopping_node_cannot_write_leaves_no_new_file),
        T(test_an_upload_whose_file_cannot_be_made_is_refused_and_stores_nothing),
        T(test_a_stored_upload_leaves_no_descriptor_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
