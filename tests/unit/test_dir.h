/* test_dir.h - a fresh directory for one unit test's files, under $TMPDIR
 * when it is set (so a run can keep its files apart from other runs'), else
 * under /tmp. Header-only (static): each test file is its own executable. */
#ifndef AC_TEST_DIR_H
#define AC_TEST_DIR_H

#include <stdio.h>
#include <stdlib.h>

/* Makes <tmp>/<prefix>-XXXXXX into |buf| (|size| bytes). Returns 0, or -1
 * when the name does not fit or mkdtemp() fails. */
static inline int test_make_dir(char *buf, size_t size, const char *prefix)
{
    const char *tmp = getenv("TMPDIR");
    int n = snprintf(buf, size, "%s/%s-XXXXXX", tmp && tmp[0] ? tmp : "/tmp", prefix);
    if (n < 0 || (size_t)n >= size)
        return -1;
    return mkdtemp(buf) ? 0 : -1;
}

#endif
