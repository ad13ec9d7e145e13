/* issue.c - the node's record writer: loads the status list and the log's
 * tree head at start-up, issues records (sign, append, persist, checkpoint in
 * one transaction), changes their status, and re-signs the checkpoint after a
 * key rotation. The only code that appends to the log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/records/checkpoint.h"
#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/sign/keyring.h"
#include "accord/base/log.h"
#include "accord/records/record.h"
#include "accord/records/status.h"
#include "accord/store/store.h"
#include "records/ob3_serve.h"
#include "records/records.h"

int ac__keyring_sign_cb(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64])
{
    return ac_keyring_sign(ctx, msg, len, sig);
}

void ac__published_seal(struct ac__published *p, int64_t now_ms)
{
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, p->body.data, p->body.len);
    char hex[33];
    sodium_bin2hex(hex, sizeof hex, h, 16);
    snprintf(p->etag, sizeof p->etag, "\"%s\"", hex);
    p->made_ms = now_ms;
    p->stale = 0;
}

/* The node's base URL: [node] public_url when set, else the first listen
 * address (https when TLS is configured). Records name it as their issuer and
 * verifiers fetch keys from it. */
static void base_url(const struct ac_node_config *cfg, char *out, size_t size)
{
    if (cfg->public_url) {
        snprintf(out, size, "%s", cfg->public_url);
        return;
    }
    const char *scheme = cfg->tls_cert ? "https" : "http";
    if (cfg->nlisten == 0) {
        snprintf(out, size, "%s://%s", scheme, cfg->node_id);
        return;
    }
    const struct ac_config_listen *l = &cfg->listen[0];
    if (strchr(l->host, ':'))
        snprintf(out, size, "%s://[%s]:%d", scheme, l->host, l->port);
    else
        snprintf(out, size, "%s://%s:%d", scheme, l->host, l->port);
}

static int sign_checkpoint(struct ac_node *n, uint64_t size,
                           const uint8_t root[AC_MERKLE_HASH_BYTES], struct ac_buf *note)
{
    const struct ac_key_info *k = ac_keyring_current(n->keyring);
    struct ac_checkpoint cp = {.origin = n->records->origin, .size = size};
    memcpy(cp.root, root, AC_MERKLE_HASH_BYTES);
    int err = ac_checkpoint_sign(&cp, n->records->origin, k->public_key, ac__keyring_sign_cb,
                                 n->keyring, note);
    if (!err)
        err = ac_buf_terminate(note);
    return err;
}

/* Makes |note| (NUL-terminated) the published checkpoint. */
static int publish_checkpoint(struct ac__records *r, const struct ac_buf *note)
{
    struct ac__published *p = &r->checkpoint;
    p->body.len = 0;
    int err = ac_buf_append(&p->body, note->data, note->len);
    if (err)
        return err;
    ac__published_seal(p, ac_clock_now_ms());
    return 0;
}

/* Rebuilding the tree head at start; when the log predates stored subtrees,
 * also collects every completed subtree to fill them in. */
struct rebuild {
    struct ac_merkle_tree *tree;
    int backfill;
    struct ac_store_subtree *pending; /* owned; |npending| of |cap| */
    uint8_t (*hashes)[AC_MERKLE_HASH_BYTES];
    size_t npending, cap;
    struct ac_store *store;
};

static int rebuild_flush(struct rebuild *rb)
{
    for (size_t i = 0; i < rb->npending; i++)
        rb->pending[i].hash = rb->hashes[i];
    int err = ac_store_tlog_subtrees_add(rb->store, rb->pending, rb->npending);
    rb->npending = 0;
    return err;
}

static int rebuild_leaf(void *ctx, uint64_t index, const uint8_t hash[AC_STORE_HASH_BYTES])
{
    (void)index;
    struct rebuild *rb = ctx;
    struct ac_merkle_completed done;
    int err = ac_merkle_tree_append_completed(rb->tree, hash, rb->backfill ? &done : NULL);
    if (err || !rb->backfill)
        return err;
    for (size_t i = 0; i < done.count; i++) {
        if (rb->npending == rb->cap && (err = rebuild_flush(rb)) != 0)
            return err;
        rb->pending[rb->npending].level = done.subtree[i].level;
        rb->pending[rb->npending].index = done.subtree[i].index;
        memcpy(rb->hashes[rb->npending], done.subtree[i].hash, AC_MERKLE_HASH_BYTES);
        rb->npending++;
    }
    return 0;
}

