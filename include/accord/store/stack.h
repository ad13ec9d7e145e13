/* stack.h - stacks of credentials and the stack credential each earner was
 * issued (core/store/store_stack.c). Writes are steps of the caller's
 * transaction (store.h); outside one they return AC_EBUG.
 * Not thread-safe: use from the loop thread. */
#ifndef AC_STORE_STACK_H
#define AC_STORE_STACK_H

#include <stddef.h>
#include <stdint.h>

struct ac_store; /* store.h */

#define AC_STACK_ID_MAX 64
#define AC_STACK_MEMBERS_MAX 16

struct ac_stack {
    char id[AC_STACK_ID_MAX + 1];
    char *title;   /* owned */
    char *members; /* owned JSON array of credential ids */
    int64_t ceu_hundredths;
    int64_t created_by, created_ms;
};

void ac_stack_release(struct ac_stack *s);

/* Declares stack |id|. Returns 0, AC_EBUG, AC_EEXIST, AC_EIO or AC_EDB. */
int ac_store_stack_create(struct ac_store *st, const char *id, const char *title,
                          const char *members, int64_t ceu_hundredths, int64_t by,
                          int64_t now_ms);

int ac_store_stack_get(struct ac_store *st, const char *id, struct ac_stack *out);

/* Lists every stack into a new array of |*n| (release each, then free()).
 * Returns 0, AC_ENOMEM or AC_EDB. */
int ac_store_stack_list(struct ac_store *st, struct ac_stack **out, size_t *n);

/* The stack record of |earner_id| for |stack_id|: sets |*record_id|. Returns
 * 0, AC_ENOENT or AC_EDB. */
int ac_store_stack_record_get(struct ac_store *st, const char *stack_id, int64_t earner_id,
                              int64_t *record_id);

/* Links |record_id| as |earner_id|'s record of |stack_id|. Returns 0, AC_EBUG,
 * AC_EEXIST (issued already), AC_EIO or AC_EDB. */
int ac_store_stack_record_set(struct ac_store *st, const char *stack_id, int64_t earner_id,
                              int64_t record_id, int64_t now_ms);

#endif
