/* backend_ref.c: the plain C reference backend. Every dtype is dequantized a
 * stretch of a row at a time (value = q * scale) and summed in double, so this
 * is the backend the others are checked against. */
#include "platform/backend.h"
#include "platform/matmul.h"

enum { REF_CHUNK = 256 }; /* values dequantized at once (a multiple of 4) */

static void ref_matmul(titan_backend *be, const titan_tensor *w, const float *x, float *y,
                       int T) {
    (void)be;
    int64_t N = w->rows, K = w->cols;
    float buf[REF_CHUNK];
    for (int64_t n = 0; n < N; n++) {
        for (int t = 0; t < T; t++) y[(size_t)t * N + n] = 0;
        for (int64_t k0 = 0; k0 < K; k0 += REF_CHUNK) {
            int64_t len = K - k0 < REF_CHUNK ? K - k0 : REF_CHUNK;
            titan_dequant_row(w, n, k0, len, buf);
            for (int t = 0; t < T; t++) {
                const float *xt = x + (size_t)t * K + k0;
                double s = 0;
                for (int64_t k = 0; k < len; k++) s += (double)buf[k] * xt[k];
                y[(size_t)t * N + n] += (float)s;
            }
        }
    }
}

void titan_backend_ref(titan_backend *be) {
    *be = (titan_backend){.name = "ref",
                          .matmul = ref_matmul,
                          .small_gemm = titan_small_gemm_scalar,
                          .attend = titan_attend_scalar};
}
