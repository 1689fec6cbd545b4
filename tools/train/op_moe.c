/* op_moe.c: SPEC section 9's MoE layer (op_moe.h). Routing picks each row's
 * k experts; the assignments are then grouped by expert (in row order) so
 * each expert runs its SwiGLU once, as one batch, on exactly its rows: the
 * cost follows k, not E. Indices live in the real buffers as exact integers
 * (T k < 2^24). */
#include "tools/train/op_moe.h"

#include "tools/train/train_ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int TR(lora_mat_bind)(TR(lora_mat) * m, const char *name, const char *leaf, real *ptr) {
    size_t n = strlen(name);
    if (strncmp(leaf, name, n)) return 0;
    const char *rest = leaf + n;
    real **to = !*rest                     ? &m->w
                : !strcmp(rest, ".lora_A") ? &m->A
                : !strcmp(rest, ".lora_B") ? &m->B
                                           : NULL;
    if (to) *to = ptr;
    return to != NULL;
}

int TR(swiglu_bind)(TR(swiglu_weights) * w, const char *leaf, real *ptr) {
    return TR(lora_mat_bind)(&w->w_gate, "w_gate", leaf, ptr) ||
           TR(lora_mat_bind)(&w->w_up, "w_up", leaf, ptr) ||
           TR(lora_mat_bind)(&w->w_down, "w_down", leaf, ptr);
}

int TR(moe_bind)(TR(moe_weights) * w, const char *leaf, real *ptr, int E) {
    if (TR(lora_mat_bind)(&w->router, "router", leaf, ptr)) return 1;
    if (strncmp(leaf, "experts.", 8)) return 0;
    char *end;
    long e = strtol(leaf + 8, &end, 10);
    if (end == leaf + 8 || *end != '.' || e < 0 || e >= E) return 0;
    return TR(swiglu_bind)(&w->experts[e], end + 1, ptr);
}

/* ---- SwiGLU with adapters on rows ---- */

/* acts for n rows: ag, up, m [n, F], then the adapters' xs of gate, up,
 * down [n, r] each. */
size_t TR(xswiglu_acts_size)(int n, int F, int r) {
    return (size_t)n * (3 * (size_t)F + 3 * (size_t)r);
}

/* dm, dag, dup [n, F], dys [n, D], dxs [n, r]. */
size_t TR(xswiglu_scratch_size)(int n, int D, int F, int r) {
    return (size_t)n * (3 * (size_t)F + (size_t)D + (size_t)r);
}

typedef struct {
    real *ag, *up, *m, *xg, *xu, *xd;
} moe_xswiglu_acts;

static moe_xswiglu_acts moe_xswiglu_split(real *a, int n, int F, int r) {
    size_t nF = (size_t)n * F, nr = (size_t)n * r;
    return (moe_xswiglu_acts){a,          a + nF,          a + 2 * nF,
                              a + 3 * nF, a + 3 * nF + nr, a + 3 * nF + 2 * nr};
}

void TR(lora_mat_forward)(real *y, real *xs, const real *x, const TR(lora_mat) * m, int n,
                          int I, int O, int r, real s) {
    TR(lora_forward)(y, xs, x, m->w, m->A, m->B, n, I, O, r, s);
}

void TR(lora_mat_backward)(real *dx, const TR(lora_mat) * dm, real *dxs, const real *dy,
                           const real *x, const real *xs, const TR(lora_mat) * m, int n,
                           int I, int O, int r, real s) {
    TR(lora_backward)
    (dx, dm->w, dm->A, dm->B, dxs, dy, x, xs, m->w, m->A, m->B, n, I, O, r, s);
}

void TR(xswiglu_forward)(real *y, real *a, const real *x, const TR(swiglu_weights) * w,
                         int n, int D, int F, int r, real s) {
    moe_xswiglu_acts k = moe_xswiglu_split(a, n, F, r);
    TR(lora_mat_forward)(k.ag, k.xg, x, &w->w_gate, n, D, F, r, s);
    TR(lora_mat_forward)(k.up, k.xu, x, &w->w_up, n, D, F, r, s);
    TR(swiglu_forward)(k.m, k.ag, k.up, (size_t)n * F);
    TR(lora_mat_forward)(y, k.xd, k.m, &w->w_down, n, F, D, r, s);
}

/* Rows scaled by gw: dys[i] = gw[i] dy[i]. */
static void moe_scale_rows(real *out, const real *in, const real *gw, int n, int C) {
    for (int i = 0; i < n; i++)
        for (int j = 0; j < C; j++)
            out[(size_t)i * C + j] = gw[i] * in[(size_t)i * C + j];
}

