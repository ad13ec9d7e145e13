/* fuzz_h2_server.c - feeds arbitrary bytes to one server-side HTTP/2
 * connection through the memory transport of net/internal.h (no sockets),
 * with a router holding a few routes that answer in different ways. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../net/internal.h"
#include "accord/base/error.h"
#include "accord/base/log.h"

static void on_echo(struct ac_http_exchange *x, void *arg)
{
    (void)arg;
    const struct ac_http_req *req = ac_http_exchange_req(x);
    const struct ac_http_header h = {"content-type", "application/octet-stream"};
    ac_http_respond(x, 200, &h, 1, req->body, req->body_len);
}

static void on_item(struct ac_http_exchange *x, void *arg)
{
    (void)arg;
    const struct ac_http_req *req = ac_http_exchange_req(x);
    char q[32];
    if (ac_http_query(req, "q", q, sizeof(q)) == AC_EINVAL) {
        ac_http_respond_problem(x, 400, "bad-query", "Bad Request", "q", "bad escape");
        return;
    }
    json_t *body = req->body ? json_loadb((const char *)req->body, req->body_len, 0, NULL) : NULL;
    if (req->body && !body) {
        ac_http_respond_problem(x, 400, "bad-json", "Bad Request", "body", "not JSON");
        return;
    }
    json_t *o = json_pack("{s:s}", "id", ac_http_param(x, "id"));
    ac_http_respond_json(x, 200, o);
    json_decref(o);
    json_decref(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int quiet;
    if (!quiet) {
        ac_log_set_level(AC_LOG_ERROR);
        quiet = 1;
    }
    uv_loop_t loop;
    struct ac_router *router;
    struct ac_h2_server *srv;
    struct ac__h2_conn *c;
    if (uv_loop_init(&loop) || ac_router_new(&router))
        abort();
    if (ac_router_add(router, "GET", "/echo", on_echo, NULL) ||
        ac_router_add(router, "POST", "/echo", on_echo, NULL) ||
        ac_router_add(router, "GET", "/items/{id}", on_item, NULL) ||
        ac_router_add(router, "POST", "/items/{id}", on_item, NULL))
        abort();
    struct ac_h2_server_config cfg = {.limits = {.max_body_bytes = 256, .max_header_bytes = 512}};
    if (ac_h2_server_new(&loop, &cfg, router, &srv) || ac__h2_conn_memory_new(srv, &c))
        abort();

    /* Feed in chunks whose size comes from the first byte, so frames also
     * arrive split across reads as they do from a socket. */
    size_t chunk = size ? (size_t)data[0] % 64 + 1 : 1;
    for (size_t off = 0; off < size; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        if (ac__h2_conn_memory_feed(c, data + off, n))
            break;
    }

    ac__h2_conn_memory_free(c);
    ac_h2_server_close(srv, 0, NULL, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop))
        abort();
    ac_router_free(router);
    return 0;
}
