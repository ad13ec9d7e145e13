/* test_fiber.c - coroutines that yield while they wait on a descriptor
 * (core/base/fiber.c), driven with pipes as the loop drives a write
 * handler waiting on PostgreSQL. */
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "accord/base/error.h"
#include "accord/base/fiber.h"

#define STACK (256 * 1024)

/* A reader of |want| bytes from |fd| that waits through the fiber. */
struct reader {
    int fd;
    int want;
    char got[8];
    int n;
    int on_fiber;
    int err; /* of the waits: a failed cmocka assert could not longjmp out of a fiber */
};

static void read_bytes(void *arg)
{
    struct reader *r = arg;
    r->on_fiber = ac_fiber_on();
    while (r->n < r->want) {
        if (ac_fiber_wait_fd(r->fd, POLLIN) != 0)
            r->err++;
        ssize_t k = read(r->fd, r->got + r->n, 1);
        if (k == 1)
            r->n++;
    }
}

static void test_a_wait_yields_even_when_the_descriptor_is_ready(void **state)
{
    (void)state;
    struct ac_fiber *f;
    assert_int_equal(0, ac_fiber_new(STACK, &f));
    int p[2];
    assert_int_equal(0, pipe2(p, O_NONBLOCK));
    assert_int_equal(1, write(p[1], "a", 1));
    /* The byte is there: the fiber yields once all the same (a wait always
     * yields on a fiber), and the caller sees it waiting for POLLIN. */
    struct reader r = {.fd = p[0], .want = 1};
    assert_int_equal(0, ac_fiber_run(f, read_bytes, &r));
    short ev = 0;
    assert_int_equal(p[0], ac_fiber_waiting(f, &ev));
    assert_int_equal(POLLIN, ev);
    assert_int_equal(1, ac_fiber_resume(f, 0));
    assert_int_equal(1, r.n);
    assert_int_equal(1, r.on_fiber);
    assert_int_equal(0, r.err);
    assert_int_equal(-1, ac_fiber_waiting(f, NULL));
    close(p[0]);
    close(p[1]);
    ac_fiber_free(f);
}

static void test_a_waiting_fiber_hands_the_thread_back_until_resumed(void **state)
{
    (void)state;
    struct ac_fiber *f;
    assert_int_equal(0, ac_fiber_new(STACK, &f));
    int p[2];
    assert_int_equal(0, pipe2(p, O_NONBLOCK));
    struct reader r = {.fd = p[0], .want = 2};
    assert_int_equal(0, ac_fiber_run(f, read_bytes, &r));
    assert_int_equal(0, ac_fiber_on()); /* back on the thread's own stack */
    assert_int_equal(0, r.n);
    /* A resume with nothing to read: it checks, waits again, yields. */
    assert_int_equal(0, ac_fiber_resume(f, 0));
    assert_int_equal(0, r.n);
    assert_int_equal(1, write(p[1], "x", 1));
    assert_int_equal(0, ac_fiber_resume(f, 0));
    assert_int_equal(1, r.n);
    assert_int_equal(1, write(p[1], "y", 1));
    assert_int_equal(1, ac_fiber_resume(f, 0));
    assert_memory_equal("xy", r.got, 2);
    close(p[0]);
    close(p[1]);
    ac_fiber_free(f);
}

static void test_a_resume_to_the_end_polls_in_place_instead_of_yielding(void **state)
{
    (void)state;
    struct ac_fiber *f;
    assert_int_equal(0, ac_fiber_new(STACK, &f));
    int p[2];
    assert_int_equal(0, pipe2(p, O_NONBLOCK));
    struct reader r = {.fd = p[0], .want = 3};
    assert_int_equal(0, ac_fiber_run(f, read_bytes, &r));
    assert_int_equal(3, write(p[1], "abc", 3));
    /* Three more waits, none of which may come back here. */
    assert_int_equal(1, ac_fiber_resume(f, 1));
    assert_memory_equal("abc", r.got, 3);
    close(p[0]);
    close(p[1]);
    ac_fiber_free(f);
}

