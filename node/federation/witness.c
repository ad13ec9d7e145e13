/* witness.c - witnessed logs. As a witness, this node asks each peer it
 * recognises as an issuer for its latest checkpoint (a signed log.checkpoint
 * query, node/federation/query.c), verifies it with that
 * peer's keys, demands a consistency proof from the last checkpoint it saw,
 * and cosigns (C2SP tlog-cosignature) only a consistent one, sending the
 * cosignature to the issuer through the outbox; a fork (a smaller tree, the
 * same size with another root, or a proof that does not join the two) raises
 * a "log_fork" flag for the admins and is never cosigned. As an issuer, it
 * takes cosignatures on its own checkpoints from peers holding the witness
 * right and serves them at GET /v1/federation/cosignatures. A witness
 * round's writes (the cosigned checkpoint with its cosignature queued, or a
 * fork's flag) run as tasks of the request groups (ac__fed_task()), off the
 * loop; the checkpoint kept is read on a reader thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/base64.h"
#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/records/checkpoint.h"
#include "accord/records/cosignature.h"
#include "accord/records/merkle.h"
#include "accord/sign/cbor.h"
#include "accord/sign/keyring.h"
#include "accord/store/peer.h"
#include "accord/store/flag.h"
#include "federation.h"
#include "internal.h"
#include "readers.h"
#include "records/records.h"

/* ac_cosig_sign()'s signing callback over the node's keyring. */
static int keyring_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[AC_NOTE_SIG_BYTES])
{
    return ac_keyring_sign(ctx, msg, len, sig);
}

/* ---- witness side ---- */

struct job {
    struct ac__fed_peer *p;
    char *note; /* owned: the signed checkpoint fetched */
    size_t len;
    size_t text_len;
    struct ac_checkpoint cp, old;
    char *old_note; /* owned: the last one seen, or NULL */
    size_t old_len;
};

static void job_free(struct job *j)
{
    free(j->note);
    free(j->old_note);
    ac_checkpoint_release(&j->cp);
    ac_checkpoint_release(&j->old);
    free(j);
}

/* Verifies |note| with |p|'s keys under the note's own origin as key name;
 * sets the text length. */
static int open_note(const struct ac__fed_peer *p, const char *note, size_t len,
                     struct ac_checkpoint *cp, size_t *text_len, char *why, size_t whylen)
{
    const char *nl = memchr(note, '\n', len);
    if (!nl || nl == note || (size_t)(nl - note) > AC_NOTE_NAME_MAX) {
        snprintf(why, whylen, "no origin line");
        return AC_EPARSE;
    }
    char origin[AC_NOTE_NAME_MAX + 1];
    memcpy(origin, note, (size_t)(nl - note));
    origin[nl - note] = 0;
    struct ac_note_verifier v[AC__FED_PEER_KEYS];
    size_t nv = 0;
    for (size_t i = 0; i < p->nkeys; i++)
        if (ac_note_verifier_init(&v[nv], origin, p->keys[i].public_key) == 0)
            nv++;
    int err = ac_note_verify(note, len, v, nv, text_len, why, whylen);
    if (!err)
        err = ac_checkpoint_parse(note, *text_len, cp, why, whylen);
    return err;
}

/* What a witness round writes, as a task of the request groups
 * (ac__fed_task()): a fork's flag and the note that showed it, or the
 * checkpoint cosigned (the one later ones must extend) with the cosignature
 * queued to its issuer. It carries copies: the job is freed meanwhile. */
struct witness_write {
    struct ac__fed_peer *p; /* peers live until the federation is freed */
    int fork;
    /* A cosignature: the kept checkpoint it was checked against (|had_old|
     * 0: none was kept), and what write_run() found (OUTCOME_*). */
    int had_old;
    uint64_t old_size;
    uint8_t old_root[32];
    int outcome;
    char *note; /* owned */
    size_t len;
    char *detail;        /* owned: a fork's flag detail */
    struct ac_buf body;  /* a cosignature's message body */
    char msg_id[48];
    char what[160];
    uint64_t seen_size, size;
    uint8_t root[32]; /* the checkpoint's */
};

