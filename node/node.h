/* node.h - what main() calls: prepare a data directory, or run the node. */
#ifndef AC_NODE_NODE_H
#define AC_NODE_NODE_H

#include <stdio.h>

#include "config.h"

/* Creates what is missing in |cfg|'s data directory (database, keyring, node
 * secret) and, when the node has no users yet, the admin |admin_name| with a
 * token, printed once to |out|. Errors go to stderr. Returns the process exit
 * status: 0, or 1 (already has users, or a failure). */
int ac_node_init_data(const struct ac_node_config *cfg, const char *admin_name, FILE *out);

/* Runs the node with |cfg| (borrowed) until SIGINT or SIGTERM, then stops
 * accepting, lets in-flight requests finish within the grace period, closes the
 * database and returns the exit status (0, or 1 when it could not start). */
int ac_node_run(const struct ac_node_config *cfg);

#endif
