/* plot.h - drawing schedules as a chart, shared by `warmup plot` and `warmup suggest --plot`. */
#ifndef WU_CLI_PLOT_H
#define WU_CLI_PLOT_H

#include "warmup.h"

typedef struct plot_request {
    const char *specs[8];     /* up to 8 schedules */
    const char *labels[8];    /* legend names, NULL: the spec text */
    int nspecs;
    wu_sched_opts opts;       /* lr, total_steps (the x range), steps_per_epoch */
    const char *title;        /* NULL: a default title */
    const char *output;       /* SVG path, or NULL */
    int tty;                  /* draw in the terminal */
    int mode, color;          /* WU_TTY_*, ANSI colours */
    int cols, rows;           /* terminal size; cols 0 = the terminal's width */
    int width, height;        /* SVG pixels; height 0 = fit the legend */
    int log_y;
} plot_request;

/* Evaluate the specs and draw them. Returns an exit code (0, 1 or 2), having printed any error. */
int cli_plot_specs(const plot_request *rq);

#endif