void TR(xswiglu_backward)(real *dx, const TR(swiglu_weights) * dw, real *dgw,
                          const real *dy, const real *gw, const real *x,
                          const TR(swiglu_weights) * w, const real *a, real *scratch,
                          int n, int D, int F, int r, real s) {
    moe_xswiglu_acts k = moe_xswiglu_split((real *)a, n, F, r);
    size_t nF = (size_t)n * F;
    real *dm = scratch, *dag = dm + nF, *dup = dag + nF, *dys = dup + nF;
    real *dxs = dys + (size_t)n * D;
    static const TR(lora_mat) frozen = {0};
    /* d m of the unweighted rows first: dy_i . y_i = (dy_i w_down) . m_i */
    real_zero(dm, nF);
    TR(lora_mat_backward)(dm, &frozen, dxs, dy, k.m, k.xd, &w->w_down, n, F, D, r, s);
    for (int i = 0; dgw && i < n; i++) {
        double dot = 0;
        for (int j = 0; j < F; j++)
            dot += (double)dm[(size_t)i * F + j] * k.m[(size_t)i * F + j];
        dgw[i] = (real)dot;
    }
    if (gw) {
        moe_scale_rows(dm, dm, gw, n, F);
        moe_scale_rows(dys, dy, gw, n, D);
        dy = dys;
    }
    TR(lora_mat_backward)
    (NULL, &dw->w_down, dxs, dy, k.m, k.xd, &w->w_down, n, F, D, r, s);
    TR(swiglu_backward)(dag, dup, dm, k.ag, k.up, nF);
    TR(lora_mat_backward)(dx, &dw->w_gate, dxs, dag, x, k.xg, &w->w_gate, n, D, F, r, s);
    TR(lora_mat_backward)(dx, &dw->w_up, dxs, dup, x, k.xu, &w->w_up, n, D, F, r, s);
}

/* ---- the MoE layer ---- */

typedef struct {
    int D, E, k, F, r;
    real s;
} moe_dims;

static moe_dims moe_dims_of(const titan_config *c) {
    int r = c->lora_rank;
    return (moe_dims){c->d_model,
                      c->moe_experts,
                      c->moe_top_k,
                      c->moe_hidden,
                      r,
                      r > 0 ? (real)(c->lora_alpha / r) : 0};
}

/* acts: z [T, E], zxs [T, r] (router adapter), lse [T], sel, gate [T, k]
 * (row t's experts by rank, their gates), order [T k] (assignments t k + i
 * grouped by expert, rows ascending), start [E + 1] (expert e's are
 * order[start[e] .. start[e+1])), then the experts' SwiGLU acts in that
 * order. */
typedef struct {
    real *z, *zxs, *lse, *sel, *gate, *order, *start, *ex;
} moe_acts;

static moe_acts moe_acts_split(real *a, int T, moe_dims d) {
    moe_acts m;
    size_t Tk = (size_t)T * d.k;
    m.z = a, m.zxs = m.z + (size_t)T * d.E, m.lse = m.zxs + (size_t)T * d.r;
    m.sel = m.lse + T, m.gate = m.sel + Tk, m.order = m.gate + Tk;
    m.start = m.order + Tk, m.ex = m.start + d.E + 1;
    return m;
}

size_t TR(moe_acts_size)(int T, const titan_config *c) {
    moe_dims d = moe_dims_of(c);
    size_t Tk = (size_t)T * d.k;
    return (size_t)T * (d.E + d.r + 1) + 3 * Tk + d.E + 1 +
           TR(xswiglu_acts_size)((int)Tk, d.F, d.r);
}

/* Forward: cursor [E], xg, yg [T, D]. Backward: dz [T, E], dzs [T, r],
 * dg [T k], xg, dyg, dxg [T, D], gw, dgw [T], then the SwiGLU's scratch. */
size_t TR(moe_scratch_size)(int T, const titan_config *c) {
    moe_dims d = moe_dims_of(c);
    return (size_t)T * (d.E + d.r + d.k + 3 * (size_t)d.D + 2) + d.E +
           TR(xswiglu_scratch_size)(T, d.D, d.F, d.r);
}

/* sel[0..k) = the k largest of z[0..E) by z descending, equal z by ascending
 * index: pick i is the best of those ranked after pick i-1. */
static void moe_top_k(real *sel, const real *z, int E, int k) {
    for (int i = 0; i < k; i++) {
        int prev = i ? (int)sel[i - 1] : -1, best = -1;
        for (int e = 0; e < E; e++) {
            bool after = prev < 0 || z[e] < z[prev] || (z[e] == z[prev] && e > prev);
            if (after && (best < 0 || z[e] > z[best])) best = e;
        }
        sel[i] = (real)(best < 0 ? 0 : best);
    }
}

