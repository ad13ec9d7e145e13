/* ob3_serve.c - the Open Badges 3.0 form of the node's records and its
 * Bitstring Status List credentials (see ob3_serve.h and docs/ob3.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/records/di.h"
#include "accord/records/ob3.h"
#include "accord/records/record.h"
#include "accord/review/definition.h"
#include "accord/sign/did.h"
#include "accord/store/record.h"
#include "records/ob3_serve.h"
#include "review/review.h"

struct ac__ob3 {
    struct ac_jsonld *jsonld;      /* owned: its processed-context cache is reused */
    struct ac__published lists[2]; /* by enum ac_status_purpose */
    /* What each list was built from: the bitstring's ETag and the key id. */
    char built_from[2][AC__ETAG_MAX + 2 * AC_KEY_ID_BYTES + 1];
};

void ac__ob3_free(struct ac__ob3 *o)
{
    if (!o)
        return;
    ac_jsonld_free(o->jsonld);
    ac_buf_release(&o->lists[0].body);
    ac_buf_release(&o->lists[1].body);
    free(o);
}

static int state(struct ac_node *n, struct ac__ob3 **out)
{
    if (!n->ob3) {
        char why[256];
        struct ac__ob3 *o = calloc(1, sizeof *o);
        if (!o)
            return AC_ENOMEM;
        int err = ac_jsonld_new(&o->jsonld, why, sizeof why);
        if (err) {
            ac_log_error("ob3", "%s", why);
            free(o);
            return err;
        }
        n->ob3 = o;
    }
    *out = n->ob3;
    return 0;
}

/* The issuer DID: did:web of the node's base URL; did:key of the current
 * key when the base URL cannot be one. Also the verification method. */
static void issuer_did(struct ac_node *n, const struct ac_key_info *k, char *did, size_t len,
                       char *vm, size_t vmlen)
{
    if (ac_did_web_from_url(n->records->issuer, did, len) == 0) {
        snprintf(vm, vmlen, "%s#%s", did, k->kid_hex);
        return;
    }
    char dk[AC_DID_KEY_MAX];
    ac_did_key(k->public_key, dk);
    snprintf(did, len, "%s", dk);
    snprintf(vm, vmlen, "%s#%s", dk, dk + 8);
}

/* The proof's created time: the second the current key began signing if
 * that is later than |t| (a proof cannot predate its key), so the same key
 * gives the same bytes every time. The second is floored, as the window check
 * (ac_record_key_valid_at) floors it: rounding up could stamp a proof up to a
 * second after the key signed it, past a rotation that followed at once. */
static int64_t created_s(const struct ac_key_info *k, int64_t t)
{
    int64_t from = k->not_before_ms / 1000;
    return from > t ? from : t;
}

struct copy {
    struct ac_buf cose;
    int err;
};

static void copy_cose(void *ctx, const uint8_t *p, size_t len)
{
    struct copy *c = ctx;
    c->err = ac_buf_append(&c->cose, p, len);
}

/* The criteria narrative from the definition: what is submitted and what
 * level earns the credential (a definition has no narrative of its own). */
static int criteria(const struct ac_definition *d, struct ac_buf *b)
{
    int rc = ac_buf_append_str(b, "Submit: ");
    for (size_t i = 0; !rc && i < d->n_elements; i++)
        rc = ac_buf_printf(b, "%s%s%s", i ? "; " : "", d->elements[i].prompt,
                           d->elements[i].required ? "" : " (optional)");
    if (!rc)
        rc = ac_buf_printf(b,
                           ". Certified reviewers score it on the rubric (%zu levels); "
                           "\"%s\" or better earns the credential.",
                           d->n_levels, d->levels[d->passing_level]);
    return rc ? rc : ac_buf_terminate(b);
}

void ac__ob3_parts_init(struct ac__ob3_parts *p)
{
    memset(p, 0, sizeof *p);
    p->cose = (struct ac_buf)AC_BUF_INIT;
}

