/* migrations.c - the numbered schema migrations, applied in order at open.
 *
 * Append only: give a new migration the next number and never change one that
 * has shipped (a database records which numbers it has applied). Each runs in
 * one transaction with its version recorded in schema_migrations. Times are
 * integer milliseconds since the Unix epoch (UTC). */
#include <stddef.h>

#include "internal.h"

const struct ac__migration ac__migrations[] = {
    {1, "node users and bearer tokens",
     "CREATE TABLE users ("
     " id INTEGER PRIMARY KEY,"
     " name TEXT NOT NULL UNIQUE,"
     " display_name TEXT NOT NULL,"
     " roles INTEGER NOT NULL CHECK (roles > 0),"
     " created_ms INTEGER NOT NULL,"
     " disabled_ms INTEGER NOT NULL DEFAULT 0);"
     "CREATE TABLE tokens ("
     " id INTEGER PRIMARY KEY,"
     " user_id INTEGER NOT NULL REFERENCES users(id),"
     " label TEXT NOT NULL DEFAULT '',"
     " hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),"
     " created_ms INTEGER NOT NULL,"
     " revoked_ms INTEGER NOT NULL DEFAULT 0);"
     "CREATE INDEX tokens_by_user ON tokens(user_id, id);"},
    /* Recognition: a recognizer's policies, earners' approval requests and the
     * credentials teachers presented with the verdict of verifying them. Issuer
     * and credential ids are text, not references: a recognizer counts
     * credentials from other nodes' catalogs too. */
    {6, "recognition policies, approvals and presented credentials",
     "CREATE TABLE recognition_policies ("
     " id INTEGER PRIMARY KEY,"
     " recognizer_id INTEGER NOT NULL REFERENCES users(id),"
     " issuer TEXT NOT NULL CHECK (length(issuer) BETWEEN 1 AND 200),"
     " credential_id TEXT NOT NULL CHECK (length(credential_id) BETWEEN 1 AND 64),"
     " min_version INTEGER NOT NULL CHECK (min_version >= 1),"
     " ceu_hundredths INTEGER CHECK (ceu_hundredths BETWEEN 0 AND 100000),"
     " purpose TEXT NOT NULL CHECK (purpose IN ('ceu', 'pay_scale', 'relicensure')),"
     " requires_approval INTEGER NOT NULL CHECK (requires_approval IN (0, 1)),"
     " note TEXT NOT NULL DEFAULT '',"
     " created_ms INTEGER NOT NULL,"
     " retired_ms INTEGER NOT NULL DEFAULT 0);"
     "CREATE UNIQUE INDEX recognition_policies_active"
     " ON recognition_policies(recognizer_id, issuer, credential_id, purpose)"
     " WHERE retired_ms = 0;"
     "CREATE INDEX recognition_policies_by_credential"
     " ON recognition_policies(credential_id, issuer) WHERE retired_ms = 0;"
     "CREATE TABLE recognition_approvals ("
     " id INTEGER PRIMARY KEY,"
     " earner_id INTEGER NOT NULL REFERENCES users(id),"
     " recognizer_id INTEGER NOT NULL REFERENCES users(id),"
     " policy_id INTEGER NOT NULL REFERENCES recognition_policies(id),"
     " issuer TEXT NOT NULL,"
     " credential_id TEXT NOT NULL,"
     " state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied')),"
     " note TEXT NOT NULL DEFAULT '',"
     " reason TEXT NOT NULL DEFAULT '',"
     " requested_ms INTEGER NOT NULL,"
     " decided_ms INTEGER NOT NULL DEFAULT 0);"
     /* One live request per earner, recognizer and credential; after a denial
      * the earner may ask again. */
     "CREATE UNIQUE INDEX recognition_approvals_live"
     " ON recognition_approvals(earner_id, recognizer_id, issuer, credential_id)"
     " WHERE state != 'denied';"
     "CREATE INDEX recognition_approvals_by_recognizer"
     " ON recognition_approvals(recognizer_id, id);"
     "CREATE TABLE recognition_presentations ("
     " id INTEGER PRIMARY KEY,"
     " recognizer_id INTEGER NOT NULL REFERENCES users(id),"
     " teacher TEXT NOT NULL CHECK (length(teacher) BETWEEN 1 AND 128),"
     " record_hash BLOB NOT NULL CHECK (length(record_hash) = 32),"
     " cti TEXT NOT NULL,"
     " issuer TEXT NOT NULL,"
     " credential_id TEXT NOT NULL,"
     " credential_version INTEGER NOT NULL,"
     " achieved_level TEXT NOT NULL,"
     " ceu_hundredths INTEGER,"
     " verdict TEXT NOT NULL CHECK (verdict IN ('valid', 'invalid', 'indeterminate')),"
     " status_result TEXT NOT NULL,"
     " verified_by TEXT NOT NULL,"
     " checks TEXT NOT NULL,"
     " presented_ms INTEGER NOT NULL,"
     " verified_ms INTEGER NOT NULL,"
     " UNIQUE (recognizer_id, record_hash));"
     "CREATE INDEX recognition_presentations_by_teacher"
     " ON recognition_presentations(recognizer_id, teacher, id);"},
};

const size_t ac__nmigrations = sizeof ac__migrations / sizeof ac__migrations[0];
