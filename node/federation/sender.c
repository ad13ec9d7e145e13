/* sender.c - delivers the federation outbox: one sender per peer, reading the
 * outbox in pages after the peer's durable cursor (so a long backlog costs one
 * page of memory), one request in flight per peer (so the cursor moves in
 * order and a slow peer holds nothing the others need), a few quick retries,
 * then a durable per-peer back-off driven by a timer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/net/h2_client.h"
#include "accord/sign/envelope.h"
#include "accord/store/peer.h"
#include "borrow.h"
#include "cert.h"
#include "federation.h"
#include "internal.h"

#define QUICK_RETRIES 2
#define QUICK_DELAY_MS 250
#define BACKOFF_BASE_MS 1000
#define BACKOFF_CAP_MS (24LL * 3600 * 1000)
/* A waiting sender looks at the clock at least this often, so a back-off
 * ends on time even when the node's clock moves (the test clock) while the
 * timer runs; it reads no storage when it wakes early. */
#define TICK_MAX_MS 1000

static void deliver_next(struct ac__fed_peer *p);

static void on_timer(uv_timer_t *t)
{
    deliver_next(t->data);
}

static void arm(struct ac__fed_peer *p, int64_t ms)
{
    if (ms < 0)
        ms = 0;
    uv_timer_start(&p->timer, on_timer, (uint64_t)(ms > TICK_MAX_MS ? TICK_MAX_MS : ms), 0);
}

void ac__fed_sender_close(struct ac__fed_peer *p)
{
    uv_timer_stop(&p->timer);
    if (p->client) {
        struct ac_h2_client *c = p->client;
        p->client = NULL;
        ac_h2_client_close(c); /* fails the request in flight: on_response sees stopping */
    }
}

void ac__fed_kick(struct ac__fed_peer *p)
{
    if (p->fed->stopping || !p->active || p->in_flight)
        return;
    /* Never deliver from inside the caller (often a request handler). */
    uv_timer_start(&p->timer, on_timer, 0, 0);
}

void ac__fed_kick_all(struct ac__federation *f)
{
    for (size_t i = 0; i < f->npeers; i++)
        ac__fed_kick(f->peers[i]);
}

void ac__fed_durable(struct ac__federation *f)
{
    uint64_t durable = ac_store_durable(f->node->store);
    for (size_t i = 0; i < f->npeers; i++) {
        struct ac__fed_peer *p = f->peers[i];
        if (p->awaiting && durable >= p->page_need) {
            p->awaiting = 0;
            ac__fed_kick(p);
        }
    }
}

void ac__fed_peer_reached_us(struct ac__fed_peer *p)
{
    int64_t now = ac_clock_now_ms();
    if (p->next_attempt_ms <= now)
        return;
    ac_log_info("federation", "%s reached us: probing it now instead of in %lld s", p->node_id,
                (long long)((p->next_attempt_ms - now) / 1000));
    p->next_attempt_ms = now;
    if (ac_store_peer_state_probe(p->fed->node->store, p->node_id, now) == 0)
        ac__fed_kick(p);
}

static void drop_page(struct ac__fed_peer *p)
{
    ac_outbox_msgs_free(p->page, p->npage);
    p->page = NULL;
    p->npage = p->at = 0;
}

static void drop_client(struct ac__fed_peer *p)
{
    if (p->client) {
        struct ac_h2_client *c = p->client;
        p->client = NULL;
        ac_h2_client_close(c);
    }
}

/* Records a failed attempt: a few quick retries first, then the durable
 * back-off (doubling from 1 s with +-25% jitter, capped at a day, and never
 * sooner than the peer's Retry-After). */
