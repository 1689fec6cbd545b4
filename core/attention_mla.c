/* attention_mla.c: multi-head latent attention, absorbed form. Keys and values
 * are never expanded: for head i of group g, k_g(j) = Wk_g c_j and
 * v_g(j) = Wv_g c_j, so qn_i . k_g(j) = (Wk_g^T qn_i) . c_j and
 * o_i = Wv_g (sum_j p_j c_j). The cache holds only c (Lkv) and kr (Dr).
 *
 * One task = one group x a block of QBLOCK query tokens: its rows (every head
 * of the group for every token of the block) stream the cache once, PBLOCK
 * positions at a time (a slice stays in cache while every row uses it), with
 * an online softmax (running max and sum). Tasks run in parallel through the
 * backend's parallel_for. Position
 * blocks are aligned to absolute positions and each row only ever reads its
 * own state, so a query's arithmetic does not depend on which other queries
 * share its task: prefill equals decode and any thread count gives the same
 * bits. */
#include "core/model.h"

#include <math.h>
#include <string.h>

enum {
    QBLOCK = 16, /* query tokens per task */
    PBLOCK = TITAN_ATT_PBLOCK, /* cache positions scored at once */
};

/* Write c = RMSNorm(a[0:Lkv]) and kr = Rope(a[Lkv:]) of row t to the cache. */
static void append_latent(titan_model *m, titan_seq *s, const titan_block *b,
                          int layer, int t) {
    const titan_config *c = &m->cfg;
    int Lkv = c->kv_latent, Dr = c->rope_dim, p = s->pos + t;
    const float *a = m->kva + (size_t)t * (Lkv + Dr);
    float *lat = s->lat + ((size_t)layer * m->ctx + p) * Lkv;
    float *kr = s->kr + ((size_t)layer * m->ctx + p) * Dr;
    titan_rmsnorm(lat, a, b->kv_norm, Lkv, c->norm_eps);
    memcpy(kr, a + Lkv, (size_t)Dr * sizeof *kr);
    titan_rope_rotate(kr, m->rope + (size_t)t * Dr, Dr / 2);
}

typedef struct {
    titan_model *m;
    const titan_seq *s;
    const titan_block *b;
    int layer, n;
} attn_job;

/* Rows of one task: token t0 + r / hg, head g * hg + r % hg. */
typedef struct {
    const attn_job *job;
    int g, t0, rows, hg;
} attn_task;

static size_t row_index(const attn_task *k, int r) { /* into [batch][H] */
    return (size_t)(k->t0 + r / k->hg) * k->job->m->cfg.n_heads +
           (size_t)k->g * k->hg + (size_t)(r % k->hg);
}

/* ql = Wk_g^T qn for every row; running max -inf, sum 0, latent sum 0. */
static void absorb_queries(const attn_task *k, const float *wk) {
    const titan_model *m = k->job->m;
    const titan_config *c = &m->cfg;
    int Dh = c->head_dim, Lkv = c->kv_latent, qw = Dh + c->rope_dim;
    for (int r = 0; r < k->rows; r++) {
        size_t i = row_index(k, r);
        const float *qn = m->q + i * qw;
        float *ql = m->qlat + i * Lkv;
        memset(ql, 0, (size_t)Lkv * sizeof *ql);
        for (int d = 0; d < Dh; d++)
            titan_vec_axpy(ql, wk + (size_t)d * Lkv, qn[d], Lkv);
        memset(m->olat + i * Lkv, 0, (size_t)Lkv * sizeof *m->olat);
        m->att_run[2 * i] = -INFINITY;
        m->att_run[2 * i + 1] = 0;
    }
}

/* att[j - j0] = scaled score of positions [j0, j1) for one row, four
 * positions at a time so each query load serves four (the bits of a score do
 * not depend on how positions fall into fours). */
static void score_positions(const float *ql, const float *qr, const float *lat,
                            const float *kr, int Lkv, int Dr, int j0, int j1,
                            float scale, float *att) {
    int j = j0;
    for (; j + 4 <= j1; j += 4) {
        float sl[4], sr[4];
        titan_vec_dot_x4(ql, lat + (size_t)j * Lkv, (size_t)Lkv, Lkv, sl);
        titan_vec_dot_x4(qr, kr + (size_t)j * Dr, (size_t)Dr, Dr, sr);
        for (int c = 0; c < 4; c++) att[j - j0 + c] = (sl[c] + sr[c]) * scale;
    }
    for (; j < j1; j++)
        att[j - j0] = (titan_vec_dot(ql, lat + (size_t)j * Lkv, Lkv) +
                       titan_vec_dot(qr, kr + (size_t)j * Dr, Dr)) * scale;
}

/* ol += sum over [j0, j1) of p[j - j0] lat_j, four positions per pass over
 * ol. Which positions form fours depends on j0 and j1 alone. */
static void add_values(float *ol, const float *lat, int Lkv, int j0, int j1,
                       const float *p) {
    int j = j0;
    for (; j + 4 <= j1; j += 4)
        titan_vec_axpy_x4(ol, lat + (size_t)j * Lkv, (size_t)Lkv, p + (j - j0), Lkv);
    for (; j < j1; j++) titan_vec_axpy(ol, lat + (size_t)j * Lkv, p[j - j0], Lkv);
}

/* Fold positions [j0, j0 + PBLOCK) (each row up to its own position) into
 * the rows' running softmax state. lat and kr point at the layer's cache. */
