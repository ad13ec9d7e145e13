/* store_keys.c - the signing keys' hand-over statements. */
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/keys.h"
#include "internal.h"

int ac_store_key_handover_put(struct ac_store *st, const char *kid, int64_t at_ms,
                              const uint8_t *statement, size_t len)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st, "INSERT INTO key_handovers(kid, at_ms, statement) VALUES ($1, $2, $3)", &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, kid, -1);
    ac_db_bind_int64(s, 2, at_ms);
    ac_db_bind_blob(s, 3, statement, len);
    err = ac__store_begin(st);
    if (err) {
        ac_db_reset(s);
        return err;
    }
    return ac__store_end(st, ac__store_done(st, s));
}

int ac_store_key_handovers(struct ac_store *st,
                           int (*cb)(void *ctx, const uint8_t *statement, size_t len), void *ctx)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT statement FROM key_handovers ORDER BY at_ms, kid", &s);
    if (err)
        return err;
    int rc = AC_DB_DONE;
    while (!err && (rc = ac_db_step(s)) == AC_DB_ROW)
        err = cb(ctx, ac_db_col_blob(s, 0), (size_t)ac_db_col_bytes(s, 0));
    if (!err && rc != AC_DB_DONE)
        err = ac__store_error(st, rc);
    ac_db_reset(s);
    return err;
}
