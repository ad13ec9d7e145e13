/* store_recognition.c - statements for recognition policies, approval
 * requests, presented credentials and the recognized totals derived from them
 * (see store_recognition.h; schema in migration 5). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/store_recognition.h"
#include "internal.h"

static const char *const purpose_names[AC_PURPOSE_COUNT] = {"ceu", "pay_scale", "relicensure"};
static const char *const approval_names[] = {"pending", "approved", "denied"};
static const char *const verdict_names[] = {"valid", "invalid", "indeterminate"};

static int parse_name(const char *const *names, int count, const char *name, int *out)
{
    for (int i = 0; name && i < count; i++)
        if (strcmp(names[i], name) == 0) {
            *out = i;
            return 0;
        }
    return AC_EINVAL;
}

const char *ac_purpose_name(enum ac_purpose p)
{
    return (unsigned)p < AC_PURPOSE_COUNT ? purpose_names[p] : NULL;
}

int ac_purpose_parse(const char *name, enum ac_purpose *out)
{
    int i;
    if (parse_name(purpose_names, AC_PURPOSE_COUNT, name, &i))
        return AC_EINVAL;
    *out = (enum ac_purpose)i;
    return 0;
}

const char *ac_approval_state_name(enum ac_approval_state s)
{
    return (unsigned)s < 3 ? approval_names[s] : NULL;
}

int ac_approval_state_parse(const char *name, enum ac_approval_state *out)
{
    int i;
    if (parse_name(approval_names, 3, name, &i))
        return AC_EINVAL;
    *out = (enum ac_approval_state)i;
    return 0;
}

const char *ac_verdict_name(enum ac_verdict v)
{
    return (unsigned)v < 3 ? verdict_names[v] : NULL;
}

int ac_verdict_parse(const char *name, enum ac_verdict *out)
{
    int i;
    if (parse_name(verdict_names, 3, name, &i))
        return AC_EINVAL;
    *out = (enum ac_verdict)i;
    return 0;
}

/* 1..max bytes. */
static int text_ok(const char *s, size_t max)
{
    return s && s[0] && strlen(s) <= max;
}

/* ---- policies ---- */

#define POLICY_COLUMNS                                                                             \
    "id, recognizer_id, issuer, credential_id, min_version, ceu_hundredths, purpose,"              \
    " requires_approval, note, created_ms, retired_ms, peer, content_hash"

static int read_policy(struct ac_store *st, struct ac_db_stmt *s, void *out)
{
    (void)st;
    struct ac_policy *p = out;
    memset(p, 0, sizeof *p);
    p->id = ac_db_col_int64(s, 0);
    p->recognizer_id = ac_db_col_int64(s, 1);
    ac__col_copy(p->issuer, sizeof p->issuer, s, 2);
    ac__col_copy(p->credential_id, sizeof p->credential_id, s, 3);
    p->min_version = (uint64_t)ac_db_col_int64(s, 4);
    p->has_ceu = !ac_db_col_is_null(s, 5);
    p->ceu_hundredths = ac_db_col_int64(s, 5);
    enum ac_purpose purpose = AC_PURPOSE_CEU;
    ac_purpose_parse(ac_db_col_text(s, 6), &purpose);
    p->purpose = purpose;
    p->requires_approval = (int)ac_db_col_int64(s, 7);
    ac__col_copy(p->note, sizeof p->note, s, 8);
    p->created_ms = ac_db_col_int64(s, 9);
    p->retired_ms = ac_db_col_int64(s, 10);
    ac__col_copy(p->peer, sizeof p->peer, s, 11);
    ac__col_copy(p->content_hash, sizeof p->content_hash, s, 12);
    return 0;
}

static const struct ac__row_type policy_rows = {sizeof(struct ac_policy), read_policy, NULL};

