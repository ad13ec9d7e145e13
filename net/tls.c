/* tls.c - TLS for the HTTP/2 server and client over OpenSSL memory BIOs. */
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "accord/base/error.h"
#include "accord/base/log.h"
#include "internal.h"

struct ac__tls {
    SSL *ssl;  /* owned; owns both BIOs */
    BIO *rbio; /* ciphertext from the network, read by OpenSSL */
    BIO *wbio; /* ciphertext OpenSSL produced, to write to the network */
    int server;
    int ready;
};

static const unsigned char alpn_h2[] = {2, 'h', '2'};

static const char *last_ssl_error(char *buf, size_t size)
{
    unsigned long e = ERR_get_error();
    if (!e)
        return "no OpenSSL error recorded";
    ERR_error_string_n(e, buf, size);
    ERR_clear_error();
    return buf;
}

/* The server takes "h2" or refuses the handshake: HTTP/1.1 is not served. */
static int on_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                          const unsigned char *in, unsigned int inlen, void *arg)
{
    (void)ssl;
    (void)arg;
    unsigned char *sel;
    if (SSL_select_next_proto(&sel, outlen, alpn_h2, sizeof(alpn_h2), in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

int ac__tls_server_ctx_new(const char *cert_file, const char *key_file, SSL_CTX **out)
{
    char err[256];
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx)
        return AC_ENOMEM;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
        ac_log_error(AC__LOG, "tls.cert_file: cannot load \"%s\": %s", cert_file,
                     last_ssl_error(err, sizeof(err)));
        SSL_CTX_free(ctx);
        return AC_ETLS;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        ac_log_error(AC__LOG,
                     "tls.key_file: cannot load \"%s\" or it does not match the certificate: %s",
                     key_file, last_ssl_error(err, sizeof(err)));
        SSL_CTX_free(ctx);
        return AC_ETLS;
    }
    SSL_CTX_set_alpn_select_cb(ctx, on_alpn_select, NULL);
    *out = ctx;
    return 0;
}

int ac__tls_client_ctx_new(const char *ca_file, int insecure, SSL_CTX **out)
{
    char err[256];
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx)
        return AC_ENOMEM;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* RFC 9113 9.2.1: no renegotiation on an HTTP/2 connection; as the server. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    int ok = ca_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
                     : SSL_CTX_set_default_verify_paths(ctx);
    if (ok != 1) {
        ac_log_error(AC__LOG, "ca_file: cannot load \"%s\": %s", ca_file ? ca_file : "(system)",
                     last_ssl_error(err, sizeof(err)));
        SSL_CTX_free(ctx);
        return AC_ETLS;
    }
    SSL_CTX_set_verify(ctx, insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    *out = ctx;
    return 0;
}

int ac__tls_new(SSL_CTX *ctx, int server, const char *host, struct ac__tls **out)
{
    struct ac__tls *t = calloc(1, sizeof(*t));
    if (!t)
        return AC_ENOMEM;
    t->server = server;
    t->ssl = SSL_new(ctx);
    t->rbio = BIO_new(BIO_s_mem());
    t->wbio = BIO_new(BIO_s_mem());
    if (!t->ssl || !t->rbio || !t->wbio) {
        BIO_free(t->rbio);
        BIO_free(t->wbio);
        SSL_free(t->ssl);
        free(t);
        return AC_ENOMEM;
    }
    /* An empty read BIO means "no data yet", not end of file. */
    BIO_set_mem_eof_return(t->rbio, -1);
    SSL_set_bio(t->ssl, t->rbio, t->wbio);
    if (server) {
        SSL_set_accept_state(t->ssl);
    } else {
        SSL_set_connect_state(t->ssl);
        SSL_set_alpn_protos(t->ssl, alpn_h2, sizeof(alpn_h2));
        unsigned char ip[16];
        int is_ip = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;
        X509_VERIFY_PARAM *param = SSL_get0_param(t->ssl);
        int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host)
                       : (SSL_set_tlsext_host_name(t->ssl, host) &&
                          X509_VERIFY_PARAM_set1_host(param, host, 0));
        if (ok != 1) {
            ac__tls_free(t);
            return AC_ETLS;
        }
    }
    *out = t;
    return 0;
}

