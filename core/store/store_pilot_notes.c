/* store_pilot_notes.c - what an expert says beside a pilot score: notes and
 * per-element levels, kept as JSON text apart from the score itself, whose
 * single level is what pilot agreement is measured on. */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "accord/base/error.h"
#include "accord/store/pilot.h"
#include "internal.h"

int ac_store_pilot_notes_set(struct ac_store *st, int64_t submission_id, int64_t expert_id,
                             const char *detail)
{
    sqlite3_stmt *s;
    int err = ac__store_stmt(st,
                             "INSERT INTO pilot_score_notes(submission_id, expert_id, detail)"
                             " SELECT submission_id, expert_id, ?3 FROM pilot_scores"
                             " WHERE submission_id = ?1 AND expert_id = ?2",
                             &s);
    if (err)
        return err;
    sqlite3_bind_int64(s, 1, submission_id);
    sqlite3_bind_int64(s, 2, expert_id);
    sqlite3_bind_text(s, 3, detail, -1, SQLITE_STATIC);
    err = ac__store_done(st, s);
    /* The INSERT ... SELECT wrote nothing when the pair is not assigned. */
    if (!err && sqlite3_changes(ac__store_db(st)) == 0)
        err = AC_ENOENT;
    return err;
}

int ac_store_pilot_notes_get(struct ac_store *st, int64_t submission_id, int64_t expert_id,
                             char **out)
{
    sqlite3_stmt *s;
    int err = ac__store_stmt(st,
                             "SELECT detail FROM pilot_score_notes"
                             " WHERE submission_id = ?1 AND expert_id = ?2",
                             &s);
    if (err)
        return err;
    sqlite3_bind_int64(s, 1, submission_id);
    sqlite3_bind_int64(s, 2, expert_id);
    int rc = sqlite3_step(s);
    char *text = NULL;
    if (rc == SQLITE_ROW && !(text = ac__col_dup(s, 0)))
        rc = SQLITE_NOMEM;
    sqlite3_reset(s);
    if (rc == SQLITE_ROW) {
        *out = text;
        return 0;
    }
    return rc == SQLITE_DONE ? AC_ENOENT : rc == SQLITE_NOMEM ? AC_ENOMEM : ac__store_error(st, rc);
}
