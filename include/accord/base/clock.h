/* clock.h - the node's notion of "now", in milliseconds since the Unix epoch.
 *
 * Every deadline, timestamp and validity check reads this clock. Builds with
 * ACCORD_TEST_CLOCK can move it forward so tests cross deadlines without
 * waiting; release builds have no setter at all. */
#ifndef AC_CLOCK_H
#define AC_CLOCK_H

#include <stdint.h>

/* Returns wall-clock time in ms since the epoch, plus any test offset. */
int64_t ac_clock_now_ms(void);

/* Formats |ms| as RFC 3339 UTC with second precision ("2026-11-22T15:12:00Z")
 * into |out| (at least 21 bytes). Returns |out|. */
char *ac_clock_format(int64_t ms, char out[static 21]);

/* Parses an RFC 3339 time ("Z" or a numeric offset; fractional seconds allowed).
 * Returns 0 and sets |*ms|, or AC_EINVAL. */
int ac_clock_parse(const char *s, int64_t *ms);

/* Returns the current test offset in ms: 0 in release builds, whose clock
 * never moves (what watches for a move, the scheduler, needs no #ifdef). */
int64_t ac_clock_offset(void);

#ifdef ACCORD_TEST_CLOCK
/* Moves the clock by |delta_ms| (test builds only). */
void ac_clock_advance(int64_t delta_ms);
#endif

#endif
