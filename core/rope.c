/* rope.c: half-split rotary embedding. Angles are formed in double: at
 * position 8192 a float angle would already be off by ~1e-3 rad. */
#include "core/model.h"

#include <math.h>

void titan_rope_table(float *cs, const double *freq, int half, int pos) {
    for (int i = 0; i < half; i++) {
        double angle = pos * freq[i];
        cs[i] = (float)cos(angle);
        cs[half + i] = (float)sin(angle);
    }
}

void titan_rope_rotate(float *v, const float *cs, int half) {
    for (int i = 0; i < half; i++) {
        float a = v[i], b = v[half + i], c = cs[i], s = cs[half + i];
        v[i] = a * c - b * s;
        v[half + i] = a * s + b * c;
    }
}
