/* api_tlog.c - the public transparency log ("tlog") endpoints, served under
 * /v1/log/: the signed checkpoint, inclusion and consistency proofs, and
 * pages of entries (the records' leaf hashes). Proofs are computed from the
 * stored leaf and subtree hashes on the reader threads (node/readers.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/error.h"
#include "accord/store/record.h"
#include "accord/store/tlog.h"
#include "readers.h"
#include "records/records.h"

#define ENTRIES_PAGE_MAX 100

static json_t *b64(const uint8_t *p, size_t len)
{
    size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *s = malloc(cap);
    if (!s)
        return NULL;
    sodium_bin2base64(s, cap, p, len, sodium_base64_VARIANT_ORIGINAL);
    json_t *j = json_string(s);
    free(s);
    return j;
}

static json_t *proof_json(const struct ac_merkle_proof *p)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < p->count; i++)
        if (json_array_append_new(a, b64(p->hash[i], AC_MERKLE_HASH_BYTES)) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* Reads the query parameter |name| as a decimal uint64 (|required|, or
 * |*out| keeps its default). Answers 400 and returns -1 when malformed. */
static int query_u64(struct ac_http_exchange *x, const char *name, int required, uint64_t *out)
{
    char v[24];
    int rc = ac_http_query(ac_http_exchange_req(x), name, v, sizeof v);
    if (rc == AC_ENOENT && !required)
        return 0;
    if (rc == 0 && v[0] && strspn(v, "0123456789") == strlen(v) && strlen(v) <= 19 &&
        (v[0] != '0' || v[1] == 0)) {
        *out = strtoull(v, NULL, 10);
        return 0;
    }
    ac__problem(x, AC_PROBLEM_INVALID_FIELD, name, NULL, "%s: %s; must be a whole number >= 0",
                name, rc == AC_ENOENT ? "is required" : "is not a decimal number");
    return -1;
}

/* ---- on the reader threads (node/readers.h) ----
 * A proof or a page of entries reads the store O(log N) or 100 times; the
 * routes are public, so they run on a reader thread. What they need from
 * node memory (the log size) is read on the loop before the job is queued;
 * the JSON is built on the loop in done. */

int ac__inclusion_compute(struct ac_store *st, struct ac__inclusion *p)
{
    struct ac_merkle_source src;
    ac__tlog_source_of(st, &src);
    int err = ac_merkle_inclusion_proof(&src, p->index, p->size, &p->proof);
    return err ? err : ac_store_log_leaf(st, p->index, p->leaf);
}

void ac__inclusion_respond(struct ac_http_exchange *x, const struct ac__inclusion *p)
{
    ac__respond_public_json(x, json_pack("{s:I, s:I, s:o, s:o}", "index", (json_int_t)p->index,
                                         "size", (json_int_t)p->size, "leaf_hash",
                                         b64(p->leaf, sizeof p->leaf), "hashes",
                                         proof_json(&p->proof)));
}

/* Answers 400 unless index < size <= the log size. */
static int inclusion_range(struct ac_http_exchange *x, uint64_t index, uint64_t size,
                           uint64_t log_size)
{
    if (size <= log_size && index < size)
        return 0;
    ac__problem(x, AC_PROBLEM_INVALID_FIELD, size > log_size ? "size" : "index", NULL,
                "index %llu, size %llu: need index < size <= %llu (the log size)",
                (unsigned long long)index, (unsigned long long)size,
                (unsigned long long)log_size);
    return -1;
}

struct proof_job {
    struct ac__read_job job; /* first */
    struct ac_http_exchange *x;
    int consistency; /* else inclusion */
    struct ac__inclusion inc;
    uint64_t from, to; /* consistency */
    struct ac_merkle_proof proof;
    int err;
};

static void proof_work(struct ac__read_job *job, struct ac_store *st)
{
    struct proof_job *j = (struct proof_job *)job;
    if (!j->consistency) {
        j->err = ac__inclusion_compute(st, &j->inc);
        return;
    }
    struct ac_merkle_source src;
    ac__tlog_source_of(st, &src);
    j->err = ac_merkle_consistency_proof(&src, j->from, j->to, &j->proof);
}

