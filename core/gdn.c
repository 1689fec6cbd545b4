/* gdn.c: the Gated DeltaNet mixer of SPEC section 8 around its two forms:
 * the projections, the causal conv on q,k,v (earlier rows from the state's
 * ring), activations, L2 norms, beta and the log decay g per token; the heads
 * (core/gdn_recurrence.c, core/gdn_chunked.c) in parallel; the gated RMSNorm
 * and gdn_o. The state layout and the integration calls are in core/gdn.h. */
#include "core/gdn.h"
#include "core/model.h"

#include <math.h>
#include <string.h>

static size_t round16(size_t n) { return (n + 15) / 16 * 16; }

static size_t state_floats(const titan_gdn *g) {
    return round16((size_t)g->slots * g->Hv * g->Dk * g->Dw + (size_t)g->ring * g->C);
}

/* Shape of the mixer from the config (no scratch). */
static void shape(const titan_config *c, int batch, titan_gdn *g) {
    titan_gdn_dims d = titan_config_gdn(c);
    memset(g, 0, sizeof *g);
    g->Hk = d.heads, g->Hv = d.v_heads, g->Dk = d.head_dim, g->Dw = d.v_head_dim;
    g->Kc = c->gdn_conv_kernel;
    g->C = 2 * g->Hk * g->Dk + g->Hv * g->Dw;
    g->act = c->gdn_qk_act;
    g->out_norm = c->gdn_out_norm;
    g->eps = c->norm_eps;
    g->slots = c->mtp_heads + 1;
    g->ring = g->Kc > 1 ? g->Kc - 1 + c->mtp_heads : 0;
    g->batch = batch;
    g->state_floats = state_floats(g);
    g->chunk_min = TITAN_GDN_CHUNK_MIN;
    g->head_floats = round16((size_t)g->Dw);
    if (batch > 1) /* a call of one token never runs the chunked form */
        g->head_floats += titan_gdn_chunk_floats(g->Dk, g->Dw);
}

size_t titan_gdn_state_floats(const titan_config *c) {
    if (c->gdn_layers_len == 0) return 0;
    titan_gdn g;
    shape(c, 1, &g);
    return g.state_floats;
}

int titan_gdn_layers(const titan_config *c) {
    int32_t S[TITAN_MAX_LAYERS];
    int n = titan_config_schedule(c, false, S, TITAN_MAX_LAYERS), count = 0;
    for (int l = 0; l < n && l < TITAN_MAX_LAYERS; l++)
        count += titan_config_is_gdn(c, S[l]);
    return count;
}

static titan_status carve_floats(titan_arena *a, size_t rows, size_t cols, float **out) {
    if (cols && rows > SIZE_MAX / sizeof(float) / cols)
        return titan_fail(TITAN_E_NOMEM, "gdn: buffer size overflows");
    return titan_arena_alloc(a, rows * cols * sizeof(float), TITAN_ALIGN, (void **)out);
}

titan_status titan_gdn_carve(titan_arena *a, const titan_config *c, int batch,
                             titan_gdn *g) {
    shape(c, batch, g);
    size_t B = batch, HvDw = (size_t)g->Hv * g->Dw;
    TITAN_TRY(carve_floats(a, B, g->C, &g->c));
    TITAN_TRY(carve_floats(a, B, g->C, &g->qkv));
    TITAN_TRY(carve_floats(a, B, 2 * (size_t)g->Hv, &g->bg));
    TITAN_TRY(carve_floats(a, B, HvDw, &g->z));
    TITAN_TRY(carve_floats(a, B, HvDw, &g->o));
    TITAN_TRY(carve_floats(a, g->Hv, g->head_floats, &g->head));
    return TITAN_OK;
}

titan_status titan_gdn_block_carve(titan_arena *a, const titan_config *c,
                                   titan_gdn_block *b) {
    titan_gdn g;
    shape(c, 1, &g);
    memset(b, 0, sizeof *b);
    TITAN_TRY(carve_floats(a, g.Kc, g.C, &b->conv_t));
    TITAN_TRY(carve_floats(a, 1, g.Hv, &b->neg_a));
    TITAN_TRY(carve_floats(a, 1, g.Hv, &b->dt_bias));
    if (g.out_norm) TITAN_TRY(carve_floats(a, 1, g.Dw, &b->o_norm));
    return TITAN_OK;
}

titan_status titan_gdn_plan(const titan_config *c, int batch, size_t *scratch_bytes,
                            size_t *state_bytes) {
    if (!c || !scratch_bytes || !state_bytes || batch < 1)
        return titan_fail(TITAN_E_USAGE, "gdn plan: bad argument");
    TITAN_TRY(titan_config_validate(c));
    titan_arena a;
    titan_arena_init(&a, NULL, 0);
    titan_gdn g;
    TITAN_TRY(titan_gdn_carve(&a, c, batch, &g));
    *scratch_bytes = a.high;
    *state_bytes = titan_gdn_state_floats(c) * sizeof(float);
    return TITAN_OK;
}

