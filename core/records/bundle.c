/* bundle.c - encodes, strictly decodes and checks credential bundles
 * (versions 1 and 2; the format is in bundle.h). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "accord/records/bundle.h"
#include "accord/records/cosignature.h"
#include "accord/sign/cbor.h"
#include "accord/base/error.h"
#include "accord/base/refuse.h"

static bool has_v2_parts(const struct ac_bundle *b)
{
    return b->ob3_len || b->nkeys || b->ncosigs;
}

static bool v2_parts_ok(const struct ac_bundle *b)
{
    if ((b->ob3 == NULL) != (b->ob3_len == 0) || b->ob3_len > AC_BUNDLE_OB3_MAX ||
        b->nkeys > AC_BUNDLE_KEYS_MAX || b->ncosigs > AC_BUNDLE_COSIGS_MAX)
        return false;
    for (size_t i = 0; i < b->nkeys; i++)
        if (!b->keys[i].len || b->keys[i].len > AC_BUNDLE_KEY_BYTES_MAX)
            return false;
    for (size_t i = 0; i < b->ncosigs; i++)
        if (!b->cosigs[i].len || b->cosigs[i].len > AC_COSIG_LINE_MAX + 1 ||
            b->cosigs[i].data[b->cosigs[i].len - 1] != '\n')
            return false;
    return true;
}

int ac_bundle_encode(const struct ac_bundle *b, struct ac_buf *out)
{
    if (!b->record_len || !b->status_len || !b->checkpoint_len || b->index >= b->size ||
        b->checkpoint_len > AC_NOTE_MAX_BYTES || b->proof.count > AC_MERKLE_PROOF_MAX ||
        !v2_parts_ok(b))
        return AC_EINVAL;
    bool v2 = has_v2_parts(b);
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    /* Keys may go in any order: the writer sorts each map on close. */
    ac_cbor_put_map(&w, 5 + (b->ob3_len > 0) + (b->nkeys > 0) + (b->ncosigs > 0));
    ac_cbor_put_str(&w, "v");
    ac_cbor_put_uint(&w, v2 ? AC_BUNDLE_VERSION_2 : AC_BUNDLE_VERSION);
    ac_cbor_put_str(&w, "record");
    ac_cbor_put_bytes(&w, b->record, b->record_len);
    ac_cbor_put_str(&w, "log");
    ac_cbor_put_map(&w, 3);
    ac_cbor_put_str(&w, "index");
    ac_cbor_put_uint(&w, b->index);
    ac_cbor_put_str(&w, "size");
    ac_cbor_put_uint(&w, b->size);
    ac_cbor_put_str(&w, "proof");
    ac_cbor_put_array(&w, b->proof.count);
    for (size_t i = 0; i < b->proof.count; i++)
        ac_cbor_put_bytes(&w, b->proof.hash[i], AC_MERKLE_HASH_BYTES);
    ac_cbor_put_str(&w, "status");
    ac_cbor_put_bytes(&w, b->status, b->status_len);
    ac_cbor_put_str(&w, "checkpoint");
    ac_cbor_put_text(&w, b->checkpoint, b->checkpoint_len); /* refuses non-UTF-8 */
    if (b->ob3_len) {
        ac_cbor_put_str(&w, "ob3");
        ac_cbor_put_bytes(&w, b->ob3, b->ob3_len);
    }
    if (b->nkeys) {
        ac_cbor_put_str(&w, "keys");
        ac_cbor_put_array(&w, b->nkeys);
        for (size_t i = 0; i < b->nkeys; i++)
            ac_cbor_put_bytes(&w, b->keys[i].data, b->keys[i].len);
    }
    if (b->ncosigs) {
        ac_cbor_put_str(&w, "cosignatures");
        ac_cbor_put_array(&w, b->ncosigs);
        for (size_t i = 0; i < b->ncosigs; i++)
            ac_cbor_put_text(&w, (const char *)b->cosigs[i].data, b->cosigs[i].len);
    }
    struct ac_buf enc = AC_BUF_INIT;
    int rc = ac_cbor_writer_finish(&w, &enc);
    ac_cbor_writer_release(&w);
    if (rc == 0)
        rc = ac_buf_append(out, enc.data, enc.len);
    ac_buf_release(&enc);
    return rc;
}

/* Reads the next map key and checks it is |name|: deterministic encoding
 * fixes the key order, so a strict decoder can expect each key in turn. */
static int expect_key(struct ac_cbor_reader *r, const char *name, char *why, size_t why_len)
{
    const char *k;
    size_t len;
    if (ac_cbor_get_text(r, &k, &len) || len != strlen(name) || memcmp(k, name, len) != 0)
        return ac_refuse(why, why_len, "bundle: at offset %zu expected the key \"%s\"",
                         ac_cbor_offset(r), name);
    return 0;
}

