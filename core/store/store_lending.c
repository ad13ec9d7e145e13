/* store_lending.c - lending policies, capacity offers and borrowing modes
 * (lending.h). A policy's reviewer list and blackout ranges are kept as
 * short texts in its row, so a policy is one row written and read whole. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/lending.h"
#include "internal.h"

static int key_ok(const char *s, size_t max)
{
    return s && s[0] && strlen(s) <= max;
}

static int policy_ok(const struct ac_lending_policy *p)
{
    if (!key_ok(p->peer, AC_LENDING_NODE_MAX) || !key_ok(p->credential_id, AC_LENDING_CRED_MAX) ||
        p->n_reviewers > AC_LENDING_REVIEWERS_MAX || p->n_blackouts > AC_LENDING_BLACKOUTS_MAX ||
        p->monthly_cap < 1 || p->monthly_cap > AC_LENDING_CAP_MAX ||
        (!p->all_reviewers && p->n_reviewers == 0))
        return 0;
    for (size_t i = 0; i < p->n_reviewers; i++)
        if (p->reviewers[i] <= 0 || (i && p->reviewers[i] <= p->reviewers[i - 1]))
            return 0;
    for (size_t i = 0; i < p->n_blackouts; i++)
        if (p->blackouts[i].until_ms <= p->blackouts[i].from_ms)
            return 0;
    return 1;
}

/* Largest texts: 256 ids of 19 digits and 32 pairs of 2 x 20 characters. */
#define LIST_TEXT_MAX (AC_LENDING_REVIEWERS_MAX * 21 + AC_LENDING_BLACKOUTS_MAX * 44 + 8)

int ac_store_lending_put(struct ac_store *st, const struct ac_lending_policy *p)
{
    if (!policy_ok(p))
        return AC_EINVAL;
    char reviewers[LIST_TEXT_MAX], blackouts[LIST_TEXT_MAX];
    size_t used = 0;
    reviewers[0] = blackouts[0] = '\0';
    if (p->all_reviewers)
        strcpy(reviewers, "*");
    for (size_t i = 0; !p->all_reviewers && i < p->n_reviewers; i++)
        used += (size_t)snprintf(reviewers + used, sizeof reviewers - used, "%s%" PRId64,
                                 i ? "," : "", p->reviewers[i]);
    used = 0;
    for (size_t i = 0; i < p->n_blackouts; i++)
        used +=
            (size_t)snprintf(blackouts + used, sizeof blackouts - used, "%s%" PRId64 ":%" PRId64,
                             i ? "," : "", p->blackouts[i].from_ms, p->blackouts[i].until_ms);
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "INSERT INTO lending_policies (peer, credential_id,"
                             " reviewers, monthly_cap, blackouts, own_first, updated_ms)"
                             " VALUES ($1, $2, $3, $4, $5, $6, $7)"
                             " ON CONFLICT (peer,"
                             " credential_id) DO UPDATE SET reviewers = excluded.reviewers,"
                             " monthly_cap = excluded.monthly_cap,"
                             " blackouts = excluded.blackouts, own_first = excluded.own_first,"
                             " updated_ms = excluded.updated_ms",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, p->peer, -1);
    ac_db_bind_text(s, 2, p->credential_id, -1);
    ac_db_bind_text(s, 3, reviewers, -1);
    ac_db_bind_int64(s, 4, p->monthly_cap);
    ac_db_bind_text(s, 5, blackouts, -1);
    ac_db_bind_int64(s, 6, p->own_first ? 1 : 0);
    ac_db_bind_int64(s, 7, p->updated_ms);
    return ac__store_done(st, s);
}

/* Reads "id,id,..." or "*". Returns 0 or AC_EBUG. */
static int parse_reviewers(const char *text, struct ac_lending_policy *p)
{
    if (strcmp(text, "*") == 0) {
        p->all_reviewers = true;
        return 0;
    }
    while (*text) {
        char *end;
        long long v = strtoll(text, &end, 10);
        if (end == text || v <= 0 || p->n_reviewers == AC_LENDING_REVIEWERS_MAX ||
            (*end != ',' && *end != '\0'))
            return AC_EBUG;
        p->reviewers[p->n_reviewers++] = v;
        text = *end ? end + 1 : end;
    }
    return 0;
}

