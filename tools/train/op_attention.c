/* op_attention.c: grouped causal softmax attention on per-head views (SPEC
 * section 1; section 8's zero-value sink and XSA), forward and backward. */
#include "tools/train/train_ops.h"

#include <math.h>
#include <string.h>

/* Per-head working copies, each [T, width]: Qh, Kg, Vg, their gradients,
 * dOh, and one [T, T] matrix. */
typedef struct {
    real *qh, *kg, *vg, *dqh, *dkg, *dvg, *doh, *tt;
} head_bufs;

size_t TR(attention_scratch_size)(int T, int Dq, int Dv) {
    return (size_t)T * (4 * (size_t)Dq + 3 * (size_t)Dv) + (size_t)T * T;
}

static head_bufs carve_heads(real *s, int T, int Dq, int Dv) {
    size_t qk = (size_t)Dq, dv = (size_t)Dv;
    head_bufs b;
    b.qh = s;
    b.kg = b.qh + T * qk;
    b.dqh = b.kg + T * qk;
    b.dkg = b.dqh + T * qk;
    b.vg = b.dkg + T * qk;
    b.dvg = b.vg + T * dv;
    b.doh = b.dvg + T * dv;
    b.tt = b.doh + T * dv;
    return b;
}

/* dst[T, n] = the n values at src + t * stride; scatter_add is the way
 * back, accumulating. */
static void gather(real *dst, const real *src, size_t stride, int T, int n) {
    for (int t = 0; t < T; t++)
        memcpy(dst + (size_t)t * n, src + t * stride, sizeof(real) * n);
}

static void scatter_add(real *dst, size_t stride, const real *src, int T, int n) {
    for (int t = 0; t < T; t++)
        for (int i = 0; i < n; i++) dst[t * stride + i] += src[(size_t)t * n + i];
}

static int group_of(const TR(attn_shape) * s, int h) { return h / (s->H / s->G); }

/* Qh, Kg, Vg of head h. */
static void load_head(head_bufs *b, const TR(attn_shape) * s, const TR(attn_view) * x,
                      int h) {
    int T = s->T, Dq = s->Dq, k1 = s->k_len, g = group_of(s, h);
    gather(b->qh, x->q + (size_t)h * x->q_step, x->q_row, T, Dq);
    const real *k = x->k + (size_t)g * x->k_step, *k2 = x->k2 + (size_t)g * x->k2_step;
    for (int t = 0; t < T; t++) {
        memcpy(b->kg + (size_t)t * Dq, k + t * x->k_row, sizeof(real) * k1);
        memcpy(b->kg + (size_t)t * Dq + k1, k2 + t * x->k2_row, sizeof(real) * (Dq - k1));
    }
    gather(b->vg, x->v + (size_t)g * x->v_step, x->v_row, T, s->Dv);
}

/* The sink's score for head h (group g) at row t: q . k_sink[g] * scale,
 * or sink_logit[g]. */
static double sink_score(const TR(attn_shape) * s, const real *qt, int g) {
    if (s->sink_logit) return s->sink_logit[g];
    const real *ks = s->k_sink + (size_t)g * s->Dq;
    double d = 0;
    for (int i = 0; i < s->Dq; i++) d += (double)qt[i] * ks[i];
    return d * s->scale;
}

TRAIN_VECTORIZE void TR(attention_forward)(real *o, real *probs, real *psink,
                                           const TR(attn_shape) * s,
                                           const TR(attn_view) * x, real *scratch) {
    int T = s->T, H = s->H, Dq = s->Dq, Dv = s->Dv;
    bool sink = s->k_sink || s->sink_logit;
    head_bufs b = carve_heads(scratch, T, Dq, Dv);
    for (int h = 0; h < H; h++) {
        real *P = probs + (size_t)h * T * T;
        load_head(&b, s, x, h);
        TR(matmul_forward)(P, b.qh, b.kg, T, Dq, T); /* scores [T, T] */
        for (int t = 0; t < T; t++) {
            real *p = P + (size_t)t * T, mx = -INFINITY, sum = 0, s0 = 0;
            for (int j = 0; j <= t; j++) {
                p[j] *= (real)s->scale;
                mx = p[j] > mx ? p[j] : mx;
            }
            if (sink) {
                s0 = (real)sink_score(s, b.qh + (size_t)t * Dq, group_of(s, h));
                mx = s0 > mx ? s0 : mx;
            }
            real_exp_shifted(p, (size_t)t + 1, mx);
            for (int j = 0; j <= t; j++) sum += p[j];
            if (sink) {
                real e0 = real_exp(s0 - mx);
                sum += e0;
                psink[(size_t)h * T + t] = e0 / sum;
            }
            for (int j = 0; j <= t; j++) p[j] /= sum;
            for (int j = t + 1; j < T; j++) p[j] = 0;
        }
        real_zero(b.doh, (size_t)T * Dv);
        TR(matmul_acc_dx)(b.doh, P, b.vg, T, Dv, T); /* P Vg */
        for (int t = 0; t < T; t++)
            memcpy(o + ((size_t)t * H + h) * Dv, b.doh + (size_t)t * Dv,
                   sizeof(real) * Dv);
    }
}

/* dS = P (dP - rowsum(P dP)) * scale, dP = dOh Vg^T; the sink (value 0)
 * has dP 0, so its score gets -p_sink rowsum(P dP). */
