/* test_matmul_q8.c: the q8 path (--act-quant q8). The activation quantizer's
 * rounding and blocks; every q8 kernel family this CPU runs equals the scalar
 * integer reference bit for bit on random shapes (ragged K, T and N, per-row
 * and grouped scales, split rows) and on extreme operands that would
 * saturate a careless kernel; the cpu backend with q8 runs int8-laned
 * tensors on it, keeps the exact path for the rest, gives the same bits
 * for 1 and 2 threads, and stays close to the float product. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "assert_close.h"
#include "platform/backend_cpu.h"
#include "platform/matmul.h"
#include "platform/matmul_q8.h"
#include "quant/quant.h"
#include "test_rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An int8-laned weight tensor with random (or fixed) values and scales. */
typedef struct {
    titan_tensor t;
    int8_t *q;
    float *scales;
} q8_weights;

static q8_weights make_weights(titan_dtype dt, int64_t N, int64_t K, int gs, int fixed) {
    q8_weights w = {0};
    int64_t groups = gs && gs < K ? (K + gs - 1) / gs : 1;
    int qmax = dt == TITAN_DT_INT8 ? 127 : 31;
    size_t rb = titan_dtype_row_bytes(dt, K);
    w.q = calloc((size_t)N * rb + 1, 1);
    w.scales = malloc((size_t)(N * groups) * sizeof(float));
    for (int64_t i = 0; i < N * groups; i++)
        w.scales[i] = (float)(0.01 + 0.02 * fabs(uniform()));
    for (int64_t i = 0; i < N * K; i++) /* in [-qmax - 1, qmax] */
        titan_quant_store(dt, (uint8_t *)w.q + (size_t)(i / K) * rb, i % K,
                          fixed ? fixed : (int)lround(uniform() * (qmax + 0.5)));
    w.t = (titan_tensor){.dtype = dt,
                         .ndim = 2,
                         .rows = N,
                         .cols = K,
                         .group_size = gs,
                         .data = w.q,
                         .scales = w.scales};
    return w;
}

static void free_weights(q8_weights *w) { free(w->q), free(w->scales); }

/* Quantized activations of T x K random floats (or all equal to fixed). */
typedef struct {
    titan_q8_acts a;
    float *x;
} q8_x;

static q8_x make_x(int T, int64_t K, float fixed) {
    q8_x r;
    int64_t blocks = (K + 31) / 32;
    size_t ld = (size_t)(K + 63) / 64 * 64;
    r.x = malloc((size_t)T * (size_t)K * sizeof(float));
    for (size_t i = 0; i < (size_t)T * (size_t)K; i++)
        r.x[i] = fixed != 0.0f ? fixed : (float)(uniform() * 3.0);
    r.a = (titan_q8_acts){.T = T,
                          .K = K,
                          .blocks = blocks,
                          .ld = ld,
                          .q = malloc((size_t)T * ld),
                          .scale = malloc((size_t)(T * blocks) * sizeof(float)),
                          .sum = malloc((size_t)(T * blocks) * sizeof(int32_t))};
    titan_q8_quantize_rows(&r.a, r.x, 0, T);
    return r;
}

static void free_x(q8_x *x) {
    free(x->x), free(x->a.q), free(x->a.scale), free(x->a.sum);
}

static void rounding_and_blocks(void **state) {
    (void)state;
    const float v[] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 126.5f, -126.5f, 3.49f};
    const int want[] = {0, 2, 2, 0, -2, -2, 126, -126, 3};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        assert_int_equal(titan_q8_round(v[i]), want[i]);
    /* a ragged row: block 0 holds the max, block 1 is zero, block 2 NaN */
    float x[70] = {0};
    for (int k = 0; k < 32; k++) x[k] = (float)(k - 16) * 0.25f;
    x[5] = -8.0f;
    x[66] = NAN;
    int8_t q[128];
    float scale[3];
    int32_t sum[3];
    titan_q8_acts a = {1, 70, 3, 128, q, scale, sum};
    memset(q, 0x55, sizeof q);
    titan_q8_quantize_rows(&a, x, 0, 1);
    assert_true(scale[0] == 8.0f / 127.0f && q[5] == -127);
    int32_t s = 0;
    for (int k = 0; k < 32; k++) {
        s += q[k];
        assert_int_equal(q[k], titan_q8_round(x[k] / scale[0]));
    }
    assert_int_equal(sum[0], s);
    assert_true(scale[1] == 0.0f && sum[1] == 0 && isnan(scale[2]));
    for (int k = 32; k < 128; k++) assert_int_equal(q[k], 0); /* and the padding */
}

