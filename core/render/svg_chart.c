/* svg_chart.c - renders histograms and line charts as standalone, well-formed
 * SVG documents for the analytics pages (see svg_chart.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/render/svg_chart.h"

/* Canvas and plot area, in SVG user units (pixels at 100% zoom). The left
 * margin leaves room for tick labels and a rotated axis label. */
#define W 640.0
#define H 360.0
#define PLOT_X0 72.0
#define PLOT_X1 (W - 32.0)
#define PLOT_Y0 64.0
#define PLOT_Y1 (H - 60.0)
#define PLOT_W (PLOT_X1 - PLOT_X0)
#define PLOT_H (PLOT_Y1 - PLOT_Y0)

/* Colour-blind-safe palette (Okabe & Ito, "Color Universal Design", 2008). */
static const char *const palette[AC_SVG_MAX_SERIES] = {"#0072B2", "#D55E00", "#009E73",
                                                       "#CC79A7", "#E69F00", "#56B4E9"};

/* Length of the valid UTF-8 sequence at |s| (1-4), or 0 when it is not one:
 * overlong forms, surrogates and code points past U+10FFFF are refused, and
 * U+FFFE/U+FFFF too because XML 1.0 does not allow them as characters. */
static size_t utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned cp;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    if ((cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
        return 0;
    return n;
}

int ac_svg_escape(const char *text, struct ac_buf *out)
{
    if (!text)
        return 0;
    const unsigned char *s = (const unsigned char *)text;
    int err = 0;
    while (*s && !err) {
        const char *rep = NULL;
        switch (*s) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&apos;";
            break;
        default:
            break;
        }
        if (rep) {
            err = ac_buf_append_str(out, rep);
            s++;
            continue;
        }
        if (*s < 0x20 && *s != '\t' && *s != '\n' && *s != '\r') {
            s++; /* XML 1.0 has no way to write these at all */
            continue;
        }
        size_t n = utf8_len(s);
        if (n == 0) {
            err = ac_buf_push(out, '?');
            s++;
        } else {
            err = ac_buf_append(out, s, n);
            s += n;
        }
    }
    return err;
}

/* Shortest readable form of a tick or tooltip number; "-0" prints as "0". */
static void fmt_num(double v, char *out, size_t size)
{
    if (v == 0)
        v = 0; /* turns -0.0 into 0.0 */
    snprintf(out, size, "%.4g", v);
}

/* The XML declaration, the root element, a document <title> and a white
 * background (browsers show SVG on their own background otherwise). */
static int doc_open(struct ac_buf *b, const char *title)
{
    int err = ac_buf_printf(b,
                            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
                            "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
                            "font-family=\"sans-serif\" font-size=\"12\">\n<title>",
                            W, H, W, H);
    if (!err)
        err = ac_svg_escape(title && title[0] ? title : "chart", b);
    if (!err)
        err = ac_buf_printf(b,
                            "</title>\n<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" "
                            "fill=\"#ffffff\"/>\n",
                            W, H);
    if (!err && title && title[0]) {
        err = ac_buf_printf(b,
                            "<text class=\"heading\" x=\"%.1f\" y=\"28\" font-size=\"16\" "
                            "font-weight=\"bold\">",
                            PLOT_X0);
        if (!err)
            err = ac_svg_escape(title, b);
        if (!err)
            err = ac_buf_append_str(b, "</text>\n");
    }
    return err;
}

/* Axis lines and the axis labels (either may be NULL). */
static int axes(struct ac_buf *b, const char *x_label, const char *y_label)
{
    int err = ac_buf_printf(b,
                            "<g class=\"axes\" stroke=\"#333333\" stroke-width=\"1\">"
                            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/></g>\n",
                            PLOT_X0, PLOT_Y1, PLOT_X1, PLOT_Y1, PLOT_X0, PLOT_Y0, PLOT_X0, PLOT_Y1);
    if (!err && x_label && x_label[0]) {
        err = ac_buf_printf(b,
                            "<text class=\"x-label\" x=\"%.1f\" y=\"%.1f\" "
                            "text-anchor=\"middle\">",
                            (PLOT_X0 + PLOT_X1) / 2, H - 14);
        if (!err)
            err = ac_svg_escape(x_label, b);
        if (!err)
            err = ac_buf_append_str(b, "</text>\n");
    }
    if (!err && y_label && y_label[0]) {
        double cy = (PLOT_Y0 + PLOT_Y1) / 2;
        err = ac_buf_printf(b,
                            "<text class=\"y-label\" x=\"18\" y=\"%.1f\" "
                            "text-anchor=\"middle\" transform=\"rotate(-90 18 %.1f)\">",
                            cy, cy);
        if (!err)
            err = ac_svg_escape(y_label, b);
        if (!err)
            err = ac_buf_append_str(b, "</text>\n");
    }
    return err;
}

