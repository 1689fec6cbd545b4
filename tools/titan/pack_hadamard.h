/* pack_hadamard.h: `titan pack --hadamard`: the orthonormal Hadamard matrix
 * (quant/hadamard.h) folded into every attention block's value/output pair
 * before quantization. Each group's Dv value rows (wv, or wkv_b's value rows
 * for MLA) become H v, and each head's Dv columns of wo become wo H^T, so
 * o = wo_h H^T H v: the float model computes the same function (XSA and the
 * zero-value sinks only use norms and dot products of v, which H keeps). The
 * shared value embedding is added to v, so its projection's rows (or, without
 * a projection, the table's columns) per group turn with it. Gated DeltaNet
 * blocks stay as they are. Needs Dv a power of two. */
#ifndef TITAN_TOOLS_PACK_HADAMARD_H
#define TITAN_TOOLS_PACK_HADAMARD_H

#include "titan.h"

/* One turned matrix: its int6 (per-row RTN with clip search) relative
 * Frobenius error before and after. */
typedef struct {
    char name[TITAN_NAME_MAX];
    double before, after;
} hadamard_error;

/* Turn the float32 tensors f[0..n) (config c's, in its order) in place;
 * errors[0..*n_err) gets one entry per turned matrix (room for n). */
TITAN_NODISCARD titan_status pack_hadamard_fold(titan_arena *a, const titan_config *c,
                                                titan_tensor *f, int n,
                                                hadamard_error *errors, int *n_err);

#endif
