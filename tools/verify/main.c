/* main.c - accord-verify: a recognizer's standalone verifier of Accord
 * credential records and bundles, one or many (a folder's worth, or a stream
 * of base64 lines), against a trust file, a pinned key or keys fetched from
 * the issuer; with --fetch it also asks the issuer for current status and log
 * proofs, and with --witness-state it remembers each log's checkpoint to catch
 * a forked history. Prints a verdict with reasons per record, or JSON Lines;
 * the exit code is the worst verdict. The checks and the verdict rule are
 * core/trust's; this file reads inputs and prints. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include <jansson.h>
#include <sodium.h>

#include "accord/base/buf.h"
#include "accord/base/clock.h"
#include "accord/records/bundle.h"
#include "accord/sign/did.h"
#include "accord/base/error.h"
#include "accord/records/record.h"
#include "accord/records/subject.h"
#include "accord/trust/trust.h"
#include "accord/trust/verdict.h"
#include "accord/trust/witness.h"
#include "internal.h"

static void usage(FILE *out, const char *prog)
{
    fprintf(out,
            "usage: %s [--trust FILE | --key KEY] [--fetch] [--witness-state FILE] [--json]\n"
            "       [--quiet] [--skip-status] [--max-status-age SECONDS] [--witnesses N]\n"
            "       [--email ADDRESS] [FILE...]\n"
            "\n"
            "Verifies Accord credential records and bundles. Each FILE (or standard input\n"
            "when there is none, or for \"-\") holds one record (raw COSE) or one bundle\n"
            "(raw CBOR), or any number of either as base64 or base64url text, one per line\n"
            "(blank lines and # comments ignored). A bundle's log inclusion proof, signed\n"
            "status snapshot, witness cosignatures, key hand-overs and OB 3.0 form are\n"
            "checked too. A FILE starting with '{' holds Open Badges 3.0\n"
            "credentials (JSON-LD with an eddsa-rdfc-2022 proof), one or many (JSON Lines).\n"
            "\n"
            "  --trust FILE    trusted issuers and their keys (JSON; see docs/records.md)\n"
            "  --key KEY       accept only this Ed25519 public key (64 hex digits or did:key)\n"
            "  --fetch         ask the issuer (HTTP/2) for the current status list, its\n"
            "                  signed checkpoint and the record's inclusion proof; alone,\n"
            "                  also for its keys (<iss>/.well-known/jwks.json): then a\n"
            "                  good signature is at most \"signature valid, issuer not\n"
            "                  trusted\" (indeterminate). Only URLs on the issuer's own\n"
            "                  http(s) origin are fetched (see docs/records.md)\n"
            "  --witness-state FILE\n"
            "                  remember the last checkpoint of each log in FILE (created\n"
            "                  if missing); a later one that does not extend it is a log\n"
            "                  fork (invalid) and is not remembered\n"
            "  --email ADDRESS check that each record was issued to ADDRESS: its subject\n"
            "                  must be \"sha256$\" + hex(SHA-256(lowercase(ADDRESS) + salt))\n"
            "                  with the salt the record carries (a \"holder\" check; a\n"
            "                  mismatch makes the record invalid for this holder)\n"
            "  --json          one JSON object per record (JSON Lines)\n"
            "  --quiet         print only records that are not valid, and the summary\n"
            "  --skip-status   do not treat an unchecked status as indeterminate; the\n"
            "                  output still says status was not checked\n"
            "  --max-status-age SECONDS\n"
            "                  accept a bundle's status snapshot up to this age instead\n"
            "                  of the ttl its issuer set (older: indeterminate); the\n"
            "                  output says when a snapshot was accepted by it\n"
            "  --witnesses N   a bundle's checkpoint must carry valid cosignatures from at\n"
            "                  least N distinct witnesses the trust file lists (else\n"
            "                  invalid; a record alone is indeterminate)\n"
            "\n"
            "Give --trust or --key, or --fetch alone. Exit codes: 0 every record valid,\n"
            "1 some record invalid, 2 none invalid but some indeterminate (status, a\n"
            "retired key or the log could not be checked), 64 usage, 66 an input, the\n"
            "trust file or the witness state could not be read or written.\n",
            prog);
}

/* One record or bundle as found in an input: where it came from, and its
 * bytes or why they could not be had. */
