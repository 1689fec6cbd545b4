/* train_console.h: what `titan-train train` prints on stdout, as llm.c and
 * parameter-golf runs do: a line saying what will run, one line per logged
 * step (terminal or not: the lines are the progress), and a summary. */
#ifndef TITAN_TRAIN_CONSOLE_H
#define TITAN_TRAIN_CONSOLE_H

#include "titan.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    int64_t step0;             /* steps done before this session (resume) */
    double start;              /* cli_now() when the first step began */
    double tokens;             /* trained on in this session */
    double step_seconds;       /* optimizer steps' time in this session */
    const char *val_name;      /* "val_bpb", or "val_loss" (shards: no bytes) */
    double best_val, last_val; /* NAN until validated */
    int64_t best_step, last_step;
} train_console;

/* One step's line: step/steps, training loss, the validation value when
 * this step was validated (NAN: not), the learning rate, tokens/s since the
 * last line, time spent and time left (seconds). */
void train_console_step(const train_console *c, int64_t step, int64_t steps, double loss,
                        double val, double lr, double tokens_per_s, double left_s);

/* "1,234,567" into buf[32]. */
const char *train_console_count(double n, char buf[32]);

/* "h:mm:ss" into buf[32]. */
const char *train_console_time(double seconds, char buf[32]);

/* The summary of this session (why it ended: NULL when every step ran). */
void train_console_summary(const train_console *c, int64_t step, const char *why);

#endif
