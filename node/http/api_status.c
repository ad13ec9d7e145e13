/* api_status.c - the public status endpoints: the IETF Token Status List
 * token and the W3C Bitstring Status List encodedLists, both cached and
 * rebuilt only after a change (or, for the token, when it ages). */
#include "accord/base/error.h"
#include "records/records.h"

static void on_token(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    int err = ac__status_publish(n);
    if (err) {
        ac__respond_error(x, err, "status token");
        return;
    }
    ac__respond_published(x, &n->records->token, "application/statuslist+cwt");
}

static void on_bitstring(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    int err = ac__status_publish(n);
    if (err) {
        ac__respond_error(x, err, "status list");
        return;
    }
    ac__respond_published(x, &n->records->bitstring, "application/json");
}

void ac__api_status_register(struct ac_node *n)
{
    ac__route(n, "GET", "/v1/status/token", on_token);
    ac__route(n, "GET", "/v1/status/bitstring", on_bitstring);
}
