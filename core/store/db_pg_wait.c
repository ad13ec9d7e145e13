/* db_pg_wait.c - the PostgreSQL engine's waits on libpq, so that none
 * blocks the event loop or lasts for ever: a statement's answer awaited on
 * the socket through ac_fiber_wait_fd() (on a fiber, a write handler,
 * node/http/reqtx.c, the wait yields and the loop thread serves others
 * during the round trip; elsewhere it poll()s, as PQexec() would), over TLS
 * too given the probe the node registers (store/tls_probe.h); COMMIT's
 * bounded wait in place, with the cancel sent from a thread of its own; and
 * the connect, driven through PQconnectPoll() with a deadline per host.
 * db_pg.c, the statement seam, calls these (db_pg_wait.h); they call
 * nothing of it back. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "accord/base/error.h"
#include "accord/base/fiber.h"
#include "accord/base/log.h"
#include "accord/store/tls_probe.h"
#include "db_pg_wait.h"

/* Bounds on how long a call can wait, so that a dead primary or a lock held
 * by a stuck peer becomes an error instead of a thread blocked for ever. A
 * URL's own connect_timeout or options replace these. */
#define CONNECT_TIMEOUT_S "5"
#define SESSION_OPTIONS                                                                    \
    "-c statement_timeout=30000 -c lock_timeout=10000 -c bytea_output=hex "                \
    "-c idle_in_transaction_session_timeout=60000"

/* How long a COMMIT may wait for the server's answer. A primary with
 * synchronous standbys answers COMMIT only once one of them has the commit
 * record; with none left it would wait for ever, and statement_timeout does
 * not end that wait (the server turns it off before COMMIT). Past this
 * bound the wait is cancelled: the server then keeps the commit locally, on
 * the primary alone, so the caller hears "outcome unknown" (docs/ha.md). */
#define COMMIT_WAIT_MS 10000

/* How long, past COMMIT_WAIT_MS, the cancelled COMMIT's answer may take.
 * The cancel goes through a new connection (PQcancel()) that may never
 * reach the server (a front that speaks only TLS, a host gone); past this
 * bound the connection is dropped and the outcome stays unknown. */
#define CANCEL_WAIT_MS 5000

/* While bytes may be held where the socket does not show them (TLS without
 * a probe, GSSAPI encryption), a bounded wait polls in slices this long and
 * reads on after each. */
#define HIDDEN_SLICE_MS 5

/* How many reads in a row await_ready() makes of input already there (held
 * inside the TLS layer, or on a readable socket) before it yields: over TLS
 * each PQconsumeInput() takes one record, and a yield costs a turn of the
 * loop; the bound keeps one long answer from holding the loop. */
#define READ_AHEAD 64

/* ---- the probe of the TLS layer, and a statement's answer ---- */

/* The probe of the TLS layer under libpq (store/tls_probe.h); NULL until
 * the node registers net/'s. Written once at start and read on every
 * thread that runs statements (the loop, the writer, reader threads):
 * atomic, relaxed, as the pointer alone carries all there is to see. */
static _Atomic(ac_store_tls_pending_fn) tls_pending;
static atomic_flag tls_unprobed_logged = ATOMIC_FLAG_INIT;

void ac_store_set_tls_pending(ac_store_tls_pending_fn fn)
{
    atomic_store_explicit(&tls_pending, fn, memory_order_relaxed);
}

static ac_store_tls_pending_fn probe(void)
{
    return atomic_load_explicit(&tls_pending, memory_order_relaxed);
}

/* 1 when libpq can read on without the socket: the TLS layer holds
 * plaintext libpq has not taken, the rest of a record larger than the room
 * libpq's buffer had (a server that writes 16 KiB records; PostgreSQL 15
 * writes at most 8 KiB at a time, and libpq keeps 8 KiB free before each
 * read). The socket's readiness does not show it: a wait there could last
 * until the server sends again, for ever if those bytes end the answer.
 * libpq's own waits check the same first (pqSocketCheck(),
 * pgtls_read_pending(): SSL_pending() > 0). */
static int tls_holds_input(PGconn *conn)
{
    ac_store_tls_pending_fn fn = probe();
    if (!fn || !PQsslInUse(conn))
        return 0;
    void *ssl = PQsslStruct(conn, "OpenSSL");
    return ssl && fn(ssl) > 0;
}

/* 1 when bytes of the answer may sit inside libpq's transport where
 * neither the socket nor the probe shows them: over TLS without a probe
 * (or with a libpq not built on OpenSSL), and under GSSAPI encryption,
 * which decrypts a whole packet into a buffer of libpq's own (Debian's
 * libpq tries it first: gssencmode=prefer) and has no probe at all. */
