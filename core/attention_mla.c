/* attention_mla.c: multi-head latent attention, absorbed form. Keys and values
 * are never expanded: for head i of group g, k_g(j) = Wk_g c_j and
 * v_g(j) = Wv_g c_j, so qn_i . k_g(j) = (Wk_g^T qn_i) . c_j and
 * o_i = Wv_g (sum_j p_j c_j). The cache holds only c (Lkv) and kr (Dr), and
 * one pass over it serves every head.
 *
 * A task owns rows = (token, head) pairs of one query block and streams its
 * part of the cache PBLOCK positions at a time: scores (with the block
 * transposed once when many rows share it, else dot products with the cache
 * rows as stored), online softmax (running max and sum) and latent sums are
 * small matrix products over all the task's rows (backend small_gemm). A call of
 * one query block (decode) is split along the cache into PCHUNK-position
 * tasks whose states merge in chunk order afterwards. Which rows and
 * positions a task holds depends on the call's shape alone, never on the
 * thread that runs it: any thread count gives the same bits. */
#include "core/model.h"

#include <math.h>
#include <string.h>

enum {
    DOT_ROWS_MAX = 36, /* up to here, backend attend (decode) */
    QBLOCK = TITAN_ATT_QBLOCK,
    PBLOCK = TITAN_ATT_PBLOCK,
    PCHUNK = TITAN_ATT_PCHUNK,
};
_Static_assert(PBLOCK == TITAN_ATTEND_BLOCK && DOT_ROWS_MAX <= TITAN_ATTEND_ROWS,
               "attend's scratch is a task's att rows");

/* Write c = RMSNorm(a[0:Lkv]) and kr = Rope(a[Lkv:]) of row t to the cache
 * of absorbed layer `slot`. */
static void append_latent(titan_model *m, titan_seq *s, const titan_block *b, int slot,
                          int t) {
    const titan_config *c = &m->cfg;
    int Lkv = c->kv_latent, Dr = c->rope_dim, p = s->pos + t;
    const float *a = m->kva + (size_t)t * (Lkv + Dr);
    float *lat = s->lat + ((size_t)slot * m->ctx + p) * Lkv;
    float *kr = s->kr + ((size_t)slot * m->ctx + p) * Dr;
    titan_rmsnorm(lat, a, b->kv_norm, Lkv, c->norm_eps);
    memcpy(kr, a + Lkv, (size_t)Dr * sizeof *kr);
    titan_rope_rotate(kr, m->rope + (size_t)t * Dr, Dr / 2);
}

typedef struct {
    titan_model *m;
    const titan_seq *s;
    const titan_block *b;
    int slot, n; /* the layer's cache among the absorbed ones; rows */
    int chunks;  /* > 1: the call's one query block split along the cache */
} attn_job;

/* qlat = scale Wk_g^T qn and qrot = scale qr for group g's heads of the
 * tokens of block qb. */
static void prepare_queries(const attn_job *job, int qb, int g) {
    titan_model *m = job->m;
    const titan_config *c = &m->cfg;
    int H = c->n_heads, hg = H / c->n_kv_heads, Dh = c->head_dim;
    int Dv = c->v_head_dim, Dr = c->rope_dim, Lkv = c->kv_latent, qw = Dh + Dr;
    float scale = (float)(m->mscale * m->mscale / sqrt(Dh + Dr));
    const float *wk = job->b->wkv_b + (size_t)g * (Dh + Dv) * Lkv;
    int t1 = (qb + 1) * QBLOCK < job->n ? (qb + 1) * QBLOCK : job->n;
    for (int t = qb * QBLOCK; t < t1; t++) {
        size_t i0 = (size_t)t * H + (size_t)g * hg;
        titan_att_gemm(m, hg, Lkv, Dh, m->q + i0 * qw, qw, wk, Lkv, m->qlat + i0 * Lkv,
                       Lkv, false);
        for (size_t i = i0; i < i0 + hg; i++) {
            for (int e = 0; e < Lkv; e++) m->qlat[i * Lkv + e] *= scale;
            for (int d = 0; d < Dr; d++)
                m->qrot[i * Dr + d] = m->q[i * qw + Dh + d] * scale;
        }
    }
}

/* A task: rows (t0 + r / H, head r % H) for r < rows, cache positions
 * [j_begin, j_end), state rows at `state` in olat/att/att_run. */
typedef struct {
    const attn_job *job;
    int t0, rows, j_begin, j_end;
    size_t state;
    float *kt; /* [Lkv+Dr][PBLOCK] */
} attn_task;

