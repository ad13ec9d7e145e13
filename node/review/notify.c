/* notify.c - notifications: queues them for people (inside the caller's
 * transaction) and delivers the outbox: each message is written as an
 * RFC 5322 message into the maildir under the data directory (maildir/tmp,
 * fsync, rename into maildir/new), or sent over SMTP with libcurl when
 * [notify] smtp_url is set. One delivery at a time runs on the thread pool.
 * A failure is retried with doubling backoff (30 s up to 1 h). The maildir
 * file name is derived from the notification id, so a delivery repeated
 * after a crash overwrites its own file instead of adding a second one.
 *
 * On a node serving requests the loop runs none of a delivery's store
 * statements (issue 15: on PostgreSQL each is a round trip it would wait
 * for, and a transaction of its own would close the open request group):
 * the due notification, its recipient and their address are read by a task
 * of the request group commit (ac__reqtx_task(), node/internal.h), on the
 * write handlers' fiber; once that group committed the message is built on
 * the loop and sent on the thread pool; then another task records the
 * delivery (or the failed attempt and its back-off), and once that
 * committed the next due notification is read. A delivery is one chain
 * from its read to its record (n->scheduler->busy), so never two at once.
 * The tasks are transaction bodies: they only read and write rows, and a
 * re-run after a lost race reads or writes the same again. When the node
 * stops before the read ran, nothing was sent and the notification stays
 * due; a delivery already sent whose record the stopping request layer can
 * no longer take is recorded by the loop itself (its last act). Without
 * request groups (unit tests, tools) the reads and the record run inline on
 * the loop, as they did before. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "accord/base/buf.h"
#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/store/notify.h"
#include "accord/store/user.h"
#include "review/review.h"

#define RETRY_MIN_MS (30 * 1000LL)
#define RETRY_MAX_MS (3600 * 1000LL)

struct ac__delivery {
    uv_work_t work;              /* first */
    struct ac__scheduler *state; /* borrowed; outlives the delivery */
    /* What read_due() found: the notification due (|found|), its recipient
     * and their address (|email.address| "" when none). */
    int found;
    struct ac_notification note; /* owned strings */
    struct ac_user user;
    struct ac_user_email email;
    /* The delivery built from it (prepare()). */
    int64_t id;
    int attempts;
    char *maildir;     /* owned: <data_dir>/maildir, NULL when SMTP */
    char *smtp_url;    /* owned copy, NULL for the maildir */
    char *from, *to;   /* owned addresses */
    struct ac_buf msg; /* the whole RFC 5322 message, CRLF line ends */
    size_t sent;       /* SMTP upload position */
    char error[256];   /* set by the worker on failure */
    /* The commit count when the notification was read: it goes out only
     * once that is durable, so a crash cannot take back what it announces. */
    uint64_t need;
    int awaiting; /* built, waiting for |need| to be durable (not queued yet) */
    /* Its outcome, for record_body(): delivered at |now_ms|, or (|failed|)
     * failed with |error| and tried again at |next_ms|. */
    int failed;
    int64_t now_ms, next_ms;
    /* A pump came while it was in flight: what it was for (a notification
     * committed after the read) may not have been read, so the next read
     * follows its end. */
    int again;
};

static void delivery_free(struct ac__delivery *d)
{
    free(d->maildir);
    free(d->smtp_url);
    free(d->from);
    free(d->to);
    ac_buf_release(&d->msg);
    ac_notification_release(&d->note);
    free(d);
}

/* Appends |text| with bare LF turned into CRLF (RFC 5322 line ends). */
static int append_crlf(struct ac_buf *b, const char *text)
{
    for (const char *p = text; *p; p++) {
        if (*p == '\n' && (p == text || p[-1] != '\r') && ac_buf_append(b, "\r", 1))
            return AC_ENOMEM;
        if (ac_buf_append(b, p, 1))
            return AC_ENOMEM;
    }
    return 0;
}

char *ac__mail_header_value(const char *s)
{
    char *out = strdup(s ? s : "");
    if (!out)
        return NULL;
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    return out;
}

