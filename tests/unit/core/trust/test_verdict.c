/* test_verdict.c - tests core/trust/verdict.c: the checks of one record
 * against a trust, offline and through a fetcher, and the verdict rule that
 * something unchecked is indeterminate, never valid. Records and status tokens
 * are signed here with keys made for the test; the fetcher is a table of
 * answers, as the node's or accord-verify's would give them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "accord/base/buf.h"
#include "accord/base/error.h"
#include "accord/records/bundle.h"
#include "accord/records/cosignature.h"
#include "accord/records/keyhistory.h"
#include "accord/records/status.h"
#include "accord/sign/cose.h"
#include "accord/trust/verdict.h"

#define ISS "https://accord.district42.example"
#define STATUS_URI ISS "/statuslists/1"

/* 2026-01-01T00:00:00Z, the verifier's clock in every test. */
#define NOW_S 1767225600
/* The old key signed from 2025-01-01 until it was retired on 2025-07-01;
 * the new key has signed since. */
#define OLD_FROM_S 1735689600
#define ROTATED_S 1751328000

static uint8_t old_pk[32], old_sk[64], new_pk[32], new_sk[64];
static uint8_t wit_pk[2][32], wit_sk[2][64]; /* two log witnesses */
static struct ac_key_info keys[2]; /* [0] old (retired), [1] new (current) */
static struct ac_trust_issuer issuer;
static struct ac_trust trust;

static void key_info(struct ac_key_info *k, const uint8_t pk[32], int64_t from_s, int64_t until_s)
{
    memset(k, 0, sizeof(*k));
    memcpy(k->public_key, pk, 32);
    ac_key_id(pk, k->kid);
    sodium_bin2hex(k->kid_hex, sizeof(k->kid_hex), k->kid, sizeof(k->kid));
    k->not_before_ms = from_s * 1000;
    k->not_after_ms = until_s * 1000;
}

static int setup(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    crypto_sign_keypair(old_pk, old_sk);
    crypto_sign_keypair(new_pk, new_sk);
    crypto_sign_keypair(wit_pk[0], wit_sk[0]);
    crypto_sign_keypair(wit_pk[1], wit_sk[1]);
    key_info(&keys[0], old_pk, OLD_FROM_S, ROTATED_S);
    key_info(&keys[1], new_pk, ROTATED_S, 0);
    issuer.iss = ISS;
    issuer.keys = keys;
    issuer.nkeys = 2;
    trust.issuers = &issuer;
    trust.n = 1;
    return 0;
}

/* A record as the issuer writes it, issued at |iat_s|, with a status
 * reference at |status_idx| when it is not negative. */
static void record(struct ac_record *r, int64_t iat_s, int64_t status_idx)
{
    memset(r, 0, sizeof(*r));
    strcpy(r->iss, ISS);
    strcpy(r->sub, "sha256$4f1c9a7be02d3c8e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a");
    r->iat = iat_s;
    memset(r->cti, 0x5c, sizeof(r->cti));
    strcpy(r->definition_id, "formative-assessment-feedback");
    r->definition_version = 3;
    memset(r->content_hash, 0xc7, sizeof(r->content_hash));
    strcpy(r->achieved_level, "proficient");
    if (status_idx >= 0) {
        r->has_status = true;
        r->status_idx = (uint64_t)status_idx;
        strcpy(r->status_uri, STATUS_URI);
    }
}

static struct ac_buf sign_record(const struct ac_record *r, const struct ac_key_info *k,
                                 uint8_t *sk)
{
    struct ac_buf out = AC_BUF_INIT;
    assert_int_equal(
        0, ac_record_sign(r, k->kid, sizeof(k->kid), ac_cose_sign_with_secret_key, sk, &out));
    return out;
}

static void options(struct ac_trust_options *opt)
{
    memset(opt, 0, sizeof(*opt));
    opt->trust = &trust;
    opt->pass_reasons = true;
    opt->now_ms = (int64_t)NOW_S * 1000;
}

/* Returns the check named |name| in |rep|; fails the test when there is none. */
static const struct ac_trust_check *check(const struct ac_trust_report *rep, const char *name)
{
    for (size_t i = 0; i < rep->n; i++)
        if (strcmp(rep->checks[i].name, name) == 0)
            return &rep->checks[i];
    fail_msg("no \"%s\" check among %zu", name, rep->n);
    return NULL;
}

static void verify(const struct ac_buf *b, const struct ac_trust_options *opt,
                   struct ac_trust_report *rep)
{
    ac_trust_verify_input(b->data, b->len, opt, rep);
}

/* ---- the fetcher: a table of URLs and what asking for them gives ---- */

struct answer {
    const char *url;
    int rc; /* 0: body; else the failure with why */
    const struct ac_buf *body;
    const char *why;
};

struct table {
    const struct answer *answers;
    size_t n;
    size_t asked;
};

static int table_fetch(void *ctx, const char *url, const uint8_t **body, size_t *len,
                       const char **why)
{
    struct table *t = ctx;
    t->asked++;
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->answers[i].url, url) != 0)
            continue;
        if (t->answers[i].rc) {
            *why = t->answers[i].why;
            return t->answers[i].rc;
        }
        *body = t->answers[i].body->data;
        *len = t->answers[i].body->len;
        return 0;
    }
    *why = "no such URL in the test's table";
    return AC_EPROTO;
}

/* A Status List Token for STATUS_URI signed by |k| at |iat_s|, expiring at
 * |exp_s|, whose only assigned entry, |idx|, is |state|. */
