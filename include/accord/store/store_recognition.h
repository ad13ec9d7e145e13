/* store_recognition.h - what a recognizer (district, state, employer) keeps in
 * the node's store: recognition policies (which credentials from which issuers
 * count, for how many CEUs, toward what), earners' approval requests, the
 * credentials teachers presented and the verdict of verifying them, and the
 * teacher's recognized total derived from those. Statements live in
 * core/store_recognition.c (schema: migration 5).
 *
 * Every write is one BEGIN IMMEDIATE transaction, durable on return. Not
 * thread-safe: use from the loop thread. */
#ifndef AC_STORE_RECOGNITION_H
#define AC_STORE_RECOGNITION_H

#include <stddef.h>
#include <stdint.h>

struct ac_store; /* store.h */

/* What a recognized credential counts toward. */
enum ac_purpose {
    AC_PURPOSE_CEU,         /* continuing education units */
    AC_PURPOSE_PAY_SCALE,   /* a step or lane on the salary schedule */
    AC_PURPOSE_RELICENSURE, /* renewal of a teaching licence */
};
#define AC_PURPOSE_COUNT 3

/* Returns "ceu", "pay_scale" or "relicensure", or NULL for anything else. */
const char *ac_purpose_name(enum ac_purpose p);

/* Parses a purpose name. Returns 0 and sets |*out|, or AC_EINVAL. */
int ac_purpose_parse(const char *name, enum ac_purpose *out);

#define AC_POLICY_ISSUER_MAX 200     /* bytes: an issuer's node id, base URL or DID */
#define AC_POLICY_CREDENTIAL_MAX 64  /* bytes: a credential definition id */
#define AC_POLICY_PEER_MAX 64        /* bytes: a federation peer's node id */
#define AC_POLICY_HASH_MAX 71        /* "sha256:" + 64 hex digits */
#define AC_RECOGNITION_NOTE_MAX 500  /* bytes of free text (notes, reasons) */
#define AC_CEU_HUNDREDTHS_MAX 100000 /* 1000 CEUs: no single credential is worth more */

struct ac_policy {
    int64_t id;
    int64_t recognizer_id;                 /* the user who owns the policy */
    char issuer[AC_POLICY_ISSUER_MAX + 1]; /* matched exactly against a record's iss */
    char credential_id[AC_POLICY_CREDENTIAL_MAX + 1];
    uint64_t min_version;   /* >= 1: older versions of the credential do not count */
    int has_ceu;            /* 0: the record's own CEUs count */
    int64_t ceu_hundredths; /* when has_ceu: 0..AC_CEU_HUNDREDTHS_MAX */
    enum ac_purpose purpose;
    int requires_approval; /* earners must ask before pursuing the credential */
    char note[AC_RECOGNITION_NOTE_MAX + 1];
    /* A peer's credential named by its content hash: the peer's node id and
     * "sha256:<64 hex>" of the definition version its signed catalog lists
     * (min_version is then that version, and only it counts); both "" when
     * the policy pins no definition. */
    char peer[AC_POLICY_PEER_MAX + 1];
    char content_hash[AC_POLICY_HASH_MAX + 1];
    int64_t created_ms;
    int64_t retired_ms; /* 0 while active */
};

/* Stores the policy in |*p| (id, created_ms and retired_ms are ignored and set
 * on success). Returns 0, AC_EINVAL (an empty or over-long text, min_version
 * 0, CEUs out of range, a bad purpose), AC_ENOENT (no such recognizer user),
 * AC_EEXIST (the recognizer already has an active policy for this issuer,
 * credential and purpose), AC_EIO or AC_EDB. */
int ac_store_policy_create(struct ac_store *st, struct ac_policy *p, int64_t now_ms);

/* Fills |*out| with policy |id| (active or retired). Returns 0, AC_ENOENT or AC_EDB. */
int ac_store_policy_get(struct ac_store *st, int64_t id, struct ac_policy *out);

/* Lists active policies with id > |after_id| in id order, only those of
 * |recognizer_id| when it is not 0, at most |max| into |out|; sets |*n|.
 * Returns 0 or AC_EDB. */
int ac_store_policy_list(struct ac_store *st, int64_t recognizer_id, int64_t after_id,
                         struct ac_policy *out, size_t max, size_t *n);

/* Lists the active policies of |recognizer_id| for |issuer| and
 * |credential_id| (one per purpose at most), at most |max|; sets |*n|.
 * Returns 0 or AC_EDB. */
int ac_store_policy_match(struct ac_store *st, int64_t recognizer_id, const char *issuer,
                          const char *credential_id, struct ac_policy *out, size_t max, size_t *n);

/* Retires policy |id| at |now_ms| when |recognizer_id| owns it; retiring a
 * retired policy changes nothing. Returns 0, AC_ENOENT (no such policy, or
 * another recognizer's), AC_EIO or AC_EDB. */
int ac_store_policy_retire(struct ac_store *st, int64_t id, int64_t recognizer_id, int64_t now_ms);