void ac__ob3_parts_release(struct ac__ob3_parts *p)
{
    ac_buf_release(&p->cose);
    ac_def_free(p->def);
    p->def = NULL;
}

int ac__ob3_parts_read(struct ac_store *st, int64_t id, struct ac__ob3_parts *p)
{
    struct copy c = {AC_BUF_INIT, 0};
    struct ac_record rec;
    struct ac_cose_sign1 msg;
    int err = ac_store_record_get(st, id, &p->row, copy_cose, &c);
    if (!err)
        err = c.err;
    p->cose = c.cose;
    if (!err && ac_record_decode(p->cose.data, p->cose.len, &rec, &msg, p->why, sizeof p->why))
        err = AC_EPARSE;
    /* The definition service takes a node for its store alone. */
    struct ac_node view = {.store = st};
    if (!err)
        err = ac__review_definition(&view, rec.definition_id, (int64_t)rec.definition_version, NULL,
                                    NULL, &p->def);
    p->err = err;
    return err;
}

int ac__ob3_credential(struct ac_node *n, int64_t id, struct ac_buf *out, char *why, size_t whylen)
{
    struct ac__ob3_parts p;
    ac__ob3_parts_init(&p);
    struct ac__ob3 *o;
    int err = state(n, &o);
    if (!err)
        ac__ob3_parts_read(n->store, id, &p);
    if (!err)
        err = ac__ob3_credential_from(n, id, &p, out, why, whylen);
    ac__ob3_parts_release(&p);
    return err;
}

int ac__ob3_credential_from(struct ac_node *n, int64_t id, const struct ac__ob3_parts *p,
                            struct ac_buf *out, char *why, size_t whylen)
{
    struct ac__ob3 *o;
    struct ac_record rec;
    struct ac_cose_sign1 msg;
    const struct ac_definition *def = p->def;
    struct ac_buf crit = AC_BUF_INIT;
    const char **levels = NULL;
    json_t *cred = NULL;
    char *text = NULL;
    int err = state(n, &o);
    if (!err && p->err) {
        err = p->err;
        if (why && whylen)
            snprintf(why, whylen, "%s", p->why);
    }
    /* Decoded again here (it is cheap): what the read decoded points into
     * its own copy. */
    if (!err && ac_record_decode(p->cose.data, p->cose.len, &rec, &msg, why, whylen))
        err = AC_EPARSE;
    if (!err)
        err = criteria(def, &crit);
    if (err)
        goto out;
    levels = calloc(def->n_levels, sizeof *levels);
    if (!levels) {
        err = AC_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < def->n_levels; i++) /* OB lists them best first */
        levels[i] = def->levels[def->n_levels - 1 - i];

    const struct ac_key_info *k = ac_keyring_current(n->keyring);
    char did[AC__URL_MAX + 64], vm[2 * AC__URL_MAX], ach[AC__URL_MAX + 160];
    char status_base[AC__URL_MAX + 32], log_url[AC__URL_MAX + 64];
    issuer_did(n, k, did, sizeof did, vm, sizeof vm);
    snprintf(ach, sizeof ach, "%s/v1/catalog/%s?version=%llu", n->records->issuer,
             rec.definition_id, (unsigned long long)rec.definition_version);
    snprintf(status_base, sizeof status_base, "%s" AC__OB3_STATUS_PATH, n->records->issuer);
    snprintf(log_url, sizeof log_url, "%s/v1/credentials/%lld/inclusion", n->records->issuer,
             (long long)id);
    /* The native record carries its status index; OB 3.0 names the same one
     * in both lists, so one status change shows in both forms. */
    rec.has_status = true;
    rec.status_idx = p->row.status_idx;
    rec.has_log_index = true;
    rec.log_index = p->row.log_index;
    struct ac_ob3_award a = {.rec = &rec,
                             .issuer_did = did,
                             .issuer_name = n->cfg->node_id,
                             .issuer_url = n->records->issuer,
                             .achievement_id = ach,
                             .title = def->title,
                             .description = def->competency,
                             .criteria = (const char *)crit.data,
                             .levels = levels,
                             .nlevels = def->n_levels,
                             .passing_level = def->levels[def->passing_level],
                             .status_list_base = status_base,
                             .log_entry_url = log_url,
                             .checkpoint_ref = n->records->origin};
    err = ac_ob3_credential(&a, &cred, why, whylen);
    if (!err)
        err = ac_ob3_sign_with(o->jsonld, cred, vm, created_s(k, rec.iat), ac__keyring_sign_cb,
                               n->keyring, why, whylen);
    if (!err && !(text = json_dumps(cred, JSON_COMPACT | JSON_PRESERVE_ORDER)))
        err = AC_ENOMEM;
    if (!err)
        err = ac_buf_append_str(out, text);
out:
    free(text);
    json_decref(cred);
    free(levels);
    ac_buf_release(&crit);
    return err;
}

