/* scheduler.c - fires the stored due jobs of the review lifecycle from a
 * libuv timer and drives notification delivery.
 *
 * The jobs live in the store, so a restarted node fires whatever came due
 * while it was down. The timer polls once a second (jobs are minutes to days
 * apart, and the test clock can jump forward at any moment, so a poll is
 * simpler and as prompt as re-arming to the next due time); a change that
 * schedules a job due now kicks it to run at once. */
#include <stdlib.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "review/review.h"
#include "review/review_state.h"

#define POLL_MS 1000
#define JOBS_PER_TICK 64

static void on_timer(uv_timer_t *t)
{
    struct ac_node *n = t->data;
    struct ac_job jobs[JOBS_PER_TICK];
    size_t got = 0;
    int err = ac_store_job_due(n->store, ac_clock_now_ms(), jobs, JOBS_PER_TICK, &got);
    if (err)
        ac_log_error("scheduler", "cannot read due jobs: %s", ac_strerror(err));
    for (size_t i = 0; i < got && !n->stopping; i++)
        ac__flow_run_job(n, &jobs[i]);
    ac__notify_pump(n);
    /* A full page means more are due: come back at once. */
    uv_timer_start(&n->review->timer, on_timer, got == JOBS_PER_TICK ? 0 : POLL_MS, 0);
}

int ac__scheduler_start(struct ac_node *n)
{
    struct ac__review *r = calloc(1, sizeof *r);
    if (!r)
        return AC_ENOMEM;
    int err = uv_timer_init(n->loop, &r->timer);
    if (err) {
        free(r);
        return err;
    }
    r->timer.data = n;
    r->node = n;
    n->review = r;
    return uv_timer_start(&r->timer, on_timer, 0, 0);
}

void ac__scheduler_kick(struct ac_node *n)
{
    if (n->review && !n->review->closing)
        uv_timer_start(&n->review->timer, on_timer, 0, 0);
}

static void on_closed(uv_handle_t *h)
{
    struct ac__review *r = ((struct ac_node *)h->data)->review;
    r->closed = 1;
    /* A delivery still in flight frees the state when it completes. */
    if (!r->busy) {
        r->node->review = NULL;
        free(r);
    }
}

void ac__scheduler_stop(struct ac_node *n)
{
    if (!n->review || n->review->closing)
        return;
    n->review->closing = 1;
    uv_close((uv_handle_t *)&n->review->timer, on_closed);
}