static double moe_logsumexp(const real *z, int E) {
    double mx = z[0], sum = 0;
    for (int e = 1; e < E; e++) mx = fmax(mx, z[e]);
    for (int e = 0; e < E; e++) sum += exp(z[e] - mx);
    return mx + log(sum);
}

/* Row t's experts and gates: softmax over the chosen (renormalize) or over
 * all E. */
static void moe_route_row(moe_acts *m, int t, moe_dims d, bool renormalize) {
    const real *z = m->z + (size_t)t * d.E;
    real *sel = m->sel + (size_t)t * d.k, *g = m->gate + (size_t)t * d.k;
    moe_top_k(sel, z, d.E, d.k);
    double lse = m->lse[t] = (real)moe_logsumexp(z, d.E), top = z[(int)sel[0]], sum = 0;
    for (int i = 0; i < d.k; i++) sum += exp(z[(int)sel[i]] - top);
    for (int i = 0; i < d.k; i++) {
        double ze = z[(int)sel[i]];
        g[i] = (real)(renormalize ? exp(ze - top) / sum : exp(ze - lse));
    }
}

/* Group the assignments by expert (cursor: [E] scratch). */
static void moe_group(moe_acts *m, real *cursor, int T, moe_dims d) {
    memset(m->start, 0, sizeof(real) * (size_t)(d.E + 1));
    for (size_t a = 0; a < (size_t)T * d.k; a++) m->start[(int)m->sel[a] + 1] += 1;
    for (int e = 0; e < d.E; e++) m->start[e + 1] += m->start[e];
    memcpy(cursor, m->start, sizeof(real) * (size_t)d.E);
    for (size_t a = 0; a < (size_t)T * d.k; a++) {
        int e = (int)m->sel[a];
        m->order[(size_t)cursor[e]] = (real)a;
        cursor[e] += 1;
    }
}

void TR(moe_stats_reset)(TR(moe_stats) * st, int E) {
    st->l_bal = st->l_z = st->zsq = 0;
    st->T = 0;
    memset(st->load, 0, sizeof *st->load * (size_t)E);
    memset(st->psum, 0, sizeof *st->psum * (size_t)E);
}

/* Adds this call's T rows to st; then f_e = load_e / (k T) and
 * P_e = psum_e / T over the stream give l_bal, and zsq / T l_z. */
static void moe_loss_terms(TR(moe_stats) * st, const moe_acts *m, int T, moe_dims d) {
    for (int t = 0; t < T; t++) {
        const real *z = m->z + (size_t)t * d.E;
        for (int e = 0; e < d.E; e++) st->psum[e] += exp(z[e] - m->lse[t]);
        st->zsq += (double)m->lse[t] * m->lse[t];
    }
    for (int e = 0; e < d.E; e++) st->load[e] += (int32_t)(m->start[e + 1] - m->start[e]);
    st->T += T;
    double bal = 0, n = st->T;
    for (int e = 0; e < d.E; e++) bal += st->load[e] * st->psum[e];
    st->l_bal = d.E * bal / ((double)d.k * n * n);
    st->l_z = st->zsq / n;
}

static size_t moe_ex_offset(const moe_acts *m, int e, moe_dims d) {
    return TR(xswiglu_acts_size)((int)m->start[e], d.F, d.r);
}

void TR(moe_forward)(real *y, TR(moe_stats) * st, const real *u,
                     const TR(moe_weights) * w, real *acts, real *scratch, int T,
                     const titan_config *c) {
    moe_dims d = moe_dims_of(c);
    moe_acts m = moe_acts_split(acts, T, d);
    real *cursor = scratch, *xg = cursor + d.E, *yg = xg + (size_t)T * d.D;
    TR(lora_mat_forward)(m.z, m.zxs, u, &w->router, T, d.D, d.E, d.r, d.s);
    for (int t = 0; t < T; t++) moe_route_row(&m, t, d, c->moe_renormalize);
    moe_group(&m, cursor, T, d);
    moe_loss_terms(st, &m, T, d);
    real_zero(y, (size_t)T * d.D);
    for (int e = 0; e < d.E; e++) {
        int a0 = (int)m.start[e], n = (int)m.start[e + 1] - a0;
        if (n == 0) continue;
        for (int i = 0; i < n; i++)
            memcpy(xg + (size_t)i * d.D, u + (size_t)((int)m.order[a0 + i] / d.k) * d.D,
                   sizeof(real) * (size_t)d.D);
        TR(xswiglu_forward)
        (yg, m.ex + moe_ex_offset(&m, e, d), xg, &w->experts[e], n, d.D, d.F, d.r, d.s);
        for (int i = 0; i < n; i++) {
            int a = (int)m.order[a0 + i];
            real g = m.gate[a], *yt = y + (size_t)(a / d.k) * d.D;
            for (int j = 0; j < d.D; j++) yt[j] += g * yg[(size_t)i * d.D + j];
        }
    }
}