static struct ac_buf status_token_ttl(uint64_t idx, enum ac_status state,
                                      const struct ac_key_info *k, uint8_t *sk, int64_t iat_s,
                                      int64_t exp_s, uint64_t ttl_s)
{
    /* The packing of status.h: entry i at bits 2 * (i % 4) of byte i / 4; in
     * use when bit i % 8 of byte i / 8 of the bitmap is set. */
    static uint8_t status[AC_STATUS_MIN_ENTRIES / 4], used[AC_STATUS_MIN_ENTRIES / 8];
    memset(status, 0, sizeof(status));
    memset(used, 0, sizeof(used));
    status[idx / 4] = (uint8_t)(state << (2 * (idx % 4)));
    used[idx / 8] = (uint8_t)(1u << (idx % 8));
    struct ac_status_list *l = NULL;
    assert_int_equal(0, ac_status_list_load(AC_STATUS_MIN_ENTRIES, status, sizeof(status), used,
                                            sizeof(used), &l));
    struct ac_status_token_claims c = {.sub = STATUS_URI, .iat = iat_s, .exp = exp_s, .ttl = ttl_s};
    struct ac_buf out = AC_BUF_INIT;
    assert_int_equal(0, ac_status_token_sign(l, &c, k->kid, sizeof(k->kid),
                                             ac_cose_sign_with_secret_key, sk, &out));
    ac_status_list_free(l);
    return out;
}

static struct ac_buf status_token(uint64_t idx, enum ac_status state, const struct ac_key_info *k,
                                  uint8_t *sk, int64_t iat_s, int64_t exp_s)
{
    return status_token_ttl(idx, state, k, sk, iat_s, exp_s, 300);
}

/* A bundle of |record| and the status snapshot |status|. Its log part is a
 * placeholder (a one-leaf log, an unsigned checkpoint): these tests look at
 * the "status" check, which the snapshot alone decides. */
static struct ac_buf bundle(const struct ac_buf *record, const struct ac_buf *status)
{
    static const char checkpoint[] = "accord.district42.example/log\n1\nAAAA\n";
    struct ac_bundle b = {
        .record = record->data,
        .record_len = record->len,
        .index = 0,
        .size = 1,
        .status = status->data,
        .status_len = status->len,
        .checkpoint = checkpoint,
        .checkpoint_len = sizeof(checkpoint) - 1,
    };
    struct ac_buf out = AC_BUF_INIT;
    assert_int_equal(0, ac_bundle_encode(&b, &out));
    return out;
}

/* Verifies a bundle of a record issued a day ago with status index 7 and a
 * snapshot saying |state|, signed |age_s| ago with a ttl of |ttl_s| and a day
 * before it expires, and returns its "status" check in |*out|. */
static void snapshot_status(enum ac_status state, int64_t age_s, uint64_t ttl_s,
                            const struct ac_trust_options *opt, struct ac_trust_check *out)
{
    struct ac_record r;
    record(&r, NOW_S - 86400, 7);
    struct ac_buf rec = sign_record(&r, &keys[1], new_sk);
    struct ac_buf tok =
        status_token_ttl(7, state, &keys[1], new_sk, NOW_S - age_s, NOW_S - age_s + 86400, ttl_s);
    struct ac_buf b = bundle(&rec, &tok);
    struct ac_trust_report rep;
    verify(&b, opt, &rep);
    *out = *check(&rep, "status");
    ac_buf_release(&b);
    ac_buf_release(&tok);
    ac_buf_release(&rec);
}

/* A JWKS publishing |pk| with no window (current), as an issuer serves it. */
static void jwks_of(const uint8_t pk[32], struct ac_buf *out)
{
    char x[64];
    sodium_bin2base64(x, sizeof(x), pk, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char text[256];
    snprintf(text, sizeof(text),
             "{\"keys\": [{\"kty\": \"OKP\", \"crv\": \"Ed25519\", \"x\": \"%s\"}]}", x);
    *out = (struct ac_buf)AC_BUF_INIT;
    assert_int_equal(0, ac_buf_append_str(out, text));
}

/* ---- tests ---- */

static void
test_a_record_signed_inside_its_current_keys_window_without_status_is_valid(void **state)
{
    (void)state;
    struct ac_record r;
    record(&r, NOW_S - 86400, -1);
    struct ac_buf b = sign_record(&r, &keys[1], new_sk);
    struct ac_trust_options opt;
    options(&opt);
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    assert_int_equal(AC_TRUST_PASS, check(&rep, "signature")->result);
    assert_int_equal(AC_TRUST_PASS, check(&rep, "key-window")->result);
    assert_int_equal(AC_TRUST_PASS, check(&rep, "status")->result);
    assert_int_equal(AC_TRUST_PASS, ac_trust_verdict(&rep));
    ac_buf_release(&b);
}

static void test_a_record_signed_by_a_key_outside_its_window_is_invalid(void **state)
{
    (void)state;
    /* Issued 2025-10-09, three months after the old key was retired: its
     * holder (or a thief) backdated nothing, it simply had no right. */
    struct ac_record r;
    record(&r, 1760000000, -1);
    struct ac_buf b = sign_record(&r, &keys[0], old_sk);
    struct ac_trust_options opt;
    options(&opt);
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    assert_int_equal(AC_TRUST_PASS, check(&rep, "signature")->result);
    const struct ac_trust_check *kw = check(&rep, "key-window");
    assert_int_equal(AC_TRUST_FAIL, kw->result);
    assert_non_null(strstr(kw->reason, "outside key"));
    assert_non_null(strstr(kw->reason, keys[0].kid_hex));
    assert_int_equal(AC_TRUST_FAIL, ac_trust_verdict(&rep));
    ac_buf_release(&b);
}

static void test_a_record_before_its_keys_window_opened_is_invalid(void **state)
{
    (void)state;
    /* 2025-03-01, before the new key became the signing key on 2025-07-01. */
    struct ac_record r;
    record(&r, 1740787200, -1);
    struct ac_buf b = sign_record(&r, &keys[1], new_sk);
    struct ac_trust_options opt;
    options(&opt);
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    assert_int_equal(AC_TRUST_FAIL, check(&rep, "key-window")->result);
    assert_int_equal(AC_TRUST_FAIL, ac_trust_verdict(&rep));
    ac_buf_release(&b);
}

static void test_a_retired_keys_record_without_a_log_proof_is_indeterminate(void **state)
{
    (void)state;
    /* Inside the old key's window, but a retired key's holder could backdate
     * iat: only the issuer's log settles it, and there is none here. */
    struct ac_record r;
    record(&r, 1740787200, -1);
    struct ac_buf b = sign_record(&r, &keys[0], old_sk);
    struct ac_trust_options opt;
    options(&opt);
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    assert_int_equal(AC_TRUST_INDETERMINATE, check(&rep, "key-window")->result);
    assert_int_equal(AC_TRUST_INDETERMINATE, ac_trust_verdict(&rep));
    ac_buf_release(&b);
}


/* ---- witnesses and key hand-overs ---------------------------------------- */

#define ORIGIN "accord.district42.example/log"

static int sk_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64])
{
    return crypto_sign_detached(sig, NULL, msg, len, ctx) == 0 ? 0 : AC_ECRYPTO;
}

