/* tpu_cli.c: systolic-array flags for the command-line tools. */
#include "tools/titan/tpu_cli.h"

#include <string.h>

void tpu_cli_defaults(tpu_cli *t) {
    *t = (tpu_cli){
        .array = "128x128", .dataflow = "ws", .mode = "fast", .clock_mhz = 700.0};
}

void tpu_cli_flags(tpu_cli *t, cli_flag *out) {
    const cli_flag flags[TPU_CLI_NFLAGS] = {
        {"--tpu-array|--array", FLAG_STR, &t->array, 0, 0,
         "RxC PE grid, 4..256 each (default 128x128)"},
        {"--tpu-dataflow|--dataflow", FLAG_STR, &t->dataflow, 0, 0,
         "ws (weight-stationary) or os (default ws)"},
        {"--scalesim|--tpu-scalesim", FLAG_BOOL, &t->scalesim, 0, 0,
         "SCALE-Sim v2 timing"},
        {"--tpu-mode|--mode", FLAG_STR, &t->mode, 0, 0,
         "fast (tile by tile) or cycle (default fast)"},
        {"--tpu-clock-mhz|--clock-mhz", FLAG_REAL, &t->clock_mhz, 1e-3, 1e6,
         "clock (default 700)"},
    };
    memcpy(out, flags, sizeof flags);
}

/* "RxC" with R, C in [4, 256]. */
static bool parse_array(const char *s, int32_t *r, int32_t *c) {
    const char *x = strchr(s, 'x');
    char head[16];
    if (!x || (size_t)(x - s) >= sizeof head) return false;
    memcpy(head, s, (size_t)(x - s));
    head[x - s] = 0;
    int64_t a, b;
    if (!cli_parse_int(head, TITAN_TPU_MIN_DIM, TITAN_TPU_MAX_DIM, &a) ||
        !cli_parse_int(x + 1, TITAN_TPU_MIN_DIM, TITAN_TPU_MAX_DIM, &b))
        return false;
    *r = (int32_t)a, *c = (int32_t)b;
    return true;
}

int tpu_cli_config(const char *cmd, const tpu_cli *t, titan_tpu_config *c) {
    titan_tpu_config_default(c);
    if (!parse_array(t->array, &c->rows, &c->cols))
        return cli_usage(cmd, "array '%s' is not RxC with R, C in [%d, %d]", t->array,
                         TITAN_TPU_MIN_DIM, TITAN_TPU_MAX_DIM);
    if (strcmp(t->dataflow, "ws") && strcmp(t->dataflow, "os"))
        return cli_usage(cmd, "dataflow '%s' is not ws or os", t->dataflow);
    if (strcmp(t->mode, "fast") && strcmp(t->mode, "cycle"))
        return cli_usage(cmd, "mode '%s' is not fast or cycle", t->mode);
    c->dataflow = strcmp(t->dataflow, "ws") ? TITAN_TPU_OS : TITAN_TPU_WS;
    c->mode = strcmp(t->mode, "fast") ? TITAN_TPU_CYCLE : TITAN_TPU_FAST;
    c->scalesim = t->scalesim;
    c->clock_mhz = t->clock_mhz;
    return CLI_EXIT_OK;
}

int tpu_cli_backend(const char *cmd, const char *backend, const char *report,
                    const tpu_cli *t, titan_tpu_config *c) {
    if (backend && strcmp(backend, "cpu") && strcmp(backend, "ref") &&
        strcmp(backend, "tpu"))
        return cli_usage(cmd, "--backend '%s' is not cpu, ref or tpu", backend);
    if (report && (!backend || strcmp(backend, "tpu")))
        return cli_usage(cmd, "--tpu-report needs --backend tpu");
    const char *outputs[] = {report};
    int rc = cli_outputs_check(cmd, outputs, 1);
    if (rc) return rc;
    return tpu_cli_config(cmd, t, c);
}
