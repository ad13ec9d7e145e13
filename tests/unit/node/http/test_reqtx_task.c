/* test_reqtx_task.c - the node's own writes in the group commit of write
 * requests (ac__reqtx_task(), node/http/reqtx.c): a task commits in a
 * savepoint of a group and hears so once its COMMIT ended; a failing task
 * leaves nothing of itself and does not take the group's other writes with
 * it; a task that loses a race runs again; a task the node stops before
 * hears it was cancelled. Driven on a real store and event loop, with the
 * storage writer thread started as the node starts it. */
#include "../node_fixture.h"

#include "accord/net/router.h"

static struct node_fixture nf;

/* One task: the user it creates, what its run returns the first |lose|
 * times (a lost race), and how it ended. */
struct task {
    const char *name;
    int fail_with; /* returned after the write, when not 0 */
    int lose;      /* runs that end AC_EAGAIN first */
    int runs;
    int done;      /* times done() was called */
    int err;       /* what done() said */
    int committed; /* the user was visible to a fresh read when done() said 0 */
};

static int run(void *arg)
{
    struct task *t = arg;
    t->runs++;
    struct ac_user u;
    int err = ac_store_user_create(nf.node.store, t->name, NULL, AC_ROLE_EARNER,
                                   ac_clock_now_ms(), &u);
    if (err)
        return err;
    if (t->lose > 0) {
        t->lose--;
        return AC_EAGAIN;
    }
    return t->fail_with;
}

static int user_count(const char *name)
{
    struct ac_user list[16];
    size_t n = 0;
    assert_int_equal(0, ac_store_user_list(nf.node.store, 0, list, 16, &n));
    int found = 0;
    for (size_t i = 0; i < n; i++)
        found += strcmp(list[i].name, name) == 0;
    return found;
}

static void done(void *arg, int err)
{
    struct task *t = arg;
    t->done++;
    t->err = err;
    if (!err)
        t->committed = user_count(t->name);
}

static void start(void)
{
    assert_int_equal(0, fixture_open(&nf));
    assert_int_equal(0, fixture_loop(&nf));
    struct ac_node *n = &nf.node;
    assert_int_equal(0, ac_router_new(&n->router));
    /* A write route makes the request layer, as the node's routes do. */
    ac__route_write(n, "POST", "/unused", NULL);
    assert_int_equal(0, ac__reqtx_start(n));
}

static void run_until(const int *flag, int want)
{
    for (int i = 0; i < 200 && *flag < want; i++)
        uv_run(nf.node.loop, UV_RUN_ONCE);
}

static void stop(void)
{
    struct ac_node *n = &nf.node;
    ac__reqtx_stop(n);
    /* The request layer's handles close on the loop's next turn, as the
     * node runs it before freeing: freed first, their memory would be
     * what the close callbacks touch. */
    uv_run(n->loop, UV_RUN_NOWAIT);
    ac__reqtx_free(n);
    ac_router_free(n->router);
    n->router = NULL;
}

static void test_a_task_hears_of_its_write_once_its_group_committed(void **state)
{
    (void)state;
    start();
    struct task t = {.name = "tasked"};
    assert_int_equal(0, ac__reqtx_task(&nf.node, "test task", run, done, &t));
    assert_int_equal(0, t.done); /* it runs on a later turn of the loop */
    run_until(&t.done, 1);
    assert_int_equal(1, t.done);
    assert_int_equal(0, t.err);
    assert_int_equal(1, t.runs);
    assert_int_equal(1, t.committed);
    stop();
}

static void test_a_failing_task_leaves_nothing_and_spares_its_group(void **state)
{
    (void)state;
    start();
    struct task bad = {.name = "failed", .fail_with = AC_EINVAL};
    struct task good = {.name = "kept"};
    assert_int_equal(0, ac__reqtx_task(&nf.node, "failing task", run, done, &bad));
    assert_int_equal(0, ac__reqtx_task(&nf.node, "good task", run, done, &good));
    run_until(&good.done, 1);
    run_until(&bad.done, 1);
    assert_int_equal(1, bad.done);
    assert_int_equal(AC_EINVAL, bad.err);
    assert_int_equal(0, user_count("failed")); /* its savepoint rolled back */
    assert_int_equal(1, good.done);
    assert_int_equal(0, good.err);
    assert_int_equal(1, good.committed);
    stop();
}

static void test_a_task_that_loses_a_race_runs_again(void **state)
{
    (void)state;
    start();
    struct task t = {.name = "again", .lose = 2};
    assert_int_equal(0, ac__reqtx_task(&nf.node, "racing task", run, done, &t));
    run_until(&t.done, 1);
    assert_int_equal(1, t.done);
    assert_int_equal(0, t.err);
    assert_int_equal(3, t.runs);
    assert_int_equal(1, user_count("again")); /* once, not once per run */
    stop();
}

static void test_a_task_the_node_stops_before_is_cancelled(void **state)
{
    (void)state;
    start();
    struct task t = {.name = "never"};
    assert_int_equal(0, ac__reqtx_task(&nf.node, "late task", run, done, &t));
    stop(); /* before any turn of the loop */
    assert_int_equal(1, t.done);
    assert_int_equal(AC_ECANCELED, t.err);
    assert_int_equal(0, t.runs);
    assert_int_equal(0, user_count("never"));
    struct task after = {.name = "after"};
    /* Stopped: refused at once, done() never called. */
    assert_int_equal(AC_ECANCELED, ac__reqtx_task(&nf.node, "after stop", run, done, &after));
    assert_int_equal(0, after.done);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_a_task_hears_of_its_write_once_its_group_committed,
                                  fixture_teardown),
        cmocka_unit_test_teardown(test_a_failing_task_leaves_nothing_and_spares_its_group,
                                  fixture_teardown),
        cmocka_unit_test_teardown(test_a_task_that_loses_a_race_runs_again, fixture_teardown),
        cmocka_unit_test_teardown(test_a_task_the_node_stops_before_is_cancelled,
                                  fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
