/* store_sync.c - the storage thread of sync.h: fsyncs the WAL for groups of
 * commits made on the loop thread, and runs the checkpoints, so the loop
 * never waits on the disk for a commit. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/store/sync.h"
#include "db_sqlite.h"
#include "internal.h"

/* A checkpoint is due once the WAL holds this many frames (SQLite's own
 * auto-checkpoint threshold). After a complete checkpoint the loop's next
 * commit starts the WAL again from its beginning. */
#define CHECKPOINT_FRAMES AC__STORE_CHECKPOINT_FRAMES

struct ac__store_sync {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* Guarded by mu. */
    uint64_t committed; /* highest commit number noted by the loop */
    int frames;         /* frames in the WAL after that commit */
    int stop;           /* set by ac_store_sync_stop() */
    /* Written by the storage thread, read anywhere. */
    _Atomic uint64_t durable;
    _Atomic int error;
    _Atomic uint64_t fsyncs, checkpoints;
    _Atomic int tail_wanted; /* a checkpoint caught up: the loop may finish it */
    /* The storage thread's own; the loop touches them only before the
     * thread starts and after it is joined. */
    int wal_fd;         /* the -wal file, for fdatasync() */
    sqlite3 *db;        /* synchronous=FULL connection that checkpoints */
    long test_delay_ms; /* test builds: sleep before each fsync (a slow disk) */
    ac_store_durable_cb cb;
    void *arg;
};

void ac__store_sync_note(struct ac__store_sync *s, uint64_t n, int frames)
{
    pthread_mutex_lock(&s->mu);
    s->committed = n;
    s->frames = frames;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

uint64_t ac__store_sync_durable(const struct ac__store_sync *s)
{
    return atomic_load(&((struct ac__store_sync *)s)->durable);
}

int ac__store_sync_error(const struct ac__store_sync *s)
{
    return atomic_load(&((struct ac__store_sync *)s)->error);
}

uint64_t ac__store_sync_fsyncs(const struct ac__store_sync *s)
{
    return atomic_load(&((struct ac__store_sync *)s)->fsyncs);
}

uint64_t ac__store_sync_checkpoints(const struct ac__store_sync *s)
{
    return atomic_load(&((struct ac__store_sync *)s)->checkpoints);
}

/* A PASSIVE checkpoint never takes the write lock, so the loop keeps
 * committing meanwhile. With synchronous=FULL on this connection SQLite
 * fsyncs the WAL before copying frames and the database file after, and only
 * then records them as backfilled; only backfilled frames may be overwritten
 * when the WAL starts again. */
static void checkpoint(struct ac__store_sync *s)
{
    int log = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
        ac_log_warn("store", "checkpoint on the storage thread failed: %s", sqlite3_errmsg(s->db));
    atomic_fetch_add(&s->checkpoints, 1);
    /* Every frame there was when it started is in the database file now;
     * the loop's commits since are a short tail (ac__store_sync_take_tail()). */
    if (rc == SQLITE_OK && log > 0 && done == log)
        atomic_store(&s->tail_wanted, 1);
}

int ac__store_sync_take_tail(struct ac__store_sync *s)
{
    return atomic_exchange(&s->tail_wanted, 0);
}

/* Due once the WAL is long, and again only after it started over (fewer
 * frames than at the last checkpoint) or grew by a quarter of the threshold
 * since: under a steady stream of commits a checkpoint rarely finishes
 * before the next commit lands, so the WAL starts over only in a gap between
 * commits, and checkpointing after every commit would spend the disk on
 * copying a few frames at a time. */
static int checkpoint_due(int frames, int last)
{
    if (frames < CHECKPOINT_FRAMES)
        return 0;
    return last < 0 || frames < last || frames >= last + CHECKPOINT_FRAMES / 4;
}

static void *run(void *arg)
{
    struct ac__store_sync *s = arg;
    uint64_t synced = atomic_load(&s->durable);
    int last_checkpoint = -1; /* WAL frames when the last checkpoint ran */
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->stop && s->committed == synced && !checkpoint_due(s->frames, last_checkpoint))
            pthread_cond_wait(&s->cv, &s->mu);
        /* Every commit numbered up to |target| wrote its frames to the -wal
         * file before the loop noted it, so one fsync covers them all: the
         * group. Commits noted while it runs wait for the next one. */
        uint64_t target = s->committed;
        int frames = s->frames, stop = s->stop;
        pthread_mutex_unlock(&s->mu);
        if (target > synced) {
            if (s->test_delay_ms > 0)
                nanosleep(&(struct timespec){s->test_delay_ms / 1000,
                                             (s->test_delay_ms % 1000) * 1000000L},
                          NULL);
            if (fdatasync(s->wal_fd) != 0) {
                int err = -errno;
                ac_log_error("store",
                             "fsync of the WAL failed: %s; no later commit can be "
                             "promised durable",
                             strerror(errno));
                atomic_store(&s->error, err ? err : AC_EIO);
                s->cb(s->arg);
                return NULL;
            }
            synced = target;
            atomic_fetch_add(&s->fsyncs, 1);
            atomic_store(&s->durable, target);
            s->cb(s->arg);
        }
        if (!stop && checkpoint_due(frames, last_checkpoint)) {
            checkpoint(s);
            last_checkpoint = frames;
        }
        pthread_mutex_lock(&s->mu);
        if (s->stop && s->committed == synced)
            break;
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* The -wal file's directory entry must itself be durable, or an fsynced WAL
 * could vanish with power loss; SQLite's own FULL mode syncs the directory
 * when it creates the file, and the file may have been created before now. */
static int sync_dir(const char *file)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", file);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        ac_log_error("store", "%s: cannot sync the directory: %s", dir, strerror(errno));
        if (fd >= 0)
            close(fd);
        return AC_EIO;
    }
    close(fd);
    return 0;
}

