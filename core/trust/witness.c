/* witness.c - a verifier's witness state: the last checkpoint it accepted
 * for each issuer's log, kept in a small JSON file between runs so that a later
 * checkpoint that does not extend it (a forked history) is caught. Entries are
 * keyed by issuer and origin together: an origin is only a name, and one
 * issuer's checkpoint must never stand for another issuer's log. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "accord/base/base64.h"
#include "accord/base/error.h"
#include "accord/base/json_alloc.h"
#include "accord/trust/witness.h"

#define STATE_VERSION 1

void ac_trust_witness_free(struct ac_trust_witness *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n; i++) {
        free(w->logs[i].iss);
        free(w->logs[i].origin);
        free(w->logs[i].note);
    }
    free(w->logs);
    free(w->path);
    free(w);
}

const struct ac_trust_witnessed *ac_trust_witness_find(const struct ac_trust_witness *w,
                                                       const char *iss, const char *origin)
{
    for (size_t i = 0; w && i < w->n; i++)
        if (strcmp(w->logs[i].iss, iss) == 0 && strcmp(w->logs[i].origin, origin) == 0)
            return &w->logs[i];
    return NULL;
}

/* Appends an entry for |iss|'s log |origin| (both copied) and returns it, or
 * NULL. */
static struct ac_trust_witnessed *add_log(struct ac_trust_witness *w, const char *iss,
                                          const char *origin)
{
    struct ac_trust_witnessed *v = realloc(w->logs, (w->n + 1) * sizeof(*v));
    if (!v)
        return NULL;
    w->logs = v;
    struct ac_trust_witnessed *e = &v[w->n];
    memset(e, 0, sizeof(*e));
    if (!(e->iss = strdup(iss)) || !(e->origin = strdup(origin))) {
        free(e->iss);
        return NULL;
    }
    w->n++;
    return e;
}

static int load_entry(struct ac_trust_witness *w, json_t *j, size_t i, char *why, size_t whylen)
{
    const char *iss = json_string_value(json_object_get(j, "iss"));
    const char *origin = json_string_value(json_object_get(j, "origin"));
    const char *root = json_string_value(json_object_get(j, "root"));
    const char *note = json_string_value(json_object_get(j, "checkpoint"));
    json_t *size = json_object_get(j, "size");
    uint8_t raw[AC_MERKLE_HASH_BYTES];
    size_t rlen = 0;
    if (!iss || !*iss) {
        snprintf(why, whylen, "logs[%zu].iss: must be the issuer whose log this is", i);
        return AC_EPARSE;
    }
    if (!origin || !*origin || ac_trust_witness_find(w, iss, origin)) {
        snprintf(why, whylen,
                 "logs[%zu].origin: must be a non-empty string, once per issuer and file", i);
        return AC_EPARSE;
    }
    if (!json_is_integer(size) || json_integer_value(size) < 0) {
        snprintf(why, whylen, "logs[%zu].size: must be a whole number >= 0", i);
        return AC_EPARSE;
    }
    if (!root ||
        ac_base64_decode(root, strlen(root), AC_BASE64_STD, raw, sizeof(raw), &rlen) != 0 ||
        rlen != sizeof(raw)) {
        snprintf(why, whylen, "logs[%zu].root: must be base64 of 32 bytes", i);
        return AC_EPARSE;
    }
    struct ac_trust_witnessed *e = add_log(w, iss, origin);
    if (!e || (note && !(e->note = strdup(note))))
        return AC_ENOMEM;
    e->size = (uint64_t)json_integer_value(size);
    memcpy(e->root, raw, sizeof(raw));
    return 0;
}

