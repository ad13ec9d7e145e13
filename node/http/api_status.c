/* api_status.c - the public status endpoints: the IETF Token Status List
 * token and the W3C Bitstring Status List encodedLists, both cached and
 * rebuilt only after a change (or, for the token, when it ages); what they
 * check in the store first is read on a reader thread. */
#include "accord/base/error.h"
#include "records/records.h"

/* The stored log head and status version are read on a reader thread first
 * (ac__checkpoint_fresh()), so publishing reads nothing more on the loop
 * unless another process of this node changed them. */
static void token_then(struct ac_http_exchange *x, struct ac_node *n, void *arg, int err)
{
    (void)arg;
    if (!err)
        err = ac__status_publish(n);
    if (err) {
        ac__respond_error(x, err, "status token");
        return;
    }
    ac__respond_published(x, &n->records->token, "application/statuslist+cwt");
}

static void on_token(struct ac_http_exchange *x, void *arg)
{
    ac__checkpoint_fresh(arg, x, token_then, NULL);
}

static void bitstring_then(struct ac_http_exchange *x, struct ac_node *n, void *arg, int err)
{
    (void)arg;
    if (!err)
        err = ac__status_publish_bitstring(n);
    if (err) {
        ac__respond_error(x, err, "status list");
        return;
    }
    ac__respond_published(x, &n->records->bitstring, "application/json");
}

static void on_bitstring(struct ac_http_exchange *x, void *arg)
{
    ac__checkpoint_fresh(arg, x, bitstring_then, NULL);
}

void ac__api_status_register(struct ac_node *n)
{
    ac__route(n, "GET", "/v1/status/token", on_token);
    ac__route(n, "GET", "/v1/status/bitstring", on_bitstring);
}
