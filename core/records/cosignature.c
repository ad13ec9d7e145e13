/* cosignature.c - C2SP tlog-cosignature/v1: witness keys, the signed
 * message, cosignature lines written, split and verified. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/base64.h"
#include "accord/base/error.h"
#include "accord/base/refuse.h"
#include "accord/records/cosignature.h"
#include "internal.h"

static const char em_dash_space[] = "\xe2\x80\x94 "; /* U+2014, U+0020 */

uint32_t ac_cosig_key_id(const char *name, const uint8_t public_key[AC_NOTE_PUBLIC_BYTES])
{
    return ac__note_key_id(name, AC_COSIG_ALG, public_key);
}

int ac_cosig_witness_init(struct ac_cosig_witness *out, const char *name,
                          const uint8_t public_key[AC_NOTE_PUBLIC_BYTES])
{
    /* The name rules are the signed note's: a line's key name is one. */
    struct ac_note_verifier v;
    if (ac_note_verifier_init(&v, name, public_key))
        return AC_EINVAL;
    memcpy(out->name, v.name, sizeof out->name);
    memcpy(out->public_key, public_key, AC_NOTE_PUBLIC_BYTES);
    out->key_id = ac_cosig_key_id(out->name, public_key);
    return 0;
}

int ac_cosig_witness_parse(const char *vkey, struct ac_cosig_witness *out)
{
    const char *p1 = strchr(vkey, '+');
    const char *p2 = p1 ? strchr(p1 + 1, '+') : NULL;
    if (!p2 || p2 - (p1 + 1) != 8 || (size_t)(p1 - vkey) > AC_NOTE_NAME_MAX)
        return AC_EPARSE;
    uint32_t id = 0;
    for (const char *h = p1 + 1; h < p2; h++) {
        int d = (*h >= '0' && *h <= '9') ? *h - '0' : (*h >= 'a' && *h <= 'f') ? *h - 'a' + 10 : -1;
        if (d < 0)
            return AC_EPARSE;
        id = id << 4 | (uint32_t)d;
    }
    uint8_t key[1 + AC_NOTE_PUBLIC_BYTES];
    size_t key_len = 0;
    if (ac_base64_decode(p2 + 1, strlen(p2 + 1), AC_BASE64_STD, key, sizeof key, &key_len) != 0 ||
        key_len != sizeof key || key[0] != AC_COSIG_ALG)
        return AC_EPARSE;
    char name[AC_NOTE_NAME_MAX + 1];
    memcpy(name, vkey, (size_t)(p1 - vkey));
    name[p1 - vkey] = '\0';
    struct ac_cosig_witness w;
    if (ac_cosig_witness_init(&w, name, key + 1) || w.key_id != id)
        return AC_EPARSE;
    *out = w;
    return 0;
}

int ac_cosig_witness_format(const struct ac_cosig_witness *w, struct ac_buf *out)
{
    uint8_t key[1 + AC_NOTE_PUBLIC_BYTES];
    key[0] = AC_COSIG_ALG;
    memcpy(key + 1, w->public_key, AC_NOTE_PUBLIC_BYTES);
    char b64[sodium_base64_ENCODED_LEN(sizeof key, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof b64, key, sizeof key, sodium_base64_VARIANT_ORIGINAL);
    return ac_buf_printf(out, "%s+%08x+%s", w->name, (unsigned)w->key_id, b64);
}

int ac_cosig_message(uint64_t time_s, const char *text, size_t len, struct ac_buf *out)
{
    size_t mark = out->len;
    if (ac_buf_printf(out, "cosignature/v1\ntime %llu\n", (unsigned long long)time_s) ||
        ac_buf_append(out, text, len)) {
        out->len = mark;
        return AC_ENOMEM;
    }
    return 0;
}

int ac_cosig_sign(const char *text, size_t len, const char *name,
                  const uint8_t public_key[AC_NOTE_PUBLIC_BYTES], uint64_t time_s,
                  ac_note_sign_cb sign, void *ctx, struct ac_buf *out)
{
    struct ac_cosig_witness w;
    if (ac_cosig_witness_init(&w, name, public_key))
        return AC_EINVAL;
    uint8_t raw[AC_COSIG_RAW_BYTES];
    for (int i = 0; i < 4; i++)
        raw[i] = (uint8_t)(w.key_id >> (24 - 8 * i));
    for (int i = 0; i < 8; i++)
        raw[4 + i] = (uint8_t)(time_s >> (56 - 8 * i));
    struct ac_buf msg = AC_BUF_INIT;
    int rc = ac_cosig_message(time_s, text, len, &msg);
    if (rc == 0)
        rc = sign(ctx, msg.data, msg.len, raw + 12);
    ac_buf_release(&msg);
    if (rc)
        return rc;
    char b64[sodium_base64_ENCODED_LEN(AC_COSIG_RAW_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);
    return ac_buf_printf(out, "%s%s %s\n", em_dash_space, w.name, b64);
}

int ac_cosig_line_parse(const char *line, size_t len, struct ac_cosig_line *out, char *why,
                        size_t why_len)
{
    size_t dl = sizeof em_dash_space - 1;
    if (len > 0 && line[len - 1] == '\n')
        len--;
    if (len > AC_COSIG_LINE_MAX)
        return ac_refuse(why, why_len, "cosignature line: %zu bytes; at most %d", len,
                         AC_COSIG_LINE_MAX);
    if (len < dl || memcmp(line, em_dash_space, dl) != 0)
        return ac_refuse(why, why_len, "cosignature line: must begin with \"\xe2\x80\x94 \"");
    const char *name = line + dl;
    const char *sp = memchr(name, ' ', len - dl);
    if (!sp || sp == name || memchr(line, '\n', len))
        return ac_refuse(why, why_len,
                         "cosignature line: must be \"\xe2\x80\x94 <name> <base64 of %d bytes>\"",
                         AC_COSIG_RAW_BYTES);
    uint8_t raw[AC_COSIG_RAW_BYTES];
    size_t n = 0;
    const char *b64 = sp + 1;
    if (ac_base64_decode(b64, len - (size_t)(b64 - line), AC_BASE64_STD, raw, sizeof raw, &n) !=
            0 ||
        n != sizeof raw)
        return ac_refuse(why, why_len,
                         "cosignature line of %.*s: the signature must be base64 of %d bytes "
                         "(key id, time, Ed25519 signature)",
                         (int)(sp - name > 64 ? 64 : sp - name), name, AC_COSIG_RAW_BYTES);
    out->name = name;
    out->name_len = (size_t)(sp - name);
    out->key_id = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 | (uint32_t)raw[2] << 8 | raw[3];
    out->time_s = 0;
    for (int i = 0; i < 8; i++)
        out->time_s = out->time_s << 8 | raw[4 + i];
    memcpy(out->signature, raw + 12, 64);
    return 0;
}

int ac_cosig_verify(const struct ac_cosig_line *l, const struct ac_cosig_witness *w,
                    const char *text, size_t len)
{
    if (l->name_len != strlen(w->name) || memcmp(l->name, w->name, l->name_len) != 0 ||
        l->key_id != w->key_id)
        return AC_ENOENT;
    struct ac_buf msg = AC_BUF_INIT;
    int rc = ac_cosig_message(l->time_s, text, len, &msg);
    if (rc == 0 && crypto_sign_verify_detached(l->signature, msg.data, msg.len, w->public_key) != 0)
        rc = AC_ECRYPTO;
    ac_buf_release(&msg);
    return rc;
}
