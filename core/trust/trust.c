/* trust.c - the issuers a verifier trusts: loaded from a trust file (the
 * issuers a recognizer accepts, each with its published keys and their
 * validity windows), or fetched from each issuer's JWKS through the caller's
 * fetcher. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "accord/sign/did.h"
#include "accord/base/error.h"
#include "accord/base/json_alloc.h"
#include "accord/trust/trust.h"

void ac_trust_free(struct ac_trust *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        free(t->issuers[i].iss);
        free(t->issuers[i].keys);
        free(t->issuers[i].fetch_error);
    }
    free(t->issuers);
    free(t->witnesses);
    free(t);
}

const struct ac_trust_issuer *ac_trust_find(const struct ac_trust *t, const char *iss)
{
    for (size_t i = 0; t && i < t->n; i++)
        if (strcmp(t->issuers[i].iss, iss) == 0)
            return &t->issuers[i];
    return NULL;
}

int ac_trust_new(struct ac_trust **out)
{
    struct ac_trust *t = calloc(1, sizeof(*t));
    if (!t)
        return AC_ENOMEM;
    *out = t;
    return 0;
}

/* Reads the trust file's optional "witnesses": an array of C2SP witness
 * verifier keys ("<name>+<key id>+<base64(0x04 || key)>"), into |t|. */
static int witnesses_from_json(const char *path, json_t *root, struct ac_trust *t, char *why,
                               size_t whylen)
{
    json_t *ws = json_object_get(root, "witnesses");
    if (!ws)
        return 0;
    size_t n = json_array_size(ws);
    if (!json_is_array(ws) || n == 0) {
        snprintf(why, whylen,
                 "%s: witnesses: must be a non-empty array of witness keys "
                 "(\"<name>+<key id>+<base64 of 0x04 and the Ed25519 key>\")",
                 path);
        return AC_EPARSE;
    }
    if (!(t->witnesses = calloc(n, sizeof(*t->witnesses))))
        return AC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const char *vkey = json_string_value(json_array_get(ws, i));
        if (!vkey || ac_cosig_witness_parse(vkey, &t->witnesses[i]) != 0) {
            snprintf(why, whylen,
                     "%s: witnesses[%zu]: \"%.80s\" is not a witness key "
                     "\"<name>+<8 hex digits of key id>+<base64 of 0x04 and the 32-byte Ed25519 "
                     "key>\" whose key id matches (C2SP tlog-cosignature)",
                     path, i, vkey ? vkey : "(not a string)");
            return AC_EPARSE;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(t->witnesses[j].name, t->witnesses[i].name) == 0 &&
                memcmp(t->witnesses[j].public_key, t->witnesses[i].public_key, 32) == 0) {
                snprintf(why, whylen, "%s: witnesses[%zu]: the key of %s appears twice", path, i,
                         t->witnesses[i].name);
                return AC_EPARSE;
            }
        t->nwitnesses = i + 1;
    }
    return 0;
}

/* Builds a trust from the parsed trust file |root| (borrowed), called |name|
 * in reasons. */
