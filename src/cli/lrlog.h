/* lrlog.h - reading the LR log of a training run, whatever wrote it, as (step, lr) pairs.
 *
 * Formats (detected from the content):
 *   csv    a header, then rows: warmup's metrics.csv (step, lr), PyTorch Lightning's CSVLogger
 *          (step, lr-AdamW; rows whose LR cell is empty are other metrics and are skipped), any
 *          CSV with a step and an LR column in any order (comma, tab or semicolon separated);
 *   jsonl  one JSON object per line ({"step": 10, "lr": 0.001}); lines without the LR key are
 *          other records and are skipped;
 *   hf     Hugging Face Trainer's trainer_state.json: log_history entries with learning_rate and
 *          step (the evaluation and summary entries are skipped).
 * The CSV and JSON-lines readers stream the file in 1 MiB blocks (constant memory); a
 * trainer_state.json is read whole (at most 512 MiB). Every error is printed as one line naming
 * the file, line and column ("warmup: log.csv:3:7: 'abc' in column lr is not a number"). */
#ifndef WU_CLI_LRLOG_H
#define WU_CLI_LRLOG_H

#include <stdint.h>

#include "warmup.h"

/* Called once per pair, in file order; returns 0, or a WU_E* code with err filled (the reader
 * prints it after the file and line of the pair and stops). */
typedef int (*lrlog_fn)(void *ctx, int64_t step, double lr, wu_error *err);

typedef struct lrlog_info {
    char format[8];        /* "csv", "jsonl" or "hf" */
    char step_col[64], lr_col[64];  /* the columns (keys) read */
    int64_t pairs;         /* pairs passed to fn */
    int64_t bytes;         /* bytes read */
    int64_t max_steps;     /* the run's length when the log says it (trainer_state.json's
                              max_steps), else 0 */
} lrlog_info;

/* Read the log at path and call fn for each (step, lr) pair. step_col / lr_col name the
 * columns (NULL: found from the header: step, global_step, ...; lr, learning_rate, lr-*).
 * A log with no pair at all is an error. Returns 0, or WU_EXIT_USAGE with the message
 * printed. */
int lrlog_read(const char *path, const char *step_col, const char *lr_col, lrlog_fn fn, void *ctx,
               lrlog_info *info);

#endif
