/* api_artifacts.c - the artifact endpoints: an upload is a raw
 * application/octet-stream body (the HTTP layer caps it at [limits]
 * max_body_bytes) with optional sha256 and media_type query parameters; the
 * artifacts service (review/artifacts.c) stores and serves the bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/artifact.h"
#include "accord/store/submission.h"
#include "review/review.h"

/* Answers 400 for a query parameter that is present but unusable: too long
 * for |max| bytes (AC_E2BIG) or with a malformed %-escape (AC_EINVAL). The
 * raw query is quoted, since the decoded value is incomplete. */
static void query_refused(struct ac_http_exchange *x, const struct ac_http_req *req,
                          const char *field, int err, size_t max, const char *rule)
{
    const char *q = req->query ? req->query : "";
    if (err == AC_E2BIG)
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, field, NULL,
                    "%s: the value in \"%.80s\" is longer than %zu bytes; it must "
                    "be %s",
                    field, q, max, rule);
    else
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, field, NULL,
                    "%s: the value in \"%.80s\" is not valid percent-encoding; it "
                    "must be %s",
                    field, q, rule);
}

static void on_upload(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_EARNER | AC_ROLE_ADMIN))
        return;
    const struct ac_http_req *req = ac_http_exchange_req(x);
    const char *ct = ac_http_header(req, "content-type");
    if (!ct || strncmp(ct, "application/octet-stream", 24) != 0) {
        ac__problem(x, AC_PROBLEM_UNSUPPORTED_MEDIA_TYPE, "content-type", NULL,
                    "artifacts are uploaded as application/octet-stream, not %s",
                    ct ? ct : "(none)");
        return;
    }
    if (req->body_len == 0) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "body", NULL, "body: an artifact cannot be empty");
        return;
    }
    char want[AC_ARTIFACT_HASH_HEX + 8];
    int qerr = ac_http_query(req, "sha256", want, sizeof want);
    if (qerr != 0 && qerr != AC_ENOENT) {
        query_refused(x, req, "sha256", qerr, sizeof want - 1, "64 lowercase hex digits");
        return;
    }
    char mt[AC_SUB_NAME_MAX + 1] = "application/octet-stream";
    int merr = ac_http_query(req, "media_type", mt, sizeof mt);
    if (merr != 0 && merr != AC_ENOENT) {
        query_refused(x, req, "media_type", merr, sizeof mt - 1, "a media type");
        return;
    }
    struct ac_artifact art;
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__artifact_store(n, a.user.id, req->body, req->body_len, merr == 0 ? mt : NULL,
                                 qerr == 0 ? want : NULL, &art, &why);
    if (err) {
        ac__respond_failure(x, err, &why, "artifact");
        ac_reason_release(&why);
        return;
    }
    json_t *j = json_pack("{s:s, s:I, s:s}", "sha256", art.hash, "size", (json_int_t)art.size,
                          "media_type", art.media_type);
    ac_http_respond_json(x, 201, j);
    json_decref(j);
}

static void on_download(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a))
        return;
    const char *hash = ac_http_param(x, "hash");
    struct ac_artifact art;
    uint8_t *data = NULL;
    size_t len = 0;
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__artifact_read(n, a.user.id, (a.user.roles & AC_ROLE_ADMIN) != 0, hash, &art,
                                &data, &len, &why);
    if (err) {
        char what[96];
        snprintf(what, sizeof what, "artifact %.64s", hash ? hash : "");
        ac__respond_failure(x, err, &why, what);
        ac_reason_release(&why);
        return;
    }
    /* Uploaded bytes are never rendered by a browser on the node's origin:
     * downloaded as a file, with no type sniffing. */
    char disposition[AC_ARTIFACT_HASH_HEX + 40];
    snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"", art.hash);
    struct ac_http_header h[] = {{"content-type", art.media_type},
                                 {"x-content-sha256", art.hash},
                                 {"content-disposition", disposition},
                                 {"x-content-type-options", "nosniff"}};
    ac_http_respond(x, 200, h, 4, data, len);
    free(data);
}

void ac__api_artifacts_register(struct ac_node *n)
{
    ac__route(n, "POST", "/v1/artifacts", on_upload);
    ac__route(n, "GET", "/v1/artifacts/{hash}", on_download);
}
