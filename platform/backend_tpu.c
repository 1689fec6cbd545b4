/* backend_tpu.c: the "tpu" backend of platform/backend.h. A matmul runs on
 * the systolic-array emulator: x rows are quantized to int8 with one scale
 * each, weight rows are int8 with one scale each (stored int8 and int6b rows
 * used as they are, bit-packed int6 values placed in int8 lanes, anything
 * else dequantized and requantized per row on each call), the array sums
 * exactly in int32 and the
 * vector unit dequantizes: y[t][n] = acc[t][n] * xs[t] * ws[n] in float.
 * Counters add up per call, in total and per weight tensor name. One array:
 * calls from several threads take turns (a mutex), as on one device. */
#include "platform/backend.h"
#include "platform/matmul.h"
#include "quant/quant.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    pthread_mutex_t lock; /* one call on the array at a time */
    titan_tpu_config cfg;
    int max_T;
    int64_t max_rows, max_cols;
    int8_t *xq;       /* [max_T][max_cols] quantized activations */
    float *xs;        /* [max_T] their scales */
    int8_t *wq;       /* [max_rows][max_cols] weights converted for this call */
    float *ws;        /* [max_rows] weight row scales */
    float *row;       /* [max_cols] one dequantized weight row */
    int32_t *acc;     /* [max_T][max_rows] array results */
    titan_arena regs; /* CYCLE mode: the PE registers */
    titan_tpu_counters total;
    titan_tpu_layer layers[TITAN_MAX_TENSORS];
    int n_layers;
} tpu_state;

static titan_tpu_layer *layer_of(tpu_state *s, const char *name) {
    for (int i = 0; i < s->n_layers; i++)
        if (!strcmp(s->layers[i].name, name)) return &s->layers[i];
    if (s->n_layers == TITAN_MAX_TENSORS) return NULL;
    titan_tpu_layer *l = &s->layers[s->n_layers++];
    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, "%s", name);
    return l;
}

/* Weight rows as int8 + one scale per row; returns the int8 data to use. */
static const int8_t *weights_i8(tpu_state *s, const titan_tensor *w) {
    const int64_t N = w->rows, K = w->cols;
    if ((w->dtype == TITAN_DT_INT8 || w->dtype == TITAN_DT_INT6_BYTE) && !w->group_size) {
        memcpy(s->ws, w->scales, (size_t)N * sizeof(float));
        return w->data;
    }
    for (int64_t n = 0; n < N; n++) {
        int8_t *dst = s->wq + n * K;
        if (w->dtype == TITAN_DT_INT6 && !w->group_size) {
            const uint8_t *src =
                (const uint8_t *)w->data + (size_t)n * titan_dtype_row_bytes(w->dtype, K);
            for (int64_t k = 0; k < K; k++) dst[k] = (int8_t)titan_int6_get(src, k);
            s->ws[n] = w->scales[n];
        } else {
            titan_dequant_row(w, n, 0, K, s->row);
            titan_tpu_quantize_row(s->row, K, dst, &s->ws[n]);
        }
    }
    return s->wq;
}

static void refuse(tpu_state *s, titan_tpu_layer *l, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = NAN;
    s->total.refused++;
    if (l) l->k.refused++;
}

static void matmul_locked(tpu_state *s, const titan_tensor *w, const float *x, float *y,
                          int T) {
    const int64_t N = w->rows, K = w->cols;
    titan_tpu_layer *l = layer_of(s, w->name);
    if (T < 1 || T > s->max_T || N > s->max_rows || K > s->max_cols) {
        refuse(s, l, y, (size_t)(T > 0 ? T : 0) * (size_t)N);
        return;
    }
    for (int t = 0; t < T; t++)
        titan_tpu_quantize_row(x + (size_t)t * K, K, s->xq + (size_t)t * K, &s->xs[t]);
    const int8_t *wq = weights_i8(s, w);
    titan_tpu_counters k = {0};
    if (titan_tpu_gemm(&s->cfg, &s->regs, s->xq, wq, s->acc, T, K, N, &k) != TITAN_OK) {
        refuse(s, l, y, (size_t)T * (size_t)N);
        return;
    }
    for (int t = 0; t < T; t++)
        for (int64_t n = 0; n < N; n++)
            y[(size_t)t * N + n] =
                (float)s->acc[(size_t)t * N + n] * (s->xs[t] * s->ws[n]);
    titan_tpu_counters_add(&s->total, &k);
    if (l) titan_tpu_counters_add(&l->k, &k);
}

