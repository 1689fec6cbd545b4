/* train_log.h: the training log (JSONL, one object per logged step; SPEC
 * section 7): opened before the first step, cut back to the checkpoint's
 * step on --resume so that no step appears twice, each row flushed and
 * checked as it is written. */
#ifndef TITAN_TRAIN_LOG_H
#define TITAN_TRAIN_LOG_H

#include "titan.h"

#include <stdint.h>
#include <stdio.h>

typedef struct {
    const char *path;
    FILE *f;
    int64_t rows; /* rows in the file, kept ones included */
} train_log;

/* Open path for the run (NULL: no log). Fresh runs (resume_step < 0) start
 * it empty; a resumed one keeps the rows up to resume_step and drops the
 * rest (and a torn last line). */
TITAN_NODISCARD titan_status train_log_open(train_log *l, const char *path,
                                            int64_t resume_step);

/* Write one row (a JSON object without the newline): TITAN_E_IO, naming the
 * file and the reason, when it cannot be written. */
TITAN_NODISCARD titan_status train_log_row(train_log *l, const char *row, size_t len);

/* Close; TITAN_E_IO when the last writes failed. */
TITAN_NODISCARD titan_status train_log_close(train_log *l);

#endif
