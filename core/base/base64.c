/* base64.c - strict base64 decoding (see base64.h for why). */
#include <sodium.h>

#include "accord/base/base64.h"
#include "accord/base/error.h"

static int in_alphabet(unsigned char c, enum ac_base64_variant v)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return 1;
    if (v == AC_BASE64_STD)
        return c == '+' || c == '/';
    return c == '-' || c == '_';
}

int ac_base64_decode(const char *s, size_t len, enum ac_base64_variant v, uint8_t *out,
                     size_t max, size_t *out_len)
{
    size_t body = len;
    if (v == AC_BASE64_STD) {
        if (len % 4 != 0)
            return AC_EPARSE;
        while (body > 0 && len - body < 2 && s[body - 1] == '=')
            body--;
    } else if (len % 4 == 1) {
        return AC_EPARSE;
    }
    for (size_t i = 0; i < body; i++)
        if (!in_alphabet((unsigned char)s[i], v))
            return AC_EPARSE;
    if ((body * 3) / 4 > max)
        return AC_E2BIG;
    size_t n;
    const char *end;
    int variant = v == AC_BASE64_STD ? sodium_base64_VARIANT_ORIGINAL
                                     : sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    if (sodium_base642bin(out, max, s, len, NULL, &n, &end, variant) != 0 || end != s + len)
        return AC_EPARSE;
    *out_len = n;
    return 0;
}
