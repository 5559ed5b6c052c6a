/* format.c - numbers for people (qtp_format.h). Each style is a table of steps: the first whose
 * threshold the value reaches says what to divide it by and how to print it. */
#include "qtp_format.h"

#include <math.h>
#include <stdio.h>

#include "qtp_text.h"

struct step {
    double min, div;
    const char *fmt;
};

static const struct step rate_steps[][5] = {
    [QTP_STYLE_TERMINAL] = {{1e6, 1e6, "%.2fM"}, {-INFINITY, 1e3, "%.1fK"}},
    [QTP_STYLE_PAGE] = {{1e9, 1e9, "%.2f G/s"},
                        {1e6, 1e6, "%.1f M/s"},
                        {1e3, 1e3, "%.1f k/s"},
                        {-INFINITY, 1, "%.0f /s"}},
};
static const struct step ns_steps[][5] = {
    [QTP_STYLE_TERMINAL] = {{1e6, 1e6, "%.1fms"}, {1e3, 1e3, "%.1fus"}, {-INFINITY, 1, "%.0fns"}},
    [QTP_STYLE_PAGE] = {{1e9, 1e9, "%.2f s"},
                        {1e6, 1e6, "%.3g ms"},
                        {1e3, 1e3, "%.3g µs"},
                        {-INFINITY, 1, "%.0f ns"}},
};
static const struct step num_steps[][5] = {
    [QTP_STYLE_TERMINAL] = {{-INFINITY, 1, "%.2f"}},
    [QTP_STYLE_PAGE] = {{100, 1, "%.0f"}, {10, 1, "%.1f"}, {-INFINITY, 1, "%.2f"}},
};
static const char *const none[] = {[QTP_STYLE_TERMINAL] = "-", [QTP_STYLE_PAGE] = "–"};

static void format(const struct step *steps, enum qtp_style style, double v, double mag, char *buf,
                   size_t len)
{
    if (isnan(v)) {
        qtp_fmt(buf, len, "%s", none[style]);
        return;
    }
    const struct step *s = steps;
    while (mag < s->min)
        s++;
        /* The steps' formats are the literals above, each with one conversion of a double. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(buf, len, s->fmt, v / s->div);
#pragma GCC diagnostic pop
}

void qtp_format_rate(double eps, enum qtp_style style, char *buf, size_t len)
{
    format(rate_steps[style], style, eps, eps, buf, len);
}

void qtp_format_ns(double ns, enum qtp_style style, char *buf, size_t len)
{
    format(ns_steps[style], style, ns, ns, buf, len);
}

void qtp_format_num(double v, enum qtp_style style, char *buf, size_t len)
{
    if (style == QTP_STYLE_PAGE && v == 0)
        qtp_fmt(buf, len, "0");
    else
        format(num_steps[style], style, v, fabs(v), buf, len);
}
