/* pool_members.c - who is in a credential's reviewer pool and where each
 * lives: this node's reviewers and the stand-ins of reviewers lent by other
 * nodes, with their certification state here, and reviewers a lender offers
 * who have not applied here yet (state "offered"). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/lending.h"
#include "accord/store/remote.h"
#include "accord/store/reviewer.h"
#include "accord/store/user.h"
#include "lifecycle.h"

#define PAGE 256

/* The offer row of stand-in |user_id| in |v|, or NULL. */
static const struct ac_capacity_reviewer *offered(const struct ac_capacity_reviewer *v, size_t n,
                                                  int64_t user_id)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].user_id == user_id)
            return &v[i];
    return NULL;
}

/* One member: |state| is the certification state here or "offered". */
static int add_member(struct ac_node *n, json_t *arr, int64_t user_id, const char *state,
                      const struct ac_capacity_reviewer *offer)
{
    struct ac_user u;
    struct ac_remote_reviewer rr;
    int err = ac_store_user_get(n->store, user_id, &u);
    if (err)
        return err;
    int remote = ac_store_remote_reviewer_get(n->store, user_id, &rr);
    if (remote && remote != AC_ENOENT)
        return remote;
    json_t *m = json_pack("{s:I, s:s, s:s, s:s, s:s}", "user_id", (json_int_t)user_id, "name",
                          u.name, "display_name", u.display_name, "lives",
                          remote ? "local" : rr.home_node, "state", state);
    if (m && !remote)
        json_object_set_new(m, "home_user", json_integer(rr.home_user));
    if (m && offer) {
        json_object_set_new(m, "certified_at_home", json_boolean(offer->certified_at_home));
        json_object_set_new(m, "slots_per_month", json_integer(offer->slots));
    }
    return m && json_array_append_new(arr, m) == 0 ? 0 : AC_ENOMEM;
}

int ac__pool_members(struct ac_node *n, const struct ac__cred *c, json_t **out)
{
    struct ac_capacity_reviewer *offers = NULL;
    size_t noffers = 0;
    int err = ac_store_capacity_list(n->store, c->row.def_id, &offers, &noffers);
    if (err)
        return err;
    json_t *arr = json_array();
    struct ac_reviewer_cert *page = calloc(PAGE, sizeof *page);
    bool *listed = calloc(noffers + 1, sizeof *listed);
    if (!arr || !page || !listed)
        err = AC_ENOMEM;
    int64_t after = 0;
    size_t got = PAGE;
    while (!err && got == PAGE) {
        err = ac_store_reviewer_cert_list(n->store, c->row.id, -1, after, page, PAGE, &got);
        if (err)
            break;
        for (size_t i = 0; i < got; i++) {
            const struct ac_capacity_reviewer *o = offered(offers, noffers, page[i].user_id);
            if (o)
                listed[o - offers] = true;
            if (!err)
                err = add_member(n, arr, page[i].user_id, ac_rcert_state_name(page[i].state), o);
            after = page[i].user_id;
            ac_reviewer_cert_release(&page[i]);
        }
    }
    /* Offered by a lender but not (yet) applying here: borrowable once
     * certified, so the issuer sees them to invite. */
    for (size_t i = 0; !err && i < noffers; i++)
        if (!listed[i]) {
            listed[i] = true;
            for (size_t k = i + 1; k < noffers; k++)
                listed[k] |= offers[k].user_id == offers[i].user_id;
            err = add_member(n, arr, offers[i].user_id, "offered", &offers[i]);
        }
    free(listed);
    free(page);
    free(offers);
    if (err) {
        json_decref(arr);
        return err;
    }
    *out = arr;
    return 0;
}
