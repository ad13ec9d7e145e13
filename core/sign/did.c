/* did.c - did:key, did:web documents and JWKS for the node's Ed25519 keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/base64.h"
#include "accord/base/clock.h"
#include "accord/sign/did.h"
#include "accord/base/error.h"
#include "accord/base/refuse.h"

static const char b58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/* Base58btc of |len| bytes into |out| (NUL-terminated); |out| must hold
 * len * 138 / 100 + 2 bytes. Quadratic, which is fine for 34-byte keys. */
static void base58_encode(const uint8_t *in, size_t len, char *out)
{
    uint8_t digits[128] = {0}; /* base-58 digits, least significant first */
    size_t ndigits = 0, zeros = 0;
    while (zeros < len && in[zeros] == 0)
        zeros++;
    for (size_t i = zeros; i < len; i++) {
        unsigned carry = in[i];
        for (size_t j = 0; j < ndigits; j++) {
            carry += (unsigned)digits[j] << 8;
            digits[j] = (uint8_t)(carry % 58);
            carry /= 58;
        }
        while (carry) {
            digits[ndigits++] = (uint8_t)(carry % 58);
            carry /= 58;
        }
    }
    size_t o = 0;
    for (size_t i = 0; i < zeros; i++)
        out[o++] = '1';
    for (size_t i = ndigits; i > 0; i--)
        out[o++] = b58[digits[i - 1]];
    out[o] = '\0';
}

/* Decodes base58btc |s| into |out| (capacity |cap|); returns the length or
 * -1 for a character outside the alphabet or a result that does not fit. */
static long base58_decode(const char *s, uint8_t *out, size_t cap)
{
    uint8_t bytes[128] = {0}; /* least significant first */
    size_t nbytes = 0, zeros = 0;
    while (s[zeros] == '1')
        zeros++;
    for (const char *p = s + zeros; *p; p++) {
        const char *at = strchr(b58, *p);
        if (!at || *p == '\0')
            return -1;
        unsigned carry = (unsigned)(at - b58);
        for (size_t j = 0; j < nbytes; j++) {
            carry += (unsigned)bytes[j] * 58;
            bytes[j] = (uint8_t)carry;
            carry >>= 8;
        }
        while (carry) {
            if (nbytes == sizeof(bytes))
                return -1;
            bytes[nbytes++] = (uint8_t)carry;
            carry >>= 8;
        }
    }
    if (zeros + nbytes > cap)
        return -1;
    memset(out, 0, zeros);
    for (size_t i = 0; i < nbytes; i++)
        out[zeros + i] = bytes[nbytes - 1 - i];
    return (long)(zeros + nbytes);
}

void ac_did_multibase(const uint8_t public_key[32], char out[AC_DID_MULTIBASE_MAX])
{
    /* Multicodec ed25519-pub is 0xed, varint-encoded as 0xed 0x01. */
    uint8_t mc[34] = {0xed, 0x01};
    memcpy(mc + 2, public_key, 32);
    out[0] = 'z';
    base58_encode(mc, sizeof(mc), out + 1);
}

void ac_did_key(const uint8_t public_key[32], char out[AC_DID_KEY_MAX])
{
    memcpy(out, "did:key:", 8);
    ac_did_multibase(public_key, out + 8);
}

int ac_did_key_parse(const char *did, uint8_t public_key[32])
{
    if (strncmp(did, "did:key:", 8) == 0)
        did += 8;
    if (did[0] != 'z')
        return AC_EPARSE;
    uint8_t mc[40];
    long n = base58_decode(did + 1, mc, sizeof(mc));
    if (n != 34 || mc[0] != 0xed || mc[1] != 0x01)
        return AC_EPARSE;
    memcpy(public_key, mc + 2, 32);
    return 0;
}