struct status_load {
    uint8_t *bits; /* entries / 4 */
    uint8_t *used; /* entries / 8 */
    uint64_t entries;
};

static int load_status_entry(void *ctx, const struct ac_store_status *e)
{
    struct status_load *l = ctx;
    if (e->idx >= l->entries || e->state < 0 || e->state > 2)
        return AC_EPARSE;
    l->bits[e->idx / 4] |= (uint8_t)(e->state << (2 * (e->idx % 4)));
    l->used[e->idx / 8] |= (uint8_t)(1u << (e->idx % 8));
    return 0;
}

static int load_status(struct ac_node *n, struct ac_status_list **out)
{
    struct status_load l = {.entries = AC_STATUS_MIN_ENTRIES};
    l.bits = calloc(l.entries / 4, 1);
    l.used = calloc(l.entries / 8, 1);
    int err = (l.bits && l.used) ? 0 : AC_ENOMEM;
    if (!err)
        err = ac_store_status_each(n->store, load_status_entry, &l);
    if (!err)
        err = ac_status_list_load(l.entries, l.bits, l.entries / 4, l.used, l.entries / 8, out);
    free(l.bits);
    free(l.used);
    return err;
}

/* Rebuilds the tree head from the stored leaves and checks it against the
 * newest stored checkpoint; signs and stores the empty tree's checkpoint on a
 * new log, so there is always one to serve. */
static int load_log(struct ac_node *n)
{
    struct ac__records *r = n->records;
    ac_merkle_tree_init(&r->tree);
    uint64_t count = 0, stored = 0, size = 0;
    struct rebuild rb = {.tree = &r->tree, .store = n->store, .cap = 4096};
    int err = ac_store_tlog_subtree_count(n->store, &stored);
    if (!err)
        err = ac_store_log_size(n->store, &size);
    if (err)
        return err;
    /* A log of n leaves has n - popcount(n) complete subtrees of two or more
     * leaves; fewer stored means a log from before they were kept. */
    rb.backfill = stored < size - (uint64_t)__builtin_popcountll(size);
    if (rb.backfill) {
        rb.pending = calloc(rb.cap, sizeof *rb.pending);
        rb.hashes = calloc(rb.cap, sizeof *rb.hashes);
        if (!rb.pending || !rb.hashes)
            err = AC_ENOMEM;
        else
            ac_log_info("records", "storing the subtree hashes of a log of %llu leaves",
                        (unsigned long long)size);
    }
    if (!err)
        err = ac_store_log_each_leaf(n->store, rebuild_leaf, &rb, &count);
    if (!err && rb.backfill)
        err = rebuild_flush(&rb);
    free(rb.pending);
    free(rb.hashes);
    if (err)
        return err;
    uint8_t root[AC_MERKLE_HASH_BYTES];
    ac_merkle_tree_root(&r->tree, root);
    struct ac_store_checkpoint cp = {0};
    err = ac_store_log_checkpoint_latest(n->store, &cp);
    if (err == AC_ENOENT) {
        struct ac_buf note = AC_BUF_INIT;
        err = sign_checkpoint(n, r->tree.size, root, &note);
        if (!err)
            err = ac_store_log_checkpoint_add(n->store, r->tree.size, root,
                                              ac_keyring_current(n->keyring)->kid_hex,
                                              (const char *)note.data, ac_clock_now_ms());
        if (!err)
            err = publish_checkpoint(r, &note);
        ac_buf_release(&note);
        return err;
    }
    if (err)
        return err;
    if (cp.size != r->tree.size || memcmp(cp.root, root, sizeof root) != 0) {
        /* Serving this would publish a head the stored leaves do not make. */
        ac_log_error("records",
                     "log: stored checkpoint (size %llu) does not match the %llu "
                     "stored leaves; refusing to serve a forked log",
                     (unsigned long long)cp.size, (unsigned long long)r->tree.size);
        free(cp.note);
        return AC_EDB;
    }
    struct ac_buf note = {(uint8_t *)cp.note, strlen(cp.note), strlen(cp.note) + 1};
    err = publish_checkpoint(r, &note);
    free(cp.note);
    return err;
}

