/* opt_muon.c: Muon (MomentUm Orthogonalized by Newton-Schulz) for the 2-D
 * block matrices, in the formulation of modded-nanogpt / parameter-golf. */
#include "tools/train/train_opt.h"
#include "tools/train/train_ops.h"

#include <math.h>
#include <string.h>

size_t muon_scratch_floats(int rows, int cols) {
    size_t r = rows < cols ? rows : cols, c = rows < cols ? cols : rows;
    /* the update, X transposed (tall matrices), the next X (each r*c), A, B
     * (each r*r) */
    return 3 * r * c + 2 * r * r;
}

static void transpose(float *dst, const float *src, int rows, int cols) {
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            dst[(size_t)j * rows + i] = src[(size_t)i * cols + j];
}

/* The iteration on a wide X[r, c] (r <= c): X <- a X + B X with
 * B = b A + c A A, A = X X^T (symmetric, so A A = A A^T), every product on
 * the trainer's GEMM in the layout it reads; X and the next X take turns
 * in two buffers. */
static void ns_wide(float *X, int r, int c, int steps, float *s) {
    const float a = 3.4445f, b = -4.7750f, cc = 2.0315f;
    size_t n = (size_t)r * c;
    float *Y = s, *A = Y + n, *B = A + (size_t)r * r, *x = X;
    double ss = 0;
    for (size_t i = 0; i < n; i++) ss += (double)X[i] * X[i];
    float inv = (float)(1 / (sqrt(ss) + 1e-7));
    for (size_t i = 0; i < n; i++) X[i] *= inv;
    for (int it = 0; it < steps; it++) {
        train_matmul_forward(A, x, x, r, c, r); /* A = X X^T  [r, r] */
        train_matmul_forward(B, A, A, r, r, r); /* A A^T      [r, r] */
        for (size_t i = 0; i < (size_t)r * r; i++) B[i] = b * A[i] + cc * B[i];
        for (size_t i = 0; i < n; i++) Y[i] = a * x[i];
        train_matmul_acc_dx(Y, B, x, r, c, r); /* += B X    [r, c] */
        float *t = x;
        x = Y;
        Y = t;
    }
    if (x != X) memcpy(X, x, sizeof(float) * n);
}

void newton_schulz5(float *X, int rows, int cols, int steps, float *scratch) {
    if (rows <= cols) {
        ns_wide(X, rows, cols, steps, scratch);
        return;
    }
    float *Xw = scratch, *rest = scratch + (size_t)rows * cols;
    transpose(Xw, X, rows, cols);
    ns_wide(Xw, cols, rows, steps, rest);
    transpose(X, Xw, cols, rows);
}

void muon_step(float *p, const float *g, float *buf, int rows, int cols,
               const muon_hparams *h, float *scratch) {
    size_t n = (size_t)rows * cols;
    float mu = (float)h->momentum, *u = scratch;
    for (size_t i = 0; i < n; i++) {
        buf[i] = mu * buf[i] + g[i];
        u[i] = h->nesterov ? g[i] + mu * buf[i] : buf[i];
    }
    newton_schulz5(u, rows, cols, h->ns_steps, scratch + n);
    float scale = (float)(h->lr * sqrt(fmax(1.0, (double)rows / cols)));
    float decay = (float)(1 - h->lr * h->weight_decay);
    for (size_t i = 0; i < n; i++) p[i] = p[i] * decay - scale * u[i];
}
