/* opt_muon.c: Muon (MomentUm Orthogonalized by Newton-Schulz) for the 2-D
 * block matrices, in the formulation of modded-nanogpt / parameter-golf. */
#include "tools/train/train_opt.h"
#include "tools/train/train_ops.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

size_t muon_scratch_floats(int rows, int cols) {
    size_t r = rows < cols ? rows : cols, c = rows < cols ? cols : rows;
    /* the update, the next X (each r*c), A, B (each r*r) */
    return 2 * r * c + 2 * r * r;
}

/* X <- a X + B X (wide, rows <= cols) or a X + X B (tall) with
 * B = b A + c A A, A = X X^T or X^T X ([s, s], s the short side;
 * symmetric, so A A = A A^T and X B = X B^T): every product on the
 * trainer's GEMM in the layout it reads, no transposed copies; X and the
 * next X take turns in two buffers. */
void newton_schulz5(float *X, int rows, int cols, int steps, float *scratch) {
    const float a = 3.4445f, b = -4.7750f, cc = 2.0315f;
    bool tall = rows > cols;
    int r = tall ? cols : rows;
    size_t n = (size_t)rows * cols, rr = (size_t)r * r;
    float *Y = scratch, *A = Y + n, *B = A + rr, *x = X;
    double ss = 0;
    for (size_t i = 0; i < n; i++) ss += (double)X[i] * X[i];
    float inv = (float)(1 / (sqrt(ss) + 1e-7));
    for (size_t i = 0; i < n; i++) X[i] *= inv;
    for (int it = 0; it < steps; it++) {
        if (tall) {
            memset(A, 0, sizeof(float) * rr);
            train_matmul_acc_dw(A, x, x, rows, cols, cols); /* X^T X */
        } else {
            train_matmul_forward(A, x, x, rows, cols, rows); /* X X^T */
        }
        train_matmul_forward(B, A, A, r, r, r); /* A A^T */
        for (size_t i = 0; i < rr; i++) B[i] = b * A[i] + cc * B[i];
        if (tall) {
            train_matmul_forward(Y, x, B, rows, cols, cols); /* X B^T */
            for (size_t i = 0; i < n; i++) Y[i] = a * x[i] + Y[i];
        } else {
            for (size_t i = 0; i < n; i++) Y[i] = a * x[i];
            train_matmul_acc_dx(Y, B, x, rows, cols, rows); /* += B X */
        }
        float *t = x;
        x = Y;
        Y = t;
    }
    if (x != X) memcpy(X, x, sizeof(float) * n);
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
