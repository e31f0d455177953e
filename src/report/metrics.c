/* metrics.c - reading columns of metrics.csv. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "../util/fail.h"

/* Split line at commas in place; fields[i] points at field i. Returns the number of fields. */
static int split_csv(char *line, char **fields, int max)
{
    int n = 0;
    char *s = line;
    while (n < max) {
        fields[n++] = s;
        char *c = strpbrk(s, ",\n");
        if (!c) break;
        int end = *c == '\n';
        *c = '\0';
        if (end) break;
        s = c + 1;
    }
    return n;
}

int wu_metrics_column(const char *path, wu_metric m, wu_series_data *out, wu_error *err)
{
    memset(out, 0, sizeof *out);
    const char *col = wu_metric_name(m);
    if (!*col) return wu_fail(err, WU_EINVAL, "no metrics column %d", (int)m);
    FILE *f = fopen(path, "r");
    if (!f) return wu_fail(err, WU_EIO, "cannot read %.200s", path);
    char line[4096];
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        return wu_fail(err, WU_EIO, "%.200s is empty", path);
    }
    char *fields[64];
    int want = -1, nf = split_csv(line, fields, 64);
    for (int i = 0; i < nf; i++)
        if (!strcmp(fields[i], col)) want = i;
    if (want < 0) {
        fclose(f);
        return wu_fail(err, WU_EIO, "%.200s has no column '%.40s'", path, col);
    }
    int cap = 0;
    while (fgets(line, sizeof line, f)) {
        if (out->n == cap) {
            cap = cap ? 2 * cap : 1024;
            double *nx = realloc(out->x, sizeof(double) * (size_t)cap);
            double *ny = nx ? realloc(out->y, sizeof(double) * (size_t)cap) : NULL;
            if (nx) out->x = nx;
            if (!nx || !ny) {
                fclose(f);
                wu_series_data_free(out);
                return wu_fail(err, WU_EIO, "out of memory reading %.200s", path);
            }
            out->y = ny;
        }
        int k = split_csv(line, fields, 64);
        double x = k > 0 && *fields[0] ? strtod(fields[0], NULL) : NAN;
        double y = k > want && *fields[want] ? strtod(fields[want], NULL) : NAN;
        out->x[out->n] = x;
        out->y[out->n] = y;
        out->n++;
    }
    fclose(f);
    return WU_OK;
}

void wu_series_data_free(wu_series_data *s)
{
    free(s->x);
    free(s->y);
    memset(s, 0, sizeof *s);
}

void wu_series_ema(wu_series_data *s, double alpha)
{
    double m = NAN;
    for (int i = 0; i < s->n; i++) {
        if (isnan(s->y[i])) continue;
        m = isnan(m) ? s->y[i] : alpha * s->y[i] + (1 - alpha) * m;
        s->y[i] = m;
    }
}