static void records_free(struct ac__records *r)
{
    if (!r)
        return;
    ac_status_list_free(r->status);
    ac_buf_release(&r->checkpoint.body);
    ac_buf_release(&r->token.body);
    ac_buf_release(&r->bitstring.body);
    ac__ob3_free(r->ob3);
    free(r);
}

/* Also reloads: when |n|->records is already loaded (the issue job does so
 * after a rolled-back issue), the new state replaces it only once it loaded
 * whole; on failure the old one stays, so requests never find it NULL. */
int ac__records_open(struct ac_node *n)
{
    struct ac__records *old = n->records;
    struct ac__records *r = calloc(1, sizeof *r);
    if (!r)
        return AC_ENOMEM;
    /* load_log() and the checkpoint signing read the state being built
     * through |n|; the loop thread is the only reader meanwhile. */
    n->records = r;
    base_url(n->cfg, r->issuer, sizeof r->issuer);
    /* C2SP tlog-checkpoint: the origin is a schema-less URL, also the key name. */
    const char *host = strstr(r->issuer, "://") + 3;
    snprintf(r->origin, sizeof r->origin, "%s/log", host);
    snprintf(r->status_uri, sizeof r->status_uri, "%s/v1/status/token", r->issuer);
    r->token.stale = r->bitstring.stale = 1;
    int err = load_status(n, &r->status);
    if (err)
        ac_log_error("records", "cannot load the status list: %s", ac_strerror(err));
    if (!err) {
        err = load_log(n);
        if (err)
            ac_log_error("records", "cannot load the transparency log: %s", ac_strerror(err));
    }
    if (err) {
        records_free(r);
        n->records = old;
        return err;
    }
    records_free(old);
    ac_log_info("records", "issuer %s, log %s at size %llu, %llu status entries", r->issuer,
                r->origin, (unsigned long long)r->tree.size,
                (unsigned long long)ac_status_list_assigned(r->status));
    return 0;
}

void ac__records_close(struct ac_node *n)
{
    records_free(n->records);
    n->records = NULL;
}

/* Copies |src| into |dst|, or says in |why| (when not NULL) which field is
 * too long, its value (shortened) and the rule: "issuer: \"<url>\" is 230
 * bytes; at most 200". Returns 0 or AC_EINVAL. */
static int copy_field(char *dst, size_t size, const char *src, const char *name, char *why,
                      size_t why_size)
{
    size_t len = src ? strlen(src) : 0;
    if (len >= size) {
        ac_log_warn("records", "issue: %s is %zu bytes; at most %zu", name, len, size - 1);
        if (why)
            snprintf(why, why_size, "%s: \"%.80s%s\" is %zu bytes; at most %zu", name, src,
                     len > 80 ? "..." : "", len, size - 1);
        return AC_EINVAL;
    }
    memcpy(dst, src ? src : "", len + 1);
    return 0;
}

static int fill_record(struct ac_node *n, const struct ac__issue_req *req, uint64_t log_index,
                       uint64_t status_idx, int64_t now_ms, struct ac_record *rec, char *why,
                       size_t why_size)
{
    memset(rec, 0, sizeof *rec);
    int err = copy_field(rec->iss, sizeof rec->iss, n->records->issuer, "issuer", why, why_size);
    if (!err)
        err = copy_field(rec->sub, sizeof rec->sub, req->subject, "subject", why, why_size);
    if (!err)
        err = copy_field(rec->definition_id, sizeof rec->definition_id, req->definition_id,
                         "definition_id", why, why_size);
    if (!err)
        err = copy_field(rec->achieved_level, sizeof rec->achieved_level, req->achieved_level,
                         "achieved_level", why, why_size);
    if (!err)
        err = copy_field(rec->evidence, sizeof rec->evidence, req->evidence, "evidence", why,
                         why_size);
    if (!err)
        err = copy_field(rec->status_uri, sizeof rec->status_uri, n->records->status_uri,
                         "status list uri", why, why_size);
    if (err)
        return err;
    rec->iat = now_ms / 1000;
    randombytes_buf(rec->cti, sizeof rec->cti);
    rec->definition_version = req->definition_version;
    memcpy(rec->content_hash, req->content_hash, sizeof rec->content_hash);
    rec->has_ceu = req->has_ceu != 0;
    rec->ceu_hundredths = req->ceu_hundredths;
    rec->has_log_index = true;
    rec->log_index = log_index;
    rec->has_status = true;
    rec->status_idx = status_idx;
    return 0;
}