static int read_log(struct ac_cbor_reader *r, struct ac_bundle *b, char *why, size_t why_len)
{
    uint64_t n;
    if (ac_cbor_get_map(r, &n) || n != 3)
        return ac_refuse(why, why_len, "bundle: log must be a map of size, index and proof");
    if (expect_key(r, "size", why, why_len) || ac_cbor_get_uint(r, &b->size))
        return ac_refuse(why, why_len, "bundle: log.size must be an unsigned integer");
    if (expect_key(r, "index", why, why_len) || ac_cbor_get_uint(r, &b->index))
        return ac_refuse(why, why_len, "bundle: log.index must be an unsigned integer");
    if (b->index >= b->size)
        return ac_refuse(why, why_len, "bundle: log.index %llu is not below log.size %llu",
                         (unsigned long long)b->index, (unsigned long long)b->size);
    if (expect_key(r, "proof", why, why_len) || ac_cbor_get_array(r, &n))
        return ac_refuse(why, why_len, "bundle: log.proof must be an array");
    if (n > AC_MERKLE_PROOF_MAX)
        return ac_refuse(why, why_len, "bundle: log.proof has %llu hashes; at most %d",
                         (unsigned long long)n, AC_MERKLE_PROOF_MAX);
    b->proof.count = (size_t)n;
    for (size_t i = 0; i < b->proof.count; i++) {
        const uint8_t *h;
        size_t len;
        if (ac_cbor_get_bytes(r, &h, &len) || len != AC_MERKLE_HASH_BYTES)
            return ac_refuse(why, why_len, "bundle: log.proof[%zu] must be 32 bytes", i);
        memcpy(b->proof.hash[i], h, AC_MERKLE_HASH_BYTES);
    }
    return 0;
}

/* Reads the next key if any is left; |*left| counts the map's remaining
 * entries. Sets |*k| to NULL when none is left. */
static int next_key(struct ac_cbor_reader *r, uint64_t *left, const char **k, size_t *klen,
                    char *why, size_t why_len)
{
    *k = NULL;
    *klen = 0;
    if (*left == 0)
        return 0;
    (*left)--;
    if (ac_cbor_get_text(r, k, klen))
        return ac_refuse(why, why_len, "bundle: at offset %zu expected a text key",
                         ac_cbor_offset(r));
    return 0;
}

static bool key_is(const char *k, size_t klen, const char *name)
{
    return k && klen == strlen(name) && memcmp(k, name, klen) == 0;
}

static int read_keys(struct ac_cbor_reader *r, struct ac_bundle *b, char *why, size_t why_len)
{
    uint64_t n;
    if (ac_cbor_get_array(r, &n) || n == 0 || n > AC_BUNDLE_KEYS_MAX)
        return ac_refuse(why, why_len, "bundle: keys must be an array of 1 to %d key hand-overs",
                         AC_BUNDLE_KEYS_MAX);
    b->nkeys = (size_t)n;
    for (size_t i = 0; i < b->nkeys; i++)
        if (ac_cbor_get_bytes(r, &b->keys[i].data, &b->keys[i].len) || b->keys[i].len == 0 ||
            b->keys[i].len > AC_BUNDLE_KEY_BYTES_MAX)
            return ac_refuse(why, why_len,
                             "bundle: keys[%zu] must be a byte string of 1 to %d bytes", i,
                             AC_BUNDLE_KEY_BYTES_MAX);
    return 0;
}

static int read_cosigs(struct ac_cbor_reader *r, struct ac_bundle *b, char *why, size_t why_len)
{
    uint64_t n;
    if (ac_cbor_get_array(r, &n) || n == 0 || n > AC_BUNDLE_COSIGS_MAX)
        return ac_refuse(why, why_len,
                         "bundle: cosignatures must be an array of 1 to %d cosignature lines",
                         AC_BUNDLE_COSIGS_MAX);
    b->ncosigs = (size_t)n;
    for (size_t i = 0; i < b->ncosigs; i++) {
        const char *t;
        size_t len;
        if (ac_cbor_get_text(r, &t, &len) || len == 0 || len > AC_COSIG_LINE_MAX + 1 ||
            t[len - 1] != '\n')
            return ac_refuse(
                why, why_len,
                "bundle: cosignatures[%zu] must be one line of at most %d bytes ending "
                "in a newline",
                i, AC_COSIG_LINE_MAX + 1);
        b->cosigs[i].data = (const uint8_t *)t;
        b->cosigs[i].len = len;
    }
    return 0;
}

