/* attention_gqa.c: grouped-query attention over explicit keys and values
 * (SPEC section 8): s_ij = q_i(t) . k_g(j) (the queries come scaled by
 * mscale^2 / sqrt(Dq)), causal j <= t, an optional sink with a zero value
 * ("key": s = q_i . k_sink[g]; "logit": s = sink_logit[g]) in the softmax,
 * o_i = sum_j p_ij v_g(j), and XSA, o_i minus its part along the token's own
 * value v_g(t), for blocks in xsa_layers.
 *
 * Tiled as core/attention_mla.c: a task owns the rows (token, head) of one
 * group g for one query block and streams the group's cache PBLOCK positions
 * at a time (scores, online softmax and value sums as small products); a
 * call of one query block (decode) is split along the cache into PCHUNK
 * tasks per group, merged in chunk order. A sink is the start state of the
 * softmax (max = its score, sum = 1), in the first chunk only. Task shapes
 * depend on the call alone: any thread count gives the same bits. */
#include "core/model.h"

#include <math.h>
#include <string.h>

enum {
    DOT_ROWS_MAX = 36, /* up to here, scores skip the transpose (decode) */
    QBLOCK = TITAN_ATT_QBLOCK,
    PBLOCK = TITAN_ATT_PBLOCK,
    PCHUNK = TITAN_ATT_PCHUNK,
};

typedef struct {
    titan_model *m;
    const titan_seq *s;
    const titan_block *b;
    int slot, n;
    int chunks; /* > 1: the call's one query block split along the cache */
} gqa_job;

/* A task: group g, rows (t0 + r / hg, head g*hg + r % hg) for r < rows,
 * cache positions [j_begin, j_end), state rows from `state`. */
typedef struct {
    const gqa_job *job;
    int g, t0, rows, j_begin, j_end;
    size_t state;
    const float *q; /* [rows][Dq] */
    const float *k; /* the group's cache [ctx][Dq] */
    const float *v; /* [ctx][Dv] */
    float *kt;      /* [Dq][PBLOCK] */
} gqa_task;

/* First state row of (query block or chunk `major`, group g). */
static size_t state_row(const titan_model *m, int major, int g) {
    int G = m->cfg.n_kv_heads, hg = m->cfg.n_heads / G;
    return ((size_t)major * G + g) * QBLOCK * hg;
}

/* The start state of each row: empty, or the sink's score with sum 1. */
static void start_rows(const gqa_task *k, bool sink) {
    titan_model *m = k->job->m;
    const titan_block *b = k->job->b;
    int Dq = m->kv_width, Dv = m->cfg.v_head_dim;
    memset(m->olat + k->state * Dv, 0, (size_t)k->rows * Dv * sizeof(float));
    for (int r = 0; r < k->rows; r++) {
        float *run = m->att_run + 2 * (k->state + r);
        run[0] = -INFINITY, run[1] = 0;
        if (!sink) continue;
        if (b->sink_logit) {
            run[0] = b->sink_logit[k->g];
        } else {
            const float *ks = b->k_sink + (size_t)k->g * Dq, *q = k->q + (size_t)r * Dq;
            double dot = 0;
            for (int d = 0; d < Dq; d++) dot += (double)q[d] * ks[d];
            run[0] = (float)dot;
        }
        run[1] = 1;
    }
}

/* Scores, softmax and value sums of every row over [j0, j0 + jn). */
static void attend_block(const gqa_task *k, int j0, int jn) {
    titan_model *m = k->job->m;
    int Dq = m->kv_width, Dv = m->cfg.v_head_dim;
    int hg = m->cfg.n_heads / m->cfg.n_kv_heads;
    float *att = m->att + k->state * PBLOCK;
    const float *kj = k->k + (size_t)j0 * Dq;
    if (k->rows <= DOT_ROWS_MAX) {
        titan_att_dot_rows(m, k->rows, jn, Dq, k->q, kj, att, false);
    } else {
        for (int j = 0; j < jn; j++)
            for (int d = 0; d < Dq; d++) k->kt[d * PBLOCK + j] = kj[(size_t)j * Dq + d];
        titan_att_gemm(m, k->rows, jn, Dq, k->q, Dq, k->kt, PBLOCK, att, PBLOCK, false);
    }
    int first = k->job->s->pos + k->t0;
    for (int r = 0; r < k->rows; r++)
        titan_att_softmax_step(att + (size_t)r * PBLOCK, m->att_run + 2 * (k->state + r),
                               m->olat + (k->state + r) * Dv, Dv, j0, jn, first + r / hg);
    titan_att_gemm(m, k->rows, Dv, jn, att, PBLOCK, k->v + (size_t)j0 * Dv, Dv,
                   m->olat + k->state * Dv, Dv, true);
}

