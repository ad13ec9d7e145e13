/* datadir.c - the node's data directory: database, keyring and the secret that
 * keys token hashes, created on first use and reused afterwards. The database
 * is the file accord.db there, or with [store] engine = postgresql the
 * server at [store] url; keys, the secret and artifacts stay here either way. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "accord/base/error.h"
#include "accord/sign/keyring.h"
#include "accord/base/log.h"
#include "accord/net/tls_pending.h"
#include "accord/store/tls_probe.h"
#include "internal.h"

static int make_dir(const char *path)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        ac_log_error("node", "%s: cannot create the data directory: %s", path, strerror(errno));
        return AC_EIO;
    }
    /* The directory holds the keys, the token secret and everyone's work:
     * a mode that lets others in is refused, not repaired behind the
     * operator's back. */
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        ac_log_error("node", "%s: the data directory is not a directory", path);
        return AC_EIO;
    }
    if (sb.st_mode & 077) {
        ac_log_error("node", "%s: mode %03o lets others into the data directory; it must be 0700",
                     path, (unsigned)(sb.st_mode & 0777));
        return AC_EIO;
    }
    return 0;
}

/* Refuses a database file (or its WAL and shared-memory files) that group or
 * others may read: it holds every user, token hash and submission. */
static int check_private(const char *path, const char *what)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (errno == ENOENT)
            return 0;
        ac_log_error("node", "%s: cannot check the %s: %s", path, what, strerror(errno));
        return AC_EIO;
    }
    if (sb.st_mode & 077) {
        ac_log_error("node", "%s: mode %03o lets others read the %s; it must be 0600", path,
                     (unsigned)(sb.st_mode & 0777), what);
        return AC_EIO;
    }
    return 0;
}

/* Removes the temporary files of artifact uploads that a crash interrupted
 * (artifacts/<xx>/.<hash>.tmp): their bytes were never acknowledged. */
static void clean_artifact_tmp(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/artifacts", dir);
    DIR *top = opendir(path);
    if (!top)
        return;
    struct dirent *e;
    size_t removed = 0;
    while ((e = readdir(top)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char sub[4500];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        DIR *d = opendir(sub);
        if (!d)
            continue;
        struct dirent *f;
        while ((f = readdir(d)) != NULL) {
            size_t len = strlen(f->d_name);
            if (f->d_name[0] != '.' || len < 5 || strcmp(f->d_name + len - 4, ".tmp") != 0)
                continue;
            char file[4800];
            snprintf(file, sizeof file, "%s/%s", sub, f->d_name);
            if (unlink(file) == 0)
                removed++;
        }
        closedir(d);
    }
    closedir(top);
    if (removed)
        ac_log_info("node", "removed %zu unfinished artifact upload(s) under %s", removed, path);
}

/* Writes a new random secret durably, or reads the existing one. */
static int load_secret(const char *path, uint8_t *secret)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        char tmp[4200];
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        randombytes_buf(secret, AC_NODE_SECRET_BYTES);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        int ok = fd >= 0 && write(fd, secret, AC_NODE_SECRET_BYTES) == AC_NODE_SECRET_BYTES &&
                 fsync(fd) == 0;
        if (fd >= 0)
            ok = close(fd) == 0 && ok;
        if (!ok || rename(tmp, path) != 0) {
            ac_log_error("node", "%s: cannot write the node secret: %s", path, strerror(errno));
            unlink(tmp);
            return AC_EIO;
        }
        ac_log_info("node", "created the node secret %s", path);
        return 0;
    }
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        ac_log_error("node", "%s: cannot read the node secret: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return AC_EIO;
    }
    /* Anyone who reads the secret can test guessed tokens offline. */
    if (sb.st_mode & 077) {
        close(fd);
        ac_log_error("node", "%s: mode %03o lets others read the node secret; it must be 0600",
                     path, (unsigned)(sb.st_mode & 0777));
        return AC_EIO;
    }
    ssize_t got = read(fd, secret, AC_NODE_SECRET_BYTES);
    close(fd);
    if (got != AC_NODE_SECRET_BYTES) {
        ac_log_error("node", "%s: the node secret must be exactly %d bytes", path,
                     AC_NODE_SECRET_BYTES);
        return AC_EPARSE;
    }
    return 0;
}

int ac__datadir_open(struct ac_node *n)
{
    if (sodium_init() < 0)
        return AC_EIO;
    const char *dir = n->cfg->data_dir;
    int err = make_dir(dir);
    if (err)
        return err;
    char path[4096];
    static const char *const db_files[] = {"accord.db", "accord.db-wal", "accord.db-shm"};
    for (size_t i = 0; !err && i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, db_files[i]);
        err = check_private(path, "database");
    }
    if (err)
        return err;
    clean_artifact_tmp(dir);
    if (n->cfg->store_engine == AC_STORE_POSTGRESQL) {
        /* Over TLS the engine waits on the socket only if it can see
         * inside the TLS layer, which core/store may not link. */
        ac_store_set_tls_pending(ac_tls_pending);
        err = ac_store_open_engine(AC_STORE_POSTGRESQL, n->cfg->store_url, &n->store);
        if (err)
            ac_log_error("node", "[store] url: cannot open the PostgreSQL database: %s",
                         ac_strerror(err));
    } else {
        snprintf(path, sizeof path, "%s/accord.db", dir);
        err = ac_store_open(path, &n->store);
    }
    if (!err)
        err = ac_store_schema_version(n->store, &n->schema_version);
    if (!err) {
        snprintf(path, sizeof path, "%s/keys", dir);
        err = ac_keyring_open(path, &n->keyring);
    }
    if (!err) {
        n->secret = sodium_malloc(AC_NODE_SECRET_BYTES);
        err = n->secret ? 0 : AC_ENOMEM;
    }
    if (!err) {
        snprintf(path, sizeof path, "%s/node.secret", dir);
        err = load_secret(path, n->secret);
    }
    if (err)
        ac__datadir_close(n);
    return err;
}

void ac__datadir_close(struct ac_node *n)
{
    ac_store_close(n->store);
    n->store = NULL;
    ac_keyring_close(n->keyring);
    n->keyring = NULL;
    sodium_free(n->secret);
    n->secret = NULL;
}
