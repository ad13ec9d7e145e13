/* migrations_pg.h - the PostgreSQL text of the numbered schema migrations
 * (migrations_pg.c), kept in step with SQLite's list in migrations.c. */
#ifndef AC_CORE_STORE_MIGRATIONS_PG_H
#define AC_CORE_STORE_MIGRATIONS_PG_H

#include <stddef.h>

#include "internal.h"

/* The list, in version order, with the numbers and descriptions of
 * ac__migrations. */
extern const struct ac__migration ac__migrations_pg[];
extern const size_t ac__nmigrations_pg;

#endif
