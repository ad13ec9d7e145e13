/* lending_offer.c - capacity offers: the lender tells an issuer which of its
 * reviewers it may borrow now, per credential, and how many reviews a month
 * each; the issuer keeps the latest offer of each lender and a stand-in for
 * every reviewer named, so its pool shows own and borrowed reviewers.
 *
 * Body (deterministic CBOR, keys in canonical order):
 *   {at: ms, period: "month", credentials: [{id, reviewers: [{name, user,
 *    slots, school, domains, district, certified}]}]}
 * |at| is when the lender made the offer: the issuer replaces what it holds
 * only with a later one, so a retried older offer never undoes a newer one.
 * The message id is derived from the peer, |at| and the body, so the same
 * offer queued twice is one message to the receiver's dedup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/sign/cbor.h"
#include "accord/sign/envelope.h"
#include "accord/store/lending.h"
#include "accord/store/peer.h"
#include "accord/store/remote.h"
#include "accord/store/remote_cert.h"
#include "accord/store/reviewer.h"
#include "accord/store/user.h"
#include "federation.h"
#include "internal.h"
#include "lending.h"

/* Reviewers named in one offer, over every credential: bounds the message
 * (about 200 bytes each) well under the inbox's body limit. */
#define OFFER_REVIEWERS_MAX 1000
#define USER_PAGE 256

/* One reviewer the lender may lend now. */
struct lendable {
    struct ac_user u;
    struct ac_reviewer_profile prof;
    uint32_t slots;
    bool certified; /* we hold the issuer's unexpired certification record */
};

/* Appends |uid| to |*v| when the policy lets them take a review for |p| now
 * (ac__lending_check with nothing lent yet this month: lent reviews are
 * counted by the batch offers that take the slots). */
static int consider(struct ac_node *n, const struct ac_lending_policy *p, int64_t uid, int64_t now,
                    struct lendable *v, size_t *nv, size_t *total)
{
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__lending_check(n, p->peer, p->credential_id, uid, 0, now, &why);
    ac_reason_release(&why);
    if (err == AC_ECONFLICT)
        return 0;
    if (err)
        return err;
    if (*total >= OFFER_REVIEWERS_MAX)
        return 0;
    struct lendable *l = &v[*nv];
    memset(l, 0, sizeof *l);
    if ((err = ac_store_user_get(n->store, uid, &l->u)) != 0)
        return err;
    err = ac_store_reviewer_get(n->store, uid, &l->prof);
    if (err == AC_ENOENT) {
        err = 0;
        strcpy(l->prof.domains, "[]");
    }
    if (err)
        return err;
    l->slots = p->monthly_cap;
    /* As far as this node knows: the issuer certified the reviewer and the
     * signed record it sent has not expired (node/federation/cert_*.c keep
     * it). The issuer's own certification of its stand-in still decides. */
    struct ac_remote_cert rc;
    err = ac_store_remote_cert_find(n->store, uid, p->peer, p->credential_id, &rc);
    if (err && err != AC_ENOENT)
        return err;
    l->certified = !err && strcmp(rc.state, "certified") == 0 && rc.record &&
                   (rc.expires_ms == 0 || rc.expires_ms > now);
    if (!err)
        ac_remote_cert_release(&rc);
    (*nv)++;
    (*total)++;
    return 0;
}

/* Fills |*v| (a new array the caller frees) with the reviewers |p| lends
 * now. */
static int lendable_of(struct ac_node *n, const struct ac_lending_policy *p, int64_t now,
                       struct lendable **v, size_t *nv, size_t *total)
{
    size_t cap = p->all_reviewers ? USER_PAGE : p->n_reviewers;
    *nv = 0;
    *v = calloc(cap ? cap : 1, sizeof **v);
    if (!*v)
        return AC_ENOMEM;
    int err = 0;
    if (!p->all_reviewers) {
        for (size_t i = 0; !err && i < p->n_reviewers; i++)
            err = consider(n, p, p->reviewers[i], now, *v, nv, total);
        return err;
    }
    struct ac_user *page = malloc(USER_PAGE * sizeof *page);
    if (!page)
        return AC_ENOMEM;
    int64_t after = 0;
    size_t got = USER_PAGE;
    while (!err && got == USER_PAGE) {
        if ((err = ac_store_user_list(n->store, after, page, USER_PAGE, &got)) != 0)
            break;
        for (size_t i = 0; !err && i < got; i++) {
            after = page[i].id;
            if (!(page[i].roles & AC_ROLE_REVIEWER) || page[i].disabled_ms)
                continue;
            if (*nv == cap) {
                struct lendable *g = realloc(*v, 2 * cap * sizeof *g);
                if (!g) {
                    err = AC_ENOMEM;
                    break;
                }
                *v = g;
                cap *= 2;
            }
            err = consider(n, p, page[i].id, now, *v, nv, total);
        }
    }
    free(page);
    return err;
}