enum { OUTCOME_COSIGNED, OUTCOME_STALE, OUTCOME_FORKED };

/* The JSON detail of a fork flag: |what|, the size and root seen before and
 * now. Returns an allocated string or NULL (out of memory). */
static char *fork_detail(const char *peer, const char *what, uint64_t seen_size,
                         const uint8_t seen_root[32], uint64_t now_size,
                         const uint8_t now_root[32])
{
    char seen[64] = "", now[64] = "";
    sodium_bin2base64(seen, sizeof seen, seen_root, 32, sodium_base64_VARIANT_ORIGINAL);
    sodium_bin2base64(now, sizeof now, now_root, 32, sodium_base64_VARIANT_ORIGINAL);
    json_t *d = json_pack("{s:s, s:s, s:I, s:s, s:I, s:s}", "peer", peer, "why", what,
                          "seen_size", (json_int_t)seen_size, "seen_root", seen, "now_size",
                          (json_int_t)now_size, "now_root", now);
    char *detail = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    return detail;
}

/* Parses a kept note's checkpoint (verified when it was kept). */
static int parse_kept(const uint8_t *note, size_t len, struct ac_checkpoint *cp)
{
    char why[AC_NOTE_WHY_MAX];
    const char *end = note ? memmem(note, len, "\n\n", 2) : NULL;
    size_t text = end ? (size_t)(end - (const char *)note) + 1 : 0;
    if (!text || ac_checkpoint_parse((const char *)note, text, cp, why, sizeof why))
        return AC_EPARSE;
    return 0;
}

static void write_free(struct witness_write *w)
{
    free(w->note);
    free(w->detail);
    ac_buf_release(&w->body);
    free(w);
}

static int write_run(void *arg)
{
    struct witness_write *w = arg;
    struct ac__federation *f = w->p->fed;
    struct ac_store *st = f->node->store;
    int64_t now = ac_clock_now_ms();
    if (w->fork) {
        int err = ac_store_flag_add(st, "log_fork", "", 0, 0, w->detail, now, NULL);
        return err ? err : ac_store_peer_doc_put(st, w->p->node_id, "fork",
                                                 (const uint8_t *)w->note, w->len, now);
    }
    /* The round checked this checkpoint against the one kept when it
     * read it; another round (a slow peer, the admin's trigger) may have
     * kept a newer one since. Read again here, in the transaction that
     * would replace it: cosigned only if it is still that one, a fork if
     * it holds this size with another root, and never a newer one
     * replaced by an older one. */
    uint8_t *kept = NULL;
    size_t kept_len = 0;
    int64_t at;
    int err = ac_store_peer_doc_get(st, w->p->node_id, "checkpoint", &kept, &kept_len, &at);
    if (err && err != AC_ENOENT)
        return err;
    w->outcome = OUTCOME_COSIGNED;
    if (!err) {
        struct ac_checkpoint cur = {0};
        err = parse_kept(kept, kept_len, &cur);
        free(kept);
        if (err)
            return err;
        if (cur.size == w->size && sodium_memcmp(cur.root, w->root, 32) != 0) {
            w->outcome = OUTCOME_FORKED;
            snprintf(w->what, sizeof w->what, "the same size with another root");
            w->seen_size = cur.size;
            char *detail =
                fork_detail(w->p->node_id, w->what, cur.size, cur.root, w->size, w->root);
            ac_checkpoint_release(&cur);
            if (!detail)
                return AC_ENOMEM;
            err = ac_store_flag_add(st, "log_fork", "", 0, 0, detail, now, NULL);
            free(detail);
            return err ? err : ac_store_peer_doc_put(st, w->p->node_id, "fork",
                                                     (const uint8_t *)w->note, w->len, now);
        }
        int same = w->had_old && cur.size == w->old_size &&
                   sodium_memcmp(cur.root, w->old_root, 32) == 0;
        w->seen_size = cur.size;
        ac_checkpoint_release(&cur);
        if (!same) {
            w->outcome = OUTCOME_STALE; /* the next round checks it against that one */
            return 0;
        }
    } else if (w->had_old) {
        w->outcome = OUTCOME_STALE; /* the kept one went: the next round starts afresh */
        return 0;
    }
    /* The checkpoint becomes the one later ones must extend in the same
     * transaction as the cosignature that vouches for it. */
    err = ac_store_peer_doc_put(st, w->p->node_id, "checkpoint", (const uint8_t *)w->note, w->len,
                                now);
    return err ? err : ac__fed_queue(f, w->p->node_id, "witness.cosignature", w->msg_id,
                                     w->body.data, w->body.len);
}

