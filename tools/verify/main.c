/* main.c - accord-verify: a recognizer's standalone verifier of Accord
 * credential records, one or many (a folder's worth, or a stream of base64
 * lines), against a trust file or a pinned key. Prints a verdict with reasons
 * per record, or JSON Lines; the exit code is the worst verdict. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "accord/buf.h"
#include "accord/clock.h"
#include "accord/did.h"
#include "accord/error.h"
#include "internal.h"

static void usage(FILE *out, const char *prog)
{
    fprintf(out,
            "usage: %s (--trust FILE | --key KEY | --fetch) [--json] [--quiet] [--skip-status] "
            "[FILE...]\n"
            "\n"
            "Verifies Accord credential records and bundles. Each FILE (or standard input\n"
            "when there is none, or for \"-\") holds one record (raw COSE) or one bundle\n"
            "(raw CBOR), or any number of either as base64 or base64url text, one per line\n"
            "(blank lines and # comments ignored). A bundle's log inclusion proof and signed\n"
            "status snapshot are checked too.\n"
            "\n"
            "  --trust FILE    trusted issuers and their keys (JSON; see docs/records.md)\n"
            "  --key KEY       accept only this Ed25519 public key (64 hex digits or did:key)\n"
            "  --fetch         get each issuer's keys from <iss>/.well-known/jwks.json over\n"
            "                  HTTP/2; this trusts whichever issuer a record names\n"
            "  --json          one JSON object per record (JSON Lines)\n"
            "  --quiet         print only records that are not valid, and the summary\n"
            "  --skip-status   do not treat an unchecked status as indeterminate; the\n"
            "                  output still says status was not checked\n"
            "\n"
            "Exit codes: 0 every record valid, 1 some record invalid, 2 none invalid but\n"
            "some indeterminate (e.g. status or a retired key could not be checked),\n"
            "64 usage, 66 an input could not be read.\n",
            prog);
}

struct input {
    char name[300];
    const uint8_t *data;
    size_t len;
    char error[128]; /* set when the text could not be decoded */
    uint8_t *owned;  /* decoded bytes, freed at the end */
};

struct inputs {
    struct input *v;
    size_t n, cap;
};

static struct input *push(struct inputs *in)
{
    if (in->n == in->cap) {
        size_t cap = in->cap ? 2 * in->cap : 64;
        struct input *v = realloc(in->v, cap * sizeof(*v));
        if (!v)
            return NULL;
        in->v = v;
        in->cap = cap;
    }
    struct input *it = &in->v[in->n++];
    memset(it, 0, sizeof(*it));
    return it;
}

static int read_all(const char *path, struct ac_buf *out)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return AC_EIO;
    uint8_t chunk[65536];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = ac_buf_append(out, chunk, n);
    if (rc == 0 && ferror(f))
        rc = AC_EIO;
    if (f != stdin)
        fclose(f);
    return rc;
}

/* Decodes one line of base64 or base64url, padded or not. */
static int decode_line(const char *s, size_t len, struct input *it)
{
    int variant = sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '-' || s[i] == '_')
            variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    while (len > 0 && s[len - 1] == '=')
        len--;
    size_t cap = len * 3 / 4 + 1, n;
    if (!(it->owned = malloc(cap)))
        return AC_ENOMEM;
    if (sodium_base642bin(it->owned, cap, s, len, NULL, &n, NULL, variant) != 0) {
        snprintf(it->error, sizeof(it->error), "not base64 or base64url text");
        return 0;
    }
    it->data = it->owned;
    it->len = n;
    return 0;
}

/* Splits one input file into records: raw COSE (tag 18, first byte 0xd2) or
 * a raw bundle (a CBOR map) is one input; anything else is text with one
 * base64 record or bundle per line. */
static int split(const char *path, const struct ac_buf *b, struct inputs *in)
{
    const char *shown = strcmp(path, "-") == 0 ? "stdin" : path;
    if (b->len > 0 && (b->data[0] == 0xd2 || (b->data[0] >> 5) == 5)) {
        struct input *it = push(in);
        if (!it)
            return AC_ENOMEM;
        snprintf(it->name, sizeof(it->name), "%s", shown);
        it->data = b->data;
        it->len = b->len;
        return 0;
    }
    const char *p = (const char *)b->data, *end = p + b->len;
    size_t line = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        line++;
        const char *s = p;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        const char *t = e;
        while (t > s && (t[-1] == '\r' || t[-1] == ' ' || t[-1] == '\t'))
            t--;
        p = nl ? nl + 1 : end;
        if (s == t || *s == '#')
            continue;
        struct input *it = push(in);
        if (!it)
            return AC_ENOMEM;
        snprintf(it->name, sizeof(it->name), "%s:%zu", shown, line);
        int rc = decode_line(s, (size_t)(t - s), it);
        if (rc)
            return rc;
    }
    return 0;
}

