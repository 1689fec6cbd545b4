/* gdn_vec.h: what the two forms of the GDN mixer (core/gdn_recurrence.c,
 * core/gdn_chunked.c) share for their vector loops on platform/vec8.h's
 * eight-float vectors: loads and stores through memcpy (any alignment) and
 * helpers inlined into each AVX2 clone of an entry point. */
#ifndef TITAN_CORE_GDN_VEC_H
#define TITAN_CORE_GDN_VEC_H

#include "platform/vec8.h"

#include <string.h>

#define GDN_INLINE static inline __attribute__((always_inline))

#define GDN_LOAD(v, p)  memcpy(&(v), (p), sizeof(f8))
#define GDN_STORE(p, v) memcpy((p), &(v), sizeof(f8))

/* y[i] = a x[i] for i < n (x may be y). */
GDN_INLINE void gdn_scale(float *y, const float *x, float a, int n) {
    int i = 0;
    f8 v;
    for (; i + LANES <= n; i += LANES) {
        GDN_LOAD(v, x + i);
        v *= a;
        GDN_STORE(y + i, v);
    }
    for (; i < n; i++) y[i] = a * x[i];
}

/* y[i] *= a g[i] for i < n. */
GDN_INLINE void gdn_scale_by(float *y, const float *g, float a, int n) {
    int i = 0;
    f8 v, w;
    for (; i + LANES <= n; i += LANES) {
        GDN_LOAD(v, y + i), GDN_LOAD(w, g + i);
        v *= a * w;
        GDN_STORE(y + i, v);
    }
    for (; i < n; i++) y[i] *= a * g[i];
}

#endif
