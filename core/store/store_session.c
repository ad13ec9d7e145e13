/* store_session.c - web sign-in state: password hashes, browser sessions and
 * one-time links (include/accord/store/session.h). */
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/session.h"
#include "internal.h"

int ac_store_user_by_name(struct ac_store *st, const char *name, struct ac_user *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT id, name, display_name, roles, created_ms, disabled_ms"
                             " FROM users WHERE name = $1",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, name, -1);
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW) {
        memset(out, 0, sizeof *out);
        out->id = ac_db_col_int64(s, 0);
        ac__col_copy(out->name, sizeof out->name, s, 1);
        ac__col_copy(out->display_name, sizeof out->display_name, s, 2);
        out->roles = (unsigned)ac_db_col_int64(s, 3);
        out->created_ms = ac_db_col_int64(s, 4);
        out->disabled_ms = ac_db_col_int64(s, 5);
    }
    ac_db_reset(s);
    return rc == AC_DB_ROW ? 0 : rc == AC_DB_DONE ? AC_ENOENT : ac__store_error(st, rc);
}

int ac_store_user_by_email(struct ac_store *st, const char *address, struct ac_user *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT id, name, display_name, roles, created_ms, disabled_ms"
                             " FROM users WHERE email = $1 AND email <> ''"
                             " AND email_verified_ms <> 0 ORDER BY id LIMIT 2",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, address, -1);
    struct ac_user u;
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW) {
        memset(&u, 0, sizeof u);
        u.id = ac_db_col_int64(s, 0);
        ac__col_copy(u.name, sizeof u.name, s, 1);
        ac__col_copy(u.display_name, sizeof u.display_name, s, 2);
        u.roles = (unsigned)ac_db_col_int64(s, 3);
        u.created_ms = ac_db_col_int64(s, 4);
        u.disabled_ms = ac_db_col_int64(s, 5);
        /* A second row: the address is ambiguous, so it names no one. */
        rc = ac_db_step(s);
        if (rc == AC_DB_DONE) {
            *out = u;
            rc = AC_DB_ROW;
        } else if (rc == AC_DB_ROW) {
            rc = AC_DB_DONE;
        }
    }
    ac_db_reset(s);
    return rc == AC_DB_ROW ? 0 : rc == AC_DB_DONE ? AC_ENOENT : ac__store_error(st, rc);
}

int ac_store_password_set(struct ac_store *st, int64_t user_id, const char *hash, int64_t now_ms)
{
    if (!hash || !hash[0] || strlen(hash) > AC_PASSWORD_HASH_MAX)
        return AC_EINVAL;
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "INSERT INTO web_passwords(user_id, hash, set_ms) VALUES ($1, $2, $3)"
                             " ON CONFLICT(user_id) DO UPDATE SET hash = $2, set_ms = $3",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, user_id);
    ac_db_bind_text(s, 2, hash, -1);
    ac_db_bind_int64(s, 3, now_ms);
    return ac__store_done(st, s);
}

int ac_store_password_get(struct ac_store *st, int64_t user_id, char out[AC_PASSWORD_HASH_MAX + 1])
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT hash FROM web_passwords WHERE user_id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, user_id);
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW)
        ac__col_copy(out, AC_PASSWORD_HASH_MAX + 1, s, 0);
    ac_db_reset(s);
    return rc == AC_DB_ROW ? 0 : rc == AC_DB_DONE ? AC_ENOENT : ac__store_error(st, rc);
}

int ac_store_session_create(struct ac_store *st, int64_t user_id,
                            const uint8_t hash[AC_SESSION_HASH_BYTES], int64_t now_ms,
                            int64_t expires_ms, struct ac_session *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "INSERT INTO web_sessions(user_id, hash, created_ms, expires_ms)"
                             " VALUES ($1, $2, $3, $4) RETURNING id",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, user_id);
    ac_db_bind_blob(s, 2, hash, AC_SESSION_HASH_BYTES);
    ac_db_bind_int64(s, 3, now_ms);
    ac_db_bind_int64(s, 4, expires_ms);
    int64_t id = 0;
    err = ac__store_insert_id(st, s, &id);
    if (err)
        return err;
    memset(out, 0, sizeof *out);
    out->id = id;
    out->user_id = user_id;
    out->created_ms = now_ms;
    out->expires_ms = expires_ms;
    return 0;
}