TRAIN_VECTORIZE void TR(attention_backward)(const TR(attn_view) * d, real *dk_sink,
                                            real *dsink_logit, const real *dout,
                                            const real *probs, const real *psink,
                                            const TR(attn_shape) * s,
                                            const TR(attn_view) * x, real *scratch) {
    int T = s->T, H = s->H, Dq = s->Dq, Dv = s->Dv, k1 = s->k_len;
    bool sink = s->k_sink || s->sink_logit;
    head_bufs b = carve_heads(scratch, T, Dq, Dv);
    for (int h = 0; h < H; h++) {
        const real *P = probs + (size_t)h * T * T;
        int g = group_of(s, h);
        load_head(&b, s, x, h);
        gather(b.doh, dout + (size_t)h * Dv, (size_t)H * Dv, T, Dv);
        TR(matmul_forward)(b.tt, b.doh, b.vg, T, Dv, T); /* dP */
        real_zero(b.dqh, (size_t)T * Dq);
        for (int t = 0; t < T; t++) {
            const real *p = P + (size_t)t * T;
            real *dd = b.tt + (size_t)t * T, pdp = 0;
            for (int j = 0; j <= t; j++) pdp += p[j] * dd[j];
            for (int j = 0; j <= t; j++) dd[j] = p[j] * (dd[j] - pdp) * (real)s->scale;
            for (int j = t + 1; j < T; j++) dd[j] = 0;
            if (!sink) continue;
            real ds0 = -psink[(size_t)h * T + t] * pdp;
            if (dsink_logit) {
                dsink_logit[g] += ds0;
                continue;
            }
            real k = ds0 * (real)s->scale, *dqt = b.dqh + (size_t)t * Dq;
            const real *ks = s->k_sink + (size_t)g * Dq, *qt = b.qh + (size_t)t * Dq;
            for (int i = 0; i < Dq; i++) {
                dqt[i] += k * ks[i];
                dk_sink[(size_t)g * Dq + i] += k * qt[i];
            }
        }
        real_zero(b.dkg, (size_t)T * Dq);
        real_zero(b.dvg, (size_t)T * Dv);
        TR(matmul_acc_dx)(b.dqh, b.tt, b.kg, T, Dq, T); /* dS Kg */
        TR(matmul_acc_dw)(b.dkg, b.tt, b.qh, T, Dq, T); /* dS^T Qh */
        TR(matmul_acc_dw)(b.dvg, P, b.doh, T, Dv, T);   /* P^T dOh */
        scatter_add(d->q + (size_t)h * d->q_step, d->q_row, b.dqh, T, Dq);
        real *dk = d->k + (size_t)g * d->k_step, *dk2 = d->k2 + (size_t)g * d->k2_step;
        for (int t = 0; t < T; t++) {
            const real *gk = b.dkg + (size_t)t * Dq;
            real *k = dk + t * d->k_row, *r = dk2 + t * d->k2_row;
            for (int i = 0; i < k1; i++) k[i] += gk[i];
            for (int i = 0; i < Dq - k1; i++) r[i] += gk[k1 + i];
        }
        scatter_add(d->v + (size_t)g * d->v_step, d->v_row, b.dvg, T, Dv);
    }
}

/* The unit vector of group g's value at row t, and |v| (floored at 1e-12). */
static double unit_value(real *n, const TR(attn_view) * x, int t, int g, int Dv) {
    const real *v = x->v + t * x->v_row + (size_t)g * x->v_step;
    double ss = 0;
    for (int i = 0; i < Dv; i++) ss += (double)v[i] * v[i];
    double r = fmax(sqrt(ss), 1e-12);
    for (int i = 0; i < Dv; i++) n[i] = (real)(v[i] / r);
    return r;
}

TRAIN_VECTORIZE void TR(xsa_forward)(real *out, const real *o, const TR(attn_shape) * s,
                                     const TR(attn_view) * x) {
    int H = s->H, Dv = s->Dv;
    real n[4096];
    for (int t = 0; t < s->T; t++)
        for (int h = 0; h < H; h++) {
            unit_value(n, x, t, group_of(s, h), Dv);
            const real *ot = o + ((size_t)t * H + h) * Dv;
            real *yt = out + ((size_t)t * H + h) * Dv;
            double on = 0;
            for (int i = 0; i < Dv; i++) on += (double)ot[i] * n[i];
            for (int i = 0; i < Dv; i++) yt[i] = ot[i] - (real)on * n[i];
        }
}

/* do = dout - (dout . n) n; dn = -(o . n) dout - (dout . n) o; and through
 * n = v / |v|: dv = (dn - (dn . n) n) / |v| (dn / 1e-12 below the floor). */
TRAIN_VECTORIZE void TR(xsa_backward)(real *do_, const TR(attn_view) * d,
                                      const real *dout, const real *o,
                                      const TR(attn_shape) * s, const TR(attn_view) * x) {
    int H = s->H, Dv = s->Dv;
    real n[4096], dn[4096];
    for (int t = 0; t < s->T; t++)
        for (int h = 0; h < H; h++) {
            int g = group_of(s, h);
            double r = unit_value(n, x, t, g, Dv);
            const real *ot = o + ((size_t)t * H + h) * Dv;
            const real *gt = dout + ((size_t)t * H + h) * Dv;
            real *dot = do_ + ((size_t)t * H + h) * Dv;
            double on = 0, gn = 0, dnn = 0;
            for (int i = 0; i < Dv; i++) {
                on += (double)ot[i] * n[i];
                gn += (double)gt[i] * n[i];
            }
            for (int i = 0; i < Dv; i++) {
                dot[i] = gt[i] - (real)gn * n[i];
                dn[i] = (real)(-on * gt[i] - gn * ot[i]);
                dnn += (double)dn[i] * n[i];
            }
            bool floored = r <= 1e-12;
            real *dv = d->v + t * d->v_row + (size_t)g * d->v_step;
            for (int i = 0; i < Dv; i++)
                dv[i] += (real)((floored ? dn[i] : dn[i] - dnn * n[i]) / r);
        }
}