static int from_json(const char *name, json_t *root, struct ac_trust **out, char *why,
                     size_t whylen)
{
    const char *path = name;
    json_t *issuers = json_object_get(root, "issuers");
    if (!json_is_array(issuers) || json_array_size(issuers) == 0) {
        snprintf(why, whylen, "%s: issuers: must be a non-empty array", path);
        return AC_EPARSE;
    }
    struct ac_trust *t = calloc(1, sizeof(*t));
    size_t n = json_array_size(issuers);
    if (!t || !(t->issuers = calloc(n, sizeof(*t->issuers)))) {
        free(t);
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
        if (ac_trust_find(t, iss)) {
            snprintf(why, whylen, "%s: issuers[%zu].iss: \"%s\" appears twice", path, i, iss);
            rc = AC_EPARSE;
            break;
        }
        char kwhy[192];
        struct ac_trust_issuer *dst = &t->issuers[t->n];
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
    if (rc == 0)
        rc = witnesses_from_json(path, root, t, why, whylen);
    if (rc) {
        ac_trust_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

/* jansson 2.14 ignores a failed allocation while it collects a string, so a
 * tree built while memory ran short may hold a string cut short: an issuer
 * read wrong, or a key that looks malformed. Such a load is AC_ENOMEM,
 * whatever it seemed to give; |rc| and |*out| are from_json()'s. */
static int trust_checked(int rc, struct ac_trust **out)
{
    if (!ac_json_alloc_failed())
        return rc;
    if (rc == 0) {
        ac_trust_free(*out);
        *out = NULL;
    }
    return AC_ENOMEM;
}

int ac_trust_load(const char *path, struct ac_trust **out, char *why, size_t whylen)
{
    json_error_t err;
    ac_json_alloc_watch();
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        /* jansson may report running out of memory as a syntax error. */
        if (ac_json_alloc_failed())
            return AC_ENOMEM;
        snprintf(why, whylen, "%s: line %d: %s", path, err.line, err.text);
        return err.line < 0 ? AC_EIO : AC_EPARSE;
    }
    int rc = from_json(path, root, out, why, whylen);
    json_decref(root);
    return trust_checked(rc, out);
}

int ac_trust_parse(const char *name, const char *text, size_t len, struct ac_trust **out, char *why,
                   size_t whylen)
{
    json_error_t err;
    ac_json_alloc_watch();
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        /* jansson may report running out of memory as a syntax error. */
        if (ac_json_alloc_failed())
            return AC_ENOMEM;
        snprintf(why, whylen, "%s: line %d: %s", name, err.line, err.text);
        return AC_EPARSE;
    }
    int rc = from_json(name, root, out, why, whylen);
    json_decref(root);
    return trust_checked(rc, out);
}

/* Returns the length of the scheme prefix of |url| ("https://" or
 * "http://"), or 0 for any other scheme. */
static size_t scheme_len(const char *url)
{
    if (strncmp(url, "https://", 8) == 0)
        return 8;
    if (strncmp(url, "http://", 7) == 0)
        return 7;
    return 0;
}

/* The length of the authority (host and port) after the scheme. */
static size_t authority_len(const char *rest)
{
    return strcspn(rest, "/");
}

const char *ac_trust_issuer_refusal(const char *iss)
{
    size_t sl = scheme_len(iss);
    if (sl == 0)
        return "is not an http:// or https:// URL";
    for (const char *p = iss; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
            return "holds a space, a control character or a non-ASCII byte";
    if (strpbrk(iss, "?#"))
        return "has a query or fragment";
    const char *host = iss + sl;
    size_t alen = authority_len(host);
    if (alen == 0)
        return "has no host";
    if (memchr(host, '@', alen))
        return "has userinfo (user@host), which hides the host it names";
    for (size_t i = 0; i < alen; i++) {
        char c = host[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
            return "has a character a host and port cannot hold";
    }
    return NULL;
}

int ac_trust_issuer_url(const char *iss, const char *path, char *out, size_t len)
{
    if (ac_trust_issuer_refusal(iss))
        return AC_EINVAL;
    size_t n = strlen(iss);
    while (n > 0 && iss[n - 1] == '/')
        n--;
    if ((size_t)snprintf(out, len, "%.*s%s", (int)n, iss, path) >= len)
        return AC_EINVAL;
    return 0;
}

bool ac_trust_same_origin(const char *iss, const char *url)
{
    if (ac_trust_issuer_refusal(iss) || ac_trust_issuer_refusal(url))
        return false;
    size_t origin = scheme_len(iss) + authority_len(iss + scheme_len(iss));
    /* "https://a.example" must not match "https://a.example.evil/...". */
    return strncmp(iss, url, origin) == 0 && (url[origin] == '/' || url[origin] == '\0');
}

/* Forgets the issuer just added (the last of |t|) and returns NULL: out of
 * memory, which the caller reports as such, and the next record asks again. */
static const struct ac_trust_issuer *forget_last(struct ac_trust *t)
{
    struct ac_trust_issuer *is = &t->issuers[t->n - 1];
    free(is->iss);
    free(is->keys);
    free(is->fetch_error);
    t->n--;
    return NULL;
}

/* Records why the keys of the issuer just added (the last of |t|) could not be
 * had, and returns it; when even that copy fails, forgets the issuer, so out
 * of memory is never read as "no keys". */
static const struct ac_trust_issuer *fetch_failed(struct ac_trust *t, const char *why)
{
    struct ac_trust_issuer *is = &t->issuers[t->n - 1];
    if (!(is->fetch_error = strdup(why)))
        return forget_last(t);
    return is;
}

const struct ac_trust_issuer *
ac_trust_fetch_issuer(struct ac_trust *t, const struct ac_trust_fetcher *f, const char *iss)
{
    const struct ac_trust_issuer *found = ac_trust_find(t, iss);
    if (found)
        return found;
    struct ac_trust_issuer *v = realloc(t->issuers, (t->n + 1) * sizeof(*v));
    if (!v)
        return NULL;
    t->issuers = v;
    struct ac_trust_issuer *is = &v[t->n];
    memset(is, 0, sizeof(*is));
    if (!(is->iss = strdup(iss)))
        return NULL;
    t->n++;
    char url[1024], why[1400];
    const char *refused = ac_trust_issuer_refusal(iss);
    if (refused || ac_trust_issuer_url(iss, "/.well-known/jwks.json", url, sizeof(url))) {
        snprintf(why, sizeof(why), "iss \"%.200s\" %s, so its keys are not fetched", iss,
                 refused ? refused : "is too long");
        return fetch_failed(t, why);
    }
    const uint8_t *body = NULL;
    size_t len = 0;
    const char *fwhy = NULL;
    int rc = f->fetch(f->ctx, url, &body, &len, &fwhy);
    if (rc == AC_ENOMEM && !fwhy)
        return forget_last(t);
    if (rc)
        return fetch_failed(t, fwhy ? fwhy : ac_strerror(rc));
    char kwhy[192];
    ac_json_alloc_watch();
    rc = ac_did_jwks_parse((const char *)body, len, &is->keys, &is->nkeys, kwhy, sizeof(kwhy));
    /* jansson may report running out of memory as a syntax error, or cut a
     * string short and carry on (trust_checked()). */
    if (rc == AC_ENOMEM || ac_json_alloc_failed())
        return forget_last(t);
    if (rc) {
        snprintf(why, sizeof(why), "%s: %s", url, kwhy);
        return fetch_failed(t, why);
    }
    return is;
}