/* ---- approvals: an earner asks a recognizer before pursuing a credential ---- */

enum ac_approval_state { AC_APPROVAL_PENDING, AC_APPROVAL_APPROVED, AC_APPROVAL_DENIED };

/* Returns "pending", "approved" or "denied", or NULL. */
const char *ac_approval_state_name(enum ac_approval_state s);

/* Parses an approval state name. Returns 0 and sets |*out|, or AC_EINVAL. */
int ac_approval_state_parse(const char *name, enum ac_approval_state *out);

struct ac_approval {
    int64_t id;
    int64_t earner_id;
    int64_t recognizer_id;
    int64_t policy_id; /* the policy that required it */
    char issuer[AC_POLICY_ISSUER_MAX + 1];
    char credential_id[AC_POLICY_CREDENTIAL_MAX + 1];
    enum ac_approval_state state;
    char note[AC_RECOGNITION_NOTE_MAX + 1];   /* the earner's, may be empty */
    char reason[AC_RECOGNITION_NOTE_MAX + 1]; /* the recognizer's, once decided */
    int64_t requested_ms;
    int64_t decided_ms; /* 0 while pending */
};

/* Records |earner_id|'s request to pursue the credential of active policy
 * |policy_id| (which must require approval), with |note| (may be NULL).
 * Fills |*out| on 0. Returns 0, AC_EINVAL (note too long), AC_ENOENT (no such
 * earner or policy), AC_ECONFLICT (the policy is retired or does not require
 * approval), AC_EEXIST (a pending or approved request for the same recognizer
 * and credential exists; a denied one may be asked again), AC_EIO or AC_EDB. */
int ac_store_approval_request(struct ac_store *st, int64_t earner_id, int64_t policy_id,
                              const char *note, int64_t now_ms, struct ac_approval *out);

/* Fills |*out| with approval |id|. Returns 0, AC_ENOENT or AC_EDB. */
int ac_store_approval_get(struct ac_store *st, int64_t id, struct ac_approval *out);

/* Lists approvals with id > |after_id| in id order: when |party| is not 0 only
 * those where it is the earner or the recognizer; when |state| >= 0 only
 * those in that state. At most |max| into |out|; sets |*n|. Returns 0 or AC_EDB. */
int ac_store_approval_list(struct ac_store *st, int64_t party, int state, int64_t after_id,
                           struct ac_approval *out, size_t max, size_t *n);

/* Decides pending approval |id| addressed to |recognizer_id|: approved when
 * |approve|, else denied, with |reason| (may be NULL when approving). Fills
 * |*out| on 0. Returns 0, AC_EINVAL (reason too long, or missing on a denial),
 * AC_ENOENT (no such approval addressed to |recognizer_id|), AC_ECONFLICT
 * (already decided), AC_EIO or AC_EDB. */
int ac_store_approval_decide(struct ac_store *st, int64_t id, int64_t recognizer_id, int approve,
                             const char *reason, int64_t now_ms, struct ac_approval *out);

/* ---- presented credentials and their verification ---- */

#define AC_TEACHER_MAX 128              /* bytes of the recognizer's id for a teacher */
#define AC_PRESENTATION_CHECKS_MAX 4096 /* bytes of the checks JSON kept */

enum ac_verdict { AC_VERDICT_VALID, AC_VERDICT_INVALID, AC_VERDICT_INDETERMINATE };

/* Returns "valid", "invalid" or "indeterminate", or NULL. */
const char *ac_verdict_name(enum ac_verdict v);
/* Parses a verdict name. Returns 0 and sets |*out|, or AC_EINVAL. */
int ac_verdict_parse(const char *name, enum ac_verdict *out);

struct ac_presentation {
    int64_t id;
    int64_t recognizer_id;
    char teacher[AC_TEACHER_MAX + 1];
    uint8_t record_hash[32]; /* SHA-256 of the record's exact bytes */
    char cti_hex[33];        /* the record's cti, 32 hex digits */
    char issuer[AC_POLICY_ISSUER_MAX + 1];
    char credential_id[AC_POLICY_CREDENTIAL_MAX + 1];
    uint64_t credential_version;
    char achieved_level[33];
    int has_ceu;
    int64_t ceu_hundredths;
    enum ac_verdict verdict;
    char status_result[16]; /* the status check: "pass", "fail", "indeterminate", "skipped" */
    char verified_by[32];   /* "accord-verify" (the verdict the recognizer submitted) */
    char checks[AC_PRESENTATION_CHECKS_MAX + 1]; /* JSON array of {check, result, reason} */
    int64_t earner_id;    /* the teacher's earner account on this node, or 0 (unknown) */
    int64_t issued_ms;    /* the record's iat, in ms */
    int64_t presented_ms; /* first presented */
    int64_t verified_ms;  /* latest verdict */
    /* The record or bundle as presented, kept to re-check its status later:
     * borrowed by ac_store_presentation_record() (NULL keeps what is stored);
     * never filled by reads (see ac_store_presentation_bytes()). */
    const uint8_t *presented;
    size_t presented_len;
};