/* A bundle whose one-leaf log holds |record|, its checkpoint signed by
 * |cp_sk| / |cp_pk|, with cosignature lines by the first |nwit| witnesses at
 * |cosig_s|, and |nkeys| hand-overs. */
struct witnessed {
    struct ac_buf note, lines, out;
};

static void witnessed_bundle(const struct ac_buf *record, const uint8_t cp_pk[32],
                             uint8_t *cp_sk, size_t nwit, uint64_t cosig_s,
                             const struct ac_buf *handovers, size_t nkeys, struct witnessed *w)
{
    memset(w, 0, sizeof(*w));
    char origin[] = ORIGIN;
    struct ac_checkpoint cp = {.origin = origin, .size = 1};
    ac_merkle_leaf_hash(record->data, record->len, cp.root);
    assert_int_equal(0, ac_checkpoint_sign(&cp, ORIGIN, cp_pk, sk_sign, cp_sk, &w->note));
    struct ac_buf text = AC_BUF_INIT;
    assert_int_equal(0, ac_checkpoint_format(&cp, &text));
    size_t at[2] = {0};
    const char *names[2] = {"w1.example", "w2.example"};
    for (size_t i = 0; i < nwit; i++) {
        at[i] = w->lines.len;
        assert_int_equal(0, ac_cosig_sign((const char *)text.data, text.len, names[i], wit_pk[i],
                                          cosig_s, sk_sign, wit_sk[i], &w->lines));
    }
    ac_buf_release(&text);
    /* The records here carry no status reference: any bytes will do. */
    static const uint8_t no_status[] = {0x80};
    struct ac_bundle b = {.record = record->data,
                          .record_len = record->len,
                          .index = 0,
                          .size = 1,
                          .status = no_status,
                          .status_len = sizeof no_status,
                          .checkpoint = (const char *)w->note.data,
                          .checkpoint_len = w->note.len};
    for (size_t i = 0; i < nwit; i++) {
        b.cosigs[i].data = w->lines.data + at[i];
        b.cosigs[i].len = (i + 1 < nwit ? at[i + 1] : w->lines.len) - at[i];
    }
    b.ncosigs = nwit;
    for (size_t i = 0; i < nkeys; i++)
        b.keys[i] = (struct ac_bundle_part){handovers[i].data, handovers[i].len};
    b.nkeys = nkeys;
    assert_int_equal(0, ac_bundle_encode(&b, &w->out));
}

static void witnessed_release(struct witnessed *w)
{
    ac_buf_release(&w->note);
    ac_buf_release(&w->lines);
    ac_buf_release(&w->out);
}

/* A trust with the issuer's two keys and both witnesses. */
static struct ac_cosig_witness witnesses[2];

static void witness_options(struct ac_trust_options *opt, struct ac_trust *t)
{
    *t = trust;
    assert_int_equal(0, ac_cosig_witness_init(&witnesses[0], "w1.example", wit_pk[0]));
    assert_int_equal(0, ac_cosig_witness_init(&witnesses[1], "w2.example", wit_pk[1]));
    t->witnesses = witnesses;
    t->nwitnesses = 2;
    options(opt);
    opt->trust = t;
    opt->skip_status = true;
}

static void test_a_retired_keys_record_cosigned_before_its_retirement_is_dated(void **state)
{
    (void)state;
    struct ac_record r;
    record(&r, 1740787200, -1);
    struct ac_buf rec = sign_record(&r, &keys[0], old_sk);
    struct witnessed w;
    witnessed_bundle(&rec, old_pk, old_sk, 2, ROTATED_S - 3600, NULL, 0, &w);
    struct ac_trust t;
    struct ac_trust_options opt;
    witness_options(&opt, &t);
    opt.witnesses_required = 2;
    struct ac_trust_report rep;
    verify(&w.out, &opt, &rep);
    assert_int_equal(AC_TRUST_PASS, check(&rep, "witnesses")->result);
    const struct ac_trust_check *kw = check(&rep, "key-window");
    assert_int_equal(AC_TRUST_PASS, kw->result);
    assert_non_null(strstr(kw->reason, "before the key retired"));
    assert_int_equal(AC_TRUST_PASS, ac_trust_verdict(&rep));
    witnessed_release(&w);
    ac_buf_release(&rec);
}

