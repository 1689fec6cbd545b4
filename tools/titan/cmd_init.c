/* cmd_init.c: `titan init (--preset NAME | --config CFG) [--seed S] -o ART
 * [--codec C] [--tokenizer TOK]`: an artifact with deterministic random f32 weights.
 *
 * Weights: one splitmix64 stream seeded with S fills the tensors in canonical
 * order (titan_config_tensors), row-major; normals come from Box-Muller
 * (u1 = ((x >> 11) + 1) / 2^53, u2 = (y >> 11) / 2^53, both outputs used).
 * Embeddings, matrices and heads ~ N(0, 0.02^2); norm gains are 1; depthwise
 * conv kernels ~ N(0, 0.02^2) too (small, so the gate starts near zero). */
#include "platform/file.h"
#include "tools/cli/cli.h"
#include "tools/titan/config_arg.h"
#include "tools/titan/commands.h"
#include "tools/titan/init_random.h"
#include "tools/titan/tok_io.h"

#include <stdlib.h>
#include <string.h>

/* Carve and fill every tensor of the config as f32. */
static titan_status make_tensors(titan_arena *a, const titan_config *c, uint64_t seed,
                                 titan_tensor *t, int *n) {
    titan_tensor_spec specs[TITAN_MAX_TENSORS];
    *n = titan_config_tensors(c, specs, TITAN_MAX_TENSORS);
    uint64_t state = seed;
    for (int i = 0; i < *n; i++) {
        size_t count = (size_t)(specs[i].rows * specs[i].cols);
        float *w;
        titan_status st =
            titan_arena_alloc(a, count * sizeof *w, TITAN_ALIGN, (void **)&w);
        if (st != TITAN_OK) return st;
        size_t len = strlen(specs[i].name);
        if (specs[i].role == TITAN_ROLE_NORM)
            for (size_t k = 0; k < count; k++) w[k] = 1.0f;
        else if (len > 7 && !strcmp(specs[i].name + len - 7, ".lora_B"))
            memset(w, 0, count * sizeof *w); /* SPEC 9: a fresh adapter changes nothing */
        else
            init_fill_normal(&state, w, count, 0.02f);
        t[i] = (titan_tensor){.dtype = TITAN_DT_F32,
                              .ndim = specs[i].ndim,
                              .rows = specs[i].rows,
                              .cols = specs[i].cols,
                              .data = w};
        memcpy(t[i].name, specs[i].name, sizeof t[i].name);
    }
    return TITAN_OK;
}

/* Refuse what the runtime could not hold: more than 2^36 parameters (their f32
 * bytes said) or more tensors than an artifact lists. Section-1 configs are
 * bounded by validation; xenith ones are valid for planning at any size. */
static int init_fits(const char *cmd, const titan_config *c) {
    int64_t params = titan_config_params(c);
    if (params > ((int64_t)1 << 36))
        return cli_fail(cmd, titan_fail(TITAN_E_DATA,
                                        "%lld parameters would need %.0f GB of f32 (at "
                                        "most 2^36 parameters; titan plan counts it)",
                                        (long long)params, (double)params * 4 / 1e9));
    int n = titan_config_tensors(c, NULL, 0);
    if (n > TITAN_MAX_TENSORS)
        return cli_fail(cmd, titan_fail(TITAN_E_UNSUPPORTED,
                                        "%d tensors, an artifact holds at most %d", n,
                                        TITAN_MAX_TENSORS));
    return CLI_EXIT_OK;
}

int cmd_init(int argc, char **argv) {
    const char *preset = NULL, *cfg_path = NULL, *out = NULL, *codec_name = "none",
               *tok_path = NULL;
    int64_t seed = 0;
    const cli_flag flags[] = {
        {"--preset", FLAG_STR, &preset, 0, 0, config_arg_presets()},
        {"--config", FLAG_STR, &cfg_path, 0, 0,
         "config JSON (any config; ready ones in tools/configs)"},
        {"--seed", FLAG_INT, &seed, 0, CLI_SEED_MAX, "PRNG seed (default 0)"},
        {CLI_OUT, FLAG_STR, &out, 0, 0, "artifact to write"},
        {"--codec", FLAG_STR, &codec_name, 0, 0,
         "none | lzma | xz | brotli (default none)"},
        {"--tokenizer", FLAG_STR, &tok_path, 0, 0,
         "TOK file (default the byte tokenizer)"},
    };
    char *pos[1];
    int npos;
    int rc = cli_parse(argc, argv,
                       "titan init (--preset NAME | --config CFG.json) "
                       "[--seed S] -o ART [--codec C] [--tokenizer TOK]\n"
                       "  random weights: for runs, benchmarks and size experiments\n"
                       "example: titan init --preset nano --seed 1 -o nano.tart",
                       flags, pos, 0, &npos);
    CLI_RETURN_IF_DONE(rc);
    if (!out) return cli_usage(argv[0], "-o ART is required");
    const char *outputs[] = {out};
    if ((rc = cli_outputs_check(argv[0], outputs, 1))) return rc;
    titan_config c;
    if ((rc = config_arg_load(argv[0], preset, cfg_path, &c))) return rc;
    titan_codec codec;
    titan_status st = titan_codec_from_name(codec_name, &codec);
    if (st != TITAN_OK) return cli_fail(argv[0], st);
    c.bos_id = TITAN_TOK_BOS;
    if ((rc = init_fits(argv[0], &c))) return rc;
    /* Weights, then the writer's raw data and file: three data sizes. */
    size_t data = (size_t)titan_config_params(&c) * 4 + TITAN_MAX_TENSORS * TITAN_ALIGN;
    titan_arena a;
    if (cli_arena_create(&a, 3 * data + (64u << 20)) != TITAN_OK) return CLI_EXIT_FAIL;
    titan_tensor *t = calloc(TITAN_MAX_TENSORS, sizeof *t);
    const uint8_t *tok = NULL;
    size_t tok_len = 0;
    uint64_t bytes = 0;
    int n = 0;
    st = t ? tok_io_file_or_bytes(&a, tok_path, &tok, &tok_len) : TITAN_E_NOMEM;
    if (st == TITAN_OK) st = make_tensors(&a, &c, (uint64_t)seed, t, &n);
    if (st == TITAN_OK)
        st = titan_artifact_write(&a, &c, tok, tok_len, t, n, codec, out, &bytes);
    free(t);
    cli_arena_destroy(&a);
    if (st != TITAN_OK) return cli_fail(argv[0], st);
    cli_wrote(false, out, "%llu bytes, %s %s, seed %lld, codec %s, %lld parameters",
              (unsigned long long)bytes, preset ? "preset" : "config",
              preset ? preset : cfg_path, (long long)seed, titan_codec_name(codec),
              (long long)titan_config_params(&c));
    return CLI_EXIT_OK;
}
