/* test_attend.c: the backends' streamed attention (titan_attend, backend.h)
 * of every kernel this CPU runs against a double-precision softmax over all
 * the positions each row sees: row counts around the score and value tiles
 * (1, 2, 3, 4, 5, 9, 13, 36), position counts around the vector width and
 * the online-softmax block (1, 15, 16, 17, 63, 64, 65, 200), key widths with
 * and without tails, no second part, causal limits where rows see fewer
 * positions or none, and a range split over two calls (the state carried
 * from the first). Cells past a row's acc and run stay untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "assert_close.h"
#include "platform/cpu_features.h"
#include "platform/matmul.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x2545f4914f6cdd1dull;
static float uniform(void) { /* xorshift64*, in [-1, 1) */
    rng ^= rng >> 12, rng ^= rng << 25, rng ^= rng >> 27;
    return (float)((rng * 2685821657736338717ull) >> 40) * 0x1p-23f - 1.0f;
}

enum { SENTINEL = 12345 };

typedef void (*attend_fn)(const titan_attend *a);

typedef struct {
    int rows, n, w1, w2, seen, per;
} shape;

/* Row r's softmax over positions j < min(n, seen + r / per): the weighted
 * sum of k1 rows divided by the sum, into out[w1]; returns max + log(sum)
 * (-inf when it sees none). */
static double reference_row(const shape *s, const float *q1, const float *q2,
                            const float *k1, const float *k2, int r, double *out) {
    int seen = s->seen + r / s->per < s->n ? s->seen + r / s->per : s->n;
    double *sc = malloc(sizeof(double) * (size_t)(s->n + 1)), mx = -INFINITY, sum = 0;
    for (int j = 0; j < seen; j++) {
        double d = 0;
        for (int e = 0; e < s->w1; e++)
            d += (double)q1[(size_t)r * s->w1 + e] * k1[(size_t)j * s->w1 + e];
        for (int e = 0; e < s->w2; e++)
            d += (double)q2[(size_t)r * s->w2 + e] * k2[(size_t)j * s->w2 + e];
        sc[j] = d;
        mx = fmax(mx, d);
    }
    for (int e = 0; e < s->w1; e++) out[e] = 0;
    for (int j = 0; j < seen; j++) {
        double p = exp(sc[j] - mx);
        sum += p;
        for (int e = 0; e < s->w1; e++) out[e] += p * k1[(size_t)j * s->w1 + e];
    }
    for (int e = 0; e < s->w1 && seen > 0; e++) out[e] /= sum;
    free(sc);
    return seen > 0 ? mx + log(sum) : -INFINITY;
}

/* fn over positions [j0, j1) of the shape, state carried in run and acc. */
static void call_range(attend_fn fn, const shape *s, const float *q1, const float *q2,
                       const float *k1, const float *k2, int j0, int j1, float *run,
                       float *acc, float *scratch) {
    titan_attend a = {.rows = s->rows,
                      .n = j1 - j0,
                      .w1 = s->w1,
                      .w2 = s->w2,
                      .q1 = q1,
                      .q2 = s->w2 ? q2 : NULL,
                      .k1 = k1 + (size_t)j0 * s->w1,
                      .k2 = s->w2 ? k2 + (size_t)j0 * s->w2 : NULL,
                      .seen = s->seen - j0,
                      .per = s->per,
                      .run = run,
                      .acc = acc,
                      .scratch = scratch};
    fn(&a);
}

/* The shape through fn in one call (split = 0) or two (at split), against
 * the reference: acc / sum per row within 2e-5 relative, max + log(sum)
 * within 1e-5, state untouched for rows that see nothing. */
