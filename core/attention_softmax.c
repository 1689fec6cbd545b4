/* attention_softmax.c: what both attention kernels (absorbed mla, explicit
 * k/v) run on each position block: the small products of activations, the
 * online softmax over position blocks (a running max and sum per row, the p-weighted sums
 * rescaled when the max grows), and the merge of a row's states computed
 * over separate cache chunks. A sink with a zero value enters as the start
 * state max = its score, sum = 1. */
#include "core/model.h"

#include <math.h>
#include <string.h>

void titan_att_gemm(const titan_model *m, int rows, int n, int k, const float *a,
                    size_t lda, const float *b, size_t ldb, float *c, size_t ldc,
                    bool accumulate) {
    titan_small_gemm g = {rows, n, k, a, lda, b, ldb, c, ldc, accumulate, false};
    m->be->small_gemm(&g);
}

void titan_att_dot_rows(const titan_model *m, int rows, int n, int k, const float *a,
                        const float *b, float *c, bool accumulate) {
    titan_small_gemm g = {
        rows, n, k, a, (size_t)k, b, (size_t)k, c, TITAN_ATT_PBLOCK, accumulate, true};
    m->be->small_gemm(&g);
}

void titan_att_softmax_step(float *att, float *run, float *ol, int width, int j0, int jn,
                            int p) {
    int seen = p + 1 - j0 < jn ? p + 1 - j0 : jn;
    if (seen <= 0) {
        memset(att, 0, (size_t)jn * sizeof *att);
        return;
    }
    float mx = fmaxf(run[0], titan_vec_max(att, seen));
    float corr = expf(run[0] - mx);
    float sum = titan_vec_exp_sum(att, mx, seen);
    for (int j = seen; j < jn; j++) att[j] = 0;
    if (corr != 1.0f)
        for (int e = 0; e < width; e++) ol[e] *= corr;
    run[0] = mx;
    run[1] = run[1] * corr + sum;
}

void titan_att_merge(float *olat, float *run, int width, size_t r, size_t stride,
                     int chunks) {
    float mx = -INFINITY, sum = 0, *ol = olat + r * width;
    for (int c = 0; c < chunks; c++)
        if (run[2 * (r + c * stride) + 1] > 0) mx = fmaxf(mx, run[2 * (r + c * stride)]);
    for (int c = 0; c < chunks; c++) {
        const float *rc = run + 2 * (r + c * stride);
        float w = rc[1] > 0 ? expf(rc[0] - mx) : 0;
        if (c == 0)
            for (int e = 0; e < width; e++) ol[e] *= w;
        else
            titan_vec_axpy(ol, w, olat + (r + c * stride) * width, width);
        sum += w * rc[1];
    }
    run[2 * r + 1] = sum;
}
