/* op_gdn.c: the Gated DeltaNet mixer of SPEC section 8, forward and backward,
 * in the chunked form (chunks of L = TITAN_GDN_CHUNK tokens, the WY / UT
 * transform written out in core/gdn_chunked.c). Per value head and chunk,
 * with cumulative log decay G, Gam[t][s] = exp(G_t - G_s) (s <= t), entry
 * state S0 and f_t = exp(G_L - G_t):
 *
 *   A   = strict_lower(diag(beta) (Gam o K K^T))
 *   X   = [W | U] = (I + A)^-1 [diag(beta e^G) K | diag(beta) V]
 *   V'  = U - W S0
 *   O   = diag(e^G) Q S0 + (Gam o Q K^T) V'
 *   S1  = e^G_L S0 + (diag(f) K)^T V'
 *
 * The forward pass keeps each chunk's entry state; the backward pass goes
 * through the chunks in reverse, recomputes a chunk's intermediates from its
 * entry state and carries dL/dS from chunk to chunk. Around the heads: the
 * projections, the causal conv on q,k,v, activations, L2 norms, beta, the
 * decay, the gated RMSNorm and gdn_o, each with its gradient. */
#include "tools/train/op_gdn.h"

#include "core/gdn.h"
#include "tools/train/train_ops.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

enum { L = TITAN_GDN_CHUNK };

int TR(gdn_bind)(TR(gdn_weights) * w, const char *leaf, real *ptr) {
    static const struct {
        const char *name;
        size_t offset;
    } fields[] = {
        {"gdn_qkv", offsetof(TR(gdn_weights), qkv)},
        {"gdn_conv", offsetof(TR(gdn_weights), conv)},
        {"gdn_ba", offsetof(TR(gdn_weights), ba)},
        {"gdn_A_log", offsetof(TR(gdn_weights), A_log)},
        {"gdn_dt_bias", offsetof(TR(gdn_weights), dt_bias)},
        {"gdn_z", offsetof(TR(gdn_weights), z)},
        {"gdn_o_norm", offsetof(TR(gdn_weights), o_norm)},
        {"gdn_o", offsetof(TR(gdn_weights), o)},
    };
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (!strcmp(leaf, fields[i].name)) {
            *(real **)((char *)w + fields[i].offset) = ptr;
            return 1;
        }
    return 0;
}

/* ---------------------------------------------------------------- shapes */

typedef struct {
    int T, D, Hk, Hv, Dk, Dw, Kc, C, HvDw, w, chunks;
    bool silu, out_norm;
    double eps;
} dims;

static dims dims_of(int T, const titan_config *c) {
    titan_gdn_dims g = titan_config_gdn(c);
    dims d = {.T = T, .D = c->d_model, .Hk = g.heads, .Hv = g.v_heads};
    d.Dk = g.head_dim, d.Dw = g.v_head_dim, d.Kc = c->gdn_conv_kernel;
    d.C = 2 * d.Hk * d.Dk + d.Hv * d.Dw;
    d.HvDw = d.Hv * d.Dw;
    d.w = d.Dk + d.Dw;
    d.chunks = (T + L - 1) / L;
    d.silu = c->gdn_qk_act == TITAN_GDN_ACT_SILU;
    d.out_norm = c->gdn_out_norm;
    d.eps = c->norm_eps;
    return d;
}

/* Pointers into one slab, laid out by a table of sizes: with base NULL only
 * the total is counted. */
typedef struct {
    real *base;
    size_t used;
} slab;

static real *take(slab *s, size_t n) {
    real *p = s->base ? s->base + s->used : NULL;
    s->used += n;
    return p;
}

