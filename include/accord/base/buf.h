/* buf.h - a growable byte buffer, embedded by value in its owner. */
#ifndef AC_BUF_H
#define AC_BUF_H

#include <stddef.h>
#include <stdint.h>

struct ac_buf {
    uint8_t *data; /* owned; NULL until the first append */
    size_t len;
    size_t cap;
};

#define AC_BUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void ac_buf_init(struct ac_buf *b);

/* Frees the contents and leaves |b| empty and reusable. */
void ac_buf_release(struct ac_buf *b);

/* Ensures room for |extra| more bytes. Returns 0 or AC_ENOMEM. */
int ac_buf_reserve(struct ac_buf *b, size_t extra);

/* Appends |len| bytes of |data|. Returns 0 or AC_ENOMEM; on failure |b| is unchanged. */
int ac_buf_append(struct ac_buf *b, const void *data, size_t len);

/* Appends the NUL-terminated |s| without its terminator. Returns 0 or AC_ENOMEM. */
int ac_buf_append_str(struct ac_buf *b, const char *s);

/* Appends formatted text (no terminator). Returns 0, AC_ENOMEM or AC_EINVAL. */
int ac_buf_printf(struct ac_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends one byte. Returns 0 or AC_ENOMEM. */
int ac_buf_push(struct ac_buf *b, uint8_t byte);

/* Ensures data[len] == 0 without counting it, so data can be used as a C string.
 * Returns 0 or AC_ENOMEM. */
int ac_buf_terminate(struct ac_buf *b);

/* Hands the contents to the caller, who frees them with free(); |b| is left empty. */
uint8_t *ac_buf_steal(struct ac_buf *b, size_t *len);

#endif