/* The AVX-512 quantizer gives the plain C one's bits: random rows, rows of
 * ties (k + 0.5 times a scale of 1: 127 is the max), zero, NaN and
 * infinite blocks, ragged K. A CPU without AVX-512 must run the plain one. */
static void quantizers_agree(void **state) {
    (void)state;
    titan_isa best = titan_cpu_best_isa();
    if (best < TITAN_ISA_AVX512) {
        assert_ptr_equal(titan_q8_quantizer(best), titan_q8_quantize_rows);
        return;
    }
    const int64_t Ks[] = {1, 17, 32, 47, 64, 100, 257};
    for (size_t ki = 0; ki < sizeof Ks / sizeof Ks[0]; ki++) {
        int64_t K = Ks[ki];
        int T = 6;
        q8_x a = make_x(T, K, 0.0f), b = make_x(T, K, 0.0f);
        for (int64_t k = 0; k < K; k++) {
            a.x[K + k] = k % 32 == 0 ? 127.0f : (float)(k % 254 - 127) + 0.5f;
            a.x[2 * K + k] = 0.0f;
            a.x[3 * K + k] = k == K / 2 ? NAN : 1.0f;
            a.x[4 * K + k] = k == 0 ? -INFINITY : -2.0f;
        }
        titan_q8_quantize_rows(&a.a, a.x, 0, T);
        titan_q8_quantize_rows_avx512(&b.a, a.x, 0, T);
        size_t nb = (size_t)(T * a.a.blocks);
        assert_memory_equal(a.a.q, b.a.q, (size_t)T * a.a.ld);
        assert_memory_equal(a.a.scale, b.a.scale, nb * sizeof(float));
        assert_memory_equal(a.a.sum, b.a.sum, nb * sizeof(int32_t));
        free_x(&a), free_x(&b);
    }
}

/* Each family this CPU runs against the reference, whole and split. */
static void check_families(const q8_weights *w, const q8_x *x, const char *what) {
    int64_t N = w->t.rows;
    size_t n = (size_t)x->a.T * (size_t)N;
    float *want = malloc(n * sizeof(float)), *got = malloc(n * sizeof(float));
    static _Alignas(64) float scratch[MATMUL_SCRATCH_FLOATS];
    titan_q8_args args = {&w->t, &x->a, want, NULL};
    titan_q8_rows_scalar(&args, 0, N, scratch);
    const titan_cpu_features *f = titan_cpu_features_get();
    titan_q8_rows_fn fams[2] = {f->avx2 ? titan_q8_rows_avx2 : NULL,
                                titan_cpu_best_isa() == TITAN_ISA_AVX512 && f->avx512_vnni
                                    ? titan_q8_rows_vnni512
                                    : NULL};
    /* the interleaved copy (matmul_q8_pack.h), made as the backend makes it */
    size_t pb = titan_q8_pack_bytes(N, w->t.cols, w->t.group_size, w->t.dtype);
    uint8_t *buf = aligned_alloc(64, pb);
    titan_q8_packed packed;
    titan_q8_pack(&w->t, buf, &packed);
    for (int i = 0; i < 4; i++) { /* row-major kernels take int8-laned tensors only */
        if (!fams[i % 2] || (i < 2 && !titan_q8_takes(&w->t))) continue;
        args.p = i < 2 ? NULL : &packed;
        int64_t cut = N > 7 ? N / 2 - 3 : N;
        memset(got, 0xff, n * sizeof(float));
        args.y = got;
        fams[i % 2](&args, 0, cut, scratch);
        fams[i % 2](&args, cut, N, scratch);
        if (memcmp(got, want, n * sizeof(float))) {
            for (size_t j = 0; j < n; j++)
                if (memcmp(&got[j], &want[j], sizeof(float))) {
                    print_error("%s family %d%s: y[%zu] = %.9g, reference %.9g\n", what,
                                i % 2, i < 2 ? "" : " interleaved", j, (double)got[j],
                                (double)want[j]);
                    break;
                }
            fail();
        }
    }
    free(want), free(got), free(buf);
}