int ac_store_policy_create(struct ac_store *st, struct ac_policy *p, int64_t now_ms)
{
    if (!text_ok(p->issuer, AC_POLICY_ISSUER_MAX) ||
        !text_ok(p->credential_id, AC_POLICY_CREDENTIAL_MAX) || p->min_version == 0 ||
        p->min_version > INT64_MAX || !ac_purpose_name(p->purpose) ||
        strlen(p->note) > AC_RECOGNITION_NOTE_MAX || strlen(p->peer) > AC_POLICY_PEER_MAX ||
        strlen(p->content_hash) > AC_POLICY_HASH_MAX || !p->peer[0] != !p->content_hash[0] ||
        (p->has_ceu && (p->ceu_hundredths < 0 || p->ceu_hundredths > AC_CEU_HUNDREDTHS_MAX)))
        return AC_EINVAL;
    int err = ac__store_begin(st);
    if (err)
        return err;
    struct ac_db_stmt *s;
    int64_t id = 0;
    err = ac__store_stmt(st,
                         "INSERT INTO recognition_policies(recognizer_id, issuer, credential_id,"
                         " min_version, ceu_hundredths, purpose, requires_approval, note,"
                         " created_ms, peer, content_hash)"
                         " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                         &s);
    if (!err) {
        ac_db_bind_int64(s, 1, p->recognizer_id);
        ac_db_bind_text(s, 2, p->issuer, -1);
        ac_db_bind_text(s, 3, p->credential_id, -1);
        ac_db_bind_int64(s, 4, (int64_t)p->min_version);
        if (p->has_ceu)
            ac_db_bind_int64(s, 5, p->ceu_hundredths);
        ac_db_bind_text(s, 6, ac_purpose_name(p->purpose), -1);
        ac_db_bind_int64(s, 7, p->requires_approval ? 1 : 0);
        ac_db_bind_text(s, 8, p->note, -1);
        ac_db_bind_int64(s, 9, now_ms);
        ac_db_bind_text(s, 10, p->peer, -1);
        ac_db_bind_text(s, 11, p->content_hash, -1);
        err = ac__store_insert_id(st, s, &id);
    }
    err = ac__store_end(st, err);
    if (err)
        return err;
    p->id = id;
    p->requires_approval = p->requires_approval ? 1 : 0;
    p->created_ms = now_ms;
    p->retired_ms = 0;
    return 0;
}

int ac_store_policy_get(struct ac_store *st, int64_t id, struct ac_policy *out)
{
    struct ac_db_stmt *s;
    int err =
        ac__store_stmt(st, "SELECT " POLICY_COLUMNS " FROM recognition_policies WHERE id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    return ac__store_one(st, s, &policy_rows, out);
}

int ac_store_policy_list(struct ac_store *st, int64_t recognizer_id, int64_t after_id,
                         struct ac_policy *out, size_t max, size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT " POLICY_COLUMNS " FROM recognition_policies"
                             " WHERE retired_ms = 0 AND id > $1"
                             " AND ($2 = 0 OR recognizer_id = $2) ORDER BY id LIMIT $3",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, after_id);
    ac_db_bind_int64(s, 2, recognizer_id);
    ac_db_bind_int64(s, 3, (int64_t)max);
    return ac__store_fill(st, s, &policy_rows, out, max, n);
}

int ac_store_policy_match(struct ac_store *st, int64_t recognizer_id, const char *issuer,
                          const char *credential_id, struct ac_policy *out, size_t max, size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT " POLICY_COLUMNS " FROM recognition_policies"
                             " WHERE retired_ms = 0 AND recognizer_id = $1 AND issuer = $2"
                             " AND credential_id = $3 ORDER BY id LIMIT $4",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, recognizer_id);
    ac_db_bind_text(s, 2, issuer, -1);
    ac_db_bind_text(s, 3, credential_id, -1);
    ac_db_bind_int64(s, 4, (int64_t)max);
    return ac__store_fill(st, s, &policy_rows, out, max, n);
}

