/* keys.c - the signing-key service: rotating the node's Ed25519 key, with
 * the outgoing key's signed hand-over to its successor, and re-signing the
 * transparency log's head under the new key, audited. Refused while
 * signing is halted (tlog_guard.c), and while another rotation is under way.
 *
 * Nothing of it waits on the database or the disk on the loop: a rotation
 * runs as two tasks of the request groups (ac__reqtx_task(),
 * node/internal.h) with the keyring's files written between them on a
 * thread of the rotation's own.
 *   1. An empty task, for its done callback alone: it is called after its
 *      group's COMMIT, when no group is open and no COMMIT in flight, so
 *      the log head in memory is the committed one (every record signed
 *      with the old key so far has committed). There, on the loop, the
 *      rotation is prepared (ac_keyring_rotation_prepare(), sign/keyring.h):
 *      the new key made in memory and the outgoing key's hand-over of that
 *      head signed. (This replaces ac_store_quiesce(), which settled the
 *      open group and its COMMIT with the loop waiting.)
 *   1b. The files, on a thread started for them (uv_thread_create()): the
 *      new key, then the outgoing one retired, each fsynced with the
 *      directory (four fsyncs). Not the libuv thread pool: its four threads
 *      are shared with sign-ins' Argon2id (anyone can queue decoy hashes),
 *      mail, DNS and artifact I/O, and the seal below would last as long as
 *      that queue. The thread has the rotation's own copies and touches
 *      nothing the loop reads; it reports through a uv_async_t, and the
 *      loop joins it and closes the handle before going on (files_done()).
 *      Meanwhile the moment of step 1 is kept: the request groups are held
 *      (ac__reqtx_hold(); write requests queue as behind a COMMIT), and the
 *      keyring is sealed (it signs nothing: the outgoing key's window has
 *      ended, the new key is not yet durable), so no record is signed
 *      after the head the hand-over names. Reads go on being served; one
 *      that must sign answers 503 busy (AC_EBUSY, retry after a second),
 *      and a federation send waits, not counted as an attempt. When
 *      the files are durable, on the loop (files_done()), the keyring takes
 *      the new key in at once, whole, and the groups go on: what queued is
 *      signed by the new key; a federation send that met the seal goes
 *      again on its sender's short timer (federation/sender.c).
 *   2. The rows, as a transaction body: the hand-over, the head re-signed
 *      under the new key and the audit row. A lost race runs it again, so
 *      it re-reads the head each run. Its done callback publishes the
 *      checkpoint and answers.
 * The keyring is files, not rows: once rotated the rotation stands whatever
 * the store does next (the new key is on disk before anything is
 * answered; the old one stays published for old records). Rows that fail
 * to commit, or a node stopped or killed between the two, lose the
 * hand-over, re-signed checkpoint and audit row, logged: bundles then go on
 * verifying through the trust file, and the old key's checkpoint stays
 * valid until the next record is signed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/records/keyhistory.h"
#include "accord/sign/keyring.h"
#include "accord/store/store.h"
#include "accord/store/keys.h"
#include "accord/store/tlog.h"
#include "accounts/accounts.h"
#include "audit.h"
#include "records/records.h"

#define KID_HEX (2 * AC_KEY_ID_BYTES + 1)

/* One rotation, from its request until its rows committed or failed. */
struct rotation {
    struct ac_node *n;
    struct ac_user by;
    ac__rotated_cb done;
    void *arg;
    struct ac_reason why;
    /* Set on the loop when the keyring rotated. */
    char old_kid[KID_HEX], new_kid[KID_HEX];
    int64_t at_ms;
    struct ac_buf statement; /* the hand-over */
    /* The keyring's files, written on a thread of their own (step 1b). */
    struct ac_keyring_rotation *files; /* owned until taken in or dropped */
    uv_thread_t thread;
    uv_async_t async; /* the thread's "done"; closed before |rot| is freed */
    int files_err;    /* the thread's result */
    /* Set by each run of the rows' task. */
    struct ac_buf note; /* the re-signed checkpoint, when |resigned| */
    uint64_t size;
    uint8_t root[AC_MERKLE_HASH_BYTES];
    int resigned;
};

static void rotation_end(struct rotation *rot, int err)
{
    rot->n->records->rotating = 0;
    rot->done(rot->n, rot->arg, err, &rot->why);
    ac_reason_release(&rot->why);
    ac_buf_release(&rot->statement);
    ac_buf_release(&rot->note);
    free(rot);
}

/* What the outgoing key signs at its rotation: its successor and the
 * committed log head (see the top of the file). */