static int no_data(struct ac_buf *b)
{
    return ac_buf_printf(b,
                         "<text class=\"empty\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                         "fill=\"#666666\">no data yet</text>\n",
                         (PLOT_X0 + PLOT_X1) / 2, (PLOT_Y0 + PLOT_Y1) / 2);
}

/* A y tick at |y| (SVG units) with a light grid line and its label. */
static int y_tick(struct ac_buf *b, double y, const char *label)
{
    return ac_buf_printf(b,
                         "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                         "stroke=\"#dddddd\"/><text class=\"y-tick\" x=\"%.1f\" y=\"%.1f\" "
                         "text-anchor=\"end\">%s</text>\n",
                         PLOT_X0, y, PLOT_X1, y, PLOT_X0 - 6, y + 4, label);
}

static int x_tick(struct ac_buf *b, double x, const char *label, const char *anchor)
{
    return ac_buf_printf(b,
                         "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                         "stroke=\"#333333\"/><text class=\"x-tick\" x=\"%.1f\" y=\"%.1f\" "
                         "text-anchor=\"%s\">%s</text>\n",
                         x, PLOT_Y1, x, PLOT_Y1 + 5, x, PLOT_Y1 + 18, anchor, label);
}

/* A step of 1, 2 or 5 times a power of ten giving at most five intervals up
 * to |max| (a count, >= 1). */
static double count_step(double max)
{
    for (double p = 1;; p *= 10)
        for (int i = 0; i < 3; i++) {
            double step = p * (i == 0 ? 1 : i == 1 ? 2 : 5);
            if (max / step <= 5)
                return step;
        }
}

/* Hands |tmp| over to |out| only when everything was written, so a failure
 * leaves |out| as it was. */
static int finish(struct ac_buf *tmp, int err, struct ac_buf *out)
{
    if (!err)
        err = ac_buf_append_str(tmp, "</svg>\n");
    if (!err)
        err = ac_buf_append(out, tmp->data, tmp->len);
    ac_buf_release(tmp);
    return err;
}

