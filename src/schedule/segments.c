/* segments.c - a run whose length changed: its schedule from the spec and the run's segments
 * (wu_sched_parse_segments in warmup.h; segments.h for the training engine's resume).
 *
 * A resume to another length (warmup train --resume DIR --steps N) records the run's lengths
 * in the configuration field `segments`, "FROM:STEPS[:restart],...": the first entry is
 * 0:STEPS, the length the run started with; each later one says that from step FROM on the run
 * was STEPS long, the schedule re-planned without a jump (wu_sched_replan) or, marked
 * `:restart`, the spec evaluated again over the new length (as before issue 17). The schedule
 * is rebuilt from these entries in order, so a checkpoint (which carries the field), a further
 * resume, the rerun line (--segments) and `warmup schedule --segments` all give the same LRs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/fail.h"
#include "segments.h"

int wu_segments_read(const char **p, int64_t *from, int64_t *total, int *restart)
{
    char *end;
    long long a = strtoll(*p, &end, 10);
    if (end == *p || *end != ':') return -1;
    const char *q = end + 1;
    long long b = strtoll(q, &end, 10);
    if (end == q) return -1;
    *restart = 0;
    if (!strncmp(end, ":restart", 8)) *restart = 1, end += 8;
    else if (!strncmp(end, ":replan", 7)) end += 7;
    if (*end != ',' && *end != '\0') return -1;
    *from = a, *total = b;
    *p = *end ? end + 1 : end;
    return 0;
}

int wu_segments_next(wu_schedule **out, const wu_schedule *s, const char *spec, wu_sched_opts so,
                     int64_t at, int64_t total, int restart, wu_error *err)
{
    if (!restart) return wu_sched_replan(out, s, at, total, err);
    so.total_steps = total;
    int rc = wu_sched_parse(out, spec, &so, err);
    size_t n = rc == WU_OK ? wu_sched_state_size(s) : 0;
    if (n > 0) { /* the plateau's state goes on */
        unsigned char *buf = malloc(n);
        if (!buf) rc = wu_fail(err, WU_ENOMEM, "out of memory");
        if (rc == WU_OK) rc = wu_sched_state_save(s, buf, n, err);
        if (rc == WU_OK) rc = wu_sched_state_load(*out, buf, n, err);
        free(buf);
        if (rc != WU_OK) {
            wu_sched_destroy(*out);
            *out = NULL;
        }
    }
    return rc;
}

int64_t wu_segments_total(const char *segments)
{
    int64_t from, total, last = 0;
    int restart;
    for (const char *p = segments; p && *p && wu_segments_read(&p, &from, &total, &restart) == 0;)
        last = total;
    return last;
}

wu_status wu_sched_parse_segments(wu_schedule **out, const char *spec, const char *segments,
                                  const wu_sched_opts *opts, wu_error *err)
{
    if (!out) return wu_fail(err, WU_EINVAL, "segments: no place for the schedule");
    *out = NULL;
    if (!opts) return wu_fail(err, WU_EINVAL, "segments: the options are missing");
    wu_sched_opts so = *opts;
    const int64_t steps = so.total_steps > 0 ? so.total_steps : wu_segments_total(segments);
    if (!segments || !segments[0]) return wu_sched_parse(out, spec, &so, err);
    const char *p = segments;
    int64_t prev_from = -1, prev_total = 0;
    wu_schedule *s = NULL;
    int rc = WU_OK;
    for (int i = 0; *p && rc == WU_OK; i++) {
        int64_t from = 0, total = 0;
        int restart = 0;
        if (wu_segments_read(&p, &from, &total, &restart) != 0)
            rc = wu_fail(err, WU_EINVAL, "segments: entry %d of '%s' is not FROM:STEPS or "
                         "FROM:STEPS:restart", i + 1, segments);
        else if (i == 0 && (from != 0 || restart))
            rc = wu_fail(err, WU_EINVAL, "segments: the first entry must be 0:STEPS (the run's "
                         "first length), got entry '%lld:%lld%s'", (long long)from,
                         (long long)total, restart ? ":restart" : "");
        else if (i > 0 && (from <= prev_from || from > prev_total))
            rc = wu_fail(err, WU_EINVAL, "segments: entry %d starts at step %lld, which must be "
                         "after the previous entry's start (%lld) and within its length (%lld)",
                         i + 1, (long long)from, (long long)prev_from, (long long)prev_total);
        else if (total <= from || total < 1)
            rc = wu_fail(err, WU_EINVAL, "segments: entry %d is %lld steps long, not longer than "
                         "its start (%lld)", i + 1, (long long)total, (long long)from);
        else if (i == 0) {
            so.total_steps = total;
            rc = wu_sched_parse(&s, spec, &so, err);
        } else {
            wu_schedule *n = NULL;
            rc = wu_segments_next(&n, s, spec, so, from, total, restart, err);
            if (rc != WU_OK && !restart && !strncmp(err->msg, "replan: ", 8)) {
                char m[sizeof err->msg];
                snprintf(m, sizeof m, "%s", err->msg + 8);
                wu_fail(err, rc, "segments: entry %d: %s; mark it FROM:STEPS:restart to evaluate "
                        "the spec over the new length instead", i + 1, m);
            }
            wu_sched_destroy(s);
            s = n;
        }
        prev_from = from, prev_total = total;
    }
    if (rc == WU_OK && prev_total != steps)
        rc = wu_fail(err, WU_EINVAL, "segments: the last entry's length (%lld) is not the run's "
                     "steps (%lld)", (long long)prev_total, (long long)steps);
    if (rc != WU_OK) {
        wu_sched_destroy(s);
        return rc;
    }
    *out = s;
    return WU_OK;
}
