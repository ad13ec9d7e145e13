/* checkpoint.c - C2SP signed notes (Ed25519) and tlog-checkpoint bodies. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/base64.h"
#include "accord/records/checkpoint.h"
#include "accord/base/error.h"
#include "internal.h"

#define SIG_TYPE_ED25519 0x01
/* Signatures by keys we do not know may use other algorithms; post-quantum
 * ones approach 5 kB, so a line may carry that much before it is refused. */
#define SIG_BLOB_MAX 8192

static const char em_dash_space[] = "\xe2\x80\x94 "; /* U+2014, U+0020 */

static void why_set(char *why, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void why_set(char *why, size_t n, const char *fmt, ...)
{
    if (!why || n == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
}

/* Decodes one UTF-8 code point at s[*i], refusing overlong forms, surrogates
 * and values past U+10FFFF. Returns 0 and advances |*i|, or -1. */
static int utf8_next(const uint8_t *s, size_t len, size_t *i, uint32_t *cp)
{
    uint8_t c = s[*i];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        (*i)++;
        return 0;
    } else if ((c & 0xe0) == 0xc0) {
        n = 1, v = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        n = 2, v = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        n = 3, v = c & 0x07, min = 0x10000;
    } else {
        return -1;
    }
    if (len - *i <= n)
        return -1;
    for (size_t k = 1; k <= n; k++) {
        uint8_t cc = s[*i + k];
        if ((cc & 0xc0) != 0x80)
            return -1;
        v = (v << 6) | (cc & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return -1;
    *cp = v;
    *i += n + 1;
    return 0;
}

/* The signed-note rule for all note bytes: UTF-8 with no ASCII control
 * character other than newline. */
static int text_ok(const uint8_t *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        if (utf8_next(s, len, &i, &cp) != 0)
            return 0;
        if (cp < 0x20 && cp != '\n')
            return 0;
    }
    return 1;
}

/* Unicode White_Space, which key names must not contain. */
static int is_unicode_space(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
           cp == 0x205f || cp == 0x3000;
}

static int name_ok(const char *name, size_t len)
{
    if (len == 0 || len > AC_NOTE_NAME_MAX)
        return 0;
    const uint8_t *s = (const uint8_t *)name;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        if (utf8_next(s, len, &i, &cp) != 0)
            return 0;
        if (cp < 0x20 || cp == '+' || is_unicode_space(cp))
            return 0;
    }
    return 1;
}

/* Strict standard base64 (RFC 4648 §4, padded): one spelling per value
 * (base64.h). */
static int b64_decode(const char *s, size_t len, uint8_t *out, size_t max, size_t *out_len)
{
    if (len == 0 || ac_base64_decode(s, len, AC_BASE64_STD, out, max, out_len) != 0)
        return -1;
    return 0;
}

static int b64_append(struct ac_buf *out, const uint8_t *bin, size_t len)
{
    size_t n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    int rc = ac_buf_reserve(out, n);
    if (rc)
        return rc;
    sodium_bin2base64((char *)out->data + out->len, n, bin, len, sodium_base64_VARIANT_ORIGINAL);
    out->len += n - 1; /* without the terminator */
    return 0;
}

int ac_note_sign_secret_key(void *ctx, const uint8_t *msg, size_t len,
                            uint8_t sig[AC_NOTE_SIG_BYTES])
{
    return crypto_sign_detached(sig, NULL, msg, len, ctx) == 0 ? 0 : AC_ECRYPTO;
}

uint32_t ac__note_key_id(const char *name, uint8_t sig_type, const uint8_t public_key[32])
{
    const uint8_t sep_type[2] = {'\n', sig_type};
    crypto_hash_sha256_state st;
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
    crypto_hash_sha256_update(&st, sep_type, sizeof sep_type);
    crypto_hash_sha256_update(&st, public_key, AC_NOTE_PUBLIC_BYTES);
    crypto_hash_sha256_final(&st, h);
    return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

uint32_t ac_note_key_id(const char *name, const uint8_t public_key[AC_NOTE_PUBLIC_BYTES])
{
    return ac__note_key_id(name, SIG_TYPE_ED25519, public_key);
}

int ac_note_verifier_init(struct ac_note_verifier *out, const char *name,
                          const uint8_t public_key[AC_NOTE_PUBLIC_BYTES])
{
    size_t len = strlen(name);
    if (!name_ok(name, len))
        return AC_EINVAL;
    memcpy(out->name, name, len + 1);
    memcpy(out->public_key, public_key, AC_NOTE_PUBLIC_BYTES);
    out->key_id = ac_note_key_id(name, public_key);
    return 0;
}

int ac_note_verifier_parse(const char *vkey, struct ac_note_verifier *out)
{
    const char *p1 = strchr(vkey, '+');
    if (!p1)
        return AC_EPARSE;
    const char *p2 = strchr(p1 + 1, '+');
    if (!p2 || p2 - (p1 + 1) != 8)
        return AC_EPARSE;
    size_t name_len = (size_t)(p1 - vkey);
    if (!name_ok(vkey, name_len))
        return AC_EPARSE;
    uint32_t id = 0;
    for (const char *h = p1 + 1; h < p2; h++) {
        int d = (*h >= '0' && *h <= '9') ? *h - '0' : (*h >= 'a' && *h <= 'f') ? *h - 'a' + 10 : -1;
        if (d < 0)
            return AC_EPARSE;
        id = id << 4 | (uint32_t)d;
    }
    uint8_t key[1 + AC_NOTE_PUBLIC_BYTES];
    size_t key_len;
    if (b64_decode(p2 + 1, strlen(p2 + 1), key, sizeof key, &key_len) != 0 ||
        key_len != sizeof key || key[0] != SIG_TYPE_ED25519)
        return AC_EPARSE;
    struct ac_note_verifier v;
    memcpy(v.name, vkey, name_len);
    v.name[name_len] = '\0';
    memcpy(v.public_key, key + 1, AC_NOTE_PUBLIC_BYTES);
    v.key_id = ac_note_key_id(v.name, v.public_key);
    if (v.key_id != id)
        return AC_EPARSE;
    *out = v;
    return 0;
}

int ac_note_verifier_format(const struct ac_note_verifier *v, struct ac_buf *out)
{
    size_t mark = out->len;
    uint8_t key[1 + AC_NOTE_PUBLIC_BYTES];
    key[0] = SIG_TYPE_ED25519;
    memcpy(key + 1, v->public_key, AC_NOTE_PUBLIC_BYTES);
    int rc = ac_buf_printf(out, "%s+%08x+", v->name, (unsigned)v->key_id);
    if (rc == 0)
        rc = b64_append(out, key, sizeof key);
    if (rc)
        out->len = mark;
    return rc;
}

int ac_note_sign(const char *text, size_t len, const char *name,
                 const uint8_t public_key[AC_NOTE_PUBLIC_BYTES], ac_note_sign_cb sign, void *ctx,
                 struct ac_buf *out)
{
    if (len == 0 || text[len - 1] != '\n' || !text_ok((const uint8_t *)text, len) ||
        !name_ok(name, strlen(name)))
        return AC_EINVAL;
    uint8_t blob[4 + AC_NOTE_SIG_BYTES];
    uint32_t id = ac_note_key_id(name, public_key);
    blob[0] = (uint8_t)(id >> 24);
    blob[1] = (uint8_t)(id >> 16);
    blob[2] = (uint8_t)(id >> 8);
    blob[3] = (uint8_t)id;
    int rc = sign(ctx, (const uint8_t *)text, len, blob + 4);
    if (rc)
        return rc;
    size_t mark = out->len;
    if ((rc = ac_buf_append(out, text, len)) == 0 && (rc = ac_buf_push(out, '\n')) == 0 &&
        (rc = ac_buf_append_str(out, em_dash_space)) == 0 &&
        (rc = ac_buf_append_str(out, name)) == 0 && (rc = ac_buf_push(out, ' ')) == 0 &&
        (rc = b64_append(out, blob, sizeof blob)) == 0)
        rc = ac_buf_push(out, '\n');
    if (rc)
        out->len = mark;
    return rc;
}

static const struct ac_note_verifier *find_key(const struct ac_note_verifier *keys, size_t nkeys,
                                               const char *name, size_t name_len, uint32_t id)
{
    for (size_t i = 0; i < nkeys; i++)
        if (keys[i].key_id == id && strlen(keys[i].name) == name_len &&
            memcmp(keys[i].name, name, name_len) == 0)
            return &keys[i];
    return NULL;
}

int ac_note_verify(const char *note, size_t len, const struct ac_note_verifier *keys, size_t nkeys,
                   size_t *text_len, char *why, size_t why_len)
{
    if (len > AC_NOTE_MAX_BYTES) {
        why_set(why, why_len, "note: %zu bytes; at most %d are accepted", len, AC_NOTE_MAX_BYTES);
        return AC_E2BIG;
    }
    if (!text_ok((const uint8_t *)note, len)) {
        why_set(why, why_len, "note: not UTF-8, or holds a control character other than newline");
        return AC_EPARSE;
    }
    if (len < 2 || note[len - 1] != '\n') {
        why_set(why, why_len, "note: does not end in a newline");
        return AC_EPARSE;
    }
    /* The text ends at the last blank line; signature lines are never empty. */
    size_t sep = len - 1;
    while (sep > 0 && !(note[sep - 1] == '\n' && note[sep] == '\n'))
        sep--;
    if (sep == 0 || sep + 1 == len) {
        why_set(why, why_len, "note: no blank line followed by signature lines");
        return AC_EPARSE;
    }
    size_t tlen = sep; /* the text keeps its final newline */

    size_t nsigs = 0, verified = 0;
    const size_t dash_len = sizeof em_dash_space - 1;
    for (size_t pos = sep + 1; pos < len;) {
        const char *line = note + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t line_len = (size_t)(nl - line);
        pos += line_len + 1;
        if (++nsigs > AC_NOTE_MAX_SIGNATURES) {
            why_set(why, why_len, "note: more than %d signatures", AC_NOTE_MAX_SIGNATURES);
            return AC_E2BIG;
        }
        if (line_len < dash_len || memcmp(line, em_dash_space, dash_len) != 0) {
            why_set(why, why_len,
                    "note: signature line %zu does not start with an em dash and a space", nsigs);
            return AC_EPARSE;
        }
        const char *name = line + dash_len;
        const char *space = memchr(name, ' ', line_len - dash_len);
        if (!space || !name_ok(name, (size_t)(space - name))) {
            why_set(why, why_len, "note: signature line %zu has no valid key name", nsigs);
            return AC_EPARSE;
        }
        size_t name_len = (size_t)(space - name);
        const char *b64 = space + 1;
        size_t b64_len = (size_t)(nl - b64);
        uint8_t blob[SIG_BLOB_MAX];
        size_t blob_len;
        if (b64_decode(b64, b64_len, blob, sizeof blob, &blob_len) != 0 || blob_len < 5) {
            why_set(why, why_len,
                    "note: signature line %zu: not base64 of a key id and a signature", nsigs);
            return AC_EPARSE;
        }
        uint32_t id =
            (uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 | (uint32_t)blob[2] << 8 | blob[3];
        const struct ac_note_verifier *k = find_key(keys, nkeys, name, name_len, id);
        if (!k)
            continue;
        if (blob_len != 4 + AC_NOTE_SIG_BYTES ||
            crypto_sign_verify_detached(blob + 4, (const uint8_t *)note, tlen, k->public_key) !=
                0) {
            why_set(why, why_len, "note: the signature by %s+%08x does not verify", k->name,
                    (unsigned)k->key_id);
            return AC_ECRYPTO;
        }
        verified++;
    }
    if (verified == 0) {
        why_set(why, why_len, "note: no signature by a trusted key");
        return AC_ENOENT;
    }
    *text_len = tlen;
    return 0;
}

void ac_checkpoint_release(struct ac_checkpoint *cp)
{
    if (!cp)
        return;
    free(cp->origin);
    free(cp->extensions);
    memset(cp, 0, sizeof *cp);
}

static int extensions_ok(const char *ext)
{
    size_t len = strlen(ext);
    if (len == 0)
        return 1;
    if (ext[len - 1] != '\n' || ext[0] == '\n' || strstr(ext, "\n\n"))
        return 0;
    return text_ok((const uint8_t *)ext, len);
}

int ac_checkpoint_format(const struct ac_checkpoint *cp, struct ac_buf *out)
{
    if (!cp->origin || !cp->origin[0] || strchr(cp->origin, '\n') ||
        !text_ok((const uint8_t *)cp->origin, strlen(cp->origin)) ||
        (cp->extensions && !extensions_ok(cp->extensions)))
        return AC_EINVAL;
    size_t mark = out->len;
    int rc = ac_buf_printf(out, "%s\n%llu\n", cp->origin, (unsigned long long)cp->size);
    if (rc == 0)
        rc = b64_append(out, cp->root, sizeof cp->root);
    if (rc == 0)
        rc = ac_buf_push(out, '\n');
    if (rc == 0 && cp->extensions)
        rc = ac_buf_append_str(out, cp->extensions);
    if (rc)
        out->len = mark;
    return rc;
}

static int parse_size(const char *s, size_t len, uint64_t *out)
{
    if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static char *dup_range(const char *s, size_t len)
{
    char *p = malloc(len + 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

int ac_checkpoint_parse(const char *text, size_t len, struct ac_checkpoint *out, char *why,
                        size_t why_len)
{
    if (len == 0 || text[len - 1] != '\n' || !text_ok((const uint8_t *)text, len)) {
        why_set(why, why_len, "checkpoint: not UTF-8 text ending in a newline");
        return AC_EPARSE;
    }
    const char *line[3];
    size_t line_len[3], pos = 0;
    for (int i = 0; i < 3; i++) {
        if (pos >= len) {
            why_set(why, why_len, "checkpoint: %d lines; origin, size and root hash are required",
                    i);
            return AC_EPARSE;
        }
        const char *nl = memchr(text + pos, '\n', len - pos);
        line[i] = text + pos;
        line_len[i] = (size_t)(nl - line[i]);
        if (line_len[i] == 0) {
            why_set(why, why_len, "checkpoint: line %d is empty", i + 1);
            return AC_EPARSE;
        }
        pos += line_len[i] + 1;
    }
    uint64_t size;
    if (parse_size(line[1], line_len[1], &size) != 0) {
        why_set(why, why_len,
                "checkpoint: tree size \"%.*s\" is not a decimal without leading zeroes",
                (int)(line_len[1] > 24 ? 24 : line_len[1]), line[1]);
        return AC_EPARSE;
    }
    uint8_t root[48];
    size_t root_len;
    if (b64_decode(line[2], line_len[2], root, sizeof root, &root_len) != 0 ||
        root_len != AC_MERKLE_HASH_BYTES) {
        why_set(why, why_len, "checkpoint: root hash is not base64 of 32 bytes");
        return AC_EPARSE;
    }
    /* RFC 9162 §2.1.1: the empty tree's head is SHA-256 of nothing; a
     * size-0 checkpoint with any other root describes no tree. */
    uint8_t empty[AC_MERKLE_HASH_BYTES];
    crypto_hash_sha256(empty, NULL, 0);
    if (size == 0 && sodium_memcmp(root, empty, AC_MERKLE_HASH_BYTES) != 0) {
        why_set(why, why_len,
                "checkpoint: tree size 0 needs the empty tree's root hash "
                "(SHA-256 of nothing, RFC 9162 section 2.1.1)");
        return AC_EPARSE;
    }
    const char *ext = text + pos;
    size_t ext_len = len - pos;
    if (ext_len && (ext[0] == '\n' || memmem(ext, ext_len, "\n\n", 2))) {
        why_set(why, why_len, "checkpoint: an extension line is empty");
        return AC_EPARSE;
    }
    struct ac_checkpoint cp = {0};
    cp.origin = dup_range(line[0], line_len[0]);
    cp.extensions = ext_len ? dup_range(ext, ext_len) : NULL;
    if (!cp.origin || (ext_len && !cp.extensions)) {
        ac_checkpoint_release(&cp);
        return AC_ENOMEM;
    }
    cp.size = size;
    memcpy(cp.root, root, AC_MERKLE_HASH_BYTES);
    *out = cp;
    return 0;
}

int ac_checkpoint_sign(const struct ac_checkpoint *cp, const char *name,
                       const uint8_t public_key[AC_NOTE_PUBLIC_BYTES], ac_note_sign_cb sign,
                       void *ctx, struct ac_buf *out)
{
    struct ac_buf text = AC_BUF_INIT;
    int rc = ac_checkpoint_format(cp, &text);
    if (rc == 0)
        rc = ac_note_sign((const char *)text.data, text.len, name, public_key, sign, ctx, out);
    ac_buf_release(&text);
    return rc;
}

int ac_checkpoint_open(const char *note, size_t len, const struct ac_note_verifier *keys,
                       size_t nkeys, const char *origin, struct ac_checkpoint *out, char *why,
                       size_t why_len)
{
    size_t text_len;
    int rc = ac_note_verify(note, len, keys, nkeys, &text_len, why, why_len);
    if (rc)
        return rc;
    struct ac_checkpoint cp;
    rc = ac_checkpoint_parse(note, text_len, &cp, why, why_len);
    if (rc)
        return rc;
    if (origin && strcmp(origin, cp.origin) != 0) {
        why_set(why, why_len, "checkpoint: origin \"%.64s\" is not the expected \"%.64s\"",
                cp.origin, origin);
        ac_checkpoint_release(&cp);
        return AC_EPARSE;
    }
    *out = cp;
    return 0;
}

int ac_checkpoint_check_consistent(const struct ac_checkpoint *older,
                                   const struct ac_checkpoint *newer,
                                   const struct ac_merkle_proof *proof, char *why, size_t why_len)
{
    if (strcmp(older->origin, newer->origin) != 0) {
        why_set(why, why_len, "checkpoint: origins \"%.64s\" and \"%.64s\" name different logs",
                older->origin, newer->origin);
        return AC_EINVAL;
    }
    if (newer->size < older->size) {
        why_set(why, why_len, "checkpoint: size %llu is smaller than the %llu seen before",
                (unsigned long long)newer->size, (unsigned long long)older->size);
        return AC_ERANGE;
    }
    if (ac_merkle_verify_consistency(older->size, newer->size, proof, older->root, newer->root)) {
        why_set(why, why_len,
                "checkpoint: sizes %llu and %llu are not one history: the consistency proof fails",
                (unsigned long long)older->size, (unsigned long long)newer->size);
        return AC_ECONFLICT;
    }
    return 0;
}