static void test_a_busy_fiber_refuses_to_start_again(void **state)
{
    (void)state;
    struct ac_fiber *f;
    assert_int_equal(0, ac_fiber_new(STACK, &f));
    int p[2];
    assert_int_equal(0, pipe2(p, O_NONBLOCK));
    struct reader r = {.fd = p[0], .want = 1};
    assert_int_equal(0, ac_fiber_run(f, read_bytes, &r));
    struct reader other = {.fd = p[0], .want = 1};
    assert_int_equal(AC_EBUG, ac_fiber_run(f, read_bytes, &other));
    assert_int_equal(0, other.on_fiber); /* nothing of it ran */
    assert_int_equal(1, write(p[1], "z", 1));
    assert_int_equal(1, ac_fiber_resume(f, 0));
    assert_int_equal(AC_EBUG, ac_fiber_resume(f, 0)); /* ended: nothing to resume */
    close(p[0]);
    close(p[1]);
    ac_fiber_free(f);
}

/* Fills |depth| frames of 4 KiB each: the stack is the fiber's own. */
static int deep(int depth)
{
    volatile char frame[4096];
    memset((char *)frame, depth & 0xff, sizeof frame);
    return depth == 0 ? frame[0] : deep(depth - 1) + frame[100];
}

static void use_stack(void *arg)
{
    *(int *)arg = deep(*(int *)arg);
}

static void test_one_fiber_runs_again_and_again_on_its_own_stack(void **state)
{
    (void)state;
    struct ac_fiber *f;
    assert_int_equal(0, ac_fiber_new(STACK, &f));
    for (int i = 0; i < 100; i++) {
        int v = 32; /* 128 KiB of frames of a 256 KiB stack */
        assert_int_equal(1, ac_fiber_run(f, use_stack, &v));
        assert_int_equal(32 * 33 / 2, v);
    }
    ac_fiber_free(f);
}

static void test_off_a_fiber_a_wait_polls(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(0, pipe2(p, O_NONBLOCK));
    assert_int_equal(1, write(p[1], "q", 1));
    assert_int_equal(0, ac_fiber_on());
    assert_int_equal(0, ac_fiber_wait_fd(p[0], POLLIN));
    close(p[0]);
    close(p[1]);
}

/* One timed wait (ac_fiber_wait_fd_until()) on |fd| until |deadline|. */
struct timed {
    int fd;
    int64_t deadline;
    int result;
    int64_t ended; /* ac_fiber_now_ms() when the wait returned */
};

static void wait_until(void *arg)
{
    struct timed *w = arg;
    w->result = ac_fiber_wait_fd_until(w->fd, POLLIN, w->deadline);
    w->ended = ac_fiber_now_ms();
}

/* Sleeps the thread until |deadline| (ac_fiber_now_ms()), as a loop's
 * timer would fire at it. */
static void sleep_until(int64_t deadline)
{
    for (int64_t left; (left = deadline - ac_fiber_now_ms()) > 0;)
        poll(NULL, 0, (int)left);
}

static void test_a_timed_wait_on_a_fiber_ends_at_its_deadline(void **state)
{
    (void)state;
    struct ac_fiber *f;
    assert_int_equal(0, ac_fiber_new(STACK, &f));
    int p[2];
    assert_int_equal(0, pipe2(p, O_NONBLOCK));
    struct timed w = {.fd = p[0], .deadline = ac_fiber_now_ms() + 60, .result = 99};
    assert_int_equal(0, ac_fiber_run(f, wait_until, &w));
    /* The runner learns the deadline it must wake the fiber at. */
    short ev = 0;
    assert_int_equal(p[0], ac_fiber_waiting(f, &ev));
    assert_int_equal(POLLIN, ev);
    assert_true(ac_fiber_deadline(f) == w.deadline);
    /* Resumed early with nothing to read: it waits on, same deadline. */
    assert_int_equal(0, ac_fiber_resume(f, 0));
    assert_int_equal(99, w.result);
    assert_true(ac_fiber_deadline(f) == w.deadline);
    sleep_until(w.deadline);
    assert_int_equal(1, ac_fiber_resume(f, 0));
    assert_int_equal(AC_ETIMEDOUT, w.result);
    assert_true(w.ended >= w.deadline);
    assert_true(ac_fiber_deadline(f) == -1);
    close(p[0]);
    close(p[1]);
    ac_fiber_free(f);
}