int ac_store_policy_retire(struct ac_store *st, int64_t id, int64_t recognizer_id, int64_t now_ms)
{
    struct ac_policy p;
    int err = ac__store_begin(st);
    if (err)
        return err;
    err = ac_store_policy_get(st, id, &p);
    if (!err && p.recognizer_id != recognizer_id)
        err = AC_ENOENT;
    struct ac_db_stmt *s;
    if (!err && p.retired_ms == 0)
        err =
            ac__store_stmt(st, "UPDATE recognition_policies SET retired_ms = $2 WHERE id = $1", &s);
    if (!err && p.retired_ms == 0) {
        ac_db_bind_int64(s, 1, id);
        ac_db_bind_int64(s, 2, now_ms);
        err = ac__store_done(st, s);
    }
    return ac__store_end(st, err);
}

/* ---- approvals ---- */

#define APPROVAL_COLUMNS                                                                           \
    "id, earner_id, recognizer_id, policy_id, issuer, credential_id, state, note, reason,"         \
    " requested_ms, decided_ms"

static int read_approval(struct ac_store *st, struct ac_db_stmt *s, void *out)
{
    (void)st;
    struct ac_approval *a = out;
    memset(a, 0, sizeof *a);
    a->id = ac_db_col_int64(s, 0);
    a->earner_id = ac_db_col_int64(s, 1);
    a->recognizer_id = ac_db_col_int64(s, 2);
    a->policy_id = ac_db_col_int64(s, 3);
    ac__col_copy(a->issuer, sizeof a->issuer, s, 4);
    ac__col_copy(a->credential_id, sizeof a->credential_id, s, 5);
    enum ac_approval_state state = AC_APPROVAL_PENDING;
    ac_approval_state_parse(ac_db_col_text(s, 6), &state);
    a->state = state;
    ac__col_copy(a->note, sizeof a->note, s, 7);
    ac__col_copy(a->reason, sizeof a->reason, s, 8);
    a->requested_ms = ac_db_col_int64(s, 9);
    a->decided_ms = ac_db_col_int64(s, 10);
    return 0;
}

static const struct ac__row_type approval_rows = {sizeof(struct ac_approval), read_approval, NULL};

int ac_store_approval_request(struct ac_store *st, int64_t earner_id, int64_t policy_id,
                              const char *note, int64_t now_ms, struct ac_approval *out)
{
    if (!note)
        note = "";
    if (strlen(note) > AC_RECOGNITION_NOTE_MAX)
        return AC_EINVAL;
    int err = ac__store_begin(st);
    if (err)
        return err;
    struct ac_policy p;
    err = ac_store_policy_get(st, policy_id, &p);
    if (!err && (p.retired_ms || !p.requires_approval))
        err = AC_ECONFLICT;
    struct ac_db_stmt *s;
    int64_t id = 0;
    if (!err)
        err = ac__store_stmt(st,
                             "INSERT INTO recognition_approvals(earner_id, recognizer_id,"
                             " policy_id, issuer, credential_id, state, note, requested_ms)"
                             " VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7) RETURNING id",
                             &s);
    if (!err) {
        ac_db_bind_int64(s, 1, earner_id);
        ac_db_bind_int64(s, 2, p.recognizer_id);
        ac_db_bind_int64(s, 3, policy_id);
        ac_db_bind_text(s, 4, p.issuer, -1);
        ac_db_bind_text(s, 5, p.credential_id, -1);
        ac_db_bind_text(s, 6, note, -1);
        ac_db_bind_int64(s, 7, now_ms);
        err = ac__store_insert_id(st, s, &id);
    }
    err = ac__store_end(st, err);
    if (err)
        return err;
    return ac_store_approval_get(st, id, out);
}

int ac_store_approval_get(struct ac_store *st, int64_t id, struct ac_approval *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st, "SELECT " APPROVAL_COLUMNS " FROM recognition_approvals WHERE id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    return ac__store_one(st, s, &approval_rows, out);
}

