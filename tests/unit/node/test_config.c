/* test_config.c - tests node/config.c: values, defaults, and errors that name
 * the file, line, key and rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "accord/base/error.h"
#include "config.h"

static struct ac_node_config cfg;
static char err[512];

static int parse(const char *text)
{
    return ac_config_parse(text, "node.conf", "/etc/accord", &cfg, err, sizeof err);
}

static const char *minimal = "[node]\nid = issuer.example\ndata_dir = data\n"
                             "[http]\nlisten = 127.0.0.1:8440\n";

static void test_a_minimal_file_parses_with_defaults(void **state)
{
    (void)state;
    assert_int_equal(0, parse(minimal));
    assert_string_equal("issuer.example", cfg.node_id);
    assert_int_equal(1, cfg.nlisten);
    assert_string_equal("127.0.0.1", cfg.listen[0].host);
    assert_int_equal(8440, cfg.listen[0].port);
    assert_null(cfg.tls_cert);
    assert_null(cfg.log_file);
    assert_int_equal(AC_LOG_INFO, cfg.log_level);
    assert_int_equal(1 << 20, cfg.limits.max_body_bytes);
    ac_config_release(&cfg);
}

static void test_relative_paths_resolve_against_the_files_directory(void **state)
{
    (void)state;
    assert_int_equal(0, parse(minimal));
    assert_string_equal("/etc/accord/data", cfg.data_dir);
    ac_config_release(&cfg);
}

static void test_every_section_sets_its_values(void **state)
{
    (void)state;
    assert_int_equal(0, parse("# an issuer\n[node]\nid = n1\ndata_dir = /var/lib/accord\n"
                              "[http]\nlisten = [::1]:9000\nlisten = 0.0.0.0:9001\n"
                              "tls_cert = \"cert.pem\"\ntls_key = /k/key.pem\n"
                              "[limits]\nmax_body_bytes = 2048\nmax_concurrent_streams = 7\n"
                              "idle_timeout_ms = 500\nshutdown_grace_ms = 0\n"
                              "[log]\nlevel = warn\nfile = node.log\n"));
    assert_int_equal(2, cfg.nlisten);
    assert_string_equal("::1", cfg.listen[0].host);
    assert_int_equal(9000, cfg.listen[0].port);
    assert_string_equal("0.0.0.0", cfg.listen[1].host);
    assert_string_equal("/etc/accord/cert.pem", cfg.tls_cert);
    assert_string_equal("/k/key.pem", cfg.tls_key);
    assert_int_equal(2048, cfg.limits.max_body_bytes);
    assert_int_equal(7, cfg.limits.max_concurrent_streams);
    assert_int_equal(500, cfg.limits.idle_timeout_ms);
    assert_int_equal(0, cfg.shutdown_grace_ms);
    assert_int_equal(AC_LOG_WARN, cfg.log_level);
    assert_string_equal("/etc/accord/node.log", cfg.log_file);
    ac_config_release(&cfg);
}

static void test_the_store_engine_defaults_to_sqlite_without_a_url(void **state)
{
    (void)state;
    assert_int_equal(0, parse(minimal));
    assert_int_equal(AC_STORE_SQLITE, cfg.store_engine);
    assert_null(cfg.store_url);
    ac_config_release(&cfg);
}

static void test_a_postgresql_store_keeps_its_multi_host_url(void **state)
{
    (void)state;
    char text[512];
    snprintf(text, sizeof text,
             "%s[store]\nengine = postgresql\n"
             "url = postgresql://accord@db1:5432,db2:5432/accord?target_session_attrs=read-write\n",
             minimal);
    assert_int_equal(0, parse(text));
    assert_int_equal(AC_STORE_POSTGRESQL, cfg.store_engine);
    assert_string_equal("postgresql://accord@db1:5432,db2:5432/accord?target_session_attrs=read-write",
                        cfg.store_url);
    ac_config_release(&cfg);
}

static void test_postgresql_without_a_url_is_refused_naming_the_key(void **state)
{
    (void)state;
    char text[512];
    snprintf(text, sizeof text, "%s[store]\nengine = postgresql\n", minimal);
    assert_int_equal(AC_EPARSE, parse(text));
    assert_non_null(strstr(err, "url: is required in [store] when engine = postgresql"));
}

static void test_a_url_with_the_sqlite_engine_is_refused_naming_the_key(void **state)
{
    (void)state;
    char text[512];
    snprintf(text, sizeof text, "%s[store]\nurl = postgresql:///accord\n", minimal);
    assert_int_equal(AC_EPARSE, parse(text));
    assert_non_null(strstr(err, "url: [store] url is only for engine = postgresql"));
}

static void test_an_unknown_store_engine_is_refused(void **state)
{
    (void)state;
    char text[512];
    snprintf(text, sizeof text, "%s[store]\nengine = mysql\n", minimal);
    assert_int_equal(AC_EPARSE, parse(text));
    assert_string_equal("node.conf:7: engine: \"mysql\" must be \"sqlite\" or \"postgresql\"", err);
}

static void test_a_port_out_of_range_names_file_line_key_and_rule(void **state)
{
    (void)state;
    assert_int_equal(AC_EPARSE, parse("[node]\nid = a\ndata_dir = d\n[http]\n\n\n"
                                      "listen = 127.0.0.1:99999\n"));
    assert_string_equal("node.conf:7: listen: \"127.0.0.1:99999\" port must be 1-65535", err);
}

static void test_an_unknown_key_is_an_error(void **state)
{
    (void)state;
    assert_int_equal(AC_EPARSE, parse("[node]\nid = a\ndata_dri = d\n"));
    assert_string_equal("node.conf:3: data_dri: unknown key in [node]", err);
}

static void test_an_unknown_section_is_an_error(void **state)
{
    (void)state;
    assert_int_equal(AC_EPARSE, parse("[nodes]\nid = a\n"));
    assert_non_null(strstr(err, "node.conf:1: nodes: unknown section"));
}

static void test_a_missing_node_id_is_reported(void **state)
{
    (void)state;
    assert_int_equal(AC_EPARSE, parse("[node]\ndata_dir = d\n[http]\nlisten = h:1\n"));
    assert_non_null(strstr(err, "id: is required in [node]"));
}

static void test_a_node_id_with_capitals_is_refused(void **state)
{
    (void)state;
    assert_int_equal(AC_EPARSE, parse("[node]\nid = Issuer\n"));
    assert_non_null(strstr(err, "node.conf:2: id: \"Issuer\" must be"));
}

static void test_a_key_outside_any_section_is_refused(void **state)
{
    (void)state;
    assert_int_equal(AC_EPARSE, parse("id = a\n"));
    assert_non_null(strstr(err, "node.conf:1: id: must be inside a section"));
}

static void test_a_line_without_equals_is_refused(void **state)
{
    (void)state;
    assert_int_equal(AC_EPARSE, parse("[node]\nid a\n"));
    assert_non_null(strstr(err, "node.conf:2: id a: expected key = value"));
}

static void test_a_key_set_twice_is_refused_naming_both_lines(void **state)
{
    (void)state;
    assert_int_equal(AC_EPARSE, parse("[node]\nid = a\ndata_dir = d\nid = b\n"
                                      "[http]\nlisten = 127.0.0.1:1\n"));
    assert_string_equal(
        "node.conf:4: id: \"b\" is set twice in [node] (first on line 2); set it once", err);
}

static void test_listen_may_repeat(void **state)
{
    (void)state;
    assert_int_equal(0, parse("[node]\nid = a\ndata_dir = d\n"
                              "[http]\nlisten = 127.0.0.1:1\nlisten = [::1]:2\n"));
    assert_int_equal(2, cfg.nlisten);
    ac_config_release(&cfg);
}

static void test_public_url_is_kept_as_the_issuer_origin(void **state)
{
    (void)state;
    assert_int_equal(0,
                     parse("[node]\nid = a\ndata_dir = d\npublic_url = https://accord.example.org\n"
                           "[http]\nlisten = 127.0.0.1:1\n"));
    assert_string_equal("https://accord.example.org", cfg.public_url);
    ac_config_release(&cfg);
}

static void test_public_url_of_184_bytes_is_accepted(void **state)
{
    (void)state;
    /* 184 = 200 (the record's status URI limit, include/accord/record.h)
     * - 16 (strlen("/v1/status/token")). */
    char text[512], url[200];
    snprintf(url, sizeof url, "https://%0176d", 0); /* 8 + 176 = 184 bytes */
    snprintf(text, sizeof text,
             "[node]\nid = a\ndata_dir = d\npublic_url = %s\n[http]\nlisten = 127.0.0.1:1\n", url);
    assert_int_equal(184, strlen(url));
    assert_int_equal(0, parse(text));
    assert_string_equal(url, cfg.public_url);
    ac_config_release(&cfg);
}

