/* store_audit.c - the append-only audit trail: who did what to which subject,
 * when and from which node. */
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/audit.h"
#include "internal.h"

void ac_audit_entry_release(struct ac_audit_entry *e)
{
    if (!e)
        return;
    free(e->detail);
    e->detail = NULL;
}

static int text_ok(const char *s, size_t max, int may_be_empty)
{
    if (!s)
        return may_be_empty;
    size_t n = strlen(s);
    return (n > 0 || may_be_empty) && n <= max;
}

int ac_store_audit_add(struct ac_store *st, const char *subject_kind, const char *subject_id,
                       int64_t actor_user_id, const char *node_id, const char *action,
                       const char *detail, int64_t now_ms)
{
    if (!text_ok(subject_kind, AC_AUDIT_KIND_MAX, 0) ||
        !text_ok(subject_id, AC_AUDIT_SUBJECT_MAX, 0) || !text_ok(action, AC_AUDIT_ACTION_MAX, 0) ||
        !text_ok(node_id, AC_AUDIT_NODE_MAX, 1) || actor_user_id < 0)
        return AC_EINVAL;
    int err = ac__store_begin(st);
    if (err)
        return err;
    struct ac_db_stmt *s;
    err = ac__store_stmt(st,
                         "INSERT INTO audit(subject_kind, subject_id, actor_user_id, node_id,"
                         " action, detail, at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                         &s);
    if (!err) {
        ac_db_bind_text(s, 1, subject_kind, -1);
        ac_db_bind_text(s, 2, subject_id, -1);
        ac_db_bind_int64(s, 3, actor_user_id);
        ac_db_bind_text(s, 4, node_id ? node_id : "", -1);
        ac_db_bind_text(s, 5, action, -1);
        ac_db_bind_text(s, 6, detail ? detail : "{}", -1);
        ac_db_bind_int64(s, 7, now_ms);
        err = ac__store_done(st, s);
    }
    return ac__store_end(st, err);
}

static int read_audit(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    (void)st;
    struct ac_audit_entry *e = elem;
    memset(e, 0, sizeof *e);
    e->id = ac_db_col_int64(s, 0);
    ac__col_copy(e->subject_kind, sizeof e->subject_kind, s, 1);
    ac__col_copy(e->subject_id, sizeof e->subject_id, s, 2);
    e->actor_user_id = ac_db_col_int64(s, 3);
    ac__col_copy(e->node_id, sizeof e->node_id, s, 4);
    ac__col_copy(e->action, sizeof e->action, s, 5);
    e->detail = ac__col_dup(s, 6);
    e->at_ms = ac_db_col_int64(s, 7);
    return e->detail ? 0 : AC_ENOMEM;
}

static void release_audit(void *elem)
{
    ac_audit_entry_release(elem);
}

static const struct ac__row_type audit_rows = {sizeof(struct ac_audit_entry), read_audit,
                                               release_audit};

int ac_store_audit_list(struct ac_store *st, const char *subject_kind, const char *subject_id,
                        int64_t after_id, struct ac_audit_entry *out, size_t max, size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT id, subject_kind, subject_id, actor_user_id, node_id,"
                             " action, detail, at_ms FROM audit"
                             " WHERE subject_kind = $1 AND subject_id = $2 AND id > $3"
                             " ORDER BY id LIMIT $4",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, subject_kind, -1);
    ac_db_bind_text(s, 2, subject_id, -1);
    ac_db_bind_int64(s, 3, after_id);
    ac_db_bind_int64(s, 4, (int64_t)max);
    return ac__store_fill(st, s, &audit_rows, out, max, n);
}
