/* alloc_fail.h - fail the Nth allocation (SQLite's and curl's habit): a test
 * that includes this and is linked with
 *   -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=strndup
 * (tests/CMakeLists.txt does so for test_*alloc*.c) sees every allocation our
 * static libraries make go through a countdown; jansson's are routed to it too.
 *
 * Run an operation with alloc_fail_loop(): it runs the operation with the 1st,
 * 2nd, ... allocation failing until one run needs no failed allocation; each
 * run must return 0 or AC_ENOMEM and leak nothing (LeakSanitizer checks in the
 * sanitizer build). */
#ifndef AC_TEST_ALLOC_FAIL_H
#define AC_TEST_ALLOC_FAIL_H

#include <stddef.h>
#include <string.h>

#include <execinfo.h>
#include <stdlib.h>
#include <unistd.h>

#include <jansson.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);

/* 0: never fail; k > 0: the k-th allocation from now fails (and only it). */
static long alloc_fail_at;
static long alloc_count;
static int alloc_failed; /* the countdown hit during this run */

static int alloc_should_fail(void)
{
    alloc_count++;
    if (alloc_fail_at > 0 && alloc_count == alloc_fail_at) {
        alloc_failed = 1;
        /* ALLOC_FAIL_TRACE=1 prints where each injected failure happens. */
        if (getenv("ALLOC_FAIL_TRACE")) {
            void *frames[16];
            int n = backtrace(frames, 16);
            backtrace_symbols_fd(frames, n, 2);
        }
        return 1;
    }
    return 0;
}

void *__wrap_malloc(size_t n)
{
    return alloc_should_fail() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return alloc_should_fail() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    return alloc_should_fail() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
    return alloc_should_fail() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
    return alloc_should_fail() ? NULL : __real_strndup(s, n);
}

static void *json_malloc_counted(size_t n)
{
    return __wrap_malloc(n);
}

static void json_free_counted(void *p)
{
    free(p);
}

static void alloc_fail_init(void)
{
    json_set_alloc_funcs(json_malloc_counted, json_free_counted);
}

/* Runs |op(ctx)| failing allocation 1, 2, ... until a run completes with no
 * failure injected; every run's result goes to |check(ctx, rc, failed)|.
 * Returns the number of runs that had an allocation fail. */
static long alloc_fail_loop(int (*op)(void *ctx), void (*check)(void *ctx, int rc, int failed),
                            void *ctx)
{
    for (long k = 1;; k++) {
        alloc_fail_at = k;
        alloc_count = 0;
        alloc_failed = 0;
        int rc = op(ctx);
        int failed = alloc_failed;
        alloc_fail_at = 0;
        check(ctx, rc, failed);
        if (!failed)
            return k - 1;
    }
}

#endif
