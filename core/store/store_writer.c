/* store_writer.c - the storage writer thread of writer.h: runs the COMMIT of
 * a write transaction the loop handed over, so the loop never waits on the
 * disk (SQLite's WAL writes, the WAL restart and the checkpoints its WAL
 * hook runs) or on a round trip to PostgreSQL for it. One commit at a time:
 * the connection belongs to this thread from the hand-over until the loop
 * has settled the result (store.c), and to the loop otherwise. */
#include <pthread.h>
#include <stdlib.h>

#include "accord/base/error.h"
#include "internal.h"

struct ac__store_writer {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;   /* the thread waits for a job; the loop for a result */
    /* Guarded by mu. */
    struct ac_db *job;   /* borrowed: the connection to commit; NULL when none */
    int done;            /* a result is ready for the loop */
    int result;          /* what ac_db_commit() returned */
    int stop;
    ac_store_committed_cb cb;
    void *arg;
};

static void *run(void *arg)
{
    struct ac__store_writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->stop && !w->job)
            pthread_cond_wait(&w->cv, &w->mu);
        if (!w->job)
            break; /* stopping with nothing handed over */
        struct ac_db *db = w->job;
        pthread_mutex_unlock(&w->mu);
        /* The loop does not touch |db| until it has seen |done|: the mutex
         * hands the connection over in both directions. */
        int result = ac_db_commit(db);
        pthread_mutex_lock(&w->mu);
        w->job = NULL;
        w->result = result;
        w->done = 1;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        w->cb(w->arg);
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int ac__store_writer_open(ac_store_committed_cb cb, void *arg, struct ac__store_writer **out)
{
    if (!cb)
        return AC_EINVAL;
    struct ac__store_writer *w = calloc(1, sizeof *w);
    if (!w)
        return AC_ENOMEM;
    w->cb = cb;
    w->arg = arg;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->thread, NULL, run, w) != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return AC_ENOMEM;
    }
    *out = w;
    return 0;
}

void ac__store_writer_submit(struct ac__store_writer *w, struct ac_db *db)
{
    pthread_mutex_lock(&w->mu);
    w->job = db;
    w->done = 0;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

int ac__store_writer_take(struct ac__store_writer *w, int wait, int *result)
{
    pthread_mutex_lock(&w->mu);
    while (wait && !w->done)
        pthread_cond_wait(&w->cv, &w->mu);
    int done = w->done;
    if (done) {
        *result = w->result;
        w->done = 0;
    }
    pthread_mutex_unlock(&w->mu);
    return done;
}

void ac__store_writer_close(struct ac__store_writer *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}
