/* cmd_log.c - `accordctl log checkpoint`: the node's signed log checkpoint. */
#include <stdio.h>

#include "accord/base/buf.h"
#include "cli.h"

int cmd_log_checkpoint(const struct cli *cli, int argc, char **argv)
{
    (void)argv;
    if (argc != 1) {
        fprintf(stderr, "usage: %s log checkpoint\n", cli->prog);
        return CLI_USAGE;
    }
    struct ac_buf note = AC_BUF_INIT;
    int rc = cli_request_raw(cli, "/v1/log/checkpoint", &note);
    if (rc == CLI_OK)
        fwrite(note.data, 1, note.len, stdout); /* the signed note, byte for byte */
    ac_buf_release(&note);
    return rc;
}
