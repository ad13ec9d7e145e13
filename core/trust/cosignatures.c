/* cosignatures.c - the witness-cosignature check of a bundle: which
 * witnesses of the trust file cosigned the bundle's checkpoint (C2SP
 * tlog-cosignature lines) and when, by their own clocks. A checkpoint
 * cosigned before a key retired dates the records it holds, so a record
 * signed by a since-retired key still verifies; --witnesses N asks for N of
 * them. (witness.c is something else: the verifier's own memory of the
 * checkpoints it has seen.) */
#include <stdio.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/records/cosignature.h"
#include "internal.h"

/* How many witnesses of |cs| cosigned before |ms|. */
size_t ac__cosigned_before(const struct ac__cosigned *cs, int64_t ms)
{
    size_t k = 0;
    for (size_t i = 0; i < cs->n; i++)
        if ((int64_t)cs->earliest_s[i] * 1000 < ms)
            k++;
    return k;
}

/* The "witnesses" check of a bundle: every cosignature line must be well
 * formed; a line by a witness of the trust file (its name and key id) must
 * verify over the bundle's checkpoint, or the bundle was altered; lines by
 * other witnesses are ignored, as signed notes ignore unknown keys. The
 * witnesses that cosigned, each counted once, go to |cs|; with --witnesses N
 * fewer than N fails. Only a checkpoint that passed "log" is looked at. */
void ac__check_cosignatures(const struct ac_trust_options *opt, const struct ac_bundle *b,
                            const struct ac__seen_checkpoint *seen, struct ac_trust_report *rep,
                            struct ac__cosigned *cs)
{
    size_t need = opt->witnesses_required;
    const struct ac_trust *t = opt->trust;
    size_t nw = t ? t->nwitnesses : 0;
    if (b->ncosigs == 0 && need == 0)
        return;
    if (!seen->set) {
        if (need)
            ac_trust_report_add(
                rep, "witnesses", AC_TRUST_FAIL,
                "--witnesses %zu: the bundle's checkpoint did not pass the log check, so no "
                "cosignature on it counts",
                need);
        return;
    }
    const char *end = memmem(b->checkpoint, b->checkpoint_len, "\n\n", 2);
    size_t text_len = end ? (size_t)(end - b->checkpoint) + 1 : 0;
    size_t unknown = 0;
    for (size_t i = 0; i < b->ncosigs; i++) {
        struct ac_cosig_line l;
        char why[AC_BUNDLE_WHY_MAX];
        if (ac_cosig_line_parse((const char *)b->cosigs[i].data, b->cosigs[i].len, &l, why,
                                sizeof(why))) {
            ac_trust_report_add(rep, "witnesses", AC_TRUST_FAIL, "cosignatures[%zu]: %s", i, why);
            return;
        }
        const struct ac_cosig_witness *by = NULL;
        for (size_t j = 0; j < nw && !by; j++) {
            int rc = ac_cosig_verify(&l, &t->witnesses[j], b->checkpoint, text_len);
            if (rc == 0) {
                by = &t->witnesses[j];
            } else if (rc != AC_ENOENT) {
                ac_trust_report_add(
                    rep, "witnesses", AC_TRUST_FAIL,
                    "cosignatures[%zu]: witness %s's cosignature does not verify over the "
                    "bundle's checkpoint: the bundle was altered",
                    i, t->witnesses[j].name);
                return;
            }
        }
        if (!by) {
            unknown++;
            continue;
        }
        if (l.time_s > (uint64_t)(opt->now_ms / 1000 + AC_TRUST_FUTURE_SKEW_S)) {
            char when[21];
            ac_trust_report_add(
                rep, "witnesses", AC_TRUST_FAIL,
                "cosignatures[%zu]: witness %s's cosignature is dated %s, in the future", i,
                by->name, ac_clock_format((int64_t)l.time_s * 1000, when));
            return;
        }
        size_t k = 0;
        while (k < cs->n && strcmp(cs->names[k], by->name) != 0)
            k++;
        if (k == cs->n) {
            cs->names[cs->n] = by->name;
            cs->earliest_s[cs->n++] = l.time_s;
        } else if (l.time_s < cs->earliest_s[k]) {
            cs->earliest_s[k] = l.time_s;
        }
    }
    char names[400] = "";
    size_t o = 0;
    for (size_t k = 0; k < cs->n && o < sizeof(names); k++) {
        char when[21];
        int w = snprintf(names + o, sizeof(names) - o, "%s%s at %s", k ? ", " : "", cs->names[k],
                         ac_clock_format((int64_t)cs->earliest_s[k] * 1000, when));
        if (w > 0)
            o += (size_t)w;
    }
    if (cs->n < need) {
        ac_trust_report_add(
            rep, "witnesses", AC_TRUST_FAIL,
            "--witnesses %zu: the checkpoint carries valid cosignatures from only %zu distinct "
            "witness%s of the trust file%s%s (%zu line%s by witnesses it does not list)",
            need, cs->n, cs->n == 1 ? "" : "es", cs->n ? ": " : "", names, unknown,
            unknown == 1 ? "" : "s");
        return;
    }
    if (cs->n == 0) {
        ac_trust_report_add(rep, "witnesses", AC_TRUST_SKIPPED,
                            "%zu cosignature line%s, none by a witness %s", b->ncosigs,
                            b->ncosigs == 1 ? "" : "s",
                            nw ? "the trust file lists" : "(the trust file lists no witnesses)");
        return;
    }
    ac_trust_report_add(rep, "witnesses", AC_TRUST_PASS,
                        "the checkpoint is cosigned by %zu witness%s of the trust file (%s)%s",
                        cs->n, cs->n == 1 ? "" : "es", names,
                        need ? "" : "; none required (--witnesses N requires N)");
}
