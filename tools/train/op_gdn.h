/* op_gdn.h: the Gated DeltaNet mixer of SPEC section 8 for the trainer
 * (tools/train/op_gdn.c), forward and backward of the chunked form, compiled
 * for float and for double (train_real.h; tools/train/op_gdn_double.c).
 * C = 2 Hk Dk + Hv Dw; shapes [rows, cols] row-major.
 *
 * Model integration (tools/train/train_model.c), one call per place:
 *   params: a TR(gdn_weights) gdn in each block, bound by name as the block's
 *           tensors are: TR(gdn_bind)(&p->block[b].gdn, leaf, ptr) (leaf = the
 *           name after "blocks.{b}.");
 *   acts:   TR(gdn_acts_size)(T, c) values per effective GDN layer, and one
 *           TR(gdn_scratch_size)(T, c) shared by all layers;
 *   forward:  TR(gdn_forward)(y, u1, &w->gdn, acts_l, scratch, T, c), then
 *           h_mid = h_in + y (with the section-8 scales around it);
 *   backward: TR(gdn_backward)(du, &dw->gdn, dy, u1, &w->gdn, acts_l,
 *           scratch, T, c), du then through attn_norm as the MLA's is. */
#ifndef TITAN_TRAIN_OP_GDN_H
#define TITAN_TRAIN_OP_GDN_H

#include "titan.h"
#include "tools/train/train_real.h"

#include <stddef.h>

/* One GDN block's tensors (weights, or their gradients). */
typedef struct {
    real *qkv;     /* gdn_qkv [C, D] rows [q Hk*Dk | k Hk*Dk | v Hv*Dw] */
    real *conv;    /* gdn_conv [C, Kc]; NULL when Kc == 0 */
    real *ba;      /* gdn_ba [2Hv, D] rows [beta | a] */
    real *A_log;   /* gdn_A_log [Hv] */
    real *dt_bias; /* gdn_dt_bias [Hv] */
    real *z;       /* gdn_z [Hv*Dw, D] */
    real *o_norm;  /* gdn_o_norm [Dw]; NULL without gdn_out_norm */
    real *o;       /* gdn_o [D, Hv*Dw] */
} TR(gdn_weights);

/* Point the field of tensor `leaf` ("gdn_qkv", ..., "gdn_o") at ptr;
 * returns 1 when leaf is one of them, else 0. */
int TR(gdn_bind)(TR(gdn_weights) * w, const char *leaf, real *ptr);

/* Values one layer keeps from forward for backward (T tokens), and the
 * temporary values of either pass (shared by all layers). */
size_t TR(gdn_acts_size)(int T, const titan_config *c);
size_t TR(gdn_scratch_size)(int T, const titan_config *c);

/* y[T, D] = the GDN mixer on u[T, D] (the block's normed input), from a
 * zero state; acts receives what backward needs. */
void TR(gdn_forward)(real *y, const real *u, const TR(gdn_weights) * w, real *acts,
                     real *scratch, int T, const titan_config *c);

/* With dy = dL/dy: du[T, D] += dL/du and every tensor of dw += its
 * gradient (dw's NULL fields are those w lacks). u, w and acts as forward
 * left them. */
void TR(gdn_backward)(real *du, TR(gdn_weights) * dw, const real *dy, const real *u,
                      const TR(gdn_weights) * w, const real *acts, real *scratch, int T,
                      const titan_config *c);

#endif