int ac_store_approval_list(struct ac_store *st, int64_t party, int state, int64_t after_id,
                           struct ac_approval *out, size_t max, size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT " APPROVAL_COLUMNS " FROM recognition_approvals"
                             " WHERE id > $1 AND ($2 = 0 OR earner_id = $2 OR recognizer_id = $2)"
                             " AND (CAST($3 AS TEXT) IS NULL OR state = $3) ORDER BY id LIMIT $4",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, after_id);
    ac_db_bind_int64(s, 2, party);
    if (state >= 0 && ac_approval_state_name((enum ac_approval_state)state))
        ac_db_bind_text(s, 3, ac_approval_state_name((enum ac_approval_state)state), -1);
    ac_db_bind_int64(s, 4, (int64_t)max);
    return ac__store_fill(st, s, &approval_rows, out, max, n);
}

int ac_store_approval_decide(struct ac_store *st, int64_t id, int64_t recognizer_id, int approve,
                             const char *reason, int64_t now_ms, struct ac_approval *out)
{
    if (!reason)
        reason = "";
    if (strlen(reason) > AC_RECOGNITION_NOTE_MAX || (!approve && !reason[0]))
        return AC_EINVAL;
    int err = ac__store_begin(st);
    if (err)
        return err;
    struct ac_approval a;
    err = ac_store_approval_get(st, id, &a);
    if (!err && a.recognizer_id != recognizer_id)
        err = AC_ENOENT;
    if (!err && a.state != AC_APPROVAL_PENDING)
        err = AC_ECONFLICT;
    struct ac_db_stmt *s;
    if (!err)
        err = ac__store_stmt(st,
                             "UPDATE recognition_approvals SET state = $2, reason = $3,"
                             " decided_ms = $4 WHERE id = $1",
                             &s);
    if (!err) {
        ac_db_bind_int64(s, 1, id);
        ac_db_bind_text(s, 2, approve ? "approved" : "denied", -1);
        ac_db_bind_text(s, 3, reason, -1);
        ac_db_bind_int64(s, 4, now_ms);
        err = ac__store_done(st, s);
    }
    err = ac__store_end(st, err);
    if (err)
        return err;
    return ac_store_approval_get(st, id, out);
}

/* ---- presentations ---- */

#define PRESENTATION_COLUMNS                                                                       \
    "id, recognizer_id, teacher, record_hash, cti, issuer, credential_id, credential_version,"     \
    " achieved_level, ceu_hundredths, verdict, status_result, verified_by, checks,"                \
    " presented_ms, verified_ms, earner_id, issued_ms"

static int read_presentation(struct ac_store *st, struct ac_db_stmt *s, void *out)
{
    (void)st;
    struct ac_presentation *p = out;
    memset(p, 0, sizeof *p);
    p->id = ac_db_col_int64(s, 0);
    p->recognizer_id = ac_db_col_int64(s, 1);
    ac__col_copy(p->teacher, sizeof p->teacher, s, 2);
    if (ac_db_col_bytes(s, 3) == (int)sizeof p->record_hash)
        memcpy(p->record_hash, ac_db_col_blob(s, 3), sizeof p->record_hash);
    ac__col_copy(p->cti_hex, sizeof p->cti_hex, s, 4);
    ac__col_copy(p->issuer, sizeof p->issuer, s, 5);
    ac__col_copy(p->credential_id, sizeof p->credential_id, s, 6);
    p->credential_version = (uint64_t)ac_db_col_int64(s, 7);
    ac__col_copy(p->achieved_level, sizeof p->achieved_level, s, 8);
    p->has_ceu = !ac_db_col_is_null(s, 9);
    p->ceu_hundredths = ac_db_col_int64(s, 9);
    enum ac_verdict v = AC_VERDICT_INDETERMINATE;
    ac_verdict_parse(ac_db_col_text(s, 10), &v);
    p->verdict = v;
    ac__col_copy(p->status_result, sizeof p->status_result, s, 11);
    ac__col_copy(p->verified_by, sizeof p->verified_by, s, 12);
    ac__col_copy(p->checks, sizeof p->checks, s, 13);
    p->presented_ms = ac_db_col_int64(s, 14);
    p->verified_ms = ac_db_col_int64(s, 15);
    p->earner_id = ac_db_col_int64(s, 16);
    p->issued_ms = ac_db_col_int64(s, 17);
    return 0;
}

static const struct ac__row_type presentation_rows = {sizeof(struct ac_presentation),
                                                      read_presentation, NULL};