static void write_done(void *arg, int err)
{
    struct witness_write *w = arg;
    if (w->fork || (!err && w->outcome == OUTCOME_FORKED))
        ac_log_error("federation", "%s: its log forked (%s): saw size %llu, now size %llu; not "
                     "cosigned%s", w->p->node_id, w->what, (unsigned long long)w->seen_size,
                     (unsigned long long)w->size, err ? "; the flag could not be stored" : "");
    else if (err)
        ac_log_error("federation", "%s: cannot cosign size %llu: %s", w->p->node_id,
                     (unsigned long long)w->size, ac_strerror(err));
    else if (w->outcome == OUTCOME_STALE)
        ac_log_info("federation", "%s: not cosigning size %llu: another round kept size %llu "
                    "meanwhile", w->p->node_id, (unsigned long long)w->size,
                    (unsigned long long)w->seen_size);
    else
        ac_log_info("federation", "%s: cosigned its checkpoint at size %llu", w->p->node_id,
                    (unsigned long long)w->size);
    /* A cosignature queued wakes the sender; so may one whose COMMIT's
     * outcome is unknown (it may have committed: a needless wake-up costs
     * a page read, a lost one leaves it waiting). */
    if (!w->fork && (err == AC_EUNKNOWN || (!err && w->outcome == OUTCOME_COSIGNED)))
        ac__fed_kick(w->p);
    write_free(w);
}

/* A copy of |j|'s note in a new write, or NULL (out of memory). */
static struct witness_write *write_new(struct job *j, int fork)
{
    struct witness_write *w = calloc(1, sizeof *w);
    if (w && !(w->note = malloc(j->len ? j->len : 1))) {
        free(w);
        return NULL;
    }
    if (w) {
        memcpy(w->note, j->note, j->len);
        w->len = j->len;
        w->p = j->p;
        w->fork = fork;
        w->body = (struct ac_buf)AC_BUF_INIT;
        w->seen_size = j->old.size;
        w->size = j->cp.size;
        memcpy(w->root, j->cp.root, 32);
        w->had_old = j->old_note != NULL;
        w->old_size = j->old.size;
        memcpy(w->old_root, j->old.root, 32);
    }
    return w;
}

static void raise_fork(struct job *j, const char *what)
{
    char *detail =
        fork_detail(j->p->node_id, what, j->old.size, j->old.root, j->cp.size, j->cp.root);
    struct witness_write *w = detail ? write_new(j, 1) : NULL;
    if (!w) {
        ac_log_error("federation", "%s: its log forked (%s): saw size %llu, now size %llu; not "
                     "cosigned; the flag could not be stored", j->p->node_id, what,
                     (unsigned long long)j->old.size, (unsigned long long)j->cp.size);
        free(detail);
        return;
    }
    w->detail = detail;
    snprintf(w->what, sizeof w->what, "%s", what);
    ac__fed_task(j->p->fed, "log fork flag", write_run, write_done, w);
}

