/* segments.h - the pieces of wu_sched_parse_segments (warmup.h) that the training engine's
 * resume uses to extend a run one entry at a time (src/train/run.c). */
#ifndef WU_SEGMENTS_H
#define WU_SEGMENTS_H

#include "warmup.h"

/* From s (the schedule so far), the one for a run `total` steps long from step `at` on:
 * re-planned (wu_sched_replan's errors as they are) or, restart, `spec` parsed over `total`
 * with s's plateau state. */
int wu_segments_next(wu_schedule **out, const wu_schedule *s, const char *spec, wu_sched_opts so,
                     int64_t at, int64_t total, int restart, wu_error *err);
/* One entry at *p, FROM:STEPS[:restart] (":replan" also read), *p moved past it and its ','.
 * -1 when malformed. */
int wu_segments_read(const char **p, int64_t *from, int64_t *total, int *restart);
/* The run's length a list says: its last entry's STEPS (0 for NULL, "" or a list that does not
 * start with a well-formed entry; a malformed tail is left to wu_sched_parse_segments). */
int64_t wu_segments_total(const char *segments);

#endif
