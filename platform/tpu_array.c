/* tpu_array.c: the cycle-stepped systolic array. Every cycle every PE
 * register moves: inputs one column right, partial sums (WS) or weights (OS)
 * one row down, and loading weights one row down their shift chain. The
 * controller decides only from what the registers hold (weights loaded,
 * vectors still in flight), so its cycle counts check the closed forms of
 * tpu_cycles.c and tpu_scalesim.c independently.
 *
 * Registers ([R][C] row-major): a (int8 input) with its tag (valid, weight
 * register select for WS, last-step flag for OS), p (int32 partial sum moving
 * down for WS, accumulator for OS), b (int8 weight moving down, OS), and two
 * stationary weight registers w0/w1 (WS). The issue history (a ring of R + C
 * cycles) tells which (fold, step) entered the array at a given cycle, so the
 * edges and the output buffer know addresses without tags in every PE. */
#include "platform/tpu.h"

#include <string.h>

enum { TOK_VALID = 1, TOK_SEL = 2, TOK_LAST = 4 };

typedef struct {
    int64_t t;    /* issue cycle, -1 = nothing issued */
    int64_t fold; /* fold index */
    int64_t step; /* row m of X (WS) or reduction step k (OS) */
} issue_rec;

typedef struct {
    const tpu_map *m;
    int64_t R, C, ring;
    int8_t *w[2];      /* [R][C] stationary weights (WS) */
    int8_t *a;         /* [R][C] inputs, moving right */
    uint8_t *tag;      /* [R][C] tags of a */
    int8_t *b;         /* [R][C] weights moving down (OS) */
    int32_t *p;        /* [R][C] partial sums (WS) / accumulators (OS) */
    int8_t *edge_a;    /* [R] this cycle's input at each row's left edge */
    uint8_t *edge_tag; /* [R] */
    int8_t *edge_b;    /* [C] this cycle's weight at each column's top (OS) */
    issue_rec *hist;   /* [ring] */
    int64_t inflight;  /* issued vectors not yet past PE (R-1, C-1) */
    int64_t inflight_sel[2];
} grid;

static size_t align_up(size_t n) { return (n + 63) & ~(size_t)63; }

size_t tpu_array_scratch_bytes(int64_t R, int64_t C) {
    size_t rc = (size_t)(R * C);
    return align_up(rc) * 5 + align_up(rc * 4) + align_up((size_t)R) * 2 +
           align_up((size_t)C) + align_up((size_t)(R + C) * sizeof(issue_rec)) + 64;
}

static titan_status grid_carve(grid *g, const tpu_map *m, titan_arena *ar) {
    size_t rc = (size_t)(m->R * m->C);
    void *p[10];
    size_t sizes[10] = {rc,           rc,
                        rc,           rc,
                        rc,           rc * 4,
                        (size_t)m->R, (size_t)m->R,
                        (size_t)m->C, (size_t)(m->R + m->C) * sizeof(issue_rec)};
    for (int i = 0; i < 10; i++) TITAN_TRY(titan_arena_calloc(ar, sizes[i], 64, &p[i]));
    if (!p[0]) return titan_fail(TITAN_E_USAGE, "tpu: arena is measuring only");
    *g = (grid){.m = m, .R = m->R, .C = m->C, .ring = m->R + m->C};
    g->w[0] = p[0], g->w[1] = p[1], g->a = p[2], g->tag = p[3], g->b = p[4];
    g->p = p[5], g->edge_a = p[6], g->edge_tag = p[7], g->edge_b = p[8];
    g->hist = p[9];
    for (int64_t i = 0; i < g->ring; i++) g->hist[i].t = -1;
    return TITAN_OK;
}

/* What entered the array at cycle s, or NULL. */
static const issue_rec *issued_at(const grid *g, int64_t s) {
    if (s < 0) return NULL;
    const issue_rec *h = &g->hist[s % g->ring];
    return h->t == s ? h : NULL;
}

static void record_issue(grid *g, int64_t t, int64_t fold, int64_t step, int sel) {
    g->hist[t % g->ring] = (issue_rec){t, fold, step};
    g->inflight++;
    g->inflight_sel[sel]++;
}

static void clear_issue(grid *g, int64_t t) { g->hist[t % g->ring].t = -1; }

/* Row r's left edge this cycle takes the vector issued r cycles ago (the
 * skew); returns it (NULL: none) with the edge cleared for the caller. */
static const issue_rec *row_edge(grid *g, int64_t t, int64_t r) {
    g->edge_a[r] = 0;
    g->edge_tag[r] = 0;
    return issued_at(g, t - r);
}

/* After a cycle's update: a valid token at the bottom-right PE is its
 * vector's last use. */
static void retire_vector(grid *g) {
    uint8_t tg = g->tag[g->R * g->C - 1];
    if (!(tg & TOK_VALID)) return;
    g->inflight--;
    g->inflight_sel[(tg & TOK_SEL) ? 1 : 0]--;
}

