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
};

const size_t ac__nmigrations = sizeof ac__migrations / sizeof ac__migrations[0];
