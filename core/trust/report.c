/* report.c - appends one check, with its result and reason, to the report
 * a verdict is assembled from; every file of core/trust that checks
 * something reports through it. */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

void ac_trust_report_add(struct ac_trust_report *rep, const char *name, enum ac_trust_result result,
                    const char *fmt, ...)
{
    if (rep->n == AC_TRUST_MAX_CHECKS)
        return;
    struct ac_trust_check *c = &rep->checks[rep->n++];
    c->name = name;
    c->result = result;
    c->reason[0] = '\0';
    /* A batch run printing only failures need not format what passed; at
     * 10,000 records formatting is a measurable share of the time. */
    if (result == AC_TRUST_PASS && !rep->pass_reasons)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
    va_end(ap);
}