int ac_bundle_decode(const uint8_t *data, size_t len, struct ac_bundle *out, char *why,
                     size_t why_len)
{
    struct ac_cbor_reader r;
    if (ac_cbor_reader_init(&r, data, len))
        return ac_refuse(why, why_len, "bundle: %s", r.why);
    uint64_t n, v;
    if (ac_cbor_get_map(&r, &n) || n < 5 || n > 8)
        return ac_refuse(why, why_len,
                         "bundle: must be a map of v, log, record, status, checkpoint and, in "
                         "version 2, ob3, keys or cosignatures");
    struct ac_bundle b;
    memset(&b, 0, sizeof b);
    if (expect_key(&r, "v", why, why_len))
        return AC_EPARSE;
    if (ac_cbor_get_uint(&r, &v) || (v != AC_BUNDLE_VERSION && v != AC_BUNDLE_VERSION_2))
        return ac_refuse(why, why_len, "bundle: v must be %d or %d", AC_BUNDLE_VERSION,
                         AC_BUNDLE_VERSION_2);
    if ((v == AC_BUNDLE_VERSION) != (n == 5))
        return ac_refuse(why, why_len,
                         "bundle: version %llu with %llu parts; version 1 has exactly v, log, "
                         "record, status and checkpoint, version 2 adds ob3, keys or cosignatures",
                         (unsigned long long)v, (unsigned long long)n);
    uint64_t left = n - 1;
    if (expect_key(&r, "log", why, why_len))
        return AC_EPARSE;
    left--;
    int rc = read_log(&r, &b, why, why_len);
    if (rc)
        return rc;
    const char *k;
    size_t klen;
    if ((rc = next_key(&r, &left, &k, &klen, why, why_len)))
        return rc;
    if (key_is(k, klen, "ob3")) {
        if (ac_cbor_get_bytes(&r, &b.ob3, &b.ob3_len) || b.ob3_len == 0 ||
            b.ob3_len > AC_BUNDLE_OB3_MAX)
            return ac_refuse(why, why_len, "bundle: ob3 must be a byte string of 1 to %d bytes",
                             AC_BUNDLE_OB3_MAX);
        if ((rc = next_key(&r, &left, &k, &klen, why, why_len)))
            return rc;
    }
    if (key_is(k, klen, "keys")) {
        if ((rc = read_keys(&r, &b, why, why_len)) ||
            (rc = next_key(&r, &left, &k, &klen, why, why_len)))
            return rc;
    }
    if (!key_is(k, klen, "record"))
        return ac_refuse(why, why_len, "bundle: at offset %zu expected the key \"record\"",
                         ac_cbor_offset(&r));
    if (ac_cbor_get_bytes(&r, &b.record, &b.record_len) || b.record_len == 0)
        return ac_refuse(why, why_len, "bundle: record must be a non-empty byte string");
    if (expect_key(&r, "status", why, why_len))
        return AC_EPARSE;
    if (ac_cbor_get_bytes(&r, &b.status, &b.status_len) || b.status_len == 0)
        return ac_refuse(why, why_len, "bundle: status must be a non-empty byte string");
    if (expect_key(&r, "checkpoint", why, why_len))
        return AC_EPARSE;
    left -= 2;
    if (ac_cbor_get_text(&r, &b.checkpoint, &b.checkpoint_len) || b.checkpoint_len == 0 ||
        b.checkpoint_len > AC_NOTE_MAX_BYTES)
        return ac_refuse(why, why_len,
                         "bundle: checkpoint must be signed-note text of at most %d bytes",
                         AC_NOTE_MAX_BYTES);
    if ((rc = next_key(&r, &left, &k, &klen, why, why_len)))
        return rc;
    if (key_is(k, klen, "cosignatures")) {
        if ((rc = read_cosigs(&r, &b, why, why_len)))
            return rc;
    } else if (k) {
        return ac_refuse(why, why_len, "bundle: unknown or misplaced key \"%.*s\"",
                         (int)(klen > 32 ? 32 : klen), k);
    }
    if (left != 0)
        return ac_refuse(why, why_len, "bundle: unknown or misplaced key at offset %zu",
                         ac_cbor_offset(&r));
    *out = b;
    return 0;
}

int ac_bundle_verify_log(const struct ac_bundle *b, const struct ac_note_verifier *keys,
                         size_t nkeys, const char *origin, struct ac_checkpoint *cp, char *why,
                         size_t why_len)
{
    struct ac_checkpoint c;
    int rc =
        ac_checkpoint_open(b->checkpoint, b->checkpoint_len, keys, nkeys, origin, &c, why, why_len);
    if (rc)
        return rc;
    if (c.size != b->size) {
        rc = ac_refuse(why, why_len, "bundle: log.size %llu is not the checkpoint's size %llu",
                       (unsigned long long)b->size, (unsigned long long)c.size);
    } else {
        uint8_t leaf[AC_MERKLE_HASH_BYTES];
        ac_merkle_leaf_hash(b->record, b->record_len, leaf);
        if (ac_merkle_verify_inclusion(leaf, b->index, b->size, &b->proof, c.root) != 0) {
            if (why && why_len)
                snprintf(why, why_len,
                         "bundle: the record is not at index %llu of the checkpointed log",
                         (unsigned long long)b->index);
            rc = AC_ECRYPTO;
        }
    }
    if (rc == 0 && cp)
        *cp = c;
    else
        ac_checkpoint_release(&c);
    return rc;
}
