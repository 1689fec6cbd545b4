/* cmd_init.c: `titan init (--preset NAME | --config CFG) [--seed S] -o ART
 * [--codec C] [--tokenizer TOK] [--config-out CFG]`: an artifact with
 * deterministic random f32 weights, and/or the config as JSON.
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

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void fill_normal(uint64_t *s, float *w, size_t n, float std) {
    for (size_t i = 0; i < n; i += 2) {
        double u1 = ((splitmix64(s) >> 11) + 1) * 0x1p-53;
        double u2 = (splitmix64(s) >> 11) * 0x1p-53;
        double r = sqrt(-2 * log(u1)), t = 2 * M_PI * u2;
        w[i] = (float)(std * r * cos(t));
        if (i + 1 < n) w[i + 1] = (float)(std * r * sin(t));
    }
}

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
        if (specs[i].role == TITAN_ROLE_NORM)
            for (size_t k = 0; k < count; k++) w[k] = 1.0f;
        else
            fill_normal(&state, w, count, 0.02f);
        t[i] = (titan_tensor){.dtype = TITAN_DT_F32,
                              .ndim = specs[i].ndim,
                              .rows = specs[i].rows,
                              .cols = specs[i].cols,
                              .data = w};
        memcpy(t[i].name, specs[i].name, sizeof t[i].name);
    }
    return TITAN_OK;
}

/* The tokenizer: a TOK file, or the plain 257-token byte tokenizer. */
static titan_status get_tokenizer(titan_arena *a, const char *path, uint8_t **tok,
                                  size_t *len) {
    if (path)
        return titan_file_read(
            a, path, titan_tokenizer_serialized_size(TITAN_TOK_MAX - 257), tok, len);
    size_t cap = titan_tokenizer_serialized_size(0);
    titan_status st = titan_arena_alloc(a, cap, TITAN_ALIGN, (void **)tok);
    if (st != TITAN_OK) return st;
    return titan_tokenizer_serialize(NULL, NULL, 0, *tok, cap, len);
}

/* The config as one line of JSON (as checkpoints hold it; tools/data/golf/). */
static titan_status write_config(const titan_config *c, const char *path) {
    char json[8192];
    size_t len;
    titan_status st = titan_config_to_json(c, json, sizeof json, &len);
    return st == TITAN_OK ? titan_file_write_atomic(path, json, len) : st;
}

int cmd_init(int argc, char **argv) {
    const char *preset = NULL, *cfg_path = NULL, *out = NULL, *codec_name = "none",
               *tok_path = NULL, *config_out = NULL;
    int64_t seed = 0;
    const cli_flag flags[] = {
        {"--preset", FLAG_STR, &preset, 0, 0, config_arg_presets()},
        {"--config", FLAG_STR, &cfg_path, 0, 0, "config JSON (any config)"},
        {"--seed", FLAG_INT, &seed, 0, 9007199254740991.0, "PRNG seed (default 0)"},
        {"-o|--output", FLAG_STR, &out, 0, 0, "artifact to write"},
        {"--codec", FLAG_STR, &codec_name, 0, 0,
         "none | lzma | xz | brotli (default none)"},
        {"--tokenizer", FLAG_STR, &tok_path, 0, 0, "TOK file (default: byte tokenizer)"},
        {"--config-out", FLAG_STR, &config_out, 0, 0,
         "write the config JSON here (-o may then be left out)"},
    };
    char *pos[1];
    int npos;
    int rc = cli_parse(argc, argv,
                       "titan init (--preset NAME | --config CFG.json) "
                       "[--seed S] (-o ART | --config-out CFG.json) [--codec C] "
                       "[--tokenizer TOK]",
                       flags, pos, 0, &npos);
    CLI_RETURN_IF_DONE(rc);
    if (!out && !config_out) return cli_usage(argv[0], "give -o ART or --config-out CFG");
    titan_config c;
    if ((rc = config_arg_load(argv[0], preset, cfg_path, &c))) return rc;
    titan_codec codec;
    titan_status st = titan_codec_from_name(codec_name, &codec);
    if (st != TITAN_OK) return cli_fail(argv[0], st);
    c.bos_id = TITAN_TOK_BOS;
    if (config_out && (st = write_config(&c, config_out)) != TITAN_OK)
        return cli_fail(argv[0], st);
    if (!out) return CLI_EXIT_OK;
    /* Weights, then the writer's raw data and file: three data sizes. */
    size_t data = (size_t)titan_config_params(&c) * 4 + TITAN_MAX_TENSORS * TITAN_ALIGN;
    titan_arena a;
    if (cli_arena_create(&a, 3 * data + (64u << 20)) != TITAN_OK) return CLI_EXIT_FAIL;
    titan_tensor *t = calloc(TITAN_MAX_TENSORS, sizeof *t);
    uint8_t *tok = NULL;
    size_t tok_len = 0;
    uint64_t bytes = 0;
    int n = 0;
    st = t ? get_tokenizer(&a, tok_path, &tok, &tok_len) : TITAN_E_NOMEM;
    if (st == TITAN_OK) st = make_tensors(&a, &c, (uint64_t)seed, t, &n);
    if (st == TITAN_OK)
        st = titan_artifact_write(&a, &c, tok, tok_len, t, n, codec, out, &bytes);
    free(t);
    cli_arena_destroy(&a);
    if (st != TITAN_OK) return cli_fail(argv[0], st);
    printf("wrote %s: %llu bytes, %s %s, seed %lld, codec %s, %lld parameters\n", out,
           (unsigned long long)bytes, preset ? "preset" : "config",
           preset ? preset : cfg_path, (long long)seed, titan_codec_name(codec),
           (long long)titan_config_params(&c));
    return CLI_EXIT_OK;
}
