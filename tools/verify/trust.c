/* trust.c - loads accord-verify's trust file: the issuers a recognizer
 * accepts, each with its published keys and their validity windows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "accord/sign/did.h"
#include "accord/base/error.h"
#include "internal.h"

void ac__trust_free(struct ac__trust *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        free(t->issuers[i].iss);
        free(t->issuers[i].keys);
        free(t->issuers[i].fetch_error);
    }
    free(t->issuers);
    free(t);
}

const struct ac__issuer *ac__trust_find(const struct ac__trust *t, const char *iss)
{
    for (size_t i = 0; t && i < t->n; i++)
        if (strcmp(t->issuers[i].iss, iss) == 0)
            return &t->issuers[i];
    return NULL;
}

int ac__trust_load(const char *path, struct ac__trust **out, char *why, size_t whylen)
{
    json_error_t err;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        snprintf(why, whylen, "%s: line %d: %s", path, err.line, err.text);
        return err.line < 0 ? AC_EIO : AC_EPARSE;
    }
    json_t *issuers = json_object_get(root, "issuers");
    if (!json_is_array(issuers) || json_array_size(issuers) == 0) {
        snprintf(why, whylen, "%s: issuers: must be a non-empty array", path);
        json_decref(root);
        return AC_EPARSE;
    }
    struct ac__trust *t = calloc(1, sizeof(*t));
    size_t n = json_array_size(issuers);
    if (!t || !(t->issuers = calloc(n, sizeof(*t->issuers)))) {
        free(t);
        json_decref(root);
        return AC_ENOMEM;
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        json_t *is = json_array_get(issuers, i);
        const char *iss = json_string_value(json_object_get(is, "iss"));
        if (!iss || !*iss) {
            snprintf(why, whylen, "%s: issuers[%zu].iss: must be a non-empty string", path, i);
            rc = AC_EPARSE;
            break;
        }
        if (ac__trust_find(t, iss)) {
            snprintf(why, whylen, "%s: issuers[%zu].iss: \"%s\" appears twice", path, i, iss);
            rc = AC_EPARSE;
            break;
        }
        char kwhy[192];
        struct ac__issuer *dst = &t->issuers[t->n];
        rc = ac_did_jwk_array_parse(json_object_get(is, "keys"), &dst->keys, &dst->nkeys, kwhy,
                                    sizeof(kwhy));
        if (rc == AC_EPARSE)
            snprintf(why, whylen, "%s: issuers[%zu].%s", path, i, kwhy);
        if (rc)
            break;
        if (!(dst->iss = strdup(iss))) {
            free(dst->keys);
            rc = AC_ENOMEM;
            break;
        }
        t->n++;
    }
    json_decref(root);
    if (rc) {
        ac__trust_free(t);
        return rc;
    }
    *out = t;
    return 0;
}