struct input {
    const char *file; /* "stdin" or the path */
    size_t line;      /* 0 for a raw (binary) input */
    const uint8_t *data;
    size_t len;
    const char *error; /* set when the text could not be decoded */
    bool json;         /* an OB 3.0 credential (JSON), not a COSE record */
};

static void input_name(const struct input *it, char *out, size_t len)
{
    if (it->line)
        snprintf(out, len, "%s:%zu", it->file, it->line);
    else
        snprintf(out, len, "%s", it->file);
}

static int read_all(const char *path, struct ac_buf *out)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return AC_EIO;
    /* Reserve a regular file's size up front: a batch of 10,000 records is
     * megabytes, and growing by copies shows in the benchmark. */
    struct stat st;
    int rc = 0;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        rc = ac_buf_reserve(out, (size_t)st.st_size + 1);
    while (rc == 0) {
        if (out->cap - out->len < 65536 + 1 && (rc = ac_buf_reserve(out, 65536)))
            break;
        size_t n = fread(out->data + out->len, 1, out->cap - out->len - 1, f);
        out->len += n;
        if (n == 0)
            break;
    }
    if (rc == 0 && ferror(f))
        rc = AC_EIO;
    if (f != stdin)
        fclose(f);
    return rc;
}

/* Base64 digit values for both alphabets (RFC 4648 §4 and §5); 0xff for
 * anything else. Our own table decoder: libsodium's constant-time one is
 * built for secrets and cost a measurable share of a batch's time. */
static uint8_t b64_value[256];

static void b64_init(void)
{
    memset(b64_value, 0xff, sizeof(b64_value));
    const char *std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for (int i = 0; i < 62; i++)
        b64_value[(uint8_t)std[i]] = (uint8_t)i;
    b64_value['+'] = b64_value['-'] = 62;
    b64_value['/'] = b64_value['_'] = 63;
}

/* Decodes one line of base64 or base64url, padded or not, into |scratch|
 * (reused across lines, so a batch allocates almost nothing per record).
 * Strict: one alphabet per line, no stray characters, no non-zero bits in
 * the last digit, padding only at the end and only to a multiple of four. */
static int decode_line(const char *s, size_t len, struct ac_buf *scratch, struct input *it)
{
    size_t pad = 0;
    while (len > 0 && s[len - 1] == '=' && pad < 2) {
        len--;
        pad++;
    }
    scratch->len = 0;
    if (ac_buf_reserve(scratch, len * 3 / 4 + 3))
        return AC_ENOMEM;
    uint8_t *out = scratch->data;
    size_t o = 0;
    uint32_t acc = 0;
    int std = 0, url = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)s[i], v = b64_value[c];
        std |= c == '+' || c == '/';
        url |= c == '-' || c == '_';
        if (v == 0xff || (std && url)) {
            it->error = "not base64 or base64url text";
            return 0;
        }
        acc = (acc << 6) | v;
        if ((i & 3) == 3) {
            out[o++] = (uint8_t)(acc >> 16);
            out[o++] = (uint8_t)(acc >> 8);
            out[o++] = (uint8_t)acc;
            acc = 0;
        }
    }
    size_t rest = len & 3;
    bool bad = rest == 1 || (pad && (len + pad) % 4 != 0);
    if (!bad && rest == 2) {
        bad = (acc & 0xf) != 0;
        out[o++] = (uint8_t)(acc >> 4);
    } else if (!bad && rest == 3) {
        bad = (acc & 0x3) != 0;
        out[o++] = (uint8_t)(acc >> 10);
        out[o++] = (uint8_t)(acc >> 2);
    }
    if (bad) {
        it->error = "not base64 or base64url text";
        return 0;
    }
    it->data = out;
    it->len = o;
    return 0;
}

