/* store_remote.c - stand-ins for reviewers who live on another node
 * (remote.h): a users row, a reviewer profile and the link to the home node,
 * made together. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/error.h"
#include "accord/review/people.h"
#include "accord/store/remote.h"
#include "accord/store/reviewer.h"
#include "accord/store/user.h"
#include "internal.h"

/* The same rule as node ids in node/config.c, which core cannot call. */
static int node_id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > AC_REMOTE_NODE_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || i == n - 1 || (c != '.' && c != '-')))
            return 0;
    }
    return 1;
}

/* "<home_user>.<home_node>" reads well in lists; a long node id does not fit
 * the 64-byte user name, so it is then replaced by a digest of itself. */
static void stand_in_name(const char *home_node, int64_t home_user, char out[AC_USER_NAME_MAX + 1])
{
    int len = snprintf(out, AC_USER_NAME_MAX + 1, "%lld.%s", (long long)home_user, home_node);
    if (len > 0 && len <= AC_USER_NAME_MAX && ac_user_name_check(out) == 0)
        return;
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const uint8_t *)home_node, strlen(home_node));
    char hex[17];
    sodium_bin2hex(hex, sizeof hex, h, 8);
    snprintf(out, AC_USER_NAME_MAX + 1, "r%lld.%s", (long long)home_user, hex);
}

static int put_profile(struct ac_store *st, int64_t user_id, const struct ac_remote_profile *p,
                       int64_t now_ms)
{
    struct ac_reviewer_profile prof;
    int err = ac_store_reviewer_get(st, user_id, &prof);
    if (err == AC_ENOENT) {
        memset(&prof, 0, sizeof prof);
        prof.user_id = user_id;
        prof.available = true;
        err = 0;
    }
    if (err)
        return err;
    const char *fields[3] = {p ? p->school : NULL, p ? p->district : NULL, p ? p->domains : NULL};
    char *slots[3] = {prof.school, prof.district, prof.domains};
    size_t sizes[3] = {sizeof prof.school, sizeof prof.district, sizeof prof.domains};
    for (int i = 0; i < 3; i++) {
        if (!fields[i])
            continue;
        if (strlen(fields[i]) >= sizes[i])
            return AC_EINVAL;
        strcpy(slots[i], fields[i]);
    }
    return ac_store_reviewer_put(st, &prof, now_ms);
}

int ac_store_remote_reviewer_find(struct ac_store *st, const char *home_node, int64_t home_user,
                                  int64_t *user_id)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st, "SELECT user_id FROM remote_reviewers WHERE home_node = $1 AND home_user = $2", &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, home_node, -1);
    ac_db_bind_int64(s, 2, home_user);
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW)
        *user_id = ac_db_col_int64(s, 0);
    ac_db_reset(s);
    return rc == AC_DB_ROW ? 0 : rc == AC_DB_DONE ? AC_ENOENT : AC_EDB;
}

int ac_store_remote_reviewer_ensure(struct ac_store *st, const char *home_node, int64_t home_user,
                                    const struct ac_remote_profile *p, int64_t now_ms,
                                    int64_t *user_id, int *created)
{
    if (!node_id_ok(home_node) || home_user <= 0)
        return AC_EINVAL;
    const char *display = p && p->display_name && p->display_name[0] ? p->display_name : NULL;
    if (display && strlen(display) > AC_USER_DISPLAY_MAX)
        return AC_EINVAL;
    int err = ac__store_begin(st);
    if (err)
        return err;
    int made = 0;
    int64_t id = 0;
    err = ac_store_remote_reviewer_find(st, home_node, home_user, &id);
    if (err == AC_ENOENT) {
        char name[AC_USER_NAME_MAX + 1];
        stand_in_name(home_node, home_user, name);
        struct ac_user u;
        err = ac_store_user_create(st, name, display, AC_ROLE_REVIEWER, now_ms, &u);
        struct ac_db_stmt *s;
        if (!err)
            err = ac__store_stmt(st,
                                 "INSERT INTO remote_reviewers(user_id, home_node, home_user,"
                                 " created_ms) VALUES ($1, $2, $3, $4)",
                                 &s);
        if (!err) {
            ac_db_bind_int64(s, 1, u.id);
            ac_db_bind_text(s, 2, home_node, -1);
            ac_db_bind_int64(s, 3, home_user);
            ac_db_bind_int64(s, 4, now_ms);
            err = ac__store_done(st, s);
        }
        id = u.id;
        made = 1;
    }
    if (!err)
        err = put_profile(st, id, p, now_ms);
    err = ac__store_end(st, err);
    if (err)
        return err;
    *user_id = id;
    if (created)
        *created = made;
    return 0;
}

static void read_row(struct ac_db_stmt *s, struct ac_remote_reviewer *out)
{
    memset(out, 0, sizeof *out);
    out->user_id = ac_db_col_int64(s, 0);
    ac__text_copy(out->home_node, sizeof out->home_node, ac_db_col_text(s, 1));
    out->home_user = ac_db_col_int64(s, 2);
    out->created_ms = ac_db_col_int64(s, 3);
}

int ac_store_remote_reviewer_get(struct ac_store *st, int64_t user_id,
                                 struct ac_remote_reviewer *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT user_id, home_node, home_user, created_ms"
                             " FROM remote_reviewers WHERE user_id = $1",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, user_id);
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW)
        read_row(s, out);
    ac_db_reset(s);
    return rc == AC_DB_ROW ? 0 : rc == AC_DB_DONE ? AC_ENOENT : AC_EDB;
}

int ac_store_remote_reviewer_list(struct ac_store *st, const char *home_node, int64_t after_user,
                                  struct ac_remote_reviewer *out, size_t max, size_t *n)
{
    *n = 0;
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT user_id, home_node, home_user, created_ms"
                             " FROM remote_reviewers WHERE (CAST($1 AS TEXT) IS NULL OR home_node = $1)"
                             " AND user_id > $2 ORDER BY user_id LIMIT $3",
                             &s);
    if (err)
        return err;
    if (home_node)
        ac_db_bind_text(s, 1, home_node, -1);
    else
        ac_db_bind_null(s, 1);
    ac_db_bind_int64(s, 2, after_user);
    ac_db_bind_int64(s, 3, (int64_t)max);
    int rc = AC_DB_DONE;
    while (*n < max && (rc = ac_db_step(s)) == AC_DB_ROW)
        read_row(s, &out[(*n)++]);
    if (*n < max && rc != AC_DB_DONE) {
        ac_db_reset(s);
        return AC_EDB;
    }
    ac_db_reset(s);
    return 0;
}
