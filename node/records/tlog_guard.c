/* tlog_guard.c - the transparency log's single-writer guard when several
 * node processes serve one node on one database: what this node published
 * (in memory and in <data_dir>/tlog-published, so it survives a restart),
 * the check that the database's log still extends it, the halt when it does
 * not (a failover to a standby that missed a commit, a restored backup), and
 * loading the tree head from the stored log when another process moved it,
 * and the stored log as a Merkle source for proofs. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <sodium.h>

#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/store/tlog.h"
#include "records/records.h"

#define PUBLISHED_FILE "tlog-published"
#define PUBLISHED_MAGIC "accord-tlog-published 1"

/* The file: the magic line, then "<size> <root hex>". Small enough that a
 * write and a rename replace it whole; not fsynced (a crash of the machine
 * may leave an older checkpoint there, which only weakens the check, never
 * raises a false alarm: every older checkpoint was a prefix). */
static int published_read(const char *path, struct ac__tlog_published *out)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return errno == ENOENT ? AC_ENOENT : AC_EIO;
    char magic[64], hex[2 * AC_MERKLE_HASH_BYTES + 2];
    unsigned long long size = 0;
    size_t len = 0;
    int ok =
        fgets(magic, sizeof magic, f) && strcmp(magic, PUBLISHED_MAGIC "\n") == 0 &&
        fscanf(f, "%llu %65s", &size, hex) == 2 && strlen(hex) == 2 * AC_MERKLE_HASH_BYTES &&
        sodium_hex2bin(out->root, AC_MERKLE_HASH_BYTES, hex, strlen(hex), NULL, &len, NULL) == 0 &&
        len == AC_MERKLE_HASH_BYTES;
    fclose(f);
    if (!ok)
        return AC_EPARSE;
    out->size = size;
    out->known = 1;
    return 0;
}

int ac__tlog_published_load(struct ac_node *n)
{
    struct ac__records *r = n->records;
    char path[4200];
    snprintf(path, sizeof path, "%s/" PUBLISHED_FILE, n->cfg->data_dir);
    struct ac__tlog_published p = {0};
    int err = published_read(path, &p);
    if (err == AC_ENOENT)
        return 0;
    if (err == AC_EPARSE) {
        /* Only a damaged file: checking against nothing is what a new node
         * does; the next publish writes it again. */
        ac_log_warn("records",
                    "%s: not a published-checkpoint file (\"%s\" then \"<size> <root "
                    "hex>\"); ignored, so this start cannot check the database against it",
                    path, PUBLISHED_MAGIC);
        return 0;
    }
    if (err) {
        ac_log_error("records", "%s: cannot read: %s", path, strerror(errno));
        return err;
    }
    r->published = p;
    return 0;
}

/* Writes |p| unless the file names a larger size already, under an flock
 * of a lock file beside it, so two processes never interleave. */
static int published_write(const char *dir, const struct ac__tlog_published *p)
{
    char path[4200], lock[4300], tmp[4300];
    snprintf(path, sizeof path, "%s/" PUBLISHED_FILE, dir);
    snprintf(lock, sizeof lock, "%s.lock", path);
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lfd < 0)
        return AC_EIO;
    int err = 0;
    if (flock(lfd, LOCK_EX) != 0)
        err = AC_EIO;
    struct ac__tlog_published cur = {0};
    if (!err && published_read(path, &cur) == 0 && cur.size > p->size)
        goto out; /* another process published further; ours is its prefix */
    char hex[2 * AC_MERKLE_HASH_BYTES + 1];
    sodium_bin2hex(hex, sizeof hex, p->root, AC_MERKLE_HASH_BYTES);
    FILE *f = err ? NULL : fopen(tmp, "we");
    if (!err && !f)
        err = AC_EIO;
    if (f) {
        int ok = fprintf(f, PUBLISHED_MAGIC "\n%llu %s\n", (unsigned long long)p->size, hex) > 0;
        ok = fclose(f) == 0 && ok;
        if (!ok || rename(tmp, path) != 0) {
            err = AC_EIO;
            unlink(tmp);
        }
    }
out:
    close(lfd); /* drops the flock */
    return err;
}