/* What forward keeps. */
typedef struct {
    real *c;     /* [T, C] gdn_qkv u */
    real *cc;    /* [T, C] after the conv */
    real *x;     /* [T, C] q^ (with 1/sqrt(Dk)), k^, v */
    real *rn;    /* [T, 2Hk] 1 / sqrt(|act(q)|^2 + 1e-6), then k's */
    real *ba;    /* [T, 2Hv] gdn_ba u */
    real *bg;    /* [T, 2Hv] beta | g */
    real *z;     /* [T, HvDw] gdn_z u */
    real *o;     /* [T, HvDw] head outputs */
    real *on;    /* [T, HvDw] after the gated norm's RMSNorm (o without it) */
    real *gated; /* [T, HvDw] on * SiLU(z): gdn_o's input */
    real *rstd;  /* [T, Hv] */
    real *S;     /* [Hv, chunks, Dk, Dw] entry state of every chunk */
} acts_t;

static acts_t carve_acts(real *base, const dims *d, size_t *total) {
    slab s = {base, 0};
    size_t T = d->T;
    acts_t a;
    a.c = take(&s, T * d->C), a.cc = take(&s, T * d->C), a.x = take(&s, T * d->C);
    a.rn = take(&s, T * 2 * d->Hk);
    a.ba = take(&s, T * 2 * d->Hv), a.bg = take(&s, T * 2 * d->Hv);
    a.z = take(&s, T * d->HvDw), a.o = take(&s, T * d->HvDw);
    a.on = take(&s, T * d->HvDw), a.gated = take(&s, T * d->HvDw);
    a.rstd = take(&s, T * d->Hv);
    a.S = take(&s, (size_t)d->Hv * d->chunks * d->Dk * d->Dw);
    if (total) *total = s.used;
    return a;
}

/* One chunk's workspace: its intermediates, then backward's gradients. */
typedef struct {
    real *Q, *K, *V;              /* [L, Dk], [L, Dk], [L, Dw] */
    real *beta, *eG, *f;          /* [L] */
    real *gam, *KK, *A, *QK, *Pm; /* [L, L] */
    real *X;                      /* [L, w]: W | U */
    real *Vp, *QS;                /* [L, Dw]: V', Q S0 */
    real *Kd;                     /* [L, Dk] diag(f) K */
    real *dO, *dVp, *dV;          /* [L, Dw] */
    real *dKd, *dQ, *dK;          /* [L, Dk] */
    real *dPm, *dA;               /* [L, L] */
    real *dX, *dB;                /* [L, w] */
    real *dS0, *WdV;              /* [Dk, Dw] */
    /* In double in both builds: the decay's sums cancel (dG_t gets +r and
     * dG_s -r of every pair), and G_t - G_s keeps its digits. */
    double G[L], dG[L], dbeta[L];
} chunk_ws;

/* The temporary values of both passes. */
typedef struct {
    real *S;                      /* [Dk, Dw] running state (forward) */
    real *dgated, *dz, *don, *dO; /* [T, HvDw] */
    real *dx, *dcc, *dc;          /* [T, C] */
    real *dbg, *dba;              /* [T, 2Hv] */
    real *dS;                     /* [Dk, Dw] dL/dS at a chunk's end */
    chunk_ws w;
} scratch_t;