static void test_public_url_over_184_bytes_is_refused_with_its_length(void **state)
{
    (void)state;
    char text[512], url[200];
    snprintf(url, sizeof url, "https://%0177d", 0); /* 185 bytes */
    snprintf(text, sizeof text, "[node]\nid = a\ndata_dir = d\npublic_url = %s\n", url);
    assert_int_equal(AC_EPARSE, parse(text));
    assert_non_null(strstr(err, "node.conf:4: public_url: \"https://000"));
    assert_non_null(strstr(err, "\" is 185 bytes; at most 184"));
}

static void test_public_url_with_a_path_is_refused(void **state)
{
    (void)state;
    assert_int_equal(AC_EPARSE, parse("[node]\nid = a\ndata_dir = d\n"
                                      "public_url = https://accord.example.org/node\n"));
    assert_non_null(strstr(err, "node.conf:4: public_url: \"https://accord.example.org/node\" "
                                "must be http:// or https://"));
}

static void test_a_tls_cert_without_key_is_refused(void **state)
{
    (void)state;
    assert_int_equal(AC_EPARSE, parse("[node]\nid = a\ndata_dir = d\n[http]\nlisten = h:1\n"
                                      "tls_cert = c.pem\n"));
    assert_non_null(strstr(err, "tls_key: is required in [http]"));
}