/* Builds the message of |d|'s notification (its reads done) into d->msg. */
static int build_message(struct ac_node *n, struct ac__delivery *d)
{
    const struct ac_notification *m = &d->note;
    const struct ac_user *u = &d->user;
    const char *domain = n->cfg->notify_mail_domain ? n->cfg->notify_mail_domain : n->cfg->node_id;
    char from[256], to[256], date[64];
    if (n->cfg->notify_from)
        snprintf(from, sizeof from, "%s", n->cfg->notify_from);
    else
        snprintf(from, sizeof from, "accord@%s", n->cfg->node_id);
    snprintf(to, sizeof to, "%s@%s", u->name, domain);
    /* A user's own address once verified; the link that verifies it goes
     * to it before (node/accounts/email.c). Else the node's mail domain. */
    const struct ac_user_email *e = &d->email;
    if (e->address[0] && (e->verified_ms || strcmp(m->kind, "email_verify") == 0))
        snprintf(to, sizeof to, "%s", e->address);
    time_t secs = (time_t)(ac_clock_now_ms() / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    d->from = strdup(from);
    d->to = strdup(to);
    if (!d->from || !d->to)
        return AC_ENOMEM;
    /* Every value placed in a header line is cleaned of CR/LF and other
     * control bytes: display names and subjects come from users. */
    char *node = ac__mail_header_value(n->cfg->node_id);
    char *hfrom = ac__mail_header_value(from), *hto = ac__mail_header_value(to);
    char *name = ac__mail_header_value(u->display_name);
    char *subject = ac__mail_header_value(m->subject);
    char *kind = ac__mail_header_value(m->kind);
    int err = AC_ENOMEM;
    if (node && hfrom && hto && name && subject && kind)
        err = ac_buf_printf(&d->msg,
                            "Date: %s\r\nFrom: Accord %s <%s>\r\nTo: %s <%s>\r\nSubject: %s\r\n"
                            "Message-ID: <%" PRId64 ".%s@accord>\r\nX-Accord-Kind: %s\r\n"
                            "X-Accord-Submission: %" PRId64 "\r\nMIME-Version: 1.0\r\n"
                            "Content-Type: text/plain; charset=utf-8\r\n"
                            "Content-Transfer-Encoding: 8bit\r\n\r\n",
                            date, node, hfrom, name, hto, subject, m->id, node, kind,
                            m->submission_id);
    free(node);
    free(hfrom);
    free(hto);
    free(name);
    free(subject);
    free(kind);
    if (!err)
        err = append_crlf(&d->msg, m->body);
    return err;
}

static int write_maildir(struct ac__delivery *d)
{
    char tmp[4096], dst[4096];
    snprintf(tmp, sizeof tmp, "%s/tmp", d->maildir);
    mkdir(d->maildir, 0700);
    mkdir(tmp, 0700);
    snprintf(dst, sizeof dst, "%s/new", d->maildir);
    mkdir(dst, 0700);
    snprintf(tmp, sizeof tmp, "%s/tmp/%" PRId64 ".accord", d->maildir, d->id);
    snprintf(dst, sizeof dst, "%s/new/%" PRId64 ".accord", d->maildir, d->id);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        goto fail;
    size_t off = 0;
    while (off < d->msg.len) {
        ssize_t w = write(fd, d->msg.data + off, d->msg.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            close(fd);
            goto fail;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, dst) != 0)
        goto fail;
    /* The rename is durable once the directory is synced. */
    snprintf(tmp, sizeof tmp, "%s/new", d->maildir);
    fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    return 0;
fail:
    snprintf(d->error, sizeof d->error, "maildir %.160s: %.60s", dst, strerror(errno));
    return -1;
}

static size_t on_read(char *buf, size_t size, size_t nmemb, void *arg)
{
    struct ac__delivery *d = arg;
    size_t room = size * nmemb, left = d->msg.len - d->sent;
    size_t k = left < room ? left : room;
    memcpy(buf, d->msg.data + d->sent, k);
    d->sent += k;
    return k;
}

static int send_smtp(struct ac__delivery *d)
{
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(d->error, sizeof d->error, "smtp: cannot create a curl handle");
        return -1;
    }
    struct curl_slist *rcpt = curl_slist_append(NULL, d->to);
    char from[300];
    snprintf(from, sizeof from, "<%s>", d->from);
    curl_easy_setopt(c, CURLOPT_URL, d->smtp_url);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, d);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
    d->sent = 0;
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        snprintf(d->error, sizeof d->error, "smtp %s: %s", d->smtp_url, curl_easy_strerror(rc));
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(c);
    return rc == CURLE_OK ? 0 : -1;
}

/* Thread pool: touches only |d|. */
static void on_work(uv_work_t *w)
{
    struct ac__delivery *d = (struct ac__delivery *)w;
    if (d->smtp_url)
        send_smtp(d);
    else
        write_maildir(d);
}

/* ---- the chain of one delivery: read, send, record ---- */

static void read_done(void *arg, int err);

/* Ends the delivery |d| (freed): the next due notification is read when
 * |pump| (or a pump came meanwhile) and the scheduler runs on, or the
 * scheduler is freed when its timer closed meanwhile and no tick is in
 * flight (whoever is last frees it; scheduler.c). */