/* Called once per record; returns 1 to stop the walk there, else 0. */
typedef int (*record_cb)(void *ctx, const struct input *it);

/* The length of the JSON object at |p| (braces matched outside strings), or
 * 0 when it does not close within |len| bytes. Parsing is left to the
 * verifier, so each credential is parsed once, not once per pass. Strings,
 * most of a credential's bytes, are skipped with memchr() to their closing
 * quote (one preceded by an even run of backslashes): this runs over the
 * whole input once to verify (the counting pass stops at the second record). */
static size_t json_span(const uint8_t *p, size_t len)
{
    size_t depth = 0;
    const uint8_t *s = p, *end = p + len;
    while (s < end) {
        uint8_t c = *s++;
        if (c == '"') {
            for (;;) {
                const uint8_t *q = memchr(s, '"', (size_t)(end - s)), *b = q;
                if (!q)
                    return 0;
                while (b > s && b[-1] == '\\')
                    b--;
                s = q + 1;
                if (((q - b) & 1) == 0)
                    break;
            }
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return 0;
            if (--depth == 0)
                return (size_t)(s - p);
        }
    }
    return 0;
}

/* OB 3.0 credentials: JSON objects one after another (one pretty-printed
 * document, or JSON Lines), each handed to |cb| as its own bytes. */
static int for_each_json(struct input *it, const struct ac_buf *b, size_t off, record_cb cb,
                         void *ctx)
{
    it->json = true;
    while (off < b->len) {
        size_t n = json_span(b->data + off, b->len - off);
        it->line++;
        it->data = b->data + off;
        it->len = n ? n : b->len - off;
        it->error = n ? NULL : "not JSON: an object that does not close";
        if (cb(ctx, it) || !n)
            break;
        off += n;
        while (off < b->len && strchr(" \t\r\n", b->data[off]))
            off++;
    }
    return 0;
}

/* Calls |cb| for each record or bundle in one input file, in order: raw COSE
 * (tag 18, first byte 0xd2) or a raw bundle (a CBOR map) is one input;
 * anything else is text with one base64 record or bundle per line. With a
 * NULL |scratch| nothing is decoded (for counting). Returns 0 or AC_ENOMEM. */
static int for_each_record(const char *path, const struct ac_buf *b, struct ac_buf *scratch,
                           record_cb cb, void *ctx)
{
    struct input it = {strcmp(path, "-") == 0 ? "stdin" : path, 0, NULL, 0, NULL, false};
    size_t lead = 0;
    while (lead < b->len && strchr(" \t\r\n", b->data[lead]))
        lead++;
    if (lead < b->len && b->data[lead] == '{')
        return for_each_json(&it, b, lead, cb, ctx);
    if (b->len > 0 && (b->data[0] == 0xd2 || (b->data[0] >> 5) == 5)) {
        it.data = b->data;
        it.len = b->len;
        (void)cb(ctx, &it);
        return 0;
    }
    const char *p = (const char *)b->data, *end = p + b->len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        it.line++;
        const char *s = p;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        const char *t = e;
        while (t > s && (t[-1] == '\r' || t[-1] == ' ' || t[-1] == '\t'))
            t--;
        p = nl ? nl + 1 : end;
        if (s == t || *s == '#')
            continue;
        it.data = NULL;
        it.len = 0;
        it.error = NULL;
        if (scratch) {
            int rc = decode_line(s, (size_t)(t - s), scratch, &it);
            if (rc)
                return rc;
        }
        if (cb(ctx, &it))
            break;
    }
    return 0;
}