static scratch_t carve_scratch(real *base, const dims *d, size_t *total) {
    slab s = {base, 0};
    size_t T = d->T, LL = (size_t)L * L, S = (size_t)d->Dk * d->Dw;
    scratch_t r;
    chunk_ws *w = &r.w;
    r.S = take(&s, S);
    r.dgated = take(&s, T * d->HvDw), r.dz = take(&s, T * d->HvDw);
    r.don = take(&s, T * d->HvDw), r.dO = take(&s, T * d->HvDw);
    r.dx = take(&s, T * d->C), r.dcc = take(&s, T * d->C), r.dc = take(&s, T * d->C);
    r.dbg = take(&s, T * 2 * d->Hv), r.dba = take(&s, T * 2 * d->Hv);
    r.dS = take(&s, S);
    w->Q = take(&s, L * d->Dk), w->K = take(&s, L * d->Dk), w->V = take(&s, L * d->Dw);
    w->beta = take(&s, L), w->eG = take(&s, L), w->f = take(&s, L);
    w->gam = take(&s, LL), w->KK = take(&s, LL), w->A = take(&s, LL);
    w->QK = take(&s, LL), w->Pm = take(&s, LL);
    w->X = take(&s, L * d->w);
    w->Vp = take(&s, L * d->Dw), w->QS = take(&s, L * d->Dw);
    w->Kd = take(&s, L * d->Dk);
    w->dO = take(&s, L * d->Dw), w->dVp = take(&s, L * d->Dw),
    w->dV = take(&s, L * d->Dw);
    w->dKd = take(&s, L * d->Dk), w->dQ = take(&s, L * d->Dk),
    w->dK = take(&s, L * d->Dk);
    w->dPm = take(&s, LL), w->dA = take(&s, LL);
    w->dX = take(&s, L * d->w), w->dB = take(&s, L * d->w);
    w->dS0 = take(&s, S), w->WdV = take(&s, S);
    if (total) *total = s.used;
    return r;
}

size_t TR(gdn_acts_size)(int T, const titan_config *c) {
    dims d = dims_of(T, c);
    size_t n;
    carve_acts(NULL, &d, &n);
    return n;
}

size_t TR(gdn_scratch_size)(int T, const titan_config *c) {
    dims d = dims_of(T, c);
    size_t n;
    carve_scratch(NULL, &d, &n);
    return n;
}

/* ------------------------------------------------------------- products */

/* c[m, n] (+)= op(A)[m, k] op(B)[k, n], op(A)[i][p] = a[i*lda + p] (or
 * a[p*lda + i] when ta), op(B)[p][j] = b[p*ldb + j] (or b[j*ldb + p] when
 * tb). The float build runs the platform's GEMM (as op_matmul.c), the
 * double build plain loops. */
#ifdef TRAIN_DOUBLE
static void mm(int m, int n, int k, const real *a, size_t lda, bool ta, const real *b,
               size_t ldb, bool tb, real *c, size_t ldc, bool acc) {
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            real s = acc ? c[i * ldc + j] : 0;
            for (int p = 0; p < k; p++)
                s += (ta ? a[p * lda + i] : a[i * lda + p]) *
                     (tb ? b[j * ldb + p] : b[p * ldb + j]);
            c[i * ldc + j] = s;
        }
}
#else
#include "platform/matmul.h"

static void mm(int m, int n, int k, const real *a, size_t lda, bool ta, const real *b,
               size_t ldb, bool tb, real *c, size_t ldc, bool acc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        for (int i = 0; !acc && i < m; i++) memset(c + i * ldc, 0, sizeof(real) * n);
        return;
    }
    _Alignas(64) float scratch[MATMUL_SCRATCH_FLOATS];
    titan_gemm_f32 g = {m, n, k, a, lda, ta, b, ldb, tb, c, ldc, acc};
    titan_gemm_f32_run(titan_matmul_family(titan_cpu_best_isa()), &g, scratch);
}
#endif

static real dot(const real *a, const real *b, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += (double)a[i] * b[i];
    return (real)s;
}

static void axpy(real *y, real a, const real *x, int n) {
    for (int i = 0; i < n; i++) y[i] += a * x[i];
}

static double sigmoid(double x) { return 1 / (1 + exp(-x)); }

/* --------------------------------------------------------------- chunks */