static int histogram_body(const struct ac_svg_histogram *h, struct ac_buf *b)
{
    double lo = INFINITY, hi = -INFINITY;
    size_t finite = 0;
    for (size_t i = 0; i < h->n; i++) {
        if (!isfinite(h->values[i]))
            continue;
        finite++;
        lo = fmin(lo, h->values[i]);
        hi = fmax(hi, h->values[i]);
    }
    if (finite == 0)
        return no_data(b);
    /* Bins sit on whole multiples of the width so 0 is an edge and two charts
     * with the same width line up. */
    double w = h->bin_width, k_lo, nb;
    for (;;) {
        k_lo = floor(lo / w);
        nb = floor(hi / w) - k_lo + 1;
        if (nb <= AC_SVG_MAX_BINS)
            break;
        w *= 2;
    }
    size_t nbins = (size_t)nb, counts[AC_SVG_MAX_BINS] = {0}, top_count = 0;
    for (size_t i = 0; i < h->n; i++) {
        double v = h->values[i];
        if (!isfinite(v))
            continue;
        double k = floor(v / w) - k_lo;
        size_t bin = k < 0 ? 0 : k >= nb ? nbins - 1 : (size_t)k; /* rounding at the edges */
        counts[bin]++;
        if (counts[bin] > top_count)
            top_count = counts[bin];
    }
    double step = count_step((double)top_count);
    double top = ceil((double)top_count / step) * step;
    int err = 0;
    for (double t = 0; t <= top && !err; t += step) {
        char label[32];
        snprintf(label, sizeof label, "%.0f", t);
        err = y_tick(b, PLOT_Y1 - t / top * PLOT_H, label);
    }
    double bw = PLOT_W / nb;
    for (size_t i = 0; i < nbins && !err; i++) {
        double x = PLOT_X0 + (double)i * bw, bh = (double)counts[i] / top * PLOT_H;
        char from[32], to[32];
        fmt_num((k_lo + (double)i) * w, from, sizeof from);
        fmt_num((k_lo + (double)i + 1) * w, to, sizeof to);
        err = ac_buf_printf(b,
                            "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                            "height=\"%.1f\" fill=\"%s\"><title>%s to %s: %zu</title></rect>\n",
                            x + 1, PLOT_Y1 - bh, bw > 2 ? bw - 2 : bw, bh, palette[0], from, to,
                            counts[i]);
    }
    /* Label every edge while they fit, else about eight of them. */
    size_t every = nbins <= 12 ? 1 : (nbins + 7) / 8;
    for (size_t i = 0; i <= nbins && !err; i += every) {
        char label[32];
        fmt_num((k_lo + (double)i) * w, label, sizeof label);
        err = x_tick(b, PLOT_X0 + (double)i * bw, label, "middle");
    }
    if (!err && h->zero_label && k_lo <= 0 && k_lo + nb >= 0) {
        double x = PLOT_X0 - k_lo * bw;
        err = ac_buf_printf(b,
                            "<line class=\"zero\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                            "stroke=\"#333333\" stroke-dasharray=\"4 3\"/>"
                            "<text class=\"zero-label\" x=\"%.1f\" y=\"%.1f\" "
                            "text-anchor=\"middle\" fill=\"#333333\">",
                            x, PLOT_Y0 - 4, x, PLOT_Y1, x, PLOT_Y0 - 8);
        if (!err)
            err = ac_svg_escape(h->zero_label, b);
        if (!err)
            err = ac_buf_append_str(b, "</text>\n");
    }
    return err;
}

int ac_svg_histogram(const struct ac_svg_histogram *h, struct ac_buf *out)
{
    if (!h || (h->n > 0 && !h->values) || !isfinite(h->bin_width) || h->bin_width <= 0)
        return AC_EINVAL;
    struct ac_buf b;
    ac_buf_init(&b);
    int err = doc_open(&b, h->title);
    if (!err)
        err = axes(&b, h->x_label, h->y_label);
    if (!err)
        err = histogram_body(h, &b);
    return finish(&b, err, out);
}

/* A date label for |ms|: the day when the chart spans days, else day and
 * minute. */
static void fmt_time(int64_t ms, int with_minutes, char *out, size_t size)
{
    char when[21];
    ac_clock_format(ms, when);
    if (with_minutes)
        snprintf(out, size, "%.10s %.5s", when, when + 11);
    else
        snprintf(out, size, "%.10s", when);
}

/* One row under the heading: a swatch and the name of each named series. */
static int legend(struct ac_buf *b, const struct ac_svg_line_chart *c)
{
    int err = 0;
    double x = PLOT_X0, y = PLOT_Y0 - 16;
    for (size_t s = 0; s < c->nseries && !err; s++) {
        const char *name = c->series[s].name;
        if (!name || !name[0])
            continue;
        err = ac_buf_printf(b,
                            "<g class=\"legend\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                            "y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"/><text x=\"%.1f\" "
                            "y=\"%.1f\">",
                            x, y - 4, x + 18, y - 4, palette[s], x + 24, y);
        if (!err)
            err = ac_svg_escape(name, b);
        if (!err)
            err = ac_buf_append_str(b, "</text></g>\n");
        /* About 7 units per character at font-size 12; names are short. */
        x += 24 + 7.0 * (double)strlen(name) + 20;
    }
    return err;
}

