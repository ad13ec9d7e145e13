/* keyring.c - the node's Ed25519 signing keys on disk, one file per key.
 *
 * A key file "<kid>.key" (mode 0600) is four lines of text:
 *     accord-key 1
 *     seed <64 lowercase hex digits>
 *     not_before <ms since the epoch>
 *     not_after <ms since the epoch, 0 while current>
 * Files are written to a temporary name, fsynced and renamed, and the
 * directory fsynced, so a crash leaves either the old or the new file. Rotation
 * writes the new key before retiring the old one; should a crash fall between
 * the two, open() sees two keys without an end and retires the older one at
 * the newer one's start, which is what the rotation meant.
 *
 * A rotation's file work (ac_keyring_rotation_write()) may run on a thread of
 * its own: it works on a struct ac_keyring_rotation holding copies of all it
 * needs (the directory's name, the new key, the outgoing key retired), so it
 * shares nothing with the keyring the loop reads meanwhile. The keyring is
 * sealed until the rotation is taken in or dropped, on the keyring's thread:
 * nothing signs then, since the outgoing key's window has ended and the new
 * key's file may not be durable yet. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/sign/keyring.h"
#include "accord/base/log.h"

#define SEED_BYTES crypto_sign_SEEDBYTES

struct key {
    struct ac_key_info info;
    uint8_t *secret; /* sodium_malloc'd crypto_sign_SECRETKEYBYTES; NULL when not loaded */
};

struct ac_keyring {
    char *dir;
    struct key *keys; /* sorted by not_before; the last one is current */
    size_t nkeys;
    /* The rotation prepared and not yet taken in or dropped (not owned):
     * while set, nothing signs (see the top of the file). */
    const struct ac_keyring_rotation *pending;
};

/* A rotation between its prepare and its commit or abort: all its file
 * work needs, owned, so that work touches nothing else. */
struct ac_keyring_rotation {
    char *dir;
    struct key next;     /* the new key, current from the rotation's time */
    struct key outgoing; /* a copy of the current key, retired at that time */
    int written;         /* both files are durable */
};

void ac_key_id(const uint8_t public_key[AC_KEY_PUBLIC_BYTES], uint8_t kid[AC_KEY_ID_BYTES])
{
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, public_key, AC_KEY_PUBLIC_BYTES);
    memcpy(kid, h, AC_KEY_ID_BYTES);
}

/* Fills |k| from |seed|: the public key, kid and a guarded secret key. */
static int key_from_seed(struct key *k, const uint8_t seed[SEED_BYTES])
{
    k->secret = sodium_malloc(crypto_sign_SECRETKEYBYTES);
    if (!k->secret)
        return AC_ENOMEM;
    crypto_sign_seed_keypair(k->info.public_key, k->secret, seed);
    ac_key_id(k->info.public_key, k->info.kid);
    sodium_bin2hex(k->info.kid_hex, sizeof k->info.kid_hex, k->info.kid, AC_KEY_ID_BYTES);
    return 0;
}

static void key_release(struct key *k)
{
    sodium_free(k->secret); /* wipes before freeing; NULL is a no-op */
    k->secret = NULL;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return AC_EIO;
    int rc = fsync(fd);
    close(fd);
    return rc ? AC_EIO : 0;
}

static int key_path(const char *dir, const struct key *k, const char *suffix, char *out,
                    size_t size)
{
    int n = snprintf(out, size, "%s/%s.key%s", dir, k->info.kid_hex, suffix);
    return n < 0 || (size_t)n >= size ? AC_EINVAL : 0;
}

/* Writes |k| durably into |dir| (temp file, fsync, rename, fsync dir).
 * Touches nothing but its arguments: safe on any thread. Sets |*renamed|
 * (may be NULL) when the file took its final name, which a failure after
 * it (the directory's fsync) leaves in place. */