static void put_reviewer(struct ac_cbor_writer *w, const struct lendable *l)
{
    ac_cbor_put_map(w, 7);
    ac_cbor_put_str(w, "name");
    ac_cbor_put_str(w, l->u.display_name);
    ac_cbor_put_str(w, "user");
    ac_cbor_put_uint(w, (uint64_t)l->u.id);
    ac_cbor_put_str(w, "slots");
    ac_cbor_put_uint(w, l->slots);
    ac_cbor_put_str(w, "school");
    ac_cbor_put_str(w, l->prof.school);
    ac_cbor_put_str(w, "domains");
    ac_cbor_put_str(w, l->prof.domains[0] ? l->prof.domains : "[]");
    ac_cbor_put_str(w, "district");
    ac_cbor_put_str(w, l->prof.district);
    ac_cbor_put_str(w, "certified");
    ac_cbor_put_bool(w, l->certified);
}

int ac__lending_offer_body(struct ac_node *n, const char *peer, int64_t now_ms, struct ac_buf *out)
{
    struct ac_lending_policy *ps = NULL;
    size_t np = 0;
    int err = ac_store_lending_list(n->store, peer, &ps, &np);
    if (err)
        return err;
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    ac_cbor_put_map(&w, 3);
    ac_cbor_put_str(&w, "at");
    ac_cbor_put_uint(&w, (uint64_t)now_ms);
    ac_cbor_put_str(&w, "period");
    ac_cbor_put_str(&w, "month");
    ac_cbor_put_str(&w, "credentials");
    ac_cbor_put_array(&w, np);
    size_t total = 0;
    for (size_t i = 0; !err && i < np; i++) {
        struct lendable *v = NULL;
        size_t nv = 0;
        err = lendable_of(n, &ps[i], now_ms, &v, &nv, &total);
        if (!err) {
            ac_cbor_put_map(&w, 2);
            ac_cbor_put_str(&w, "id");
            ac_cbor_put_str(&w, ps[i].credential_id);
            ac_cbor_put_str(&w, "reviewers");
            ac_cbor_put_array(&w, nv);
            for (size_t k = 0; k < nv; k++)
                put_reviewer(&w, &v[k]);
        }
        free(v);
    }
    free(ps);
    if (!err)
        err = ac_cbor_writer_finish(&w, out);
    ac_cbor_writer_release(&w);
    return err;
}

int ac__lending_offer_queue(struct ac_node *n, const char *peer, int64_t now_ms)
{
    struct ac_buf body = AC_BUF_INIT;
    int err = ac__lending_offer_body(n, peer, now_ms, &body);
    if (err) {
        ac_buf_release(&body);
        return err;
    }
    uint8_t h[16];
    crypto_generichash_state s;
    crypto_generichash_init(&s, NULL, 0, sizeof h);
    crypto_generichash_update(&s, (const uint8_t *)peer, strlen(peer) + 1);
    crypto_generichash_update(&s, body.data, body.len);
    crypto_generichash_final(&s, h, sizeof h);
    char id[40], hex[33];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(id, sizeof id, "cap-%s", hex);
    err = ac__fed_queue(n->federation, peer, "capacity.offer", id, body.data, body.len);
    ac_buf_release(&body);
    return err;
}

int ac__lending_offer_all(struct ac_node *n, int64_t now_ms, size_t *queued)
{
    struct ac_lending_policy *ps = NULL;
    size_t np = 0, sent = 0;
    int err = ac_store_lending_list(n->store, NULL, &ps, &np);
    if (err)
        return err;
    err = ac_store_tx_begin(n->store);
    /* Policies come ordered by peer: one offer per peer, covering all of
     * its credentials. */
    for (size_t i = 0; !err && i < np; i++) {
        if ((i && strcmp(ps[i].peer, ps[i - 1].peer) == 0) ||
            !ac__fed_peer_find(n->federation, ps[i].peer))
            continue;
        err = ac__lending_offer_queue(n, ps[i].peer, now_ms);
        sent += !err;
    }
    free(ps);
    if (!err)
        err = ac_store_tx_commit(n->store);
    else
        ac_store_tx_rollback(n->store);
    if (!err && queued)
        *queued = sent;
    if (!err && sent)
        ac__fed_kick_all(n->federation);
    return err;
}

/* The periodic offers, as a task of the request groups (tasks.c). */
struct offer_tick {
    struct ac__federation *f;
    int64_t now;
    size_t queued;
};

static int tick_run(void *arg)
{
    struct offer_tick *t = arg;
    t->queued = 0;
    return ac__lending_offer_all(t->f->node, t->now, &t->queued);
}

