/* db_sqlite.c - the SQLite engine behind the storage seam (db.h): one
 * connection, its prepared statements cached by SQL text, $n parameters, and
 * SQLite's result codes translated once into the seam's AC_E* meanings; and
 * the thin VFS every connection is opened through, whose reads on a thread
 * that asked for it never wait for the disk (nowait.h). */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <sqlite3.h>

#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/store/nowait.h"
#include "db_engine.h"
#include "db_sqlite.h"

/* ---- reads that do not wait (nowait.h) ----
 *
 * A VFS named "accord" over the default one (unix): every call goes
 * straight through, except on a thread between ac_store_nowait_begin() and
 * ac_store_nowait_end(). There a read of the database or its WAL is one
 * preadv2(RWF_NOWAIT) on the unix file's own descriptor, which the kernel
 * answers from its page cache or refuses (EAGAIN) without starting to wait;
 * a refused read fails with SQLITE_IOERR_READ (never SHORT_READ, which
 * SQLite would take for zeros past the end of the file), so the statement
 * fails and SQLite rolls its read transaction back, as it does for any I/O
 * error. Reads of any other file, memory-mapped pages (xFetch answers "not
 * mapped", so SQLite reads instead) and sleeps (the busy handler, the WAL's
 * retry back-off: returned at once) are refused alike. The WAL index (-shm)
 * stays mapped: every transaction touches it, so its pages are resident. */

/* preadv2() takes the offset as an off_t: SQLite's 64-bit offsets must fit
 * (a 32-bit off_t would wrap past 4 GiB and read another page). */
_Static_assert(sizeof(off_t) == 8, "the nowait reads need a 64-bit off_t");

static _Thread_local int nowait_on;
static _Thread_local unsigned nowait_refused;

struct nw_file {
    sqlite3_file base;  /* pMethods: &nw_io once the real file is open */
    sqlite3_file *real; /* the default VFS's file: the memory right after */
    int fd;             /* real's descriptor (checked), or -1: no nowait reads */
    int nowait;         /* fd's file system takes RWF_NOWAIT reads */
};

static sqlite3_vfs *nw_base;
static sqlite3_vfs nw_vfs;
static const sqlite3_io_methods nw_io;
static pthread_once_t nw_once = PTHREAD_ONCE_INIT;
static int nw_ready; /* registered: connections open through it */

/* The unix VFS's file starts {pMethods, pVfs, pInode, int h} (os_unix.c,
 * the same since SQLite 3.7). SQLite gives no other way to its descriptor,
 * and a second descriptor of our own would be worse: closing it would drop
 * every POSIX lock the process holds on the file, the other connections'
 * too. So |h| is read from there and used only after fstat shows it is the
 * very file just opened (same device and inode as |name|): a different
 * layout turns nowait reads off instead of reading something else. */
struct unix_file_head {
    const sqlite3_io_methods *methods;
    sqlite3_vfs *vfs;
    void *inode;
    int h;
};

static int nw_close(sqlite3_file *file)
{
    struct nw_file *f = (struct nw_file *)file;
    return f->real->pMethods->xClose(f->real);
}

static int nw_read(sqlite3_file *file, void *buf, int amt, sqlite3_int64 off)
{
    struct nw_file *f = (struct nw_file *)file;
    if (!nowait_on)
        return f->real->pMethods->xRead(f->real, buf, amt, off);
    if (f->nowait && amt > 0 && off >= 0) {
        struct iovec v = {buf, (size_t)amt};
        ssize_t got;
        do
            got = preadv2(f->fd, &v, 1, (off_t)off, RWF_NOWAIT);
        while (got < 0 && errno == EINTR);
        /* A short read is part cached, or the end of the file: either way
         * the reader thread's ordinary read answers it. */
        if (got == amt)
            return SQLITE_OK;
    }
    nowait_refused++;
    return SQLITE_IOERR_READ;
}

