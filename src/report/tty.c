/* tty.c - charts in a terminal: Unicode braille (2x4 dots per cell), half blocks (1x2) or plain
 * ASCII (1x1), sized to a given width, with the same axes as the SVG renderer.
 *
 * Series are drawn as connected lines on a dot canvas (Bresenham between consecutive points), so
 * a curve has no gaps at any resolution; a cell shared by two series takes the later one's
 * colour. Dots of POINTS series and x marks of flagged points take whole cells, drawn after every
 * line so that no curve hides them. A right-hand axis puts its tick labels after the plot's right
 * edge, and the plot narrows to leave them room. Every printed line fits in `cols` columns.
 *
 * A series that coincides with an earlier one (wu_chart_same_as) is drawn dashed after the
 * series it matches: with m such series, the k-th takes the cell columns c with c % (m+1) == k,
 * and the columns left show the earlier one's colour and glyph, so all stay visible; its legend
 * entry says "same as NAME". */
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
    unsigned char *sym; /* SYM_DOT or SYM_FLAG: the cell shows a symbol instead of its dots */
} canvas;

enum { SYM_NONE, SYM_DOT, SYM_FLAG };

/* ASCII glyph of each series; no 'x' among them, which marks flagged points */
static const char ASCII_GLYPH[] = "*o#+@%&=";

static const int BRAILLE_BIT[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};

/* The cell holding dot (x, y), -1 outside the canvas. */
static int cell_of(const canvas *cv, int x, int y)
{
    if (x < 0 || y < 0 || x >= cv->w * cv->cw || y >= cv->h * cv->ch) return -1;
    return (y / cv->ch) * cv->w + x / cv->cw;
}

/* dash: 0 draws every dot; k > 0 (the k-th series that coincides with an earlier one, of
 * period - 1 such) only the dots in cell columns c with c % period == k. */
typedef struct dash { int k, period; } dash;

static void dot(canvas *cv, int x, int y, int s, dash d)
{
    int cell = cell_of(cv, x, y);
    if (cell < 0 || (d.k && (x / cv->cw) % d.period != d.k)) return;
    int bit = cv->cw == 2 ? BRAILLE_BIT[y % 4][x % 2] : cv->ch == 2 ? 1 << (y % 2) : 1;
    cv->bits[cell] |= (unsigned char)bit;
    cv->owner[cell] = (signed char)s;
}

static void line(canvas *cv, int x0, int y0, int x1, int y1, int s, dash d)
{
    int dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (;;) {
        dot(cv, x0, y0, s, d);
        if (x0 == x1 && y0 == y1) break;
        int e2 = 2 * err;
        if (e2 >= dy) { err += dy; x0 += sx; }
        if (e2 <= dx) { err += dx; y0 += sy; }
    }
}

int wu_tty_width(const char *s)
{
    int n = 0;
    for (; s && *s; s++) n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

int wu_tty_text(FILE *f, const char *s, int max)
{
    int n = 0;
    for (; s && *s; s++) {
        int lead = ((unsigned char)*s & 0xc0) != 0x80;
        if (lead && n >= max) break;
        fputc(*s, f);
        n += lead;
    }
    return n;
}

static void put_glyph(FILE *f, const canvas *cv, int cell, int mode, int color)
{
    int s = cv->owner[cell];
    unsigned b = cv->bits[cell];
    if (cv->sym[cell]) {
        if (color) fprintf(f, "\x1b[%dm", wu_chart_ansi(s));
        if (cv->sym[cell] == SYM_FLAG) fputs(mode == WU_TTY_ASCII ? "x" : "\xc3\x97", f); /* × */
        else fputs(mode == WU_TTY_ASCII ? "O" : "\xe2\x97\x8f", f);                  /* ● */
        if (color) fputs("\x1b[0m", f);
        return;
    }
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
        fputc(ASCII_GLYPH[s % 8], f);
    }
    if (color) fputs("\x1b[0m", f);
}