/* The intermediates of chunk [t0, t0 + n) of value head j from entry S0. */
static void chunk_prepare(const dims *d, const acts_t *a, int j, int t0, int n,
                          const real *S0, chunk_ws *w) {
    int Dk = d->Dk, Dw = d->Dw, W = d->w, key = j / (d->Hv / d->Hk);
    size_t qo = (size_t)key * Dk, ko = (size_t)d->Hk * Dk + qo;
    size_t vo = 2 * (size_t)d->Hk * Dk + (size_t)j * Dw;
    double G = 0;
    for (int t = 0; t < n; t++) {
        const real *x = a->x + (size_t)(t0 + t) * d->C,
                   *bg = a->bg + (t0 + t) * 2 * d->Hv;
        memcpy(w->Q + t * Dk, x + qo, sizeof(real) * Dk);
        memcpy(w->K + t * Dk, x + ko, sizeof(real) * Dk);
        memcpy(w->V + t * Dw, x + vo, sizeof(real) * Dw);
        w->beta[t] = bg[j];
        w->G[t] = G += bg[d->Hv + j];
        w->eG[t] = (real)exp(G);
    }
    for (int t = 0; t < n; t++) {
        w->f[t] = (real)exp(w->G[n - 1] - w->G[t]);
        for (int s = 0; s < n; s++)
            w->gam[t * L + s] = s <= t ? (real)exp(w->G[t] - w->G[s]) : 0;
    }
    mm(n, n, Dk, w->K, Dk, false, w->K, Dk, true, w->KK, L, false);
    mm(n, n, Dk, w->Q, Dk, false, w->K, Dk, true, w->QK, L, false);
    for (int t = 0; t < n; t++) {
        for (int s = 0; s < n; s++) {
            w->A[t * L + s] =
                s < t ? w->beta[t] * w->gam[t * L + s] * w->KK[t * L + s] : 0;
            w->Pm[t * L + s] = w->gam[t * L + s] * w->QK[t * L + s];
        }
        real *xt = w->X + t * W;
        for (int i = 0; i < Dk; i++) xt[i] = w->beta[t] * w->eG[t] * w->K[t * Dk + i];
        for (int i = 0; i < Dw; i++) xt[Dk + i] = w->beta[t] * w->V[t * Dw + i];
        for (int s = 0; s < t; s++) axpy(xt, -w->A[t * L + s], w->X + s * W, W);
        for (int i = 0; i < Dk; i++) w->Kd[t * Dk + i] = w->f[t] * w->K[t * Dk + i];
    }
    mm(n, Dw, Dk, w->X, W, false, S0, Dw, false, w->Vp, Dw, false); /* W S0 */
    for (int t = 0; t < n; t++)
        for (int i = 0; i < Dw; i++)
            w->Vp[t * Dw + i] = w->X[t * W + Dk + i] - w->Vp[t * Dw + i];
    mm(n, Dw, Dk, w->Q, Dk, false, S0, Dw, false, w->QS, Dw, false);
}

/* Forward of chunk [t0, t0 + n) of head j: its outputs, and S updated. */
static void chunk_forward(const dims *d, const acts_t *a, int j, int t0, int n, real *S,
                          chunk_ws *w) {
    int Dw = d->Dw;
    chunk_prepare(d, a, j, t0, n, S, w);
    for (int t = 0; t < n; t++)
        for (int i = 0; i < Dw; i++) w->QS[t * Dw + i] *= w->eG[t];
    mm(n, Dw, n, w->Pm, L, false, w->Vp, Dw, false, w->QS, Dw, true);
    for (int t = 0; t < n; t++)
        memcpy(a->o + (size_t)(t0 + t) * d->HvDw + (size_t)j * Dw, w->QS + t * Dw,
               sizeof(real) * Dw);
    real eGL = w->eG[n - 1];
    for (size_t i = 0; i < (size_t)d->Dk * Dw; i++) S[i] *= eGL;
    mm(d->Dk, Dw, n, w->Kd, d->Dk, true, w->Vp, Dw, false, S, Dw, true);
}

/* Backward of chunk [t0, t0 + n) of head j, entry state S0: dS holds
 * dL/dS1 and leaves with dL/dS0; the token gradients add into s->dx and
 * s->dbg. */