static const char *verdict_word(enum ac_trust_result v)
{
    return v == AC_TRUST_PASS ? "VALID" : v == AC_TRUST_FAIL ? "INVALID" : "INDETERMINATE";
}

static json_t *claims_json(const struct ac_record *r)
{
    char iat[21], cti[2 * AC_RECORD_CTI_BYTES + 1], hash[2 * AC_RECORD_HASH_BYTES + 1];
    sodium_bin2hex(cti, sizeof(cti), r->cti, sizeof(r->cti));
    sodium_bin2hex(hash, sizeof(hash), r->content_hash, sizeof(r->content_hash));
    json_t *c = json_pack("{ss ss ss ss ss sI ss ss}", "iss", r->iss, "sub", r->sub, "iat",
                          ac_clock_format(r->iat * 1000, iat), "cti", cti, "definition_id",
                          r->definition_id, "definition_version", (json_int_t)r->definition_version,
                          "content_hash", hash, "achieved_level", r->achieved_level);
    if (!c)
        return NULL;
    if (r->subject_salt[0])
        json_object_set_new(c, "subject_salt", json_string(r->subject_salt));
    if (r->has_ceu)
        json_object_set_new(c, "ceu", json_real((double)r->ceu_hundredths / 100.0));
    if (r->evidence[0])
        json_object_set_new(c, "evidence", json_string(r->evidence));
    if (r->has_log_index)
        json_object_set_new(c, "log_index", json_integer((json_int_t)r->log_index));
    if (r->has_status)
        json_object_set_new(
            c, "status_list",
            json_pack("{ss sI}", "uri", r->status_uri, "idx", (json_int_t)r->status_idx));
    return c;
}

/* True when the record's signature verified with a key only its own issuer
 * vouches for: what the verdict line then says instead of a bare word. */
static bool signed_but_untrusted(const struct ac_trust_report *rep)
{
    if (!rep->issuer_untrusted)
        return false;
    for (size_t i = 0; i < rep->n; i++)
        if (strcmp(rep->checks[i].name, "signature") == 0)
            return rep->checks[i].result == AC_TRUST_PASS;
    return false;
}

static void print_json(const struct input *it, const struct ac_trust_report *rep)
{
    char name[320];
    input_name(it, name, sizeof(name));
    enum ac_trust_result v = ac_trust_verdict(rep);
    json_t *checks = json_array();
    for (size_t i = 0; i < rep->n; i++)
        json_array_append_new(checks,
                              json_pack("{ss ss ss}", "check", rep->checks[i].name, "result",
                                        ac_trust_result_name(rep->checks[i].result), "reason",
                                        rep->checks[i].reason));
    json_t *o = json_pack("{ss ss so}", "input", name, "verdict",
                          v == AC_TRUST_PASS   ? "valid"
                          : v == AC_TRUST_FAIL ? "invalid"
                                               : "indeterminate",
                          "checks", checks);
    if (o && rep->decoded)
        json_object_set_new(o, "claims", claims_json(&rep->rec));
    if (o && rep->issuer_untrusted)
        json_object_set_new(o, "issuer_trusted", json_false());
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (s)
        puts(s);
    free(s);
    json_decref(o);
}