static void sync_free(struct ac__store_sync *s)
{
    if (s->wal_fd >= 0)
        close(s->wal_fd);
    sqlite3_close(s->db);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static int open_side(struct ac__store_sync *s, const char *path)
{
    char wal[4096];
    if (snprintf(wal, sizeof wal, "%s-wal", path) >= (int)sizeof wal)
        return AC_EINVAL;
    /* SQLite created the -wal file when the store went into WAL mode. */
    s->wal_fd = open(wal, O_RDWR | O_CLOEXEC);
    if (s->wal_fd < 0) {
        ac_log_error("store", "%s: cannot open: %s", wal, strerror(errno));
        return AC_EIO;
    }
    int err = sync_dir(wal);
    if (err)
        return err;
    int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    /* The first read opens this connection's view of the WAL, which a
     * checkpoint needs. */
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(s->db, "PRAGMA synchronous = FULL; SELECT count(*) FROM sqlite_master",
                          NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        ac_log_error("store", "%s: cannot open the checkpoint connection: %s", path,
                     s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        return rc == SQLITE_NOMEM ? AC_ENOMEM : AC_EIO;
    }
    return 0;
}

int ac__store_sync_open(struct ac_db *conn, uint64_t committed, ac_store_durable_cb cb, void *arg,
                        struct ac__store_sync **out)
{
    /* The storage thread fsyncs SQLite's WAL: SQLite only. */
    sqlite3 *db = ac__db_sqlite_handle(conn);
    if (!db)
        return AC_EINVAL;
    const char *path = sqlite3_db_filename(db, "main");
    if (!cb || !path || !*path)
        return AC_EINVAL;
    struct ac__store_sync *s = calloc(1, sizeof *s);
    if (!s)
        return AC_ENOMEM;
    s->wal_fd = -1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->cb = cb;
    s->arg = arg;
#ifdef ACCORD_TEST_CLOCK
    /* Lets an integration test stand in a slow disk for a fast one, to show
     * that reads go on while writes wait (tests/integration). */
    const char *delay = getenv("ACCORD_TEST_FSYNC_DELAY_MS");
    if (delay)
        s->test_delay_ms = atol(delay);
#endif
    /* Everything committed so far was fsynced inline. */
    s->committed = committed;
    atomic_store(&s->durable, committed);
    int err = open_side(s, path);
    if (err) {
        sync_free(s);
        return err;
    }
    /* NORMAL, not OFF: in WAL mode NORMAL skips the fsync at COMMIT but keeps
     * the one of a new WAL header after a checkpoint, without which an
     * out-of-order write after power loss could corrupt the database
     * (SQLite's wal.c, ticket ff5be73dee). The loop's connection no longer
     * checkpoints on its own schedule: the WAL hook (store.c) hands frame
     * counts to this thread instead. */
    int rc = sqlite3_exec(db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        ac_log_error("store", "cannot set synchronous=NORMAL: %s", sqlite3_errmsg(db));
        sync_free(s);
        return rc == SQLITE_NOMEM ? AC_ENOMEM : AC_EDB;
    }
    if (pthread_create(&s->thread, NULL, run, s) != 0) {
        sqlite3_exec(db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
        sync_free(s);
        return AC_ENOMEM;
    }
    *out = s;
    return 0;
}

void ac__store_sync_close(struct ac__store_sync *s, struct ac_db *conn)
{
    sqlite3 *db = ac__db_sqlite_handle(conn);
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    if (sqlite3_exec(db, "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK)
        ac_log_error("store", "cannot return to synchronous=FULL: %s", sqlite3_errmsg(db));
    sync_free(s);
}