static void chunk_backward(const dims *d, const acts_t *a, scratch_t *s, int j, int t0,
                           int n, const real *S0) {
    int Dk = d->Dk, Dw = d->Dw, W = d->w, key = j / (d->Hv / d->Hk);
    size_t SS = (size_t)Dk * Dw;
    chunk_ws *w = &s->w;
    real *dS = s->dS, *dS0 = w->dS0;
    chunk_prepare(d, a, j, t0, n, S0, w);
    for (int t = 0; t < n; t++)
        memcpy(w->dO + t * Dw, s->dO + (size_t)(t0 + t) * d->HvDw + (size_t)j * Dw,
               sizeof(real) * Dw);
    real_zero(w->dQ, (size_t)n * Dk), real_zero(w->dK, (size_t)n * Dk);
    real_zero(w->dV, (size_t)n * Dw);
    memset(w->dbeta, 0, sizeof w->dbeta), memset(w->dG, 0, sizeof w->dG);
    /* S1 = e^G_L S0 + Kd^T V' */
    mm(n, Dw, Dk, w->Kd, Dk, false, dS, Dw, false, w->dVp, Dw, false);
    mm(n, Dk, Dw, w->Vp, Dw, false, dS, Dw, true, w->dKd, Dk, false);
    for (int t = 0; t < n; t++) {
        double de = w->f[t] * (double)dot(w->K + t * Dk, w->dKd + t * Dk, Dk);
        axpy(w->dK + t * Dk, w->f[t], w->dKd + t * Dk, Dk);
        w->dG[n - 1] += de, w->dG[t] -= de;
    }
    real eGL = w->eG[n - 1];
    w->dG[n - 1] += eGL * (double)dot(S0, dS, (int)SS);
    for (size_t i = 0; i < SS; i++) dS0[i] = eGL * dS[i];
    /* O2 = Pm V': dPm, then through Gam and Q K^T */
    mm(n, Dw, n, w->Pm, L, true, w->dO, Dw, false, w->dVp, Dw, true);
    mm(n, n, Dw, w->dO, Dw, false, w->Vp, Dw, true, w->dPm, L, false);
    for (int t = 0; t < n; t++)
        for (int u = 0; u < n; u++) {
            real *dp = &w->dPm[t * L + u];
            if (u > t) {
                *dp = 0;
                continue;
            }
            double r = (double)*dp * w->Pm[t * L + u];
            w->dG[t] += r, w->dG[u] -= r;
            *dp *= w->gam[t * L + u]; /* dL/d(Q K^T) */
        }
    mm(n, Dk, n, w->dPm, L, false, w->K, Dk, false, w->dQ, Dk, true);
    mm(n, Dk, n, w->dPm, L, true, w->Q, Dk, false, w->dK, Dk, true);
    /* O1 = diag(e^G) Q S0 */
    for (int t = 0; t < n; t++) {
        w->dG[t] += w->eG[t] * (double)dot(w->QS + t * Dw, w->dO + t * Dw, Dw);
        for (int i = 0; i < Dw; i++) w->dO[t * Dw + i] *= w->eG[t];
    }
    mm(n, Dk, Dw, w->dO, Dw, false, S0, Dw, true, w->dQ, Dk, true);
    mm(Dk, Dw, n, w->Q, Dk, true, w->dO, Dw, false, dS0, Dw, true);
    /* V' = U - W S0 */
    mm(n, Dk, Dw, w->dVp, Dw, false, S0, Dw, true, w->dX, W, false);
    for (int t = 0; t < n; t++) {
        real *dx = w->dX + t * W;
        for (int i = 0; i < Dk; i++) dx[i] = -dx[i];
        memcpy(dx + Dk, w->dVp + t * Dw, sizeof(real) * Dw);
    }
    mm(Dk, Dw, n, w->X, W, true, w->dVp, Dw, false, w->WdV, Dw, false);
    for (size_t i = 0; i < SS; i++) dS0[i] -= w->WdV[i];
    /* X = (I + A)^-1 B: dB = (I + A)^-T dX, dA = -dB X^T (strictly lower) */
    for (int t = n - 1; t >= 0; t--) {
        real *db = w->dB + t * W;
        memcpy(db, w->dX + t * W, sizeof(real) * W);
        for (int u = t + 1; u < n; u++) axpy(db, -w->A[u * L + t], w->dB + u * W, W);
    }
    for (int t = 0; t < n; t++)
        for (int u = 0; u < n; u++)
            w->dA[t * L + u] = u < t ? -dot(w->dB + t * W, w->X + u * W, W) : 0;
    /* B = [diag(beta e^G) K | diag(beta) V] */
    for (int t = 0; t < n; t++) {
        const real *dbk = w->dB + t * W, *dbv = dbk + Dk;
        real kd = dot(w->K + t * Dk, dbk, Dk), be = w->beta[t] * w->eG[t];
        axpy(w->dK + t * Dk, be, dbk, Dk);
        axpy(w->dV + t * Dw, w->beta[t], dbv, Dw);
        w->dbeta[t] += w->eG[t] * (double)kd + dot(w->V + t * Dw, dbv, Dw);
        w->dG[t] += be * (double)kd;
    }
    /* A = beta Gam K K^T, strictly lower: dA becomes dL/d(K K^T) */
    for (int t = 0; t < n; t++)
        for (int u = 0; u < t; u++) {
            real *da = &w->dA[t * L + u], ga = w->gam[t * L + u] * w->KK[t * L + u];
            double r = (double)*da * w->beta[t] * ga;
            w->dbeta[t] += (double)*da * ga;
            w->dG[t] += r, w->dG[u] -= r;
            *da *= w->beta[t] * w->gam[t * L + u];
        }
    mm(n, Dk, n, w->dA, L, false, w->K, Dk, false, w->dK, Dk, true);
    mm(n, Dk, n, w->dA, L, true, w->K, Dk, false, w->dK, Dk, true);
    /* G = cumsum g: dg_t = sum of dG over t' >= t; into the token gradients */
    double dg = 0;
    size_t qo = (size_t)key * Dk, ko = (size_t)d->Hk * Dk + qo;
    size_t vo = 2 * (size_t)d->Hk * Dk + (size_t)j * Dw;
    for (int t = n - 1; t >= 0; t--) {
        real *dx = s->dx + (size_t)(t0 + t) * d->C, *dbg = s->dbg + (t0 + t) * 2 * d->Hv;
        dg += w->dG[t];
        axpy(dx + qo, 1, w->dQ + t * Dk, Dk);
        axpy(dx + ko, 1, w->dK + t * Dk, Dk);
        axpy(dx + vo, 1, w->dV + t * Dw, Dw);
        dbg[j] += (real)w->dbeta[t];
        dbg[d->Hv + j] += (real)dg;
    }
    memcpy(dS, dS0, sizeof(real) * SS);
}