static int sign_handover(void *ctx, const struct ac_key_info *outgoing,
                         const struct ac_key_info *next,
                         int (*sign)(void *sign_ctx, const uint8_t *msg, size_t len,
                                     uint8_t sig[AC_KEY_SIG_BYTES]),
                         void *sign_ctx)
{
    struct rotation *rot = ctx;
    struct ac__records *r = rot->n->records;
    struct ac_key_handover ho;
    memset(&ho, 0, sizeof ho);
    size_t iss_len = strlen(r->issuer);
    if (iss_len > AC_KEY_HANDOVER_ISS_MAX)
        return AC_EINVAL;
    memcpy(ho.iss, r->issuer, iss_len + 1);
    memcpy(ho.kid, outgoing->kid, AC_KEY_ID_BYTES);
    memcpy(ho.next, next->public_key, AC_KEY_PUBLIC_BYTES);
    ho.at_ms = rot->at_ms;
    ho.size = r->tree.size;
    ac_merkle_tree_root(&r->tree, ho.root);
    return ac_key_handover_sign(&ho, sign, sign_ctx, &rot->statement);
}

/* The rows' task: a transaction body (node/internal.h), run again whole
 * after a lost race. The head it re-signs is the one under the head lock:
 * memory's, which may have grown since the rotation (records issued since
 * are signed, with their checkpoints, by the new key already), or one
 * another process of this node committed, checked to extend what this
 * node published first. */
static int rows_run(void *arg)
{
    struct rotation *rot = arg;
    struct ac_node *n = rot->n;
    struct ac__records *r = n->records;
    struct ac_store *st = n->store;
    rot->resigned = 0;
    rot->note.len = 0;
    int err = ac_store_tx_begin(st);
    if (err)
        return err;
    err = ac_store_key_handover_put(st, rot->old_kid, rot->at_ms, rot->statement.data,
                                    rot->statement.len);
    struct ac_store_tlog_head head = {0};
    if (!err)
        err = ac_store_tlog_head_lock(st, &head);
    if (!err) {
        ac_merkle_tree_root(&r->tree, rot->root);
        if (head.size != r->tree.size || memcmp(head.root, rot->root, sizeof rot->root) != 0)
            err = ac__tlog_check(n, &head); /* moved by another process of this node */
        rot->size = head.size;
        memcpy(rot->root, head.root, sizeof rot->root);
    }
    /* Not re-signed: the newest checkpoint is of this head under the new
     * key already (a record issued since the rotation), or signing failed
     * (the old key's checkpoint stays valid; the audit row says so). */
    int resign_err = err;
    struct ac_store_checkpoint cp = {0};
    if (!err)
        err = ac_store_log_checkpoint_latest(st, &cp);
    int current = !err && cp.size == rot->size && strcmp(cp.kid, rot->new_kid) == 0;
    free(cp.note);
    if (!err && !current) {
        resign_err = ac__checkpoint_sign(n, rot->size, rot->root, &rot->note);
        if (!resign_err)
            resign_err =
                ac_store_log_checkpoint_add(st, rot->size, rot->root, rot->new_kid,
                                            (const char *)rot->note.data, ac_clock_now_ms());
        if (resign_err == AC_EAGAIN)
            err = resign_err;
        else if (resign_err)
            ac_log_warn("records", "checkpoint not re-signed after rotation: %s",
                        ac_strerror(resign_err));
        rot->resigned = resign_err == 0;
    }
    if (!err) {
        json_t *d = json_pack("{s:s, s:s, s:b}", "previous_kid", rot->old_kid, "kid", rot->new_kid,
                              "checkpoint_resigned", resign_err == 0);
        err = d ? ac_audit(n, "key", rot->new_kid, rot->by.id, "rotate", d) : AC_ENOMEM;
        json_decref(d);
    }
    if (err) {
        ac_store_tx_rollback(st);
        return err;
    }
    return ac_store_tx_commit(st);
}

/* The rows' group committed (or they failed): the checkpoint is published
 * when it is still the head memory holds (a record issued after it in the
 * same group signed a newer one, which the next serve reads), and the
 * request is answered. */
static void rows_done(void *arg, int err)
{
    struct rotation *rot = arg;
    struct ac__records *r = rot->n->records;
    if (err) {
        ac_log_error("records",
                     "key %s rotated, but its hand-over, re-signed checkpoint and "
                     "audit row were not stored: %s",
                     rot->new_kid, ac_strerror(err));
        if (err == AC_ECONFLICT) /* the head another process moved did not extend ours */
            ac__tlog_need_signing(rot->n, &rot->why);
    } else if (rot->resigned) {
        uint8_t mine[AC_MERKLE_HASH_BYTES];
        ac_merkle_tree_root(&r->tree, mine);
        if (rot->size == r->tree.size && memcmp(mine, rot->root, sizeof mine) == 0)
            ac__checkpoint_publish(rot->n, &rot->note);
        else
            r->checkpoint.stale = 1;
    }
    rotation_end(rot, err);
}

/* The keyring's files have been written (or not), the thread joined and
 * its handle closed: on the loop, the new key is taken in, the groups go
 * on, and the rows follow as a task. */