static void print_text(const struct input *it, const struct ac_trust_report *rep, bool verbose)
{
    char name[320];
    input_name(it, name, sizeof(name));
    enum ac_trust_result v = ac_trust_verdict(rep);
    if (v == AC_TRUST_INDETERMINATE && signed_but_untrusted(rep))
        printf("%s: %s (signature valid, issuer not trusted)\n", name, verdict_word(v));
    else
        printf("%s: %s\n", name, verdict_word(v));
    for (size_t i = 0; i < rep->n; i++) {
        const struct ac_trust_check *c = &rep->checks[i];
        if (verbose || c->result != AC_TRUST_PASS)
            printf("  %-13s %-10s %s\n", ac_trust_result_name(c->result), c->name, c->reason);
    }
    if (verbose && rep->decoded) {
        const struct ac_record *r = &rep->rec;
        char iat[21];
        printf("  credential    %s v%llu, level \"%s\"", r->definition_id,
               (unsigned long long)r->definition_version, r->achieved_level);
        if (r->has_ceu)
            printf(", %llu.%02llu CEUs", (unsigned long long)(r->ceu_hundredths / 100),
                   (unsigned long long)(r->ceu_hundredths % 100));
        printf("\n  subject       %s\n", r->sub);
        if (r->subject_salt[0])
            printf("  salt          %s\n", r->subject_salt);
        printf("  issued        %s by %s\n", ac_clock_format(r->iat * 1000, iat), r->iss);
        if (r->evidence[0])
            printf("  evidence      %s\n", r->evidence);
        if (r->has_log_index)
            printf("  log index     %llu\n", (unsigned long long)r->log_index);
    }
}

struct run {
    const struct ac_trust_options *opt;
    const char *email; /* --email, or NULL */
    bool json, quiet, verbose;
    size_t total;
    size_t counts[3]; /* valid, invalid, indeterminate */
};

/* Copies the subject and salt of an OB 3.0 credential's first
 * IdentityObject (credentialSubject.identifier) into |sub| and |salt|. */
static bool ob3_subject(const struct input *it, char sub[AC_RECORD_SUB_MAX + 1],
                        char salt[AC_RECORD_SALT_MAX + 1])
{
    json_t *doc = json_loadb((const char *)it->data, it->len, 0, NULL);
    json_t *ids = json_object_get(json_object_get(doc, "credentialSubject"), "identifier");
    json_t *id = json_is_array(ids) ? json_array_get(ids, 0) : ids;
    const char *h = json_string_value(json_object_get(id, "identityHash"));
    const char *s = json_string_value(json_object_get(id, "salt"));
    bool ok = h && strlen(h) <= AC_RECORD_SUB_MAX && (!s || strlen(s) <= AC_RECORD_SALT_MAX);
    if (ok) {
        snprintf(sub, AC_RECORD_SUB_MAX + 1, "%s", h);
        snprintf(salt, AC_RECORD_SALT_MAX + 1, "%s", s ? s : "");
    }
    json_decref(doc);
    return ok;
}

/* Adds the "holder" check of --email: is the record's subject the salted
 * hash of |email| (records/subject.h)? Only a signed subject is trusted,
 * so a record whose signature failed is failed already and this adds a
 * note; the check is one more line in the same report. */
static enum ac_trust_result check_holder(const struct input *it, const char *email,
                                         struct ac_trust_report *rep)
{
    /* The report is full only if the verdict code grows past its table;
     * the holder's result then still decides (the caller fails the record
     * on a mismatch), printed on its own. */
    struct ac_trust_check spare,
        *c = rep->n < AC_TRUST_MAX_CHECKS ? &rep->checks[rep->n++] : &spare;
    c->name = "holder";
    char sub[AC_RECORD_SUB_MAX + 1] = "", salt[AC_RECORD_SALT_MAX + 1] = "";
    bool have = false;
    if (rep->decoded) {
        snprintf(sub, sizeof sub, "%s", rep->rec.sub);
        snprintf(salt, sizeof salt, "%s", rep->rec.subject_salt);
        have = true;
    } else if (it->json && !it->error) {
        have = ob3_subject(it, sub, salt);
    }
    if (!have) {
        c->result = AC_TRUST_FAIL;
        snprintf(c->reason, sizeof c->reason, "no subject could be read to bind to %.80s", email);
    } else if (!ac_subject_is_hashed(sub)) {
        c->result = AC_TRUST_FAIL;
        snprintf(c->reason, sizeof c->reason,
                 "subject %.80s is not a salted e-mail hash (sha256$ and 64 hex digits)", sub);
    } else if (ac_subject_matches(sub, email, salt)) {
        c->result = AC_TRUST_PASS;
        snprintf(c->reason, sizeof c->reason, "subject is SHA-256 of %.80s and the record's salt",
                 email);
    } else {
        c->result = AC_TRUST_FAIL;
        snprintf(c->reason, sizeof c->reason,
                 "subject is not SHA-256 of %.80s and the record's salt: issued to someone else",
                 email);
    }
    if (c == &spare)
        fprintf(stderr, "holder: %s: %s\n", ac_trust_result_name(c->result), c->reason);
    return c->result;
}

