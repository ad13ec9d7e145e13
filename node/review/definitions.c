/* definitions.c - the credential definition a piece of review work is under,
 * loaded from its credentials row and parsed, for the review services. */
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/credential.h"
#include "review/review.h"

int ac__review_definition(struct ac_node *n, const char *def_id, int64_t version, int64_t *row,
                          enum ac_def_state *state, struct ac_definition **out)
{
    struct ac_credential c;
    int err = ac_store_credential_find(n->store, def_id, version, &c);
    if (err)
        return err;
    struct ac_def_problems pr = {0};
    struct ac_definition *d = NULL;
    err = ac_def_from_json(c.definition, strlen(c.definition), &d, &pr);
    ac_def_problems_release(&pr);
    if (!err) {
        if (row)
            *row = c.id;
        if (state)
            *state = c.state;
        *out = d;
    } else if (err != AC_ENOMEM) {
        err = AC_EPARSE;
    }
    ac_credential_release(&c);
    return err;
}

int ac__review_definition_at(struct ac_node *n, int64_t row, struct ac_definition **out,
                             struct ac_credential *c)
{
    int err = ac_store_credential_get(n->store, row, c);
    if (err)
        return err;
    struct ac_def_problems pr = {0};
    err = ac_def_from_json(c->definition, strlen(c->definition), out, &pr);
    ac_def_problems_release(&pr);
    if (err) {
        ac_credential_release(c);
        return err == AC_ENOMEM ? err : AC_EPARSE;
    }
    return 0;
}