static int key_write(const char *dir, const struct key *k, int *renamed)
{
    if (renamed)
        *renamed = 0;
    char tmp[4096], path[4096];
    if (key_path(dir, k, ".tmp", tmp, sizeof tmp) || key_path(dir, k, "", path, sizeof path))
        return AC_EIO;
    /* The seed is the first 32 bytes of libsodium's secret key. */
    char seed_hex[2 * SEED_BYTES + 1];
    sodium_bin2hex(seed_hex, sizeof seed_hex, k->secret, SEED_BYTES);
    char text[256];
    int n = snprintf(text, sizeof text, "accord-key 1\nseed %s\nnot_before %lld\nnot_after %lld\n",
                     seed_hex, (long long)k->info.not_before_ms, (long long)k->info.not_after_ms);
    sodium_memzero(seed_hex, sizeof seed_hex);
    /* |step| names what failed so the log says why, not only that. */
    const char *step = NULL;
    int saved = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        step = "open", saved = errno;
    if (!step && write(fd, text, (size_t)n) != n)
        step = "write", saved = errno;
    if (!step && fsync(fd) != 0)
        step = "fsync", saved = errno;
    if (fd >= 0 && close(fd) != 0 && !step)
        step = "close", saved = errno;
    sodium_memzero(text, sizeof text);
    if (!step && rename(tmp, path) != 0)
        step = "rename", saved = errno;
    else if (!step && renamed)
        *renamed = 1;
    if (!step && fsync_dir(dir) != 0)
        step = "fsync of the directory", saved = errno;
    int err = step ? AC_EIO : 0;
    if (err) {
        ac_log_error("keyring", "%s: cannot write key file: %s failed: %s", path, step,
                     saved ? strerror(saved) : "short write");
        unlink(tmp);
    }
    return err;
}

/* Reads and checks one key file. */
static int key_read(const char *path, struct key *k)
{
    struct stat sb;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &sb) != 0) {
        if (fd >= 0)
            close(fd);
        ac_log_error("keyring", "%s: cannot read", path);
        return AC_EIO;
    }
    /* A signing key others can read is compromised; refuse rather than use it. */
    if (sb.st_mode & 077) {
        close(fd);
        ac_log_error("keyring", "%s: mode %03o lets others read the key; it must be 0600", path,
                     (unsigned)(sb.st_mode & 0777));
        return AC_EIO;
    }
    char text[257];
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n < 0)
        return AC_EIO;
    text[n] = 0;
    char seed_hex[2 * SEED_BYTES + 2];
    long long nb, na;
    uint8_t seed[SEED_BYTES];
    size_t bin_len;
    int ok =
        sscanf(text, "accord-key 1\nseed %65s\nnot_before %lld\nnot_after %lld", seed_hex, &nb,
               &na) == 3 &&
        strlen(seed_hex) == 2 * SEED_BYTES &&
        sodium_hex2bin(seed, sizeof seed, seed_hex, strlen(seed_hex), NULL, &bin_len, NULL) == 0 &&
        bin_len == SEED_BYTES && nb >= 0 && na >= 0 && (na == 0 || na >= nb);
    sodium_memzero(text, sizeof text);
    sodium_memzero(seed_hex, sizeof seed_hex);
    if (!ok) {
        sodium_memzero(seed, sizeof seed);
        ac_log_error("keyring", "%s: not a valid accord key file", path);
        return AC_EPARSE;
    }
    int err = key_from_seed(k, seed);
    sodium_memzero(seed, sizeof seed);
    if (err)
        return err;
    k->info.not_before_ms = nb;
    k->info.not_after_ms = na;
    return 0;
}

static int by_not_before(const void *a, const void *b)
{
    const struct key *x = a, *y = b;
    if (x->info.not_before_ms != y->info.not_before_ms)
        return x->info.not_before_ms < y->info.not_before_ms ? -1 : 1;
    return memcmp(x->info.kid, y->info.kid, AC_KEY_ID_BYTES);
}