static int input_may_hide(PGconn *conn)
{
    if (PQgssEncInUse(conn))
        return 1;
    return PQsslInUse(conn) && !(probe() && PQsslStruct(conn, "OpenSSL"));
}

/* 1 when the engine may wait on the socket for an answer: when nothing can
 * hold input out of its sight (input_may_hide()). Otherwise libpq waits
 * itself: said once, on a fiber, where that wait holds the loop. */
static int may_wait_on_socket(PGconn *conn)
{
    if (!input_may_hide(conn))
        return 1;
    if (ac_fiber_on() && !atomic_flag_test_and_set(&tls_unprobed_logged))
        ac_log_warn("store", "postgresql: over TLS without a probe of the TLS layer, or under "
                    "GSSAPI encryption, libpq waits for each answer itself: the event loop "
                    "waits on every round trip of a write handler (docs/ha.md)");
    return 0;
}

/* 1 when |fd| has input now (a poll() that does not wait). */
static int socket_readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return fd >= 0 && poll(&p, 1, 0) > 0;
}

/* Sends what libpq still holds of the request just queued: on a full
 * socket buffer a non-blocking PQflush() keeps the rest, and the wait for
 * room goes through ac_fiber_wait_fd(). The server's answer is read
 * meanwhile, as libpq asks: a server busy writing a large answer stops
 * reading until its own socket buffer drains. No TLS check is needed
 * here: input held inside the TLS layer never keeps the socket from
 * taking more. Returns 0 once all is sent, -1 when the link failed
 * (PQgetResult() then reports it). */
static int flush_out(PGconn *conn)
{
    for (;;) {
        int left = PQflush(conn);
        if (left <= 0)
            return left;
        int fd = PQsocket(conn);
        if (fd < 0 || ac_fiber_wait_fd(fd, POLLIN | POLLOUT) != 0 || !PQconsumeInput(conn))
            return -1;
    }
}

/* Reads the input already there: one PQconsumeInput(), then more while the
 * answer is incomplete and the TLS layer holds bytes or the socket is
 * readable, up to READ_AHEAD reads. Over TLS a PQconsumeInput() takes one
 * record, so an answer of many records arriving together is read in one
 * go instead of one turn of the loop (a yield) per record. Returns -1 when
 * the link failed. */
static int read_ahead(PGconn *conn)
{
    for (int i = 0; i < READ_AHEAD; i++) {
        if (!PQconsumeInput(conn))
            return -1;
        if (!PQisBusy(conn) || (!tls_holds_input(conn) && !socket_readable(PQsocket(conn))))
            break;
    }
    return 0;
}

/* Waits until the next result can be read without blocking, through
 * ac_fiber_wait_fd(), after sending the rest of the request. Input already
 * there (held inside the TLS layer, or on the socket) is read on before
 * each wait (read_ahead()), so it waits only where the socket must bring
 * more. When the link fails it stops: PQgetResult() then reports the
 * failure (or, should poll() itself fail, waits on its own). Where input
 * may hide from it (input_may_hide()) PQgetResult() waits itself. */
static void await_ready(PGconn *conn)
{
    if (flush_out(conn) != 0 || !may_wait_on_socket(conn))
        return;
    while (PQisBusy(conn)) {
        if (!tls_holds_input(conn)) {
            int fd = PQsocket(conn);
            if (fd < 0 || ac_fiber_wait_fd(fd, POLLIN) != 0)
                return;
        }
        if (read_ahead(conn) != 0)
            return;
    }
}

/* Collects the answer to what was just sent (|sent|: the PQsend* call's
 * result), waiting before each result so that no PQgetResult() blocks on
 * the socket itself. Returns the last result, as PQexec() does (an error
 * ends a multi-statement text, so it is the last), or NULL when nothing
 * could be sent. */
PGresult *ac__pg_await(PGconn *conn, int sent)
{
    if (!sent)
        return NULL;
    PGresult *last = NULL;
    for (;;) {
        await_ready(conn);
        PGresult *res = PQgetResult(conn);
        if (!res)
            break;
        PQclear(last);
        last = res;
        ExecStatusType st = PQresultStatus(res);
        /* No statement here copies; a COPY would hand out a result per call. */
        if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH ||
            PQstatus(conn) == CONNECTION_BAD)
            break;
    }
    return last;
}

/* ---- the connect ---- */

/* The connect's bound per host, in ms: the connection's connect_timeout
 * (the URL's own, else CONNECT_TIMEOUT_S), as libpq reads it; 0 (or no
 * number) waits without one, as libpq would. */
