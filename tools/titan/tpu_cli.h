/* tpu_cli.h: the systolic-array options as command-line flags, shared by
 * `titan tpu` and the commands that take --backend tpu. */
#ifndef TITAN_TOOLS_TPU_CLI_H
#define TITAN_TOOLS_TPU_CLI_H

#include "tools/cli/cli.h"

typedef struct {
    const char *array, *dataflow, *mode; /* "RxC", "ws|os", "fast|cycle" */
    bool scalesim;
    double clock_mhz;
    const char *report; /* --tpu-report FILE (run/eval) */
} tpu_cli;

/* Defaults: 128x128, ws, fast, default timing, 700 MHz, no report. */
void tpu_cli_defaults(tpu_cli *t);

/* Flag table entries with the given prefix spelled out ("--array" for titan
 * tpu, "--tpu-array" elsewhere); `out` has room for TPU_CLI_NFLAGS. */
enum { TPU_CLI_NFLAGS = 5 };
void tpu_cli_flags(tpu_cli *t, int prefixed, cli_flag *out);

/* Turn the parsed strings into a checked config; a usage message and
 * CLI_EXIT_USAGE on a bad value. */
int tpu_cli_config(const char *cmd, const tpu_cli *t, titan_tpu_config *c);

/* Write the backend's per-tensor table and totals as JSON to --tpu-report
 * FILE (if given); CLI_EXIT_FAIL with a message if it cannot be written. */
int tpu_cli_write_report(const char *cmd, const tpu_cli *t,
                         const titan_tpu_config *c, const titan_backend *be);

#endif