int ac_store_presentation_record(struct ac_store *st, struct ac_presentation *p, int64_t now_ms,
                                 int *created)
{
    if (!text_ok(p->teacher, AC_TEACHER_MAX) || !text_ok(p->issuer, AC_POLICY_ISSUER_MAX) ||
        !text_ok(p->credential_id, AC_POLICY_CREDENTIAL_MAX) || !text_ok(p->cti_hex, 32) ||
        !text_ok(p->achieved_level, 32) || !text_ok(p->status_result, 15) ||
        !text_ok(p->verified_by, 31) || !text_ok(p->checks, AC_PRESENTATION_CHECKS_MAX) ||
        !ac_verdict_name(p->verdict) || p->credential_version > INT64_MAX ||
        (p->has_ceu && p->ceu_hundredths < 0))
        return AC_EINVAL;
    int err = ac__store_begin(st);
    if (err)
        return err;
    struct ac_db_stmt *s;
    int64_t id = 0, presented = now_ms;
    int inserted = 0;
    char teacher[AC_TEACHER_MAX + 1] = "";
    err = ac__store_stmt(st,
                         "SELECT id, teacher, presented_ms FROM recognition_presentations"
                         " WHERE recognizer_id = $1 AND record_hash = $2",
                         &s);
    if (!err) {
        ac_db_bind_int64(s, 1, p->recognizer_id);
        ac_db_bind_blob(s, 2, p->record_hash, sizeof p->record_hash);
        int rc = ac_db_step(s);
        if (rc == AC_DB_ROW) {
            id = ac_db_col_int64(s, 0);
            ac__col_copy(teacher, sizeof teacher, s, 1);
            presented = ac_db_col_int64(s, 2);
        } else if (rc != AC_DB_DONE) {
            err = ac__store_error(st, rc);
        }
        ac_db_reset(s);
    }
    /* A record belongs to one teacher: the same bytes shown for someone else
     * are a mistake or a borrowed credential, never a second count. */
    if (!err && id && strcmp(teacher, p->teacher) != 0)
        err = AC_ECONFLICT;
    if (!err && id) {
        err = ac__store_stmt(st,
                             "UPDATE recognition_presentations SET verdict = $2,"
                             " status_result = $3, verified_by = $4, checks = $5,"
                             " verified_ms = $6, presented = COALESCE($7, presented),"
                             " earner_id = COALESCE(NULLIF($8, 0), earner_id)"
                             " WHERE id = $1",
                             &s);
        if (!err) {
            ac_db_bind_int64(s, 1, id);
            ac_db_bind_text(s, 2, ac_verdict_name(p->verdict), -1);
            ac_db_bind_text(s, 3, p->status_result, -1);
            ac_db_bind_text(s, 4, p->verified_by, -1);
            ac_db_bind_text(s, 5, p->checks, -1);
            ac_db_bind_int64(s, 6, now_ms);
            if (p->presented)
                ac_db_bind_blob(s, 7, p->presented, p->presented_len);
            ac_db_bind_int64(s, 8, p->earner_id);
            err = ac__store_done(st, s);
        }
    } else if (!err) {
        err = ac__store_stmt(st,
                             "INSERT INTO recognition_presentations(recognizer_id, teacher,"
                             " record_hash, cti, issuer, credential_id, credential_version,"
                             " achieved_level, ceu_hundredths, verdict, status_result,"
                             " verified_by, checks, presented_ms, verified_ms, presented,"
                             " earner_id, issued_ms)"
                             " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"
                             " $14, $14, $15, $16, $17) RETURNING id",
                             &s);
        if (!err) {
            ac_db_bind_int64(s, 1, p->recognizer_id);
            ac_db_bind_text(s, 2, p->teacher, -1);
            ac_db_bind_blob(s, 3, p->record_hash, sizeof p->record_hash);
            ac_db_bind_text(s, 4, p->cti_hex, -1);
            ac_db_bind_text(s, 5, p->issuer, -1);
            ac_db_bind_text(s, 6, p->credential_id, -1);
            ac_db_bind_int64(s, 7, (int64_t)p->credential_version);
            ac_db_bind_text(s, 8, p->achieved_level, -1);
            if (p->has_ceu)
                ac_db_bind_int64(s, 9, p->ceu_hundredths);
            ac_db_bind_text(s, 10, ac_verdict_name(p->verdict), -1);
            ac_db_bind_text(s, 11, p->status_result, -1);
            ac_db_bind_text(s, 12, p->verified_by, -1);
            ac_db_bind_text(s, 13, p->checks, -1);
            ac_db_bind_int64(s, 14, now_ms);
            if (p->presented)
                ac_db_bind_blob(s, 15, p->presented, p->presented_len);
            ac_db_bind_int64(s, 16, p->earner_id);
            ac_db_bind_int64(s, 17, p->issued_ms);
            err = ac__store_insert_id(st, s, &id);
        }
        if (!err)
            inserted = 1;
    }
    err = ac__store_end(st, err);
    if (err)
        return err;
    p->id = id;
    p->presented_ms = presented;
    p->verified_ms = now_ms;
    *created = inserted;
    return 0;
}