/* ---------------------------------------------------------- per token */

static real act(real x, bool silu) {
    if (silu) return (real)(x * sigmoid(x));
    return x > 0 ? x + 1 : (real)exp(x);
}

static real act_grad(real x, bool silu) {
    if (silu) {
        double s = sigmoid(x);
        return (real)(s * (1 + x * (1 - s)));
    }
    return x > 0 ? 1 : (real)exp(x);
}

/* x = act(cc) for q and k, SiLU(cc) for v; q and k heads L2-normed (q
 * also by 1/sqrt(Dk)); beta | g from ba. */
static void prepare(const dims *d, const TR(gdn_weights) * w, const acts_t *a) {
    int HkDk = d->Hk * d->Dk;
    for (int t = 0; t < d->T; t++) {
        const real *cc = a->cc + (size_t)t * d->C;
        real *x = a->x + (size_t)t * d->C;
        for (int i = 0; i < d->C; i++) x[i] = act(cc[i], i < 2 * HkDk ? d->silu : true);
        for (int h = 0; h < 2 * d->Hk; h++) {
            real *xh = x + (size_t)h * d->Dk;
            double r = 1 / sqrt((double)dot(xh, xh, d->Dk) + 1e-6);
            double scale = h < d->Hk ? r / sqrt(d->Dk) : r;
            a->rn[t * 2 * d->Hk + h] = (real)r;
            for (int i = 0; i < d->Dk; i++) xh[i] = (real)(xh[i] * scale);
        }
        const real *ba = a->ba + t * 2 * d->Hv;
        real *bg = a->bg + t * 2 * d->Hv;
        for (int h = 0; h < d->Hv; h++) {
            double x_a = (double)ba[d->Hv + h] + w->dt_bias[h];
            double softplus = fmax(x_a, 0) + log1p(exp(-fabs(x_a)));
            bg[h] = (real)sigmoid(ba[h]);
            bg[d->Hv + h] = (real)(-exp(w->A_log[h]) * softplus);
        }
    }
}

