/* fetch.c - accord-verify --fetch: HTTP/2 GETs to an issuer (h2c for http://,
 * TLS with certificate verification for https://), each URL asked once per
 * run, its answer or failure kept for every later record: the issuer's keys
 * from <iss>/.well-known/jwks.json, its status token, checkpoint and proofs.
 * This is core/trust's fetcher for the standalone verifier. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "internal.h"

#ifdef AC_VERIFY_FETCH
#include "accord/net/h2_client.h"

/* Splits an absolute http(s) URL into its origin ("scheme://host:port") and
 * path (with query; "/" when empty). */
static int split_url(const char *url, char *origin, size_t olen, char *path, size_t plen)
{
    const char *rest;
    if (strncmp(url, "https://", 8) == 0)
        rest = url + 8;
    else if (strncmp(url, "http://", 7) == 0)
        rest = url + 7;
    else
        return AC_EINVAL;
    if (rest[0] == '\0' || rest[0] == '/')
        return AC_EINVAL;
    const char *slash = strchr(rest, '/');
    /* core/trust asks only for URLs it accepts; this guards any other
     * caller: userinfo would make the host a reader sees not the one asked. */
    if (memchr(rest, '@', slash ? (size_t)(slash - rest) : strlen(rest)))
        return AC_EINVAL;
    size_t n = slash ? (size_t)(slash - url) : strlen(url);
    if (n + 1 > olen)
        return AC_EINVAL;
    memcpy(origin, url, n);
    origin[n] = '\0';
    if ((size_t)snprintf(path, plen, "%s", slash ? slash : "/") >= plen)
        return AC_EINVAL;
    return 0;
}
#endif

void ac__fetcher_free(struct ac__fetcher *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++) {
        free(f->items[i].url);
        free(f->items[i].body);
        free(f->items[i].error);
    }
    free(f->items);
    free(f);
}

/* Does the GET; on failure sets it->rc and it->error to an owned reason. */
static void fetch(const char *url, struct ac__fetched *it)
{
    char why[1200];
#ifdef AC_VERIFY_FETCH
    char origin[256], path[1024];
    if (split_url(url, origin, sizeof(origin), path, sizeof(path))) {
        snprintf(why, sizeof(why),
                 "\"%.300s\" is not a plain http(s) URL to fetch (no userinfo, host at most "
                 "255 bytes)",
                 url);
        it->rc = AC_EINVAL;
        it->error = strdup(why);
        return;
    }
    struct ac_h2_client_config cfg = {.connect_timeout_ms = 5000,
                                      .request_timeout_ms = 10000,
                                      .max_response_bytes = AC__FETCH_MAX_BYTES};
    struct ac_h2_response *resp = NULL;
    int rc = ac_h2_fetch(origin, &cfg, "GET", path, NULL, 0, NULL, 0, &resp);
    if (rc) {
        snprintf(why, sizeof(why), "could not fetch %.300s: %s", url, ac_strerror(rc));
    } else if (resp->status != 200) {
        snprintf(why, sizeof(why), "fetching %.300s answered HTTP %d", url, resp->status);
        rc = AC_EPROTO;
    } else {
        /* The client NUL-terminates the body; keep that for text parsers. */
        it->body = resp->body;
        it->len = resp->body_len;
        resp->body = NULL;
    }
    ac_h2_response_free(resp);
    if (rc) {
        it->rc = rc;
        it->error = strdup(why);
    }
#else
    snprintf(why, sizeof(why), "cannot fetch %.300s: this accord-verify was built without HTTP/2",
             url);
    it->rc = AC_EINVAL; /* this build cannot fetch at all */
    it->error = strdup(why);
#endif
}

const struct ac__fetched *ac__fetch(struct ac__fetcher *f, const char *url)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->items[i].url, url) == 0)
            return &f->items[i];
    struct ac__fetched *v = realloc(f->items, (f->n + 1) * sizeof(*v));
    if (!v)
        return NULL;
    f->items = v;
    struct ac__fetched *it = &v[f->n];
    memset(it, 0, sizeof(*it));
    if (!(it->url = strdup(url)))
        return NULL;
    f->n++;
    fetch(url, it);
    if (!it->body && !it->error) {
        f->n--;
        free(it->url);
        return NULL;
    }
    return it;
}

int ac__fetch_cb(void *ctx, const char *url, const uint8_t **body, size_t *len, const char **why)
{
    const struct ac__fetched *f = ac__fetch(ctx, url);
    if (!f)
        return AC_ENOMEM;
    if (f->error) {
        *why = f->error;
        return f->rc;
    }
    *body = f->body;
    *len = f->len;
    return 0;
}
