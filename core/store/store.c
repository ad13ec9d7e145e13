/* store.c - opening the SQLite database, pragmas, migrations, the prepared
 * statement cache and transactions that every core/store_*.c file builds on. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/store/store.h"
#include "accord/store/sync.h"
#include "internal.h"

struct stmt_slot {
    const char *sql; /* borrowed: statement texts are string literals in core/ */
    uint64_t hash;
    sqlite3_stmt *stmt; /* owned */
};

struct ac_store {
    sqlite3 *db;
    struct stmt_slot *slots; /* open addressing; cap is a power of two */
    size_t nslots, cap;
    int depth; /* open transactions: 1 = BEGIN IMMEDIATE, more = savepoints inside it */
    /* Commits of this connection that reached the WAL, counted by on_wal()
     * on the loop thread; atomic because the storage thread reads it. */
    _Atomic uint64_t commits;
    struct ac__store_sync *sync; /* owned; NULL while writes are made durable inline */
    int readonly; /* opened by ac_store_open_readonly(): never checkpoints */
};

/* SQLite's own auto-checkpoint threshold (frames), kept for the inline mode
 * since installing a WAL hook replaces the built-in one. */
#define INLINE_CHECKPOINT_FRAMES 1000

/* How long a writer waits for another process holding the lock (e.g. an
 * operator's sqlite3 shell) before giving up with SQLITE_BUSY. */
#define BUSY_TIMEOUT_MS 5000