int ac_store_presentation_bytes(struct ac_store *st, int64_t id, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    struct ac_db_stmt *s;
    int err =
        ac__store_stmt(st, "SELECT presented FROM recognition_presentations WHERE id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW && !ac_db_col_is_null(s, 0)) {
        size_t n = (size_t)ac_db_col_bytes(s, 0);
        *out = malloc(n ? n : 1);
        if (*out) {
            memcpy(*out, ac_db_col_blob(s, 0), n);
            *len = n;
        } else {
            err = AC_ENOMEM;
        }
    } else if (rc == AC_DB_DONE) {
        err = AC_ENOENT;
    } else if (rc != AC_DB_ROW) {
        err = ac__store_error(st, rc);
    }
    ac_db_reset(s);
    return err;
}

int ac_store_presentation_get(struct ac_store *st, int64_t id, struct ac_presentation *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st, "SELECT " PRESENTATION_COLUMNS " FROM recognition_presentations WHERE id = $1", &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, id);
    return ac__store_one(st, s, &presentation_rows, out);
}

int ac_store_presentation_list(struct ac_store *st, int64_t recognizer_id, const char *teacher,
                               int64_t after_id, struct ac_presentation *out, size_t max, size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT " PRESENTATION_COLUMNS " FROM recognition_presentations"
                             " WHERE recognizer_id = $1 AND id > $2"
                             " AND (CAST($3 AS TEXT) IS NULL OR teacher = $3) ORDER BY id LIMIT $4",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, recognizer_id);
    ac_db_bind_int64(s, 2, after_id);
    if (teacher)
        ac_db_bind_text(s, 3, teacher, -1);
    ac_db_bind_int64(s, 4, (int64_t)max);
    return ac__store_fill(st, s, &presentation_rows, out, max, n);
}

static int read_recognized(struct ac_store *st, struct ac_db_stmt *s, void *out)
{
    (void)st;
    struct ac_recognized *r = out;
    memset(r, 0, sizeof *r);
    enum ac_purpose purpose = AC_PURPOSE_CEU;
    ac_purpose_parse(ac_db_col_text(s, 0), &purpose);
    r->purpose = purpose;
    ac__col_copy(r->issuer, sizeof r->issuer, s, 1);
    ac__col_copy(r->credential_id, sizeof r->credential_id, s, 2);
    r->ceu_hundredths = ac_db_col_int64(s, 3);
    r->presentation_id = ac_db_col_int64(s, 4);
    r->policy_id = ac_db_col_int64(s, 5);
    r->credential_version = (uint64_t)ac_db_col_int64(s, 6);
    return 0;
}

static const struct ac__row_type recognized_rows = {sizeof(struct ac_recognized), read_recognized,
                                                    NULL};

