/* test_rng.h: the unit tests' reproducible random numbers (xorshift64*),
 * one stream per test binary. */
#ifndef TITAN_TEST_RNG_H
#define TITAN_TEST_RNG_H

#include <stdint.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* Uniform in [-1, 1). */
static inline double uniform(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ull) >> 11) * 0x1p-52 - 1.0;
}

#endif
