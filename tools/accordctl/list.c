/* list.c - query strings and cursor-following listings for accordctl commands. */
#include <stdio.h>
#include <string.h>

#include "list.h"

int cli_query_add(char *path, size_t size, const char *name, const char *value)
{
    if (!value)
        return 0;
    size_t len = strlen(path), start = len;
    int n = snprintf(path + len, size - len, "%c%s=", strchr(path, '?') ? '&' : '?', name);
    if (n < 0 || (size_t)n >= size - len)
        goto full;
    len += (size_t)n;
    for (const unsigned char *v = (const unsigned char *)value; *v; v++) {
        int plain = (*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
                    (*v >= '0' && *v <= '9') || *v == '-' || *v == '.' || *v == '_' || *v == '~';
        if (len + (plain ? 1 : 3) >= size)
            goto full;
        if (plain)
            path[len++] = (char)*v;
        else
            len += (size_t)snprintf(path + len, size - len, "%%%02X", *v);
    }
    path[len] = 0;
    return 0;
full:
    path[start] = 0;
    return -1;
}

int cli_list_all(const struct cli *cli, const char *path, long long limit,
                 const struct cli_column *cols, size_t ncols)
{
    json_t *all = json_array();
    char page[1024], cursor[64] = "";
    int rc = CLI_OK;
    for (;;) {
        long long want = limit ? limit - (long long)json_array_size(all) : 200;
        if (want <= 0)
            break;
        char lim[24];
        snprintf(lim, sizeof lim, "%lld", want > 200 ? 200 : want);
        snprintf(page, sizeof page, "%s", path);
        if (cli_query_add(page, sizeof page, "limit", lim) ||
            cli_query_add(page, sizeof page, "cursor", cursor[0] ? cursor : NULL)) {
            fprintf(stderr, "%s: request path too long\n", cli->prog);
            rc = CLI_USAGE;
            break;
        }
        json_t *resp;
        rc = cli_request(cli, "GET", page, NULL, &resp);
        if (rc != CLI_OK)
            break;
        json_array_extend(all, json_object_get(resp, "items"));
        const char *next = json_string_value(json_object_get(resp, "next_cursor"));
        snprintf(cursor, sizeof cursor, "%s", next ? next : "");
        json_decref(resp);
        if (!cursor[0])
            break;
    }
    if (rc == CLI_OK) {
        json_t *wrapped = json_pack("{s:O}", "items", all);
        if (!cli_print_json(cli, wrapped))
            cli_print_table(all, cols, ncols);
        json_decref(wrapped);
    }
    json_decref(all);
    return rc;
}