static void check_shape(attend_fn fn, const char *name, shape s, int split) {
    size_t R = (size_t)s.rows;
    float *q1 = malloc(sizeof(float) * R * (size_t)s.w1);
    float *q2 = malloc(sizeof(float) * (R * (size_t)s.w2 + 1));
    float *k1 = malloc(sizeof(float) * (size_t)s.n * (size_t)s.w1);
    float *k2 = malloc(sizeof(float) * ((size_t)s.n * (size_t)s.w2 + 1));
    float *run = malloc(sizeof(float) * (2 * R + 1));
    float *acc = malloc(sizeof(float) * (R * (size_t)s.w1 + 1));
    float *scratch = malloc(sizeof(float) * R * TITAN_ATTEND_BLOCK);
    double *want = malloc(sizeof(double) * (size_t)s.w1);
    for (size_t i = 0; i < R * (size_t)s.w1; i++) q1[i] = 0.4f * uniform();
    for (size_t i = 0; i < R * (size_t)s.w2; i++) q2[i] = 0.4f * uniform();
    for (size_t i = 0; i < (size_t)s.n * (size_t)s.w1; i++) k1[i] = uniform();
    for (size_t i = 0; i < (size_t)s.n * (size_t)s.w2; i++) k2[i] = uniform();
    for (size_t r = 0; r < R; r++) run[2 * r] = -INFINITY, run[2 * r + 1] = 0;
    memset(acc, 0, sizeof(float) * R * (size_t)s.w1);
    run[2 * R] = acc[R * (size_t)s.w1] = SENTINEL;
    if (split) {
        call_range(fn, &s, q1, q2, k1, k2, 0, split, run, acc, scratch);
        call_range(fn, &s, q1, q2, k1, k2, split, s.n, run, acc, scratch);
    } else {
        call_range(fn, &s, q1, q2, k1, k2, 0, s.n, run, acc, scratch);
    }
    close_acc out = {0}, lse = {0};
    bool none_ok = true;
    for (size_t r = 0; r < R; r++) {
        double l = reference_row(&s, q1, q2, k1, k2, (int)r, want);
        if (isinf(l)) { /* sees nothing: the start state stays */
            none_ok &= run[2 * r] == -INFINITY && run[2 * r + 1] == 0;
            for (int e = 0; e < s.w1; e++) none_ok &= acc[r * (size_t)s.w1 + e] == 0;
            continue;
        }
        close_add(&lse, r, run[2 * r] + log(run[2 * r + 1]), l);
        for (int e = 0; e < s.w1; e++)
            close_add(&out, r * (size_t)s.w1 + (size_t)e,
                      acc[r * (size_t)s.w1 + e] / run[2 * r + 1], want[e]);
    }
    char what[160];
    snprintf(what, sizeof what, "%s rows %d n %d w %d+%d seen %d per %d split %d", name,
             s.rows, s.n, s.w1, s.w2, s.seen, s.per, split);
    if (!none_ok) fail_msg("%s: a row that sees nothing changed its state", what);
    if (lse.n && !close_report(&lse, what, 1e-5, 1e-6)) fail();
    if (out.n && !close_report(&out, what, 2e-6, 2e-5)) fail();
    if (run[2 * R] != SENTINEL || acc[R * (size_t)s.w1] != SENTINEL)
        fail_msg("%s: wrote past its rows", what);
    free(q1), free(q2), free(k1), free(k2), free(run), free(acc), free(scratch),
        free(want);
}

static void check_fn(attend_fn fn, const char *name) {
    static const int rows[] = {1, 2, 3, 4, 5, 9, 13, 36};
    static const int ns[] = {1, 15, 16, 17, 63, 64, 65, 200};
    static const int widths[][2] = {{128, 32}, {32, 16}, {40, 8},
                                    {16, 0},   {7, 3},   {33, 17}};
    for (size_t r = 0; r < sizeof rows / sizeof *rows; r++)
        for (size_t i = 0; i < sizeof ns / sizeof *ns; i++)
            for (size_t w = 0; w < sizeof widths / sizeof *widths; w++) {
                int R = rows[r], n = ns[i];
                shape all = {R, n, widths[w][0], widths[w][1], n, R};
                check_shape(fn, name, all, 0);
                /* one token per row: row r sees n - R + 1 + r positions (none
                 * when that is <= 0); three rows per token */
                shape causal = {R, n, widths[w][0], widths[w][1], n - R + 1, 1};
                check_shape(fn, name, causal, 0);
                shape grouped = {R, n, widths[w][0], widths[w][1], n - 2, 3};
                check_shape(fn, name, grouped, n > 1 ? n / 2 + 1 : 0);
            }
}

static void scalar_attend(void **state) {
    (void)state;
    check_fn(titan_attend_scalar, "scalar");
}

static void vector_attends(void **state) {
    (void)state;
    titan_isa best = titan_cpu_best_isa();
    if (best >= TITAN_ISA_AVX2) check_fn(titan_matmul_avx2.attend, "avx2");
    if (best >= TITAN_ISA_AVX512) check_fn(titan_matmul_avx512.attend, "avx512");
    if (best < TITAN_ISA_AVX2) skip();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scalar_attend),
        cmocka_unit_test(vector_attends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
