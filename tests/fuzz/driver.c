/* driver.c - a bounded, deterministic stand-in for libFuzzer so that every ctest
 * run (sanitizer build included) replays each fuzz target's seed corpus and a
 * seeded stream of mutations of it, and keeps any input that crashes it.
 *
 * Usage: fuzz_<target> CORPUS_DIR   the corpus, then ACCORD_FUZZ_RUNS mutated
 *                                   inputs (default 20000: the CI run)
 *        fuzz_<target> FILE...      each file once (to reproduce a crash)
 * ACCORD_FUZZ_SEED sets the PRNG seed; ACCORD_FUZZ_CRASH_DIR where a crashing
 * input is written (default: the current directory), as
 * crash-<target>-<FNV-1a of the bytes>. A crash is a fatal signal or a
 * sanitizer's report; the input is written before the process dies, and the
 * message says how to replay it and where it goes once fixed (the target's
 * corpus, as a regression input: README, "Tests"). Open-ended,
 * coverage-guided fuzzing uses the same targets built with -DACCORD_LIBFUZZER=ON.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define AC_FUZZ_MAX_INPUT 65536
#define MAX_SEEDS 4096

struct seed {
    uint8_t *data;
    size_t len;
};

static uint64_t rng_state;

/* xorshift64*: reproducible across platforms, which a failing seed needs. */
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static int read_file(const char *path, struct seed *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    uint8_t *buf = malloc(AC_FUZZ_MAX_INPUT);
    if (!buf) {
        fclose(f);
        return -1;
    }
    size_t n = fread(buf, 1, AC_FUZZ_MAX_INPUT, f);
    fclose(f);
    out->data = buf;
    out->len = n;
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Reads the regular files of |dir| in name order, so that a seed (and so a
 * reported crash) gives the same inputs on every file system. */
static size_t load_corpus(const char *dir, struct seed *seeds)
{
    struct dirent **names = NULL;
    int count = dir ? scandir(dir, &names, NULL, by_name) : -1;
    if (count < 0)
        return 0;
    size_t n = 0;
    for (int i = 0; i < count; i++) {
        const char *name = names[i]->d_name;
        char path[4096];
        struct stat st;
        if (name[0] != '.' && n < MAX_SEEDS &&
            (size_t)snprintf(path, sizeof path, "%s/%s", dir, name) < sizeof path &&
            stat(path, &st) == 0 && S_ISREG(st.st_mode) && read_file(path, &seeds[n]) == 0)
            n++;
        free(names[i]);
    }
    free(names);
    return n;
}

/* One to four classic mutations: bit flip, interesting byte, insert, erase,
 * duplicate a run, or splice in part of another seed. */
static size_t mutate(uint8_t *buf, size_t len, const struct seed *seeds, size_t nseeds)
{
    static const uint8_t interesting[] = {0x00, 0x01, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f,
                                          0x7f, 0x80, 0xff, 0x9f, 0xbf, 0xf6, 0xf7, 0xfe};
    int rounds = 1 + (int)(rng() % 4);
    for (int r = 0; r < rounds; r++) {
        switch (rng() % 6) {
        case 0:
            if (len)
                buf[rng() % len] ^= (uint8_t)(1u << (rng() % 8));
            break;
        case 1:
            if (len)
                buf[rng() % len] = interesting[rng() % sizeof interesting];
            break;
        case 2:
            if (len < AC_FUZZ_MAX_INPUT) {
                size_t at = len ? rng() % (len + 1) : 0;
                memmove(buf + at + 1, buf + at, len - at);
                buf[at] = (uint8_t)rng();
                len++;
            }
            break;
        case 3:
            if (len) {
                size_t at = rng() % len, n = 1 + rng() % (len - at);
                memmove(buf + at, buf + at + n, len - at - n);
                len -= n;
            }
            break;
        case 4:
            if (len && len * 2 <= AC_FUZZ_MAX_INPUT) {
                size_t at = rng() % len, n = 1 + rng() % (len - at);
                memmove(buf + at + n, buf + at, len - at);
                len += n;
            }
            break;
        default:
            if (nseeds) {
                const struct seed *s = &seeds[rng() % nseeds];
                if (s->len) {
                    size_t from = rng() % s->len, n = 1 + rng() % (s->len - from);
                    size_t at = len ? rng() % len : 0;
                    if (at + n > AC_FUZZ_MAX_INPUT)
                        n = AC_FUZZ_MAX_INPUT - at;
                    memcpy(buf + at, s->data + from, n);
                    if (at + n > len)
                        len = at + n;
                }
            }
            break;
        }
    }
    return len;
}

/* ---- keeping the input that crashes ---------------------------------------
 * Everything the handlers touch is set up before the first input and written
 * with async-signal-safe calls only. */

/* Set by sanitizer runtimes (ASan, UBSan): called when a report ends the
 * process. Weak, so a plain build links without it. */
extern void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

static const uint8_t *volatile cur_data;
static volatile size_t cur_len;
static volatile sig_atomic_t saved;
static char crash_prefix[4096]; /* "<dir>/crash-<target>-" */
static const char *target = "fuzz";

static void put(const char *s)
{
    size_t n = strlen(s);
    while (n) {
        ssize_t w = write(2, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

/* Writes the input being run to crash-<target>-<hash>, once, and says so. */
static void save_current_input(void)
{
    if (saved || !cur_data)
        return;
    saved = 1;
    const uint8_t *d = cur_data;
    size_t len = cur_len;
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a 64 */
    for (size_t i = 0; i < len; i++)
        h = (h ^ d[i]) * 0x100000001b3ULL;
    char path[sizeof crash_prefix + 17];
    size_t n = strlen(crash_prefix);
    memcpy(path, crash_prefix, n);
    for (int i = 15; i >= 0; i--)
        path[n + (size_t)(15 - i)] = "0123456789abcdef"[(h >> (4 * i)) & 0xf];
    path[n + 16] = '\0';
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    size_t off = 0;
    while (fd >= 0 && off < len) {
        ssize_t w = write(fd, d + off, len - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    if (fd >= 0)
        close(fd);
    if (fd < 0 || off != len) {
        put("\n==fuzz== crashed, and the input could not be written to ");
        put(path);
        put("\n");
        return;
    }
    put("\n==fuzz== crashed; the input is saved as ");
    put(path);
    put("\n==fuzz== replay it: ");
    put(target);
    put(" ");
    put(path);
    put("\n==fuzz== once fixed, add it to tests/fuzz/corpus/");
    put(target);
    put("/ as a regression input (README, \"Tests\")\n");
}

static void on_fatal_signal(int sig)
{
    save_current_input();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Sets the crash file prefix and the handlers. A sanitizer runtime reports
 * memory errors (and SIGSEGV) itself and then calls the death callback; its
 * own handlers are left in place so its report keeps its stack trace. */
static int arm(const char *argv0)
{
    const char *slash = strrchr(argv0, '/');
    target = slash ? slash + 1 : argv0;
    const char *dir = getenv("ACCORD_FUZZ_CRASH_DIR");
    char cwd[2048];
    if (!dir || !*dir)
        dir = getcwd(cwd, sizeof cwd) ? cwd : ".";
    if ((size_t)snprintf(crash_prefix, sizeof crash_prefix, "%s/crash-%s-", dir, target) >=
        sizeof crash_prefix - 17) {
        fprintf(stderr, "%s: ACCORD_FUZZ_CRASH_DIR: \"%s\" is too long\n", target, dir);
        return -1;
    }
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGABRT, &sa, NULL); /* assert(), abort(): sanitizers leave these */
    if (__sanitizer_set_death_callback) {
        __sanitizer_set_death_callback(save_current_input);
    } else {
        for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
            sigaction(fatal[i], &sa, NULL);
    }
    return 0;
}

static void run_one(const uint8_t *data, size_t len)
{
    cur_data = data;
    cur_len = len;
    LLVMFuzzerTestOneInput(data, len);
    cur_data = NULL;
}

/* Reads the whole number in the environment variable |name| (|def| when
 * unset) into |*out|: digits only, at most |max|. Returns 0 or -1 (said). */
static int env_number(const char *name, unsigned long long def, unsigned long long max,
                      unsigned long long *out)
{
    const char *s = getenv(name);
    if (!s) {
        *out = def;
        return 0;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || s[0] == '-' || v > max) {
        fprintf(stderr, "%s: %s: \"%s\" must be a whole number from 0 to %llu\n", target, name, s,
                max);
        return -1;
    }
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    static struct seed seeds[MAX_SEEDS];
    if (arm(argv[0]))
        return 2;
    struct stat st;
    if (argc > 1 && stat(argv[1], &st) == 0 && S_ISREG(st.st_mode)) {
        /* Replay the named files, each once: a saved crash reproduces. */
        for (int i = 1; i < argc; i++) {
            struct seed s;
            if (read_file(argv[i], &s)) {
                fprintf(stderr, "%s: %s: cannot read\n", target, argv[i]);
                return 2;
            }
            run_one(s.data, s.len);
            free(s.data);
        }
        printf("%d inputs replayed, no crash\n", argc - 1);
        return 0;
    }
    size_t nseeds = load_corpus(argc > 1 ? argv[1] : NULL, seeds);
    unsigned long long runs, seed;
    if (env_number("ACCORD_FUZZ_RUNS", 20000, 1000000000000ULL, &runs) ||
        env_number("ACCORD_FUZZ_SEED", 0x9e3779b97f4a7c15ULL, UINT64_MAX, &seed))
        return 2;
    rng_state = seed ? seed : 1;

    for (size_t i = 0; i < nseeds; i++)
        run_one(seeds[i].data, seeds[i].len);

    uint8_t *buf = malloc(AC_FUZZ_MAX_INPUT);
    if (!buf)
        return 1;
    for (unsigned long long i = 0; i < runs; i++) {
        size_t len = 0;
        if (nseeds) {
            const struct seed *s = &seeds[rng() % nseeds];
            memcpy(buf, s->data, s->len);
            len = s->len;
        }
        len = mutate(buf, len, seeds, nseeds);
        run_one(buf, len);
    }
    free(buf);
    for (size_t i = 0; i < nseeds; i++)
        free(seeds[i].data);
    printf("%zu seeds, %llu mutated inputs (ACCORD_FUZZ_SEED=%llu), no crash\n", nseeds, runs,
           seed);
    return 0;
}
