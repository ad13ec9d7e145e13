/* driver.c - a bounded, deterministic stand-in for libFuzzer so that every ctest
 * run (sanitizer build included) replays each fuzz target's seed corpus and a
 * seeded stream of mutations of it.
 *
 * Usage: fuzz_<target> [CORPUS_DIR]. ACCORD_FUZZ_RUNS sets the number of
 * mutated inputs (default 20000); ACCORD_FUZZ_SEED the PRNG seed. Open-ended,
 * coverage-guided fuzzing uses the same targets built with -DACCORD_LIBFUZZER=ON.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

static size_t load_corpus(const char *dir, struct seed *seeds)
{
    size_t n = 0;
    DIR *d = dir ? opendir(dir) : NULL;
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < MAX_SEEDS) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (read_file(path, &seeds[n]) == 0)
            n++;
    }
    closedir(d);
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

int main(int argc, char **argv)
{
    static struct seed seeds[MAX_SEEDS];
    size_t nseeds = load_corpus(argc > 1 ? argv[1] : NULL, seeds);
    const char *runs_env = getenv("ACCORD_FUZZ_RUNS");
    const char *seed_env = getenv("ACCORD_FUZZ_SEED");
    long runs = runs_env ? strtol(runs_env, NULL, 10) : 20000;
    rng_state = seed_env ? strtoull(seed_env, NULL, 10) : 0x9e3779b97f4a7c15ULL;
    if (rng_state == 0)
        rng_state = 1;

    for (size_t i = 0; i < nseeds; i++)
        LLVMFuzzerTestOneInput(seeds[i].data, seeds[i].len);

    uint8_t *buf = malloc(AC_FUZZ_MAX_INPUT);
    if (!buf)
        return 1;
    for (long i = 0; i < runs; i++) {
        size_t len = 0;
        if (nseeds) {
            const struct seed *s = &seeds[rng() % nseeds];
            memcpy(buf, s->data, s->len);
            len = s->len;
        }
        len = mutate(buf, len, seeds, nseeds);
        LLVMFuzzerTestOneInput(buf, len);
    }
    free(buf);
    for (size_t i = 0; i < nseeds; i++)
        free(seeds[i].data);
    printf("%zu seeds, %ld mutated inputs, no crash\n", nseeds, runs);
    return 0;
}
