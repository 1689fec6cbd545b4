/* act_q8.c: activation blocks to int8 with one scale each (act_q8.h). Plain
 * C on purpose: every kernel family reads the same quantized x, so the
 * integer results of the families can be compared bit for bit. */
#include "quant/act_q8.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

/* Adding and taking away 1.5 * 2^23 leaves v rounded to an integer in the
 * default mode (nearest, ties to even) for |v| < 2^22: plain float
 * arithmetic that vectorizes, not a libm call per value. */
int titan_q8_round(float v) {
    const float magic = 0x1.8p23f; /* kept: the build has no -ffast-math */
    return (int)((v + magic) - magic);
}

/* One block of n <= 32 values into q (n entries); returns the sum of q. */
static int32_t quantize_block(const float *x, int n, int8_t *q, float *scale) {
    float amax = 0.0f;
    bool finite = true;
    for (int i = 0; i < n; i++) {
        finite = finite && isfinite(x[i]);
        amax = fabsf(x[i]) > amax ? fabsf(x[i]) : amax;
    }
    if (!finite || amax == 0.0f) {
        for (int i = 0; i < n; i++) q[i] = 0;
        *scale = finite ? 0.0f : NAN;
        return 0;
    }
    float s = amax / 127.0f;
    int32_t sum = 0;
    for (int i = 0; i < n; i++) {
        int v = titan_q8_round(x[i] / s);
        v = v > 127 ? 127 : v < -127 ? -127 : v;
        q[i] = (int8_t)v;
        sum += v;
    }
    *scale = s;
    return sum;
}

void titan_q8_quantize_rows_by(titan_q8_acts *a, const float *x, int t0, int t1,
                               titan_q8_block_fn block) {
    for (int t = t0; t < t1; t++) {
        int8_t *q = a->q + (size_t)t * a->ld;
        const float *xt = x + (size_t)t * (size_t)a->K;
        for (int64_t b = 0; b < a->blocks; b++) {
            int64_t k = b * TITAN_Q8_BLOCK;
            int n = a->K - k < TITAN_Q8_BLOCK ? (int)(a->K - k) : TITAN_Q8_BLOCK;
            size_t i = (size_t)b * (size_t)a->T + (size_t)t;
            a->sum[i] = block(xt + k, n, q + k, &a->scale[i]);
        }
        memset(q + a->K, 0, a->ld - (size_t)a->K);
    }
}

void titan_q8_quantize_rows(titan_q8_acts *a, const float *x, int t0, int t1) {
    titan_q8_quantize_rows_by(a, x, t0, t1, quantize_block);
}
