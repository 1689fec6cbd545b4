/* prequant.c: already-quantized input tensors (prequant.h). */
#include "quant/dtype.h"
#include "quant/quant.h"
#include "tools/titan/prequant.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const titan_st_tensor *find_part(const titan_safetensors *st, const char *prefix,
                                        const char *name, const char *part) {
    char full[TITAN_NAME_MAX + 16];
    snprintf(full, sizeof full, "%.4s%.*s%s", prefix, TITAN_NAME_MAX - 1, name, part);
    return titan_safetensors_find(st, full);
}

titan_status prequant_find(const titan_safetensors *st, const char *prefix,
                           const titan_tensor_spec *spec, prequant *pq, bool *found) {
    pq->q = find_part(st, prefix, spec->name, ".q");
    pq->scale = find_part(st, prefix, spec->name, ".scale");
    *found = pq->q || pq->scale;
    if (!*found) return TITAN_OK;
    if (!pq->q || !pq->scale)
        return titan_fail(TITAN_E_DATA, "tensor %s: %s.q and %s.scale go together",
                          spec->name, spec->name, spec->name);
    if (spec->ndim != 2 || pq->q->dtype != TITAN_DT_INT8 || pq->q->ndim != 2 ||
        pq->q->shape[0] != spec->rows || pq->q->shape[1] != spec->cols)
        return titan_fail(TITAN_E_DATA, "tensor %s.q: I8 [%lld, %lld] expected",
                          spec->name, (long long)spec->rows, (long long)spec->cols);
    if (pq->scale->dtype == TITAN_DT_INT8 || pq->scale->ndim != 1 ||
        pq->scale->shape[0] != spec->rows)
        return titan_fail(TITAN_E_DATA, "tensor %s.scale: one float per row expected",
                          spec->name);
    return TITAN_OK;
}

titan_status prequant_count(const titan_safetensors *st, const char *prefix,
                            const titan_tensor_spec *specs, int n, int *count) {
    *count = 0;
    for (int i = 0; i < n; i++) {
        prequant pq;
        bool found;
        TITAN_TRY(prequant_find(st, prefix, &specs[i], &pq, &found));
        *count += found;
    }
    return TITAN_OK;
}

/* The scales as float32, from the arena. */
static titan_status scales_f32(titan_arena *a, const prequant *pq, float **s) {
    size_t rows = (size_t)pq->scale->n_elems;
    TITAN_TRY(titan_arena_alloc(a, rows * sizeof **s, TITAN_ALIGN, (void **)s));
    TITAN_TRY(titan_safetensors_to_f32(pq->scale, *s, rows));
    for (size_t r = 0; r < rows; r++)
        if (!isfinite((*s)[r]))
            return titan_fail(TITAN_E_DATA, "%s: row %zu's scale is not finite",
                              pq->scale->name, r);
    return TITAN_OK;
}

titan_status prequant_dequant(titan_arena *a, const prequant *pq, float **f) {
    size_t rows = (size_t)pq->q->shape[0], cols = (size_t)pq->q->shape[1];
    float *s;
    TITAN_TRY(scales_f32(a, pq, &s));
    TITAN_TRY(titan_arena_alloc(a, rows * cols * sizeof **f, TITAN_ALIGN, (void **)f));
    TITAN_TRY(titan_safetensors_to_f32(pq->q, *f, rows * cols));
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) (*f)[r * cols + c] *= s[r];
    return TITAN_OK;
}

/* int6 when every integer fits its range [-32, 31], else int8. */
static titan_dtype smallest_type(const prequant *pq) {
    const int8_t *q = (const int8_t *)pq->q->data;
    for (uint64_t i = 0; i < pq->q->n_elems; i++)
        if (q[i] > 31 || q[i] < -32) return TITAN_DT_INT8;
    return TITAN_DT_INT6;
}

titan_status prequant_store(titan_arena *a, const prequant *pq, titan_tensor *t) {
    t->dtype = smallest_type(pq), t->group_size = 0;
    titan_tensor_layout_t l;
    TITAN_TRY(titan_tensor_layout(t->dtype, t->rows, t->cols, 0, &l));
    uint8_t *data;
    float *s;
    TITAN_TRY(titan_arena_alloc(a, l.value_bytes, TITAN_ALIGN, (void **)&data));
    TITAN_TRY(scales_f32(a, pq, &s));
    const int8_t *q = (const int8_t *)pq->q->data;
    for (int64_t r = 0; r < t->rows; r++) {
        uint8_t *row = data + (size_t)r * l.row_bytes;
        memset(row, 0, l.row_bytes);
        for (int64_t c = 0; c < t->cols; c++)
            titan_quant_store(t->dtype, row, c, q[r * t->cols + c]);
    }
    t->data = data, t->scales = s;
    return TITAN_OK;
}
