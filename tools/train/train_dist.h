/* train_dist.h: the processes (ranks) of a training or evaluation run and
 * what they exchange. titan-train links the serial implementation
 * (train_dist_serial.c: one rank, nothing to exchange), titan-train-mpi the
 * Open MPI one (mpi/train_dist_mpi.c), so the trainer has one code path.
 * Functions marked collective are called by every rank in the same order. */
#ifndef TITAN_TRAIN_DIST_H
#define TITAN_TRAIN_DIST_H

#include "tools/train/train_batch.h"
#include "tools/train/train_state.h"

#include <stdbool.h>
#include <stdint.h>

/* Start before anything else (MPI_Init). Ranks above 0 print nothing on
 * stdout: rank 0 speaks for the run. */
void train_dist_start(int *argc, char ***argv);

/* End with the command's exit code, which it returns. A failure on any rank
 * of several ends the whole job (MPI_Abort), so no rank waits forever for
 * one that left; a stop signal (code 128 + signal, which the ranks agree on)
 * ends each rank after rank 0 wrote its checkpoint. */
int train_dist_end(int code);

int train_dist_rank(void);
int train_dist_ranks(void);

/* [*begin, *end): rank's share of n items, contiguous and in rank order. */
static inline void train_dist_share(int64_t n, int rank, int64_t *begin, int64_t *end) {
    int ranks = train_dist_ranks();
    *begin = n * rank / ranks;
    *end = n * (rank + 1) / ranks;
}

/* Collective: every rank's v[begin..end) to every rank. The ranks' ranges
 * follow each other in rank order. */
void train_dist_gather(double *v, int64_t begin, int64_t end);

/* Collective: grads[0] of every rank becomes the sum of all ranks' slabs.
 * ordered: added in one fixed order, slab by slab in rank and slot order (as
 * one process adds its slots), so the sum is the one process's bit for bit;
 * else by MPI_Allreduce (faster, rounding may differ). */
void train_dist_sum_grads(train_workers *w, bool ordered);

/* Collective, after each rank ran Muon on its share of the matrices
 * (train_dist_share of the matrix count, in tensor order): every rank gets
 * every matrix's weights and momentum. */
void train_dist_gather_matrices(train_state *s);

/* Collective: the largest v of all ranks; rank 0's v. */
int64_t train_dist_max(int64_t v);
int64_t train_dist_root(int64_t v);

/* Milliseconds spent since the last take: reducing gradients, in Muon, and
 * gathering Muon's matrices. */
typedef enum { TRAIN_DIST_REDUCE, TRAIN_DIST_MUON, TRAIN_DIST_GATHER } train_dist_phase;
void train_dist_note(train_dist_phase p, double seconds);
void train_dist_take_ms(double ms[3]);

#endif