static void failed(struct ac__fed_peer *p, const char *why, int64_t retry_after_ms, int quick_ok)
{
    if (quick_ok && p->quick_retries < QUICK_RETRIES) {
        p->quick_retries++;
        arm(p, QUICK_DELAY_MS * p->quick_retries);
        return;
    }
    p->quick_retries = 0;
    p->attempts++;
    int shift = p->attempts - 1 > 20 ? 20 : (int)(p->attempts - 1);
    int64_t delay = (int64_t)BACKOFF_BASE_MS << shift;
    if (delay > BACKOFF_CAP_MS)
        delay = BACKOFF_CAP_MS;
    delay = delay - delay / 4 + (int64_t)randombytes_uniform((uint32_t)(delay / 2 + 1));
    if (retry_after_ms > delay)
        delay = retry_after_ms > BACKOFF_CAP_MS ? BACKOFF_CAP_MS : retry_after_ms;
    int64_t now = ac_clock_now_ms();
    p->next_attempt_ms = now + delay;
    int err = ac_store_peer_state_failure(p->fed->node->store, p->node_id, p->attempts,
                                          p->next_attempt_ms, why);
    if (err)
        ac_log_error("federation", "%s: cannot record the failed attempt: %s", p->node_id,
                     ac_strerror(err));
    ac_log_info("federation", "%s: delivery failed (%s); attempt %lld, next in %lld ms",
                p->node_id, why, (long long)p->attempts, (long long)delay);
    arm(p, delay);
}

/* Retry-After in seconds (RFC 9110 §10.2.3; the date form is not used by
 * Accord nodes and is ignored). */
static int64_t retry_after(const struct ac_h2_response *resp)
{
    const char *v = ac_h2_response_header(resp, "retry-after");
    if (!v || !*v)
        return 0;
    char *end;
    long long s = strtoll(v, &end, 10);
    return *end || s < 0 ? 0 : (s > 86400 ? 86400 : s) * 1000;
}

/* True when |resp|'s body is an envelope from |p| answering message |m|. */
static int answer_ok(struct ac__fed_peer *p, const struct ac_h2_response *resp)
{
    struct ac_cose_sign1 m;
    struct ac_envelope e;
    const struct ac__fed_key *key = NULL;
    if (ac_envelope_parse(resp->body, resp->body_len, &m, NULL, 0))
        return 0;
    struct ac__fed_peer *owner = ac__fed_peer_by_kid(p->fed, m.kid, m.kid_len, &key);
    return owner == p && ac_envelope_verify(&m, key->public_key) == 0 &&
           ac_envelope_decode(&m, &e, NULL, 0) == 0 && strcmp(e.from, p->node_id) == 0 &&
           strcmp(e.to, p->fed->node->cfg->node_id) == 0;
}

static void problem_text(const struct ac_h2_response *resp, char *out, size_t size)
{
    json_t *j = json_loadb((const char *)resp->body, resp->body_len, 0, NULL);
    const char *type = json_string_value(json_object_get(j, "type"));
    const char *detail = json_string_value(json_object_get(j, "detail"));
    const char *slug = type && strrchr(type, '/') ? strrchr(type, '/') + 1 : "";
    snprintf(out, size, "HTTP %d %s%s%s", resp->status, slug, detail ? ": " : "",
             detail ? detail : "");
    json_decref(j);
}

static void on_response(void *arg, int err, const struct ac_h2_response *resp)
{
    struct ac__fed_peer *p = arg;
    p->in_flight = 0;
    if (p->fed->stopping || !p->page || p->at >= p->npage)
        return;
    const struct ac_outbox_msg *m = &p->page[p->at];
    struct ac_store *st = p->fed->node->store;
    char why[256];
    if (err) {
        if (err == AC_ETLS)
            snprintf(why, sizeof why, "%s: %.100s's certificate did not verify%s", ac_strerror(err),
                     p->url,
                     p->pin_spki_sha256 ? ", or its public key is not the pinned pin_spki_sha256"
                                        : "");
        else
            snprintf(why, sizeof why, "%s", ac_strerror(err));
        drop_client(p);
        failed(p, why, 0, 1);
        return;
    }
    int s = resp->status;
    if (s == 200) {
        if (!answer_ok(p, resp)) {
            /* Perhaps signed by a key the peer rotated to: learn it (at most
             * once a minute); the next attempt gets the stored answer again. */
            ac__fed_fetch_description(p);
            failed(p, "the answer is not an envelope signed by the peer to us", 0, 0);
            return;
        }
        /* What the answer settles (a borrowed review's receipt) is kept
         * before the cursor moves; if it cannot be, the message goes again
         * and the peer answers it again from its dedup row. */
        int rc = ac__borrow_delivered(p, m, resp->body, resp->body_len);
        if (!rc)
            rc = ac_store_peer_state_success(st, p->node_id, m->id, ac_clock_now_ms());
        if (rc) {
            /* Not recorded: deliver it again later; the peer dedups on its id. */
            failed(p, ac_strerror(rc), 0, 0);
            return;
        }
        p->attempts = 0;
        p->next_attempt_ms = 0;
        p->quick_retries = 0;
        p->at++;
        deliver_next(p);
        return;
    }
    problem_text(resp, why, sizeof why);
    if (s >= 400 && s < 500 && s != 401 && s != 408 && s != 429) {
        /* The peer understood and refused: sending it again cannot help. */
        int rc = ac_store_outbox_dead(st, m, s, why, ac_clock_now_ms());
        if (rc) {
            failed(p, ac_strerror(rc), 0, 0);
            return;
        }
        ac_log_warn("federation", "%s: message %s (%s) dead-lettered: %s", p->node_id, m->msg_id,
                    m->type, why);
        ac__cert_undeliverable(p->fed->node, p->node_id, m->type, m->body, m->body_len, s, why);
        p->quick_retries = 0;
        p->at++;
        deliver_next(p);
        return;
    }
    failed(p, why, retry_after(resp), s != 429);
}

