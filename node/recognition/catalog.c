/* catalog.c - the earner's catalog: one page of the credentials an earner
 * of this node can pursue under the district filters (domain, stack, which
 * recognizer counts it), each with the recognizers' policies that count it,
 * so an earner sees where to ask for approval. It lists this node's active
 * credentials and then the entries of the signed catalogs kept for issuer
 * peers (node/federation/catalog.c), read back verified: a district's
 * teachers find there the credentials the state issues.
 *
 * A page is read in two parts, so that the reading runs on a reader thread
 * (node/readers.h): ac__catalog_sources_init() takes on the loop what the
 * page needs of loop memory (this node's issuer URL, and the peer table's
 * node ids and keys that kept catalogs are verified with), and
 * ac__catalog_page() reads the store with those alone. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "accord/base/error.h"
#include "accord/store/store_recognition.h"
#include "federation/federation.h"
#include "internal.h"
#include "recognition/recognition.h"
#include "records/records.h"

#define PEER_CURSOR "p."

static void item_release(struct ac__catalog_item *it)
{
    ac_catalog_entry_release(&it->entry);
    free(it->policies);
    free(it->issuer);
    it->policies = NULL;
    it->issuer = NULL;
}

void ac__catalog_items_free(struct ac__catalog_item *items, size_t count)
{
    for (size_t i = 0; items && i < count; i++)
        item_release(&items[i]);
    free(items);
}

/* ---- cursor ---- */

/* A peer's key is "<node>\n<credential>\n<version>" in hex after "p.", so
 * the cursor is opaque, fits a query string and needs no escaping. */
int ac__catalog_cursor_parse(const char *text, struct ac__catalog_cursor *out)
{
    memset(out, 0, sizeof *out);
    if (strncmp(text, PEER_CURSOR, 2) != 0) {
        char *end;
        long long id = strtoll(text, &end, 10);
        if (!text[0] || *end || id < 0)
            return AC_EINVAL;
        out->local_id = id;
        return 0;
    }
    char key[AC_POLICY_PEER_MAX + AC_POLICY_CREDENTIAL_MAX + 24];
    size_t len = 0;
    const char *hex = text + 2;
    if (strlen(hex) > 2 * (sizeof key - 1) ||
        sodium_hex2bin((uint8_t *)key, sizeof key - 1, hex, strlen(hex), NULL, &len, NULL) ||
        len == 0)
        return AC_EINVAL;
    key[len] = 0;
    if (memchr(key, 0, len))
        return AC_EINVAL;
    char *nl1 = strchr(key, '\n'), *nl2 = nl1 ? strchr(nl1 + 1, '\n') : NULL;
    if (!nl2)
        return AC_EINVAL;
    *nl1 = *nl2 = 0;
    char *end;
    long long v = strtoll(nl2 + 1, &end, 10);
    if (!key[0] || !nl1[1] || strlen(key) > AC_POLICY_PEER_MAX ||
        strlen(nl1 + 1) > AC_POLICY_CREDENTIAL_MAX || !nl2[1] || *end || v < 0)
        return AC_EINVAL;
    out->in_peers = 1;
    strcpy(out->peer, key);
    strcpy(out->credential_id, nl1 + 1);
    out->version = v;
    return 0;
}

void ac__catalog_cursor_format(const struct ac__catalog_item *it, char *buf, size_t size)
{
    if (!it->peer[0]) {
        snprintf(buf, size, "%lld", (long long)it->entry.id);
        return;
    }
    char key[AC_POLICY_PEER_MAX + AC_POLICY_CREDENTIAL_MAX + 24];
    int len = snprintf(key, sizeof key, "%s\n%s\n%lld", it->peer, it->entry.def_id,
                       (long long)it->entry.version);
    if (size < 3 + 2 * (size_t)len) {
        buf[0] = 0;
        return;
    }
    memcpy(buf, PEER_CURSOR, 2);
    sodium_bin2hex(buf + 2, size - 2, (const uint8_t *)key, (size_t)len);
}

/* The order of peers' entries: node id, credential id, version. */
static int key_cmp(const char *node, const char *cred, int64_t version, const char *node2,
                   const char *cred2, int64_t version2)
{
    int c = strcmp(node, node2);
    if (!c)
        c = strcmp(cred, cred2);
    if (!c)
        c = version < version2 ? -1 : version > version2;
    return c;
}

static int item_cmp(const void *a, const void *b)
{
    const struct ac__catalog_item *x = a, *y = b;
    return key_cmp(x->peer, x->entry.def_id, x->entry.version, y->peer, y->entry.def_id,
                   y->entry.version);
}