static void cosign(struct job *j)
{
    struct ac__federation *f = j->p->fed;
    struct ac_node *n = f->node;
    const struct ac_key_info *k = ac_keyring_current(n->keyring);
    uint64_t t = (uint64_t)(ac_clock_now_ms() / 1000);
    struct ac_buf line = AC_BUF_INIT;
    struct witness_write *w = write_new(j, 0);
    int err = w ? ac_cosig_sign(j->note, j->text_len, n->cfg->node_id, k->public_key, t,
                                keyring_sign, n->keyring, &line)
                : AC_ENOMEM;
    if (!err) {
        struct ac_cbor_writer cw;
        ac_cbor_writer_init(&cw);
        ac_cbor_put_map(&cw, 2);
        ac_cbor_put_str(&cw, "note");
        ac_cbor_put_bytes(&cw, j->note, j->len);
        ac_cbor_put_str(&cw, "line");
        ac_cbor_put_text(&cw, (const char *)line.data, line.len);
        err = ac_cbor_writer_finish(&cw, &w->body);
        ac_cbor_writer_release(&cw);
    }
    ac_buf_release(&line);
    if (err == AC_EBUSY) /* the key is being rotated: no failure, the next round cosigns */
        ac_log_info("federation", "%s: size %llu not cosigned now: %s", j->p->node_id,
                    (unsigned long long)j->cp.size, ac_strerror(err));
    else if (err)
        ac_log_error("federation", "%s: cannot cosign size %llu: %s", j->p->node_id,
                     (unsigned long long)j->cp.size, ac_strerror(err));
    if (err) {
        if (w)
            write_free(w);
        return;
    }
    snprintf(w->msg_id, sizeof w->msg_id, "cosig-%llu-%llu", (unsigned long long)j->cp.size,
             (unsigned long long)t);
    ac__fed_task(f, "cosignature", write_run, write_done, w);
}

/* Reads the byte string under |key| in an answer map, or the array of
 * 32-byte hashes under |key| into |proof| when |proof| is not NULL. */
static int answer_field(const uint8_t *body, size_t len, const char *key, const uint8_t **out,
                        size_t *out_len, struct ac_merkle_proof *proof)
{
    struct ac_cbor_reader r;
    uint64_t n;
    if (ac_cbor_map_find(body, len, key, &r))
        return AC_EPARSE;
    if (!proof)
        return ac_cbor_get_bytes(&r, out, out_len) ? AC_EPARSE : 0;
    if (ac_cbor_get_array(&r, &n) || n > AC_MERKLE_PROOF_MAX)
        return AC_EPARSE;
    for (uint64_t j = 0; j < n; j++) {
        const uint8_t *h;
        size_t hl;
        if (ac_cbor_get_bytes(&r, &h, &hl) || hl != 32)
            return AC_EPARSE;
        memcpy(proof->hash[j], h, 32);
    }
    proof->count = (size_t)n;
    return 0;
}

static void on_proof(void *arg, int err, const uint8_t *body, size_t len, const char *why_not)
{
    struct job *j = arg;
    if (j->p->fed->stopping || err) {
        if (!j->p->fed->stopping)
            ac_log_warn("federation", "%s: no consistency proof: %s", j->p->node_id, why_not);
        job_free(j);
        return;
    }
    struct ac_merkle_proof proof = {0};
    int bad = answer_field(body, len, "hashes", NULL, NULL, &proof) != 0;
    char why[160];
    if (bad) {
        ac_log_warn("federation", "%s: malformed consistency proof", j->p->node_id);
    } else if (ac_checkpoint_check_consistent(&j->old, &j->cp, &proof, why, sizeof why)) {
        raise_fork(j, why);
    } else {
        cosign(j);
    }
    job_free(j);
}

static void read_kept(struct job *j);

