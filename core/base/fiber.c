/* fiber.c - coroutines on stacks of their own (see fiber.h), on glibc's
 * ucontext: getcontext/makecontext to start one, swapcontext to switch.
 * Under AddressSanitizer every switch is announced to it
 * (__sanitizer_start_switch_fiber / __sanitizer_finish_switch_fiber):
 * without that it takes the fiber's stack for a wild pointer into the
 * thread's and reports frames it cannot place. */
#include "accord/base/fiber.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "accord/base/error.h"

#if defined(__SANITIZE_ADDRESS__)
#define FIBER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FIBER_ASAN 1
#endif
#endif
#ifdef FIBER_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

#define STACK_MIN (64 * 1024)

enum state { IDLE, RUNNING, WAITING };

struct ac_fiber {
    ucontext_t self;   /* where the fiber goes on */
    ucontext_t caller; /* where the thread goes back to when it waits or ends */
    void *map;         /* owned: the guard page, then the stack */
    size_t map_size, page;
    ac_fiber_fn fn;
    void *arg;
    enum state state;
    int done;   /* fn returned */
    int to_end; /* waits poll() in place instead of yielding */
    int fd;     /* what a WAITING fiber waits on */
    short events;
    int64_t deadline;       /* ... and until when (ac_fiber_now_ms()), -1: none */
    struct ac_fiber *outer; /* the fiber (or NULL) the thread ran before it */
#ifdef FIBER_ASAN
    void *fake_stack;          /* ASan's fake frames of the side switched away from */
    const void *caller_bottom; /* the caller's stack, told to ASan when switching back */
    size_t caller_size;
#endif
};

/* The fiber this thread runs now, NULL on the thread's own stack. */
static _Thread_local struct ac_fiber *current;