static int nw_write(sqlite3_file *file, const void *buf, int amt, sqlite3_int64 off)
{
    struct nw_file *f = (struct nw_file *)file;
    return f->real->pMethods->xWrite(f->real, buf, amt, off);
}

static int nw_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    struct nw_file *f = (struct nw_file *)file;
    return f->real->pMethods->xTruncate(f->real, size);
}

static int nw_sync(sqlite3_file *file, int flags)
{
    struct nw_file *f = (struct nw_file *)file;
    return f->real->pMethods->xSync(f->real, flags);
}

static int nw_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
    struct nw_file *f = (struct nw_file *)file;
    return f->real->pMethods->xFileSize(f->real, size);
}

static int nw_lock(sqlite3_file *file, int lock)
{
    struct nw_file *f = (struct nw_file *)file;
    return f->real->pMethods->xLock(f->real, lock);
}

static int nw_unlock(sqlite3_file *file, int lock)
{
    struct nw_file *f = (struct nw_file *)file;
    return f->real->pMethods->xUnlock(f->real, lock);
}

static int nw_check_reserved(sqlite3_file *file, int *out)
{
    struct nw_file *f = (struct nw_file *)file;
    return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int nw_file_control(sqlite3_file *file, int op, void *arg)
{
    struct nw_file *f = (struct nw_file *)file;
    return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int nw_sector_size(sqlite3_file *file)
{
    struct nw_file *f = (struct nw_file *)file;
    return f->real->pMethods->xSectorSize(f->real);
}

static int nw_device(sqlite3_file *file)
{
    struct nw_file *f = (struct nw_file *)file;
    return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int nw_shm_map(sqlite3_file *file, int page, int size, int extend, void volatile **pp)
{
    struct nw_file *f = (struct nw_file *)file;
    if (f->real->pMethods->iVersion < 2 || !f->real->pMethods->xShmMap)
        return SQLITE_IOERR_SHMMAP;
    return f->real->pMethods->xShmMap(f->real, page, size, extend, pp);
}

static int nw_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
    struct nw_file *f = (struct nw_file *)file;
    if (f->real->pMethods->iVersion < 2 || !f->real->pMethods->xShmLock)
        return SQLITE_IOERR_SHMLOCK;
    return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void nw_shm_barrier(sqlite3_file *file)
{
    struct nw_file *f = (struct nw_file *)file;
    if (f->real->pMethods->iVersion >= 2 && f->real->pMethods->xShmBarrier)
        f->real->pMethods->xShmBarrier(f->real);
}

static int nw_shm_unmap(sqlite3_file *file, int delete_flag)
{
    struct nw_file *f = (struct nw_file *)file;
    if (f->real->pMethods->iVersion < 2 || !f->real->pMethods->xShmUnmap)
        return SQLITE_OK;
    return f->real->pMethods->xShmUnmap(f->real, delete_flag);
}

/* A mapped page could fault and wait for the disk: while nowait is on,
 * nothing is mapped (*pp NULL), and SQLite reads through nw_read. */
static int nw_fetch(sqlite3_file *file, sqlite3_int64 off, int amt, void **pp)
{
    struct nw_file *f = (struct nw_file *)file;
    if (nowait_on || f->real->pMethods->iVersion < 3 || !f->real->pMethods->xFetch) {
        *pp = NULL;
        return SQLITE_OK;
    }
    return f->real->pMethods->xFetch(f->real, off, amt, pp);
}

static int nw_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
    struct nw_file *f = (struct nw_file *)file;
    if (f->real->pMethods->iVersion < 3 || !f->real->pMethods->xUnfetch)
        return SQLITE_OK;
    return f->real->pMethods->xUnfetch(f->real, off, p);
}

static const sqlite3_io_methods nw_io = {
    .iVersion = 3,
    .xClose = nw_close,
    .xRead = nw_read,
    .xWrite = nw_write,
    .xTruncate = nw_truncate,
    .xSync = nw_sync,
    .xFileSize = nw_file_size,
    .xLock = nw_lock,
    .xUnlock = nw_unlock,
    .xCheckReservedLock = nw_check_reserved,
    .xFileControl = nw_file_control,
    .xSectorSize = nw_sector_size,
    .xDeviceCharacteristics = nw_device,
    .xShmMap = nw_shm_map,
    .xShmLock = nw_shm_lock,
    .xShmBarrier = nw_shm_barrier,
    .xShmUnmap = nw_shm_unmap,
    .xFetch = nw_fetch,
    .xUnfetch = nw_unfetch,
};

/* Sets f->fd and f->nowait for the database or WAL file |name| just opened
 * as f->real (see struct unix_file_head). */
static void nw_find_fd(struct nw_file *f, const char *name)
{
    if (strncmp(nw_base->zName, "unix", 4) != 0)
        return;
    int fd = ((const struct unix_file_head *)f->real)->h;
    struct stat by_fd, by_name;
    if (fd < 0 || fstat(fd, &by_fd) != 0 || stat(name, &by_name) != 0 ||
        !S_ISREG(by_fd.st_mode) || by_fd.st_dev != by_name.st_dev ||
        by_fd.st_ino != by_name.st_ino)
        return;
    f->fd = fd;
    /* A one-byte probe: a file system without RWF_NOWAIT for buffered reads
     * answers EOPNOTSUPP (or EINVAL on old kernels) whatever is cached. */
    char byte;
    struct iovec v = {&byte, 1};
    ssize_t got;
    do
        got = preadv2(fd, &v, 1, 0, RWF_NOWAIT);
    while (got < 0 && errno == EINTR);
    f->nowait = got >= 0 || errno == EAGAIN;
}

static int nw_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags,
                   int *out_flags)
{
    (void)vfs;
    struct nw_file *f = (struct nw_file *)file;
    f->real = (sqlite3_file *)(f + 1);
    f->fd = -1;
    f->nowait = 0;
    int rc = nw_base->xOpen(nw_base, name, f->real, flags, out_flags);
    /* SQLite calls xClose only on a file whose pMethods is set. */
    file->pMethods = f->real->pMethods ? &nw_io : NULL;
    if (rc == SQLITE_OK && name && (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL)))
        nw_find_fd(f, name);
    return rc;
}

