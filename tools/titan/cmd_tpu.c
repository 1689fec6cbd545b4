/* cmd_tpu.c: `titan tpu --gemm M,K,N`: one GEMM on the systolic-array
 * emulator with random int8 operands, reporting its counters (and a checksum
 * of the int32 results, so modes and dataflows can be compared); or
 * `titan tpu -m ART`: a model's forward pass, per weight tensor. */
#include "tools/cli/cli.h"
#include "tools/titan/commands.h"
#include "tools/titan/tpu_cli.h"
#include "tools/titan/tpu_model.h"
#include "tools/titan/tpu_report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *USAGE =
    "titan tpu (--gemm M,K,N | -m ART [--tokens N]) [--array RxC] [--dataflow ws|os] "
    "[--scalesim] "
    "[--mode fast|cycle] [--clock-mhz F] [--seed S] [--no-values] [--json]\n"
    "  cycles, MACs and utilization of a GEMM or of a model's forward pass on\n"
    "  the systolic-array emulator\n"
    "example: titan tpu --gemm 256,512,512 --array 128x128 && titan tpu -m model.tart "
    "--tokens 64";

/* "M,K,N" as three positive integers. */
static bool parse_mkn(const char *s, int64_t *out) {
    char buf[96];
    if (strlen(s) >= sizeof buf) return false;
    strcpy(buf, s);
    char *p = buf;
    for (int i = 0; i < 3; i++) {
        char *end = strchr(p, ',');
        if ((i < 2) != (end != NULL)) return false;
        if (end) *end = 0;
        if (!cli_parse_int(p, 1, INT64_MAX, &out[i])) return false;
        p = end ? end + 1 : p;
    }
    return true;
}