int ac_fiber_new(size_t stack_size, struct ac_fiber **out)
{
    *out = NULL;
    if (stack_size < STACK_MIN)
        return AC_EINVAL;
    struct ac_fiber *f = calloc(1, sizeof *f);
    if (!f)
        return AC_ENOMEM;
    long page = sysconf(_SC_PAGESIZE);
    f->page = page > 0 ? (size_t)page : 4096;
    size_t size = (stack_size + f->page - 1) / f->page * f->page;
    f->map_size = size + f->page;
    /* MAP_NORESERVE and lazy faulting: only the pages a handler actually
     * touches cost memory. The lowest page stays inaccessible, so an
     * overflow faults instead of writing over the heap. */
    f->map = mmap(NULL, f->map_size, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (f->map == MAP_FAILED) {
        free(f);
        return AC_ENOMEM;
    }
    if (mprotect(f->map, f->page, PROT_NONE) != 0) {
        munmap(f->map, f->map_size);
        free(f);
        return AC_ENOMEM;
    }
    f->fd = -1;
    f->deadline = -1;
    *out = f;
    return 0;
}

void ac_fiber_free(struct ac_fiber *f)
{
    if (!f || f->state != IDLE)
        return;
    munmap(f->map, f->map_size);
    free(f);
}

/* The thread switches from its caller into |f| and comes back when |f|
 * waits or ends. */
static void enter(struct ac_fiber *f)
{
    f->outer = current;
    current = f;
    f->state = RUNNING;
#ifdef FIBER_ASAN
    void *fake = NULL;
    __sanitizer_start_switch_fiber(&fake, (char *)f->map + f->page, f->map_size - f->page);
    swapcontext(&f->caller, &f->self);
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#else
    swapcontext(&f->caller, &f->self);
#endif
    current = f->outer;
}

/* |f| switches back to its caller: to be resumed later (WAITING) or for
 * good (IDLE: its frames are done, ASan drops their fake stack). */
static void leave(struct ac_fiber *f, enum state to)
{
    f->state = to;
#ifdef FIBER_ASAN
    __sanitizer_start_switch_fiber(to == IDLE ? NULL : &f->fake_stack, f->caller_bottom,
                                   f->caller_size);
    swapcontext(&f->self, &f->caller);
    /* Resumed, perhaps by another caller: learn its stack for next time. */
    __sanitizer_finish_switch_fiber(f->fake_stack, &f->caller_bottom, &f->caller_size);
#else
    swapcontext(&f->self, &f->caller);
#endif
}

/* The fiber's first frame. makecontext() passes only ints, so the fiber
 * is found through |current|, set by enter() just before. */
static void trampoline(void)
{
    struct ac_fiber *f = current;
#ifdef FIBER_ASAN
    __sanitizer_finish_switch_fiber(NULL, &f->caller_bottom, &f->caller_size);
#endif
    f->fn(f->arg);
    f->done = 1;
    leave(f, IDLE);
    /* An IDLE fiber is started afresh by ac_fiber_run(), never resumed. */
    abort();
}

int ac_fiber_run(struct ac_fiber *f, ac_fiber_fn fn, void *arg)
{
    if (f->state != IDLE || getcontext(&f->self) != 0)
        return AC_EBUG;
    f->self.uc_stack.ss_sp = (char *)f->map + f->page;
    f->self.uc_stack.ss_size = f->map_size - f->page;
    f->self.uc_link = NULL;
    makecontext(&f->self, trampoline, 0);
    f->fn = fn;
    f->arg = arg;
    f->done = 0;
    f->to_end = 0;
    f->fd = -1;
    f->deadline = -1;
    enter(f);
    return f->done;
}

int ac_fiber_resume(struct ac_fiber *f, int to_end)
{
    if (f->state != WAITING)
        return AC_EBUG;
    f->to_end = to_end;
    f->fd = -1;
    f->deadline = -1;
    enter(f);
    return f->done;
}

int ac_fiber_waiting(const struct ac_fiber *f, short *events)
{
    if (f->state != WAITING)
        return -1;
    if (events)
        *events = f->events;
    return f->fd;
}

int64_t ac_fiber_deadline(const struct ac_fiber *f)
{
    return f->state == WAITING ? f->deadline : -1;
}

int64_t ac_fiber_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ac_fiber_on(void)
{
    return current != NULL;
}

int ac_fiber_wait_fd(int fd, short events)
{
    struct ac_fiber *f = current;
    if (f && !f->to_end) {
        f->fd = fd;
        f->events = events;
        leave(f, WAITING);
        return 0;
    }
    struct pollfd p = {.fd = fd, .events = events};
    for (;;) {
        int r = poll(&p, 1, -1);
        if (r > 0)
            return 0;
        if (r < 0 && errno != EINTR)
            return AC_EIO;
    }
}

/* One poll() of |fd| for up to |ms| (0: a look, no wait): 1 ready (or in
 * error: the caller's next call finds out), 0 not yet, AC_EIO when poll()
 * itself fails. An interrupted poll() counts as "not yet": the caller's
 * deadline check decides what comes next. */
static int poll_for(int fd, short events, int ms)
{
    struct pollfd p = {.fd = fd, .events = events};
    int r = poll(&p, 1, ms);
    if (r > 0)
        return 1;
    if (r < 0 && errno != EINTR)
        return AC_EIO;
    return 0;
}

int ac_fiber_wait_fd_until(int fd, short events, int64_t deadline)
{
    for (;;) {
        struct ac_fiber *f = current;
        int ready;
        if (f && !f->to_end) {
            /* The runner resumes the fiber when |fd| is ready or at the
             * deadline (ac_fiber_deadline()); the resume does not say
             * which, so a look at the descriptor does. */
            f->fd = fd;
            f->events = events;
            f->deadline = deadline;
            leave(f, WAITING);
            ready = poll_for(fd, events, 0);
        } else {
            /* Off a fiber, or resumed to its end: poll() in place for what
             * is left (none left: a look at the descriptor). */
            int64_t left = deadline - ac_fiber_now_ms();
            ready = poll_for(fd, events, left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left);
        }
        if (ready)
            return ready > 0 ? 0 : ready;
        if (ac_fiber_now_ms() >= deadline)
            return AC_ETIMEDOUT;
    }
}
