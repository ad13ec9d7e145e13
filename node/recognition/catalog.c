/* catalog.c - the earner's catalog: one page of this node's active
 * credentials under the district filters (domain, stack, which recognizer
 * counts it), each with the recognizers' policies that count it, so an
 * earner sees where to ask for approval. */
#include <stdlib.h>

#include "accord/base/error.h"
#include "accord/store/store_recognition.h"
#include "internal.h"
#include "recognition/recognition.h"
#include "records/records.h"

void ac__catalog_items_free(struct ac__catalog_item *items, size_t count)
{
    for (size_t i = 0; items && i < count; i++) {
        ac_catalog_entry_release(&items[i].entry);
        free(items[i].policies);
    }
    free(items);
}

int ac__catalog_page(struct ac_node *n, const char *domain, const char *stack,
                     int64_t recognizer_id, int64_t after_id, size_t limit,
                     struct ac__catalog_item **items, size_t *count, int *more)
{
    /* Recognizers name this node's credentials by the node's base URL, the
     * records' issuer. */
    const char *issuer = ac__issuer_of(n, NULL);
    struct ac_catalog_filter f = {domain, stack, recognizer_id, issuer};
    /* One extra row tells whether another page exists. */
    struct ac_catalog_entry *page = calloc(limit + 1, sizeof *page);
    struct ac__catalog_item *out = calloc(limit ? limit : 1, sizeof *out);
    size_t got = 0, kept = 0;
    int err = page && out ? ac_store_catalog_list(n->store, &f, after_id, page, limit + 1, &got)
                          : AC_ENOMEM;
    for (; !err && kept < got && kept < limit; kept++) {
        struct ac__catalog_item *it = &out[kept];
        it->entry = page[kept];
        page[kept] = (struct ac_catalog_entry){0}; /* moved into |it| */
        it->policies = calloc(AC_CATALOG_RECOGNITIONS_MAX, sizeof *it->policies);
        err = it->policies
                  ? ac_store_policy_for_credential(n->store, issuer, it->entry.def_id,
                                                   it->entry.version, it->policies,
                                                   AC_CATALOG_RECOGNITIONS_MAX, &it->npolicies)
                  : AC_ENOMEM;
    }
    for (size_t i = 0; page && i < got; i++)
        ac_catalog_entry_release(&page[i]);
    free(page);
    if (err) {
        ac__catalog_items_free(out, kept);
        return err;
    }
    *items = out;
    *count = kept;
    *more = got > limit;
    return 0;
}
