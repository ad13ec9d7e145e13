/* audit.h - the one path by which a service records who changed what: an
 * audit row written inside the change's own transaction, its detail a JSON
 * object built with jansson (never formatted text, so issuer-typed names
 * cannot break it). */
#ifndef AC_NODE_AUDIT_H
#define AC_NODE_AUDIT_H

#include <stdint.h>

#include <jansson.h>

struct ac_node;

/* Writes an audit row: |actor| (a user id; 0 for the node itself) did
 * |action| to |kind| |subject| on this node now, with |detail| (borrowed; may
 * be NULL) stored as compact JSON with sorted keys. Call inside the service's
 * transaction, so the row commits or rolls back with the change.
 * Returns 0, AC_ENOMEM or a store error. */
int ac_audit(struct ac_node *n, const char *kind, const char *subject, int64_t actor,
             const char *action, const json_t *detail);

/* As ac_audit() for a subject named by a numeric id. */
int ac_audit_id(struct ac_node *n, const char *kind, int64_t subject, int64_t actor,
                const char *action, const json_t *detail);

#endif