static void test_a_timed_wait_on_a_fiber_ends_when_ready_before_its_deadline(void **state)
{
    (void)state;
    struct ac_fiber *f;
    assert_int_equal(0, ac_fiber_new(STACK, &f));
    int p[2];
    assert_int_equal(0, pipe2(p, O_NONBLOCK));
    struct timed w = {.fd = p[0], .deadline = ac_fiber_now_ms() + 60000, .result = 99};
    assert_int_equal(0, ac_fiber_run(f, wait_until, &w));
    assert_int_equal(1, write(p[1], "r", 1));
    assert_int_equal(1, ac_fiber_resume(f, 0));
    assert_int_equal(0, w.result);
    /* An untimed wait shows no deadline to its runner. */
    struct reader r = {.fd = p[0], .want = 1};
    assert_int_equal(0, ac_fiber_run(f, read_bytes, &r));
    assert_true(ac_fiber_deadline(f) == -1);
    assert_int_equal(1, ac_fiber_resume(f, 0));
    assert_int_equal(1, r.n);
    close(p[0]);
    close(p[1]);
    ac_fiber_free(f);
}

static void test_a_resume_to_the_end_keeps_the_deadline_of_a_timed_wait(void **state)
{
    (void)state;
    struct ac_fiber *f;
    assert_int_equal(0, ac_fiber_new(STACK, &f));
    int p[2];
    assert_int_equal(0, pipe2(p, O_NONBLOCK));
    struct timed w = {.fd = p[0], .deadline = ac_fiber_now_ms() + 60, .result = 99};
    assert_int_equal(0, ac_fiber_run(f, wait_until, &w));
    /* Polled in place, the descriptor never ready: back at the deadline. */
    assert_int_equal(1, ac_fiber_resume(f, 1));
    assert_int_equal(AC_ETIMEDOUT, w.result);
    assert_true(w.ended >= w.deadline);
    close(p[0]);
    close(p[1]);
    ac_fiber_free(f);
}

static void test_off_a_fiber_a_timed_wait_polls_until_its_deadline(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(0, pipe2(p, O_NONBLOCK));
    struct timed w = {.fd = p[0], .deadline = ac_fiber_now_ms() + 60};
    wait_until(&w);
    assert_int_equal(AC_ETIMEDOUT, w.result);
    assert_true(w.ended >= w.deadline);
    /* Ready: at once, even with the deadline gone. */
    assert_int_equal(1, write(p[1], "s", 1));
    assert_int_equal(0, ac_fiber_wait_fd_until(p[0], POLLIN, ac_fiber_now_ms() + 60000));
    assert_int_equal(0, ac_fiber_wait_fd_until(p[0], POLLIN, w.deadline));
    close(p[0]);
    close(p[1]);
}

static void test_a_stack_under_64_kib_is_refused(void **state)
{
    (void)state;
    struct ac_fiber *f = (struct ac_fiber *)1;
    assert_int_equal(AC_EINVAL, ac_fiber_new(4096, &f));
    assert_null(f);
    ac_fiber_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_wait_yields_even_when_the_descriptor_is_ready),
        cmocka_unit_test(test_a_waiting_fiber_hands_the_thread_back_until_resumed),
        cmocka_unit_test(test_a_resume_to_the_end_polls_in_place_instead_of_yielding),
        cmocka_unit_test(test_a_busy_fiber_refuses_to_start_again),
        cmocka_unit_test(test_one_fiber_runs_again_and_again_on_its_own_stack),
        cmocka_unit_test(test_off_a_fiber_a_wait_polls),
        cmocka_unit_test(test_a_timed_wait_on_a_fiber_ends_at_its_deadline),
        cmocka_unit_test(test_a_timed_wait_on_a_fiber_ends_when_ready_before_its_deadline),
        cmocka_unit_test(test_a_resume_to_the_end_keeps_the_deadline_of_a_timed_wait),
        cmocka_unit_test(test_off_a_fiber_a_timed_wait_polls_until_its_deadline),
        cmocka_unit_test(test_a_stack_under_64_kib_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