/* ---- this node's credentials ---- */

static int local_page(struct ac_store *st, const char *issuer, const struct ac__catalog_query *q,
                      size_t want, struct ac__catalog_item *out, size_t *count)
{
    /* Recognizers name this node's credentials by the node's base URL, the
     * records' issuer. */
    struct ac_catalog_filter f = {q->domain, q->stack, q->recognizer_id, issuer};
    struct ac_catalog_entry *page = calloc(want ? want : 1, sizeof *page);
    size_t got = 0, kept = 0;
    int err =
        page ? ac_store_catalog_list(st, &f, q->after.local_id, page, want, &got) : AC_ENOMEM;
    for (; !err && kept < got; kept++) {
        struct ac__catalog_item *it = &out[kept];
        it->entry = page[kept];
        page[kept] = (struct ac_catalog_entry){0}; /* moved into |it| */
        it->policies = calloc(AC_CATALOG_RECOGNITIONS_MAX, sizeof *it->policies);
        err = it->policies
                  ? ac_store_policy_for_credential(st, issuer, it->entry.def_id,
                                                   it->entry.version, it->policies,
                                                   AC_CATALOG_RECOGNITIONS_MAX, &it->npolicies)
                  : AC_ENOMEM;
    }
    for (size_t i = 0; page && i < got; i++)
        ac_catalog_entry_release(&page[i]);
    free(page);
    if (err) {
        for (size_t i = 0; i < kept; i++)
            item_release(&out[i]);
        return err;
    }
    *count = kept;
    return 0;
}

/* ---- peers' entries ---- */

struct collect {
    struct ac_store *st;
    const struct ac__catalog_query *q;
    struct ac_policy *scratch; /* AC_CATALOG_RECOGNITIONS_MAX */
    struct ac__catalog_item *items;
    size_t count, cap;
};

static int lists(json_t *def, const char *key, const char *want)
{
    json_t *arr = json_object_get(def, key), *v;
    size_t i;
    json_array_foreach(arr, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), want) == 0)
            return 1;
    }
    return 0;
}

static char *array_text(json_t *def, const char *key)
{
    json_t *arr = json_object_get(def, key);
    return json_is_array(arr) ? json_dumps(arr, JSON_COMPACT) : strdup("[]");
}

/* Fills |it| from a peer's entry and its definition |def|. */
static int fill_peer_item(struct ac__catalog_item *it, const struct ac__fed_catalog_entry *e,
                          json_t *def)
{
    snprintf(it->peer, sizeof it->peer, "%s", e->node);
    snprintf(it->content_hash, sizeof it->content_hash, "%s", e->hash);
    snprintf(it->entry.def_id, sizeof it->entry.def_id, "%s", e->id);
    it->entry.version = e->version;
    it->fetched_ms = e->fetched_ms;
    const char *competency = json_string_value(json_object_get(def, "competency"));
    json_t *ceus = json_object_get(def, "ceus");
    if (json_is_number(ceus)) {
        it->entry.has_ceu = 1;
        it->entry.ceu_hundredths = (int64_t)llround(json_number_value(ceus) * 100.0);
    }
    it->entry.title = strdup(e->title);
    it->entry.competency = strdup(competency ? competency : "");
    it->entry.domains = array_text(def, "domains");
    it->entry.stacks = array_text(def, "stacks");
    it->issuer = strdup(e->issuer);
    return it->entry.title && it->entry.competency && it->entry.domains && it->entry.stacks &&
                   it->issuer
               ? 0
               : AC_ENOMEM;
}