static int nw_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    return nw_base->xDelete(nw_base, name, sync_dir);
}

static int nw_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return nw_base->xAccess(nw_base, name, flags, out);
}

static int nw_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    (void)vfs;
    return nw_base->xFullPathname(nw_base, name, n, out);
}

static void *nw_dlopen(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return nw_base->xDlOpen(nw_base, name);
}

static void nw_dlerror(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    nw_base->xDlError(nw_base, n, out);
}

static void (*nw_dlsym(sqlite3_vfs *vfs, void *lib, const char *sym))(void)
{
    (void)vfs;
    return nw_base->xDlSym(nw_base, lib, sym);
}

static void nw_dlclose(sqlite3_vfs *vfs, void *lib)
{
    (void)vfs;
    nw_base->xDlClose(nw_base, lib);
}

static int nw_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return nw_base->xRandomness(nw_base, n, out);
}

/* While nowait is on a sleep is refused: it returns at once, as if slept
 * (SQLite counts its busy timeout by what it asked for, so the retries stay
 * bounded), and the caller learns of it from ac_store_nowait_end(). */
static int nw_sleep(sqlite3_vfs *vfs, int us)
{
    (void)vfs;
    if (nowait_on) {
        nowait_refused++;
        return us;
    }
    return nw_base->xSleep(nw_base, us);
}

static int nw_current_time(sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return nw_base->xCurrentTime(nw_base, out);
}

static int nw_last_error(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return nw_base->xGetLastError ? nw_base->xGetLastError(nw_base, n, out) : 0;
}

static int nw_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    return nw_base->xCurrentTimeInt64(nw_base, out);
}

