/* store_user.c - node users with roles and their bearer tokens (by keyed hash). */
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/user.h"
#include "internal.h"

#define USER_COLUMNS "id, name, display_name, roles, created_ms, disabled_ms"

void ac__store_read_user(struct ac_db_stmt *s, int col, struct ac_user *u)
{
    u->id = ac_db_col_int64(s, col);
    ac__col_copy(u->name, sizeof u->name, s, col + 1);
    ac__col_copy(u->display_name, sizeof u->display_name, s, col + 2);
    u->roles = (unsigned)ac_db_col_int64(s, col + 3);
    u->created_ms = ac_db_col_int64(s, col + 4);
    u->disabled_ms = ac_db_col_int64(s, col + 5);
}

static int read_user_row(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    (void)st;
    ac__store_read_user(s, 0, elem);
    return 0;
}

static const struct ac__row_type user_rows = {sizeof(struct ac_user), read_user_row, NULL};

int ac_store_user_create(struct ac_store *st, const char *name, const char *display_name,
                         unsigned roles, int64_t now_ms, struct ac_user *out)
{
    if (ac_user_name_check(name) || roles == 0 || (roles & ~AC_ROLE_ALL))
        return AC_EINVAL;
    if (!display_name || !display_name[0])
        display_name = name;
    if (strlen(display_name) > AC_USER_DISPLAY_MAX)
        return AC_EINVAL;
    struct ac_db_stmt *s;
    int err = ac__store_begin(st);
    if (err)
        return err;
    int64_t id = 0;
    err = ac__store_stmt(st,
                         "INSERT INTO users(name, display_name, roles, created_ms)"
                         " VALUES ($1, $2, $3, $4) RETURNING id",
                         &s);
    if (!err) {
        ac_db_bind_text(s, 1, name, -1);
        ac_db_bind_text(s, 2, display_name, -1);
        ac_db_bind_int64(s, 3, (int)roles);
        ac_db_bind_int64(s, 4, now_ms);
        err = ac__store_insert_id(st, s, &id);
    }
    err = ac__store_end(st, err);
    if (err)
        return err;
    memset(out, 0, sizeof *out);
    out->id = id;
    ac__text_copy(out->name, sizeof out->name, name);
    ac__text_copy(out->display_name, sizeof out->display_name, display_name);
    out->roles = roles;
    out->created_ms = now_ms;
    return 0;
}

int ac_store_user_get(struct ac_store *st, int64_t id, struct ac_user *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT " USER_COLUMNS " FROM users WHERE id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    return ac__store_one(st, s, &user_rows, out);
}

int ac_store_user_list(struct ac_store *st, int64_t after_id, struct ac_user *out, size_t max,
                       size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st, "SELECT " USER_COLUMNS " FROM users WHERE id > $1 ORDER BY id LIMIT $2", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, after_id);
    ac_db_bind_int64(s, 2, (int64_t)max);
    return ac__store_fill(st, s, &user_rows, out, max, n);
}

int ac_store_user_count(struct ac_store *st, int64_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT COUNT(*) FROM users", &s);
    if (err)
        return err;
    return ac__store_int64(st, s, n);
}

int ac_store_user_set_roles(struct ac_store *st, int64_t id, unsigned roles)
{
    struct ac_user u;
    int err = ac__store_begin(st);
    if (err)
        return err;
    err = ac_store_user_get(st, id, &u);
    struct ac_db_stmt *s;
    if (!err)
        err = ac__store_stmt(st, "UPDATE users SET roles = $2 WHERE id = $1", &s);
    if (!err) {
        ac_db_bind_int64(s, 1, id);
        ac_db_bind_int64(s, 2, roles);
        err = ac__store_done(st, s);
    }
    return ac__store_end(st, err);
}

