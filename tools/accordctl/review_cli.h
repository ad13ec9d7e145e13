/* review_cli.h - what the review-lifecycle commands of accordctl share
 * (artifact, review): fetching an artifact with its hash checked. */
#ifndef ACCORDCTL_REVIEW_CLI_H
#define ACCORDCTL_REVIEW_CLI_H

#include <stddef.h>

#include "cli.h"

/* GETs artifact |hash| (64 hex digits), checks that the bytes hash to it,
 * and writes them to |file|. Sets |*len| (may be NULL) to their size.
 * Prints why on failure. Returns a CLI_* code; nothing is written unless
 * the hash matched. */
int artifact_save(const struct cli *cli, const char *hash, const char *file, size_t *len);

#endif
