/* tpu_report.h: printing the systolic-array emulator's counters (one GEMM, or
 * a tpu backend's per-tensor table and totals) as text or JSON. */
#ifndef TITAN_TOOLS_TPU_REPORT_H
#define TITAN_TOOLS_TPU_REPORT_H

#include "titan.h"

#include <stdbool.h>
#include <stdio.h>

/* The counter fields as JSON members (no braces): "cycles": .., "macs": ..,
 * "utilization": .., "time_s": .., breakdown, buffer traffic, off-chip. */
void tpu_counters_json(FILE *f, const titan_tpu_config *c, const titan_tpu_counters *k);

/* "rows": R, "cols": C, "dataflow": .., "timing": .., "mode": ..,
 * "clock_mhz": .. as JSON members (no braces). */
void tpu_config_json(FILE *f, const titan_tpu_config *c);

/* {"rows": R, "cols": C, "dataflow": .., "timing": .., "mode": ..,
 *  "clock_mhz": .., "layers": [{"name": .., counters}, ..], "total": {..}} */
void tpu_report_json(FILE *f, const titan_tpu_config *c, const titan_backend *be);

/* A table: one row per weight tensor, then the totals. */
void tpu_report_text(FILE *f, const titan_tpu_config *c, const titan_backend *be);

/* --tpu-report FILE: the JSON object (json) or the table written to path,
 * said on stderr; an exit code, after a message naming the reason when the
 * file cannot be written. */
int tpu_report_save(const char *cmd, const char *path, bool json,
                    const titan_tpu_config *c, const titan_backend *be);

#endif
