/* fuzz_h2_client.c - feeds arbitrary bytes, as if sent by a server, to one
 * client-side HTTP/2 connection through the memory transport of
 * net/internal.h (no sockets) while three requests are in flight, and checks
 * that each request's callback fires exactly once and every handle closes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../net/internal.h"
#include "accord/base/error.h"
#include "accord/net/h2_client.h"
#include "accord/base/log.h"

#define NREQ 3

static void on_response(void *arg, int err, const struct ac_h2_response *resp)
{
    int *calls = arg;
    (*calls)++;
    /* A success carries a final status and a NUL-terminated body. */
    if (err == 0 &&
        (!resp || resp->status < 200 || resp->status > 999 || resp->body[resp->body_len] != '\0'))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int quiet;
    if (!quiet) {
        ac_log_set_level(AC_LOG_ERROR);
        quiet = 1;
    }
    uv_loop_t loop;
    struct ac_h2_client *cl;
    struct ac__cconn *c;
    /* A small response cap so the over-the-limit path is reachable. */
    struct ac_h2_client_config cfg = {.max_response_bytes = 512};
    if (uv_loop_init(&loop) || ac_h2_client_new(&loop, "http://fuzz.example:1", &cfg, &cl) ||
        ac__h2_client_memory_new(cl, &c))
        abort();
    int calls[NREQ] = {0};
    const struct ac_http_header h = {"accept", "application/json"};
    if (ac_h2_client_request(cl, "GET", "/a", &h, 1, NULL, 0, on_response, &calls[0]) ||
        ac_h2_client_request(cl, "POST", "/b", NULL, 0, "{}", 2, on_response, &calls[1]) ||
        ac_h2_client_request(cl, "GET", "/c", NULL, 0, NULL, 0, on_response, &calls[2]))
        abort();

    /* Chunk sizes from the first byte, so frames also arrive split. */
    size_t chunk = size ? (size_t)data[0] % 64 + 1 : 1;
    for (size_t off = 0; off < size; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        if (ac__h2_client_memory_feed(c, data + off, n))
            break;
    }

    ac__h2_client_memory_free(c);
    ac_h2_client_close(cl);
    uv_run(&loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop))
        abort();
    for (int i = 0; i < NREQ; i++)
        if (calls[i] != 1)
            abort();
    return 0;
}
