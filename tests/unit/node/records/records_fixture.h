/* records_fixture.h - the records layer on node_fixture.h, for the tests of
 * node/records/ services that need a record to act on: one issued through
 * the issuing service of a whole node (fixture_open_full()).
 * Header-only (static functions); include it from one test file. */
#ifndef AC_TEST_RECORDS_FIXTURE_H
#define AC_TEST_RECORDS_FIXTURE_H

#include "node/node_fixture.h"

/* Issues a "pass" of formative-feedback version 1 to |email| on |f|'s whole
 * node; sets |*id| to the record's row id and |sid| to it as an audit
 * subject. Returns 0 or -1 (for a cmocka setup function). */
static inline int fixture_issue(struct node_fixture *f, const char *email, int64_t *id,
                                char sid[24])
{
    struct ac__issue_req req = {
        .email = email,
        .definition_id = "formative-feedback",
        .definition_version = 1,
        .achieved_level = "pass",
    };
    if (ac__credential_issue(&f->node, &req, id))
        return -1;
    snprintf(sid, 24, "%lld", (long long)*id);
    return 0;
}

#endif
