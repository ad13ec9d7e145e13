/* issue.c - the node's record writer: loads the status list and the
 * transparency log's tree head at start-up, and issues records (lock the
 * stored log head, sign, append, persist, checkpoint and audit in one
 * transaction; publish after the commit). The only code that appends to the
 * transparency log. Several processes may serve one node on one database:
 * each reads the head the last commit left inside its transaction, follows
 * it when another process moved it, and checks that it extends what this
 * node published (tlog_guard.c). */
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
#include "accord/records/subject.h"
#include "accord/store/store.h"
#include "accord/store/record.h"
#include "accord/store/status.h"
#include "accord/store/tlog.h"
#include "accord/store/writer.h"
#include "accounts/accounts.h"
#include "audit.h"
#include "readers.h"
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

int ac__checkpoint_sign(struct ac_node *n, uint64_t size, const uint8_t root[AC_MERKLE_HASH_BYTES],
                        struct ac_buf *note)
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
    r->checkpoint_generation++;
    return 0;
}

void ac__checkpoint_publish(struct ac_node *n, const struct ac_buf *note)
{
    struct ac__records *r = n->records;
    if (publish_checkpoint(r, note) != 0) {
        r->checkpoint.stale = 1; /* reloaded from the store on the next read */
        return;
    }
    uint8_t root[AC_MERKLE_HASH_BYTES];
    ac_merkle_tree_root(&r->tree, root);
    ac__tlog_published_note(n, r->tree.size, root);
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

/* The list's size follows from what is stored: large enough for the highest
 * index and to stay at most half assigned (ac_status_entries_for()). */
struct status_extent {
    uint64_t count, max_idx;
};

static int status_extent_entry(void *ctx, const struct ac_store_status *e)
{
    struct status_extent *x = ctx;
    x->count++;
    if (e->idx > x->max_idx)
        x->max_idx = e->idx;
    return 0;
}

/* Reads only |st|: a reader thread may call it with its own store. */
static int load_status(struct ac_store *st, struct ac_status_list **out)
{
    struct status_extent x = {0, 0};
    int err = ac_store_status_each(st, status_extent_entry, &x);
    if (err)
        return err;
    if (x.max_idx >= AC_STATUS_MAX_ENTRIES)
        return AC_EPARSE;
    struct status_load l = {.entries = ac_status_entries_for(x.count, x.count ? x.max_idx + 1 : 0)};
    l.bits = calloc(l.entries / 4, 1);
    l.used = calloc(l.entries / 8, 1);
    err = (l.bits && l.used) ? 0 : AC_ENOMEM;
    if (!err)
        err = ac_store_status_each(st, load_status_entry, &l);
    if (!err)
        err = ac_status_list_load(l.entries, l.bits, l.entries / 4, l.used, l.entries / 8, out);
    free(l.bits);
    free(l.used);
    return err;
}

/* Rebuilds the tree head from the stored leaves and checks it against the
 * newest stored checkpoint; signs and stores the empty tree's checkpoint on a
 * new transparency log, so there is always one to serve. */
static int load_tlog(struct ac_node *n)
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
        err = ac__checkpoint_sign(n, r->tree.size, root, &note);
        if (!err)
            err = ac_store_log_checkpoint_add(n->store, r->tree.size, root,
                                              ac_keyring_current(n->keyring)->kid_hex,
                                              (const char *)note.data, ac_clock_now_ms());
        ac_buf_release(&note);
        /* Another process of this node starting beside this one signed it
         * first (the unique index refused ours), or appended since: take
         * what is stored. */
        if (err == AC_EEXIST || err == AC_ECONFLICT)
            err = 0;
        if (!err)
            err = ac_store_log_checkpoint_latest(n->store, &cp);
    }
    if (err)
        return err;
    if (cp.size < r->tree.size ||
        (cp.size == r->tree.size && memcmp(cp.root, root, sizeof root) != 0)) {
        /* Serving this would publish a head the stored leaves do not make. */
        ac_log_error("records",
                     "tlog: stored checkpoint (size %llu) does not match the %llu "
                     "stored leaves; refusing to serve a forked log",
                     (unsigned long long)cp.size, (unsigned long long)r->tree.size);
        free(cp.note);
        return AC_EDB;
    }
    /* Larger: another process appended while the leaves were read. */
    struct ac_store_tlog_head head = {.size = cp.size};
    memcpy(head.root, cp.root, sizeof head.root);
    if (cp.size != r->tree.size)
        err = ac__tlog_tree_load(n, &head, &r->tree);
    /* A database that went back behind what this node published halts
     * signing here, before anything is signed; the node still starts, to
     * serve reads and say why (tlog_guard.c). */
    if (!err)
        err = ac__tlog_published_load(n);
    if (!err) {
        err = ac__tlog_check(n, &head);
        if (err == AC_ECONFLICT)
            err = 0;
    }
    struct ac_buf note = {(uint8_t *)cp.note, strlen(cp.note), strlen(cp.note) + 1};
    if (!err)
        err = publish_checkpoint(r, &note);
    if (!err && !r->halted)
        ac__tlog_published_note(n, head.size, head.root);
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
    /* load_tlog() and the checkpoint signing read the state being built
     * through |n|; the loop thread is the only reader meanwhile. */
    n->records = r;
    base_url(n->cfg, r->issuer, sizeof r->issuer);
    /* C2SP tlog-checkpoint: the origin is a schema-less URL, also the key name. */
    const char *host = strstr(r->issuer, "://") + 3;
    snprintf(r->origin, sizeof r->origin, "%s/log", host);
    snprintf(r->status_uri, sizeof r->status_uri, "%s/v1/status/token", r->issuer);
    r->token.stale = r->bitstring.stale = 1;
    int err = ac_store_status_version(n->store, &r->status_version);
    if (!err)
        err = load_status(n->store, &r->status);
    if (err)
        ac_log_error("records", "cannot load the status list: %s", ac_strerror(err));
    if (!err) {
        err = load_tlog(n);
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
    if (!req->email || !req->email[0]) {
        if (why)
            snprintf(why, why_size, "email: the earner's verified e-mail address is required");
        return AC_EINVAL;
    }
    /* A fresh salt per record: two records of one earner share nothing a
     * reader could link them by, and the hash names no account. */
    ac_subject_salt_new(rec->subject_salt);
    ac_subject_hash(req->email, rec->subject_salt, rec->sub);
    int err = copy_field(rec->iss, sizeof rec->iss, n->records->issuer, "issuer", why, why_size);
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

/* Writes the audit row of record |id| just stored, inside the writer's
 * transaction. */
static int audit_issue(struct ac_node *n, int64_t actor, int64_t id, const struct ac_record *rec,
                       const char *kid_hex)
{
    json_t *d = json_pack(
        "{s:s, s:I, s:s, s:I, s:I, s:s}", "definition_id", rec->definition_id, "definition_version",
        (json_int_t)rec->definition_version, "achieved_level", rec->achieved_level, "log_index",
        (json_int_t)rec->log_index, "status_index", (json_int_t)rec->status_idx, "kid", kid_hex);
    int err = d ? ac_audit_id(n, "record", id, actor, "issue", d) : AC_ENOMEM;
    json_decref(d);
    return err;
}

int ac__status_reload(struct ac_node *n)
{
    struct ac__records *r = n->records;
    struct ac_status_list *reloaded = NULL;
    /* The version first: a change landing during the load is seen again
     * next time, never missed. */
    int64_t version = 0;
    int err = ac_store_status_version(n->store, &version);
    if (!err)
        err = load_status(n->store, &reloaded);
    if (err)
        return err;
    if (version < r->status_version) {
        /* A read older than memory's list (a snapshot taken before a
         * change of ours committed): memory's is newer, kept. */
        ac_log_debug("records", "status: kept the list at version %lld over one read at %lld",
                     (long long)r->status_version, (long long)version);
        ac_status_list_free(reloaded);
        return 0;
    }
    ac_status_list_free(r->status);
    r->status = reloaded;
    r->status_version = version;
    r->token.stale = r->bitstring.stale = 1;
    return 0;
}

/* Makes memory follow the stored |head| when another process of this node
 * moved it: checks it extends what this node published (halting when not),
 * loads its tree head and the status list its issues filled. Memory then
 * holds committed state whatever the caller's transaction does next. */
static int follow(struct ac_node *n, const struct ac_store_tlog_head *head)
{
    struct ac__records *r = n->records;
    uint8_t root[AC_MERKLE_HASH_BYTES];
    ac_merkle_tree_root(&r->tree, root);
    if (head->size == r->tree.size && memcmp(head->root, root, sizeof root) == 0)
        return 0;
    int err = ac__tlog_check(n, head);
    if (err && err != AC_ECONFLICT)
        return err;
    int check = err;
    struct ac_merkle_tree tree;
    err = ac__tlog_tree_load(n, head, &tree);
    if (!err)
        err = ac__status_reload(n);
    if (err)
        return err;
    ac_log_debug("records", "tlog: followed the stored head from size %llu to %llu",
                 (unsigned long long)r->tree.size, (unsigned long long)head->size);
    r->tree = tree;
    r->checkpoint_generation++; /* a thread's read of the head before is older */
    return check;
}

/* One run of the writer, see issue_one(). |outermost|: the transaction
 * opened here is the one whose commit makes the record visible. */
static int issue_once(struct ac_node *n, int64_t actor, const struct ac__issue_req *req,
                      int outermost, int64_t *record_id_out, char *why, size_t why_size)
{
    if (why && why_size)
        why[0] = '\0';
    struct ac__records *r = n->records;
    if (r->halted)
        return AC_ECONFLICT;
    const struct ac_key_info *k = ac_keyring_current(n->keyring);
    int64_t now_ms = ac_clock_now_ms();
    /* The head lock first: until the commit no other process of this node
     * appends, so the index, the tree and the status entries read below are
     * the last commit's, and the checkpoint signed here is the only one of
     * its size. */
    int err = ac_store_tx_begin(n->store);
    if (err)
        return err;
    struct ac_store_tlog_head head;
    err = ac_store_tlog_head_lock(n->store, &head);
    if (!err)
        err = follow(n, &head);
    uint64_t status_idx = 0;
    /* Grow before the list would be more than half assigned; the published
     * token and bitstring are rebuilt at their new size. */
    uint64_t want = ac_status_entries_for(ac_status_list_assigned(r->status) + 1,
                                          ac_status_list_entries(r->status));
    if (!err && want > ac_status_list_entries(r->status)) {
        err = ac_status_list_grow(r->status, want);
        if (!err) {
            /* The OB 3.0 status list credentials follow the bitstring's ETag. */
            r->token.stale = r->bitstring.stale = 1;
            ac_log_info("records", "the status list grows to %llu entries",
                        (unsigned long long)want);
        }
    }
    if (!err)
        err = ac_status_list_assign(r->status, &status_idx);
    struct ac_record rec;
    struct ac_buf cose = AC_BUF_INIT, note = AC_BUF_INIT;
    /* Work on a copy of the tree head: memory changes only after the commit. */
    struct ac_merkle_tree next = r->tree;
    uint8_t leaf[AC_MERKLE_HASH_BYTES], root[AC_MERKLE_HASH_BYTES];
    if (!err)
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
        err = ac__checkpoint_sign(n, next.size, root, &note);
    }
    /* Record, leaf, status entry, checkpoint and head (the store's own
     * savepoint inside this transaction) and the audit row commit together. */
    int64_t id = 0;
    if (!err) {
        struct ac_store_issue in = {
            .cti = rec.cti,
            .subject = rec.sub,
            .earner_id = req->earner_id,
            .subject_email = req->email,
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
    if (!err)
        err = audit_issue(n, actor, id, &rec, k->kid_hex);
    if (err)
        ac_store_tx_rollback(n->store);
    else
        err = ac_store_tx_commit(n->store);
    if (err) {
        /* The store is the truth: reloading the list returns the index just
         * assigned to the free set (nothing refers to it). */
        ac__status_reload(n);
        ac_buf_release(&cose);
        ac_buf_release(&note);
        if (err != AC_EAGAIN)
            ac_log_warn("records", "issue of %s for earner %lld failed: %s",
                        req->definition_id ? req->definition_id : "(none)",
                        (long long)req->earner_id, ac_strerror(err));
        return err;
    }
    r->tree = next;
    r->token.stale = r->bitstring.stale = 1;
    /* Published only once committed: inside a caller's transaction that
     * is the caller's commit, so the next read takes it from the store. */
    if (outermost)
        ac__checkpoint_publish(n, &note);
    else
        r->checkpoint.stale = 1;
    ac_log_info("records", "issued record %lld: log index %llu, status index %llu, key %s",
                (long long)id, (unsigned long long)rec.log_index, (unsigned long long)status_idx,
                k->kid_hex);
    ac_buf_release(&cose);
    ac_buf_release(&note);
    if (record_id_out)
        *record_id_out = id;
    return 0;
}

/* How often the writer runs again when another process's commit made its
 * transaction fail (PostgreSQL's serialization failure at the head lock, or
 * SQLite's busy timeout). Each run first waits for the lock, so two
 * processes take turns and one more run normally suffices. */
#define ISSUE_RUNS 8

/* The writer: see ac__records_issue(). |actor| is audited (0: the node
 * itself). On AC_EINVAL for a field too long, writes to |why| (|why_size|
 * bytes; may be NULL) the field, its value and the rule, e.g. "issuer:
 * \"https://...\" is 230 bytes; at most 200", and leaves it "" otherwise.
 * Returns AC_ECONFLICT with n->records->halted set when signing has stopped. */
static int issue_one(struct ac_node *n, int64_t actor, const struct ac__issue_req *req,
                     int64_t *record_id_out, char *why, size_t why_size)
{
    /* Inside a caller's transaction a lost race aborts the caller's work
     * too: only the caller can run it again. */
    int outermost = !ac_store_tx_open(n->store);
    int err = AC_EAGAIN;
    for (int run = 0; err == AC_EAGAIN && run < (outermost ? ISSUE_RUNS : 1); run++) {
        if (run)
            ac_log_debug("records", "issue: another process committed first; running again");
        err = issue_once(n, actor, req, outermost, record_id_out, why, why_size);
    }
    if (err == AC_EAGAIN)
        ac_log_warn("records",
                    "issue of %s for earner %lld lost the log head to other writers "
                    "%d times; given up",
                    req->definition_id ? req->definition_id : "(none)", (long long)req->earner_id,
                    outermost ? ISSUE_RUNS : 1);
    return err;
}

int ac__credential_issue(struct ac_node *n, const struct ac__issue_req *req, int64_t *record_id_out)
{
    return issue_one(n, 0, req, record_id_out, NULL, 0);
}

int ac__records_issue(struct ac_node *n, const struct ac_user *by, const struct ac__issue_req *req,
                      struct ac_store_record *out, struct ac_reason *why)
{
    int err = ac__need_role(by, AC_ROLE_ADMIN, why);
    if (!err)
        err = ac__tlog_need_signing(n, why);
    if (err)
        return err;
    /* The earner: an account's verified address, or an address the admin
     * gives (and so vouches for) for someone who has no account here. */
    struct ac__issue_req r = *req;
    char email[AC_EMAIL_MAX + 1], rule[320];
    if (req->email) {
        if (ac_email_normalize(req->email, email, rule, sizeof rule))
            return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "email", "%s", rule);
    } else {
        err = ac__users_verified_email(n, req->earner_id, email, why);
        if (err == AC_ENOENT)
            return ac_reason_fail(why, err, AC_PROBLEM_INVALID_FIELD, "earner",
                                  "earner: no user %lld", (long long)req->earner_id);
        if (err)
            return err;
    }
    r.email = email;
    char field_why[256];
    int64_t id = 0;
    err = issue_one(n, by->id, &r, &id, field_why, sizeof field_why);
    if (err == AC_EINVAL)
        /* |field_why| names a field too long; otherwise the encoder refused
         * the text, which it does only for invalid UTF-8. */
        return ac_reason_fail(why, err, AC_PROBLEM_INVALID_FIELD, NULL,
                              "the record cannot be encoded: %s",
                              field_why[0] ? field_why : "a text field is not valid UTF-8");
    if (err == AC_E2BIG)
        return ac_reason_fail(why, err, AC_PROBLEM_STATUS_LIST_FULL, NULL,
                              "every status index is assigned; no record can be issued");
    if (err == AC_ECONFLICT && n->records->halted) /* found while issuing */
        return ac__tlog_need_signing(n, why);
    if (err)
        return err;
    return out ? ac_store_record_get(n->store, id, out, NULL, NULL) : 0;
}

int ac__checkpoint_refresh(struct ac_node *n)
{
    struct ac__records *r = n->records;
    /* Inside ac__checkpoint_fresh()'s callback: read a moment ago. */
    if (r->head_fresh)
        return 0;
    /* One primary-key read of the head row per serve, so a checkpoint
     * another process of this node committed is served here too. (A key
     * rotation's re-signing of an unchanged head by another process shows
     * at this process's next change; the old key's checkpoint stays valid.) */
    struct ac_store_tlog_head now;
    int err = ac_store_tlog_head(n->store, &now);
    if (err)
        return err;
    uint8_t mine[AC_MERKLE_HASH_BYTES];
    ac_merkle_tree_root(&r->tree, mine);
    if (!r->checkpoint.stale && r->checkpoint.body.len && now.size == r->tree.size &&
        memcmp(now.root, mine, sizeof mine) == 0)
        return 0;
    /* Behind memory while a request group of this process is open or
     * committing: the read ran on the side connection, before that group's
     * commit, and memory already holds its leaves. The published checkpoint
     * covers what committed; following the stored head back would reload the
     * tree and the status list only to follow them forward again at the
     * commit. */
    if (!r->checkpoint.stale && r->checkpoint.body.len && now.size < r->tree.size &&
        ac_store_others_pending(n->store))
        return 0;
    /* The newest checkpoint is the stored head: both commit together under
     * the head lock. */
    struct ac_store_checkpoint cp = {0};
    err = ac_store_log_checkpoint_latest(n->store, &cp);
    if (err)
        return err;
    size_t len = strlen(cp.note);
    struct ac_store_tlog_head head = {.size = cp.size};
    memcpy(head.root, cp.root, sizeof head.root);
    err = follow(n, &head);
    if (err && err != AC_ECONFLICT) {
        free(cp.note);
        return err;
    }
    /* Halted: the stored checkpoint is served (reads and their proofs come
     * from the same store), but it is not this node's to vouch for. */
    struct ac_buf note = {(uint8_t *)cp.note, len, len + 1};
    err = publish_checkpoint(r, &note);
    if (!err && !r->halted)
        ac__tlog_published_note(n, head.size, head.root);
    free(cp.note);
    return err;
}

/* ---- the head read off the loop (ac__checkpoint_fresh()) ----
 *
 * A reader thread reads the stored head and status version. When they are
 * what memory holds (or the head is behind memory while a commit of this
 * process is in flight), the loop goes on with no store call. When the head
 * moved (another process of this node appended) or the published checkpoint
 * is stale, the same thread also reads what following it takes: the newest
 * checkpoint, the tree head at it, the root of the stored tree at the size
 * this node published (for the guard) and the status list; the loop then
 * applies them as follow() would, with no read of its own, and only over
 * the memory they were read for. When the head is behind memory whose
 * checkpoint is valid, the thread reads nothing more (the loop serves memory
 * or reads again); with no commit of ours in flight (the reader read just
 * before our commit), it is read again on the thread. Memory that changed
 * while the thread read (status version, published size, a checkpoint
 * published or a head followed: checkpoint_generation; for a list applied
 * where memory is, its tree too) has the job read again, a few times at
 * most, before the old in-place refresh runs. */

/* Reads after the first one: a commit of ours landing between the read and
 * its answer, or memory moving meanwhile, is seen by the next. */
#define HEAD_READS 5

/* What the loop's memory held when the job was submitted. */
struct head_mem {
    struct ac_merkle_tree tree;
    uint64_t size;
    uint8_t root[AC_MERKLE_HASH_BYTES];
    int64_t status_version;
    int have_checkpoint; /* published and not stale */
    uint64_t generation; /* r->checkpoint_generation */
    struct ac__tlog_published published;
};

struct head_read {
    struct ac__read_job job; /* first */
    struct ac_node *n;
    struct ac_http_exchange *x;
    ac__fresh_cb then;
    void *arg;
    int reads; /* submitted so far */
    struct head_mem mem;
    /* Filled on the thread. */
    int err;
    struct ac_store_tlog_head now;
    int64_t status_version;        /* -1: not read */
    struct ac_store_checkpoint cp; /* cp.note owned; NULL when not read */
    int have_tree;
    struct ac_merkle_tree tree;    /* the stored log's tree head at cp */
    struct ac__tlog_published at;  /* the stored tree's root at mem.published.size */
    struct ac_status_list *status; /* owned; read at |status_version| */
};

static void head_mem_take(struct ac_node *n, struct head_mem *m)
{
    struct ac__records *r = n->records;
    m->tree = r->tree;
    m->size = r->tree.size;
    ac_merkle_tree_root(&r->tree, m->root);
    m->status_version = r->status_version;
    m->have_checkpoint = !r->checkpoint.stale && r->checkpoint.body.len;
    m->published = r->published;
    m->generation = r->checkpoint_generation;
}

static int published_same(const struct ac__tlog_published *a, const struct ac__tlog_published *b)
{
    return a->known == b->known && a->size == b->size &&
           memcmp(a->root, b->root, sizeof a->root) == 0;
}

static int head_mem_same(const struct head_mem *a, const struct head_mem *b)
{
    return a->size == b->size && memcmp(a->root, b->root, sizeof a->root) == 0 &&
           a->status_version == b->status_version && a->have_checkpoint == b->have_checkpoint &&
           a->generation == b->generation && published_same(&a->published, &b->published);
}

/* What a thread's read is applied over: memory's tree may have grown by
 * issues of ours meanwhile (served as before), but no checkpoint was
 * published into it (a commit, a follow, another read applied, a key
 * rotation's re-signing), no status change landed and nothing more was
 * published. */
static int head_mem_settled(const struct head_mem *a, const struct head_mem *b)
{
    return a->status_version == b->status_version && a->have_checkpoint == b->have_checkpoint &&
           a->generation == b->generation && published_same(&a->published, &b->published);
}

static void head_results_free(struct head_read *h)
{
    free(h->cp.note);
    h->cp.note = NULL;
    ac_status_list_free(h->status);
    h->status = NULL;
    h->have_tree = 0;
    h->at.known = 0;
    h->err = 0;
    h->status_version = -1;
}

/* Reader thread: what following the stored head takes. The reads are
 * separate statements (a lone job runs in no read transaction, and none
 * runs on PostgreSQL), so each sees at least what the one before it did:
 * the checkpoint is at least the head read before it (both commit together
 * under the head lock), and the tree is loaded at the checkpoint. */
static int head_follow_work(struct head_read *h, struct ac_store *st)
{
    int err = ac_store_log_checkpoint_latest(st, &h->cp);
    if (err)
        return err;
    struct ac_store_tlog_head head = {.size = h->cp.size};
    memcpy(head.root, h->cp.root, sizeof head.root);
    const struct ac__tlog_published *p = &h->mem.published;
    if (p->known && head.size > p->size) {
        struct ac_merkle_source src;
        ac__tlog_source_of(st, &src);
        err = ac_merkle_root(&src, p->size, h->at.root);
        if (err)
            return err;
        h->at.size = p->size;
        h->at.known = 1;
    }
    if (head.size == h->mem.size && memcmp(head.root, h->mem.root, sizeof head.root) == 0)
        return 0; /* memory's tree at the submit (h->mem.tree) */
    err = ac__tlog_tree_load_from(st, &head, &h->tree);
    if (err)
        return err;
    h->have_tree = 1;
    return 0;
}

/* Reader thread: touches only |h| and |st|. In order: the head, the status
 * version, what following takes (checkpoint, tree), then the status list.
 * The list read last covers at least the tree's leaves (the issues that
 * moved the head filled their entries in the same commit); the version
 * read before it labels it no newer than it is. */
static void head_work(struct ac__read_job *job, struct ac_store *st)
{
    struct head_read *h = (struct head_read *)job;
    h->err = ac_store_tlog_head(st, &h->now);
    if (h->err)
        return;
    /* The status routes ask for it right after (status.c); unread, it does
     * not match memory's and is read again there. */
    if (ac_store_status_version(st, &h->status_version))
        h->status_version = -1;
    int same =
        h->now.size == h->mem.size && memcmp(h->now.root, h->mem.root, sizeof h->now.root) == 0;
    /* Behind memory whose checkpoint is valid: a commit of ours in flight,
     * or one that landed after this read's snapshot. The loop serves
     * memory or reads again; what following takes would be thrown away. */
    if (h->now.size < h->mem.size && h->mem.have_checkpoint)
        return;
    /* Moved, or memory's checkpoint stale: what following takes is read. */
    if (!same || !h->mem.have_checkpoint) {
        h->err = head_follow_work(h, st);
        if (!h->err && h->have_tree && h->status_version < 0)
            h->err = ac_store_status_version(st, &h->status_version);
        if (h->err)
            return;
    }
    if (h->status_version >= 0 && (h->have_tree || h->status_version != h->mem.status_version))
        h->err = load_status(st, &h->status);
}

static void head_submit(struct ac_node *n, struct head_read *h)
{
    head_results_free(h);
    head_mem_take(n, &h->mem);
    h->reads++;
    ac__read_submit(n, &h->job);
}

/* Loop: the status list the thread read at |h|->status_version replaces
 * memory's (taken from |h|). */
static void head_apply_status(struct ac__records *r, struct head_read *h)
{
    /* Never older than memory's: a local status change committed after
     * the thread's read is in memory's list and not in this one. */
    if (!h->status || h->status_version < r->status_version)
        return;
    ac_status_list_free(r->status);
    r->status = h->status;
    h->status = NULL;
    r->status_version = h->status_version;
    r->token.stale = r->bitstring.stale = 1;
}

/* Loop: follow() and the publish of ac__checkpoint_refresh() from what the
 * thread read; no store call. Memory is what it was at the submit. */
static int head_apply(struct ac_node *n, struct head_read *h)
{
    struct ac__records *r = n->records;
    struct ac_store_tlog_head head = {.size = h->cp.size};
    memcpy(head.root, h->cp.root, sizeof head.root);
    /* The thread loads no tree for the one memory held at the submit:
     * memory may since have moved past it by commits of ours (behind). */
    uint8_t mine[AC_MERKLE_HASH_BYTES];
    ac_merkle_tree_root(&r->tree, mine);
    int moved = head.size != r->tree.size || memcmp(head.root, mine, sizeof mine) != 0;
    int check = moved ? ac__tlog_check_at(n, &head, &h->at) : 0;
    if (check && check != AC_ECONFLICT)
        return check;
    if (moved && !h->have_tree) {
        ac_log_debug("records", "tlog: serving the stored head of size %llu behind memory's %llu",
                     (unsigned long long)head.size, (unsigned long long)r->tree.size);
        r->tree = h->mem.tree;
    } else if (h->have_tree) {
        if (!h->status)
            return AC_EIO; /* the version could not be read; cannot happen with a tree */
        ac_log_debug("records", "tlog: applied the stored head read on a thread, from size "
                     "%llu to %llu (read %d)",
                     (unsigned long long)r->tree.size, (unsigned long long)head.size, h->reads);
        r->tree = h->tree;
    }
    head_apply_status(r, h);
    /* Halted: the stored checkpoint is served, not vouched for (as in
     * ac__checkpoint_refresh()). */
    size_t len = strlen(h->cp.note);
    struct ac_buf note = {(uint8_t *)h->cp.note, len, len + 1};
    int err = publish_checkpoint(r, &note);
    if (!err && !r->halted)
        ac__tlog_published_note(n, head.size, head.root);
    return err;
}

static void head_done(struct ac__read_job *job, int status)
{
    struct head_read *h = (struct head_read *)job;
    struct ac_node *n = h->n;
    struct ac__records *r = n->records;
    ac__fresh_cb then = h->then;
    struct ac_http_exchange *x = h->x;
    void *arg = h->arg;
    int err = status ? AC_EIO : h->err;
    int64_t version = h->status_version;
    struct head_mem mem;
    head_mem_take(n, &mem);
    int unchanged = head_mem_same(&mem, &h->mem);
    int same = h->now.size == mem.size && memcmp(h->now.root, mem.root, sizeof mem.root) == 0;
    int behind = h->now.size < mem.size;
    int pending = ac_store_others_pending(n->store);
    /* What memory holds, or behind it while a request group of this process
     * is open or committing (ac__checkpoint_refresh()), or behind it after
     * memory grew while the thread read: memory grows only by a commit of
     * ours or by following a committed head, so its published checkpoint
     * is committed, and the read predates that commit. */
    int current =
        !err && mem.have_checkpoint && (same || (behind && (mem.size > h->mem.size || pending)));
    if (current) {
        /* A status list read for a version memory has not seen, taken
         * only with memory's own head: behind it, the list lacks the
         * entries our commit in flight assigned. */
        if (unchanged && same && h->status)
            head_apply_status(r, h);
        else if (version >= 0 && version != r->status_version && h->reads < HEAD_READS) {
            head_submit(n, h); /* memory's list moved meanwhile */
            return;
        }
    } else if (!err && h->cp.note && head_mem_settled(&mem, &h->mem) &&
               (!behind || pending || h->reads >= HEAD_READS)) {
        /* Moved by another process. Or behind memory, whose checkpoint is
         * stale (issues inside a request group), while that group commits
         * or after reading again did not catch up with commits of ours: the
         * committed head read is served, as the in-place refresh did, and
         * the next commit or read follows it forward again. Behind what
         * this node published only when the database lost it (the thread
         * saw every commit made before the submit, and whatever was
         * published was committed by then): the guard halts then. The
         * guard's root was read for what was published at the submit.
         * Only over the memory it was read for: a local status change, a
         * checkpoint published or re-signed (key rotation), a head followed
         * or another read applied meanwhile is newer than this read, which
         * is read again. */
        err = head_apply(n, h);
        if (err == AC_ECONFLICT)
            err = 0; /* halted: served, as ac__checkpoint_refresh() does */
        current = !err;
    } else if (!err && h->reads < HEAD_READS) {
        /* Behind memory with no commit of ours in flight (it landed after
         * the read, and is never followed back from a thread's read: the
         * in-place refresh below is the one that may find the database
         * went back), or memory moved meanwhile: read again. */
        head_submit(n, h);
        return;
    }
    int h_reads = h->reads;
    head_results_free(h);
    free(h);
    if (err || !current) {
        /* Memory kept moving across every read (or a read failed): follow
         * the head as before, in place. */
        if (!err)
            ac_log_debug("records",
                         "tlog: the head read %d times did not settle; "
                         "following it in place",
                         h_reads);
        then(x, n, arg, err ? err : ac__checkpoint_refresh(n));
        return;
    }
    r->head_fresh = 1;
    r->fresh_status_version = version;
    then(x, n, arg, 0);
    r->head_fresh = 0;
}

void ac__checkpoint_fresh(struct ac_node *n, struct ac_http_exchange *x, ac__fresh_cb then,
                          void *arg)
{
    struct head_read *h = calloc(1, sizeof *h);
    if (!h) {
        then(x, n, arg, AC_ENOMEM);
        return;
    }
    h->job.work = head_work;
    h->job.done = head_done;
    h->n = n;
    h->x = x;
    h->then = then;
    h->arg = arg;
    head_submit(n, h);
}

const char *ac__issuer_of(const struct ac_node *n, const char *given)
{
    if (!given || strcmp(given, n->cfg->node_id) == 0)
        return n->records->issuer;
    return given;
}