static void tpu_matmul(titan_backend *be, const titan_tensor *w, const float *x, float *y,
                       int T) {
    tpu_state *s = be->state;
    pthread_mutex_lock(&s->lock);
    matmul_locked(s, w, x, y, T);
    pthread_mutex_unlock(&s->lock);
}

static void tpu_destroy(titan_backend *be) {
    if (be->state) pthread_mutex_destroy(&((tpu_state *)be->state)->lock);
}

titan_status titan_tpu_backend_init(titan_backend *be, titan_arena *a,
                                    const titan_tpu_config *c, int max_T,
                                    int64_t max_rows, int64_t max_cols) {
    if (!be || !a) return titan_fail(TITAN_E_USAGE, "tpu backend: NULL");
    TITAN_TRY(titan_tpu_config_check(c));
    if (max_T < 1 || max_rows < 1 || max_rows > TITAN_TPU_MAX_MN || max_cols < 1 ||
        max_cols > TITAN_TPU_MAX_K)
        return titan_fail(TITAN_E_USAGE,
                          "tpu backend: sizes T=%d rows=%lld cols=%lld outside "
                          "[1, %d] x [1, %d] x [1, %d]",
                          max_T, (long long)max_rows, (long long)max_cols,
                          TITAN_TPU_MAX_MN, TITAN_TPU_MAX_MN, TITAN_TPU_MAX_K);
    size_t T = (size_t)max_T, R = (size_t)max_rows, C = (size_t)max_cols;
    if (R > SIZE_MAX / C / 4 || T > SIZE_MAX / C || T > SIZE_MAX / R / 4)
        return titan_fail(TITAN_E_NOMEM, "tpu backend: sizes overflow");
    tpu_state *s;
    void *xq, *xs, *wq, *ws, *row, *acc, *regs;
    size_t regs_bytes = titan_tpu_scratch_bytes(c);
    TITAN_TRY(titan_arena_alloc(a, sizeof *s, TITAN_ALIGN, (void **)&s));
    TITAN_TRY(titan_arena_alloc(a, T * C, TITAN_ALIGN, &xq));
    TITAN_TRY(titan_arena_alloc(a, T * sizeof(float), TITAN_ALIGN, &xs));
    TITAN_TRY(titan_arena_alloc(a, R * C, TITAN_ALIGN, &wq));
    TITAN_TRY(titan_arena_alloc(a, R * sizeof(float), TITAN_ALIGN, &ws));
    TITAN_TRY(titan_arena_alloc(a, C * sizeof(float), TITAN_ALIGN, &row));
    TITAN_TRY(titan_arena_alloc(a, T * R * 4, TITAN_ALIGN, &acc));
    TITAN_TRY(titan_arena_alloc(a, regs_bytes, TITAN_ALIGN, &regs));
    /* No parallel_for: one matmul at a time, the array is shared; attention
     * stays on the host. */
    *be = (titan_backend){.name = "tpu",
                          .matmul = tpu_matmul,
                          .small_gemm = titan_small_gemm_scalar,
                          .attend = titan_attend_scalar,
                          .destroy = tpu_destroy,
                          .state = s};
    if (!s) return TITAN_OK; /* measuring arena: sizes only */
    memset(s, 0, sizeof *s);
    if (pthread_mutex_init(&s->lock, NULL))
        return titan_fail(TITAN_E_NOMEM, "tpu backend: no mutex");
    s->cfg = *c;
    s->max_T = max_T, s->max_rows = max_rows, s->max_cols = max_cols;
    s->xq = xq, s->xs = xs, s->wq = wq, s->ws = ws, s->row = row;
    s->acc = acc;
    titan_arena_init(&s->regs, regs, regs_bytes);
    return TITAN_OK;
}

void titan_tpu_backend_stats(const titan_backend *be, titan_tpu_counters *total,
                             const titan_tpu_layer **layers, int *n_layers) {
    const tpu_state *s = be ? be->state : NULL;
    if (total) *total = s ? s->total : (titan_tpu_counters){0};
    if (layers) *layers = s ? s->layers : NULL;
    if (n_layers) *n_layers = s ? s->n_layers : 0;
}