int ac__credential_issue(struct ac_node *n, const struct ac__issue_req *req, int64_t *record_id_out)
{
    return ac__credential_issue_explained(n, req, record_id_out, NULL, 0);
}

int ac__credential_issue_explained(struct ac_node *n, const struct ac__issue_req *req,
                                   int64_t *record_id_out, char *why, size_t why_size)
{
    if (why && why_size)
        why[0] = '\0';
    struct ac__records *r = n->records;
    const struct ac_key_info *k = ac_keyring_current(n->keyring);
    int64_t now_ms = ac_clock_now_ms();
    uint64_t status_idx = 0;
    int err = ac_status_list_assign(r->status, &status_idx);
    if (err)
        return err;
    struct ac_record rec;
    struct ac_buf cose = AC_BUF_INIT, note = AC_BUF_INIT;
    /* Work on a copy of the tree head: memory changes only after the commit. */
    struct ac_merkle_tree next = r->tree;
    uint8_t leaf[AC_MERKLE_HASH_BYTES], root[AC_MERKLE_HASH_BYTES];
    err = fill_record(n, req, r->tree.size, status_idx, now_ms, &rec, why, why_size);
    if (!err)
        err = ac_record_sign(&rec, k->kid, AC_KEY_ID_BYTES, ac__keyring_sign_cb, n->keyring, &cose);
    struct ac_merkle_completed done = {0};
    struct ac_store_subtree subtrees[64];
    if (!err) {
        ac_merkle_leaf_hash(cose.data, cose.len, leaf);
        err = ac_merkle_tree_append_completed(&next, leaf, &done);
    }
    for (size_t i = 0; !err && i < done.count; i++) {
        subtrees[i].level = done.subtree[i].level;
        subtrees[i].index = done.subtree[i].index;
        subtrees[i].hash = done.subtree[i].hash;
    }
    if (!err) {
        ac_merkle_tree_root(&next, root);
        err = sign_checkpoint(n, next.size, root, &note);
    }
    int64_t id = 0;
    if (!err) {
        struct ac_store_issue in = {
            .cti = rec.cti,
            .subject = rec.sub,
            .definition_id = rec.definition_id,
            .definition_version = rec.definition_version,
            .achieved_level = rec.achieved_level,
            .kid = k->kid_hex,
            .iat = rec.iat,
            .cose = cose.data,
            .cose_len = cose.len,
            .log_index = r->tree.size,
            .leaf_hash = leaf,
            .status_idx = status_idx,
            .new_root = root,
            .checkpoint_note = (const char *)note.data,
            .now_ms = now_ms,
            .subtrees = subtrees,
            .nsubtrees = done.count,
        };
        err = ac_store_record_issue(n->store, &in, &id);
    }
    if (err) {
        /* The store is the truth: reloading the list returns the index just
         * assigned to the free set (nothing refers to it). */
        struct ac_status_list *reloaded = NULL;
        if (load_status(n, &reloaded) == 0) {
            ac_status_list_free(r->status);
            r->status = reloaded;
        }
        ac_buf_release(&cose);
        ac_buf_release(&note);
        ac_log_warn("records", "issue for %s failed: %s", req->subject ? req->subject : "(none)",
                    ac_strerror(err));
        return err;
    }
    r->tree = next;
    r->token.stale = r->bitstring.stale = 1;
    if (publish_checkpoint(r, &note) != 0)
        r->checkpoint.stale = 1; /* reloaded from the store on the next read */
    ac_log_info("records", "issued record %lld: log index %llu, status index %llu, key %s",
                (long long)id, (unsigned long long)rec.log_index, (unsigned long long)status_idx,
                k->kid_hex);
    ac_buf_release(&cose);
    ac_buf_release(&note);
    if (record_id_out)
        *record_id_out = id;
    return 0;
}

int ac__records_resign_checkpoint(struct ac_node *n)
{
    struct ac__records *r = n->records;
    uint8_t root[AC_MERKLE_HASH_BYTES];
    ac_merkle_tree_root(&r->tree, root);
    struct ac_buf note = AC_BUF_INIT;
    /* The same tree head under the new key: consistent with every earlier
     * checkpoint by construction (equal size, equal root). */
    int err = sign_checkpoint(n, r->tree.size, root, &note);
    if (!err)
        err = ac_store_log_checkpoint_add(n->store, r->tree.size, root,
                                          ac_keyring_current(n->keyring)->kid_hex,
                                          (const char *)note.data, ac_clock_now_ms());
    if (!err && publish_checkpoint(r, &note) != 0)
        r->checkpoint.stale = 1;
    r->token.stale = 1; /* the token names its key too */
    ac_buf_release(&note);
    return err;
}