void wu_tty_axis_names(FILE *f, int indent, const char *x, const char *y, const char *y2, int cols)
{
    if (!x && !y && !y2) return;
    int n = indent;
    fprintf(f, "%*s", indent, "");
    if (x) {
        fputs("x: ", f);
        n += 3 + wu_tty_text(f, x, cols - n - 3);
    }
    if (y && n + 6 < cols) {
        fputs("   y: ", f);
        n += 6;
        n += wu_tty_text(f, y, cols - n);
    }
    if (y2 && n + 10 < cols) {
        fputs("   right: ", f);
        n += 10;
        wu_tty_text(f, y2, cols - n);
    }
    fputc('\n', f);
}

/* The label of the tick nearest to row r of an h-row plot, "" when none falls there. */
static const char *row_label(const wu_axis *a, int r, int h)
{
    const char *label = "";
    for (int i = 0; i < a->nticks; i++)
        if ((int)lround((1.0 - wu_axis_frac(a, a->ticks[i])) * (h - 1)) == r) label = a->labels[i];
    return label;
}

static int label_width(const wu_axis *a)
{
    int w = 1;
    for (int i = 0; i < a->nticks; i++) {
        int l = (int)strlen(a->labels[i]);
        if (l > w) w = l;
    }
    return w;
}

/* Lines of every series on its own y axis, then the dots and x marks over them. */
static void draw_series(canvas *cv, const wu_chart *c, const wu_axis *ax, const wu_axis *ay,
                        const wu_axis *ay2)
{
    int dw = cv->w * cv->cw, dh = cv->h * cv->ch, nsame = 0;
    for (int s = 0; s < c->nseries; s++) nsame += wu_chart_same_as(c, s) >= 0;
    for (int pass = 0, k = 0; pass < 2; pass++)
        for (int s = 0; s < c->nseries; s++) {
            const wu_series *se = &c->series[s];
            const wu_axis *a = se->right ? ay2 : ay;
            int px = -1, py = -1;
            dash d = {!pass && wu_chart_same_as(c, s) >= 0 ? ++k : 0, nsame + 1};
            for (int i = 0; i < se->n; i++) {
                int ok = wu_chart_point_ok(c, se, i), flagged = wu_chart_flagged(c, se, i);
                if (!ok && !(pass && flagged)) continue;
                int x1 = (int)lround(wu_axis_frac(ax, se->x[i]) * (dw - 1));
                int y1 = ok ? (int)lround((1.0 - wu_axis_frac(a, se->y[i])) * (dh - 1)) : 0;
                if (pass) { /* symbols: a flag wins over a dot; unplottable flags on top row */
                    int cell = cell_of(cv, x1, y1);
                    if (cell < 0 || !(flagged || se->style == WU_STYLE_POINTS)) continue;
                    cv->sym[cell] = flagged ? SYM_FLAG : SYM_DOT;
                    cv->owner[cell] = (signed char)s;
                    continue;
                }
                if (px >= 0) line(cv, px, py, x1, y1, s, d);
                else dot(cv, x1, y1, s, d);
                px = x1;
                py = y1;
            }
        }
}