static void proof_done(struct ac__read_job *job, int status)
{
    struct proof_job *j = (struct proof_job *)job;
    int err = status ? status : j->err;
    const char *what = j->consistency ? "consistency proof" : "inclusion proof";
    if (err)
        ac__respond_error(j->x, err, what);
    else if (!j->consistency)
        ac__inclusion_respond(j->x, &j->inc);
    else
        ac__respond_public_json(j->x, json_pack("{s:I, s:I, s:o}", "from", (json_int_t)j->from,
                                                "to", (json_int_t)j->to, "hashes",
                                                proof_json(&j->proof)));
    free(j);
}

static void submit_proof(struct ac_http_exchange *x, struct ac_node *n, struct proof_job *j)
{
    j->job.work = proof_work;
    j->job.done = proof_done;
    j->x = x;
    ac__read_submit(n, &j->job);
}

/* The proofs and pages are bounded by, and default to, the stored head's
 * size: another process of this node may have grown the log. So each
 * handler first has the head read (on a reader thread,
 * ac__checkpoint_fresh()) and goes on in its |then|; an error reading it
 * is answered as "transparency log". */
static int head_failed(struct ac_http_exchange *x, int err)
{
    if (!err)
        return 0;
    ac__respond_error(x, err, "transparency log");
    return -1;
}

static void checkpoint_then(struct ac_http_exchange *x, struct ac_node *n, void *arg, int err)
{
    (void)arg;
    if (err) {
        ac__respond_error(x, err, "checkpoint");
        return;
    }
    ac__respond_published(x, &n->records->checkpoint, "text/plain; charset=utf-8");
}

static void on_checkpoint(struct ac_http_exchange *x, void *arg)
{
    /* Served from memory: the writer publishes each new checkpoint as it
     * commits it. The stored head is read on a reader thread (another
     * process of this node may have moved it), so the loop never waits on
     * the database here; the disk is touched on the loop only to follow a
     * head that moved, or to reload a checkpoint whose publish failed. */
    struct ac_node *n = arg;
    ac__checkpoint_fresh(n, x, checkpoint_then, NULL);
}

static void inclusion_then(struct ac_http_exchange *x, struct ac_node *n, void *arg, int err)
{
    (void)arg;
    if (head_failed(x, err))
        return;
    uint64_t log_size = n->records->tree.size;
    uint64_t index = 0, size = log_size;
    if (query_u64(x, "index", 1, &index) || query_u64(x, "size", 0, &size) ||
        inclusion_range(x, index, size, log_size))
        return;
    struct proof_job *j = calloc(1, sizeof *j);
    if (!j) {
        ac__respond_error(x, AC_ENOMEM, "inclusion proof");
        return;
    }
    j->inc.index = index;
    j->inc.size = size;
    submit_proof(x, n, j);
}

static void on_inclusion(struct ac_http_exchange *x, void *arg)
{
    ac__checkpoint_fresh(arg, x, inclusion_then, NULL);
}

static void consistency_then(struct ac_http_exchange *x, struct ac_node *n, void *arg, int err)
{
    (void)arg;
    if (head_failed(x, err))
        return;
    uint64_t from = 0, to = n->records->tree.size;
    if (query_u64(x, "from", 1, &from) || query_u64(x, "to", 0, &to))
        return;
    if (from > to || to > n->records->tree.size) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, from > to ? "from" : "to", NULL,
                    "from %llu, to %llu: need from <= to <= %llu (the log size)",
                    (unsigned long long)from, (unsigned long long)to,
                    (unsigned long long)n->records->tree.size);
        return;
    }
    struct proof_job *j = calloc(1, sizeof *j);
    if (!j) {
        ac__respond_error(x, AC_ENOMEM, "consistency proof");
        return;
    }
    j->consistency = 1;
    j->from = from;
    j->to = to;
    submit_proof(x, n, j);
}

static void on_consistency(struct ac_http_exchange *x, void *arg)
{
    ac__checkpoint_fresh(arg, x, consistency_then, NULL);
}