void TR(gdn_forward)(real *y, const real *u, const TR(gdn_weights) * w, real *acts,
                     real *scratch, int T, const titan_config *c) {
    dims d = dims_of(T, c);
    acts_t a = carve_acts(acts, &d, NULL);
    scratch_t s = carve_scratch(scratch, &d, NULL);
    size_t SS = (size_t)d.Dk * d.Dw, TC = (size_t)T * d.C, TV = (size_t)T * d.HvDw;
    TR(matmul_forward)(a.c, u, w->qkv, T, d.D, d.C);
    if (d.Kc > 0)
        TR(conv_forward)(a.cc, a.c, w->conv, T, d.C, d.Kc);
    else
        memcpy(a.cc, a.c, sizeof(real) * TC);
    TR(matmul_forward)(a.ba, u, w->ba, T, d.D, 2 * d.Hv);
    TR(matmul_forward)(a.z, u, w->z, T, d.D, d.HvDw);
    prepare(&d, w, &a);
    for (int j = 0; j < d.Hv; j++) {
        real_zero(s.S, SS);
        for (int ch = 0; ch < d.chunks; ch++) {
            int t0 = ch * L;
            memcpy(a.S + ((size_t)j * d.chunks + ch) * SS, s.S, sizeof(real) * SS);
            chunk_forward(&d, &a, j, t0, T - t0 < L ? T - t0 : L, s.S, &s.w);
        }
    }
    if (d.out_norm)
        TR(rmsnorm_forward)(a.on, a.rstd, a.o, w->o_norm, T * d.Hv, d.Dw, d.eps);
    else
        memcpy(a.on, a.o, sizeof(real) * TV);
    TR(swiglu_forward)(a.gated, a.z, a.on, TV);
    TR(matmul_forward)(y, a.gated, w->o, T, d.HvDw, d.D);
}

/* dx (q^, k^, v) back through the L2 norms and activations to dcc. */
static void prepare_backward(const dims *d, const acts_t *a, scratch_t *s) {
    int HkDk = d->Hk * d->Dk;
    for (int t = 0; t < d->T; t++) {
        const real *x = a->x + (size_t)t * d->C, *cc = a->cc + (size_t)t * d->C;
        real *dx = s->dx + (size_t)t * d->C, *dcc = s->dcc + (size_t)t * d->C;
        for (int h = 0; h < 2 * d->Hk; h++) { /* n = act r: da = r (dn - n (n . dn)) */
            size_t o = (size_t)h * d->Dk;
            double r = a->rn[t * 2 * d->Hk + h], scale = h < d->Hk ? 1 / sqrt(d->Dk) : 1;
            double nd = 0;
            for (int i = 0; i < d->Dk; i++) nd += x[o + i] / scale * dx[o + i] * scale;
            for (int i = 0; i < d->Dk; i++) {
                double n = x[o + i] / scale;
                dcc[o + i] = (real)(r * (dx[o + i] * scale - n * nd));
            }
        }
        for (int i = 0; i < d->C; i++) {
            bool silu = i < 2 * HkDk ? d->silu : true;
            real g = i < 2 * HkDk ? dcc[i] : dx[i];
            dcc[i] = g * act_grad(cc[i], silu);
        }
    }
}

