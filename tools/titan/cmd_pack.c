/* cmd_pack.c: `titan pack --safetensors IN --config CFG.json --tokenizer TOK
 * -o ART [--quant f32|bf16] [--codec none|lzma|xz|brotli] [--budget BYTES]`.
 * Every tensor the config names must be in IN with its SPEC shape (1-D as
 * [n], 2-D as [rows, cols]); IN may hold nothing else. f32 keeps the values
 * bit for bit; bf16 rounds to nearest even. Quantized types and --ckpt come
 * with the quantization issue and are refused here. */
#include "core/status.h"
#include "platform/file.h"
#include "quant/half.h"
#include "tools/cli/cli.h"
#include "tools/titan/commands.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *st_path, *cfg_path, *tok_path, *out;
    titan_dtype dtype;
    titan_codec codec;
    int64_t budget;
} pack_args;

static titan_status fail_tensor(const char *name, const char *what) {
    return titan_fail(TITAN_E_DATA, "tensor %s: %s", name, what);
}

/* One tensor of the config from the safetensors file, in the target type. */
static titan_status take_tensor(titan_arena *a, const titan_safetensors *st,
                                const titan_tensor_spec *spec, titan_dtype dtype,
                                titan_tensor *t) {
    const titan_st_tensor *s = titan_safetensors_find(st, spec->name);
    if (!s) return fail_tensor(spec->name, "missing from the safetensors file");
    int shape_ok = s->ndim == spec->ndim && s->shape[0] == spec->rows &&
                   (spec->ndim == 1 || s->shape[1] == spec->cols);
    if (!shape_ok) return fail_tensor(spec->name, "shape differs from the config");
    size_t n = (size_t)(spec->rows * spec->cols);
    float *f;
    titan_status r = titan_arena_alloc(a, n * sizeof *f, TITAN_ALIGN, (void **)&f);
    if (r == TITAN_OK) r = titan_safetensors_to_f32(s, f, n);
    if (r != TITAN_OK) return r;
    *t = (titan_tensor){.dtype = dtype, .ndim = spec->ndim, .rows = spec->rows,
                        .cols = spec->cols, .data = f};
    memcpy(t->name, spec->name, sizeof t->name);
    if (dtype == TITAN_DT_BF16) { /* in place: bf16 needs half the room */
        uint16_t *h = (uint16_t *)f;
        for (size_t k = 0; k < n; k++) h[k] = titan_f32_to_bf16(f[k]);
    }
    return TITAN_OK;
}

static titan_status read_inputs(titan_arena *a, const pack_args *p,
                                titan_safetensors *st, titan_config *c,
                                uint8_t **tok, size_t *tok_len) {
    uint8_t *file, *cfg;
    size_t len, cfg_len;
    titan_status r = titan_file_read(a, p->st_path, SIZE_MAX / 4, &file, &len);
    if (r == TITAN_OK) r = titan_safetensors_parse(a, file, len, st);
    if (r == TITAN_OK) r = titan_file_read(a, p->cfg_path, 1 << 20, &cfg, &cfg_len);
    if (r == TITAN_OK) r = titan_config_from_json(a, (const char *)cfg, cfg_len, c);
    if (r == TITAN_OK)
        r = titan_file_read(a, p->tok_path,
                            titan_tokenizer_serialized_size(TITAN_TOK_MAX - 257), tok,
                            tok_len);
    return r;
}

static titan_status pack(titan_arena *a, const pack_args *p, titan_tensor *t,
                         uint64_t *bytes) {
    titan_safetensors st;
    titan_config c;
    uint8_t *tok;
    size_t tok_len;
    TITAN_TRY(read_inputs(a, p, &st, &c, &tok, &tok_len));
    titan_tensor_spec specs[TITAN_MAX_TENSORS];
    int n = titan_config_tensors(&c, specs, TITAN_MAX_TENSORS);
    if (st.n_tensors != n)
        return titan_fail(TITAN_E_DATA, "%s has %d tensors, the config names %d",
                          p->st_path, st.n_tensors, n);
    for (int i = 0; i < n; i++)
        TITAN_TRY(take_tensor(a, &st, &specs[i], p->dtype, &t[i]));
    return titan_artifact_write(a, &c, tok, tok_len, t, n, p->codec, p->out, bytes);
}

