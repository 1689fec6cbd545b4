/* vec8.h: eight floats in one vector (GNU vector extensions, as GCC and
 * clang have them) for the loops outside the backend's matmul (core/vec.c,
 * the GDN mixer, platform/vec_exp.c). Eight independent lanes keep a
 * reduction's steps from waiting on each other; VEC8_CLONES adds an AVX2
 * build of a function that the loader picks on CPUs that have it (GNU
 * ifunc). Helpers are inlined into each clone, so vectors never cross a call
 * (no vector ABI). */
#ifndef TITAN_PLATFORM_VEC8_H
#define TITAN_PLATFORM_VEC8_H

#include <stdint.h>

#if defined(__x86_64__) && defined(__ELF__) &&                                           \
    (defined(__clang__) ? __clang_major__ >= 14 : __GNUC__ >= 6)
#define VEC8_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define VEC8_CLONES
#endif

enum { LANES = 8 };
typedef float f8 __attribute__((vector_size(32)));
typedef int32_t i8 __attribute__((vector_size(32)));

/* The lanes' partial sums and a tail added in one fixed order, so every
 * caller rounds alike. */
static inline float lanes_sum(const float s[LANES], float tail) {
    return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7])) + tail;
}

#endif
