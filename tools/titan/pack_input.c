/* pack_input.c: a trainer checkpoint as pack input (read and validated by
 * formats/checkpoint.c). */
#include "formats/checkpoint.h"
#include "tools/titan/pack_input.h"

#include <stdio.h>

static titan_status fail_tensor(const char *name, const char *what) {
    return titan_fail(TITAN_E_DATA, "tensor %s: %s", name, what);
}

titan_status pack_input_from_ckpt(titan_arena *a, const char *path, const char *weights,
                                  pack_input *out) {
    titan_ckpt ck;
    TITAN_TRY(titan_ckpt_load(a, path, &ck));
    titan_ckpt_set k;
    TITAN_TRY(titan_ckpt_pick_weights(&ck, path, weights, &k));
    *out = (pack_input){
        ck.st, ck.meta.config, ck.meta.tok, ck.meta.tok_len, titan_ckpt_prefix(k), NULL,
        0};
    return TITAN_OK;
}

titan_status pack_input_f32(titan_arena *a, const pack_input *in,
                            const titan_tensor_spec *spec, float **f) {
    const titan_safetensors *st = &in->st;
    const char *prefix = in->prefix;
    char name[TITAN_NAME_MAX + 8]; /* prefix: "", "ema/" or "swa/" */
    snprintf(name, sizeof name, "%.4s%.*s", prefix, TITAN_NAME_MAX - 1, spec->name);
    const titan_st_tensor *s = titan_safetensors_find(st, name);
    if (!s) return fail_tensor(name, "missing from the input");
    int shape_ok = s->ndim == spec->ndim && s->shape[0] == spec->rows &&
                   (spec->ndim == 1 || s->shape[1] == spec->cols);
    if (!shape_ok) return fail_tensor(name, "shape differs from the config");
    size_t n = (size_t)(spec->rows * spec->cols);
    TITAN_TRY(titan_arena_alloc(a, n * sizeof **f, TITAN_ALIGN, (void **)f));
    return titan_safetensors_to_f32(s, *f, n);
}