static int add_key(struct ac_keyring *kr, const struct key *k)
{
    struct key *keys = realloc(kr->keys, (kr->nkeys + 1) * sizeof *keys);
    if (!keys)
        return AC_ENOMEM;
    kr->keys = keys;
    kr->keys[kr->nkeys++] = *k;
    return 0;
}

static int load_dir(struct ac_keyring *kr)
{
    DIR *d = opendir(kr->dir);
    if (!d)
        return AC_EIO;
    int err = 0;
    struct dirent *e;
    while (!err && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".key") != 0)
            continue;
        char path[4096];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", kr->dir, e->d_name) >= sizeof path) {
            err = AC_EIO;
            break;
        }
        struct key k = {0};
        err = key_read(path, &k);
        if (!err) {
            err = add_key(kr, &k);
            if (err)
                key_release(&k);
        }
    }
    closedir(d);
    return err;
}

/* Makes the key list consistent after loading: sorted by start, and every key
 * but the last one retired (at the next key's start if its end is missing). */
static int settle(struct ac_keyring *kr)
{
    if (kr->nkeys > 1)
        qsort(kr->keys, kr->nkeys, sizeof *kr->keys, by_not_before);
    for (size_t i = 0; i + 1 < kr->nkeys; i++) {
        struct key *k = &kr->keys[i];
        if (k->info.not_after_ms == 0) {
            k->info.not_after_ms = kr->keys[i + 1].info.not_before_ms;
            int err = key_write(kr->dir, k, NULL);
            if (err)
                return err;
            ac_log_warn("keyring", "key %s retired at the start of %s (interrupted rotation)",
                        k->info.kid_hex, kr->keys[i + 1].info.kid_hex);
        }
    }
    /* Only the current key signs; retired secrets leave memory now. */
    for (size_t i = 0; i + 1 < kr->nkeys; i++)
        key_release(&kr->keys[i]);
    if (kr->nkeys && kr->keys[kr->nkeys - 1].info.not_after_ms != 0) {
        ac_log_error("keyring", "%s: every key is retired; none can sign", kr->dir);
        return AC_EPARSE;
    }
    return 0;
}

/* Makes a fresh key, current from |now_ms|, in memory only. */
static int key_generate(int64_t now_ms, struct key *out)
{
    uint8_t seed[SEED_BYTES];
    randombytes_buf(seed, sizeof seed);
    struct key k = {0};
    int err = key_from_seed(&k, seed);
    sodium_memzero(seed, sizeof seed);
    if (err)
        return err;
    k.info.not_before_ms = now_ms;
    *out = k;
    return 0;
}

static int new_key(struct ac_keyring *kr, int64_t now_ms, struct key *out)
{
    struct key k;
    int err = key_generate(now_ms, &k);
    if (err)
        return err;
    err = key_write(kr->dir, &k, NULL);
    if (err) {
        key_release(&k);
        return err;
    }
    *out = k;
    return 0;
}

int ac_keyring_open(const char *dir, struct ac_keyring **out)
{
    if (sodium_init() < 0)
        return AC_EIO; /* no randomness source: no key can be made */
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        ac_log_error("keyring", "%s: cannot create: %s", dir, strerror(errno));
        return AC_EIO;
    }
    struct ac_keyring *kr = calloc(1, sizeof *kr);
    if (!kr)
        return AC_ENOMEM;
    kr->dir = strdup(dir);
    int err = kr->dir ? load_dir(kr) : AC_ENOMEM;
    if (!err)
        err = settle(kr);
    if (!err && kr->nkeys == 0) {
        struct key k;
        err = new_key(kr, ac_clock_now_ms(), &k);
        if (!err) {
            err = add_key(kr, &k);
            if (err)
                key_release(&k);
            else
                ac_log_info("keyring", "created signing key %s", k.info.kid_hex);
        }
    }
    if (err) {
        ac_keyring_close(kr);
        return err;
    }
    *out = kr;
    return 0;
}

