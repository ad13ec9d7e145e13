/* web.c - serves the static pages (web/) from memory, with strong ETags and
 * the security headers every page needs: a Content-Security-Policy allowing
 * only this origin (no inline script or style), nosniff, no referrer and no
 * framing. The files are read once at start, so a request never touches the
 * disk and a half-written file is never served. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "accord/base/error.h"
#include "accord/base/log.h"
#include "internal.h"
#include "web/web.h"

#define WEB_MAX_FILES 128
#define WEB_MAX_FILE_BYTES (2u << 20)

/* Only this origin: pages load their scripts, styles and images from here,
 * talk to the API here, and cannot be framed or post forms elsewhere. */
#define WEB_CSP                                                                                    \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "        \
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

static const char *type_of(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".json", "application/json"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return NULL;
}

/* File names served: [a-z0-9._-], not starting with a dot, with a known type. */
static int servable(const char *name)
{
    if (!name[0] || name[0] == '.' || strlen(name) > 64)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
              *p == '-'))
            return 0;
    return type_of(name) != NULL;
}

static int is_dir(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* The configured root, else <exe>/../share/accord/web (an install), else the
 * source tree's web/ (a build tree). */
static char *find_root(const struct ac_node *n)
{
    if (n->cfg->web_root)
        return strdup(n->cfg->web_root);
    char exe[4096];
    size_t len = sizeof exe;
    if (uv_exepath(exe, &len) == 0) {
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            char path[4200];
            snprintf(path, sizeof path, "%s/../share/accord/web", exe);
            if (is_dir(path))
                return strdup(path);
        }
    }
    return strdup(ACCORD_WEB_SOURCE_DIR);
}

static int load_file(const char *dir, const char *name, struct ac__web_file *f)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -errno;
    struct stat sb;
    int err = 0;
    if (fstat(fileno(fp), &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > WEB_MAX_FILE_BYTES)
        err = AC_EINVAL;
    size_t size = err ? 0 : (size_t)sb.st_size;
    uint8_t *body = err ? NULL : malloc(size ? size : 1);
    if (!err && !body)
        err = AC_ENOMEM;
    if (!err && fread(body, 1, size, fp) != size)
        err = AC_EIO;
    fclose(fp);
    if (err) {
        free(body);
        return err;
    }
    f->name = strdup(name);
    if (!f->name) {
        free(body);
        return AC_ENOMEM;
    }
    f->type = type_of(name);
    f->body = body;
    f->len = size;
    uint8_t h[8];
    crypto_generichash(h, sizeof h, body, size, NULL, 0);
    char hex[17];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(f->etag, sizeof f->etag, "\"%s\"", hex);
    return 0;
}

static void load_root(struct ac__web *w)
{
    DIR *d = opendir(w->root);
    if (!d) {
        ac_log_warn("web", "%s: %s; the node serves no web pages (set [http] web_root)", w->root,
                    strerror(errno));
        return;
    }
    w->files = calloc(WEB_MAX_FILES, sizeof *w->files);
    if (!w->files)
        abort();
    struct dirent *e;
    while ((e = readdir(d)) && w->nfiles < WEB_MAX_FILES) {
        if (!servable(e->d_name))
            continue;
        int err = load_file(w->root, e->d_name, &w->files[w->nfiles]);
        if (err == AC_ENOMEM)
            abort();
        if (err)
            ac_log_warn("web", "%s/%s: not served: %s", w->root, e->d_name, ac_strerror(err));
        else
            w->nfiles++;
    }
    closedir(d);
    ac_log_info("web", "serving %zu files from %s", w->nfiles, w->root);
}

static const struct ac__web_file *find(const struct ac__web *w, const char *name)
{
    for (size_t i = 0; i < w->nfiles; i++)
        if (strcmp(w->files[i].name, name) == 0)
            return &w->files[i];
    return NULL;
}

/* Does |inm| (an If-None-Match value: "*" or a list of tags, maybe weak)
 * name |etag|? */
static int etag_matches(const char *inm, const char *etag)
{
    if (!inm)
        return 0;
    if (strcmp(inm, "*") == 0)
        return 1;
    return strstr(inm, etag) != NULL;
}

static void serve(struct ac_http_exchange *x, struct ac_node *n, const char *name)
{
    const struct ac__web_file *f = n->web ? find(n->web, name) : NULL;
    if (!f) {
        ac__problem(x, AC_PROBLEM_NOT_FOUND, NULL, NULL, "no page or file named \"%s\"", name);
        return;
    }
    /* no-cache: a browser keeps the file but asks each time, so a new
     * version of the pages is seen at once and an unchanged one costs a 304. */
    struct ac_http_header h[] = {
        {"content-type", f->type},
        {"etag", f->etag},
        {"cache-control", "no-cache"},
        {"content-security-policy", WEB_CSP},
        {"x-content-type-options", "nosniff"},
        {"referrer-policy", "no-referrer"},
        {"x-frame-options", "DENY"},
        {"cross-origin-opener-policy", "same-origin"},
    };
    const size_t nh = sizeof h / sizeof h[0];
    if (etag_matches(ac_http_header(ac_http_exchange_req(x), "if-none-match"), f->etag)) {
        ac_http_respond(x, 304, h + 1, nh - 1, NULL, 0);
        return;
    }
    ac_http_respond(x, 200, h, nh, f->body, f->len);
}

static void on_index(struct ac_http_exchange *x, void *arg)
{
    serve(x, arg, "index.html");
}

static void on_file(struct ac_http_exchange *x, void *arg)
{
    serve(x, arg, ac_http_param(x, "file"));
}

void ac__web_register(struct ac_node *n)
{
    struct ac__web *w = calloc(1, sizeof *w);
    if (!w || !(w->root = find_root(n)))
        abort();
    n->web = w;
    load_root(w);
    ac__route(n, "GET", "/", on_index);
    ac__route(n, "GET", "/{file}", on_file);
    ac__web_qr_register(n);
}

void ac__web_free(struct ac__web *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->nfiles; i++) {
        free(w->files[i].name);
        free(w->files[i].body);
    }
    free(w->files);
    free(w->root);
    free(w);
}