int ac__checkpoint_refresh(struct ac_node *n)
{
    struct ac__records *r = n->records;
    if (!r->checkpoint.stale && r->checkpoint.body.len)
        return 0;
    struct ac_store_checkpoint cp = {0};
    int err = ac_store_log_checkpoint_latest(n->store, &cp);
    if (err)
        return err;
    struct ac_buf note = {(uint8_t *)cp.note, strlen(cp.note), strlen(cp.note) + 1};
    err = publish_checkpoint(r, &note);
    free(cp.note);
    return err;
}

/* Whether a record in state |from| may move to |to|; if not, says why. */
static int transition_allowed(enum ac_status from, enum ac_status to, char *why, size_t whylen)
{
    if (from == AC_STATUS_INVALID) {
        snprintf(why, whylen, "the credential is revoked; revocation is final");
        return 0;
    }
    if (to == AC_STATUS_SUSPENDED && from == AC_STATUS_SUSPENDED) {
        snprintf(why, whylen, "the credential is already suspended");
        return 0;
    }
    if (to == AC_STATUS_VALID && from != AC_STATUS_SUSPENDED) {
        snprintf(why, whylen, "the credential is not suspended; only a suspension is lifted");
        return 0;
    }
    return 1;
}

int ac__credential_set_status(struct ac_node *n, int64_t record_id, enum ac_status to,
                              const char *reason, int64_t by_user, char *why, size_t whylen)
{
    struct ac__records *r = n->records;
    struct ac_store_status e;
    int err = ac_store_status_get(n->store, record_id, &e);
    if (err)
        return err;
    enum ac_status from;
    err = ac_status_list_get(r->status, e.idx, &from);
    if (err)
        return err == AC_ENOENT ? AC_EDB : err; /* the store and memory disagree */
    if (!transition_allowed(from, to, why, whylen))
        return AC_ECONFLICT;
    /* Store first: memory follows only a durable change. The check above
     * makes the in-memory set below unable to fail. */
    err = ac_store_status_set(n->store, e.idx, (int)to, reason, by_user, ac_clock_now_ms());
    if (err)
        return err;
    if (ac_status_list_set(r->status, e.idx, to) != 0)
        AC_BUG("status list refused a change the store accepted");
    r->token.stale = r->bitstring.stale = 1;
    ac_log_info("records", "record %lld: %s -> %s (%s)", (long long)record_id, ac_status_name(from),
                ac_status_name(to), reason);
    return 0;
}

static int build_token(struct ac_node *n, int64_t now_ms)
{
    struct ac__records *r = n->records;
    const struct ac_key_info *k = ac_keyring_current(n->keyring);
    int64_t iat = now_ms / 1000;
    struct ac_status_token_claims c = {
        .sub = r->status_uri,
        .iat = iat,
        .exp = iat + AC__TOKEN_LIFETIME_S,
        .ttl = AC__STATUS_TTL_S,
    };
    struct ac_buf tok = AC_BUF_INIT;
    int err = ac_status_token_sign(r->status, &c, k->kid, AC_KEY_ID_BYTES, ac__keyring_sign_cb,
                                   n->keyring, &tok);
    if (err)
        return err;
    ac_buf_release(&r->token.body);
    r->token.body = tok;
    ac__published_seal(&r->token, now_ms);
    return 0;
}