/* A 1-D tensor (rows = length, cols = 1) into out[rows]. */
static void vector_floats(const titan_tensor *w, float *out) {
    for (int64_t r = 0; r < w->rows; r++) titan_dequant_row(w, r, 0, 1, out + r);
}

int titan_gdn_block_bind(titan_gdn_block *b, const titan_gdn *g,
                         const titan_tensor *const *w) {
    int i = 0;
    b->qkv = w[i++];
    if (g->Kc > 0) {
        float taps[64]; /* gdn_conv_kernel <= 64 (titan.h) */
        const titan_tensor *conv = w[i++];
        for (int ch = 0; ch < g->C; ch++) {
            titan_dequant_row(conv, ch, 0, g->Kc, taps);
            for (int j = 0; j < g->Kc; j++) b->conv_t[(size_t)j * g->C + ch] = taps[j];
        }
    }
    b->ba = w[i++];
    vector_floats(w[i++], b->neg_a); /* gdn_A_log */
    for (int j = 0; j < g->Hv; j++) b->neg_a[j] = (float)-exp(b->neg_a[j]);
    vector_floats(w[i++], b->dt_bias);
    b->z = w[i++];
    if (g->out_norm) vector_floats(w[i++], b->o_norm);
    b->o = w[i++];
    return i;
}

/* ------------------------------------------------------------ per token */

typedef struct {
    titan_gdn *g;
    titan_backend *be;
    const titan_gdn_block *b;
    float *state;
    int pos, n;
    int n0; /* rows of the bulk pass; the last n - n0 go one by one */
} gdn_job;

/* Run fn over [0, n) on the backend's threads when it has them and the
 * work is worth waking them for. */
static void run(titan_backend *be, int64_t n, bool worth, titan_task_fn fn, void *job) {
    if (be->parallel_for && worth)
        be->parallel_for(be, n, fn, job);
    else
        fn(job, 0, n);
}

static float *state_slot(const gdn_job *j, int p, int head) {
    const titan_gdn *g = j->g;
    size_t S = (size_t)g->Dk * g->Dw;
    return j->state + ((size_t)(p % g->slots) * g->Hv + head) * S;
}

/* Pre-conv row of relative row src: this call's, the ring's, or NULL
 * (zeros) before the sequence start. */
static const float *conv_input(const gdn_job *j, int src) {
    const titan_gdn *g = j->g;
    int p = j->pos + src;
    if (src >= 0) return g->c + (size_t)src * g->C;
    if (p < 0) return NULL;
    const float *ring = j->state + (size_t)g->slots * g->Hv * g->Dk * g->Dw;
    return ring + (size_t)(p % g->ring) * g->C;
}

static float silu(float x) { return x / (1.0f + expf(-x)); }

/* x /= sqrt(|x|^2 + 1e-6), times scale (SPEC's L2 norms of q and k). */
static void l2_norm(float *x, int n, double scale) {
    double ss = 0;
    for (int i = 0; i < n; i++) ss += (double)x[i] * x[i];
    float f = (float)(scale / sqrt(ss + 1e-6));
    for (int i = 0; i < n; i++) x[i] *= f;
}

/* Row t: conv, activations, L2 norms; beta and g of every head. */
static void prepare_row(const gdn_job *j, int t) {
    const titan_gdn *g = j->g;
    int C = g->C, HkDk = g->Hk * g->Dk, Hv = g->Hv;
    float *x = g->qkv + (size_t)t * C;
    if (g->Kc > 0) {
        memset(x, 0, (size_t)C * sizeof *x);
        for (int k = 0; k < g->Kc; k++) {
            const float *a = conv_input(j, t - (g->Kc - 1) + k);
            if (a) titan_vec_mul_add(x, j->b->conv_t + (size_t)k * C, a, C);
        }
    } else {
        memcpy(x, g->c + (size_t)t * C, (size_t)C * sizeof *x);
    }
    for (int i = 0; i < 2 * HkDk; i++)
        x[i] = g->act == TITAN_GDN_ACT_SILU ? silu(x[i])
               : x[i] > 0                   ? x[i] + 1
                                            : expf(x[i]);
    for (int i = 2 * HkDk; i < C; i++) x[i] = silu(x[i]);
    for (int h = 0; h < 2 * g->Hk; h++) /* q heads (with 1/sqrt(Dk)), then k heads */
        l2_norm(x + (size_t)h * g->Dk, g->Dk, h < g->Hk ? 1 / sqrt(g->Dk) : 1);
    float *bg = g->bg + (size_t)t * 2 * Hv;
    for (int h = 0; h < Hv; h++) {
        double a = bg[Hv + h] + (double)j->b->dt_bias[h];
        double softplus = fmax(a, 0) + log1p(exp(-fabs(a)));
        bg[h] = (float)(1 / (1 + exp(-(double)bg[h])));
        bg[Hv + h] = (float)(j->b->neg_a[h] * softplus);
    }
}

