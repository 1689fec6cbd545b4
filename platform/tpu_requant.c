/* tpu_requant.c: the conversions at the matrix unit's edges. Activations are
 * quantized to int8 per row with a float scale on the way in; int32 sums are
 * requantized with an integer multiplier and a rounding shift on the way out
 * (TFLite / CMSIS-NN / gemmlowp fixed point), or dequantized in float by the
 * backend for the vector unit.
 *
 * Rounding rules: quantization rounds half away from zero (roundf).
 * Requantization computes acc * mult * 2^(shift-31) in two integer steps, as
 * gemmlowp and TFLite do bit for bit: the doubling high multiply
 * (acc * mult / 2^31) rounded to nearest with gemmlowp's nudge (+2^30, or
 * 1 - 2^30 for negatives, then truncation), which sends ties toward +infinity
 * (2.5 -> 3, -2.5 -> -2; INT32_MIN * INT32_MIN saturates); then a right shift
 * by -shift rounded to nearest with ties away from zero (2.5 -> 3,
 * -2.5 -> -3). A positive shift is a saturating left shift first. */
#include "titan.h"

#include <math.h>

void titan_tpu_quantize_row(const float *x, int64_t n, int8_t *q, float *scale) {
    float amax = 0;
    for (int64_t i = 0; i < n; i++) {
        float v = fabsf(x[i]);
        amax = v > amax || v != v ? v : amax; /* NaN wins */
    }
    if (!isfinite(amax)) {
        for (int64_t i = 0; i < n; i++) q[i] = 0;
        *scale = NAN;
        return;
    }
    *scale = amax / 127.0f;
    float inv = amax > 0 ? 127.0f / amax : 0.0f;
    for (int64_t i = 0; i < n; i++) {
        float r = roundf(x[i] * inv);
        q[i] = (int8_t)(r > 127 ? 127 : r < -127 ? -127 : r);
    }
}

titan_status titan_tpu_quantize_multiplier(double real, int32_t *mult, int32_t *shift) {
    if (!(real > 0 && real < 2147483648.0) || !mult || !shift)
        return titan_fail(TITAN_E_USAGE,
                          "tpu: requantization multiplier %g outside (0, 2^31)", real);
    int e;
    double frac = frexp(real, &e); /* real = frac * 2^e, frac in [0.5, 1) */
    int64_t q = (int64_t)llround(frac * 2147483648.0);
    if (q == ((int64_t)1 << 31)) q /= 2, e++;
    if (e > 31)
        return titan_fail(TITAN_E_USAGE, "tpu: requantization multiplier %g too large",
                          real);
    if (e < -31) { /* below what a shift of 31 reaches: rounds to zero */
        q = 0;
        e = 0;
    }
    *mult = (int32_t)q;
    *shift = e;
    return TITAN_OK;
}

static int32_t doubling_high_mul(int32_t a, int32_t b) {
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    int64_t ab = (int64_t)a * b;
    int64_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    /* Truncating division, as gemmlowp: the nudge makes it round half away. */
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

static int32_t rounding_shift_right(int32_t x, int exponent) {
    if (exponent <= 0) return x;
    int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    int32_t rem = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0);
    return (x >> exponent) + (rem > threshold);
}

int32_t titan_tpu_requantize(int32_t acc, int32_t mult, int32_t shift) {
    int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
    int64_t shifted = (int64_t)acc * ((int64_t)1 << (left > 31 ? 31 : left));
    if (shifted > INT32_MAX) shifted = INT32_MAX;
    if (shifted < INT32_MIN) shifted = INT32_MIN;
    return rounding_shift_right(doubling_high_mul((int32_t)shifted, mult),
                                right > 31 ? 31 : right);
}

int8_t titan_tpu_requantize_i8(int32_t acc, int32_t mult, int32_t shift,
                               int32_t zero_point) {
    int64_t v = (int64_t)titan_tpu_requantize(acc, mult, shift) + zero_point;
    return (int8_t)(v > 127 ? 127 : v < -128 ? -128 : v);
}
