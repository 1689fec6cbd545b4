/* op_conv_swiglu.c: the feed-forward sublayer's own ops: causal depthwise
 * conv on the gate (SPEC: a'_t[c] = sum_j conv[c, j] a_{t-(K-1)+j}[c]) and
 * the SwiGLU product SiLU(a') * up. */
#include "tools/train/train_model.h"
#include "tools/train/train_ops.h"

#include <math.h>

void TR(conv_forward)(real *y, const real *x, const real *w, int T, int C, int K) {
    for (int t = 0; t < T; t++) {
        real *yt = y + (size_t)t * C;
        for (int c = 0; c < C; c++) yt[c] = 0;
        for (int j = 0; j < K; j++) {
            int s = t - (K - 1) + j;
            if (s < 0) continue;
            const real *xs = x + (size_t)s * C;
            for (int c = 0; c < C; c++) yt[c] += w[(size_t)c * K + j] * xs[c];
        }
    }
}

void TR(conv_backward)(real *dx, real *dw, const real *dy, const real *x, const real *w,
                       int T, int C, int K) {
    for (int t = 0; t < T; t++) {
        const real *dyt = dy + (size_t)t * C;
        for (int j = 0; j < K; j++) {
            int s = t - (K - 1) + j;
            if (s < 0) continue;
            const real *xs = x + (size_t)s * C;
            real *dxs = dx + (size_t)s * C;
            for (int c = 0; c < C; c++) {
                dw[(size_t)c * K + j] += dyt[c] * xs[c];
                dxs[c] += dyt[c] * w[(size_t)c * K + j];
            }
        }
    }
}

static real sigmoid(real x) { return (real)(1 / (1 + exp(-(double)x))); }

void TR(swiglu_forward)(real *m, const real *a, const real *b, size_t n) {
    for (size_t i = 0; i < n; i++) m[i] = a[i] * sigmoid(a[i]) * b[i];
}

/* d SiLU(a) / da = sig(a) (1 + a (1 - sig(a))). Writes (not accumulates)
 * da and db: they are fresh per-layer scratch. */
void TR(swiglu_backward)(real *da, real *db, const real *dm, const real *a, const real *b,
                         size_t n) {
    for (size_t i = 0; i < n; i++) {
        real s = sigmoid(a[i]);
        db[i] = dm[i] * a[i] * s;
        da[i] = dm[i] * b[i] * s * (1 + a[i] * (1 - s));
    }
}

/* The feed-forward sublayer: h_out = h_mid + w_down(SiLU(conv(w_gate u)) *
 * w_up u) with u = RMSNorm(h_mid; ffn_norm). */
void TR(ffn_forward)(const TR(model) * m, const TR(block) * w, TR(layer_acts) * la,
                     real *h_out, int T) {
    const titan_config *c = &m->cfg;
    int D = c->d_model, F = c->mlp_hidden, K = c->conv_kernel;
    TR(rmsnorm_forward)(la->u2, la->rstd2, la->h_mid, w->ffn_norm, T, D, c->norm_eps);
    TR(matmul_forward)(la->ag, la->u2, w->w_gate, T, D, F);
    if (K > 0) TR(conv_forward)(la->ac, la->ag, w->conv, T, F, K);
    TR(matmul_forward)(la->up, la->u2, w->w_up, T, D, F);
    TR(swiglu_forward)(la->m, la->ac, la->up, (size_t)T * F);
    TR(matmul_forward)(h_out, la->m, w->w_down, T, F, D);
    for (size_t i = 0; i < (size_t)T * D; i++) h_out[i] += la->h_mid[i];
}

void TR(ffn_backward)(const TR(model) * m, const TR(block) * w, const TR(layer_acts) * la,
                      TR(layer_grads) * g, real *dh, TR(block) * dw, int T) {
    const titan_config *c = &m->cfg;
    int D = c->d_model, F = c->mlp_hidden, K = c->conv_kernel;
    real_zero(g->dm, (size_t)T * F);
    TR(matmul_backward)(g->dm, dw->w_down, dh, la->m, w->w_down, T, F, D);
    TR(swiglu_backward)(g->dac, g->dup, g->dm, la->ac, la->up, (size_t)T * F);
    if (K > 0) {
        real_zero(g->dag, (size_t)T * F);
        TR(conv_backward)(g->dag, dw->conv, g->dac, la->ag, w->conv, T, F, K);
    }
    real_zero(g->du, (size_t)T * D);
    TR(matmul_backward)(g->du, dw->w_gate, g->dag, la->u2, w->w_gate, T, D, F);
    TR(matmul_backward)(g->du, dw->w_up, g->dup, la->u2, w->w_up, T, D, F);
    TR(rmsnorm_backward)
    (dh, dw->ffn_norm, g->du, la->h_mid, w->ffn_norm, la->rstd2, T, D);
}
