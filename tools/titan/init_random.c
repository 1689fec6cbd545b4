/* init_random.c: titan init's random stream (see init_random.h). */
#include "tools/titan/init_random.h"

#include <math.h>

uint64_t init_splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void init_fill_normal(uint64_t *s, float *w, size_t n, float std) {
    for (size_t i = 0; i < n; i += 2) {
        double u1 = ((init_splitmix64(s) >> 11) + 1) * 0x1p-53;
        double u2 = (init_splitmix64(s) >> 11) * 0x1p-53;
        double r = sqrt(-2 * log(u1)), t = 2 * M_PI * u2;
        w[i] = (float)(std * r * cos(t));
        if (i + 1 < n) w[i + 1] = (float)(std * r * sin(t));
    }
}