static void on_checkpoint(void *arg, int err, const uint8_t *body, size_t len,
                          const char *why_not)
{
    struct job *j = arg;
    struct ac__fed_peer *p = j->p;
    const uint8_t *note = NULL;
    size_t note_len = 0;
    if (!p->fed->stopping && !err && answer_field(body, len, "note", &note, &note_len, NULL)) {
        err = AC_EPARSE;
        why_not = "the answer carries no note";
    }
    if (p->fed->stopping || err) {
        if (!p->fed->stopping)
            ac_log_warn("federation", "%s: no checkpoint: %s", p->node_id, why_not);
        job_free(j);
        return;
    }
    char why[AC_NOTE_WHY_MAX];
    j->note = malloc(note_len + 1);
    if (!j->note ||
        (memcpy(j->note, note, note_len), j->len = note_len,
         open_note(p, j->note, j->len, &j->cp, &j->text_len, why, sizeof why))) {
        ac_log_warn("federation", "%s: its checkpoint does not verify: %s", p->node_id,
                    j->note ? why : "out of memory");
        job_free(j);
        return;
    }
    read_kept(j);
}

/* The checkpoint kept from |j|'s peer, read on a reader thread (it sees
 * what committed: a cosignature of an earlier round still waiting for its
 * group is not there yet, so this round may cosign the same checkpoint
 * again, which the issuer keeps once per size). */
struct kept_read {
    struct ac__read_job job; /* first */
    struct job *j;           /* owned until done */
    char node_id[65];
    uint8_t *old; /* owned until handed to |j| */
    size_t len;
    int err;
};

static void kept_work(struct ac__read_job *job, struct ac_store *st)
{
    struct kept_read *r = (struct kept_read *)job;
    int64_t at;
    r->err = ac_store_peer_doc_get(st, r->node_id, "checkpoint", &r->old, &r->len, &at);
}

static void compare_kept(struct job *j, uint8_t *old, int err);

static void kept_done(struct ac__read_job *job, int status)
{
    struct kept_read *r = (struct kept_read *)job;
    struct job *j = r->j;
    struct ac__federation *f = j->p->fed;
    f->tasks--;
    if (status || f->stopping) {
        free(r->old);
        job_free(j);
    } else {
        j->old_len = r->len;
        compare_kept(j, r->old, r->err);
    }
    free(r);
    ac__fed_free_if_done(f);
}

static void read_kept(struct job *j)
{
    struct kept_read *r = calloc(1, sizeof *r);
    if (!r) {
        ac_log_error("federation", "%s: cannot read the kept checkpoint: %s", j->p->node_id,
                     ac_strerror(AC_ENOMEM));
        job_free(j);
        return;
    }
    r->job = (struct ac__read_job){kept_work, kept_done, NULL};
    r->j = j;
    snprintf(r->node_id, sizeof r->node_id, "%s", j->p->node_id);
    j->p->fed->tasks++;
    ac__read_submit(j->p->fed->node, &r->job);
}

/* Compares |j|'s checkpoint with the one kept (|old|, owned; |err| its
 * read's): cosigns, asks for a consistency proof, or raises a fork. */
static void compare_kept(struct job *j, uint8_t *old, int err)
{
    struct ac__fed_peer *p = j->p;
    char why[AC_NOTE_WHY_MAX];
    if (err == AC_ENOENT) {
        cosign(j); /* the first one seen: nothing it must extend */
        job_free(j);
        return;
    }
    size_t old_text = 0;
    j->old_note = (char *)old;
    /* Verified when it was kept; parsed again for its size and root. */
    const char *end = old ? memmem(old, j->old_len, "\n\n", 2) : NULL;
    old_text = end ? (size_t)(end - (const char *)old) + 1 : 0;
    if (err || !old_text || ac_checkpoint_parse(j->old_note, old_text, &j->old, why, sizeof why)) {
        ac_log_error("federation", "%s: the kept checkpoint is unreadable", p->node_id);
        job_free(j);
        return;
    }
    if (j->cp.size < j->old.size) {
        raise_fork(j, "the tree is smaller than one it showed before");
    } else if (j->cp.size == j->old.size) {
        if (sodium_memcmp(j->cp.root, j->old.root, 32) != 0)
            raise_fork(j, "the same size with another root");
        /* else: nothing new to cosign */
    } else {
        struct ac_cbor_writer w;
        struct ac_buf q = AC_BUF_INIT;
        ac_cbor_writer_init(&w);
        ac_cbor_put_map(&w, 2);
        ac_cbor_put_str(&w, "to");
        ac_cbor_put_uint(&w, j->cp.size);
        ac_cbor_put_str(&w, "from");
        ac_cbor_put_uint(&w, j->old.size);
        err = ac_cbor_writer_finish(&w, &q);
        ac_cbor_writer_release(&w);
        if (!err)
            err = ac__fed_ask(p, "log.consistency", q.data, q.len, on_proof, j);
        ac_buf_release(&q);
        if (!err)
            return;
    }
    job_free(j);
}

