/* store_pilot_notes.c - what an expert says beside a pilot score: notes and
 * per-element levels, kept as JSON text apart from the score itself, whose
 * single level is what pilot agreement is measured on. */
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/pilot.h"
#include "internal.h"

int ac_store_pilot_notes_set(struct ac_store *st, int64_t submission_id, int64_t expert_id,
                             const char *detail)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "INSERT INTO pilot_score_notes(submission_id, expert_id, detail)"
                             " SELECT submission_id, expert_id, $3 FROM pilot_scores"
                             " WHERE submission_id = $1 AND expert_id = $2",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, submission_id);
    ac_db_bind_int64(s, 2, expert_id);
    ac_db_bind_text(s, 3, detail, -1);
    err = ac__store_done(st, s);
    /* The INSERT ... SELECT wrote nothing when the pair is not assigned. */
    if (!err && ac_db_changes(ac__store_db(st)) == 0)
        err = AC_ENOENT;
    return err;
}

int ac_store_pilot_notes_get(struct ac_store *st, int64_t submission_id, int64_t expert_id,
                             char **out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT detail FROM pilot_score_notes"
                             " WHERE submission_id = $1 AND expert_id = $2",
                             &s);
    if (err)
        return err;
    ac_db_bind_int64(s, 1, submission_id);
    ac_db_bind_int64(s, 2, expert_id);
    int rc = ac_db_step(s);
    char *text = NULL;
    if (rc == AC_DB_ROW) {
        text = ac__col_dup(s, 0);
        rc = text ? 0 : AC_ENOMEM;
    } else if (rc == AC_DB_DONE) {
        rc = AC_ENOENT;
    } else {
        rc = ac__store_error(st, rc);
    }
    ac_db_reset(s);
    if (!rc)
        *out = text;
    return rc;
}
