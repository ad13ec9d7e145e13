/* store_artifact.c - the index of content-addressed artifacts (the bytes
 * live in files under the data directory) and who may read them. */
#include <stdio.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/artifact.h"
#include "accord/store/assignment.h"
#include "review_internal.h"

static int hash_ok(const char *h)
{
    if (strlen(h) != AC_ARTIFACT_HASH_HEX)
        return 0;
    for (const char *p = h; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

int ac_store_artifact_put(struct ac_store *st, const struct ac_artifact *a)
{
    if (!hash_ok(a->hash))
        return AC_EINVAL;
    struct ac_db_stmt *s;
    int err = ac__store_begin(st);
    if (err)
        return err;
    err = ac__store_stmt(st,
                         "INSERT INTO artifacts(hash, size, media_type, uploader_id,"
                         " created_ms) VALUES ($1, $2, $3, $4, $5)"
                         " ON CONFLICT DO NOTHING",
                         &s);
    if (!err) {
        ac_db_bind_text(s, 1, a->hash, -1);
        ac_db_bind_int64(s, 2, a->size);
        ac_db_bind_text(s, 3, a->media_type, -1);
        ac_db_bind_int64(s, 4, a->uploader_id);
        ac_db_bind_int64(s, 5, a->created_ms);
        err = ac__store_done(st, s);
    }
    if (!err)
        err = ac__store_stmt(st,
                             "INSERT INTO artifact_uploads(hash, uploader_id,"
                             " media_type, created_ms) VALUES ($1, $2, $3, $4)"
                             " ON CONFLICT DO NOTHING",
                             &s);
    if (!err) {
        ac_db_bind_text(s, 1, a->hash, -1);
        ac_db_bind_int64(s, 2, a->uploader_id);
        ac_db_bind_text(s, 3, a->media_type, -1);
        ac_db_bind_int64(s, 4, a->created_ms);
        err = ac__store_done(st, s);
    }
    return ac__store_end(st, err);
}

static int read_artifact(struct ac_store *st, struct ac_db_stmt *s, void *elem)
{
    (void)st;
    struct ac_artifact *a = elem;
    ac__col_copy(a->hash, sizeof a->hash, s, 0);
    a->size = ac_db_col_int64(s, 1);
    ac__col_copy(a->media_type, sizeof a->media_type, s, 2);
    a->uploader_id = ac_db_col_int64(s, 3);
    a->created_ms = ac_db_col_int64(s, 4);
    return 0;
}

static const struct ac__row_type artifact_rows = {sizeof(struct ac_artifact), read_artifact, NULL};

int ac_store_artifact_get(struct ac_store *st, const char *hash, struct ac_artifact *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT hash, size, media_type, uploader_id, created_ms FROM artifacts"
                             " WHERE hash = $1",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, hash, -1);
    return ac__store_one(st, s, &artifact_rows, out);
}

int ac_store_artifact_get_upload(struct ac_store *st, const char *hash, int64_t uploader_id,
                                 struct ac_artifact *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT a.hash, a.size, u.media_type, u.uploader_id, u.created_ms"
                             " FROM artifact_uploads u JOIN artifacts a ON a.hash = u.hash"
                             " WHERE u.hash = $1 AND u.uploader_id = $2",
                             &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, hash, -1);
    ac_db_bind_int64(s, 2, uploader_id);
    return ac__store_one(st, s, &artifact_rows, out);
}

int ac_store_artifact_media_type_for(struct ac_store *st, const char *hash, int64_t reader_id,
                                     char *out, size_t size)
{
    /* The reader's own upload first, then that of an earner whose submission
     * the reader reviews; the first upload's type is only the last resort. */
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st,
        "SELECT media_type FROM ("
        " SELECT media_type, 0 AS rank FROM artifact_uploads WHERE hash = $1 AND uploader_id = $2"
        " UNION ALL SELECT u.media_type, 1 FROM artifact_uploads u"
        "  JOIN submissions sub ON sub.earner_id = u.uploader_id"
        "  JOIN submission_artifacts sa ON sa.submission_id = sub.id AND sa.hash = u.hash"
        "  JOIN assignments a ON a.submission_id = sub.id"
        "  WHERE u.hash = $1 AND a.reviewer_id = $2"
        " UNION ALL SELECT media_type, 2 FROM artifacts WHERE hash = $1) AS candidates"
        " ORDER BY rank LIMIT 1",
        &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, hash, -1);
    ac_db_bind_int64(s, 2, reader_id);
    int rc = ac_db_step(s);
    if (rc == AC_DB_ROW) {
        const char *t = ac_db_col_text(s, 0);
        snprintf(out, size, "%s", t ? t : "application/octet-stream");
    }
    ac_db_reset(s);
    if (rc == AC_DB_ROW)
        return 0;
    return rc == AC_DB_DONE ? AC_ENOENT : ac__store_error(st, rc);
}

int ac_store_artifact_may_read(struct ac_store *st, const char *hash, int64_t user_id, int *allowed)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(
        st,
        "SELECT EXISTS (SELECT 1 FROM artifact_uploads WHERE hash = $1 AND uploader_id = $2)"
        " OR EXISTS (SELECT 1 FROM submission_artifacts sa JOIN submissions s"
        "  ON s.id = sa.submission_id WHERE sa.hash = $1 AND s.earner_id = $2)"
        " OR EXISTS (SELECT 1 FROM submission_artifacts sa JOIN assignments a"
        "  ON a.submission_id = sa.submission_id WHERE sa.hash = $1 AND a.reviewer_id = $2"
        "  AND a.state = $3)",
        &s);
    if (err)
        return err;
    ac_db_bind_text(s, 1, hash, -1);
    ac_db_bind_int64(s, 2, user_id);
    ac_db_bind_int64(s, 3, AC_ASG_ACCEPTED);
    int64_t exists;
    err = ac__store_int64(st, s, &exists);
    if (!err)
        *allowed = (int)exists;
    return err;
}
