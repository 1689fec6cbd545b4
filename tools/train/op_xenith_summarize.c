/* op_xenith_summarize.c: Summarize(C) of SPEC section 9
 * (op_xenith_summarize.h). The M slots cross-xsum_attend to Z = [c; a] (segment
 * rows first) without mask or rotation: each head runs as matrix products
 * on gathered copies, its probabilities [M, S+M] kept for the backward. */
#include "tools/train/op_xenith_summarize.h"

#include "tools/train/train_ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int xsum_layer_bind(TR(xsum_layer) * l, const char *leaf, real *ptr) {
    real **norm = !strcmp(leaf, "attn_norm")  ? &l->attn_norm
                  : !strcmp(leaf, "kv_norm")  ? &l->kv_norm
                  : !strcmp(leaf, "ffn_norm") ? &l->ffn_norm
                                              : NULL;
    if (norm) *norm = ptr;
    return norm || TR(lora_mat_bind)(&l->wq, "wq", leaf, ptr) ||
           TR(lora_mat_bind)(&l->wk, "wk", leaf, ptr) ||
           TR(lora_mat_bind)(&l->wv, "wv", leaf, ptr) ||
           TR(lora_mat_bind)(&l->wo, "wo", leaf, ptr) ||
           TR(swiglu_bind)(&l->ffn, leaf, ptr);
}

int TR(xsum_bind)(TR(xsum_weights) * w, const char *name, real *ptr, int Ls) {
    if (!strcmp(name, "mem.slots")) return w->slots = ptr, 1;
    if (!strcmp(name, "mem.final_norm")) return w->final_norm = ptr, 1;
    if (strncmp(name, "mem.layers.", 11)) return 0;
    char *end;
    long j = strtol(name + 11, &end, 10);
    if (end == name + 11 || *end != '.' || j < 0 || j >= Ls) return 0;
    return xsum_layer_bind(&w->layers[j], end + 1, ptr);
}

typedef struct {
    int S, M, N, D, H, Ds, F, r;
    real s;
    double eps;
} xsum_dims;

static xsum_dims xsum_dims_of(int S, const titan_config *c) {
    int r = c->lora_rank;
    return (xsum_dims){S,
                       c->mem_slots,
                       S + c->mem_slots,
                       c->d_model,
                       c->sum_heads,
                       c->d_model / c->sum_heads,
                       c->sum_hidden,
                       r,
                       r > 0 ? (real)(c->lora_alpha / r) : 0,
                       c->norm_eps};
}

/* One layer's acts: X its input [M, D], Z = [c; a] [N, D] with c's and a's
 * rstd, Q [M, D], K, V [N, D], P [H, M, N], O [M, D], Xm after attention
 * [M, D], f = RMSNorm(Xm; ffn_norm) [M, D] with its rstd, the adapters' xs,
 * then the SwiGLU's acts. */
typedef struct {
    real *X, *Z, *rc, *ra, *Q, *K, *V, *P, *O, *Xm, *f, *rf, *qs, *ks, *vs, *os, *ffn;
} xsum_acts;

static size_t xsum_layer_size(xsum_dims d) {
    size_t MD = (size_t)d.M * d.D, ND = (size_t)d.N * d.D;
    return 5 * MD + 3 * ND + (size_t)d.S + 2 * (size_t)d.M +
           2 * (size_t)(d.M + d.N) * d.r + (size_t)d.H * d.M * d.N +
           TR(xswiglu_acts_size)(d.M, d.F, d.r);
}

static xsum_acts xsum_layer_acts(real *a, int j, xsum_dims d) {
    size_t MD = (size_t)d.M * d.D, ND = (size_t)d.N * d.D;
    xsum_acts x;
    x.X = a + j * xsum_layer_size(d), x.Z = x.X + MD, x.rc = x.Z + ND, x.ra = x.rc + d.S;
    x.Q = x.ra + d.M, x.K = x.Q + MD, x.V = x.K + ND, x.P = x.V + ND;
    x.O = x.P + (size_t)d.H * d.M * d.N, x.Xm = x.O + MD, x.f = x.Xm + MD;
    x.rf = x.f + MD, x.qs = x.rf + d.M, x.ks = x.qs + (size_t)d.M * d.r;
    x.vs = x.ks + (size_t)d.N * d.r, x.os = x.vs + (size_t)d.N * d.r;
    x.ffn = x.os + (size_t)d.M * d.r;
    return x;
}