int ac_store_session_find(struct ac_store *st, const uint8_t hash[AC_SESSION_HASH_BYTES],
                          struct ac_session *ses, struct ac_user *user)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT s.id, s.user_id, s.created_ms, s.expires_ms, s.revoked_ms,"
                             " u.id, u.name, u.display_name, u.roles, u.created_ms, u.disabled_ms"
                             " FROM web_sessions s JOIN users u ON u.id = s.user_id"
                             " WHERE s.hash = $1",
                             &s);
    if (err)
        return err;
    ac_db_bind_blob(s, 1, hash, AC_SESSION_HASH_BYTES);
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW) {
        memset(ses, 0, sizeof *ses);
        memset(user, 0, sizeof *user);
        ses->id = ac_db_col_int64(s, 0);
        ses->user_id = ac_db_col_int64(s, 1);
        ses->created_ms = ac_db_col_int64(s, 2);
        ses->expires_ms = ac_db_col_int64(s, 3);
        ses->revoked_ms = ac_db_col_int64(s, 4);
        ac__store_read_user(s, 5, user);
    }
    ac_db_reset(s);
    return rc == AC_DB_ROW ? 0 : rc == AC_DB_DONE ? AC_ENOENT : ac__store_error(st, rc);
}

int ac_store_session_revoke(struct ac_store *st, int64_t id, int64_t now_ms)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st, "UPDATE web_sessions SET revoked_ms = $2 WHERE id = $1 AND revoked_ms = 0", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    ac_db_bind_int64(s, 2, now_ms);
    return ac__store_done(st, s);
}

int ac_store_session_revoke_user(struct ac_store *st, int64_t user_id, int64_t now_ms)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st, "UPDATE web_sessions SET revoked_ms = $2 WHERE user_id = $1 AND revoked_ms = 0", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, user_id);
    ac_db_bind_int64(s, 2, now_ms);
    return ac__store_done(st, s);
}

static const char *purpose_name(enum ac_link_purpose p)
{
    return p == AC_LINK_SIGN_IN ? "sign-in" : "set-password";
}

int ac_store_link_create(struct ac_store *st, int64_t user_id, enum ac_link_purpose purpose,
                         const uint8_t hash[AC_SESSION_HASH_BYTES], int64_t now_ms,
                         int64_t expires_ms)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "INSERT INTO web_links(hash, user_id, purpose, created_ms, expires_ms)"
                             " VALUES ($1, $2, $3, $4, $5)",
                             &s);
    if (err)
        return err;
    ac_db_bind_blob(s, 1, hash, AC_SESSION_HASH_BYTES);
    ac_db_bind_int64(s, 2, user_id);
    ac_db_bind_text(s, 3, purpose_name(purpose), -1);
    ac_db_bind_int64(s, 4, now_ms);
    ac_db_bind_int64(s, 5, expires_ms);
    return ac__store_done(st, s);
}

int ac_store_link_use(struct ac_store *st, enum ac_link_purpose purpose,
                      const uint8_t hash[AC_SESSION_HASH_BYTES], int64_t now_ms, int64_t *user_id)
{
    /* One UPDATE ... RETURNING both checks and spends the link, so two
     * requests racing with one link cannot both succeed. */
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "UPDATE web_links SET used_ms = $3"
                             " WHERE hash = $1 AND purpose = $2 AND used_ms = 0 AND expires_ms > $3"
                             " RETURNING user_id",
                             &s);
    if (err)
        return err;
    ac_db_bind_blob(s, 1, hash, AC_SESSION_HASH_BYTES);
    ac_db_bind_text(s, 2, purpose_name(purpose), -1);
    ac_db_bind_int64(s, 3, now_ms);
    int rc = ac_db_step(s);
    int64_t uid = rc == AC_DB_ROW ? ac_db_col_int64(s, 0) : 0;
    if (rc == AC_DB_ROW)
        rc = ac_db_step(s);
    ac_db_reset(s);
    if (rc != AC_DB_DONE)
        return ac__store_error(st, rc);
    if (!uid)
        return AC_ENOENT;
    *user_id = uid;
    return 0;
}