static const char *verdict_word(enum ac__result v)
{
    return v == AC__PASS ? "VALID" : v == AC__FAIL ? "INVALID" : "INDETERMINATE";
}

static json_t *claims_json(const struct ac_record *r)
{
    char iat[21], cti[2 * AC_RECORD_CTI_BYTES + 1], hash[2 * AC_RECORD_HASH_BYTES + 1];
    sodium_bin2hex(cti, sizeof(cti), r->cti, sizeof(r->cti));
    sodium_bin2hex(hash, sizeof(hash), r->content_hash, sizeof(r->content_hash));
    json_t *c = json_pack("{ss ss ss ss ss sI ss ss}", "iss", r->iss, "sub", r->sub, "iat",
                          ac_clock_format(r->iat * 1000, iat), "cti", cti, "definition_id",
                          r->definition_id, "definition_version",
                          (json_int_t)r->definition_version, "content_hash", hash,
                          "achieved_level", r->achieved_level);
    if (!c)
        return NULL;
    if (r->has_ceu)
        json_object_set_new(c, "ceu", json_real((double)r->ceu_hundredths / 100.0));
    if (r->evidence[0])
        json_object_set_new(c, "evidence", json_string(r->evidence));
    if (r->has_log_index)
        json_object_set_new(c, "log_index", json_integer((json_int_t)r->log_index));
    if (r->has_status)
        json_object_set_new(c, "status_list", json_pack("{ss sI}", "uri", r->status_uri, "idx",
                                                        (json_int_t)r->status_idx));
    return c;
}

static void print_json(const struct input *it, const struct ac__report *rep)
{
    enum ac__result v = ac__verdict(rep);
    json_t *checks = json_array();
    for (size_t i = 0; i < rep->n; i++)
        json_array_append_new(checks, json_pack("{ss ss ss}", "check", rep->checks[i].name,
                                                "result", ac__result_name(rep->checks[i].result),
                                                "reason", rep->checks[i].reason));
    json_t *o = json_pack("{ss ss so}", "input", it->name, "verdict",
                          v == AC__PASS ? "valid" : v == AC__FAIL ? "invalid" : "indeterminate",
                          "checks", checks);
    if (o && rep->decoded)
        json_object_set_new(o, "claims", claims_json(&rep->rec));
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (s)
        puts(s);
    free(s);
    json_decref(o);
}

static void print_text(const struct input *it, const struct ac__report *rep, bool verbose)
{
    enum ac__result v = ac__verdict(rep);
    printf("%s: %s\n", it->name, verdict_word(v));
    for (size_t i = 0; i < rep->n; i++) {
        const struct ac__check *c = &rep->checks[i];
        if (verbose || c->result != AC__PASS)
            printf("  %-13s %-10s %s\n", ac__result_name(c->result), c->name, c->reason);
    }
    if (verbose && rep->decoded) {
        const struct ac_record *r = &rep->rec;
        char iat[21];
        printf("  credential    %s v%llu, level \"%s\"", r->definition_id,
               (unsigned long long)r->definition_version, r->achieved_level);
        if (r->has_ceu)
            printf(", %llu.%02llu CEUs", (unsigned long long)(r->ceu_hundredths / 100),
                   (unsigned long long)(r->ceu_hundredths % 100));
        printf("\n  earner        %s\n  issued        %s by %s\n", r->sub,
               ac_clock_format(r->iat * 1000, iat), r->iss);
        if (r->evidence[0])
            printf("  evidence      %s\n", r->evidence);
        if (r->has_log_index)
            printf("  log index     %llu\n", (unsigned long long)r->log_index);
    }
}