/* After the Ls layers: X final [M, D] and its rstd [M]. */
size_t TR(xsum_acts_size)(int S, const titan_config *c) {
    xsum_dims d = xsum_dims_of(S, c);
    return (size_t)c->sum_layers * xsum_layer_size(d) + (size_t)d.M * (d.D + 1);
}

/* Head scratch: qi, doi, dqi [M, Ds], ki, vi, dki, dvi [N, Ds], pd [M, N].
 * Backward: dX, dF, dO, dQ [M, D], dZ, dK, dV [N, D], dxs [N, r], a xsum_gain
 * sink [D], the SwiGLU's scratch. The forward uses the first [M, D] too. */
static size_t xsum_head_size(xsum_dims d) {
    return (3 * (size_t)d.M + 4 * (size_t)d.N) * d.Ds + (size_t)d.M * d.N;
}

size_t TR(xsum_scratch_size)(int S, const titan_config *c) {
    xsum_dims d = xsum_dims_of(S, c);
    return xsum_head_size(d) + (4 * (size_t)d.M + 3 * (size_t)d.N) * d.D +
           (size_t)d.N * d.r + d.D + TR(xswiglu_scratch_size)(d.M, d.D, d.F, d.r);
}

/* Columns i*Ds.. of n rows of width D to or from a packed [n, Ds]. */
static void xsum_cols(real *packed, real *full, int n, int D, int Ds, int i, bool gather,
                      bool add) {
    for (int t = 0; t < n; t++) {
        real *p = packed + (size_t)t * Ds, *f = full + (size_t)t * D + (size_t)i * Ds;
        for (int j = 0; j < Ds; j++) {
            if (gather)
                p[j] = f[j];
            else
                f[j] = add ? f[j] + p[j] : p[j];
        }
    }
}

static void xsum_softmax_rows(real *p, int rows, int n, double scale) {
    for (int t = 0; t < rows; t++) {
        real *row = p + (size_t)t * n;
        double mx = -INFINITY, sum = 0;
        for (int j = 0; j < n; j++) mx = fmax(mx, row[j] * scale);
        for (int j = 0; j < n; j++) sum += row[j] = (real)exp(row[j] * scale - mx);
        for (int j = 0; j < n; j++) row[j] = (real)(row[j] / sum);
    }
}

/* O = per head softmax(Q_i K_i^T / sqrt(Ds)) V_i; P kept. */
static void xsum_attend(xsum_acts *x, real *hs, xsum_dims d) {
    size_t MDs = (size_t)d.M * d.Ds, NDs = (size_t)d.N * d.Ds;
    real *qi = hs, *oi = qi + MDs, *ki = oi + 2 * MDs, *vt = ki + NDs;
    for (int i = 0; i < d.H; i++) {
        real *P = x->P + (size_t)i * d.M * d.N;
        xsum_cols(qi, x->Q, d.M, d.D, d.Ds, i, true, false);
        xsum_cols(ki, x->K, d.N, d.D, d.Ds, i, true, false);
        for (int t = 0; t < d.N; t++) /* V_i transposed [Ds, N] */
            for (int j = 0; j < d.Ds; j++)
                vt[(size_t)j * d.N + t] = x->V[(size_t)t * d.D + (size_t)i * d.Ds + j];
        TR(matmul_forward)(P, qi, ki, d.M, d.Ds, d.N);
        xsum_softmax_rows(P, d.M, d.N, 1 / sqrt((double)d.Ds));
        TR(matmul_forward)(oi, P, vt, d.M, d.N, d.Ds);
        xsum_cols(oi, x->O, d.M, d.D, d.Ds, i, false, false);
    }
}

