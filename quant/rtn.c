/* rtn.c: round-to-nearest quantization with one scale per row (or per group
 * of group_size values), to INT8 or INT6 (bit-packed or one per byte), the
 * scale chosen among clip candidates by squared reconstruction error; and
 * the same rounding as fake quantization for QAT (float out, q * scale). */
#include "quant/dtype.h"
#include "quant/quant.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

enum { CLIP_STEPS_MAX = 100 };

static int quant_value(float x, float scale, int qmin, int qmax) {
    long q = lrintf(x / scale);
    return (int)(q > qmax ? qmax : q < qmin ? qmin : q);
}

static double group_error(const float *x, int64_t n, float scale, int qmin, int qmax) {
    double e = 0;
    for (int64_t c = 0; c < n; c++) {
        double d = (double)quant_value(x[c], scale, qmin, qmax) * scale - x[c];
        e += d * d;
    }
    return e;
}

/* Scale of x[0..n): amax * (1 - k/100) / qmax for the k in [0, clip_steps)
 * with the least squared error (the smallest k on ties); 1 if all zero. */
static float best_scale(const float *x, int64_t n, int clip_steps, int qmin, int qmax) {
    float amax = 0;
    for (int64_t c = 0; c < n; c++) amax = fmaxf(amax, fabsf(x[c]));
    if (amax == 0) return 1.0f;
    float best = amax / qmax;
    double best_err = group_error(x, n, best, qmin, qmax);
    for (int k = 1; k < clip_steps; k++) {
        float s = amax * (1.0f - 0.01f * (float)k) / qmax;
        double e = group_error(x, n, s, qmin, qmax);
        if (e < best_err) best = s, best_err = e;
    }
    return best;
}

static titan_status check_args(const float *src, int64_t rows, int64_t cols,
                               titan_dtype dt, int32_t group_size, int clip_steps,
                               bool have_out) {
    const titan_dtype_traits *tr = titan_dtype_get(dt);
    if (!src || !have_out || rows < 1 || cols < 1 || group_size < 0 || clip_steps < 1 ||
        clip_steps > CLIP_STEPS_MAX || !tr || !tr->quantized)
        return titan_fail(TITAN_E_USAGE, "rtn: bad arguments");
    for (int64_t i = 0; i < rows * cols; i++)
        if (!isfinite(src[i]))
            return titan_fail(TITAN_E_DATA, "rtn: non-finite value at [%lld, %lld]",
                              (long long)(i / cols), (long long)(i % cols));
    return TITAN_OK;
}

/* Where the values go: stored as dt (data, scales) or, for fake
 * quantization, as q * scale in float (fake), the product dequant forms. */
typedef struct {
    titan_dtype dt;
    uint8_t *data;
    float *scales, *fake;
} rtn_out;

static void quantize_rows(const float *src, int64_t rows, int64_t cols,
                          int32_t group_size, int clip_steps, const rtn_out *o) {
    int qmax = titan_dtype_get(o->dt)->qmax, qmin = -qmax - 1;
    int64_t gs = group_size ? group_size : cols;
    int64_t groups = (cols + gs - 1) / gs;
    size_t row_bytes = titan_dtype_row_bytes(o->dt, cols);
    for (int64_t r = 0; r < rows; r++) {
        const float *x = src + r * cols;
        uint8_t *out = o->data ? o->data + r * row_bytes : NULL;
        if (out) memset(out, 0, row_bytes);
        for (int64_t g = 0; g < groups; g++) {
            int64_t c0 = g * gs, n = c0 + gs < cols ? gs : cols - c0;
            float scale = best_scale(x + c0, n, clip_steps, qmin, qmax);
            if (o->scales) o->scales[r * groups + g] = scale;
            for (int64_t c = c0; c < c0 + n; c++) {
                int q = quant_value(x[c], scale, qmin, qmax);
                if (out)
                    titan_quant_store(o->dt, out, c, q);
                else
                    o->fake[r * cols + c] = (float)q * scale;
            }
        }
    }
}

titan_status titan_quant_rtn_clip(const float *src, int64_t rows, int64_t cols,
                                  titan_dtype dt, int32_t group_size, int clip_steps,
                                  void *data, float *scales) {
    TITAN_TRY(check_args(src, rows, cols, dt, group_size, clip_steps, data && scales));
    quantize_rows(src, rows, cols, group_size, clip_steps,
                  &(rtn_out){dt, data, scales, NULL});
    return TITAN_OK;
}

titan_status titan_quant_fake(const float *src, int64_t rows, int64_t cols,
                              titan_dtype dt, int32_t group_size, int clip_steps,
                              float *dst) {
    TITAN_TRY(check_args(src, rows, cols, dt, group_size, clip_steps, dst != NULL));
    quantize_rows(src, rows, cols, group_size, clip_steps,
                  &(rtn_out){dt, NULL, NULL, dst});
    return TITAN_OK;
}

titan_status titan_quant_rtn(const float *src, int64_t rows, int64_t cols, titan_dtype dt,
                             int32_t group_size, void *data, float *scales) {
    return titan_quant_rtn_clip(src, rows, cols, dt, group_size, 1, data, scales);
}
