/* html.c - self-contained HTML reports (see html.h). */
#include "html.h"

void wu_html_begin(FILE *f, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", f);
    wu_xml_text(f, title);
    fputs("</title>\n<style>\n"
          "body{font-family:sans-serif;max-width:860px;margin:2em auto;padding:0 1em;color:#222;"
          "line-height:1.5}\n"
          "h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.6em}\n"
          "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .7em;"
          "text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}\n"
          "svg{max-width:100%;height:auto}\n"
          "pre{background:#f3f3f3;padding:.6em .8em;white-space:pre-wrap;overflow-wrap:anywhere}\n"
          "</style></head><body>\n<h1>", f);
    wu_xml_text(f, title);
    fputs("</h1>\n", f);
}

void wu_html_heading(FILE *f, int level, const char *text)
{
    fprintf(f, "<h%d>", level);
    wu_xml_text(f, text);
    fprintf(f, "</h%d>\n", level);
}

void wu_html_paragraph(FILE *f, const char *text)
{
    fputs("<p>", f);
    wu_xml_text(f, text);
    fputs("</p>\n", f);
}

/* An inline <svg> in a <figure>: the background here, the caller's drawing, then figure_close. */
static void figure_open(FILE *f, int width, int height)
{
    fprintf(f, "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\">\n<rect width=\"%d\" height=\"%d\" fill=\"#fafafa\"/>\n",
            width, height, width, height, width, height);
}

static void figure_close(FILE *f) { fputs("</svg></figure>\n", f); }

void wu_html_chart(FILE *f, const wu_chart *c, int width, int height)
{
    figure_open(f, width, height);
    wu_chart_svg_panel(f, c, 0, 0, width, height);
    figure_close(f);
}

void wu_html_heatmap(FILE *f, const wu_heatmap *h, int width, int height)
{
    figure_open(f, width, height);
    wu_heatmap_svg_panel(f, h, 0, 0, width, height);
    figure_close(f);
}

void wu_html_pre(FILE *f, const char *text)
{
    fputs("<pre>", f);
    for (; text && *text; text++) { /* wu_xml_text drops control characters, newlines too */
        char one[2] = {*text, '\0'};
        if (*text == '\n') fputc('\n', f);
        else wu_xml_text(f, one);
    }
    fputs("</pre>\n", f);
}

void wu_html_table(FILE *f, const char *const *head, int ncols, const char *const *cells, int nrows)
{
    fputs("<table><tr>", f);
    for (int j = 0; j < ncols; j++) {
        fputs("<th>", f);
        wu_xml_text(f, head[j]);
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    for (int i = 0; i < nrows; i++) {
        fputs("<tr>", f);
        for (int j = 0; j < ncols; j++) {
            fputs("<td>", f);
            wu_xml_text(f, cells[i * ncols + j]);
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

void wu_html_end(FILE *f) { fputs("</body></html>\n", f); }
