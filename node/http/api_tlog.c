/* api_tlog.c - the public transparency log ("tlog") endpoints, served under
 * /v1/log/: the signed checkpoint, inclusion and consistency proofs, and
 * pages of entries (the records' exact bytes). Proofs are computed from the
 * stored leaf hashes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/error.h"
#include "accord/store/record.h"
#include "accord/store/tlog.h"
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

void ac__respond_inclusion(struct ac_http_exchange *x, struct ac_node *n, uint64_t index,
                           uint64_t size)
{
    uint64_t log_size = n->records->tree.size;
    if (size > log_size || index >= size) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, size > log_size ? "size" : "index", NULL,
                    "index %llu, size %llu: need index < size <= %llu (the log size)",
                    (unsigned long long)index, (unsigned long long)size,
                    (unsigned long long)log_size);
        return;
    }
    struct ac_merkle_source src;
    ac__tlog_source(n, &src);
    struct ac_merkle_proof proof;
    uint8_t leaf[AC_MERKLE_HASH_BYTES];
    int err = ac_merkle_inclusion_proof(&src, index, size, &proof);
    if (!err)
        err = ac_store_log_leaf(n->store, index, leaf);
    if (err) {
        ac__respond_error(x, err, "inclusion proof");
        return;
    }
    ac__respond_public_json(x, json_pack("{s:I, s:I, s:o, s:o}", "index", (json_int_t)index, "size",
                                         (json_int_t)size, "leaf_hash", b64(leaf, sizeof leaf),
                                         "hashes", proof_json(&proof)));
}

/* Makes the bounds and the default size of a proof or page the stored
 * head's: another process of this node may have grown the log. Answers the
 * error and returns -1 when the store cannot be read. */
static int follow_head(struct ac_http_exchange *x, struct ac_node *n)
{
    int err = ac__checkpoint_refresh(n);
    if (!err)
        return 0;
    ac__respond_error(x, err, "transparency log");
    return -1;
}

static void on_checkpoint(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    int err = ac__checkpoint_refresh(n);
    if (err) {
        ac__respond_error(x, err, "checkpoint");
        return;
    }
    ac__respond_published(x, &n->records->checkpoint, "text/plain; charset=utf-8");
}

static void on_inclusion(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    if (follow_head(x, n))
        return;
    uint64_t index = 0, size = n->records->tree.size;
    if (query_u64(x, "index", 1, &index) || query_u64(x, "size", 0, &size))
        return;
    ac__respond_inclusion(x, n, index, size);
}

static void on_consistency(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    if (follow_head(x, n))
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
    struct ac_merkle_source src;
    ac__tlog_source(n, &src);
    struct ac_merkle_proof proof;
    int err = ac_merkle_consistency_proof(&src, from, to, &proof);
    if (err) {
        ac__respond_error(x, err, "consistency proof");
        return;
    }
    ac__respond_public_json(x, json_pack("{s:I, s:I, s:o}", "from", (json_int_t)from, "to",
                                         (json_int_t)to, "hashes", proof_json(&proof)));
}

struct entry_append {
    json_t *array;
    uint64_t index;
    int err;
};

/* An entry is its leaf hash, SHA-256(0x00 || record): all a monitor needs to
 * rebuild the tree and check the checkpoints, without publishing who earned
 * what (the record names its subject and credential). */
static void append_entry(void *ctx, const uint8_t *p, size_t len)
{
    struct entry_append *e = ctx;
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_state st;
    static const uint8_t leaf_prefix = 0x00;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, &leaf_prefix, 1);
    crypto_hash_sha256_update(&st, p, len);
    crypto_hash_sha256_final(&st, h);
    json_t *j =
        json_pack("{s:I, s:o}", "index", (json_int_t)e->index, "leaf_hash", b64(h, sizeof h));
    if (!j || json_array_append_new(e->array, j) != 0)
        e->err = AC_ENOMEM;
}

static void on_entries(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    if (follow_head(x, n))
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
    struct entry_append e = {json_array(), 0, 0};
    if (!e.array) {
        ac__respond_error(x, AC_ENOMEM, "entries");
        return;
    }
    for (uint64_t i = start; i < end && !e.err; i++) {
        e.index = i;
        int err = ac_store_record_at(n->store, i, NULL, append_entry, &e);
        if (err)
            e.err = err;
    }
    if (e.err) {
        json_decref(e.array);
        ac__respond_error(x, e.err, "entries");
        return;
    }
    ac__respond_public_json(x, json_pack("{s:I, s:I, s:I, s:o}", "start", (json_int_t)start, "end",
                                         (json_int_t)end, "size", (json_int_t)size, "entries",
                                         e.array));
}

void ac__api_tlog_register(struct ac_node *n)
{
    ac__route(n, "GET", "/v1/log/checkpoint", on_checkpoint);
    ac__route(n, "GET", "/v1/log/inclusion", on_inclusion);
    ac__route(n, "GET", "/v1/log/consistency", on_consistency);
    ac__route(n, "GET", "/v1/log/entries", on_entries);
}
