/* gdn_vec.h: what the two forms of the GDN mixer (core/gdn_recurrence.c,
 * core/gdn_chunked.c) share for their vector loops: eight floats in one
 * vector (GNU vector extensions, as core/vec.c), loads and stores through
 * memcpy (any alignment), and an AVX2 clone of each entry point that the
 * loader picks on CPUs that have it. Helpers are inlined into each clone, so
 * vectors never cross a call (no vector ABI). */
#ifndef TITAN_CORE_GDN_VEC_H
#define TITAN_CORE_GDN_VEC_H

#include <string.h>

#if defined(__x86_64__) && defined(__ELF__) &&                                           \
    (defined(__clang__) ? __clang_major__ >= 14 : __GNUC__ >= 6)
#define GDN_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define GDN_CLONES
#endif

#define GDN_INLINE static inline __attribute__((always_inline))

typedef float gdn_f8 __attribute__((vector_size(32)));
enum { GDN_LANES = 8 };

#define GDN_LOAD(v, p)  memcpy(&(v), (p), sizeof(gdn_f8))
#define GDN_STORE(p, v) memcpy((p), &(v), sizeof(gdn_f8))

/* y[i] = a x[i] for i < n (x may be y). */
GDN_INLINE void gdn_scale(float *y, const float *x, float a, int n) {
    int i = 0;
    gdn_f8 v;
    for (; i + GDN_LANES <= n; i += GDN_LANES) {
        GDN_LOAD(v, x + i);
        v *= a;
        GDN_STORE(y + i, v);
    }
    for (; i < n; i++) y[i] = a * x[i];
}

/* y[i] *= a g[i] for i < n. */
GDN_INLINE void gdn_scale_by(float *y, const float *g, float a, int n) {
    int i = 0;
    gdn_f8 v, w;
    for (; i + GDN_LANES <= n; i += GDN_LANES) {
        GDN_LOAD(v, y + i), GDN_LOAD(w, g + i);
        v *= a * w;
        GDN_STORE(y + i, v);
    }
    for (; i < n; i++) y[i] *= a * g[i];
}

#endif