/* Reads "from:until,..." Returns 0 or AC_EBUG. */
static int parse_blackouts(const char *text, struct ac_lending_policy *p)
{
    while (*text) {
        char *end, *end2;
        long long from = strtoll(text, &end, 10);
        if (end == text || *end != ':' || p->n_blackouts == AC_LENDING_BLACKOUTS_MAX)
            return AC_EBUG;
        long long until = strtoll(end + 1, &end2, 10);
        if (end2 == end + 1 || (*end2 != ',' && *end2 != '\0'))
            return AC_EBUG;
        p->blackouts[p->n_blackouts].from_ms = from;
        p->blackouts[p->n_blackouts++].until_ms = until;
        text = *end2 ? end2 + 1 : end2;
    }
    return 0;
}

static int read_policy(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    (void)st;
    struct ac_lending_policy *p = elem;
    memset(p, 0, sizeof *p);
    ac__col_copy(p->peer, sizeof p->peer, s, 0);
    ac__col_copy(p->credential_id, sizeof p->credential_id, s, 1);
    const char *rv = ac_db_col_text(s, 2);
    const char *bo = ac_db_col_text(s, 4);
    p->monthly_cap = (uint32_t)ac_db_col_int64(s, 3);
    p->own_first = (int)ac_db_col_int64(s, 5) != 0;
    p->updated_ms = ac_db_col_int64(s, 6);
    if (!rv || !bo || parse_reviewers(rv, p) || parse_blackouts(bo, p))
        return AC_EBUG;
    return 0;
}

static void release_nothing(void *elem)
{
    (void)elem;
}

static const struct ac__row_type policy_rows = {sizeof(struct ac_lending_policy), read_policy,
                                                release_nothing};

#define POLICY_COLUMNS                                                                             \
    "SELECT peer, credential_id, reviewers, monthly_cap, blackouts, own_first, updated_ms"         \
    " FROM lending_policies"

int ac_store_lending_get(struct ac_store *st, const char *peer, const char *credential_id,
                         struct ac_lending_policy *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, POLICY_COLUMNS " WHERE peer = $1 AND credential_id = $2", &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, peer, -1);
    ac_db_bind_text(s, 2, credential_id, -1);
    return ac__store_one(st, s, &policy_rows, out);
}

int ac_store_lending_delete(struct ac_store *st, const char *peer, const char *credential_id)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st, "DELETE FROM lending_policies WHERE peer = $1 AND credential_id = $2", &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, peer, -1);
    ac_db_bind_text(s, 2, credential_id, -1);
    err = ac__store_done(st, s);
    if (!err && ac_db_changes(ac__store_db(st)) == 0)
        err = AC_ENOENT;
    return err;
}

int ac_store_lending_list(struct ac_store *st, const char *peer, struct ac_lending_policy **out,
                          size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             POLICY_COLUMNS " WHERE (CAST($1 AS TEXT) IS NULL OR peer = $1)"
                                            " ORDER BY peer, credential_id",
                             &s);
    if (err)
        return err;
    if (peer)
        ac_db_bind_text(s, 1, peer, -1);
    void *rows = NULL;
    err = ac__store_collect(st, s, &policy_rows, &rows, n);
    if (!err)
        *out = rows;
    return err;
}

/* ---- capacity offers ---- */

int ac_store_capacity_offer_get(struct ac_store *st, const char *peer, int64_t *sent_ms,
                                char *msg_id)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT sent_ms, msg_id FROM capacity_offers WHERE peer = $1", &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, peer, -1);
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW) {
        *sent_ms = ac_db_col_int64(s, 0);
        ac__col_copy(msg_id, 65, s, 1);
    }
    ac_db_reset(s);
    return rc == AC_DB_ROW ? 0 : rc == AC_DB_DONE ? AC_ENOENT : ac__store_error(st, rc);
}