int ac_store_user_disable(struct ac_store *st, int64_t id, int64_t now_ms)
{
    struct ac_user u;
    int err = ac__store_begin(st);
    if (err)
        return err;
    err = ac_store_user_get(st, id, &u);
    struct ac_db_stmt *s;
    if (!err && u.disabled_ms == 0) {
        err = ac__store_stmt(st, "UPDATE users SET disabled_ms = $2 WHERE id = $1", &s);
        if (!err) {
            ac_db_bind_int64(s, 1, id);
            ac_db_bind_int64(s, 2, now_ms);
            err = ac__store_done(st, s);
        }
        if (!err)
            err = ac__store_stmt(
                st, "UPDATE tokens SET revoked_ms = $2 WHERE user_id = $1 AND revoked_ms = 0", &s);
        if (!err) {
            ac_db_bind_int64(s, 1, id);
            ac_db_bind_int64(s, 2, now_ms);
            err = ac__store_done(st, s);
        }
    }
    return ac__store_end(st, err);
}

#define TOKEN_COLUMNS "t.id, t.user_id, t.label, t.created_ms, t.revoked_ms"

static int read_token(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    (void)st;
    struct ac_token *t = elem;
    t->id = ac_db_col_int64(s, 0);
    t->user_id = ac_db_col_int64(s, 1);
    ac__col_copy(t->label, sizeof t->label, s, 2);
    t->created_ms = ac_db_col_int64(s, 3);
    t->revoked_ms = ac_db_col_int64(s, 4);
    return 0;
}

static const struct ac__row_type token_rows = {sizeof(struct ac_token), read_token, NULL};

int ac_store_token_create(struct ac_store *st, int64_t user_id, const char *label,
                          const uint8_t hash[AC_TOKEN_HASH_BYTES], int64_t now_ms,
                          struct ac_token *out)
{
    if (!label)
        label = "";
    if (strlen(label) > AC_TOKEN_LABEL_MAX)
        return AC_EINVAL;
    int err = ac__store_begin(st);
    if (err)
        return err;
    struct ac_db_stmt *s;
    int64_t id = 0;
    err = ac__store_stmt(st,
                         "INSERT INTO tokens(user_id, label, hash, created_ms)"
                         " VALUES ($1, $2, $3, $4) RETURNING id",
                         &s);
    if (!err) {
        ac_db_bind_int64(s, 1, user_id);
        ac_db_bind_text(s, 2, label, -1);
        ac_db_bind_blob(s, 3, hash, AC_TOKEN_HASH_BYTES);
        ac_db_bind_int64(s, 4, now_ms);
        err = ac__store_insert_id(st, s, &id);
    }
    err = ac__store_end(st, err);
    if (err)
        return err;
    memset(out, 0, sizeof *out);
    out->id = id;
    out->user_id = user_id;
    ac__text_copy(out->label, sizeof out->label, label);
    out->created_ms = now_ms;
    return 0;
}

int ac_store_token_find(struct ac_store *st, const uint8_t hash[AC_TOKEN_HASH_BYTES],
                        struct ac_token *tok, struct ac_user *user)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT " TOKEN_COLUMNS ", u.id, u.name, u.display_name, u.roles,"
                             " u.created_ms, u.disabled_ms"
                             " FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = $1",
                             &s);
    if (err)
        return err;
    ac_db_bind_blob(s, 1, hash, AC_TOKEN_HASH_BYTES);
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW) {
        read_token(st, s, tok);
        ac__store_read_user(s, 5, user);
    }
    ac_db_reset(s);
    return rc == AC_DB_ROW ? 0 : rc == AC_DB_DONE ? AC_ENOENT : ac__store_error(st, rc);
}

int ac_store_token_get(struct ac_store *st, int64_t id, struct ac_token *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT " TOKEN_COLUMNS " FROM tokens t WHERE t.id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    return ac__store_one(st, s, &token_rows, out);
}

int ac_store_token_list(struct ac_store *st, int64_t user_id, int64_t after_id,
                        struct ac_token *out, size_t max, size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT " TOKEN_COLUMNS " FROM tokens t"
                             " WHERE t.user_id = $1 AND t.id > $2 ORDER BY t.id LIMIT $3",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, user_id);
    ac_db_bind_int64(s, 2, after_id);
    ac_db_bind_int64(s, 3, (int64_t)max);
    return ac__store_fill(st, s, &token_rows, out, max, n);
}

