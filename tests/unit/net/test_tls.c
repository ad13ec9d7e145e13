/* test_tls.c - tests net/tls.c through the server and client: ALPN h2 over
 * TLS, certificate and hostname verification, and public-key pinning, with
 * throwaway certificates made by the openssl command. */
#include <sys/stat.h>

#include "net/h2_fixture.h"
#include "test_dir.h"

static char dir[64];
static char cert[128], key[128], wrong_cert[128], wrong_key[128];
static uint8_t pin[32];

static int run(const char *cmd)
{
    return system(cmd) == 0 ? 0 : -1;
}

/* Makes a certificate for 127.0.0.1/localhost, one for example.org only, and
 * the SPKI SHA-256 pin of the first, computed by openssl (RFC 7469 2.4). */
static int make_certs(void **state)
{
    (void)state;
    char cmd[1024];
    if (test_make_dir(dir, sizeof dir, "accord-tls"))
        return -1;
    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    snprintf(key, sizeof(key), "%s/key.pem", dir);
    snprintf(wrong_cert, sizeof(wrong_cert), "%s/wrong.pem", dir);
    snprintf(wrong_key, sizeof(wrong_key), "%s/wrong-key.pem", dir);
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
             "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 "
             "-keyout %s -out %s 2>/dev/null",
             key, cert);
    if (run(cmd))
        return -1;
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
             "-subj /CN=example.org -addext subjectAltName=DNS:example.org "
             "-keyout %s -out %s 2>/dev/null",
             wrong_key, wrong_cert);
    if (run(cmd))
        return -1;
    snprintf(cmd, sizeof(cmd),
             "openssl x509 -in %s -pubkey -noout | openssl pkey -pubin -outform der | "
             "openssl dgst -sha256 -binary > %s/pin.bin",
             cert, dir);
    if (run(cmd))
        return -1;
    char path[128];
    snprintf(path, sizeof(path), "%s/pin.bin", dir);
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(pin, 1, sizeof(pin), f) : 0;
    if (f)
        fclose(f);
    return n == sizeof(pin) ? 0 : -1;
}

static int remove_certs(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return run(cmd);
}

/* Like fx_start(), with a TLS server on |server_cert| and an https client. */
static void tls_start(struct fx *fx, const char *server_cert, const char *server_key,
                      const struct ac_h2_client_config *ccfg)
{
    memset(fx, 0, sizeof(*fx));
    assert_int_equal(0, uv_loop_init(&fx->loop));
    assert_int_equal(0, ac_router_new(&fx->router));
    assert_int_equal(0, ac_router_add(fx->router, "GET", "/echo", fx_echo, fx));
    struct ac_h2_server_config cfg = {.tls_cert_file = server_cert, .tls_key_file = server_key};
    assert_int_equal(0, ac_h2_server_new(&fx->loop, &cfg, fx->router, &fx->srv));
    assert_int_equal(0, ac_h2_server_listen(fx->srv, "127.0.0.1", 0));
    fx->port = ac_h2_server_port(fx->srv, 0);
    char url[64];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d", fx->port);
    assert_int_equal(0, ac_h2_client_new(&fx->loop, url, ccfg, &fx->cl));
    fx->expected = 1;
    assert_int_equal(
        0, ac_h2_client_request(fx->cl, "GET", "/echo", NULL, 0, NULL, 0, fx_on_response, fx));
    fx_finish(fx);
}

static void test_tls_request_verified_by_ca_file_succeeds(void **state)
{
    (void)state;
    struct fx fx;
    struct ac_h2_client_config ccfg = {.ca_file = cert};
    tls_start(&fx, cert, key, &ccfg);
    assert_int_equal(0, fx.got[0].err);
    assert_int_equal(200, fx.got[0].status);
    assert_string_equal("GET /echo? tls=1 ", fx.got[0].body);
}

static void test_matching_pin_is_accepted(void **state)
{
    (void)state;
    struct fx fx;
    struct ac_h2_client_config ccfg = {.ca_file = cert, .pin_spki_sha256 = pin};
    tls_start(&fx, cert, key, &ccfg);
    assert_int_equal(0, fx.got[0].err);
    assert_int_equal(200, fx.got[0].status);
}

static void test_mismatched_pin_is_refused(void **state)
{
    (void)state;
    struct fx fx;
    uint8_t other[32];
    memcpy(other, pin, sizeof(other));
    other[0] ^= 1;
    struct ac_h2_client_config ccfg = {.ca_file = cert, .pin_spki_sha256 = other};
    tls_start(&fx, cert, key, &ccfg);
    assert_int_equal(AC_ETLS, fx.got[0].err);
}

static void test_untrusted_certificate_is_refused(void **state)
{
    (void)state;
    struct fx fx;
    /* The system store does not know our throwaway certificate. */
    tls_start(&fx, cert, key, NULL);
    assert_int_equal(AC_ETLS, fx.got[0].err);
}

static void test_certificate_for_another_host_is_refused(void **state)
{
    (void)state;
    struct fx fx;
    /* Trusted (it is its own CA) but issued for example.org, not 127.0.0.1. */
    struct ac_h2_client_config ccfg = {.ca_file = wrong_cert};
    tls_start(&fx, wrong_cert, wrong_key, &ccfg);
    assert_int_equal(AC_ETLS, fx.got[0].err);
}

static void test_unloadable_certificate_fails_server_creation(void **state)
{
    (void)state;
    uv_loop_t loop;
    struct ac_router *r;
    struct ac_h2_server *srv = NULL;
    assert_int_equal(0, uv_loop_init(&loop));
    assert_int_equal(0, ac_router_new(&r));
    struct ac_h2_server_config cfg = {.tls_cert_file = "/nonexistent.pem", .tls_key_file = key};
    assert_int_equal(AC_ETLS, ac_h2_server_new(&loop, &cfg, r, &srv));
    cfg.tls_cert_file = cert;
    cfg.tls_key_file = wrong_key; /* does not match the certificate */
    assert_int_equal(AC_ETLS, ac_h2_server_new(&loop, &cfg, r, &srv));
    assert_null(srv);
    ac_router_free(r);
    assert_int_equal(0, uv_loop_close(&loop));
}

int main(void)
{
    if (!fx_have_program("openssl")) {
        fprintf(stderr, "openssl command not installed; skipping TLS tests\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls_request_verified_by_ca_file_succeeds),
        cmocka_unit_test(test_matching_pin_is_accepted),
        cmocka_unit_test(test_mismatched_pin_is_refused),
        cmocka_unit_test(test_untrusted_certificate_is_refused),
        cmocka_unit_test(test_certificate_for_another_host_is_refused),
        cmocka_unit_test(test_unloadable_certificate_fails_server_creation),
    };
    return cmocka_run_group_tests(tests, make_certs, remove_certs);
}