int ac__ob3_status_list(struct ac_node *n, enum ac_status_purpose purpose,
                        const struct ac__published **out)
{
    struct ac__ob3 *o;
    int err = state(n, &o);
    if (!err)
        err = ac__status_publish_bitstring(n); /* brings it (and its ETag) up to date */
    if (err)
        return err;
    struct ac__published *p = &o->lists[purpose];
    const struct ac_key_info *k = ac_keyring_current(n->keyring);
    char from[sizeof o->built_from[0]];
    snprintf(from, sizeof from, "%s%s", n->records->bitstring.etag, k->kid_hex);
    if (p->body.len && strcmp(from, o->built_from[purpose]) == 0) {
        *out = p;
        return 0;
    }
    char did[AC__URL_MAX + 64], vm[2 * AC__URL_MAX], url[AC__URL_MAX + 48], why[256];
    struct ac_buf enc = AC_BUF_INIT;
    json_t *cred = NULL;
    char *text = NULL;
    int64_t now_s = ac_clock_now_ms() / 1000;
    issuer_did(n, k, did, sizeof did, vm, sizeof vm);
    snprintf(url, sizeof url, "%s" AC__OB3_STATUS_PATH "%s", n->records->issuer,
             purpose == AC_STATUS_PURPOSE_REVOCATION ? "revocation" : "suspension");
    err = ac_status_w3c_encode(n->records->status, purpose, &enc);
    if (!err)
        err = ac_buf_terminate(&enc);
    if (!err)
        err = ac_ob3_status_list_credential(url, did, purpose, (const char *)enc.data, now_s,
                                            (int64_t)AC__MAX_AGE_S * 1000, &cred);
    if (!err)
        err = ac_ob3_sign_with(o->jsonld, cred, vm, created_s(k, now_s), ac__keyring_sign_cb,
                               n->keyring, why, sizeof why);
    /* AC_EBUSY: the keyring is sealed for a rotation's fsyncs, answered 503. */
    if (err && err != AC_ENOMEM && err != AC_EBUSY)
        ac_log_error("ob3", "status list %s: %s", url, why);
    if (!err && !(text = json_dumps(cred, JSON_COMPACT | JSON_PRESERVE_ORDER)))
        err = AC_ENOMEM;
    if (!err) {
        p->body.len = 0;
        err = ac_buf_append_str(&p->body, text);
        if (err) {
            p->body.len = 0; /* never serve half a body */
            o->built_from[purpose][0] = '\0';
        }
    }
    /* Failed before the body was touched (the keyring sealed, say): the
     * body built before stays, for the next request whose bitstring and key
     * it matches. */
    if (!err) {
        ac__published_seal(p, ac_clock_now_ms());
        snprintf(o->built_from[purpose], sizeof o->built_from[purpose], "%s", from);
        *out = p;
    }
    free(text);
    json_decref(cred);
    ac_buf_release(&enc);
    return err;
}
