/* store_keys.c - the signing keys' hand-over statements. */
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/keys.h"
#include "internal.h"

int ac_store_key_handover_put(struct ac_store *st, const char *kid, int64_t at_ms,
                              const uint8_t *statement, size_t len)
{
    sqlite3_stmt *s;
    int err = ac__store_stmt(
        st, "INSERT INTO key_handovers(kid, at_ms, statement) VALUES (?1, ?2, ?3)", &s);
    if (err)
        return err;
    sqlite3_bind_text(s, 1, kid, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, at_ms);
    sqlite3_bind_blob(s, 3, statement, (int)len, SQLITE_STATIC);
    err = ac__store_begin(st);
    if (err) {
        sqlite3_reset(s);
        return err;
    }
    return ac__store_end(st, ac__store_done(st, s));
}

int ac_store_key_handovers(struct ac_store *st,
                           int (*cb)(void *ctx, const uint8_t *statement, size_t len), void *ctx)
{
    sqlite3_stmt *s;
    int err = ac__store_stmt(st, "SELECT statement FROM key_handovers ORDER BY at_ms, kid", &s);
    if (err)
        return err;
    int rc = SQLITE_DONE;
    while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW)
        err = cb(ctx, sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0));
    if (!err && rc != SQLITE_DONE)
        err = ac__store_error(st, rc);
    sqlite3_reset(s);
    return err;
}