struct entries_job {
    struct ac__read_job job; /* first */
    struct ac_http_exchange *x;
    uint64_t start, end, size; /* end exclusive, at most ENTRIES_PAGE_MAX past start */
    uint64_t index;            /* the entry being read */
    int err;
    uint8_t leaf[ENTRIES_PAGE_MAX][crypto_hash_sha256_BYTES];
};

/* An entry is its leaf hash, SHA-256(0x00 || record): all a monitor needs to
 * rebuild the tree and check the checkpoints, without publishing who earned
 * what (the record names its subject and credential). */
static void hash_entry(void *ctx, const uint8_t *p, size_t len)
{
    struct entries_job *j = ctx;
    crypto_hash_sha256_state st;
    static const uint8_t leaf_prefix = 0x00;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, &leaf_prefix, 1);
    crypto_hash_sha256_update(&st, p, len);
    crypto_hash_sha256_final(&st, j->leaf[j->index - j->start]);
}

static void entries_work(struct ac__read_job *job, struct ac_store *st)
{
    struct entries_job *j = (struct entries_job *)job;
    for (j->index = j->start; j->index < j->end && !j->err; j->index++)
        j->err = ac_store_record_at(st, j->index, NULL, hash_entry, j);
}

static void entries_done(struct ac__read_job *job, int status)
{
    struct entries_job *j = (struct entries_job *)job;
    int err = status ? status : j->err;
    json_t *a = err ? NULL : json_array();
    for (uint64_t i = j->start; a && i < j->end; i++) {
        json_t *e = json_pack("{s:I, s:o}", "index", (json_int_t)i, "leaf_hash",
                              b64(j->leaf[i - j->start], crypto_hash_sha256_BYTES));
        if (!e || json_array_append_new(a, e) != 0) {
            json_decref(a);
            a = NULL;
        }
    }
    if (!err && !a)
        err = AC_ENOMEM;
    if (err)
        ac__respond_error(j->x, err, "entries");
    else
        ac__respond_public_json(j->x, json_pack("{s:I, s:I, s:I, s:o}", "start",
                                                (json_int_t)j->start, "end", (json_int_t)j->end,
                                                "size", (json_int_t)j->size, "entries", a));
    free(j);
}

static void entries_then(struct ac_http_exchange *x, struct ac_node *n, void *arg, int err)
{
    (void)arg;
    if (head_failed(x, err))
        return;
    uint64_t size = n->records->tree.size;
    uint64_t start = 0, end = 0;
    if (query_u64(x, "start", 1, &start))
        return;
    end = start + ENTRIES_PAGE_MAX;
    if (query_u64(x, "end", 0, &end))
        return;
    /* end is exclusive; a page is bounded whatever was asked. */
    if (end <= start || start >= size) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, start >= size ? "start" : "end", NULL,
                    "start %llu, end %llu: need start < end and start < %llu "
                    "(the log size)",
                    (unsigned long long)start, (unsigned long long)end, (unsigned long long)size);
        return;
    }
    if (end > size)
        end = size;
    if (end - start > ENTRIES_PAGE_MAX)
        end = start + ENTRIES_PAGE_MAX;
    struct entries_job *j = calloc(1, sizeof *j);
    if (!j) {
        ac__respond_error(x, AC_ENOMEM, "entries");
        return;
    }
    *j = (struct entries_job){.job = {entries_work, entries_done, NULL},
                              .x = x, .start = start, .end = end, .size = size};
    ac__read_submit(n, &j->job);
}

static void on_entries(struct ac_http_exchange *x, void *arg)
{
    ac__checkpoint_fresh(arg, x, entries_then, NULL);
}

void ac__api_tlog_register(struct ac_node *n)
{
    ac__route(n, "GET", "/v1/log/checkpoint", on_checkpoint);
    ac__route(n, "GET", "/v1/log/inclusion", on_inclusion);
    ac__route(n, "GET", "/v1/log/consistency", on_consistency);
    ac__route(n, "GET", "/v1/log/entries", on_entries);
}