static void test_cosignatures_made_after_the_retirement_do_not_date_the_record(void **state)
{
    (void)state;
    /* What a thief of the old key could get at best: witnesses cosigning
     * after the key retired. */
    struct ac_record r;
    record(&r, 1740787200, -1);
    struct ac_buf rec = sign_record(&r, &keys[0], old_sk);
    struct witnessed w;
    witnessed_bundle(&rec, old_pk, old_sk, 2, ROTATED_S + 1, NULL, 0, &w);
    struct ac_trust t;
    struct ac_trust_options opt;
    witness_options(&opt, &t);
    struct ac_trust_report rep;
    verify(&w.out, &opt, &rep);
    assert_int_equal(AC_TRUST_INDETERMINATE, check(&rep, "key-window")->result);
    witnessed_release(&w);
    ac_buf_release(&rec);
}

static void test_fewer_witnesses_than_required_fail_naming_the_count(void **state)
{
    (void)state;
    struct ac_record r;
    record(&r, NOW_S - 86400, -1);
    struct ac_buf rec = sign_record(&r, &keys[1], new_sk);
    struct witnessed w;
    witnessed_bundle(&rec, new_pk, new_sk, 1, NOW_S - 60, NULL, 0, &w);
    struct ac_trust t;
    struct ac_trust_options opt;
    witness_options(&opt, &t);
    opt.witnesses_required = 2;
    struct ac_trust_report rep;
    verify(&w.out, &opt, &rep);
    const struct ac_trust_check *wc = check(&rep, "witnesses");
    assert_int_equal(AC_TRUST_FAIL, wc->result);
    assert_non_null(strstr(wc->reason, "--witnesses 2"));
    assert_non_null(strstr(wc->reason, "only 1"));
    assert_int_equal(AC_TRUST_FAIL, ac_trust_verdict(&rep));
    witnessed_release(&w);
    ac_buf_release(&rec);
}

static void test_a_handover_leads_a_trust_in_the_old_key_to_the_new_one(void **state)
{
    (void)state;
    /* The trust file knows only the old key, still current to it. */
    struct ac_key_info only_old;
    key_info(&only_old, old_pk, OLD_FROM_S, 0);
    struct ac_trust_issuer is = {.iss = ISS, .keys = &only_old, .nkeys = 1};
    struct ac_trust t = {.issuers = &is, .n = 1};
    struct ac_key_handover h;
    memset(&h, 0, sizeof h);
    strcpy(h.iss, ISS);
    memcpy(h.kid, keys[0].kid, 8);
    memcpy(h.next, new_pk, 32);
    h.at_ms = (int64_t)ROTATED_S * 1000;
    struct ac_buf ho = AC_BUF_INIT;
    assert_int_equal(0, ac_key_handover_sign(&h, sk_sign, old_sk, &ho));
    struct ac_record r;
    record(&r, NOW_S - 86400, -1);
    struct ac_buf rec = sign_record(&r, &keys[1], new_sk);
    struct witnessed w;
    witnessed_bundle(&rec, new_pk, new_sk, 0, 0, &ho, 1, &w);
    struct ac_trust_options opt;
    options(&opt);
    opt.trust = &t;
    struct ac_trust_report rep;
    verify(&w.out, &opt, &rep);
    assert_int_equal(AC_TRUST_PASS, check(&rep, "keys")->result);
    assert_non_null(strstr(check(&rep, "issuer")->reason, "hand-overs"));
    assert_int_equal(AC_TRUST_PASS, check(&rep, "key-window")->result);
    assert_int_equal(AC_TRUST_PASS, ac_trust_verdict(&rep));
    /* Against the full trust, a hand-over to a third key at that time is
     * a forged history: the trust file names the real successor. */
    uint8_t pk3[32], sk3[64];
    crypto_sign_keypair(pk3, sk3);
    memcpy(h.next, pk3, 32);
    struct ac_buf forged = AC_BUF_INIT;
    assert_int_equal(0, ac_key_handover_sign(&h, sk_sign, old_sk, &forged));
    struct witnessed w2;
    witnessed_bundle(&rec, new_pk, new_sk, 0, 0, &forged, 1, &w2);
    options(&opt);
    verify(&w2.out, &opt, &rep);
    const struct ac_trust_check *kc = check(&rep, "keys");
    assert_int_equal(AC_TRUST_FAIL, kc->result);
    assert_non_null(strstr(kc->reason, "forged key history"));
    witnessed_release(&w);
    witnessed_release(&w2);
    ac_buf_release(&ho);
    ac_buf_release(&forged);
    ac_buf_release(&rec);
}

/* Signs a hand-over of ISS from the key |from_pk| / |from_sk| to |next_pk|
 * at |at_ms| into |out|. */
static void handover(const uint8_t from_pk[32], uint8_t *from_sk, const uint8_t next_pk[32],
                     int64_t at_ms, struct ac_buf *out)
{
    struct ac_key_handover h;
    memset(&h, 0, sizeof h);
    strcpy(h.iss, ISS);
    ac_key_id(from_pk, h.kid);
    memcpy(h.next, next_pk, 32);
    h.at_ms = at_ms;
    assert_int_equal(0, ac_key_handover_sign(&h, sk_sign, from_sk, out));
}

