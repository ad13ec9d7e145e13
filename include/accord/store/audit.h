/* audit.h - the audit trail: who did what to which subject, written in the
 * transaction of the change it records (core/store/store_audit.c).
 * Not thread-safe: use from the loop thread. */
#ifndef AC_STORE_AUDIT_H
#define AC_STORE_AUDIT_H

#include <stddef.h>
#include <stdint.h>

struct ac_store; /* store.h */

/* ---- audit trail ---- */

#define AC_AUDIT_KIND_MAX 32
#define AC_AUDIT_SUBJECT_MAX 128
#define AC_AUDIT_ACTION_MAX 64
#define AC_AUDIT_NODE_MAX 128

struct ac_audit_entry {
    int64_t id;
    char subject_kind[AC_AUDIT_KIND_MAX + 1];  /* "credential", "reviewer", "submission", ... */
    char subject_id[AC_AUDIT_SUBJECT_MAX + 1]; /* e.g. "formative-feedback@2", "7" */
    int64_t actor_user_id;                     /* 0: the node itself (scheduler, peers) */
    char node_id[AC_AUDIT_NODE_MAX + 1];       /* the node where it happened */
    char action[AC_AUDIT_ACTION_MAX + 1];      /* e.g. "transition", "apply" */
    char *detail;                              /* owned JSON object text */
    int64_t at_ms;
};

/* Frees what |e| owns; NULL is a no-op. */
void ac_audit_entry_release(struct ac_audit_entry *e);

/* Appends an audit row. |detail| is JSON object text (NULL: "{}"); every
 * string is copied. Call it inside the transaction of the change it records
 * (ac_store_tx_begin) so both commit together. Returns 0, AC_EINVAL (a field
 * empty or too long), AC_EIO or AC_EDB. */
int ac_store_audit_add(struct ac_store *st, const char *subject_kind, const char *subject_id,
                       int64_t actor_user_id, const char *node_id, const char *action,
                       const char *detail, int64_t now_ms);

/* Lists the audit rows of one subject with id > |after_id|, oldest first, at
 * most |max|. Sets |*n|; the caller releases out[0..n). Returns 0, AC_ENOMEM
 * or AC_EDB. */
int ac_store_audit_list(struct ac_store *st, const char *subject_kind, const char *subject_id,
                        int64_t after_id, struct ac_audit_entry *out, size_t max, size_t *n);

#endif
