/* ledger.h - the reciprocity ledger (core/store/store_ledger.c): one row per
 * borrowed review the issuer accepted, on both nodes (the issuer counts it
 * borrowed, the lender lent), each holding the receipt both signed; and the
 * policy that caps how far a peer may go into debt before its offers are
 * declined. Write functions run inside the caller's transaction (AC_EBUG
 * outside one). Not thread-safe: use from the loop thread. */
#ifndef AC_STORE_LEDGER_H
#define AC_STORE_LEDGER_H

#include <stddef.h>
#include <stdint.h>

struct ac_store; /* store.h */

enum ac_ledger_direction {
    AC_LEDGER_LENT,     /* our reviewer reviewed for the peer */
    AC_LEDGER_BORROWED, /* the peer's reviewer reviewed for us */
};

const char *ac_ledger_direction_name(enum ac_ledger_direction d);

struct ac_ledger_entry {
    int64_t id;
    char peer[65];
    enum ac_ledger_direction direction;
    char credential_id[65];
    char month[8]; /* "YYYY-MM" of the issuer's acceptance */
    char result_id[65];
    uint8_t *receipt; /* owned when read; borrowed when adding */
    size_t receipt_len;
    int64_t created_ms;
};

/* Frees what |e| owns (not |e|); NULL is a no-op. */
void ac_ledger_entry_release(struct ac_ledger_entry *e);

/* Adds |e| unless (peer, direction, result id) is held already (then sets
 * |*added| to 0 and changes nothing). |added| may be NULL. Returns 0,
 * AC_EBUG, AC_EINVAL (a field too long or empty), AC_EIO or AC_EDB. */
int ac_store_ledger_add(struct ac_store *st, const struct ac_ledger_entry *e, int64_t now_ms,
                        int *added);

/* Lists entries of |peer| (NULL: all) with id > |after|, at most |max|, into
 * a new array (release each, then free). Returns 0, AC_ENOMEM or AC_EDB. */
int ac_store_ledger_list(struct ac_store *st, const char *peer, int64_t after, size_t max,
                         struct ac_ledger_entry **out, size_t *n);

/* One line of the summary: reviews lent to and borrowed from |peer| under
 * |credential_id| in |month|. */
struct ac_ledger_line {
    char peer[65];
    char credential_id[65];
    char month[8];
    int64_t lent, borrowed;
};

/* Sums the ledger per peer, credential and month (in that order) for
 * |peer| (NULL: all) into a new array the caller frees. Returns 0, AC_ENOMEM
 * or AC_EDB. */
int ac_store_ledger_summary(struct ac_store *st, const char *peer, struct ac_ledger_line **out,
                            size_t *n);

/* Sets |*lent| and |*borrowed| to the totals with |peer|. Returns 0 or AC_EDB. */
int ac_store_ledger_totals(struct ac_store *st, const char *peer, int64_t *lent, int64_t *borrowed);

/* The debt cap of |peer|: its own row, else the row of "*" (every peer).
 * Sets |*max_debt| and |*set| (0: no cap). Returns 0 or AC_EDB. */
int ac_store_ledger_policy_get(struct ac_store *st, const char *peer, int64_t *max_debt, int *set);

/* Sets the cap of |peer| ("*": the default for every peer) to |max_debt|
 * (< 0: removes it). Returns 0, AC_EBUG, AC_EINVAL, AC_EIO or AC_EDB. */
int ac_store_ledger_policy_put(struct ac_store *st, const char *peer, int64_t max_debt);

#endif
