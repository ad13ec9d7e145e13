/* h2_client.h - an HTTP/2 client on libuv + nghttp2: one connection per origin,
 * multiplexed streams, timeouts, TLS with certificate verification and optional
 * public-key pinning. Used by accordctl and, later, the federation transport.
 * Runs on the loop thread. */
#ifndef AC_H2_CLIENT_H
#define AC_H2_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "accord/net/http.h"

struct ac_h2_client;

struct ac_h2_client_config {
    uint64_t connect_timeout_ms; /* default 10 s */
    uint64_t request_timeout_ms; /* default 30 s, from send to the end of the response */
    size_t max_response_bytes;   /* default 64 MiB */
    const char *ca_file;         /* PEM bundle for https; NULL: system store */
    int insecure;                /* skip certificate verification (tests only) */
    /* SHA-256 of the server certificate's SubjectPublicKeyInfo, or NULL. When
     * set, a TLS peer whose key differs is refused even if the chain verifies. */
    const uint8_t *pin_spki_sha256;
};

struct ac_h2_response {
    int status;
    struct ac_http_header *headers; /* owned; lowercase names */
    size_t nheaders;
    uint8_t *body; /* owned; NUL-terminated for convenience, not counted in body_len */
    size_t body_len;
};

/* Called once per request. On |err| == 0, |resp| is the response, which the
 * callback borrows (it is freed after the callback returns). Otherwise |resp| is
 * NULL and |err| says why: AC_ECONNREFUSED or another negative libuv code when
 * the origin is unreachable, AC_ETIMEDOUT, AC_ETLS, AC_EPROTO, AC_E2BIG or
 * AC_ECANCELED (client closed). */
typedef void (*ac_h2_response_cb)(void *arg, int err, const struct ac_h2_response *resp);

/* Creates a client on |loop| for the origin |base_url| ("http://host:port" is
 * h2c with prior knowledge; "https://host:port" is TLS with ALPN h2). Copies
 * |cfg| (and the pin). Connects lazily on the first request.
 * Returns 0, AC_ENOMEM or AC_EINVAL (bad URL). */
int ac_h2_client_new(uv_loop_t *loop, const char *base_url, const struct ac_h2_client_config *cfg,
                     struct ac_h2_client **out);

/* Sends a request for |path| (may include a query) on the shared connection.
 * Copies every argument. |cb| fires exactly once, never from inside this call.
 * Returns 0, or AC_ENOMEM / AC_EINVAL without calling |cb|. */
int ac_h2_client_request(struct ac_h2_client *c, const char *method, const char *path,
                         const struct ac_http_header *headers, size_t nheaders, const void *body,
                         size_t len, ac_h2_response_cb cb, void *arg);

/* Returns the value of header |lname| in |resp|, or NULL. */
const char *ac_h2_response_header(const struct ac_h2_response *resp, const char *lname);

/* Fails pending requests with AC_ECANCELED, closes the connection and frees
 * |c| once its handles are closed (run the loop to finish). NULL is a no-op. */
void ac_h2_client_close(struct ac_h2_client *c);

/* Convenience for command-line tools: runs a private loop until one request
 * completes. Sets |*out| to a response the caller frees with
 * ac_h2_response_free(). Returns 0 or the error the callback would get. */
int ac_h2_fetch(const char *base_url, const struct ac_h2_client_config *cfg, const char *method,
                const char *path, const struct ac_http_header *headers, size_t nheaders,
                const void *body, size_t len, struct ac_h2_response **out);

void ac_h2_response_free(struct ac_h2_response *resp);

#endif
