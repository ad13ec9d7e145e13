/* api_testclock.c - POST /v1/test/clock {"advance_seconds": N}: moves the
 * node's clock forward so tests cross waits and deadlines without sleeping.
 * Compiled only into test builds (ACCORD_TEST_CLOCK); release builds have no
 * such route. */
#ifdef ACCORD_TEST_CLOCK
#include "accord/base/clock.h"
#include "accord/base/log.h"
#include "lifecycle/lifecycle.h"

#define MAX_ADVANCE_S (400LL * 86400) /* a little over a year per call */

static void on_advance(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"advance_seconds", NULL};
    json_t *v = json_object_get(body, "advance_seconds");
    if (ac__json_only(x, body, allowed))
        goto out;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > MAX_ADVANCE_S) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "advance_seconds", NULL,
                    "advance_seconds: a whole number from 0 to %lld (the clock only moves "
                    "forward)",
                    MAX_ADVANCE_S);
        goto out;
    }
    ac_clock_advance((int64_t)json_integer_value(v) * 1000);
    ac_log_info("testclock", "clock advanced %llds by %s", (long long)json_integer_value(v),
                a.user.name);
    char now[21];
    ac__respond_owned(x, 200,
                      json_pack("{s:s, s:I}", "now", ac_clock_format(ac_clock_now_ms(), now),
                                "offset_seconds", (json_int_t)(ac_clock_offset() / 1000)));
out:
    json_decref(body);
}

void ac__api_testclock_register(struct ac_node *n)
{
    ac__route(n, "POST", "/v1/test/clock", on_advance);
}
#else
/* ISO C forbids an empty translation unit. */
typedef int ac__testclock_absent;
#endif