static void attend_task(const gqa_job *job, int task) {
    titan_model *m = job->m;
    const titan_config *c = &m->cfg;
    int G = c->n_kv_heads, hg = c->n_heads / G, Dq = m->kv_width;
    int major = task / G, g = task % G, qb = job->chunks > 1 ? 0 : major;
    int t0 = qb * QBLOCK, tn = job->n - t0 < QBLOCK ? job->n - t0 : QBLOCK;
    int end = job->s->pos + t0 + tn; /* positions the task's last row sees */
    size_t cache = (size_t)(job->slot * G + g) * m->ctx;
    gqa_task k = {job,
                  g,
                  t0,
                  tn * hg,
                  0,
                  end,
                  state_row(m, major, g),
                  m->qg + ((size_t)g * job->n + t0) * hg * Dq,
                  job->s->k + cache * Dq,
                  job->s->v + cache * c->v_head_dim,
                  m->att_kt + (size_t)task * Dq * PBLOCK};
    if (job->chunks > 1) {
        k.j_begin = major * PCHUNK;
        k.j_end = k.j_begin + PCHUNK < end ? k.j_begin + PCHUNK : end;
    }
    start_rows(&k, c->attn_sink != TITAN_SINK_NONE && k.j_begin == 0);
    for (int j0 = k.j_begin; j0 < k.j_end; j0 += PBLOCK)
        attend_block(&k, j0, k.j_end - j0 < PBLOCK ? k.j_end - j0 : PBLOCK);
}

static void attend_tasks(void *ctx, int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; i++) attend_task(ctx, (int)i);
}

/* Chunk states into chunk 0's, for items (group, row) of the call. */
static void merge_rows(void *ctx, int64_t begin, int64_t end) {
    const gqa_job *job = ctx;
    titan_model *m = job->m;
    int per = job->n * (m->cfg.n_heads / m->cfg.n_kv_heads);
    size_t stride = (size_t)QBLOCK * m->cfg.n_heads;
    for (int64_t i = begin; i < end; i++)
        titan_att_merge(m->olat, m->att_run, m->cfg.v_head_dim,
                        state_row(m, 0, (int)(i / per)) + (size_t)(i % per), stride,
                        job->chunks);
}

/* o_i(t) = the row's value sum / its softmax sum, then XSA: o minus its
 * projection on n = v_g(t) / max(|v_g(t)|, 1e-12). */
static void output_rows(void *ctx, int64_t begin, int64_t end) {
    const gqa_job *job = ctx;
    titan_model *m = job->m;
    const titan_config *c = &m->cfg;
    int H = c->n_heads, G = c->n_kv_heads, hg = H / G, Dv = c->v_head_dim;
    for (int64_t t = begin; t < end; t++) {
        int major = job->chunks > 1 ? 0 : (int)t / QBLOCK;
        int tr = (int)t - major * QBLOCK;
        for (int i = 0; i < H; i++) {
            int g = i / hg;
            size_t st = state_row(m, major, g) + (size_t)tr * hg + i % hg;
            float *o = m->o + ((size_t)t * H + i) * Dv;
            float inv = 1.0f / m->att_run[2 * st + 1];
            for (int d = 0; d < Dv; d++) o[d] = m->olat[st * Dv + d] * inv;
            if (!job->b->xsa) continue;
            size_t at = (size_t)(job->slot * G + g) * m->ctx + job->s->pos + t;
            const float *v = job->s->v + at * Dv;
            double vv = 0, ov = 0;
            for (int d = 0; d < Dv; d++)
                vv += (double)v[d] * v[d], ov += (double)o[d] * v[d];
            double norm = fmax(sqrt(vv), 1e-12);
            float f = (float)(ov / (norm * norm));
            for (int d = 0; d < Dv; d++) o[d] -= f * v[d];
        }
    }
}

void titan_attention_gqa(titan_model *m, const titan_seq *s, const titan_block *b,
                         int slot, int n) {
    int G = m->cfg.n_kv_heads, hg = m->cfg.n_heads / G;
    int blocks = (n + QBLOCK - 1) / QBLOCK;
    gqa_job job = {m, s, b, slot, n, 1};
    if (blocks == 1) job.chunks = (s->pos + n + PCHUNK - 1) / PCHUNK;
    titan_for_tasks(m, (int64_t)(blocks > 1 ? blocks : job.chunks) * G, attend_tasks,
                    &job);
    if (job.chunks > 1) titan_for_rows(m, G * n * hg, merge_rows, &job);
    titan_for_rows(m, n, output_rows, &job);
}