static void files_done(uv_handle_t *h)
{
    struct rotation *rot = h->data;
    struct ac_node *n = rot->n;
    int err = rot->files_err;
    if (err)
        ac_keyring_rotation_abort(n->keyring, rot->files);
    else
        err = ac_keyring_rotation_commit(n->keyring, rot->files);
    rot->files = NULL;
    ac__reqtx_release(n);
    if (err) {
        ac_log_error("records", "key rotation failed, the key is unchanged: %s", ac_strerror(err));
        rotation_end(rot, err);
        return;
    }
    n->records->token.stale = 1; /* the status token names its key */
    ac_log_info("records", "key rotated by %s: signing key now %s", rot->by.name, rot->new_kid);
    err = ac__reqtx_task(n, "key rotation", rows_run, rows_done, rot);
    if (err)
        rows_done(rot, err);
}

/* On the loop: the thread has ended; joined, its handle closed, and then
 * files_done(). */
static void files_written(uv_async_t *a)
{
    struct rotation *rot = a->data;
    uv_thread_join(&rot->thread);
    uv_close((uv_handle_t *)&rot->async, files_done);
}

/* The rotation's thread: its own files, nothing of the loop's. */
static void files_thread(void *arg)
{
    struct rotation *rot = arg;
    rot->files_err = ac_keyring_rotation_write(rot->files);
    uv_async_send(&rot->async);
}

/* The rotation could not be prepared (the keyring is unchanged): its
 * handle is closed, and the rotation ends with the error. */
static void prepare_failed(uv_handle_t *h)
{
    struct rotation *rot = h->data;
    rotation_end(rot, rot->files_err);
}

/* The empty task's group committed: memory holds the committed head. The
 * rotation is prepared here, on the loop, and its files written on a
 * thread of their own while the groups wait (see the top of the file). */
static void settled(void *arg, int err)
{
    struct rotation *rot = arg;
    struct ac_node *n = rot->n;
    if (!err && n->stopping)
        err = AC_ECANCELED; /* the rows could not follow */
    if (!err)
        err = ac__tlog_need_signing(n, &rot->why);
    if (err) {
        rotation_end(rot, err);
        return;
    }
    snprintf(rot->old_kid, sizeof rot->old_kid, "%s", ac_keyring_current(n->keyring)->kid_hex);
    rot->at_ms = ac_clock_now_ms();
    if (n->loop) {
        rot->async.data = rot;
        int uerr = uv_async_init(n->loop, &rot->async, files_written);
        if (uerr) {
            ac_log_error("records", "key rotation: no handle for its file writes: %s",
                         uv_strerror(uerr));
            rotation_end(rot, AC_ENOMEM);
            return;
        }
    }
    err = ac_keyring_rotation_prepare(n->keyring, rot->at_ms, sign_handover, rot, &rot->files);
    if (err) {
        if (n->loop) { /* the handle closes before |rot| goes */
            rot->files_err = err;
            uv_close((uv_handle_t *)&rot->async, prepare_failed);
        } else {
            rotation_end(rot, err);
        }
        return;
    }
    snprintf(rot->new_kid, sizeof rot->new_kid, "%s",
             ac_keyring_rotation_next(rot->files)->kid_hex);
    ac__reqtx_hold(n);
    if (!n->loop) { /* no loop to keep free (a tool, a test): written at once */
        rot->files_err = ac_keyring_rotation_write(rot->files);
        rot->async.data = rot;
        files_done((uv_handle_t *)&rot->async);
        return;
    }
    int uerr = uv_thread_create(&rot->thread, files_thread, rot);
    if (uerr) {
        /* Reported like a failed write: the handle is open and closes on
         * the loop first, then files_done() drops the rotation. */
        ac_log_error("records", "key rotation: cannot start its file writer: %s",
                     uv_strerror(uerr));
        rot->files_err = AC_ENOMEM;
        uv_close((uv_handle_t *)&rot->async, files_done);
    }
}

/* Nothing to write: its done callback's moment is the point (settled()). */
static int settle_run(void *arg)
{
    (void)arg;
    return 0;
}

int ac__records_rotate_key(struct ac_node *n, const struct ac_user *by, struct ac_reason *why,
                           ac__rotated_cb done, void *arg)
{
    struct ac__records *r = n->records;
    int err = ac__need_role(by, AC_ROLE_ADMIN, why);
    if (!err)
        err = ac__tlog_need_signing(n, why);
    if (err)
        return err;
    if (r->rotating)
        return ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_CONFLICT, NULL,
                              "a key rotation is under way; GET /v1/keys shows the keys once "
                              "it ended");
    struct rotation *rot = calloc(1, sizeof *rot);
    if (!rot)
        return AC_ENOMEM;
    rot->n = n;
    rot->by = *by;
    rot->done = done;
    rot->arg = arg;
    rot->why = (struct ac_reason)AC_REASON_INIT;
    rot->statement = (struct ac_buf)AC_BUF_INIT;
    rot->note = (struct ac_buf)AC_BUF_INIT;
    r->rotating = 1;
    err = ac__reqtx_task(n, "key rotation: settle the log head", settle_run, settled, rot);
    if (err) {
        r->rotating = 0;
        free(rot);
    }
    return err;
}