int ac_did_web_from_url(const char *base_url, char *out, size_t outlen)
{
    const char *host;
    if (strncmp(base_url, "https://", 8) == 0)
        host = base_url + 8;
    else if (strncmp(base_url, "http://", 7) == 0)
        host = base_url + 7;
    else
        return AC_EINVAL;
    if (!*host || *host == '/' || *host == ':')
        return AC_EINVAL;
    struct ac_buf b = AC_BUF_INIT;
    int rc = ac_buf_append_str(&b, "did:web:");
    /* did:web: the port's colon is percent-encoded; path slashes become colons. */
    const char *p = host;
    for (; *p && *p != '/' && rc == 0; p++)
        rc = *p == ':' ? ac_buf_append_str(&b, "%3A") : ac_buf_push(&b, (uint8_t)*p);
    for (; *p && rc == 0; p++) {
        if (*p == '/' && (p[1] == '\0' || p[1] == '/'))
            continue; /* a trailing or doubled slash adds no segment */
        rc = ac_buf_push(&b, *p == '/' ? ':' : (uint8_t)*p);
    }
    if (rc == 0)
        rc = ac_buf_terminate(&b);
    if (rc == 0 && b.len + 1 > outlen)
        rc = AC_E2BIG;
    if (rc == 0)
        memcpy(out, b.data, b.len + 1);
    ac_buf_release(&b);
    return rc;
}

static void kid_hex_of(const uint8_t public_key[32], char hex[2 * AC_KEY_ID_BYTES + 1])
{
    uint8_t digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, public_key, 32);
    sodium_bin2hex(hex, 2 * AC_KEY_ID_BYTES + 1, digest, AC_KEY_ID_BYTES);
}

/* Serialises |root| (taking ownership) onto |out|. */
static int dump(json_t *root, struct ac_buf *out)
{
    if (!root)
        return AC_ENOMEM;
    char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!s)
        return AC_ENOMEM;
    int rc = ac_buf_append_str(out, s);
    free(s);
    return rc;
}

int ac_did_web_document(const char *did, const struct ac_key_info *keys, size_t n,
                        struct ac_buf *out)
{
    if (n == 0)
        return AC_EINVAL;
    json_t *doc = json_object();
    json_t *methods = json_array(), *assertion = json_array();
    if (!doc || !methods || !assertion) {
        json_decref(doc);
        json_decref(methods);
        json_decref(assertion);
        return AC_ENOMEM;
    }
    json_object_set_new(
        doc, "@context",
        json_pack("[ss]", "https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"));
    json_object_set_new(doc, "id", json_string(did));
    for (size_t i = 0; i < n; i++) {
        char mb[AC_DID_MULTIBASE_MAX], hex[2 * AC_KEY_ID_BYTES + 1];
        ac_did_multibase(keys[i].public_key, mb);
        kid_hex_of(keys[i].public_key, hex);
        char *id = NULL;
        if (asprintf(&id, "%s#%s", did, hex) < 0) {
            json_decref(doc);
            json_decref(methods);
            json_decref(assertion);
            return AC_ENOMEM;
        }
        json_array_append_new(methods, json_pack("{ss ss ss ss}", "id", id, "type", "Multikey",
                                                 "controller", did, "publicKeyMultibase", mb));
        json_array_append_new(assertion, json_string(id));
        free(id);
    }
    json_object_set_new(doc, "verificationMethod", methods);
    json_object_set_new(doc, "assertionMethod", assertion);
    return dump(doc, out);
}