void ac_keyring_close(struct ac_keyring *kr)
{
    if (!kr)
        return;
    for (size_t i = 0; i < kr->nkeys; i++)
        key_release(&kr->keys[i]);
    free(kr->keys);
    free(kr->dir);
    free(kr);
}

const struct ac_key_info *ac_keyring_current(const struct ac_keyring *kr)
{
    return &kr->keys[kr->nkeys - 1].info;
}

size_t ac_keyring_count(const struct ac_keyring *kr)
{
    return kr->nkeys;
}

const struct ac_key_info *ac_keyring_key(const struct ac_keyring *kr, size_t i)
{
    return i < kr->nkeys ? &kr->keys[i].info : NULL;
}

const struct ac_key_info *ac_keyring_find(const struct ac_keyring *kr,
                                          const uint8_t kid[AC_KEY_ID_BYTES])
{
    for (size_t i = 0; i < kr->nkeys; i++)
        if (memcmp(kr->keys[i].info.kid, kid, AC_KEY_ID_BYTES) == 0)
            return &kr->keys[i].info;
    return NULL;
}

int ac_keyring_sign(const struct ac_keyring *kr, const uint8_t *msg, size_t len,
                    uint8_t sig[AC_KEY_SIG_BYTES])
{
    const struct key *k = &kr->keys[kr->nkeys - 1];
    if (kr->pending)
        return AC_EBUSY; /* between two keys: see the top of the file */
    if (!k->secret || crypto_sign_detached(sig, NULL, msg, len, k->secret) != 0)
        return AC_ECRYPTO;
    return 0;
}

/* The outgoing key's signing callback for a hand-over: |ctx| is its struct key. */
static int sign_outgoing(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[AC_KEY_SIG_BYTES])
{
    const struct key *k = ctx;
    if (!k->secret || crypto_sign_detached(sig, NULL, msg, len, k->secret) != 0)
        return AC_ECRYPTO;
    return 0;
}

int ac_keyring_rotate(struct ac_keyring *kr, int64_t now_ms)
{
    return ac_keyring_rotate_handover(kr, now_ms, NULL, NULL);
}

int ac_keyring_rotate_handover(struct ac_keyring *kr, int64_t now_ms, ac_keyring_handover_cb cb,
                               void *ctx)
{
    struct ac_keyring_rotation *rot;
    int err = ac_keyring_rotation_prepare(kr, now_ms, cb, ctx, &rot);
    if (err)
        return err;
    err = ac_keyring_rotation_write(rot);
    if (err) {
        ac_keyring_rotation_abort(kr, rot);
        return err;
    }
    return ac_keyring_rotation_commit(kr, rot);
}

static void rotation_free(struct ac_keyring_rotation *rot)
{
    key_release(&rot->next);
    key_release(&rot->outgoing);
    free(rot->dir);
    free(rot);
}

int ac_keyring_rotation_prepare(struct ac_keyring *kr, int64_t now_ms, ac_keyring_handover_cb cb,
                                void *ctx, struct ac_keyring_rotation **out)
{
    if (kr->pending)
        return AC_EAGAIN;
    if (!kr->keys[kr->nkeys - 1].secret)
        return AC_ECRYPTO;
    /* Room for the new key now, so that taking it in cannot fail once its
     * file is on disk. */
    struct key *keys = realloc(kr->keys, (kr->nkeys + 1) * sizeof *keys);
    if (!keys)
        return AC_ENOMEM;
    kr->keys = keys;
    struct key *cur = &kr->keys[kr->nkeys - 1];
    struct ac_keyring_rotation *rot = calloc(1, sizeof *rot);
    if (!rot)
        return AC_ENOMEM;
    rot->dir = strdup(kr->dir);
    int err = rot->dir ? key_generate(now_ms, &rot->next) : AC_ENOMEM;
    /* The outgoing key's file holds its seed: the rotation's own copy. */
    if (!err) {
        rot->outgoing.info = cur->info;
        rot->outgoing.info.not_after_ms = now_ms;
        rot->outgoing.secret = sodium_malloc(crypto_sign_SECRETKEYBYTES);
        if (rot->outgoing.secret)
            memcpy(rot->outgoing.secret, cur->secret, crypto_sign_SECRETKEYBYTES);
        else
            err = AC_ENOMEM;
    }
    /* The outgoing key's last act, while it is still current: once the
     * rotation stands its secret is wiped. */
    if (!err && cb)
        err = cb(ctx, &cur->info, &rot->next.info, sign_outgoing, cur);
    if (err) {
        rotation_free(rot);
        return err;
    }
    kr->pending = rot;
    *out = rot;
    return 0;
}