int wu_chart_tty(FILE *f, const wu_chart *c, int cols, int rows, int mode, int color)
{
    if (cols < 30 || rows < 3) return -1;
    wu_axis ax, ay, ay2;
    wu_chart_axes2(c, &ax, &ay, &ay2);
    int has_right = wu_chart_has_right(c);
    int lw = label_width(&ay), rw = has_right ? label_width(&ay2) + 1 : 0; /* rw: edge + labels */
    canvas cv = {.w = cols - lw - 2 - rw, .h = rows};
    if (cv.w < 10) return -1;
    cv.cw = mode == WU_TTY_BRAILLE ? 2 : 1;
    cv.ch = mode == WU_TTY_BRAILLE ? 4 : mode == WU_TTY_BLOCK ? 2 : 1;
    size_t ncell = (size_t)cv.w * (size_t)cv.h;
    unsigned char *mem = calloc(ncell, 4); /* bits, owner, mark, sym */
    if (!mem) return -1;
    cv.bits = mem;
    cv.owner = (signed char *)(mem + ncell);
    cv.mark = mem + 2 * ncell;
    cv.sym = mem + 3 * ncell;
    memset(cv.owner, -1, ncell);
    int dw = cv.w * cv.cw;

    for (int s = 0; s < c->nseries; s++) {
        const wu_series *se = &c->series[s];
        if (isfinite(se->mark_x) && !(c->log_x && !(se->mark_x > 0))) {
            int col = (int)lround(wu_axis_frac(&ax, se->mark_x) * (dw - 1)) / cv.cw;
            if (col >= 0 && col < cv.w)
                for (int r = 0; r < cv.h; r++) cv.mark[r * cv.w + col] = 1;
        }
    }
    draw_series(&cv, c, &ax, &ay, &ay2);

    if (c->title) {
        wu_tty_text(f, c->title, cols);
        fputc('\n', f);
    }
    /* rows, with a y label on the rows nearest to each tick */
    for (int r = 0; r < cv.h; r++) {
        const char *label = row_label(&ay, r, cv.h);
        fprintf(f, "%*s", lw, label);
        fputs(*label ? (mode == WU_TTY_ASCII ? "+" : "\xe2\x94\xa4")     /* ┤ */
                     : (mode == WU_TTY_ASCII ? "|" : "\xe2\x94\x82"), f); /* │ */
        for (int x = 0; x < cv.w; x++) put_glyph(f, &cv, r * cv.w + x, mode, color);
        if (has_right) {
            label = row_label(&ay2, r, cv.h);
            fputs(*label ? (mode == WU_TTY_ASCII ? "+" : "\xe2\x94\x9c")     /* ├ */
                         : (mode == WU_TTY_ASCII ? "|" : "\xe2\x94\x82"), f); /* │ */
            fputs(label, f);
        }
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
    if (has_right) fputs(mode == WU_TTY_ASCII ? "+" : "\xe2\x94\x98", f); /* ┘ */
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
    wu_tty_axis_names(f, lw + 1, c->xlabel, c->ylabel, has_right ? c->y2label : NULL, cols);
    /* legend */
    int has_marker = 0;
    for (int s = 0; s < c->nseries; s++) {
        const wu_series *se = &c->series[s];
        int pts = se->style == WU_STYLE_POINTS;
        has_marker |= isfinite(se->mark_x);
        if (color) fprintf(f, "\x1b[%dm", wu_chart_ansi(s));
        if (mode == WU_TTY_ASCII)
            fprintf(f, "%c%c", ASCII_GLYPH[s % 8], pts ? 'O' : ASCII_GLYPH[s % 8]);
        else /* ━● or ━━ */
            fputs(pts ? "\xe2\x94\x81\xe2\x97\x8f" : "\xe2\x94\x81\xe2\x94\x81", f);
        if (color) fputs("\x1b[0m", f);
        fputc(' ', f);
        int same = wu_chart_same_as(c, s);
        char suffix[160];
        snprintf(suffix, sizeof suffix, "%s%s%.100s%s", se->right ? " (right axis)" : "",
                 same >= 0 ? " (same as " : "", same >= 0 && c->series[same].name ? c->series[same].name : "",
                 same >= 0 ? ")" : "");
        int room = cols - 3 - wu_tty_width(suffix);
        if (room < (cols - 3) / 2) room = (cols - 3) / 2;
        int n = 3;
        if (wu_tty_width(se->name) > room && room > 3)
            n += wu_tty_text(f, se->name, room - 3) + wu_tty_text(f, "...", 3);
        else
            n += wu_tty_text(f, se->name, room);
        wu_tty_text(f, suffix, cols - n);
        fputc('\n', f);
    }
    if (has_marker)
        fputs(mode == WU_TTY_ASCII ? ":  end of warmup\n" : "\xe2\x94\x8a  end of warmup\n", f);
    if (wu_chart_has_flags(c)) {
        fputs(mode == WU_TTY_ASCII ? "x  " : "\xc3\x97  ", f);
        wu_tty_text(f, c->flag_label ? c->flag_label : "flagged", cols - 3);
        fputc('\n', f);
    }
    char note[200];
    if (wu_chart_y_note(c, note, sizeof note)) {
        wu_tty_text(f, note, cols);
        fputc('\n', f);
    }
    free(mem);
    return ferror(f) ? -1 : 0;
}