int ac_did_jwks(const struct ac_key_info *keys, size_t n, struct ac_buf *out)
{
    if (n == 0)
        return AC_EINVAL;
    json_t *arr = json_array();
    if (!arr)
        return AC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        char x[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
        sodium_bin2base64(x, sizeof(x), keys[i].public_key, 32,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        char hex[2 * AC_KEY_ID_BYTES + 1], from[21], until[21];
        kid_hex_of(keys[i].public_key, hex);
        json_t *k = json_pack("{ss ss ss ss ss ss ss}", "kty", "OKP", "crv", "Ed25519", "x", x,
                              "kid", hex, "alg", "EdDSA", "use", "sig", "valid_from",
                              ac_clock_format(keys[i].not_before_ms, from));
        if (k && keys[i].not_after_ms != 0) {
            int64_t up = keys[i].not_after_ms;
            up = up / 1000 * 1000 + (up % 1000 > 0 ? 1000 : 0);
            json_object_set_new(k, "valid_until", json_string(ac_clock_format(up, until)));
        }
        if (!k || json_array_append_new(arr, k)) {
            json_decref(arr);
            return AC_ENOMEM;
        }
    }
    return dump(json_pack("{so}", "keys", arr), out);
}

static int parse_jwk(const json_t *k, size_t i, struct ac_key_info *out, char *why, size_t whylen)
{
    if (!json_is_object(k))
        return ac_refuse(why, whylen, "keys[%zu]: must be a JSON object", i);
    const char *kty = json_string_value(json_object_get(k, "kty"));
    const char *crv = json_string_value(json_object_get(k, "crv"));
    const char *x = json_string_value(json_object_get(k, "x"));
    if (!kty || strcmp(kty, "OKP") != 0)
        return ac_refuse(why, whylen, "keys[%zu].kty: must be \"OKP\"", i);
    if (!crv || strcmp(crv, "Ed25519") != 0)
        return ac_refuse(why, whylen, "keys[%zu].crv: must be \"Ed25519\"", i);
    size_t n = 0;
    if (!x ||
        ac_base64_decode(x, strlen(x), AC_BASE64_URL_NOPAD, out->public_key,
                         sizeof(out->public_key), &n) != 0 ||
        n != 32)
        return ac_refuse(why, whylen, "keys[%zu].x: must be 32 bytes in unpadded base64url", i);
    kid_hex_of(out->public_key, out->kid_hex);
    sodium_hex2bin(out->kid, sizeof(out->kid), out->kid_hex, 16, NULL, NULL, NULL);
    const json_t *kid = json_object_get(k, "kid");
    if (kid && (!json_is_string(kid) || strcmp(json_string_value(kid), out->kid_hex) != 0))
        return ac_refuse(why, whylen, "keys[%zu].kid: \"%.20s\" is not the key's derived id %s", i,
                         json_is_string(kid) ? json_string_value(kid) : "(not a string)",
                         out->kid_hex);
    static const char *const members[2] = {"valid_from", "valid_until"};
    int64_t *dst[2] = {&out->not_before_ms, &out->not_after_ms};
    for (int m = 0; m < 2; m++) {
        *dst[m] = 0;
        const json_t *v = json_object_get(k, members[m]);
        if (v && (!json_is_string(v) || ac_clock_parse(json_string_value(v), dst[m]) != 0))
            return ac_refuse(why, whylen, "keys[%zu].%s: must be an RFC 3339 time", i, members[m]);
    }
    if (out->not_after_ms != 0 && out->not_after_ms <= out->not_before_ms)
        return ac_refuse(why, whylen, "keys[%zu].valid_until: must be after valid_from", i);
    return 0;
}

int ac_did_jwk_array_parse(const json_t *array, struct ac_key_info **out, size_t *n, char *why,
                           size_t whylen)
{
    if (!json_is_array(array) || json_array_size(array) == 0)
        return ac_refuse(why, whylen, "keys: must be a non-empty array");
    size_t count = json_array_size(array);
    struct ac_key_info *keys = calloc(count, sizeof(*keys));
    if (!keys)
        return AC_ENOMEM;
    for (size_t i = 0; i < count; i++) {
        int rc = parse_jwk(json_array_get(array, i), i, &keys[i], why, whylen);
        if (rc) {
            free(keys);
            return rc;
        }
    }
    *out = keys;
    *n = count;
    return 0;
}

int ac_did_jwks_parse(const char *json, size_t len, struct ac_key_info **out, size_t *n, char *why,
                      size_t whylen)
{
    json_error_t err;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
    if (!root)
        return ac_refuse(why, whylen, "JWKS: line %d: %s", err.line, err.text);
    int rc = ac_did_jwk_array_parse(json_object_get(root, "keys"), out, n, why, whylen);
    json_decref(root);
    return rc;
}
