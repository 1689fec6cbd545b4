/* vec_exp.c: exp(x - shift) in place over a row and the sum, shared by the
 * model's softmax loops (core/vec.c's titan_vec_exp_sum) and the portable
 * attend (attend.c), so both round alike. Eight lanes with an AVX2 build
 * the loader picks where the CPU has it (GNU ifunc). */
#include "platform/vec_exp.h"
#include "platform/vec8.h"

#include <string.h>

TITAN_EXP_NONPOSITIVE(static inline, exp8, f8, i8)

VEC8_CLONES float titan_exp_shift_sum(float *x, float shift, int n) {
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