static void tick_done(void *arg, int err)
{
    struct offer_tick *t = arg;
    if (err && err != AC_ECANCELED)
        ac_log_warn("federation", "capacity offers not queued: %s", ac_strerror(err));
    else if (!err && t->queued)
        ac_log_info("federation", "capacity offers queued to %zu peers", t->queued);
    /* The offers may have committed: wake the senders (a needless wake-up
     * costs a page read; a lost one leaves them waiting for the next). */
    if (err == AC_EUNKNOWN)
        ac__fed_kick_all(t->f);
    free(t);
}

void ac__lending_tick(struct ac__federation *f, int64_t now_ms)
{
    if (now_ms < f->next_offer_ms)
        return;
    f->next_offer_ms = now_ms + AC__LENDING_OFFER_MS;
    struct offer_tick *t = calloc(1, sizeof *t);
    if (!t) {
        ac_log_warn("federation", "capacity offers not queued: %s", ac_strerror(AC_ENOMEM));
        return;
    }
    t->f = f;
    t->now = now_ms;
    ac__fed_task(f, "capacity offers", tick_run, tick_done, t);
}

/* ---- the issuer's side ---- */

/* A reviewer as read from an offer; strings borrowed from the body. */
struct offered {
    int64_t user;
    uint32_t slots;
    bool certified;
    char name[AC_USER_DISPLAY_MAX + 1];
    char school[AC_REVIEWER_TEXT_MAX + 1], district[AC_REVIEWER_TEXT_MAX + 1];
    char domains[AC_REVIEWER_DOMAINS_MAX + 1];
};

static int bad(struct ac_reason *why, const char *field, const char *rule)
{
    return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_BAD_ENVELOPE, field, "%s: %s", field, rule);
}

/* Reads text into |dst| of |size|; AC_EINVAL when it does not fit. */
static int get_text(struct ac_cbor_reader *r, char *dst, size_t size)
{
    const char *s;
    size_t len;
    if (ac_cbor_get_text(r, &s, &len) || len >= size)
        return AC_EINVAL;
    memcpy(dst, s, len);
    dst[len] = '\0';
    return 0;
}

static int read_reviewer(struct ac_cbor_reader *r, struct offered *o, struct ac_reason *why)
{
    uint64_t npairs;
    memset(o, 0, sizeof *o);
    if (ac_cbor_get_map(r, &npairs))
        return bad(why, "reviewers", "each reviewer is a map");
    for (uint64_t i = 0; i < npairs; i++) {
        char key[16];
        uint64_t u;
        int err = get_text(r, key, sizeof key) ? AC_EINVAL : 0;
        if (err)
            return bad(why, "reviewers", "a reviewer's keys are short texts");
        if (strcmp(key, "user") == 0) {
            if (ac_cbor_get_uint(r, &u) || u == 0 || u > INT64_MAX)
                return bad(why, "reviewers.user", "a positive user id");
            o->user = (int64_t)u;
        } else if (strcmp(key, "slots") == 0) {
            if (ac_cbor_get_uint(r, &u) || u > AC_LENDING_CAP_MAX)
                return bad(why, "reviewers.slots", "reviews per month, at most 10000");
            o->slots = (uint32_t)u;
        } else if (strcmp(key, "certified") == 0) {
            if (ac_cbor_get_bool(r, &o->certified))
                return bad(why, "reviewers.certified", "a boolean");
        } else if (strcmp(key, "name") == 0) {
            if (get_text(r, o->name, sizeof o->name))
                return bad(why, "reviewers.name", "a display name of at most 128 bytes");
        } else if (strcmp(key, "school") == 0 || strcmp(key, "district") == 0) {
            char *dst = key[0] == 's' ? o->school : o->district;
            if (get_text(r, dst, AC_REVIEWER_TEXT_MAX + 1))
                return bad(why, "reviewers.school", "school and district: at most 128 bytes");
        } else if (strcmp(key, "domains") == 0) {
            if (get_text(r, o->domains, sizeof o->domains))
                return bad(why, "reviewers.domains", "a JSON array of domain names as text");
            json_t *d = json_loads(o->domains, 0, NULL);
            int ok = json_is_array(d);
            json_decref(d);
            if (!ok)
                return bad(why, "reviewers.domains", "a JSON array of domain names as text");
        } else if (ac_cbor_skip(r, NULL, NULL)) {
            return bad(why, "reviewers", "truncated");
        }
    }
    if (!o->user)
        return bad(why, "reviewers.user", "every reviewer names their user id");
    return 0;
}

