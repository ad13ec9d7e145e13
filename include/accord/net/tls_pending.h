/* tls_pending.h - what an OpenSSL connection someone else drives holds
 * decrypted for its reader: the probe the PostgreSQL engine needs before it
 * waits on libpq's socket (core/store may not link a TLS library, so the
 * node hands it this one at start: store/tls_probe.h). Any thread. */
#ifndef AC_NET_TLS_PENDING_H
#define AC_NET_TLS_PENDING_H

/* Returns how many bytes |ssl| (an OpenSSL SSL *, borrowed) has decrypted
 * and not yet handed to its reader: those read on without the socket. 0
 * for NULL. */
int ac_tls_pending(void *ssl);

#endif
