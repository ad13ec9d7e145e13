/* fetch.h - how core/trust asks an issuer for what a verification may need
 * now (its keys, its current status token, signed checkpoint and log proofs)
 * without reaching the network itself: the caller brings a fetcher. The
 * standalone verifier implements it with the HTTP/2 client (tools/verify/
 * fetch.c); the node will implement it to verify what a peer or a teacher
 * presents. core/ never links net/. */
#ifndef AC_TRUST_FETCH_H
#define AC_TRUST_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Answers a GET of the absolute http(s) |url|. On 0 sets |*body| and |*len|
 * to the body of a 200 answer (NUL-terminated after |len| bytes, so text
 * parsers may read it); on failure sets |*why| to a reason naming the URL
 * (may stay NULL for AC_ENOMEM). Body and reason are borrowed from the
 * fetcher and stay valid until the caller frees it: a checkpoint's text is
 * kept across the checks of a run. The same URL is asked once per record
 * that names it, so an implementation should remember its answers. Returns
 * 0 or a negative AC_E* code (AC_ENOMEM, AC_EIO, AC_EPROTO, ...). */
typedef int (*ac_trust_fetch_cb)(void *ctx, const char *url, const uint8_t **body, size_t *len,
                                 const char **why);

struct ac_trust_fetcher {
    ac_trust_fetch_cb fetch;
    void *ctx; /* passed to |fetch| */
};

/* Returns NULL when |iss| is an issuer URL a verifier may fetch from, else
 * a static reason why not. The iss claim is untrusted input, so only a plain
 * http:// or https:// URL qualifies: printable ASCII without spaces, a host
 * (and port) of letters, digits, '.', '-', ':', '[' and ']', no userinfo
 * ("user@": it would hide the real host from a reader), no query or
 * fragment (the verifier appends fixed paths). */
const char *ac_trust_issuer_refusal(const char *iss);

/* Writes <iss><path> into |out| (|len| bytes), without a trailing slash of
 * |iss| doubling. Returns 0, or AC_EINVAL when ac_trust_issuer_refusal()
 * refuses |iss| or the result does not fit. */
int ac_trust_issuer_url(const char *iss, const char *path, char *out, size_t len);

/* Returns true when |url| is itself acceptable to ac_trust_issuer_refusal()
 * and on the same origin (scheme, host and port, compared as written) as the
 * issuer |iss|: the only URLs named by a record that a verifier fetches. */
bool ac_trust_same_origin(const char *iss, const char *url);

#endif