static void xsum_layer_forward(real *Xnext, xsum_acts *x, const real *C,
                               const TR(xsum_layer) * w, real *scratch, xsum_dims d) {
    real *a = x->Z + (size_t)d.S * d.D, *y = scratch, *hs = y + (size_t)d.M * d.D;
    TR(rmsnorm_forward)(a, x->ra, x->X, w->attn_norm, d.M, d.D, d.eps);
    TR(rmsnorm_forward)(x->Z, x->rc, C, w->kv_norm, d.S, d.D, d.eps);
    TR(lora_mat_forward)(x->Q, x->qs, a, &w->wq, d.M, d.D, d.D, d.r, d.s);
    TR(lora_mat_forward)(x->K, x->ks, x->Z, &w->wk, d.N, d.D, d.D, d.r, d.s);
    TR(lora_mat_forward)(x->V, x->vs, x->Z, &w->wv, d.N, d.D, d.D, d.r, d.s);
    xsum_attend(x, hs, d);
    TR(lora_mat_forward)(y, x->os, x->O, &w->wo, d.M, d.D, d.D, d.r, d.s);
    for (size_t i = 0; i < (size_t)d.M * d.D; i++) x->Xm[i] = x->X[i] + y[i];
    TR(rmsnorm_forward)(x->f, x->rf, x->Xm, w->ffn_norm, d.M, d.D, d.eps);
    TR(xswiglu_forward)(y, x->ffn, x->f, &w->ffn, d.M, d.D, d.F, d.r, d.s);
    for (size_t i = 0; i < (size_t)d.M * d.D; i++) Xnext[i] = x->Xm[i] + y[i];
}

void TR(xsum_forward)(real *Y, const real *C, const TR(xsum_weights) * w, real *acts,
                      real *scratch, int S, const titan_config *c) {
    xsum_dims d = xsum_dims_of(S, c);
    int Ls = c->sum_layers;
    real *Xf = acts + (size_t)Ls * xsum_layer_size(d), *rstd = Xf + (size_t)d.M * d.D;
    memcpy(xsum_layer_acts(acts, 0, d).X, w->slots, sizeof(real) * (size_t)d.M * d.D);
    for (int j = 0; j < Ls; j++) {
        xsum_acts x = xsum_layer_acts(acts, j, d);
        xsum_layer_forward(j + 1 < Ls ? xsum_layer_acts(acts, j + 1, d).X : Xf, &x, C,
                           &w->layers[j], scratch, d);
    }
    TR(rmsnorm_forward)(Y, rstd, Xf, w->final_norm, d.M, d.D, d.eps);
}

/* Backward scratch views. */
typedef struct {
    real *dX, *dF, *dO, *dQ, *dZ, *dK, *dV, *dxs, *sink, *ffn, *hs;
} xsum_grads;

static xsum_grads xsum_grads_split(real *s, xsum_dims d) {
    size_t MD = (size_t)d.M * d.D, ND = (size_t)d.N * d.D;
    xsum_grads g;
    g.hs = s, g.dX = s + xsum_head_size(d), g.dF = g.dX + MD, g.dO = g.dF + MD;
    g.dQ = g.dO + MD, g.dZ = g.dQ + MD, g.dK = g.dZ + ND, g.dV = g.dK + ND;
    g.dxs = g.dV + ND, g.sink = g.dxs + (size_t)d.N * d.r, g.ffn = g.sink + d.D;
    return g;
}

/* dQ, dK, dV (zeroed here) from dO through every head. */
static void xsum_attend_backward(xsum_grads *g, const xsum_acts *x, xsum_dims d) {
    size_t MDs = (size_t)d.M * d.Ds, NDs = (size_t)d.N * d.Ds;
    real *qi = g->hs, *doi = qi + MDs, *dqi = doi + MDs, *ki = dqi + MDs, *vi = ki + NDs;
    real *dki = vi + NDs, *dvi = dki + NDs, *ds = dvi + NDs;
    double scale = 1 / sqrt((double)d.Ds);
    real_zero(g->dQ, (size_t)d.M * d.D);
    real_zero(g->dK, (size_t)d.N * d.D), real_zero(g->dV, (size_t)d.N * d.D);
    for (int i = 0; i < d.H; i++) {
        const real *P = x->P + (size_t)i * d.M * d.N;
        xsum_cols(qi, x->Q, d.M, d.D, d.Ds, i, true, false);
        xsum_cols(ki, x->K, d.N, d.D, d.Ds, i, true, false);
        xsum_cols(vi, x->V, d.N, d.D, d.Ds, i, true, false);
        xsum_cols(doi, g->dO, d.M, d.D, d.Ds, i, true, false);
        TR(matmul_forward)(ds, doi, vi, d.M, d.Ds, d.N); /* dP = dO_i V_i^T */
        real_zero(dvi, NDs), real_zero(dqi, MDs), real_zero(dki, NDs);
        TR(matmul_acc_dw)(dvi, P, doi, d.M, d.Ds, d.N); /* dV_i = P^T dO_i */
        for (int t = 0; t < d.M; t++) { /* dS = P (dP - sum_j P dP) * scale */
            real *r = ds + (size_t)t * d.N;
            const real *p = P + (size_t)t * d.N;
            double dot = 0;
            for (int j = 0; j < d.N; j++) dot += (double)r[j] * p[j];
            for (int j = 0; j < d.N; j++) r[j] = (real)(p[j] * (r[j] - dot) * scale);
        }
        TR(matmul_acc_dx)(dqi, ds, ki, d.M, d.Ds, d.N); /* dQ_i = dS K_i */
        TR(matmul_acc_dw)(dki, ds, qi, d.M, d.Ds, d.N); /* dK_i = dS^T Q_i */
        xsum_cols(dqi, g->dQ, d.M, d.D, d.Ds, i, false, true);
        xsum_cols(dki, g->dK, d.N, d.D, d.Ds, i, false, true);
        xsum_cols(dvi, g->dV, d.N, d.D, d.Ds, i, false, true);
    }
}

