/* cmd_export.c: `titan export ART --safetensors OUT`: every tensor as float32
 * under its SPEC name (quantized and half types converted), 1-D tensors with
 * shape [n], 2-D with [rows, cols]. */
#include "platform/file.h"
#include "tools/cli/cli.h"
#include "tools/titan/artifact_open.h"
#include "tools/titan/commands.h"

#include <stdlib.h>

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

static titan_status export_tensors(const titan_artifact *art, const char *out) {
    size_t bytes = TITAN_ALIGN;
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
    st = dequantize_all(&a, art, src);
    if (st == TITAN_OK)
        st = titan_safetensors_write(src, art->n_tensors, NULL, 0, NULL, 0, &len);
    if (st == TITAN_OK && !(file = malloc(len))) st = TITAN_E_NOMEM;
    if (st == TITAN_OK)
        st = titan_safetensors_write(src, art->n_tensors, NULL, 0, file, len, &len);
    if (st == TITAN_OK) st = titan_file_write_atomic(out, file, len);
    free(file);
    free(src);
    cli_arena_destroy(&a);
    return st;
}

int cmd_export(int argc, char **argv) {
    const char *out = NULL;
    const cli_flag flags[] = {
        {"--safetensors", FLAG_STR, &out, 0, 0, "float32 safetensors file to write"},
    };
    char *pos[1];
    int npos;
    int rc =
        cli_parse(argc, argv, "titan export ART --safetensors OUT", flags, pos, 1, &npos);
    CLI_RETURN_IF_DONE(rc);
    if (npos != 1 || !out)
        return cli_usage(argv[0], "give one artifact and --safetensors OUT");
    titan_arena a;
    titan_artifact art;
    titan_status st = artifact_open(pos[0], 0, &a, &art);
    if (st != TITAN_OK) return cli_fail(argv[0], st);
    st = export_tensors(&art, out);
    cli_arena_destroy(&a);
    if (st != TITAN_OK) return cli_fail(argv[0], st);
    printf("wrote %s: %d float32 tensors\n", out, art.n_tensors);
    return CLI_EXIT_OK;
}