/* Registers the VFS once per process over the default one (unix). */
static void nw_register(void)
{
    if (sqlite3_initialize() != SQLITE_OK)
        return;
    nw_base = sqlite3_vfs_find(NULL);
    /* xCurrentTimeInt64 is version 2; anything older is not the unix VFS. */
    if (!nw_base || nw_base->iVersion < 2 || !nw_base->xCurrentTimeInt64)
        return;
    /* The unix file follows ours at an 8-byte boundary. */
    _Static_assert(sizeof(struct nw_file) % 8 == 0, "the real file stays aligned");
    nw_vfs = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = (int)sizeof(struct nw_file) + nw_base->szOsFile,
        .mxPathname = nw_base->mxPathname,
        .zName = "accord",
        .xOpen = nw_open,
        .xDelete = nw_delete,
        .xAccess = nw_access,
        .xFullPathname = nw_full_pathname,
        .xDlOpen = nw_dlopen,
        .xDlError = nw_dlerror,
        .xDlSym = nw_dlsym,
        .xDlClose = nw_dlclose,
        .xRandomness = nw_randomness,
        .xSleep = nw_sleep,
        .xCurrentTime = nw_current_time,
        .xGetLastError = nw_last_error,
        .xCurrentTimeInt64 = nw_current_time64,
    };
    nw_ready = sqlite3_vfs_register(&nw_vfs, 0) == SQLITE_OK;
}

void ac_store_nowait_begin(void)
{
    nowait_on = 1;
    nowait_refused = 0;
}

unsigned ac_store_nowait_end(void)
{
    nowait_on = 0;
    unsigned refused = nowait_refused;
    nowait_refused = 0;
    return refused;
}

int ac__db_sqlite_nowait_ready(struct ac_db *db)
{
    sqlite3 *h = ac__db_sqlite_handle(db);
    sqlite3_file *file = NULL;
    if (!h || sqlite3_file_control(h, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK ||
        !file || file->pMethods != &nw_io)
        return 0;
    return ((struct nw_file *)file)->nowait;
}

struct sqlite_stmt {
    struct ac__db_head head;
    sqlite3_stmt *h; /* owned */
    struct sqlite_db *db;
    /* SQLite numbers named parameters by first appearance, so "$2 ... $1"
     * makes $2 index 1; map[n] is the index of $n (0: not in the text). */
    int *map;
    int nmap; /* entries in map: the highest n plus one */
};

struct stmt_slot {
    const char *sql; /* borrowed: statement texts are string literals */
    uint64_t hash;
    struct sqlite_stmt *stmt; /* owned */
};

struct sqlite_db {
    struct ac__db_head head;
    sqlite3 *h;
    struct stmt_slot *slots; /* open addressing; cap is a power of two */
    size_t nslots, cap;
};

static struct sqlite_db *db_of(const struct ac_db *db)
{
    return (struct sqlite_db *)db;
}

static struct sqlite_stmt *stmt_of(struct ac_db_stmt *s)
{
    return (struct sqlite_stmt *)s;
}

sqlite3 *ac__db_sqlite_handle(struct ac_db *db)
{
    return db && db_of(db)->head.ops == &ac__db_sqlite_ops ? db_of(db)->h : NULL;
}

/* Translates an SQLite result code (extended codes on) into db.h's meanings. */
static int map_rc(struct sqlite_db *d, int rc)
{
    /* A read refused on purpose (nowait.h) is the caller's cue to read
     * elsewhere, not an error of the disk: no log. */
    if (nowait_on && nowait_refused)
        return (rc & 0xff) == SQLITE_OK || (rc & 0xff) == SQLITE_DONE ||
                       (rc & 0xff) == SQLITE_ROW
                   ? 0
                   : AC_EAGAIN;
    const char *msg = d && d->h ? sqlite3_errmsg(d->h) : sqlite3_errstr(rc);
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return 0;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return AC_EAGAIN;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
        ac_log_error("store", "I/O error: %s", msg);
        return AC_EIO;
    case SQLITE_NOMEM:
        return AC_ENOMEM;
    case SQLITE_RANGE:
        return AC_ERANGE;
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
            return AC_EEXIST;
        if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
            return AC_ENOENT;
        break;
    default:
        break;
    }
    ac_log_error("store", "database error %d: %s", rc, msg);
    return AC_EDB;
}