static int build_bitstring(struct ac_node *n, int64_t now_ms)
{
    struct ac__records *r = n->records;
    struct ac_buf rev = AC_BUF_INIT, sus = AC_BUF_INIT;
    int err = ac_status_w3c_encode(r->status, AC_STATUS_PURPOSE_REVOCATION, &rev);
    if (!err)
        err = ac_buf_terminate(&rev);
    if (!err)
        err = ac_status_w3c_encode(r->status, AC_STATUS_PURPOSE_SUSPENSION, &sus);
    if (!err)
        err = ac_buf_terminate(&sus);
    json_t *j = NULL;
    if (!err) {
        j = json_pack("{s:s, s:I, s:[{s:s, s:s}, {s:s, s:s}]}", "id", r->status_uri, "entries",
                      (json_int_t)ac_status_list_entries(r->status), "lists", "statusPurpose",
                      "revocation", "encodedList", (const char *)rev.data, "statusPurpose",
                      "suspension", "encodedList", (const char *)sus.data);
        err = j ? 0 : AC_ENOMEM;
    }
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (j && !text)
        err = AC_ENOMEM;
    if (!err) {
        r->bitstring.body.len = 0;
        err = ac_buf_append_str(&r->bitstring.body, text);
    }
    if (!err)
        ac__published_seal(&r->bitstring, now_ms);
    free(text);
    json_decref(j);
    ac_buf_release(&rev);
    ac_buf_release(&sus);
    return err;
}

int ac__status_publish(struct ac_node *n)
{
    struct ac__records *r = n->records;
    int64_t now_ms = ac_clock_now_ms();
    int err = 0;
    if (r->token.stale || r->token.body.len == 0 ||
        now_ms - r->token.made_ms >= AC__TOKEN_REFRESH_MS || now_ms < r->token.made_ms)
        err = build_token(n, now_ms);
    if (!err && (r->bitstring.stale || r->bitstring.body.len == 0))
        err = build_bitstring(n, now_ms);
    return err;
}

static int source_leaf(void *ctx, uint64_t index, uint8_t out[AC_MERKLE_HASH_BYTES])
{
    return ac_store_log_leaf(ctx, index, out);
}

static int source_subtree(void *ctx, uint64_t start, uint64_t size,
                          uint8_t out[AC_MERKLE_HASH_BYTES])
{
    /* merkle.c asks only for perfect subtrees: size a power of two >= 2 and
     * start a multiple of it. */
    unsigned level = (unsigned)__builtin_ctzll(size);
    return ac_store_tlog_subtree_get(ctx, level, start >> level, out);
}

void ac__log_source(struct ac_node *n, struct ac_merkle_source *src)
{
    src->leaf = source_leaf;
    src->subtree = source_subtree;
    src->ctx = n->store;
}

/* Does If-None-Match of |x| list |etag| (or "*")? */
static int etag_matches(const struct ac_http_req *req, const char *etag)
{
    const char *inm = ac_http_header(req, "if-none-match");
    if (!inm)
        return 0;
    if (strcmp(inm, "*") == 0)
        return 1;
    size_t elen = strlen(etag);
    for (const char *p = inm; (p = strstr(p, etag)) != NULL; p += elen) {
        char after = p[elen];
        if (after == 0 || after == ',' || after == ' ')
            return 1;
    }
    return 0;
}

void ac__respond_public(struct ac_http_exchange *x, const char *etag, const char *content_type,
                        const void *body, size_t len)
{
    static const char cache[] = "public, max-age=60";
    _Static_assert(AC__MAX_AGE_S == 60, "cache-control text follows AC__MAX_AGE_S");
    if (etag_matches(ac_http_exchange_req(x), etag)) {
        struct ac_http_header h[] = {{"etag", etag}, {"cache-control", cache}};
        ac_http_respond(x, 304, h, 2, NULL, 0);
        return;
    }
    struct ac_http_header h[] = {
        {"content-type", content_type}, {"etag", etag}, {"cache-control", cache}};
    ac_http_respond(x, 200, h, 3, body, len);
}

void ac__respond_published(struct ac_http_exchange *x, const struct ac__published *p,
                           const char *content_type)
{
    ac__respond_public(x, p->etag, content_type, p->body.data, p->body.len);
}

void ac__respond_public_json(struct ac_http_exchange *x, json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text) {
        ac__respond_error(x, AC_ENOMEM, "response");
        return;
    }
    size_t len = strlen(text);
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const uint8_t *)text, len);
    char hex[33], etag[AC__ETAG_MAX];
    sodium_bin2hex(hex, sizeof hex, h, 16);
    snprintf(etag, sizeof etag, "\"%s\"", hex);
    ac__respond_public(x, etag, "application/json", text, len);
    free(text);
}

const char *ac__issuer_of(const struct ac_node *n, const char *given)
{
    if (!given || strcmp(given, n->cfg->node_id) == 0)
        return n->records->issuer;
    return given;
}