static void test_two_handovers_within_a_second_of_the_first_keys_start_lead_to_the_third(
    void **state)
{
    (void)state;
    /* A node made at OLD_FROM_S rotates twice within that second: the first
     * key's start lies within the slack of both hand-overs, but its window
     * closed at the first, so it is no rival successor to the second. */
    struct ac_key_info only_first;
    key_info(&only_first, old_pk, OLD_FROM_S, 0);
    struct ac_trust_issuer is = {.iss = ISS, .keys = &only_first, .nkeys = 1};
    struct ac_trust t = {.issuers = &is, .n = 1};
    uint8_t pk3[32], sk3[64];
    crypto_sign_keypair(pk3, sk3);
    int64_t t0 = (int64_t)OLD_FROM_S * 1000;
    struct ac_buf ho[2] = {AC_BUF_INIT, AC_BUF_INIT};
    handover(old_pk, old_sk, new_pk, t0 + 300, &ho[0]);
    handover(new_pk, new_sk, pk3, t0 + 600, &ho[1]);
    struct ac_key_info third;
    key_info(&third, pk3, OLD_FROM_S + 1, 0);
    struct ac_record r;
    record(&r, OLD_FROM_S + 1, -1);
    struct ac_buf rec = sign_record(&r, &third, sk3);
    struct witnessed w;
    witnessed_bundle(&rec, pk3, sk3, 0, 0, ho, 2, &w);
    struct ac_trust_options opt;
    options(&opt);
    opt.trust = &t;
    struct ac_trust_report rep;
    verify(&w.out, &opt, &rep);
    const struct ac_trust_check *kc = check(&rep, "keys");
    assert_int_equal(AC_TRUST_PASS, kc->result);
    assert_non_null(strstr(kc->reason, "2 key hand-overs"));
    /* The stolen first key still cannot name a second successor beside the
     * one its own hand-over named. */
    struct ac_buf forged = AC_BUF_INIT;
    handover(old_pk, old_sk, pk3, t0 + 300, &forged);
    struct ac_buf both[2] = {ho[0], forged};
    struct witnessed w2;
    witnessed_bundle(&rec, pk3, sk3, 0, 0, both, 2, &w2);
    verify(&w2.out, &opt, &rep);
    kc = check(&rep, "keys");
    assert_int_equal(AC_TRUST_FAIL, kc->result);
    assert_non_null(strstr(kc->reason, "forged key history"));
    witnessed_release(&w);
    witnessed_release(&w2);
    ac_buf_release(&forged);
    ac_buf_release(&ho[0]);
    ac_buf_release(&ho[1]);
    ac_buf_release(&rec);
}

static void test_a_record_of_an_untrusted_issuer_is_invalid(void **state)
{
    (void)state;
    struct ac_record r;
    record(&r, NOW_S - 86400, -1);
    strcpy(r.iss, "https://elsewhere.example");
    struct ac_buf b = sign_record(&r, &keys[1], new_sk);
    struct ac_trust_options opt;
    options(&opt);
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    const struct ac_trust_check *is = check(&rep, "issuer");
    assert_int_equal(AC_TRUST_FAIL, is->result);
    assert_non_null(strstr(is->reason, "https://elsewhere.example"));
    assert_int_equal(AC_TRUST_FAIL, ac_trust_verdict(&rep));
    ac_buf_release(&b);
}

static void test_a_record_signed_by_an_unlisted_key_is_invalid(void **state)
{
    (void)state;
    uint8_t pk[32], sk[64];
    crypto_sign_keypair(pk, sk);
    struct ac_key_info stranger;
    key_info(&stranger, pk, OLD_FROM_S, 0);
    struct ac_record r;
    record(&r, NOW_S - 86400, -1);
    struct ac_buf b = sign_record(&r, &stranger, sk);
    struct ac_trust_options opt;
    options(&opt);
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    const struct ac_trust_check *is = check(&rep, "issuer");
    assert_int_equal(AC_TRUST_FAIL, is->result);
    assert_non_null(strstr(is->reason, "unknown key"));
    assert_int_equal(AC_TRUST_FAIL, ac_trust_verdict(&rep));
    ac_buf_release(&b);
}

static void test_a_record_with_one_flipped_signature_bit_is_invalid(void **state)
{
    (void)state;
    struct ac_record r;
    record(&r, NOW_S - 86400, -1);
    struct ac_buf b = sign_record(&r, &keys[1], new_sk);
    b.data[b.len - 1] ^= 0x01; /* the last byte is the signature's */
    struct ac_trust_options opt;
    options(&opt);
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    assert_int_equal(AC_TRUST_FAIL, check(&rep, "signature")->result);
    assert_int_equal(AC_TRUST_FAIL, ac_trust_verdict(&rep));
    ac_buf_release(&b);
}

static void test_bytes_that_are_no_record_fail_to_decode(void **state)
{
    (void)state;
    const uint8_t junk[] = {0xd2, 0x84, 0x01};
    struct ac_trust_options opt;
    options(&opt);
    struct ac_trust_report rep;
    ac_trust_verify_input(junk, sizeof(junk), &opt, &rep);
    assert_int_equal(1, rep.n);
    assert_string_equal("decode", rep.checks[0].name);
    assert_int_equal(AC_TRUST_FAIL, ac_trust_verdict(&rep));
    assert_false(rep.decoded);
}

static void test_a_missing_status_is_indeterminate_never_valid(void **state)
{
    (void)state;
    /* The record names a status list, but there is neither a bundle's
     * snapshot nor a fetcher: revocation cannot be ruled out. */
    struct ac_record r;
    record(&r, NOW_S - 86400, 7);
    struct ac_buf b = sign_record(&r, &keys[1], new_sk);
    struct ac_trust_options opt;
    options(&opt);
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    assert_int_equal(AC_TRUST_PASS, check(&rep, "signature")->result);
    const struct ac_trust_check *st = check(&rep, "status");
    assert_int_equal(AC_TRUST_INDETERMINATE, st->result);
    assert_non_null(strstr(st->reason, "cannot be ruled out"));
    assert_int_equal(AC_TRUST_INDETERMINATE, ac_trust_verdict(&rep));
    ac_buf_release(&b);
}

