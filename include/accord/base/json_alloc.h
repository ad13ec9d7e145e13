/* json_alloc.h - tells a JSON parse that ran out of memory from malformed
 * input. jansson reports some allocation failures inside its lexer as syntax
 * errors ("string or '}' expected"), which would turn a node's own failure
 * into a 400 blaming the client, and others by cutting a string short while
 * reporting success; routing jansson's allocations through here
 * lets the caller see that one failed. */
#ifndef AC_JSON_ALLOC_H
#define AC_JSON_ALLOC_H

#include <stdbool.h>

/* Installs the watching allocator (once per process) and clears this
 * thread's failure flag. Call right before a json_load*(). */
void ac_json_alloc_watch(void);

/* Returns true when an allocation by jansson failed on this thread since the
 * last ac_json_alloc_watch(). */
bool ac_json_alloc_failed(void);

#endif
