/* remote_cert.h - a local reviewer's certifications by other nodes, as the
 * lender keeps them (core/store/store_remote_cert.c): what the issuer last
 * said (state, modules, the open attempt's draw, the last grading, a
 * refusal) and the reviewer-certification record it signed.
 * Not thread-safe: use from the loop thread. */
#ifndef AC_STORE_REMOTE_CERT_H
#define AC_STORE_REMOTE_CERT_H

#include <stddef.h>
#include <stdint.h>

struct ac_store; /* store.h */

#define AC_REMOTE_CERT_NODE_MAX 64
#define AC_REMOTE_CERT_CRED_MAX 64
#define AC_REMOTE_CERT_STATE_MAX 16

struct ac_remote_cert {
    int64_t id;
    int64_t user_id; /* the local reviewer */
    char issuer[AC_REMOTE_CERT_NODE_MAX + 1];
    char credential[AC_REMOTE_CERT_CRED_MAX + 1]; /* the issuer's definition id */
    int64_t version;                              /* 0 until the issuer names it */
    /* The issuer's certification state ("applied" ... "certified"), or
     * "sent" before its first word, or "refused" when it refused a message. */
    char state[AC_REMOTE_CERT_STATE_MAX + 1];
    /* The request sent and not yet answered ("apply", "trained", "attempt",
     * "answers"), "" when none. */
    char pending[AC_REMOTE_CERT_STATE_MAX + 1];
    char *detail;    /* owned JSON object text: the issuer's last word */
    uint8_t *record; /* owned: the signed record, NULL when none */
    size_t record_len;
    int64_t expires_ms; /* the record's expiry; 0 when none */
    int64_t created_ms, updated_ms;
};

/* Frees what |c| owns; NULL is a no-op. */
void ac_remote_cert_release(struct ac_remote_cert *c);

/* Creates the certification of |user_id| by |issuer| for |credential| in
 * state "sent" with |pending|. Sets |*id|. Returns 0, AC_EEXIST (one is
 * already kept), AC_ENOENT (no such user), AC_EIO or AC_EDB. */
int ac_store_remote_cert_create(struct ac_store *st, int64_t user_id, const char *issuer,
                                const char *credential, const char *pending, int64_t now_ms,
                                int64_t *id);

/* Fills |*out| (release it) with row |id|. Returns 0, AC_ENOENT, AC_ENOMEM or
 * AC_EDB. */
int ac_store_remote_cert_get(struct ac_store *st, int64_t id, struct ac_remote_cert *out);

/* Fills |*out| (release it) with the row of |user_id|, |issuer|,
 * |credential|. Returns 0, AC_ENOENT, AC_ENOMEM or AC_EDB. */
int ac_store_remote_cert_find(struct ac_store *st, int64_t user_id, const char *issuer,
                              const char *credential, struct ac_remote_cert *out);

/* Lists the rows of |user_id| (0: of every user) with id > |after|, in id
 * order, at most |max| into |out| (release each); sets |*n|. Returns 0,
 * AC_ENOMEM or AC_EDB. */
int ac_store_remote_cert_list(struct ac_store *st, int64_t user_id, int64_t after,
                              struct ac_remote_cert *out, size_t max, size_t *n);

/* Marks request |pending| ("" for none) sent for row |id|. Returns 0,
 * AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_remote_cert_pending(struct ac_store *st, int64_t id, const char *pending,
                                 int64_t now_ms);

/* Takes the issuer's word for row |id|: |version|, |state|, |detail| (JSON
 * text) and, when |record| is not NULL, the record (|len| bytes) and its
 * |expires_ms|; a NULL |record| drops a kept one when |drop_record|, else
 * keeps it. Clears the pending request. Returns 0, AC_ENOENT, AC_EIO or
 * AC_EDB. */
int ac_store_remote_cert_update(struct ac_store *st, int64_t id, int64_t version, const char *state,
                                const char *detail, const uint8_t *record, size_t len,
                                int64_t expires_ms, int drop_record, int64_t now_ms);

/* On the issuer: may record |record_id| back |user_id|'s claim to hold
 * |def_id|? Sets |*ok| when this node issued it for |def_id|, its status is
 * valid, and no other user is registered holding a credential under |tag|
 * (the held_credentials issuer text naming that record), so one record backs
 * one reviewer. Returns 0 or AC_EDB. */
int ac_store_remote_cert_record_check(struct ac_store *st, int64_t record_id, const char *def_id,
                                      const char *tag, int64_t user_id, int *ok);

#endif
