/* matmul_scalar.c: the portable fallback family: dequantize KC values of one
 * row at a time into scratch and take plain dot products with every token. */
#include "platform/matmul.h"

#include <string.h>

void titan_matmul_rows_scalar(const titan_matmul_args *a, int64_t n0, int64_t n1,
                              float *scratch) {
    int64_t K = a->w->cols, N = a->w->rows;
    for (int t = 0; t < a->T; t++)
        memset(a->y + (size_t)t * N + n0, 0, (size_t)(n1 - n0) * sizeof(float));
    for (int64_t k0 = 0; k0 < K; k0 += MATMUL_KC) {
        int64_t kc = K - k0 < MATMUL_KC ? K - k0 : MATMUL_KC;
        for (int64_t n = n0; n < n1; n++) {
            titan_dequant_row(a->w, n, k0, kc, scratch);
            for (int t = 0; t < a->T; t++) {
                const float *xt = a->x + (size_t)t * K + k0;
                float sum = 0.0f;
                for (int64_t k = 0; k < kc; k++) sum += scratch[k] * xt[k];
                a->y[(size_t)t * N + n] += sum;
            }
        }
    }
}

void titan_gemm_f32_scalar(const titan_gemm_f32 *g) {
    size_t a_row = g->a_trans ? 1 : g->lda, a_col = g->a_trans ? g->lda : 1;
    for (int r = 0; r < g->m; r++) {
        const float *a = g->a + (size_t)r * a_row;
        float *c = g->c + (size_t)r * g->ldc;
        if (!g->accumulate) memset(c, 0, (size_t)g->n * sizeof *c);
        if (g->b_trans) { /* adding in the same order as below: same bits */
            for (int j = 0; j < g->n; j++) {
                const float *b = g->b + (size_t)j * g->ldb;
                float sum = c[j];
                for (int i = 0; i < g->k; i++) sum += a[(size_t)i * a_col] * b[i];
                c[j] = sum;
            }
            continue;
        }
        for (int i = 0; i < g->k; i++) {
            const float *b = g->b + (size_t)i * g->ldb;
            float ai = a[(size_t)i * a_col];
            for (int j = 0; j < g->n; j++) c[j] += ai * b[j];
        }
    }
}

void titan_small_gemm_scalar(const titan_small_gemm *g) {
    titan_gemm_f32 f = {.m = g->rows,
                        .n = g->n,
                        .k = g->k,
                        .a = g->a,
                        .lda = g->lda,
                        .b = g->b,
                        .ldb = g->ldb,
                        .b_trans = g->b_rows,
                        .c = g->c,
                        .ldc = g->ldc,
                        .accumulate = g->accumulate};
    titan_gemm_f32_scalar(&f);
}
