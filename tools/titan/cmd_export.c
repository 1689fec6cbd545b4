/* cmd_export.c: `titan export ART --safetensors OUT`: every tensor as float32
 * under its SPEC name (quantized and half types converted), 1-D tensors with
 * shape [n], 2-D with [rows, cols]; beside it the config JSON and the
 * tokenizer, so that `titan pack --safetensors OUT --config CFG --tokenizer
 * TOK` (and `titan init --config CFG`) take them back: W.safetensors gives
 * W.config.json and W.tok unless --config-out / --tokenizer-out name others.
 * --merge-lora writes a xenith model's merged weights and config (SPEC
 * section 9, Merge; lora_merge.h). */
#include "platform/file.h"
#include "tools/cli/cli.h"
#include "tools/titan/artifact_open.h"
#include "tools/titan/commands.h"
#include "tools/titan/lora_merge.h"

#include <stdlib.h>
#include <string.h>

/* Float32 copies of every tensor, carved from `a`, described in src[]. */
static titan_status dequantize_all(titan_arena *a, const titan_artifact *art,
                                   titan_st_source *src) {
    for (int i = 0; i < art->n_tensors; i++) {
        const titan_tensor *t = &art->tensors[i];
        float *f;
        titan_status st = titan_arena_alloc(a, (size_t)(t->rows * t->cols) * sizeof *f,
                                            TITAN_ALIGN, (void **)&f);
        for (int64_t r = 0; st == TITAN_OK && r < t->rows; r++)
            st = titan_tensor_row_f32(t, r, f + r * t->cols);
        if (st != TITAN_OK) return st;
        src[i] = (titan_st_source){.name = t->name,
                                   .dtype = TITAN_DT_F32,
                                   .ndim = t->ndim,
                                   .shape = {t->rows, t->cols},
                                   .data = f};
    }
    return TITAN_OK;
}

typedef struct {
    const titan_st_source *src;
    int n;
} export_view;

/* lora_merge_read over the float32 copies: the adapter in place. */
static titan_status read_adapter(void *user, titan_arena *a,
                                 const titan_tensor_spec *spec, const float **f) {
    const export_view *v = user;
    (void)a;
    for (int i = 0; i < v->n; i++) {
        const titan_st_source *s = &v->src[i];
        if (strcmp(s->name, spec->name)) continue;
        if (s->shape[0] != spec->rows || (s->ndim == 2 && s->shape[1] != spec->cols))
            break;
        *f = s->data;
        return TITAN_OK;
    }
    return titan_fail(TITAN_E_DATA, "--merge-lora: no adapter %s [%lld, %lld]",
                      spec->name, (long long)spec->rows, (long long)spec->cols);
}

/* Folds the adapters of src[0..*n) into their weights, then keeps only the
 * tensors of the merged config (in order). */
static titan_status merge(titan_arena *a, const titan_config *c, titan_st_source *src,
                          int *n) {
    titan_tensor *f;
    TITAN_TRY(titan_arena_alloc(a, (size_t)*n * sizeof *f, TITAN_ALIGN, (void **)&f));
    for (int i = 0; i < *n; i++) {
        f[i] = (titan_tensor){.dtype = TITAN_DT_F32,
                              .ndim = src[i].ndim,
                              .rows = src[i].shape[0],
                              .cols = src[i].ndim == 2 ? src[i].shape[1] : 1,
                              .data = (void *)src[i].data};
        snprintf(f[i].name, sizeof f[i].name, "%s", src[i].name);
    }
    export_view v = {src, *n};
    TITAN_TRY(lora_merge(a, c, f, *n, read_adapter, &v));
    titan_config m = lora_merge_config(c);
    titan_tensor_spec specs[TITAN_MAX_TENSORS];
    int n_out = titan_config_tensors(&m, specs, TITAN_MAX_TENSORS), k = 0;
    for (int i = 0; i < *n && k < n_out; i++)
        if (!strcmp(src[i].name, specs[k].name)) src[k++] = src[i];
    if (k != n_out)
        return titan_fail(TITAN_E_DATA, "--merge-lora: %d of the %d merged tensors found",
                          k, n_out);
    *n = k;
    return TITAN_OK;
}

static titan_status export_tensors(const titan_artifact *art, bool merge_lora,
                                   const char *out) {
    size_t bytes =
        TITAN_ALIGN + (size_t)art->n_tensors * sizeof(titan_tensor) + TITAN_ALIGN;
    for (int i = 0; i < art->n_tensors; i++)
        bytes += (size_t)(art->tensors[i].rows * art->tensors[i].cols) * 4 + TITAN_ALIGN;
    titan_st_source *src = calloc((size_t)art->n_tensors, sizeof *src);
    titan_arena a;
    titan_status st = src ? cli_arena_create(&a, bytes) : TITAN_E_NOMEM;
    if (st != TITAN_OK) {
        free(src);
        return st;
    }
    size_t len = 0;
    uint8_t *file = NULL;
    int n = art->n_tensors;
    st = dequantize_all(&a, art, src);
    if (st == TITAN_OK && merge_lora) st = merge(&a, &art->config, src, &n);
    if (st == TITAN_OK) st = titan_safetensors_write(src, n, NULL, 0, NULL, 0, &len);
    if (st == TITAN_OK && !(file = malloc(len))) st = TITAN_E_NOMEM;
    if (st == TITAN_OK) st = titan_safetensors_write(src, n, NULL, 0, file, len, &len);
    if (st == TITAN_OK) st = titan_file_write_atomic(out, file, len);
    free(file);
    free(src);
    cli_arena_destroy(&a);
    return st;
}

