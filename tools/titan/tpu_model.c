/* tpu_model.c: a whole model's forward pass on the systolic-array emulator
 * (see tpu_model.h). The artifact has its own arena; the model, sequence and
 * backend a second one sized from the loaded config. */
#include "tools/titan/tpu_model.h"
#include "platform/backend.h"
#include "tools/titan/backend_select.h"
#include "tools/titan/artifact_open.h"
#include "tools/titan/tpu_report.h"

#include <inttypes.h>

/* Bytes for the backend, the model with one sequence, and V logits. */
static titan_status plan_bytes(const titan_tpu_config *c, const titan_config *mc, int T,
                               size_t *bytes) {
    backend_choice choice = {.name = "tpu", .tpu = c};
    size_t be = 0, model = 0;
    titan_status st = backend_plan(&choice, mc, T, &be);
    if (st == TITAN_OK) st = titan_model_plan(mc, T, T, &model);
    /* + alignment slack: the model's plan assumes an aligned start. */
    *bytes = be + model + (size_t)mc->vocab_size * 4 + 4 * TITAN_ALIGN;
    return st;
}

static titan_status forward(const titan_artifact *art, titan_arena *a, titan_backend *be,
                            int T) {
    const titan_config *mc = &art->config;
    titan_model *m;
    titan_seq *s;
    int32_t *ids;
    float *logits;
    titan_status st =
        titan_model_create(a, mc, art->tensors, art->n_tensors, T, T, be, &m);
    if (st == TITAN_OK) st = titan_seq_create(a, m, &s);
    if (st == TITAN_OK)
        st = titan_arena_alloc(a, (size_t)mc->vocab_size * 4, TITAN_ALIGN,
                               (void **)&logits);
    if (st == TITAN_OK)
        st = titan_arena_alloc(a, (size_t)T * 4, TITAN_ALIGN, (void **)&ids);
    if (st != TITAN_OK) return st;
    uint64_t x = 0x9E3779B97F4A7C15ull;
    ids[0] = mc->bos_id;
    for (int t = 1; t < T; t++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        ids[t] = (int32_t)((x >> 33) % (uint64_t)mc->vocab_size);
    }
    st = titan_model_forward(m, s, ids, T);
    if (st == TITAN_OK) st = titan_model_logits(m, 1, T - 1, 1, logits);
    return st;
}

/* The forward on a backend carved from run_arena; prints the report. */
static titan_status simulate(const char *path, const titan_artifact *art,
                             titan_arena *run_arena, int64_t tokens,
                             const titan_tpu_config *c, bool json) {
    size_t bytes;
    backend_choice choice = {.name = "tpu", .tpu = c};
    titan_backend *be = NULL;
    TITAN_TRY(plan_bytes(c, &art->config, (int)tokens, &bytes));
    TITAN_TRY(cli_arena_create(run_arena, bytes));
    titan_status st = backend_create(run_arena, &choice, &art->config, (int)tokens, &be);
    double t0 = cli_now();
    if (st == TITAN_OK) st = forward(art, run_arena, be, (int)tokens);
    double wall = cli_now() - t0;
    if (st == TITAN_OK && json) {
        printf("{\"tokens\": %" PRId64 ", \"sim_seconds\": %.6f, \"tpu\": ", tokens,
               wall);
        tpu_report_json(stdout, c, be);
        printf("}\n");
    } else if (st == TITAN_OK) {
        printf("%s: forward of %" PRId64 " tokens (%.3f s simulated)\n", path, tokens,
               wall);
        tpu_report_text(stdout, c, be);
    }
    titan_backend_destroy(be);
    return st;
}

int tpu_model_run(const char *cmd, const char *path, int64_t tokens,
                  const titan_tpu_config *c, bool json) {
    titan_arena art_arena, run_arena = {0};
    titan_artifact art;
    titan_status st = artifact_open(path, 0, &art_arena, &art);
    if (st != TITAN_OK) return cli_fail(cmd, st);
    int rc = CLI_EXIT_OK;
    if (tokens > art.config.max_seq_len)
        rc = cli_usage(cmd, "--tokens %lld exceeds max_seq_len %d", (long long)tokens,
                       art.config.max_seq_len);
    else if ((st = simulate(path, &art, &run_arena, tokens, c, json)) != TITAN_OK)
        rc = cli_fail(cmd, st);
    cli_arena_destroy(&run_arena);
    cli_arena_destroy(&art_arena);
    return rc;
}