static int64_t connect_timeout_ms(PGconn *conn)
{
    PQconninfoOption *opts = PQconninfo(conn);
    int64_t ms = 0;
    for (PQconninfoOption *o = opts; o && o->keyword; o++) {
        if (strcmp(o->keyword, "connect_timeout") || !o->val)
            continue;
        char *end;
        errno = 0;
        long s = strtol(o->val, &end, 10);
        if (!errno && end != o->val && s > 0 && s < INT_MAX)
            ms = (int64_t)s * 1000;
    }
    PQconninfoFree(opts);
    return ms;
}

/* 1 when |conn| has moved on to another host than |host|:|port| (copies
 * of the last ones seen, updated here). */
static int host_changed(PGconn *conn, char *host, size_t host_size, char *port, size_t port_size)
{
    const char *h = PQhost(conn), *p = PQport(conn);
    h = h ? h : "";
    p = p ? p : "";
    if (!strncmp(host, h, host_size - 1) && !strncmp(port, p, port_size - 1))
        return 0;
    snprintf(host, host_size, "%s", h);
    snprintf(port, port_size, "%s", p);
    return 1;
}

/* Drives the connect PQconnectStartParams() began to its end through
 * PQconnectPoll(), each wait on the socket through
 * ac_fiber_wait_fd_until(): on a fiber (a write handler's BEGIN) the loop
 * goes on meanwhile, over TCP, TLS handshake, authentication and startup
 * alike. libpq's own deadline (connect_timeout) applies only to its
 * blocking connect, so it is kept here: per host, as libpq does, the
 * deadline starting again when libpq moves on to the next host of a
 * multi-host URL (after a refusal, or a server that is not the primary).
 * The socket is read again after each poll: it changes with the host.
 * Unlike libpq's blocking connect, a host that never answers ends the whole
 * connect at its deadline (the non-blocking interface has no "next host"),
 * with that host named; the next call connects again from the first host.
 * Returns 0 or AC_EIO (the reason in |why|, |size| bytes). */
static int connect_poll(PGconn *conn, char *why, size_t size)
{
    int64_t timeout = connect_timeout_ms(conn);
    int64_t deadline = INT64_MAX;
    char host[256] = "", port[32] = "";
    /* libpq's protocol for the first call: as if it asked to write. */
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    for (;;) {
        if (st == PGRES_POLLING_OK)
            return 0;
        int fd = PQsocket(conn);
        if (st == PGRES_POLLING_FAILED || fd < 0) {
            snprintf(why, size, "%s", PQerrorMessage(conn));
            return AC_EIO;
        }
        if (host_changed(conn, host, sizeof host, port, sizeof port) && timeout > 0)
            deadline = ac_fiber_now_ms() + timeout;
        int err =
            ac_fiber_wait_fd_until(fd, st == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline);
        if (err == AC_ETIMEDOUT) {
            snprintf(why, size,
                     "timeout expired: no answer from %s port %s within connect_timeout (%lld s)",
                     host, port, (long long)(timeout / 1000));
            return AC_EIO;
        }
        if (err) {
            snprintf(why, size, "cannot wait on the connection's socket (poll() failed)");
            return AC_EIO;
        }
        st = PQconnectPoll(conn);
    }
}

/* The defaults come before the target so that the target's own settings
 * win: libpq keeps the last value of a repeated key. */
int ac__pg_connect(const char *target, PGconn **out, char *why, size_t size)
{
    static const char *const keys[] = {"connect_timeout", "options",        "client_encoding",
                                       "application_name", "keepalives_idle", "keepalives_interval",
                                       "keepalives_count", "tcp_user_timeout", "dbname",
                                       NULL};
    const char *vals[] = {CONNECT_TIMEOUT_S, SESSION_OPTIONS, "UTF8", "accord", "10", "5", "3",
                          "30000", target, NULL};
    *out = NULL;
    PGconn *conn = PQconnectStartParams(keys, vals, 1);
    if (!conn) {
        snprintf(why, size, "out of memory");
        return AC_ENOMEM;
    }
    int bad = PQstatus(conn) == CONNECTION_BAD;
    if (bad)
        snprintf(why, size, "%s", PQerrorMessage(conn));
    if (bad || connect_poll(conn, why, size) != 0) {
        PQfinish(conn);
        return AC_EIO;
    }
    /* Non-blocking, so that a PQsend* never waits on a full socket buffer
     * inside libpq: ac__pg_await() sends the rest through flush_out().
     * Should libpq refuse, sends wait inside it, as they did before. */
    if (PQsetnonblocking(conn, 1) != 0)
        ac_log_warn("store", "postgresql: cannot make the connection non-blocking: %s",
                    PQerrorMessage(conn));
    *out = conn;
    return 0;
}

