/* train_dist_time.c: the step-time split of train_dist.h, for both builds. */
#include "tools/train/train_dist.h"

#include <string.h>

static double phase_s[3]; /* one process, one training loop */

void train_dist_note(train_dist_phase p, double seconds) { phase_s[p] += seconds; }

void train_dist_take_ms(double ms[3]) {
    for (int i = 0; i < 3; i++) ms[i] = phase_s[i] * 1e3;
    memset(phase_s, 0, sizeof phase_s);
}