static int series_body(struct ac_buf *b, const struct ac_svg_line_chart *c, size_t s, double x_lo,
                       double x_span, int with_minutes)
{
    const struct ac_svg_series *sr = &c->series[s];
    double y_span = c->y_max - c->y_min;
    int err = ac_buf_printf(b,
                            "<g class=\"series\"><path fill=\"none\" stroke=\"%s\" "
                            "stroke-width=\"2\" d=\"",
                            palette[s]);
    /* A NaN ends a segment: the next finite point starts a new one. */
    int pen_down = 0;
    for (size_t i = 0; i < sr->n && !err; i++) {
        if (!isfinite(sr->y[i])) {
            pen_down = 0;
            continue;
        }
        double yv = fmin(fmax(sr->y[i], c->y_min), c->y_max);
        double px = PLOT_X0 + ((double)sr->x[i] - x_lo) / x_span * PLOT_W;
        double py = PLOT_Y1 - (yv - c->y_min) / y_span * PLOT_H;
        err = ac_buf_printf(b, "%s%.1f %.1f ", pen_down ? "L" : "M", px, py);
        pen_down = 1;
    }
    if (!err)
        err = ac_buf_append_str(b, "\"/>\n");
    for (size_t i = 0; i < sr->n && !err; i++) {
        if (!isfinite(sr->y[i]))
            continue;
        double yv = fmin(fmax(sr->y[i], c->y_min), c->y_max);
        double px = PLOT_X0 + ((double)sr->x[i] - x_lo) / x_span * PLOT_W;
        double py = PLOT_Y1 - (yv - c->y_min) / y_span * PLOT_H;
        char when[32], value[32];
        fmt_time(sr->x[i], with_minutes, when, sizeof when);
        fmt_num(sr->y[i], value, sizeof value);
        err = ac_buf_printf(b,
                            "<circle class=\"point\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
                            "fill=\"%s\"><title>",
                            px, py, palette[s]);
        if (!err && sr->name && sr->name[0]) {
            err = ac_svg_escape(sr->name, b);
            if (!err)
                err = ac_buf_append_str(b, ", ");
        }
        if (!err)
            err = ac_buf_printf(b, "%s: %s</title></circle>\n", when, value);
    }
    if (!err)
        err = ac_buf_append_str(b, "</g>\n");
    return err;
}

static int line_body(const struct ac_svg_line_chart *c, struct ac_buf *b)
{
    int64_t x_min = INT64_MAX, x_max = INT64_MIN;
    for (size_t s = 0; s < c->nseries; s++)
        for (size_t i = 0; i < c->series[s].n; i++) {
            if (!isfinite(c->series[s].y[i]))
                continue;
            if (c->series[s].x[i] < x_min)
                x_min = c->series[s].x[i];
            if (c->series[s].x[i] > x_max)
                x_max = c->series[s].x[i];
        }
    int err = 0;
    for (int t = 0; t <= 4 && !err; t++) {
        char label[32];
        fmt_num(c->y_min + (c->y_max - c->y_min) * t / 4, label, sizeof label);
        err = y_tick(b, PLOT_Y1 - PLOT_H * t / 4, label);
    }
    if (err || x_min > x_max)
        return err ? err : no_data(b);
    /* One point alone sits in the middle of a day-wide axis. */
    double x_lo = (double)x_min, x_span = (double)x_max - (double)x_min;
    if (x_span <= 0) {
        x_lo -= 43200000.0;
        x_span = 86400000.0;
    }
    int with_minutes = x_span < 3 * 86400000.0;
    for (int t = 0; t <= 4 && !err; t++) {
        char label[32];
        fmt_time((int64_t)(x_lo + x_span * t / 4), with_minutes, label, sizeof label);
        /* Dates are wide: the end labels grow inwards so none is cut off. */
        err = x_tick(b, PLOT_X0 + PLOT_W * t / 4, label,
                     t == 0   ? "start"
                     : t == 4 ? "end"
                              : "middle");
    }
    for (size_t s = 0; s < c->nseries && !err; s++)
        err = series_body(b, c, s, x_lo, x_span, with_minutes);
    if (!err)
        err = legend(b, c);
    return err;
}

int ac_svg_line_chart(const struct ac_svg_line_chart *c, struct ac_buf *out)
{
    if (!c || !isfinite(c->y_min) || !isfinite(c->y_max) || c->y_min >= c->y_max ||
        c->nseries > AC_SVG_MAX_SERIES || (c->nseries > 0 && !c->series))
        return AC_EINVAL;
    for (size_t s = 0; s < c->nseries; s++)
        if (c->series[s].n > 0 && (!c->series[s].x || !c->series[s].y))
            return AC_EINVAL;
    struct ac_buf b;
    ac_buf_init(&b);
    int err = doc_open(&b, c->title);
    if (!err)
        err = axes(&b, "time (UTC)", c->y_label);
    if (!err)
        err = line_body(c, &b);
    return finish(&b, err, out);
}