/* kt = the cache block [j0, j0 + jn) transposed: latent rows, then rotary. */
static void transpose_block(const attn_task *k, int j0, int jn) {
    const titan_model *m = k->job->m;
    int Lkv = m->cfg.kv_latent, Dr = m->cfg.rope_dim;
    size_t layer = (size_t)k->job->slot * m->ctx;
    const float *lat = k->job->s->lat + (layer + j0) * Lkv;
    const float *kr = k->job->s->kr + (layer + j0) * Dr;
    for (int j = 0; j < jn; j++) {
        for (int e = 0; e < Lkv; e++) k->kt[e * PBLOCK + j] = lat[(size_t)j * Lkv + e];
        for (int d = 0; d < Dr; d++)
            k->kt[(Lkv + d) * PBLOCK + j] = kr[(size_t)j * Dr + d];
    }
}

/* Many rows (prefill): scores, softmax and latent sums of every row over
 * [j0, j0 + jn), the block transposed once for all of them. */
static void attend_block(const attn_task *k, int j0, int jn) {
    const titan_model *m = k->job->m;
    int H = m->cfg.n_heads, Lkv = m->cfg.kv_latent, Dr = m->cfg.rope_dim;
    size_t q = (size_t)k->t0 * H, st = k->state, at = (size_t)k->job->slot * m->ctx + j0;
    const float *lat = k->job->s->lat + at * Lkv;
    transpose_block(k, j0, jn);
    titan_att_gemm(m, k->rows, jn, Lkv, m->qlat + q * Lkv, Lkv, k->kt, PBLOCK,
                   m->att + st * PBLOCK, PBLOCK, false);
    titan_att_gemm(m, k->rows, jn, Dr, m->qrot + q * Dr, Dr, k->kt + Lkv * PBLOCK, PBLOCK,
                   m->att + st * PBLOCK, PBLOCK, true);
    int first = k->job->s->pos + k->t0;
    for (int r = 0; r < k->rows; r++)
        titan_att_softmax_step(m->att + (st + r) * PBLOCK, m->att_run + 2 * (st + r),
                               m->olat + (st + r) * Lkv, Lkv, j0, jn, first + r / H);
    titan_att_gemm(m, k->rows, Lkv, jn, m->att + st * PBLOCK, PBLOCK, lat, Lkv,
                   m->olat + st * Lkv, Lkv, true);
}

/* Few rows (decode): the backend's attend streams the task's positions once,
 * dot products with the cache rows as stored. */
static void attend_rows(const attn_task *k) {
    const titan_model *m = k->job->m;
    int H = m->cfg.n_heads, Lkv = m->cfg.kv_latent, Dr = m->cfg.rope_dim;
    size_t q = (size_t)k->t0 * H, st = k->state;
    size_t at = (size_t)k->job->slot * m->ctx + k->j_begin;
    titan_attend a = {.rows = k->rows,
                      .n = k->j_end - k->j_begin,
                      .w1 = Lkv,
                      .w2 = Dr,
                      .q1 = m->qlat + q * Lkv,
                      .q2 = m->qrot + q * Dr,
                      .k1 = k->job->s->lat + at * Lkv,
                      .k2 = k->job->s->kr + at * Dr,
                      .seen = k->job->s->pos + k->t0 + 1 - k->j_begin,
                      .per = H,
                      .run = m->att_run + 2 * st,
                      .acc = m->olat + st * Lkv,
                      .scratch = m->att + st * PBLOCK};
    m->be->attend(&a);
}

static void attend_task(const attn_job *job, int task) {
    titan_model *m = job->m;
    int H = m->cfg.n_heads, Lkv = m->cfg.kv_latent;
    int qb = job->chunks > 1 ? 0 : task, t0 = qb * QBLOCK;
    int tn = job->n - t0 < QBLOCK ? job->n - t0 : QBLOCK;
    int end = job->s->pos + t0 + tn; /* positions the task's last row sees */
    attn_task k = {job,
                   t0,
                   tn * H,
                   0,
                   end,
                   (size_t)task * QBLOCK * H,
                   m->att_kt + (size_t)task * (Lkv + m->cfg.rope_dim) * PBLOCK};
    if (job->chunks > 1) {
        k.j_begin = task * PCHUNK;
        k.j_end = k.j_begin + PCHUNK < end ? k.j_begin + PCHUNK : end;
    }
    memset(m->olat + k.state * Lkv, 0, (size_t)k.rows * Lkv * sizeof(float));
    for (int r = 0; r < k.rows; r++) {
        m->att_run[2 * (k.state + r)] = -INFINITY;
        m->att_run[2 * (k.state + r) + 1] = 0;
    }
    if (k.rows <= DOT_ROWS_MAX) {
        attend_rows(&k);
        return;
    }
    for (int j0 = k.j_begin; j0 < k.j_end; j0 += PBLOCK)
        attend_block(&k, j0, k.j_end - j0 < PBLOCK ? k.j_end - j0 : PBLOCK);
}

