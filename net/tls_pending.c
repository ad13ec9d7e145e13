/* tls_pending.c - the decrypted bytes an OpenSSL connection holds for its
 * reader (tls_pending.h).
 *
 * SSL_pending(), not SSL_has_pending(): the latter is also true while
 * OpenSSL holds the first part of a record it cannot decrypt until the
 * rest arrives, and the rest comes through the socket, so a caller that
 * read on instead of waiting would spin. SSL_pending() counts only the
 * plaintext of a record already decrypted, left over because the reader
 * asked for less (libpq's free buffer space was smaller than the record).
 * Whole records are never held undecrypted between reads unless read-ahead
 * is on, and libpq leaves it off. libpq checks the same before it waits
 * (pgtls_read_pending() in fe-secure-openssl.c). */
#include "accord/net/tls_pending.h"

#include <openssl/ssl.h>

int ac_tls_pending(void *ssl)
{
    if (!ssl)
        return 0;
    int n = SSL_pending((const SSL *)ssl);
    return n > 0 ? n : 0;
}
