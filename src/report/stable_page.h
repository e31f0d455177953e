/* stable_page.h - the stable-lr study's page (stable_page.c; the plan is src/lab/stable.h). */
#ifndef WU_STABLE_PAGE_H
#define WU_STABLE_PAGE_H

#include "study_page.h"

/* Draw the stable-lr study s (its plan from study.json, its runs' summaries read): on t (when
 * t->f) and into s->dir stable-lr.svg, sharpness.svg, precond-sharpness.svg, conclusion.txt and
 * report.html. WU_EINVAL when s is not a stable-lr plan; the file errors of wu_page_emit. */
int wu_render_stable_lr(const wu_study *s, const wu_term *t, wu_error *err);

#endif