static void witness_peer(struct ac__fed_peer *p)
{
    struct job *j = calloc(1, sizeof *j);
    int err = j ? 0 : AC_ENOMEM;
    if (!err) {
        /* Asked in a signed query, answered in a signed envelope: the note
         * verifies on its own, and the answer ties it to this peer. */
        static const uint8_t empty_map[] = {0xa0};
        j->p = p;
        err = ac__fed_ask(p, "log.checkpoint", empty_map, sizeof empty_map, on_checkpoint, j);
    }
    if (err) {
        ac_log_warn("federation", "%s: cannot ask for its checkpoint: %s", p->node_id,
                    ac_strerror(err));
        free(j);
    }
}

/* Witnesses every peer this node recognises as an issuer. */
void ac__fed_witness_all(struct ac__federation *f)
{
    for (size_t i = 0; i < f->npeers; i++)
        if (f->peers[i]->active && (f->peers[i]->rights & AC_RIGHT_ISSUER))
            witness_peer(f->peers[i]);
}

/* ---- issuer side ---- */

int ac__fed_take_cosignature(struct ac__federation *f, struct ac__fed_peer *from,
                             const uint8_t *body, size_t len, uint64_t *size,
                             struct ac_reason *why)
{
    struct ac_node *n = f->node;
    struct ac_cbor_reader r;
    uint64_t npairs;
    const uint8_t *note = NULL;
    const char *line = NULL;
    size_t note_len = 0, line_len = 0;
    const char *k1 = NULL, *k2 = NULL;
    size_t k1l = 0, k2l = 0;
    /* {line, note}: keys in deterministic order. */
    if (ac_cbor_reader_init(&r, body, len) || ac_cbor_get_map(&r, &npairs) || npairs != 2 ||
        ac_cbor_get_text(&r, &k1, &k1l) || k1l != 4 || memcmp(k1, "line", 4) != 0 ||
        ac_cbor_get_text(&r, &line, &line_len) || ac_cbor_get_text(&r, &k2, &k2l) || k2l != 4 ||
        memcmp(k2, "note", 4) != 0 || ac_cbor_get_bytes(&r, &note, &note_len))
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_BAD_ENVELOPE, "body",
                              "a witness.cosignature body is {line: text, note: bytes}");
    /* The note must be a checkpoint this node signed. */
    struct ac_note_verifier v[AC__FED_PEER_KEYS];
    size_t nv = 0;
    for (size_t i = 0; i < ac_keyring_count(n->keyring) && nv < AC__FED_PEER_KEYS; i++)
        if (ac_note_verifier_init(&v[nv], n->records->origin,
                                  ac_keyring_key(n->keyring, i)->public_key) == 0)
            nv++;
    size_t text_len = 0;
    char text_why[AC_NOTE_WHY_MAX];
    struct ac_checkpoint cp = {0};
    if (ac_note_verify((const char *)note, note_len, v, nv, &text_len, text_why,
                       sizeof text_why) ||
        ac_checkpoint_parse((const char *)note, text_len, &cp, text_why, sizeof text_why))
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "note",
                              "not a checkpoint this node signed: %s", text_why);
    *size = cp.size;
    ac_checkpoint_release(&cp);
    /* "— <name> <base64>\n" with name = the witness's node id. */
    struct ac_cosig_line l;
    if (line_len < 2 || line[line_len - 1] != '\n' ||
        ac_cosig_line_parse(line, line_len, &l, NULL, 0) || l.name_len != strlen(from->node_id) ||
        memcmp(l.name, from->node_id, l.name_len) != 0)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "line",
                              "a cosignature line is \"\xe2\x80\x94 %s <base64 of 76 bytes>\"",
                              from->node_id);
    int ok = 0, err = 0;
    for (size_t i = 0; !err && !ok && i < from->nkeys; i++) {
        struct ac_cosig_witness w;
        if (ac_cosig_witness_init(&w, from->node_id, from->keys[i].public_key))
            continue;
        err = ac_cosig_verify(&l, &w, (const char *)note, text_len);
        ok = err == 0;
        if (err == AC_ENOENT || err == AC_ECRYPTO)
            err = 0;
    }
    if (err)
        return err;
    if (!ok)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_BAD_SIGNATURE, "line",
                              "the cosignature does not verify with a key of %s",
                              from->node_id);
    char *copy = strndup(line, line_len);
    err = copy ? ac_store_cosignature_put(n->store, *size, from->node_id, copy,
                                          ac_clock_now_ms())
               : AC_ENOMEM;
    free(copy);
    return err;
}