static void test_a_status_list_that_cannot_be_fetched_is_indeterminate(void **state)
{
    (void)state;
    struct ac_record r;
    record(&r, NOW_S - 86400, 7);
    struct ac_buf b = sign_record(&r, &keys[1], new_sk);
    const struct answer answers[] = {
        {STATUS_URI, AC_ETIMEDOUT, NULL, "could not fetch " STATUS_URI ": timed out"}};
    struct table tab = {answers, 1, 0};
    struct ac_trust_fetcher f = {table_fetch, &tab};
    struct ac_trust_options opt;
    options(&opt);
    opt.fetcher = &f;
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    const struct ac_trust_check *st = check(&rep, "status");
    assert_int_equal(AC_TRUST_INDETERMINATE, st->result);
    assert_non_null(strstr(st->reason, "timed out"));
    assert_int_not_equal(AC_TRUST_PASS, ac_trust_verdict(&rep));
    ac_buf_release(&b);
}

static void test_a_revoked_status_makes_the_record_invalid(void **state)
{
    (void)state;
    struct ac_record r;
    record(&r, NOW_S - 86400, 7);
    struct ac_buf b = sign_record(&r, &keys[1], new_sk);
    struct ac_buf tok =
        status_token(7, AC_STATUS_INVALID, &keys[1], new_sk, NOW_S - 60, NOW_S + 3600);
    const struct answer answers[] = {{STATUS_URI, 0, &tok, NULL}};
    struct table tab = {answers, 1, 0};
    struct ac_trust_fetcher f = {table_fetch, &tab};
    struct ac_trust_options opt;
    options(&opt);
    opt.fetcher = &f;
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    const struct ac_trust_check *st = check(&rep, "status");
    assert_int_equal(AC_TRUST_FAIL, st->result);
    assert_non_null(strstr(st->reason, "REVOKED"));
    assert_int_equal(AC_TRUST_FAIL, ac_trust_verdict(&rep));
    ac_buf_release(&tok);
    ac_buf_release(&b);
}

static void test_a_fresh_valid_status_from_the_current_key_passes_its_check(void **state)
{
    (void)state;
    struct ac_record r;
    record(&r, NOW_S - 86400, 7);
    struct ac_buf b = sign_record(&r, &keys[1], new_sk);
    struct ac_buf tok =
        status_token(7, AC_STATUS_VALID, &keys[1], new_sk, NOW_S - 60, NOW_S + 3600);
    const struct answer answers[] = {{STATUS_URI, 0, &tok, NULL}};
    struct table tab = {answers, 1, 0};
    struct ac_trust_fetcher f = {table_fetch, &tab};
    struct ac_trust_options opt;
    options(&opt);
    opt.fetcher = &f;
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    assert_int_equal(AC_TRUST_PASS, check(&rep, "status")->result);
    /* The record has no log_index, so the log cannot be asked: the verdict
     * stays indeterminate even with a good status. */
    assert_int_equal(AC_TRUST_INDETERMINATE, check(&rep, "log-fetch")->result);
    assert_int_equal(AC_TRUST_INDETERMINATE, ac_trust_verdict(&rep));
    ac_buf_release(&tok);
    ac_buf_release(&b);
}

static void test_a_valid_status_signed_by_a_retired_key_is_indeterminate(void **state)
{
    (void)state;
    /* A retired key may have leaked: its "valid" could hide a revocation.
     * The token is signed inside the old key's window, after the record, and
     * has not expired, so only the retirement is left to decide. */
    struct ac_record r;
    record(&r, 1740787200, 7);
    struct ac_buf b = sign_record(&r, &keys[0], old_sk);
    struct ac_buf tok =
        status_token(7, AC_STATUS_VALID, &keys[0], old_sk, 1740787200 + 60, NOW_S + 3600);
    const struct answer answers[] = {{STATUS_URI, 0, &tok, NULL}};
    struct table tab = {answers, 1, 0};
    struct ac_trust_fetcher f = {table_fetch, &tab};
    struct ac_trust_options opt;
    options(&opt);
    opt.fetcher = &f;
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    const struct ac_trust_check *st = check(&rep, "status");
    assert_int_equal(AC_TRUST_INDETERMINATE, st->result);
    assert_non_null(strstr(st->reason, "retired key"));
    ac_buf_release(&tok);
    ac_buf_release(&b);
}

static void test_a_status_token_signed_by_another_key_is_indeterminate_when_fetched(void **state)
{
    (void)state;
    uint8_t pk[32], sk[64];
    crypto_sign_keypair(pk, sk);
    struct ac_key_info stranger;
    key_info(&stranger, pk, OLD_FROM_S, 0);
    struct ac_record r;
    record(&r, NOW_S - 86400, 7);
    struct ac_buf b = sign_record(&r, &keys[1], new_sk);
    struct ac_buf tok = status_token(7, AC_STATUS_VALID, &stranger, sk, NOW_S - 60, NOW_S + 3600);
    const struct answer answers[] = {{STATUS_URI, 0, &tok, NULL}};
    struct table tab = {answers, 1, 0};
    struct ac_trust_fetcher f = {table_fetch, &tab};
    struct ac_trust_options opt;
    options(&opt);
    opt.fetcher = &f;
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    const struct ac_trust_check *st = check(&rep, "status");
    assert_int_equal(AC_TRUST_INDETERMINATE, st->result);
    assert_non_null(strstr(st->reason, "does not publish"));
    ac_buf_release(&tok);
    ac_buf_release(&b);
}