/* dbg (beta | g) back to dba, dA_log and ddt_bias. */
static void decay_backward(const dims *d, const TR(gdn_weights) * w, TR(gdn_weights) * dw,
                           const acts_t *a, scratch_t *s) {
    for (int t = 0; t < d->T; t++) {
        const real *ba = a->ba + t * 2 * d->Hv, *bg = a->bg + t * 2 * d->Hv;
        const real *dbg = s->dbg + t * 2 * d->Hv;
        real *dba = s->dba + t * 2 * d->Hv;
        for (int h = 0; h < d->Hv; h++) {
            double beta = bg[h], x_a = (double)ba[d->Hv + h] + w->dt_bias[h];
            dba[h] = (real)(dbg[h] * beta * (1 - beta));
            double da = -exp(w->A_log[h]) * sigmoid(x_a) * dbg[d->Hv + h];
            dba[d->Hv + h] = (real)da;
            dw->dt_bias[h] += (real)da;
            dw->A_log[h] += dbg[d->Hv + h] * bg[d->Hv + h]; /* dg/dA_log = g */
        }
    }
}

void TR(gdn_backward)(real *du, TR(gdn_weights) * dw, const real *dy, const real *u,
                      const TR(gdn_weights) * w, const real *acts, real *scratch, int T,
                      const titan_config *c) {
    dims d = dims_of(T, c);
    acts_t a = carve_acts((real *)acts, &d, NULL);
    scratch_t s = carve_scratch(scratch, &d, NULL);
    size_t SS = (size_t)d.Dk * d.Dw, TC = (size_t)T * d.C, TV = (size_t)T * d.HvDw;
    real_zero(s.dgated, TV);
    TR(matmul_backward)(s.dgated, dw->o, dy, a.gated, w->o, T, d.HvDw, d.D);
    TR(swiglu_backward)(s.dz, s.don, s.dgated, a.z, a.on, TV);
    if (d.out_norm) {
        real_zero(s.dO, TV);
        TR(rmsnorm_backward)
        (s.dO, dw->o_norm, s.don, a.o, w->o_norm, a.rstd, T * d.Hv, d.Dw);
    } else {
        memcpy(s.dO, s.don, sizeof(real) * TV);
    }
    TR(matmul_backward)(du, dw->z, s.dz, u, w->z, T, d.D, d.HvDw);
    real_zero(s.dx, TC), real_zero(s.dbg, (size_t)T * 2 * d.Hv);
    for (int j = 0; j < d.Hv; j++) {
        real_zero(s.dS, SS);
        for (int ch = d.chunks - 1; ch >= 0; ch--) {
            int t0 = ch * L;
            chunk_backward(&d, &a, &s, j, t0, T - t0 < L ? T - t0 : L,
                           a.S + ((size_t)j * d.chunks + ch) * SS);
        }
    }
    decay_backward(&d, w, dw, &a, &s);
    TR(matmul_backward)(du, dw->ba, s.dba, u, w->ba, T, d.D, 2 * d.Hv);
    prepare_backward(&d, &a, &s);
    const real *dc = s.dcc;
    if (d.Kc > 0) {
        real_zero(s.dc, TC);
        TR(conv_backward)(s.dc, dw->conv, s.dcc, a.c, w->conv, T, d.C, d.Kc);
        dc = s.dc;
    }
    TR(matmul_backward)(du, dw->qkv, dc, u, w->qkv, T, d.D, d.C);
}