/* Expert e's backward on its rows: dg[a] = dL/d gate[a], du += its dx. */
static void moe_expert_backward(real *du, real *dg, const TR(swiglu_weights) * dwe,
                                const real *dy, const real *u,
                                const TR(swiglu_weights) * we, const moe_acts *m,
                                real *scratch, int e, int T, moe_dims d) {
    int a0 = (int)m->start[e], n = (int)m->start[e + 1] - a0;
    size_t TD = (size_t)T * d.D;
    real *xg = scratch, *dyg = xg + TD, *dxg = dyg + TD, *gw = dxg + TD, *dgw = gw + T;
    for (int i = 0; i < n; i++) {
        int a = (int)m->order[a0 + i], t = a / d.k;
        memcpy(xg + (size_t)i * d.D, u + (size_t)t * d.D, sizeof(real) * (size_t)d.D);
        memcpy(dyg + (size_t)i * d.D, dy + (size_t)t * d.D, sizeof(real) * (size_t)d.D);
        gw[i] = m->gate[a];
    }
    real_zero(dxg, (size_t)n * d.D);
    TR(xswiglu_backward)
    (du ? dxg : NULL, dwe, dgw, dyg, gw, xg, we, m->ex + moe_ex_offset(m, e, d), dgw + T,
     n, d.D, d.F, d.r, d.s);
    for (int i = 0; i < n; i++) {
        int a = (int)m->order[a0 + i];
        dg[a] = dgw[i];
        if (!du) continue;
        real *dut = du + (size_t)(a / d.k) * d.D;
        for (int j = 0; j < d.D; j++) dut[j] += dxg[(size_t)i * d.D + j];
    }
}

/* dz of row t from its gates' gradients dg and the two loss terms (T, f:
 * the stream's st):
 * renormalized g = softmax over K: dz_j = g_j (dg_j - sum_K g dg), j in K;
 * g = p = softmax(z): dz_j = p_j ([j in K] dg_j - sum_K p dg);
 * l_bal: dz_j = w_bal E/T p_j (f_j - sum_e f_e p_e); l_z: w_z 2/T lse p_j. */
static void moe_router_row_grad(real *dz, const real *dg, const moe_acts *m, int t,
                                const TR(moe_stats) * st, moe_dims d, bool renormalize,
                                double w_bal, double w_z) {
    const real *z = m->z + (size_t)t * d.E, *sel = m->sel + (size_t)t * d.k;
    const real *g = m->gate + (size_t)t * d.k;
    double lse = m->lse[t], gdg = 0, fp = 0, T = st->T;
    for (int i = 0; i < d.k; i++) gdg += (double)g[i] * dg[i];
    for (int e = 0; e < d.E; e++) fp += st->load[e] * exp(z[e] - lse) / ((double)d.k * T);
    for (int e = 0; e < d.E; e++) {
        double p = exp(z[e] - lse), f = st->load[e] / ((double)d.k * T);
        double v = w_bal * d.E / T * p * (f - fp) + w_z * 2 / T * lse * p;
        if (!renormalize) v -= p * gdg;
        dz[e] += (real)v;
    }
    for (int i = 0; i < d.k; i++)
        dz[(int)sel[i]] += g[i] * (dg[i] - (renormalize ? gdg : 0));
}

void TR(moe_backward)(real *du, const TR(moe_weights) * dw, const real *dy, double w_bal,
                      double w_z, const TR(moe_stats) * st, const real *u,
                      const TR(moe_weights) * w, const real *acts, real *scratch, int T,
                      const titan_config *c) {
    moe_dims d = moe_dims_of(c);
    moe_acts m = moe_acts_split((real *)acts, T, d);
    real *dz = scratch, *dzs = dz + (size_t)T * d.E, *dg = dzs + (size_t)T * d.r;
    real *rest = dg + (size_t)T * d.k;
    static const TR(swiglu_weights) frozen = {0};
    for (int e = 0; e < d.E; e++) {
        if (m.start[e + 1] == m.start[e]) continue;
        moe_expert_backward(du, dg, dw->experts ? &dw->experts[e] : &frozen, dy, u,
                            &w->experts[e], &m, rest, e, T, d);
    }
    real_zero(dz, (size_t)T * d.E);
    for (int t = 0; t < T; t++)
        moe_router_row_grad(dz + (size_t)t * d.E, dg + (size_t)t * d.k, &m, t, st, d,
                            c->moe_renormalize, w_bal, w_z);
    TR(lora_mat_backward)
    (du, &dw->router, dzs, dz, u, m.zxs, &w->router, T, d.D, d.E, d.r, d.s);
}
