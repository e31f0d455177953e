/* tty.c - charts in a terminal: Unicode braille (2x4 dots per cell), half blocks (1x2) or plain
 * ASCII (1x1), sized to a given width, with the same axes as the SVG renderer.
 *
 * Series are drawn as connected lines on a dot canvas (Bresenham between consecutive points), so
 * a curve has no gaps at any resolution; a cell shared by two series takes the later one's
 * colour. Every printed line fits in `cols` columns. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"

typedef struct canvas {
    int w, h;          /* cells */
    int cw, ch;        /* dots per cell */
    unsigned char *bits;
    signed char *owner; /* series index that last drew in a cell, -1: none */
    unsigned char *mark;
} canvas;

static const int BRAILLE_BIT[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};

static void dot(canvas *cv, int x, int y, int s)
{
    if (x < 0 || y < 0 || x >= cv->w * cv->cw || y >= cv->h * cv->ch) return;
    int cell = (y / cv->ch) * cv->w + x / cv->cw;
    int bit = cv->cw == 2 ? BRAILLE_BIT[y % 4][x % 2] : cv->ch == 2 ? 1 << (y % 2) : 1;
    cv->bits[cell] |= (unsigned char)bit;
    cv->owner[cell] = (signed char)s;
}

static void line(canvas *cv, int x0, int y0, int x1, int y1, int s)
{
    int dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (;;) {
        dot(cv, x0, y0, s);
        if (x0 == x1 && y0 == y1) break;
        int e2 = 2 * err;
        if (e2 >= dy) { err += dy; x0 += sx; }
        if (e2 <= dx) { err += dx; y0 += sy; }
    }
}

/* Print at most `max` code points of s; returns how many were printed. */
static int put_trunc(FILE *f, const char *s, int max)
{
    int n = 0;
    for (; s && *s; s++) {
        int lead = ((unsigned char)*s & 0xc0) != 0x80;
        if (lead && n == max) break;
        fputc(*s, f);
        n += lead;
    }
    return n;
}

static void put_glyph(FILE *f, const canvas *cv, int cell, int mode, int color)
{
    int s = cv->owner[cell];
    unsigned b = cv->bits[cell];
    if (!b) {
        if (cv->mark[cell]) {
            if (color) fputs("\x1b[90m", f);
            fputs(mode == WU_TTY_ASCII ? ":" : "\xe2\x94\x8a", f); /* ┊ */
            if (color) fputs("\x1b[0m", f);
        } else {
            fputc(' ', f);
        }
        return;
    }
    if (color) fprintf(f, "\x1b[%dm", wu_chart_ansi(s));
    if (mode == WU_TTY_BRAILLE) {
        unsigned cp = 0x2800 + b; /* U+2800..U+28FF in UTF-8: E2 A0..A3 80..BF */
        fputc(0xe2, f);
        fputc((int)(0x80 | ((cp >> 6) & 0x3f)), f);
        fputc((int)(0x80 | (cp & 0x3f)), f);
    } else if (mode == WU_TTY_BLOCK) {
        fputs(b == 3 ? "\xe2\x96\x88" : b == 1 ? "\xe2\x96\x80" : "\xe2\x96\x84", f); /* █ ▀ ▄ */
    } else {
        fputc("*o#x@%&="[s % 8], f);
    }
    if (color) fputs("\x1b[0m", f);
}

