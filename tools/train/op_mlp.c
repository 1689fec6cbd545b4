/* op_mlp.c: a block's MLP (SPEC section 8): swiglu = section 1's (with the
 * gate's conv), relu2 = w_down max(w_up u, 0)^2, leaky_relu2 = w_down
 * phi(w_up u)^2; forward and backward. */
#include "tools/train/train_model.h"
#include "tools/train/train_ops.h"

TRAIN_VECTORIZE void TR(sqact_forward)(real *m, const real *a, size_t n, double slope) {
    real k = (real)slope;
    for (size_t i = 0; i < n; i++) {
        real p = a[i] >= 0 ? a[i] : k * a[i];
        m[i] = p * p;
    }
}

/* d phi(a)^2 / da = 2 phi(a) phi'(a): 2a for a >= 0, 2 slope^2 a below. */
TRAIN_VECTORIZE void TR(sqact_backward)(real *da, const real *dm, const real *a, size_t n,
                                        double slope) {
    real k2 = (real)(slope * slope);
    for (size_t i = 0; i < n; i++) da[i] = dm[i] * 2 * a[i] * (a[i] >= 0 ? 1 : k2);
}

static double slope_of(const titan_config *c) {
    return c->mlp_act == TITAN_MLP_LEAKY_RELU2 ? c->leaky_slope : 0;
}

void TR(mlp_forward)(const TR(model) * m, const TR(block) * w, TR(layer_acts) * la,
                     real *out, int T) {
    const titan_config *c = &m->cfg;
    int D = c->d_model, F = c->mlp_hidden, K = c->conv_kernel;
    if (c->mlp_act == TITAN_MLP_SWIGLU) {
        TR(matmul_forward)(la->ag, la->u2, w->w_gate, T, D, F);
        if (K > 0) TR(conv_forward)(la->ac, la->ag, w->conv, T, F, K);
        TR(matmul_forward)(la->up, la->u2, w->w_up, T, D, F);
        TR(swiglu_forward)(la->m, la->ac, la->up, (size_t)T * F);
    } else {
        TR(matmul_forward)(la->up, la->u2, w->w_up, T, D, F);
        TR(sqact_forward)(la->m, la->up, (size_t)T * F, slope_of(c));
    }
    TR(matmul_forward)(out, la->m, w->w_down, T, F, D);
}

void TR(mlp_backward)(const TR(model) * m, const TR(block) * w, const TR(layer_acts) * la,
                      TR(layer_grads) * g, const real *dout, TR(block) * dw, int T) {
    const titan_config *c = &m->cfg;
    int D = c->d_model, F = c->mlp_hidden, K = c->conv_kernel;
    real_zero(g->dm, (size_t)T * F);
    TR(matmul_backward)(g->dm, dw->w_down, dout, la->m, w->w_down, T, F, D);
    if (c->mlp_act != TITAN_MLP_SWIGLU) {
        TR(sqact_backward)(g->dup, g->dm, la->up, (size_t)T * F, slope_of(c));
        real_zero(g->du, (size_t)T * D);
        TR(matmul_backward)(g->du, dw->w_up, g->dup, la->u2, w->w_up, T, D, F);
        return;
    }
    TR(swiglu_backward)(g->dac, g->dup, g->dm, la->ac, la->up, (size_t)T * F);
    if (K > 0) {
        real_zero(g->dag, (size_t)T * F);
        TR(conv_backward)(g->dag, dw->conv, g->dac, la->ag, w->conv, T, F, K);
    }
    real_zero(g->du, (size_t)T * D);
    TR(matmul_backward)(g->du, dw->w_gate, g->dag, la->u2, w->w_gate, T, D, F);
    TR(matmul_backward)(g->du, dw->w_up, g->dup, la->u2, w->w_up, T, D, F);
}
