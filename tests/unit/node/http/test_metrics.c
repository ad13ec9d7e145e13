/* test_metrics.c - tests node/metrics.c: counts and histogram buckets in the
 * Prometheus text format (https://prometheus.io/docs/instrumenting/exposition_formats/). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "accord/base/buf.h"
#include "internal.h"

static char *render(struct ac__metrics *m, struct ac_buf *b)
{
    assert_int_equal(0, ac__metrics_render(m, 3, 8192, b));
    assert_int_equal(0, ac_buf_terminate(b));
    return (char *)b->data;
}

static void test_requests_are_counted_by_route_and_status(void **state)
{
    (void)state;
    struct ac__metrics *m;
    assert_int_equal(0, ac__metrics_new(&m));
    ac__metrics_observe(m, "GET", "/v1/node", 200, 0.002);
    ac__metrics_observe(m, "GET", "/v1/node", 200, 0.002);
    ac__metrics_observe(m, "GET", "/v1/node", 404, 0.002);
    struct ac_buf b = AC_BUF_INIT;
    char *text = render(m, &b);
    assert_non_null(strstr(
        text, "accord_http_requests_total{method=\"GET\",route=\"/v1/node\",status=\"200\"} 2\n"));
    assert_non_null(strstr(
        text, "accord_http_requests_total{method=\"GET\",route=\"/v1/node\",status=\"404\"} 1\n"));
    ac_buf_release(&b);
    ac__metrics_free(m);
}

static void test_histogram_buckets_are_cumulative(void **state)
{
    (void)state;
    struct ac__metrics *m;
    assert_int_equal(0, ac__metrics_new(&m));
    ac__metrics_observe(m, "POST", "/v1/users", 201, 0.0002); /* in le=0.0005 */
    ac__metrics_observe(m, "POST", "/v1/users", 201, 0.02);   /* in le=0.025 */
    ac__metrics_observe(m, "POST", "/v1/users", 201, 9.0);    /* only +Inf */
    struct ac_buf b = AC_BUF_INIT;
    char *text = render(m, &b);
    const char *p =
        "accord_http_request_duration_seconds_bucket{method=\"POST\",route=\"/v1/users\",";
    char line[256];
    snprintf(line, sizeof line, "%sle=\"0.0005\"} 1\n", p);
    assert_non_null(strstr(text, line));
    snprintf(line, sizeof line, "%sle=\"0.01\"} 1\n", p);
    assert_non_null(strstr(text, line));
    snprintf(line, sizeof line, "%sle=\"0.025\"} 2\n", p);
    assert_non_null(strstr(text, line));
    snprintf(line, sizeof line, "%sle=\"2.5\"} 2\n", p);
    assert_non_null(strstr(text, line));
    snprintf(line, sizeof line, "%sle=\"+Inf\"} 3\n", p);
    assert_non_null(strstr(text, line));
    assert_non_null(strstr(
        text,
        "accord_http_request_duration_seconds_count{method=\"POST\",route=\"/v1/users\"} 3\n"));
    ac_buf_release(&b);
    ac__metrics_free(m);
}

static void test_gauges_report_connections_and_database_size(void **state)
{
    (void)state;
    struct ac__metrics *m;
    assert_int_equal(0, ac__metrics_new(&m));
    struct ac_buf b = AC_BUF_INIT;
    char *text = render(m, &b);
    assert_non_null(strstr(text, "\naccord_http_open_connections 3\n"));
    assert_non_null(strstr(text, "\naccord_database_size_bytes 8192\n"));
    ac_buf_release(&b);
    ac__metrics_free(m);
}

static void test_unusual_methods_share_one_series(void **state)
{
    (void)state;
    struct ac__metrics *m;
    assert_int_equal(0, ac__metrics_new(&m));
    ac__metrics_observe(m, "BREW", "unmatched", 404, 0.001);
    ac__metrics_observe(m, "FROB", "unmatched", 404, 0.001);
    struct ac_buf b = AC_BUF_INIT;
    char *text = render(m, &b);
    assert_non_null(strstr(
        text,
        "accord_http_requests_total{method=\"OTHER\",route=\"unmatched\",status=\"404\"} 2\n"));
    assert_null(strstr(text, "BREW"));
    ac_buf_release(&b);
    ac__metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requests_are_counted_by_route_and_status),
        cmocka_unit_test(test_histogram_buckets_are_cumulative),
        cmocka_unit_test(test_gauges_report_connections_and_database_size),
        cmocka_unit_test(test_unusual_methods_share_one_series),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
