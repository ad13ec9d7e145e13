/* cert_issuer.c - the issuer's side of cross-node certification: a lender's
 * signed request runs this node's own certification services (screening,
 * training, draws, grading: the code local reviewers go through) on the
 * reviewer's stand-in, and every change goes back to the home node as a
 * cert.state message with the whole picture, signed record included once
 * certified. Expert scores never leave: a draw carries item ids and content. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/records/reviewer_cert.h"
#include "accord/sign/envelope.h"
#include "accord/sign/keyring.h"
#include "accord/store/benchmark.h"
#include "accord/store/certification.h"
#include "accord/store/peer.h"
#include "accord/store/remote.h"
#include "accord/store/remote_cert.h"
#include "accord/store/credential.h"
#include "accord/store/reviewer.h"
#include "accord/store/training.h"
#include "accord/store/user.h"
#include "cert.h"
#include "federation.h"
#include "internal.h"
#include "lifecycle/lifecycle.h"

#define MAX_ANSWERS 256

/* Store failures fail the message (the lender retries); anything else a
 * service says is the reviewer's answer. */
static int fatal(int err)
{
    return err == AC_EIO || err == AC_ENOMEM || err == AC_EDB || err == AC_EBUG || err == AC_EAGAIN ||
           err == AC_EBUSY;
}

static int parse_answers(const json_t *a, struct ac_attempt_answer **out, size_t *k)
{
    size_t n = json_array_size(a);
    if (!json_is_array(a) || n > MAX_ANSWERS)
        return AC_EINVAL;
    struct ac_attempt_answer *v = calloc(n + 1, sizeof *v);
    if (!v)
        return AC_ENOMEM;
    size_t i;
    json_t *it;
    json_array_foreach(a, i, it)
    {
        json_t *id = json_object_get(it, "item_id"), *l = json_object_get(it, "level");
        v[i].item_id = json_is_integer(id) ? json_integer_value(id) : 0;
        if (json_is_string(l)) {
            v[i].level.kind = AC_LEVEL_NAME;
            v[i].level.name = json_string_value(l);
        } else if (json_is_integer(l)) {
            v[i].level.kind = AC_LEVEL_INDEX;
            v[i].level.index = json_integer_value(l);
        }
    }
    *out = v;
    *k = n;
    return 0;
}

/* The "holds credential X" facts this node checks itself: each entry
 * {credential, record} of |held| names a record this node issued. One that is
 * valid, of that credential, and backs no other reviewer is registered for
 * the stand-in (issuer "<this node>#record:<id>"), so screening finds it as
 * it finds a local reviewer's; any other is left out and the automatic
 * check stays unmet. Who earned the record is the lender's word: its signed
 * message says it is this reviewer's. */
static int register_held(struct ac_node *n, int64_t stand_in, const json_t *held)
{
    size_t i;
    json_t *h;
    int err = 0;
    json_array_foreach(held, i, h)
    {
        const char *cred = json_string_value(json_object_get(h, "credential"));
        json_t *rec = json_object_get(h, "record");
        if (!cred || !*cred || strlen(cred) > AC_CREDENTIAL_ID_MAX || !json_is_integer(rec))
            continue;
        char tag[AC_CREDENTIAL_ID_MAX + 96];
        snprintf(tag, sizeof tag, "%s#record:%lld", n->cfg->node_id,
                 (long long)json_integer_value(rec));
        int ok = 0;
        err = ac_store_remote_cert_record_check(n->store, json_integer_value(rec), cred, tag,
                                                stand_in, &ok);
        if (!err && ok)
            err = ac_store_held_add(n->store, stand_in, cred, tag, 0, ac_clock_now_ms());
        if (err == AC_EEXIST)
            err = 0; /* registered at an earlier application */
        if (err)
            break;
    }
    return err;
}

