/* titan.h: the one public header of libtitan.
 *
 * Conventions (apply to every function below unless it says otherwise):
 *  - Functions return titan_status. On failure a one-line message is kept per
 *    thread; titan_last_error() returns it until the next failure.
 *  - Three failure kinds are kept apart, as in liblzma: TITAN_E_USAGE (the caller
 *    broke a precondition: NULL pointer, out-of-range option), TITAN_E_DATA (an input
 *    file or buffer is malformed, truncated, corrupt or hostile), TITAN_E_NOMEM (the
 *    caller's arena is too small). I/O and unsupported-feature errors have their own.
 *  - The library never calls malloc/calloc/realloc/free. Memory comes from a
 *    caller-provided titan_arena; objects carved from it live until the arena is
 *    reset past them. Nothing here takes ownership of caller memory.
 *  - All integers read from files are validated before use; sizes are size_t and
 *    every product is overflow-checked.
 */
#ifndef TITAN_H
#define TITAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status returns must be looked at: a dropped one hides a failure. */
#if defined(__GNUC__)
#define TITAN_NODISCARD __attribute__((warn_unused_result))
#else
#define TITAN_NODISCARD
#endif

#define TITAN_VERSION "0.2.0" /* of the library, its tools and this header */

/* ==== status, arena, checksums =============================================
 * core/base/: the ground every other part stands on. */

/* X(name, value, message): the one list of status codes and their meaning. */
#define TITAN_STATUS_LIST(X)                                                             \
    X(TITAN_OK, 0, "ok")                                                                 \
    X(TITAN_E_USAGE, 1, "invalid argument or misuse of the API")                         \
    X(TITAN_E_DATA, 2, "malformed, corrupt or unsupported input data")                   \
    X(TITAN_E_NOMEM, 3, "arena too small")                                               \
    X(TITAN_E_IO, 4, "input/output error")                                               \
    X(TITAN_E_UNSUPPORTED, 5, "feature not supported by this build")

typedef enum {
#define TITAN_STATUS_ENUM(name, value, msg) name = value,
    TITAN_STATUS_LIST(TITAN_STATUS_ENUM)
#undef TITAN_STATUS_ENUM
} titan_status;

/* Static description of a status code ("arena too small"). Never NULL. */
const char *titan_status_string(titan_status s);

/* The message of this thread's most recent failure ("" if none). Valid until the
 * next failing call on the same thread. */
const char *titan_last_error(void);

/* Record a printf-style message for titan_last_error() and return s, so that
 * failures read `return titan_fail(TITAN_E_DATA, "tensor %s: ...", name);`.
 * For callers too: a callback or tool reports its own failures the same way. */