static void families_equal_reference(void **state) {
    (void)state;
    const int64_t Ks[] = {1, 31, 32, 33, 64, 65, 100, 257, 300, 513};
    const int Ts[] = {1, 2, 3, 4, 5, 7, 15, 16, 17, 40};
    const int64_t Ns[] = {1, 5, 16, 37, 70};
    char what[96];
    for (size_t ki = 0; ki < sizeof Ks / sizeof Ks[0]; ki++)
        for (size_t ti = 0; ti < sizeof Ts / sizeof Ts[0]; ti++) {
            int64_t K = Ks[ki], N = Ns[(ki + ti) % 5];
            int T = Ts[ti];
            int gs = (ki + ti) % 3 == 0 ? 0 : (ki + ti) % 3 == 1 ? 32 : 64;
            titan_dtype dt = ti % 3 == 0   ? TITAN_DT_INT8
                             : ti % 3 == 1 ? TITAN_DT_INT6_BYTE
                                           : TITAN_DT_INT6;
            q8_weights w = make_weights(dt, N, K, gs, 0);
            q8_x x = make_x(T, K, 0.0f);
            snprintf(what, sizeof what, "N %lld K %lld T %d gs %d", (long long)N,
                     (long long)K, T, gs);
            check_families(&w, &x, what);
            free_weights(&w), free_x(&x);
        }
}

/* All-127 / all-(-128) weights (int6: 31 / -32) against all-max activations of either sign:
 * the largest block sums there are (|isum| = 32 * 128 * 127), equal in every
 * family and to the product worked out by hand. */
static void extremes_do_not_saturate(void **state) {
    (void)state;
    const int wv[] = {127, -128, 31, -32}; /* int8's, then int6's ends */
    const float xv[] = {5.0f, -5.0f};
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 2; j++)
            for (int T = 1; T <= 20; T += 19) {
                int64_t N = 19, K = 320;
                titan_dtype dt = i < 2 ? TITAN_DT_INT8 : TITAN_DT_INT6_BYTE;
                q8_weights w = make_weights(dt, N, K, 0, wv[i]);
                q8_x x = make_x(T, K, xv[j]);
                check_families(&w, &x, "extremes");
                float *y = malloc((size_t)(T * N) * sizeof(float));
                static _Alignas(64) float scratch[MATMUL_SCRATCH_FLOATS];
                titan_q8_args args = {&w.t, &x.a, y, NULL};
                titan_q8_kernel(titan_cpu_best_isa())(&args, 0, N, scratch);
                int32_t q = xv[j] > 0 ? 127 : -127, isum = 32 * wv[i] * q;
                for (int64_t n = 0; n < N; n++) {
                    float s = w.scales[n] * x.a.scale[0], want = 0.0f;
                    for (int b = 0; b < 10; b++) want = fmaf(s, (float)isum, want);
                    for (int t = 0; t < T; t++) assert_true(y[t * N + n] == want);
                }
                free(y), free_weights(&w), free_x(&x);
            }
}