int ac__store_error(struct ac_store *st, int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return 0;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
        ac_log_error("store", "I/O error: %s",
                     st && st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
        return AC_EIO;
    case SQLITE_NOMEM:
        return AC_ENOMEM;
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
            return AC_EEXIST;
        if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
            return AC_ENOENT;
        break;
    default:
        break;
    }
    ac_log_error("store", "database error %d: %s", rc,
                 st && st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
    return AC_EDB;
}

sqlite3 *ac__store_db(struct ac_store *st)
{
    return st->db;
}

int ac_store_sync_start(struct ac_store *st, ac_store_durable_cb cb, void *arg)
{
    if (st->sync)
        return AC_EINVAL;
    return ac__store_sync_open(st->db, ac_store_commits(st), cb, arg, &st->sync);
}

void ac_store_sync_stop(struct ac_store *st)
{
    if (!st->sync)
        return;
    ac__store_sync_close(st->sync, st->db);
    st->sync = NULL;
}

int ac_store_sync_error(const struct ac_store *st)
{
    return st->sync ? ac__store_sync_error(st->sync) : 0;
}

uint64_t ac_store_sync_fsyncs(const struct ac_store *st)
{
    return st->sync ? ac__store_sync_fsyncs(st->sync) : 0;
}

uint64_t ac_store_sync_checkpoints(const struct ac_store *st)
{
    return st->sync ? ac__store_sync_checkpoints(st->sync) : 0;
}

uint64_t ac_store_commits(const struct ac_store *st)
{
    return atomic_load(&((struct ac_store *)st)->commits);
}

uint64_t ac_store_durable(const struct ac_store *st)
{
    if (st->sync)
        return ac__store_sync_durable(st->sync);
    /* Inline: each commit was fsynced before it returned. */
    return ac_store_commits(st);
}

/* Runs on the loop thread after every commit of this connection reached the
 * WAL (an explicit COMMIT or a statement in autocommit), with the frames now
 * in the WAL. It numbers the commit; with the storage thread running it hands
 * the number over for the next fsync, else it checkpoints as SQLite's default
 * hook would.
 *
 * The WAL can start over only when a write transaction begins with every
 * frame checkpointed; under a steady stream of commits the storage thread's
 * checkpoints never quite catch up, and the WAL would grow without bound
 * (measured: 233 MB over 20,000 commits). So once the storage thread has
 * caught up with everything but the last few commits, the loop checkpoints
 * that tail itself, while no commit can land: a few pages and two small
 * fsyncs (the WAL, then the database file, as synchronous=NORMAL does for a
 * checkpoint) once per WAL cycle, after which its next commit starts the WAL
 * over (one more fsync, of the new WAL header). Those are the only fsyncs
 * the loop makes. Should the storage thread fall behind, the loop does the
 * same once the WAL holds twice the checkpoint threshold, so the WAL stays
 * bounded whatever the disk does. A checkpoint of the storage thread still
 * running makes the loop's return SQLITE_BUSY at once, never wait; the next
 * commit tries again. */
static int on_wal(void *arg, sqlite3 *db, const char *name, int frames)
{
    struct ac_store *st = arg;
    uint64_t n = atomic_fetch_add(&st->commits, 1) + 1;
    if (st->sync) {
        ac__store_sync_note(st->sync, n, frames);
        if (ac__store_sync_take_tail(st->sync) || frames >= 2 * AC__STORE_CHECKPOINT_FRAMES)
            sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    } else if (frames >= INLINE_CHECKPOINT_FRAMES)
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static int cache_grow(struct ac_store *st)
{
    size_t cap = st->cap ? st->cap * 2 : 64;
    struct stmt_slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return AC_ENOMEM;
    for (size_t i = 0; i < st->cap; i++) {
        if (!st->slots[i].sql)
            continue;
        size_t j = st->slots[i].hash & (cap - 1);
        while (slots[j].sql)
            j = (j + 1) & (cap - 1);
        slots[j] = st->slots[i];
    }
    free(st->slots);
    st->slots = slots;
    st->cap = cap;
    return 0;
}

int ac__store_stmt(struct ac_store *st, const char *sql, sqlite3_stmt **out)
{
    /* Keep the load factor under one half so probe chains stay short. */
    if ((st->nslots + 1) * 2 > st->cap) {
        int err = cache_grow(st);
        if (err)
            return err;
    }
    uint64_t h = fnv1a(sql);
    size_t j = h & (st->cap - 1);
    while (st->slots[j].sql) {
        if (st->slots[j].hash == h && strcmp(st->slots[j].sql, sql) == 0) {
            sqlite3_stmt *s = st->slots[j].stmt;
            sqlite3_reset(s);
            sqlite3_clear_bindings(s);
            *out = s;
            return 0;
        }
        j = (j + 1) & (st->cap - 1);
    }
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
    if (rc != SQLITE_OK)
        return ac__store_error(st, rc);
    st->slots[j] = (struct stmt_slot){sql, h, s};
    st->nslots++;
    *out = s;
    return 0;
}

static int exec(struct ac_store *st, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        ac_log_error("store", "\"%.60s\" failed: %s", sql, msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        int err = ac__store_error(NULL, rc);
        return err ? err : AC_EDB;
    }
    return 0;
}

/* Transactions nest: the outermost is a real BEGIN IMMEDIATE, inner ones are
 * savepoints, so a store function that opens its own transaction can also run
 * inside a caller's (e.g. a state change plus its audit row, committed once). */
int ac__store_begin(struct ac_store *st)
{
    int err;
    if (st->depth == 0) {
        err = exec(st, "BEGIN IMMEDIATE");
    } else {
        char sql[32];
        snprintf(sql, sizeof sql, "SAVEPOINT ac_%d", st->depth);
        err = exec(st, sql);
    }
    if (!err)
        st->depth++;
    return err;
}

int ac__store_commit(struct ac_store *st)
{
    if (st->depth <= 0)
        return AC_EBUG;
    int err;
    if (st->depth == 1) {
        err = exec(st, "COMMIT");
        if (err) {
            ac__store_rollback(st);
            return err;
        }
    } else {
        char sql[32];
        snprintf(sql, sizeof sql, "RELEASE ac_%d", st->depth - 1);
        err = exec(st, sql);
        if (err) {
            ac__store_rollback(st);
            return err;
        }
    }
    st->depth--;
    return 0;
}

void ac__store_rollback(struct ac_store *st)
{
    if (st->depth > 1) {
        char sql[64];
        snprintf(sql, sizeof sql, "ROLLBACK TO ac_%d; RELEASE ac_%d", st->depth - 1, st->depth - 1);
        sqlite3_exec(st->db, sql, NULL, NULL, NULL);
        st->depth--;
        return;
    }
    st->depth = 0;
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int ac_store_tx_begin(struct ac_store *st)
{
    return ac__store_begin(st);
}

int ac_store_tx_commit(struct ac_store *st)
{
    return ac__store_commit(st);
}

void ac_store_tx_rollback(struct ac_store *st)
{
    ac__store_rollback(st);
}

int ac_store_schema_latest(void)
{
    return ac__migrations[ac__nmigrations - 1].version;
}

int ac_store_schema_version(struct ac_store *st, int *version)
{
    sqlite3_stmt *s;
    int err = ac__store_stmt(st, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &s);
    if (err)
        return err;
    if (sqlite3_step(s) != SQLITE_ROW)
        return ac__store_error(st, sqlite3_errcode(st->db));
    *version = sqlite3_column_int(s, 0);
    sqlite3_reset(s);
    return 0;
}

int ac_store_size(struct ac_store *st, int64_t *bytes)
{
    sqlite3_stmt *s;
    int err = ac__store_stmt(
        st, "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()", &s);
    if (err)
        return err;
    if (sqlite3_step(s) != SQLITE_ROW)
        return ac__store_error(st, sqlite3_errcode(st->db));
    *bytes = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return 0;
}

static int apply_one(struct ac_store *st, const struct ac__migration *m)
{
    int err = ac__store_begin(st);
    if (err)
        return err;
    err = exec(st, m->sql);
    sqlite3_stmt *s = NULL;
    if (!err)
        err = ac__store_stmt(st,
                             "INSERT INTO schema_migrations(version, description, applied_ms)"
                             " VALUES (?1, ?2, ?3)",
                             &s);
    if (!err) {
        sqlite3_bind_int(s, 1, m->version);
        sqlite3_bind_text(s, 2, m->description, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, ac_clock_now_ms());
        int rc = sqlite3_step(s);
        err = rc == SQLITE_DONE ? 0 : ac__store_error(st, rc);
        sqlite3_reset(s);
    }
    /* user_version mirrors the schema for operators inspecting the file. */
    if (!err) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", m->version);
        err = exec(st, sql);
    }
    if (!err)
        err = ac__store_commit(st);
    else
        ac__store_rollback(st);
    if (err)
        ac_log_error("store", "migration %d (%s) failed: %s", m->version, m->description,
                     ac_strerror(err));
    return err;
}

static int migrate(struct ac_store *st, const char *path)
{
    int err = exec(st, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                       " version INTEGER PRIMARY KEY,"
                       " description TEXT NOT NULL,"
                       " applied_ms INTEGER NOT NULL)");
    if (err)
        return err;
    int have = 0;
    err = ac_store_schema_version(st, &have);
    if (err)
        return err;
    int latest = ac_store_schema_latest();
    if (have > latest) {
        ac_log_error("store",
                     "%s: database schema version %d is newer than this accord-node %s "
                     "understands (%d); run a newer accord-node or restore a backup",
                     path, have, ACCORD_VERSION, latest);
        return AC_ESCHEMA;
    }
    for (size_t i = 0; i < ac__nmigrations; i++) {
        if (ac__migrations[i].version <= have)
            continue;
        err = apply_one(st, &ac__migrations[i]);
        if (err)
            return err;
        ac_log_info("store", "applied migration %d: %s", ac__migrations[i].version,
                    ac__migrations[i].description);
    }
    return 0;
}

int ac_store_open(const char *path, struct ac_store **out)
{
    /* The database holds token hashes and personal data: create it 0600 before
     * SQLite does (SQLite gives its -wal and -shm files the database's mode). */
    if (strcmp(path, ":memory:") != 0) {
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) {
            ac_log_error("store", "%s: cannot open: %s", path, strerror(errno));
            return AC_EIO;
        }
        close(fd);
    }
    struct ac_store *st = calloc(1, sizeof *st);
    if (!st)
        return AC_ENOMEM;
    int rc = sqlite3_open_v2(
        path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        ac_log_error("store", "%s: cannot open: %s", path,
                     st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
        ac_store_close(st);
        return rc == SQLITE_NOMEM ? AC_ENOMEM : AC_EIO;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
    /* WAL with synchronous=FULL: a commit is on disk before it returns, so an
     * acknowledged write survives kill -9 and power loss. ac_store_sync_start()
     * (store_sync.c) moves the fsync to a storage thread instead. */
    int err = exec(st, "PRAGMA journal_mode = WAL");
    if (!err)
        err = exec(st, "PRAGMA synchronous = FULL");
    if (!err)
        err = exec(st, "PRAGMA foreign_keys = ON");
    if (!err)
        sqlite3_wal_hook(st->db, on_wal, st);
    if (!err)
        err = migrate(st, path);
    if (err) {
        ac_store_close(st);
        return err;
    }
    *out = st;
    return 0;
}

void ac_store_close(struct ac_store *st)
{
    if (!st)
        return;
    /* Every commit made durable (and reported) before the WAL is folded back. */
    ac_store_sync_stop(st);
    for (size_t i = 0; i < st->cap; i++)
        if (st->slots[i].stmt)
            sqlite3_finalize(st->slots[i].stmt);
    free(st->slots);
    if (st->db && !st->readonly) {
        /* Fold the WAL back so the database file alone is complete. */
        sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    }
    if (st->db && sqlite3_close(st->db) != SQLITE_OK)
        ac_log_error("store", "close: %s", sqlite3_errmsg(st->db));
    free(st);
}

int ac_store_open_readonly(const char *path, struct ac_store **out)
{
    if (strcmp(path, ":memory:") == 0)
        return AC_EINVAL;
    struct ac_store *st = calloc(1, sizeof *st);
    if (!st)
        return AC_ENOMEM;
    st->readonly = 1;
    /* Read-write without CREATE, then query_only: a connection opened with
     * SQLITE_OPEN_READONLY fails in WAL mode whenever it would have to build
     * the -shm index itself, while query_only refuses every statement that
     * writes all the same. */
    int rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        ac_log_error("store", "%s: cannot open for reading: %s", path,
                     st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
        ac_store_close(st);
        return rc == SQLITE_NOMEM ? AC_ENOMEM : AC_EIO;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
    /* Closing must not checkpoint: the writer's connection and its storage
     * thread own the WAL (sync.h). */
    sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    int err = exec(st, "PRAGMA query_only = ON");
    int have = 0;
    if (!err)
        err = ac_store_schema_version(st, &have);
    if (!err && have != ac_store_schema_latest()) {
        ac_log_error("store", "%s: schema version %d, this accord-node reads %d; a reader "
                     "opens only a database its writer has migrated",
                     path, have, ac_store_schema_latest());
        err = AC_ESCHEMA;
    }
    if (err) {
        ac_store_close(st);
        return err;
    }
    *out = st;
    return 0;
}