static void test_a_negative_limit_is_refused(void **state)
{
    (void)state;
    assert_int_equal(AC_EPARSE, parse("[limits]\nmax_body_bytes = -5\n"));
    assert_non_null(strstr(err, "node.conf:2: max_body_bytes: \"-5\" must be a whole number"));
}

static void test_readers_default_to_two_and_accept_zero_to_sixteen(void **state)
{
    (void)state;
    assert_int_equal(0, parse(minimal));
    assert_int_equal(2, cfg.readers);
    ac_config_release(&cfg);
    assert_int_equal(0, parse("[node]\nid = issuer.example\ndata_dir = data\nreaders = 0\n"
                              "[http]\nlisten = 127.0.0.1:8440\n"));
    assert_int_equal(0, cfg.readers);
    ac_config_release(&cfg);
    assert_int_equal(AC_EPARSE, parse("[node]\nid = issuer.example\nreaders = 17\n"));
    assert_non_null(strstr(err, "node.conf:3: readers: \"17\""));
}

static void test_an_unknown_log_level_is_refused(void **state)
{
    (void)state;
    assert_int_equal(AC_EPARSE, parse("[log]\nlevel = loud\n"));
    assert_string_equal("node.conf:2: level: \"loud\" must be debug, info, warn or error", err);
}