/* Flags of later issues, refused by name rather than as unknown options. */
static int refuse_later(const char *cmd, const char *quant, const char *later) {
    if (later)
        return cli_usage(cmd, "%s is not supported yet (quantization issue)", later);
    return cli_usage(cmd, "--quant %s is not supported yet: f32 or bf16 "
                          "(int8/int6/mixed come with the quantization issue)",
                     quant);
}

static int parse_args(int argc, char **argv, pack_args *p) {
    const char *quant = "f32", *codec = "none", *ckpt = NULL, *method = NULL,
               *calib = NULL;
    const cli_flag flags[] = {
        {"--safetensors", FLAG_STR, &p->st_path, 0, 0, "weights (F32/F16/BF16)"},
        {"--config", FLAG_STR, &p->cfg_path, 0, 0, "config JSON (SPEC section 1 keys)"},
        {"--tokenizer", FLAG_STR, &p->tok_path, 0, 0, "TOK file"},
        {"-o|--output", FLAG_STR, &p->out, 0, 0, "artifact to write"},
        {"--quant", FLAG_STR, &quant, 0, 0, "f32 | bf16 (default f32)"},
        {"--codec", FLAG_STR, &codec, 0, 0, "none | lzma | xz | brotli (default none)"},
        {"--budget", FLAG_INT, &p->budget, 0, 9.2e18, "fail if the file exceeds BYTES"},
        {"--ckpt", FLAG_STR, &ckpt, 0, 0, "(later) trainer checkpoint"},
        {"--method", FLAG_STR, &method, 0, 0, "(later) rtn | gptq"},
        {"--calib", FLAG_STR, &calib, 0, 0, "(later) calibration text"},
    };
    char *pos[1];
    int npos;
    int rc = cli_parse(argc, argv, "titan pack --safetensors IN --config CFG.json "
                       "--tokenizer TOK -o ART [--quant f32|bf16] [--codec C] "
                       "[--budget BYTES]", flags, 10, pos, 0, &npos);
    if (rc) return rc;
    if (ckpt || method || calib)
        return refuse_later(argv[0], quant, ckpt ? "--ckpt" : method ? "--method" : "--calib");
    if (!strcmp(quant, "f32")) p->dtype = TITAN_DT_F32;
    else if (!strcmp(quant, "bf16")) p->dtype = TITAN_DT_BF16;
    else return refuse_later(argv[0], quant, NULL);
    if (titan_codec_from_name(codec, &p->codec) != TITAN_OK)
        return cli_fail(argv[0], TITAN_E_USAGE);
    if (!p->st_path || !p->cfg_path || !p->tok_path || !p->out)
        return cli_usage(argv[0], "--safetensors, --config, --tokenizer and -o are required");
    return CLI_EXIT_OK;
}

int cmd_pack(int argc, char **argv) {
    pack_args p = {.budget = -1};
    int rc = parse_args(argc, argv, &p);
    if (rc) return rc < 0 ? CLI_EXIT_OK : rc;
    size_t in_bytes;
    titan_status st = titan_file_size(p.st_path, &in_bytes);
    if (st != TITAN_OK) return cli_fail(argv[0], st);
    /* Input file, float32 copies (2x for half inputs), the writer's raw data
     * and file: at most 8x the input, in pages mostly never touched. */
    titan_arena a;
    if (in_bytes > SIZE_MAX / 16 ||
        cli_arena_create(&a, 8 * in_bytes + (64u << 20)) != TITAN_OK)
        return CLI_EXIT_FAIL;
    titan_tensor *t = calloc(TITAN_MAX_TENSORS, sizeof *t);
    uint64_t bytes = 0;
    st = t ? pack(&a, &p, t, &bytes) : TITAN_E_NOMEM;
    free(t);
    cli_arena_destroy(&a);
    if (st != TITAN_OK) return cli_fail(argv[0], st);
    printf("wrote %s: %llu bytes (%s, codec %s)\n", p.out, (unsigned long long)bytes,
           titan_dtype_name(p.dtype), titan_codec_name(p.codec));
    if (p.budget >= 0 && bytes > (uint64_t)p.budget) {
        fprintf(stderr, "titan pack: %s is %llu bytes, over the budget of %lld\n",
                p.out, (unsigned long long)bytes, (long long)p.budget);
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}