const struct ac_key_info *ac_keyring_rotation_next(const struct ac_keyring_rotation *rot)
{
    return &rot->next.info;
}

/* Undoes what a failed ac_keyring_rotation_write() left on disk, so the
 * directory loads with the outgoing key current: its file rewritten
 * without an end when its retiring rename happened (first: a crash before
 * the new key's file goes leaves two keys without an end, which open()
 * settles as the rotation), then the new key's file removed when it took
 * its name, then the directory fsynced. */
static void rotation_undo(struct ac_keyring_rotation *rot, int next_on_disk, int retired_on_disk)
{
    if (retired_on_disk) {
        struct key current = rot->outgoing;
        current.info.not_after_ms = 0;
        if (key_write(rot->dir, &current, NULL))
            ac_log_error("keyring", "%s: key %s stays retired on disk; restore its file from a "
                         "backup before the next start", rot->dir, current.info.kid_hex);
    }
    char path[4096];
    if (next_on_disk && key_path(rot->dir, &rot->next, "", path, sizeof path) == 0 &&
        unlink(path) != 0 && errno != ENOENT)
        ac_log_error("keyring", "%s: cannot remove: %s", path, strerror(errno));
    if ((next_on_disk || retired_on_disk) && fsync_dir(rot->dir))
        ac_log_error("keyring", "%s: fsync of the directory failed", rot->dir);
}

int ac_keyring_rotation_write(struct ac_keyring_rotation *rot)
{
    /* The new key first: a crash before the outgoing key's retirement is on
     * disk leaves two keys without an end, which open() settles as the
     * rotation meant (see the top of the file). */
    int next_on_disk = 0, retired_on_disk = 0;
    int err = key_write(rot->dir, &rot->next, &next_on_disk);
    if (!err)
        err = key_write(rot->dir, &rot->outgoing, &retired_on_disk);
    if (err) /* the outgoing key stays current on disk */
        rotation_undo(rot, next_on_disk, retired_on_disk);
    rot->written = err == 0;
    return err;
}

int ac_keyring_rotation_commit(struct ac_keyring *kr, struct ac_keyring_rotation *rot)
{
    if (kr->pending != rot || !rot->written) {
        ac_keyring_rotation_abort(kr, rot);
        return AC_EBUG;
    }
    struct key *old = &kr->keys[kr->nkeys - 1];
    old->info.not_after_ms = rot->outgoing.info.not_after_ms;
    key_release(old);
    kr->keys[kr->nkeys++] = rot->next; /* the secret moves over */
    rot->next.secret = NULL;
    kr->pending = NULL;
    ac_log_info("keyring", "rotated: %s retired, %s current", old->info.kid_hex,
                kr->keys[kr->nkeys - 1].info.kid_hex);
    rotation_free(rot);
    return 0;
}

void ac_keyring_rotation_abort(struct ac_keyring *kr, struct ac_keyring_rotation *rot)
{
    if (!rot)
        return;
    if (kr->pending == rot)
        kr->pending = NULL;
    rotation_free(rot);
}
