/* tpu_cli.h: the systolic-array options as command-line flags (titan tpu;
 * meant for the commands that take --backend tpu as well). */
#ifndef TITAN_TOOLS_TPU_CLI_H
#define TITAN_TOOLS_TPU_CLI_H

#include "tools/cli/cli.h"

typedef struct {
    const char *array, *dataflow, *mode; /* "RxC", "ws|os", "fast|cycle" */
    bool scalesim;
    double clock_mhz;
} tpu_cli;

/* Defaults: 128x128, ws, fast, default timing, 700 MHz. */
void tpu_cli_defaults(tpu_cli *t);

/* The flag table entries (--array, --dataflow, --scalesim, --mode,
 * --clock-mhz); `out` has room for TPU_CLI_NFLAGS. */
enum { TPU_CLI_NFLAGS = 5 };
void tpu_cli_flags(tpu_cli *t, cli_flag *out);

/* Turn the parsed strings into a checked config; a usage message and
 * CLI_EXIT_USAGE on a bad value. */
int tpu_cli_config(const char *cmd, const tpu_cli *t, titan_tpu_config *c);

#endif