/* Shift inputs right by one column in row r, the edge entering column 0. */
static void shift_inputs(grid *g, int64_t r) {
    int8_t *ar = g->a + r * g->C;
    uint8_t *tr = g->tag + r * g->C;
    memmove(ar + 1, ar, (size_t)(g->C - 1));
    memmove(tr + 1, tr, (size_t)(g->C - 1));
    ar[0] = g->edge_a[r];
    tr[0] = g->edge_tag[r];
}

/* ------------------------------------------------------ weight stationary */

/* One cycle of the weight shift chain into register `sel`: rows move down,
 * row 0 takes tile row R-1-step, so after R steps row r holds tile row r. */
static void ws_load_step(grid *g, int64_t fold, int64_t step, int sel, const int8_t *w,
                         titan_tpu_counters *k) {
    const tpu_map *m = g->m;
    int8_t *reg = g->w[sel];
    memmove(reg + g->C, reg, (size_t)((g->R - 1) * g->C));
    int64_t kk = (fold % m->k_tiles) * g->R + (g->R - 1 - step);
    int64_t n0 = (fold / m->k_tiles) * g->C;
    for (int64_t c = 0; c < g->C; c++) {
        int in = kk < m->K && n0 + c < m->N;
        reg[c] = in ? w[(n0 + c) * m->K + kk] : 0;
        k->weight_reads += (uint64_t)in;
    }
}

static void ws_edges(grid *g, int64_t t, int nbuf, const int8_t *x,
                     titan_tpu_counters *k) {
    const tpu_map *m = g->m;
    for (int64_t r = 0; r < g->R; r++) {
        const issue_rec *h = row_edge(g, t, r);
        if (!h) continue;
        int64_t kk = (h->fold % m->k_tiles) * g->R + r;
        if (kk < m->K) {
            g->edge_a[r] = x[h->step * m->K + kk];
            k->input_reads++;
        }
        g->edge_tag[r] = TOK_VALID | ((h->fold % nbuf) ? TOK_SEL : 0);
    }
}

/* Every PE: take the input from the left, add w * a to the partial sum from
 * above. Rows bottom-up so each reads its neighbours' previous values. */
static void ws_update(grid *g) {
    const int64_t C = g->C;
    for (int64_t r = g->R - 1; r >= 0; r--) {
        shift_inputs(g, r);
        const int8_t *ar = g->a + r * C, *w0 = g->w[0] + r * C, *w1 = g->w[1] + r * C;
        const uint8_t *tr = g->tag + r * C;
        int32_t *pr = g->p + r * C;
        const int32_t *up = r ? pr - C : NULL;
        for (int64_t c = 0; c < C; c++) {
            int32_t wv = (tr[c] & TOK_SEL) ? w1[c] : w0[c];
            pr[c] = (up ? up[c] : 0) + wv * ar[c];
        }
    }
}

/* Bottom row: column c completes the vector issued R-1+c cycles ago. */
static void ws_outputs(grid *g, int64_t t, int32_t *y, titan_tpu_counters *k) {
    const tpu_map *m = g->m;
    const int32_t *bottom = g->p + (g->R - 1) * g->C;
    for (int64_t c = 0; c < g->C; c++) {
        const issue_rec *h = issued_at(g, t - (g->R - 1) - c);
        if (!h) continue;
        int64_t n = (h->fold / m->k_tiles) * g->C + c;
        if (n >= m->N) continue;
        int32_t *dst = y + h->step * m->N + n;
        if (h->fold % m->k_tiles) {
            *dst += bottom[c];
            k->output_reads++;
        } else {
            *dst = bottom[c];
        }
        k->output_writes++;
    }
}

static void run_ws(grid *g, int overlap, const int8_t *x, const int8_t *w, int32_t *y,
                   titan_tpu_counters *k) {
    const tpu_map *m = g->m;
    const int nbuf = overlap ? 2 : 1;
    int64_t loaded = 0, loading = -1, load_step = 0;
    int64_t fold = 0, row = 0, t = 0;
    for (;; t++) {
        if (fold < m->folds && fold < loaded) {
            record_issue(g, t, fold, row, (int)(fold % nbuf));
            k->steady_cycles++;
            if (++row == m->M) row = 0, fold++;
        } else {
            clear_issue(g, t);
            if (fold < m->folds) k->weight_load_cycles++;
        }
        /* Load the next fold once its register's previous user (fold
         * loaded - nbuf) has issued everything and nothing in flight uses it. */
        int64_t next = loaded;
        if (loading < 0 && next < m->folds && fold > next - nbuf &&
            g->inflight_sel[next % nbuf] == 0)
            loading = next, load_step = 0;
        if (loading >= 0) {
            ws_load_step(g, loading, load_step, (int)(loading % nbuf), w, k);
            if (++load_step == g->R) loaded++, loading = -1;
        }
        ws_edges(g, t, nbuf, x, k);
        ws_update(g);
        ws_outputs(g, t, y, k);
        retire_vector(g);
        if (fold == m->folds && g->inflight == 0) break;
    }
    k->cycles = (uint64_t)(t + 1);
}

