/* early_auth.c - checks the bearer token of a request that carries a body at
 * the end of its headers, before the body is read, so that an unauthenticated
 * client cannot make the node hold request bodies (net/ calls it through
 * ac_h2_server_set_headers_check()). Every route that accepts a body needs a
 * token today; the handler still authenticates and checks roles as before,
 * this only refuses earlier what it would refuse. */
#include <string.h>

#include "internal.h"
#include "web/web.h"

int ac__early_auth(void *arg, struct ac_http_exchange *x)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    /* Signing in is how a browser gets a credential, so those few routes
     * take their small bodies without one (node/http/session.c). */
    if (ac__session_open_route(ac_http_exchange_req(x)->route))
        return 0;
    /* A peer's message carries no token: the signed envelope is its
     * credential, checked by node/federation/receive.c (and, for an artifact
     * a lender fetches, node/federation/borrow_wire.c). */
    const char *route = ac_http_exchange_req(x)->route;
    if (strcmp(route, "/v1/federation/inbox") == 0 ||
        strcmp(route, "/v1/federation/artifacts") == 0) /* borrow_issuer.c */
        return 0;
    /* ac__authenticate() answers 401 itself, naming what was wrong; in
     * place, since this check answers before it returns (a GET may carry a
     * body too, and must not have its handler run from here). */
    return ac__authenticate_in_place(n, x, &a) ? 1 : 0;
}