int ac_store_recognized_list(struct ac_store *st, int64_t recognizer_id, const char *teacher,
                             struct ac_recognized *out, size_t max, size_t *n)
{
    struct ac_db_stmt *s;
    /* Each (purpose, issuer, credential) names the presentation that counts:
     * the one worth the most CEUs, the earliest presentation and policy on a
     * tie (a window function, which both engines run; a bare column beside
     * MAX() is SQLite's alone). */
    int err = ac__store_stmt(
        st,
        "SELECT purpose, issuer, credential_id, ceu, rid, pid, version FROM ("
        "SELECT p.purpose, p.issuer, p.credential_id,"
        " COALESCE(p.ceu_hundredths, r.ceu_hundredths, 0) AS ceu, r.id AS rid, p.id AS pid,"
        " r.credential_version AS version,"
        " ROW_NUMBER() OVER (PARTITION BY p.purpose, p.issuer, p.credential_id"
        "  ORDER BY COALESCE(p.ceu_hundredths, r.ceu_hundredths, 0) DESC, r.id, p.id) AS pick"
        " FROM recognition_presentations r JOIN recognition_policies p"
        " ON p.recognizer_id = r.recognizer_id AND p.issuer = r.issuer"
        " AND p.credential_id = r.credential_id AND r.credential_version >= p.min_version"
        /* A pinned content hash names one version's definition. */
        " AND (p.content_hash = '' OR r.credential_version = p.min_version)"
        " AND p.retired_ms = 0"
        " WHERE r.recognizer_id = $1 AND r.teacher = $2 AND r.verdict = 'valid'"
        " AND r.status_result = 'pass'"
        /* The record carries no submission time; its iat follows the
         * submission, so an approval decided after it is certainly late. */
        " AND (p.requires_approval = 0 OR (r.earner_id <> 0 AND EXISTS ("
        "  SELECT 1 FROM recognition_approvals a WHERE a.recognizer_id = r.recognizer_id"
        "  AND a.earner_id = r.earner_id AND a.issuer = p.issuer"
        "  AND a.credential_id = p.credential_id AND a.state = 'approved'"
        "  AND a.decided_ms <= r.issued_ms)))"
        ") AS best WHERE pick = 1"
        " ORDER BY purpose, issuer, credential_id LIMIT $3",
        &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, recognizer_id);
    ac_db_bind_text(s, 2, teacher, -1);
    ac_db_bind_int64(s, 3, (int64_t)max);
    return ac__store_fill(st, s, &recognized_rows, out, max, n);
}

/* ---- catalog ---- */

void ac_catalog_entry_release(struct ac_catalog_entry *e)
{
    if (!e)
        return;
    free(e->title);
    free(e->competency);
    free(e->domains);
    free(e->stacks);
    e->title = e->competency = e->domains = e->stacks = NULL;
}