static void delivery_end(struct ac__delivery *d, int pump)
{
    struct ac__scheduler *r = d->state;
    struct ac_node *n = r->node;
    pump = pump || d->again;
    r->busy = NULL;
    delivery_free(d);
    if (r->closed) {
        if (!r->ticking) {
            n->scheduler = NULL;
            free(r->kinds);
            free(r);
        }
    } else if (pump && !r->closing) {
        ac__notify_pump(n);
    }
}

/* A transaction body (a task's run, or inline on the loop): reads the
 * oldest notification due now into |d| with its recipient and their
 * address, or finds none (d->found 0). Reads only, so a re-run after a
 * lost race just reads again. */
static int read_due(struct ac_node *n, struct ac__delivery *d)
{
    ac_notification_release(&d->note);
    memset(&d->note, 0, sizeof d->note);
    memset(&d->email, 0, sizeof d->email);
    d->found = 0;
    struct ac_notification *due = NULL;
    size_t got = 0;
    int err = ac_store_notify_due(n->store, ac_clock_now_ms(), 1, &due, &got);
    if (!err && got > 0) {
        d->note = due[0]; /* its strings move over */
        d->found = 1;
        err = ac_store_user_get(n->store, d->note.user_id, &d->user);
        /* A user's own address once verified; the link that verifies it
         * goes to it before (node/accounts/email.c). None (AC_ENOENT): the
         * node's mail domain. */
        int e = err ? 0 : ac_store_user_email_get(n->store, d->note.user_id, &d->email);
        if (e == AC_ENOENT)
            memset(&d->email, 0, sizeof d->email);
        else if (e)
            err = e;
    }
    for (size_t i = 1; i < got; i++)
        ac_notification_release(&due[i]);
    free(due);
    return err;
}

static int read_run(void *arg)
{
    struct ac__delivery *d = arg;
    return read_due(d->state->node, d);
}

/* A transaction body: records |d|'s outcome (delivered, or the failed
 * attempt and its next try), each in a savepoint of the caller's
 * transaction or a transaction of its own. */
static int record_body(struct ac_node *n, const struct ac__delivery *d)
{
    if (d->failed)
        return ac_store_notify_failed(n->store, d->id, d->error, d->next_ms);
    return ac_store_notify_delivered(n->store, d->id, d->now_ms);
}

static int record_run(void *arg)
{
    struct ac__delivery *d = arg;
    return record_body(d->state->node, d);
}

/* The record's task ended with |err| (0: its group committed). Cancelled,
 * the node stops and its request layer is gone: what was sent is recorded
 * by the loop itself rather than sent again by the next start. */
static void record_done(void *arg, int err)
{
    struct ac__delivery *d = arg;
    struct ac_node *n = d->state->node;
    if (err == AC_ECANCELED)
        err = record_body(n, d);
    if (err)
        ac_log_error("notify", "notification %" PRId64 " %s but not recorded: %s", d->id,
                     d->failed ? "failed" : "sent", ac_strerror(err));
    delivery_end(d, 1);
}

/* Loop: the send ended. Its outcome is recorded by a task (inline without
 * request groups, or when the stopping request layer takes no task). */
static void on_after_work(uv_work_t *w, int status)
{
    struct ac__delivery *d = (struct ac__delivery *)w;
    struct ac_node *n = d->state->node;
    d->now_ms = ac_clock_now_ms();
    d->failed = status != 0 || d->error[0];
    if (d->failed) {
        if (!d->error[0])
            snprintf(d->error, sizeof d->error, "cancelled");
        int64_t backoff = RETRY_MIN_MS << (d->attempts < 7 ? d->attempts : 7);
        if (backoff > RETRY_MAX_MS)
            backoff = RETRY_MAX_MS;
        d->next_ms = d->now_ms + backoff;
        ac_log_warn("notify", "notification %" PRId64 ": %s; retry in %" PRId64 " s", d->id,
                    d->error, backoff / 1000);
    }
    int err = AC_ECANCELED;
    if (n->reqtx)
        err = ac__reqtx_task(n, "notification record", record_run, record_done, d);
    if (err)
        /* No request layer, or none any more: the loop records it itself. */
        record_done(d, AC_ECANCELED);
}

/* Loop: builds the delivery of the notification read into |d| and sends
 * it on the thread pool, or leaves it waiting for its commit to be
 * durable (ac__notify_durable()). Returns 0 or an error (nothing sent). */