static int exec_peer(struct ac_store *st, const char *sql, const char *peer)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, sql, &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, peer, -1);
    return ac__store_done(st, s);
}

int ac_store_capacity_replace(struct ac_store *st, const char *peer, const char *msg_id,
                              int64_t sent_ms, const struct ac_capacity_reviewer *v, size_t n,
                              int64_t now_ms)
{
    if (!key_ok(peer, AC_LENDING_NODE_MAX) || !key_ok(msg_id, 64))
        return AC_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!key_ok(v[i].credential_id, AC_LENDING_CRED_MAX) || v[i].home_user <= 0 ||
            v[i].user_id <= 0)
            return AC_EINVAL;
    int err = ac__store_begin(st);
    if (err)
        return err;
    int64_t held = 0;
    char held_id[65];
    err = ac_store_capacity_offer_get(st, peer, &held, held_id);
    if (err == 0 && held >= sent_ms)
        err = AC_ECONFLICT;
    else if (err == AC_ENOENT)
        err = 0;
    if (!err)
        err = exec_peer(st, "DELETE FROM capacity_reviewers WHERE peer = $1", peer);
    struct ac_db_stmt *s;
    if (!err)
        err = ac__store_stmt(st,
                             "INSERT INTO capacity_offers (peer, msg_id, sent_ms,"
                             " received_ms) VALUES ($1, $2, $3, $4)"
                             " ON CONFLICT (peer) DO UPDATE SET msg_id = excluded.msg_id,"
                             " sent_ms = excluded.sent_ms, received_ms = excluded.received_ms",
                             &s);
    if (!err) {
        ac_db_bind_text(s, 1, peer, -1);
        ac_db_bind_text(s, 2, msg_id, -1);
        ac_db_bind_int64(s, 3, sent_ms);
        ac_db_bind_int64(s, 4, now_ms);
        err = ac__store_done(st, s);
    }
    for (size_t i = 0; !err && i < n; i++) {
        /* ON CONFLICT ... DO UPDATE: a reviewer named twice for one credential counts once. */
        err = ac__store_stmt(st,
                             "INSERT INTO capacity_reviewers (peer, credential_id,"
                             " home_user, user_id, certified_at_home, slots)"
                             " VALUES ($1, $2, $3, $4, $5, $6)"
                             " ON CONFLICT (peer, credential_id,"
                             " home_user) DO UPDATE SET user_id = excluded.user_id,"
                             " certified_at_home = excluded.certified_at_home,"
                             " slots = excluded.slots",
                             &s);
        if (err)
            break;
        ac_db_bind_text(s, 1, peer, -1);
        ac_db_bind_text(s, 2, v[i].credential_id, -1);
        ac_db_bind_int64(s, 3, v[i].home_user);
        ac_db_bind_int64(s, 4, v[i].user_id);
        ac_db_bind_int64(s, 5, v[i].certified_at_home ? 1 : 0);
        ac_db_bind_int64(s, 6, v[i].slots);
        err = ac__store_done(st, s);
    }
    return ac__store_end(st, err);
}

static int read_capacity(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    (void)st;
    struct ac_capacity_reviewer *c = elem;
    memset(c, 0, sizeof *c);
    ac__col_copy(c->peer, sizeof c->peer, s, 0);
    ac__col_copy(c->credential_id, sizeof c->credential_id, s, 1);
    c->home_user = ac_db_col_int64(s, 2);
    c->user_id = ac_db_col_int64(s, 3);
    c->certified_at_home = (int)ac_db_col_int64(s, 4) != 0;
    c->slots = (uint32_t)ac_db_col_int64(s, 5);
    c->offered_ms = ac_db_col_int64(s, 6);
    return 0;
}

static const struct ac__row_type capacity_rows = {sizeof(struct ac_capacity_reviewer),
                                                  read_capacity, release_nothing};

