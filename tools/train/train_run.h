/* train_run.h: what a checkpoint remembers of the run that wrote it, so that
 * `titan-train train --resume CKPT` alone continues it: the flags (data
 * paths made absolute), the training seconds so far (the --max-minutes
 * clock) and the best validation row. Flags given again on resume must agree
 * with the record, except the session flags (threads, output and logging
 * cadence), which may change, or all flags with --override. */
#ifndef TITAN_TRAIN_RUN_H
#define TITAN_TRAIN_RUN_H

#include "tools/cli/cli.h"

#include <stdint.h>

/* The command's flag table and how each flag is recorded. Lists are
 * "|"-separated flag names as the table spells them first. */
typedef struct {
    const cli_flag *flags;
    int n;
    const bool *seen;    /* [n]: given on this command line */
    const char *unkept;  /* never recorded (e.g. -o, --resume) */
    const char *session; /* recorded, may change on resume */
    const char *paths;   /* file paths or globs, recorded absolute */
    bool override;       /* --override: flags given win over the record */
} train_flags;

typedef struct {
    double train_seconds; /* optimizer steps' time so far, all sessions */
    double best_val;      /* best val_bpb (or val_loss on shards), NAN: none */
    int64_t best_step;
} train_progress;

/* Resume: set every flag not given from the record (the checkpoint's "run"
 * metadata); a flag given with another value than the record's is a usage
 * error naming it, unless t->override (then the given value stays). A record of NULL (a checkpoint from before records) sets
 * nothing. Fills *p. The strings set live in arena a (made here; the caller
 * destroys it with cli_arena_destroy, also on failure). Returns an exit code. */
int train_run_apply(const char *cmd, const train_flags *t, const char *record,
                    train_progress *p, titan_arena *a);

/* The record of the flags' current values (relative paths made absolute,
 * so that a resume from another directory reads the same files) and *p as
 * JSON (malloc'd, caller frees; NULL when out of memory). */
char *train_run_record(const train_flags *t, const train_progress *p);

#endif
