/* list.h - what the recognition, approval, catalog and analytics commands
 * share: building query strings and following a listing's cursors. */
#ifndef ACCORDCTL_LIST_H
#define ACCORDCTL_LIST_H

#include <stddef.h>

#include "cli.h"

/* Appends "&name=value" (or "?name=value" when |path| has no '?' yet) to the
 * NUL-terminated |path| of |size| bytes, percent-encoding |value| (RFC 3986
 * unreserved characters stay). A NULL |value| appends nothing. Returns 0, or
 * -1 when it would not fit (|path| is then unchanged). */
int cli_query_add(char *path, size_t size, const char *name, const char *value);

/* GETs |path| (which may carry a query) page by page, following next_cursor,
 * until the node has no more or |limit| items (0: no limit) are in, then
 * prints them: with --json as {"items": [...]}, else as a table of |cols|.
 * Returns a CLI_* exit code (problems are printed by cli_request). */
int cli_list_all(const struct cli *cli, const char *path, long long limit,
                 const struct cli_column *cols, size_t ncols);

#endif