static void stmt_free(struct sqlite_stmt *s)
{
    if (!s)
        return;
    sqlite3_finalize(s->h);
    free(s->map);
    free(s);
}

static void db_close(struct ac_db *db)
{
    struct sqlite_db *d = db_of(db);
    for (size_t i = 0; i < d->cap; i++)
        stmt_free(d->slots[i].stmt);
    free(d->slots);
    if (d->h && sqlite3_close(d->h) != SQLITE_OK)
        ac_log_error("store", "close: %s", sqlite3_errmsg(d->h));
    free(d);
}

static int db_open(const char *target, struct ac_db **out)
{
    struct sqlite_db *d = calloc(1, sizeof *d);
    if (!d)
        return AC_ENOMEM;
    d->head.ops = &ac__db_sqlite_ops;
    d->head.conn = &d->head;
    /* Every connection through the "accord" VFS (nowait.h), the default
     * one's if it could not be registered: its reads then always wait. */
    pthread_once(&nw_once, nw_register);
    int rc = sqlite3_open_v2(target, &d->h,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nw_ready ? nw_vfs.zName : NULL);
    if (rc != SQLITE_OK) {
        ac_log_error("store", "%s: cannot open: %s", target,
                     d->h ? sqlite3_errmsg(d->h) : sqlite3_errstr(rc));
        db_close((struct ac_db *)d);
        return rc == SQLITE_NOMEM ? AC_ENOMEM : AC_EIO;
    }
    sqlite3_extended_result_codes(d->h, 1);
    /* db.h promises AC_ENOENT for a foreign-key refusal: SQLite checks
     * foreign keys only when asked. */
    rc = sqlite3_exec(d->h, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        int err = map_rc(d, rc);
        db_close((struct ac_db *)d);
        return err ? err : AC_EDB;
    }
    *out = (struct ac_db *)d;
    return 0;
}

static const char *db_errmsg(const struct ac_db *db)
{
    return sqlite3_errmsg(db_of(db)->h);
}

