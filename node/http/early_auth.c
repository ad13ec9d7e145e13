/* early_auth.c - checks the bearer token of a request that carries a body at
 * the end of its headers, before the body is read, so that an unauthenticated
 * client cannot make the node hold request bodies (net/ calls it through
 * ac_h2_server_set_headers_check()). Every route that accepts a body needs a
 * token today; the handler still authenticates and checks roles as before,
 * this only refuses earlier what it would refuse. A credential the cache does
 * not hold is read off the loop and the check answers later
 * (AC_H2_CHECK_PENDING). */
#include <string.h>

#include "http/auth_rows.h"
#include "internal.h"
#include "web/web.h"

/* Run by ac__auth_rows_early(), and again with the row it read. */
static int check(struct ac_node *n, struct ac_http_exchange *x)
{
    struct ac__auth a;
    return ac__authenticate(n, x, &a);
}

int ac__early_auth(void *arg, struct ac_http_exchange *x)
{
    struct ac_node *n = arg;
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
    /* ac__authenticate() answers 401 itself, naming what was wrong. A row
     * the token cache does not hold is read on a reader thread (issue 15:
     * on PostgreSQL a round trip the loop would wait for) while net/ holds
     * the stream and at most its window of body; the check answers when the
     * row is back (http/auth_rows.h). Never the route's handler from here (a
     * GET may carry a body too). Without reader threads, in place. */
    return ac__auth_rows_early(n, x, check);
}