static real *xsum_gain(real *dg, xsum_grads *g) { return dg ? dg : g->sink; }

/* g->dX: in dL/d(layer output), out dL/d(layer input); dC +=. */
static void xsum_layer_backward(real *dC, const TR(xsum_layer) * dw, xsum_grads *g,
                                const real *C, const TR(xsum_layer) * w,
                                const xsum_acts *x, xsum_dims d) {
    size_t MD = (size_t)d.M * d.D, ND = (size_t)d.N * d.D;
    const real *a = x->Z + (size_t)d.S * d.D;
    real_zero(g->dF, MD);
    TR(xswiglu_backward)
    (g->dF, &dw->ffn, NULL, g->dX, NULL, x->f, &w->ffn, x->ffn, g->ffn, d.M, d.D, d.F,
     d.r, d.s);
    TR(rmsnorm_backward)
    (g->dX, xsum_gain(dw->ffn_norm, g), g->dF, x->Xm, w->ffn_norm, x->rf, d.M, d.D);
    real_zero(g->dO, MD);
    TR(lora_mat_backward)
    (g->dO, &dw->wo, g->dxs, g->dX, x->O, x->os, &w->wo, d.M, d.D, d.D, d.r, d.s);
    xsum_attend_backward(g, x, d);
    real_zero(g->dZ, ND);
    TR(lora_mat_backward)
    (g->dZ + (size_t)d.S * d.D, &dw->wq, g->dxs, g->dQ, a, x->qs, &w->wq, d.M, d.D, d.D,
     d.r, d.s);
    TR(lora_mat_backward)
    (g->dZ, &dw->wk, g->dxs, g->dK, x->Z, x->ks, &w->wk, d.N, d.D, d.D, d.r, d.s);
    TR(lora_mat_backward)
    (g->dZ, &dw->wv, g->dxs, g->dV, x->Z, x->vs, &w->wv, d.N, d.D, d.D, d.r, d.s);
    TR(rmsnorm_backward)
    (dC ? dC : g->dK, xsum_gain(dw->kv_norm, g), g->dZ, C, w->kv_norm, x->rc, d.S, d.D);
    TR(rmsnorm_backward)
    (g->dX, xsum_gain(dw->attn_norm, g), g->dZ + (size_t)d.S * d.D, x->X, w->attn_norm,
     x->ra, d.M, d.D);
}

void TR(xsum_backward)(real *dC, const TR(xsum_weights) * dw, const real *dY,
                       const real *C, const TR(xsum_weights) * w, const real *acts,
                       real *scratch, int S, const titan_config *c) {
    xsum_dims d = xsum_dims_of(S, c);
    int Ls = c->sum_layers;
    size_t MD = (size_t)d.M * d.D;
    xsum_grads g = xsum_grads_split(scratch, d);
    const real *Xf = acts + (size_t)Ls * xsum_layer_size(d), *rstd = Xf + MD;
    static const TR(xsum_layer) frozen = {0};
    real_zero(g.sink, (size_t)d.D);
    real_zero(g.dX, MD);
    TR(rmsnorm_backward)
    (g.dX, xsum_gain(dw->final_norm, &g), dY, Xf, w->final_norm, rstd, d.M, d.D);
    for (int j = Ls - 1; j >= 0; j--) {
        xsum_acts x = xsum_layer_acts((real *)acts, j, d);
        xsum_layer_backward(dC, dw->layers ? &dw->layers[j] : &frozen, &g, C,
                            &w->layers[j], &x, d);
    }
    for (size_t i = 0; dw->slots && i < MD; i++) dw->slots[i] += g.dX[i];
}