/* A cpu backend with options in a malloc'd arena. */
static titan_backend *q8_backend_packs(int threads, titan_act_quant aq, int max_T,
                                       size_t pack_bytes, void **buf) {
    titan_cpu_options o = {threads, aq, max_T, 600, pack_bytes};
    size_t bytes = titan_backend_cpu_opts_arena_bytes(&o);
    assert_true(bytes > 0);
    *buf = aligned_alloc(64, (bytes + 63) / 64 * 64);
    titan_arena a;
    titan_arena_init(&a, *buf, bytes);
    titan_backend *be;
    assert_int_equal(titan_backend_cpu_create_opts(&a, &o, &be), TITAN_OK);
    assert_true(a.used <= bytes);
    return be;
}

static titan_backend *q8_backend(int threads, titan_act_quant aq, int max_T, void **buf) {
    return q8_backend_packs(threads, aq, max_T, 0, buf);
}

static void backend_q8(void **state) {
    (void)state;
    int64_t N = 90, K = 300;
    int T = 24;
    q8_weights w = make_weights(TITAN_DT_INT8, N, K, 0, 0);
    q8_x x = make_x(T, K, 0.0f);
    size_t n = (size_t)(T * N);
    float *want = malloc(n * 4), *y1 = malloc(n * 4), *y2 = malloc(n * 4),
          *ye = malloc(n * 4);
    static _Alignas(64) float scratch[MATMUL_SCRATCH_FLOATS];
    titan_q8_args args = {&w.t, &x.a, want, NULL};
    titan_q8_rows_scalar(&args, 0, N, scratch);
    void *b1, *b2, *be_;
    titan_backend *q1 = q8_backend(1, TITAN_ACT_Q8, T, &b1);
    titan_backend *q2 = q8_backend(2, TITAN_ACT_Q8, T, &b2);
    titan_backend *ex = q8_backend(2, TITAN_ACT_EXACT, 0, &be_);
    q1->matmul(q1, &w.t, x.x, y1, T);
    q2->matmul(q2, &w.t, x.x, y2, T);
    ex->matmul(ex, &w.t, x.x, ye, T);
    assert_memory_equal(y1, want, n * 4);
    assert_memory_equal(y2, want, n * 4);
    assert_true(memcmp(ye, want, n * 4)); /* exact is another computation */
    assert_close_floats(y1, ye, n, "q8 near exact", 0.0, 0.02);
    /* matmul2: two products of one quantization */
    q2->matmul2(q2, &w.t, y1, &w.t, y2, x.x, T);
    assert_memory_equal(y1, want, n * 4);
    assert_memory_equal(y2, want, n * 4);
    /* f32 weights, and more tokens than planned, keep the exact path */
    float *wf = malloc((size_t)(N * K) * 4);
    for (int64_t i = 0; i < N * K; i++) wf[i] = w.q[i] * w.scales[i / K];
    titan_tensor tf = {
        .dtype = TITAN_DT_F32, .ndim = 2, .rows = N, .cols = K, .data = wf};
    q2->matmul(q2, &tf, x.x, y1, T);
    ex->matmul(ex, &tf, x.x, y2, T);
    assert_memory_equal(y1, y2, n * 4);
    void *bsmall;
    titan_backend *small = q8_backend(2, TITAN_ACT_Q8, T - 1, &bsmall);
    small->matmul(small, &w.t, x.x, y1, T);
    assert_memory_equal(y1, ye, n * 4);
    titan_backend_destroy(small), titan_backend_destroy(q1), titan_backend_destroy(q2);
    titan_backend_destroy(ex);
    free(bsmall), free(b1), free(b2), free(be_), free(wf);
    free(want), free(y1), free(y2), free(ye), free_weights(&w), free_x(&x);
}

/* Backends with room for interleaved copies of both tensors, of the int8
 * one only, and of none: the int8 tensor gives the reference's bits (from
 * the copy or its rows), the bit-packed int6 one too when it has a copy and
 * the exact path's bits without; 1 and 2 threads, matmul2's second tensor's
 * share starting inside a group of rows (90 rows: not a multiple of 16). */
