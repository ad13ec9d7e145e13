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
    {2, "verifiable records: issued records, log leaves, signed checkpoints, status entries",
     /* The leaf of a record is its exact COSE bytes, so records.cose is the
      * log entry and log_leaves keeps only its RFC 9162 leaf hash (proofs are
      * computed from hashes alone). */
     "CREATE TABLE records ("
     " id INTEGER PRIMARY KEY,"
     " cti BLOB NOT NULL UNIQUE CHECK (length(cti) = 16),"
     " subject TEXT NOT NULL,"
     " definition_id TEXT NOT NULL,"
     " definition_version INTEGER NOT NULL,"
     " achieved_level TEXT NOT NULL,"
     " kid TEXT NOT NULL,"
     " iat INTEGER NOT NULL,"
     " log_index INTEGER NOT NULL UNIQUE,"
     " status_idx INTEGER NOT NULL UNIQUE,"
     " cose BLOB NOT NULL,"
     " created_ms INTEGER NOT NULL);"
     "CREATE INDEX records_by_subject ON records(subject, id);"
     "CREATE TABLE log_leaves ("
     " idx INTEGER PRIMARY KEY CHECK (idx >= 0),"
     " hash BLOB NOT NULL CHECK (length(hash) = 32),"
     " record_id INTEGER NOT NULL UNIQUE REFERENCES records(id));"
     "CREATE TABLE log_checkpoints ("
     " id INTEGER PRIMARY KEY,"
     " size INTEGER NOT NULL CHECK (size >= 0),"
     " root BLOB NOT NULL CHECK (length(root) = 32),"
     " kid TEXT NOT NULL,"
     " note TEXT NOT NULL,"
     " created_ms INTEGER NOT NULL);"
     /* One row per allocated status index: the allocated-index set is the
      * set of idx values. state uses the Token Status List values. */
     "CREATE TABLE status_entries ("
     " idx INTEGER PRIMARY KEY CHECK (idx >= 0),"
     " record_id INTEGER NOT NULL UNIQUE REFERENCES records(id),"
     " state INTEGER NOT NULL CHECK (state IN (0, 1, 2)),"
     " reason TEXT NOT NULL DEFAULT '',"
     " changed_ms INTEGER NOT NULL);"
     "CREATE TABLE status_changes ("
     " id INTEGER PRIMARY KEY,"
     " idx INTEGER NOT NULL REFERENCES status_entries(idx),"
     " state INTEGER NOT NULL CHECK (state IN (0, 1, 2)),"
     " reason TEXT NOT NULL,"
     " by_user INTEGER NOT NULL,"
     " at_ms INTEGER NOT NULL);"
     "CREATE INDEX status_changes_by_idx ON status_changes(idx, id);"},
};

const size_t ac__nmigrations = sizeof ac__migrations / sizeof ac__migrations[0];
