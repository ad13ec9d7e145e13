/* api_ob3.c - the Open Badges 3.0 reads: a record as a signed
 * OpenBadgeCredential (through GET /v1/credentials/{id} with
 * ?format=ob3 or Accept: application/vc+ld+json) and the signed
 * BitstringStatusListCredentials its credentialStatus entries name, at stable
 * URLs with ETag and Cache-Control. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/error.h"
#include "accord/base/log.h"
#include "records/ob3_serve.h"
#include "records/records.h"

#define OB3_TYPE "application/vc+ld+json"

int ac__ob3_wanted(struct ac_http_exchange *x)
{
    const struct ac_http_req *req = ac_http_exchange_req(x);
    char format[8];
    if (ac_http_query(req, "format", format, sizeof format) == 0 && strcmp(format, "ob3") == 0)
        return 1;
    const char *accept = ac_http_header(req, "accept");
    return accept && (strstr(accept, OB3_TYPE) || strstr(accept, "application/vc,") ||
                      strcmp(accept, "application/vc") == 0);
}

void ac__respond_ob3_credential(struct ac_http_exchange *x, struct ac_node *n, int64_t id,
                                const struct ac__ob3_parts *parts)
{
    struct ac_buf b = AC_BUF_INIT;
    char why[384] = "", what[64];
    snprintf(what, sizeof what, "credential %lld", (long long)id);
    int err = parts ? ac__ob3_credential_from(n, id, parts, &b, why, sizeof why)
                    : ac__ob3_credential(n, id, &b, why, sizeof why);
    if (err) {
        if (err != AC_ENOENT)
            ac_log_error("ob3", "%s: %s", what, why[0] ? why : "failed");
        ac_buf_release(&b);
        ac__respond_error(x, err == AC_EPARSE || err == AC_EINVAL ? AC_EIO : err, what);
        return;
    }
    /* The same key signs the same bytes (Ed25519 is deterministic and the
     * proof's created time is fixed per key), so the body's hash is a strong
     * validator; the status is not in the body. */
    uint8_t h[crypto_hash_sha256_BYTES];
    char hex[33], etag[AC__ETAG_MAX];
    crypto_hash_sha256(h, b.data, b.len);
    sodium_bin2hex(hex, sizeof hex, h, 16);
    snprintf(etag, sizeof etag, "\"%s\"", hex);
    ac__respond_public(x, etag, OB3_TYPE, b.data, b.len);
    ac_buf_release(&b);
}

/* The stored log head and status version are read on a reader thread first
 * (ac__checkpoint_fresh()); the list is then brought up to date on the loop
 * without reading them there. |arg| names the purpose. */
static void list_then(struct ac_http_exchange *x, struct ac_node *n, void *arg, int err)
{
    enum ac_status_purpose purpose =
        arg ? AC_STATUS_PURPOSE_SUSPENSION : AC_STATUS_PURPOSE_REVOCATION;
    const struct ac__published *p;
    if (!err)
        err = ac__ob3_status_list(n, purpose, &p);
    if (err) {
        ac__respond_error(x, err, "status list credential");
        return;
    }
    ac__respond_published(x, p, OB3_TYPE);
}

/* The purposes as |arg|s of list_then (no allocation to free). */
static char suspension;

static void on_revocation(struct ac_http_exchange *x, void *arg)
{
    ac__checkpoint_fresh(arg, x, list_then, NULL);
}

static void on_suspension(struct ac_http_exchange *x, void *arg)
{
    ac__checkpoint_fresh(arg, x, list_then, &suspension);
}

void ac__api_ob3_register(struct ac_node *n)
{
    ac__route(n, "GET", AC__OB3_STATUS_PATH "revocation", on_revocation);
    ac__route(n, "GET", AC__OB3_STATUS_PATH "suspension", on_suspension);
}
