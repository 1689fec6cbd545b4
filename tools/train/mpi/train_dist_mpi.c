/* train_dist_mpi.c: ranks over Open MPI (titan-train-mpi; see
 * train_dist.h). Errors of MPI calls are fatal (MPI's default handler), and
 * a rank that dies ends the job through mpirun, so no rank waits forever. */
#include "tools/train/train_dist.h"

#include "tools/cli/cli.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(real) == sizeof(float), "the gradients travel as MPI_FLOAT");

static int my_rank, n_ranks = 1;

void train_dist_start(int *argc, char ***argv) {
    MPI_Init(argc, argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &my_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n_ranks);
    if (my_rank > 0 && !freopen("/dev/null", "w", stdout)) exit(CLI_EXIT_FAIL);
}

int train_dist_end(int code) {
    fflush(NULL);
    /* every rank stops on a signal together (the training loop agrees on
     * it): those codes finalize; any other failure ends the job */
    bool agreed = code == CLI_EXIT_OK || (code > 128 && code <= 128 + 64);
    if (!agreed && n_ranks > 1) MPI_Abort(MPI_COMM_WORLD, code);
    MPI_Finalize();
    return code;
}

int train_dist_rank(void) { return my_rank; }
int train_dist_ranks(void) { return n_ranks; }

/* MPI counts are int: every range here is far below 2^31 elements. */
void train_dist_gather(double *v, int64_t begin, int64_t end) {
    if (n_ranks == 1) return;
    int *count = malloc(2 * sizeof(int) * (size_t)n_ranks);
    if (!count) MPI_Abort(MPI_COMM_WORLD, CLI_EXIT_FAIL);
    int *displ = count + n_ranks, mine[2] = {(int)begin, (int)(end - begin)};
    int *both = malloc(2 * sizeof(int) * (size_t)n_ranks);
    if (!both) MPI_Abort(MPI_COMM_WORLD, CLI_EXIT_FAIL);
    MPI_Allgather(mine, 2, MPI_INT, both, 2, MPI_INT, MPI_COMM_WORLD);
    for (int r = 0; r < n_ranks; r++) displ[r] = both[2 * r], count[r] = both[2 * r + 1];
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, v, count, displ, MPI_DOUBLE,
                   MPI_COMM_WORLD);
    free(both);
    free(count);
}

/* The ordered sum: rank r receives the sum of ranks 0..r-1's slabs, adds its
 * own in slot order (x + y == y + x in IEEE arithmetic, so the partial may
 * come first), passes it on; the last rank's sum goes to every rank. */
static void chain_sum(train_workers *w) {
    float *g = w->grads[0].mem;
    size_t n = w->grads[0].count;
    if (my_rank > 0) {
        float *partial = malloc(sizeof(float) * n);
        if (!partial) MPI_Abort(MPI_COMM_WORLD, CLI_EXIT_FAIL);
        MPI_Recv(partial, (int)n, MPI_FLOAT, my_rank - 1, 0, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        for (size_t i = 0; i < n; i++) g[i] = partial[i] + g[i];
        free(partial);
    }
    train_workers_reduce(w);
    if (my_rank < n_ranks - 1)
        MPI_Send(g, (int)n, MPI_FLOAT, my_rank + 1, 0, MPI_COMM_WORLD);
    MPI_Bcast(g, (int)n, MPI_FLOAT, n_ranks - 1, MPI_COMM_WORLD);
}

void train_dist_sum_grads(train_workers *w, bool ordered) {
    double t0 = cli_now();
    if (n_ranks == 1) {
        train_workers_reduce(w);
    } else if (ordered) {
        chain_sum(w);
    } else {
        train_workers_reduce(w);
        MPI_Allreduce(MPI_IN_PLACE, w->grads[0].mem, (int)w->grads[0].count, MPI_FLOAT,
                      MPI_SUM, MPI_COMM_WORLD);
    }
    train_dist_note(TRAIN_DIST_REDUCE, cli_now() - t0);
}

/* Copy tensor i's weights and momentum into (pack) or out of buf; returns
 * the floats moved. */
static size_t move_matrix(train_state *s, int i, float *buf, bool pack) {
    size_t n = (size_t)(s->w.spec[i].rows * s->w.spec[i].cols);
    float *w = s->w.tensor[i], *m = s->m.tensor[i];
    memcpy(pack ? buf : w, pack ? w : buf, sizeof(float) * n);
    memcpy(pack ? buf + n : m, pack ? m : buf + n, sizeof(float) * n);
    return 2 * n;
}

static int owner(int64_t k, int64_t matrices) {
    int r = 0;
    for (int64_t b, e; train_dist_share(matrices, r, &b, &e), k >= e;) r++;
    return r;
}

/* Every matrix in tensor order at its place in buf: pack this rank's
 * matrices [lo, hi) into it, or unpack the others from it. */
static void walk(train_state *s, float *buf, int64_t lo, int64_t hi, bool pack) {
    size_t at = 0;
    for (int i = 0, k = 0; i < s->w.n_tensors; i++) {
        if (s->w.spec[i].role != TITAN_ROLE_MATRIX) continue;
        bool mine = k >= lo && k < hi;
        k++;
        if (mine == pack)
            at += move_matrix(s, i, buf + at, pack);
        else
            at += 2 * (size_t)(s->w.spec[i].rows * s->w.spec[i].cols);
    }
}

/* The matrices travel in tensor order, weights then momentum each, so
 * rank r's floats (count[r]) start at displ[r]. */
void train_dist_gather_matrices(train_state *s) {
    if (n_ranks == 1) return;
    double t0 = cli_now();
    int64_t matrices = 0, lo, hi;
    for (int i = 0; i < s->w.n_tensors; i++)
        matrices += s->w.spec[i].role == TITAN_ROLE_MATRIX;
    train_dist_share(matrices, my_rank, &lo, &hi);
    int *count = calloc(2 * (size_t)n_ranks, sizeof(int));
    if (!count) MPI_Abort(MPI_COMM_WORLD, CLI_EXIT_FAIL);
    int *displ = count + n_ranks;
    size_t total = 0;
    for (int i = 0, k = 0; i < s->w.n_tensors; i++)
        if (s->w.spec[i].role == TITAN_ROLE_MATRIX)
            count[owner(k++, matrices)] +=
                (int)(2 * s->w.spec[i].rows * s->w.spec[i].cols);
    for (int r = 0; r < n_ranks; r++, total += (size_t)count[r - 1])
        displ[r] = (int)total;
    float *buf = malloc(sizeof(float) * (total ? total : 1));
    if (!buf) MPI_Abort(MPI_COMM_WORLD, CLI_EXIT_FAIL);
    walk(s, buf, lo, hi, true);
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, count, displ, MPI_FLOAT,
                   MPI_COMM_WORLD);
    walk(s, buf, lo, hi, false);
    free(buf);
    free(count);
    train_dist_note(TRAIN_DIST_GATHER, cli_now() - t0);
}

int64_t train_dist_max(int64_t v) {
    MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD);
    return v;
}

int64_t train_dist_root(int64_t v) {
    MPI_Bcast(&v, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
    return v;
}