static void test_an_unreadable_file_names_it(void **state)
{
    (void)state;
    assert_int_equal(AC_EIO, ac_config_load("/nonexistent/accord.conf", &cfg, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/accord.conf: cannot read"));
}

static void test_every_example_in_conf_parses(void **state)
{
    (void)state;
    /* ctest runs this from tests/unit/node. */
    static const char *const examples[] = {"issuer", "district", "state", "recognizer"};
    for (size_t i = 0; i < 4; i++) {
        char path[128];
        snprintf(path, sizeof path, "../../../conf/%s.conf", examples[i]);
        int rc = ac_config_load(path, &cfg, err, sizeof err);
        if (rc)
            fail_msg("%s", err);
        assert_true(cfg.nlisten >= 1);
        ac_config_release(&cfg);
    }
}

#define PEER_KEY "0101010101010101010101010101010101010101010101010101010101010101"

static void test_a_peer_section_takes_a_ca_file_and_an_spki_pin(void **state)
{
    (void)state;
    char text[1024];
    snprintf(text, sizeof text,
             "%s[peer b.example]\nurl = https://b.example.org\nkey = " PEER_KEY
             "\nrights = submit\nca_file = b-ca.pem\npin_spki_sha256 = "
             "ab" "00000000000000000000000000000000000000000000000000000000000000\n",
             minimal);
    assert_int_equal(0, parse(text));
    assert_int_equal(1, cfg.npeers);
    assert_string_equal("/etc/accord/b-ca.pem", cfg.peers[0].ca_file);
    assert_int_equal(1, cfg.peers[0].has_pin);
    assert_int_equal(0xab, cfg.peers[0].pin_spki_sha256[0]);
    assert_int_equal(0, cfg.peers[0].pin_spki_sha256[31]);
    ac_config_release(&cfg);
}

static void test_a_peer_reached_over_http_off_loopback_is_refused(void **state)
{
    (void)state;
    char text[1024];
    snprintf(text, sizeof text,
             "%s[peer b.example]\nurl = http://b.example.org:8440\nkey = " PEER_KEY "\n",
             minimal);
    assert_int_equal(AC_EPARSE, parse(text));
    assert_non_null(strstr(err, "url"));
    assert_non_null(strstr(err, "http://b.example.org:8440"));
    assert_non_null(strstr(err, "loopback"));
}

static void test_a_pin_on_an_http_peer_is_refused(void **state)
{
    (void)state;
    char text[1024];
    snprintf(text, sizeof text,
             "%s[peer b.example]\nurl = http://127.0.0.1:8441\nkey = " PEER_KEY
             "\npin_spki_sha256 = " PEER_KEY "\n",
             minimal);
    assert_int_equal(AC_EPARSE, parse(text));
    assert_non_null(strstr(err, "not https://"));
}

static void test_loopback_http_is_told_from_a_name_that_starts_like_it(void **state)
{
    (void)state;
    assert_true(ac_config_url_is_loopback_http("http://127.0.0.1:8440"));
    assert_true(ac_config_url_is_loopback_http("http://127.1.2.3"));
    assert_true(ac_config_url_is_loopback_http("http://[::1]:8440"));
    assert_false(ac_config_url_is_loopback_http("http://127.0.0.1.example.org:80"));
    assert_false(ac_config_url_is_loopback_http("http://[::1]x"));
    assert_false(ac_config_url_is_loopback_http("http://10.0.0.1:80"));
    assert_false(ac_config_url_is_loopback_http("https://127.0.0.1:443"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_minimal_file_parses_with_defaults),
        cmocka_unit_test(test_relative_paths_resolve_against_the_files_directory),
        cmocka_unit_test(test_every_section_sets_its_values),
        cmocka_unit_test(test_the_store_engine_defaults_to_sqlite_without_a_url),
        cmocka_unit_test(test_a_postgresql_store_keeps_its_multi_host_url),
        cmocka_unit_test(test_postgresql_without_a_url_is_refused_naming_the_key),
        cmocka_unit_test(test_a_url_with_the_sqlite_engine_is_refused_naming_the_key),
        cmocka_unit_test(test_an_unknown_store_engine_is_refused),
        cmocka_unit_test(test_a_port_out_of_range_names_file_line_key_and_rule),
        cmocka_unit_test(test_an_unknown_key_is_an_error),
        cmocka_unit_test(test_an_unknown_section_is_an_error),
        cmocka_unit_test(test_a_missing_node_id_is_reported),
        cmocka_unit_test(test_a_node_id_with_capitals_is_refused),
        cmocka_unit_test(test_a_key_outside_any_section_is_refused),
        cmocka_unit_test(test_a_line_without_equals_is_refused),
        cmocka_unit_test(test_a_key_set_twice_is_refused_naming_both_lines),
        cmocka_unit_test(test_listen_may_repeat),
        cmocka_unit_test(test_public_url_is_kept_as_the_issuer_origin),
        cmocka_unit_test(test_public_url_with_a_path_is_refused),
        cmocka_unit_test(test_public_url_of_184_bytes_is_accepted),
        cmocka_unit_test(test_public_url_over_184_bytes_is_refused_with_its_length),
        cmocka_unit_test(test_a_tls_cert_without_key_is_refused),
        cmocka_unit_test(test_a_negative_limit_is_refused),
        cmocka_unit_test(test_readers_default_to_two_and_accept_zero_to_sixteen),
        cmocka_unit_test(test_an_unknown_log_level_is_refused),
        cmocka_unit_test(test_an_unreadable_file_names_it),
        cmocka_unit_test(test_every_example_in_conf_parses),
        cmocka_unit_test(test_a_peer_section_takes_a_ca_file_and_an_spki_pin),
        cmocka_unit_test(test_a_peer_reached_over_http_off_loopback_is_refused),
        cmocka_unit_test(test_a_pin_on_an_http_peer_is_refused),
        cmocka_unit_test(test_loopback_http_is_told_from_a_name_that_starts_like_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