/* Records the presentation |*p| (id, presented_ms, verified_ms ignored) by its
 * recognizer and record hash: a record not seen before is inserted and
 * |*created| set to 1; a record seen before gets the new verdict, status,
 * checks and verified_ms (re-verification, e.g. after a revocation) and
 * |*created| set to 0. Sets p->id and the times on 0. Returns 0, AC_EINVAL
 * (an empty or over-long text), AC_ENOENT (no such recognizer), AC_ECONFLICT
 * (the same record was presented for a different teacher), AC_EIO or AC_EDB. */
int ac_store_presentation_record(struct ac_store *st, struct ac_presentation *p, int64_t now_ms,
                                 int *created);

/* Sets |*out| to a copy (the caller frees it) of the bytes presentation |id|
 * was presented as, and |*len|; |*out| NULL when none are kept (a row from
 * before they were). Returns 0, AC_ENOENT, AC_ENOMEM or AC_EDB. */
int ac_store_presentation_bytes(struct ac_store *st, int64_t id, uint8_t **out, size_t *len);

/* Fills |*out| with presentation |id|. Returns 0, AC_ENOENT or AC_EDB. */
int ac_store_presentation_get(struct ac_store *st, int64_t id, struct ac_presentation *out);

/* Lists presentations of |recognizer_id| with id > |after_id| in id order,
 * only |teacher|'s when not NULL, at most |max|; sets |*n|. Returns 0 or AC_EDB. */
int ac_store_presentation_list(struct ac_store *st, int64_t recognizer_id, const char *teacher,
                               int64_t after_id, struct ac_presentation *out, size_t max,
                               size_t *n);

/* One credential that counts toward a teacher's total. */
struct ac_recognized {
    int64_t presentation_id;
    int64_t policy_id;
    enum ac_purpose purpose;
    char issuer[AC_POLICY_ISSUER_MAX + 1];
    char credential_id[AC_POLICY_CREDENTIAL_MAX + 1];
    uint64_t credential_version;
    int64_t ceu_hundredths; /* the policy's CEUs, else the record's, else 0 */
};

/* Lists what counts for |teacher| with |recognizer_id|: presentations whose
 * verdict is valid and whose status check passed (so neither revoked nor
 * suspended nor unchecked), matched to an active policy of the recognizer by
 * issuer, credential id and minimum version (exactly that version for a
 * policy pinning a content hash); a policy that requires approval
 * matches only a presentation naming an earner whose approval for that
 * issuer and credential was granted no later than the record's issue. A credential presented more
 * than once counts once per purpose (its largest CEUs). Ordered by purpose, issuer, credential. At
 * most |max| into |out|; sets |*n|. Returns 0 or AC_EDB. */
int ac_store_recognized_list(struct ac_store *st, int64_t recognizer_id, const char *teacher,
                             struct ac_recognized *out, size_t max, size_t *n);

/* ---- the earner's catalog: active credentials of this node ---- */

struct ac_catalog_filter {
    const char *domain; /* NULL, or only credentials listing this domain */
    const char *stack;  /* NULL, or only credentials in this stack */
    /* 0, or only credentials this recognizer counts: one of its active
     * policies names |issuer| and the credential, at or above its version. */
    int64_t recognizer_id;
    const char *issuer; /* this node's id as recognizers name it; required with recognizer_id */
};

struct ac_catalog_entry {
    int64_t id; /* the credential version's row id */
    char def_id[AC_POLICY_CREDENTIAL_MAX + 1];
    int64_t version;
    char *title;      /* owned */
    char *competency; /* owned; "" when the definition has none */
    char *domains;    /* owned: JSON array text */
    char *stacks;     /* owned: JSON array text */
    int has_ceu;
    int64_t ceu_hundredths;
    int64_t activated_ms;
};

/* Lists active credential versions with id > |after_id| in id order that pass
 * |f|, at most |max| into |out| (each released with ac_catalog_entry_release()
 * by the caller); sets |*n|. Returns 0, AC_EINVAL (recognizer_id without
 * issuer), AC_ENOMEM or AC_EDB; on failure nothing needs releasing. */
int ac_store_catalog_list(struct ac_store *st, const struct ac_catalog_filter *f, int64_t after_id,
                          struct ac_catalog_entry *out, size_t max, size_t *n);

/* Frees what |e| owns; safe on a zeroed entry. */
void ac_catalog_entry_release(struct ac_catalog_entry *e);

/* Lists the active policies of every recognizer that count |credential_id| at
 * |version| from |issuer|, in id order, at most |max|; sets |*n|. Returns 0
 * or AC_EDB. */
int ac_store_policy_for_credential(struct ac_store *st, const char *issuer,
                                   const char *credential_id, int64_t version,
                                   struct ac_policy *out, size_t max, size_t *n);

#endif
