/* matmul_q8.c: which tensors the q8 path takes, the scalar reference family
 * and the choice of family (matmul_q8.h). */
#include "platform/matmul_q8.h"

#include "quant/quant.h"

#include <math.h>

bool titan_q8_takes(const titan_tensor *w) {
    if (w->dtype != TITAN_DT_INT8 && w->dtype != TITAN_DT_INT6_BYTE) return false;
    int64_t gs = w->group_size;
    return w->scales && (gs == 0 || gs >= w->cols || gs % TITAN_Q8_BLOCK == 0);
}

void titan_q8_rows_scalar(const titan_q8_args *a, int64_t n0, int64_t n1, void *scratch) {
    (void)scratch;
    const titan_q8_acts *x = a->x;
    int64_t K = a->w->cols, N = a->w->rows;
    size_t rb = titan_dtype_row_bytes(a->w->dtype, K);
    for (int64_t n = n0; n < n1; n++) {
        const uint8_t *wr = (const uint8_t *)a->w->data + (size_t)n * rb;
        for (int t = 0; t < x->T; t++) {
            const int8_t *q = x->q + (size_t)t * x->ld;
            float y = 0.0f;
            for (int64_t b = 0; b < x->blocks; b++) {
                int64_t k0 = b * TITAN_Q8_BLOCK;
                int64_t k1 = k0 + TITAN_Q8_BLOCK < K ? k0 + TITAN_Q8_BLOCK : K;
                int32_t isum = 0;
                for (int64_t k = k0; k < k1; k++)
                    isum += titan_quant_get(a->w->dtype, wr, k) * q[k];
                size_t i = (size_t)b * (size_t)x->T + (size_t)t;
                float s = titan_q8_wscale(a->w, n, b) * x->scale[i];
                y = fmaf(s, (float)isum, y);
            }
            a->y[(size_t)t * (size_t)N + (size_t)n] = y;
        }
    }
}

titan_q8_quant_fn titan_q8_quantizer(titan_isa isa) {
    return isa == TITAN_ISA_AVX512 ? titan_q8_quantize_rows_avx512
                                   : titan_q8_quantize_rows;
}

titan_q8_rows_fn titan_q8_kernel(titan_isa isa) {
    const titan_cpu_features *f = titan_cpu_features_get();
    if (isa == TITAN_ISA_AVX512 && f->avx512_vnni) return titan_q8_rows_vnni512;
    if (isa >= TITAN_ISA_AVX2) return titan_q8_rows_avx2;
    return titan_q8_rows_scalar;
}