int ac__lending_offer_take(struct ac__federation *f, struct ac__fed_peer *from,
                           const struct ac_envelope *e, struct ac_buf *answer,
                           struct ac_reason *why)
{
    struct ac_store *st = f->node->store;
    struct ac_cbor_reader r;
    uint64_t npairs, ncred = 0, at = 0;
    if (ac_cbor_reader_init(&r, e->body, e->body_len) || ac_cbor_get_map(&r, &npairs))
        return bad(why, "body", "a capacity.offer body is a map");
    struct ac_capacity_reviewer *rows = NULL;
    size_t nrows = 0;
    int err = 0, have_creds = 0;
    int64_t now = ac_clock_now_ms();
    for (uint64_t i = 0; !err && i < npairs; i++) {
        char key[16];
        if (get_text(&r, key, sizeof key)) {
            err = bad(why, "body", "keys are short texts");
        } else if (strcmp(key, "at") == 0) {
            if (ac_cbor_get_uint(&r, &at) || at == 0 || at > INT64_MAX)
                err = bad(why, "at", "when the offer was made, in ms");
        } else if (strcmp(key, "credentials") == 0) {
            have_creds = 1;
            if (ac_cbor_get_array(&r, &ncred))
                err = bad(why, "credentials", "an array");
            for (uint64_t c = 0; !err && c < ncred; c++) {
                uint64_t cp, nrev = 0;
                char cred[AC_LENDING_CRED_MAX + 1] = "";
                if (ac_cbor_get_map(&r, &cp)) {
                    err = bad(why, "credentials", "each credential is a map {id, reviewers}");
                    break;
                }
                for (uint64_t k = 0; !err && k < cp; k++) {
                    char ck[16];
                    if (get_text(&r, ck, sizeof ck)) {
                        err = bad(why, "credentials", "keys are short texts");
                    } else if (strcmp(ck, "id") == 0) {
                        if (get_text(&r, cred, sizeof cred) || !cred[0])
                            err = bad(why, "credentials.id", "a credential id of 1-64 bytes");
                    } else if (strcmp(ck, "reviewers") == 0) {
                        if (!cred[0] || ac_cbor_get_array(&r, &nrev) ||
                            nrev > OFFER_REVIEWERS_MAX || nrows + nrev > OFFER_REVIEWERS_MAX) {
                            err = bad(why, "credentials.reviewers",
                                      "an array (after id) of at most 1000 reviewers in all");
                            break;
                        }
                        struct ac_capacity_reviewer *g =
                            realloc(rows, (nrows + nrev + 1) * sizeof *g);
                        if (!g) {
                            err = AC_ENOMEM;
                            break;
                        }
                        rows = g;
                        for (uint64_t v = 0; !err && v < nrev; v++) {
                            struct offered o;
                            if ((err = read_reviewer(&r, &o, why)) != 0)
                                break;
                            struct ac_remote_profile prof = {o.name, o.school, o.district,
                                                             o.domains};
                            struct ac_capacity_reviewer *row = &rows[nrows];
                            memset(row, 0, sizeof *row);
                            snprintf(row->peer, sizeof row->peer, "%s", from->node_id);
                            snprintf(row->credential_id, sizeof row->credential_id, "%s", cred);
                            row->home_user = o.user;
                            row->certified_at_home = o.certified;
                            row->slots = o.slots;
                            err = ac_store_remote_reviewer_ensure(st, from->node_id, o.user, &prof,
                                                                  now, &row->user_id, NULL);
                            if (err == AC_EINVAL)
                                err = bad(why, "reviewers", "a reviewer's profile does not fit");
                            nrows += !err;
                        }
                    } else if (ac_cbor_skip(&r, NULL, NULL)) {
                        err = bad(why, "credentials", "truncated");
                    }
                }
            }
        } else if (ac_cbor_skip(&r, NULL, NULL)) {
            err = bad(why, "body", "truncated");
        }
    }
    if (!err && (!at || !have_creds))
        err = bad(why, "body", "a capacity.offer names at and credentials");
    int current = 1;
    if (!err) {
        err = ac_store_capacity_replace(st, from->node_id, e->id, (int64_t)at, rows, nrows, now);
        if (err == AC_ECONFLICT) {
            /* An older offer than the one held: answered, not applied. */
            current = 0;
            err = 0;
        }
    }
    free(rows);
    if (!err)
        err = ac_store_peer_state_received(st, from->node_id);
    if (err)
        return err;
    if (current)
        ac_log_info("federation", "capacity offer from %s: %zu reviewers", from->node_id, nrows);
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    ac_cbor_put_map(&w, 3);
    ac_cbor_put_str(&w, "re");
    ac_cbor_put_str(&w, e->id);
    ac_cbor_put_str(&w, "current");
    ac_cbor_put_bool(&w, current);
    ac_cbor_put_str(&w, "reviewers");
    ac_cbor_put_uint(&w, current ? nrows : 0);
    err = ac_cbor_writer_finish(&w, answer);
    ac_cbor_writer_release(&w);
    return err;
}