/* ---- COMMIT's bounded wait ---- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until |deadline| (now_ms()) for the next result of the query in
 * flight, in place (poll(), never a yield: see ac__pg_commit_bounded()). Returns
 * 0 once it can be read without blocking, 1 when the deadline passed or
 * poll() itself fails (then nothing can be waited for), -1 if the link
 * failed (PQgetResult() then reports it). Where input may hide from the
 * socket (input_may_hide()) it polls in slices of HIDDEN_SLICE_MS and
 * reads on after each, so that the end of an answer held inside the TLS
 * layer is found without waiting for bytes the server will not send. */
static int wait_result(PGconn *conn, int64_t deadline)
{
    int fd = PQsocket(conn);
    int hide = input_may_hide(conn);
    for (;;) {
        /* The rest of the request first (the connection is non-blocking),
         * then the answer; input the TLS layer holds is read on at once. */
        int unsent = PQflush(conn);
        if (unsent < 0)
            return -1;
        if (!unsent && !PQisBusy(conn))
            return 0;
        if (unsent || !tls_holds_input(conn)) {
            if (fd < 0)
                return -1;
            int64_t left = deadline - now_ms();
            if (left <= 0)
                return 1;
            int ms = left > INT_MAX ? INT_MAX : (int)left;
            if (hide && ms > HIDDEN_SLICE_MS)
                ms = HIDDEN_SLICE_MS;
            struct pollfd p = {.fd = fd, .events = POLLIN | (unsent ? POLLOUT : 0)};
            int r = poll(&p, 1, ms);
            if (r < 0 && errno == EINTR)
                continue; /* the deadline stays where it was */
            if (r < 0) {
                ac_log_error("store", "postgresql: cannot wait for COMMIT's answer: %s",
                             strerror(errno));
                return 1;
            }
            if (r == 0 && !hide)
                continue; /* the deadline check above ends it */
        }
        if (!PQconsumeInput(conn))
            return -1;
    }
}

/* Sends the cancel request for the query in flight on |conn| from a thread
 * of its own: PQcancel() (libpq before 17 has no other) connects with a
 * blocking connect() and no timeout, which must not hold the caller past
 * its bound. The thread owns the PGcancel and frees it. Returns 0 when the
 * request is on its way. */
static void *cancel_thread(void *arg)
{
    PGcancel *c = arg;
    char why[256];
    if (!PQcancel(c, why, sizeof why))
        ac_log_warn("store", "postgresql: could not cancel a COMMIT: %s", why);
    PQfreeCancel(c);
    return NULL;
}

static int cancel_detached(PGconn *conn)
{
    PGcancel *c = PQgetCancel(conn);
    if (!c)
        return -1;
    pthread_attr_t attr;
    pthread_t t;
    int err = pthread_attr_init(&attr);
    if (!err) {
        err = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (!err)
            err = pthread_create(&t, &attr, cancel_thread, c);
        pthread_attr_destroy(&attr);
    }
    if (err) {
        PQfreeCancel(c);
        return -1;
    }
    return 0;
}

/* Runs COMMIT, waiting for its answer until one deadline COMMIT_WAIT_MS
 * away (a server that trickles bytes does not move it), then cancelling
 * it and waiting CANCEL_WAIT_MS more; |*unconfirmed| says it was
 * cancelled. Should even that pass (the cancel could not reach the
 * server, or the server ignores it), the connection is dropped (*conn
 * NULL) rather than waited on for ever. Returns the last result, NULL when
 * there was none. The waits are in place, not yields: a COMMIT runs inline
 * once its transaction's work is done (store.c's parked transactions). */
PGresult *ac__pg_commit_bounded(PGconn **conn, int *unconfirmed)
{
    if (!PQsendQuery(*conn, "COMMIT"))
        return PQgetResult(*conn);
    int64_t deadline = now_ms() + COMMIT_WAIT_MS;
    PGresult *last = NULL;
    for (;;) {
        int w = wait_result(*conn, deadline);
        if (w == 1 && !last && !*unconfirmed) {
            *unconfirmed = 1;
            if (cancel_detached(*conn) != 0)
                ac_log_warn("store", "postgresql: could not cancel a COMMIT waiting for a "
                            "standby");
            deadline = now_ms() + CANCEL_WAIT_MS;
            continue;
        }
        if (w == 1) {
            /* No answer to the cancel, or the end of an answer that came
             * never arrived: this connection's state is unknown. */
            PQfinish(*conn);
            *conn = NULL;
            break;
        }
        PGresult *res = PQgetResult(*conn);
        if (!res)
            break;
        PQclear(last);
        last = res;
        if (PQstatus(*conn) == CONNECTION_BAD)
            break;
    }
    return last;
}
