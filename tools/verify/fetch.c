/* fetch.c - accord-verify --fetch: gets an issuer's published keys from
 * <iss>/.well-known/jwks.json over HTTP/2 (h2c for http://, TLS for https://)
 * once per issuer, and keeps them, or the failure, for every later record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/did.h"
#include "accord/error.h"
#include "internal.h"

#ifdef AC_VERIFY_FETCH
#include "accord/h2_client.h"

/* Splits |iss| into its origin and path prefix: the JWKS lives under the
 * issuer's base URL, which may have a path. */
static int split_url(const char *iss, char *origin, size_t olen, char *path, size_t plen)
{
    const char *rest;
    if (strncmp(iss, "https://", 8) == 0)
        rest = iss + 8;
    else if (strncmp(iss, "http://", 7) == 0)
        rest = iss + 7;
    else
        return AC_EINVAL;
    const char *slash = strchr(rest, '/');
    size_t olen_needed = slash ? (size_t)(slash - iss) : strlen(iss);
    if (olen_needed + 1 > olen || rest[0] == '\0')
        return AC_EINVAL;
    memcpy(origin, iss, olen_needed);
    origin[olen_needed] = '\0';
    const char *p = slash ? slash : "";
    size_t n = strlen(p);
    while (n > 0 && p[n - 1] == '/')
        n--;
    if ((size_t)snprintf(path, plen, "%.*s/.well-known/jwks.json", (int)n, p) >= plen)
        return AC_EINVAL;
    return 0;
}

static void fetch_into(struct ac__issuer *is)
{
    char origin[256], path[512], why[1100];
    if (split_url(is->iss, origin, sizeof(origin), path, sizeof(path))) {
        snprintf(why, sizeof(why), "iss \"%.200s\" is not an http(s) URL to fetch keys from",
                 is->iss);
        is->fetch_error = strdup(why);
        return;
    }
    struct ac_h2_client_config cfg = {.connect_timeout_ms = 5000, .request_timeout_ms = 10000,
                                      .max_response_bytes = 1 << 20};
    struct ac_h2_response *resp = NULL;
    int rc = ac_h2_fetch(origin, &cfg, "GET", path, NULL, 0, NULL, 0, &resp);
    if (rc) {
        snprintf(why, sizeof(why), "could not fetch %s%s: %s", origin, path, ac_strerror(rc));
    } else if (resp->status != 200) {
        snprintf(why, sizeof(why), "fetching %s%s answered HTTP %d", origin, path,
                 resp->status);
        rc = AC_EPROTO;
    } else {
        char kwhy[192];
        rc = ac_did_jwks_parse((const char *)resp->body, resp->body_len, &is->keys,
                               &is->nkeys, kwhy, sizeof(kwhy));
        if (rc)
            snprintf(why, sizeof(why), "%s%s: %s", origin, path, kwhy);
    }
    ac_h2_response_free(resp);
    if (rc)
        is->fetch_error = strdup(why);
}
#endif

const struct ac__issuer *ac__trust_fetch(struct ac__trust *t, const char *iss)
{
    const struct ac__issuer *found = ac__trust_find(t, iss);
    if (found)
        return found;
    struct ac__issuer *v = realloc(t->issuers, (t->n + 1) * sizeof(*v));
    if (!v)
        return NULL;
    t->issuers = v;
    struct ac__issuer *is = &v[t->n];
    memset(is, 0, sizeof(*is));
    if (!(is->iss = strdup(iss)))
        return NULL;
    t->n++;
#ifdef AC_VERIFY_FETCH
    fetch_into(is);
#else
    is->fetch_error = strdup("this accord-verify was built without HTTP/2 support");
#endif
    return is;
}