int ac_trust_witness_load(const char *path, struct ac_trust_witness **out, char *why, size_t whylen)
{
    struct ac_trust_witness *w = calloc(1, sizeof(*w));
    if (!w || !(w->path = strdup(path))) {
        free(w);
        return AC_ENOMEM;
    }
    FILE *f = fopen(path, "rb");
    if (!f && errno == ENOENT) {
        *out = w; /* first use: created when there is something to remember */
        return 0;
    }
    if (!f) {
        snprintf(why, whylen, "%s: cannot read: %s", path, strerror(errno));
        ac_trust_witness_free(w);
        return AC_EIO;
    }
    json_error_t err;
    ac_json_alloc_watch();
    json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &err);
    fclose(f);
    int rc = 0;
    json_t *logs = json_object_get(root, "logs");
    if (!root && ac_json_alloc_failed()) {
        /* jansson may report running out of memory as a syntax error. */
        snprintf(why, whylen, "out of memory");
        rc = AC_ENOMEM;
    } else if (!root) {
        snprintf(why, whylen, "%s: line %d: %s", path, err.line, err.text);
        rc = AC_EPARSE;
    } else if (json_integer_value(json_object_get(root, "version")) != STATE_VERSION ||
               !json_is_array(logs)) {
        snprintf(why, whylen, "%s: not an accord-verify witness state (version %d with logs)", path,
                 STATE_VERSION);
        rc = AC_EPARSE;
    }
    for (size_t i = 0; rc == 0 && i < json_array_size(logs); i++) {
        char ewhy[160];
        rc = load_entry(w, json_array_get(logs, i), i, ewhy, sizeof(ewhy));
        if (rc == AC_EPARSE)
            snprintf(why, whylen, "%s: %s", path, ewhy);
    }
    json_decref(root);
    /* jansson 2.14 may cut a string short when an allocation fails and carry
     * on: a state read while memory ran short cannot be trusted. */
    if (ac_json_alloc_failed() && rc != AC_ENOMEM) {
        snprintf(why, whylen, "out of memory");
        rc = AC_ENOMEM;
    }
    if (rc) {
        ac_trust_witness_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

int ac_trust_witness_remember(struct ac_trust_witness *w, const char *iss,
                              const struct ac_checkpoint *cp, const char *note, size_t note_len)
{
    struct ac_trust_witnessed *e =
        (struct ac_trust_witnessed *)ac_trust_witness_find(w, iss, cp->origin);
    if (!e && !(e = add_log(w, iss, cp->origin)))
        return AC_ENOMEM;
    char *copy = strndup(note, note_len);
    if (!copy)
        return AC_ENOMEM;
    free(e->note);
    e->note = copy;
    e->size = cp->size;
    memcpy(e->root, cp->root, AC_MERKLE_HASH_BYTES);
    w->dirty = true;
    return 0;
}

static json_t *state_json(const struct ac_trust_witness *w)
{
    json_t *logs = json_array();
    json_t *root = json_pack("{si so}", "version", STATE_VERSION, "logs", logs);
    for (size_t i = 0; root && i < w->n; i++) {
        const struct ac_trust_witnessed *e = &w->logs[i];
        char b64[sodium_base64_ENCODED_LEN(AC_MERKLE_HASH_BYTES, sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(b64, sizeof(b64), e->root, sizeof(e->root),
                          sodium_base64_VARIANT_ORIGINAL);
        json_t *j = json_pack("{ss ss sI ss}", "iss", e->iss, "origin", e->origin, "size",
                              (json_int_t)e->size, "root", b64);
        if (j && e->note)
            json_object_set_new(j, "checkpoint", json_string(e->note));
        if (!j || json_array_append_new(logs, j) != 0) {
            json_decref(root);
            return NULL;
        }
    }
    return root;
}

int ac_trust_witness_save(struct ac_trust_witness *w, char *why, size_t whylen)
{
    if (!w->dirty)
        return 0;
    json_t *j = state_json(w);
    char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    if (!text) {
        snprintf(why, whylen, "out of memory");
        return AC_ENOMEM;
    }
    size_t plen = strlen(w->path) + 5;
    char *tmp = malloc(plen);
    int rc = tmp ? 0 : AC_ENOMEM;
    int fd = -1;
    if (!tmp)
        snprintf(why, whylen, "out of memory");
    if (rc == 0) {
        snprintf(tmp, plen, "%s.tmp", w->path);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        size_t len = strlen(text);
        if (fd < 0 || write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
            fsync(fd) != 0)
            rc = AC_EIO;
        if (fd >= 0 && close(fd) != 0)
            rc = AC_EIO;
        if (rc == 0 && rename(tmp, w->path) != 0)
            rc = AC_EIO;
        if (rc)
            snprintf(why, whylen, "%s: cannot write: %s", w->path, strerror(errno));
        if (rc && fd >= 0)
            unlink(tmp);
    }
    free(tmp);
    free(text);
    if (rc == 0)
        w->dirty = false;
    return rc;
}
