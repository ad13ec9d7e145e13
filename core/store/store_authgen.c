/* store_authgen.c - reads the auth generation (accord/store/authgen.h); the
 * triggers of migration 16 are what move it. */
#include "accord/store/authgen.h"
#include "internal.h"

int ac_store_authgen_get(struct ac_store *st, int64_t *out)
{
    struct ac_db_stmt *s;
    int err = ac__store_stmt(st, "SELECT n FROM auth_generation WHERE id = 1", &s);
    if (err)
        return err;
    return ac__store_int64(st, s, out);
}
