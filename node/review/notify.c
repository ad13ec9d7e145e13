/* notify.c - notifications: queues them for people (inside the caller's
 * transaction) and delivers the outbox: each message is written as an
 * RFC 5322 message into the maildir under the data directory (maildir/tmp,
 * fsync, rename into maildir/new), or sent over SMTP with libcurl when
 * [notify] smtp_url is set. One delivery at a time runs on the thread pool;
 * its result is recorded on the loop thread. A failure is retried with
 * doubling backoff (30 s up to 1 h). The maildir file name is derived from
 * the notification id, so a delivery repeated after a crash overwrites its
 * own file instead of adding a second one. */
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
};

static void delivery_free(struct ac__delivery *d)
{
    free(d->maildir);
    free(d->smtp_url);
    free(d->from);
    free(d->to);
    ac_buf_release(&d->msg);
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

static int build_message(struct ac_node *n, const struct ac_notification *m,
                         const struct ac_user *u, struct ac__delivery *d)
{
    const char *domain = n->cfg->notify_mail_domain ? n->cfg->notify_mail_domain : n->cfg->node_id;
    char from[256], to[256], date[64];
    if (n->cfg->notify_from)
        snprintf(from, sizeof from, "%s", n->cfg->notify_from);
    else
        snprintf(from, sizeof from, "accord@%s", n->cfg->node_id);
    snprintf(to, sizeof to, "%s@%s", u->name, domain);
    /* A user's own address once verified; the link that verifies it goes
     * to it before (node/accounts/email.c). Else the node's mail domain. */
    struct ac_user_email e;
    if (ac_store_user_email_get(n->store, u->id, &e) == 0 && e.address[0] &&
        (e.verified_ms || strcmp(m->kind, "email_verify") == 0))
        snprintf(to, sizeof to, "%s", e.address);
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

static void on_after_work(uv_work_t *w, int status)
{
    struct ac__delivery *d = (struct ac__delivery *)w;
    struct ac__scheduler *r = d->state;
    struct ac_node *n = r->node;
    int64_t now = ac_clock_now_ms();
    if (status == 0 && !d->error[0]) {
        int err = ac_store_notify_delivered(n->store, d->id, now);
        if (err)
            ac_log_error("notify", "notification %" PRId64 " sent but not recorded: %s", d->id,
                         ac_strerror(err));
    } else {
        int64_t backoff = RETRY_MIN_MS << (d->attempts < 7 ? d->attempts : 7);
        if (backoff > RETRY_MAX_MS)
            backoff = RETRY_MAX_MS;
        ac_log_warn("notify", "notification %" PRId64 ": %s; retry in %" PRId64 " s", d->id,
                    d->error[0] ? d->error : "cancelled", backoff / 1000);
        ac_store_notify_failed(n->store, d->id, d->error[0] ? d->error : "cancelled",
                               now + backoff);
    }
    r->busy = NULL;
    delivery_free(d);
    if (r->closed) {
        n->scheduler = NULL;
        free(r->kinds);
        free(r);
    } else if (!r->closing) {
        ac__notify_pump(n);
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
    if (!r || r->busy || r->closing)
        return;
    struct ac_notification *due = NULL;
    size_t got = 0;
    if (ac_store_notify_due(n->store, ac_clock_now_ms(), 1, &due, &got) || got == 0) {
        free(due);
        return;
    }
    struct ac__delivery *d = calloc(1, sizeof *d);
    struct ac_user u;
    int err = d ? 0 : AC_ENOMEM;
    if (!err)
        err = ac_store_user_get(n->store, due[0].user_id, &u);
    if (!err) {
        ac_buf_init(&d->msg);
        d->state = r;
        d->id = due[0].id;
        d->attempts = due[0].attempts;
        if (n->cfg->notify_smtp_url) {
            d->smtp_url = strdup(n->cfg->notify_smtp_url);
        } else {
            size_t len = strlen(n->cfg->data_dir) + sizeof "/maildir";
            d->maildir = malloc(len);
            if (d->maildir)
                snprintf(d->maildir, len, "%s/maildir", n->cfg->data_dir);
        }
        if (!d->smtp_url && !d->maildir)
            err = AC_ENOMEM;
    }
    if (!err)
        err = build_message(n, &due[0], &u, d);
    if (!err) {
        d->need = ac_store_commits(n->store);
        d->awaiting = ac_store_durable(n->store) < d->need;
    }
    if (!err && !d->awaiting)
        err = uv_queue_work(n->loop, &d->work, on_work, on_after_work);
    if (err) {
        ac_log_error("notify", "notification %" PRId64 ": cannot deliver: %s", due[0].id,
                     ac_strerror(err));
        if (d)
            delivery_free(d);
    } else {
        r->busy = d;
    }
    ac_notification_release(&due[0]);
    free(due);
}