static void prepare_rows(void *ctx, int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; t++) prepare_row(ctx, (int)t);
}

/* Keep the newest pre-conv rows for the next call (and for rewinds). */
static void keep_rows(const gdn_job *j) {
    const titan_gdn *g = j->g;
    if (g->ring == 0) return;
    float *ring = j->state + (size_t)g->slots * g->Hv * g->Dk * g->Dw;
    int keep = j->n < g->ring ? j->n : g->ring;
    for (int t = j->n - keep; t < j->n; t++)
        memcpy(ring + (size_t)((j->pos + t) % g->ring) * g->C, g->c + (size_t)t * g->C,
               (size_t)g->C * sizeof(float));
}

/* Value head h: rows [0, n0) in one pass on the state of position pos + n0
 * (in place), then each later row from its position's state to the next. */
static void run_head(const gdn_job *j, int h) {
    const titan_gdn *g = j->g;
    int HkDk = g->Hk * g->Dk, key = h / (g->Hv / g->Hk);
    titan_gdn_head hd = {.q = g->qkv + (size_t)key * g->Dk,
                         .k = g->qkv + HkDk + (size_t)key * g->Dk,
                         .v = g->qkv + 2 * HkDk + (size_t)h * g->Dw,
                         .bg = g->bg + h,
                         .o = g->o + (size_t)h * g->Dw,
                         .ld = (size_t)g->C,
                         .ldbg = 2 * (size_t)g->Hv,
                         .ldo = (size_t)g->Hv * g->Dw,
                         .Dk = g->Dk,
                         .Dw = g->Dw,
                         .Hv = g->Hv};
    float *scratch = g->head + (size_t)h * g->head_floats;
    bool vector = j->be->parallel_for != NULL;
    if (j->n0 > 0) {
        float *src = state_slot(j, j->pos, h), *S = state_slot(j, j->pos + j->n0, h);
        if (S != src) memcpy(S, src, (size_t)g->Dk * g->Dw * sizeof *S);
        if (vector && j->n0 >= g->chunk_min)
            titan_gdn_chunks(&hd, j->n0, S, j->be, scratch + round16((size_t)g->Dw));
        else
            for (int t = 0; t < j->n0; t++)
                if (vector)
                    titan_gdn_step(&hd, t, S, S, scratch);
                else
                    titan_gdn_step_ref(&hd, t, S, S);
    }
    for (int t = j->n0; t < j->n; t++) {
        const float *src = state_slot(j, j->pos + t, h);
        float *dst = state_slot(j, j->pos + t + 1, h);
        if (vector)
            titan_gdn_step(&hd, t, src, dst, scratch);
        else
            titan_gdn_step_ref(&hd, t, src, dst);
    }
}

static void heads(void *ctx, int64_t begin, int64_t end) {
    for (int64_t h = begin; h < end; h++) run_head(ctx, (int)h);
}

/* o = RMSNorm(o; o_norm) (gdn_out_norm) times SiLU(z), per row and head. */
static void gate_rows(void *ctx, int64_t begin, int64_t end) {
    const gdn_job *j = ctx;
    const titan_gdn *g = j->g;
    for (int64_t r = begin; r < end; r++) { /* r = t * Hv + head */
        float *o = g->o + (size_t)r * g->Dw;
        if (g->out_norm) titan_rmsnorm(o, o, j->b->o_norm, g->Dw, g->eps);
        titan_vec_silu_mul(o, g->z + (size_t)r * g->Dw, g->Dw);
    }
}

void titan_gdn_forward(titan_gdn *g, titan_backend *be, const titan_gdn_block *b,
                       float *state, int pos, const float *u, float *y, int n) {
    enum { FEW_ROWS = 8 }; /* below this, waking threads costs more than the rows */
    int M = g->slots - 1;
    gdn_job job = {g, be, b, state, pos, n, n > M ? n - M : 0};
    if (be->matmul2) {
        be->matmul2(be, b->qkv, g->c, b->z, g->z, u, n);
    } else {
        be->matmul(be, b->qkv, u, g->c, n);
        be->matmul(be, b->z, u, g->z, n);
    }
    be->matmul(be, b->ba, u, g->bg, n);
    run(be, n, n >= FEW_ROWS, prepare_rows, &job);
    keep_rows(&job);
    if (pos == 0) /* S_0 = 0 */
        memset(state_slot(&job, 0, 0), 0, (size_t)g->Hv * g->Dk * g->Dw * sizeof(float));
    run(be, g->Hv, (size_t)n * g->Dk * g->Dw * g->Hv >= 65536, heads, &job);
    run(be, (int64_t)n * g->Hv, n >= FEW_ROWS, gate_rows, &job);
    be->matmul(be, b->o, g->o, y, n);
}
