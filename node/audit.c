/* audit.c - audit rows for services (see audit.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/store/audit.h"
#include "audit.h"
#include "internal.h"

int ac_audit(struct ac_node *n, const char *kind, const char *subject, int64_t actor,
             const char *action, const json_t *detail)
{
    char *text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (detail && !text)
        return AC_ENOMEM;
    int err = ac_store_audit_add(n->store, kind, subject, actor, n->cfg->node_id, action, text,
                                 ac_clock_now_ms());
    free(text);
    return err;
}

int ac_audit_id(struct ac_node *n, const char *kind, int64_t subject, int64_t actor,
                const char *action, const json_t *detail)
{
    char id[24];
    snprintf(id, sizeof id, "%" PRId64, subject);
    return ac_audit(n, kind, id, actor, action, detail);
}
