/* tpu_cli.h: the systolic-array options as command-line flags (titan tpu;
 * run, logits and eval with --backend tpu). */
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

/* The flag table entries (--tpu-array, --tpu-dataflow, --scalesim,
 * --tpu-mode, --tpu-clock-mhz; each also without/with the tpu- prefix);
 * `out` has room for TPU_CLI_NFLAGS. */
enum { TPU_CLI_NFLAGS = 5 };
void tpu_cli_flags(tpu_cli *t, cli_flag *out);

/* Turn the parsed strings into a checked config; a usage message and
 * CLI_EXIT_USAGE on a bad value. */
int tpu_cli_config(const char *cmd, const tpu_cli *t, titan_tpu_config *c);

/* For run, logits and eval: backend (NULL = cpu) must be cpu, ref or tpu,
 * the tpu flags are checked into *c, and a report file (may be NULL) needs
 * --backend tpu. Returns the exit code (CLI_EXIT_USAGE on misuse). */
int tpu_cli_backend(const char *cmd, const char *backend, const char *report,
                    const tpu_cli *t, titan_tpu_config *c);

#endif