int ac_store_capacity_list(struct ac_store *st, const char *credential_id,
                           struct ac_capacity_reviewer **out, size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT r.peer, r.credential_id, r.home_user, r.user_id,"
                             " r.certified_at_home, r.slots, o.sent_ms"
                             " FROM capacity_reviewers r JOIN capacity_offers o ON o.peer = r.peer"
                             " WHERE (CAST($1 AS TEXT) IS NULL OR r.credential_id = $1)"
                             " ORDER BY r.peer, r.home_user, r.credential_id",
                             &s);
    if (err)
        return err;
    if (credential_id)
        ac_db_bind_text(s, 1, credential_id, -1);
    void *rows = NULL;
    err = ac__store_collect(st, s, &capacity_rows, &rows, n);
    if (!err)
        *out = rows;
    return err;
}

/* ---- borrowing modes ---- */

const char *ac_borrowing_mode_name(enum ac_borrowing_mode m)
{
    return m == AC_BORROW_ALWAYS ? "always" : "above_capacity";
}

int ac_borrowing_mode_parse(const char *s, enum ac_borrowing_mode *out)
{
    if (s && strcmp(s, "always") == 0)
        *out = AC_BORROW_ALWAYS;
    else if (s && strcmp(s, "above_capacity") == 0)
        *out = AC_BORROW_ABOVE_CAPACITY;
    else
        return AC_EINVAL;
    return 0;
}

int ac_store_borrowing_put(struct ac_store *st, const char *credential_id,
                           enum ac_borrowing_mode mode, int64_t now_ms)
{
    if (!key_ok(credential_id, AC_LENDING_CRED_MAX) ||
        (mode != AC_BORROW_ALWAYS && mode != AC_BORROW_ABOVE_CAPACITY))
        return AC_EINVAL;
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "INSERT INTO borrowing_modes (credential_id, mode,"
                             " updated_ms) VALUES ($1, $2, $3)"
                             " ON CONFLICT (credential_id) DO UPDATE SET mode = excluded.mode,"
                             " updated_ms = excluded.updated_ms",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, credential_id, -1);
    ac_db_bind_text(s, 2, ac_borrowing_mode_name(mode), -1);
    ac_db_bind_int64(s, 3, now_ms);
    return ac__store_done(st, s);
}

int ac_store_borrowing_delete(struct ac_store *st, const char *credential_id)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "DELETE FROM borrowing_modes WHERE credential_id = $1", &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, credential_id, -1);
    err = ac__store_done(st, s);
    if (!err && ac_db_changes(ac__store_db(st)) == 0)
        err = AC_ENOENT;
    return err;
}

int ac_store_borrowing_get(struct ac_store *st, const char *credential_id,
                           enum ac_borrowing_mode *mode, const char **from)
{
    struct ac_db_stmt *s;
    /* The credential's own row sorts before the node default's. */
    int err = ac__store_stmt(st,
                             "SELECT mode, credential_id = $2 FROM borrowing_modes"
                             " WHERE credential_id IN ($1, $2)"
                             " ORDER BY credential_id = $2 DESC LIMIT 1",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, AC_BORROWING_NODE_DEFAULT, -1);
    ac_db_bind_text(s, 2, credential_id, -1);
    int rc = ac_db_step(s);
    const char *src = "built-in";
    *mode = AC_BORROW_ABOVE_CAPACITY;
    if (rc == AC_DB_ROW) {
        ac_borrowing_mode_parse(ac_db_col_text(s, 0), mode);
        src = (int)ac_db_col_int64(s, 1) && strcmp(credential_id, AC_BORROWING_NODE_DEFAULT) != 0
                  ? "credential"
                  : "node";
    }
    ac_db_reset(s);
    if (rc != AC_DB_ROW && rc != AC_DB_DONE)
        return ac__store_error(st, rc);
    if (from)
        *from = src;
    return 0;
}

int ac_store_borrowed_certified_count(struct ac_store *st, int64_t credential_row, int64_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT COUNT(*) FROM reviewer_certs c"
                             " JOIN remote_reviewers r ON r.user_id = c.user_id"
                             " WHERE c.credential_id = $1 AND c.state = 'certified'",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, credential_row);
    return ac__store_int64(st, s, n);
}