static void deliver_next(struct ac__fed_peer *p)
{
    struct ac__federation *f = p->fed;
    if (f->stopping || !p->active || p->in_flight)
        return;
    int64_t now = ac_clock_now_ms();
    if (p->next_attempt_ms > now) {
        arm(p, p->next_attempt_ms - now);
        return;
    }
    if (p->at >= p->npage) {
        drop_page(p);
        struct ac_peer_state s;
        int err = ac_store_peer_state_get(f->node->store, p->node_id, &s);
        if (!err)
            err = ac_store_outbox_page(f->node->store, p->node_id, s.cursor, AC__FED_PAGE,
                                       &p->page, &p->npage);
        if (err) {
            ac_log_error("federation", "%s: cannot read the outbox: %s", p->node_id,
                         ac_strerror(err));
            arm(p, TICK_MAX_MS);
            return;
        }
        if (p->npage == 0)
            return; /* idle until a new message kicks us */
        p->page_need = ac_store_commits(f->node->store);
    }
    /* A message goes out only once the commit that queued it is durable: a
     * peer must never act on a change this node could lose. Every row of the
     * page was committed by the time it was read. */
    if (ac_store_durable(f->node->store) < p->page_need) {
        p->awaiting = 1;
        return;
    }
    const struct ac_outbox_msg *m = &p->page[p->at];
    if (now - m->created_ms > AC__FED_RETRY_HORIZON_MS) {
        /* Past the horizon the receiver's dedup rows are promised for: a
         * late delivery could apply twice, so it waits for an admin. */
        char why[96];
        snprintf(why, sizeof why, "undelivered for %lld days; senders give up after %lld",
                 (long long)((now - m->created_ms) / 86400000),
                 (long long)(AC__FED_RETRY_HORIZON_MS / 86400000));
        int rc = ac_store_outbox_dead(f->node->store, m, 0, why, now);
        if (rc) {
            failed(p, ac_strerror(rc), 0, 0);
            return;
        }
        ac_log_warn("federation", "%s: message %s (%s) dead-lettered: %s", p->node_id,
                    m->msg_id, m->type, why);
        p->at++;
        arm(p, 0);
        return;
    }
    struct ac_buf env = AC_BUF_INIT;
    int err = ac__fed_sign(f, m->type, m->msg_id, p->node_id, m->body, m->body_len, &env);
    struct ac_h2_client *client = NULL;
    if (!err)
        err = ac__fed_client(p, &client);
    const struct ac_http_header headers[] = {
        {"content-type", AC_ENVELOPE_CONTENT_TYPE},
        {"accord-sender", f->node->cfg->node_id},
    };
    if (!err)
        err = ac_h2_client_request(client, "POST", "/v1/federation/inbox", headers, 2,
                                   env.data, env.len, on_response, p);
    ac_buf_release(&env);
    if (err) {
        char why[300];
        if (err == AC_EINVAL && !client)
            snprintf(why, sizeof why, "url %s: a peer is reached over https://; http:// only on "
                     "loopback", p->url);
        else
            snprintf(why, sizeof why, "%s", ac_strerror(err));
        failed(p, why, 0, 0);
        return;
    }
    p->in_flight = 1;
}