/* Keeps a peer's entry when it passes the filters and lies after the cursor. */
static int collect_one(void *ctx, const struct ac__fed_catalog_entry *e)
{
    struct collect *c = ctx;
    const struct ac__catalog_query *q = c->q;
    /* Longer ids cannot be named by a policy nor by a cursor. */
    if (strlen(e->id) > AC_POLICY_CREDENTIAL_MAX || strlen(e->node) > AC_POLICY_PEER_MAX)
        return 0;
    if (q->after.in_peers && key_cmp(e->node, e->id, e->version, q->after.peer,
                                     q->after.credential_id, q->after.version) <= 0)
        return 0;
    json_t *def = json_loads(e->definition, 0, NULL);
    if (!json_is_object(def)) {
        json_decref(def);
        return 0; /* its hash was checked; a definition is JSON, so never here */
    }
    int keep = (!q->domain || lists(def, "domains", q->domain)) &&
               (!q->stack || lists(def, "stacks", q->stack));
    size_t np = 0, counted = 0;
    int err = 0;
    if (keep && e->issuer[0])
        err = ac_store_policy_for_credential(c->st, e->issuer, e->id, e->version, c->scratch,
                                             AC_CATALOG_RECOGNITIONS_MAX, &np);
    /* A policy pinning a content hash counts only the definition with that
     * hash, from that peer. */
    for (size_t i = 0; !err && i < np; i++) {
        const struct ac_policy *p = &c->scratch[i];
        if (p->content_hash[0] &&
            (strcmp(p->content_hash, e->hash) != 0 || strcmp(p->peer, e->node) != 0))
            continue;
        c->scratch[counted++] = *p;
    }
    if (!err && keep && q->recognizer_id) {
        keep = 0;
        for (size_t i = 0; i < counted; i++)
            keep |= c->scratch[i].recognizer_id == q->recognizer_id;
    }
    if (err || !keep) {
        json_decref(def);
        return err;
    }
    if (c->count == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        struct ac__catalog_item *grown = realloc(c->items, cap * sizeof *grown);
        if (!grown) {
            json_decref(def);
            return AC_ENOMEM;
        }
        c->items = grown;
        c->cap = cap;
    }
    struct ac__catalog_item *it = &c->items[c->count++];
    memset(it, 0, sizeof *it);
    err = fill_peer_item(it, e, def);
    json_decref(def);
    if (!err && counted) {
        it->policies = malloc(counted * sizeof *it->policies);
        if (it->policies) {
            memcpy(it->policies, c->scratch, counted * sizeof *it->policies);
            it->npolicies = counted;
        } else {
            err = AC_ENOMEM;
        }
    }
    return err;
}

int ac__catalog_sources_init(struct ac_node *n, const struct ac__catalog_query *q,
                             struct ac__catalog_sources *out, struct ac_reason *why)
{
    memset(out, 0, sizeof *out);
    int self_only = q->peer && strcmp(q->peer, "self") == 0;
    const char *peer = q->peer && !self_only ? q->peer : NULL;
    if (peer) {
        struct ac__fed_peer *p = n->federation ? ac__fed_peer_find(n->federation, peer) : NULL;
        if (!p || !p->active || !(p->rights & AC_RIGHT_ISSUER))
            return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "peer",
                                  "peer: \"%s\" is neither \"self\" nor a peer holding the "
                                  "issuer right here",
                                  peer);
    }
    out->self = !peer;
    out->issuer = strdup(ac__issuer_of(n, NULL));
    int err = out->issuer ? 0 : AC_ENOMEM;
    if (!err && !self_only)
        err = ac__fed_catalog_peers_new(n, peer, &out->peers);
    if (err)
        ac__catalog_sources_release(out);
    return err;
}

void ac__catalog_sources_release(struct ac__catalog_sources *s)
{
    free(s->issuer);
    ac__fed_catalog_peers_free(s->peers);
    s->issuer = NULL;
    s->peers = NULL;
}

int ac__catalog_page(struct ac_store *st, const struct ac__catalog_sources *src,
                     const struct ac__catalog_query *q, struct ac__catalog_item **items,
                     size_t *count, int *more)
{
    /* One extra item tells whether another page follows. */
    size_t want = q->limit + 1;
    struct ac__catalog_item *out = calloc(want, sizeof *out);
    size_t got = 0;
    int err = out ? 0 : AC_ENOMEM;
    if (!err && src->self && !q->after.in_peers)
        err = local_page(st, src->issuer, q, want, out, &got);
    if (!err && src->peers && got < want) {
        struct collect c = {.st = st, .q = q};
        c.scratch = calloc(AC_CATALOG_RECOGNITIONS_MAX, sizeof *c.scratch);
        err = c.scratch ? ac__fed_catalog_each(st, src->peers, collect_one, &c) : AC_ENOMEM;
        if (!err && c.count)
            qsort(c.items, c.count, sizeof *c.items, item_cmp);
        /* The smallest keys after the cursor fill the page; the rest go. */
        size_t take = 0;
        for (; !err && take < c.count && got < want; take++)
            out[got++] = c.items[take];
        for (size_t i = take; i < c.count; i++)
            item_release(&c.items[i]);
        free(c.items);
        free(c.scratch);
    }
    if (err) {
        ac__catalog_items_free(out, got);
        return err;
    }
    *more = got > q->limit;
    if (*more)
        item_release(&out[--got]);
    *items = out;
    *count = got;
    return 0;
}
