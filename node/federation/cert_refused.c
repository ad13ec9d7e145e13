/* cert_refused.c - when an issuer refuses a lender's certification request
 * for good (its sender dead-letters it), the reviewer's application shows
 * the refusal in the issuer's own words rather than waiting forever. */
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/store/remote_cert.h"
#include "cert.h"
#include "internal.h"

void ac__cert_undeliverable(struct ac_node *n, const char *peer, const char *type,
                            const uint8_t *body, size_t len, int status, const char *text)
{
    if (strncmp(type, "cert.", 5) != 0 || strcmp(type, "cert.state") == 0)
        return;
    json_t *b = NULL;
    if (ac__cbor_to_json(body, len, &b))
        return;
    struct ac_remote_cert c = {0};
    int err =
        ac_store_remote_cert_find(n->store, json_integer_value(json_object_get(b, "user")), peer,
                                  json_string_value(json_object_get(b, "credential"))
                                      ? json_string_value(json_object_get(b, "credential"))
                                      : "",
                                  &c);
    json_t *detail = err ? NULL : json_loads(c.detail, 0, NULL);
    if (!err && detail) {
        /* The peer's own words, so the reviewer sees why (e.g. it does not
         * grant this node the lend right). */
        json_object_set_new(
            detail, "problem",
            json_pack("{s:i, s:s, s:s}", "status", status, "detail", text, "request", type + 5));
        char *t = json_dumps(detail, JSON_COMPACT);
        err = t ? ac_store_remote_cert_update(n->store, c.id, c.version, "refused", t, NULL, 0, 0,
                                              0, ac_clock_now_ms())
                : AC_ENOMEM;
        free(t);
    }
    if (err)
        ac_log_warn("federation", "cannot mark %s's refusal of %s: %s", peer, type,
                    ac_strerror(err));
    json_decref(detail);
    json_decref(b);
    ac_remote_cert_release(&c);
}