int ac_store_catalog_list(struct ac_store *st, const struct ac_catalog_filter *f, int64_t after_id,
                          struct ac_catalog_entry *out, size_t max, size_t *n)
{
    if (f->recognizer_id && !f->issuer)
        return AC_EINVAL;
    struct ac_db_stmt *s;
    /* Domains, stacks and CEUs live in the stored definition JSON (life
     * cycle storage keeps it whole), so the filters read it with the engine's
     * JSON functions: SQLite's json_extract/json_each beside PostgreSQL's
     * jsonb operators, the rest of the text shared. */
#define CATALOG_FILTERS                                                                            \
    " AND ($4 = 0 OR EXISTS (SELECT 1 FROM recognition_policies p"                                 \
    "  WHERE p.retired_ms = 0 AND p.recognizer_id = $4 AND p.issuer = $5"                          \
    "  AND p.credential_id = c.def_id AND c.version >= p.min_version))"                            \
    " ORDER BY c.id LIMIT $6"
    static const char sqlite_sql[] =
        "SELECT c.id, c.def_id, c.version, c.title,"
        " COALESCE(json_extract(c.definition, '$.competency'), ''),"
        " COALESCE(json_extract(c.definition, '$.domains'), '[]'),"
        " COALESCE(json_extract(c.definition, '$.stacks'), '[]'),"
        " json_extract(c.definition, '$.ceus'), c.activated_ms"
        " FROM credentials c WHERE c.state = 'active' AND c.id > $1"
        " AND (CAST($2 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM json_each(c.definition, '$.domains')"
        "  WHERE value = $2))"
        " AND (CAST($3 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM json_each(c.definition, '$.stacks')"
        "  WHERE value = $3))" CATALOG_FILTERS;
    static const char pg_sql[] =
        "SELECT c.id, c.def_id, c.version, c.title,"
        " COALESCE(CAST(c.definition AS jsonb) ->> 'competency', ''),"
        " COALESCE(CAST(CAST(c.definition AS jsonb) -> 'domains' AS TEXT), '[]'),"
        " COALESCE(CAST(CAST(c.definition AS jsonb) -> 'stacks' AS TEXT), '[]'),"
        " CAST(CAST(c.definition AS jsonb) ->> 'ceus' AS DOUBLE PRECISION), c.activated_ms"
        " FROM credentials c WHERE c.state = 'active' AND c.id > $1"
        " AND (CAST($2 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM"
        "  jsonb_array_elements_text(CAST(c.definition AS jsonb) -> 'domains') AS d(value)"
        "  WHERE d.value = $2))"
        " AND (CAST($3 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM"
        "  jsonb_array_elements_text(CAST(c.definition AS jsonb) -> 'stacks') AS k(value)"
        "  WHERE k.value = $3))" CATALOG_FILTERS;
#undef CATALOG_FILTERS
    int err = ac__store_stmt(st, ac__store_sql(st, sqlite_sql, pg_sql), &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, after_id);
    if (f->domain)
        ac_db_bind_text(s, 2, f->domain, -1);
    if (f->stack)
        ac_db_bind_text(s, 3, f->stack, -1);
    ac_db_bind_int64(s, 4, f->recognizer_id);
    if (f->issuer)
        ac_db_bind_text(s, 5, f->issuer, -1);
    ac_db_bind_int64(s, 6, (int64_t)max);
    size_t got = 0;
    int rc = AC_DB_DONE;
    while (!err && got < max && (rc = ac_db_step(s)) == AC_DB_ROW) {
        struct ac_catalog_entry *e = &out[got++];
        memset(e, 0, sizeof *e);
        e->id = ac_db_col_int64(s, 0);
        ac__col_copy(e->def_id, sizeof e->def_id, s, 1);
        e->version = ac_db_col_int64(s, 2);
        e->title = ac__col_dup(s, 3);
        e->competency = ac__col_dup(s, 4);
        e->domains = ac__col_dup(s, 5);
        e->stacks = ac__col_dup(s, 6);
        if (!ac_db_col_is_null(s, 7)) {
            e->has_ceu = 1;
            /* CEUs are stored as a JSON number; hundredths keep them exact. */
            e->ceu_hundredths = (int64_t)llround(ac_db_col_double(s, 7) * 100.0);
        }
        e->activated_ms = ac_db_col_int64(s, 8);
        if (!e->title || !e->competency || !e->domains || !e->stacks)
            err = AC_ENOMEM;
    }
    if (!err && got < max && rc != AC_DB_DONE)
        err = ac__store_error(st, rc);
    ac_db_reset(s);
    if (err) {
        for (size_t i = 0; i < got; i++)
            ac_catalog_entry_release(&out[i]);
        return err;
    }
    *n = got;
    return 0;
}

int ac_store_policy_for_credential(struct ac_store *st, const char *issuer,
                                   const char *credential_id, int64_t version,
                                   struct ac_policy *out, size_t max, size_t *n)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT " POLICY_COLUMNS " FROM recognition_policies"
                             " WHERE retired_ms = 0 AND issuer = $1 AND credential_id = $2"
                             " AND min_version <= $3 ORDER BY id LIMIT $4",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, issuer, -1);
    ac_db_bind_text(s, 2, credential_id, -1);
    ac_db_bind_int64(s, 3, version);
    ac_db_bind_int64(s, 4, (int64_t)max);
    return ac__store_fill(st, s, &policy_rows, out, max, n);
}
