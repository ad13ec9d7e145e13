/* tasks.c - the federation's own writes as tasks of the request groups
 * (ac__reqtx_task(), node/http/reqtx.c): a timer's or a peer's answer's
 * transaction body runs in a savepoint of the open group, on the write
 * handlers' fiber (so on PostgreSQL the loop does not wait on its round
 * trips), and commits with the group on the writer thread, instead of
 * running on the loop and closing the group early. The federation is kept
 * until every task it handed over is done (f->tasks), so a done callback
 * may use it; when there are no request groups (the node stopping, a tool)
 * the body runs here in a transaction of its own, as before. */
#include <stdlib.h>

#include "accord/base/error.h"
#include "accord/store/store.h"
#include "federation.h"
#include "internal.h"

struct fed_task {
    struct ac__federation *f;
    int (*run)(void *arg);
    void (*done)(void *arg, int err);
    void *arg;
};

static int task_run(void *arg)
{
    struct fed_task *t = arg;
    return t->run(t->arg);
}

static void task_done(void *arg, int err)
{
    struct fed_task *t = arg;
    struct ac__federation *f = t->f;
    t->done(t->arg, err);
    free(t);
    f->tasks--;
    ac__fed_free_if_done(f);
}

/* |run| in a transaction of its own, on the loop. */
static int run_here(struct ac__federation *f, int (*run)(void *arg), void *arg)
{
    struct ac_store *st = f->node->store;
    int err = ac_store_tx_begin(st);
    if (err)
        return err;
    err = run(arg);
    if (err) {
        ac_store_tx_rollback(st);
        return err;
    }
    return ac_store_tx_commit(st);
}

void ac__fed_task(struct ac__federation *f, const char *what, int (*run)(void *arg),
                  void (*done)(void *arg, int err), void *arg)
{
    struct fed_task *t = calloc(1, sizeof *t);
    if (t) {
        *t = (struct fed_task){f, run, done, arg};
        f->tasks++;
        /* task_done() may run inside this call (no writer thread). */
        if (ac__reqtx_task(f->node, what, task_run, task_done, t) == 0)
            return;
        f->tasks--;
        free(t);
    }
    done(arg, run_here(f, run, arg));
}