static void backend_q8_interleaved(void **state) {
    (void)state;
    int64_t N = 90, K = 300, N2 = 37;
    q8_weights w = make_weights(TITAN_DT_INT8, N, K, 64, 0);
    q8_weights w2 = make_weights(TITAN_DT_INT6, N2, K, 0, 0);
    size_t one = titan_q8_pack_bytes(N, K, 64, TITAN_DT_INT8);
    size_t both = one + titan_q8_pack_bytes(N2, K, 0, TITAN_DT_INT6);
    const size_t room[] = {both, one, 0};
    for (int T = 1; T <= 5; T += 2) {
        q8_x x = make_x(T, K, 0.0f);
        float *want = malloc((size_t)(T * N) * 4), *want2 = malloc((size_t)(T * N2) * 4);
        float *y = malloc((size_t)(T * N) * 4), *y2 = malloc((size_t)(T * N2) * 4);
        static _Alignas(64) float scratch[MATMUL_SCRATCH_FLOATS];
        titan_q8_args args = {&w.t, &x.a, want, NULL};
        titan_q8_rows_scalar(&args, 0, N, scratch);
        args = (titan_q8_args){&w2.t, &x.a, want2, NULL};
        titan_q8_rows_scalar(&args, 0, N2, scratch);
        float *exact2 = malloc((size_t)(T * N2) * 4);
        void *ebuf;
        titan_backend *ex = q8_backend(1, TITAN_ACT_EXACT, 0, &ebuf);
        ex->matmul(ex, &w2.t, x.x, exact2, T);
        titan_backend_destroy(ex), free(ebuf);
        for (int th = 1; th <= 2; th++)
            for (int r = 0; r < 3; r++) {
                void *buf;
                titan_backend *be = q8_backend_packs(th, TITAN_ACT_Q8, T, room[r], &buf);
                for (int rep = 0; rep < 2; rep++) { /* packs made, then reused */
                    memset(y, 0xff, (size_t)(T * N) * 4);
                    memset(y2, 0xff, (size_t)(T * N2) * 4);
                    be->matmul2(be, &w.t, y, &w2.t, y2, x.x, T);
                    assert_memory_equal(y, want, (size_t)(T * N) * 4);
                    assert_memory_equal(y2, r == 0 ? want2 : exact2,
                                        (size_t)(T * N2) * 4);
                    memset(y, 0xff, (size_t)(T * N) * 4);
                    be->matmul(be, &w.t, x.x, y, T);
                    assert_memory_equal(y, want, (size_t)(T * N) * 4);
                }
                titan_backend_destroy(be), free(buf);
            }
        free(want), free(want2), free(y), free(y2), free(exact2), free_x(&x);
    }
    free_weights(&w), free_weights(&w2);
}

static void options_refused(void **state) {
    (void)state;
    titan_arena a;
    titan_arena_init(&a, NULL, 0);
    titan_backend *be;
    titan_cpu_options o = {1, TITAN_ACT_Q8, 0, 10, 0};
    assert_int_equal(titan_backend_cpu_create_opts(&a, &o, &be), TITAN_E_USAGE);
    o = (titan_cpu_options){1, (titan_act_quant)7, 4, 10, 0};
    assert_int_equal(titan_backend_cpu_create_opts(&a, &o, &be), TITAN_E_USAGE);
    assert_int_equal(titan_backend_cpu_opts_arena_bytes(&o), 0);
    o = (titan_cpu_options){1, TITAN_ACT_Q8, 4, 100, 0};
    titan_cpu_options e = {1, TITAN_ACT_EXACT, 0, 0, 0};
    assert_true(titan_backend_cpu_opts_arena_bytes(&o) >
                titan_backend_cpu_opts_arena_bytes(&e) + 4 * 128);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rounding_and_blocks),
        cmocka_unit_test(quantizers_agree),
        cmocka_unit_test(families_equal_reference),
        cmocka_unit_test(extremes_do_not_saturate),
        cmocka_unit_test(backend_q8),
        cmocka_unit_test(backend_q8_interleaved),
        cmocka_unit_test(options_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