static int parse_key(const char *s, uint8_t key[32])
{
    size_t n;
    if (strlen(s) == 64 &&
        sodium_hex2bin(key, 32, s, 64, NULL, &n, NULL) == 0 && n == 32)
        return 0;
    return ac_did_key_parse(s, key);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"trust", required_argument, NULL, 't'}, {"key", required_argument, NULL, 'k'},
        {"json", no_argument, NULL, 'j'},        {"quiet", no_argument, NULL, 'q'},
        {"skip-status", no_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'},
        {"fetch", no_argument, NULL, 'f'},
        {NULL, 0, NULL, 0}};
    const char *trust_path = NULL, *key_text = NULL;
    bool json = false, quiet = false, fetch = false;
    struct ac__options opt;
    memset(&opt, 0, sizeof(opt));
    int ch;
    while ((ch = getopt_long(argc, argv, "t:k:jqsh", longopts, NULL)) != -1) {
        switch (ch) {
        case 't': trust_path = optarg; break;
        case 'k': key_text = optarg; break;
        case 'j': json = true; break;
        case 'q': quiet = true; break;
        case 's': opt.skip_status = true; break;
        case 'f': fetch = true; break;
        case 'h': usage(stdout, argv[0]); return AC__EXIT_VALID;
        default: usage(stderr, argv[0]); return AC__EXIT_USAGE;
        }
    }
    if ((trust_path != NULL) + (key_text != NULL) + fetch != 1) {
        fprintf(stderr, "%s: give exactly one of --trust FILE, --key KEY or --fetch\n", argv[0]);
        usage(stderr, argv[0]);
        return AC__EXIT_USAGE;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "%s: libsodium failed to initialise\n", argv[0]);
        return AC__EXIT_USAGE;
    }
    struct ac__trust *trust = NULL;
    if (key_text) {
        if (parse_key(key_text, opt.pinned_key.public_key)) {
            fprintf(stderr, "%s: --key: \"%s\" is neither 64 hex digits nor an Ed25519 did:key\n",
                    argv[0], key_text);
            return AC__EXIT_USAGE;
        }
        opt.pinned = true;
        uint8_t digest[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(digest, opt.pinned_key.public_key, 32);
        memcpy(opt.pinned_key.kid, digest, AC_KEY_ID_BYTES);
        sodium_bin2hex(opt.pinned_key.kid_hex, sizeof(opt.pinned_key.kid_hex),
                       opt.pinned_key.kid, AC_KEY_ID_BYTES);
    } else if (fetch) {
        if (!(trust = calloc(1, sizeof(*trust)))) {
            fprintf(stderr, "%s: out of memory\n", argv[0]);
            return AC__EXIT_USAGE;
        }
        opt.fetched = trust;
    } else {
        char why[320];
        int rc = ac__trust_load(trust_path, &trust, why, sizeof(why));
        if (rc) {
            fprintf(stderr, "%s: --trust: %s\n", argv[0],
                    rc == AC_ENOMEM ? "out of memory" : why);
            return rc == AC_EIO ? AC__EXIT_NOINPUT : AC__EXIT_USAGE;
        }
        opt.trust = trust;
    }
    opt.now_ms = ac_clock_now_ms();
    opt.pass_reasons = json || !quiet;

    int nfiles = argc - optind;
    struct ac_buf *bufs = calloc(nfiles ? (size_t)nfiles : 1, sizeof(*bufs));
    struct inputs in = {0};
    int status = bufs ? 0 : AC__EXIT_NOINPUT;
    for (int i = 0; status == 0 && i < (nfiles ? nfiles : 1); i++) {
        const char *path = nfiles ? argv[optind + i] : "-";
        int rc = read_all(path, &bufs[i]);
        if (rc == 0)
            rc = split(path, &bufs[i], &in);
        if (rc) {
            fprintf(stderr, "%s: %s: %s\n", argv[0], path,
                    rc == AC_ENOMEM ? "out of memory" : "cannot read");
            status = AC__EXIT_NOINPUT;
        }
    }

    size_t counts[3] = {0, 0, 0}; /* valid, invalid, indeterminate */
    bool verbose = in.n == 1 && !quiet;
    for (size_t i = 0; status == 0 && i < in.n; i++) {
        struct input *it = &in.v[i];
        struct ac__report rep;
        if (it->error[0]) {
            memset(&rep, 0, sizeof(rep));
            rep.checks[0].name = "decode";
            rep.checks[0].result = AC__FAIL;
            snprintf(rep.checks[0].reason, sizeof(rep.checks[0].reason), "%s", it->error);
            rep.n = 1;
        } else {
            ac__verify_input(it->data, it->len, &opt, &rep);
        }
        enum ac__result v = ac__verdict(&rep);
        counts[v == AC__PASS ? 0 : v == AC__FAIL ? 1 : 2]++;
        if (quiet && v == AC__PASS)
            continue;
        if (json)
            print_json(it, &rep);
        else
            print_text(it, &rep, verbose);
    }
    if (status == 0 && in.n == 0) {
        fprintf(stderr, "%s: no records in the input\n", argv[0]);
        status = AC__EXIT_NOINPUT;
    }
    if (status == 0) {
        if (!json && (in.n > 1 || quiet))
            printf("%zu records: %zu valid, %zu invalid, %zu indeterminate\n", in.n, counts[0],
                   counts[1], counts[2]);
        status = counts[1] ? AC__EXIT_INVALID
                 : counts[2] ? AC__EXIT_INDETERMINATE
                             : AC__EXIT_VALID;
    }
    for (size_t i = 0; i < in.n; i++)
        free(in.v[i].owned);
    free(in.v);
    for (int i = 0; bufs && i < (nfiles ? nfiles : 1); i++)
        ac_buf_release(&bufs[i]);
    free(bufs);
    ac__trust_free(trust);
    return status;
}
