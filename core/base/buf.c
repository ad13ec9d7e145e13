/* buf.c - a growable byte buffer. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/buf.h"
#include "accord/base/error.h"

void ac_buf_init(struct ac_buf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
}

void ac_buf_release(struct ac_buf *b)
{
    free(b->data);
    ac_buf_init(b);
}

int ac_buf_reserve(struct ac_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1)
        return AC_ENOMEM;
    size_t need = b->len + extra + 1; /* room for ac_buf_terminate() */
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p)
        return AC_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int ac_buf_append(struct ac_buf *b, const void *data, size_t len)
{
    if (len == 0)
        return 0;
    int rc = ac_buf_reserve(b, len);
    if (rc)
        return rc;
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

int ac_buf_append_str(struct ac_buf *b, const char *s)
{
    return ac_buf_append(b, s, strlen(s));
}

int ac_buf_push(struct ac_buf *b, uint8_t byte)
{
    return ac_buf_append(b, &byte, 1);
}

int ac_buf_printf(struct ac_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return AC_EINVAL;
    int rc = ac_buf_reserve(b, (size_t)n);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int ac_buf_terminate(struct ac_buf *b)
{
    int rc = ac_buf_reserve(b, 0);
    if (rc)
        return rc;
    b->data[b->len] = 0;
    return 0;
}

uint8_t *ac_buf_steal(struct ac_buf *b, size_t *len)
{
    uint8_t *p = b->data;
    if (len)
        *len = b->len;
    ac_buf_init(b);
    return p;
}