static int prepare(struct ac_node *n, struct ac__delivery *d)
{
    d->id = d->note.id;
    d->attempts = d->note.attempts;
    if (n->cfg->notify_smtp_url) {
        d->smtp_url = strdup(n->cfg->notify_smtp_url);
    } else {
        size_t len = strlen(n->cfg->data_dir) + sizeof "/maildir";
        d->maildir = malloc(len);
        if (d->maildir)
            snprintf(d->maildir, len, "%s/maildir", n->cfg->data_dir);
    }
    if (!d->smtp_url && !d->maildir)
        return AC_ENOMEM;
    int err = build_message(n, d);
    if (err)
        return err;
    d->need = ac_store_commits(n->store);
    d->awaiting = ac_store_durable(n->store) < d->need;
    return d->awaiting ? 0 : uv_queue_work(n->loop, &d->work, on_work, on_after_work);
}

/* The read ended with |err| (a task's: 0 once its group committed, so
 * what it read is committed). A notification found goes out unless the
 * node stops (it stays due for the next start); nothing found, or a read
 * that failed, waits for the next tick's pump. */
static void read_done(void *arg, int err)
{
    struct ac__delivery *d = arg;
    struct ac__scheduler *r = d->state;
    struct ac_node *n = r->node;
    if (err && err != AC_ECANCELED)
        ac_log_error("notify", "cannot read the next notification due: %s", ac_strerror(err));
    if (err || !d->found || r->closing || n->stopping) {
        delivery_end(d, 0);
        return;
    }
    err = prepare(n, d);
    if (err) {
        ac_log_error("notify", "notification %" PRId64 ": cannot deliver: %s", d->note.id,
                     ac_strerror(err));
        delivery_end(d, 0);
    }
}

int ac__notify_admins(struct ac_node *n, const char *kind, int64_t submission_id,
                      const char *subject, const char *body)
{
    struct ac_user page[64];
    int64_t after = 0;
    size_t got;
    int err;
    do {
        err = ac_store_user_list(n->store, after, page, 64, &got);
        for (size_t i = 0; !err && i < got; i++) {
            after = page[i].id;
            if ((page[i].roles & AC_ROLE_ADMIN) && !page[i].disabled_ms)
                err = ac_store_notify_add(n->store, page[i].id, kind, submission_id, subject, body,
                                          ac_clock_now_ms(), NULL);
        }
    } while (!err && got == 64);
    return err;
}

void ac__notify_durable(struct ac_node *n)
{
    struct ac__scheduler *r = n->scheduler;
    struct ac__delivery *d = r ? r->busy : NULL;
    if (!d || !d->awaiting || ac_store_durable(n->store) < d->need)
        return;
    d->awaiting = 0;
    int err = uv_queue_work(n->loop, &d->work, on_work, on_after_work);
    if (err) {
        snprintf(d->error, sizeof d->error, "cannot queue the delivery: %s", uv_strerror(err));
        on_after_work(&d->work, err);
    }
}

int ac__notify_busy(const struct ac_node *n)
{
    return n->scheduler && n->scheduler->busy;
}

static void pump_after_commit(void *arg)
{
    ac__notify_pump(arg);
}

void ac__notify_pump(struct ac_node *n)
{
    /* Inside a transaction (a request's) the notification just added is
     * not committed and may be rolled back or written again by a re-run:
     * it is sent once the transaction commits. Without memory for the
     * hook, the scheduler's next periodic tick (which pumps) sends it. */
    if (ac_store_tx_open(n->store)) {
        if (ac_store_after_commit(n->store, pump_after_commit, NULL, n) != 0)
            ac_log_warn("notify", "out of memory: the notification goes at the next tick");
        return;
    }
    struct ac__scheduler *r = n->scheduler;
    if (!r || r->closing)
        return;
    if (r->busy) {
        r->busy->again = 1;
        return;
    }
    struct ac__delivery *d = calloc(1, sizeof *d);
    if (!d) {
        ac_log_warn("notify", "out of memory: the next notification goes at the next tick");
        return;
    }
    ac_buf_init(&d->msg);
    d->state = r;
    /* Busy from here: its done may come before ac__reqtx_task() returns. */
    r->busy = d;
    if (!n->reqtx) {
        read_done(d, read_due(n, d));
        return;
    }
    int err = ac__reqtx_task(n, "notification read", read_run, read_done, d);
    if (err) {
        /* Stopping (AC_ECANCELED): it stays due for the next start. */
        if (err != AC_ECANCELED)
            ac_log_error("notify", "cannot queue the read of the next notification: %s",
                         ac_strerror(err));
        delivery_end(d, 0);
    }
}
