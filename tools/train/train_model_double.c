/* train_model_double.c: the ops and the model compiled a second time for double
 * (symbols with a _d suffix), for finite-difference gradient checks. */
#define TRAIN_DOUBLE 1
#include "tools/train/train_model.c"
#include "tools/train/op_attention.c"
#include "tools/train/op_attn_block.c"
#include "tools/train/op_conv_swiglu.c"
#include "tools/train/op_embed_head.c"
#include "tools/train/op_gqa.c"
#include "tools/train/op_lora.c"
#include "tools/train/op_matmul.c"
#include "tools/train/op_mla.c"
#include "tools/train/op_mlp.c"
#include "tools/train/op_moe.c"
#include "tools/train/op_xenith_summarize.c"
#include "tools/train/op_residual.c"
#include "tools/train/op_rmsnorm.c"
#include "tools/train/op_rope.c"
