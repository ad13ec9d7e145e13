/* fuzz_config.c - feeds arbitrary text to the node's configuration parser
 * (node/config.c) from memory, checking that every outcome either fills the
 * config or writes an error line, and that release frees everything. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The file loader refuses text with a NUL byte, so the parser never sees one. */
    char *text = malloc(size + 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    struct ac_node_config cfg;
    char err[256];
    err[0] = '\0';
    int rc = ac_config_parse(text, "fuzz.conf", "/base", &cfg, err, sizeof err);
    if (rc == 0) {
        /* A config that parsed satisfies what check_complete() promises. */
        if (!cfg.node_id[0] || !cfg.data_dir || cfg.nlisten == 0 ||
            cfg.nlisten > AC_CONFIG_MAX_LISTEN || !cfg.tls_cert != !cfg.tls_key)
            abort();
        if (ac_node_id_check(cfg.node_id) != 0)
            abort();
        for (size_t i = 0; i < cfg.nlisten; i++)
            if (cfg.listen[i].port < 1 || cfg.listen[i].port > 65535 || !cfg.listen[i].host[0])
                abort();
        ac_config_release(&cfg);
    } else if (rc != AC_EPARSE && rc != AC_ENOMEM) {
        abort();
    } else if (rc == AC_EPARSE && strncmp(err, "fuzz.conf:", 10) != 0) {
        abort(); /* every parse error names the file and line */
    }
    free(text);
    return 0;
}