/* Runs the service |type| names for stand-in |actor|. */
static int run_service(struct ac_node *n, const char *type, const struct ac_user *actor,
                       const char *ref, const json_t *body, struct ac_reason *dom)
{
    struct ac__cred c = {0};
    int err;
    if (strcmp(type, "cert.apply") == 0) {
        struct ac_reviewer_cert rc;
        json_t *answers = json_object_get(body, "answers");
        char *text = json_is_object(answers) ? json_dumps(answers, JSON_COMPACT) : NULL;
        err = register_held(n, actor->id, json_object_get(body, "held"));
        if (!err)
            err = ac_reviewer_apply(n, actor, ref, text, &c, &rc, dom);
        free(text);
        if (!err)
            ac_reviewer_cert_release(&rc);
    } else if (strcmp(type, "cert.trained") == 0) {
        int64_t done;
        /* The lender's reviewer read both modules there: the general one
         * counts once, as for a local reviewer. */
        err = ac_general_module_complete(n, actor, &done, dom);
        if (!err)
            err = ac_training_complete(n, actor, ref, &c, dom);
    } else if (strcmp(type, "cert.attempt") == 0) {
        struct ac_attempt_started s;
        err = ac_cert_attempt_start(n, actor, ref, &c, &s, dom);
        if (!err)
            json_decref(s.items);
    } else {
        struct ac_attempt_answer *a = NULL;
        size_t k = 0;
        json_t *at = json_object_get(body, "attempt");
        err = json_is_integer(at) ? parse_answers(json_object_get(body, "answers"), &a, &k)
                                  : AC_EINVAL;
        if (err == AC_EINVAL)
            ac_reason_fail(dom, err, AC_PROBLEM_INVALID_FIELD, "answers",
                           "cert.answers: {attempt: integer, answers: [{item_id, level}]}");
        struct ac_attempt_graded g;
        if (!err)
            err = ac_cert_attempt_answer(n, actor, json_integer_value(at), a, k, &c, &g, dom);
        if (!err)
            json_decref(g.result);
        free(a);
    }
    ac__cred_release(&c);
    return err;
}

int ac__cert_apply_request(struct ac__federation *f, struct ac__fed_peer *from,
                           const struct ac_envelope *e, struct ac_buf *answer,
                           struct ac_reason *why)
{
    struct ac_node *n = f->node;
    json_t *body = NULL;
    int err = ac__cbor_to_json(e->body, e->body_len, &body);
    json_t *u = json_object_get(body, "user");
    const char *ref = json_string_value(json_object_get(body, "credential"));
    if (err || !json_is_integer(u) || json_integer_value(u) <= 0 || !ref || !*ref) {
        json_decref(body);
        return ac_reason_fail(why, err == AC_ENOMEM ? err : AC_EINVAL, AC_PROBLEM_BAD_ENVELOPE,
                              "body",
                              "a %s body is a map with user (the reviewer's id on the sender, "
                              "> 0) and credential (text)",
                              e->type);
    }
    struct ac_remote_reviewer who = {0};
    int64_t home_user = json_integer_value(u);
    if (strcmp(e->type, "cert.apply") == 0) {
        json_t *dom = json_object_get(body, "domains");
        char *domains = json_is_array(dom) ? json_dumps(dom, JSON_COMPACT) : NULL;
        struct ac_remote_profile p = {
            .display_name = json_string_value(json_object_get(body, "name")),
            .school = json_string_value(json_object_get(body, "school")),
            .district = json_string_value(json_object_get(body, "district")),
            .domains = domains};
        err = ac_store_remote_reviewer_ensure(n->store, from->node_id, home_user, &p,
                                              ac_clock_now_ms(), &who.user_id, NULL);
        free(domains);
        if (err == AC_EINVAL)
            ac_reason_fail(why, err, AC_PROBLEM_BAD_ENVELOPE, "body",
                           "cert.apply: name, school, district or domains too long for a "
                           "reviewer profile");
    } else {
        err = ac_store_remote_reviewer_find(n->store, from->node_id, home_user, &who.user_id);
    }
    snprintf(who.home_node, sizeof who.home_node, "%s", from->node_id);
    who.home_user = home_user;
    struct ac_reason dom = AC_REASON_INIT;
    const char *state = "refused";
    if (err == AC_ENOENT) {
        /* Never applied here: the reviewer is told so; nothing is made. */
        err = 0;
        ac_reason_fail(&dom, AC_ECONFLICT, AC_PROBLEM_NOT_APPLIED, NULL,
                       "reviewer %lld of %s has not applied to review %s here",
                       (long long)home_user, from->node_id, ref);
        struct ac_remote_reviewer nobody = who;
        nobody.user_id = 0;
        err = ac__cert_queue_state(n, &nobody, ref, &dom);
    } else if (!err) {
        struct ac_user actor;
        err = ac_store_user_get(n->store, who.user_id, &actor);
        int serr = err ? err : run_service(n, e->type, &actor, ref, body, &dom);
        if (fatal(serr))
            err = serr;
        else {
            if (!serr) {
                ac_reason_release(&dom);
                state = "accepted";
            }
            err = ac__cert_queue_state(n, &who, ref, serr ? &dom : NULL);
        }
    }
    if (!err)
        err = ac_store_peer_state_received(n->store, from->node_id);
    if (!err)
        err = ac__cert_answer(e->id, state, answer);
    if (err && why->problem == AC_PROBLEM_NONE)
        ac_reason_fail(why, err, ac_problem_of_error(err), NULL, "%s from %s: %s", e->type,
                       from->node_id, ac_strerror(err));
    ac_reason_release(&dom);
    json_decref(body);
    return err;
}
