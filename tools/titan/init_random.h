/* init_random.h: titan init's random weights (one splitmix64 stream, normals
 * by Box-Muller), shared with the budget planner's calibration sample. */
#ifndef TITAN_TOOLS_INIT_RANDOM_H
#define TITAN_TOOLS_INIT_RANDOM_H

#include <stddef.h>
#include <stdint.h>

/* The next value of the splitmix64 stream with state *s. */
uint64_t init_splitmix64(uint64_t *s);

/* w[0..n) ~ N(0, std^2) from the stream *s: u1 = ((x >> 11) + 1) / 2^53,
 * u2 = (y >> 11) / 2^53, both outputs used. */
void init_fill_normal(uint64_t *s, float *w, size_t n, float std);

#endif
