/* matmul.h: the CPU backend's matmul kernels, one family per instruction set
 * (matmul_avx512.c, matmul_avx2.c, matmul_scalar.c), and what they share.
 *
 * Each family computes y[t][n] = sum_k W[n][k] * x[t][k] for one thread's
 * output rows [n0, n1) and all T tokens. Small T streams W once through
 * dot-product tiles (weights dequantized in registers); large T copies a
 * panel of rows x KC columns of W (dequantized and transposed) into
 * per-thread scratch and runs a register-blocked outer-product kernel over
 * blocks of TB tokens x KC of x. Every output value is computed by the same
 * operation sequence wherever its row falls, so results do not depend on the
 * split. The float GEMM of any two float matrices (titan_gemm_f32, the
 * trainer's products) runs the same blocks and register tiles. */
#ifndef TITAN_PLATFORM_MATMUL_H
#define TITAN_PLATFORM_MATMUL_H

#include "platform/backend.h"
#include "platform/cpu_features.h"
#include "titan.h"

#include <stdbool.h>

#define MATMUL_KC     256 /* columns of W per cache block */
#define MATMUL_TB     528 /* most tokens per block of x (12 * 44) */
#define MATMUL_NR_MAX 32  /* rows per panel (widest family) */
/* Dot tiles streamed ahead of use (small T), into L2 (hint T1): prefetches
 * into L1 hold one of its few miss buffers each until the line arrives,
 * which capped a thread's stream far below read bandwidth (zenyx int8
 * decode on 1 thread: 70-90 -> 115-125 tok/s). */
#define PREFETCH_TILES   4
#define MATMUL_DOT_MAX_T 16 /* from this many tokens on, panels (see above) */

/* Per-thread scratch, in floats: a panel, one row. */
#define MATMUL_SCRATCH_FLOATS ((size_t)(MATMUL_NR_MAX + 1) * MATMUL_KC)

typedef struct {
    const titan_tensor *w; /* [N][K], any dtype */
    const float *x;        /* [T][K] */
    float *y;              /* [T][N] */
    int T;
} titan_matmul_args;

/* The portable family: any dtype, any group size, any T. */
void titan_matmul_rows_scalar(const titan_matmul_args *a, int64_t n0, int64_t n1,
                              float *scratch);

/* Byte offset of value k in a stored row (k a multiple of 4 for INT6). */
static inline size_t matmul_value_offset(titan_dtype dt, int64_t k) {
    switch (dt) {
    case TITAN_DT_F32: return (size_t)k * 4;
    case TITAN_DT_F16:
    case TITAN_DT_BF16: return (size_t)k * 2;
    case TITAN_DT_INT8:
    case TITAN_DT_INT6_BYTE: return (size_t)k;
    case TITAN_DT_INT6: break;
    }
    return (size_t)k / 4 * 3;
}

/* A vector family's pieces for the panel (many-token) path. */
typedef struct {
    int mr, nr; /* tokens x rows of one register tile (mr divides MATMUL_TB) */
    /* y[t][r] (+)= sum_k panel[k][r] * x[t*t_step + k*k_step] for t < nt,
     * r < rows: x is read in place, by rows or transposed (broadcasts need
     * no copy); rows of y are ldy floats apart; accumulate adds to y
     * instead of storing. */
    void (*tile)(const float *panel, const float *x, size_t t_step, size_t k_step, int kc,
                 float *y, size_t ldy, int nt, int rows, bool accumulate);
    /* panel[k][r] = W[n + r][k0 + k] as floats for r < rows (zero rows
     * up to nr), k < kc; k0 a multiple of 16; tmp_row holds KC floats. */
    void (*panel)(const titan_tensor *w, int64_t n, int rows, int64_t k0, int kc,
                  float *tmp_row, float *panel);
} titan_gemm_family;

/* The plain panel filler: each row dequantized into tmp_row, then scattered. */
typedef void (*titan_dequant_fn)(const titan_tensor *w, int64_t row, int64_t k0,
                                 int64_t len, float *out);
void matmul_panel_by_rows(titan_dequant_fn dequant, const titan_tensor *w, int64_t n,
                          int rows, int64_t k0, int kc, int nr, float *tmp_row,
                          float *panel);

/* Small T: y rows [n0, n1) of one dtype by dot-product tiles. */
typedef void (*titan_dot_fn)(const titan_matmul_args *a, int64_t n0, int64_t n1);

/* The portable small product (backend.h); the ref and tpu backends' too. */
void titan_small_gemm_scalar(const titan_small_gemm *g);

/* titan_attend from small products gemm (attend.c); the portable
 * backends' attend is titan_attend_scalar, gemm = titan_small_gemm_scalar. */
void titan_attend_with(const titan_attend *a, void (*gemm)(const titan_small_gemm *g));
void titan_attend_scalar(const titan_attend *a);
/* The fused AVX-512 attend (attend_avx512.c). */
void titan_attend_avx512(const titan_attend *a);

/* A vector family (matmul_avx512.c, matmul_avx2.c). */
typedef struct {
    int vw;                                        /* floats per vector */
    void (*small_gemm)(const titan_small_gemm *g); /* register tiles */
    void (*attend)(const titan_attend *a);
    /* by titan_dtype (INT6_BYTE: the INT8 tile); group sizes multiple of vw */
    titan_dot_fn dot[TITAN_DT_INT6_BYTE + 1];
    titan_gemm_family gemm; /* many tokens, or group sizes dot cannot take */
} titan_vector_family;

extern const titan_vector_family titan_matmul_avx512, titan_matmul_avx2;

/* The family of an instruction set; NULL for TITAN_ISA_SCALAR. */
const titan_vector_family *titan_matmul_family(titan_isa isa);

/* A float product: for i < m, j < n,
 * c[i*ldc + j] (+)= sum_{p<k} A[i][p] * B[p][j], where
 * A[i][p] = a[i*lda + p], or a[p*lda + i] when a_trans, and
 * B[p][j] = b[p*ldb + j], or b[j*ldb + p] when b_trans. */
typedef struct {
    int m, n, k;
    const float *a;
    size_t lda;
    bool a_trans;
    const float *b;
    size_t ldb;
    bool b_trans;
    float *c;
    size_t ldc;      /* not aliasing a or b */
    bool accumulate; /* add to c instead of overwriting it */
} titan_gemm_f32;

/* The product with family f (NULL: portable loops, titan_gemm_f32_scalar)
 * in panels and register tiles; scratch holds MATMUL_SCRATCH_FLOATS
 * floats, 64-byte aligned. Float sums, the same order for the same shape. */
void titan_gemm_f32_run(const titan_vector_family *f, const titan_gemm_f32 *g,
                        float *scratch);

/* The portable product; titan_small_gemm_scalar is this with a in rows. */
void titan_gemm_f32_scalar(const titan_gemm_f32 *g);

/* One thread's share, rows [n0, n1) for all tokens, with a vector family:
 * dot tiles for T < MATMUL_DOT_MAX_T, else panels (matmul_panels.c). */
void titan_matmul_rows_vector(const titan_vector_family *f, const titan_matmul_args *a,
                              int64_t n0, int64_t n1, float *scratch);

#endif