static uint64_t fnv1a(const void *data, size_t n) {
    const uint8_t *p = data;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static void fill_random(int8_t *v, size_t n, uint64_t *state) {
    for (size_t i = 0; i < n; i++) {
        *state = *state * 6364136223846793005ull + 1442695040888963407ull;
        v[i] = (int8_t)(*state >> 56);
    }
}

typedef struct {
    int64_t M, K, N;
    int values;
    uint64_t checksum;
    double wall;
} gemm_run;

static void print_json(const titan_tpu_config *c, const gemm_run *g,
                       const titan_tpu_counters *k) {
    printf("{\"M\": %" PRId64 ", \"K\": %" PRId64 ", \"N\": %" PRId64 ", ", g->M, g->K,
           g->N);
    tpu_config_json(stdout, c);
    printf(", ");
    tpu_counters_json(stdout, c, k);
    double map, util;
    if (c->scalesim &&
        titan_tpu_scalesim_efficiency(c, g->M, g->K, g->N, &map, &util) == TITAN_OK)
        printf(", \"mapping_efficiency\": %.9g, \"compute_util\": %.9g", map, util);
    if (g->values)
        printf(", \"checksum\": \"%016" PRIx64 "\", \"sim_seconds\": %.6f, "
               "\"sim_macs_per_s\": %.6g",
               g->checksum, g->wall, g->wall > 0 ? k->macs / g->wall : 0);
    printf("}\n");
}

static void print_text(const titan_tpu_config *c, const gemm_run *g,
                       const titan_tpu_counters *k) {
    printf("gemm %" PRId64 "x%" PRId64 "x%" PRId64 " (MxKxN) on a %dx%d %s "
           "array, %s timing, %s mode\n",
           g->M, g->K, g->N, c->rows, c->cols, c->dataflow == TITAN_TPU_WS ? "ws" : "os",
           c->scalesim ? "SCALE-Sim v2" : "default",
           c->mode == TITAN_TPU_FAST ? "fast" : "cycle");
    printf("cycles         %" PRIu64 "  (weight load %" PRIu64 ", fill %" PRIu64
           ", steady %" PRIu64 ", drain %" PRIu64 ")\n",
           k->cycles, k->weight_load_cycles, k->fill_cycles, k->steady_cycles,
           k->drain_cycles);
    printf("macs           %" PRIu64 " in %" PRIu64 " folds\n", k->macs, k->folds);
    printf("utilization    %.2f%%\n", 100 * titan_tpu_utilization(c, k));
    double map, util;
    if (c->scalesim &&
        titan_tpu_scalesim_efficiency(c, g->M, g->K, g->N, &map, &util) == TITAN_OK)
        printf("SCALE-Sim      mapping efficiency %.2f%%, compute util %.2f%%\n",
               100 * map, 100 * util);
    printf("buffer reads   weights %" PRIu64 ", inputs %" PRIu64 ", partial sums %" PRIu64
           "\n",
           k->weight_reads, k->input_reads, k->output_reads);
    printf("buffer writes  outputs %" PRIu64 "\n", k->output_writes);
    printf("off-chip       %" PRIu64 " bytes\n", k->offchip_bytes);
    printf("time           %.3f us at %g MHz\n", 1e6 * titan_tpu_seconds(c, k),
           c->clock_mhz);
    if (g->values)
        printf("checksum       %016" PRIx64 "  (%.3f s simulated, %.3g MACs/s)\n",
               g->checksum, g->wall, g->wall > 0 ? k->macs / g->wall : 0);
}

/* Random operands, the emulated GEMM, a checksum of Y. */
static int run_values(const char *cmd, const titan_tpu_config *c, gemm_run *g,
                      uint64_t seed, titan_tpu_counters *k) {
    size_t xb = (size_t)(g->M * g->K), wb = (size_t)(g->N * g->K),
           yb = (size_t)(g->M * g->N) * 4, sb = titan_tpu_scratch_bytes(c);
    titan_arena a;
    titan_status st = cli_arena_create(&a, xb + wb + yb + sb + 4 * 4096);
    if (st != TITAN_OK) return cli_fail(cmd, st);
    int8_t *x = NULL, *w = NULL;
    int32_t *y = NULL;
    st = titan_arena_alloc(&a, xb, 4096, (void **)&x);
    if (st == TITAN_OK) st = titan_arena_alloc(&a, wb, 4096, (void **)&w);
    if (st == TITAN_OK) st = titan_arena_alloc(&a, yb, 4096, (void **)&y);
    if (st == TITAN_OK) {
        fill_random(x, xb, &seed);
        fill_random(w, wb, &seed);
        double t0 = cli_now();
        st = titan_tpu_gemm(c, &a, x, w, y, g->M, g->K, g->N, k);
        g->wall = cli_now() - t0;
    }
    if (st == TITAN_OK) g->checksum = fnv1a(y, yb);
    cli_arena_destroy(&a);
    return st == TITAN_OK ? CLI_EXIT_OK : cli_fail(cmd, st);
}

int cmd_tpu(int argc, char **argv) {
    const char *cmd = argv[0], *gemm = NULL, *model = NULL;
    bool json = false, no_values = false;
    int64_t seed = 1, tokens = 64;
    tpu_cli t;
    tpu_cli_defaults(&t);
    enum { OWN_FLAGS = 6 }; /* the tpu flags follow these */
    cli_flag flags[OWN_FLAGS + TPU_CLI_NFLAGS] = {
        {"--gemm", FLAG_STR, &gemm, 0, 0, "M,K,N: Y[M][N] = X[M][K] W[N][K]^T"},
        {"-m|--model", FLAG_STR, &model, 0, 0, "artifact: one forward pass"},
        {"--tokens", FLAG_INT, &tokens, 1, 1 << 20, "tokens of that pass (default 64)"},
        {"--seed", FLAG_INT, &seed, 0, CLI_SEED_MAX, "operand seed (default 1)"},
        {"--no-values", FLAG_BOOL, &no_values, 0, 0, "counters only"},
        {"--json", FLAG_BOOL, &json, 0, 0, "one JSON object"},
    };
    tpu_cli_flags(&t, flags + OWN_FLAGS);
    int npos;
    int rc = cli_parse(argc, argv, USAGE, flags, NULL, 0, &npos);
    CLI_RETURN_IF_DONE(rc);
    titan_tpu_config c;
    rc = tpu_cli_config(cmd, &t, &c);
    if (rc) return rc;
    gemm_run g = {0};
    int64_t mkn[3];
    if (!gemm == !model)
        return cli_usage(cmd, "give exactly one of --gemm M,K,N and -m ART");
    if (model) return tpu_model_run(cmd, model, tokens, &c, json);
    if (!parse_mkn(gemm, mkn))
        return cli_usage(cmd, "--gemm '%s' is not M,K,N (positive integers)", gemm);
    g.M = mkn[0], g.K = mkn[1], g.N = mkn[2];
    titan_tpu_counters k = {0};
    titan_status st = titan_tpu_gemm_count(&c, g.M, g.K, g.N, &k);
    if (st != TITAN_OK) return cli_fail(cmd, st);
    if (!no_values) {
        memset(&k, 0, sizeof k);
        g.values = 1;
        rc = run_values(cmd, &c, &g, (uint64_t)seed, &k);
        if (rc) return rc;
    }
    if (json)
        print_json(&c, &g, &k);
    else
        print_text(&c, &g, &k);
    return CLI_EXIT_OK;
}
