/* log.h - one line per event: RFC 3339 UTC time, level, subsystem, message.
 *
 * Writes to stderr until ac_log_open() names a file; ac_log_reopen() reopens
 * that file (for SIGHUP after rotation). Lines are written with one write(2)
 * each, so concurrent writers never interleave within a line. */
#ifndef AC_LOG_H
#define AC_LOG_H

enum ac_log_level { AC_LOG_DEBUG, AC_LOG_INFO, AC_LOG_WARN, AC_LOG_ERROR };

/* Sets the lowest level written; the default is AC_LOG_INFO. */
void ac_log_set_level(enum ac_log_level level);

/* Parses "debug", "info", "warn" or "error". Returns 0 or AC_EINVAL. */
int ac_log_level_parse(const char *name, enum ac_log_level *out);

/* Sends the log to |path| (appending, created 0640), or stderr when NULL.
 * Returns 0 or a negative errno code; on failure the destination is unchanged. */
int ac_log_open(const char *path);

/* Reopens the file named by ac_log_open(). Returns 0 or a negative errno code. */
int ac_log_reopen(void);

/* Closes the log file; later lines go to stderr. */
void ac_log_close(void);

void ac_log(enum ac_log_level level, const char *subsystem, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define ac_log_debug(sub, ...) ac_log(AC_LOG_DEBUG, (sub), __VA_ARGS__)
#define ac_log_info(sub, ...) ac_log(AC_LOG_INFO, (sub), __VA_ARGS__)
#define ac_log_warn(sub, ...) ac_log(AC_LOG_WARN, (sub), __VA_ARGS__)
#define ac_log_error(sub, ...) ac_log(AC_LOG_ERROR, (sub), __VA_ARGS__)

#endif