/* ------------------------------------------------------ output stationary */

static void os_edges(grid *g, int64_t t, const int8_t *x, const int8_t *w,
                     titan_tpu_counters *k) {
    const tpu_map *m = g->m;
    for (int64_t r = 0; r < g->R; r++) {
        const issue_rec *h = row_edge(g, t, r);
        if (!h) continue;
        int64_t i = (h->fold % m->m_tiles) * g->R + r;
        if (i < m->M) {
            g->edge_a[r] = x[i * m->K + h->step];
            k->input_reads++;
        }
        g->edge_tag[r] = TOK_VALID | (h->step == m->K - 1 ? TOK_LAST : 0);
    }
    for (int64_t c = 0; c < g->C; c++) {
        const issue_rec *h = issued_at(g, t - c);
        g->edge_b[c] = 0;
        if (!h) continue;
        int64_t n = (h->fold / m->m_tiles) * g->C + c;
        if (n < m->N) {
            g->edge_b[c] = w[n * m->K + h->step];
            k->weight_reads++;
        }
    }
}

/* PE (r, c) finished its dot product: write it to the output buffer. */
static void os_emit(grid *g, int64_t t, int64_t r, int64_t c, int32_t *y,
                    titan_tpu_counters *k) {
    const tpu_map *m = g->m;
    const issue_rec *h = issued_at(g, t - r - c);
    int32_t *acc = &g->p[r * g->C + c];
    if (h) {
        int64_t i = (h->fold % m->m_tiles) * g->R + r;
        int64_t n = (h->fold / m->m_tiles) * g->C + c;
        if (i < m->M && n < m->N) {
            y[i * m->N + n] = *acc;
            k->output_writes++;
        }
    }
    *acc = 0;
}

static void os_update(grid *g, int64_t t, int32_t *y, titan_tpu_counters *k) {
    const int64_t C = g->C;
    for (int64_t r = g->R - 1; r >= 0; r--) {
        shift_inputs(g, r);
        int8_t *br = g->b + r * C;
        if (r)
            memcpy(br, br - C, (size_t)C);
        else
            memcpy(br, g->edge_b, (size_t)C);
        const int8_t *ar = g->a + r * C;
        const uint8_t *tr = g->tag + r * C;
        int32_t *acc = g->p + r * C;
        int last = 0;
        for (int64_t c = 0; c < C; c++) {
            acc[c] += ar[c] * br[c];
            last |= tr[c] & TOK_LAST;
        }
        if (!last) continue;
        for (int64_t c = 0; c < C; c++)
            if (tr[c] & TOK_LAST) os_emit(g, t, r, c, y, k);
    }
}

static void run_os(grid *g, int overlap, const int8_t *x, const int8_t *w, int32_t *y,
                   titan_tpu_counters *k) {
    const tpu_map *m = g->m;
    int64_t fold = 0, step = 0, t = 0;
    for (;; t++) {
        /* Without overlap a fold starts only into an empty array. */
        if (fold < m->folds && (overlap || step > 0 || g->inflight == 0)) {
            record_issue(g, t, fold, step, 0);
            k->steady_cycles++;
            if (++step == m->K) step = 0, fold++;
        } else {
            clear_issue(g, t);
        }
        os_edges(g, t, x, w, k);
        os_update(g, t, y, k);
        retire_vector(g);
        if (fold == m->folds && g->inflight == 0) break;
    }
    k->cycles = (uint64_t)(t + 1);
}

titan_status tpu_array_gemm(const tpu_map *m, int overlap, titan_arena *a,
                            const int8_t *x, const int8_t *w, int32_t *y,
                            titan_tpu_counters *k) {
    size_t mark = titan_arena_mark(a);
    grid g;
    titan_status st = grid_carve(&g, m, a);
    if (st != TITAN_OK) {
        titan_arena_reset(a, mark);
        return st;
    }
    *k = (titan_tpu_counters){0};
    if (m->dataflow == TITAN_TPU_WS)
        run_ws(&g, overlap, x, w, y, k);
    else
        run_os(&g, overlap, x, w, y, k);
    titan_arena_reset(a, mark);
    /* What the closed forms call fill and drain: the last vector's skew
     * down the rows, then across the columns. */
    k->fill_cycles = (uint64_t)(m->R - 1);
    k->drain_cycles = (uint64_t)(m->C - 1);
    k->gemms = 1;
    k->folds = (uint64_t)m->folds;
    k->macs = (uint64_t)m->M * (uint64_t)m->N * (uint64_t)m->K;
    k->offchip_bytes = (uint64_t)(m->K * m->N + m->M * m->K + 4 * m->M * m->N);
    return TITAN_OK;
}