void ac__tls_free(struct ac__tls *t)
{
    if (!t)
        return;
    SSL_free(t->ssl);
    free(t);
}

static int drain(struct ac__tls *t, struct ac_buf *cipher)
{
    char *data;
    long n = BIO_get_mem_data(t->wbio, &data);
    if (n <= 0)
        return 0;
    int rc = ac_buf_append(cipher, data, (size_t)n);
    if (rc)
        return rc;
    (void)BIO_reset(t->wbio);
    return 0;
}

static int fail(struct ac__tls *t, int ret, const char *what)
{
    char err[256];
    int e = SSL_get_error(t->ssl, ret);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return 0;
    if (e == SSL_ERROR_ZERO_RETURN)
        return 1;
    long v = SSL_get_verify_result(t->ssl);
    if (!t->server && v != X509_V_OK)
        ac_log_warn(AC__LOG, "tls %s failed: certificate verification: %s", what,
                    X509_verify_cert_error_string(v));
    else
        ac_log_warn(AC__LOG, "tls %s failed: %s", what, last_ssl_error(err, sizeof(err)));
    ERR_clear_error();
    return AC_ETLS;
}

int ac__tls_recv(struct ac__tls *t, const uint8_t *in, size_t len, struct ac_buf *plain,
                 struct ac_buf *cipher)
{
    if (len > 0 && BIO_write(t->rbio, in, (int)len) != (int)len)
        return AC_ENOMEM;
    int rc = 0;
    if (!t->ready) {
        int r = SSL_do_handshake(t->ssl);
        if (r == 1)
            t->ready = 1;
        else
            rc = fail(t, r, "handshake");
    }
    while (rc == 0 && t->ready) {
        uint8_t tmp[16384];
        int r = SSL_read(t->ssl, tmp, sizeof(tmp));
        if (r <= 0) {
            rc = fail(t, r, "read");
            break;
        }
        rc = ac_buf_append(plain, tmp, (size_t)r);
        if (rc == 0 && SSL_pending(t->ssl) == 0 && BIO_ctrl_pending(t->rbio) == 0)
            break;
    }
    int drc = drain(t, cipher);
    return rc ? rc : drc;
}

int ac__tls_send(struct ac__tls *t, const uint8_t *in, size_t len, struct ac_buf *cipher)
{
    if (!t->ready)
        return AC_EBUG;
    while (len > 0) {
        int chunk = len > 16384 ? 16384 : (int)len;
        int r = SSL_write(t->ssl, in, chunk);
        if (r <= 0) {
            (void)fail(t, r, "write");
            return AC_ETLS;
        }
        in += r;
        len -= (size_t)r;
    }
    return drain(t, cipher);
}

int ac__tls_ready(const struct ac__tls *t)
{
    return t->ready;
}

int ac__tls_alpn_h2(const struct ac__tls *t)
{
    const unsigned char *p;
    unsigned int n;
    SSL_get0_alpn_selected(t->ssl, &p, &n);
    return n == 2 && memcmp(p, "h2", 2) == 0;
}

int ac__tls_check_pin(const struct ac__tls *t, const uint8_t pin[32])
{
    X509 *cert = SSL_get0_peer_certificate(t->ssl);
    if (!cert)
        return AC_ETLS;
    unsigned char *der = NULL;
    int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
    if (n <= 0)
        return AC_ETLS;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int ok = EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL);
    OPENSSL_free(der);
    if (!ok || mdlen != 32 || CRYPTO_memcmp(md, pin, 32) != 0) {
        ac_log_warn(AC__LOG, "tls: server public key does not match the configured pin");
        return AC_ETLS;
    }
    return 0;
}