static void attend_block(const attn_task *k, const float *lat,
                         const float *kr, int j0, float scale) {
    const titan_model *m = k->job->m;
    const titan_config *c = &m->cfg;
    int Lkv = c->kv_latent, Dr = c->rope_dim, qw = c->head_dim + Dr;
    int base = k->job->s->pos + k->t0; /* position of the task's first token */
    for (int r = 0; r < k->rows; r++) {
        int p = base + r / k->hg, j1 = j0 + PBLOCK <= p + 1 ? j0 + PBLOCK : p + 1;
        if (j1 <= j0) continue;
        size_t i = row_index(k, r);
        const float *ql = m->qlat + i * Lkv, *qr = m->q + i * qw + c->head_dim;
        float *att = m->att + i * PBLOCK, *run = m->att_run + 2 * i;
        score_positions(ql, qr, lat, kr, Lkv, Dr, j0, j1, scale, att);
        float mx = run[0], sum = 0;
        for (int j = 0; j < j1 - j0; j++) mx = att[j] > mx ? att[j] : mx;
        float corr = expf(run[0] - mx);
        for (int j = 0; j < j1 - j0; j++) sum += att[j] = expf(att[j] - mx);
        float *ol = m->olat + i * Lkv;
        if (corr != 1.0f)
            for (int e = 0; e < Lkv; e++) ol[e] *= corr;
        add_values(ol, lat, Lkv, j0, j1, att);
        run[0] = mx;
        run[1] = run[1] * corr + sum;
    }
}

/* o = Wv_g (olat / sum) for every row. */
static void project_values(const attn_task *k, const float *wv) {
    const titan_model *m = k->job->m;
    const titan_config *c = &m->cfg;
    int Lkv = c->kv_latent, Dv = c->v_head_dim;
    for (int r = 0; r < k->rows; r++) {
        size_t i = row_index(k, r);
        const float *ol = m->olat + i * Lkv;
        float inv = 1.0f / m->att_run[2 * i + 1], *o = m->o + i * Dv;
        for (int e = 0; e < Dv; e++)
            o[e] = titan_vec_dot(wv + (size_t)e * Lkv, ol, Lkv) * inv;
    }
}

static void attend_task(const attn_job *job, int g, int t0) {
    const titan_model *m = job->m;
    const titan_config *c = &m->cfg;
    int Dh = c->head_dim, Dv = c->v_head_dim, Dr = c->rope_dim;
    int Lkv = c->kv_latent, hg = c->n_heads / c->n_kv_heads;
    int tn = job->n - t0 < QBLOCK ? job->n - t0 : QBLOCK;
    attn_task k = {job, g, t0, tn * hg, hg};
    float scale = (float)(m->mscale * m->mscale / sqrt(Dh + Dr));
    const float *wk = job->b->wkv_b + (size_t)g * (Dh + Dv) * Lkv; /* [Dh][Lkv] */
    const float *lat = job->s->lat + (size_t)job->layer * m->ctx * Lkv;
    const float *kr = job->s->kr + (size_t)job->layer * m->ctx * Dr;
    absorb_queries(&k, wk);
    int last = job->s->pos + t0 + tn - 1;
    for (int j0 = 0; j0 <= last; j0 += PBLOCK) attend_block(&k, lat, kr, j0, scale);
    project_values(&k, wk + (size_t)Dh * Lkv);
}

/* Tasks are numbered query block major, group minor. */
static void attend_tasks(void *ctx, int64_t begin, int64_t end) {
    const attn_job *job = ctx;
    int G = job->m->cfg.n_kv_heads;
    for (int64_t i = begin; i < end; i++)
        attend_task(job, (int)(i % G), (int)(i / G) * QBLOCK);
}

void titan_attention_mla(titan_model *m, titan_seq *s, const titan_block *b,
                           int layer, int n) {
    const titan_config *c = &m->cfg;
    titan_backend *be = m->be;
    int D = c->d_model, H = c->n_heads, G = c->n_kv_heads;
    int Dh = c->head_dim, Dr = c->rope_dim;
    int qw = Dh + Dr;
    for (int t = 0; t < n; t++)
        titan_rmsnorm(m->u + (size_t)t * D, m->h + (size_t)t * D,
                        b->attn_norm, D, c->norm_eps);
    if (b->wq_a) {
        int Lq = c->q_latent;
        be->matmul(be, b->wq_a, m->u, m->cq, n);
        for (int t = 0; t < n; t++)
            titan_rmsnorm(m->cq + (size_t)t * Lq, m->cq + (size_t)t * Lq,
                            b->q_norm, Lq, c->norm_eps);
        be->matmul(be, b->wq_b, m->cq, m->q, n);
    } else {
        be->matmul(be, b->wq_b, m->u, m->q, n);
    }
    be->matmul(be, b->wkv_a, m->u, m->kva, n);
    for (int t = 0; t < n; t++) append_latent(m, s, b, layer, t);
    for (int t = 0; t < n; t++)
        for (int i = 0; i < H; i++)
            titan_rope_rotate(m->q + ((size_t)t * H + i) * qw + Dh,
                              m->rope + (size_t)t * Dr, Dr / 2);
    attn_job job = {m, s, b, layer, n};
    int64_t tasks = (int64_t)((n + QBLOCK - 1) / QBLOCK) * G;
    if (be->parallel_for)
        be->parallel_for(be, tasks, attend_tasks, &job);
    else
        attend_tasks(&job, 0, tasks);
    be->matmul(be, b->wo, m->o, m->y, n);
    titan_vec_add(m->h, m->y, n * D);
}