/* Chunk states of rows [begin, end) (stride QBLOCK*H rows) into chunk 0's. */
static void merge_rows(void *ctx, int64_t begin, int64_t end) {
    const attn_job *job = ctx;
    titan_model *m = job->m;
    size_t stride = (size_t)QBLOCK * m->cfg.n_heads;
    for (int64_t r = begin; r < end; r++)
        titan_att_merge(m->olat, m->att_run, m->cfg.kv_latent, (size_t)r, stride,
                        job->chunks);
}

/* o = Wv_g (olat / sum) for group g's heads of the tokens of block qb. */
static void project_values(const attn_job *job, int qb, int g) {
    titan_model *m = job->m;
    const titan_config *c = &m->cfg;
    int H = c->n_heads, hg = H / c->n_kv_heads;
    int Dv = c->v_head_dim, Lkv = c->kv_latent;
    const float *wv = job->b->wv_t + (size_t)g * Lkv * Dv;
    int t1 = (qb + 1) * QBLOCK < job->n ? (qb + 1) * QBLOCK : job->n;
    for (int t = qb * QBLOCK; t < t1; t++) {
        size_t i0 = (size_t)t * H + (size_t)g * hg;
        titan_att_gemm(m, hg, Dv, Lkv, m->olat + i0 * Lkv, Lkv, wv, Dv, m->o + i0 * Dv,
                       Dv, false);
        for (size_t i = i0; i < i0 + hg; i++) {
            float inv = 1.0f / m->att_run[2 * i + 1];
            for (int d = 0; d < Dv; d++) m->o[i * Dv + d] *= inv;
        }
    }
}

/* Tasks of prepare and project: (query block, group) pairs, so that even
 * one token's heads spread over threads. */
static void prepare_tasks(void *ctx, int64_t begin, int64_t end) {
    const attn_job *job = ctx;
    int G = job->m->cfg.n_kv_heads;
    for (int64_t i = begin; i < end; i++)
        prepare_queries(job, (int)(i / G), (int)(i % G));
}

static void attend_tasks(void *ctx, int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; i++) attend_task(ctx, (int)i);
}

static void project_tasks(void *ctx, int64_t begin, int64_t end) {
    const attn_job *job = ctx;
    int G = job->m->cfg.n_kv_heads;
    for (int64_t i = begin; i < end; i++) project_values(job, (int)(i / G), (int)(i % G));
}

/* Cache rows c and kr, and the rotary parts of every head's query. */
static void rope_rows(void *ctx, int64_t begin, int64_t end) {
    const titan_rows_job *j = ctx;
    titan_model *m = j->m;
    int H = m->cfg.n_heads, Dh = m->cfg.head_dim, Dr = m->cfg.rope_dim;
    for (int64_t t = begin; t < end; t++) {
        append_latent(m, j->s, j->b, j->layer, (int)t); /* layer: the slot */
        for (int i = 0; i < H; i++)
            titan_rope_rotate(m->q + ((size_t)t * H + i) * (Dh + Dr) + Dh,
                              m->rope + (size_t)t * Dr, Dr / 2);
    }
}

void titan_mla_project(titan_model *m, const titan_block *b, int n) {
    if (b->wq_a) {
        titan_matmul2(m, b->wq_a, m->cq, b->wkv_a, m->kva, m->u, n);
        titan_rmsnorm_rows(m, m->cq, m->cq, b->q_norm, m->cfg.q_latent, n);
        m->be->matmul(m->be, b->wq_b, m->cq, m->q, n);
    } else {
        titan_matmul2(m, b->wq_b, m->q, b->wkv_a, m->kva, m->u, n);
    }
}

void titan_attention_mla(titan_model *m, titan_seq *s, const titan_block *b, int layer,
                         int n) {
    titan_backend *be = m->be;
    int slot = m->layers[layer].slot;
    titan_rows_job rows = {m, s, b, slot};
    titan_mla_project(m, b, n);
    titan_for_rows(m, n, rope_rows, &rows);
    int blocks = (n + QBLOCK - 1) / QBLOCK;
    attn_job job = {m, s, b, slot, n, 1};
    if (blocks == 1) job.chunks = (s->pos + n + PCHUNK - 1) / PCHUNK;
    int group_tasks = blocks * m->cfg.n_kv_heads;
    titan_for_tasks(m, group_tasks, prepare_tasks, &job);
    titan_for_tasks(m, blocks > 1 ? blocks : job.chunks, attend_tasks, &job);
    if (job.chunks > 1) titan_for_rows(m, n * m->cfg.n_heads, merge_rows, &job);
    titan_for_tasks(m, group_tasks, project_tasks, &job);
    be->matmul(be, b->wo, m->o, m->y, n);
}