int ac_store_token_revoke(struct ac_store *st, int64_t id, int64_t now_ms)
{
    int err = ac__store_begin(st);
    if (err)
        return err;
    struct ac_token t;
    err = ac_store_token_get(st, id, &t);
    struct ac_db_stmt *s;
    if (!err && t.revoked_ms == 0) {
        err = ac__store_stmt(st, "UPDATE tokens SET revoked_ms = $2 WHERE id = $1", &s);
        if (!err) {
            ac_db_bind_int64(s, 1, id);
            ac_db_bind_int64(s, 2, now_ms);
            err = ac__store_done(st, s);
        }
    }
    return ac__store_end(st, err);
}

/* ---- e-mail addresses ---- */

int ac_store_user_email_get(struct ac_store *st, int64_t id, struct ac_user_email *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT email, email_verified_ms FROM users WHERE id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW) {
        ac__col_copy(out->address, sizeof out->address, s, 0);
        out->verified_ms = ac_db_col_int64(s, 1);
    }
    ac_db_reset(s);
    return rc == AC_DB_ROW ? 0 : rc == AC_DB_DONE ? AC_ENOENT : ac__store_error(st, rc);
}

int ac_store_user_email_set(struct ac_store *st, int64_t id, const char *address,
                            int64_t verified_ms)
{
    if (!address || strlen(address) > AC_USER_EMAIL_MAX)
        return AC_EINVAL;
    struct ac_db_stmt *s;
    int err =
        ac__store_stmt(st, "UPDATE users SET email = $2, email_verified_ms = $3 WHERE id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    ac_db_bind_text(s, 2, address, -1);
    ac_db_bind_int64(s, 3, verified_ms);
    err = ac__store_done(st, s);
    if (!err && ac_db_changes(ac__store_db(st)) == 0)
        err = AC_ENOENT;
    return err;
}

int ac_store_email_link_add(struct ac_store *st, const uint8_t hash[AC_EMAIL_LINK_HASH_BYTES],
                            int64_t user_id, const char *address, int64_t now_ms,
                            int64_t expires_ms)
{
    struct ac_user_email e;
    int err = ac_store_user_email_get(st, user_id, &e);
    struct ac_db_stmt *s;
    if (!err)
        err = ac__store_stmt(st,
                             "INSERT INTO email_links(hash, user_id, email, created_ms, expires_ms)"
                             " VALUES ($1, $2, $3, $4, $5)",
                             &s);
    if (err)
        return err;
    ac_db_bind_blob(s, 1, hash, AC_EMAIL_LINK_HASH_BYTES);
    ac_db_bind_int64(s, 2, user_id);
    ac_db_bind_text(s, 3, address, -1);
    ac_db_bind_int64(s, 4, now_ms);
    ac_db_bind_int64(s, 5, expires_ms);
    return ac__store_done(st, s);
}

int ac_store_email_link_use(struct ac_store *st, const uint8_t hash[AC_EMAIL_LINK_HASH_BYTES],
                            int64_t now_ms, int64_t *user_id, char *address, size_t size)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "UPDATE email_links SET used_ms = $2"
                             " WHERE hash = $1 AND used_ms = 0 AND expires_ms > $2"
                             " RETURNING user_id, email",
                             &s);
    if (err)
        return err;
    ac_db_bind_blob(s, 1, hash, AC_EMAIL_LINK_HASH_BYTES);
    ac_db_bind_int64(s, 2, now_ms);
    int rc = ac_db_step(s);
    int64_t uid = 0;
    if (rc == AC_DB_ROW) {
        uid = ac_db_col_int64(s, 0);
        ac__col_copy(address, size, s, 1);
        rc = ac_db_step(s);
    }
    ac_db_reset(s);
    if (rc != AC_DB_DONE)
        return ac__store_error(st, rc);
    if (!uid)
        return AC_ENOENT;
    *user_id = uid;
    return 0;
}
