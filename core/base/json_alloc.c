/* json_alloc.c - jansson's allocations, watched for failure (json_alloc.h). */
#include <pthread.h>
#include <stdlib.h>

#include <jansson.h>

#include "accord/base/json_alloc.h"

static _Thread_local bool failed;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void *watched_malloc(size_t n)
{
    void *p = malloc(n);
    if (!p)
        failed = true;
    return p;
}

static void watched_free(void *p)
{
    free(p);
}

static void install(void)
{
    json_set_alloc_funcs(watched_malloc, watched_free);
}

void ac_json_alloc_watch(void)
{
    pthread_once(&once, install);
    failed = false;
}

bool ac_json_alloc_failed(void)
{
    return failed;
}