int wu_chart_tty(FILE *f, const wu_chart *c, int cols, int rows, int mode, int color)
{
    if (cols < 30 || rows < 3) return -1;
    wu_axis ax, ay;
    wu_chart_axes(c, &ax, &ay);
    int lw = 1;
    for (int i = 0; i < ay.nticks; i++) {
        int l = (int)strlen(ay.labels[i]);
        if (l > lw) lw = l;
    }
    canvas cv = {.w = cols - lw - 2, .h = rows};
    cv.cw = mode == WU_TTY_BRAILLE ? 2 : 1;
    cv.ch = mode == WU_TTY_BRAILLE ? 4 : mode == WU_TTY_BLOCK ? 2 : 1;
    size_t ncell = (size_t)cv.w * (size_t)cv.h;
    cv.bits = calloc(ncell, 1);
    cv.owner = malloc(ncell);
    cv.mark = calloc(ncell, 1);
    if (!cv.bits || !cv.owner || !cv.mark) {
        free(cv.bits); free(cv.owner); free(cv.mark);
        return -1;
    }
    memset(cv.owner, -1, ncell);
    int dw = cv.w * cv.cw, dh = cv.h * cv.ch;

    for (int s = 0; s < c->nseries; s++) {
        const wu_series *se = &c->series[s];
        if (isfinite(se->mark_x)) {
            int col = (int)lround(wu_axis_frac(&ax, se->mark_x) * (dw - 1)) / cv.cw;
            if (col >= 0 && col < cv.w)
                for (int r = 0; r < cv.h; r++) cv.mark[r * cv.w + col] = 1;
        }
    }
    for (int s = 0; s < c->nseries; s++) {
        const wu_series *se = &c->series[s];
        int px = -1, py = -1;
        for (int i = 0; i < se->n; i++) {
            double y = se->y[i];
            if (!isfinite(y) || (c->log_y && !(y > 0))) continue;
            int x1 = (int)lround(wu_axis_frac(&ax, se->x[i]) * (dw - 1));
            int y1 = (int)lround((1.0 - wu_axis_frac(&ay, y)) * (dh - 1));
            if (px >= 0) line(&cv, px, py, x1, y1, s);
            else dot(&cv, x1, y1, s);
            px = x1;
            py = y1;
        }
    }

    if (c->title) {
        put_trunc(f, c->title, cols);
        fputc('\n', f);
    }
    /* rows, with a y label on the rows nearest to each tick */
    for (int r = 0; r < cv.h; r++) {
        const char *label = "";
        for (int i = 0; i < ay.nticks; i++)
            if ((int)lround((1.0 - wu_axis_frac(&ay, ay.ticks[i])) * (cv.h - 1)) == r)
                label = ay.labels[i];
        fprintf(f, "%*s", lw, label);
        fputs(*label ? (mode == WU_TTY_ASCII ? "+" : "\xe2\x94\xa4")     /* ┤ */
                     : (mode == WU_TTY_ASCII ? "|" : "\xe2\x94\x82"), f); /* │ */
        for (int x = 0; x < cv.w; x++) put_glyph(f, &cv, r * cv.w + x, mode, color);
        fputc('\n', f);
    }
    /* x axis with tick marks, then labels that do not overlap */
    fprintf(f, "%*s%s", lw, "", mode == WU_TTY_ASCII ? "+" : "\xe2\x94\x94"); /* └ */
    int tickcol[WU_AXIS_MAX_TICKS];
    for (int i = 0; i < ax.nticks; i++)
        tickcol[i] = (int)lround(wu_axis_frac(&ax, ax.ticks[i]) * (dw - 1)) / cv.cw;
    for (int x = 0; x < cv.w; x++) {
        int tick = 0;
        for (int i = 0; i < ax.nticks; i++) tick |= tickcol[i] == x;
        fputs(mode == WU_TTY_ASCII ? (tick ? "+" : "-")
                                   : (tick ? "\xe2\x94\xac" : "\xe2\x94\x80"), f); /* ┬ ─ */
    }
    fputc('\n', f);
    char lab[512];
    int width = lw + 1 + cv.w;
    memset(lab, ' ', sizeof lab);
    int used_to = -1;
    for (int i = 0; i < ax.nticks; i++) {
        int len = (int)strlen(ax.labels[i]);
        int start = lw + 1 + tickcol[i] - len / 2;
        if (start + len > width) start = width - len;
        if (start <= used_to + 1 || start < 0 || start + len > (int)sizeof lab) continue;
        memcpy(lab + start, ax.labels[i], (size_t)len);
        used_to = start + len;
    }
    int end = width < (int)sizeof lab ? width : (int)sizeof lab;
    while (end > 0 && lab[end - 1] == ' ') end--;
    fwrite(lab, 1, (size_t)end, f);
    fputc('\n', f);
    if (c->xlabel || c->ylabel) {
        int n = 0;
        fprintf(f, "%*s", lw + 1, "");
        n += lw + 1;
        if (c->xlabel) {
            fputs("x: ", f);
            n += 3 + put_trunc(f, c->xlabel, cols - n - 3);
        }
        if (c->ylabel && n + 6 < cols) {
            fputs("   y: ", f);
            n += 6;
            put_trunc(f, c->ylabel, cols - n);
        }
        fputc('\n', f);
    }
    /* legend */
    int has_marker = 0;
    for (int s = 0; s < c->nseries; s++) {
        has_marker |= isfinite(c->series[s].mark_x);
        if (color) fprintf(f, "\x1b[%dm", wu_chart_ansi(s));
        if (mode == WU_TTY_ASCII) fprintf(f, "%c%c", "*o#x@%&="[s % 8], "*o#x@%&="[s % 8]);
        else fputs("\xe2\x94\x81\xe2\x94\x81", f); /* ━━ */
        if (color) fputs("\x1b[0m", f);
        fputc(' ', f);
        put_trunc(f, c->series[s].name, cols - 3);
        fputc('\n', f);
    }
    if (has_marker)
        fputs(mode == WU_TTY_ASCII ? ":  end of warmup\n" : "\xe2\x94\x8a  end of warmup\n", f);
    free(cv.bits);
    free(cv.owner);
    free(cv.mark);
    return ferror(f) ? -1 : 0;
}
