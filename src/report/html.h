/* html.h - self-contained HTML reports: one file, inline SVG charts, inline CSS, no external
 * asset, readable offline and printable. */
#ifndef WU_HTML_H
#define WU_HTML_H

#include <stdio.h>

#include "chart.h"
#include "heatmap.h"

void wu_html_begin(FILE *f, const char *title);
void wu_html_heading(FILE *f, int level, const char *text);
void wu_html_paragraph(FILE *f, const char *text);
/* A chart as an inline <svg> of width x height. */
void wu_html_chart(FILE *f, const wu_chart *c, int width, int height);
/* A heatmap as an inline <svg> of width x height. */
void wu_html_heatmap(FILE *f, const wu_heatmap *h, int width, int height);
/* Preformatted text (a command line to copy), escaped. */
void wu_html_pre(FILE *f, const char *text);
/* A table: header cells, then rows of cells (already formatted text), escaped. */
void wu_html_table(FILE *f, const char *const *head, int ncols, const char *const *cells, int nrows);
void wu_html_end(FILE *f);

#endif
