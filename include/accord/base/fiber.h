/* fiber.h - a coroutine with a stack of its own, run on the calling thread,
 * for code that would otherwise block the thread on a file descriptor: on a
 * fiber, ac_fiber_wait_fd() hands the thread back to whoever ran the fiber
 * (an event loop), which goes on with its own work and resumes the fiber
 * once the descriptor is ready. The node runs each write handler on one, so
 * a handler waiting on a round trip to PostgreSQL no longer holds the loop
 * (node/http/reqtx.c); the PostgreSQL engine waits through
 * ac_fiber_wait_fd() (core/store/db_pg_wait.c), and connects through
 * ac_fiber_wait_fd_until(), a wait with a deadline the runner keeps with a
 * timer. Off a fiber (a thread of its own, a tool) both simply poll().
 *
 * One thread at a time owns a fiber: it is run and resumed on the thread
 * that created it. Nothing is shared between threads here. */
#ifndef AC_FIBER_H
#define AC_FIBER_H

#include <stddef.h>
#include <stdint.h>

struct ac_fiber;

typedef void (*ac_fiber_fn)(void *arg);

/* Creates a fiber with a stack of |stack_size| bytes (rounded up to pages;
 * mapped lazily, with a guard page below, so an unused stack costs no
 * memory). Returns 0, AC_EINVAL (a size under 64 KiB) or AC_ENOMEM. */
int ac_fiber_new(size_t stack_size, struct ac_fiber **out);

/* Frees |f|, which must not be waiting (a waiting fiber's stack holds
 * frames that were never unwound: their resources would leak). NULL is a
 * no-op. */
void ac_fiber_free(struct ac_fiber *f);

/* Runs fn(arg) on |f| from its start. Returns 1 when fn returned, 0 when
 * it waits on a descriptor (ac_fiber_waiting()); then the caller resumes it
 * later, or AC_EBUG when |f| is waiting or running already (nothing ran). */
int ac_fiber_run(struct ac_fiber *f, ac_fiber_fn fn, void *arg);

/* Continues the waiting |f| where it waited. Returns as ac_fiber_run().
 * With |to_end| the fiber no longer yields: its later waits poll() in place,
 * so the call returns only once fn returned (1) - for a caller that needs
 * the fiber's work finished now. */
int ac_fiber_resume(struct ac_fiber *f, int to_end);

/* The descriptor a waiting |f| waits on, and for what (POLLIN, POLLOUT),
 * or -1 when it is not waiting. */
int ac_fiber_waiting(const struct ac_fiber *f, short *events);

/* Until when a waiting |f| waits (ac_fiber_now_ms()): the runner resumes
 * it then even if the descriptor never becomes ready. -1 when it waits
 * without a deadline (ac_fiber_wait_fd()) or does not wait. */
int64_t ac_fiber_deadline(const struct ac_fiber *f);

/* The clock of deadlines: CLOCK_MONOTONIC in milliseconds (the test clock
 * of base/clock.h does not move it: a network wait is real time). */
int64_t ac_fiber_now_ms(void);

/* Returns 1 when the calling code runs on a fiber. */
int ac_fiber_on(void);

/* Waits until |fd| is ready for |events|: on a fiber that may yield, by
 * yielding (it returns once resumed; the caller re-checks its condition, a
 * resume promises nothing), else by poll(). Returns 0, or AC_EIO when
 * poll() fails. */
int ac_fiber_wait_fd(int fd, short events);

/* Waits until |fd| is ready for |events| or |deadline| (ac_fiber_now_ms())
 * passes, whichever comes first: on a fiber that may yield, by yielding,
 * the runner resuming it at the latest at the deadline (ac_fiber_deadline());
 * resumed to its end, or off a fiber, by poll() for the time left. Unlike
 * ac_fiber_wait_fd() it returns 0 only once |fd| is ready (an error or a
 * hang-up counts as ready: the caller's next call finds it), for callers
 * such as PQconnectPoll() that must not be called early. Returns 0,
 * AC_ETIMEDOUT once the deadline passed with |fd| not ready, or AC_EIO when
 * poll() fails. */
int ac_fiber_wait_fd_until(int fd, short events, int64_t deadline);

#endif
