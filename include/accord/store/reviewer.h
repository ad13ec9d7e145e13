/* reviewer.h - reviewer profiles and each reviewer's certification for a
 * credential, in the states of review/certification.h
 * (core/store/store_reviewer.c).
 * Not thread-safe: use from the loop thread. */
#ifndef AC_STORE_REVIEWER_H
#define AC_STORE_REVIEWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accord/review/certification.h"

struct ac_store; /* store.h */

/* ---- reviewers: profiles ---- */

#define AC_REVIEWER_TEXT_MAX 128     /* school, district */
#define AC_REVIEWER_DOMAINS_MAX 1024 /* the JSON array text of domain names */

struct ac_reviewer_profile {
    int64_t user_id;
    char school[AC_REVIEWER_TEXT_MAX + 1];
    char district[AC_REVIEWER_TEXT_MAX + 1];
    char domains[AC_REVIEWER_DOMAINS_MAX + 1]; /* JSON array of strings, e.g. ["ELA"] */
    bool available;                            /* false: on vacation or set unavailable */
    int64_t unavailable_until_ms;              /* 0: no end set */
    int64_t general_module_ms;                 /* 0 until the node's general module was completed */
    int64_t created_ms, updated_ms;
};

/* Creates or updates the profile of p->user_id: school, district, domains,
 * available and unavailable_until_ms (general_module_ms and created_ms are
 * kept on update). Returns 0, AC_EINVAL (a field too long), AC_ENOENT (no
 * such user), AC_EIO or AC_EDB. */
int ac_store_reviewer_put(struct ac_store *st, const struct ac_reviewer_profile *p, int64_t now_ms);

/* Fills |*out|. Returns 0, AC_ENOENT or AC_EDB. */
int ac_store_reviewer_get(struct ac_store *st, int64_t user_id, struct ac_reviewer_profile *out);

/* Records that |user_id| completed the general module (first time only; a
 * repeat keeps the first time). Returns 0, AC_ENOENT (no profile), AC_EIO or AC_EDB. */
int ac_store_reviewer_general_done(struct ac_store *st, int64_t user_id, int64_t now_ms);

/* ---- reviewers: certification per credential ---- */

struct ac_reviewer_cert {
    int64_t credential_id; /* struct ac_credential.id */
    int64_t user_id;
    enum ac_rcert_state state;
    char *answers;   /* owned JSON object: the eligibility answers */
    char *screening; /* owned JSON array: one result per qualification */
    int64_t applied_ms, screened_ms, trained_ms, certified_ms, failed_ms, updated_ms;
    int64_t attempts;        /* certification attempts finished */
    int64_t next_attempt_ms; /* earliest next attempt after a failure; 0 none */
};

/* Frees what |c| owns and zeroes it; NULL is a no-op. */
void ac_reviewer_cert_release(struct ac_reviewer_cert *c);

/* Records |user_id|'s application for credential row |credential_id| in
 * |state| (APPLIED, REJECTED or SCREENED: the node may decide at once) with
 * the JSON texts |answers| and |screening| (copied). Returns 0, AC_EINVAL,
 * AC_EEXIST (already applied), AC_ENOENT (no such credential or user),
 * AC_EIO or AC_EDB. */
int ac_store_reviewer_cert_create(struct ac_store *st, int64_t credential_id, int64_t user_id,
                                  enum ac_rcert_state state, const char *answers,
                                  const char *screening, int64_t now_ms);

/* Fills |*out| (release it). Returns 0, AC_ENOENT, AC_ENOMEM or AC_EDB. */
int ac_store_reviewer_cert_get(struct ac_store *st, int64_t credential_id, int64_t user_id,
                               struct ac_reviewer_cert *out);

/* Lists the certifications of |credential_id| with user id > |after_user|, in
 * user order, at most |max|; only those in |state| unless it is negative.
 * Sets |*n|; the caller releases out[0..n). Returns 0, AC_ENOMEM or AC_EDB. */
int ac_store_reviewer_cert_list(struct ac_store *st, int64_t credential_id, int state,
                                int64_t after_user, struct ac_reviewer_cert *out, size_t max,
                                size_t *n);

/* Sets |*n| to the reviewers of |credential_id| in |state|. Returns 0 or AC_EDB. */
int ac_store_reviewer_cert_count(struct ac_store *st, int64_t credential_id,
                                 enum ac_rcert_state state, int64_t *n);

/* Lists the credential rows |user_id| is certified for (in the pool of), in
 * row order, into a new array (*out may be NULL with *n 0). Returns 0,
 * AC_ENOMEM or AC_EDB. */
int ac_store_reviewer_certified_rows(struct ac_store *st, int64_t user_id, int64_t **out,
                                     size_t *n);

/* Moves the certification from |from| to |to|, stamping the time column of
 * |to| (screened_ms, trained_ms, certified_ms, failed_ms), and replaces the
 * screening JSON when |screening| is not NULL. Returns 0, AC_ENOENT,
 * AC_ECONFLICT (not in |from|), AC_EIO or AC_EDB. */
int ac_store_reviewer_cert_transition(struct ac_store *st, int64_t credential_id, int64_t user_id,
                                      enum ac_rcert_state from, enum ac_rcert_state to,
                                      const char *screening, int64_t now_ms);

#endif