static void test_skipping_status_is_reported_as_skipped_not_passed(void **state)
{
    (void)state;
    struct ac_record r;
    record(&r, NOW_S - 86400, 7);
    struct ac_buf b = sign_record(&r, &keys[1], new_sk);
    struct ac_trust_options opt;
    options(&opt);
    opt.skip_status = true;
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    assert_int_equal(AC_TRUST_SKIPPED, check(&rep, "status")->result);
    assert_int_equal(AC_TRUST_PASS, ac_trust_verdict(&rep));
    ac_buf_release(&b);
}

static void test_the_verdict_is_fail_over_indeterminate_over_pass(void **state)
{
    (void)state;
    struct ac_trust_report rep;
    memset(&rep, 0, sizeof(rep));
    rep.n = 3;
    rep.checks[0].result = AC_TRUST_PASS;
    rep.checks[1].result = AC_TRUST_INDETERMINATE;
    rep.checks[2].result = AC_TRUST_SKIPPED;
    assert_int_equal(AC_TRUST_INDETERMINATE, ac_trust_verdict(&rep));
    rep.checks[2].result = AC_TRUST_FAIL;
    assert_int_equal(AC_TRUST_FAIL, ac_trust_verdict(&rep));
    rep.n = 1;
    assert_int_equal(AC_TRUST_PASS, ac_trust_verdict(&rep));
}

static void test_result_names_are_the_words_accord_verify_prints(void **state)
{
    (void)state;
    assert_string_equal("pass", ac_trust_result_name(AC_TRUST_PASS));
    assert_string_equal("fail", ac_trust_result_name(AC_TRUST_FAIL));
    assert_string_equal("indeterminate", ac_trust_result_name(AC_TRUST_INDETERMINATE));
    assert_string_equal("skipped", ac_trust_result_name(AC_TRUST_SKIPPED));
}

static void test_a_bundles_valid_snapshot_within_its_ttl_passes(void **state)
{
    (void)state;
    struct ac_trust_options opt;
    options(&opt);
    struct ac_trust_check st;
    snapshot_status(AC_STATUS_VALID, 60, 300, &opt, &st);
    assert_int_equal(AC_TRUST_PASS, st.result);
    assert_non_null(strstr(st.reason, "per the bundle's snapshot"));
}

static void test_a_bundles_valid_snapshot_older_than_its_ttl_is_indeterminate(void **state)
{
    (void)state;
    /* Exported, then revoked an hour later: offline, the snapshot still says
     * valid, but the issuer asked for a refresh after 300 s. */
    struct ac_trust_options opt;
    options(&opt);
    struct ac_trust_check st;
    snapshot_status(AC_STATUS_VALID, 2 * 3600, 300, &opt, &st);
    assert_int_equal(AC_TRUST_INDETERMINATE, st.result);
    assert_non_null(strstr(st.reason, "2 h old, older than its ttl of 300 s"));
}

static void test_a_valid_snapshot_without_a_ttl_is_indeterminate(void **state)
{
    (void)state;
    struct ac_trust_options opt;
    options(&opt);
    struct ac_trust_check st;
    snapshot_status(AC_STATUS_VALID, 10, 0, &opt, &st);
    assert_int_equal(AC_TRUST_INDETERMINATE, st.result);
    assert_non_null(strstr(st.reason, "has no ttl"));
}

static void test_max_status_age_accepts_an_older_snapshot_and_the_reason_says_so(void **state)
{
    (void)state;
    struct ac_trust_options opt;
    options(&opt);
    opt.has_max_status_age = true;
    opt.max_status_age_s = 3 * 3600;
    struct ac_trust_check st;
    snapshot_status(AC_STATUS_VALID, 2 * 3600, 300, &opt, &st);
    assert_int_equal(AC_TRUST_PASS, st.result);
    assert_non_null(strstr(st.reason, "status from a snapshot 2 h old, accepted by "
                                      "--max-status-age 10800 s"));
}

static void test_a_snapshot_older_than_max_status_age_is_indeterminate(void **state)
{
    (void)state;
    struct ac_trust_options opt;
    options(&opt);
    opt.has_max_status_age = true;
    opt.max_status_age_s = 3600;
    struct ac_trust_check st;
    snapshot_status(AC_STATUS_VALID, 2 * 3600, 300, &opt, &st);
    assert_int_equal(AC_TRUST_INDETERMINATE, st.result);
    assert_non_null(strstr(st.reason, "older than --max-status-age 3600 s"));
}

static void test_a_revoked_snapshot_past_its_ttl_still_makes_the_bundle_invalid(void **state)
{
    (void)state;
    struct ac_trust_options opt;
    options(&opt);
    struct ac_trust_check st;
    snapshot_status(AC_STATUS_INVALID, 2 * 3600, 300, &opt, &st);
    assert_int_equal(AC_TRUST_FAIL, st.result);
    assert_non_null(strstr(st.reason, "REVOKED"));
}

