/* log.c - line-per-event logging to stderr or a reopenable file. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "accord/base/error.h"
#include "accord/base/log.h"

static enum ac_log_level min_level = AC_LOG_INFO;
static int log_fd = -1; /* -1: stderr */
static char *log_path;

static const char *const level_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

void ac_log_set_level(enum ac_log_level level)
{
    min_level = level;
}

int ac_log_level_parse(const char *name, enum ac_log_level *out)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(name, names[i]) == 0) {
            *out = (enum ac_log_level)i;
            return 0;
        }
    }
    return AC_EINVAL;
}

static int open_path(const char *path)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    return fd < 0 ? -errno : fd;
}

int ac_log_open(const char *path)
{
    if (!path) {
        ac_log_close();
        return 0;
    }
    char *copy = strdup(path);
    if (!copy)
        return AC_ENOMEM;
    int fd = open_path(path);
    if (fd < 0) {
        free(copy);
        return fd;
    }
    ac_log_close();
    log_fd = fd;
    log_path = copy;
    return 0;
}

int ac_log_reopen(void)
{
    if (!log_path)
        return 0;
    int fd = open_path(log_path);
    if (fd < 0)
        return fd;
    /* dup2 swaps the file atomically, so no line is lost between close and open. */
    if (dup2(fd, log_fd) < 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    close(fd);
    return 0;
}

void ac_log_close(void)
{
    if (log_fd >= 0)
        close(log_fd);
    log_fd = -1;
    free(log_path);
    log_path = NULL;
}

void ac_log(enum ac_log_level level, const char *subsystem, const char *fmt, ...)
{
    if (level < min_level)
        return;
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line,
                     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, level_names[level], subsystem);
    if (n < 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    /* Keep one event on one line even when a message carries newlines. */
    for (size_t i = (size_t)n; i < len; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    line[len++] = '\n';
    ssize_t w = write(log_fd >= 0 ? log_fd : STDERR_FILENO, line, len);
    (void)w;
}