/* The first pass only tells one record from a batch (one is shown in
 * full), so it stops at the second instead of scanning all the input. */
static int count_one(void *ctx, const struct input *it)
{
    (void)it;
    return ++((struct run *)ctx)->total >= 2;
}

static int verify_one(void *ctx, const struct input *it)
{
    struct run *run = ctx;
    struct ac_trust_report rep;
    if (it->error) {
        rep.n = 1;
        rep.decoded = false;
        rep.checks[0].name = "decode";
        rep.checks[0].result = AC_TRUST_FAIL;
        snprintf(rep.checks[0].reason, sizeof(rep.checks[0].reason), "%s", it->error);
    } else if (it->json) {
        ac__verify_ob3(it->data, it->len, run->opt, &rep);
    } else {
        ac_trust_verify_input(it->data, it->len, run->opt, &rep);
        /* A bundle carrying its OB 3.0 form: both forms are checked and
         * must state the same award. */
        struct ac_bundle b;
        if (it->len > 0 && (it->data[0] >> 5) == 5 &&
            ac_bundle_decode(it->data, it->len, &b, NULL, 0) == 0 && b.ob3_len)
            ac__verify_bundle_ob3(b.ob3, b.ob3_len, run->opt, &rep);
    }
    enum ac_trust_result holder = run->email ? check_holder(it, run->email, &rep) : AC_TRUST_PASS;
    enum ac_trust_result v = ac_trust_verdict(&rep);
    if (holder == AC_TRUST_FAIL)
        v = AC_TRUST_FAIL;
    run->counts[v == AC_TRUST_PASS ? 0 : v == AC_TRUST_FAIL ? 1 : 2]++;
    if (run->quiet && v == AC_TRUST_PASS)
        return 0;
    if (run->json)
        print_json(it, &rep);
    else
        print_text(it, &rep, run->verbose);
    return 0;
}

/* Ten years: a snapshot's exp ends it long before; larger is a typo. */
#define MAX_STATUS_AGE_S (10LL * 366 * 86400)

/* Parses SECONDS of --max-status-age: digits only. Returns 0 or -1. */
static int parse_age(const char *s, int64_t *out)
{
    int64_t v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
        if (v > MAX_STATUS_AGE_S)
            return -1;
    }
    *out = v;
    return 0;
}