static void test_keys_fetched_from_the_issuer_itself_never_make_it_trusted(void **state)
{
    (void)state;
    struct ac_record r;
    record(&r, NOW_S - 86400, -1);
    struct ac_buf b = sign_record(&r, &keys[1], new_sk);
    struct ac_buf jwks;
    jwks_of(new_pk, &jwks);
    const struct answer answers[] = {{ISS "/.well-known/jwks.json", 0, &jwks, NULL}};
    struct table tab = {answers, 1, 0};
    struct ac_trust_fetcher f = {table_fetch, &tab};
    struct ac_trust *fetched = NULL;
    assert_int_equal(0, ac_trust_new(&fetched));
    struct ac_trust_options opt;
    options(&opt);
    opt.trust = NULL;
    opt.fetched = fetched;
    opt.fetcher = &f;
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    const struct ac_trust_check *is = check(&rep, "issuer");
    assert_int_equal(AC_TRUST_INDETERMINATE, is->result);
    assert_non_null(strstr(is->reason, "issuer not trusted"));
    assert_true(rep.issuer_untrusted);
    assert_int_equal(AC_TRUST_PASS, check(&rep, "signature")->result);
    assert_int_equal(AC_TRUST_INDETERMINATE, ac_trust_verdict(&rep));
    ac_trust_free(fetched);
    ac_buf_release(&jwks);
    ac_buf_release(&b);
}

static void test_a_status_uri_off_the_issuers_origin_is_never_fetched(void **state)
{
    (void)state;
    struct ac_record r;
    record(&r, NOW_S - 86400, 7);
    strcpy(r.status_uri, "http://169.254.169.254/latest/meta-data/");
    struct ac_buf b = sign_record(&r, &keys[1], new_sk);
    struct table tab = {NULL, 0, 0};
    struct ac_trust_fetcher f = {table_fetch, &tab};
    struct ac_trust_options opt;
    options(&opt);
    opt.fetcher = &f;
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    const struct ac_trust_check *st = check(&rep, "status");
    assert_int_equal(AC_TRUST_INDETERMINATE, st->result);
    assert_non_null(strstr(st->reason, "not on the origin of the issuer"));
    assert_int_equal(0, tab.asked);
    ac_buf_release(&b);
}

static void test_a_record_whose_signature_fails_has_its_status_not_fetched(void **state)
{
    (void)state;
    struct ac_record r;
    record(&r, NOW_S - 86400, 7);
    struct ac_buf b = sign_record(&r, &keys[1], new_sk);
    b.data[b.len - 1] ^= 0x01; /* the last signature byte */
    struct table tab = {NULL, 0, 0};
    struct ac_trust_fetcher f = {table_fetch, &tab};
    struct ac_trust_options opt;
    options(&opt);
    opt.fetcher = &f;
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    assert_int_equal(AC_TRUST_FAIL, check(&rep, "signature")->result);
    assert_int_equal(AC_TRUST_INDETERMINATE, check(&rep, "status")->result);
    assert_int_equal(0, tab.asked);
    ac_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_a_record_signed_inside_its_current_keys_window_without_status_is_valid),
        cmocka_unit_test(test_a_record_signed_by_a_key_outside_its_window_is_invalid),
        cmocka_unit_test(test_a_record_before_its_keys_window_opened_is_invalid),
        cmocka_unit_test(test_a_retired_keys_record_without_a_log_proof_is_indeterminate),
        cmocka_unit_test(test_a_retired_keys_record_cosigned_before_its_retirement_is_dated),
        cmocka_unit_test(test_cosignatures_made_after_the_retirement_do_not_date_the_record),
        cmocka_unit_test(test_fewer_witnesses_than_required_fail_naming_the_count),
        cmocka_unit_test(test_a_handover_leads_a_trust_in_the_old_key_to_the_new_one),
        cmocka_unit_test(test_two_handovers_within_a_second_of_the_first_keys_start_lead_to_the_third),
        cmocka_unit_test(test_a_record_of_an_untrusted_issuer_is_invalid),
        cmocka_unit_test(test_a_record_signed_by_an_unlisted_key_is_invalid),
        cmocka_unit_test(test_a_record_with_one_flipped_signature_bit_is_invalid),
        cmocka_unit_test(test_bytes_that_are_no_record_fail_to_decode),
        cmocka_unit_test(test_a_missing_status_is_indeterminate_never_valid),
        cmocka_unit_test(test_a_status_list_that_cannot_be_fetched_is_indeterminate),
        cmocka_unit_test(test_a_revoked_status_makes_the_record_invalid),
        cmocka_unit_test(test_a_fresh_valid_status_from_the_current_key_passes_its_check),
        cmocka_unit_test(test_a_valid_status_signed_by_a_retired_key_is_indeterminate),
        cmocka_unit_test(test_a_status_token_signed_by_another_key_is_indeterminate_when_fetched),
        cmocka_unit_test(test_skipping_status_is_reported_as_skipped_not_passed),
        cmocka_unit_test(test_the_verdict_is_fail_over_indeterminate_over_pass),
        cmocka_unit_test(test_result_names_are_the_words_accord_verify_prints),
        cmocka_unit_test(test_a_bundles_valid_snapshot_within_its_ttl_passes),
        cmocka_unit_test(test_a_bundles_valid_snapshot_older_than_its_ttl_is_indeterminate),
        cmocka_unit_test(test_a_valid_snapshot_without_a_ttl_is_indeterminate),
        cmocka_unit_test(test_max_status_age_accepts_an_older_snapshot_and_the_reason_says_so),
        cmocka_unit_test(test_a_snapshot_older_than_max_status_age_is_indeterminate),
        cmocka_unit_test(test_a_revoked_snapshot_past_its_ttl_still_makes_the_bundle_invalid),
        cmocka_unit_test(test_keys_fetched_from_the_issuer_itself_never_make_it_trusted),
        cmocka_unit_test(test_a_status_uri_off_the_issuers_origin_is_never_fetched),
        cmocka_unit_test(test_a_record_whose_signature_fails_has_its_status_not_fetched),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
