/* train_dist_serial.c: one rank (titan-train; see train_dist.h). */
#include "tools/train/train_dist.h"

#include "tools/cli/cli.h"

void train_dist_start(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
}

int train_dist_end(int code) { return code; }
int train_dist_rank(void) { return 0; }
int train_dist_ranks(void) { return 1; }
void train_dist_gather(double *v, int64_t begin, int64_t end) {
    (void)v;
    (void)begin;
    (void)end;
}

void train_dist_sum_grads(train_workers *w, bool ordered) {
    (void)ordered;
    double t0 = cli_now();
    train_workers_reduce(w);
    train_dist_note(TRAIN_DIST_REDUCE, cli_now() - t0);
}

void train_dist_gather_matrices(train_state *s) { (void)s; }
int64_t train_dist_max(int64_t v) { return v; }
int64_t train_dist_root(int64_t v) { return v; }