static int db_exec(struct ac_db *db, const char *sql)
{
    struct sqlite_db *d = db_of(db);
    int rc = sqlite3_exec(d->h, sql, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        return 0;
    int err = map_rc(d, rc);
    if (err == AC_EDB || err == AC_EIO)
        ac_log_error("store", "\"%.60s\" failed", sql);
    return err ? err : AC_EDB;
}

static int db_in_tx(const struct ac_db *db)
{
    return !sqlite3_get_autocommit(db_of(db)->h);
}

/* READ is a deferred BEGIN: the snapshot starts at the first read. WRITE
 * takes the write lock up front, so a writer never fails half-way on a lock
 * upgrade (which no busy timeout can wait out). */
static int db_begin(struct ac_db *db, enum ac_db_tx kind)
{
    return db_exec(db, kind == AC_DB_TX_WRITE ? "BEGIN IMMEDIATE" : "BEGIN");
}

static void db_rollback(struct ac_db *db)
{
    if (db_in_tx(db))
        sqlite3_exec(db_of(db)->h, "ROLLBACK", NULL, NULL, NULL);
}

static int db_commit(struct ac_db *db)
{
    int err = db_exec(db, "COMMIT");
    if (err)
        db_rollback(db);
    return err;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static int cache_grow(struct sqlite_db *d)
{
    size_t cap = d->cap ? d->cap * 2 : 64;
    struct stmt_slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return AC_ENOMEM;
    for (size_t i = 0; i < d->cap; i++) {
        if (!d->slots[i].sql)
            continue;
        size_t j = d->slots[i].hash & (cap - 1);
        while (slots[j].sql)
            j = (j + 1) & (cap - 1);
        slots[j] = d->slots[i];
    }
    free(d->slots);
    d->slots = slots;
    d->cap = cap;
    return 0;
}

/* Reads "$<digits>" into |*n|; returns 0 for any other parameter name. */
static int param_number(const char *name, int *n)
{
    if (!name || name[0] != '$' || name[1] < '1' || name[1] > '9')
        return 0;
    long v = 0;
    for (const char *p = name + 1; *p; p++) {
        if (*p < '0' || *p > '9' || v > 32766)
            return 0;
        v = v * 10 + (*p - '0');
    }
    *n = (int)v;
    return 1;
}

/* Builds the $n -> index map of |s|. Any parameter that is not $n ("?",
 * "?2", ":x") is refused, so SQL that could not run on PostgreSQL fails on
 * SQLite too. */
static int build_map(struct sqlite_stmt *s, const char *sql)
{
    int count = sqlite3_bind_parameter_count(s->h);
    int top = 0;
    for (int i = 1; i <= count; i++) {
        int n;
        if (!param_number(sqlite3_bind_parameter_name(s->h, i), &n)) {
            ac_log_error("store", "\"%.60s\": parameter %d is not written $n", sql, i);
            return AC_EDB;
        }
        if (n > top)
            top = n;
    }
    if (top == 0)
        return 0;
    s->map = calloc((size_t)top + 1, sizeof *s->map);
    if (!s->map)
        return AC_ENOMEM;
    s->nmap = top + 1;
    for (int i = 1; i <= count; i++) {
        int n = 0;
        param_number(sqlite3_bind_parameter_name(s->h, i), &n);
        s->map[n] = i;
    }
    return 0;
}

static void stmt_reset(struct ac_db_stmt *st)
{
    struct sqlite_stmt *s = stmt_of(st);
    sqlite3_reset(s->h);
    sqlite3_clear_bindings(s->h);
}

static int db_prepare(struct ac_db *db, const char *sql, struct ac_db_stmt **out)
{
    struct sqlite_db *d = db_of(db);
    /* Keep the load factor under one half so probe chains stay short. */
    if ((d->nslots + 1) * 2 > d->cap) {
        int err = cache_grow(d);
        if (err)
            return err;
    }
    uint64_t h = fnv1a(sql);
    size_t j = h & (d->cap - 1);
    while (d->slots[j].sql) {
        if (d->slots[j].hash == h && strcmp(d->slots[j].sql, sql) == 0) {
            stmt_reset((struct ac_db_stmt *)d->slots[j].stmt);
            *out = (struct ac_db_stmt *)d->slots[j].stmt;
            return 0;
        }
        j = (j + 1) & (d->cap - 1);
    }
    struct sqlite_stmt *s = calloc(1, sizeof *s);
    if (!s)
        return AC_ENOMEM;
    s->head.ops = &ac__db_sqlite_ops;
    s->head.conn = &d->head;
    s->db = d;
    int rc = sqlite3_prepare_v3(d->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->h, NULL);
    int err = rc == SQLITE_OK ? build_map(s, sql) : map_rc(d, rc);
    if (rc != SQLITE_OK && !err)
        err = AC_EDB;
    if (err) {
        stmt_free(s);
        return err;
    }
    d->slots[j] = (struct stmt_slot){sql, h, s};
    d->nslots++;
    *out = (struct ac_db_stmt *)s;
    return 0;
}

/* The SQLite index of $|n| in |s|, or 0 when the text has no $|n|. */
static int index_of(const struct sqlite_stmt *s, int n)
{
    return n > 0 && n < s->nmap ? s->map[n] : 0;
}

static int bind_rc(struct sqlite_stmt *s, int rc)
{
    if (rc == SQLITE_OK)
        return 0;
    if (rc == SQLITE_TOOBIG)
        return AC_ERANGE;
    int err = map_rc(s->db, rc);
    return err ? err : AC_EDB;
}

static int bind_int64(struct ac_db_stmt *st, int n, int64_t v)
{
    struct sqlite_stmt *s = stmt_of(st);
    int i = index_of(s, n);
    return i ? bind_rc(s, sqlite3_bind_int64(s->h, i, v)) : AC_ERANGE;
}

static int bind_null(struct ac_db_stmt *st, int n)
{
    struct sqlite_stmt *s = stmt_of(st);
    int i = index_of(s, n);
    return i ? bind_rc(s, sqlite3_bind_null(s->h, i)) : AC_ERANGE;
}

static int bind_text(struct ac_db_stmt *st, int n, const char *text, int len)
{
    struct sqlite_stmt *s = stmt_of(st);
    int i = index_of(s, n);
    if (!i)
        return AC_ERANGE;
    if (!text)
        return bind_rc(s, sqlite3_bind_null(s->h, i));
    return bind_rc(s, sqlite3_bind_text(s->h, i, text, len, SQLITE_TRANSIENT));
}

static int bind_blob(struct ac_db_stmt *st, int n, const void *data, size_t len)
{
    struct sqlite_stmt *s = stmt_of(st);
    int i = index_of(s, n);
    if (!i)
        return AC_ERANGE;
    if (!data)
        return bind_rc(s, sqlite3_bind_null(s->h, i));
    return bind_rc(s, sqlite3_bind_blob64(s->h, i, data, len, SQLITE_TRANSIENT));
}

static int stmt_step(struct ac_db_stmt *st)
{
    struct sqlite_stmt *s = stmt_of(st);
    int rc = sqlite3_step(s->h);
    if (rc == SQLITE_ROW)
        return AC_DB_ROW;
    if (rc == SQLITE_DONE)
        return AC_DB_DONE;
    int err = map_rc(s->db, rc);
    return err ? err : AC_EDB;
}

static int col_count(struct ac_db_stmt *st)
{
    return sqlite3_column_count(stmt_of(st)->h);
}

static int col_is_null(struct ac_db_stmt *st, int col)
{
    return sqlite3_column_type(stmt_of(st)->h, col) == SQLITE_NULL;
}

static int64_t col_int64(struct ac_db_stmt *st, int col)
{
    return sqlite3_column_int64(stmt_of(st)->h, col);
}

static double col_double(struct ac_db_stmt *st, int col)
{
    return sqlite3_column_double(stmt_of(st)->h, col);
}

static const char *col_text(struct ac_db_stmt *st, int col)
{
    return (const char *)sqlite3_column_text(stmt_of(st)->h, col);
}

static const void *col_blob(struct ac_db_stmt *st, int col)
{
    return sqlite3_column_blob(stmt_of(st)->h, col);
}

static size_t col_bytes(struct ac_db_stmt *st, int col)
{
    return (size_t)sqlite3_column_bytes(stmt_of(st)->h, col);
}

static int64_t db_changes(const struct ac_db *db)
{
    return sqlite3_changes64(db_of(db)->h);
}

const struct ac__db_ops ac__db_sqlite_ops = {
    .engine = AC_DB_SQLITE,
    .open = db_open,
    .close = db_close,
    .errmsg = db_errmsg,
    .exec = db_exec,
    .begin = db_begin,
    .commit = db_commit,
    .rollback = db_rollback,
    .in_tx = db_in_tx,
    .prepare = db_prepare,
    .bind_int64 = bind_int64,
    .bind_text = bind_text,
    .bind_blob = bind_blob,
    .bind_null = bind_null,
    .step = stmt_step,
    .col_count = col_count,
    .col_is_null = col_is_null,
    .col_int64 = col_int64,
    .col_double = col_double,
    .col_text = col_text,
    .col_blob = col_blob,
    .col_bytes = col_bytes,
    .reset = stmt_reset,
    .changes = db_changes,
};