/* GET /v1/federation/cosignatures[?size=N]: the cosignature lines collected
 * on our checkpoint of that size (default: the current one), as text. The
 * size is settled on the loop (the log's size is loop memory), the lines
 * read on a reader thread (node/readers.h). */
struct cosig_read {
    struct ac__read_job job; /* first */
    struct ac_http_exchange *x;
    uint64_t size;
    struct ac_buf out;
    int err;
};

static void cosig_work(struct ac__read_job *job, struct ac_store *st)
{
    struct cosig_read *r = (struct cosig_read *)job;
    r->err = ac_store_cosignature_lines(st, r->size, &r->out);
}

static void cosig_done(struct ac__read_job *job, int status)
{
    struct cosig_read *r = (struct cosig_read *)job;
    /* The pool stopped before the read ran: storage, as for every read. */
    int err = status ? AC_EIO : r->err;
    if (err) {
        ac__respond_error(r->x, err, "cosignatures");
    } else {
        const struct ac_http_header h[] = {{"content-type", "text/plain; charset=utf-8"}};
        ac_http_respond(r->x, 200, h, 1, r->out.data, r->out.len);
    }
    ac_buf_release(&r->out);
    free(r);
}

static void on_cosignatures(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    char v[24];
    uint64_t size = n->records->tree.size;
    if (ac_http_query(ac_http_exchange_req(x), "size", v, sizeof v) == 0) {
        char *end;
        size = strtoull(v, &end, 10);
        if (!v[0] || *end) {
            ac__problem(x, AC_PROBLEM_INVALID_FIELD, "size", NULL,
                        "size: \"%s\" must be a whole number", v);
            return;
        }
    }
    struct cosig_read *r = calloc(1, sizeof *r);
    if (!r) {
        ac__respond_error(x, AC_ENOMEM, "cosignatures");
        return;
    }
    r->job = (struct ac__read_job){cosig_work, cosig_done, NULL};
    r->x = x;
    r->size = size;
    r->out = (struct ac_buf)AC_BUF_INIT;
    ac__read_submit(n, &r->job);
}

/* POST /v1/federation/witness: witness every issuer peer now (admin). */
static void on_witness_now(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN))
        return;
    if (!n->federation) {
        ac__problem(x, AC_PROBLEM_STORAGE_UNAVAILABLE, NULL, NULL, "federation is not running");
        return;
    }
    ac__fed_witness_all(n->federation);
    ac__respond_owned(x, 202, json_pack("{s:b}", "started", 1));
}

void ac__fed_witness_register(struct ac_node *n)
{
    ac__route(n, "GET", "/v1/federation/cosignatures", on_cosignatures);
    ac__route(n, "POST", "/v1/federation/witness", on_witness_now);
}
