/* svg_chart.h - standalone SVG charts an issuer opens in a browser: a
 * histogram (the severity distribution of a reviewer pool) and a line chart
 * (agreement over time). Pure: the caller passes numbers and text, gets one
 * self-contained SVG 1.1 document (XML declaration, xmlns, no scripts, no
 * external references). Every piece of caller text is XML-escaped, control
 * characters XML 1.0 forbids are dropped and invalid UTF-8 bytes become '?',
 * so the output is well-formed whatever the input. Each bar and point carries
 * a <title> child (a browser tooltip) stating its exact value. Stateless and
 * thread-safe. */
#ifndef AC_SVG_CHART_H
#define AC_SVG_CHART_H

#include <stddef.h>
#include <stdint.h>

#include "accord/base/buf.h"

/* A histogram never has more bins than this: a wider spread doubles the bin
 * width until it fits. */
#define AC_SVG_MAX_BINS 64
/* At most this many series in one line chart (one colour each). */
#define AC_SVG_MAX_SERIES 6

struct ac_svg_histogram {
    const char *title;    /* heading; NULL or "" for none */
    const char *x_label;  /* under the x axis, e.g. "severity (z)"; may be NULL */
    const char *y_label;  /* beside the y axis, e.g. "reviewers"; may be NULL */
    const double *values; /* |n| values; NaN and infinities are left out */
    size_t n;
    /* Bins are [k*w, (k+1)*w) for whole k, so 0 is always a bin edge; w must be
     * finite and > 0 (it is doubled while more than AC_SVG_MAX_BINS would be
     * needed). */
    double bin_width;
    /* When set, a dashed vertical line marks x = 0 with this label (e.g. "pool
     * mean" for standardised severities); NULL for none. */
    const char *zero_label;
};

/* Appends the histogram |h| as an SVG document to |out|. With no finite values
 * the axes are drawn with the note "no data yet". Returns 0, AC_EINVAL (NULL
 * |values| with n > 0, or a bad bin width) or AC_ENOMEM; |out| is unchanged
 * on failure. */
int ac_svg_histogram(const struct ac_svg_histogram *h, struct ac_buf *out);

/* One line: points (x[i], y[i]) in the order given, which should be ascending
 * in x. A NaN y leaves a gap (the statistic was undefined then). */
struct ac_svg_series {
    const char *name; /* legend text; may be NULL */
    const int64_t *x; /* times, ms since the epoch (UTC) */
    const double *y;
    size_t n;
};

struct ac_svg_line_chart {
    const char *title;
    const char *y_label;
    double y_min, y_max; /* the y axis range, finite, y_min < y_max; values beyond are clamped */
    const struct ac_svg_series *series;
    size_t nseries; /* 0..AC_SVG_MAX_SERIES */
};

/* Appends the line chart |c| to |out|; x ticks are UTC dates (YYYY-MM-DD).
 * With no finite points the axes are drawn with the note "no data yet".
 * Returns 0, AC_EINVAL (bad y range, more than AC_SVG_MAX_SERIES series, or a
 * series with n > 0 and NULL arrays) or AC_ENOMEM; |out| is unchanged on
 * failure. */
int ac_svg_line_chart(const struct ac_svg_line_chart *c, struct ac_buf *out);

/* Appends |text| XML-escaped to |out| (&amp; &lt; &gt; &quot; &apos;), dropping
 * control characters other than tab, newline and carriage return and writing
 * '?' for each byte that is not part of valid UTF-8. NULL appends nothing.
 * Returns 0 or AC_ENOMEM (|out| may then hold part of the text). */
int ac_svg_escape(const char *text, struct ac_buf *out);

#endif
