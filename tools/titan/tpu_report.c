/* tpu_report.c: the emulator's counters as text tables and JSON. */
#include "tools/titan/tpu_report.h"

#include "tools/cli/cli.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

void tpu_counters_json(FILE *f, const titan_tpu_config *c, const titan_tpu_counters *k) {
    fprintf(f,
            "\"cycles\": %" PRIu64 ", \"macs\": %" PRIu64
            ", \"utilization\": %.9g, \"time_s\": %.9g, "
            "\"weight_load_cycles\": %" PRIu64 ", \"fill_cycles\": %" PRIu64
            ", \"steady_cycles\": %" PRIu64 ", \"drain_cycles\": %" PRIu64
            ", \"folds\": %" PRIu64 ", \"gemms\": %" PRIu64 ", ",
            k->cycles, k->macs, titan_tpu_utilization(c, k), titan_tpu_seconds(c, k),
            k->weight_load_cycles, k->fill_cycles, k->steady_cycles, k->drain_cycles,
            k->folds, k->gemms);
    fprintf(f,
            "\"weight_reads\": %" PRIu64 ", \"input_reads\": %" PRIu64
            ", \"output_reads\": %" PRIu64 ", \"output_writes\": %" PRIu64
            ", \"offchip_bytes\": %" PRIu64 ", \"refused\": %" PRIu64,
            k->weight_reads, k->input_reads, k->output_reads, k->output_writes,
            k->offchip_bytes, k->refused);
}

void tpu_config_json(FILE *f, const titan_tpu_config *c) {
    fprintf(f,
            "\"rows\": %d, \"cols\": %d, \"dataflow\": \"%s\", \"timing\": "
            "\"%s\", \"mode\": \"%s\", \"clock_mhz\": %g",
            c->rows, c->cols, c->dataflow == TITAN_TPU_WS ? "ws" : "os",
            c->scalesim ? "scalesim" : "default",
            c->mode == TITAN_TPU_FAST ? "fast" : "cycle", c->clock_mhz);
}

void tpu_report_json(FILE *f, const titan_tpu_config *c, const titan_backend *be) {
    titan_tpu_counters total;
    const titan_tpu_layer *layers;
    int n;
    titan_tpu_backend_stats(be, &total, &layers, &n);
    fprintf(f, "{");
    tpu_config_json(f, c);
    fprintf(f, ", \"layers\": [");
    for (int i = 0; i < n; i++) {
        /* Tensor names are SPEC names ([a-z0-9._]): no JSON escaping needed. */
        fprintf(f, "%s{\"name\": \"%s\", ", i ? ", " : "", layers[i].name);
        tpu_counters_json(f, c, &layers[i].k);
        fprintf(f, "}");
    }
    fprintf(f, "], \"total\": {");
    tpu_counters_json(f, c, &total);
    fprintf(f, "}}");
}

static void text_row(FILE *f, const titan_tpu_config *c, const char *name,
                     const titan_tpu_counters *k) {
    fprintf(f, "%-22s %14" PRIu64 " %16" PRIu64 " %6.1f%% %12.3f %14" PRIu64 "\n", name,
            k->cycles, k->macs, 100 * titan_tpu_utilization(c, k),
            1e3 * titan_tpu_seconds(c, k), k->offchip_bytes);
}

void tpu_report_text(FILE *f, const titan_tpu_config *c, const titan_backend *be) {
    titan_tpu_counters total;
    const titan_tpu_layer *layers;
    int n;
    titan_tpu_backend_stats(be, &total, &layers, &n);
    fprintf(f, "tpu: %dx%d %s array, %s timing, %s mode, %g MHz\n", c->rows, c->cols,
            c->dataflow == TITAN_TPU_WS ? "ws" : "os",
            c->scalesim ? "SCALE-Sim v2" : "default",
            c->mode == TITAN_TPU_FAST ? "fast" : "cycle", c->clock_mhz);
    fprintf(f, "%-22s %14s %16s %7s %12s %14s\n", "tensor", "cycles", "macs", "util",
            "time_ms", "offchip_bytes");
    for (int i = 0; i < n; i++) text_row(f, c, layers[i].name, &layers[i].k);
    text_row(f, c, "total", &total);
    if (total.refused) fprintf(f, "refused matmuls: %" PRIu64 "\n", total.refused);
}

int tpu_report_save(const char *cmd, const char *path, bool json,
                    const titan_tpu_config *c, const titan_backend *be) {
    FILE *f = fopen(path, "w");
    errno = 0;
    if (f && json) {
        tpu_report_json(f, c, be);
        fputc('\n', f);
    } else if (f) {
        tpu_report_text(f, c, be);
    }
    int err = errno;
    bool ok = f && !ferror(f);
    if (f && fclose(f) != 0 && ok) ok = false, err = errno;
    if (!ok) {
        fprintf(stderr, "%s: cannot write %s: %s\n", cmd, path,
                err ? strerror(err) : "write error");
        return CLI_EXIT_FAIL;
    }
    cli_wrote(true, path, "tpu report (%s)", json ? "JSON" : "table");
    return CLI_EXIT_OK;
}