/* base + ext, where base is out without a .safetensors or .st ending. */
static void beside(const char *out, const char *ext, char *buf, size_t cap) {
    size_t n = strlen(out);
    static const char *const ends[] = {".safetensors", ".st"};
    for (int i = 0; i < 2; i++) {
        size_t k = strlen(ends[i]);
        if (n > k && !strcmp(out + n - k, ends[i])) {
            n -= k;
            break;
        }
    }
    snprintf(buf, cap, "%.*s%s", (int)n, out, ext);
}

static const char usage[] =
    "titan export (ART | -m ART) --safetensors OUT [--config-out CFG.json] "
    "[--tokenizer-out TOK] [--merge-lora]\n"
    "  OUT: float32 tensors under their SPEC names; the config JSON and the\n"
    "  tokenizer go beside it (W.safetensors: W.config.json, W.tok) unless named;\n"
    "  --merge-lora: a xenith model's adapters folded in (X + s B A, lora_rank 0)\n"
    "example: titan export model.tart --safetensors w.safetensors && titan pack "
    "--safetensors w.safetensors --config w.config.json --tokenizer w.tok -o again.tart";

int cmd_export(int argc, char **argv) {
    const char *out = NULL, *model = NULL, *cfg_out = NULL, *tok_out = NULL;
    bool merge_lora = false;
    const cli_flag flags[] = {
        {"-m|--model", FLAG_STR, &model, 0, 0, "artifact (or give it first)"},
        {"--safetensors|" CLI_OUT, FLAG_STR, &out, 0, 0,
         "float32 safetensors file to write"},
        {"--config-out", FLAG_STR, &cfg_out, 0, 0,
         "config JSON (default OUT's name.config.json)"},
        {"--tokenizer-out", FLAG_STR, &tok_out, 0, 0,
         "tokenizer TOK file (default OUT's name.tok)"},
        {"--merge-lora", FLAG_BOOL, &merge_lora, 0, 0,
         "fold a xenith model's LoRA adapters into their weights (lora_rank 0)"},
    };
    char *pos[1], cfg_buf[4096], tok_buf[4096];
    int npos;
    int rc = cli_parse(argc, argv, usage, flags, pos, 1, &npos);
    CLI_RETURN_IF_DONE(rc);
    if (npos + !!model != 1 || !out)
        return cli_usage(argv[0], "give one artifact and --safetensors OUT");
    if (!model) model = pos[0];
    if (!cfg_out) beside(out, ".config.json", cfg_buf, sizeof cfg_buf), cfg_out = cfg_buf;
    if (!tok_out) beside(out, ".tok", tok_buf, sizeof tok_buf), tok_out = tok_buf;
    const char *outputs[] = {out, cfg_out, tok_out};
    if ((rc = cli_outputs_check(argv[0], outputs, 3))) return rc;
    titan_arena a;
    titan_artifact art;
    titan_status st = artifact_open(model, 0, &a, &art);
    if (st != TITAN_OK) return cli_fail(argv[0], st);
    bool noop = false;
    if (merge_lora) st = lora_merge_check(&art.config, model, &noop);
    if (st == TITAN_OK && noop)
        fprintf(stderr, "titan export: --merge-lora: lora_rank is 0, nothing to merge; "
                        "weights exported as they are\n");
    titan_config cfg = merge_lora ? lora_merge_config(&art.config) : art.config;
    bool merged = merge_lora && !noop;
    int n_out = merged ? titan_config_tensors(&cfg, NULL, 0) : art.n_tensors;
    if (st == TITAN_OK) st = export_tensors(&art, merged, out);
    if (st == TITAN_OK) st = cli_config_write(cfg_out, &cfg);
    if (st == TITAN_OK)
        st = titan_file_write_atomic(tok_out, art.tokenizer_blob, art.tokenizer_blob_len);
    int n_tok = titan_tokenizer_size(art.tokenizer);
    cli_arena_destroy(&a);
    if (st != TITAN_OK) return cli_fail(argv[0], st);
    cli_wrote(false, out, "%d float32 tensors%s", n_out,
              merged ? ", adapters merged" : "");
    cli_wrote(false, cfg_out, "config JSON");
    cli_wrote(false, tok_out, "tokenizer, %d tokens", n_tok);
    return CLI_EXIT_OK;
}