void ac__tlog_published_note(struct ac_node *n, uint64_t size,
                             const uint8_t root[AC_MERKLE_HASH_BYTES])
{
    struct ac__records *r = n->records;
    if (r->published.known && r->published.size == size &&
        memcmp(r->published.root, root, AC_MERKLE_HASH_BYTES) == 0)
        return;
    r->published.known = 1;
    r->published.size = size;
    memcpy(r->published.root, root, AC_MERKLE_HASH_BYTES);
    if (published_write(n->cfg->data_dir, &r->published) != 0)
        ac_log_warn("records",
                    "%s/" PUBLISHED_FILE ": cannot record the published checkpoint "
                    "(size %llu): %s; a restart will not check the database against it",
                    n->cfg->data_dir, (unsigned long long)size, strerror(errno));
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

void ac__tlog_source(struct ac_node *n, struct ac_merkle_source *src)
{
    ac__tlog_source_of(n->store, src);
}

void ac__tlog_source_of(struct ac_store *st, struct ac_merkle_source *src)
{
    src->leaf = source_leaf;
    src->subtree = source_subtree;
    src->ctx = st;
}

static void halt(struct ac_node *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void halt(struct ac_node *n, const char *fmt, ...)
{
    struct ac__records *r = n->records;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->halt_reason, sizeof r->halt_reason, fmt, ap);
    va_end(ap);
    r->halted = 1;
    ac_log_error("records", "ALARM: transparency log signing halted: %s", r->halt_reason);
}

int ac__tlog_check(struct ac_node *n, const struct ac_store_tlog_head *head)
{
    return ac__tlog_check_at(n, head, NULL);
}

int ac__tlog_check_at(struct ac_node *n, const struct ac_store_tlog_head *head,
                      const struct ac__tlog_published *at)
{
    struct ac__records *r = n->records;
    if (r->halted)
        return AC_ECONFLICT;
    /* A copy: on a fiber (the writer's follow()) the reads below yield, and
     * the loop may note a newer published checkpoint meanwhile; compared
     * with that, the root computed for this one's size would raise a false
     * alarm. The copy is a prefix of whatever is published since. */
    const struct ac__tlog_published pub = r->published, *p = &pub;
    if (!p->known)
        return 0;
    char hex[17];
    sodium_bin2hex(hex, sizeof hex, p->root, 8);
    static const char *const after =
        "the database lost commits this node had published (a failover to a standby that "
        "missed them, or a restored backup); issuing stops until an operator restores them "
        "(docs/records.md, \"When the database goes back\"); reads go on";
    if (head->size < p->size) {
        halt(n,
             "the database's transparency log has %llu leaves, but this node published a "
             "checkpoint of %llu leaves (root %s...): %s",
             (unsigned long long)head->size, (unsigned long long)p->size, hex, after);
        return AC_ECONFLICT;
    }
    uint8_t root[AC_MERKLE_HASH_BYTES];
    if (head->size == p->size) {
        memcpy(root, head->root, sizeof root);
    } else if (at && at->known && at->size == p->size) {
        memcpy(root, at->root, sizeof root); /* read on a reader thread */
    } else {
        /* The tree of the published size as the database holds it now:
         * O(log n) reads of stored subtrees. */
        struct ac_merkle_source src;
        ac__tlog_source(n, &src);
        int err = ac_merkle_root(&src, p->size, root);
        if (err)
            return err;
    }
    if (memcmp(root, p->root, sizeof root) != 0) {
        char other[17];
        sodium_bin2hex(other, sizeof other, root, 8);
        halt(n,
             "the database's transparency log at size %llu has root %s..., but this node "
             "published root %s... at that size: the log forked; %s",
             (unsigned long long)p->size, other, hex, after);
        return AC_ECONFLICT;
    }
    return 0;
}

int ac__tlog_need_signing(struct ac_node *n, struct ac_reason *why)
{
    struct ac__records *r = n->records;
    if (!r->halted)
        return 0;
    return ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_SIGNING_HALTED, NULL, "%s", r->halt_reason);
}

/* Rebuilding a tree head from the first |size| stored leaves. */
struct leaves_to {
    struct ac_merkle_tree *tree;
    uint64_t size;
};

static int append_leaf(void *ctx, uint64_t index, const uint8_t hash[AC_STORE_HASH_BYTES])
{
    struct leaves_to *l = ctx;
    if (index >= l->size)
        return 1; /* leaves another process appended since: not this head's */
    return ac_merkle_tree_append(l->tree, hash);
}

int ac__tlog_tree_load(struct ac_node *n, const struct ac_store_tlog_head *head,
                       struct ac_merkle_tree *tree)
{
    return ac__tlog_tree_load_from(n->store, head, tree);
}

int ac__tlog_tree_load_from(struct ac_store *st, const struct ac_store_tlog_head *head,
                            struct ac_merkle_tree *tree)
{
    ac_merkle_tree_init(tree);
    /* The peaks of a tree of |size| leaves are the perfect subtrees its set
     * bits name, largest first, laid end to end from leaf 0. */
    uint64_t start = 0;
    int err = 0;
    for (int i = 63; !err && i >= 0; i--) {
        if (!((head->size >> i) & 1))
            continue;
        if (i == 0)
            err = ac_store_log_leaf(st, start, tree->peak[0]);
        else
            err = ac_store_tlog_subtree_get(st, (unsigned)i, start >> i, tree->peak[i]);
        start += (uint64_t)1 << i;
    }
    tree->size = head->size;
    uint64_t count = 0;
    if (err == AC_ENOENT) {
        /* A subtree not stored (a log from before they were, not yet filled
         * in): every leaf instead. */
        ac_merkle_tree_init(tree);
        struct leaves_to l = {tree, head->size};
        err = ac_store_log_each_leaf(st, append_leaf, &l, &count);
        if (err == 1)
            err = 0;
        if (!err && tree->size != head->size)
            err = AC_EDB;
    }
    if (err)
        return err;
    uint8_t root[AC_MERKLE_HASH_BYTES];
    ac_merkle_tree_root(tree, root);
    if (memcmp(root, head->root, sizeof root) != 0) {
        ac_log_error("records",
                     "tlog: the stored head (size %llu) does not match the stored "
                     "leaves; refusing to serve or extend it",
                     (unsigned long long)head->size);
        return AC_EDB;
    }
    return 0;
}
