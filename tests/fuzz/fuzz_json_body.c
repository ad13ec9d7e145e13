/* fuzz_json_body.c - feeds arbitrary bytes as the JSON body of an admin's
 * POST /v1/users to the node's real handler (node/http/api_users.c), without
 * sockets: the exchange is built in memory and has no stream, so the answer is
 * formed and then dropped, exercising body parsing, field checks and the
 * users service (store insert and audit row) on an in-memory database. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../../net/internal.h"
#include "../../node/internal.h"
#include "../../node/accounts/accounts.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/store/user.h"

static struct ac_node node;
static char bearer[7 + AC_TOKEN_TEXT_BYTES];

/* One node for the whole run: an in-memory store with one admin and its token. */
static void setup(void)
{
    static uint8_t secret[AC_NODE_SECRET_BYTES];
    static struct ac_node_config cfg; /* the audit rows name the node */
    snprintf(cfg.node_id, sizeof cfg.node_id, "fuzz");
    node.cfg = &cfg;
    ac_log_set_level(AC_LOG_ERROR);
    if (sodium_init() < 0 || ac_store_open(":memory:", &node.store) || ac_router_new(&node.router))
        abort();
    randombytes_buf(secret, sizeof secret);
    node.secret = secret;
    ac__api_users_register(&node);
    struct ac_user admin;
    struct ac_token tok;
    char text[AC_TOKEN_TEXT_BYTES];
    if (ac_store_user_create(node.store, "admin", NULL, AC_ROLE_ADMIN, 1, &admin) ||
        ac__token_issue(&node, admin.id, "fuzz", &tok, text))
        abort();
    memcpy(bearer, "Bearer ", 7);
    memcpy(bearer + 7, text, AC_TOKEN_TEXT_BYTES);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!node.store)
        setup();
    struct ac_http_exchange *x;
    if (ac__exchange_new(&x))
        abort();
    static const char ct[] = "application/json";
    if (ac__exchange_add_header(x, (const uint8_t *)"authorization", 13, (const uint8_t *)bearer,
                                strlen(bearer)) ||
        ac__exchange_add_header(x, (const uint8_t *)"content-type", 12, (const uint8_t *)ct,
                                sizeof ct - 1) ||
        ac_buf_append(&x->body, data, size))
        abort();
    struct ac_http_req *req = &x->req;
    req->method = "POST";
    req->path = "/v1/users";
    req->query = "";
    req->authority = "fuzz";
    req->headers = x->headers;
    req->nheaders = x->nheaders;
    req->body = size ? x->body.data : NULL;
    req->body_len = size;
    req->peer = "fuzz";
    char allow[64];
    if (ac_router_match(node.router, "POST", "/v1/users", &x->match, allow, sizeof allow))
        abort();
    req->route = x->match.pattern;
    x->dispatched = 1;
    /* The handler answers exactly once, which frees |x|. */
    x->match.cb(x, x->match.arg);
    return 0;
}