static int parse_key(const char *s, uint8_t key[32])
{
    size_t n;
    if (strlen(s) == 64 && sodium_hex2bin(key, 32, s, 64, NULL, &n, NULL) == 0 && n == 32)
        return 0;
    return ac_did_key_parse(s, key);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {{"trust", required_argument, NULL, 't'},
                                             {"key", required_argument, NULL, 'k'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {"skip-status", no_argument, NULL, 's'},
                                             {"help", no_argument, NULL, 'h'},
                                             {"fetch", no_argument, NULL, 'f'},
                                             {"witness-state", required_argument, NULL, 'w'},
                                             {"max-status-age", required_argument, NULL, 'm'},
                                             {"witnesses", required_argument, NULL, 'W'},
                                             {"email", required_argument, NULL, 'e'},
                                             {NULL, 0, NULL, 0}};
    const char *trust_path = NULL, *key_text = NULL, *witness_path = NULL, *email = NULL;
    char email_norm[AC_EMAIL_MAX + 1];
    bool json = false, quiet = false, fetch = false;
    struct ac_trust_options opt;
    memset(&opt, 0, sizeof(opt));
    int ch;
    while ((ch = getopt_long(argc, argv, "t:k:jqsh", longopts, NULL)) != -1) {
        switch (ch) {
        case 't':
            trust_path = optarg;
            break;
        case 'k':
            key_text = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 's':
            opt.skip_status = true;
            break;
        case 'f':
            fetch = true;
            break;
        case 'w':
            witness_path = optarg;
            break;
        case 'e': {
            char why[320];
            if (ac_email_normalize(optarg, email_norm, why, sizeof why)) {
                fprintf(stderr, "%s: --%s\n", argv[0], why);
                return AC__EXIT_USAGE;
            }
            email = email_norm;
            break;
        }
        case 'm':
            if (parse_age(optarg, &opt.max_status_age_s)) {
                fprintf(stderr,
                        "%s: --max-status-age: \"%s\" must be a whole number of seconds from 0 "
                        "to %lld\n",
                        argv[0], optarg, (long long)MAX_STATUS_AGE_S);
                return AC__EXIT_USAGE;
            }
            opt.has_max_status_age = true;
            break;
        case 'W': {
            char *end;
            errno = 0;
            unsigned long n = strtoul(optarg, &end, 10);
            if (!optarg[0] || *end || errno || optarg[0] == '-' || n == 0 ||
                n > AC_BUNDLE_COSIGS_MAX) {
                fprintf(stderr, "%s: --witnesses: \"%s\" must be a whole number from 1 to %d\n",
                        argv[0], optarg, AC_BUNDLE_COSIGS_MAX);
                return AC__EXIT_USAGE;
            }
            opt.witnesses_required = (size_t)n;
            break;
        }
        case 'h':
            usage(stdout, argv[0]);
            return AC__EXIT_VALID;
        default:
            usage(stderr, argv[0]);
            return AC__EXIT_USAGE;
        }
    }
    if ((trust_path != NULL) + (key_text != NULL) > 1 || (!trust_path && !key_text && !fetch)) {
        fprintf(stderr,
                "%s: give --trust FILE or --key KEY (either may add --fetch), or "
                "--fetch alone\n",
                argv[0]);
        usage(stderr, argv[0]);
        return AC__EXIT_USAGE;
    }
    if (opt.witnesses_required && !trust_path) {
        fprintf(stderr, "%s: --witnesses needs --trust: the witnesses whose cosignatures count "
                        "are listed there\n",
                argv[0]);
        return AC__EXIT_USAGE;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "%s: libsodium failed to initialise\n", argv[0]);
        return AC__EXIT_USAGE;
    }
    struct ac_trust *trust = NULL;
    struct ac__fetcher *fetcher = NULL;
    struct ac_trust_fetcher fetch_cb = {ac__fetch_cb, NULL};
    if (fetch && !(fetcher = calloc(1, sizeof(*fetcher)))) {
        fprintf(stderr, "%s: out of memory\n", argv[0]);
        return AC__EXIT_USAGE;
    }
    if (fetcher) {
        fetch_cb.ctx = fetcher;
        opt.fetcher = &fetch_cb;
    }
    if (witness_path) {
        char why[600];
        int rc = ac_trust_witness_load(witness_path, &opt.witness, why, sizeof(why));
        if (rc) {
            fprintf(stderr, "%s: --witness-state: %s\n", argv[0],
                    rc == AC_ENOMEM ? "out of memory" : why);
            ac__fetcher_free(fetcher);
            return AC__EXIT_NOINPUT;
        }
    }
    if (key_text) {
        if (parse_key(key_text, opt.pinned_key.public_key)) {
            fprintf(stderr, "%s: --key: \"%s\" is neither 64 hex digits nor an Ed25519 did:key\n",
                    argv[0], key_text);
            ac__fetcher_free(fetcher);
            ac_trust_witness_free(opt.witness);
            return AC__EXIT_USAGE;
        }
        opt.pinned = true;
        uint8_t digest[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(digest, opt.pinned_key.public_key, 32);
        memcpy(opt.pinned_key.kid, digest, AC_KEY_ID_BYTES);
        sodium_bin2hex(opt.pinned_key.kid_hex, sizeof(opt.pinned_key.kid_hex), opt.pinned_key.kid,
                       AC_KEY_ID_BYTES);
    } else if (trust_path) {
        char why[320];
        int rc = ac_trust_load(trust_path, &trust, why, sizeof(why));
        if (rc) {
            fprintf(stderr, "%s: --trust: %s\n", argv[0], rc == AC_ENOMEM ? "out of memory" : why);
            ac__fetcher_free(fetcher);
            ac_trust_witness_free(opt.witness);
            return rc == AC_EIO ? AC__EXIT_NOINPUT : AC__EXIT_USAGE;
        }
        opt.trust = trust;
    } else {
        if (ac_trust_new(&trust)) {
            fprintf(stderr, "%s: out of memory\n", argv[0]);
            ac__fetcher_free(fetcher);
            ac_trust_witness_free(opt.witness);
            return AC__EXIT_USAGE;
        }
        opt.fetched = trust;
    }
    opt.now_ms = ac_clock_now_ms();
    b64_init();
    opt.pass_reasons = json || !quiet;

    int nfiles = argc - optind;
    size_t nbufs = nfiles ? (size_t)nfiles : 1;
    struct ac_buf *bufs = calloc(nbufs, sizeof(*bufs));
    int status = bufs ? 0 : AC__EXIT_NOINPUT;
    struct run run = {.opt = &opt, .email = email, .json = json, .quiet = quiet};
    for (size_t i = 0; status == 0 && i < nbufs; i++) {
        const char *path = nfiles ? argv[optind + i] : "-";
        if (read_all(path, &bufs[i])) {
            fprintf(stderr, "%s: %s: cannot read\n", argv[0], path);
            status = AC__EXIT_NOINPUT;
        } else {
            if (run.total < 2)
                for_each_record(path, &bufs[i], NULL, count_one, &run);
        }
    }
    /* One record alone is shown in full; a batch gets a line per record. */
    run.verbose = run.total == 1 && !quiet;
    struct ac_buf scratch = AC_BUF_INIT;
    for (size_t i = 0; status == 0 && i < nbufs; i++) {
        if (for_each_record(nfiles ? argv[optind + i] : "-", &bufs[i], &scratch, verify_one,
                            &run)) {
            fprintf(stderr, "%s: out of memory\n", argv[0]);
            status = AC__EXIT_NOINPUT;
        }
    }
    ac_buf_release(&scratch);
    run.total = run.counts[0] + run.counts[1] + run.counts[2];
    if (status == 0 && run.total == 0) {
        fprintf(stderr, "%s: no records in the input\n", argv[0]);
        status = AC__EXIT_NOINPUT;
    }
    if (status == 0) {
        if (!json && (run.total > 1 || quiet))
            printf("%zu records: %zu valid, %zu invalid, %zu indeterminate\n", run.total,
                   run.counts[0], run.counts[1], run.counts[2]);
        status = run.counts[1]   ? AC__EXIT_INVALID
                 : run.counts[2] ? AC__EXIT_INDETERMINATE
                                 : AC__EXIT_VALID;
    }
    char why[600];
    if (opt.witness && ac_trust_witness_save(opt.witness, why, sizeof(why))) {
        fprintf(stderr, "%s: --witness-state: %s\n", argv[0], why);
        status = AC__EXIT_NOINPUT;
    }
    for (size_t i = 0; bufs && i < nbufs; i++)
        ac_buf_release(&bufs[i]);
    free(bufs);
    ac_trust_free(trust);
    ac__fetcher_free(fetcher);
    ac_trust_witness_free(opt.witness);
    ac__ob3_release();
    return status;
}
