/* vec_exp.c: exp(x - shift) in place over a row and the sum, shared by the
 * model's softmax loops (core/vec.c's titan_vec_exp_sum) and the portable
 * attend (attend.c), so both round alike. Eight lanes with an AVX2 build
 * the loader picks where the CPU has it (GNU ifunc). */
#include "platform/vec_exp.h"

#include <string.h>

#if defined(__x86_64__) && defined(__ELF__) &&                                           \
    (defined(__clang__) ? __clang_major__ >= 14 : __GNUC__ >= 6)
#define CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CLONES
#endif
enum { LANES = 8 };
typedef float f8 __attribute__((vector_size(32)));
typedef int32_t i8 __attribute__((vector_size(32)));

TITAN_EXP_NONPOSITIVE(static inline, exp8, f8, i8)

static inline float lanes_sum(const float s[LANES], float tail) {
    return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7])) + tail;
}

CLONES float titan_exp_shift_sum(float *x, float shift, int n) {
    f8 sum = {0}, v;
    int i = 0;
    for (; i + LANES <= n; i += LANES) {
        memcpy(&v, x + i, sizeof v);
        v -= shift;
        exp8(&v);
        memcpy(x + i, &v, sizeof v);
        sum += v;
    }
    float s[LANES], tail = 0;
    memcpy(s, &sum, sizeof s);
    if (i < n) { /* the last n - i values, in lanes of their own */
        for (int j = 0; j < LANES; j++) v[j] = i + j < n ? x[i + j] - shift : 0;
        exp8(&v);
        for (int j = 0; i + j < n; j++) tail += x[i + j] = v[j];
    }
    return lanes_sum(s, tail);
}