TITAN_NODISCARD titan_status titan_fail(titan_status s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Put a printf-style context and ": " before this thread's last message and
 * return s: `return titan_fail_in(st, "%s", path);` names the file a lower
 * layer's failure is about. */
TITAN_NODISCARD titan_status titan_fail_in(titan_status s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Propagate a failure: evaluate once, return it if not TITAN_OK. */
#define TITAN_TRY(expr)                                                                  \
    do {                                                                                 \
        titan_status try_status_ = (expr);                                               \
        if (try_status_ != TITAN_OK) return try_status_;                                 \
    } while (0)

/* One caller-provided buffer, carved front to back with alignment. With
 * base == NULL the arena only measures: allocations succeed with NULL pointers
 * and `used`/`high` report the bytes a real run needs (this is how plans are
 * made exactly). Exceeding `cap` fails with TITAN_E_NOMEM, never overwrites. */
typedef struct titan_arena {
    uint8_t *base; /* caller's buffer, or NULL in measuring mode */
    size_t cap;    /* bytes available at base (ignored when measuring) */
    size_t used;   /* current top */
    size_t high;   /* high-water mark of used */
} titan_arena;

#define TITAN_ALIGN 64 /* default alignment: one cache line, any SIMD width */

/* Prepare an arena over buf[0..cap). buf may be NULL (measuring mode). */
void titan_arena_init(titan_arena *a, void *buf, size_t cap);

/* Carve `bytes` (may be 0) aligned to `align` (a power of two <= 4096) and store
 * the pointer in *out (NULL when measuring). Memory is not zeroed. */
TITAN_NODISCARD titan_status titan_arena_alloc(titan_arena *a, size_t bytes, size_t align,
                                               void **out);

/* Same, but zero-filled. */
TITAN_NODISCARD titan_status titan_arena_calloc(titan_arena *a, size_t bytes,
                                                size_t align, void **out);

/* Stack discipline: remember the top and later free everything above it. */
size_t titan_arena_mark(const titan_arena *a);
void titan_arena_reset(titan_arena *a, size_t mark);

/* Progress of a long operation: fn(user, done, total) is called now and then
 * with the units done so far out of total (bytes, tokens, rows: the caller
 * of the operation says which); fn NULL means no reports. */
typedef struct titan_progress {
    void (*fn)(void *user, double done, double total);
    void *user;
} titan_progress;

/* CRC-32 (IEEE 802.3, as zlib/liblzma crc32) of data, continuing from crc
 * (start with 0). Catches every single flipped bit. */
uint32_t titan_crc32(uint32_t crc, const void *data, size_t len);

/* ==== quantized storage ====================================================
 * quant/: storage types, tensors, round-to-nearest quantizers,
 * dequantization. */

#define TITAN_NAME_MAX 48 /* tensor names, including the terminating NUL */

/* Storage types. Quantized types keep one float32 scale per row (or per group
 * of group_size values along a row): value = q * scale. */
typedef enum {
    TITAN_DT_F32 = 0,
    TITAN_DT_F16 = 1,
    TITAN_DT_BF16 = 2,
    TITAN_DT_INT8 = 3,      /* int8 per value */
    TITAN_DT_INT6 = 4,      /* [-32, 31], bit-packed, see below */
    TITAN_DT_INT6_BYTE = 5, /* [-32, 31], one int8 per value, see below */
} titan_dtype;
/* INT6 layout: each row is padded with zeros to a multiple of 4 values; every 4
 * values q0..q3 (6-bit two's complement u0..u3) form the 24-bit word
 * u0 | u1 << 6 | u2 << 12 | u3 << 18, stored as 3 little-endian bytes. A row
 * takes ceil(cols / 4) * 3 bytes. INT8 rows take cols bytes. INT6_BYTE ("int6b")
 * holds the INT6 values in the INT8 layout (cols bytes a row, each an int8 in
 * [-32, 31]; readers refuse any other byte), leaving the two idle bits to the
 * codec; kernels read it as INT8. Scales are finite and positive;
 * groups = group_size ? ceil(cols / group_size) : 1 per row. */

/* A tensor as the runtime sees it: points into arena memory. */
typedef struct titan_tensor {
    char name[TITAN_NAME_MAX];
    titan_dtype dtype;
    int ndim;
    int64_t rows, cols;    /* 1-D tensors: rows = length, cols = 1 */
    int32_t group_size;    /* quantized types: values per scale, 0 = whole row */
    const void *data;      /* values in the dtype's layout, row-major */
    const float *scales;   /* quantized types: rows * groups scales, else NULL */
    uint64_t stored_bytes; /* bytes in the artifact before compression */
} titan_tensor;

/* "f32", "f16", "bf16", "int8", "int6", "int6b" ("unknown" outside the enum). */
const char *titan_dtype_name(titan_dtype dt);
TITAN_NODISCARD titan_status titan_dtype_from_name(const char *name, titan_dtype *dt);

/* Byte layout of one stored tensor: values row-major (row_bytes each), then
 * for quantized types rows * groups f32 scales at scale_offset (64-aligned). */
typedef struct titan_tensor_layout_t {
    uint64_t row_bytes, value_bytes;
    uint64_t groups; /* scales per row: 0 for float types */
    uint64_t scale_offset, scale_bytes;
    uint64_t total_bytes; /* what the tensor takes in the data section */
} titan_tensor_layout_t;

/* Layout for a dtype and shape (rows, cols >= 1, rows * cols < 2^40;
 * group_size 0 for float types, 0..cols for quantized). TITAN_E_DATA when
 * anything is out of range. */
TITAN_NODISCARD titan_status titan_tensor_layout(titan_dtype dt, int64_t rows,
                                                 int64_t cols, int32_t group_size,
                                                 titan_tensor_layout_t *l);

/* Dequantize/convert row `row` of t to float32 out[0..cols). */
TITAN_NODISCARD titan_status titan_tensor_row_f32(const titan_tensor *t, int64_t row,
                                                  float *out);

/* Bytes of one row of `cols` values of a valid dtype (INT6: ceil(cols/4)*3,
 * INT8 and INT6_BYTE: cols). */
size_t titan_dtype_row_bytes(titan_dtype dt, int64_t cols);

/* Quantize src[rows][cols] to dt (TITAN_DT_INT8, _INT6 or _INT6_BYTE) with one
 * absmax scale per row (group_size 0) or per group of group_size values:
 * scale = absmax / qmax (127 or 31; 1 for an all-zero group), q = round(x /
 * scale) (lrintf: halves to even) clamped to [qmin, qmax] = [-128, 127] or
 * [-32, 31]. data receives rows * row_bytes bytes (titan_tensor_layout),
 * scales rows * groups floats. TITAN_E_DATA for non-finite input.
 * Same as titan_quant_rtn_clip with clip_steps 1. */
TITAN_NODISCARD titan_status titan_quant_rtn(const float *src, int64_t rows, int64_t cols,
                                             titan_dtype dt, int32_t group_size,
                                             void *data, float *scales);

/* out[0..n) = dequantized values col0..col0+n-1 of row `row` of w (any dtype).
 * The caller keeps the range inside the tensor. */
void titan_dequant_row(const titan_tensor *w, int64_t row, int64_t col0, int64_t n,
                       float *out);

/* titan_quant_rtn with the scale of each row (group) chosen by clip search:
 * for k = 0 .. clip_steps-1 (1..100) the candidate scale is
 * absmax * (1 - k/100) / qmax; q = clamp(round(x / scale), qmin, qmax) as in
 * titan_quant_rtn; the candidate with the least sum of (q * scale - x)^2 wins,
 * the smallest k on ties (so 1 step is plain absmax). clip_steps 21 tries
 * clips 1.00, 0.99, ..., 0.80. TITAN_E_USAGE for bad arguments, TITAN_E_DATA
 * for non-finite input. */
TITAN_NODISCARD titan_status titan_quant_rtn_clip(const float *src, int64_t rows,
                                                  int64_t cols, titan_dtype dt,
                                                  int32_t group_size, int clip_steps,
                                                  void *data, float *scales);

/* ==== backends =============================================================
 * platform/: the compute backends the model runs its products on, one table
 * of operations with three implementations: "ref" (plain C), "cpu" (SIMD
 * kernels and threads) and "tpu" (a systolic-array emulator). Each is carved
 * from the caller's arena and released with titan_backend_destroy. */

typedef struct titan_backend titan_backend;

/* The reference backend: plain C loops, one thread, sums in double where it
 * helps; the yardstick the others are tested against. Safe to share between
 * threads. In measuring mode only bytes are counted and *out is NULL. */
TITAN_NODISCARD titan_status titan_backend_ref_create(titan_arena *a,
                                                      titan_backend **out);

/* The optimized CPU backend (platform/backend_cpu.c): matmul kernels picked at
 * run time for this CPU (AVX-512, AVX2+FMA or plain C; f32, f16, bf16, int8,
 * int6 weights dequantized in registers) and a pool of threads that split
 * every product over output rows (and attention over heads x query blocks) in
 * chunks fixed by the shape alone, so results are bit-identical for any thread
 * count. More (kernel family choice) in platform/backend_cpu.h. */

/* Create the backend with `threads` threads in [1, 64] (the calling thread is
 * one of them; workers start now and wait between products). Everything comes
 * from the arena: titan_backend_cpu_arena_bytes(threads) bytes (about 0.6 MB
 * per thread of packing scratch). In measuring mode only bytes are counted and
 * *out is NULL. TITAN_E_USAGE for a bad thread count, TITAN_E_NOMEM if the
 * arena is too small or a thread cannot start. One caller thread per backend:
 * its matmul calls must not overlap. */
TITAN_NODISCARD titan_status titan_backend_cpu_create(titan_arena *a, int threads,
                                                      titan_backend **out);

/* Exact arena bytes of titan_backend_cpu_create (TITAN_ALIGN-aligned top). */
size_t titan_backend_cpu_arena_bytes(int threads);

/* How the cpu backend multiplies activations by int8-laned weights (INT8,
 * INT6_BYTE). EXACT (the default): weights dequantized in registers, float
 * sums. Q8 (opt-in, `--act-quant q8`): each token's activations quantized
 * per block of 32 values to int8 with one float scale (round to nearest,
 * ties to even), integer dot products (AVX-512 VNNI, AVX2 or plain C), one
 * exact int32 sum per block, then float (platform/matmul_q8.h). Faster, and
 * no longer the float product: judged by val_bpb, not by the 1e-4
 * tolerance. f32, f16, bf16 and bit-packed INT6 tensors, groups of scales
 * that are not a multiple of 32 values, and products larger than the
 * backend was sized for keep the exact path. This is the one switch of the
 * library: a field of titan_cpu_options. */
typedef enum { TITAN_ACT_EXACT = 0, TITAN_ACT_Q8 = 1 } titan_act_quant;

typedef struct titan_cpu_options {
    int threads;               /* [1, 64] */
    titan_act_quant act_quant; /* EXACT or Q8 */
    int max_tokens;            /* Q8: most tokens of one product (the model's batch) */
    int64_t max_cols; /* Q8: most columns of a weight (titan_config_matmul_bounds) */
    /* Q8: arena bytes for row-interleaved copies of the weights, made at each
     * tensor's first q8 product (faster few-token products; a tensor that
     * does not fit runs from its rows as stored; bit-packed INT6 runs on q8
     * only from a copy). titan_q8_pack_bytes gives a tensor's share; 0: no
     * copies. The tensors must not change while the backend serves them. */
    size_t pack_bytes;
} titan_cpu_options;

/* Arena bytes of the q8 copy of a rows x cols tensor of type dt (INT8: one
 * byte a value, INT6 and INT6_BYTE: 3/4 byte) with scales per group_size
 * values (0: per row), for titan_cpu_options.pack_bytes. */
size_t titan_q8_pack_bytes(int64_t rows, int64_t cols, int32_t group_size,
                           titan_dtype dt);

/* titan_backend_cpu_create with options; Q8 adds the quantized activations
 * of max_tokens x max_cols to the arena (TITAN_E_USAGE if either is < 1). */
TITAN_NODISCARD titan_status titan_backend_cpu_create_opts(titan_arena *a,
                                                           const titan_cpu_options *o,
                                                           titan_backend **out);

/* Exact arena bytes of titan_backend_cpu_create_opts; 0 for bad options. */
size_t titan_backend_cpu_opts_arena_bytes(const titan_cpu_options *o);

/* Systolic-array emulator (platform/tpu_*.c): an rows x cols grid of int8
 * multiply / int32 accumulate processing elements (PEs), weight-stationary
 * (WS) or output-stationary (OS). One GEMM is Y[M][N] = X[M][K] . W[N][K]^T
 * (W row-major [out, in] as the model stores it). Two modes give the same
 * integers and the same counters: FAST computes tile by tile, CYCLE moves
 * every PE register every cycle. Timing conventions are documented in
 * platform/tpu_cycles.c (default) and platform/tpu_scalesim.c (SCALE-Sim v2).
 *
 * Overflow: every product is at most 128 * 128 = 2^14 in magnitude, so a dot
 * product of K terms fits int32 exactly when K * 2^14 < 2^31, i.e. K <= 131071
 * (TITAN_TPU_MAX_K). Longer K is refused with TITAN_E_USAGE, never wrapped. */

#define TITAN_TPU_MIN_DIM 4
#define TITAN_TPU_MAX_DIM 256
#define TITAN_TPU_MAX_K   131071    /* 131071 * 128 * 128 < 2^31 */
#define TITAN_TPU_MAX_MN  (1 << 24) /* most rows M or columns N of one GEMM */

typedef enum { TITAN_TPU_WS = 0, TITAN_TPU_OS = 1 } titan_tpu_dataflow;
typedef enum { TITAN_TPU_FAST = 0, TITAN_TPU_CYCLE = 1 } titan_tpu_mode;

typedef struct titan_tpu_config {
    int32_t rows, cols;          /* PE grid, each in [4, 256] */
    titan_tpu_dataflow dataflow; /* WS (default) or OS */
    titan_tpu_mode mode;         /* FAST (default) or CYCLE */
    int scalesim;     /* 1: SCALE-Sim v2 timing (folds back to back, no overlap) */
    double clock_mhz; /* > 0, for seconds; default 700 (the TPU v1 clock) */
} titan_tpu_config;

/* Counters of one or more GEMMs (they add). Buffer counts are elements
 * (int8 operands, int32 partial sums) moved between the on-chip buffers and
 * the array; off-chip bytes assume each operand crosses once (int8 X and W in,
 * int32 Y out). cycles = weight_load + fill + steady + drain cycles, except in
 * SCALE-Sim mode where cycles is SCALE-Sim's "Total Cycles" (the 0-based index
 * of the last cycle, so one less per GEMM). */
typedef struct titan_tpu_counters {
    uint64_t gemms;              /* GEMMs counted */
    uint64_t cycles;             /* total */
    uint64_t weight_load_cycles; /* exposed (not hidden by double buffering) */
    uint64_t fill_cycles;        /* skew until the pipeline is full */
    uint64_t steady_cycles;      /* cycles issuing operands */
    uint64_t drain_cycles;       /* last results leaving the array */
    uint64_t folds;              /* array tiles: K and N tiles (WS), M and N (OS) */
    uint64_t macs;               /* useful multiply-accumulates, M * N * K */
    uint64_t weight_reads, input_reads;   /* on-chip buffer reads, elements */
    uint64_t output_reads, output_writes; /* partial-sum buffer traffic */
    uint64_t offchip_bytes;
    uint64_t refused; /* backend matmuls refused (shape too large) */
} titan_tpu_counters;

/* Defaults: 128x128, WS, FAST, default timing, 700 MHz. */
void titan_tpu_config_default(titan_tpu_config *c);

/* TITAN_E_USAGE with a message for an array outside [4, 256]^2, an unknown
 * dataflow or mode, or a clock that is not finite and positive. */
TITAN_NODISCARD titan_status titan_tpu_config_check(const titan_tpu_config *c);

/* The counters of one M x K x N GEMM without computing values (what FAST mode
 * adds). TITAN_E_USAGE for M, N outside [1, 2^24] or K outside [1, 131071].
 * Writes *out (does not add). */
TITAN_NODISCARD titan_status titan_tpu_gemm_count(const titan_tpu_config *c, int64_t M,
                                                  int64_t K, int64_t N,
                                                  titan_tpu_counters *out);

/* Arena bytes titan_tpu_gemm needs as scratch (CYCLE mode keeps the PE
 * registers there; FAST needs none). */
size_t titan_tpu_scratch_bytes(const titan_tpu_config *c);

/* Y[M][N] = X[M][K] . W[N][K]^T exactly in int32 on the emulated array, in the
 * configured mode, adding its counters to *acc. x, w, y must not alias. The
 * arena is used for scratch and reset to its mark before returning. */
TITAN_NODISCARD titan_status titan_tpu_gemm(const titan_tpu_config *c,
                                            titan_arena *scratch, const int8_t *x,
                                            const int8_t *w, int32_t *y, int64_t M,
                                            int64_t K, int64_t N,
                                            titan_tpu_counters *acc);

/* SCALE-Sim v2's "Mapping Efficiency" and "Compute Util" (fractions, not
 * percent) of one GEMM, as its COMPUTE_REPORT defines them (formulas in
 * platform/tpu_scalesim.c). TITAN_E_USAGE as titan_tpu_gemm_count. */
TITAN_NODISCARD titan_status titan_tpu_scalesim_efficiency(const titan_tpu_config *c,
                                                           int64_t M, int64_t K,
                                                           int64_t N, double *mapping,
                                                           double *compute);

/* Add b into a. */
void titan_tpu_counters_add(titan_tpu_counters *a, const titan_tpu_counters *b);

/* MACs / (cycles * rows * cols), 0 when no cycles. */
double titan_tpu_utilization(const titan_tpu_config *c, const titan_tpu_counters *k);

/* cycles / clock in seconds. */
double titan_tpu_seconds(const titan_tpu_config *c, const titan_tpu_counters *k);

/* Activation quantization (vector unit -> matrix unit): symmetric int8 per row,
 * scale = max|x| / 127, q = round-half-away-from-zero(x / scale) in [-127, 127]
 * (an all-zero row has scale 0 and q = 0; a row with a non-finite value has a
 * NaN scale, so NaN propagates to its outputs as in float). */
void titan_tpu_quantize_row(const float *x, int64_t n, int8_t *q, float *scale);

/* Requantization as TFLite / CMSIS-NN / gemmlowp: a real multiplier
 * 0 < real < 2^31 becomes mult in [2^30, 2^31) and shift with
 * real = mult * 2^(shift - 31). TITAN_E_USAGE outside that range. */
TITAN_NODISCARD titan_status titan_tpu_quantize_multiplier(double real, int32_t *mult,
                                                           int32_t *shift);

/* acc * mult * 2^(shift - 31) rounded as gemmlowp / TFLite
 * MultiplyByQuantizedMultiplier, bit for bit: a saturating left shift for
 * shift > 0, SaturatingRoundingDoublingHighMul (nearest, ties toward
 * +infinity), then RoundingDivideByPOT by -shift (nearest, ties away from
 * zero). Details in platform/tpu_requant.c. */
int32_t titan_tpu_requantize(int32_t acc, int32_t mult, int32_t shift);

/* The int8 output: clamp(requantize(acc) + zero_point, -128, 127). */
int8_t titan_tpu_requantize_i8(int32_t acc, int32_t mult, int32_t shift,
                               int32_t zero_point);

/* Per-tensor counters of a TPU backend (one row per weight tensor name). */
typedef struct titan_tpu_layer {
    char name[TITAN_NAME_MAX];
    titan_tpu_counters k;
} titan_tpu_layer;

/* A "tpu" backend whose matmul runs on the emulator: x is quantized per row
 * to int8, weights per row to int8 (int8 rows with one scale are used as
 * stored; int6 sits in int8 lanes; f32/f16/bf16 and grouped int8 are quantized
 * per row on each call), int32 accumulate, dequantize. All scratch comes from
 * the arena now, sized for up to max_T rows of x and weights up to max_rows x
 * max_cols (titan_config_matmul_bounds gives them for a model); a larger call
 * or max_cols > 131071 is refused (create: TITAN_E_USAGE; matmul: outputs NaN
 * and counters.refused). In measuring mode only bytes are counted and *out is
 * NULL. Safe to call from several threads: calls take turns on the array. */
TITAN_NODISCARD titan_status titan_backend_tpu_create(titan_arena *a,
                                                      const titan_tpu_config *c,
                                                      int max_T, int64_t max_rows,
                                                      int64_t max_cols,
                                                      titan_backend **out);

/* The backend's counters: totals, and per tensor in first-use order. */
void titan_tpu_backend_stats(const titan_backend *be, titan_tpu_counters *total,
                             const titan_tpu_layer **layers, int *n_layers);

/* "ref", "cpu" or "tpu" ("none" for NULL). */
const char *titan_backend_name(const titan_backend *be);

/* Release what the arena cannot hold (the cpu backend's threads, the tpu
 * backend's lock); NULL is ignored. The arena memory stays the caller's; the
 * backend must not be used afterwards. */
void titan_backend_destroy(titan_backend *be);

/* ==== config ===============================================================
 * core/config.c, core/config_fields.c: SPEC section 1 and its tensors. */

#define TITAN_MAX_MTP    8   /* most prediction heads a config may have */
#define TITAN_MAX_BLOCKS 64  /* most unique blocks */
#define TITAN_MAX_LIST   256 /* most entries of a list field (layer_schedule, ...) */
/* A block has at most 21 tensors (SPEC section 8), the model 8 more; a
 * xenith model (SPEC section 9) up to 2048, enough for xenith-mini-cpu's
 * 1928 (xenith-full's 19,000 and more are for planning only). */
#define TITAN_MAX_TENSORS 2048

/* Every config field, once, in the order of config JSON, of the artifact's
 * config record and of `titan inspect`:
 *   X(KIND, name, PRESENCE, default, min, max, "meaning")
 * KIND (C type in titan_config):
 *   INT int32_t; REAL double; BOOL bool (JSON true/false);
 *   ENUM int32_t, one of the strings of TITAN_VALUES_<name> (min, max unused);
 *   INTS int32_t name[TITAN_MAX_LIST] with its length in name_len (a JSON
 *     array of integers, each in min..max);
 *   ENUMS like INTS, each entry one of the strings of TITAN_VALUES_<name>;
 *   HEAD_REALS double[TITAN_MAX_MTP], one per prediction head (mtp_heads);
 *   OBJECT bool: a JSON object or null (false), its keys the MEMBER fields
 *     that follow it, named <object>_<key>.
 * PRESENCE, with the families that take the field (any other family refuses
 * it; titan_config_field_in_family):
 *   titan only: REQUIRED in config JSON; EXTRA (SPEC section 8: absent or
 *     null: the default; written only when it differs, so configs without
 *     them read and write as before); MEMBER (required inside its object,
 *     checked only when the object is set);
 *   both: COMMON (required); COMMON_DEFAULT (required in titan, the default
 *     in xenith); OPTIONAL (absent: the default; always written); FAMILY
 *     (written only when not titan);
 *   xenith only (SPEC section 9; absent or null: the default, always
 *     written): XENITH; XENITH_REQUIRED (null counts as missing).
 * min and max bound every value and may name another field as c->field; rules
 * across fields are in titan_config_validate. The struct, the JSON reader and
 * writer, the artifact record, the range checks and `titan inspect` are made
 * from this list: a new field is one line here. */
#define TITAN_CONFIG_FIELDS(X)                                                           \
    X(ENUM, family, FAMILY, TITAN_FAMILY_TITAN, 0, 0,                                    \
      "titan (sections 1 and 8) or xenith (section 9)")                                  \
    X(INT, vocab_size, COMMON, 0, TITAN_XENITH(c) ? 1 : 2, 1 << 20, "V: tokens")         \
    X(INT, d_model, COMMON, 0, 1, 1 << 16, "D: residual width")                          \
    X(INT, n_heads, COMMON, 0, 1, 1024, "H: query heads")                                \
    X(INT, n_kv_heads, COMMON, 0, 1, c->n_heads, "G: key/value groups, H % G == 0")      \
    X(INT, head_dim, COMMON, 0, 1, 4096, "Dh: non-rotary q/k width per head")            \
    X(INT, v_head_dim, REQUIRED, 0, 1, 4096, "Dv: value width per head")                 \
    X(INT, rope_dim, REQUIRED, 0, 0, 4096,                                               \
      "Dr: rotary width (even); mla: decoupled, gqa: the first Dr dims")                 \
    X(INT, q_latent, REQUIRED, 0, 0, 1 << 16,                                            \
      "Lq: query latent width, 0 = no query compression")                                \
    X(INT, kv_latent, REQUIRED, 0, c->attention == TITAN_ATTENTION_GQA ? 0 : 1, 1 << 16, \
      "Lkv: key/value latent width (what the cache holds, plus Dr)")                     \
    X(INT, mlp_hidden, COMMON, 0, 1, 1 << 20, "F: feed-forward width")                   \
    X(INT, conv_kernel, REQUIRED, 0, 0, 64,                                              \
      "K: causal depthwise kernel on the gate, 0 = plain SwiGLU")                        \
    X(INT, n_unique_blocks, REQUIRED, 0, 1, TITAN_MAX_BLOCKS, "B: distinct blocks")      \
    X(INT, n_recurrences, REQUIRED, 0, 1, 64,                                            \
      "R: passes over the B blocks (effective depth B*R)")                               \
    X(INT, max_seq_len, COMMON, 0, 1, 1 << 20, "longest context")                        \
    X(REAL, rope_base, COMMON_DEFAULT, 10000, TITAN_XENITH(c) ? TITAN_ABOVE_1 : 1.0001,  \
      1e12, "RoPE base")                                                                 \
    X(REAL, yarn_factor, REQUIRED, 0, 1e-6, 1e6, "s: YaRN scale, 1 = plain RoPE")        \
    X(INT, yarn_orig_ctx, REQUIRED, 0, 1, 1 << 24, "YaRN original context")              \
    X(REAL, yarn_beta_fast, REQUIRED, 0, 1e-6, 1e6, "YaRN ramp, fast end")               \
    X(REAL, yarn_beta_slow, REQUIRED, 0, 1e-6, 1e6, "YaRN ramp, slow end")               \
    X(INT, mtp_heads, REQUIRED, 0, 1, TITAN_MAX_MTP, "M: prediction heads t+1 .. t+M")   \
    X(HEAD_REALS, mtp_weights, REQUIRED, 0, 0, 1e6, "training loss weight per head")     \
    X(REAL, norm_eps, COMMON_DEFAULT, 1e-5, TITAN_XENITH(c) ? TITAN_ABOVE_0 : 1e-30,     \
      TITAN_XENITH(c) ? TITAN_REAL_MAX : 1, "RMSNorm epsilon")                           \
    X(REAL, logit_softcap, OPTIONAL, 0, 0, TITAN_XENITH(c) ? TITAN_REAL_MAX : 1e6,       \
      "c: 0 = off, else logits = c tanh(logits / c)")                                    \
    X(INT, bos_id, OPTIONAL, TITAN_TOK_BOS, 0, c->vocab_size - 1,                        \
      "the BOS token (set by the tokenizer)")                                            \
    X(INTS, layer_schedule, EXTRA, 0, 0, c->n_unique_blocks - 1,                         \
      "effective layer order (blocks); empty: B blocks repeated R times")                \
    X(REAL, recurrence_start_frac, EXTRA, 0, 0, 1,                                       \
      "training: repeats of the schedule left out before this step fraction")            \
    X(ENUM, attention, EXTRA, TITAN_ATTENTION_MLA, 0, 0,                                 \
      "mla (section 1) or gqa (plain grouped-query attention)")                          \
    X(BOOL, qk_norm, EXTRA, false, 0, 0, "RMSNorm0 of each head's q and k")              \
    X(BOOL, q_gain, EXTRA, false, 0, 0, "learned scale per query head")                  \
    X(ENUM, mlp_act, EXTRA, TITAN_MLP_SWIGLU, 0, 0, "swiglu, relu2 or leaky_relu2")      \
    X(REAL, leaky_slope, EXTRA, 0.5, -1e3, 1e3, "negative slope of leaky_relu2")         \
    X(INT, parallel_residual_from, EXTRA, -1, -1, TITAN_MAX_BLOCKS,                      \
      "blocks b >= this use the parallel residual; -1 = off")                            \
    X(BOOL, ln_scale, EXTRA, false, 0, 0, "block b's norm outputs times 1/sqrt(b+1)")    \
    X(INTS, xsa_layers, EXTRA, 0, 0, c->n_unique_blocks - 1,                             \
      "attention blocks with XSA")                                                       \
    X(OBJECT, bigram_hash, EXTRA, false, 0, 0, "hashed-bigram embedding")                \
    X(INT, bigram_hash_buckets, MEMBER, 0, 2, 1 << 24, "N: hash buckets")                \
    X(INT, bigram_hash_dim, MEMBER, 0, 1, 1 << 16, "d: table width")                     \
    X(OBJECT, value_embed, EXTRA, false, 0, 0, "shared value embedding")                 \
    X(INT, value_embed_dim, MEMBER, 0, 1, 1 << 16, "d: table width")                     \
    X(INTS, value_embed_layers, MEMBER, 0, 0, c->n_unique_blocks - 1,                    \
      "attention blocks that add it to v")                                               \
    X(ENUM, attn_sink, EXTRA, TITAN_SINK_NONE, 0, 0,                                     \
      "none, key or logit: a sink with a zero value")                                    \
    X(BOOL, smear_gate, EXTRA, false, 0, 0, "mix in the previous token's embedding")     \
    X(BOOL, emb_norm, EXTRA, false, 0, 0, "RMSNorm0 of the embedding sum")               \
    X(BOOL, resid_mix, EXTRA, false, 0, 0, "block input mix[0] h + mix[1] x0")           \
    X(BOOL, branch_scale, EXTRA, false, 0, 0, "per-channel mixer and MLP output scales") \
    X(ENUM, unet_skips, EXTRA, TITAN_SKIPS_NONE, 0, 0,                                   \
      "none, mirror or mirror_blocks: encoder-to-decoder skips")                         \
    X(BOOL, skip_gates, EXTRA, false, 0, 0, "sigmoid-gated skips (lerp)")                \
    X(INTS, gdn_layers, EXTRA, 0, 0, c->n_unique_blocks - 1,                             \
      "blocks whose mixer is Gated DeltaNet")                                            \
    X(INT, gdn_heads, EXTRA, 0, 0, 4096, "Hk: GDN key heads, 0 = H")                     \
    X(INT, gdn_v_heads, EXTRA, 0, 0, 4096, "Hv: GDN value heads, 0 = Hk")                \
    X(INT, gdn_head_dim, EXTRA, 0, 0, 4096, "Dk: GDN key width, 0 = Dh")                 \
    X(INT, gdn_v_head_dim, EXTRA, 0, 0, 4096, "Dw: GDN value width, 0 = Dv")             \
    X(INT, gdn_conv_kernel, EXTRA, 4, 0, 64, "Kc: GDN causal conv, 0 = none")            \
    X(ENUM, gdn_qk_act, EXTRA, TITAN_GDN_ACT_SILU, 0, 0, "silu or elu1 on q, k")         \
    X(BOOL, gdn_out_norm, EXTRA, true, 0, 0, "gated RMSNorm on the GDN output")          \
    TITAN_XENITH_FIELDS(X)

/* SPEC section 9's own fields. Defaults that follow other fields (moe_top_k
 * min(2, E), moe_hidden and sum_hidden F, lora_alpha r, lora_targets every
 * kind but lm_head, mem_read_layers every layer) are filled in by
 * titan_config_xenith_fill; the 0 of mem_slots .. sum_heads is "missing".
 * Fields checked only when E, S or r > 0 have no bounds otherwise. */
#define TITAN_IF_MOE(c, v)    ((c)->moe_experts > 0 ? (v) : TITAN_ANY_LO)
#define TITAN_IF_MEM(c, v)    ((c)->stm_tokens > 0 ? (v) : TITAN_ANY_LO)
#define TITAN_IF_MOE_HI(c, v) ((c)->moe_experts > 0 ? (v) : TITAN_ANY_HI)
#define TITAN_IF_MEM_HI(c, v) ((c)->stm_tokens > 0 ? (v) : TITAN_ANY_HI)
#define TITAN_XENITH_FIELDS(X)                                                           \
    X(INT, n_layers, XENITH_REQUIRED, 0, 1, TITAN_MAX_LIST, "L: layers")                 \
    X(BOOL, tie_embeddings, XENITH, true, 0, 0, "output head = tok_emb; false: lm_head") \
    X(INTS, attn_windows, XENITH, 0, 0, TITAN_ANY_HI,                                    \
      "window of layer l: attn_windows[l mod n]; 0 or [] = unbounded")                   \
    X(INT, n_global_tokens, XENITH, 0, 0, TITAN_ANY_HI,                                  \
      "Ng: stream positions 0..Ng-1 are global")                                         \
    X(INT, moe_experts, XENITH, 0, 0, 1 << 16, "E: experts, 0 = every layer dense")      \
    X(INT, moe_top_k, XENITH, 0, TITAN_IF_MOE(c, 1), TITAN_IF_MOE_HI(c, c->moe_experts), \
      "k: experts per token (default min(2, E))")                                        \
    X(INT, moe_hidden, XENITH, 0, TITAN_IF_MOE(c, 1), TITAN_IF_MOE_HI(c, 1 << 20),       \
      "Fe: expert SwiGLU width (default F)")                                             \
    X(INT, moe_dense_layers, XENITH, 0, TITAN_IF_MOE(c, 0),                              \
      TITAN_IF_MOE_HI(c, c->n_layers), "n_d: layers l < n_d are dense")                  \
    X(BOOL, moe_renormalize, XENITH, true, 0, 0, "gates renormalized over the k chosen") \
    X(REAL, moe_aux_weight, XENITH, 0.01, 0, TITAN_REAL_MAX,                             \
      "alpha: load-balancing loss")                                                      \
    X(REAL, moe_zloss_weight, XENITH, 0, 0, TITAN_REAL_MAX, "beta: router z-loss")       \
    X(INT, lora_rank, XENITH, 0, 0, 1 << 12, "r: adapter rank, 0 = no adapters")         \
    X(REAL, lora_alpha, XENITH, 0, (c)->lora_rank > 0 ? TITAN_ABOVE_0 : -TITAN_REAL_MAX, \
      TITAN_REAL_MAX, "adapter scale lora_alpha / r (default r)")                        \
    X(ENUMS, lora_targets, XENITH, 0, 0, 0,                                              \
      "weight kinds with adapters (default all but lm_head)")                            \
    X(INT, stm_tokens, XENITH, 0, 0, 1 << 30, "S: segment length, 0 = no memory")        \
    X(INT, mem_slots, XENITH, 0, TITAN_IF_MEM(c, 1), TITAN_IF_MEM_HI(c, 1 << 20),        \
      "M: memory vectors per segment")                                                   \
    X(INT, ltm_size, XENITH, 0, TITAN_IF_MEM(c, 1), TITAN_IF_MEM_HI(c, 1 << 30),         \
      "N: LTM capacity in vectors (FIFO)")                                               \
    X(INT, sum_layers, XENITH, 0, TITAN_IF_MEM(c, 1), TITAN_IF_MEM_HI(c, 256),           \
      "Ls: summarizer depth")                                                            \
    X(INT, sum_heads, XENITH, 0, TITAN_IF_MEM(c, 1), TITAN_IF_MEM_HI(c, 1 << 16),        \
      "Hs: summarizer heads, D % Hs == 0")                                               \
    X(INT, sum_hidden, XENITH, 0, TITAN_IF_MEM(c, 1), TITAN_IF_MEM_HI(c, 1 << 20),       \
      "Fs: summarizer SwiGLU width (default F)")                                         \
    X(INTS, mem_read_layers, XENITH, 0, 0, c->n_layers - 1,                              \
      "layers that attend to the LTM (default all)")

#define TITAN_XENITH(c) ((c)->family == TITAN_FAMILY_XENITH)
#define TITAN_ANY_LO    INT32_MIN
#define TITAN_ANY_HI    INT32_MAX
#define TITAN_REAL_MAX  1.7976931348623157e308  /* DBL_MAX */
#define TITAN_ABOVE_0   4.9406564584124654e-324 /* the least double > 0 */
#define TITAN_ABOVE_1   1.0000000000000002      /* the least double > 1 */

/* The strings of each ENUM field, X(PREFIX, VALUE, string): constants
 * TITAN_<PREFIX>_<VALUE> numbered in order. */
#define TITAN_VALUES_attention(X) X(ATTENTION, MLA, mla) X(ATTENTION, GQA, gqa)
#define TITAN_VALUES_mlp_act(X)                                                          \
    X(MLP, SWIGLU, swiglu) X(MLP, RELU2, relu2) X(MLP, LEAKY_RELU2, leaky_relu2)
#define TITAN_VALUES_attn_sink(X)                                                        \
    X(SINK, NONE, none) X(SINK, KEY, key) X(SINK, LOGIT, logit)
#define TITAN_VALUES_unet_skips(X)                                                       \
    X(SKIPS, NONE, none) X(SKIPS, MIRROR, mirror) X(SKIPS, MIRROR_BLOCKS, mirror_blocks)
#define TITAN_VALUES_gdn_qk_act(X) X(GDN_ACT, SILU, silu) X(GDN_ACT, ELU1, elu1)
#define TITAN_VALUES_family(X)     X(FAMILY, TITAN, titan) X(FAMILY, XENITH, xenith)
/* clang-format off: one kind a line (clang-format 14 reflows this list back and forth) */
#define TITAN_VALUES_lora_targets(X)                                                     \
    X(LORA, WQ, wq)                                                                      \
    X(LORA, WK, wk)                                                                      \
    X(LORA, WV, wv)                                                                      \
    X(LORA, WO, wo)                                                                      \
    X(LORA, W_GATE, w_gate)                                                              \
    X(LORA, W_UP, w_up)                                                                  \
    X(LORA, W_DOWN, w_down)                                                              \
    X(LORA, ROUTER, router)                                                              \
    X(LORA, LM_HEAD, lm_head)
/* clang-format on */
#define TITAN_ENUM_CONSTANT(prefix, value, string) TITAN_##prefix##_##value,
enum { TITAN_VALUES_attention(TITAN_ENUM_CONSTANT) };
enum { TITAN_VALUES_mlp_act(TITAN_ENUM_CONSTANT) };
enum { TITAN_VALUES_attn_sink(TITAN_ENUM_CONSTANT) };
enum { TITAN_VALUES_unet_skips(TITAN_ENUM_CONSTANT) };
enum { TITAN_VALUES_gdn_qk_act(TITAN_ENUM_CONSTANT) };
enum { TITAN_VALUES_family(TITAN_ENUM_CONSTANT) };
enum { TITAN_VALUES_lora_targets(TITAN_ENUM_CONSTANT) TITAN_LORA_KINDS };

#define TITAN_CONFIG_MEMBER_INT(name)  int32_t name;
#define TITAN_CONFIG_MEMBER_REAL(name) double name;
#define TITAN_CONFIG_MEMBER_BOOL(name) bool name;
#define TITAN_CONFIG_MEMBER_ENUM(name) int32_t name;
#define TITAN_CONFIG_MEMBER_INTS(name)                                                   \
    int32_t name[TITAN_MAX_LIST];                                                        \
    int32_t name##_len;
#define TITAN_CONFIG_MEMBER_ENUMS(name)      TITAN_CONFIG_MEMBER_INTS(name)
#define TITAN_CONFIG_MEMBER_HEAD_REALS(name) double name[TITAN_MAX_MTP];
#define TITAN_CONFIG_MEMBER_OBJECT(name)     bool name;
#define TITAN_CONFIG_MEMBER(kind, name, presence, dflt, lo, hi, doc)                     \
    TITAN_CONFIG_MEMBER_##kind(name)

/* SPEC sections 1, 8 and 9; field names are the JSON keys (the list above). */
typedef struct titan_config {
    TITAN_CONFIG_FIELDS(TITAN_CONFIG_MEMBER)
} titan_config;

/* A config with every field that has a default at it and the rest zero.
 * Build configs from this or a preset, not from a zeroed struct: zero is not
 * every default (leaky_slope 0.5, gdn_conv_kernel 4, ...). */
void titan_config_defaults(titan_config *c);

/* Fill *c with a named preset: "zenyx-v2-base", "zenyx-v2-pretrain", "nano";
 * fields a preset does not set keep their defaults (bos_id the byte-level
 * BOS). TITAN_E_USAGE for an unknown name. */
TITAN_NODISCARD titan_status titan_config_preset(const char *name, titan_config *c);

/* NULL-terminated list of preset names. */
const char *const *titan_config_preset_names(void);

/* Most effective layers: a layer_schedule, or B blocks repeated R times. */
#define TITAN_MAX_LAYERS (TITAN_MAX_BLOCKS * 64)

/* The effective layer order S of SPEC section 8 (layer_schedule when given,
 * else B blocks repeated R times), or with `shortened` the training prefix S'
 * (every repeat removed, first occurrences in order). Writes at most cap
 * blocks to out (may be NULL) and returns the length. */
int titan_config_schedule(const titan_config *c, bool shortened, int32_t *out, int cap);

/* How many effective layers apply block b (its count in the full S). */
int titan_config_block_uses(const titan_config *c, int b);

/* How often tensor `name` is applied per token: a block's tensors
 * ("blocks.b.*") once per use of block b, any other tensor once. */
int titan_config_tensor_uses(const titan_config *c, const char *name);

/* P, the rows of skip_weights (and skip_gates): floor(len(S)/2) for "mirror",
 * floor(B/2) for "mirror_blocks", 0 without skips. */
int titan_config_skip_rows(const titan_config *c);

/* The skips on the schedule S[0..n) in use: skip j (row j of skip_weights)
 * takes h after effective layer src[j] into the input of layer dst[j]. Writes
 * at most cap pairs and returns their number. */
int titan_config_skips(const titan_config *c, const int32_t *S, int n, int32_t *src,
                       int32_t *dst, int cap);

/* Block b is in list[0..len) (the block lists of SPEC section 8). */
bool titan_config_lists(const int32_t *list, int len, int b);

/* Block b's mixer is Gated DeltaNet (gdn_layers). */
bool titan_config_is_gdn(const titan_config *c, int b);

/* The GDN widths with SPEC section 8's defaults applied (0 = default). */
typedef struct titan_gdn_dims {
    int32_t heads, v_heads;       /* Hk, Hv */
    int32_t head_dim, v_head_dim; /* Dk, Dw */
} titan_gdn_dims;
titan_gdn_dims titan_config_gdn(const titan_config *c);

/* Check every field for range and consistency (H % G, even Dr, product sizes that
 * fit in memory, ...). TITAN_E_DATA with the offending field named. */
TITAN_NODISCARD titan_status titan_config_validate(const titan_config *c);

/* Role of a tensor; used by quantization policy and optimizer grouping. */
typedef enum {
    TITAN_ROLE_EMBED,  /* tok_emb (also the tied head 1), bigram.table,
                          value_embed.table */
    TITAN_ROLE_MATRIX, /* 2-D block weights, bigram.proj, value_embed.proj */
    TITAN_ROLE_NORM,   /* RMSNorm gains and every other gain, scale, gate or
                          bias (SPEC section 8): kept in float */
    TITAN_ROLE_CONV,   /* depthwise conv kernels (conv, gdn_conv) */
    TITAN_ROLE_HEAD    /* mtp.k.head */
} titan_role;

/* One tensor of the model as SPEC section 1 names it. 1-D tensors have
 * cols == 1 and ndim == 1. */
typedef struct titan_tensor_spec {
    char name[TITAN_NAME_MAX];
    int ndim;
    int64_t rows, cols;
    titan_role role;
} titan_tensor_spec;

/* Enumerate the tensors a (valid) config has, in the canonical order:
 *   tok_emb
 *   per block b: attn_norm; the mixer: mla wq_a q_norm wq_b|wq wkv_a kv_norm
 *     wkv_b wo, or gqa wq wk wv wo, then q_gain k_sink sink_logit ve_scale
 *     (those present), or GDN gdn_qkv gdn_conv gdn_ba gdn_A_log gdn_dt_bias
 *     gdn_z gdn_o_norm gdn_o; ffn_norm; the MLP: w_gate w_up w_down conv
 *     (swiglu) or w_up w_down; resid_mix attn_scale mlp_scale
 *   final_norm, bigram.table bigram.proj bigram.scale, value_embed.table
 *   value_embed.proj value_embed.scale, smear_gate, skip_weights skip_gates,
 *   mtp.2.head ... mtp.M.head
 * each only when the config has it (SPEC sections 1 and 8; with every
 * section-8 field at its default this is section 1's list). Writes at most
 * `cap` specs and returns the total count (<= TITAN_MAX_TENSORS). */
int titan_config_tensors(const titan_config *c, titan_tensor_spec *out, int cap);

/* Total parameter count (unique weights). */
int64_t titan_config_params(const titan_config *c);

/* The weights one token is multiplied by in a forward pass that computes
 * every head, as training's does: each block matrix once per use of its
 * block in the schedule, the tied head 1 (tok_emb) and mtp.k.head once,
 * bigram.proj and value_embed.proj once (table lookups are not products).
 * 2x this is the products' FLOPs per token, 6x a training step's. Xenith
 * configs are not counted: -1. */
int64_t titan_config_matmul_weights(const titan_config *c);

/* The most rows and the most columns of the config's 2-D tensors: a backend
 * sized for a [rows, cols] weight takes every product of the model (as
 * titan_backend_tpu_create needs). TITAN_E_DATA for an invalid config. */
TITAN_NODISCARD titan_status titan_config_matmul_bounds(const titan_config *c,
                                                        int64_t *rows, int64_t *cols);

/* SPEC section 9's counts ("Parameter counts and `titan plan`") for a
 * valid xenith config and context ctx; the parts are what the formulas add. */
typedef struct titan_xenith_counts {
    /* parameters */
    int64_t embedding, lm_head, attention, dense_ffn, moe, expert, router;
    int64_t main, summarizer, base, lora, total, active_per_token, active_per_token_lora;
    int64_t lora_attention, lora_dense, lora_routers, lora_experts, lora_summarizer,
        lora_lm_head;
    /* decode cache at ctx */
    int64_t attn_entries, attn_values, ltm_vectors, ltm_kv_values, stm_values;
} titan_xenith_counts;
void titan_config_xenith_counts(const titan_config *c, int64_t ctx,
                                titan_xenith_counts *out);

/* Derived YaRN constants (SPEC section 1): per-pair frequency w_i' for
 * i < Dr/2 written to freq[0..cap), and the attention mscale. TITAN_E_USAGE
 * when cap < Dr/2. */
TITAN_NODISCARD titan_status titan_config_rope(const titan_config *c, double *freq,
                                               int cap, double *mscale);

typedef struct titan_spm titan_spm; /* a SentencePiece model (below) */

/* ==== tokenizer ============================================================
 * core/tokenizer*.c: byte-level BPE, its serialized form, encoding and
 * decoding. */

/* Byte-level BPE (core/tokenizer.c). Ids 0..255 are the bytes, id 256 is BOS,
 * id 257+i is merge i = concat(left_i, right_i) with left_i, right_i < 257+i.
 * Serialized form ("TOK" file, stored verbatim in artifacts), little-endian:
 *   "TTOK" u32 version(1) u32 n_merges u32 flags(0)  then n_merges * (u32 left,
 *   u32 right)  then u32 crc32 (IEEE) of all preceding bytes.
 * Every token's byte string is exact and non-empty except BOS (0 bytes), and
 * at most TITAN_TOK_CHUNK_MAX bytes long (longer merges are refused: encoding
 * never produces them).
 * flags 0 selects the pre-tokenization rule of titan_tokenizer_chunk (the only
 * rule so far); other values are refused. Encoding and decoding:
 * below.
 * A tokenizer may instead be a SentencePiece .model file of model type BPE
 * (told apart by its first byte, TITAN_SPM_FIRST_BYTE; TITAN_SPM_MAX_BYTES at
 * most; titan_spm_load reads it): its pieces are the tokens, BOS is its
 * TrainerSpec bos_id (a control piece), and encoding and decoding are
 * libsentencepiece's (core/spm_encode.c): the text is normalized by the
 * model's NormalizerSpec (precompiled charsmap, whitespace rules, U+2581),
 * merged by piece score, and characters without a piece become byte pieces
 * <0xHH> (byte_fallback) or the unknown piece. Such a tokenizer does not
 * round-trip every byte string: decoding gives SentencePiece's text (the
 * normalized one, with no leading space), raw bytes for byte pieces. */

/* BESE (core/tokenizer_bese.c; record 002's two-layer idea): a 40-symbol base
 * layer that spells every byte, then byte-level-style BPE merges over the
 * symbols. Ids 0..31 are literal symbols (the 32 bytes listed in the file),
 * 32..38 escape prefixes P0..P6, 39 BOS, 40+i merge i. A literal byte is its
 * symbol; every other byte, numbered r = 0..223 in increasing byte order, is
 * P(r / 32) then literal symbol r % 32. Serialized, little-endian:
 *   "TBSE" u32 version(1) u32 n_merges u32 flags(0)  32 literal bytes (distinct)
 *   then n_merges * (u32 left, u32 right)  then u32 crc32 of all before.
 * Byte counts (exact per token, so val_bpb stays exact): a literal symbol is
 * one byte wherever it stands, a prefix and BOS none; a token counts its
 * literal symbols. An escaped byte is credited to the token holding its
 * literal, so a stream's counts sum to its byte length. Its value needs the
 * token before (titan_tokenizer_piece): a prefix stays pending until the next
 * literal; BOS clears it, a prefix replaces it, a pending one at the end is
 * dropped. titan_tokenizer_token gives a token's bytes with none pending.
 * Encoding spells each chunk (titan_tokenizer_chunk, cut to
 * TITAN_TOK_CHUNK_MAX symbols; the rest starts a new chunk by the same
 * rules) and merges as below with ids 40 + rank. */
#define TITAN_BESE_MAX_MERGES (TITAN_TOK_MAX - 257 - 4) /* file no larger than TOK's */

typedef struct titan_tokenizer titan_tokenizer;

#define TITAN_TOK_BOS        256
#define TITAN_TOK_MAX        65536 /* most tokens a tokenizer may have */
#define TITAN_SPM_FIRST_BYTE 0x0a  /* ModelProto field 1 (pieces), length-delimited */
#define TITAN_SPM_MAX_BYTES  ((size_t)16 << 20)

/* Validate a serialized tokenizer (TOK, BESE by its magic "TBSE", or a
 * SentencePiece model by its first byte) and build the runtime tables in the
 * arena. TITAN_E_DATA for any malformed, truncated or corrupt input. */
TITAN_NODISCARD titan_status titan_tokenizer_load(titan_arena *a, const uint8_t *data,
                                                  size_t len,
                                                  const titan_tokenizer **out);

/* Arena bytes titan_tokenizer_load needs for a tokenizer of n_tokens tokens
 * whose token strings total `total_bytes` (an upper bound is fine; no token is
 * longer than TITAN_TOK_CHUNK_MAX, so 256 + (n_tokens - 257) *
 * TITAN_TOK_CHUNK_MAX always suffices). The runtime tables include a merge-pair
 * hash table of at least 2 * (n_tokens - 257) slots for encoding. */
size_t titan_tokenizer_plan(int32_t n_tokens, size_t total_bytes);

int32_t titan_tokenizer_size(const titan_tokenizer *t); /* 257 (BESE 40) + n_merges */

/* The id that starts every sequence: TITAN_TOK_BOS, 39 for BESE, or a
 * SentencePiece model's bos_id. */
int32_t titan_tokenizer_bos(const titan_tokenizer *t);

/* The SentencePiece model behind t, or NULL for byte-level BPE. */
const titan_spm *titan_tokenizer_spm(const titan_tokenizer *t);

/* "byte_bpe", "bese" or "sentencepiece". */
const char *titan_tokenizer_kind(const titan_tokenizer *t);

/* Most ids titan_tokenizer_encode gives for len bytes: len for byte-level
 * BPE, 2 * len for BESE; for SentencePiece, normalization may lengthen the text (the model's
 * longest rule per byte read, at least 3: U+2581 for a space, U+FFFD for a
 * malformed byte) plus 3 for the dummy prefix. */
size_t titan_tokenizer_max_ids(const titan_tokenizer *t, size_t len);

/* The exact bytes of one token: *bytes points into the tokenizer; returns the
 * length (0 for BOS, 0 and *bytes = NULL for an id out of range). */
size_t titan_tokenizer_token(const titan_tokenizer *t, int32_t id, const uint8_t **bytes);

/* The bytes of token id where it stands in a stream: *state carries what
 * one token leaves to the next (start it at 0). Same length as
 * titan_tokenizer_token; *bytes points into the tokenizer or to buf
 * (TITAN_TOK_CHUNK_MAX bytes); differs from it only for BESE. */
size_t titan_tokenizer_piece(const titan_tokenizer *t, uint32_t *state, int32_t id,
                             uint8_t *buf, const uint8_t **bytes);

/* Serialize a merge list (left[i], right[i]) into buf[0..cap); *len receives
 * the size. n_merges may be 0 (the plain 257-token byte tokenizer). */
TITAN_NODISCARD titan_status titan_tokenizer_serialize(const int32_t *left,
                                                       const int32_t *right,
                                                       int32_t n_merges, uint8_t *buf,
                                                       size_t cap, size_t *len);
size_t titan_tokenizer_serialized_size(int32_t n_merges);

/* The same for BESE: its 32 literal bytes (distinct) and merges; the merges
 * are checked when the file is loaded. */
TITAN_NODISCARD titan_status titan_tokenizer_bese_serialize(
    const uint8_t literal[32], const int32_t *left, const int32_t *right,
    int32_t n_merges, uint8_t *buf, size_t cap, size_t *len);
size_t titan_tokenizer_bese_serialized_size(int32_t n_merges);

/* Encoding is standard byte-level BPE over pre-tokenized chunks:
 *  1. The text is cut into chunks by titan_tokenizer_chunk, front to back.
 *  2. Each chunk starts as its byte ids; the adjacent pair with the lowest
 *     merge rank is joined into token 257 + rank (the leftmost such pair when
 *     it occurs more than once), until no adjacent pair has a merge. Merges
 *     never cross chunk boundaries. A pair listed twice uses its first rank.
 * The ids of the chunks, concatenated, are the encoding. BOS is never produced.
 * Decoding concatenates the tokens' bytes, so decode(encode(x)) == x for every
 * byte string x (invalid UTF-8 and NUL bytes included). */

#define TITAN_TOK_CHUNK_MAX 256 /* longest chunk in bytes */

/* Length (1..TITAN_TOK_CHUNK_MAX) of the chunk that starts at text[0]; 0 when
 * len == 0. Bytes fall in four classes: letters (A-Z, a-z and every byte >=
 * 0x80, so UTF-8 sequences and invalid bytes stay in words), digits (0-9),
 * space (' ', \t, \n, \v, \f, \r) and other (punctuation, controls, NUL).
 * A chunk is, first rule that applies:
 *  - one ' ' followed by a maximal run of letters (" word");
 *  - a maximal run of spaces, except that a run of 2 or more ending in ' ' and
 *    followed by a letter leaves that last ' ' to the next chunk ("  x" is
 *    " " then " x");
 *  - a maximal run of one class (letters, digits or other);
 * and a chunk longer than TITAN_TOK_CHUNK_MAX is cut to that many bytes (the
 * rest starts a new chunk by the same rules). */
size_t titan_tokenizer_chunk(const uint8_t *text, size_t len);

/* Scratch bytes titan_tokenizer_encode carves from its arena (a chunk cache);
 * the same for every tokenizer and input. */
size_t titan_tokenizer_encode_plan(void);

/* Encode text[0..len) into ids[0..cap); *n receives the number of ids (never
 * more than titan_tokenizer_max_ids, so a cap of that always suffices). ids may be NULL with cap 0 to
 * only count. TITAN_E_USAGE if ids is too small (*n still receives the full
 * count) or for NULL arguments or a measuring arena; TITAN_E_NOMEM if scratch
 * cannot give titan_tokenizer_encode_plan() bytes. Scratch is returned to its
 * mark on exit. Deterministic; text may hold any bytes. */
TITAN_NODISCARD titan_status titan_tokenizer_encode(const titan_tokenizer *t,
                                                    titan_arena *scratch,
                                                    const uint8_t *text, size_t len,
                                                    int32_t *ids, size_t cap, size_t *n);

/* Write the bytes of ids[0..n) to out[0..cap); *len receives their total
 * length (BOS adds 0 bytes). out may be NULL with cap 0 to only measure.
 * TITAN_E_DATA for an id outside [0, titan_tokenizer_size(t)) (nothing is
 * written past the valid prefix); TITAN_E_USAGE if out is too small (*len
 * still receives the full length) or for NULL arguments. */
TITAN_NODISCARD titan_status titan_tokenizer_decode(const titan_tokenizer *t,
                                                    const int32_t *ids, size_t n,
                                                    uint8_t *out, size_t cap,
                                                    size_t *len);
/* ==== model ================================================================
 * core/model.c and the op files it calls, core/sampler.c, core/generate.c. */

/* The forward pass of SPEC sections 1 and 8 (core/model.c and the op files it
 * calls). Every section-8 option runs: the layer schedule, gqa attention
 * with partial RoPE, qk_norm, q_gain, attention sinks ("key", "logit"), XSA,
 * the bigram-hash and value embeddings, smear gate, emb_norm, resid_mix,
 * ln_scale, branch_scale, parallel residual, relu2 / leaky_relu2 MLPs, U-Net
 * skips ("mirror", "mirror_blocks", additive or gated) and Gated DeltaNet
 * blocks (core/gdn.h: the recurrence on the ref backend and in decode, the
 * chunked form in the cpu backend's prefill). With every section-8 field at its default it is
 * section 1, bit for bit. A model is built over caller-owned tensors (an
 * artifact's, or any table with SPEC names and shapes; any dtype) and carves
 * everything else from the arena: float copies of the small vectors (norms,
 * gains, conv, wkv_b for absorbed attention) and scratch for `batch` tokens.
 * A sequence (titan_seq) holds one stream's state, per effective layer l of
 * the schedule (B blocks repeated R times without one) for up to ctx tokens:
 * for an mla layer, c (Lkv, after kv_norm) and kr (Dr, after rotation), its
 * attention absorbed (wkv_b folded into the query and the output, the cache
 * never re-expanded); for gqa, and for an mla block that a section-8
 * attention option applies to (qk_norm, q_gain, a sink, XSA, the value
 * embedding), k (Dq, rotated and normed) and v (Dv, value embedding added)
 * of every group; for a GDN layer, S (Hv x Dk x Dw) of the current position
 * and the M before it and the last Kc-1+M rows before its conv, the same size
 * at every context; the last K-1+M gate rows for the causal conv; and the last
 * M+1 tokens with their embeddings for smear_gate and bigram_hash, so that
 * decoding after a rewind equals one forward over the whole sequence. */

typedef struct titan_model titan_model;
typedef struct titan_seq titan_seq;

/* Exact arena bytes of titan_model_create plus one titan_seq_create for this
 * config, context ctx (1..max_seq_len) and batch (tokens per forward call,
 * >= 1), when the arena's buffer is TITAN_ALIGN-aligned. */
TITAN_NODISCARD titan_status titan_model_plan(const titan_config *c, int ctx, int batch,
                                              size_t *bytes);
/* Arena bytes of one more titan_seq_create. */
TITAN_NODISCARD titan_status titan_seq_plan(const titan_config *c, int ctx,
                                            size_t *bytes);

/* Build a model over tensors[0..n) (looked up by SPEC name; shapes checked,
 * TITAN_E_DATA if one is missing or misshapen, or a scale is not finite and
 * positive). The tensors and the backend must outlive the model. */
TITAN_NODISCARD titan_status titan_model_create(titan_arena *a, const titan_config *c,
                                                const titan_tensor *tensors, int n,
                                                int ctx, int batch, titan_backend *be,
                                                titan_model **out);

/* Bind m to tensors[0..n) again, with titan_model_create's lookups and
 * checks and no memory taken: the float copies the model keeps (norm gains,
 * absorbed wkv_b, conv taps, ...) are made again. For weights changed in
 * place (test-time training) or another table of the same shapes; on failure
 * the model is unusable until a rebind succeeds. */
TITAN_NODISCARD titan_status titan_model_rebind(titan_model *m,
                                                const titan_tensor *tensors, int n);

/* A fresh, empty sequence (position 0) for model m. */
TITAN_NODISCARD titan_status titan_seq_create(titan_arena *a, const titan_model *m,
                                              titan_seq **out);
void titan_seq_reset(titan_seq *s);    /* back to position 0 */
int titan_seq_pos(const titan_seq *s); /* tokens held */
/* Drop the last n tokens (0 <= n <= min(pos, mtp_heads)), e.g. rejected drafts. */
TITAN_NODISCARD titan_status titan_seq_rewind(titan_seq *s, int n);

/* Run ids[0..n) (1 <= n <= batch, pos + n <= ctx, ids < vocab_size) at
 * positions pos..pos+n-1 of s and append them to its cache. Prefill is one
 * call with many tokens, decode one call per token; both give the same
 * numbers. The final-normed hidden rows stay in m for titan_model_logits. */
TITAN_NODISCARD titan_status titan_model_forward(titan_model *m, titan_seq *s,
                                                 const int32_t *ids, int n);

/* Logits of head k (1 = next token, tied to tok_emb; 2..M = mtp heads) for
 * rows first..first+rows-1 of the last forward call: out[rows][V], softcapped
 * when logit_softcap > 0. */
TITAN_NODISCARD titan_status titan_model_logits(titan_model *m, int head, int first,
                                                int rows, float *out);

/* Cache floats per token, summed over the effective layers: Lkv + Dr for an
 * absorbed mla layer, G * (Dq + Dv) for explicit k and v (gqa: Dq = Dh; mla
 * with a section-8 attention option: Dq = Dh + Dr), 0 for a GDN layer (its
 * state does not grow: titan_gdn_state_floats, in titan_seq_plan). */
int64_t titan_model_cache_floats(const titan_config *c);

/* Sampling: greedy, temperature, top-k and top-p, with its own deterministic
 * PRNG (xorshift64*, seeded). */

typedef struct titan_sampler {
    double temp;  /* <= 0: greedy */
    int top_k;    /* 0: off */
    double top_p; /* >= 1: off */
    uint64_t rng; /* state, never 0 */
} titan_sampler;

void titan_sampler_init(titan_sampler *s, double temp, int top_k, double top_p,
                        uint64_t seed);
/* Uniform double in [0, 1) from the sampler's PRNG. */
double titan_sampler_uniform(titan_sampler *s);
/* Turn logits[V] into the sampling distribution in place (probs[V], zero
 * outside top-k/top-p; greedy puts 1 on the argmax). work is [V] int32. */
void titan_sampler_probs(const titan_sampler *s, float *logits, int V, int32_t *work);
/* Draw a token from probs[V] (as made by titan_sampler_probs). */
int32_t titan_sampler_draw(titan_sampler *s, const float *probs, int V);
/* Index of the largest value (first on ties). */
int32_t titan_argmax(const float *x, int n);
/* Token generation over a model and sequence (core/generate.c): plain
 * decoding, or self-speculative decoding where heads 2..M of the last row
 * draft t+2..t+M and one forward of [next, drafts] verifies them. Greedy:
 * the longest agreeing prefix is kept, so the output equals plain greedy
 * decoding. Sampling: draft d ~ q (head k's distribution) is kept with
 * probability min(1, p(d)/q(d)) under head 1's p, else the token is drawn
 * from norm(max(p - q, 0)); the output is distributed exactly as head 1. */

typedef struct titan_generator titan_generator;

/* Arena bytes of titan_generator_start. */
size_t titan_generator_plan(const titan_config *c);

/* Feed prompt[0..n) (n >= 1, in chunks of the model's batch) to an empty s and
 * decide the first token; *out is carved from the arena. Speculative decoding
 * needs batch >= mtp_heads.
 * BOS must lead a prompt: prompt[0] = config.bos_id, then the text's tokens
 * (titan_tokenizer_encode never produces BOS). Models are trained on
 * documents that each start with BOS, and val_bpb is defined that way; a
 * prompt without it is out of distribution. A generated BOS means the model
 * began a new document: stop there. titan_session_generate does all this. */
TITAN_NODISCARD titan_status titan_generator_start(titan_arena *a, titan_model *m,
                                                   titan_seq *s, titan_sampler *sampler,
                                                   int speculative, const int32_t *prompt,
                                                   int n, titan_generator **out);

/* Emit 1..drafts+1 tokens into out[] (room for mtp_heads) and *n_out. Needs
 * room in the context for them (TITAN_E_USAGE when the context is full). */
TITAN_NODISCARD titan_status titan_generator_step(titan_generator *g, int32_t *out,
                                                  int *n_out);

/* Drafted tokens verified so far, and how many of them were kept. */
void titan_generator_drafts(const titan_generator *g, int64_t *drafted,
                            int64_t *accepted);
/* ==== evaluation ===========================================================
 * core/eval_windows.c, core/eval.c, core/eval_model.c: val_bpb (SPEC
 * section 3). */

/* A stream seq[0..N] of N + 1 tokens has N targets seq[1..N]; seq[0] is context
 * only (BOS in text mode, the first shard token in shard mode). */

/* One window of the schedule: it feeds seq[start .. start+len-1] at positions
 * 0..len-1 and predicts seq[start+1 .. start+len]; outputs first..len-1 are the
 * ones it scores (the targets seq[start+1+first .. start+len]). */
typedef struct titan_eval_window {
    int64_t start;
    int32_t len;   /* 1..ctx */
    int32_t first; /* 0 for the first window, ctx - stride after */
} titan_eval_window;

/* Number of windows for n_targets >= 0 targets, context ctx >= 1 and stride
 * 1 <= stride <= ctx (TITAN_E_USAGE otherwise): 0 for no targets, else
 * 1 + ceil((n_targets - ctx) / stride) when n_targets > ctx, else 1. */
TITAN_NODISCARD titan_status titan_eval_window_count(int64_t n_targets, int32_t ctx,
                                                     int32_t stride, int64_t *count);

/* Window `index` (0 <= index < count) of that schedule. Window k starts at
 * k * stride; every target is scored by exactly one window, and after the
 * first window from at least ctx - stride + 1 tokens of context. */
TITAN_NODISCARD titan_status titan_eval_window_get(int64_t n_targets, int32_t ctx,
                                                   int32_t stride, int64_t index,
                                                   titan_eval_window *w);

/* How many bytes a target stands for. For target y after token x:
 * base[y] + (flags[y] & TITAN_BYTES_SPACE && !(flags[x] & TITAN_BYTES_BOUNDARY)).
 * Text mode: base = exact token byte lengths, flags = NULL (no bits set). */
#define TITAN_BYTES_SPACE    1u /* the piece starts with U+2581 */
#define TITAN_BYTES_BOUNDARY 2u /* control/unknown: no space after it */
typedef struct titan_byte_table {
    int32_t n_tokens;     /* valid ids are 0..n_tokens-1 */
    const uint32_t *base; /* [n_tokens] */
    const uint8_t *flags; /* [n_tokens] TITAN_BYTES_* bits, or NULL */
} titan_byte_table;

/* Exact bytes of the targets seq[1..n] (n >= 0) by this table; checks every
 * token of seq[0..n] is below t->n_tokens (TITAN_E_DATA otherwise). */
TITAN_NODISCARD titan_status titan_eval_count_bytes(const int32_t *seq, int64_t n,
                                                    const titan_byte_table *t,
                                                    uint64_t *bytes);

/* One batch of windows for the scorer. Window b feeds seq[win[b].start ..
 * win[b].start + win[b].len - 1] at positions 0..len-1 (no extra BOS) and the
 * scorer writes nll[b * ctx + j] = -ln p(seq[win[b].start + 1 + j]) (natural
 * log, head 1) for j = win[b].first .. win[b].len - 1; other entries are
 * ignored. seq, win and nll stay valid for the call only. */
typedef struct titan_eval_batch {
    int n;                        /* windows, 1..batch */
    int32_t ctx;                  /* row stride of nll */
    const int32_t *seq;           /* the whole stream */
    const titan_eval_window *win; /* [n] */
    double *nll;                  /* [n][ctx] */
    /* NULL, or the stream's hints (titan_eval_options.hint): then the scorer
     * also writes hint_nll[b * ctx + j] = -ln p(hint[win[b].start + j]) for
     * the same entries whose hint is >= 0 (the same distribution as nll's). */
    const int32_t *hint;
    double *hint_nll; /* [n][ctx] */
} titan_eval_batch;

/* Scores a batch on worker `worker` (0 <= worker < threads; calls with
 * different workers run concurrently, calls with the same worker never do).
 * A failure stops the evaluation and its status and message are returned. */
typedef titan_status (*titan_eval_scorer)(void *user, int worker,
                                          const titan_eval_batch *batch);

typedef struct titan_eval_options {
    int32_t ctx, stride; /* 1 <= stride <= ctx */
    int32_t batch;       /* windows per scorer call, >= 1 */
    int threads;         /* workers, 1..TITAN_EVAL_MAX_THREADS */
    /* Optional, called on the calling thread only with the targets scored so
     * far (in any order) and the total; may be NULL. */
    void (*progress)(void *user, int64_t done, int64_t total);
    void *progress_user;
    /* Optional: score only windows [window_begin, window_end) of the
     * schedule (both 0: every window); the result then covers the targets
     * those windows score, a contiguous run (score-first test-time training
     * scores a stream chunk by chunk this way). */
    int64_t window_begin, window_end;
    /* Optional [n_targets]: receives each target's NLL (entry k for target
     * seq[k + 1]; only the targets scored are written), e.g. for
     * titan_adapt_step or test-time training; may be NULL. */
    double *target_nll;
    /* Optional: run the workers on this pool's threads (platform/threads.h,
     * `threads` of them) instead of starting threads for the run, so runs
     * repeated many times start none (and take no heap in libc for them). */
    struct titan_thread_pool *pool;
    /* Optional n-gram tilt (titan_tilt_nll): hint[k] is the hint for target
     * seq[k + 1] (< 0: none; [n_targets], e.g. titan_ngram_hints), tilt_beta
     * the tilt. The result then adds the tilted sums, window by window as the
     * plain ones; tilt_target_nll (optional, [n_targets]) receives each
     * target's tilted NLL as target_nll receives the plain one. */
    const int32_t *hint;
    double tilt_beta;
    double *tilt_target_nll;
} titan_eval_options;

#define TITAN_EVAL_MAX_THREADS 256

typedef struct titan_eval_result {
    double nll;     /* sum of target NLL, nats, added in window order */
    int64_t tokens; /* targets scored (= n_targets, or the window range's) */
    uint64_t bytes; /* bytes those targets stand for */
    int64_t windows;
    double val_loss; /* nll / tokens */
    double val_bpb;  /* nll / (ln 2 * bytes); 0 when bytes == 0 */
    /* With options.hint: the same three of the tilted NLLs (else 0). */
    double tilt_nll, tilt_val_loss, tilt_val_bpb;
} titan_eval_result;

/* val_loss and val_bpb (plain and tilted) from nll, tilt_nll, tokens and
 * bytes, as titan_eval_run fills them (for passes that add NLLs themselves). */
void titan_eval_result_finish(titan_eval_result *r);

/* Arena bytes titan_eval_run needs beyond what the scorer itself uses (an
 * upper bound: alignment slack included). SIZE_MAX for bad options. */
size_t titan_eval_plan(int64_t n_targets, const titan_eval_options *o);

/* Evaluate seq[0..n_targets] (n_targets >= 1). Every token must be below
 * bytes->n_tokens (TITAN_E_DATA otherwise). Each window's NLL is summed in
 * double into its own slot and the slots are added in window order, so the
 * result does not depend on threads or batch. TITAN_E_USAGE for bad options.
 * With a measuring arena (base NULL) nothing is scored: only out->bytes is
 * filled and the arena's high-water mark records what a real run carves. */
TITAN_NODISCARD titan_status titan_eval_run(titan_arena *a, const int32_t *seq,
                                            int64_t n_targets,
                                            const titan_byte_table *bytes,
                                            const titan_eval_options *o,
                                            titan_eval_scorer score, void *user,
                                            titan_eval_result *out);

/* -ln softmax(logits)[target] computed in double (log-sum-exp with the max
 * subtracted). For scorers turning head-1 logits [V] into target NLL. */
double titan_eval_nll(const float *logits, int32_t V, int32_t target);

/* The model as a titan_eval_scorer (core/eval_model.c): one titan_model and
 * titan_seq per worker over the same tensors; each window is prefilled from
 * position 0 in forward calls of up to `batch` tokens (1..ctx) and only its
 * scored rows get head-1 logits. be[w] is worker w's backend ([workers]
 * entries): one backend may serve several workers only if it is safe to call
 * from several threads at once (ref and tpu are; cpu is not: one each). */
typedef struct titan_eval_model titan_eval_model;

/* Exact-or-larger arena bytes of titan_eval_model_create. */
TITAN_NODISCARD titan_status titan_eval_model_plan(const titan_config *c, int ctx,
                                                   int batch, int workers, size_t *bytes);

TITAN_NODISCARD titan_status titan_eval_model_create(
    titan_arena *a, const titan_config *c, const titan_tensor *tensors, int n, int ctx,
    int batch, int workers, titan_backend *const *be, titan_eval_model **out);

/* titan_model_rebind of every worker's model (between evaluations). */
TITAN_NODISCARD titan_status titan_eval_model_rebind(titan_eval_model *em,
                                                     const titan_tensor *tensors, int n);

/* The scorer: pass it to titan_eval_run with the titan_eval_model as user
 * (threads <= workers). Targets outside 0..vocab_size-1 are TITAN_E_DATA. */
TITAN_NODISCARD titan_status titan_eval_model_score(void *model, int worker,
                                                    const titan_eval_batch *b);

/* ==== n-gram hints and logit tilt ===========================================
 * core/ngram.c, core/tilt.c: record 002's eval-time tilt (titan eval --tilt).
 * A table built from training data (titan-train ngram) names, for a context
 * of the last one or two tokens, the token that most often came next there:
 * the hint. At eval the hinted token's probability is tilted by e^beta and
 * the distribution renormalized exactly (titan_tilt_nll).
 *
 * Serialized table (little-endian; the artifact's optional ngram section):
 *    0 u8[4] "NGRM"
 *    4 u32   vocab (= the config's vocab_size)
 *    8 u32   width: bytes per token id, 2 when vocab <= 65536, else 4
 *   12 u32   min_count the builder used (information only)
 *   16 u32   n_bigram, 20 u32 n_trigram
 *   24       bigram prev[n_bigram] (strictly increasing), bigram hint[n_bigram],
 *            trigram a[n_trigram], trigram b[n_trigram] ((a, b) strictly
 *            increasing, a before b in the text), trigram hint[n_trigram];
 *            every id below vocab, `width` bytes each; nothing after. */
#define TITAN_NGRAM_HEADER    24
#define TITAN_NGRAM_MAX_BYTES ((size_t)1 << 30)

typedef struct titan_ngram {
    const uint8_t *blob; /* the serialized table, or NULL: no table */
    size_t len;
    int32_t vocab, width, min_count;
    int64_t n_bigram, n_trigram;
} titan_ngram;

/* Check a serialized table against the model's vocabulary and view it (no
 * copy: blob must outlive *out). TITAN_E_DATA names what is wrong. */
TITAN_NODISCARD titan_status titan_ngram_parse(const uint8_t *blob, size_t len,
                                               int32_t vocab, titan_ngram *out);

/* The hint for the token after ... a, b (b the last token; a < 0 when b is
 * the first): the trigram entry of (a, b) when there is one, else the bigram
 * entry of b, else -1 (no hint). This is the one place the rule lives. */
int32_t titan_ngram_hint(const titan_ngram *g, int32_t a, int32_t b);

/* hint[k] = the hint for target seq[k + 1] from seq[k - 1], seq[k]: only
 * tokens before the target (score-first), k = 0..n_targets-1. */
void titan_ngram_hints(const titan_ngram *g, const int32_t *seq, int64_t n_targets,
                       int32_t *hint);

/* Bytes of a serialized table with these counts; 0 if too large. */
size_t titan_ngram_bytes(int32_t vocab, int64_t n_bigram, int64_t n_trigram);

/* Serialize sorted entries (as the layout above requires) into
 * out[0..titan_ngram_bytes()); TITAN_E_USAGE if they break the layout. */
typedef struct titan_ngram_entries {
    int32_t vocab, min_count;
    int64_t n_bigram, n_trigram;
    const int32_t *bi_prev, *bi_hint;        /* [n_bigram] */
    const int32_t *tri_a, *tri_b, *tri_hint; /* [n_trigram] */
} titan_ngram_entries;
TITAN_NODISCARD titan_status titan_ngram_encode(const titan_ngram_entries *e,
                                                uint8_t *out, size_t cap);

/* Tilted NLL of a target: p'(t) = p(t) e^{beta [t = h]} / Z with
 * Z = 1 + p(h) (e^beta - 1), in double, from nll = -ln p(t), hint_nll =
 * -ln p(h) and hit = (t == h). beta 0 gives nll exactly. Any finite beta
 * keeps Z > 0 (titan eval allows |beta| <= TITAN_TILT_BETA_MAX). */
#define TITAN_TILT_BETA_MAX 30.0
double titan_tilt_nll(double nll, double hint_nll, bool hit, double beta);

/* ==== adaptive evaluation ==================================================
 * core/adapt_mix.c, core/adapt_ngram.c, core/adapt_match.c: score-first
 * adaptation to the evaluated stream (titan eval --adapt). Target i's
 * probability mixes the model's with two models of the stream's own earlier
 * tokens: a Witten-Bell back-off n-gram of orders 0..order and a match model
 * (the token after the most recent repeat of the last tokens). Each is a
 * normalized distribution over the vocabulary and the mixing weights sum to
 * 1, so the mixture is one too and only each part's p(target) is needed. The
 * weights are learned online. Target i is scored before anything learns from
 * it. Deterministic: the same stream and NLLs give the same result. */
typedef struct titan_adapt titan_adapt;

typedef struct titan_adapt_options {
    int32_t vocab;     /* tokens are 0..vocab-1, 2 <= vocab < 2^20 - 2 */
    int32_t order;     /* longest n-gram context, 0..8 (titan eval: 6) */
    int64_t n_targets; /* sizes the tables (they stop growing when full) */
} titan_adapt_options;

/* Arena bytes of titan_adapt_create (upper bound); SIZE_MAX for bad options. */
size_t titan_adapt_plan(const titan_adapt_options *o);

TITAN_NODISCARD titan_status titan_adapt_create(titan_arena *a,
                                                const titan_adapt_options *o,
                                                titan_adapt **out);

/* Score target seq[i + 1] (history seq[0..i]) given the model's NLL for it
 * (nats): *nll = -ln p_mix(seq[i + 1]); then learn it. Call for i = 0, 1, ...
 * in order. TITAN_E_DATA for a target outside the vocabulary or an NLL that is
 * negative or NaN. */
TITAN_NODISCARD titan_status titan_adapt_step(titan_adapt *ad, const int32_t *seq,
                                              int64_t i, double nll_model, double *nll);

/* ==== config JSON and safetensors ==========================================
 * formats/config_json.c, formats/safetensors.c. */

/* Read a config from JSON text: one object whose keys are names of
 * TITAN_CONFIG_FIELDS; every REQUIRED field must be present, an absent
 * OPTIONAL one takes its default (bos_id: the byte-level BOS; pack overwrites
 * it with the tokenizer's), mtp_weights is an array of mtp_heads numbers.
 * Unknown or repeated keys, non-integral or out-of-int32 values for integer
 * fields, and anything titan_config_validate refuses give TITAN_E_DATA (parse
 * errors name line and column). `scratch` holds the parse tree and is reset
 * to its mark on return; it needs a buffer (not measuring mode), a few KB
 * suffice. */
TITAN_NODISCARD titan_status titan_config_from_json(titan_arena *scratch,
                                                    const char *text, size_t len,
                                                    titan_config *out);

/* titan_config_from_json of a file (at most TITAN_CONFIG_FILE_MAX bytes),
 * errors naming the path. scratch holds the text and the parse tree (a few
 * MB are plenty) and is reset to its mark on return. */
#define TITAN_CONFIG_FILE_MAX ((size_t)1 << 20)
TITAN_NODISCARD titan_status titan_config_file_load(titan_arena *scratch,
                                                    const char *path, titan_config *out);

/* Write *c as one line of JSON (all fields in TITAN_CONFIG_FIELDS order, doubles round-trip
 * exactly, newline at the end) into buf[0..cap), NUL-terminated; *len gets
 * the length without the NUL. buf == NULL measures. TITAN_E_USAGE if cap is too
 * small or a real field is not finite. */
TITAN_NODISCARD titan_status titan_config_to_json(const titan_config *c, char *buf,
                                                  size_t cap, size_t *len);

/* safetensors: u64 LE header length N, N bytes of JSON header
 *   {"NAME": {"dtype": "F32", "shape": [d0, ...], "data_offsets": [b, e]}, ...,
 *    "__metadata__": {"key": "value", ...}}
 * (padded with spaces), then the data buffer; offsets are relative to it.
 * Supported dtypes: F32, F16, BF16 (little-endian). */
#define TITAN_ST_MAX_DIMS   8
#define TITAN_ST_HEADER_MAX 100000000 /* bytes, as the reference library */

typedef struct titan_st_tensor {
    const char *name;  /* NUL-terminated UTF-8 (no NUL inside), in the arena */
    titan_dtype dtype; /* TITAN_DT_F32, _F16, _BF16 or _INT8 ("I8") */
    int ndim;          /* 0 (a scalar) .. TITAN_ST_MAX_DIMS */
    int64_t shape[TITAN_ST_MAX_DIMS];
    uint64_t n_elems;    /* product of the shape (1 for a scalar) */
    const uint8_t *data; /* n_elems values inside the caller's file buffer; may
                            be unaligned: read with titan_safetensors_to_f32 */
    uint64_t nbytes;     /* n_elems * dtype size */
} titan_st_tensor;

typedef struct titan_st_meta {
    const char *key, *value; /* NUL-terminated UTF-8 */
} titan_st_meta;

typedef struct titan_safetensors {
    int n_tensors;
    const titan_st_tensor *tensors; /* in header order */
    int n_meta;
    const titan_st_meta *meta; /* "__metadata__" entries, in header order */
} titan_safetensors;

/* Validate a whole safetensors file held in file[0..len) and describe it; the
 * tensors point into `file`, which must outlive *out. Refused with TITAN_E_DATA:
 * header length beyond TITAN_ST_HEADER_MAX or the file, a header that is not a
 * strict JSON object (starting with '{'), repeated names, unknown keys in a
 * tensor entry, unknown dtype, negative or non-integer dims, a shape whose byte
 * size overflows, end - begin != that size, offsets outside the buffer,
 * overlapping tensors, or bytes of the buffer not covered by exactly one tensor
 * (holes, trailing data). Known but unsupported dtypes (F64, I64, ...) give
 * TITAN_E_UNSUPPORTED. Arena: the header's parse tree and the tables, about
 * 1 KB per tensor plus 2x the header size. */
TITAN_NODISCARD titan_status titan_safetensors_parse(titan_arena *a, const uint8_t *file,
                                                     size_t len, titan_safetensors *out);

/* The tensor with this name, or NULL. */
const titan_st_tensor *titan_safetensors_find(const titan_safetensors *st,
                                              const char *name);

/* Convert a tensor's values to float32 into dst[0..count); count must be at
 * least t->n_elems (TITAN_E_USAGE otherwise). Half types and I8 convert exactly. */
TITAN_NODISCARD titan_status titan_safetensors_to_f32(const titan_st_tensor *t,
                                                      float *dst, size_t count);

/* One tensor to write: float32 values, stored as `dtype` (F32 exact; F16 and
 * BF16 rounded to nearest even). */
typedef struct titan_st_source {
    const char *name;  /* unique, not "__metadata__" */
    titan_dtype dtype; /* TITAN_DT_F32, _F16 or _BF16 */
    int ndim;          /* 0 .. TITAN_ST_MAX_DIMS */
    int64_t shape[TITAN_ST_MAX_DIMS];
    const float *data; /* product(shape) values, row-major */
} titan_st_source;

/* Serialize tensors (data in the order given, header padded with spaces so
 * the data starts 8-byte aligned) and optional metadata into buf[0..cap);
 * *len gets the file size. buf == NULL measures. Names, metadata keys and
 * values must be UTF-8 (not checked here; the reader refuses invalid UTF-8).
 * TITAN_E_USAGE for bad arguments (repeated or reserved names or metadata
 * keys, bad dtype/shape) or cap < size. */
TITAN_NODISCARD titan_status titan_safetensors_write(const titan_st_source *tensors,
                                                     int n, const titan_st_meta *meta,
                                                     int n_meta, uint8_t *buf, size_t cap,
                                                     size_t *len);

/* ==== artifacts ============================================================
 * formats/artifact_*.c, formats/codec*.c: the one-file model container. */

/* One file holds the config, the tokenizer, a tensor directory and the tensor
 * data, and optionally an n-gram hint table; each section has a codec and CRC-32s of its stored and
 * raw bytes, the head has its own CRC, so any single flipped bit is refused. The byte layout is
 * documented in formats/artifact_format.h. */

/* Artifact codecs (per section). */
typedef enum {
    TITAN_CODEC_NONE = 0,
    TITAN_CODEC_LZMA = 1,   /* raw LZMA2 stream (liblzma) */
    TITAN_CODEC_XZ = 2,     /* .xz container (liblzma), CRC64 checked */
    TITAN_CODEC_BROTLI = 3, /* libbrotli */
    TITAN_CODEC_AUTO = 4,   /* writer: per section and per tensor group, the smallest of
                               the above (with byte shuffling where it wins); in a file,
                               the tensor data section's grouped form */
} titan_codec;

/* How one stored stream was coded: a section, or (codec auto) one tensor
 * group of the data section (groups in formats/artifact_format.h). */
typedef struct titan_codec_choice {
    char name[24];         /* "config", ..., or a group: "mlp", "scales", ... */
    titan_codec codec;     /* none, lzma, xz or brotli */
    int shuffle;           /* byte-plane width (1: none) */
    uint64_t raw_bytes;    /* before the codec */
    uint64_t stored_bytes; /* in the file */
    /* Writer only: stored bytes each codec gave, as is and shuffled (0: not tried). */
    uint64_t plain[4], shuffled[4];
} titan_codec_choice;

enum { TITAN_CODEC_CHOICES_MAX = 24 };
typedef struct titan_codec_report {
    int n;
    titan_codec_choice c[TITAN_CODEC_CHOICES_MAX];
} titan_codec_report;

/* A loaded artifact. tensors[] follows titan_config_tensors() order exactly. */
typedef struct titan_artifact {
    titan_config config;
    const titan_tokenizer *tokenizer;
    const uint8_t *tokenizer_blob; /* the serialized tokenizer */
    size_t tokenizer_blob_len;
    int n_tensors;
    const titan_tensor *tensors;
    titan_codec codec;           /* codec of the tensor data section */
    titan_codec_report groups;   /* codec auto: each tensor group's coding */
    uint64_t file_bytes;         /* size of the artifact file */
    uint64_t data_raw_bytes;     /* tensor data section, decoded */
    uint64_t data_stored_bytes;  /* tensor data section, as stored */
    titan_ngram ngram;           /* the optional n-gram table (blob NULL: none) */
    uint64_t ngram_stored_bytes; /* its section, as stored */
} titan_artifact;

/* Find a tensor by SPEC name, or NULL. */
const titan_tensor *titan_artifact_find(const titan_artifact *art, const char *name);

/* "none", "lzma", "xz", "brotli", "auto". */
const char *titan_codec_name(titan_codec c);
TITAN_NODISCARD titan_status titan_codec_from_name(const char *name, titan_codec *c);

/* Parse and verify a whole artifact held in memory. Every checksum, offset,
 * size, shape and scale is checked; sections are decoded into the arena
 * (bytes is not referenced afterwards) and art->tensors[i].data points at the
 * weights there, 64-byte aligned, to be used in place. Decoders get their
 * memory from the arena too (a pool sized from the section's declared raw
 * size, released before return); a stream that decodes to more or fewer
 * bytes than declared is refused. TITAN_E_DATA for anything malformed,
 * TITAN_E_NOMEM if the arena is too small. */
TITAN_NODISCARD titan_status titan_artifact_parse(titan_arena *a, const uint8_t *bytes,
                                                  size_t len, titan_artifact *art);

/* Same from a file. Compressed bytes are read into a temporary arena region
 * released once decoded, so the arena keeps only what titan_artifact_parse
 * keeps. TITAN_E_IO if the file cannot be read. */
TITAN_NODISCARD titan_status titan_artifact_load(titan_arena *a, const char *path,
                                                 titan_artifact *art);

/* The config and tokenizer of the artifact at path (its tensor data is not
 * read: art's tensors are not to be used), e.g. to size a tokenizer's output
 * before planning. */
TITAN_NODISCARD titan_status titan_artifact_load_meta(titan_arena *a, const char *path,
                                                      titan_artifact *art);

/* Exact arena bytes titan_artifact_load(path) needs as the first carving of
 * an arena whose buffer is 64-byte aligned (its high-water mark then equals
 * *bytes). The small sections are really decoded, in `scratch` (any arena
 * with room for them: a few MiB for the largest tokenizer); the tensor data
 * is only measured. The scratch arena is reset to its mark on return. */
TITAN_NODISCARD titan_status titan_artifact_plan(titan_arena *scratch, const char *path,
                                                 size_t *bytes);

/* titan_artifact_plan for a runtime carved after the artifact: also gives the
 * config and `kept`, the arena top after loading (the load's transient blocks
 * above it, up to `high`, are free again), so that the whole arena needs
 * max(high, kept aligned + runtime bytes). */
TITAN_NODISCARD titan_status titan_artifact_plan_runtime(titan_arena *scratch,
                                                         const char *path,
                                                         titan_config *c, size_t *high,
                                                         size_t *kept);

/* Write an artifact: config c (bos_id is set to the tokenizer's), the serialized
 * tokenizer tok[0..tok_len), and tensors[0..n) in titan_config_tensors order
 * with shapes, dtypes and data as titan_tensor_layout describes (scales for
 * quantized types). Every section uses `codec` (TITAN_CODEC_AUTO: each its
 * smallest, the tensor data per group). Building the file takes
 * scratch memory (about the data size plus its compressed bound); the file
 * is written atomically. *file_bytes (may be NULL) gets its size. With path
 * NULL nothing is written: only the size is measured. */
TITAN_NODISCARD titan_status titan_artifact_write(titan_arena *scratch,
                                                  const titan_config *c,
                                                  const uint8_t *tok, size_t tok_len,
                                                  const titan_tensor *tensors, int n,
                                                  titan_codec codec, const char *path,
                                                  uint64_t *file_bytes);

/* Options of titan_artifact_write_with. */
typedef struct titan_write_options {
    titan_codec codec;
    /* > 0: a file larger than this is not written (nothing at path changes);
     * the call still succeeds and *file_bytes says how large it would be. */
    uint64_t max_bytes;
    /* Called while the tensor data is encoded (done, total: its raw bytes);
     * NULL: no progress. */
    const titan_progress *progress;
    /* Optional serialized n-gram table (titan_ngram_parse must accept it for
     * the config's vocab_size): stored as the artifact's ngram section. */
    const uint8_t *ngram;
    size_t ngram_len;
    /* Optional: how each section (and, codec auto, each tensor group) was coded. */
    titan_codec_report *report;
    /* Codec auto: keep the grouped data section even when one codec on the
     * whole section is smaller (tests and fuzz seeds of the grouped form). */
    bool grouped_only;
} titan_write_options;

/* titan_artifact_write with a size cap decided before anything is written
 * (an existing file is never replaced by one over it) and codec progress. */
TITAN_NODISCARD titan_status titan_artifact_write_with(
    titan_arena *scratch, const titan_config *c, const uint8_t *tok, size_t tok_len,
    const titan_tensor *tensors, int n, const titan_write_options *o, const char *path,
    uint64_t *file_bytes);

/* ==== tokenizer files =======================================================
 * formats/tokenizer_file.c: a TOK file (the serialized tokenizer) on disk. */

/* Arena bytes titan_tokenizer_file_load needs for the file at path (from
 * its size; TITAN_E_DATA when no TOK file has that size, TITAN_E_IO when it
 * cannot be read). */
TITAN_NODISCARD titan_status titan_tokenizer_file_plan(const char *path, size_t *bytes);

/* Read and load the TOK file; *blob / *len (may be NULL) get its bytes, kept
 * in the arena. Errors name the path. */
TITAN_NODISCARD titan_status titan_tokenizer_file_load(titan_arena *a, const char *path,
                                                       const titan_tokenizer **t,
                                                       const uint8_t **blob, size_t *len);

/* ==== SentencePiece models and token shards ================================
 * formats/spm_model.c, formats/shards.c: the parameter-golf data of
 * SPEC section 3. */

/* SentencePiece .model (protobuf ModelProto): piece types and byte counts. */
typedef enum {
    TITAN_SPM_NORMAL = 1,
    TITAN_SPM_UNKNOWN = 2,
    TITAN_SPM_CONTROL = 3,
    TITAN_SPM_USER_DEFINED = 4,
    TITAN_SPM_UNUSED = 5,
    TITAN_SPM_BYTE = 6,
} titan_spm_type;

/* NormalizerSpec: SentencePiece's precompiled_charsmap (a u32 size, a Darts
 * double-array trie of that many bytes whose leaves point into `values`, a
 * run of NUL-terminated replacement strings) and its three switches. */
typedef struct titan_spm_normalizer {
    const uint8_t *trie; /* [trie_units * 4] little-endian u32 units */
    uint32_t trie_units; /* 0: no charsmap (the identity rule) */
    const uint8_t *values;
    uint32_t values_len;
    bool add_dummy_prefix, remove_extra_whitespaces, escape_whitespaces;
} titan_spm_normalizer;

/* Pieces in id order with the bytes each stands for as a target (SPEC
 * section 3): control/unknown/unused pieces none (and no space bit), a byte
 * piece "<0xHH>" its one byte, others their UTF-8 text without a leading
 * U+2581, which instead sets TITAN_BYTES_SPACE (one more byte, a space, unless
 * the previous token is control/unknown: those carry TITAN_BYTES_BOUNDARY).
 * So bytes.base[i] == offset[i + 1] - offset[i] and the text of a shard stream
 * rebuilt from these bytes has exactly the length val_bpb divides by.
 * The rest is what encoding and decoding plain text need (core/spm_encode.c
 * builds its tables from it): the pieces as written, their scores and the
 * model's TrainerSpec and NormalizerSpec settings. */
struct titan_spm {
    int32_t n_pieces;       /* 1..TITAN_TOK_MAX */
    const uint8_t *type;    /* [n_pieces] titan_spm_type */
    const uint32_t *offset; /* [n_pieces + 1] piece i is text[offset[i]..offset[i+1]) */
    const uint8_t *text;
    titan_byte_table bytes;
    const float *score;           /* [n_pieces] */
    const uint32_t *piece_offset; /* [n_pieces + 1] into piece: the text as written */
    const uint8_t *piece;
    const uint8_t *unk_surface; /* TrainerSpec's, " \xe2\x81\x87 " by default */
    uint32_t unk_surface_len;
    int32_t byte_id[256];   /* id of the piece <0xHH>, -1 if none */
    int32_t unk_id, bos_id; /* -1 if none (TrainerSpec; bos must be control) */
    int32_t n_unknown;      /* pieces of type unknown */
    uint32_t model_type;    /* TrainerSpec: 1 unigram, 2 bpe, 3 word, 4 char */
    bool byte_fallback, whitespace_suffix, has_denormalizer;
    uint32_t max_user_len; /* longest user-defined piece, bytes */
    titan_spm_normalizer norm;
};

/* Parse a .model file: field 1 of ModelProto is a repeated SentencePiece
 * {piece = 1 string, score = 2 float, type = 3 enum (default NORMAL)}, field 2
 * the TrainerSpec (model_type 3, treat_whitespace_as_suffix 24, byte_fallback
 * 35, unk_id 40, bos_id 41, unk_surface 44), field 3 the NormalizerSpec
 * (precompiled_charsmap 2, add_dummy_prefix 3, remove_extra_whitespaces 4,
 * escape_whitespaces 5), field 5 the denormalizer; other fields are skipped
 * by wire type. TITAN_E_DATA for any malformed length, wire type, tag, type
 * value, piece without text, byte piece not "<0xHH>", a charsmap shorter
 * than its trie, no pieces or more than TITAN_TOK_MAX.
 * The result lives in the arena (it does not point into data). */
TITAN_NODISCARD titan_status titan_spm_load(titan_arena *a, const uint8_t *data,
                                            size_t len, const titan_spm **out);

/* Arena bytes titan_spm_load needs for a file of len bytes (upper bound). */
size_t titan_spm_plan(size_t len);

/* parameter-golf .bin shard: 256 little-endian int32 header (magic 20240520,
 * version 1, token count, rest ignored), then count little-endian uint16
 * tokens; the file is exactly 1024 + 2 * count bytes. */
#define TITAN_SHARD_HEADER_BYTES 1024
#define TITAN_SHARD_MAGIC        20240520

/* Token count of the whole shard file data[0..len); checks the magic, the
 * version and that the size is exactly 1024 + 2 * count. */
TITAN_NODISCARD titan_status titan_shard_count(const uint8_t *data, size_t len,
                                               uint64_t *count);

/* Validate a whole shard and append its tokens to dst[0..cap) as int32.
 * Every token must be < vocab (TITAN_E_DATA); *n receives the count. */
TITAN_NODISCARD titan_status titan_shard_decode(const uint8_t *data, size_t len,
                                                int32_t vocab, int32_t *dst, size_t cap,
                                                size_t *n);

/* Encode ids[0..n) as a whole shard file into dst[0..cap): header, then the
 * tokens as uint16. Every id must lie in [0, vocab), vocab <= 65536, and cap
 * must hold TITAN_SHARD_HEADER_BYTES + 2 * n bytes; n < 2^31. */
TITAN_NODISCARD titan_status titan_shard_encode(const int32_t *ids, size_t n,
                                                int32_t vocab, uint8_t *dst, size_t cap);

/* ==== high level: open an artifact and generate =============================
 * formats/session.c. One artifact, a CPU backend, a model and one sequence in
 * a block the caller provides (still no allocation), and text generation from
 * a text prompt (BOS put first for you). tools/examples/generate.c is a whole
 * program:
 *
 *     titan_arena scratch;                       // planning only (64 MiB,
 *     titan_arena_init(&scratch, buf64m, 64<<20) // untouched pages are free)
 *     size_t bytes;
 *     titan_session_plan(&scratch, "model.tart", NULL, &bytes);
 *     void *block = malloc(bytes);
 *     titan_session *s;
 *     titan_session_open(block, bytes, "model.tart", NULL, &s);
 *     titan_sampler smp;
 *     titan_sampler_init(&smp, 0.8, 40, 0.95, 1);
 *     titan_session_generate(s, (const uint8_t *)"Once", 4, 64, &smp, print, NULL, NULL);
 *     titan_session_close(s);
 *     free(block);
 */

typedef struct titan_session titan_session;

typedef struct titan_session_options {
    int ctx;         /* context in tokens; 0: the model's max_seq_len */
    int threads;     /* CPU backend threads in [1, 64]; 0: 1 */
    int speculative; /* draft with the MTP heads (titan_generator_start) */
} titan_session_options;

/* Scratch that planning any artifact needs (its config, tokenizer and
 * directory are decoded for real): titan_session_plan's arena. */
#define TITAN_PLAN_SCRATCH ((size_t)64 << 20)

/* Bytes of the block titan_session_open needs for this artifact and options
 * (o may be NULL: the defaults). */
TITAN_NODISCARD titan_status titan_session_plan(titan_arena *scratch, const char *path,
                                                const titan_session_options *o,
                                                size_t *bytes);

/* Load and verify the artifact into block[0..bytes) (any alignment) and make
 * the backend (its threads start now), the model and a sequence. */
TITAN_NODISCARD titan_status titan_session_open(void *block, size_t bytes,
                                                const char *path,
                                                const titan_session_options *o,
                                                titan_session **out);

/* The loaded artifact (config, tokenizer, tensors). */
const titan_artifact *titan_session_artifact(const titan_session *s);

/* Called with each generated token's bytes (tokens may split a UTF-8
 * character); return nonzero to stop. */
typedef int (*titan_text_fn)(void *user, const uint8_t *bytes, size_t len);

/* Generate up to max_tokens tokens after BOS + prompt[0..len), sampled by
 * sampler, handing each one's bytes to on_text. Stops early when the model
 * begins a new document (BOS), the context is full or on_text asks to;
 * *generated (may be NULL) gets the count. Each call starts a new sequence. */
TITAN_NODISCARD titan_status titan_session_generate(
    titan_session *s, const uint8_t *prompt, size_t len, int max_tokens,
    titan_sampler *sampler, titan_text_fn on_text, void *user, int *generated);

/* Stop the backend's threads; the block is the caller's to free after. */
void titan_session_close(titan_session *s);

#ifdef __cplusplus
}
#endif
#endif /* TITAN_H */
